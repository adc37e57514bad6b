// The adversarial-suffix signal (issue #11 item 5): how improbable the model finds each token of the
// user's text, read from the full model's next-token distribution, and the most improbable run of a few
// tokens. Optimised suffixes (GCG), random-search suffixes and strings of junk tokens sit far above
// anything natural text, code or non-English prose reaches over the same window; base64 runs, hex,
// URLs, long numbers and e-mail addresses are meant to be unpredictable, so their tokens are left out.
// The window, the threshold and that pattern come from the guard file (models/bench_surprisal.py);
// the arithmetic here matches `window_max` there.
import type { GuardSurprisal } from './guard-file';
import type { TokenSpan } from './tokenizer';

/** The most improbable window of a unit (or of one of its windows). */
export interface SurprisalScore {
  /** Mean surprisal (nats per token) of the window that scored highest; 0 when no window counts. */
  score: number;
  threshold: number;
  /** Its characters [start, end) in the unit text; both 0 when no window counts. */
  start: number;
  end: number;
}

/** Whether a unit's most surprising window is over the threshold (the finding, `score`'s flag). */
export function surprisalFlagged(surprisal: SurprisalScore | undefined): boolean {
  return surprisal !== undefined && surprisal.end > surprisal.start && surprisal.score > surprisal.threshold;
}

/** −log p(target | context) per row of `logits` ([rows, vocab], row i predicting targets[i]). */
export function tokenSurprisal(logits: Float32Array, vocab: number, targets: readonly number[]): Float32Array {
  const out = new Float32Array(targets.length);
  for (let row = 0; row < targets.length; row++) {
    const base = row * vocab;
    let max = -Infinity;
    for (let k = 0; k < vocab; k++) if (logits[base + k] > max) max = logits[base + k];
    let sum = 0;
    for (let k = 0; k < vocab; k++) sum += Math.exp(logits[base + k] - max);
    out[row] = max + Math.log(sum) - logits[base + targets[row]];
  }
  return out;
}

/** Which tokens lie (even partly) inside a span the pattern matches in the text. */
export function maskedTokens(text: string, spans: readonly TokenSpan[], pattern: RegExp): boolean[] {
  const hits: [number, number][] = [];
  const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
  for (const match of text.matchAll(global)) {
    if (match[0].length > 0) hits.push([match.index, match.index + match[0].length]);
  }
  return spans.map((span) => hits.some(([start, end]) => span.start < end && span.end > start));
}

/**
 * The highest mean surprisal over `window` consecutive tokens, leaving out the first `skipFirst`
 * tokens (the first word of a turn is hard to predict) and counting a window only when at least
 * `minUnmasked` of its tokens are unmasked. Returns that mean and the window's token range.
 */
export function mostSurprisingWindow(
  values: Float32Array,
  masked: readonly boolean[],
  settings: Pick<GuardSurprisal, 'window' | 'skipFirst' | 'minUnmasked'>,
): { score: number; from: number; to: number } {
  const { window, skipFirst, minUnmasked } = settings;
  let best = { score: 0, from: 0, to: 0 };
  for (let from = skipFirst; from + window <= values.length; from++) {
    let sum = 0;
    let count = 0;
    for (let k = from; k < from + window; k++) {
      if (masked[k]) continue;
      sum += values[k];
      count++;
    }
    if (count < minUnmasked) continue;
    const mean = sum / count;
    if (mean > best.score) best = { score: mean, from, to: from + window };
  }
  return best;
}

/** The guard file's pattern as a RegExp (checked when the guard file is read). */
export function maskPattern(settings: GuardSurprisal): RegExp {
  return new RegExp(settings.mask, 'g');
}
