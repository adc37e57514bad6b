// The guard file's linear probes (detector.probes): parsing, the arithmetic the runtime applies, and
// the depth they make the scoring graph need.
import assert from 'node:assert/strict';
import { GuardFileError, type GuardProbeJson } from '../../server/src/latent/guard-file';
import { parseGuardFile } from '../../server/src/latent/parse-guard-file';
import { layersRead } from '../../server/src/latent/open-guard';
import { scoreResiduals } from '../../server/src/latent/signals';
import { random, tinyGuardJson } from './tiny';

const H = 64;

function probe(layer: number, position: GuardProbeJson['position'], seed: number, offset: number): GuardProbeJson {
  const next = random(seed);
  return { layer, position, vector: Array.from({ length: H }, () => next() - 0.5), offset };
}

/** Residuals [L+1, H] for one position, filled from a seed. */
function residuals(layers: number, seed: number): Float32Array {
  const next = random(seed);
  return Float32Array.from({ length: (layers + 1) * H }, () => 4 * (next() - 0.5));
}

/** vector · h / ‖h‖ + offset, written out independently of signals.ts. */
function expected(p: GuardProbeJson, data: Float32Array): number {
  const h = Array.from(data.subarray(p.layer * H, (p.layer + 1) * H));
  const norm = Math.sqrt(h.reduce((s, v) => s + v * v, 0));
  return h.reduce((s, v, k) => s + v * (p.vector as number[])[k], 0) / norm + p.offset;
}

describe('latent guard probes', () => {
  it('parses probes and names the field when one is wrong', () => {
    const good = tinyGuardJson(7, { detector: { layers: [], harmWeights: [], bias: 0.5, probes: [probe(1, 'inst', 1, 0.25), probe(2, 'postInst', 2, -0.5)] } });
    const parsed = parseGuardFile(JSON.stringify(good));
    assert.equal(parsed.detector.probes?.length, 2);
    assert.equal(parsed.detector.probes?.[1].position, 'postInst');
    assert.ok(parsed.detector.probes?.[0].vector instanceof Float32Array);
    const bad = (mutate: (probes: Record<string, unknown>[]) => void, pattern: RegExp): void => {
      const json = structuredClone(good) as unknown as { detector: { probes: Record<string, unknown>[] } };
      mutate(json.detector.probes);
      assert.throws(() => parseGuardFile(json, 'g.json'), (error: GuardFileError) => error instanceof GuardFileError && pattern.test(error.message));
    };
    bad((p) => (p[0].position = 'middle'), /detector\.probes\[0\]\.position: expected "inst" or "postInst"/);
    bad((p) => (p[1].vector = [1, 2, 3]), /detector\.probes\[1\]\.vector: expected 64 values, got 3/);
    bad((p) => (p[1].layer = 7), /detector\.probes\[1\]\.layer: expected a whole number in 0\.\.2/);
    bad((p) => (p[0].offset = null), /detector\.probes\[0\]\.offset: expected a finite number/);
  });

  it('adds each probe to the logit and to its layer\'s push, at its own position', () => {
    const probes = [probe(1, 'inst', 3, 0.3), probe(2, 'inst', 4, -0.2), probe(2, 'postInst', 5, 0.1)];
    const json = tinyGuardJson(7, { detector: { layers: [], harmWeights: [], bias: -0.4, probes } });
    const guard = parseGuardFile(json);
    const inst = residuals(2, 11);
    const post = residuals(2, 12);
    const score = scoreResiduals(guard, inst, 0, post, 0, { tokens: 5, truncated: false });
    const push1 = expected(probes[0], inst);
    const push2 = expected(probes[1], inst) + expected(probes[2], post);
    assert.ok(Math.abs(score.logit - (-0.4 + push1 + push2)) < 1e-5, `logit ${score.logit}`);
    assert.ok(Math.abs(score.probability - 1 / (1 + Math.exp(-score.logit))) < 1e-9);
    // topLayers lists the layers that pushed toward harmful, strongest first.
    const pushes = [
      { layer: 1, value: push1 },
      { layer: 2, value: push2 },
    ].filter((p) => p.value > 0);
    assert.deepEqual(score.topLayers, pushes.sort((a, b) => b.value - a.value).map((p) => p.layer));
    // Swapping the positions changes the postInst probe's value: it really reads t_post_inst.
    const swapped = scoreResiduals(guard, inst, 0, inst, 0, { tokens: 5, truncated: false });
    assert.ok(Math.abs(swapped.logit - score.logit) > 1e-4);
  });

  it('counts probe layers in the depth the scoring graph must cover', () => {
    const shallow = parseGuardFile(tinyGuardJson(7, { detector: { layers: [1], harmWeights: [1], bias: 0, probes: [] }, baseline: { layers: [1], threshold: 0 }, refusalSuppressed: { layers: [1], minProbability: 0.5, maxRefusalZ: 0 }, categories: undefined }));
    assert.equal(layersRead(shallow), 1);
    const deep = parseGuardFile(tinyGuardJson(7, { detector: { layers: [1], harmWeights: [1], bias: 0, probes: [probe(2, 'postInst', 6, 0)] }, baseline: { layers: [1], threshold: 0 }, refusalSuppressed: { layers: [1], minProbability: 0.5, maxRefusalZ: 0 }, categories: undefined }));
    assert.equal(layersRead(deep), 2);
  });
});
