// The latent guard as the engine and the language server see it: a state (loading / ready / failed,
// with change events for the status bar), a score cache, and a backend that runs the model.
import { CoalescingBackend, InProcessBackend, WorkerBackend, type LatentBackend } from './client';
import { ScoreCache, type ScoreCacheOptions } from './cache';
import { ModelUnavailableError, type UnavailableReason } from './model-files';
import { CancelledError, type RuntimeOptions } from './runtime';
import type { LatentExplanation, LatentState } from './types';
import type { UnitScore } from './signals';

export interface GuardServiceOptions extends RuntimeOptions {
  /** 'worker' (default; keeps the caller's event loop free) or 'in-process' (CLI, tests). */
  mode?: 'worker' | 'in-process';
  /** A ready-made backend (tests). */
  backend?: LatentBackend;
  cache?: ScoreCacheOptions;
  /** Worker script path (default: latent-worker.js beside the bundle). */
  workerPath?: string;
  /** Score nothing (instead of throwing) when the model is unavailable: the caller told the user once. */
  quietWhenUnavailable?: boolean;
  /**
   * Verify files and read the guard at start, but create the ONNX session only when a text misses
   * the cache (the CLI: a warm re-run never loads the model). Default false: load at start.
   */
  lazySession?: boolean;
  /** How long a failed load is remembered before the next request tries again (default 30 s). */
  retryMs?: number;
}

const RETRY_MS = 30_000;

/**
 * Estimated tokens per request to the model while one file is scored (about a second on two cores):
 * progress, the token budget and cancellation are checked between requests.
 */
export const SCORE_CHUNK_TOKENS = 2048;

/** A token estimate before tokenizing (SmolLM2's tokenizer reads about 4 characters of English a token). */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

export interface ScoreWithinOptions {
  /** Tokens the model may read for these texts; the rest are left unscored. Default: no limit. */
  maxTokens?: number;
  /** Called before the first request to the model and after each: texts answered, tokens read. */
  onProgress?(scored: number, tokens: number): void;
}

export interface BudgetedScores {
  /** One per text; undefined for a text the budget left unscored. */
  scores: (UnitScore | undefined)[];
  /** Tokens the model read (cache hits cost none). */
  tokens: number;
}

export class LatentGuardService {
  private currentState: LatentState = { status: 'idle' };
  private readonly listeners = new Set<(state: LatentState) => void>();
  private readonly backend: LatentBackend;
  private starting?: Promise<LatentState>;
  private cache?: ScoreCache;
  private failedAt = 0;

  constructor(private readonly options: GuardServiceOptions = {}) {
    // Concurrent requests (files linted side by side) share the model's batches.
    this.backend = new CoalescingBackend(
      options.backend ?? (options.mode === 'in-process' ? new InProcessBackend(options) : new WorkerBackend(options, options.workerPath)),
    );
  }

  get state(): LatentState {
    return this.currentState;
  }

  /** Calls `listener` on every state change; returns an unsubscribe function. */
  onDidChangeState(listener: (state: LatentState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setState(state: LatentState): void {
    this.currentState = state;
    for (const listener of this.listeners) listener(state);
  }

  /**
   * Loads the model once; resolves to 'ready' or 'failed' (never throws). After a failure (model not
   * built yet, say) a later call tries again once RETRY_MS have passed, so building the model does
   * not need an editor restart.
   */
  start(): Promise<LatentState> {
    if (this.currentState.status === 'failed' && Date.now() - this.failedAt >= (this.options.retryMs ?? RETRY_MS)) this.starting = undefined;
    this.starting ??= (async (): Promise<LatentState> => {
      this.setState({ status: 'loading' });
      try {
        const info = await this.backend.open(!this.options.lazySession);
        // Scores read without the surprisal signal are kept apart, so turning it on never serves them.
        this.cache = new ScoreCache(`${info.identity.graphSha256}\n${info.identity.guardSha256}${info.identity.surprisal ? '' : '\nno-surprisal'}`, this.options.cache);
        this.setState({ status: 'ready', identity: info.identity, warnings: info.warnings });
      } catch (error) {
        this.fail(error instanceof ModelUnavailableError ? error.reason : 'error', (error as Error).message);
      }
      return this.currentState;
    })();
    return this.starting;
  }

  private fail(reason: UnavailableReason | 'error', message: string): void {
    this.failedAt = Date.now();
    this.cache = undefined;
    this.starting = Promise.resolve({ status: 'failed', reason, message });
    this.setState({ status: 'failed', reason, message });
  }

  /**
   * After a failure, loads again now instead of after RETRY_MS: the model's files came back (the
   * language server watches them) or the user chose Retry. Otherwise the same as start().
   */
  retry(): Promise<LatentState> {
    if (this.currentState.status === 'failed') this.starting = undefined;
    return this.start();
  }

  /** Throws ModelUnavailableError when the guard cannot run, so callers can say why. */
  private async ready(): Promise<ScoreCache> {
    const state = await this.start();
    if (state.status === 'failed') throw new ModelUnavailableError(state.reason === 'error' ? 'load-failed' : state.reason, state.message);
    return this.cache as ScoreCache;
  }

  /** Scores texts; cached texts are answered without the model, the rest go to it in chunks. */
  async scoreTexts(texts: readonly string[], signal?: AbortSignal): Promise<UnitScore[]> {
    return (await this.scoreWithin(texts, signal)).scores as UnitScore[];
  }

  /**
   * Scores texts in order, cached ones without the model; the rest go to the model in chunks of about
   * SCORE_CHUNK_TOKENS, so progress is reported and the budget and `signal` are checked between
   * chunks. Once the model has read `maxTokens` tokens, the texts left are not scored (undefined).
   */
  async scoreWithin(texts: readonly string[], signal?: AbortSignal, options: ScoreWithinOptions = {}): Promise<BudgetedScores> {
    const cache = await this.ready();
    const results = new Array<UnitScore | undefined>(texts.length);
    const missing = new Map<string, number[]>();
    let scored = 0;
    texts.forEach((text, i) => {
      const hit = cache.get(text);
      if (hit) {
        results[i] = hit;
        scored++;
      } else missing.set(text, [...(missing.get(text) ?? []), i]);
    });
    let tokens = 0;
    const unique = [...missing.keys()];
    const limit = options.maxTokens ?? Infinity;
    if (signal?.aborted) throw new CancelledError();
    if (unique.length) options.onProgress?.(scored, tokens);
    let next = 0;
    // Tokens per character, learnt from what the model reads (a tokenizer may read 4 characters a
    // token or 1), so a wrong guess cannot overrun the budget by much.
    let perChar = 0.25;
    let chars = 0;
    let first = true;
    while (next < unique.length && tokens < limit) {
      if (signal?.aborted) throw new CancelledError();
      const chunk: string[] = [];
      let estimate = 0;
      // Under a budget the first request is one text: it measures the tokenizer before any guess can
      // overrun the budget. Without one, the first chunk is full (it can share a batch with others).
      const size = first && Number.isFinite(limit) ? 0 : SCORE_CHUNK_TOKENS;
      first = false;
      while (next < unique.length) {
        const cost = Math.max(1, Math.ceil(unique[next].length * perChar));
        // A text that does not fit what is left of the budget is not started (unless nothing was read yet).
        if (tokens + estimate + cost > limit && (chunk.length > 0 || tokens > 0)) break;
        if (chunk.length > 0 && estimate + cost > size) break;
        chunk.push(unique[next++]);
        estimate += cost;
      }
      if (chunk.length === 0) break;
      let scores: UnitScore[];
      try {
        scores = await this.backend.score(chunk, signal);
      } catch (error) {
        // The session failed to load (a graph changed since it was verified): from now on the guard
        // is unavailable, and its cache serves nothing either, until a retry loads the model.
        if (error instanceof ModelUnavailableError) this.fail(error.reason, error.message);
        throw error;
      }
      chunk.forEach((text, k) => {
        cache.set(text, scores[k]);
        tokens += scores[k].tokens ?? estimateTokens(text);
        chars += text.length;
        const indices = missing.get(text) ?? [];
        for (const i of indices) results[i] = scores[k];
        scored += indices.length;
      });
      if (chars > 0 && tokens > 0) perChar = tokens / chars;
      options.onProgress?.(scored, tokens);
    }
    return { scores: results, tokens };
  }

  async explain(text: string, signal?: AbortSignal): Promise<LatentExplanation> {
    await this.ready();
    return this.backend.explain(text, signal);
  }

  get cacheStats(): { hits: number; misses: number } {
    return { hits: this.cache?.hits ?? 0, misses: this.cache?.misses ?? 0 };
  }

  /** Releases the ONNX session (and the worker). */
  async dispose(): Promise<void> {
    await this.backend.close();
    this.listeners.clear();
  }
}
