// One Node floor: package.json's engines.node, the README's set-up line, and every installed
// package's own engines.node (npm ci prints EBADENGINE for any package that rejects the running Node).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as semver from 'semver';

const ROOT = path.resolve(__dirname, '../..');
const read = (name: string) => fs.readFileSync(path.join(ROOT, name), 'utf8');

interface LockPackage { engines?: { node?: string } | string[]; dev?: boolean; optional?: boolean }

describe('Node floor', () => {
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
  const floor = pkg.engines.node;

  it('is one minimum version, and the README states it', () => {
    const min = semver.minVersion(floor);
    assert.ok(min, `engines.node ${floor} has no minimum`);
    assert.equal(floor, `>=${min.version}`);
    const stated = /Node ≥ (\d+\.\d+(?:\.\d+)?)/.exec(read('README.md'));
    assert.ok(stated, 'the README names the Node version in its set-up line');
    assert.equal(semver.coerce(stated[1])?.version, min.version);
  });

  it('every package in the lockfile accepts the floor, the running Node and each LTS line above the floor', () => {
    const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, LockPackage> };
    const min = semver.minVersion(floor)!;
    // The floor itself, the newest release of every even (LTS) major from the floor's up to 24, this Node.
    const nodes = [min.version, ...[20, 22, 24].filter((major) => major >= min.major).map((major) => `${major}.999.0`), process.version.slice(1)];
    const rejecting: string[] = [];
    for (const [location, entry] of Object.entries(lock.packages)) {
      const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
      if (!location || !range) continue;
      const refused = nodes.filter((version) => !semver.satisfies(version, range));
      if (refused.length > 0) rejecting.push(`${location.replace(/^node_modules\//, '')} wants node ${range} (refuses ${refused.join(', ')})`);
    }
    assert.deepEqual(rejecting, [], `packages that refuse a Node the README allows (npm ci warns EBADENGINE):\n${rejecting.join('\n')}`);
  });
});
