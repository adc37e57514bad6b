// One problem, one finding: what the policy rules find inside one unit (a paragraph, a message, a
// tool description) is shown as one primary finding with the others as related information.
import type { Finding } from '../core/types';

const RANK = { error: 2, warning: 1, info: 0 } as const;

function leads(a: Finding, b: Finding): boolean {
  if (RANK[a.severity] !== RANK[b.severity]) return RANK[a.severity] > RANK[b.severity];
  return a.span.start < b.span.start || (a.span.start === b.span.start && a.ruleId < b.ruleId);
}

/**
 * The group a finding belongs to: its unit, the policy rules and the latent guard apart (the guard
 * judges the whole unit and has findings of its own, with its explorer). Suppressed findings, info
 * (advice, filtered by minSeverity) and findings outside any unit are not grouped.
 */
function groupKey(finding: Finding): string | undefined {
  if (finding.suppressed || finding.unitId === undefined || finding.severity === 'info') return undefined;
  return `${finding.ruleId.startsWith('latent/') ? 'latent' : 'rules'}\u0000${finding.unitId}`;
}

/**
 * Groups unsuppressed findings by the unit they sit in. Each group becomes its primary finding
 * (highest severity, then the first in the text) carrying the rest in `related`. Order is kept.
 */
export function groupFindings(findings: readonly Finding[]): Finding[] {
  const groups = new Map<string, Finding[]>();
  for (const finding of findings) {
    const key = groupKey(finding);
    if (key === undefined) continue;
    const group = groups.get(key);
    if (group) group.push(finding);
    else groups.set(key, [finding]);
  }
  const out: Finding[] = [];
  const emitted = new Set<string>();
  for (const finding of findings) {
    const key = groupKey(finding);
    const group = key === undefined ? undefined : groups.get(key);
    if (!group || group.length === 1) {
      out.push(finding);
      continue;
    }
    if (emitted.has(key!)) continue;
    emitted.add(key!);
    const primary = group.reduce((best, candidate) => (leads(candidate, best) ? candidate : best));
    out.push({ ...primary, related: group.filter((member) => member !== primary) });
  }
  return out;
}

/** A finding and the ones grouped under it. */
export function withRelated(finding: Finding): Finding[] {
  return [finding, ...(finding.related ?? [])];
}
