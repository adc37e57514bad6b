#!/usr/bin/env node
// npm run package: production bundles, then dist/latent-lint-linux-x64.vsix through vsce.
//
// .vscodeignore is an allow-list. Two things it cannot say by itself, done here:
//  - which ONNX graphs ship. The model is staged into dist/model/smollm2-135m-instruct/ (hardlinks) with
//    a model_config.json that lists only the shipped graphs, and the runtime finds it there:
//      * the truncated `guard` scoring graph (KV-prefix interface) when it covers every layer
//        models/latent-guard.json reads: it scores, and the Latent Explorer explains on it (the same
//        graph, probes and positions as the diagnostic), as default, prefix and scoring graph; plus the
//        explorer's mediation graph derived from it (models/build_mediation.py) when built, unless --no-mediation,
//        and model.q4.onnx only when the guard file reads the full model's surprisal (its `surprisal` section),
//        and the int8 screen graph when the guard file has a margin for it (its `screen` section);
//        reference_graph names the fp32 graph the guard was calibrated on (not shipped);
//      * else the 30-layer KV-prefix graph alone (with an empty past it stands in for the plain graph);
//      * else (no prefix graph) the default graph alone;
//  - that everything the runtime loads is really there: checked before packing, and the packed list
//    is checked after (no other platform's binaries, no source maps, no graph that nothing loads).
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
// Where the packaged extension carries the model (server/src/latent/model-paths.ts PACKAGED_MODEL_DIR).
const STAGE_DIR = 'dist/model/smollm2-135m-instruct';
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

/** The deepest resid layer models/latent-guard.json reads (the runtime's own layersRead in latent/open-guard.ts, through tsx). */
function guardLayersRead() {
  const guardPath = path.join(ROOT, 'models', 'latent-guard.json');
  if (!fs.existsSync(guardPath)) return undefined;
  const script = [
    "const { layersRead } = require('./server/src/latent/open-guard.ts');",
    "const { parseGuardFile } = require('./server/src/latent/parse-guard-file.ts');",
    `const file = ${JSON.stringify(guardPath)};`,
    "console.log(layersRead(parseGuardFile(require('node:fs').readFileSync(file, 'utf8'), file)));",
  ].join('\n');
  const layers = Number(run(process.execPath, ['--import', 'tsx', '-e', script]).trim().split('\n').pop());
  if (!Number.isInteger(layers)) fail('could not read the layers latent-guard.json reads');
  return layers;
}

/** models/latent-guard.json's top-level section of this name (undefined without one). */
function guardSection(section) {
  const guardPath = path.join(ROOT, 'models', 'latent-guard.json');
  return fs.existsSync(guardPath) ? JSON.parse(fs.readFileSync(guardPath, 'utf8'))[section] : undefined;
}

/**
 * The graphs the extension ships (see above) and the packaged model_config.json that lists only them.
 * Returns { names, config }.
 */
function chooseGraphs() {
  const configPath = path.join(ROOT, MODEL_DIR, 'model_config.json');
  if (!fs.existsSync(configPath)) fail(`${MODEL_DIR}/model_config.json is missing: run npm run build:model first`);
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  const graphs = config.graphs ?? {};
  const reference = graphs[config.default_graph];
  if (!reference?.file) fail(`model_config.json names default graph "${config.default_graph}" but has no such graph`);
  const pick = (names, fields) => {
    for (const name of names) if (!graphs[name]?.file) fail(`model_config.json has no "${name}" graph`);
    const packed = { ...config, graphs: Object.fromEntries(names.map((name) => [name, graphs[name]])), ...fields };
    for (const key of ['prefix_graph', 'scoring_graph', 'mediation_graph', 'screen_graph']) if (packed[key] && !packed.graphs[packed[key]]) delete packed[key];
    return { names, config: packed };
  };
  const scoring = config.scoring_graph && graphs[config.scoring_graph];
  const read = guardLayersRead();
  // --ship guard: pack the guard graph alone even for a guard file that reads deeper (to measure the
  // package; that guard would then score only the layers it has, with a warning). --ship prefix: the full-depth prefix graph.
  const ship = process.argv.includes('--ship') ? process.argv[process.argv.indexOf('--ship') + 1] : undefined;
  if (ship && !['guard', 'prefix'].includes(ship)) fail(`--ship takes guard or prefix, not ${ship}`);
  if (scoring?.prefix && scoring.layers < config.n_layers && ship !== 'prefix') {
    if (ship === 'guard' && !(read !== undefined && read <= scoring.layers)) log(`WARNING: --ship guard, but latent-guard.json reads layer ${read}: this package does not score the layers above ${scoring.layers}`);
    if (ship === 'guard' || (read !== undefined && read <= scoring.layers)) {
      const name = config.scoring_graph;
      // The explorer's mediation graph (derived from this guard graph) ships beside it when built; --no-mediation leaves it out.
      const mediation = config.mediation_graph && graphs[config.mediation_graph]?.from === graphs[name].sha256 && !process.argv.includes('--no-mediation') ? [config.mediation_graph] : [];
      // A guard file with a `surprisal` section reads the full model's logits: the q4 graph carries them (the runtime looks for it by name).
      const logits = guardSection('surprisal') !== undefined && graphs.q4 ? ['q4'] : [];
      // The int8 screen ships when the guard file has a margin measured for it (its `screen` section).
      const screenName = guardSection('screen')?.graph;
      const screen = screenName && config.screen_graph === screenName && graphs[screenName] ? [screenName] : [];
      return pick([name, ...mediation, ...logits, ...screen], {
        default_graph: name,
        prefix_graph: name,
        scoring_graph: name,
        // The guard file's graphSha256 names the fp32 graph: the shipped graph computes its first layers exactly.
        reference_graph: { name: config.default_graph, file: reference.file, sha256: reference.sha256 },
      });
    }
    log(`note: latent-guard.json reads layer ${read ?? '?'} but the ${config.scoring_graph} graph stops at layer ${scoring.layers}: shipping the full-depth graph instead`);
  }
  if (config.prefix_graph && graphs[config.prefix_graph]) {
    // With an empty past the prefix graph stands in for the plain graph (explain), and scoring skips the template prefix.
    return pick([config.prefix_graph], {
      default_graph: config.prefix_graph,
      scoring_graph: config.prefix_graph,
      reference_graph: { name: config.default_graph, file: reference.file, sha256: reference.sha256 },
    });
  }
  return pick([config.default_graph], { scoring_graph: config.default_graph });
}

/** dist/model/<name>/: hardlinks of the shipped files (no 0.5 GB copies) and the packaged model_config.json. */
function stageModel({ names, config }) {
  const stage = path.join(ROOT, STAGE_DIR);
  fs.rmSync(stage, { recursive: true, force: true });
  fs.mkdirSync(stage, { recursive: true });
  const files = [...names.map((name) => config.graphs[name].file), config.tokenizer ?? 'tokenizer.json', 'tokenizer_config.json'];
  for (const file of files) {
    const from = path.join(ROOT, MODEL_DIR, file);
    if (!fs.existsSync(from)) {
      if (file === 'tokenizer_config.json') continue;
      fail(`${MODEL_DIR}/${file} is missing: run npm run build:model`);
    }
    try {
      fs.linkSync(from, path.join(stage, file));
    } catch {
      fs.copyFileSync(from, path.join(stage, file));
    }
  }
  fs.writeFileSync(path.join(stage, 'model_config.json'), JSON.stringify(config, null, 1) + '\n');
  return [...files.filter((file) => fs.existsSync(path.join(stage, file))), 'model_config.json'].map((file) => `${STAGE_DIR}/${file}`);
}

/** .vscodeignore as written (it allows the staged model folder; the graphs there are exactly the shipped ones). */
function writeIgnoreFile() {
  fs.mkdirSync(path.dirname(IGNORE_FILE), { recursive: true });
  fs.copyFileSync(path.join(ROOT, '.vscodeignore'), IGNORE_FILE);
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
const shipped = chooseGraphs();
const staged = stageModel(shipped);
log(`model graphs: ${shipped.names.map((name) => `${name} (${shipped.config.graphs[name].file}, ${shipped.config.graphs[name].layers} layers)`).join(', ')} -> ${STAGE_DIR}`);
writeIgnoreFile();

const required = [
  'package.json',
  'dist/client/extension.js',
  'dist/server/server.js',
  ...staged,
  'node_modules/onnxruntime-node/package.json',
  'node_modules/onnxruntime-node/dist/index.js',
  `node_modules/onnxruntime-node/bin/napi-v6/${TARGET.replace('-', '/')}/onnxruntime_binding.node`,
  'node_modules/onnxruntime-common/dist/cjs/index.js',
];
for (const optional of ['dist/server/latent-worker.js', 'models/latent-guard.json']) {
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
