// The ONNX session: loaded lazily, a small fixed thread pool, released on shutdown.
import * as os from 'node:os';
import * as ort from 'onnxruntime-node';
import { forgetVerified, sha256File } from './file-hashes';
import { ModelUnavailableError } from './model-files';

export type OutputName = 'resid' | 'attn_out' | 'mlp_out' | 'mlp_act' | 'logits' | 'present_key' | 'present_value' | 'neuron_writes';

/** Keys (after RoPE) and values of earlier tokens, for the prefix graph: [layers, batch, kv heads, length, head dim]. */
export interface PastKV {
  dims: readonly [number, number, number, number, number];
  key: Float32Array;
  value: Float32Array;
}

export interface ModelInputs {
  batch: number;
  seq: number;
  /** Row-major [batch, seq]. */
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  positions: number;
  /** Row-major [batch, positions]. */
  readPositions: BigInt64Array;
  /** Only for a prefix graph: the tokens above come after these (their positions start at its length). */
  past?: PastKV;
  /** Further float inputs a graph variant takes (the mediation graph's ablation masks), by name. */
  extra?: Record<string, { data: Float32Array; dims: readonly number[] }>;
}

export interface ModelOutput {
  data: Float32Array;
  dims: readonly number[];
}

export interface SessionOptions {
  /** Threads for one operator (default: the cores available; the editor and `--jobs` may ask for fewer). */
  threads?: number;
  /**
   * For a KV-prefix graph run without a cached prefix: the past's shape, so an empty past
   * ([layers, batch, kv heads, 0, head dim]) makes it compute exactly what the plain graph does.
   */
  emptyPast?: { layers: number; kvHeads: number; headDim: number };
  /** The graph's sha256: the bytes handed to onnxruntime are checked against it as they load. */
  sha256?: string;
  /**
   * false: hold the weights once, without onnxruntime's pre-packed copy (~120 MB less for the fp32
   * guard graph, ~15 % more time per batch): for the fp32 graph behind the int8 screen, which reads few rows.
   */
  prepack?: boolean;
  /** false: no memory arena (activations freed after each run; ~50-170 MB less held between batches). */
  arena?: boolean;
}

/** The cores this process may use (os.availableParallelism honours CPU affinity). */
export function defaultThreads(): number {
  return Math.max(1, os.availableParallelism());
}

export class LatentModel {
  private session?: Promise<ort.InferenceSession>;

  constructor(
    /** The .onnx file. */
    readonly graphPath: string,
    private readonly options: SessionOptions = {},
  ) {}

  /** True once the session has been asked to load. */
  get loaded(): boolean {
    return this.session !== undefined;
  }

  /** Loads the graph once; later calls share the same promise. */
  load(): Promise<ort.InferenceSession> {
    this.session ??= this.create().catch((error: Error) => {
      this.session = undefined;
      if (error instanceof ModelUnavailableError) throw error;
      throw new ModelUnavailableError('load-failed', `onnxruntime could not load ${this.graphPath}: ${error.message}`);
    });
    return this.session;
  }

  private async create(): Promise<ort.InferenceSession> {
    const options: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: this.options.threads ?? defaultThreads(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...(this.options.arena === false ? { enableCpuMemArena: false } : {}),
      ...(this.options.prepack === false ? { extra: { session: { disable_prepacking: '1' } } } : {}),
    };
    const expected = this.options.sha256;
    if (!expected) return ort.InferenceSession.create(this.graphPath, options);
    // Hashed in full as it loads, whatever a stamp says: the once-per-process price (0.45 s for the
    // 230 MB scoring graph here) of "verified" meaning what is loaded. Streamed, not read into one
    // buffer for onnxruntime: that held the graph twice at load (+225 MB peak RSS).
    if (sha256File(this.graphPath) !== expected) {
      forgetVerified(this.graphPath, expected);
      throw new ModelUnavailableError('corrupt', `${this.graphPath} does not match its sha256 in model_config.json (changed or corrupt since it was verified); rebuild or restore the model`);
    }
    return ort.InferenceSession.create(this.graphPath, options);
  }

  private emptyPast(batch: number): ModelInputs['past'] {
    const shape = this.options.emptyPast;
    if (!shape) return undefined;
    const empty = new Float32Array(0);
    return { dims: [shape.layers, batch, shape.kvHeads, 0, shape.headDim] as const, key: empty, value: empty };
  }

  /** Runs one padded batch and returns only the requested outputs. */
  async run<Name extends OutputName>(inputs: ModelInputs, outputs: readonly Name[]): Promise<Record<Name, ModelOutput>> {
    const session = await this.load();
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', inputs.inputIds, [inputs.batch, inputs.seq]),
      attention_mask: new ort.Tensor('int64', inputs.attentionMask, [inputs.batch, inputs.seq]),
      read_positions: new ort.Tensor('int64', inputs.readPositions, [inputs.batch, inputs.positions]),
    };
    const past = inputs.past ?? this.emptyPast(inputs.batch);
    if (past) {
      feeds.past_key = new ort.Tensor('float32', past.key, [...past.dims]);
      feeds.past_value = new ort.Tensor('float32', past.value, [...past.dims]);
    }
    for (const [name, tensor] of Object.entries(inputs.extra ?? {})) feeds[name] = new ort.Tensor('float32', tensor.data, [...tensor.dims]);
    const result = await session.run(feeds, outputs as Name[]);
    const out = {} as Record<Name, ModelOutput>;
    for (const name of outputs) {
      const tensor = result[name];
      out[name] = { data: tensor.data as Float32Array, dims: tensor.dims };
    }
    return out;
  }

  async release(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    try {
      await (await session).release();
    } catch {
      // A session that failed to load has nothing to release.
    }
  }
}
