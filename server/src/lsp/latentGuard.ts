// The latent guard (server/src/latent) behind the server's LatentGuard seam: model state for the
// status bar, the threshold from settings or config, threads, and explain for the Latent Explorer.
// It logs each load (start, graph files and sizes, time taken, failure) and, while the model is
// unavailable, watches its files so that the guard comes back without a reload when they do.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ParsedDocument, RuleMeta, UnitScoreOptions, UnitScorer } from '../core/types';
import type { LatentState } from '../latent/guard';
import { defaultGuardPath, expectedModelDirs, locateModelFiles } from '../latent/model-files';
import { LatentScorer } from '../latent/scorer';
import type { ExplainResult } from '../protocol/explain';
import type { ModelState } from '../protocol/messages';
import type { LatentGuard, LatentGuardOptions } from './latent';

export interface ScorerGuardOptions {
  /** The threshold for a file from its `.latentlint.yaml` (undefined: the calibrated one). */
  thresholdFor?(filePath: string): number | undefined;
  /** Builds the scorer (tests pass one on the tiny model). */
  createScorer?(threads: number | undefined): LatentScorer;
  /** Where load progress and failures go (the server's console: the Output channel). */
  log?(message: string): void;
  /** Files and folders whose change may fix a failed load; default: the model folders and the guard file. */
  watchPaths?(): string[];
  /** How often a failed guard looks at those paths (default $LATENT_LINT_MODEL_WATCH_MS, else 2000 ms). */
  watchIntervalMs?: number;
}

const MB = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

function fileSize(file: string): string {
  try {
    return MB(fs.statSync(file).size);
  } catch {
    return 'missing';
  }
}

/** The graph files a load reads, with sizes, for the log (best effort: the load itself says why it fails). */
function describeGraphs(): string {
  try {
    const files = locateModelFiles({ verify: false });
    const graphs = [`${files.graph} ${files.graphPath} (${fileSize(files.graphPath)})`];
    if (files.scoring && files.scoring.path !== files.graphPath) graphs.push(`scoring ${files.scoring.graph} ${files.scoring.path} (${fileSize(files.scoring.path)})`);
    if (files.prefix && files.prefix.path !== files.graphPath) graphs.push(`prefix ${files.prefix.graph} ${files.prefix.path} (${fileSize(files.prefix.path)})`);
    return graphs.join('; ');
  } catch (error) {
    return (error as Error).message;
  }
}

/** Names, sizes and times of what is at `paths` (one level into folders): it changes when files come or go. */
function fingerprint(paths: string[]): string {
  return paths
    .map((entry) => {
      try {
        const stat = fs.statSync(entry);
        if (!stat.isDirectory()) return `${entry}:${stat.size}:${stat.mtimeMs}`;
        const children = fs.readdirSync(entry).sort().map((name) => {
          try {
            const child = fs.statSync(path.join(entry, name));
            return `${name}:${child.size}:${child.mtimeMs}`;
          } catch {
            return name;
          }
        });
        return `${entry}/[${children.join(',')}]`;
      } catch {
        return `${entry}:absent`;
      }
    })
    .join('\n');
}

function toModelState(state: LatentState): ModelState {
  switch (state.status) {
    case 'idle':
    case 'loading':
      return { state: 'loading' };
    case 'ready':
      return { state: 'ready', model: state.identity.modelName, graph: state.identity.graph, ...(state.warnings.length ? { warnings: state.warnings } : {}) };
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
  private maxFileTokens: number | undefined;
  private stopListening: () => void;
  private readonly listeners = new Set<(state: ModelState) => void>();
  private loadStarted = 0;
  private watcher?: ReturnType<typeof setInterval>;

  constructor(private readonly options: ScorerGuardOptions) {
    this.latent = this.create(undefined);
    this.stopListening = this.listen();
    this.onStateChange((state) => this.track(state));
    const metas = (): RuleMeta[] => this.latent.metas;
    this.scorer = {
      id: 'latent-guard',
      get metas() {
        return metas();
      },
      score: (document: ParsedDocument, signal?: AbortSignal, options?: UnitScoreOptions) =>
        this.latent.score(document, signal, {
          ...options,
          threshold: this.threshold ?? this.options.thresholdFor?.(document.uri),
          maxTokens: options?.maxTokens ?? this.maxFileTokens,
        }),
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

  private log(message: string): void {
    this.options.log?.(`Latent guard: ${message}`);
  }

  /** Logs each load and, while the model is unavailable, watches its files. */
  private track(state: ModelState): void {
    const seconds = (): string => `${((Date.now() - this.loadStarted) / 1000).toFixed(1)} s`;
    if (state.state === 'loading') {
      this.loadStarted = Date.now();
      this.log(`loading the model: ${describeGraphs()}`);
    } else if (state.state === 'ready') {
      this.stopWatching();
      this.log(`ready in ${seconds()}: ${state.model}, graph ${state.graph}`);
      for (const warning of state.warnings ?? []) this.log(`warning: ${warning}`);
    } else if (state.state === 'failed' || state.state === 'rules-only') {
      this.log(`not loaded (after ${seconds()}); policy rules only until it loads: ${state.reason}`);
      this.startWatching();
    }
  }

  private startWatching(): void {
    if (this.watcher) return;
    const paths = this.options.watchPaths?.() ?? [...expectedModelDirs(), ...[defaultGuardPath()].filter((p): p is string => p !== undefined)];
    const interval = this.options.watchIntervalMs ?? (Number(process.env.LATENT_LINT_MODEL_WATCH_MS) || 2000);
    let seen = fingerprint(paths);
    let changed = false;
    this.log(`watching ${paths.join(', ')} for the model's files`);
    this.watcher = setInterval(() => {
      const now = fingerprint(paths);
      // Load once the files have stopped changing for one interval (a copy of 0.5 GB takes a while).
      if (now !== seen) {
        seen = now;
        changed = true;
        return;
      }
      if (!changed) return;
      changed = false;
      this.log('the model files changed; loading again');
      void this.retry();
    }, interval);
    this.watcher.unref?.();
  }

  private stopWatching(): void {
    if (this.watcher) clearInterval(this.watcher);
    this.watcher = undefined;
  }

  async retry(): Promise<ModelState> {
    await this.latent.service.retry();
    return this.state();
  }

  onStateChange(listener: (state: ModelState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async configure(options: LatentGuardOptions): Promise<void> {
    this.threshold = options.threshold;
    this.maxFileTokens = options.maxFileTokens;
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
    this.stopWatching();
    this.stopListening();
    await this.latent.dispose();
  }
}

export function createLatentGuard(options: ScorerGuardOptions = {}): LatentGuard {
  return new ScorerGuard(options);
}
