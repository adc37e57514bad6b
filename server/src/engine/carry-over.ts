// Latent findings kept on screen across an edit: the guard's last findings moved to where their
// text sits now, until the guard has scored the new version.
import type { Finding } from '../core/types';
import { applyDirectives, type Directive } from './suppressions';
import type { LineIndex } from './text';

/** The latent findings of a completed run and the text they were found in. */
export interface CarriedFindings {
  text: string;
  findings: Finding[];
}

/**
 * `previous.findings` moved onto `text`: each to the occurrence of its text nearest its old place;
 * findings whose text was edited away are dropped, and so are those the directives now suppress.
 */
export function carryOver(previous: CarriedFindings | undefined, text: string, lines: LineIndex, directives: readonly Directive[]): Finding[] {
  if (!previous) return [];
  const carried: Finding[] = [];
  for (const finding of previous.findings) {
    const slice = previous.text.slice(finding.span.start, finding.span.end);
    const start = nearestOccurrence(text, slice, finding.span.start);
    if (start < 0) continue;
    const span = { start, end: start + slice.length };
    // Unit ids are positions in the file: a carried finding is not grouped until it is scored again.
    carried.push({ ...finding, span, range: lines.rangeOf(span), suppressed: undefined, fix: undefined, unitId: undefined });
  }
  // Copies: whether a directive suppresses a carried finding does not make it "used" for this text.
  applyDirectives(carried, directives.map((directive) => ({ ...directive, used: false })));
  return carried.filter((finding) => !finding.suppressed);
}

function nearestOccurrence(text: string, needle: string, near: number): number {
  if (needle.length === 0) return -1;
  const after = text.indexOf(needle, Math.max(0, near - needle.length));
  const before = text.lastIndexOf(needle, near);
  if (after < 0) return before;
  if (before < 0) return after;
  return Math.abs(after - near) <= Math.abs(near - before) ? after : before;
}
