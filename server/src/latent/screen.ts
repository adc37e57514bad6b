// The int8 screen: a quantised copy of the scoring graph reads every unit first, and any unit whose
// reading comes near a decision is read again on the fp32 graph. The guard's probes are sensitive
// (int8 activations move the calibrated logit by about a logit on average), so the quantised reading
// alone would flip a few percent of flags; with the guard file's measured margin, every score that
// could cross a threshold comes from the fp32 graph and the flags are the fp32 ones.
import type { GuardFile } from './guard-file';
import type { UnitScore } from './signals';

function logit(probability: number): number {
  const p = Math.min(Math.max(probability, 1e-12), 1 - 1e-12);
  return Math.log(p / (1 - p));
}

/**
 * Thresholds a user may set (`latent.threshold`, latentLint.model.threshold) at or above this probability
 * see exact fp32 scores wherever they decide; the screen does not know the configured threshold.
 */
export const SCREEN_EXACT_FROM = 0.5;

/**
 * Whether a screened score is too close to a decision to keep: the harm probability within `margin`
 * logits of the lowest of the guard's threshold, the refusal-suppressed rule's floor and
 * SCREEN_EXACT_FROM, or any concept within `margin` of its own threshold. (Surprisal runs on its own
 * graph and is not screened.)
 */
export function needsExactScore(score: UnitScore, guard: GuardFile, margin: number): boolean {
  const floor = Math.min(guard.threshold, guard.refusalSuppressed.minProbability, SCREEN_EXACT_FROM);
  if (logit(score.probability) >= logit(floor) - margin) return true;
  return (score.concepts ?? []).some((concept) => logit(concept.probability) >= logit(concept.threshold) - margin);
}
