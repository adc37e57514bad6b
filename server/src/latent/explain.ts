// The explain API's arithmetic: which layers, which blocks (attention or MLP) and which neurons moved
// the harmfulness signal, and how harmful each token looks at the readout layer.
// Layer ℓ is a resid index (0 = embeddings); block b moves the residual from layer b to b + 1, so the
// contributions reported on layer ℓ ≥ 1 are block ℓ − 1's attention and MLP outputs projected on
// layer ℓ's harm direction.
import type { ExplainLayer, ExplainNeuron, ExplainResult, ExplainToken } from '../core/explain';
import type { GuardFile } from './guard-file';
import type { ModelConfig } from './model-files';
import type { LatentExplanation, RuntimeIdentity } from './types';
import { describeLayers, dot, harmAt, refusalAt, scoreResiduals } from './signals';
import type { Prompt, TokenSpan } from './tokenizer';

export const TOP_NEURONS = 24;

export interface ExplanationInputs {
  guard: GuardFile;
  config: ModelConfig;
  identity: RuntimeIdentity;
  prompt: Prompt;
  spans: TokenSpan[];
  originalText: string;
  /** Outputs read at every position 0..T-1: resid [T, L+1, H], attn_out/mlp_out [T, L, H], mlp_act [T, L, I]. */
  outputs: { resid: Float32Array; attn_out: Float32Array; mlp_out: Float32Array; mlp_act: Float32Array };
  ms: number;
}

export function buildExplanation(inputs: ExplanationInputs): LatentExplanation {
  const { guard, config, prompt, outputs } = inputs;
  const L = config.n_layers;
  const H = config.hidden_size;
  const I = config.intermediate_size;
  const residAt = (t: number, layer: number): number => (t * (L + 1) + layer) * H;
  const blockAt = (t: number, block: number): number => (t * L + block) * H;
  const tInst = prompt.tInst;
  const tPost = prompt.tPostInst;

  const score = scoreResiduals(guard, outputs.resid, residAt(tInst, 0), outputs.resid, residAt(tPost, 0), {
    tokens: prompt.userTokens,
    truncated: prompt.truncated,
  });
  const weightOf = new Map(guard.detector.layers.map((layer, i) => [layer, guard.detector.harmWeights[i]]));
  // One row per transformer block: row n is the residual stream after block n-1 (resid index n), so
  // the explorer shows layers 1..L and each row's attention/MLP bars are what that block added.
  // The embedding (resid index 0) has no block and is not a layer.
  const layers: ExplainLayer[] = guard.layers.filter((entry) => entry.layer >= 1 && entry.layer <= L).map((entry) => {
    const block = entry.layer - 1;
    return {
      layer: entry.layer,
      harm: harmAt(entry, outputs.resid, residAt(tInst, entry.layer)),
      refusal: refusalAt(entry, outputs.resid, residAt(tPost, entry.layer)),
      attentionContribution: block >= 0 ? dot(outputs.attn_out, blockAt(tInst, block), entry.harmDirection, H) : 0,
      mlpContribution: block >= 0 ? dot(outputs.mlp_out, blockAt(tInst, block), entry.harmDirection, H) : 0,
      weight: weightOf.get(entry.layer) ?? 0,
    };
  });

  const neurons: ExplainNeuron[] = [];
  for (const entry of guard.neurons?.blocks ?? []) {
    const offset = (tInst * L + entry.block) * I;
    for (let j = 0; j < I; j++) {
      const activation = outputs.mlp_act[offset + j];
      neurons.push({ layer: entry.block + 1, index: j, activation, contribution: activation * entry.weights[j], gate: guard.neurons?.gateBlocks.includes(entry.block) ?? false });
    }
  }
  neurons.sort((a, b) => Math.abs(b.contribution) - Math.abs(a.contribution));
  neurons.length = Math.min(neurons.length, TOP_NEURONS);

  const readout = guard.byLayer.get(guard.readoutLayer);
  const tokens: ExplainToken[] = inputs.spans.map((span, i) => ({
    text: span.text,
    start: span.start,
    end: span.end,
    harm: readout ? harmAt(readout, outputs.resid, residAt(prompt.userStart + i, guard.readoutLayer)) : 0,
  }));

  const share = mlpShare(layers);
  const summary = [
    `${Math.round(score.probability * 100)}% probability of a harmful request` + (score.category && score.category !== 'Other' ? ` (closest category: ${score.category})` : '') + '.',
    // Worded so it holds below the threshold too: these layers lean toward harmful, they need not flag.
    score.topLayers.length ? `The layers leaning most toward harmful are ${describeLayers(score.topLayers)}.` : 'No layer pushes toward harmful.',
    share === undefined ? '' : `MLP blocks carry ${Math.round(share * 100)}% of the movement toward harmful, attention ${Math.round((1 - share) * 100)}%.`,
    score.refusalSuppressed ? 'Refusal is pushed down while harmfulness stays high: a jailbreak-like pattern.' : '',
    prompt.truncated ? `Only the first ${prompt.userEnd - prompt.userStart} of ${prompt.userTokens} tokens were read.` : '',
  ]
    .filter(Boolean)
    .join(' ');

  return {
    text: inputs.originalText,
    verdict: {
      probability: score.probability,
      refusalSuppressed: score.refusalSuppressed,
      category: score.category,
      categoryScores: score.categoryScores,
      summary,
      score,
    },
    layers,
    readoutLayer: guard.readoutLayer,
    layerThreshold: guard.layerThreshold,
    neurons,
    tokens,
    model: { name: inputs.identity.modelName, graph: inputs.identity.graph, layers: L },
    ms: inputs.ms,
  };
}

/** Share of the positive (toward-harmful) block movement that came from MLPs; undefined if none. */
function mlpShare(layers: ExplainLayer[]): number | undefined {
  let mlp = 0;
  let attention = 0;
  for (const layer of layers) {
    mlp += Math.max(0, layer.mlpContribution);
    attention += Math.max(0, layer.attentionContribution);
  }
  return mlp + attention > 0 ? mlp / (mlp + attention) : undefined;
}

/** The ExplainResult the explorer renders: the latent explanation plus the threshold in force and the policy rules that fired. */
export function toExplainResult(
  explanation: LatentExplanation,
  context: { threshold: number; rules?: ExplainResult['verdict']['rules']; uri?: string; unitId?: string; textOffset?: number },
): ExplainResult {
  const { score, ...verdict } = explanation.verdict;
  const flagged = score.probability >= context.threshold;
  const rules = context.rules ?? [];
  const ruleNote = rules.length ? ` Policy rules also fired: ${[...new Set(rules.map((rule) => rule.ruleId))].join(', ')}.` : '';
  return {
    ...explanation,
    uri: context.uri,
    unitId: context.unitId,
    textOffset: context.textOffset,
    verdict: {
      ...verdict,
      threshold: context.threshold,
      flagged,
      rules,
      summary: `${flagged ? 'Flagged' : 'Not flagged'} (threshold ${context.threshold.toFixed(2)}): ${verdict.summary}${ruleNote}`,
    },
  };
}
