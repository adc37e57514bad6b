// Batching: sort prompts by length so rows in a batch pad little, pad on the right (the graph's
// convention: position ids are 0..T-1 in every row), and read the same number of positions per row.
import type { ModelInputs, PastKV } from './model';

export const DEFAULT_BATCH_SIZE = 16;
/**
 * Padded tokens per batch. Activation memory grows with batch × length (about 0.45 MB per token on
 * SmolLM2 with onnxruntime 1.30: 16 × 220 tokens took 1.6 GB over the weights), while throughput on
 * a CPU hardly grows past a few hundred rows (the matmuls are compute-bound), so batches stay small in
 * tokens: 48 long units through the 14-layer guard graph peaked at 909 MB RSS with 768, 629 MB with 384,
 * and npm run bench:scan's cold check at 984 MB with 768, 847 MB with 512 (the bound is 800).
 */
export const DEFAULT_BATCH_TOKENS = 384;

/**
 * Groups item indices into batches of similar length, longest first. A batch also stops growing when
 * its padded size would exceed `maxTokens`, so one long unit does not pad fifteen short ones.
 */
export function planBatches(lengths: readonly number[], batchSize = DEFAULT_BATCH_SIZE, maxTokens = DEFAULT_BATCH_TOKENS): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const batches: number[][] = [];
  let current: number[] = [];
  for (const index of order) {
    const width = current.length ? lengths[current[0]] : lengths[index];
    if (current.length >= batchSize || (current.length > 0 && (current.length + 1) * width > maxTokens)) {
      batches.push(current);
      current = [];
    }
    current.push(index);
  }
  if (current.length) batches.push(current);
  return batches;
}

/** Packs rows into right-padded int64 tensors; every row reads `positions[row]` (same count each). */
export function packBatch(rows: readonly (readonly number[])[], positions: readonly (readonly number[])[], padId: number): ModelInputs {
  const batch = rows.length;
  const seq = Math.max(1, ...rows.map((row) => row.length));
  const count = positions[0]?.length ?? 0;
  const inputIds = new BigInt64Array(batch * seq).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(batch * seq);
  const readPositions = new BigInt64Array(batch * count);
  rows.forEach((row, b) => {
    for (let t = 0; t < row.length; t++) {
      inputIds[b * seq + t] = BigInt(row[t]);
      attentionMask[b * seq + t] = 1n;
    }
    if (positions[b].length !== count) throw new Error('every row must read the same number of positions');
    positions[b].forEach((position, p) => {
      if (position < 0 || position >= row.length) throw new Error(`read position ${position} is outside the row (length ${row.length})`);
      readPositions[b * count + p] = BigInt(position);
    });
  });
  return { batch, seq, inputIds, attentionMask, positions: count, readPositions };
}

/** The batch-1 prefix keys/values repeated over `batch` rows: [layers, batch, kv, length, head dim]. */
export function tilePast(past: PastKV, batch: number): PastKV {
  const [layers, one, kv, length, hd] = past.dims;
  if (one !== 1) throw new Error('the cached prefix must have batch 1');
  if (batch === 1) return past;
  const block = kv * length * hd;
  const key = new Float32Array(layers * batch * block);
  const value = new Float32Array(layers * batch * block);
  for (let l = 0; l < layers; l++) {
    const src = l * block;
    for (let b = 0; b < batch; b++) {
      const dst = (l * batch + b) * block;
      key.set(past.key.subarray(src, src + block), dst);
      value.set(past.value.subarray(src, src + block), dst);
    }
  }
  return { dims: [layers, batch, kv, length, hd], key, value };
}
