#!/usr/bin/env node
// End-to-end tests in a real VS Code: code-server (VS Code for the browser, real Node extension host)
// driven by playwright-core and Debian's Chromium. See ../shared/e2e/RECIPE.md for the method.
//
//  1. install, if missing, Chromium (apt), Node 24 and code-server (npm) into $LATENT_LINT_CACHE/e2e
//  2. bundle the extension-host tests (test/e2e/suite → out/test/e2e) and, unless testing a .vsix, the extension
//  3. start code-server on a free port; always stop its process group at the end
//  4. extension-host tests: mocha inside the extension host, via the `extensionTestsPath` payload
//  5. UI tests, after a restart without the smoke-test driver (it hides every notification toast):
//     Problems panel, toasts, quick-fixes, explorer webview; screenshots under test-results/e2e/
//
// Env: LATENT_LINT_E2E_VSIX=path  install that .vsix for the UI tests (CI does, after `npm run package`);
//      otherwise the UI tests get this folder linked in as an installed extension (the extension-host
//      tests load it through the development payload).
//      LATENT_LINT_E2E_KEEP=1 keeps the temp workspace and logs.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CodeServer } from './lib/code-server.mjs';
import { CHROMIUM, ensureInstalled } from './lib/install.mjs';
import { modelMissingTests, uiTests } from './ui.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT = path.join(ROOT, 'out', 'test', 'e2e');
const RESULTS = path.join(ROOT, 'test-results', 'e2e');
const FIXTURE_WORKSPACE = path.join(ROOT, 'test', 'e2e', 'fixtures', 'workspace');
const EXTENSION_TESTS_TIMEOUT = 240_000;

const started = Date.now();
const log = (message) => console.log(`  [${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);

/** @type {{suite: string, title: string, passed: boolean, durationMs: number, error?: string}[]} */
const results = [];

async function test(suite, title, body) {
  const t0 = Date.now();
  try {
    await body();
    results.push({ suite, title, passed: true, durationMs: Date.now() - t0 });
  } catch (error) {
    results.push({ suite, title, passed: false, durationMs: Date.now() - t0, error: error?.stack ?? String(error) });
  }
}

function report() {
  console.log('');
  let suite;
  let failureNumber = 0;
  for (const result of results) {
    if (result.suite !== suite) {
      suite = result.suite;
      console.log(`  ${suite}`);
    }
    const ms = result.durationMs >= 75 ? ` (${result.durationMs}ms)` : '';
    console.log(result.passed ? `    ✔ ${result.title}${ms}` : `    ${++failureNumber}) ${result.title}`);
  }
  const failed = results.filter((result) => !result.passed);
  console.log(`\n  ${results.length - failed.length} passing (${((Date.now() - started) / 1000).toFixed(0)}s)`);
  if (failed.length > 0) console.log(`  ${failed.length} failing`);
  failed.forEach((result, index) => {
    console.log(`\n  ${index + 1}) ${result.suite}\n       ${result.title}:`);
    console.log(String(result.error).split('\n').slice(0, 12).map((line) => `     ${line}`).join('\n'));
  });
  console.log(`\n${results.length - failed.length} passed, ${failed.length} failed`);
  return failed.length === 0 && results.length > 0;
}

function runNode(args, what) {
  const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status})`);
}

async function bundleExtensionTests() {
  const require = createRequire(path.join(ROOT, 'package.json'));
  const esbuild = require('esbuild');
  const suite = path.join(ROOT, 'test', 'e2e', 'suite');
  const entryPoints = fs.readdirSync(suite).filter((name) => name === 'index.ts' || name.endsWith('.test.ts')).map((name) => path.join(suite, name));
  fs.rmSync(OUT, { recursive: true, force: true });
  await esbuild.build({
    entryPoints,
    outdir: OUT,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
    // vscode is the host's; mocha resolves from this checkout's node_modules at run time.
    external: ['vscode', 'mocha'],
  });
}

function copyWorkspace(tmp, name) {
  const target = path.join(tmp, name);
  fs.cpSync(FIXTURE_WORKSPACE, target, { recursive: true });
  return target;
}

const BROWSER_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function launchBrowser(tmp, name) {
  const { chromium } = createRequire(path.join(ROOT, 'package.json'))('playwright-core');
  const profile = path.join(tmp, `chromium-${name}`);
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: BROWSER_ARGS,
  });
}

const workspaceUrl = (server, workspace, payload) =>
  `${server.url}/?folder=${encodeURIComponent(workspace)}` + (payload ? `&payload=${encodeURIComponent(JSON.stringify(payload))}` : '');

async function extensionHostTests(server, tmp) {
  const suite = 'extension host';
  const resultsFile = path.join(OUT, 'results.json');
  fs.rmSync(resultsFile, { force: true });
  const workspace = copyWorkspace(tmp, 'workspace-extension-host');
  const context = await launchBrowser(tmp, 'extension-host');
  const consoleLines = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
    let exitCode;
    const exited = new Promise((resolve) => page.exposeFunction('codeAutomationExit', (code) => resolve((exitCode = code))));
    await page.goto(workspaceUrl(server, workspace, [
      ['extensionDevelopmentPath', server.remoteUri(ROOT)],
      ['extensionTestsPath', server.remoteUri(path.join(OUT, 'index.js'))],
    ]));
    log('extension-host tests started');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, EXTENSION_TESTS_TIMEOUT))]);
    log(`extension-host tests exited with ${exitCode ?? 'nothing (timed out)'}`);
    const hostResults = fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : [];
    for (const result of hostResults) results.push({ ...result, suite: `${suite} › ${result.suite}` });
    // The exit code can disagree with the per-test results (a broken bundle, a hook, a hang, no tests): a failure.
    if (hostResults.length === 0 || (exitCode !== 0 && hostResults.every((result) => result.passed))) {
      results.push({ suite, title: 'the extension-host run', passed: false, durationMs: 0,
        error: `exit code ${exitCode ?? `none within ${EXTENSION_TESTS_TIMEOUT / 1000} s`}, ${hostResults.length} test results; see test-results/e2e/extension-host-console.log` });
    }
  } finally {
    fs.writeFileSync(path.join(RESULTS, 'extension-host-console.log'), consoleLines.join('\n') + '\n');
    await context.close();
  }
}

async function main() {
  // Only this run's screenshots and logs: a stale picture would mislead whoever looks at it.
  fs.rmSync(RESULTS, { recursive: true, force: true });
  fs.mkdirSync(RESULTS, { recursive: true });
  const paths = ensureInstalled((message) => log(message));
  log('tools ready (Chromium, Node 24, code-server)');

  const vsix = process.env.LATENT_LINT_E2E_VSIX ? path.resolve(process.env.LATENT_LINT_E2E_VSIX) : undefined;
  if (vsix && !fs.existsSync(vsix)) throw new Error(`LATENT_LINT_E2E_VSIX=${vsix} does not exist (run npm run package)`);
  // With a .vsix the bundles are the production ones it was packed from; otherwise build them fresh.
  if (!vsix) runNode([path.join(ROOT, 'scripts', 'build.mjs')], 'building the bundles');
  await bundleExtensionTests();
  log('bundles ready');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-lint-e2e-'));
  const server = new CodeServer({ paths, stateDir: path.join(tmp, 'code-server') });
  const stopOnSignal = (signal) => {
    server.stopNow();
    console.error(`\ninterrupted by ${signal}; code-server stopped`);
    process.exit(130);
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  process.on('exit', () => server.stopNow());
  try {
    if (vsix) {
      await test('packaging', `installs ${path.relative(ROOT, vsix)} into code-server`, async () => {
        log(server.installExtension(vsix).split('\n').pop());
      });
    }
    await server.start();
    log(`code-server listening on ${server.url}`);

    await extensionHostTests(server, tmp);
    // The UI tests look at notification toasts, which the smoke-test driver hides (VS Code's
    // NotificationsToasts shows none under it). Without the driver a built workbench ignores the
    // development payload, so this folder is linked in as an installed extension instead.
    await server.stop();
    if (!vsix) log(`linked ${path.relative(ROOT, server.linkExtension(ROOT)) || ROOT} as an installed extension`);
    await server.start({ smokeTestDriver: false });
    log(`code-server listening on ${server.url} (no smoke-test driver: toasts show as they do for users)`);

    const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const workspace = copyWorkspace(tmp, 'workspace-ui');
    const context = await launchBrowser(tmp, 'ui');
    try {
      await uiTests({
        context,
        url: workspaceUrl(server, workspace),
        workspace,
        shots: RESULTS,
        packageJson,
        installed: Boolean(vsix),
        test: (title, body) => test(vsix ? 'UI (installed .vsix)' : 'UI', title, body),
        log,
      });
    } finally {
      await context.close();
    }

    // A new window (its own browser profile: nothing restored) on an install whose model is gone.
    const installedDir = vsix ? fs.readdirSync(server.extensionsDir).find((name) => name.startsWith(`${packageJson.publisher}.${packageJson.name}-`)) : undefined;
    const extensionRoot = installedDir ? path.join(server.extensionsDir, installedDir) : ROOT;
    const missingContext = await launchBrowser(tmp, 'model-missing');
    try {
      await modelMissingTests({
        context: missingContext,
        url: workspaceUrl(server, copyWorkspace(tmp, 'workspace-model-missing')),
        shots: RESULTS,
        packageJson,
        installed: Boolean(vsix),
        extensionRoot,
        test: (title, body) => test(vsix ? 'UI, model missing (installed .vsix)' : 'UI, model missing', title, body),
        log,
      });
    } finally {
      await missingContext.close();
    }
  } finally {
    await server.stop();
    log('code-server stopped');
    if (fs.existsSync(server.logFile)) fs.copyFileSync(server.logFile, path.join(RESULTS, 'code-server.log'));
    if (process.env.LATENT_LINT_E2E_KEEP === '1') log(`kept ${tmp}`);
    else fs.rmSync(tmp, { recursive: true, force: true });
  }
}

let ok = false;
try {
  await main();
  ok = report();
} catch (error) {
  results.push({ suite: 'harness', title: 'sets up and runs the e2e suite', passed: false, durationMs: 0, error: error?.stack ?? String(error) });
  report();
}
process.exit(ok ? 0 : 1);
