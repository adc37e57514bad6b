// The lines and sentences of a unit, for reading each alone (the guard file's `segments`). A harmful
// sentence keeps its own reading when a benign line, a suffix or a long context sits around it: the
// detector reads the last tokens of a prompt, so what follows a request can talk its reading down.
// Plain patterns, not a sentence model: a boundary is a line break, or ., ! or ? (closing quotes and
// brackets allowed) followed by space, unless the word before it is a common abbreviation. Whatever
// comes next may start it, lower case included: a suffix of junk after a request is cut off too.

/** A sentence's characters [start, end) in the unit text. */
export interface SentenceRange {
  start: number;
  end: number;
}

// Markdown a line may open with that is not part of what it says: quote markers, bullets, headings.
const LINE_LEAD = /^[ \t]*(?:(?:>[ \t]?)+|[-*+][ \t]+|\d{1,3}[.)][ \t]+|#{1,6}[ \t]+)*/;
const BOUNDARY = /(?<=[.!?]["'”’)\]]*)\s+/gu;
// Words whose full stop does not end a sentence (e.g. "such as e.g. a wrench").
const ABBREVIATION = /(?:^|[\s(])(?:e\.g|i\.e|etc|vs|cf|approx|incl|Mr|Mrs|Ms|Dr|Prof|St|No|Fig|Eq|a\.m|p\.m|U\.S)\.$/i;

function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/**
 * Every line and sentence of `text` with at least `minWords` words, in order; empty when the only one
 * is the whole (trimmed) text, which is read anyway.
 */
export function sentencesOf(text: string, minWords: number): SentenceRange[] {
  const out: SentenceRange[] = [];
  let lineStart = 0;
  for (const line of text.split('\n')) {
    const lead = LINE_LEAD.exec(line)?.[0].length ?? 0;
    const body = line.slice(lead);
    // A table row is data, not a sentence: the unit's own reading covers it.
    if (body.startsWith('|')) {
      lineStart += line.length + 1;
      continue;
    }
    let from = 0;
    const pieces: [number, number][] = [];
    for (const boundary of body.matchAll(BOUNDARY)) {
      if (ABBREVIATION.test(body.slice(Math.max(0, boundary.index - 8), boundary.index))) continue;
      pieces.push([from, boundary.index]);
      from = boundary.index + boundary[0].length;
    }
    pieces.push([from, body.length]);
    for (const [a, b] of pieces) {
      const piece = body.slice(a, b);
      const trimmed = piece.trim();
      if (!trimmed || wordCount(trimmed) < minWords) continue;
      const start = lineStart + lead + a + piece.indexOf(trimmed);
      out.push({ start, end: start + trimmed.length });
    }
    lineStart += line.length + 1;
  }
  const whole = text.trim();
  if (out.length === 1 && text.slice(out[0].start, out[0].end) === whole) return [];
  return out;
}
