// The latent guard's compute side: files, tokenizer, ONNX session and guard file together. It runs in
// the worker (or in process for the CLI and tests); nothing here knows about LSP or the engine.
import * as fs from 'node:fs';
import type { ExplainResult } from '../protocol/explain';
import { DEFAULT_BATCH_SIZE, DEFAULT_BATCH_TOKENS, packBatch, planBatches } from './batcher';
import { buildExplanation } from './explain';
import { GuardFileError, parseGuardFile, type LatentGuard } from './guard-file';
import { LatentModel, type OutputName } from './model';
import { defaultGuardPath, locateModelFiles, ModelUnavailableError, sha256Text, type LocateOptions, type ModelFiles } from './model-files';
import { scoreResiduals, type UnitScore } from './signals';
import { DEFAULT_MAX_USER_TOKENS, PromptTokenizer, type Prompt } from './tokenizer';

export interface RuntimeOptions extends LocateOptions {
  /** onnxruntime intra-op threads (default 2). */
  threads?: number;
  batchSize?: number;
  /** Padded tokens per batch (bounds activation memory); default DEFAULT_BATCH_TOKENS. */
  batchTokens?: number;
  /** latent-guard.json; default: $LATENT_LINT_GUARD, else models/latent-guard.json. */
  guardPath?: string;
  /** Open without a guard file (benchmarks, next-token checks): score() is then unavailable. */
  withoutGuard?: boolean;
}

export interface RuntimeIdentity {
  modelName: string;
  graph: string;
  graphSha256: string;
  guardSha256: string;
  layers: number;
  /** The guard file's default probability threshold (0.5 without a guard). */
  threshold: number;
  /** Units with fewer words are not scored (the guard file's prompt.minWords, default 4). */
  minWords: number;
}

/** Explanation without the policy-rule part, which the caller (engine side) fills in. */
export type LatentExplanation = Omit<ExplainResult, 'verdict'> & { verdict: Omit<ExplainResult['verdict'], 'rules' | 'threshold' | 'flagged'> & { score: UnitScore } };

/** Calibration skips units shorter than this many words (headings, labels). */
export const DEFAULT_MIN_WORDS = 4;

export class LatentRuntime {
  /** The full graph (explain, and scoring when no truncated graph covers the guard's layers). */
  readonly model: LatentModel;
  /** The graph scoring runs on: the truncated scoring graph when it covers every layer the guard reads. */
  readonly scoringModel: LatentModel;
  readonly scoringLayers: number;
  readonly tokenizer: PromptTokenizer;
  readonly identity: RuntimeIdentity;
  /** Things worth telling the user that do not stop the guard (a graph it was not calibrated on). */
  readonly warnings: string[] = [];
  private readonly batchSize: number;
  private readonly batchTokens: number;

  private constructor(
    readonly files: ModelFiles,
    readonly guard: LatentGuard | undefined,
    guardSha256: string,
    options: RuntimeOptions,
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.batchTokens = options.batchTokens ?? DEFAULT_BATCH_TOKENS;
    this.model = new LatentModel(files.graphPath, { threads: options.threads });
    this.tokenizer = PromptTokenizer.load(files, guard?.prompt.maxUserTokens ?? DEFAULT_MAX_USER_TOKENS);
    const scoring = files.scoring && guard && layersRead(guard) <= files.scoring.layers ? files.scoring : undefined;
    this.scoringModel = scoring ? new LatentModel(scoring.path, { threads: options.threads }) : this.model;
    this.scoringLayers = scoring ? scoring.layers : files.config.n_layers;
    this.identity = {
      modelName: guard?.model.name ?? files.config.name,
      graph: scoring ? `${scoring.graph} (${scoring.layers} layers)` : files.graph,
      graphSha256: scoring ? scoring.sha256 : files.graphSha256,
      guardSha256,
      layers: files.config.n_layers,
      threshold: guard?.threshold ?? 0.5,
      minWords: guard?.prompt.minWords ?? DEFAULT_MIN_WORDS,
    };
    if (guard) this.checkGuard(guard);
    if (guard && files.scoring && !scoring) {
      this.warnings.push(`the ${files.scoring.graph} scoring graph stops at layer ${files.scoring.layers} but latent-guard.json reads layer ${layersRead(guard)}; scoring with the full graph (slower)`);
    }
  }

  /** Locates and verifies the files (synchronous, no model load: the session loads on first use). */
  static open(options: RuntimeOptions = {}): LatentRuntime {
    const files = locateModelFiles(options);
    if (options.withoutGuard) return new LatentRuntime(files, undefined, '', options);
    const guardPath = options.guardPath ?? defaultGuardPath();
    if (!guardPath || !fs.existsSync(guardPath)) {
      throw new ModelUnavailableError('guard-missing', `the calibrated guard models/latent-guard.json is missing (run \`npm run calibrate\`)`);
    }
    const text = fs.readFileSync(guardPath, 'utf8');
    let guard: LatentGuard;
    try {
      guard = parseGuardFile(text, guardPath);
    } catch (error) {
      if (error instanceof GuardFileError) throw new ModelUnavailableError('guard-invalid', error.message);
      throw error;
    }
    return new LatentRuntime(files, guard, sha256Text(text), options);
  }

  private checkGuard(guard: LatentGuard): void {
    const config = this.files.config;
    const mismatch = (what: string): never => {
      throw new ModelUnavailableError('guard-mismatch', `latent-guard.json was calibrated for a different model (${what}); re-run calibration`);
    };
    if (guard.model.nLayers !== config.n_layers || guard.model.hiddenSize !== config.hidden_size) {
      mismatch(`${guard.model.nLayers} layers × ${guard.model.hiddenSize} vs ${config.n_layers} × ${config.hidden_size}`);
    }
    if (guard.model.tokenizerSha256 !== this.files.tokenizerSha256) mismatch('tokenizer.json differs');
    if (guard.prompt.systemPrompt !== this.tokenizer.systemPrompt) mismatch('the chat template system prompt differs');
    const graphs = [guard.model.graphSha256, ...(guard.model.compatibleGraphSha256 ?? [])];
    if (!graphs.includes(this.files.graphSha256)) {
      this.warnings.push(`the ${this.files.graph} graph (${this.files.graphSha256.slice(0, 12)}) is not the one latent-guard.json was calibrated on; scores may drift`);
    }
  }

  /** Loads the scoring session now (it otherwise loads on the first request; explain loads the full graph). */
  async load(): Promise<void> {
    await this.scoringModel.load();
  }

  /** Runs prompts in length-sorted batches, reading `positionsOf(prompt)` in each; returns outputs per prompt. */
  async forward<Name extends OutputName>(
    prompts: readonly Prompt[],
    positionsOf: (prompt: Prompt) => number[],
    outputs: readonly Name[],
    shouldStop?: () => boolean,
    model: LatentModel = this.model,
  ): Promise<Record<Name, Float32Array>[]> {
    const results = new Array<Record<Name, Float32Array>>(prompts.length);
    const batches = planBatches(
      prompts.map((p) => p.ids.length),
      this.batchSize,
      this.batchTokens,
    );
    for (const batch of batches) {
      if (shouldStop?.()) throw new CancelledError();
      const inputs = packBatch(
        batch.map((i) => prompts[i].ids),
        batch.map((i) => positionsOf(prompts[i])),
        this.files.config.pad_token_id,
      );
      const out = await model.run(inputs, outputs);
      batch.forEach((index, row) => {
        const record = {} as Record<Name, Float32Array>;
        for (const name of outputs) {
          const size = out[name].data.length / inputs.batch;
          // Copy the row out, so the batch's big buffer can be freed.
          record[name] = out[name].data.slice(row * size, (row + 1) * size);
        }
        results[index] = record;
      });
    }
    return results;
  }

  /** Scores texts (one user turn each). */
  async score(texts: readonly string[], shouldStop?: () => boolean): Promise<UnitScore[]> {
    const guard = this.requireGuard();
    const prompts = texts.map((text) => this.tokenizer.build(text));
    const outputs = await this.forward(prompts, (p) => [p.tInst, p.tPostInst], ['resid'], shouldStop, this.scoringModel);
    const H = this.files.config.hidden_size;
    return outputs.map((out, i) => {
      // Two positions per row; the layer count comes from the output itself (a scoring graph may be truncated).
      const stride = out.resid.length / 2;
      const maxLayer = stride / H - 1;
      return scoreResiduals(guard, out.resid, 0, out.resid, stride, { tokens: prompts[i].userTokens, truncated: prompts[i].truncated }, maxLayer);
    });
  }

  /** Everything the explorer shows for one text: per layer, per block, per neuron, per token. */
  async explain(text: string): Promise<LatentExplanation> {
    const guard = this.requireGuard();
    const started = performance.now();
    const prompt = this.tokenizer.build(text);
    const all = prompt.ids.map((_, t) => t);
    const [out] = await this.forward([prompt], () => all, ['resid', 'attn_out', 'mlp_out', 'mlp_act']);
    return buildExplanation({
      guard,
      config: this.files.config,
      identity: { ...this.identity, graph: this.files.graph },
      prompt,
      spans: this.tokenizer.userTokenSpans(prompt, text),
      originalText: text,
      outputs: out,
      ms: performance.now() - started,
    });
  }

  async release(): Promise<void> {
    await this.model.release();
    if (this.scoringModel !== this.model) await this.scoringModel.release();
  }

  private requireGuard(): LatentGuard {
    if (!this.guard) throw new ModelUnavailableError('guard-missing', 'this runtime was opened without a guard file');
    return this.guard;
  }
}

/** The deepest resid layer the guard's score reads (detector, baseline, refusal rule, categories). */
export function layersRead(guard: LatentGuard): number {
  return Math.max(...guard.detector.layers, ...guard.baseline.layers, ...guard.refusalSuppressed.layers, guard.categories?.layer ?? 0);
}

export class CancelledError extends Error {
  constructor() {
    super('The request was cancelled.');
    this.name = 'AbortError';
  }
}
