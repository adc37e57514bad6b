// The latent guard's compute side: files, tokenizer, ONNX session and guard file together. It runs in
// the worker (or in process for the CLI and tests); nothing here knows about LSP or the engine.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { DEFAULT_BATCH_SIZE, DEFAULT_BATCH_TOKENS, packBatch, planBatches, tilePast } from './batcher';
import { NO_GUARD_THRESHOLD, type GuardFile } from './guard-file';
import { checkGuardFits, layersRead, readGuardFile } from './open-guard';
import { explainText } from './explain-pass';
import { MediationSession } from './mediation';
import { LatentModel, type OutputName, type PastKV } from './model';
import { fullGraphWithLogits, locateModelFiles, ModelUnavailableError, type GraphFile, type LocateOptions, type ModelFiles } from './model-files';
import { cpuInt8Support, parsePrecision, useInt8Screen, type Precision } from './cpu-features';
import { scoreWindows } from './score-pass';
import { asSentenceScore, combineWindows, wholeCappedBySentences, type UnitScore } from './signals';
import { surprisalOf } from './surprisal-pass';
import { DEFAULT_MAX_USER_TOKENS, PromptTokenizer, type Prompt } from './tokenizer';
import { describeScoring, type LatentExplanation, type RuntimeIdentity } from './types';

export interface RuntimeOptions extends LocateOptions {
  /** onnxruntime intra-op threads (default: the cores available). */
  threads?: number;
  batchSize?: number;
  /** Padded tokens per batch (bounds activation memory); default DEFAULT_BATCH_TOKENS. */
  batchTokens?: number;
  /** latent-guard.json; default: $LATENT_LINT_GUARD, else models/latent-guard.json. */
  guardPath?: string;
  /** Open without a guard file (benchmarks, next-token checks): score() is then unavailable. */
  withoutGuard?: boolean;
  /** Score through the KV-prefix graph when model_config.json has one (default true; false: benchmarks). */
  prefixCache?: boolean;
  /** Score on the truncated scoring graph even without a guard file to check its layers against (benchmarks). */
  forceScoringGraph?: boolean;
  /**
   * Read the adversarial-suffix signal (the guard file's `surprisal`) with the full model (default false;
   * `latent-lint score` turns it on, `check --surprisal` and latentLint.model.surprisal ask for it).
   * It runs every layer and the LM head on every token: about 3-4 times the guard's own cost.
   */
  surprisal?: boolean;
  /**
   * fp32: the fp32 scoring graph reads every unit. int8: the guard file's int8 screen reads every unit
   * first and units near a decision are read again in fp32 (screen.ts). auto (default): int8 where the
   * CPU has int8 dot products (AVX512-VNNI, AVX-VNNI, AMX), else fp32. Default: $LATENT_LINT_PRECISION, else auto.
   */
  precision?: Precision;
}

/** Calibration skips units shorter than this many words (headings, labels). */
export const DEFAULT_MIN_WORDS = 4;

export class LatentRuntime {
  /** The full graph (explain, and scoring when no truncated graph covers the guard's layers). */
  readonly model: LatentModel;
  /** The graph scoring runs on: the truncated scoring graph when it covers every layer the guard reads. */
  readonly scoringModel: LatentModel;
  readonly scoringLayers: number;
  /**
   * The KV-prefix graph scoring runs on: the chat template's fixed prefix goes through it once, and each
   * unit then only runs its own tokens. The truncated scoring graph when it has the prefix interface and
   * covers every layer the guard reads (then it is `scoringModel` too), else the full-depth prefix graph.
   */
  readonly prefixModel?: LatentModel;
  /** Layers of `prefixModel` (its past_key/past_value have this many). */
  readonly prefixLayers: number;
  private prefixKV?: Promise<PrefixCache>;
  readonly tokenizer: PromptTokenizer;
  readonly identity: RuntimeIdentity;
  /** Things worth telling the user that do not stop the guard (a graph it was not calibrated on). */
  readonly warnings: string[] = [];
  private readonly batchSize: number;
  private readonly batchTokens: number;
  /** The full-depth graph the surprisal signal runs on (the q4 graph when there: same weights, fastest with logits). */
  private readonly surprisalModel?: LatentModel;
  /** The explorer's mean-ablation runs (when the build has a mediation graph). */
  readonly mediation?: MediationSession;
  /**
   * The int8 screen and its margin, when it runs (screen.ts). Its keys and values are the fp32 graph's
   * (models/convert.py smooths no value channel), so it reads the fp32 prefix cache.
   */
  private readonly screen?: { model: LatentModel; layers: number; margin: number };
  /** Windows the screen read, and how many of them went on to the fp32 graph (bench, log). */
  readonly screenCounts = { screened: 0, exact: 0 };

  /** The int8 screen's graph when it runs (bench:model times it). */
  get screenModel(): LatentModel | undefined {
    return this.screen?.model;
  }

  private constructor(
    readonly files: ModelFiles,
    readonly guard: GuardFile | undefined,
    guardSha256: string,
    options: RuntimeOptions,
  ) {
    this.batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    this.batchTokens = options.batchTokens ?? DEFAULT_BATCH_TOKENS;
    if (files.mediation) this.mediation = new MediationSession(files.mediation, files.config, () => this.tokenizer.prefixIds, { threads: options.threads, verify: options.verify !== false });
    const { n_layers: layers, n_kv_heads: kvHeads, head_dim: headDim } = files.config;
    const session = (graph: { path: string; layers: number; prefix: boolean; sha256: string }, memory: { prepack?: boolean; arena?: boolean } = {}): LatentModel =>
      // A prefix-interface graph run without the cached prefix gets an empty past: it then computes what a plain graph does.
      new LatentModel(graph.path, {
        threads: options.threads,
        emptyPast: graph.prefix ? { layers: graph.layers, kvHeads, headDim } : undefined,
        sha256: options.verify === false ? undefined : graph.sha256,
        ...memory,
      });
    // A standing-in prefix graph may be the truncated guard graph (the .vsix ships it alone): its past has its own depth.
    const standInLayers = files.prefixStandsIn && files.prefix ? files.prefix.layers : layers;
    this.model = session({ path: files.graphPath, layers: standInLayers, prefix: files.prefixStandsIn, sha256: files.graphFileSha256 });
    this.tokenizer = PromptTokenizer.load(files, guard?.prompt.maxUserTokens ?? DEFAULT_MAX_USER_TOKENS);
    if (guard?.segments) this.tokenizer.sentences = { max: guard.segments.max, minWords: guard.segments.minWords ?? guard.prompt.minWords ?? DEFAULT_MIN_WORDS };
    const covers = (graph: GraphFile): boolean => (guard ? layersRead(guard) <= graph.layers : options.forceScoringGraph === true);
    const scoring = files.scoring && covers(files.scoring) ? files.scoring : undefined;
    const cache = options.prefixCache !== false && this.tokenizer.prefixIds.length > 0;
    // The prefix cache runs on the truncated scoring graph when it has the interface, else (full depth) on the prefix graph.
    const prefix = !cache ? undefined : scoring ? (scoring.prefix ? scoring : undefined) : files.prefix;
    this.prefixLayers = prefix?.layers ?? layers;
    // The int8 screen: only in front of the prefix-cached scoring graph it copies, with a margin from the guard file.
    const screenFile = files.screen;
    const precision = parsePrecision(options.precision);
    const screenUsable =
      screenFile && guard?.screen?.graph === screenFile.graph && scoring && prefix === scoring && screenFile.prefix && screenFile.layers === scoring.layers;
    const int8 = cpuInt8Support();
    const screening = screenUsable && guard?.screen && useInt8Screen(precision, int8) ? { file: screenFile, margin: guard.screen.margin } : undefined;
    if (!screening && precision === 'int8') {
      this.warnings.push(`precision int8 was asked for, but ${!screenFile ? 'this model build has no usable int8 screen graph' : !guard?.screen ? 'latent-guard.json has no screen section for it' : 'the screen graph does not match the scoring graph'}; scoring in fp32`);
    }
    if (prefix) {
      // One session when the prefix graph is also the main graph (the stand-in) or the scoring graph.
      // No memory arena: on a scan's many batch shapes it held ~95 MB more and was no faster (2-core EPYC).
      // Behind the screen it reads few rows: its weights are also held once (unpacked).
      this.prefixModel = files.prefixStandsIn && prefix === files.prefix ? this.model : session(prefix, screening ? { prepack: false, arena: false } : { arena: false });
    }
    this.scoringModel = scoring ? (prefix === scoring && this.prefixModel ? this.prefixModel : session(scoring)) : this.model;
    this.scoringLayers = scoring ? scoring.layers : layers;
    // Two sessions' arenas would each hold their largest batch: the screen frees its activations after each run.
    if (screening) this.screen = { model: session(screening.file, { arena: false }), layers: screening.file.layers, margin: screening.margin };
    const surprisalGraph = guard?.surprisal && options.surprisal === true ? fullGraphWithLogits(files) : undefined;
    if (surprisalGraph) {
      this.surprisalModel =
        surprisalGraph.path === files.graphPath ? this.model : new LatentModel(surprisalGraph.path, { threads: options.threads, sha256: options.verify === false ? undefined : surprisalGraph.sha256 });
    }
    // (A packaged prefix graph standing in as the default graph is named after the fp32 graph it computes.)
    const baseName =
      standInLayers < layers && files.prefix
        ? `${files.prefix.graph} (${standInLayers} layers)`
        : files.prefixStandsIn && files.config.reference_graph
          ? files.config.reference_graph.name
          : files.graph;
    const scoringName = scoring ? `${scoring.graph} (${scoring.layers} layers)` : baseName;
    const scoredBy = prefix ? `${scoringName} + ${prefix === scoring || standInLayers < layers ? 'prefix' : prefix.graph} cache` : scoringName;
    const scoredSha256 = prefix ? prefix.sha256 : scoring ? scoring.sha256 : files.graphSha256;
    const why = int8.features.length ? int8.features.join(', ') : precision === 'int8' ? 'forced' : '';
    this.identity = {
      modelName: guard?.model.name ?? files.config.name,
      graph: scoredBy,
      screen: this.screen && screenFile ? `${screenFile.graph} (int8; ${why})` : undefined,
      // With the screen, the non-flagged units' scores are int8 readings: their cache entries are kept apart.
      graphSha256: this.screen && screenFile ? createHash('sha256').update(`${scoredSha256}+${screenFile.sha256}`).digest('hex') : scoredSha256,
      guardSha256,
      layers: files.config.n_layers,
      threshold: guard?.threshold ?? NO_GUARD_THRESHOLD,
      minWords: guard?.prompt.minWords ?? DEFAULT_MIN_WORDS,
      surprisal: surprisalGraph ? `${surprisalGraph.graph} (${layers} layers, next-token surprisal)` : undefined,
    };
    // A corrupt graph that another stands in for is said, never silent (the CLI's stderr, the status bar).
    this.warnings.push(...(files.warnings ?? []));
    if (guard) {
      const drift = checkGuardFits(guard, files, this.tokenizer.systemPrompt);
      if (drift) this.warnings.push(drift);
    }
    // Falling back to the full-depth prefix graph costs depth only; a whole-prompt full graph is the slow path worth a word.
    if (guard && standInLayers < layers && layersRead(guard) > standInLayers) {
      this.warnings.push(`the ${files.graph} graph stops at layer ${standInLayers} but latent-guard.json reads layer ${layersRead(guard)}; the layers above are not scored`);
    }
    if (guard && files.scoring && !scoring && !prefix) {
      this.warnings.push(`the ${files.scoring.graph} scoring graph stops at layer ${files.scoring.layers} but latent-guard.json reads layer ${layersRead(guard)}; scoring with the full graph (slower)`);
    }
  }

  /** Locates and verifies the files (synchronous, no model load: the session loads on first use). */
  static open(options: RuntimeOptions = {}): LatentRuntime {
    const files = locateModelFiles(options);
    if (options.withoutGuard) return new LatentRuntime(files, undefined, '', options);
    const { guard, sha256 } = readGuardFile(options.guardPath);
    return new LatentRuntime(files, guard, sha256, options);
  }

  /** Loads the scoring session now (it otherwise loads on the first request; explain loads the full graph). */
  async load(): Promise<void> {
    if (this.prefixModel) await this.prefixKeyValues();
    else await this.scoringModel.load();
    await this.screen?.model.load();
  }

  /** The chat template prefix's keys and values (batch 1), computed once through the prefix graph. */
  prefixKeyValues(): Promise<PrefixCache> {
    const model = this.prefixModel;
    if (!model) throw new Error('no prefix graph');
    this.prefixKV ??= (async () => {
      const ids = this.tokenizer.prefixIds;
      const { n_kv_heads: kv, head_dim: hd } = this.files.config;
      const layers = this.prefixLayers;
      const empty = new Float32Array(0);
      const inputs = { ...packBatch([ids], [[ids.length - 1]], this.files.config.pad_token_id), past: { dims: [layers, 1, kv, 0, hd] as const, key: empty, value: empty } };
      const out = await model.run(inputs, ['present_key', 'present_value', 'resid']);
      const dims = out.present_key.dims;
      if (dims.length !== 5 || dims[1] !== 1 || dims[3] !== ids.length) throw new Error(`prefix graph returned present_key [${dims.join(', ')}]`);
      const past: PrefixCache = { dims: [dims[0], dims[1], dims[2], dims[3], dims[4]], key: out.present_key.data, value: out.present_value.data, resid: out.resid.data };
      return past;
    })().catch((error: unknown) => {
      this.prefixKV = undefined;
      throw error;
    });
    return this.prefixKV;
  }

  /** Runs prompts in length-sorted batches, reading `positionsOf(prompt)` in each; returns outputs per prompt. */
  async forward<Name extends OutputName>(
    prompts: readonly Prompt[],
    positionsOf: (prompt: Prompt) => number[],
    outputs: readonly Name[],
    shouldStop?: () => boolean,
    model: LatentModel = this.model,
    past?: PastKV,
  ): Promise<Record<Name, Float32Array>[]> {
    // With `past` (batch 1, a prefix graph): every prompt starts with its tokens; run only the rest.
    const skip = past ? past.dims[3] : 0;
    const results = new Array<Record<Name, Float32Array>>(prompts.length);
    const batches = planBatches(
      prompts.map((p) => p.ids.length - skip),
      this.batchSize,
      this.batchTokens,
    );
    for (const batch of batches) {
      if (shouldStop?.()) throw new CancelledError();
      const inputs = packBatch(
        batch.map((i) => (skip ? prompts[i].ids.slice(skip) : prompts[i].ids)),
        batch.map((i) => (skip ? positionsOf(prompts[i]).map((t) => t - skip) : positionsOf(prompts[i]))),
        this.files.config.pad_token_id,
      );
      if (past) inputs.past = tilePast(past, inputs.batch);
      const started = performance.now();
      const out = await model.run(inputs, outputs);
      // $LATENT_LINT_BATCH_LOG: one JSON line per batch, for npm run bench:scan (ms per unit, achieved rate).
      const log = process.env.LATENT_LINT_BATCH_LOG;
      if (log) {
        const tokens = batch.reduce((sum, i) => sum + prompts[i].ids.length - skip, 0);
        const layers = model === this.screen?.model ? this.screen.layers : model === this.prefixModel ? this.prefixLayers : model === this.scoringModel ? this.scoringLayers : this.files.config.n_layers;
        const precision = model === this.screen?.model ? 'int8' : 'fp32';
        fs.appendFileSync(log, `${JSON.stringify({ graph: describeScoring(this.identity), precision, layers, rows: inputs.batch, seq: inputs.seq, tokens, ms: performance.now() - started })}\n`);
      }
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

  /** Scores texts (one user turn each); `exact`: in fp32 even where the int8 screen runs (the explorer). */
  async score(texts: readonly string[], shouldStop?: () => boolean, { exact = false } = {}): Promise<UnitScore[]> {
    const guard = this.requireGuard();
    // A unit that fits is one prompt (one forward, as ever); a longer one is one prompt per window,
    // then one per sentence read alone (guard `segments`); every prompt of every unit goes through the
    // same batches.
    const units = texts.map((text) => this.tokenizer.buildWindows(text));
    const prompts = units.flatMap((unit) => unit.prompts);
    const windowScores = await scoreWindows(this, guard, prompts, shouldStop, exact ? undefined : this.screen);
    // The adversarial-suffix signal reads the whole text's windows, not its sentences again.
    const windowPrompts = units.flatMap((unit) => unit.prompts.slice(0, unit.windows));
    const surprisal =
      this.surprisalModel && guard.surprisal
        ? await surprisalOf(
            { model: this.surprisalModel, tokenizer: this.tokenizer, settings: guard.surprisal, config: this.files.config, batchSize: this.batchSize, batchTokens: this.batchTokens },
            windowPrompts,
            units.flatMap((unit, i) => unit.prompts.slice(0, unit.windows).map(() => texts[i])),
            () => {
              if (shouldStop?.()) throw new CancelledError();
            },
          )
        : undefined;
    let next = 0;
    let nextWindow = 0;
    return units.map((unit) => {
      const from = next;
      const read = windowScores.slice(from, (next += unit.prompts.length));
      const scores = read.map((score, i) => (i < unit.windows || !guard.segments ? score : asSentenceScore(score, guard, guard.segments.margin)));
      if (guard.segments?.wholeAbove !== undefined && unit.windows === 1 && unit.sentencesAll) {
        scores[0] = wholeCappedBySentences(scores[0], read.slice(unit.windows), guard, guard.segments.wholeAbove);
      }
      const score = combineWindows(scores, { tokens: unit.userTokens, truncated: unit.truncated, windows: unit.ranges });
      const fromWindow = nextWindow;
      if (surprisal) score.surprisal = surprisal.slice(fromWindow, (nextWindow += unit.windows)).reduce((best, window) => (window.score > best.score ? window : best));
      return score;
    });
  }

  /** Everything the explorer shows for one text, from what scored it (explain-pass.ts). */
  explain(text: string): Promise<LatentExplanation> {
    return explainText(this, this.requireGuard(), text);
  }

  async release(): Promise<void> {
    this.prefixKV = undefined;
    await this.mediation?.release();
    for (const model of new Set([this.model, this.scoringModel, this.prefixModel, this.surprisalModel, this.screen?.model])) await model?.release();
  }

  private requireGuard(): GuardFile {
    if (!this.guard) throw new ModelUnavailableError('guard-missing', 'this runtime was opened without a guard file');
    return this.guard;
  }
}

/** The cached chat template prefix: its keys/values (batch 1) and resid at its last token [layers + 1, hidden]. */
export interface PrefixCache extends PastKV {
  resid: Float32Array;
}

export class CancelledError extends Error {
  constructor() {
    super('The request was cancelled.');
    this.name = 'AbortError';
  }
}
