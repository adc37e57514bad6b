// package.json `contributes` is generated from the rule registry, and `activationEvents`, the client's
// document selector and the README's list of files from the format registry; none may drift.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseConfigText } from '../../server/src/engine/config';
import { Engine } from '../../server/src/engine/engine';
import { COMMANDS } from '../../server/src/protocol/messages';
import { CONFIG_TEMPLATE } from '../../src/configTemplate';
import { CONTENT_LANGUAGES, DOCUMENT_PATTERNS } from '../../src/documentPatterns';
import { FORMATS } from '../../server/src/formats';
import { VERSION } from '../../server/src/version';

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

  it('activates on, sends and lists (README) the files the format registry reads: generated, not kept by hand', async () => {
    const generator = (await import(path.join(ROOT, 'scripts', 'gen-contributes.mjs'))) as {
      formats(): Promise<{ id: string; patterns: string[]; languages: string[]; sniffsContent: boolean }[]>;
      activationEvents(list: unknown[]): string[];
      documentPatternsSource(list: unknown[]): string;
      readmeWithFormats(readme: string, list: unknown[]): string;
      PATTERNS_FILE: string;
    };
    const list = await generator.formats();
    assert.deepEqual(list.map((format) => format.id), FORMATS.map((format) => format.id));
    const stale = 'is stale: run node scripts/gen-contributes.mjs';
    assert.deepEqual((pkg as unknown as { activationEvents: string[] }).activationEvents, generator.activationEvents(list), `activationEvents ${stale}`);
    assert.equal(fs.readFileSync(path.join(ROOT, generator.PATTERNS_FILE), 'utf8'), generator.documentPatternsSource(list), `${generator.PATTERNS_FILE} ${stale}`);
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    assert.equal(readme, generator.readmeWithFormats(readme, list), `README.md's list of files ${stale}`);
    // What the client sends covers every format's names, and the JSON the tool formats sniff.
    for (const format of FORMATS) {
      for (const pattern of format.patterns) assert.ok(DOCUMENT_PATTERNS.includes(pattern), `${format.id}: ${pattern} is not sent`);
      if (format.sniffsContent) for (const language of format.languages) assert.ok(CONTENT_LANGUAGES.includes(language), `${format.id}: ${language} is not sent`);
    }
  });

  it('has one version, read from package.json by the server and the CLI (no source spells it)', () => {
    const { version } = pkg as unknown as { version: string };
    assert.equal(VERSION, version);
    const sources = ['server/src', 'src'].flatMap((dir) =>
      fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts')).map((file) => path.join(dir, file)),
    );
    const spelled = sources.filter((file) => fs.readFileSync(path.join(ROOT, file), 'utf8').includes(`'${version}'`));
    assert.deepEqual(spelled, []);
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
