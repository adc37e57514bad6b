import type { FileResult, Finding } from '../core/types';

const ESLINT_SEVERITY = { error: 2, warning: 1, info: 0 } as const;

/** One message in the shape of ESLint's json formatter (1-based lines and columns). */
function toMessage(finding: Finding): Record<string, unknown> {
  return {
    ruleId: finding.ruleId,
    severity: ESLINT_SEVERITY[finding.severity],
    message: finding.message,
    line: finding.range.start.line + 1,
    column: finding.range.start.character + 1,
    endLine: finding.range.end.line + 1,
    endColumn: finding.range.end.character + 1,
    ...(finding.fix ? { fix: { title: finding.fix.title, edits: finding.fix.edits } } : {}),
    ...(finding.data ? { data: finding.data } : {}),
  };
}

export function formatJson(results: FileResult[]): string {
  return JSON.stringify(
    results.map((result) => {
      const messages = result.findings.filter((f) => !f.suppressed).concat(result.unusedDirectives).map(toMessage);
      return {
        filePath: result.filePath,
        messages,
        errorCount: messages.filter((m) => m.severity === 2).length,
        warningCount: messages.filter((m) => m.severity === 1).length,
        infoCount: messages.filter((m) => m.severity === 0).length,
        suppressedMessages: result.findings.filter((f) => f.suppressed).map((f) => ({ ...toMessage(f), suppressions: [{ kind: 'directive', ...(f.suppressed?.justification ? { justification: f.suppressed.justification } : {}) }] })),
        ...(result.notes.length ? { notes: result.notes } : {}),
      };
    }),
  );
}
