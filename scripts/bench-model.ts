// npm run bench:model — how fast the latent guard's forward pass runs on this machine, and how close it
// gets to the machine's own matmul rate (the floor). Prints a table; run it once, on a quiet machine.
//
//   npx tsx scripts/bench-model.ts [--threads 2] [--runs 7] [--model-dir DIR]
//
// Units are 64 user tokens each, wrapped in the chat template (so ~100 tokens per sequence).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { cpuInt8Support } from '../server/src/latent/cpu-features';
import { LatentRuntime } from '../server/src/latent/runtime';
import type { ModelConfig } from '../server/src/latent/model-files';
import type { Prompt } from '../server/src/latent/tokenizer';
import { matmulRate } from './matmul-probe';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    runs: { type: 'string', default: '7' },
    'model-dir': { type: 'string' },
    'user-tokens': { type: 'string', default: '64' },
  },
});
const THREADS = Number(values.threads);
const RUNS = Number(values.runs);
const USER_TOKENS = Number(values['user-tokens']);
const MODEL_DIR = values['model-dir'] ?? path.resolve(__dirname, '..', 'models', 'build', 'smollm2-135m-instruct');

const SAMPLE =
  'Please review the following deployment checklist carefully and summarise every step that touches production data, ' +
  'including database migrations, cache invalidation, feature flags and the rollback plan, then list the owners of each ' +
  'step and any approvals that are still missing before Friday, and suggest two improvements for the next release.';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** FLOPs of one forward pass over `seq` tokens per row (projections + attention; logits are not fetched). */
function forwardFlops(config: ModelConfig, seq: number, batch: number): number {
  const qDim = config.n_heads * config.head_dim;
  const perTokenPerLayer = (2 * matmulParams(config)) / config.n_layers;
  // Scores and weighted sum over the full (masked, not skipped) T×T square.
  const attentionPerLayer = 2 * 2 * seq * seq * qDim;
  return batch * config.n_layers * (seq * perTokenPerLayer + attentionPerLayer);
}

function unitPrompts(runtime: LatentRuntime, count: number): Prompt[] {
  const tokenizer = runtime.tokenizer;
  const ids = tokenizer.encode(SAMPLE.repeat(4));
  const prompts: Prompt[] = [];
  for (let i = 0; i < count; i++) {
    // Different text per unit (a rotating window), all exactly USER_TOKENS long.
    const user = ids.slice(i % 8, (i % 8) + USER_TOKENS);
    const base = tokenizer.build('x');
    const prefix = base.ids.slice(0, base.userStart);
    const suffix = base.ids.slice(base.userEnd);
    const all = [...prefix, ...user, ...suffix];
    prompts.push({ ...base, ids: all, userEnd: prefix.length + user.length, tInst: prefix.length + user.length - 1, tPostInst: all.length - 1, userTokens: user.length });
  }
  return prompts;
}

async function main(): Promise<void> {
  const configPath = path.join(MODEL_DIR, 'model_config.json');
  if (!fs.existsSync(configPath)) throw new Error(`${configPath} is missing: run \`npm run build:model\``);
  const config = JSON.parse(fs.readFileSync(configPath, 'utf8')) as ModelConfig;
  console.log(`# bench:model — ${config.name}, ${config.n_layers} layers, hidden ${config.hidden_size}; ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), intra-op threads ${THREADS}, ${RUNS} runs, load avg ${os.loadavg()[0].toFixed(2)}`);

  const probe = Math.max(await matmulRate(1024, 576, 1536, THREADS, RUNS), await matmulRate(1024, 1536, 576, THREADS, RUNS));
  console.log(`matmul probe (onnxruntime MatMul 1024×576×1536, ${THREADS} threads): ${(probe / 1e9).toFixed(1)} GFLOP/s`);
  console.log('');
  console.log('graph | file MB | load ms | batch | seq | ms/batch p50 | ms/unit | floor ms/unit | tokens/s | GFLOP/s | util vs probe');
  console.log('---|---|---|---|---|---|---|---|---|---|---');
  let unitFlops = 0;
  let unitSeq = 0;
  for (const [graph, entry] of Object.entries(config.graphs)) {
    if (graph === config.prefix_graph || entry.prefix) continue; // needs past keys/values: its own rows below
    const t0 = performance.now();
    const runtime = LatentRuntime.open({ modelDir: MODEL_DIR, graph, withoutGuard: true, threads: THREADS, batchSize: 16, batchTokens: 16 * 256, verify: false });
    await runtime.load();
    const loadMs = performance.now() - t0;
    for (const batch of [1, 16]) {
      const prompts = unitPrompts(runtime, batch);
      const seq = prompts[0].ids.length;
      await runtime.forward(prompts, (p) => [p.tInst, p.tPostInst], ['resid']);
      const times: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        const start = performance.now();
        await runtime.forward(prompts, (p) => [p.tInst, p.tPostInst], ['resid']);
        times.push(performance.now() - start);
      }
      const ms = median(times);
      const flops = forwardFlops({ ...config, n_layers: entry.layers }, seq, batch);
      const rate = flops / (ms / 1000);
      unitFlops = flops / batch;
      unitSeq = seq;
      // The floor: this unit's FLOPs at the machine's measured matmul rate.
      const floorMs = (1000 * unitFlops) / probe;
      console.log(
        `${graph} | ${(entry.bytes / 1e6).toFixed(0)} | ${loadMs.toFixed(0)} | ${batch} | ${seq} | ${ms.toFixed(1)} | ${(ms / batch).toFixed(1)} | ${floorMs.toFixed(1)} | ${((batch * seq) / (ms / 1000)).toFixed(0)} | ${(rate / 1e9).toFixed(1)} | ${((100 * rate) / probe).toFixed(0)}%`,
      );
    }
    await runtime.release();
  }
  if (config.prefix_graph && config.graphs[config.prefix_graph]) {
    // The scoring path: the chat template's fixed prefix computed once (in load), each unit runs only its own tokens.
    const runtime = LatentRuntime.open({ modelDir: MODEL_DIR, withoutGuard: true, threads: THREADS, batchSize: 16, batchTokens: 16 * 256, verify: false });
    const rows = await prefixRuns(runtime);
    const entry = config.graphs[config.prefix_graph];
    for (const row of rows) {
      const flops = forwardFlops({ ...config, n_layers: entry.layers }, row.seq, row.batch); // new tokens only (attention to the prefix not counted)
      const rate = flops / (row.p50 / 1000);
      const floorMs = (1000 * (flops / row.batch)) / probe;
      console.log(
        `fp32 + ${config.prefix_graph} cache (${row.prefixTokens} tokens) | ${(entry.bytes / 1e6).toFixed(0)} | ${row.loadMs.toFixed(0)} | ${row.batch} | ${row.seq} new | ${row.p50.toFixed(1)} | ${(row.p50 / row.batch).toFixed(1)} | ${floorMs.toFixed(1)} | ${((row.batch * row.seq) / (row.p50 / 1000)).toFixed(0)} | ${(rate / 1e9).toFixed(1)} | ${((100 * rate) / probe).toFixed(0)}%`,
      );
    }
  }
  let guardAtBatch16: PrefixRun | undefined;
  let guardRows: PrefixRun[] = [];
  const guardName = config.scoring_graph;
  const guardEntry = guardName ? config.graphs[guardName] : undefined;
  if (guardName && guardEntry?.prefix && guardEntry.layers < config.n_layers) {
    // What the scorer runs when latent-guard.json reads no deeper than the truncated graph: its K layers, the
    // prefix cache, and the last block only at the two read positions.
    const runtime = LatentRuntime.open({ modelDir: MODEL_DIR, withoutGuard: true, forceScoringGraph: true, threads: THREADS, batchSize: 16, batchTokens: 16 * 256, verify: false });
    if (runtime.prefixModel !== runtime.scoringModel || runtime.prefixLayers !== guardEntry.layers) throw new Error(`the runtime did not pick the ${guardName} graph (${runtime.identity.graph})`);
    const rows = await prefixRuns(runtime);
    guardRows = rows;
    guardAtBatch16 = rows.find((row) => row.batch === 16);
    console.log('');
    console.log(`scoring graph \`${guardName}\` (${guardEntry.file}, ${guardEntry.layers} of ${config.n_layers} layers, ${(guardEntry.bytes / 1e6).toFixed(0)} MB) + prefix cache, ${USER_TOKENS}-token units; GFLOP/s counts the weight matmuls it runs: ${guardEntry.layers - 1} blocks on every new token, then k/v on every new token and q/o/MLP at the 2 read positions`);
    console.log('batch | new tokens | load ms | ms/batch p50 | ms/unit p50 | ms/unit p95 | tokens/s | GFLOP/s | % of probe');
    console.log('---|---|---|---|---|---|---|---|---');
    for (const row of rows) {
      const rate = guardMatmulFlops(config, guardEntry.layers, row.seq, row.batch) / (row.p50 / 1000);
      console.log(
        `${row.batch} | ${row.seq} | ${row.loadMs.toFixed(0)} | ${row.p50.toFixed(1)} | ${(row.p50 / row.batch).toFixed(1)} | ${(row.p95 / row.batch).toFixed(1)} | ${((row.batch * row.seq) / (row.p50 / 1000)).toFixed(0)} | ${(rate / 1e9).toFixed(1)} | ${((100 * rate) / probe).toFixed(0)}%`,
      );
    }
  }
  const screenName = config.screen_graph;
  const screenEntry = screenName ? config.graphs[screenName] : undefined;
  if (screenName && screenEntry && guardEntry) {
    // The int8 screen (where the CPU has VNNI/AMX the scorer reads every unit through it first), timed as the guard graph above.
    const runtime = LatentRuntime.open({ modelDir: MODEL_DIR, precision: 'int8', threads: THREADS, batchSize: 16, batchTokens: 16 * 256, verify: false });
    if (!runtime.screenModel) throw new Error(`the runtime did not load the ${screenName} screen (${runtime.warnings.join('; ') || runtime.identity.graph})`);
    const rows = await prefixRuns(runtime, runtime.screenModel);
    console.log('');
    console.log(`int8 screen \`${screenName}\` (${screenEntry.file}, ${(screenEntry.bytes / 1e6).toFixed(0)} MB; CPU int8 features: ${cpuInt8Support().features.join(', ') || 'none (forced)'}) + the fp32 prefix cache; GFLOP/s counts the same matmuls as the guard graph's, and % of the fp32 probe`);
    console.log('batch | new tokens | ms/batch p50 | ms/unit p50 | tokens/s | GFLOP/s | % of fp32 probe | vs the guard graph');
    console.log('---|---|---|---|---|---|---|---');
    for (const row of rows) {
      const rate = guardMatmulFlops(config, screenEntry.layers, row.seq, row.batch) / (row.p50 / 1000);
      const fp32Row = guardRows.find((r) => r.batch === row.batch);
      console.log(
        `${row.batch} | ${row.seq} | ${row.p50.toFixed(1)} | ${(row.p50 / row.batch).toFixed(1)} | ${((row.batch * row.seq) / (row.p50 / 1000)).toFixed(0)} | ${(rate / 1e9).toFixed(1)} | ${((100 * rate) / probe).toFixed(0)}% | ${fp32Row ? `${(fp32Row.p50 / row.p50).toFixed(2)}x` : '-'}`,
      );
    }
  }
  await paragraphLatency();
  console.log('');
  console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
  console.log(`FLOPs per ${USER_TOKENS}-token unit (${unitSeq} tokens with the chat template): ${(unitFlops / 1e9).toFixed(2)} GFLOP (matmuls ${(2 * matmulParams(config) * unitSeq / 1e9).toFixed(2)}, attention the rest)`);
  console.log(`target (issue 5): p50 ≤ 60 ms per unit at batch 16, utilisation ≥ 50% of the probe rate. Whole prompts through all 30 layers would need ${((unitFlops / 0.06) / 1e9).toFixed(0)} GFLOP/s here.`);
  if (guardAtBatch16) {
    const ms = guardAtBatch16.p50 / guardAtBatch16.batch;
    console.log(`scoring path (${guardName} graph + prefix cache) at batch 16: p50 ${ms.toFixed(1)} ms per unit -> ${ms <= 60 ? 'meets' : 'misses'} the 60 ms target`);
  }
}

interface PrefixRun {
  batch: number;
  /** New tokens per row (after the cached prefix). */
  seq: number;
  prefixTokens: number;
  loadMs: number;
  p50: number;
  p95: number;
}

/** Batch 1 and 16 through `model` (default `runtime.prefixModel`) with the cached prefix, as score() runs it; releases the runtime. */
async function prefixRuns(runtime: LatentRuntime, model = runtime.prefixModel): Promise<PrefixRun[]> {
  const t0 = performance.now();
  await runtime.load();
  const loadMs = performance.now() - t0;
  const past = await runtime.prefixKeyValues();
  const rows: PrefixRun[] = [];
  for (const batch of [1, 16]) {
    const prompts = unitPrompts(runtime, batch);
    const go = (): Promise<unknown> => runtime.forward(prompts, (p) => [p.tInst, p.tPostInst], ['resid'], undefined, model, past);
    await go();
    const times: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      const start = performance.now();
      await go();
      times.push(performance.now() - start);
    }
    times.sort((x, y) => x - y);
    rows.push({ batch, seq: prompts[0].ids.length - past.dims[3], prefixTokens: past.dims[3], loadMs, p50: median(times), p95: times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)] });
  }
  await runtime.release();
  return rows;
}

/** Weight-matmul FLOPs of the truncated guard graph: K-1 blocks on every token, then k/v on every token and the rest at 2 rows. */
function guardMatmulFlops(config: ModelConfig, layers: number, seq: number, batch: number, reads = 2): number {
  const H = config.hidden_size;
  const qDim = config.n_heads * config.head_dim;
  const kvDim = config.n_kv_heads * config.head_dim;
  const perToken = (2 * matmulParams(config)) / config.n_layers;
  const kv = 2 * 2 * H * kvDim;
  const rest = 2 * (H * qDim + qDim * H + 3 * H * config.intermediate_size);
  return batch * ((layers - 1) * seq * perToken + seq * kv + reads * rest);
}

/** In process, as the language server scores one changed paragraph: runtime.score() of one ~20-word unit. */
async function paragraphLatency(): Promise<void> {
  const guardPath = path.resolve(__dirname, '..', 'models', 'latent-guard.json');
  if (!fs.existsSync(guardPath)) return;
  const words = SAMPLE.split(' ').slice(0, 20);
  console.log('');
  console.log(`one paragraph (${words.length} words), runtime.score(), 20 runs after a warm-up; each run a different paragraph`);
  console.log('scoring path | user tokens | prompt tokens | p50 ms | p95 ms | max ms');
  console.log('---|---|---|---|---|---');
  for (const prefixCache of [false, true]) {
    const runtime = LatentRuntime.open({ modelDir: MODEL_DIR, guardPath, threads: THREADS, prefixCache, verify: false });
    await runtime.load();
    const text = (i: number): string => [...words.slice(i % 5), ...words.slice(0, i % 5)].join(' ') + (i % 2 ? '.' : '!');
    await runtime.score([text(0)]);
    const times: number[] = [];
    for (let r = 0; r < 20; r++) {
      const start = performance.now();
      await runtime.score([text(r)]);
      times.push(performance.now() - start);
    }
    times.sort((a, b) => a - b);
    const prompt = runtime.tokenizer.build(text(0));
    console.log(`${runtime.identity.graph} | ${prompt.userTokens} | ${prompt.ids.length} | ${times[9].toFixed(1)} | ${times[18].toFixed(1)} | ${times[19].toFixed(1)}`);
    await runtime.release();
  }
}

function matmulParams(config: ModelConfig): number {
  const H = config.hidden_size;
  const qDim = config.n_heads * config.head_dim;
  const kvDim = config.n_kv_heads * config.head_dim;
  return config.n_layers * (H * qDim + 2 * H * kvDim + qDim * H + 3 * H * config.intermediate_size);
}

main().catch((error: Error) => {
  console.error(`bench:model failed: ${error.message}`);
  process.exitCode = 1;
});
