// The latent guard as a UnitScorer the engine plugs in: scores every instruction unit of a document
// and reports latent/harmful-request and latent/refusal-suppressed.
import { docsUrl } from '../core/docs';
import type { ParsedDocument, RuleMeta, RuleReportWithRule, Unit, UnitScorer } from '../core/types';
import { LatentGuardService, type LatentGuardOptions, type LatentState } from './guard';
import { ModelUnavailableError } from './model-files';
import { DEFAULT_MIN_WORDS } from './runtime';
import { describeLayers, type UnitScore } from './signals';


export const HARMFUL_REQUEST: RuleMeta = {
  id: 'latent/harmful-request',
  category: 'latent',
  defaultSeverity: 'warning',
  description: "The local model's hidden states say this text asks for harmful content (a calibrated probability over its harmfulness direction).",
  docsUrl: docsUrl('latent/harmful-request'),
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

export function wordCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Units with fewer words (headings, labels) carry too little to judge; calibration skipped them too. */
export function scoredByGuard(unit: Unit, minWords = DEFAULT_MIN_WORDS): boolean {
  return unit.instruction && wordCount(unit.text) >= minWords;
}

export interface ScoreOptions {
  /** Probability threshold; default: the guard file's. */
  threshold?: number;
}

export class LatentScorer implements UnitScorer {
  readonly metas: RuleMeta[] = [HARMFUL_REQUEST, REFUSAL_SUPPRESSED];
  private readonly current: LatentGuardService;

  constructor(private readonly options: LatentGuardOptions = {}) {
    this.current = new LatentGuardService(options);
  }

  /** Names the guard file in force, so result caches keyed on it go stale after a recalibration. */
  get id(): string {
    const state = this.current.state;
    if (state.status === 'ready') return `latent-guard:${state.identity.graphSha256.slice(0, 12)}:${state.identity.guardSha256.slice(0, 12)}`;
    return `latent-guard:${state.status}`;
  }

  get service(): LatentGuardService {
    return this.current;
  }

  get state(): LatentState {
    return this.current.state;
  }

  onDidChangeState(listener: (state: LatentState) => void): () => void {
    return this.current.onDidChangeState(listener);
  }

  /** Loads the model now instead of on the first document. */
  start(): Promise<LatentState> {
    return this.current.start();
  }

  async score(document: ParsedDocument, signal?: AbortSignal, options: ScoreOptions = {}): Promise<RuleReportWithRule[]> {
    if (!document.units.some((unit) => unit.instruction)) return [];
    const service = this.current;
    const state = await service.start();
    if (state.status === 'failed' && this.options.quietWhenUnavailable) return [];
    if (state.status === 'failed') throw new ModelUnavailableError(state.reason === 'error' ? 'load-failed' : state.reason, state.message);
    const units = document.units.filter((unit) => scoredByGuard(unit, state.status === 'ready' ? state.identity.minWords : DEFAULT_MIN_WORDS));
    if (units.length === 0) return [];
    const scores = await service.scoreTexts(
      units.map((unit) => unit.text),
      signal,
    );
    const threshold = options.threshold ?? (state.status === 'ready' ? state.identity.threshold : 0.5);
    const reports: RuleReportWithRule[] = [];
    units.forEach((unit, i) => reports.push(...reportsFor(unit, scores[i], threshold)));
    return reports;
  }

  async dispose(): Promise<void> {
    await this.current.dispose();
  }
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
    truncated: score.truncated,
  };
}

export function reportsFor(unit: Unit, score: UnitScore, threshold: number): RuleReportWithRule[] {
  const reports: RuleReportWithRule[] = [];
  const data = findingData(score, threshold);
  const category = score.category && score.category !== 'Other' ? ` (category: ${score.category})` : '';
  const where = score.topLayers.length ? `; strongest at layers ${describeLayers(score.topLayers)}` : '';
  const cut = score.truncated ? ` Only the first part of this ${score.tokens}-token text was read.` : '';
  if (score.probability >= threshold) {
    reports.push({
      ruleId: HARMFUL_REQUEST.id,
      severity: HARMFUL_REQUEST.defaultSeverity,
      docsUrl: HARMFUL_REQUEST.docsUrl,
      span: unit.span,
      message: `Latent guard: ${score.probability.toFixed(2)} probability this asks for harmful content${category}${where}.${cut} Rewrite or remove the request; if it is a quoted example or test data, suppress it with a reason.`,
      data,
    });
  }
  if (score.refusalSuppressed) {
    reports.push({
      ruleId: REFUSAL_SUPPRESSED.id,
      severity: REFUSAL_SUPPRESSED.defaultSeverity,
      docsUrl: REFUSAL_SUPPRESSED.docsUrl,
      span: unit.span,
      message: `Latent guard: the model reads this as harmful (${score.probability.toFixed(2)}) but its refusal signal is pushed down (z = ${score.refusalZ.toFixed(1)}): a jailbreak-like pattern. Remove the framing that talks the model out of refusing.`,
      data,
    });
  }
  return reports;
}

function round(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}
