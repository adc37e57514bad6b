#!/usr/bin/env node
// npm run package: production bundles, then dist/latent-lint-linux-x64.vsix through vsce.
//
// .vscodeignore is an allow-list. Two things it cannot say by itself, done here:
//  - which ONNX graph ships: the KV-prefix graph when model_config.json names one (it has the default
//    graph's weights and, with an empty past, stands in for it: one graph, and scoring skips the chat
//    template's fixed prefix), else the default_graph (never two graphs);
//  - that everything the runtime loads is really there: checked before packing, and the packed list
//    is checked after (no other platform's binaries, no source maps).
// vsce runs without --no-dependencies on purpose: with it, vsce 3.x never collects anything under the
// top-level node_modules, so the onnxruntime allow-list lines would match nothing.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TARGET = 'linux-x64';
const OUT = path.join(ROOT, 'dist', `latent-lint-${TARGET}.vsix`);
const MODEL_DIR = 'models/build/smollm2-135m-instruct';
const IGNORE_FILE = path.join(ROOT, 'out', 'package', 'vscodeignore');
const VSCE = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');

const log = (message) => console.log(`[package] ${message}`);
const fail = (message) => {
  console.error(`[package] FAILED: ${message}`);
  process.exit(1);
};

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20 });
  if (result.status !== 0) fail(`${path.basename(command)} ${args.join(' ')} exited ${result.status}\n${result.stdout}`);
  return result.stdout;
}

/** The one graph the extension ships: the prefix graph if built (see above), else the default graph. */
function defaultGraph() {
  const configPath = path.join(ROOT, MODEL_DIR, 'model_config.json');
  if (!fs.existsSync(configPath)) fail(`${MODEL_DIR}/model_config.json is missing: run npm run build:model first`);
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const name = config.prefix_graph && config.graphs?.[config.prefix_graph] ? config.prefix_graph : config.default_graph;
  const graph = config.graphs?.[name];
  if (!graph?.file) fail(`model_config.json names graph "${name}" but has no such graph`);
  return { name, file: `${MODEL_DIR}/${graph.file}`, tokenizer: `${MODEL_DIR}/${config.tokenizer ?? 'tokenizer.json'}` };
}

/** .vscodeignore with the graph lines replaced by the default graph's. */
function writeIgnoreFile(graphFile) {
  const graphLine = /^!models\/build\/smollm2-135m-instruct\/[^/]*\.onnx(\.data)?$/;
  const lines = fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').split('\n').filter((line) => !graphLine.test(line.trim()));
  lines.push(`!${graphFile}`);
  // An external-data graph keeps its weights beside it.
  if (fs.existsSync(path.join(ROOT, `${graphFile}.data`))) lines.push(`!${graphFile}.data`);
  fs.mkdirSync(path.dirname(IGNORE_FILE), { recursive: true });
  fs.writeFileSync(IGNORE_FILE, lines.join('\n') + '\n');
}

function checkPackedFiles(files, required) {
  const missing = required.filter((file) => !files.includes(file));
  if (missing.length > 0) fail(`the package would lack: ${missing.join(', ')}`);
  const unwanted = files.filter(
    (file) =>
      file.endsWith('.map') ||
      file.endsWith('.d.ts') ||
      (/^node_modules\/onnxruntime-node\/bin\//.test(file) && !file.includes(`/linux/x64/`)) ||
      (/\.onnx(\.data)?$/.test(file) && !required.some((needed) => file === needed || file === `${needed}.data`)),
  );
  if (unwanted.length > 0) fail(`the package would carry files nothing runs: ${unwanted.join(', ')}`);
}

/** secretlint's recommended preset (what vsce runs) over every packed text file. */
async function scanForSecrets(files) {
  const { lintSource } = await import('@secretlint/core');
  const { creator: recommended } = await import('@secretlint/secretlint-rule-preset-recommend');
  const config = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }] };
  const found = [];
  for (const file of files.filter((name) => !name.startsWith('node_modules/') && /\.(js|json|md|txt|css|html)$/.test(name))) {
    const content = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const result = await lintSource({ source: { filePath: file, content, contentType: 'text' }, options: { config } });
    for (const message of result.messages) found.push(`${file}: ${message.message}`);
  }
  if (found.length > 0) fail(`secrets in the package:\n  ${found.join('\n  ')}`);
  if (files.some((name) => /(^|\/)\.env(\.|$)/.test(name))) fail('a .env file would be packed');
}

const started = Date.now();
// Stale dev source maps would not ship (the allow-list skips them), but the bundles must be the production ones.
run(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), '--production']);
const graph = defaultGraph();
log(`model graph: ${graph.name} (${graph.file})`);
writeIgnoreFile(graph.file);

const required = [
  'package.json',
  'dist/client/extension.js',
  'dist/server/server.js',
  `${MODEL_DIR}/model_config.json`,
  graph.tokenizer,
  graph.file,
  'node_modules/onnxruntime-node/package.json',
  'node_modules/onnxruntime-node/dist/index.js',
  `node_modules/onnxruntime-node/bin/napi-v6/${TARGET.replace('-', '/')}/onnxruntime_binding.node`,
  'node_modules/onnxruntime-common/dist/cjs/index.js',
];
for (const optional of ['dist/server/latent-worker.js', 'models/latent-guard.json', `${MODEL_DIR}/tokenizer_config.json`]) {
  if (fs.existsSync(path.join(ROOT, optional))) required.push(optional);
  else log(`note: ${optional} does not exist yet, so it is not packed`);
}

const files = run(VSCE, ['ls', '--ignoreFile', IGNORE_FILE]).split('\n').map((line) => line.trim()).filter(Boolean);
checkPackedFiles(files, required);

fs.rmSync(OUT, { force: true });
await scanForSecrets(files);
// No repository URL yet: README links stay as written rather than being rewritten to a guessed host.
// vsce's own secret scan reads every file into one string and dies on a 0.5 GB graph: scanForSecrets
// above does that job for the text files instead.
run(VSCE, ['package', '--ignoreFile', IGNORE_FILE, '--target', TARGET, '--allow-missing-repository', '--no-rewrite-relative-links',
  '--allow-package-all-secrets', '--allow-package-env-file', '--out', OUT]);
const bytes = (file) => fs.statSync(path.join(ROOT, file)).size;
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const biggest = files.map((file) => ({ file, size: bytes(file) })).sort((a, b) => b.size - a.size).slice(0, 4);
log(`${path.relative(ROOT, OUT)}: ${mb(fs.statSync(OUT).size)} (${files.length} files, ${mb(files.reduce((sum, file) => sum + bytes(file), 0))} unpacked) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const { file, size } of biggest) log(`  ${mb(size).padStart(9)}  ${file}`);
