// Issue #11 (TS side): the guard file's concepts (injection, jailbreak) — parsing, validation, the
// arithmetic, their findings — and windowed reading of long units (every token read).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { unitSpan } from '../../server/src/core/spans';
import { GuardFileError, type GuardProbeJson, type GuardFileJson } from '../../server/src/latent/guard-file';
import { parseGuardFile } from '../../server/src/latent/parse-guard-file';
import type { OutputName } from '../../server/src/latent/model';
import { layersRead } from '../../server/src/latent/open-guard';
import { LatentRuntime } from '../../server/src/latent/runtime';
import { BUDGET_EXCEEDED, HARMFUL_REQUEST, INJECTION, JAILBREAK, REFUSAL_SUPPRESSED } from '../../server/src/latent/scorer';
import { createLatentGuard } from '../../server/src/latent/latent-guard';
import { runScoreCommand } from '../../server/src/cli/score';
import { combineWindows, scoreResiduals, type UnitScore } from '../../server/src/latent/signals';
import { MAX_WINDOWS, windowStarts } from '../../server/src/latent/tokenizer';
import { ACTION, lastSentence } from '../unit/actions';
import { documentOf, random, requireTinyModel, tempDir, TINY_DIR, tinyConcepts, tinyGuardJson, writeTinyGuard } from './tiny';

/** A long, plain ASCII text (the tiny tokenizer has few merges: about one token per character). */
const LONG = Array.from({ length: 40 }, (_, i) => `Step ${i}: read the file and write a short note about it.`).join(' ');

/** A probe's vector as numbers, whichever encoding the JSON used. */
function numbers(vector: GuardProbeJson['vector']): number[] {
  if (Array.isArray(vector)) return vector;
  const bytes = Buffer.from(vector, 'base64');
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
}

/** vector · h / ‖h‖ + offset on layer `p.layer` of `data` ([L+1, H]), written out independently of signals.ts. */
function probeValue(p: GuardProbeJson, data: Float32Array, H: number): number {
  const h = Array.from(data.subarray(p.layer * H, (p.layer + 1) * H));
  const v = numbers(p.vector);
  const norm = Math.sqrt(h.reduce((s, x) => s + x * x, 0));
  return h.reduce((s, x, k) => s + x * v[k], 0) / norm + p.offset;
}

describe('guard file concepts (#11)', () => {
  let H: number;
  before(() => {
    H = requireTinyModel().hidden_size;
  });

  it('parses injection and jailbreak concepts, both vector encodings, and works without them', () => {
    const guard = parseGuardFile(JSON.stringify(tinyGuardJson(7, { concepts: tinyConcepts(11, { injection: 0.8, jailbreak: 1 }) })));
    assert.deepEqual(
      guard.concepts?.map((c) => [c.name, c.threshold, c.probes.length]),
      [
        ['injection', 0.8, 3],
        ['jailbreak', 1, 3],
      ],
    );
    assert.ok(guard.concepts?.every((c) => c.probes.every((p) => p.vector instanceof Float32Array && p.vector.length === H)));
    assert.equal(guard.concepts?.[0].description, 'random injection probes for tests');
    assert.deepEqual(guard.concepts?.[1].calibration, { a: 1.5, b: -0.1 });
    const plain = parseGuardFile(tinyGuardJson(7));
    assert.equal(plain.concepts, undefined);
  });

  it('names the field when a concept is wrong', () => {
    const good = tinyGuardJson(7, { concepts: tinyConcepts() });
    const bad = (mutate: (concepts: Record<string, unknown>[], root: Record<string, unknown>) => void, pattern: RegExp): void => {
      const json = structuredClone(good) as unknown as Record<string, unknown> & { concepts: Record<string, unknown>[] };
      mutate(json.concepts, json);
      assert.throws(
        () => parseGuardFile(json, 'g.json'),
        (error: GuardFileError) => error instanceof GuardFileError && pattern.test(error.message),
        pattern.source,
      );
    };
    bad((c) => (c[0].name = 'toxicity'), /^g\.json: concepts\[0\]\.name: unknown concept "toxicity"; expected one of "injection", "jailbreak"$/);
    bad((c) => (c[1].name = 'injection'), /concepts\[1\]\.name: concept "injection" appears twice/);
    bad((c) => ((c[1].probes as Record<string, unknown>[])[0].layer = 3), /concepts\[1\]\.probes\[0\]\.layer: expected a whole number in 0\.\.2/);
    bad((c) => ((c[0].probes as Record<string, unknown>[])[2].vector = [1, 2, 3]), /concepts\[0\]\.probes\[2\]\.vector: expected 64 values, got 3/);
    bad((c) => ((c[0].probes as Record<string, unknown>[])[1].position = 'middle'), /concepts\[0\]\.probes\[1\]\.position: expected "inst" or "postInst"/);
    bad((c) => (c[0].threshold = 0), /concepts\[0\]\.threshold: expected a probability in \(0, 1\]/);
    bad((c) => (c[1].threshold = 1.2), /concepts\[1\]\.threshold: expected a probability in \(0, 1\]/);
    bad((c) => delete c[0].calibration, /concepts\[0\]\.calibration: expected an object/);
    bad((c) => (c[0].bias = 'high'), /concepts\[0\]\.bias: expected a finite number/);
    bad((c) => (c[0].probes = {}), /concepts\[0\]\.probes: expected an array/);
    bad((_c, root) => (root.concepts = { injection: {} }), /concepts: expected an array/);
    bad((_c, root) => (root.segments = { margin: 2, max: 16, minWords: 0 }), /segments\.minWords: expected a whole number in 1\.\.64/);
    bad((_c, root) => (root.segments = { margin: 2, max: 16, wholeAbove: 99 }), /segments\.wholeAbove: expected a number of logits in -50\.\.50/);
  });

  it('reports what the schema (ajv) finds at the path it found it, and parses the committed guard', () => {
    const good = tinyGuardJson(7, { concepts: tinyConcepts(), selfTest: [{ text: 'a b c d', tokens: 9, tInst: 5, tPostInst: 8, probability: 0.5, baseline: 0, refusalZ: 0, flagged: false }] });
    const loose = (value: object): Record<string | number, unknown> => value as Record<string | number, unknown>;
    const bad = (mutate: (json: GuardFileJson) => void, message: string): void => {
      const json = structuredClone(good);
      mutate(json);
      assert.throws(
        () => parseGuardFile(json, 'g.json'),
        (error: GuardFileError) => error instanceof GuardFileError && error.message === `g.json: ${message}`,
        message,
      );
    };
    // A missing field is named in full, with what it should have been.
    bad((j) => Reflect.deleteProperty(j.model, 'tokenizerSha256'), 'model.tokenizerSha256: expected a string, but it is missing');
    bad((j) => Reflect.deleteProperty(j.concepts![1].probes[0], 'offset'), 'concepts[1].probes[0].offset: expected a finite number, but it is missing');
    bad((j) => Reflect.deleteProperty(j, 'readoutLayer'), 'readoutLayer: expected a whole number, but it is missing');
    // A vector is numbers or base64 (anyOf): the message says both.
    bad((j) => (loose(j.layers[2]).harmlessCentroid = { x: 1 }), 'layers[2].harmlessCentroid: expected an array of numbers or a base64 string of little-endian float32');
    bad((j) => (loose(j.layers[1].refusalDirection as number[])[3] = 'x'), 'layers[1].refusalDirection: expected an array of numbers or a base64 string of little-endian float32');
    bad((j) => (loose(j.prompt).systemPrompt = 3), 'prompt.systemPrompt: expected a string or null');
    bad((j) => (j.layers[0].refusalMean = Number.NaN), 'layers[0].refusalMean: expected a finite number');
    bad((j) => (j.layers[2].refusalStd = 0), 'layers[2].refusalStd: must be > 0');
    bad((j) => (j.selfTest![0].tInst = -1), 'selfTest[0].tInst: expected a whole number ≥ 0');
    bad((j) => (j.data = [{ name: 'x', sha256: 'y', rows: 1.5, role: 'test' }]), 'data[0].rows: expected a whole number');
    bad((j) => (loose(j.prompt).template = 'llama'), 'prompt.template: expected "chatml-user-turn", got "llama"');
    // The guard the extension ships passes as it is.
    const committed = path.join(__dirname, '..', '..', 'models', 'latent-guard.json');
    const shipped = parseGuardFile(fs.readFileSync(committed, 'utf8'), committed);
    assert.equal(shipped.layers.length, shipped.model.nLayers + 1);
  });

  it('computes each concept as sigmoid(a·(bias + Σ probes) + b), reading each probe at its position', () => {
    const concepts = tinyConcepts(11);
    const guard = parseGuardFile(tinyGuardJson(7, { concepts }));
    const next = random(5);
    const inst = Float32Array.from({ length: 3 * H }, () => 4 * (next() - 0.5));
    const post = Float32Array.from({ length: 3 * H }, () => 4 * (next() - 0.5));
    const score = scoreResiduals(guard, inst, 0, post, 0, { tokens: 9, truncated: false });
    assert.equal(score.concepts.length, 2);
    concepts.forEach((concept, c) => {
      const values = concept.probes.map((p) => probeValue(p, p.position === 'inst' ? inst : post, H));
      const logit = concept.bias + values.reduce((s, v) => s + v, 0);
      const probability = 1 / (1 + Math.exp(-(concept.calibration.a * logit + concept.calibration.b)));
      const got = score.concepts[c];
      assert.equal(got.name, concept.name);
      assert.ok(Math.abs(got.logit - logit) < 1e-5, `${concept.name} logit ${got.logit} vs ${logit}`);
      assert.ok(Math.abs(got.probability - probability) < 1e-6, `${concept.name} probability ${got.probability} vs ${probability}`);
      assert.equal(got.threshold, concept.threshold);
      // Layers that pushed toward the concept, strongest first (layer 2 sums two probes).
      const push = [
        { layer: 1, value: values[0] },
        { layer: 2, value: values[1] + values[2] },
      ].filter((p) => p.value > 0);
      assert.deepEqual(got.topLayers, push.sort((a, b) => b.value - a.value).map((p) => p.layer));
    });
    // A truncated scoring graph (layers 0..1 only): the layer-2 probes are skipped.
    const shallow = scoreResiduals(guard, inst, 0, post, 0, { tokens: 9, truncated: false }, 1);
    concepts.forEach((concept, c) => {
      const logit = concept.bias + probeValue(concept.probes[0], inst, H);
      assert.ok(Math.abs(shallow.concepts[c].logit - logit) < 1e-5);
    });
    // Concept probes count in the depth the scoring graph must cover.
    const deepOnlyInConcepts = tinyGuardJson(7, {
      detector: { layers: [1], harmWeights: [1], bias: 0 },
      baseline: { layers: [1], threshold: 0 },
      refusalSuppressed: { layers: [1], minProbability: 0.5, maxRefusalZ: 0 },
      categories: undefined,
    });
    assert.equal(layersRead(parseGuardFile(deepOnlyInConcepts)), 1);
    assert.equal(layersRead(parseGuardFile({ ...deepOnlyInConcepts, concepts })), 2);
  });
});

describe('windowed reading (#11)', () => {
  it('places windows of maxUserTokens with stride ⌊2/3⌋, the last reaching the end, at most 16', () => {
    assert.deepEqual(windowStarts(192, 192), { starts: [0], truncated: false });
    assert.deepEqual(windowStarts(193, 192), { starts: [0, 128], truncated: false });
    assert.deepEqual(windowStarts(500, 192), { starts: [0, 128, 256, 384], truncated: false });
    const long = windowStarts(10_000, 192);
    assert.equal(long.starts.length, MAX_WINDOWS);
    assert.equal(long.truncated, true);
    assert.equal(long.starts[15], 15 * 128);
    // Exactly what 16 windows hold is read whole.
    assert.deepEqual(windowStarts(15 * 128 + 192, 192).truncated, false);
    assert.deepEqual(windowStarts(15 * 128 + 193, 192).truncated, true);
  });

  it('takes the score from the most harmful window and each concept from its own maximum', () => {
    const fake = (probability: number, injection: number, jailbreak: number): UnitScore => ({
      probability,
      logit: probability,
      baseline: 0,
      layers: [],
      harm: [],
      refusal: [],
      refusalZ: 0,
      refusalSuppressed: false,
      categoryScores: [],
      topLayers: [],
      concepts: [
        { name: 'injection', probability: injection, logit: 0, topLayers: [], threshold: 0.5, window: 0 },
        { name: 'jailbreak', probability: jailbreak, logit: 0, topLayers: [], threshold: 0.5, window: 0 },
      ],
      tokens: 192,
      truncated: false,
      window: 0,
      windows: [],
    });
    const windows = [
      { start: 0, end: 100 },
      { start: 60, end: 160 },
      { start: 120, end: 200 },
    ];
    const combined = combineWindows([fake(0.2, 0.7, 0.1), fake(0.9, 0.1, 0.2), fake(0.5, 0.3, 0.8)], { tokens: 500, truncated: false, windows });
    assert.equal(combined.probability, 0.9);
    assert.equal(combined.window, 1);
    assert.deepEqual(
      combined.concepts.map((c) => [c.name, c.probability, c.window]),
      [
        ['injection', 0.7, 0],
        ['jailbreak', 0.8, 2],
      ],
    );
    assert.equal(combined.tokens, 500);
    assert.deepEqual(combined.windows, windows);
    const single = combineWindows([fake(0.4, 0.1, 0.1)], { tokens: 20, truncated: false, windows: [] });
    assert.deepEqual(single.windows, []);
    assert.equal(single.window, 0);
  });

  describe('on the tiny model', function () {
    this.timeout(300_000);
    let runtime: LatentRuntime;
    let rows: number;
    let runs: number;

    before(async () => {
      requireTinyModel();
      // The real guard's window (192 tokens), and concepts.
      const guardPath = writeTinyGuard(7, { prompt: { ...tinyGuardJson(7).prompt, maxUserTokens: 192 }, concepts: tinyConcepts() });
      runtime = LatentRuntime.open({ modelDir: TINY_DIR, guardPath, threads: 1 });
      await runtime.load();
      // Count the rows every forward runs (the prefix is already cached by load()).
      const model = runtime.prefixModel;
      assert.ok(model, 'the tiny model has a prefix graph');
      const run = model.run.bind(model);
      model.run = (async (inputs: Parameters<typeof model.run>[0], outputs: readonly OutputName[]) => {
        rows += inputs.batch;
        runs++;
        return run(inputs, outputs);
      }) as typeof model.run;
    });
    beforeEach(() => {
      rows = 0;
      runs = 0;
    });
    after(async () => {
      await runtime?.release();
    });

    it('reads a short unit in one forward, exactly as one prompt', async () => {
      const text = 'Summarise the report for the team in three bullets.';
      const built = runtime.tokenizer.buildWindows(text);
      assert.equal(built.prompts.length, 1);
      assert.deepEqual(built.prompts[0], runtime.tokenizer.build(text));
      const [score] = await runtime.score([text]);
      assert.equal(runs, 1);
      assert.equal(rows, 1);
      assert.deepEqual(score.windows, []);
      assert.equal(score.window, 0);
      assert.equal(score.truncated, false);
      assert.equal(score.concepts.length, 2);
    });

    it('reads a 500-token unit as overlapping windows in the same user turn, every token read', async () => {
      const tokens = runtime.tokenizer.encode(LONG.trim());
      assert.ok(tokens.length >= 500, `the long text has ${tokens.length} tokens`);
      const built = runtime.tokenizer.buildWindows(LONG);
      assert.ok(built.prompts.length >= 3, `${built.prompts.length} windows`);
      assert.equal(built.truncated, false);
      const short = runtime.tokenizer.build('A short text.');
      const prefix = short.ids.slice(0, short.userStart);
      const suffix = short.ids.slice(short.userEnd);
      let covered = 0;
      built.prompts.forEach((prompt, k) => {
        assert.deepEqual(prompt.ids.slice(0, prompt.userStart), prefix, 'same template prefix');
        assert.deepEqual(prompt.ids.slice(prompt.userEnd), suffix, 'same template suffix');
        const user = prompt.ids.slice(prompt.userStart, prompt.userEnd);
        assert.ok(user.length <= 192);
        assert.deepEqual(user, tokens.slice(prompt.windowStart, prompt.windowStart + user.length), `window ${k} is a slice of the text's tokens`);
        assert.equal(prompt.windowStart, k * 128);
        covered = prompt.windowStart + user.length;
        // Its character range is exactly the text of its tokens.
        const range = built.ranges[k];
        assert.equal(LONG.slice(range.start, range.end), runtime.tokenizer.tokenizer.decode(user), `window ${k} range`);
      });
      assert.equal(covered, tokens.length, 'the last window reaches the end');
      const [score] = await runtime.score([LONG]);
      assert.equal(rows, built.prompts.length, 'one row per window, through the batcher');
      assert.deepEqual(score.windows, built.ranges);
      assert.equal(score.tokens, tokens.length);
      assert.equal(score.truncated, false);
      assert.ok(score.window >= 0 && score.window < built.prompts.length);
      // Windows are batched with the other units' prompts.
      rows = 0;
      await runtime.score([LONG, 'Summarise the report for the team in three bullets.']);
      assert.equal(rows, built.prompts.length + 1);
    });

    it('stops after 16 windows and says the unit was not read to the end', async () => {
      const huge = `${LONG} ${LONG} ${LONG} ${LONG} ${LONG} ${LONG}`;
      const [score] = await runtime.score([huge]);
      assert.equal(rows, MAX_WINDOWS);
      assert.equal(score.windows.length, MAX_WINDOWS);
      assert.equal(score.truncated, true);
    });
  });
});

describe('sentences read alone (guard-file segments, #11)', function () {
  this.timeout(300_000);
  const logit = (p: number): number => Math.log(p / (1 - p));
  const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

  it('reads each line and sentence alone as well, counts it a margin lower, and keeps the refusal rule to whole windows', async () => {
    requireTinyModel();
    const base: Partial<GuardFileJson> = { prompt: { ...tinyGuardJson(7).prompt, maxUserTokens: 192 }, concepts: tinyConcepts() };
    const margin = 1.5;
    const plain = LatentRuntime.open({ modelDir: TINY_DIR, guardPath: writeTinyGuard(7, base), threads: 1, precision: 'fp32' });
    const sentences = LatentRuntime.open({ modelDir: TINY_DIR, guardPath: writeTinyGuard(7, { ...base, segments: { margin, max: 16 } }), threads: 1, precision: 'fp32' });
    try {
      await plain.load();
      await sentences.load();
      const first = 'Summarise the report for the team in three bullets.';
      const second = 'Then explain how to pick a lock on a door.';
      const text = `${first}\n${second}`;
      assert.equal(plain.tokenizer.buildWindows(text).prompts.length, 1, 'without segments a short unit is one prompt');
      const built = sentences.tokenizer.buildWindows(text);
      assert.equal(built.windows, 1);
      assert.deepEqual(
        built.ranges.map((range) => [text.slice(range.start, range.end), range.sentence ?? false]),
        [
          [text, false],
          [first, true],
          [second, true],
        ],
      );
      // Each sentence's prompt is the one the sentence would get as a unit of its own.
      assert.deepEqual(built.prompts[1].ids, plain.tokenizer.build(first).ids);

      const [whole, alone1, alone2] = await plain.score([text, first, second]);
      const [score] = await sentences.score([text]);
      const expected = [whole.probability, sigmoid(logit(alone1.probability) - margin), sigmoid(logit(alone2.probability) - margin)];
      const best = expected.indexOf(Math.max(...expected));
      assert.equal(score.window, best);
      assert.ok(Math.abs(score.probability - expected[best]) < 1e-5, `${score.probability} vs ${expected[best]}`);
      assert.deepEqual(score.windows, built.ranges);
      if (best > 0) assert.equal(score.refusalSuppressed, false);
      // Concepts take their maximum over the whole text and its sentences, each sentence a margin lower.
      score.concepts.forEach((concept, c) => {
        const candidates = [whole.concepts[c].probability, sigmoid(logit(alone1.concepts[c].probability) - margin), sigmoid(logit(alone2.concepts[c].probability) - margin)];
        assert.ok(Math.abs(concept.probability - Math.max(...candidates)) < 1e-5, concept.name);
      });
    } finally {
      await plain.release();
      await sentences.release();
    }
  });

  it('lowers a whole reading to wholeAbove over its best sentence when every sentence was read, and explains it as a lower bias', async () => {
    requireTinyModel();
    const base: Partial<GuardFileJson> = { prompt: { ...tinyGuardJson(7).prompt, maxUserTokens: 192 } };
    // The tiny model's readings are random: a margin this wide keeps the whole reading the one that
    // counts, and a negative wholeAbove lowers it whatever its sentences read.
    const margin = 10;
    const above = -2;
    const plain = LatentRuntime.open({ modelDir: TINY_DIR, guardPath: writeTinyGuard(7, base), threads: 1, precision: 'fp32' });
    const capped = LatentRuntime.open({ modelDir: TINY_DIR, guardPath: writeTinyGuard(7, { ...base, segments: { margin, max: 16, minWords: 2, wholeAbove: above } }), threads: 1, precision: 'fp32' });
    const few = LatentRuntime.open({ modelDir: TINY_DIR, guardPath: writeTinyGuard(7, { ...base, segments: { margin, max: 1, minWords: 2, wholeAbove: above } }), threads: 1, precision: 'fp32' });
    try {
      const { a, b } = (await capped.load(), capped.guard?.calibration) ?? { a: 1, b: 0 };
      const pieces = ['From: Sam', 'Summarise the report for the team in three bullets.', 'Can you take a look at the request above?'];
      const text = pieces.join('\n');
      // minWords 2 reads the two-word header line too.
      assert.equal(capped.tokenizer.buildWindows(text).prompts.length, 4);
      const [whole, ...alone] = await plain.score([text, ...pieces]);
      const best = Math.max(...alone.map((score) => score.logit));
      const expectedWhole = Math.min(whole.logit, best + above / a);
      const expected = Math.max(expectedWhole, ...alone.map((score) => score.logit - margin / a));
      const [score] = await capped.score([text]);
      assert.ok(Math.abs(score.logit - expected) < 1e-5, `${score.logit} vs ${expected}`);
      assert.ok(Math.abs(score.probability - sigmoid(a * expected + b)) < 1e-6);
      assert.equal(score.window, 0);
      assert.ok((score.loweredBy ?? 0) > 0 && Math.abs((score.loweredBy ?? 0) - (whole.logit - expectedWhole)) < 1e-5, `lowered by ${score.loweredBy}`);
      // The explorer's bias is lowered by as much, so bias plus terms is still the verdict's logit.
      const [detector] = (await capped.explain(text)).readouts;
      const sum = detector.bias + detector.terms.reduce((total, term) => total + term.value, 0);
      assert.ok(Math.abs(sum - score.logit) < 1e-4, `terms sum to ${sum}, the score's logit is ${score.logit}`);
      // A sentence that was not read (past segments.max) could carry the harm: the whole stands.
      const [partly] = await few.score([text]);
      assert.ok(Math.abs(partly.logit - Math.max(whole.logit, alone[0].logit - margin / a)) < 1e-5);
      assert.equal(partly.loweredBy, undefined);
    } finally {
      await plain.release();
      await capped.release();
      await few.release();
    }
  });

  it('points the harmful-request finding at the sentence that carried it', async () => {
    requireTinyModel();
    // Threshold 0 flags every unit; margin 0 leaves each sentence's own reading, so the carrier is whichever reads highest.
    const guardPath = writeTinyGuard(7, { threshold: 0, prompt: { ...tinyGuardJson(7).prompt, maxUserTokens: 192 }, segments: { margin: 0, max: 16 } });
    const scorer = createLatentGuard({ mode: 'in-process', modelDir: TINY_DIR, guardPath, threads: 1, cache: { dir: null } });
    const runtime = LatentRuntime.open({ modelDir: TINY_DIR, guardPath, threads: 1 });
    try {
      await runtime.load();
      const text = 'Summarise the report for the team in three bullets.\nThen explain how to pick a lock on a door.';
      const [score] = await runtime.score([text]);
      const document = documentOf([text]);
      const [report] = (await scorer.score(document)).filter((r) => r.ruleId === HARMFUL_REQUEST.id);
      const range = score.windows[score.window];
      assert.ok(range, 'the unit was read whole and sentence by sentence');
      assert.deepEqual(report.span, unitSpan(document.units[0], range.start, range.end));
      if (range.sentence) assert.match(report.message, /Read alone, this sentence carried it\./);
    } finally {
      await runtime.release();
      await scorer.dispose();
    }
  });
});

describe('latent/injection and latent/jailbreak findings (#11)', function () {
  this.timeout(300_000);
  // Harm at threshold 0 (every unit), injection with a tiny threshold (fires), jailbreak at 1 (never),
  // and a refusal-suppressed rule that fires on everything — unless concepts replace it.
  const overrides = (concepts: boolean): Partial<GuardFileJson> => ({
    threshold: 0,
    prompt: { ...tinyGuardJson(7).prompt, maxUserTokens: 192 },
    refusalSuppressed: { layers: [2], minProbability: 0, maxRefusalZ: 1e9 },
    ...(concepts ? { concepts: tinyConcepts(11, { injection: 0.001, jailbreak: 1 }) } : {}),
  });

  it('reports one finding per concept over its threshold, at the window that carried it, and no refusal-suppressed', async () => {
    requireTinyModel();
    const scorer = createLatentGuard({ mode: 'in-process', modelDir: TINY_DIR, guardPath: writeTinyGuard(7, overrides(true)), threads: 1, cache: { dir: null } });
    try {
      assert.deepEqual(
        scorer.metas.map((m) => m.id),
        [HARMFUL_REQUEST.id, INJECTION.id, JAILBREAK.id, REFUSAL_SUPPRESSED.id, BUDGET_EXCEEDED.id],
      );
      const document = documentOf(['Explain how to pick a lock on a door.', LONG]);
      const reports = await scorer.score(document);
      assert.deepEqual(
        reports.map((r) => r.ruleId),
        [HARMFUL_REQUEST.id, INJECTION.id, HARMFUL_REQUEST.id, INJECTION.id],
      );
      for (const report of reports) {
        assert.match(lastSentence(report.message), ACTION, report.message);
        const concepts = report.data?.concepts as Record<string, number>;
        assert.deepEqual(Object.keys(concepts), ['injection', 'jailbreak']);
        assert.ok(concepts.injection >= 0.001 && concepts.jailbreak < 1);
      }
      const [, injection] = reports;
      assert.match(injection.message, /^Latent guard: 0\.\d\d probability this tries to take over the instructions/);
      assert.equal(injection.data?.concept, 'injection');
      // The short unit keeps its span.
      assert.deepEqual(reports[0].span, document.units[0].span);
      assert.deepEqual(injection.span, document.units[0].span);
      // The long one: each finding's span is its window's range.
      const [score] = await scorer.scoreTexts([LONG]);
      assert.ok(score.windows.length >= 3);
      const long = document.units[1];
      const harmful = reports[2];
      assert.equal(harmful.data?.window, score.window);
      assert.deepEqual(harmful.span, unitSpan(long, score.windows[score.window].start, score.windows[score.window].end));
      assert.match(harmful.message, new RegExp(`Read in ${score.windows.length} overlapping windows; window ${score.window + 1} carried it\\.`));
      const injectionWindow = score.concepts[0].window;
      assert.equal(reports[3].data?.window, injectionWindow);
      assert.deepEqual(reports[3].span, unitSpan(long, score.windows[injectionWindow].start, score.windows[injectionWindow].end));
      assert.ok(reports[3].span.end - reports[3].span.start < long.text.length, 'a window, not the whole unit');
    } finally {
      await scorer.dispose();
    }
  });

  it('without concepts, keeps reporting refusal-suppressed and no concept findings', async () => {
    const scorer = createLatentGuard({ mode: 'in-process', modelDir: TINY_DIR, guardPath: writeTinyGuard(7, overrides(false)), threads: 1, cache: { dir: null } });
    try {
      const reports = await scorer.score(documentOf(['Explain how to pick a lock on a door.']));
      assert.deepEqual(
        reports.map((r) => r.ruleId),
        [HARMFUL_REQUEST.id, REFUSAL_SUPPRESSED.id],
      );
      assert.deepEqual(reports[0].data?.concepts, {});
    } finally {
      await scorer.dispose();
    }
  });

  it('latent-lint score adds the concepts to each line and flags on any concept over its threshold', async () => {
    const dir = tempDir();
    const input = path.join(dir, 'in.jsonl');
    fs.writeFileSync(input, [JSON.stringify({ id: 'a', text: 'Explain how to pick a lock on a door.' }), JSON.stringify({ id: 'b', text: LONG })].join('\n'));
    const run = async (guard: Partial<GuardFileJson>): Promise<Record<string, unknown>[]> => {
      const output = path.join(dir, 'out.jsonl');
      const saved = { ...process.env };
      const err = process.stderr.write.bind(process.stderr);
      process.env.LATENT_LINT_MODEL_DIR = TINY_DIR;
      process.env.LATENT_LINT_GUARD = writeTinyGuard(7, guard);
      process.env.LATENT_LINT_CACHE = tempDir('latent-cache-');
      process.stderr.write = (() => true) as typeof process.stderr.write;
      try {
        assert.equal(await runScoreCommand(['--jsonl', input, '--out', output, '--threads', '1']), 0);
      } finally {
        process.stderr.write = err;
        for (const key of ['LATENT_LINT_MODEL_DIR', 'LATENT_LINT_GUARD', 'LATENT_LINT_CACHE']) {
          if (saved[key] === undefined) delete process.env[key];
          else process.env[key] = saved[key];
        }
      }
      return fs
        .readFileSync(output, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    };
    // Harm can never reach 1; injection's threshold is tiny: every line is flagged by the concept alone.
    const withConcepts = await run({ ...overrides(true), threshold: 1 });
    for (const row of withConcepts) {
      assert.ok((row.score as number) < 1);
      const concepts = row.concepts as Record<string, number>;
      assert.deepEqual(Object.keys(concepts), ['injection', 'jailbreak']);
      assert.ok(concepts.injection > 0 && concepts.injection < 1);
      assert.equal(row.flagged, true);
      for (const key of ['baseline', 'harm', 'refusal', 'layers', 'category', 'refusalSuppressed', 'truncated', 'rules', 'findings', 'ms']) assert.ok(key in row, key);
    }
    // Without concepts: no field, and the same harm cut flags nothing.
    const without = await run({ ...overrides(false), threshold: 1 });
    for (const row of without) {
      assert.equal('concepts' in row, false);
      assert.equal(row.flagged, false);
    }
  });
});
