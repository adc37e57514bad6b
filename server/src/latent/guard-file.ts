// The schema of models/latent-guard.json: what calibration (Python, models/) writes and the runtime
// (this folder) applies. The calibration engineer produces JSON matching `GuardFileJson`;
// `parseGuardFile` validates it and decodes vectors into Float32Arrays.
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

/** Validates JSON text (or an already parsed object) against the schema above. */
export function parseGuardFile(input: string | unknown, file = 'latent-guard.json'): GuardFile {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch (error) {
      throw new GuardFileError(file, '', `not valid JSON (${(error as Error).message})`);
    }
  }
  const fail = (path: string, reason: string): never => {
    throw new GuardFileError(file, path, reason);
  };
  const obj = (value: unknown, path: string): Record<string, unknown> => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'expected an object');
    return value as Record<string, unknown>;
  };
  const num = (value: unknown, path: string): number => {
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, 'expected a finite number');
    return value as number;
  };
  const int = (value: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number => {
    const n = num(value, path);
    if (!Number.isInteger(n) || n < min || n > max) fail(path, `expected a whole number in ${min}..${max}`);
    return n;
  };
  const str = (value: unknown, path: string): string => {
    if (typeof value !== 'string') fail(path, 'expected a string');
    return value as string;
  };
  const sha = (value: unknown, path: string): string => {
    const s = str(value, path);
    if (!/^[0-9a-f]{64}$/.test(s)) fail(path, 'expected a lowercase hex sha256 (64 characters)');
    return s;
  };
  const arr = (value: unknown, path: string): unknown[] => {
    if (!Array.isArray(value)) fail(path, 'expected an array');
    return value as unknown[];
  };
  const numbers = (value: unknown, path: string): number[] => arr(value, path).map((v, i) => num(v, `${path}[${i}]`));

  const root = obj(raw, '');
  if (root.version !== 1) fail('version', `expected 1, got ${JSON.stringify(root.version)}`);
  const modelRaw = obj(root.model, 'model');
  const model: GuardFileJson['model'] = {
    name: str(modelRaw.name, 'model.name'),
    graph: str(modelRaw.graph, 'model.graph'),
    graphSha256: sha(modelRaw.graphSha256, 'model.graphSha256'),
    compatibleGraphSha256:
      modelRaw.compatibleGraphSha256 === undefined
        ? undefined
        : arr(modelRaw.compatibleGraphSha256, 'model.compatibleGraphSha256').map((v, i) => sha(v, `model.compatibleGraphSha256[${i}]`)),
    tokenizerSha256: sha(modelRaw.tokenizerSha256, 'model.tokenizerSha256'),
    nLayers: int(modelRaw.nLayers, 'model.nLayers', 1),
    hiddenSize: int(modelRaw.hiddenSize, 'model.hiddenSize', 1),
    intermediateSize: int(modelRaw.intermediateSize, 'model.intermediateSize', 1),
  };
  const L = model.nLayers;
  const H = model.hiddenSize;
  const vector = (value: unknown, path: string, length: number): Float32Array => {
    let out: Float32Array;
    if (typeof value === 'string') {
      const bytes = Buffer.from(value, 'base64');
      if (bytes.length % 4 !== 0) fail(path, 'base64 vector must decode to a whole number of float32 values');
      out = new Float32Array(bytes.length / 4);
      for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(i * 4);
    } else {
      out = Float32Array.from(numbers(value, path));
    }
    if (out.length !== length) fail(path, `expected ${length} values, got ${out.length}`);
    for (let i = 0; i < out.length; i++) if (!Number.isFinite(out[i])) fail(`${path}[${i}]`, 'not a finite number');
    return out;
  };
  const layerIndex = (value: unknown, path: string): number => int(value, path, 0, L);

  const promptRaw = obj(root.prompt, 'prompt');
  if (promptRaw.template !== 'chatml-user-turn') fail('prompt.template', 'expected "chatml-user-turn"');
  if (promptRaw.systemPrompt !== null && typeof promptRaw.systemPrompt !== 'string') fail('prompt.systemPrompt', 'expected a string or null');
  const prompt: GuardFileJson['prompt'] = {
    template: 'chatml-user-turn',
    systemPrompt: promptRaw.systemPrompt as string | null,
    maxUserTokens: int(promptRaw.maxUserTokens, 'prompt.maxUserTokens', 1),
    minWords: promptRaw.minWords === undefined ? undefined : int(promptRaw.minWords, 'prompt.minWords', 0),
  };

  const layers = arr(root.layers, 'layers').map((value, i): GuardLayer => {
    const path = `layers[${i}]`;
    const layerRaw = obj(value, path);
    const harmfulCentroid = vector(layerRaw.harmfulCentroid, `${path}.harmfulCentroid`, H);
    const harmlessCentroid = vector(layerRaw.harmlessCentroid, `${path}.harmlessCentroid`, H);
    const refusalStd = num(layerRaw.refusalStd, `${path}.refusalStd`);
    if (refusalStd <= 0) fail(`${path}.refusalStd`, 'must be > 0');
    const harmDirection = new Float32Array(H);
    for (let k = 0; k < H; k++) harmDirection[k] = harmfulCentroid[k] - harmlessCentroid[k];
    normalise(harmDirection);
    return {
      layer: layerIndex(layerRaw.layer, `${path}.layer`),
      harmfulCentroid,
      harmlessCentroid,
      center: layerRaw.center === undefined ? undefined : vector(layerRaw.center, `${path}.center`, H),
      refusalDirection: vector(layerRaw.refusalDirection, `${path}.refusalDirection`, H),
      refusalMean: num(layerRaw.refusalMean, `${path}.refusalMean`),
      refusalStd,
      harmDirection,
    };
  });
  if (layers.length === 0) fail('layers', 'expected at least one layer');
  const byLayer = new Map<number, GuardLayer>();
  for (const layer of layers) {
    if (byLayer.has(layer.layer)) fail('layers', `layer ${layer.layer} appears twice`);
    byLayer.set(layer.layer, layer);
  }
  const known = (value: unknown, path: string): number => {
    const layer = layerIndex(value, path);
    if (!byLayer.has(layer)) fail(path, `layer ${layer} has no entry in "layers"`);
    return layer;
  };

  const detectorRaw = obj(root.detector, 'detector');
  const detectorLayers = arr(detectorRaw.layers, 'detector.layers').map((v, i) => known(v, `detector.layers[${i}]`));
  const harmWeights = numbers(detectorRaw.harmWeights, 'detector.harmWeights');
  if (harmWeights.length !== detectorLayers.length) fail('detector.harmWeights', `expected ${detectorLayers.length} weights (one per detector layer)`);
  let refusalWeights: number[] | undefined;
  if (detectorRaw.refusalWeights !== undefined) {
    refusalWeights = numbers(detectorRaw.refusalWeights, 'detector.refusalWeights');
    if (refusalWeights.length !== detectorLayers.length) fail('detector.refusalWeights', `expected ${detectorLayers.length} weights`);
  }
  const probeList = (value: unknown, at: string): GuardProbe[] =>
    arr(value, at).map((entry, i) => {
      const path = `${at}[${i}]`;
      const probeRaw = obj(entry, path);
      if (probeRaw.position !== 'inst' && probeRaw.position !== 'postInst') fail(`${path}.position`, 'expected "inst" or "postInst"');
      return {
        layer: layerIndex(probeRaw.layer, `${path}.layer`),
        position: probeRaw.position as GuardProbe['position'],
        vector: vector(probeRaw.vector, `${path}.vector`, H),
        offset: num(probeRaw.offset, `${path}.offset`),
      };
    });
  const probes = detectorRaw.probes === undefined ? undefined : probeList(detectorRaw.probes, 'detector.probes');
  const calibrationRaw = obj(root.calibration, 'calibration');
  const threshold = num(root.threshold, 'threshold');
  if (threshold < 0 || threshold > 1) fail('threshold', 'expected a probability in 0..1');
  const baselineRaw = obj(root.baseline, 'baseline');
  const suppressedRaw = obj(root.refusalSuppressed, 'refusalSuppressed');

  let concepts: GuardConcept[] | undefined;
  if (root.concepts !== undefined) {
    const seen = new Set<string>();
    concepts = arr(root.concepts, 'concepts').map((value, i): GuardConcept => {
      const path = `concepts[${i}]`;
      const conceptRaw = obj(value, path);
      const name = str(conceptRaw.name, `${path}.name`);
      if (!(CONCEPT_NAMES as readonly string[]).includes(name)) {
        fail(`${path}.name`, `unknown concept ${JSON.stringify(name)}; expected one of ${CONCEPT_NAMES.map((n) => `"${n}"`).join(', ')}`);
      }
      if (seen.has(name)) fail(`${path}.name`, `concept "${name}" appears twice`);
      seen.add(name);
      const conceptCalibration = obj(conceptRaw.calibration, `${path}.calibration`);
      const conceptThreshold = num(conceptRaw.threshold, `${path}.threshold`);
      if (!(conceptThreshold > 0 && conceptThreshold <= 1)) fail(`${path}.threshold`, 'expected a probability in (0, 1]');
      return {
        name: name as ConceptName,
        probes: probeList(conceptRaw.probes, `${path}.probes`),
        bias: num(conceptRaw.bias, `${path}.bias`),
        calibration: { a: num(conceptCalibration.a, `${path}.calibration.a`), b: num(conceptCalibration.b, `${path}.calibration.b`) },
        threshold: conceptThreshold,
        description: conceptRaw.description === undefined ? undefined : str(conceptRaw.description, `${path}.description`),
      };
    });
  }

  let surprisal: GuardSurprisal | undefined;
  if (root.surprisal !== undefined) {
    const raw = obj(root.surprisal, 'surprisal');
    const window = int(raw.window, 'surprisal.window', 1, 256);
    const mask = str(raw.mask, 'surprisal.mask');
    try {
      new RegExp(mask, 'g');
    } catch (error) {
      fail('surprisal.mask', `not a valid pattern (${(error as Error).message})`);
    }
    surprisal = {
      window,
      skipFirst: int(raw.skipFirst, 'surprisal.skipFirst', 0, 64),
      minUnmasked: int(raw.minUnmasked, 'surprisal.minUnmasked', 1, window),
      threshold: num(raw.threshold, 'surprisal.threshold'),
      maxUserTokens: raw.maxUserTokens === undefined ? undefined : int(raw.maxUserTokens, 'surprisal.maxUserTokens', 1),
      mask,
      calibration: raw.calibration === undefined ? undefined : str(raw.calibration, 'surprisal.calibration'),
    };
  }

  let categories: GuardFile['categories'];
  if (root.categories !== undefined) {
    const categoriesRaw = obj(root.categories, 'categories');
    categories = {
      layer: known(categoriesRaw.layer, 'categories.layer'),
      minScore: num(categoriesRaw.minScore, 'categories.minScore'),
      entries: arr(categoriesRaw.entries, 'categories.entries').map((value, i) => {
        const entry = obj(value, `categories.entries[${i}]`);
        return { name: str(entry.name, `categories.entries[${i}].name`), direction: vector(entry.direction, `categories.entries[${i}].direction`, H) };
      }),
    };
  }
  let neurons: GuardFile['neurons'];
  if (root.neurons !== undefined) {
    const neuronsRaw = obj(root.neurons, 'neurons');
    neurons = {
      gateBlocks: arr(neuronsRaw.gateBlocks, 'neurons.gateBlocks').map((v, i) => int(v, `neurons.gateBlocks[${i}]`, 0, L - 1)),
      blocks: arr(neuronsRaw.blocks, 'neurons.blocks').map((value, i) => {
        const entry = obj(value, `neurons.blocks[${i}]`);
        return {
          block: int(entry.block, `neurons.blocks[${i}].block`, 0, L - 1),
          targetLayer: known(entry.targetLayer, `neurons.blocks[${i}].targetLayer`),
          weights: vector(entry.weights, `neurons.blocks[${i}].weights`, model.intermediateSize),
        };
      }),
    };
  }

  return {
    version: 1,
    model,
    prompt,
    layers,
    byLayer,
    detector: { layers: detectorLayers, harmWeights, refusalWeights, probes, bias: num(detectorRaw.bias, 'detector.bias') },
    calibration: { a: num(calibrationRaw.a, 'calibration.a'), b: num(calibrationRaw.b, 'calibration.b') },
    threshold,
    concepts,
    surprisal,
    baseline: {
      layers: arr(baselineRaw.layers, 'baseline.layers').map((v, i) => known(v, `baseline.layers[${i}]`)),
      threshold: num(baselineRaw.threshold, 'baseline.threshold'),
    },
    refusalSuppressed: {
      layers: arr(suppressedRaw.layers, 'refusalSuppressed.layers').map((v, i) => known(v, `refusalSuppressed.layers[${i}]`)),
      minProbability: num(suppressedRaw.minProbability, 'refusalSuppressed.minProbability'),
      maxRefusalZ: num(suppressedRaw.maxRefusalZ, 'refusalSuppressed.maxRefusalZ'),
    },
    categories,
    readoutLayer: known(root.readoutLayer, 'readoutLayer'),
    layerThreshold: num(root.layerThreshold, 'layerThreshold'),
    neurons,
    metrics: root.metrics === undefined ? undefined : obj(root.metrics, 'metrics'),
    data: root.data === undefined ? undefined : (arr(root.data, 'data') as GuardFileJson['data']),
    createdAt: root.createdAt === undefined ? undefined : str(root.createdAt, 'createdAt'),
    selfTest:
      root.selfTest === undefined
        ? undefined
        : arr(root.selfTest, 'selfTest').map((value, i): SelfTestEntry => {
            const entry = obj(value, `selfTest[${i}]`);
            const at = (key: string): string => `selfTest[${i}].${key}`;
            return {
              text: str(entry.text, at('text')),
              tokens: int(entry.tokens, at('tokens')),
              tInst: int(entry.tInst, at('tInst')),
              tPostInst: int(entry.tPostInst, at('tPostInst')),
              probability: num(entry.probability, at('probability')),
              baseline: num(entry.baseline, at('baseline')),
              refusalZ: num(entry.refusalZ, at('refusalZ')),
              flagged: entry.flagged === true,
              category: entry.category === undefined ? undefined : str(entry.category, at('category')),
            };
          }),
  };
}

function normalise(vector: Float32Array): void {
  let norm = 0;
  for (let k = 0; k < vector.length; k++) norm += vector[k] * vector[k];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let k = 0; k < vector.length; k++) vector[k] /= norm;
}
