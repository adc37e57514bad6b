// The int8 screen's decisions that need no model: which CPUs get it, the precision setting, and which
// screened scores go back to the fp32 graph.
import * as assert from 'node:assert/strict';
import { int8FeaturesIn, parsePrecision, useInt8Screen } from '../../server/src/latent/cpu-features';
import type { GuardFile } from '../../server/src/latent/guard-file';
import { needsExactScore, SCREEN_EXACT_FROM } from '../../server/src/latent/screen';
import type { UnitScore } from '../../server/src/latent/signals';

const EPYC_VNNI = 'processor\t: 0\nflags\t\t: fpu vme sse2 avx avx2 fma avx512f avx512bw avx512_vnni avx512_bf16\nbugs\t\t: sysret_ss_attrs\n';
const ZEN3_AVX2 = 'processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma bmi2\n';
const SAPPHIRE_RAPIDS = 'flags\t\t: avx2 avx512f avx512_vnni avx_vnni amx_bf16 amx_tile amx_int8\n';

const guard = { threshold: 0.92, refusalSuppressed: { minProbability: 0.92 } } as unknown as GuardFile;
const score = (probability: number, concepts: UnitScore['concepts'] = []): UnitScore => ({ probability, concepts }) as unknown as UnitScore;
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const logit = (p: number): number => Math.log(p / (1 - p));

describe('int8 screen', () => {
  it('reads the int8 dot-product features from /proc/cpuinfo flags, and nothing from an AVX2-only CPU', () => {
    assert.deepEqual(int8FeaturesIn(EPYC_VNNI), ['avx512_vnni']);
    assert.deepEqual(int8FeaturesIn(SAPPHIRE_RAPIDS), ['amx_int8', 'avx512_vnni', 'avx_vnni']);
    assert.deepEqual(int8FeaturesIn(ZEN3_AVX2), []);
    assert.deepEqual(int8FeaturesIn('model name : avx512_vnni mentioned outside the flags line\n'), []);
  });

  it('screens where the CPU has int8 dot products (auto), always when forced, never with fp32', () => {
    const vnni = { features: ['avx512_vnni'] };
    const none = { features: [] };
    assert.equal(useInt8Screen('auto', vnni), true);
    assert.equal(useInt8Screen('auto', none), false);
    assert.equal(useInt8Screen('int8', none), true);
    assert.equal(useInt8Screen('fp32', vnni), false);
  });

  it('takes the precision from the option, else $LATENT_LINT_PRECISION, and refuses anything else', () => {
    const before = process.env.LATENT_LINT_PRECISION;
    try {
      delete process.env.LATENT_LINT_PRECISION;
      assert.equal(parsePrecision(undefined), 'auto');
      process.env.LATENT_LINT_PRECISION = 'FP32';
      assert.equal(parsePrecision(undefined), 'fp32');
      assert.equal(parsePrecision('int8'), 'int8');
      assert.throws(() => parsePrecision('bf16'), /auto, fp32 or int8/);
    } finally {
      if (before === undefined) delete process.env.LATENT_LINT_PRECISION;
      else process.env.LATENT_LINT_PRECISION = before;
    }
  });

  it('sends back to fp32 every score within the margin of the lowest decision point, and no other', () => {
    const margin = 3;
    // The lowest decision point is SCREEN_EXACT_FROM (0.5) here: the guard's threshold is higher.
    const edge = logit(SCREEN_EXACT_FROM) - margin;
    assert.equal(needsExactScore(score(sigmoid(edge + 0.01)), guard, margin), true);
    assert.equal(needsExactScore(score(sigmoid(edge - 0.01)), guard, margin), false);
    assert.equal(needsExactScore(score(0.999), guard, margin), true, 'a flag always comes from fp32');
    assert.equal(needsExactScore(score(1e-6), guard, margin), false);
    // A guard whose threshold is under 0.5 moves the point down with it.
    const low = { threshold: 0.2, refusalSuppressed: { minProbability: 0.2 } } as unknown as GuardFile;
    assert.equal(needsExactScore(score(sigmoid(logit(0.2) - margin + 0.01)), low, margin), true);
    // A concept near its own threshold sends the unit back even when the harm score is far below.
    const concept = { name: 'injection', probability: sigmoid(logit(0.9) - margin + 0.5), threshold: 0.9 } as UnitScore['concepts'][number];
    assert.equal(needsExactScore(score(1e-6, [concept]), guard, margin), true);
    assert.equal(needsExactScore(score(1e-6, [{ ...concept, probability: 1e-6 }]), guard, margin), false);
  });
});
