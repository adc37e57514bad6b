// npm run bench:scan — a workspace scan at the machine's limit? Cold and warm scans of a fixed public
// corpus through the real CLI (`latent-lint check`, a fresh process each time) and over LSP (the
// language server's Scan Workspace request), with and without the model. Prints a table; asserts nothing.
//
//   npx tsx scripts/bench-scan.ts [--data ../shared/data] [--small] [--jobs N] [--skip-lsp] [--surprisal]
//   (--surprisal adds a cold `check --surprisal` run: the cost of the adversarial-suffix signal)
//
// Corpus (rebuilt in a temporary folder each run, same files every time): real prompt files from the
// awesome-copilot, fabric and prompty folders, GPTeacher instructions written as prompt files, and one
// synthetic vendor-sized system prompt made by concatenating fabric patterns (long files in the mix).
// Runs: rules only; the model cold (the precision the CPU gets: the int8 screen where it has VNNI/AMX);
// the same with --precision fp32 forced (the fallback path); warm; and the same over LSP.
// Figures: files, units the guard scores, their tokens, wall, tokens/s, units/s, ms per unit p50/p95
// (each batch's time over its rows, from $LATENT_LINT_BATCH_LOG), peak RSS, the fp32 matmul probe and
// the ratio of the achieved GFLOP/s (the guard's weight matmuls over the units' tokens) to it.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Engine } from '../server/src/engine/engine';
import { locateModelFiles, type ModelConfig } from '../server/src/latent/model-files';
import { scoredByGuard } from '../server/src/latent/scorer';
import { PromptTokenizer } from '../server/src/latent/tokenizer';
import { SCAN_WORKSPACE_REQUEST, type ScanWorkspaceResult } from '../server/src/protocol/messages';
import { TestClient } from '../test/lsp/client';
import { matmulRate } from './matmul-probe';

const ROOT = path.resolve(__dirname, '..');
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: path.resolve(ROOT, '..', 'shared', 'data') },
    small: { type: 'boolean', default: false },
    jobs: { type: 'string' },
    'skip-lsp': { type: 'boolean', default: false },
    surprisal: { type: 'boolean', default: false },
  },
});
const DATA = values.data as string;
const SMALL = values.small === true;
const JOBS = values.jobs;

/** Sorted files under `dir` whose path matches `pattern`. */
function walk(dir: string, pattern: RegExp): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (pattern.test(full)) out.push(full);
    }
  };
  if (fs.existsSync(dir)) visit(dir);
  return out;
}

/** The fixed corpus, written under `dir`; returns what went in. */
function buildCorpus(dir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  const put = (group: string, rel: string, text: string): void => {
    const file = path.join(dir, group, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    counts[group] = (counts[group] ?? 0) + 1;
  };
  const copilotRoot = path.join(DATA, 'awesome_copilot_promptfiles');
  const copilot = walk(copilotRoot, /\.(prompt|instructions|agent|chatmode)\.md$/);
  for (const file of copilot.slice(0, SMALL ? 20 : 150)) put('copilot', path.relative(copilotRoot, file), fs.readFileSync(file, 'utf8'));
  const fabricRoot = path.join(DATA, 'fabric_patterns', 'data', 'patterns');
  const fabric = walk(fabricRoot, /system\.md$/);
  for (const file of fabric.slice(0, SMALL ? 10 : 60)) put('fabric', path.relative(fabricRoot, file), fs.readFileSync(file, 'utf8'));
  const promptyRoot = path.join(DATA, 'prompty_samples');
  for (const file of walk(promptyRoot, /\.prompty$/).slice(0, SMALL ? 15 : 1000)) put('prompty', path.relative(promptyRoot, file), fs.readFileSync(file, 'utf8'));
  // GPTeacher: instruction rows, 20 to a prompt file (one paragraph per instruction and its input).
  for (const file of walk(path.join(DATA, 'gpteacher'), /\.json$/)) {
    const rows = (JSON.parse(fs.readFileSync(file, 'utf8')) as { instruction?: string; input?: string }[]).slice(0, SMALL ? 40 : 200);
    const name = path.basename(file, '.json');
    for (let i = 0; i < rows.length; i += 20) {
      const text = rows
        .slice(i, i + 20)
        .map((row) => [row.instruction, row.input].filter(Boolean).join('\n\n'))
        .join('\n\n');
      put('gpteacher', `${name}/${String(i / 20).padStart(3, '0')}.prompt.md`, `${text}\n`);
    }
  }
  // A vendor-sized system prompt (they run to 300-460 KB): fabric patterns concatenated.
  const target = SMALL ? 40_000 : 300_000;
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < target && fabric.length; i++) {
    const text = fs.readFileSync(fabric[i % fabric.length], 'utf8');
    parts.push(text);
    size += Buffer.byteLength(text);
  }
  put('large', 'vendor-system-prompt.md', parts.join('\n\n'));
  fs.writeFileSync(path.join(dir, '.latentlint.yaml'), 'root: true\npromptFiles:\n  - "fabric/**/system.md"\n  - "large/*.md"\n');
  return counts;
}

interface CorpusStats {
  files: number;
  bytes: number;
  units: number;
  tokens: number;
}

/** What the guard is given: the units `check` scores and their tokens (the texts as the tokenizer reads them). */
function corpusStats(dir: string): CorpusStats {
  const engine = new Engine();
  const files = engine.collectFiles([dir]).files;
  const tokenizer = PromptTokenizer.load(locateModelFiles({ verify: false }));
  let units = 0;
  let tokens = 0;
  let bytes = 0;
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    bytes += Buffer.byteLength(text);
    const document = engine.parse(file, text, false, engine.configs.resolveForFile(file));
    for (const unit of document?.units ?? []) {
      if (!scoredByGuard(unit)) continue;
      units++;
      tokens += tokenizer.encode(unit.text.trim()).length;
    }
  }
  return { files: files.length, bytes, units, tokens };
}

interface BatchLine {
  graph: string;
  /** int8: the screen's batches; fp32: the scoring graph's (with the screen: the units read again). */
  precision?: 'int8' | 'fp32';
  layers: number;
  rows: number;
  seq: number;
  tokens: number;
  ms: number;
}

interface Run {
  name: string;
  wallMs: number;
  rssMb: number;
  batches: BatchLine[];
  note?: string;
}

function readBatches(file: string): BatchLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as BatchLine);
}

/** `latent-lint check DIR` in a fresh process; wall from spawn to exit, peak RSS from the child itself. */
async function cliRun(name: string, dir: string, cache: string, args: string[]): Promise<Run> {
  const log = path.join(os.tmpdir(), `latent-lint-bench-scan-${process.pid}-${name.replace(/\W+/g, '-')}.jsonl`);
  fs.rmSync(log, { force: true });
  const rssFile = `${log}.rss`;
  // The child reports its own peak RSS on exit (resourceUsage covers the onnxruntime threads too).
  const wrapper = `process.on('exit',()=>require('fs').writeFileSync(${JSON.stringify(rssFile)},String(process.resourceUsage().maxRSS)));require(${JSON.stringify(path.join(ROOT, 'dist', 'server', 'cli.js'))}).main(process.argv.slice(1)).then((c)=>{process.exitCode=c})`;
  const started = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', wrapper, 'check', dir, '--format', 'json', ...(JOBS ? ['--jobs', JOBS] : []), ...args], {
      cwd: dir,
      env: { ...process.env, LATENT_LINT_CACHE: cache, LATENT_LINT_BATCH_LOG: log },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (exit) => {
      if (exit !== 0 && exit !== 1) reject(new Error(`check exited ${exit}: ${stderr.slice(-2000)}`));
      else resolve(exit);
    });
  });
  const wallMs = performance.now() - started;
  const rssMb = Number(fs.readFileSync(rssFile, 'utf8')) / 1024;
  const run = { name, wallMs, rssMb, batches: readBatches(log), note: `exit ${code}` };
  fs.rmSync(log, { force: true });
  fs.rmSync(rssFile, { force: true });
  return run;
}

/** Peak RSS of a process from /proc (Linux); NaN elsewhere. */
function peakRssMb(pid: number | undefined): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** The language server's Scan Workspace: a fresh server per run (cold: empty score cache). */
async function lspRun(name: string, dir: string, cache: string, model: boolean): Promise<Run> {
  const log = path.join(os.tmpdir(), `latent-lint-bench-scan-${process.pid}-${name.replace(/\W+/g, '-')}.jsonl`);
  fs.rmSync(log, { force: true });
  const client = new TestClient({
    env: { LATENT_LINT_CACHE: cache, LATENT_LINT_BATCH_LOG: log },
    configuration: () => ({ model: { enabled: model, ...(JOBS ? { threads: Number(JOBS) } : {}) } }),
  });
  await client.initialize(dir);
  const started = performance.now();
  const result = (await client.connection.sendRequest(SCAN_WORKSPACE_REQUEST, {})) as ScanWorkspaceResult;
  const wallMs = performance.now() - started;
  // A spawned server (no streams given): it has a process.
  const rssMb = peakRssMb(client.process!.pid);
  await client.stop();
  const run = { name, wallMs, rssMb, batches: readBatches(log), note: `${result.files} files, ${result.findings} findings` };
  fs.rmSync(log, { force: true });
  return run;
}

/** Rows the run's batches read at this precision (a batch line without one is fp32). */
const rowsAt = (run: Run, precision: 'int8' | 'fp32'): number => run.batches.filter((b) => (b.precision ?? 'fp32') === precision).reduce((sum, b) => sum + b.rows, 0);

const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
};

/** Weight-matmul FLOPs per token per layer (q, k, v, o, gate, up, down). */
function flopsPerTokenLayer(config: ModelConfig): number {
  const H = config.hidden_size;
  const q = config.n_heads * config.head_dim;
  const kv = config.n_kv_heads * config.head_dim;
  return 2 * (H * q + 2 * H * kv + q * H + 3 * H * config.intermediate_size);
}

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, 'dist', 'server', 'cli.js'))) throw new Error('dist/server/cli.js is missing: run `npm run build`');
  const files = locateModelFiles({ verify: false });
  const config = files.config;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-lint-scan-corpus-'));
  const counts = buildCorpus(dir);
  const stats = corpusStats(dir);
  const threads = Number(JOBS ?? os.availableParallelism());
  const probe = Math.max(await matmulRate(1024, 576, 1536, threads), await matmulRate(1024, 1536, 576, threads));
  const flags = fs.existsSync('/proc/cpuinfo') ? (/^flags\s*:(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '') : '';
  const isa = ['avx2', 'avx512f', 'avx512_vnni', 'avx_vnni', 'amx_int8', 'amx_bf16'].filter((flag) => flags.split(/\s+/).includes(flag));
  console.log(`# bench:scan — ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}; ${isa.join(', ') || 'flags unknown'}), load avg ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, jobs ${JOBS ?? 'default'}`);
  console.log(`corpus ${dir}: ${Object.entries(counts).map(([group, n]) => `${group} ${n}`).join(', ')} files; ${stats.files} linted, ${(stats.bytes / 1e6).toFixed(2)} MB, ${stats.units} units the guard scores, ${stats.tokens} tokens`);
  console.log(`matmul probe (onnxruntime fp32 MatMul 1024×576×1536, ${threads} threads): ${(probe / 1e9).toFixed(1)} GFLOP/s`);

  const runs: Run[] = [];
  // A fresh cache would re-hash the graphs on first use; each keeps the install's hash stamps (not its scores).
  const stamps = path.join(process.env.LATENT_LINT_CACHE ?? path.join(os.homedir(), '.cache', 'latent-lint'), 'verified');
  const freshCache = (): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-lint-scan-cache-'));
    if (fs.existsSync(stamps)) fs.cpSync(stamps, path.join(dir, 'verified'), { recursive: true });
    return dir;
  };
  const cache = freshCache();
  runs.push(await cliRun('check, rules only (--no-latent)', dir, cache, ['--no-latent']));
  runs.push(await cliRun('check, model, cold (empty score cache)', dir, cache, []));
  // The fallback path, forced: what a CPU without int8 dot products runs (fp32 only; its own cache key).
  const fp32Cache = freshCache();
  runs.push(await cliRun('check --precision fp32, model, cold (the fallback, forced)', dir, fp32Cache, ['--precision', 'fp32']));
  fs.rmSync(fp32Cache, { recursive: true, force: true });
  if (values.surprisal) {
    // The adversarial-suffix signal runs the full model as well: its cost is the difference of the two cold runs.
    const withSurprisal = freshCache();
    runs.push(await cliRun('check --surprisal, model, cold', dir, withSurprisal, ['--surprisal']));
    fs.rmSync(withSurprisal, { recursive: true, force: true });
  }
  runs.push(await cliRun('check, model, warm re-scan (score cache)', dir, cache, []));
  if (!values['skip-lsp']) {
    const lspCache = freshCache();
    runs.push(await lspRun('LSP scanWorkspace, rules only', dir, lspCache, false));
    runs.push(await lspRun('LSP scanWorkspace, model, cold', dir, lspCache, true));
    runs.push(await lspRun('LSP scanWorkspace, model, warm (score cache)', dir, lspCache, true));
    fs.rmSync(lspCache, { recursive: true, force: true });
  }
  fs.rmSync(cache, { recursive: true, force: true });

  console.log('');
  console.log('path | wall s | tokens/s | units/s | ms/unit p50 | ms/unit p95 | batches | rows int8 / fp32 | in the graph | graph | GFLOP/s | % of probe | peak RSS MB | note');
  console.log('---|---|---|---|---|---|---|---|---|---|---|---|---|---');
  const perLayer = flopsPerTokenLayer(config);
  for (const run of runs) {
    const seconds = run.wallMs / 1000;
    // Per unit: each batch's time shared by its rows.
    const perUnit = run.batches.flatMap((b) => Array<number>(b.rows).fill(b.ms / b.rows));
    const graph = [...new Set(run.batches.map((b) => b.graph))].join('; ') || '-';
    // Achieved rate: the matmuls the model ran on real (not padded) tokens, over the whole wall.
    const flops = run.batches.reduce((sum, b) => sum + b.tokens * b.layers * perLayer, 0);
    const rate = flops / seconds;
    console.log(
      [
        run.name,
        seconds.toFixed(1),
        (stats.tokens / seconds).toFixed(0),
        (stats.units / seconds).toFixed(1),
        perUnit.length ? percentile(perUnit, 0.5).toFixed(1) : '-',
        perUnit.length ? percentile(perUnit, 0.95).toFixed(1) : '-',
        run.batches.length,
        run.batches.length ? `${rowsAt(run, 'int8')} / ${rowsAt(run, 'fp32')}` : '-',
        // The share of the wall spent inside onnxruntime's runs (the rest: load, reading, rules, tokenising, scoring arithmetic).
        run.batches.length ? `${((100 * run.batches.reduce((sum, b) => sum + b.ms, 0)) / run.wallMs).toFixed(0)}%` : '-',
        graph,
        flops ? (rate / 1e9).toFixed(1) : '-',
        flops ? `${((100 * rate) / probe).toFixed(0)}%` : '-',
        run.rssMb.toFixed(0),
        run.note ?? '',
      ].join(' | '),
    );
  }
  console.log('');
  console.log(`load avg at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}. Targets (issue 16): cold ≥ 5,000 tokens/s where VNNI/AMX is present (≥ 70 % of the fp32 floor where not), warm re-scan ≤ 10 s, peak RSS ≤ 800 MB.`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((error: Error) => {
  console.error(`bench:scan failed: ${error.stack ?? error.message}`);
  process.exitCode = 1;
});
