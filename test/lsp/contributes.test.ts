// package.json `contributes` is generated from the rule registry; it must not drift from it.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfigText } from '../../server/src/engine/config';
import { Engine } from '../../server/src/engine/engine';
import { COMMANDS } from '../../server/src/protocol/messages';
import { CONFIG_TEMPLATE } from '../../src/configTemplate';

const ROOT = path.resolve(__dirname, '..', '..');

interface Contributes {
  commands: { command: string; title: string; category: string }[];
  configuration: { properties: Record<string, { properties?: Record<string, unknown> }> };
}

describe('package.json contributes', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { contributes: Contributes };

  it('matches what scripts/gen-contributes.mjs generates from the rule registry', async () => {
    const generator = (await import(path.join(ROOT, 'scripts', 'gen-contributes.mjs'))) as {
      ruleMetas(): Promise<unknown[]>;
      contributes(metas: unknown[]): Partial<Contributes>;
    };
    const expected = generator.contributes(await generator.ruleMetas());
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(pkg.contributes[key as keyof Contributes], value, `contributes.${key} is stale: run node scripts/gen-contributes.mjs`);
    }
  });

  it('has a severity setting for every rule the engine knows', () => {
    const settings = pkg.contributes.configuration.properties['latentLint.rules'].properties ?? {};
    for (const meta of new Engine().ruleMetas()) assert.ok(settings[meta.id], `no latentLint.rules setting for ${meta.id}`);
  });

  it('contributes every command the client registers, under the Latent Lint category', () => {
    const contributed = new Map(pkg.contributes.commands.map((command) => [command.command, command]));
    for (const id of Object.values(COMMANDS)) {
      assert.equal(contributed.get(id)?.category, 'Latent Lint', `${id} is not contributed`);
    }
  });

  it('writes a configuration template the engine accepts', () => {
    const layer = parseConfigText('.latentlint.yaml', CONFIG_TEMPLATE, new Set(new Engine().ruleMetas().map((meta) => meta.id)));
    assert.equal(layer.root, true);
    assert.deepEqual(layer.rules, {});
  });
});
