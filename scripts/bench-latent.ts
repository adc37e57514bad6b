// npm run bench — the latent guard end to end, as the editor and the CLI use it: model load, a cold
// scan of real units through the worker, a warm re-scan (cache), one edited unit, and how long the
// main thread's event loop stalls meanwhile. Prints a table; run it once, on a quiet machine.
//
//   npx tsx scripts/bench-latent.ts [paths...] [--threads 2] [--mode worker|in-process] [--accuracy]
//
// Paths default to the repository's own prompt-like files (test fixtures, docs). --accuracy then runs
// the calibration's leave-one-source-out accuracy bench (`npm run calibrate -- --bench`, models/calibrate_concepts.py) on
// the committed models/latent-guard.json, so speed and accuracy come from one command.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../server/src/engine/engine';
import { LatentGuardService } from '../server/src/latent/guard';
import { scoredByGuard } from '../server/src/latent/scorer';
import { DEFAULT_MAX_USER_TOKENS as maxUserTokens } from '../server/src/latent/tokenizer';

/** "<|im_end|>\n<|im_start|>assistant\n": the template tokens after the user's text (SmolLM2's ChatML). */
const SUFFIX_TOKENS = 5;

const ROOT = path.resolve(__dirname, '..');

/** The instruction units `latent-lint check` would send to the guard, from files and folders. */
function collectUnits(paths: string[]): { file: string; text: string }[] {
  const engine = new Engine();
  const { files } = engine.collectFiles(paths);
  const units: { file: string; text: string }[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const document = engine.parse(file, text, true);
    for (const unit of document?.units ?? []) if (scoredByGuard(unit)) units.push({ file, text: unit.text });
  }
  return units;
}

const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};

/** Largest delay of a 10 ms timer while `work` runs: how long the caller's event loop was blocked. */
async function withLoopLag<T>(work: () => Promise<T>): Promise<{ result: T; lagMs: number }> {
  let worst = 0;
  let expected = performance.now() + 10;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - expected);
    expected = now + 10;
  }, 10);
  try {
    const result = await work();
    return { result, lagMs: worst };
  } finally {
    clearInterval(timer);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      threads: { type: 'string', default: '2' },
      mode: { type: 'string', default: 'worker' },
      accuracy: { type: 'boolean', default: false },
    },
  });
  const paths = positionals.length ? positionals : [path.join(ROOT, 'test', 'fixtures'), path.join(ROOT, 'docs'), path.join(ROOT, 'README.md')].filter((p) => fs.existsSync(p));
  const units = collectUnits(paths);
  const texts = units.map((unit) => unit.text);
  const unique = new Set(texts).size;
  // A fresh cache folder: the first scan is really cold, the second really warm. (The accuracy step
  // below gets the user's cache back: it reads the calibration's cached features and venv.)
  const userCache = process.env.LATENT_LINT_CACHE;
  process.env.LATENT_LINT_CACHE = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-bench-cache-'));
  const mode = values.mode === 'in-process' ? 'in-process' : 'worker';
  console.log(`# bench (latent guard, ${mode}) — ${units.length} units (${unique} distinct) from ${paths.map((p) => path.relative(ROOT, p) || '.').join(', ')}; ${os.cpus().length} CPUs, threads ${values.threads}, load avg ${os.loadavg()[0].toFixed(2)}`);

  const service = new LatentGuardService({ mode, threads: Number(values.threads) });
  try {
    let t0 = performance.now();
    const { result: state, lagMs: loadLag } = await withLoopLag(() => service.start());
    const loadMs = performance.now() - t0;
    if (state.status !== 'ready') throw new Error(state.status === 'failed' ? state.message : `state ${state.status}`);
    console.log(`model ${state.identity.modelName} (${state.identity.graph}), guard ${state.identity.guardSha256.slice(0, 12)}, threshold ${state.identity.threshold}`);
    console.log('');
    console.log('step | units | total ms | ms/unit | units/s | tokens/s | ms/unit p50 / p95 (batches of 16) | main-loop max stall ms');
    console.log('---|---|---|---|---|---|---|---');
    console.log(`load (session create) | – | ${loadMs.toFixed(0)} | – | – | – | – | ${loadLag.toFixed(0)}`);

    // Cold scan in requests of 16 (what the server sends for a file or two), to get a per-batch p50.
    const unitTimes: number[] = [];
    let tokens = 0;
    t0 = performance.now();
    const { lagMs: scanLag } = await withLoopLag(async () => {
      for (let i = 0; i < texts.length; i += 16) {
        const batch = texts.slice(i, i + 16);
        const start = performance.now();
        const scores = await service.scoreTexts(batch);
        if (batch.length === 16) unitTimes.push((performance.now() - start) / batch.length); // a short last batch is not a per-unit figure
        // Tokens the model read: the user's text (after truncation) and the template suffix; the prefix is cached.
        for (const score of scores) tokens += Math.min(score.tokens, maxUserTokens) + SUFFIX_TOKENS;
      }
    });
    const coldMs = performance.now() - t0;
    console.log(`cold scan | ${texts.length} | ${coldMs.toFixed(0)} | ${(coldMs / texts.length).toFixed(1)} | ${((1000 * texts.length) / coldMs).toFixed(1)} | ${((1000 * tokens) / coldMs).toFixed(0)} | ${percentile(unitTimes, 0.5).toFixed(1)} / ${percentile(unitTimes, 0.95).toFixed(1)} | ${scanLag.toFixed(0)}`);

    t0 = performance.now();
    await service.scoreTexts(texts);
    const warmMs = performance.now() - t0;
    console.log(`warm re-scan (cache) | ${texts.length} | ${warmMs.toFixed(1)} | ${(warmMs / texts.length).toFixed(3)} | ${((1000 * texts.length) / warmMs).toFixed(0)} | – | – | –`);

    const edited = [...texts.slice(0, 15), `${texts[0] ?? 'An edited paragraph of a prompt file'} (edited)`];
    t0 = performance.now();
    await service.scoreTexts(edited);
    const editMs = performance.now() - t0;
    console.log(`one edited unit among 16 | 16 | ${editMs.toFixed(0)} | – | – | – | – | –`);
    console.log('');
    console.log(`cache: ${service.cacheStats.hits} hits, ${service.cacheStats.misses} misses; peak RSS of this process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB${mode === 'worker' ? ' (the model lives in the worker thread, same process)' : ''}`);
  } finally {
    await service.dispose();
  }

  if (values.accuracy) {
    console.log('\n# accuracy, leave-one-source-out (models/calibrate_concepts.py --bench)');
    const env = { ...process.env };
    if (userCache === undefined) delete env.LATENT_LINT_CACHE;
    else env.LATENT_LINT_CACHE = userCache;
    const run = spawnSync('npm', ['run', 'calibrate', '--', '--bench'], { cwd: ROOT, stdio: 'inherit', env });
    if (run.status !== 0) process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    console.error(`bench failed: ${error.message}`);
    process.exitCode = 1;
  });
}
