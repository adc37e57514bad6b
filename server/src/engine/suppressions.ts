import type { Finding, Span, Unit } from '../core/types';
import type { LineIndex } from './text';

export type DirectiveKind = 'disable-next-line' | 'disable-line' | 'disable' | 'enable';

export interface Directive {
  kind: DirectiveKind;
  /** Rule ids named; empty means every rule. */
  ruleIds: string[];
  reason?: string;
  span: Span;
  /** Just after the last rule id named (where a quick-fix adds `, another/rule`). */
  idsEnd: number;
  line: number;
  used: boolean;
}

// The directive and its argument run to the end of the line; a comment closer (`-->`, `*/`, Prompty's
// `#}`, Handlebars' `}}`) is cut off.
const DIRECTIVE = /latent-lint-(disable-next-line|disable-line|disable|enable)(?![\w-])([^\n]*)/g;
const RULE_ID = /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)?$/;

export function parseDirectives(text: string, lines: LineIndex): Directive[] {
  const directives: Directive[] = [];
  for (const match of text.matchAll(DIRECTIVE)) {
    const start = match.index;
    let rest = match[2].replace(/\s*(-->|\*\/|#\}|--\}\}|\}\})\s*$/, '');
    let reason: string | undefined;
    const reasonAt = rest.indexOf('--');
    if (reasonAt >= 0) {
      reason = rest.slice(reasonAt + 2).trim() || undefined;
      rest = rest.slice(0, reasonAt);
    }
    const ruleIds = rest
      .split(/[\s,]+/)
      .map((id) => id.trim())
      .filter((id) => id.length > 0 && RULE_ID.test(id));
    const argumentsAt = start + match[0].length - match[2].length;
    directives.push({
      kind: match[1] as DirectiveKind,
      ruleIds,
      reason,
      span: { start, end: start + match[0].length - (match[2].length - match[2].trimEnd().length) },
      idsEnd: argumentsAt + rest.trimEnd().length,
      line: lines.positionAt(start).line,
      used: false,
    });
  }
  return directives;
}

function names(directive: Directive, ruleId: string): boolean {
  return directive.ruleIds.length === 0 || directive.ruleIds.includes(ruleId);
}

/**
 * Marks findings suppressed by in-source directives (they stay in the list, flagged, so SARIF can
 * report them as suppressions) and notes which directives were used.
 */
export function applyDirectives(findings: Finding[], directives: Directive[]): void {
  if (directives.length === 0) return;
  const blocks = directives.filter((d) => d.kind === 'disable' || d.kind === 'enable');
  for (const finding of findings) {
    const line = finding.range.start.line;
    let suppressor: Directive | undefined;
    for (const directive of directives) {
      if (!names(directive, finding.ruleId)) continue;
      if (directive.kind === 'disable-line' && directive.line === line) suppressor = directive;
      if (directive.kind === 'disable-next-line' && directive.line + 1 === line) suppressor = directive;
      if (suppressor) break;
    }
    if (!suppressor) suppressor = openBlockAt(blocks, finding.ruleId, line);
    if (suppressor) {
      suppressor.used = true;
      finding.suppressed = { kind: 'inSource', justification: suppressor.reason };
    }
  }
}

/** The `disable` directive in force at a line for a rule, if any. */
function openBlockAt(blocks: Directive[], ruleId: string, line: number): Directive | undefined {
  let open: Directive | undefined;
  for (const directive of blocks) {
    if (directive.line > line) break;
    if (!names(directive, ruleId)) continue;
    if (directive.kind === 'disable') open = directive;
    else if (directive.kind === 'enable' && directive.line !== line) open = undefined;
  }
  return open;
}

// Comment openers a directive can sit behind, in the formats the engine reads.
const COMMENT_OPENERS = ['<!--', '/*', '{#', '{{!--', '{{!', '//', '#'];

/**
 * The source ranges the directives' comments take up: the whole line (newline included) when the
 * comment is alone on it, else from the comment opener to the end of the line.
 */
export function directiveCommentSpans(text: string, directives: Directive[]): Span[] {
  const spans: Span[] = [];
  for (const directive of directives) {
    const lineStart = text.lastIndexOf('\n', directive.span.start - 1) + 1;
    const newline = text.indexOf('\n', directive.span.start);
    const lineEnd = newline < 0 ? text.length : newline;
    const before = text.slice(lineStart, directive.span.start);
    const opener = Math.max(...COMMENT_OPENERS.map((candidate) => before.lastIndexOf(candidate)));
    let start = opener >= 0 ? lineStart + opener : directive.span.start;
    while (start > lineStart && (text[start - 1] === ' ' || text[start - 1] === '\t')) start--;
    const alone = start === lineStart;
    const end = alone && newline >= 0 ? newline + 1 : lineEnd;
    spans.push({ start, end: Math.max(end, directive.span.end) });
  }
  return spans;
}

/**
 * The unit with the characters inside `cuts` taken out (and the ends trimmed), its offsets kept
 * exact; undefined when nothing is left. Directives must not change what rules and the guard read.
 */
export function unitWithout(unit: Unit, source: string, cuts: Span[]): Unit | undefined {
  const inside = cuts.filter((cut) => cut.start < unit.span.end && unit.span.start < cut.end);
  if (inside.length === 0) return unit;
  const offsetOf = (i: number): number => (unit.sourceOffsets ? unit.sourceOffsets[i] : unit.span.start + i);
  const cut = (offset: number): boolean => inside.some((span) => span.start <= offset && offset < span.end);
  const kept: number[] = [];
  for (let i = 0; i < unit.text.length; i++) if (!cut(offsetOf(i))) kept.push(i);
  let first = 0;
  let last = kept.length;
  while (first < last && /\s/.test(unit.text[kept[first]])) first++;
  while (last > first && /\s/.test(unit.text[kept[last - 1]])) last--;
  if (first >= last) return undefined;
  const indices = kept.slice(first, last);
  const text = indices.map((i) => unit.text[i]).join('');
  const offsets = indices.map(offsetOf);
  offsets.push(offsetOf(indices[indices.length - 1] + 1));
  const span = { start: offsets[0], end: offsets[offsets.length - 1] };
  const verbatim = source.slice(span.start, span.end) === text;
  return { ...unit, text, span, sourceOffsets: verbatim ? undefined : offsets };
}
