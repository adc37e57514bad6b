// The seam between the language server and the latent guard (server/src/latent). The server only
// needs what is below; the guard's own module builds one of these and server.ts hands it in.
import type { UnitScorer } from '../core/types';
import type { ExplainParams, ExplainResult } from '../protocol/explain';
import type { ModelState } from '../protocol/messages';

export interface LatentGuardOptions {
  /** Probability threshold; undefined keeps the calibrated one. */
  threshold?: number;
  /** onnxruntime intra-op threads; undefined lets the guard choose. */
  threads?: number;
  /** Tokens the model may read in one file; undefined keeps the default budget. */
  maxFileTokens?: number;
}

export interface LatentGuard {
  readonly scorer: UnitScorer;
  /** The model's state now (loading, ready, failed...). */
  state(): ModelState;
  /** Called whenever the state changes; returns a function that stops listening. */
  onStateChange(listener: (state: ModelState) => void): () => void;
  /** Applies settings (threshold, threads); may reload the model. */
  configure?(options: LatentGuardOptions): void | Promise<void>;
  /** After a failure, loads the model again now (the "Retry" action); resolves to the new state. */
  retry?(): Promise<ModelState>;
  /** Starts loading the model ahead of the first scoring, so the first findings come sooner. */
  warm?(): void | Promise<void>;
  /** Per-layer, per-neuron explanation of a text (the Latent Explorer's data). */
  explain?(text: string, params: ExplainParams, signal?: AbortSignal): Promise<ExplainResult>;
  dispose?(): void | Promise<void>;
}

/** What the status bar shows when no guard is wired into this build. */
export const NO_GUARD_STATE: ModelState = { state: 'rules-only', reason: 'The latent guard is not part of this build; policy rules only.' };
