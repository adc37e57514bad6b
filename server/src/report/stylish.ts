import * as path from 'node:path';
import type { FileResult } from '../core/types';

const useColor = (): boolean => process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: number, text: string): string => (useColor() ? `\u001b[${code}m${text}\u001b[39m` : text);
const dim = (text: string): string => (useColor() ? `\u001b[2m${text}\u001b[22m` : text);
const SEVERITY_COLOR = { error: 31, warning: 33, info: 36 } as const;

/** Findings grouped by file, one line each, as ESLint's stylish formatter lays them out. */
export interface StylishOptions {
  /** With --fix: how many files were rewritten. */
  fixed?: number;
}

export function formatStylish(results: FileResult[], cwd = process.cwd(), options: StylishOptions = {}): string {
  const lines: string[] = [];
  const totals = { error: 0, warning: 0, info: 0 };
  const fixable = { error: 0, warning: 0, info: 0 };
  for (const result of results) {
    const shown = result.findings.filter((f) => !f.suppressed).concat(result.unusedDirectives);
    if (shown.length === 0 && result.notes.length === 0) continue;
    lines.push('', path.relative(cwd, result.filePath) || result.filePath);
    for (const note of result.notes) lines.push(`  ${dim('note')}  ${note}`);
    const rows = shown.map((finding) => [
      `  ${finding.range.start.line + 1}:${finding.range.start.character + 1}`,
      finding.severity,
      finding.message,
      finding.ruleId,
    ]);
    const widths = [0, 1].map((column) => Math.max(0, ...rows.map((row) => row[column].length)));
    for (const [index, row] of rows.entries()) {
      const finding = shown[index];
      const severity = finding.severity;
      totals[severity]++;
      if (finding.fix || finding.related?.some((other) => other.fix)) fixable[severity]++;
      lines.push(`${dim(row[0].padEnd(widths[0]))}  ${paint(SEVERITY_COLOR[severity], row[1].padEnd(widths[1]))}  ${row[2]}  ${dim(row[3])}`);
      // The other findings in the same text: one problem, listed under its primary finding.
      for (const other of finding.related ?? []) {
        const where = `${other.range.start.line + 1}:${other.range.start.character + 1}`;
        lines.push(`${' '.repeat(widths[0] + 2)}${dim('↳')} ${dim(where)} ${firstSentence(other.message)}  ${dim(other.ruleId)}`);
      }
    }
  }
  const total = totals.error + totals.warning + totals.info;
  if (total > 0) {
    const summary = `✖ ${total} problem${total === 1 ? '' : 's'} (${totals.error} error${totals.error === 1 ? '' : 's'}, ${totals.warning} warning${totals.warning === 1 ? '' : 's'}, ${totals.info} info)`;
    lines.push('', paint(totals.error > 0 ? 31 : 33, summary));
    if (fixable.error + fixable.warning + fixable.info > 0) {
      const parts = [`${fixable.error} error${fixable.error === 1 ? '' : 's'}`, `${fixable.warning} warning${fixable.warning === 1 ? '' : 's'}`];
      if (fixable.info > 0) parts.push(`${fixable.info} info`);
      lines.push(paint(totals.error > 0 ? 31 : 33, `  ${parts.join(', ')} potentially fixable with the \`--fix\` option.`));
    }
    if (options.fixed) lines.push(`  --fix rewrote ${options.fixed} file${options.fixed === 1 ? '' : 's'}.`);
    lines.push('');
  } else if (lines.length > 0) {
    lines.push('');
  } else if (options.fixed) {
    lines.push(`--fix rewrote ${options.fixed} file${options.fixed === 1 ? '' : 's'}; no problems are left.`);
  }
  return lines.join('\n');
}

/** The first sentence of a message, for a related line. */
function firstSentence(message: string): string {
  const end = message.search(/[.;](\s|$)/);
  return end > 0 ? message.slice(0, end + 1) : message;
}
