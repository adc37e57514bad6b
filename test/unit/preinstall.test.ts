// scripts/preinstall.mjs: installed as a dependency (pre-commit installs the hook with
// `npm install -g git+file://…`), onnxruntime-node's postinstall must not fetch from api.nuget.org.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cleanEnvForTest } from './helpers/env';

const ROOT = path.resolve(__dirname, '../..');
const ORT = path.join(ROOT, 'node_modules', 'onnxruntime-node');

/** A global install's layout: lib/node_modules/latent-lint with its own node_modules/onnxruntime-node (the real files). */
function globalLayout(): { pkg: string; ort: string; tmp: string } {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-lint-preinstall-'));
  const pkg = path.join(tmp, 'lib', 'node_modules', 'latent-lint');
  fs.mkdirSync(path.join(pkg, 'scripts'), { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'scripts', 'preinstall.mjs'), path.join(pkg, 'scripts', 'preinstall.mjs'));
  fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(pkg, 'package.json'));
  const ort = path.join(pkg, 'node_modules', 'onnxruntime-node');
  fs.mkdirSync(ort, { recursive: true });
  fs.copyFileSync(path.join(ORT, 'package.json'), path.join(ort, 'package.json'));
  fs.cpSync(path.join(ORT, 'script'), path.join(ort, 'script'), { recursive: true });
  return { pkg, ort, tmp };
}

// onnxruntime-node's postinstall as npm runs it for a dependency. Its download goes through a proxy
// on a closed port, so an attempt fails at once instead of reaching (or waiting for) the network.
function ortPostinstall(ort: string, extra: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['./script/install'], {
    cwd: ort,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...cleanEnvForTest(), NODE_PATH: path.join(ROOT, 'node_modules'), GLOBAL_AGENT_HTTPS_PROXY: 'http://127.0.0.1:9', npm_package_json: path.join(ort, 'package.json'), ...extra },
  });
}

describe('preinstall (onnxruntime-node\'s optional download, installed as a dependency)', () => {
  it('without it, onnxruntime-node\'s postinstall tries to download (the failure pre-commit hit)', () => {
    const { ort, tmp } = globalLayout();
    const result = ortPostinstall(ort);
    assert.notEqual(result.status, 0, `${result.stdout}${result.stderr}`);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('makes skip the default, so the postinstall succeeds with no network and no env var', () => {
    const { pkg, ort, tmp } = globalLayout();
    const pre = spawnSync(process.execPath, ['scripts/preinstall.mjs'], { cwd: pkg, encoding: 'utf8', env: cleanEnvForTest() });
    assert.equal(pre.status, 0, pre.stderr);
    assert.match(pre.stdout, /optional GPU download is off/);
    assert.ok(fs.existsSync(path.join(ort, 'script', 'install.upstream.js')));
    const result = ortPostinstall(ort);
    assert.equal(result.status, 0, `${result.stdout}${result.stderr}`);
    assert.doesNotMatch(`${result.stdout}${result.stderr}`, /Downloading|nuget/i);
    // Idempotent: a second run leaves the wrapper as it is.
    const again = spawnSync(process.execPath, ['scripts/preinstall.mjs'], { cwd: pkg, encoding: 'utf8', env: cleanEnvForTest() });
    assert.equal(again.status, 0);
    assert.equal(again.stdout, '');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('still honours an explicit choice (ONNXRUNTIME_NODE_INSTALL=cuda12 downloads)', () => {
    const { pkg, ort, tmp } = globalLayout();
    spawnSync(process.execPath, ['scripts/preinstall.mjs'], { cwd: pkg, env: cleanEnvForTest() });
    const result = ortPostinstall(ort, { ONNXRUNTIME_NODE_INSTALL: 'cuda12' });
    assert.notEqual(result.status, 0, 'the download was attempted (and failed on the closed proxy)');
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('leaves a checkout of this project alone (its own npm ci denies the script in package.json)', () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-lint-preinstall-'));
    const pkg = path.join(tmp, 'latent-lint');
    fs.mkdirSync(path.join(pkg, 'scripts'), { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'scripts', 'preinstall.mjs'), path.join(pkg, 'scripts', 'preinstall.mjs'));
    const ort = path.join(pkg, 'node_modules', 'onnxruntime-node');
    fs.mkdirSync(path.join(ort, 'script'), { recursive: true });
    fs.writeFileSync(path.join(ort, 'package.json'), '{}');
    fs.writeFileSync(path.join(ort, 'script', 'install.js'), '// upstream\n');
    const pre = spawnSync(process.execPath, ['scripts/preinstall.mjs'], { cwd: pkg, encoding: 'utf8', env: cleanEnvForTest() });
    assert.equal(pre.status, 0, pre.stderr);
    assert.equal(fs.readFileSync(path.join(ort, 'script', 'install.js'), 'utf8'), '// upstream\n');
    const pkgJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean>; scripts: Record<string, string> };
    assert.equal(pkgJson.allowScripts['onnxruntime-node'], false);
    assert.equal(pkgJson.scripts.preinstall, 'node scripts/preinstall.mjs');
    assert.equal(fs.existsSync(path.join(ROOT, '.npmrc')), false, 'no .npmrc: npm warns about its unknown key on every script');
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
