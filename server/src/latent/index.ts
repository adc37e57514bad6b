// The latent guard's public surface for the CLI and the language server.
import type { UnitScorer } from '../core/types';
import type { ExplainParams, ExplainResult } from '../protocol/explain';
import type { ModelState } from '../protocol/messages';
import { toExplainResult } from './explain';
import type { LatentGuardOptions, LatentState } from './guard';
import { LatentScorer } from './scorer';

export { ModelUnavailableError } from './model-files';
export { HARMFUL_REQUEST, LatentScorer, REFUSAL_SUPPRESSED } from './scorer';
export type { LatentState } from './guard';

/** The status bar's words for a guard state. */
export function toModelState(state: LatentState): ModelState {
  switch (state.status) {
    case 'idle':
    case 'loading':
      return { state: 'loading' };
    case 'ready':
      return { state: 'ready', model: state.identity.modelName, graph: state.identity.graph };
    case 'failed':
      return { state: 'failed', reason: `${state.message}. Policy rules still run.` };
  }
}

export type PolicyRulesFor = (text: string) => Promise<ExplainResult['verdict']['rules']>;

export interface LanguageServerGuardOptions extends LatentGuardOptions {
  /** The policy rules that fire on a text (the engine's), for the explorer's verdict. */
  rulesFor?: PolicyRulesFor;
}

/**
 * The object server/src/lsp/latent.ts calls a LatentGuard: scorer, state, settings, warm-up, explain.
 * Runs the model in a worker thread (dist/server/latent-worker.js) unless `mode: 'in-process'`.
 */
export function createLanguageServerGuard(options: LanguageServerGuardOptions = {}) {
  const { rulesFor, ...guardOptions } = options;
  const scorer = new LatentScorer(guardOptions);
  return {
    scorer,
    state: (): ModelState => toModelState(scorer.state),
    onStateChange(listener: (state: ModelState) => void): () => void {
      return scorer.onDidChangeState((state) => listener(toModelState(state)));
    },
    async configure(settings: { threshold?: number; threads?: number }): Promise<void> {
      scorer.threshold = settings.threshold;
      await scorer.reconfigure({ threads: settings.threads });
    },
    async warm(): Promise<void> {
      await scorer.start();
    },
    async explain(text: string, params: ExplainParams, signal?: AbortSignal): Promise<ExplainResult> {
      const [explanation, rules] = await Promise.all([scorer.service.explain(text, signal), rulesFor ? rulesFor(text) : Promise.resolve([])]);
      return toExplainResult(explanation, { threshold: scorer.defaultThreshold(), rules, uri: params.uri });
    },
    dispose: (): Promise<void> => scorer.dispose(),
  };
}

/**
 * For the CLI: a scorer whose rule metadata the engine knows from the start (so `.latentlint.yaml`
 * may name latent/* rules and `latent-lint rules` lists them); the model loads only in startCliScorer.
 * When the model cannot load, it scores nothing instead of adding the same note to every file.
 */
export function createCliScorer(options: LatentGuardOptions = {}): LatentScorer {
  return new LatentScorer({ mode: 'in-process', quietWhenUnavailable: true, ...options });
}

/** Loads the model; returns one line for stderr when the guard is unavailable or degraded. */
export async function startCliScorer(scorer: UnitScorer | undefined): Promise<string | undefined> {
  if (!(scorer instanceof LatentScorer)) return undefined;
  const state = await scorer.start();
  if (state.status === 'failed') return `latent guard unavailable, linting with policy rules only: ${state.message}`;
  if (state.status === 'ready' && state.warnings.length) return `latent guard: ${state.warnings.join('; ')}`;
  return undefined;
}

/** Releases the ONNX session, if one was loaded. */
export async function closeCliScorer(scorer: UnitScorer | undefined): Promise<void> {
  if (scorer instanceof LatentScorer) await scorer.dispose();
}
