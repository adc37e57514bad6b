import * as path from 'node:path';
import type { FileResult } from '../core/types';

const useColor = (): boolean => process.stdout.isTTY === true && !process.env.NO_COLOR;
const paint = (code: number, text: string): string => (useColor() ? `\u001b[${code}m${text}\u001b[39m` : text);
const dim = (text: string): string => (useColor() ? `\u001b[2m${text}\u001b[22m` : text);
const SEVERITY_COLOR = { error: 31, warning: 33, info: 36 } as const;

/** Findings grouped by file, one line each, as ESLint's stylish formatter lays them out. */
export function formatStylish(results: FileResult[], cwd = process.cwd()): string {
  const lines: string[] = [];
  const totals = { error: 0, warning: 0, info: 0 };
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
      const severity = shown[index].severity;
      totals[severity]++;
      lines.push(`${dim(row[0].padEnd(widths[0]))}  ${paint(SEVERITY_COLOR[severity], row[1].padEnd(widths[1]))}  ${row[2]}  ${dim(row[3])}`);
    }
  }
  const total = totals.error + totals.warning + totals.info;
  if (total > 0) {
    const summary = `✖ ${total} problem${total === 1 ? '' : 's'} (${totals.error} error${totals.error === 1 ? '' : 's'}, ${totals.warning} warning${totals.warning === 1 ? '' : 's'}, ${totals.info} info)`;
    lines.push('', paint(totals.error > 0 ? 31 : 33, summary), '');
  } else if (lines.length > 0) {
    lines.push('');
  }
  return lines.join('\n');
}
