// The latent guard as the engine and the language server see it: a state (loading / ready / failed,
// with change events for the status bar), a score cache, and a backend that runs the model.
import { CoalescingBackend, InProcessBackend, WorkerBackend, type LatentBackend } from './client';
import { ScoreCache, type ScoreCacheOptions } from './cache';
import { ModelUnavailableError, type UnavailableReason } from './model-files';
import type { LatentExplanation, RuntimeIdentity, RuntimeOptions } from './runtime';
import type { UnitScore } from './signals';

export type LatentState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; identity: RuntimeIdentity; warnings: string[] }
  | { status: 'failed'; reason: UnavailableReason | 'error'; message: string };

export interface LatentGuardOptions extends RuntimeOptions {
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

export class LatentGuardService {
  private currentState: LatentState = { status: 'idle' };
  private readonly listeners = new Set<(state: LatentState) => void>();
  private readonly backend: LatentBackend;
  private starting?: Promise<LatentState>;
  private cache?: ScoreCache;
  private failedAt = 0;

  constructor(private readonly options: LatentGuardOptions = {}) {
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
        this.cache = new ScoreCache(`${info.identity.graphSha256}\n${info.identity.guardSha256}`, this.options.cache);
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

  /** Scores texts; cached texts are answered without the model, the rest go in one batched request. */
  async scoreTexts(texts: readonly string[], signal?: AbortSignal): Promise<UnitScore[]> {
    const cache = await this.ready();
    const results = new Array<UnitScore | undefined>(texts.length);
    const missing = new Map<string, number[]>();
    texts.forEach((text, i) => {
      const hit = cache.get(text);
      if (hit) results[i] = hit;
      else missing.set(text, [...(missing.get(text) ?? []), i]);
    });
    if (missing.size) {
      const unique = [...missing.keys()];
      let scores: UnitScore[];
      try {
        scores = await this.backend.score(unique, signal);
      } catch (error) {
        // The session failed to load (a graph changed since it was verified): from now on the guard
        // is unavailable, and its cache serves nothing either, until a retry loads the model.
        if (error instanceof ModelUnavailableError) this.fail(error.reason, error.message);
        throw error;
      }
      unique.forEach((text, k) => {
        cache.set(text, scores[k]);
        for (const i of missing.get(text) ?? []) results[i] = scores[k];
      });
    }
    return results as UnitScore[];
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
