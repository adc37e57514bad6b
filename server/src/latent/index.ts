// The latent guard's public surface for the CLI and the language server.
import type { UnitScorer } from '../core/types';
import type { LatentGuardOptions } from './guard';
import { LatentScorer, type ScorerBudget } from './scorer';

export { ModelUnavailableError } from './model-files';
export { HARMFUL_REQUEST, INJECTION, JAILBREAK, LatentScorer, REFUSAL_SUPPRESSED } from './scorer';
export { toExplainResult } from './explain';
export type { LatentState } from './guard';

/**
 * For the CLI: a scorer whose rule metadata the engine knows from the start (so `.latentlint.yaml`
 * may name latent/* rules and `latent-lint rules` lists them); the model loads only in startCliScorer.
 * When the model cannot load, it scores nothing instead of adding the same note to every file.
 */
export function createCliScorer(options: LatentGuardOptions & ScorerBudget = {}): LatentScorer {
  return new LatentScorer({ mode: 'in-process', quietWhenUnavailable: true, lazySession: true, ...options });
}

/** Loads the model; returns one line for stderr when the guard is unavailable or degraded. */
export async function startCliScorer(scorer: UnitScorer | undefined): Promise<string | undefined> {
  if (!(scorer instanceof LatentScorer)) return undefined;
  const state = await scorer.start();
  if (state.status === 'failed') return `latent guard unavailable, linting with policy rules only: ${state.message}`;
  if (state.status === 'ready' && state.warnings.length) return `latent guard: ${state.warnings.join('; ')}`;
  return undefined;
}

/**
 * Calls `listener` once, with the line for stderr, when the guard fails after it started (the session
 * loads lazily, and a graph that changed since it was verified fails then). Returns an unsubscribe.
 */
export function onCliScorerFailure(scorer: UnitScorer | undefined, listener: (note: string) => void): () => void {
  if (!(scorer instanceof LatentScorer)) return () => undefined;
  let told = false;
  return scorer.onDidChangeState((state) => {
    if (state.status !== 'failed' || told) return;
    told = true;
    listener(`latent guard unavailable, linting the remaining files with policy rules only: ${state.message}`);
  });
}

/** False when the guard was started and failed to load: the run is then rules only. */
export function cliScorerLoaded(scorer: UnitScorer | undefined): boolean {
  return !(scorer instanceof LatentScorer && scorer.state.status === 'failed');
}

/** Releases the ONNX session, if one was loaded. */
export async function closeCliScorer(scorer: UnitScorer | undefined): Promise<void> {
  if (scorer instanceof LatentScorer) await scorer.dispose();
}
