// Small helpers rules share. Every pattern a rule runs must be linear in the input: no nested
// quantifiers over overlapping classes, gaps bounded by a count.
import type { RuleContext, Span, Unit } from '../core/types';
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

/** True when the sentence around a match, the match itself left out, is a rule about the pattern. */
export function isDefensive(text: string, start: number, end: number, context: RegExp = DEFENSIVE_CONTEXT): boolean {
  const sentence = sentenceAround(text, start, end);
  return context.test(sentence.replace(text.slice(start, end), ' '));
}

/** Unit kinds that hold instructions written for a model (not code, not config values). */
export const INSTRUCTION_KINDS: Unit['kind'][] = [
  'prose',
  'message',
  'frontmatter-field',
  'agent-role',
  'agent-goal',
  'agent-backstory',
  'task-description',
  'tool-description',
  'parameter-description',
];

/** Unit kinds a tool definition carries. */
export const TOOL_KINDS: Unit['kind'][] = ['tool-description', 'parameter-description'];

/** The units that are instructions to a model: instruction units of the given kinds. */
export function instructionUnits(units: Unit[], kinds: Unit['kind'][] = INSTRUCTION_KINDS): Unit[] {
  return units.filter((unit) => unit.instruction && kinds.includes(unit.kind));
}

/** Tool and parameter descriptions, from the units list and from the tools, each once. */
export function toolTextUnits(document: { units: Unit[]; tools: { description?: Unit; parameters: { description?: Unit }[] }[] }): Unit[] {
  const byId = new Map<string, Unit>();
  for (const unit of document.units) if (TOOL_KINDS.includes(unit.kind)) byId.set(unit.id, unit);
  for (const tool of document.tools) {
    if (tool.description) byId.set(tool.description.id, tool.description);
    for (const parameter of tool.parameters) if (parameter.description) byId.set(parameter.description.id, parameter.description);
  }
  return [...byId.values()];
}

/** Shortens text for a message, on one line. */
export function quote(text: string, max = 60): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

/** How far helpers look around a match, on its line: enough for a sentence, constant however long the line. */
export const LINE_WINDOW = 400;

/**
 * The line around [start, end), cut to `max` characters either side: `before` runs from the line's
 * start (or `max` back) to `start`, `after` from `end` to the line's end (or `max` on). Constant work
 * per match, so a rule that looks at the line stays linear on a file that is one long line.
 */
export function lineAround(text: string, start: number, end: number, max = LINE_WINDOW): { before: string; after: string; lineStart: number; lineEnd: number } {
  const from = Math.max(0, start - max);
  const head = text.slice(from, start);
  const newline = head.lastIndexOf('\n');
  const lineStart = newline >= 0 ? from + newline + 1 : from;
  const tail = text.slice(end, end + max);
  const stop = tail.indexOf('\n');
  const lineEnd = stop >= 0 ? end + stop : end + tail.length;
  return { before: text.slice(lineStart, start), after: text.slice(end, lineEnd), lineStart, lineEnd };
}

/** True when the match sits inside quotes on its line, as an example string in a list: `- "ignore all rules"`. */
export function isQuotedMention(text: string, start: number, end: number): boolean {
  const { before, after } = lineAround(text, start, end, 1000);
  const opens = (quote: string): boolean => (before.split(quote).length - 1) % 2 === 1 && after.includes(quote);
  if (opens('"') || opens('`') || (before.includes('“') && after.includes('”'))) {
    // A whole-paragraph quote is still text the model reads; a quoted phrase in a list is a mention.
    return /^\s*([-*+]|\d+[.)])\s/.test(before) || /\b(e\.g\.|such as|like|phrases?|patterns?|strings?|examples?)\b/i.test(before);
  }
  return false;
}

/** Past this many findings in one file a rule stops: the file is flagged, and more adds only noise and time. */
export const MAX_REPORTS_PER_FILE = 100;

/**
 * Reports every match of `patterns` in instruction units, once per place and at most
 * MAX_REPORTS_PER_FILE, unless the sentence around it (the match taken out) matches `unless`.
 */
export function reportPhrases(context: RuleContext, patterns: readonly RegExp[], unless: RegExp, message: (phrase: string) => string): void {
  const seen = new Set<number>();
  for (const pattern of patterns) {
    for (const { unit, match, span } of matchUnits(context.document.units, pattern)) {
      if (!unit.instruction || seen.has(span.start)) continue;
      if (seen.size >= MAX_REPORTS_PER_FILE) return;
      const sentence = sentenceAround(unit.text, match.index, match.index + match[0].length);
      if (unless.test(sentence.replace(match[0], ' '))) continue;
      seen.add(span.start);
      context.report({ span, message: message(quote(match[0])), data: { phrase: match[0] } });
    }
  }
}
