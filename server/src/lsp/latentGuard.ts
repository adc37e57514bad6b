// The latent guard (server/src/latent) behind the server's LatentGuard seam: model state for the
// status bar, the threshold from settings or config, threads, and explain for the Latent Explorer.
import type { ParsedDocument, RuleMeta, UnitScorer } from '../core/types';
import type { LatentState } from '../latent/guard';
import { LatentScorer } from '../latent/scorer';
import type { ExplainResult } from '../protocol/explain';
import type { ModelState } from '../protocol/messages';
import type { LatentGuard, LatentGuardOptions } from './latent';

export interface ScorerGuardOptions {
  /** The threshold for a file from its `.latentlint.yaml` (undefined: the calibrated one). */
  thresholdFor?(filePath: string): number | undefined;
  /** Builds the scorer (tests pass one on the tiny model). */
  createScorer?(threads: number | undefined): LatentScorer;
}

function toModelState(state: LatentState): ModelState {
  switch (state.status) {
    case 'idle':
    case 'loading':
      return { state: 'loading' };
    case 'ready':
      return { state: 'ready', model: state.identity.modelName, graph: state.identity.graph };
    case 'failed':
      // No model or no calibrated guard built: a setup step, not a crash.
      if (state.reason === 'missing' || state.reason === 'guard-missing') return { state: 'rules-only', reason: state.message };
      return { state: 'failed', reason: state.message };
  }
}

class ScorerGuard implements LatentGuard {
  readonly scorer: UnitScorer & { metas: RuleMeta[] };
  private latent: LatentScorer;
  private threads: number | undefined;
  private threshold: number | undefined;
  private stopListening: () => void;
  private readonly listeners = new Set<(state: ModelState) => void>();

  constructor(private readonly options: ScorerGuardOptions) {
    this.latent = this.create(undefined);
    this.stopListening = this.listen();
    const metas = (): RuleMeta[] => this.latent.metas;
    this.scorer = {
      id: 'latent-guard',
      get metas() {
        return metas();
      },
      score: (document: ParsedDocument, signal?: AbortSignal) =>
        this.latent.score(document, signal, { threshold: this.threshold ?? this.options.thresholdFor?.(document.uri) }),
    };
  }

  private create(threads: number | undefined): LatentScorer {
    return this.options.createScorer?.(threads) ?? new LatentScorer({ mode: 'worker', threads });
  }

  private listen(): () => void {
    return this.latent.onDidChangeState((state) => {
      for (const listener of this.listeners) listener(toModelState(state));
    });
  }

  state(): ModelState {
    return toModelState(this.latent.state);
  }

  onStateChange(listener: (state: ModelState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async configure(options: LatentGuardOptions): Promise<void> {
    this.threshold = options.threshold;
    if (options.threads === this.threads) return;
    // Threads are fixed when the session opens: a new count means a new session.
    this.threads = options.threads;
    const previous = this.latent;
    this.stopListening();
    this.latent = this.create(options.threads);
    this.stopListening = this.listen();
    await previous.dispose().catch(() => undefined);
    for (const listener of this.listeners) listener(this.state());
  }

  async warm(): Promise<void> {
    await this.latent.start();
  }

  async explain(text: string, _params: unknown, signal?: AbortSignal): Promise<ExplainResult> {
    const explanation = await this.latent.service.explain(text, signal);
    const { score: _score, ...verdict } = explanation.verdict;
    const state = this.latent.state;
    const threshold = this.threshold ?? (state.status === 'ready' ? state.identity.threshold : 0.5);
    return { ...explanation, verdict: { ...verdict, threshold, flagged: verdict.probability >= threshold, rules: [] } };
  }

  async dispose(): Promise<void> {
    this.stopListening();
    await this.latent.dispose();
  }
}

export function createLatentGuard(options: ScorerGuardOptions = {}): LatentGuard {
  return new ScorerGuard(options);
}
