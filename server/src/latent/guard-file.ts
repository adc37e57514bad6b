// What models/latent-guard.json means: what calibration (Python, models/) writes and the runtime
// (this folder) applies. The calibration engineer produces JSON matching `GuardFileJson`, whose shape
// guard-file.schema.json states; `parseGuardFile` (parse-guard-file.ts) validates it against that
// schema and decodes vectors into Float32Arrays.
//
// Conventions, fixed here once:
// - "layer" ℓ always indexes the graph's `resid` output axis 2: ℓ = 0 is the embedding output (the
//   residual entering block 0), ℓ = L is the residual after the last block (before the final norm).
//   So there are L + 1 layers, 0..L. `attn_out`/`mlp_out`/`mlp_act` are indexed by block b = 0..L-1;
//   block b moves the residual from layer b to layer b + 1.
// - Positions: the unit is wrapped as one user turn of the model's ChatML template (default system
//   prompt as the GGUF template renders it with no system message). `t_inst` = the last token of the
//   user's text; `t_post_inst` = the last token of the whole prompt (the "\n" after
//   "<|im_start|>assistant"). A unit of at most `prompt.maxUserTokens` user tokens is one prompt.
// - Windows: a longer unit is read as overlapping windows of maxUserTokens user tokens (a slice of the
//   whole text's tokens, each wrapped in the same user turn: same prefix and suffix), window k starting
//   at token k·⌊maxUserTokens·2/3⌋, the last one the first that reaches the end; at most 16 windows
//   (past that the rest is not read and the score says `truncated`). t_inst / t_post_inst are a
//   window's own. The unit's harm score is its window with the highest detector probability; each
//   concept's probability is its maximum over windows.
// - Sentences (optional `segments`): a unit with more than one line or sentence of at least
//   `prompt.minWords` words also has each of them read alone, as its own prompt (up to `segments.max`,
//   in order), so a benign line before or after, a suffix or a long context cannot hide a harmful one.
//   A sentence's calibrated logit (and each concept's) counts `segments.margin` logits lower than a
//   whole unit's: read alone it must clear the threshold by that much. It joins the windows above
//   (the unit's score is the highest); the refusal-suppressed rule reads whole windows only.
//   `segments.minWords` (default `prompt.minWords`) sets the words a sentence needs to be read.
//   With `segments.wholeAbove`, a unit read in one window whose lines and sentences were all read
//   counts its whole reading at most `wholeAbove` calibrated logits above the best of them: how
//   parts are put together (a quoted e-mail's "can you take a look at the request above?") cannot
//   lift a unit none of whose parts reads as harmful. Concepts are not lowered.
// - Harm at layer ℓ (Zhao et al. 2025 Latent Guard): with h = resid[t_inst, ℓ] − center_ℓ,
//   harm_ℓ = cos(h, harmfulCentroid_ℓ − center_ℓ) − cos(h, harmlessCentroid_ℓ − center_ℓ).
//   `center` is optional (absent = zero vector).
// - Refusal at layer ℓ: z_ℓ = (resid[t_post_inst, ℓ] · refusalDirection_ℓ − refusalMean_ℓ) / refusalStd_ℓ
//   (mean/std measured on harmless prompts, so harmless ≈ N(0, 1)).
// - Detector: logit = bias + Σ_i harmWeights[i]·harm_{layers[i]} + Σ_i refusalWeights[i]·z_{layers[i]}
//   (refusalWeights optional) + Σ_p probe_p; probability = sigmoid(calibration.a · logit + calibration.b).
// - Probe p (optional, a linear probe learned on one layer): with h = resid[position, layer],
//   probe_p = vector_p · h / ‖h‖ + offset_p (offset centres it on the training prompts, so a probe's
//   value is that layer's push toward harmful). position "inst" = t_inst, "postInst" = t_post_inst.
//   Flagged when probability ≥ threshold (a user's `latent.threshold` overrides the file's).
// - Concepts (optional `concepts`, names "injection" and "jailbreak"): each its own probes (the same
//   shape and arithmetic as the detector's), logit = bias + Σ_p probe_p, probability =
//   sigmoid(calibration.a · logit + calibration.b), flagged (latent/<name>) when probability ≥ its
//   threshold. latent/harmful-request stays the detector. When a file has concepts, the jailbreak
//   concept replaces the refusal-suppressed rule (latent/refusal-suppressed is not reported).
// - Baseline (the paper's): mean of harm_ℓ over `baseline.layers` > `baseline.threshold` (0).
// - Refusal suppressed (jailbreak-like): probability ≥ refusalSuppressed.minProbability and the mean of
//   z_ℓ over refusalSuppressed.layers ≤ refusalSuppressed.maxRefusalZ.
// - Category at `categories.layer`: argmax over entries of cos(resid[t_inst] − harmlessCentroid, direction);
//   reported only when the best score ≥ categories.minScore (else "Other").
// - Neurons (explorer): for block b, contribution of MLP neuron j = mlp_act[b, j] × weights[j], where
//   weights[j] = W_down[:, j] · harmDirection_{targetLayer} (harmDirection = unit(harmful − harmless centroid)).
//
// Vectors are either plain number arrays or base64 strings of little-endian float32 (compact:
// Python `base64.b64encode(np.asarray(v, '<f4').tobytes()).decode()`).

/** The probability threshold in force while no guard file has been read (a file's `threshold` replaces it). */
export const NO_GUARD_THRESHOLD = 0.5;

/** A vector as written in JSON: numbers, or base64 of little-endian float32. */
export type VectorJson = number[] | string;

export interface GuardLayerJson {
  /** Index into the resid axis, 0..L. Every layer 0..L should be present so the explorer can chart all. */
  layer: number;
  /** Mean resid at t_inst over harmful prompts (length H). */
  harmfulCentroid: VectorJson;
  /** Mean resid at t_inst over harmless prompts (length H). */
  harmlessCentroid: VectorJson;
  /** Optional centring vector subtracted before the cosines (e.g. the mean over all prompts). */
  center?: VectorJson;
  /** Unit vector at t_post_inst: mean(harmful) − mean(harmless), normalised (length H). */
  refusalDirection: VectorJson;
  /** Mean and std of resid[t_post_inst]·refusalDirection over harmless prompts. */
  refusalMean: number;
  refusalStd: number;
}

export interface GuardProbeJson {
  layer: number;
  position: 'inst' | 'postInst';
  /** Length H; applied to the unit-length residual. */
  vector: VectorJson;
  offset: number;
}

export interface GuardProbe {
  layer: number;
  position: 'inst' | 'postInst';
  vector: Float32Array;
  offset: number;
}

/** The concepts a guard file may calibrate besides harm (each reported as latent/<name>). */
export const CONCEPT_NAMES = ['injection', 'jailbreak'] as const;
export type ConceptName = (typeof CONCEPT_NAMES)[number];

export interface GuardConceptJson {
  name: ConceptName;
  /** Linear probes, as the detector's (GuardProbeJson), summed into the concept's logit. */
  probes: GuardProbeJson[];
  bias: number;
  /** Platt scaling of the concept's logit: p = sigmoid(a·logit + b). */
  calibration: { a: number; b: number };
  /** Flagged when the probability is at or over this, in (0, 1]. */
  threshold: number;
  description?: string;
}

/** A decoded concept: probe vectors as Float32Array. */
export interface GuardConcept extends Omit<GuardConceptJson, 'probes'> {
  probes: GuardProbe[];
}

export interface GuardFileJson {
  /** Schema version; this file describes version 1. */
  version: 1;
  model: {
    /** e.g. "SmolLM2-135M-Instruct". */
    name: string;
    /** Graph variant calibrated on ("fp32", "int8"), a key of model_config.json `graphs`. */
    graph: string;
    /** sha256 of that graph file; a different loaded graph gives a note, not a failure. */
    graphSha256: string;
    /** Other graph files (sha256) the calibration was checked on (e.g. the int8 graph). */
    compatibleGraphSha256?: string[];
    /** sha256 of tokenizer.json; a mismatch refuses to run (positions would be wrong). */
    tokenizerSha256: string;
    nLayers: number;
    hiddenSize: number;
    intermediateSize: number;
  };
  prompt: {
    template: 'chatml-user-turn';
    /** The system prompt the template adds (null for none), exactly as rendered. */
    systemPrompt: string | null;
    /** User tokens per window; longer units are read as overlapping windows (see the conventions above). */
    maxUserTokens: number;
    /** Units with fewer whitespace-separated words are not scored (calibration never saw them); default 4. */
    minWords?: number;
  };
  layers: GuardLayerJson[];
  detector: {
    /** Which layers (resid indices) the detector reads, in order. */
    layers: number[];
    harmWeights: number[];
    refusalWeights?: number[];
    /** Linear probes on single layers, added to the logit. */
    probes?: GuardProbeJson[];
    bias: number;
  };
  /** Platt scaling of the detector's logit: p = sigmoid(a·logit + b). */
  calibration: { a: number; b: number };
  /** Default probability threshold for latent/harmful-request. */
  threshold: number;
  /** Calibrated concepts besides harm (optional; each name at most once). */
  concepts?: GuardConceptJson[];
  /** The adversarial-suffix signal from the full model's next-token surprisal (optional; see surprisal.ts). */
  surprisal?: GuardSurprisal;
  /** The int8 screen (optional; see screen.ts): which quantised graph may screen units, and its margin. */
  screen?: GuardScreen;
  /** Each line and sentence of a unit also read alone (optional; see the conventions above). */
  segments?: GuardSegments;
  /** The paper's unweighted baseline, kept for comparison (bench) and the explorer. */
  baseline: { layers: number[]; threshold: number };
  refusalSuppressed: { layers: number[]; minProbability: number; maxRefusalZ: number };
  categories?: {
    layer: number;
    minScore: number;
    entries: { name: string; direction: VectorJson }[];
  };
  /** Layer used for the explorer's per-token heat map. */
  readoutLayer: number;
  /** Threshold on per-layer harm for the explorer's chart line (0 in the paper). */
  layerThreshold: number;
  neurons?: {
    /** Blocks whose last-layer neurons act as gates (mediation study), e.g. [L-2, L-1]. */
    gateBlocks: number[];
    blocks: { block: number; targetLayer: number; weights: VectorJson }[];
  };
  /** Free-form measured figures (accuracy, AUROC, FPR per set…), shown in the model card. */
  metrics?: Record<string, unknown>;
  /** The data the file came from: name, sha256 of the rows used, count, role. */
  data?: { name: string; sha256: string; rows: number; role: string }[];
  createdAt?: string;
  /**
   * Probes scored by calibration with the ONNX graph itself: the runtime must reproduce them
   * (positions exactly, probabilities within float tolerance). Checked by test/latent/real-model.test.ts.
   */
  selfTest?: SelfTestEntry[];
}

export interface SelfTestEntry {
  text: string;
  /** Prompt length in tokens, and the read positions. */
  tokens: number;
  tInst: number;
  tPostInst: number;
  probability: number;
  baseline: number;
  refusalZ: number;
  flagged: boolean;
  category?: string;
}

/** The decoded, validated guard, vectors as Float32Array. */
export interface GuardLayer {
  layer: number;
  harmfulCentroid: Float32Array;
  harmlessCentroid: Float32Array;
  center?: Float32Array;
  refusalDirection: Float32Array;
  refusalMean: number;
  refusalStd: number;
  /** unit(harmfulCentroid − harmlessCentroid), derived. */
  harmDirection: Float32Array;
}

export interface GuardFile
  extends Omit<GuardFileJson, 'layers' | 'categories' | 'neurons' | 'detector' | 'concepts'> {
  layers: GuardLayer[];
  detector: Omit<GuardFileJson['detector'], 'probes'> & { probes?: GuardProbe[] };
  /** Lookup by resid index. */
  byLayer: Map<number, GuardLayer>;
  concepts?: GuardConcept[];
  categories?: { layer: number; minScore: number; entries: { name: string; direction: Float32Array }[] };
  neurons?: { gateBlocks: number[]; blocks: { block: number; targetLayer: number; weights: Float32Array }[] };
}

/** `surprisal`: flag a unit when some `window` tokens in a row average over `threshold` nats of surprisal. */
export interface GuardSurprisal {
  window: number;
  /** Tokens at the start of the user's text left out (the first word of a turn is hard to predict). */
  skipFirst: number;
  /** A window counts when at least this many of its tokens are outside masked spans. */
  minUnmasked: number;
  threshold: number;
  /** User tokens read per window of a long unit when calibrated (the runtime reads the guard's windows). */
  maxUserTokens?: number;
  /** JavaScript-compatible pattern of spans meant to be unpredictable (base64, hex, URLs, numbers, e-mail). */
  mask: string;
  calibration?: string;
}

/**
 * `screen`: the quantised graph `graph` (a model_config.json graph name) may score every unit first;
 * a unit whose calibrated logit (a·logit + b, and each concept's) comes within `margin` of its threshold
 * is scored again on the fp32 graph, so a flag never rests on the quantised reading.
 */
export interface GuardScreen {
  graph: string;
  /** Logits of the calibrated score: at least the largest difference between the two graphs measured. */
  margin: number;
  /** What the margin was measured on (models/verify_int8.py). */
  calibration?: string;
}

/** `segments`: lines and sentences read alone, `margin` logits below a whole unit (see the conventions above). */
export interface GuardSegments {
  /** Logits a sentence read alone is lowered by before it is compared with the threshold. */
  margin: number;
  /** Sentences read per unit at most (the first ones). */
  max: number;
  /** Words a line or sentence needs to be read alone (default: `prompt.minWords`). */
  minWords?: number;
  /**
   * Calibrated logits a whole unit's reading may stand above its best line or sentence read alone,
   * when the unit is one window and every one of them was read; above that it is lowered to it.
   * Absent: the whole reading stands as it is.
   */
  wholeAbove?: number;
  /** How the margin was chosen. */
  calibration?: string;
}

export class GuardFileError extends Error {
  constructor(
    readonly file: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${file}: ${path ? `${path}: ` : ''}${reason}`);
    this.name = 'GuardFileError';
  }
}
