// The adversarial-suffix signal's forward pass (moved out of runtime.ts as it was): the full model's
// next-token logits over each prompt's user tokens, reduced batch by batch to its most surprising
// window (the arithmetic is surprisal.ts's).
import { packBatch, planBatches } from './batcher';
import type { GuardSurprisal } from './guard-file';
import type { LatentModel } from './model';
import type { ModelConfig } from './model-files';
import { maskedTokens, maskPattern, mostSurprisingWindow, tokenSurprisal, type SurprisalScore } from './surprisal';
import type { Prompt, PromptTokenizer } from './tokenizer';

/** Padded tokens per batch of the surprisal pass (see surprisalOf). */
export const SURPRISAL_BATCH_TOKENS = 128;

/** What the pass runs on: a full-depth graph with logits, the runtime's tokenizer and batch limits. */
export interface SurprisalPass {
  model: LatentModel;
  tokenizer: PromptTokenizer;
  settings: GuardSurprisal;
  config: ModelConfig;
  batchSize: number;
  batchTokens: number;
}

/**
 * Each prompt's most surprising window of user tokens (guard file `surprisal`), from the full model's
 * next-token distribution. Batches are reduced as they come, so the logits ([tokens, vocab]) never pile up.
 * `checkStop` throws to stop between batches.
 */
export async function surprisalOf(pass: SurprisalPass, prompts: readonly Prompt[], texts: readonly string[], checkStop: () => void): Promise<SurprisalScore[]> {
  const { model, settings } = pass;
  const pattern = maskPattern(settings);
  const vocab = pass.config.vocab_size;
  const results = prompts.map((): SurprisalScore => ({ score: 0, threshold: settings.threshold, start: 0, end: 0 }));
  // Position t's logits predict token t + 1: read from the token before the first user token to the one before the last.
  const reads = (p: Prompt): number[] => Array.from({ length: p.userEnd - p.userStart }, (_, k) => p.userStart - 1 + k);
  // A prompt with fewer user tokens than one window after the skipped ones has no window: no forward pass.
  const scored = prompts.map((_, i) => i).filter((i) => prompts[i].userEnd - prompts[i].userStart >= settings.skipFirst + settings.window);
  // Smaller batches than the guard's: the full graph's logits and buffers grow with the batch (measured on
  // the q4 graph, two threads: 128 tokens 300 tokens/s at 760 MB, 384 tokens 440 tokens/s at 1,240 MB).
  const batchTokens = Math.min(pass.batchTokens, SURPRISAL_BATCH_TOKENS);
  for (const batch of planBatches(scored.map((i) => prompts[i].ids.length), pass.batchSize, batchTokens).map((rows) => rows.map((k) => scored[k]))) {
    checkStop();
    const count = Math.max(...batch.map((i) => prompts[i].userEnd - prompts[i].userStart));
    // Every row reads `count` positions; a shorter row repeats its last one (those logits are ignored).
    const positions = batch.map((i) => {
      const own = reads(prompts[i]);
      return [...own, ...new Array<number>(count - own.length).fill(own[own.length - 1])];
    });
    const out = await model.run(packBatch(batch.map((i) => prompts[i].ids), positions, pass.config.pad_token_id), ['logits']);
    batch.forEach((index, row) => {
      const prompt = prompts[index];
      const n = prompt.userEnd - prompt.userStart;
      const logits = out.logits.data.subarray(row * count * vocab, (row * count + n) * vocab);
      const values = tokenSurprisal(logits, vocab, prompt.ids.slice(prompt.userStart, prompt.userEnd));
      const spans = pass.tokenizer.userTokenSpans(prompt, texts[index]);
      const best = mostSurprisingWindow(values, maskedTokens(texts[index], spans, pattern), settings);
      if (best.to > best.from) results[index] = { score: best.score, threshold: settings.threshold, start: spans[best.from].start, end: spans[best.to - 1].end };
    });
  }
  return results;
}
