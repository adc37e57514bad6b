// Shared helpers for the latent tests: the tiny random model (built by `npm run build:model`) and a
// guard file with seeded random directions for it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ParsedDocument } from '../../server/src/core/types';
import type { GuardConceptJson, GuardFileJson } from '../../server/src/latent/guard-file';
import { sha256File } from '../../server/src/latent/file-hashes';
import type { ModelConfig } from '../../server/src/latent/model-files';
import { defaultSystemPrompt } from '../../server/src/latent/tokenizer';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TINY_DIR = path.join(ROOT, 'models', 'build', 'tiny');
export const REAL_DIR = path.join(ROOT, 'models', 'build', 'smollm2-135m-instruct');

/** Fails (never skips) with the command to run when the tiny model has not been built. */
export function requireTinyModel(): ModelConfig {
  const configPath = path.join(TINY_DIR, 'model_config.json');
  if (!fs.existsSync(configPath)) {
    throw new Error(`The tiny test model is missing (${configPath}). Run \`npm run build:model\` (or \`node scripts/build-model.mjs --tiny-only\`).`);
  }
  return JSON.parse(fs.readFileSync(configPath, 'utf8')) as ModelConfig;
}

/** A small deterministic generator (mulberry32), so guard files are the same on every run. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function vector(next: () => number, length: number, scale = 1): number[] {
  return Array.from({ length }, () => (next() * 2 - 1) * scale);
}

function unit(values: number[]): number[] {
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  return values.map((v) => v / norm);
}

/** A valid guard file for the tiny model, with random centroids and directions. */
export function tinyGuardJson(seed = 7, overrides: Partial<GuardFileJson> = {}): GuardFileJson {
  const config = requireTinyModel();
  const next = random(seed);
  const L = config.n_layers;
  const H = config.hidden_size;
  const layers = Array.from({ length: L + 1 }, (_, layer) => ({
    layer,
    harmfulCentroid: vector(next, H),
    harmlessCentroid: vector(next, H),
    refusalDirection: unit(vector(next, H)),
    refusalMean: 0.1,
    refusalStd: 0.5,
  }));
  // One vector as base64 float32, to exercise both encodings.
  layers[0].harmfulCentroid = Buffer.from(new Float32Array(layers[0].harmfulCentroid as number[]).buffer).toString('base64') as unknown as number[];
  return {
    version: 1,
    model: {
      name: 'tiny',
      graph: config.default_graph,
      graphSha256: config.graphs[config.default_graph].sha256,
      tokenizerSha256: sha256File(path.join(TINY_DIR, 'tokenizer.json')),
      nLayers: L,
      hiddenSize: H,
      intermediateSize: config.intermediate_size,
    },
    prompt: { template: 'chatml-user-turn', systemPrompt: defaultSystemPrompt(config.chat_template), maxUserTokens: 48 },
    layers,
    detector: { layers: [1, 2], harmWeights: [3, 4], refusalWeights: [0.1, 0.2], bias: -0.2 },
    calibration: { a: 1, b: 0 },
    threshold: 0.5,
    baseline: { layers: [1, 2], threshold: 0 },
    refusalSuppressed: { layers: [2], minProbability: 0.5, maxRefusalZ: 0 },
    categories: { layer: 2, minScore: -1, entries: [{ name: 'Malware', direction: unit(vector(next, H)) }, { name: 'Weapons', direction: unit(vector(next, H)) }] },
    readoutLayer: 2,
    layerThreshold: 0,
    neurons: { gateBlocks: [L - 1], blocks: Array.from({ length: L }, (_, block) => ({ block, targetLayer: block + 1, weights: vector(next, config.intermediate_size) })) },
    metrics: { note: 'random directions for tests' },
    ...overrides,
  };
}

/**
 * The `concepts` of a tiny guard: injection and jailbreak, each with seeded random probes on both
 * positions (one vector as base64, to exercise both encodings). `thresholds` sets each concept's cut.
 */
export function tinyConcepts(seed = 11, thresholds: { injection?: number; jailbreak?: number } = {}): GuardConceptJson[] {
  const config = requireTinyModel();
  const next = random(seed);
  const H = config.hidden_size;
  const concept = (name: GuardConceptJson['name'], bias: number): GuardConceptJson => ({
    name,
    probes: [
      { layer: 1, position: 'inst', vector: vector(next, H), offset: 0.1 },
      { layer: 2, position: 'inst', vector: Buffer.from(new Float32Array(vector(next, H)).buffer).toString('base64'), offset: -0.2 },
      { layer: 2, position: 'postInst', vector: vector(next, H), offset: 0.05 },
    ],
    bias,
    calibration: { a: 1.5, b: -0.1 },
    threshold: thresholds[name] ?? 0.5,
    description: `random ${name} probes for tests`,
  });
  return [concept('injection', 0.3), concept('jailbreak', -0.4)];
}

/** Writes a guard file to a fresh temp folder; returns its path. */
export function writeTinyGuard(seed = 7, overrides: Partial<GuardFileJson> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-guard-'));
  const file = path.join(dir, 'latent-guard.json');
  fs.writeFileSync(file, JSON.stringify(tinyGuardJson(seed, overrides)));
  return file;
}

export function tempDir(prefix = 'latent-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** max |a − b| / max |b|: how far a graph's output is from a reference, relative to its scale. */
export function relDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let worst = 0;
  let scale = 0;
  for (let k = 0; k < a.length; k++) {
    worst = Math.max(worst, Math.abs(a[k] - b[k]));
    scale = Math.max(scale, Math.abs(b[k]));
  }
  return worst / scale;
}

/** A markdown prompt document with one instruction paragraph per text (what the engine hands the scorer). */
export function documentOf(texts: string[]): ParsedDocument {
  let offset = 0;
  const text = texts.join('\n\n');
  return {
    uri: 'file:///x.prompt.md',
    format: 'markdown-prompt',
    text,
    units: texts.map((unitText, i) => {
      const span = { start: offset, end: offset + unitText.length };
      offset += unitText.length + 2;
      return { id: `p${i}`, kind: 'prose' as const, text: unitText, span, instruction: true };
    }),
    tools: [],
    agents: [],
    comments: { blockStart: '<!--', blockEnd: '-->' },
    isSystemPrompt: true,
    problems: [],
  };
}

/** Runs a command with these environment variables set, its stdout and stderr captured, then restores both. */
export async function capture(env: Record<string, string | undefined>, fn: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    saved[key] = process.env[key];
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  try {
    return { code: await fn(), stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
