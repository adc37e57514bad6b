// What the language server says about the model, for a user who can act on it: the load is logged
// (start, graph files and sizes, time taken, failure); a missing model makes the guard "rules only"
// with a reason that fits the install (a .vsix has no npm project); when the files come back the
// guard loads without a reload (watched), or at once on Retry.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { requireTinyModel, tempDir, TINY_DIR, writeTinyGuard } from '../latent/tiny';
import { assertBuilt, ROOT, TestClient, tempWorkspace } from './client';

interface ModelStateParams {
  state: string;
  reason?: string;
  model?: string;
}

const states = (client: TestClient): ModelStateParams[] =>
  client.notifications.filter((n) => n.method === 'latentLint/modelState').map((n) => n.params as ModelStateParams);

async function waitFor<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const copyTiny = (dir: string): void => {
  for (const file of fs.readdirSync(TINY_DIR)) fs.copyFileSync(path.join(TINY_DIR, file), path.join(dir, file));
};

describe('model state over LSP (missing model, recovery, log)', function () {
  this.timeout(60_000);
  let workspace: string;
  let guardPath: string;
  let cacheDir: string;
  let modelDir: string;
  let client: TestClient | undefined;

  before(() => {
    assertBuilt();
    requireTinyModel();
    guardPath = writeTinyGuard(7);
    cacheDir = tempDir('latent-lint-cache-');
  });

  beforeEach(() => {
    workspace = tempWorkspace();
    modelDir = tempDir('latent-lint-model-');
  });

  afterEach(async () => {
    await client?.stop();
    client = undefined;
    fs.rmSync(workspace, { recursive: true, force: true });
    fs.rmSync(modelDir, { recursive: true, force: true });
  });

  after(() => {
    fs.rmSync(path.dirname(guardPath), { recursive: true, force: true });
    fs.rmSync(cacheDir, { recursive: true, force: true });
  });

  it('logs the failed load, says rules only, and loads by itself when the model files come back', async () => {
    client = new TestClient({ env: { LATENT_LINT_MODEL_DIR: modelDir, LATENT_LINT_GUARD: guardPath, LATENT_LINT_CACHE: cacheDir, LATENT_LINT_MODEL_WATCH_MS: '100' } });
    await client.initialize(workspace);
    const missing = await waitFor('rules-only', () => states(client!).find((s) => s.state === 'rules-only'));
    assert.match(missing.reason ?? '', new RegExp(`${modelDir.replace(/[/\\.]/g, '\\$&')}.*model_config\\.json is missing`));
    const logs = (): string => client!.logs.join('\n');
    await waitFor('the watch log line', () => /Latent guard: watching/.test(logs()));
    assert.match(logs(), /Latent guard: loading the model: /);
    assert.match(logs(), /Latent guard: not loaded \(after \d+\.\d s\); policy rules only until it loads: .*model_config\.json is missing/);

    // The model comes back; no request, no reload.
    copyTiny(modelDir);
    const ready = await waitFor('ready', () => states(client!).find((s) => s.state === 'ready'));
    assert.ok(ready.model, 'the ready state names the model');
    assert.match(logs(), /Latent guard: the model files changed; loading again/);
    // The second load names the graph file it reads, with its size, and how long it took.
    const graphLine = client.logs.filter((line) => line.startsWith('Latent guard: loading the model: ')).pop() ?? '';
    assert.match(graphLine, new RegExp(`${path.join(modelDir, 'model').replace(/[/\\.]/g, '\\$&')}[.a-z]*\\.onnx \\(\\d+\\.\\d MB\\)`));
    assert.match(logs(), /Latent guard: ready in \d+\.\d s: /);
  });

  it('loads at once on Retry (latentLint/retryModel), without waiting for the watch', async () => {
    client = new TestClient({ env: { LATENT_LINT_MODEL_DIR: modelDir, LATENT_LINT_GUARD: guardPath, LATENT_LINT_CACHE: cacheDir, LATENT_LINT_MODEL_WATCH_MS: '3600000' } });
    await client.initialize(workspace);
    await waitFor('rules-only', () => states(client!).find((s) => s.state === 'rules-only'));
    assert.equal(((await client.connection.sendRequest('latentLint/retryModel')) as ModelStateParams).state, 'rules-only');
    copyTiny(modelDir);
    assert.equal(((await client.connection.sendRequest('latentLint/retryModel')) as ModelStateParams).state, 'ready');
  });

  it('in an installed .vsix, names the extension\'s own dist/model folder and never tells the user to run npm', async () => {
    // The .vsix layout: package.json, the bundles under dist/, models/latent-guard.json; no scripts/, no dist/model here.
    const ext = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-lint-vsix-'));
    fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(ext, 'package.json'));
    fs.mkdirSync(path.join(ext, 'dist', 'server'), { recursive: true });
    for (const bundle of ['server.js', 'latent-worker.js']) fs.copyFileSync(path.join(ROOT, 'dist', 'server', bundle), path.join(ext, 'dist', 'server', bundle));
    fs.mkdirSync(path.join(ext, 'models'));
    fs.copyFileSync(guardPath, path.join(ext, 'models', 'latent-guard.json'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(ext, 'node_modules'));
    try {
      const env: Record<string, string> = { LATENT_LINT_CACHE: cacheDir, LATENT_LINT_MODEL_WATCH_MS: '100' };
      // The server must not find this checkout's model through the environment of the test run.
      for (const name of ['LATENT_LINT_MODEL_DIR', 'LATENT_LINT_GUARD']) env[name] = '';
      client = new TestClient({ server: path.join(ext, 'dist', 'server', 'server.js'), env });
      await client.initialize(workspace);
      const missing = await waitFor('rules-only', () => states(client!).find((s) => s.state === 'rules-only'));
      const packaged = path.join(ext, 'dist', 'model', 'smollm2-135m-instruct');
      assert.match(missing.reason ?? '', new RegExp(`model folder ${packaged.replace(/[/\\.]/g, '\\$&')} not found`));
      assert.match(missing.reason ?? '', /reinstall the extension \(\.vsix\)/);
      assert.doesNotMatch(missing.reason ?? '', /npm/);

      // The model arrives in dist/model (what reinstalling puts there): the guard loads by itself.
      fs.mkdirSync(packaged, { recursive: true });
      copyTiny(packaged);
      await waitFor('ready', () => states(client!).find((s) => s.state === 'ready'));
    } finally {
      await client?.stop();
      client = undefined;
      fs.rmSync(ext, { recursive: true, force: true });
    }
  });
});
