// The explain API's arithmetic, on the detector that scored the diagnostic: its probes, at its read
// positions, on the graph that scored (outputs read at every user token and at t_post-inst).
// - Per layer: what each probe adds to the logit (vector · h / ‖h‖ + offset), and a direct-path
//   attribution of each block's attention and MLP output to those probes (linear, exact in sum).
// - Per token: the detector's score had the text ended there (its t_inst probes read at that token).
// Layer ℓ is a resid index (0 = embeddings); block b moves the residual from layer b to b + 1.
import type { ExplainLayer, ExplainReadout, ExplainResult, ExplainTerm, ExplainToken } from '../core/explain';
import type { GuardFile, GuardProbe } from './guard-file';
import { dot, harmAt, probeAt, refusalAt, sigmoid, type UnitScore } from './signals';
import type { Prompt, TokenSpan } from './tokenizer';
import type { LatentExplanation, RuntimeIdentity } from './types';

/** A category is named only when its score beats the runner-up's by this much (cosine units). */
export const CATEGORY_MARGIN = 0.05;
/** The carrying span's length in tokens (about a short phrase). */
export const SPAN_TOKENS = 4;

export interface ExplanationInputs {
  guard: GuardFile;
  /** Hidden and intermediate sizes. */
  hidden: number;
  intermediate: number;
  /** Layers in the model (30) and in the graph that ran (the scoring graph may stop earlier). */
  modelLayers: number;
  identity: RuntimeIdentity;
  /** Why this graph (said in the explorer's header). */
  why: string;
  prompt: Prompt;
  /** The score of the whole unit, exactly as the diagnostic was made (window, probability, category). */
  score: UnitScore;
  window?: ExplainResult['window'];
  spans: TokenSpan[];
  originalText: string;
  /** Absolute positions read, in order: every user token of `prompt`, then t_post-inst. */
  positions: number[];
  /** Outputs at those positions: resid [P, G+1, H], attn_out/mlp_out [P, G, H] (G = graph layers). */
  outputs: { resid: Float32Array; attn_out: Float32Array; mlp_out: Float32Array };
  ms: number;
}

/** Applies probes at the read positions; `instAt` lets the token view read t_inst probes elsewhere. */
function terms(probes: readonly GuardProbe[], resid: Float32Array, offsetOf: (position: 'inst' | 'postInst', layer: number) => number, depth: number): ExplainTerm[] {
  return probes.filter((probe) => probe.layer <= depth).map((probe) => ({ layer: probe.layer, position: probe.position, value: probeAt(probe, resid, offsetOf(probe.position, probe.layer)) }));
}

export function buildExplanation(inputs: ExplanationInputs): LatentExplanation {
  const { guard, prompt, outputs, positions, score } = inputs;
  const H = inputs.hidden;
  const P = positions.length;
  const G = outputs.resid.length / (P * H) - 1;
  if (!Number.isInteger(G) || G < 1) throw new Error(`explain read ${outputs.resid.length} resid floats for ${P} positions`);
  const row = new Map(positions.map((t, i) => [t, i]));
  const rowOf = (t: number): number => {
    const i = row.get(t);
    if (i === undefined) throw new Error(`position ${t} was not read`);
    return i;
  };
  const residAt = (t: number, layer: number): number => (rowOf(t) * (G + 1) + layer) * H;
  const blockAt = (t: number, block: number): number => (rowOf(t) * G + block) * H;
  const at = (t: { inst: number; post: number }) => (position: 'inst' | 'postInst', layer: number) => residAt(position === 'inst' ? t.inst : t.post, layer);
  const reads = { inst: prompt.tInst, post: prompt.tPostInst };
  const { detector, calibration } = guard;

  // The detector's logit from its parts at one pair of positions (its harm/refusal weights too, if any).
  const detectorAt = (t: { inst: number; post: number }): { logit: number; terms: ExplainTerm[] } => {
    const parts = terms(detector.probes ?? [], outputs.resid, at(t), G);
    detector.layers.forEach((layer, i) => {
      const entry = guard.byLayer.get(layer);
      if (!entry || layer > G) return;
      const value = detector.harmWeights[i] * harmAt(entry, outputs.resid, residAt(t.inst, layer)) + (detector.refusalWeights?.[i] ?? 0) * refusalAt(entry, outputs.resid, residAt(t.post, layer));
      parts.push({ layer, position: 'inst', value });
    });
    return { logit: detector.bias + parts.reduce((sum, term) => sum + term.value, 0), terms: parts };
  };

  const own = detectorAt(reads);
  // A sentence read alone counts `segments.margin` calibrated logits lower: shown as a lower bias, so
  // bias plus terms is still the logit of the verdict.
  const sentenceMargin = inputs.window?.sentence && guard.segments ? guard.segments.margin : 0;
  const lowered = (bias: number, a: number): number => (sentenceMargin && a > 0 ? bias - sentenceMargin / a : bias);
  const readouts: ExplainReadout[] = [
    {
      name: 'harmful-request',
      ruleId: 'latent/harmful-request',
      probability: score.probability,
      logit: score.logit,
      // A whole reading lowered to its best sentence's (segments.wholeAbove) shows that as a lower bias too.
      bias: lowered(detector.bias, calibration.a) - (score.loweredBy ?? 0),
      calibration,
      threshold: guard.threshold,
      flagged: score.probability >= guard.threshold,
      terms: own.terms,
    },
    ...(guard.concepts ?? []).map((concept): ExplainReadout => {
      const scored = score.concepts.find((c) => c.name === concept.name);
      const parts = terms(concept.probes, outputs.resid, at(reads), G);
      const bias = lowered(concept.bias, concept.calibration.a);
      const logit = bias + parts.reduce((sum, term) => sum + term.value, 0);
      const probability = scored?.probability ?? sigmoid(concept.calibration.a * logit + concept.calibration.b);
      return { name: concept.name, ruleId: `latent/${concept.name}`, probability, logit: scored?.logit ?? logit, bias, calibration: concept.calibration, threshold: concept.threshold, flagged: probability >= concept.threshold, terms: parts };
    }),
  ];

  // Direct path: h_ℓ = embedding + Σ_{b<ℓ} (attn_b + mlp_b), so v·h_ℓ/‖h_ℓ‖ splits exactly by block.
  const attention = new Float64Array(G);
  const mlp = new Float64Array(G);
  let embedding = 0;
  for (const probe of detector.probes ?? []) {
    if (probe.layer > G) continue;
    const t = probe.position === 'inst' ? reads.inst : reads.post;
    const h = residAt(t, probe.layer);
    const norm = Math.sqrt(dot(outputs.resid, h, outputs.resid.subarray(h, h + H), H)) || 1;
    embedding += dot(outputs.resid, residAt(t, 0), probe.vector, H) / norm;
    for (let b = 0; b < probe.layer; b++) {
      attention[b] += dot(outputs.attn_out, blockAt(t, b), probe.vector, H) / norm;
      mlp[b] += dot(outputs.mlp_out, blockAt(t, b), probe.vector, H) / norm;
    }
  }

  const layers: ExplainLayer[] = [];
  for (let layer = 1; layer <= G; layer++) {
    const here = own.terms.filter((term) => term.layer === layer);
    const sum = (position: 'inst' | 'postInst'): number | undefined => {
      const list = here.filter((term) => term.position === position);
      return list.length ? list.reduce((s, term) => s + term.value, 0) : undefined;
    };
    const entry = guard.byLayer.get(layer);
    layers.push({
      layer,
      read: here.length > 0,
      contribution: here.reduce((s, term) => s + term.value, 0),
      inst: sum('inst'),
      postInst: sum('postInst'),
      attention: attention[layer - 1],
      mlp: mlp[layer - 1],
      harm: entry ? harmAt(entry, outputs.resid, residAt(reads.inst, layer)) : 0,
      refusal: entry ? refusalAt(entry, outputs.resid, residAt(reads.post, layer)) : 0,
    });
  }

  // Per token: the detector with its t_inst probes read at that token (t_post-inst probes as read).
  const postPart = own.terms.filter((term) => term.position === 'postInst').reduce((sum, term) => sum + term.value, 0);
  const tokens: ExplainToken[] = inputs.spans.map((span, i) => {
    const { logit } = detectorAt({ inst: prompt.userStart + i, post: reads.post });
    return { text: span.text, start: span.start, end: span.end, logit, probability: sigmoid(calibration.a * logit + calibration.b), inst: logit - detector.bias - postPart };
  });
  const span = carryingSpan(tokens, score.probability >= guard.threshold);

  const category = clearCategory(score);
  return {
    text: inputs.originalText,
    verdict: {
      probability: score.probability,
      logit: score.logit,
      refusalSuppressed: score.refusalSuppressed,
      category: category.name,
      categoryScores: score.categoryScores,
      categoryMargin: category.margin,
      categoryBound: CATEGORY_MARGIN,
      summary: '',
      score,
    },
    readouts,
    layers,
    embedding,
    neurons: [],
    tokens,
    span,
    window: inputs.window,
    model: { name: inputs.identity.modelName, graph: inputs.identity.graph, layers: G, modelLayers: inputs.modelLayers, why: inputs.why },
    ms: inputs.ms,
  };
}

/** The stretch of up to SPAN_TOKENS tokens whose positive t_inst readings sum highest (the first on ties); none unless flagged. */
export function carryingSpan(tokens: readonly ExplainToken[], flagged: boolean): ExplainResult['span'] {
  if (!flagged || !tokens.length) return undefined;
  const k = Math.min(SPAN_TOKENS, tokens.length);
  const weight = (i: number): number => Math.max(0, tokens[i].inst);
  let best = -1;
  let first = 0;
  for (let i = 0; i + k <= tokens.length; i++) {
    let sum = 0;
    for (let j = i; j < i + k; j++) sum += weight(j);
    if (sum > best) [best, first] = [sum, i];
  }
  if (best <= 0) return undefined;
  let last = first + k - 1;
  // Trim tokens that add nothing at either end.
  while (first < last && weight(first) === 0) first++;
  while (last > first && weight(last) === 0) last--;
  // Whole words: a sub-word piece pulls in the rest of its word.
  const continues = (i: number): boolean => /^[\p{L}\p{N}]/u.test(tokens[i].text) && /[\p{L}\p{N}]$/u.test(tokens[i - 1].text);
  while (first > 0 && continues(first)) first--;
  while (last + 1 < tokens.length && continues(last + 1)) last++;
  const start = tokens[first].start;
  const end = tokens[last].end;
  return { first, last, start, end, text: tokens.slice(first, last + 1).map((t) => t.text).join('').trim() };
}

/** The category when the top score clears the guard's floor and the runner-up by CATEGORY_MARGIN. */
export function clearCategory(score: UnitScore): { name?: string; margin?: number } {
  const [top, next] = score.categoryScores;
  if (!top) return {};
  const margin = next ? top.score - next.score : undefined;
  const named = score.category !== undefined && score.category !== 'Other' && (margin === undefined || margin >= CATEGORY_MARGIN);
  return { name: named ? top.category : undefined, margin };
}

/** "12–15" / "3, 7 and 12". */
function listLayers(layers: number[]): string {
  const sorted = [...layers];
  if (sorted.length <= 1) return sorted.join('');
  return `${sorted.slice(0, -1).join(', ')} and ${sorted[sorted.length - 1]}`;
}

function percent(p: number): string {
  const whole = Math.round(p * 100);
  return whole === 100 && p < 1 ? '> 99 %' : whole === 0 && p > 0 ? '< 1 %' : `${whole} %`;
}

/**
 * The two sentences the explorer leads with. The first is the verdict; the second names the phrase
 * that carried it (or says none reached the threshold), the read layers with the largest positive
 * contribution (or none), and where the evidence flowed (measured on the cumulative ablation path
 * averaged over layer and reverse order, whose parts sum to the total, when there is one, else the direct-path split, labelled as such).
 */
export function plainSummary(result: Omit<ExplainResult, 'verdict'> & { verdict: Pick<ExplainResult['verdict'], 'probability' | 'threshold' | 'flagged' | 'category'> }): string {
  const { verdict } = result;
  const what = verdict.category ? `a harmful request (closest category: ${verdict.category})` : 'a harmful request';
  const first = verdict.flagged
    ? `Flagged as ${what}: ${percent(verdict.probability)}, at or over the threshold of ${percent(verdict.threshold)}.`
    : `Not flagged: ${percent(verdict.probability)} probability of a harmful request, under the threshold of ${percent(verdict.threshold)}.`;
  const pushing = result.layers
    .filter((layer) => layer.read && layer.contribution > 0)
    .sort((a, b) => b.contribution - a.contribution)
    .map((layer) => layer.layer);
  const phrase = result.span ? `The phrase “${shorten(result.span.text)}” carries it most` : verdict.flagged ? 'No single phrase stands out' : 'No phrase carries a harmful reading';
  const layers = pushing.length ? `the read layers pushing toward harmful are ${listLayers(pushing)}` : 'no read layer pushes toward harmful';
  let flow = '';
  const mediation = result.mediation;
  if (mediation) {
    flow = `; removing blocks one by one in layer order and in reverse order (cumulative mean-ablation, the two orders averaged), ${Math.round(mediation.mlpShare * 100)} % of the effect goes through MLP blocks`;
  } else {
    let m = 0;
    let a = 0;
    for (const layer of result.layers) {
      m += Math.abs(layer.mlp);
      a += Math.abs(layer.attention);
    }
    if (m + a > 0) flow = `; by direct path (not causal), MLP blocks write ${Math.round((m / (m + a)) * 100)} % of what the probes read`;
  }
  return `${first} ${phrase}; ${layers}${flow}.`;
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 80 ? `${flat.slice(0, 77)}…` : flat;
}

/** The ExplainResult the explorer renders: the latent explanation plus the threshold in force and the policy rules that fired. */
export function toExplainResult(
  explanation: LatentExplanation,
  context: { threshold: number; rules?: ExplainResult['verdict']['rules']; uri?: string; unitId?: string; textOffset?: number; diagnostics?: ExplainResult['verdict']['diagnostics'] },
): ExplainResult {
  const { score, ...verdict } = explanation.verdict;
  const threshold = context.threshold;
  const flagged = score.probability >= threshold;
  const rules = context.rules ?? [];
  // The token view and the span use the threshold in force, as the diagnostic does.
  const readouts = explanation.readouts.map((readout, i) => (i === 0 ? { ...readout, threshold, flagged } : readout));
  const span = carryingSpan(explanation.tokens, flagged);
  const base: Omit<ExplainResult, 'verdict'> = { ...explanation, readouts, span, uri: context.uri, unitId: context.unitId, textOffset: context.textOffset };
  const { a, b } = explanation.readouts[0]?.calibration ?? { a: 1, b: 0 };
  // Ablating the top-k neurons flips the verdict when the logit then lands on the other side of the threshold;
  // the smallest such set are the gates (none when no set flips it).
  const mediation = explanation.mediation && {
    ...explanation.mediation,
    neurons: explanation.mediation.neurons.map((check) => ({ ...check, flips: sigmoid(a * (score.logit + check.delta) + b) >= threshold !== flagged })),
  };
  const gateK = mediation?.neurons.find((check) => check.flips)?.k ?? 0;
  base.mediation = mediation;
  base.neurons = explanation.neurons.map((neuron, i) => ({ ...neuron, gate: i < gateK }));
  // A category names what kind of harm a flagged text asks for; a text under the threshold gets none.
  const category = flagged ? verdict.category : undefined;
  const summary = plainSummary({ ...base, verdict: { probability: score.probability, threshold, flagged, category } });
  const clamped = Math.min(1 - 1e-9, Math.max(1e-9, threshold));
  const thresholdLogit = (Math.log(clamped / (1 - clamped)) - b) / a;
  return { ...base, verdict: { ...verdict, category, threshold, thresholdLogit, flagged, rules, diagnostics: context.diagnostics, summary } };
}
