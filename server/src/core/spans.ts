// The one piece of logic in core: every layer maps unit text to source the same way.
import type { Span, Unit } from './types';

/** The source span of characters [from, to) of a unit's decoded text. */
export function unitSpan(unit: Unit, from: number, to: number): Span {
  const offsets = unit.sourceOffsets;
  if (!offsets) return { start: unit.span.start + from, end: unit.span.start + to };
  const at = (i: number): number => offsets[Math.max(0, Math.min(i, offsets.length - 1))];
  return { start: at(from), end: Math.max(at(from), at(to)) };
}
