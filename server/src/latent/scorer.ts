// The latent rules and the findings they make from a unit's score: latent/harmful-request,
// latent/injection and latent/jailbreak (the last two when the guard file has those concepts), and
// latent/refusal-suppressed when it has none. The guard (latent-guard.ts) scores and calls these.
import { docsUrl } from '../core/docs';
import { unitSpan } from '../core/spans';
import type { ParsedDocument, RuleMeta, RuleReportWithRule, Span, Unit } from '../core/types';
import type { ConceptName } from './guard-file';
import { DEFAULT_MIN_WORDS } from './runtime';
import { describeLayers, type ConceptScore, type UnitScore } from './signals';
import { surprisalFlagged } from './surprisal';

export const HARMFUL_REQUEST: RuleMeta = {
  id: 'latent/harmful-request',
  category: 'latent',
  defaultSeverity: 'warning',
  description: "The local model's hidden states say this text asks for harmful content (a calibrated probability over its harmfulness direction).",
  docsUrl: docsUrl('latent/harmful-request'),
  fixable: false,
};

export const INJECTION: RuleMeta = {
  id: 'latent/injection',
  category: 'latent',
  defaultSeverity: 'warning',
  description:
    "The local model's hidden states read text that tries to take over the instructions: override, hijack, orders aimed at the agent inside tool descriptions, tool outputs, retrieved files (a calibrated probe).",
  docsUrl: docsUrl('latent/injection'),
  fixable: false,
};

export const JAILBREAK: RuleMeta = {
  id: 'latent/jailbreak',
  category: 'latent',
  defaultSeverity: 'warning',
  description:
    "A jailbreak: a run of tokens the local model finds extremely improbable (an optimised or random adversarial suffix, read from its next-token surprisal), or, when the guard file has the concept, a wrapper around a harmful request that pushes refusal down (a calibrated probe).",
  docsUrl: docsUrl('latent/jailbreak'),
  fixable: false,
};

export const REFUSAL_SUPPRESSED: RuleMeta = {
  id: 'latent/refusal-suppressed',
  category: 'latent',
  defaultSeverity: 'warning',
  description: 'The model judges the text harmful but its refusal signal is pushed down: the pattern of a jailbreak.',
  docsUrl: docsUrl('latent/refusal-suppressed'),
  fixable: false,
};

export const BUDGET_EXCEEDED: RuleMeta = {
  id: 'latent/budget-exceeded',
  category: 'latent',
  defaultSeverity: 'warning',
  description:
    "The latent guard's token budget for the file (or the run) ran out: the units it names were not scored by the model. The policy rules still read the whole file.",
  docsUrl: docsUrl('latent/budget-exceeded'),
  fixable: false,
};

/**
 * Tokens the model may read in one file, so one huge file cannot hold a run (or the editor) without
 * end: 25-50 s at the 2,000-4,000 tokens/s the guard scores on two fast cores, several minutes on a
 * slow or busy machine (about 200 tokens/s was measured on one whose fp32 matmul probe gave 65 GFLOP/s).
 */
export const DEFAULT_MAX_FILE_TOKENS = 100_000;
/** Tokens the model may read in one CLI run, all files together (about 4-8 minutes on two cores). */
export const DEFAULT_MAX_RUN_TOKENS = 1_000_000;

/** The rule each guard-file concept reports under. */
export const CONCEPT_RULES: Record<ConceptName, RuleMeta> = { injection: INJECTION, jailbreak: JAILBREAK };

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Units with fewer words (headings, labels) carry too little to judge; calibration skipped them too. */
export function scoredByGuard(unit: Unit, minWords = DEFAULT_MIN_WORDS): boolean {
  return unit.instruction && wordCount(unit.text) >= minWords;
}

export interface ScorerBudget {
  /** Tokens the model may read in one file (default DEFAULT_MAX_FILE_TOKENS); a file's own limit wins. */
  maxFileTokens?: number;
  /** Tokens the model may read across every file this scorer scores (default: no limit). */
  maxRunTokens?: number;
}

/**
 * The one finding for units a budget left unscored: how many, which lines, and what to do. It sits on
 * the first unscored unit; `data.unscored` lists every unscored unit's id and lines.
 */
export function budgetReport(
  document: ParsedDocument,
  total: number,
  unscored: Unit[],
  tokens: number,
  budget: { name: string; limit: number; flag: string },
): RuleReportWithRule {
  const starts: number[] = [0];
  for (let i = document.text.indexOf('\n'); i >= 0; i = document.text.indexOf('\n', i + 1)) starts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  const lines = unscored.map((unit) => ({ id: unit.id, startLine: lineOf(unit.span.start), endLine: lineOf(Math.max(unit.span.start, unit.span.end - 1)) }));
  // Runs of consecutive unscored units, as line ranges, for the message.
  const ranges: [number, number][] = [];
  for (const line of lines) {
    const last = ranges.at(-1);
    if (last && line.startLine <= last[1] + 2) last[1] = Math.max(last[1], line.endLine);
    else ranges.push([line.startLine, line.endLine]);
  }
  const shown = ranges.slice(0, 3).map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`));
  const where = `line${ranges.length === 1 && ranges[0][0] === ranges[0][1] ? '' : 's'} ${shown.join(', ')}${ranges.length > 3 ? ` and ${ranges.length - 3} more ranges` : ''}`;
  const fmt = (n: number): string => n.toLocaleString('en-US');
  return {
    ruleId: BUDGET_EXCEEDED.id,
    severity: BUDGET_EXCEEDED.defaultSeverity,
    docsUrl: BUDGET_EXCEEDED.docsUrl,
    span: unscored[0].span,
    message: `Latent guard: the ${budget.name} token budget (${fmt(budget.limit)} tokens) ran out; ${fmt(unscored.length)} of ${fmt(total)} units were not scored by the model (${where}). The policy rules read them. Raise the budget (${budget.flag}) or split the file.`,
    data: { budget: budget.name, limit: budget.limit, tokens, total, unscored: lines },
  };
}
/** The concept probabilities by name ({injection, jailbreak}), rounded; empty without concepts. */
export function conceptProbabilities(score: UnitScore): Record<string, number> {
  return Object.fromEntries((score.concepts ?? []).map((concept) => [concept.name, round(concept.probability)]));
}

export function findingData(score: UnitScore, threshold: number): Record<string, unknown> {
  return {
    probability: round(score.probability),
    threshold,
    category: score.category,
    layers: score.layers,
    harm: score.harm,
    refusal: score.refusal,
    refusalZ: round(score.refusalZ),
    refusalSuppressed: score.refusalSuppressed,
    categoryScores: score.categoryScores,
    topLayers: score.topLayers,
    concepts: conceptProbabilities(score),
    truncated: score.truncated,
    tokens: score.tokens,
    window: score.window,
    windows: score.windows.length,
    surprisal: score.surprisal ? { score: round(score.surprisal.score), threshold: score.surprisal.threshold } : undefined,
  };
}

/** What a concept's finding says it found, and the action that ends its message. */
const CONCEPT_TEXT: Record<ConceptName, { what: string; action: string }> = {
  injection: {
    what: 'this tries to take over the instructions (an injection: override, hijack, orders aimed at the agent)',
    action: 'Remove the orders aimed at the agent, or fence untrusted text as data; if it is a quoted example or test data, suppress it with a reason.',
  },
  jailbreak: {
    what: 'this wraps a harmful request to push refusal down (a jailbreak: role-play, persuasion, hypotheticals, optimised suffixes)',
    action: 'Remove the framing that talks the model out of refusing; if it is a sample kept for evaluation, suppress it with a reason.',
  },
};

export function reportsFor(unit: Unit, score: UnitScore, threshold: number): RuleReportWithRule[] {
  const reports: RuleReportWithRule[] = [];
  const data = findingData(score, threshold);
  const windows = score.windows ?? [];
  const concepts: ConceptScore[] = score.concepts ?? [];
  // A finding points at the window that carried it; a unit read in one window keeps its own span.
  const spanOf = (window: number): Span => (windows.length > 1 && windows[window] ? unitSpan(unit, windows[window].start, windows[window].end) : unit.span);
  const wholeWindows = windows.filter((range) => !range.sentence).length;
  const read = (window: number): string =>
    windows[window]?.sentence
      ? ' Read alone, this sentence carried it.'
      : wholeWindows > 1
        ? ` Read in ${wholeWindows} overlapping windows; window ${window + 1} carried it.`
        : '';
  const cut = score.truncated ? ` Only the first ${Math.max(wholeWindows, 1)} windows of this ${score.tokens}-token text were read.` : '';
  const where = (layers: number[]): string => (layers.length ? `; strongest at layers ${describeLayers(layers)}` : '');
  const category = score.category && score.category !== 'Other' ? ` (category: ${score.category})` : '';
  if (score.probability >= threshold) {
    reports.push({
      ruleId: HARMFUL_REQUEST.id,
      severity: HARMFUL_REQUEST.defaultSeverity,
      docsUrl: HARMFUL_REQUEST.docsUrl,
      span: spanOf(score.window),
      message: `Latent guard: ${score.probability.toFixed(2)} probability this asks for harmful content${category}${where(score.topLayers)}.${read(score.window)}${cut} Rewrite or remove the request; if it is a quoted example or test data, suppress it with a reason.`,
      data,
    });
  }
  for (const concept of concepts) {
    if (concept.probability < concept.threshold) continue;
    const rule = CONCEPT_RULES[concept.name];
    const text = CONCEPT_TEXT[concept.name];
    reports.push({
      ruleId: rule.id,
      severity: rule.defaultSeverity,
      docsUrl: rule.docsUrl,
      span: spanOf(concept.window),
      message: `Latent guard: ${concept.probability.toFixed(2)} probability ${text.what}${where(concept.topLayers)}.${read(concept.window)}${cut} ${text.action}`,
      data: { ...data, concept: concept.name, conceptProbability: round(concept.probability), conceptThreshold: concept.threshold, conceptLayers: concept.topLayers, window: concept.window },
    });
  }
  const surprisal = score.surprisal;
  if (surprisal && surprisalFlagged(surprisal)) {
    reports.push({
      ruleId: JAILBREAK.id,
      severity: JAILBREAK.defaultSeverity,
      docsUrl: JAILBREAK.docsUrl,
      span: unitSpan(unit, surprisal.start, surprisal.end),
      message: `Latent guard: the model finds this run of tokens extremely improbable (${surprisal.score.toFixed(1)} nats per token, threshold ${surprisal.threshold.toFixed(1)}, set on benign code, prompt files and prose): the mark of an optimised or random adversarial suffix. Remove the string; if it is a sample kept for evaluation, suppress it with a reason.`,
      data: { ...data, signal: 'surprisal' },
    });
  }
  // With concepts, the jailbreak concept replaces the refusal-suppressed rule.
  if (score.refusalSuppressed && concepts.length === 0) {
    reports.push({
      ruleId: REFUSAL_SUPPRESSED.id,
      severity: REFUSAL_SUPPRESSED.defaultSeverity,
      docsUrl: REFUSAL_SUPPRESSED.docsUrl,
      span: spanOf(score.window),
      message: `Latent guard: the model reads this as harmful (${score.probability.toFixed(2)}) but its refusal signal is pushed down (z = ${score.refusalZ.toFixed(1)}): a jailbreak-like pattern. Remove the framing that talks the model out of refusing.`,
      data,
    });
  }
  return reports;
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
