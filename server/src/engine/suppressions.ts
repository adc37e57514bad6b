import type { Finding, Span } from '../core/types';
import type { LineIndex } from './text';

export type DirectiveKind = 'disable-next-line' | 'disable-line' | 'disable' | 'enable';

export interface Directive {
  kind: DirectiveKind;
  /** Rule ids named; empty means every rule. */
  ruleIds: string[];
  reason?: string;
  span: Span;
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
    directives.push({
      kind: match[1] as DirectiveKind,
      ruleIds,
      reason,
      span: { start, end: start + match[0].length - (match[2].length - match[2].trimEnd().length) },
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
