// The latent guard: the one surface the engine, the language server and the CLI use. It scores
// documents (a UnitScorer the engine plugs in), explains a text for the Latent Explorer, says where
// the model is (state and changes), takes settings (threshold, threads) and is disposed. Behind it,
// the service (state, score cache) and the backend (the worker, or in process) that runs the model.
// While the model is unavailable it can watch the model's files, so it comes back without a reload.
import type { ExplainResult } from '../core/explain';
import type { ParsedDocument, RuleMeta, RuleReportWithRule, Unit, UnitScoreOptions, UnitScorer } from '../core/types';
import { toExplainResult } from './explain';
import { LatentGuardService, type GuardServiceOptions } from './guard';
import { NO_GUARD_THRESHOLD } from './guard-file';
import { describeGraphs, ModelUnavailableError } from './model-files';
import { defaultGuardPath, expectedModelDirs } from './model-paths';
import { watchSettled } from './watch-files';
import { DEFAULT_MIN_WORDS } from './runtime';
import {
  BUDGET_EXCEEDED,
  budgetReport,
  DEFAULT_MAX_FILE_TOKENS,
  HARMFUL_REQUEST,
  INJECTION,
  JAILBREAK,
  REFUSAL_SUPPRESSED,
  reportsFor,
  scoredByGuard,
  type ScorerBudget,
} from './scorer';
import type { UnitScore } from './signals';
import { describeScoring, type LatentState } from './types';

/** Editor settings the guard takes (undefined: the calibrated threshold; threads chosen for the machine). */
export interface LatentGuardSettings {
  threshold?: number;
  threads?: number;
  /** Tokens the model may read in one file (latentLint.model.maxFileTokens); undefined keeps the default budget. */
  maxFileTokens?: number;
  /** Read the adversarial-suffix signal (latentLint.model.surprisal); undefined keeps the guard's option (off). */
  surprisal?: boolean;
}

/** What explain adds to the explanation: where the text came from and the policy rules that fired on it. */
export interface ExplainContext {
  rules?: ExplainResult['verdict']['rules'];
  /** The file's configured threshold (.latentlint.yaml latent.threshold), as the diagnostic used; the editor setting wins over it. */
  threshold?: number;
  /** The latent findings the editor shows on this text. */
  diagnostics?: ExplainResult['verdict']['diagnostics'];
  uri?: string;
  unitId?: string;
  textOffset?: number;
}

export interface LatentGuard extends UnitScorer {
  /** The latent rules' metadata, known before the model loads (config files may name them). */
  readonly metas: readonly RuleMeta[];
  /** Where the model is now (idle, loading, ready, failed). */
  state(): LatentState;
  /** Called on every state change; returns a function that stops listening. */
  onStateChange(listener: (state: LatentState) => void): () => void;
  /** Loads the model now rather than on the first document; resolves to ready or failed, never throws. */
  start(): Promise<LatentState>;
  /** After a failure, loads again now (the "Retry" action, or the model's files came back). */
  retry(): Promise<LatentState>;
  /** Scores raw texts (`latent-lint score`, benchmarks): cached texts are answered without the model. */
  scoreTexts(texts: readonly string[], signal?: AbortSignal): Promise<UnitScore[]>;
  /** Per-layer, per-neuron explanation of a text, with the threshold in force (the Latent Explorer's data). */
  explain(text: string, context?: ExplainContext, signal?: AbortSignal): Promise<ExplainResult>;
  /** Applies settings; a new thread count opens a new session. */
  configure(settings: LatentGuardSettings): Promise<void>;
  dispose(): Promise<void>;
}

export interface LatentGuardOptions extends GuardServiceOptions, ScorerBudget {
  /** Builds the service for a thread count (tests pass one on the tiny model). */
  createService?(threads: number | undefined, surprisal?: boolean): LatentGuardService;
  /** Where load progress and failures go (the server's console: the Output channel). */
  log?(message: string): void;
  /** While the model is unavailable, watch its files and load again when they change (the server). */
  watch?: boolean;
  /** Files and folders whose change may fix a failed load; default: the model folders and the guard file. */
  watchPaths?(): string[];
  /** How often a failed guard looks at those paths (default $LATENT_LINT_MODEL_WATCH_MS, else 2000 ms). */
  watchIntervalMs?: number;
}

/** The threshold in force: the one asked for, else the guard file's, else NO_GUARD_THRESHOLD (no guard read yet). */
export function thresholdIn(state: LatentState, asked?: number): number {
  return asked ?? (state.status === 'ready' ? state.identity.threshold : NO_GUARD_THRESHOLD);
}

export function createLatentGuard(options: LatentGuardOptions = {}): LatentGuard {
  return new ModelGuard(options);
}

class ModelGuard implements LatentGuard {
  readonly metas: readonly RuleMeta[] = [HARMFUL_REQUEST, INJECTION, JAILBREAK, REFUSAL_SUPPRESSED, BUDGET_EXCEEDED];
  /** Tokens the model has read for this guard's documents, all files together (the run budget). */
  private runTokens = 0;
  private service: LatentGuardService;
  private settings: LatentGuardSettings = {};
  private stopForwarding: () => void;
  private readonly listeners = new Set<(state: LatentState) => void>();
  private loadStarted = 0;
  /** Stops watching the model's files. */
  private watcher?: () => void;

  constructor(private readonly options: LatentGuardOptions) {
    this.service = this.create(options.threads);
    this.stopForwarding = this.forward();
    if (options.log || options.watch) this.onStateChange((state) => this.track(state));
  }

  /** Names the guard file in force, so result caches keyed on it go stale after a recalibration. */
  get id(): string {
    const state = this.service.state;
    if (state.status === 'ready') return `latent-guard:${state.identity.graphSha256.slice(0, 12)}:${state.identity.guardSha256.slice(0, 12)}${state.identity.surprisal ? '' : ':no-surprisal'}`;
    return `latent-guard:${state.status}`;
  }

  private create(threads: number | undefined, surprisal?: boolean): LatentGuardService {
    // Only data goes on to the service: its options travel to the worker, which cannot take functions.
    const { createService, log: _log, watch: _watch, watchPaths: _paths, watchIntervalMs: _interval, maxFileTokens: _file, maxRunTokens: _run, ...service } = this.options;
    return createService?.(threads, surprisal) ?? new LatentGuardService({ ...service, threads: threads ?? service.threads, surprisal: surprisal ?? service.surprisal });
  }

  private forward(): () => void {
    return this.service.onDidChangeState((state) => {
      for (const listener of this.listeners) listener(state);
    });
  }

  state(): LatentState {
    return this.service.state;
  }

  onStateChange(listener: (state: LatentState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): Promise<LatentState> {
    return this.service.start();
  }

  retry(): Promise<LatentState> {
    return this.service.retry();
  }

  /**
   * `options.threshold` is the file's config; the editor's setting wins over it. The model reads at
   * most `options.maxTokens` (else the editor's maxFileTokens, the guard's, DEFAULT_MAX_FILE_TOKENS)
   * tokens of this file and what is left of maxRunTokens; units past the budget get one
   * latent/budget-exceeded finding.
   */
  async score(document: ParsedDocument, signal?: AbortSignal, options: UnitScoreOptions = {}): Promise<RuleReportWithRule[]> {
    if (!document.units.some((unit) => unit.instruction)) return [];
    const service = this.service;
    const state = await service.start();
    if (state.status === 'failed' && this.options.quietWhenUnavailable) return [];
    if (state.status === 'failed') throw new ModelUnavailableError(state.reason === 'error' ? 'load-failed' : state.reason, state.message);
    const units = document.units.filter((unit) => scoredByGuard(unit, state.status === 'ready' ? state.identity.minWords : DEFAULT_MIN_WORDS));
    if (units.length === 0) return [];
    const fileLimit = options.maxTokens ?? this.settings.maxFileTokens ?? this.options.maxFileTokens ?? DEFAULT_MAX_FILE_TOKENS;
    const runLeft = Math.max(0, (this.options.maxRunTokens ?? Infinity) - this.runTokens);
    const limit = Math.min(fileLimit, runLeft);
    const onProgress = options.onProgress;
    let tokens = 0;
    let scores: (UnitScore | undefined)[];
    try {
      const within = await service.scoreWithin(
        units.map((unit) => unit.text),
        signal,
        { maxTokens: limit, onProgress: onProgress && ((scored, read) => onProgress({ scored, total: units.length, tokens: read })) },
      );
      scores = within.scores;
      tokens = within.tokens;
    } finally {
      this.runTokens += tokens;
    }
    const threshold = thresholdIn(state, this.settings.threshold ?? options.threshold);
    const reports: RuleReportWithRule[] = [];
    const unscored: Unit[] = [];
    units.forEach((unit, i) => {
      const score = scores[i];
      if (score) reports.push(...reportsFor(unit, score, threshold));
      else unscored.push(unit);
    });
    if (unscored.length) {
      const which =
        runLeft < fileLimit
          ? { name: 'run', limit: this.options.maxRunTokens ?? 0, flag: '--max-run-tokens' }
          : { name: 'file', limit: fileLimit, flag: '--max-file-tokens or latentLint.model.maxFileTokens' };
      reports.push(budgetReport(document, units.length, unscored, tokens, which));
    }
    return reports;
  }

  scoreTexts(texts: readonly string[], signal?: AbortSignal): Promise<UnitScore[]> {
    return this.service.scoreTexts(texts, signal);
  }

  async explain(text: string, context: ExplainContext = {}, signal?: AbortSignal): Promise<ExplainResult> {
    // The verdict is the diagnostic's own score (the cache entry it was made from, when there is one),
    // unless that was the int8 screen's reading: the explorer's fp32 pass (far below every decision
    // too) is then the verdict, so its terms add up to what it shows.
    const [score] = await this.service.scoreTexts([text], signal);
    const explanation = await this.service.explain(text, signal);
    if (!score.screened) {
      explanation.verdict = { ...explanation.verdict, probability: score.probability, logit: score.logit, score };
      explanation.readouts[0] = { ...explanation.readouts[0], probability: score.probability, logit: score.logit };
    }
    const { threshold, ...rest } = context;
    return toExplainResult(explanation, { ...rest, threshold: thresholdIn(this.service.state, this.settings.threshold ?? threshold) });
  }

  async configure(settings: LatentGuardSettings): Promise<void> {
    const before = this.settings;
    this.settings = { ...settings };
    if (settings.threads === before.threads && (settings.surprisal ?? false) === (before.surprisal ?? false)) return;
    // Threads and the graphs read are fixed when the session opens: a change means a new session.
    const previous = this.service;
    this.stopForwarding();
    this.service = this.create(settings.threads, settings.surprisal);
    this.stopForwarding = this.forward();
    await previous.dispose().catch(() => undefined);
    for (const listener of this.listeners) listener(this.state());
  }

  async dispose(): Promise<void> {
    this.stopWatching();
    this.stopForwarding();
    await this.service.dispose();
  }

  private log(message: string): void {
    this.options.log?.(`Latent guard: ${message}`);
  }

  /** Logs each load and, while the model is unavailable, watches its files. */
  private track(state: LatentState): void {
    const seconds = (): string => `${((Date.now() - this.loadStarted) / 1000).toFixed(1)} s`;
    if (state.status === 'loading') {
      this.loadStarted = Date.now();
      this.log(`loading the model: ${describeGraphs()}`);
    } else if (state.status === 'ready') {
      this.stopWatching();
      this.log(`ready in ${seconds()}: ${state.identity.modelName}, graph ${describeScoring(state.identity)}`);
      for (const warning of state.warnings) this.log(`warning: ${warning}`);
    } else if (state.status === 'failed') {
      this.log(`not loaded (after ${seconds()}); policy rules only until it loads: ${state.message}`);
      if (this.options.watch) this.startWatching();
    }
  }

  private startWatching(): void {
    if (this.watcher) return;
    const paths = this.options.watchPaths?.() ?? [...expectedModelDirs(), ...[defaultGuardPath()].filter((p): p is string => p !== undefined)];
    const interval = this.options.watchIntervalMs ?? (Number(process.env.LATENT_LINT_MODEL_WATCH_MS) || 2000);
    this.log(`watching ${paths.join(', ')} for the model's files`);
    this.watcher = watchSettled(paths, interval, () => {
      this.log('the model files changed; loading again');
      void this.retry();
    });
  }

  private stopWatching(): void {
    this.watcher?.();
    this.watcher = undefined;
  }
}
