// The latent guard's own words, shared by its runtime, worker, service and guard (types only).
import type { ExplainResult } from '../core/explain';
import type { UnavailableReason } from './model-files';
import type { UnitScore } from './signals';

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
  /** The graph that reads the adversarial-suffix signal; undefined when it is off or the guard file has none. */
  surprisal?: string;
  /** The int8 screen in front of `graph` (screen.ts), with the CPU feature that chose it; undefined in fp32. */
  screen?: string;
}

/** What scores, in words (the status bar tooltip, the server log, bench:scan). */
export function describeScoring(identity: RuntimeIdentity): string {
  return identity.screen ? `${identity.screen} screen, ${identity.graph} (fp32) near a threshold` : identity.graph;
}

/** Explanation without the policy-rule part, which the caller (engine side) fills in. */
export type LatentExplanation = Omit<ExplainResult, 'verdict'> & { verdict: Omit<ExplainResult['verdict'], 'rules' | 'threshold' | 'thresholdLogit' | 'flagged'> & { score: UnitScore } };

/** Where the model is: the guard's state, which the language server maps to the protocol's model state. */
export type LatentState =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'ready'; identity: RuntimeIdentity; warnings: string[] }
  | { status: 'failed'; reason: UnavailableReason | 'error'; message: string };
