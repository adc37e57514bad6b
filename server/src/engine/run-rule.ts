// Runs one rule on one document, with the per-file cap on its reports.
import type { ParsedDocument, Rule, RuleReport } from '../core/types';
import { MAX_REPORTS_PER_FILE } from '../rules/text';

/** Thrown from a rule's `report` past the cap: it ends the rule's run on this file at once. */
class ReportLimitReached extends Error {}

/**
 * Runs one rule on a parsed document and hands its reports on, at most `MAX_REPORTS_PER_FILE`: the
 * report past the cap stops the rule, so neither it nor the engine builds findings nobody reads.
 * Returns a note when the rule was stopped or failed.
 */
export async function runRule(
  rule: Rule,
  document: ParsedDocument,
  options: Record<string, unknown>,
  onReport: (report: RuleReport) => void,
  limit = MAX_REPORTS_PER_FILE,
): Promise<string | undefined> {
  let reports = 0;
  try {
    await rule.check({
      document,
      options,
      report: (report) => {
        if (reports >= limit) throw new ReportLimitReached();
        reports++;
        onReport(report);
      },
    });
  } catch (error) {
    if (error instanceof ReportLimitReached) return `Rule ${rule.meta.id} stopped after ${limit} findings in this file; fix those first.`;
    // One broken rule must not hide the others' findings.
    return `Rule ${rule.meta.id} failed: ${(error as Error).message}`;
  }
  return undefined;
}
