// ESLint's json formatter shape (https://eslint.org/docs/latest/use/formatters#json), with two
// documented extensions: `level` names the severity in words ("info" is Latent Lint's third level;
// it is written as severity 1, since ESLint's 0 means "off"), and `related` lists the other
// findings grouped under a message (one problem, one finding).
import type { FileResult, Finding } from '../core/types';
import { eslintFix } from '../core/fixes';

const ESLINT_SEVERITY = { error: 2, warning: 1, info: 1 } as const;

export interface JsonOptions {
  /** Each file's text, for `source` and for fixes as ESLint writes them (offsets into it). */
  texts?: ReadonlyMap<string, string>;
  /** The fixed text of each file `--fix-dry-run` changed, written as `output`. */
  outputs?: ReadonlyMap<string, string>;
}

function position(finding: Finding) {
  return {
    line: finding.range.start.line + 1,
    column: finding.range.start.character + 1,
    endLine: finding.range.end.line + 1,
    endColumn: finding.range.end.character + 1,
  };
}

/** One message in the shape of ESLint's json formatter (1-based lines and columns). */
function toMessage(finding: Finding, text: string | undefined): Record<string, unknown> {
  return {
    ruleId: finding.ruleId,
    severity: ESLINT_SEVERITY[finding.severity],
    level: finding.severity,
    message: finding.message,
    ...position(finding),
    ...(finding.ruleId === 'parse/invalid-file' ? { fatal: true } : {}),
    ...(finding.fix && text !== undefined ? { fix: eslintFix(text, finding.fix) } : {}),
    ...(finding.related?.length
      ? { related: finding.related.map((other) => ({ ruleId: other.ruleId, level: other.severity, message: other.message, ...position(other), ...(other.fix && text !== undefined ? { fix: eslintFix(text, other.fix) } : {}) })) }
      : {}),
    docsUrl: finding.docsUrl,
    ...(finding.data ? { data: finding.data } : {}),
  };
}

/** Counts as ESLint's result object has them; a grouped message counts once, its fixes all count. */
export function counts(findings: readonly Finding[]) {
  const fixable = (finding: Finding): boolean => !!finding.fix || (finding.related ?? []).some((other) => !!other.fix);
  return {
    errorCount: findings.filter((f) => f.severity === 'error').length,
    fatalErrorCount: findings.filter((f) => f.ruleId === 'parse/invalid-file' && f.severity === 'error').length,
    warningCount: findings.filter((f) => f.severity === 'warning').length,
    fixableErrorCount: findings.filter((f) => f.severity === 'error' && fixable(f)).length,
    fixableWarningCount: findings.filter((f) => f.severity === 'warning' && fixable(f)).length,
    infoCount: findings.filter((f) => f.severity === 'info').length,
  };
}

export function formatJson(results: FileResult[], options: JsonOptions = {}): string {
  return JSON.stringify(
    results.map((result) => {
      const text = options.texts?.get(result.filePath);
      const shown = result.findings.filter((f) => !f.suppressed).concat(result.unusedDirectives);
      const output = options.outputs?.get(result.filePath);
      return {
        filePath: result.filePath,
        messages: shown.map((finding) => toMessage(finding, text)),
        suppressedMessages: result.findings
          .filter((f) => f.suppressed)
          .map((f) => ({ ...toMessage(f, text), suppressions: [{ kind: 'directive', ...(f.suppressed?.justification ? { justification: f.suppressed.justification } : {}) }] })),
        ...counts(shown),
        usedDeprecatedRules: [],
        ...(output !== undefined ? { output } : shown.length > 0 && text !== undefined ? { source: text } : {}),
        ...(result.notes.length ? { notes: result.notes } : {}),
      };
    }),
  );
}
