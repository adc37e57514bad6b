// The guard's arithmetic: per-layer harm and refusal from hidden states, the detector's calibrated
// probability, the concepts' (injection, jailbreak), the category, the refusal-suppressed rule, and
// how a long unit's windows combine. Pure functions on Float32Arrays; the conventions are written
// down in guard-file.ts.
import type { ConceptName, GuardConcept, GuardLayer, GuardProbe, GuardFile } from './guard-file';
import type { SurprisalScore } from './surprisal';

/** One concept's reading of a unit (present for every concept the guard file has). */
export interface ConceptScore {
  name: ConceptName;
  probability: number;
  logit: number;
  /** Layers whose probes pushed toward the concept, strongest first. */
  topLayers: number[];
  /** The guard file's threshold for it (flagged at or over). */
  threshold: number;
  /** Index into UnitScore.windows of the window that carried this probability (0 for a one-window unit). */
  window: number;
}

/** A window's characters [start, end) in the unit's text; `sentence` when it is a sentence read alone. */
export interface WindowRange {
  start: number;
  end: number;
  sentence?: true;
}

/** What scoring one unit yields; independent of the user's threshold, so it can be cached. */
export interface UnitScore {
  probability: number;
  logit: number;
  /** The paper's baseline: mean harm over baseline layers (flag when > baseline threshold). */
  baseline: number;
  /** Resid layers with a guard entry, and the signals at each. */
  layers: number[];
  harm: number[];
  refusal: number[];
  /** Mean refusal z over the refusal-suppressed rule's layers. */
  refusalZ: number;
  refusalSuppressed: boolean;
  category?: string;
  categoryScores: { category: string; score: number }[];
  /** Detector layers that carried the decision, strongest first. */
  topLayers: number[];
  /** Per concept of the guard file, in its order (empty without concepts). */
  concepts: ConceptScore[];
  /** Tokens of the unit's text, and whether some were not read (more than the windows hold). */
  tokens: number;
  truncated: boolean;
  /** Index into `windows` of the window the harm score (and everything above) came from. */
  window: number;
  /** Each window's character range in the unit text when it was read in more than one; empty when it fit in one. */
  windows: WindowRange[];
  /** The most surprising run of tokens (the adversarial-suffix signal), when the guard reads it. */
  surprisal?: SurprisalScore;
  /** True when this is the int8 screen's reading (far below every decision; screen.ts), not an fp32 one. */
  screened?: boolean;
  /** Logits the whole reading was lowered by, to `segments.wholeAbove` over its best sentence read alone. */
  loweredBy?: number;
}

export function dot(a: Float32Array, aOffset: number, b: Float32Array, length: number): number {
  let sum = 0;
  for (let k = 0; k < length; k++) sum += a[aOffset + k] * b[k];
  return sum;
}

/** cos(h − center, target − center) for h = data[offset .. offset+H). */
function centredCosine(data: Float32Array, offset: number, target: Float32Array, center: Float32Array | undefined): number {
  let hh = 0;
  let tt = 0;
  let ht = 0;
  for (let k = 0; k < target.length; k++) {
    const c = center ? center[k] : 0;
    const h = data[offset + k] - c;
    const t = target[k] - c;
    hh += h * h;
    tt += t * t;
    ht += h * t;
  }
  return hh > 0 && tt > 0 ? ht / Math.sqrt(hh * tt) : 0;
}

/** Latent Guard harm at one layer: cos to the harmful centre minus cos to the harmless centre. */
export function harmAt(layer: GuardLayer, data: Float32Array, offset: number): number {
  return centredCosine(data, offset, layer.harmfulCentroid, layer.center) - centredCosine(data, offset, layer.harmlessCentroid, layer.center);
}

/** A linear probe on the unit-length residual: vector · h / ‖h‖ + offset. */
export function probeAt(probe: GuardProbe, data: Float32Array, offset: number): number {
  let hh = 0;
  let hv = 0;
  for (let k = 0; k < probe.vector.length; k++) {
    const h = data[offset + k];
    hh += h * h;
    hv += h * probe.vector[k];
  }
  return (hh > 0 ? hv / Math.sqrt(hh) : 0) + probe.offset;
}

/** Refusal projection z-scored on harmless prompts. */
export function refusalAt(layer: GuardLayer, data: Float32Array, offset: number): number {
  return (dot(data, offset, layer.refusalDirection, layer.refusalDirection.length) - layer.refusalMean) / layer.refusalStd;
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

const mean = (values: number[]): number => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0);

/**
 * Scores one unit from its residual stream at t_inst and t_post_inst.
 * `inst` and `post` hold (L + 1) × H floats each, layer-major, starting at the given offsets.
 */
export function scoreResiduals(
  guard: GuardFile,
  inst: Float32Array,
  instOffset: number,
  post: Float32Array,
  postOffset: number,
  meta: { tokens: number; truncated: boolean },
  /** The last resid layer present (a truncated scoring graph has fewer); default: all. */
  maxLayer = guard.model.nLayers,
): UnitScore {
  const H = guard.model.hiddenSize;
  const harmBy = new Map<number, number>();
  const refusalBy = new Map<number, number>();
  const present = guard.layers.filter((layer) => layer.layer <= maxLayer);
  for (const layer of present) {
    harmBy.set(layer.layer, harmAt(layer, inst, instOffset + layer.layer * H));
    refusalBy.set(layer.layer, refusalAt(layer, post, postOffset + layer.layer * H));
  }
  const { detector } = guard;
  let logit = detector.bias;
  // Each layer's push on the logit: its weighted harm and refusal signals plus its probes.
  const contributionBy = new Map<number, number>();
  const add = (layer: number, value: number): void => {
    logit += value;
    contributionBy.set(layer, (contributionBy.get(layer) ?? 0) + value);
  };
  detector.layers.forEach((layer, i) => {
    add(layer, detector.harmWeights[i] * (harmBy.get(layer) ?? 0) + (detector.refusalWeights?.[i] ?? 0) * (refusalBy.get(layer) ?? 0));
  });
  addProbes(detector.probes ?? [], { inst, instOffset, post, postOffset, H, maxLayer }, add);
  const contributions = [...contributionBy].map(([layer, value]) => ({ layer, value }));
  const concepts = (guard.concepts ?? []).map((concept) => scoreConcept(concept, inst, instOffset, post, postOffset, H, maxLayer));
  const probability = sigmoid(guard.calibration.a * logit + guard.calibration.b);
  const refusalZ = mean(guard.refusalSuppressed.layers.map((layer) => refusalBy.get(layer) ?? 0));
  const refusalSuppressed = probability >= guard.refusalSuppressed.minProbability && refusalZ <= guard.refusalSuppressed.maxRefusalZ;

  let category: string | undefined;
  const categoryScores: UnitScore['categoryScores'] = [];
  if (guard.categories) {
    const base = guard.byLayer.get(guard.categories.layer);
    const offset = instOffset + guard.categories.layer * H;
    for (const entry of guard.categories.entries) {
      categoryScores.push({ category: entry.name, score: centredCosine(inst, offset, addTo(entry.direction, base?.harmlessCentroid), base?.harmlessCentroid) });
    }
    categoryScores.sort((a, b) => b.score - a.score);
    const best = categoryScores[0];
    category = best && best.score >= guard.categories.minScore ? best.category : 'Other';
  }

  const topLayers = strongest(contributions);
  const layers = present.map((layer) => layer.layer);
  return {
    probability,
    logit,
    baseline: mean(guard.baseline.layers.map((layer) => harmBy.get(layer) ?? 0)),
    layers,
    harm: layers.map((layer) => round(harmBy.get(layer) ?? 0)),
    refusal: layers.map((layer) => round(refusalBy.get(layer) ?? 0)),
    refusalZ,
    refusalSuppressed,
    category,
    categoryScores: categoryScores.map((c) => ({ category: c.category, score: round(c.score) })),
    topLayers,
    concepts,
    tokens: meta.tokens,
    truncated: meta.truncated,
    window: 0,
    windows: [],
  };
}

/** The layers that pushed toward the decision (positive contributions), strongest first, at most four. */
function strongest(contributions: { layer: number; value: number }[]): number[] {
  return contributions
    .filter((c) => c.value > 0)
    .sort((a, b) => b.value - a.value)
    .slice(0, 4)
    .map((c) => c.layer);
}

/** Hands each probe's value to `add` with its layer; probes above `maxLayer` (a truncated graph) are skipped. */
function addProbes(
  probes: readonly GuardProbe[],
  at: { inst: Float32Array; instOffset: number; post: Float32Array; postOffset: number; H: number; maxLayer: number },
  add: (layer: number, value: number) => void,
): void {
  for (const probe of probes) {
    if (probe.layer > at.maxLayer) continue;
    const [data, base] = probe.position === 'inst' ? [at.inst, at.instOffset] : [at.post, at.postOffset];
    add(probe.layer, probeAt(probe, data, base + probe.layer * at.H));
  }
}

/** A concept: logit = bias + Σ probes (those above `maxLayer` skipped), p = sigmoid(a·logit + b). */
export function scoreConcept(
  concept: GuardConcept,
  inst: Float32Array,
  instOffset: number,
  post: Float32Array,
  postOffset: number,
  H: number,
  maxLayer: number,
): ConceptScore {
  let logit = concept.bias;
  const contributionBy = new Map<number, number>();
  addProbes(concept.probes, { inst, instOffset, post, postOffset, H, maxLayer }, (layer, value) => {
    logit += value;
    contributionBy.set(layer, (contributionBy.get(layer) ?? 0) + value);
  });
  return {
    name: concept.name,
    probability: sigmoid(concept.calibration.a * logit + concept.calibration.b),
    logit,
    topLayers: strongest([...contributionBy].map(([layer, value]) => ({ layer, value }))),
    threshold: concept.threshold,
    window: 0,
  };
}

/**
 * One unit's score from its windows' (in reading order): the window with the highest harm probability
 * gives the score (the first on ties), each concept takes its maximum over windows, and the result
 * records which window carried each. A single window comes back as it is.
 */
export function combineWindows(scores: readonly UnitScore[], meta: { tokens: number; truncated: boolean; windows: WindowRange[] }): UnitScore {
  if (scores.length === 0) throw new Error('a unit has at least one window');
  let best = 0;
  scores.forEach((score, i) => {
    if (score.probability > scores[best].probability) best = i;
  });
  const concepts = scores[best].concepts.map((concept, c) => {
    let top = best;
    scores.forEach((score, i) => {
      if (score.concepts[c].probability > scores[top].concepts[c].probability) top = i;
    });
    return { ...scores[top].concepts[c], window: top };
  });
  return { ...scores[best], concepts, tokens: meta.tokens, truncated: meta.truncated, window: best, windows: scores.length > 1 ? meta.windows : [] };
}

/**
 * A sentence read alone (the guard file's `segments`): its calibrated logit and each concept's
 * `margin` lower, so it must clear the threshold by that much; the refusal-suppressed rule, set on
 * whole prompts, does not read it.
 */
export function asSentenceScore(score: UnitScore, guard: GuardFile, margin: number): UnitScore {
  const lower = (logit: number, calibration: { a: number; b: number }): { logit: number; probability: number } => {
    const lowered = calibration.a > 0 ? logit - margin / calibration.a : logit;
    return { logit: lowered, probability: sigmoid(calibration.a * lowered + calibration.b) };
  };
  return {
    ...score,
    ...lower(score.logit, guard.calibration),
    refusalSuppressed: false,
    concepts: score.concepts.map((concept, i) => ({ ...concept, ...lower(concept.logit, guard.concepts?.[i]?.calibration ?? { a: 0, b: 0 }) })),
  };
}

/**
 * The whole unit's reading, lowered to at most `above` calibrated logits over the best of its
 * sentences read alone (their own logits, before the sentence margin): a unit none of whose lines or
 * sentences reads as harmful is not made harmful by how they are put together. Concepts stay.
 */
export function wholeCappedBySentences(whole: UnitScore, sentences: readonly UnitScore[], guard: GuardFile, above: number): UnitScore {
  const { a, b } = guard.calibration;
  if (sentences.length === 0 || a <= 0) return whole;
  const cap = Math.max(...sentences.map((score) => score.logit)) + above / a;
  if (whole.logit <= cap) return whole;
  const probability = sigmoid(a * cap + b);
  const refusalSuppressed = whole.refusalSuppressed && probability >= guard.refusalSuppressed.minProbability;
  return { ...whole, logit: cap, probability, refusalSuppressed, loweredBy: whole.logit - cap };
}

/** cos(h − base, direction) is centredCosine(h, base + direction, base). */
function addTo(direction: Float32Array, base: Float32Array | undefined): Float32Array {
  if (!base) return direction;
  const out = new Float32Array(direction.length);
  for (let k = 0; k < out.length; k++) out[k] = base[k] + direction[k];
  return out;
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

/** "12–15" / "3, 7 and 12": a short human list of layer numbers. */
export function describeLayers(layers: number[]): string {
  const sorted = [...new Set(layers)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j > i ? `${sorted[i]}–${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
