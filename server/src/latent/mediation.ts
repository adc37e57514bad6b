// Causal mediation on the detector, measured with the mediation graph (models/build_mediation.py): the
// guard graph whose attention and MLP outputs, and single MLP neurons, can be mean-ablated (replaced by
// their benign mean at every token after the cached system prompt) row by row. One batched run of
// 6L rows gives the unablated logit, each (layer, module)'s effect alone (2L rows: they overlap, so
// they do not add up), and the cumulative path in both orders (2L rows: the first k modules in layer
// order ablated, the last of them all modules at once; 2L − 1 rows: the first k in reverse order, the
// all-ablated row shared). Each order's differences telescope to the all-modules effect, and so does
// their average, which is what the explorer reports: one order alone credits whichever blocks go first. The
// neurons are ranked by their direct effect (activation × down_proj column · probe / ‖h‖) and the top
// k ablated together in a second run, to see the logit drop and whether the verdict flips.
import type { ExplainMediation, ExplainNeuron } from '../core/explain';
import { packBatch, tilePast } from './batcher';
import type { GuardFile } from './guard-file';
import { LatentModel, type ModelInputs, type ModelOutput, type PastKV } from './model';
import type { GraphFile, ModelConfig } from './model-files';
import { scoreResiduals } from './signals';
import type { Prompt } from './tokenizer';

/** Neuron sets ablated together to check the ranking (the explorer shows TOP_NEURONS of them). */
export const NEURON_KS = [5, 20, 50];
export const TOP_NEURONS = 24;

export interface MediationRun {
  /** New tokens (after the cached prefix) and the read positions t_inst, t_post-inst among them. */
  ids: number[];
  inst: number;
  post: number;
  layers: number;
  hidden: number;
  intermediate: number;
  pad: number;
  /** Runs one batch on the mediation graph (prefix tiled by the caller). */
  run(inputs: ModelInputs): Promise<Record<'resid' | 'mlp_act' | 'neuron_writes', ModelOutput>>;
}

function batch(spec: MediationRun, rows: number, ablation: Float32Array, neurons: Float32Array, probeDirs: Float32Array, probes: number): ModelInputs {
  const T = spec.ids.length;
  const inputIds = new BigInt64Array(rows * T);
  const attentionMask = new BigInt64Array(rows * T).fill(1n);
  const readPositions = new BigInt64Array(rows * 2);
  for (let r = 0; r < rows; r++) {
    for (let t = 0; t < T; t++) inputIds[r * T + t] = BigInt(spec.ids[t]);
    readPositions[r * 2] = BigInt(spec.inst);
    readPositions[r * 2 + 1] = BigInt(spec.post);
  }
  const L = spec.layers;
  return {
    batch: rows,
    seq: T,
    inputIds,
    attentionMask,
    positions: 2,
    readPositions,
    extra: {
      ablation: { data: ablation, dims: [rows, 2 * L] },
      neuron_ablation: { data: neurons, dims: [rows, L, spec.intermediate] },
      probe_dirs: { data: probeDirs, dims: [probes, spec.hidden] },
    },
  };
}

export async function mediate(guard: GuardFile, spec: MediationRun, graph: string): Promise<{ mediation: ExplainMediation; neurons: ExplainNeuron[] }> {
  const started = performance.now();
  const L = spec.layers;
  const H = spec.hidden;
  const I = spec.intermediate;
  const probes = (guard.detector.probes ?? []).filter((p) => p.layer <= L);
  const probeDirs = new Float32Array(Math.max(1, probes.length) * H);
  probes.forEach((p, k) => probeDirs.set(p.vector, k * H));
  const stride = 2 * (L + 1) * H;
  const logitOf = (resid: Float32Array, row: number): number =>
    scoreResiduals(guard, resid, row * stride, resid, row * stride + (L + 1) * H, { tokens: 0, truncated: false }, L).logit;

  // Rows: 0 nothing ablated; 1 + i attention of block i alone; 1 + L + i its MLP alone; 1 + 2L + m the
  // first m + 1 modules in layer order (module 2i attention of block i, 2i + 1 its MLP), so row 4L has
  // every module ablated at once; 1 + 4L + k the last k + 1 modules (reverse order), k = 0..2L − 2.
  const M = 2 * L;
  const rows = 1 + 2 * M + (M - 1);
  const column = (m: number): number => (m % 2 === 0 ? m / 2 : L + (m - 1) / 2);
  const ablation = new Float32Array(rows * M);
  for (let c = 0; c < M; c++) ablation[(1 + c) * M + c] = 1;
  for (let m = 0; m < M; m++) for (let j = 0; j <= m; j++) ablation[(1 + M + m) * M + column(j)] = 1;
  for (let k = 0; k < M - 1; k++) for (let j = M - 1 - k; j < M; j++) ablation[(1 + 2 * M + k) * M + column(j)] = 1;
  const first = await spec.run(batch(spec, rows, ablation, new Float32Array(rows * L * I), probeDirs, Math.max(1, probes.length)));
  const resid = first.resid.data;
  const logit = logitOf(resid, 0);
  const effects = Array.from({ length: L }, (_, i) => ({ layer: i + 1, attention: logit - logitOf(resid, 1 + i), mlp: logit - logitOf(resid, 1 + L + i) }));
  const all = logitOf(resid, 2 * M);
  // forward[m]: logit with modules 0..m − 1 ablated; reverse[k]: with the last k modules ablated.
  const forward = [logit, ...Array.from({ length: M }, (_, m) => logitOf(resid, 1 + M + m))];
  const reverse = [logit, ...Array.from({ length: M - 1 }, (_, k) => logitOf(resid, 1 + 2 * M + k)), all];
  // Telescoping: each module's effect is the fall when it joins the modules ablated before it, so each
  // order's effects sum to the total; module m joins the reverse path as the (M − m)-th.
  const fall = (m: number, dir: 'forward' | 'reverse'): number => (dir === 'forward' ? forward[m] - forward[m + 1] : reverse[M - 1 - m] - reverse[M - m]);
  const path = (dir: 'forward' | 'reverse'): ExplainMediation['cumulative'] => Array.from({ length: L }, (_, i) => ({ layer: i + 1, attention: fall(2 * i, dir), mlp: fall(2 * i + 1, dir) }));
  const cumulativeForward = path('forward');
  const cumulativeReverse = path('reverse');
  const cumulative = cumulativeForward.map((f, i) => ({ layer: f.layer, attention: (f.attention + cumulativeReverse[i].attention) / 2, mlp: (f.mlp + cumulativeReverse[i].mlp) / 2 }));
  const total = logit - all;
  const share = (parts: { attention: number; mlp: number }[], abs: boolean): number => {
    let m = 0;
    let a = 0;
    for (const e of parts) {
      m += abs ? Math.abs(e.mlp) : e.mlp;
      a += abs ? Math.abs(e.attention) : e.attention;
    }
    return Math.abs(m) + Math.abs(a) > 0 ? Math.abs(m) / (Math.abs(m) + Math.abs(a)) : 0;
  };

  // Neurons: direct effect from the unablated row, at both read positions, onto every probe above the neuron.
  const acts = first.mlp_act.data; // [rows, 2, L, I]
  const writes = first.neuron_writes.data; // [L, I, K]
  const K = Math.max(1, probes.length);
  const norm = (position: 0 | 1, layer: number): number => {
    const off = position * (L + 1) * H + layer * H;
    let s = 0;
    for (let k = 0; k < H; k++) s += resid[off + k] * resid[off + k];
    return Math.sqrt(s) || 1;
  };
  const scored: ExplainNeuron[] = [];
  for (let b = 0; b < L; b++) {
    for (let j = 0; j < I; j++) {
      let effect = 0;
      probes.forEach((p, k) => {
        if (p.layer <= b) return;
        const position = p.position === 'inst' ? 0 : 1;
        effect += (acts[(position * L + b) * I + j] * writes[(b * I + j) * K + k]) / norm(position, p.layer);
      });
      scored.push({ layer: b + 1, index: j, activation: acts[b * I + j], contribution: effect, gate: false });
    }
  }
  scored.sort((a, b) => b.contribution - a.contribution);
  const ks = NEURON_KS.filter((k) => k <= scored.length);
  const neuronMask = new Float32Array(ks.length * L * I);
  ks.forEach((k, r) => {
    for (const n of scored.slice(0, k)) neuronMask[(r * L + (n.layer - 1)) * I + n.index] = 1;
  });
  const second = ks.length ? await spec.run(batch(spec, ks.length, new Float32Array(ks.length * 2 * L), neuronMask, probeDirs, K)) : undefined;
  const neuronChecks = ks.map((k, r) => ({ k, delta: logitOf((second as NonNullable<typeof second>).resid.data, r) - logit, flips: false, direct: scored.slice(0, k).reduce((s, n) => s + n.contribution, 0) }));
  return {
    mediation: { logit, effects, cumulative, cumulativeForward, cumulativeReverse, mlpShare: share(cumulative, false), mlpShareForward: share(cumulativeForward, false), mlpShareReverse: share(cumulativeReverse, false), singleMlpShare: share(effects, true), total, neurons: neuronChecks, graph, ms: performance.now() - started },
    neurons: scored.slice(0, TOP_NEURONS),
  };
}

/** The mediation graph's session and its own system-prompt cache (nothing is ablated there). */
export class MediationSession {
  private readonly model: LatentModel;
  private prefix?: Promise<PastKV>;

  constructor(
    private readonly graph: GraphFile,
    private readonly config: ModelConfig,
    private readonly prefixIds: () => readonly number[],
    options: { threads?: number; verify: boolean },
  ) {
    this.model = new LatentModel(graph.path, {
      threads: options.threads,
      emptyPast: { layers: graph.layers, kvHeads: config.n_kv_heads, headDim: config.head_dim },
      sha256: options.verify ? graph.sha256 : undefined,
    });
  }

  private zeros(rows: number): NonNullable<ModelInputs['extra']> {
    const { layers } = this.graph;
    const { intermediate_size: I, hidden_size: H } = this.config;
    return {
      ablation: { data: new Float32Array(rows * 2 * layers), dims: [rows, 2 * layers] },
      neuron_ablation: { data: new Float32Array(rows * layers * I), dims: [rows, layers, I] },
      probe_dirs: { data: new Float32Array(H), dims: [1, H] },
    };
  }

  /** Effects for the window `prompt` (undefined when its text starts inside the cached prefix). */
  async measure(guard: GuardFile, prompt: Prompt): Promise<{ mediation: ExplainMediation; neurons: ExplainNeuron[] } | undefined> {
    const { layers } = this.graph;
    const { n_kv_heads: kv, head_dim: hd } = this.config;
    this.prefix ??= (async () => {
      const ids = this.prefixIds();
      const empty = new Float32Array(0);
      const inputs = { ...packBatch([[...ids]], [[ids.length - 1]], this.config.pad_token_id), past: { dims: [layers, 1, kv, 0, hd] as const, key: empty, value: empty }, extra: this.zeros(1) };
      const out = await this.model.run(inputs, ['present_key', 'present_value']);
      const d = out.present_key.dims;
      return { dims: [d[0], d[1], d[2], d[3], d[4]] as const, key: out.present_key.data, value: out.present_value.data };
    })().catch((error: unknown) => {
      this.prefix = undefined;
      throw error;
    });
    const past = await this.prefix;
    const skip = past.dims[3];
    if (prompt.userStart < skip) return undefined;
    return mediate(
      guard,
      {
        ids: prompt.ids.slice(skip),
        inst: prompt.tInst - skip,
        post: prompt.tPostInst - skip,
        layers,
        hidden: this.config.hidden_size,
        intermediate: this.config.intermediate_size,
        pad: this.config.pad_token_id,
        run: (inputs) => this.model.run({ ...inputs, past: tilePast(past, inputs.batch) }, ['resid', 'mlp_act', 'neuron_writes']),
      },
      `${this.graph.graph} (${layers} layers, mean-ablation inputs) + prefix cache`,
    );
  }

  async release(): Promise<void> {
    this.prefix = undefined;
    await this.model.release();
  }
}
