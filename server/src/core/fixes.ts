// Applying fixes as `--fix` does (and writing one as ESLint does); pure, shared by the CLI and the reporters.
import type { Fix, TextEdit } from './types';

export interface FixOutcome {
  output: string;
  applied: number;
}

/** Applies the fixes that do not overlap an earlier one (by position); returns the new text. */
export function applyFixes(text: string, fixes: readonly Fix[]): FixOutcome {
  const taken: TextEdit[] = [];
  let applied = 0;
  const ordered = [...fixes].sort((a, b) => firstStart(a) - firstStart(b));
  for (const fix of ordered) {
    const edits = fix.edits;
    if (edits.length === 0) continue;
    const overlaps = edits.some((edit) =>
      taken.some((other) => (edit.span.start < other.span.end && other.span.start < edit.span.end) || (edit.span.start === other.span.start && edit.span.end === other.span.end)),
    );
    if (overlaps) continue;
    taken.push(...edits);
    applied++;
  }
  taken.sort((a, b) => b.span.start - a.span.start || b.span.end - a.span.end);
  let output = text;
  for (const edit of taken) output = output.slice(0, edit.span.start) + edit.newText + output.slice(edit.span.end);
  return { output, applied };
}

function firstStart(fix: Fix): number {
  return Math.min(...fix.edits.map((edit) => edit.span.start));
}

/** One fix as ESLint writes it: a single range and its replacement text (edits merged). */
export function eslintFix(text: string, fix: Fix): { range: [number, number]; text: string } {
  const start = Math.min(...fix.edits.map((edit) => edit.span.start));
  const end = Math.max(...fix.edits.map((edit) => edit.span.end));
  const merged = applyFixes(text.slice(start, end), [
    { title: fix.title, edits: fix.edits.map((edit) => ({ span: { start: edit.span.start - start, end: edit.span.end - start }, newText: edit.newText })) },
  ]);
  return { range: [start, end], text: merged.output };
}
