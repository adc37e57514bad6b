// What the latent guard's explain API returns and the Latent Explorer renders. Types only: every
// number is computed by the guard (server/src/latent); the webview computes nothing of its own.
// Here in core so that latent/ builds it and the protocol passes it on without either importing the other.

export interface ExplainLayer {
  /** 1..L: the residual stream after transformer block layer-1 (the embedding is not a layer). */
  layer: number;
  /** Harmfulness signal at t_inst: cosine to the harmful centre minus cosine to the harmless centre. */
  harm: number;
  /** Refusal signal at t_post-inst: projection on the refusal direction (z-scored on harmless data). */
  refusal: number;
  /** How much this layer's attention block moved the harmfulness signal (projection of its output). */
  attentionContribution: number;
  /** How much this layer's MLP block moved the harmfulness signal. */
  mlpContribution: number;
  /** The detector's weight for this layer (0 when unused). */
  weight: number;
}

export interface ExplainNeuron {
  /** Same numbering as ExplainLayer: the neuron sits in the MLP of block layer-1. */
  layer: number;
  index: number;
  activation: number;
  /** activation × (down-projection column · harmfulness direction at the next readout). */
  contribution: number;
  /** True for last-layer neurons that act as gates (mediation study, DESIGN §1). */
  gate: boolean;
}

export interface ExplainToken {
  text: string;
  /** Source offsets of the token in the unit's text. */
  start: number;
  end: number;
  /** Per-token harmfulness at the readout layer (same scale as ExplainLayer.harm). */
  harm: number;
}

export interface ExplainResult {
  /** The unit's text that was explained. */
  text: string;
  unitId?: string;
  uri?: string;
  /** Offset in the document `uri` where `text` starts, so the explorer can reveal a token there. */
  textOffset?: number;
  verdict: {
    /** Calibrated probability that the text is a harmful request, 0..1. */
    probability: number;
    threshold: number;
    flagged: boolean;
    /** Refusal-suppressed (jailbreak-like) signal. */
    refusalSuppressed: boolean;
    category?: string;
    categoryScores?: { category: string; score: number }[];
    /** Policy rules that fired on the same text. */
    rules: { ruleId: string; message: string; severity: string }[];
    /** A sentence in plain words. */
    summary: string;
  };
  layers: ExplainLayer[];
  /** Layer used for the token heat map. */
  readoutLayer: number;
  /** Harm threshold on the per-layer signal (for the chart's line). */
  layerThreshold: number;
  neurons: ExplainNeuron[];
  tokens: ExplainToken[];
  model: { name: string; graph: string; layers: number };
  ms: number;
}
