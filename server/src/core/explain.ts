// What the latent guard's explain API returns and the Latent Explorer renders. Types only: every
// number is computed by the guard (server/src/latent) from the same probes, positions, threshold and
// graph that scored the diagnostic; the webview computes nothing of its own.
// Here in core so that latent/ builds it and the protocol passes it on without either importing the other.

/** Where a probe reads: the last token of the user's text (t_inst) or of the whole chat prompt (t_post-inst). */
export type ReadPosition = 'inst' | 'postInst';

/** One probe's addition to a detector's logit: vector · h / ‖h‖ + offset at (layer, position). */
export interface ExplainTerm {
  layer: number;
  position: ReadPosition;
  value: number;
}

/** A calibrated read-out of the hidden states (the harm detector, or a concept: injection, jailbreak). */
export interface ExplainReadout {
  /** 'harmful-request' for the detector; else the guard file's concept name. */
  name: string;
  /** The rule its finding is reported under (latent/harmful-request, latent/injection, …). */
  ruleId: string;
  probability: number;
  /** bias + Σ terms; probability = sigmoid(a · logit + b). */
  logit: number;
  bias: number;
  calibration: { a: number; b: number };
  threshold: number;
  flagged: boolean;
  terms: ExplainTerm[];
}

export interface ExplainLayer {
  /** 1..L: the residual stream after transformer block layer-1 (the embedding is not a layer). */
  layer: number;
  /** Whether the detector reads this layer. */
  read: boolean;
  /** What the detector's probes at this layer add to its logit (0 where it reads nothing). */
  contribution: number;
  /** The same, split by read position (undefined where no probe reads). */
  inst?: number;
  postInst?: number;
  /**
   * Direct-path attribution, in logit units: block layer-1's attention (MLP) output at the read
   * positions, projected on every probe above it (vector / ‖h‖ of that probe's layer). With the
   * embedding's share these sum exactly to the logit minus bias and offsets. Linear, not causal.
   */
  attention: number;
  mlp: number;
  /** Secondary, raw directions (not what the detector reads): Latent Guard harm at t_inst (cos to harmful − cos to harmless centre). */
  harm: number;
  /** Secondary: projection on the refusal direction at t_post-inst, z-scored on harmless prompts. */
  refusal: number;
}

export interface ExplainNeuron {
  /** Same numbering as ExplainLayer: the neuron sits in the MLP of block layer-1. */
  layer: number;
  index: number;
  activation: number;
  /** Direct-path effect on the detector's logit: activation × (down-projection column · Σ probes above / ‖h‖). */
  contribution: number;
  /** True only where ablating the top neurons flips the verdict (measured). */
  gate: boolean;
}

export interface ExplainToken {
  text: string;
  /** Source offsets of the token in the unit's text. */
  start: number;
  end: number;
  /**
   * The detector's own score had the text ended at this token: its t_inst probes read at this
   * position (t_post-inst probes as read). At the last token this is the verdict's probability.
   */
  probability: number;
  logit: number;
  /** The t_inst probes alone read at this token (logit units): the token's own share, which the span is chosen on. */
  inst: number;
}

/**
 * Causal effects on the detector's logit, measured with the mediation graph: each module's output
 * mean-ablated (replaced by its benign mean at every token after the cached system prompt).
 */
export interface ExplainMediation {
  /** The detector's logit with nothing ablated (the verdict's, up to float rounding). */
  logit: number;
  /** Per layer and module, each alone: logit − logit with only that module ablated (positive: it carried evidence toward harmful). These overlap and do not add up to `total`. */
  effects: { layer: number; attention: number; mlp: number }[];
  /**
   * The cumulative (telescoping) path, whose parts sum to `total` by construction, averaged over two
   * orders: each entry is the mean of the further fall in the logit when that module joins the ones
   * ablated before it in layer order (attention of block 1, its MLP, attention of block 2, …) and in
   * reverse order (MLP of the last block first). Either order alone credits the blocks that go first
   * with what the others would otherwise carry; both sum to `total`, so their average does too.
   */
  cumulative: { layer: number; attention: number; mlp: number }[];
  /** The same path in layer order alone (sums to `total`). */
  cumulativeForward: { layer: number; attention: number; mlp: number }[];
  /** The same path in reverse order alone (sums to `total`). */
  cumulativeReverse: { layer: number; attention: number; mlp: number }[];
  /** Share of the averaged path that goes through MLP blocks: |Σ mlp| / (|Σ mlp| + |Σ attention|) (0..1); Σ mlp + Σ attention = total. */
  mlpShare: number;
  /** The same share on the layer-order path alone. */
  mlpShareForward: number;
  /** The same share on the reverse-order path alone. */
  mlpShareReverse: number;
  /** Share of Σ |single effect| that goes through MLP blocks (0..1), for comparison (order-free, not additive). */
  singleMlpShare: number;
  /** logit − logit with every module of every layer ablated at once (the joint effect, to compare with the sum). */
  total: number;
  /** The top-k neurons (by direct effect) ablated together: logit after − logit, the direct effects' sum, and whether the verdict flips. */
  neurons: { k: number; delta: number; direct: number; flips: boolean }[];
  graph: string;
  ms: number;
}

export interface ExplainResult {
  /** The unit's text that was explained. */
  text: string;
  unitId?: string;
  uri?: string;
  /** Offset in the document `uri` where `text` starts, so the explorer can reveal a token there. */
  textOffset?: number;
  verdict: {
    /** Calibrated probability that the text is a harmful request, 0..1 (the diagnostic's figure). */
    probability: number;
    logit: number;
    /** The threshold in force for this text (the editor setting, else the file's config, else the guard's). */
    threshold: number;
    /** The same threshold on the detector's logit: (ln(t / (1 − t)) − b) / a. */
    thresholdLogit: number;
    flagged: boolean;
    /** Refusal-suppressed (jailbreak-like) signal. */
    refusalSuppressed: boolean;
    /** The closest category, only when it separates from the runner-up (else undefined: "no clear category"). */
    category?: string;
    categoryScores?: { category: string; score: number }[];
    /** Top-1 minus top-2 category score, and the margin it must clear to be named. */
    categoryMargin?: number;
    categoryBound: number;
    /** Policy rules that fired on the same text. */
    rules: { ruleId: string; message: string; severity: string }[];
    /** The latent findings the editor shows on this text (when the text is a unit of an open document). */
    diagnostics?: { ruleIds: string[]; note?: string };
    /** Two sentences in plain words. */
    summary: string;
  };
  /** The harm detector first, then the guard file's concepts. */
  readouts: ExplainReadout[];
  /** One row per layer the graph computed (1..model.layers). */
  layers: ExplainLayer[];
  /** The embedding's direct-path share (see ExplainLayer.attention). */
  embedding: number;
  neurons: ExplainNeuron[];
  tokens: ExplainToken[];
  /**
   * The tokens [first, last] that carried a flagged verdict: the stretch of up to SPAN_TOKENS tokens
   * whose own t_inst readings (positive part) sum highest. Absent when the verdict is not flagged.
   */
  span?: { first: number; last: number; start: number; end: number; text: string };
  mediation?: ExplainMediation;
  /** A unit read in windows: the window explained (the one that carried the score) and where it lies. */
  /** The window or sentence that carried the score; `count` whole-text windows; `sentence` when a sentence read alone did. */
  window?: { index: number; count: number; start: number; end: number; sentence?: boolean };
  model: { name: string; graph: string; layers: number; modelLayers: number; why: string };
  ms: number;
}
