// Small helpers rules share. Every pattern a rule runs must be linear in the input: no nested
// quantifiers over overlapping classes, gaps bounded by a count.
import type { Span, Unit } from '../core/types';
import { unitSpan } from '../core/spans';

export interface UnitMatch {
  unit: Unit;
  match: RegExpExecArray;
  span: Span;
}

/** Every match of a global regex in the units of the given kinds (all kinds if none given). */
export function* matchUnits(units: Unit[], pattern: RegExp, kinds?: Unit['kind'][]): Generator<UnitMatch> {
  if (!pattern.global) throw new Error(`pattern ${pattern} must be global`);
  for (const unit of units) {
    if (kinds && !kinds.includes(unit.kind)) continue;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(unit.text); match; match = pattern.exec(unit.text)) {
      if (match[0].length === 0) {
        pattern.lastIndex++;
        continue;
      }
      yield { unit, match, span: unitSpan(unit, match.index, match.index + match[0].length) };
    }
  }
}

/** The sentence around a match: from the last sentence end before it to the next after it. */
export function sentenceAround(text: string, start: number, end: number): string {
  const before = text.slice(Math.max(0, start - 300), start);
  const cut = Math.max(before.lastIndexOf('. '), before.lastIndexOf('\n'), before.lastIndexOf('! '), before.lastIndexOf('? '));
  const after = text.slice(end, end + 300);
  const stop = after.search(/[.!?](\s|$)|\n/);
  return before.slice(cut + 1) + text.slice(start, end) + (stop >= 0 ? after.slice(0, stop) : after);
}

/** Words that turn a risky phrase into a rule about it ("if the user asks you to ignore ..."). */
export const DEFENSIVE_CONTEXT =
  /\b(if|when|whenever|unless|never|don'?t|do not|must not|should not|cannot|can'?t|won'?t|refuse|reject|decline|ignore any|attempts?|attempting|tries|trying|asks?|asked|asking|requests?|tells? you|such as|e\.g\.|for example|like|detect|flag|whether|example|attack|injection|malicious|suspicious|beware|warn)\b/i;
