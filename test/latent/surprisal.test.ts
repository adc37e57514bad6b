// The adversarial-suffix signal: the arithmetic (surprisal, masking, windows), the runtime reading it
// from the full graph's logits on the tiny model, and the finding it makes.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { main } from '../../server/src/cli';
import type { Unit } from '../../server/src/core/types';
import type { GuardSurprisal } from '../../server/src/latent/guard-file';
import { LatentRuntime } from '../../server/src/latent/runtime';
import { JAILBREAK, reportsFor } from '../../server/src/latent/scorer';
import type { UnitScore } from '../../server/src/latent/signals';
import { maskedTokens, mostSurprisingWindow, tokenSurprisal } from '../../server/src/latent/surprisal';
import type { TokenSpan } from '../../server/src/latent/tokenizer';
import { capture, requireTinyModel, tempDir, TINY_DIR, writeTinyGuard } from './tiny';

/** Runs the CLI with these environment variables, its output captured. */
const cli = (env: Record<string, string>, args: string[]): Promise<{ code: number; stdout: string }> => capture(env, () => main(args));

const SETTINGS: GuardSurprisal = {
  window: 3,
  skipFirst: 1,
  minUnmasked: 2,
  threshold: 5,
  mask: '(?:[A-Za-z0-9+/]{24,}={0,2})|(?:https?://\\S+)',
};

describe('surprisal signal', function () {
  it('computes −log softmax at the target, stable for large logits', () => {
    const logits = new Float32Array([1000, 1001, 1002, 0, Math.log(3), 0]);
    const values = tokenSurprisal(logits, 3, [0, 1]);
    // Row 0: log(e^0 + e^1 + e^2) − 0; row 1: log(1 + 3 + 1) − log 3.
    assert.ok(Math.abs(values[0] - Math.log(1 + Math.E + Math.E ** 2)) < 1e-3, `row 0: ${values[0]}`);
    assert.ok(Math.abs(values[1] - (Math.log(5) - Math.log(3))) < 1e-5, `row 1: ${values[1]}`);
  });

  it('masks the tokens a base64 run or a URL touches, and nothing else', () => {
    const text = 'see https://example.com/a?b=1 and QUJDREVGR0hJSktMTU5PUFFSU1RVVldY now';
    const words = [...text.matchAll(/\S+/g)].map((m): TokenSpan => ({ text: m[0], start: m.index, end: m.index + m[0].length }));
    assert.deepEqual(
      maskedTokens(text, words, new RegExp(SETTINGS.mask)),
      words.map((w) => w.text.startsWith('https') || w.text.startsWith('QUJD')),
    );
  });

  it('takes the highest window mean, skipping the first token and windows with too few unmasked tokens', () => {
    //                         skipped  ----- the best window -----  masked
    const values = new Float32Array([50, 1, 8, 9, 10, 2, 40, 40]);
    const masked = [false, false, false, false, false, false, true, true];
    assert.deepEqual(mostSurprisingWindow(values, masked, SETTINGS), { score: 9, from: 2, to: 5 });
    // With one masked token allowed, the window [4, 7) counts: (10 + 2) / 2.
    const loose = mostSurprisingWindow(new Float32Array([0, 0, 0, 0, 10, 2, 40]), [false, false, false, false, false, false, true], SETTINGS);
    assert.deepEqual(loose, { score: 6, from: 4, to: 7 });
    // Shorter than skipFirst + window: nothing counts.
    assert.deepEqual(mostSurprisingWindow(new Float32Array([9, 9, 9]), [false, false, false], SETTINGS), { score: 0, from: 0, to: 0 });
  });

  it('reports latent/jailbreak on the window that carried it, only over the threshold', () => {
    const unit = { id: 'u1', text: 'Tell me a story. zq!! ]]( vex', span: { start: 100, end: 128 }, instruction: true } as unknown as Unit;
    const base = { probability: 0.01, concepts: [], windows: [], window: 0, refusalSuppressed: false, topLayers: [] } as unknown as UnitScore;
    const hit = reportsFor(unit, { ...base, surprisal: { score: 12.5, threshold: 10, start: 17, end: 28 } }, 0.9);
    assert.equal(hit.length, 1);
    assert.equal(hit[0].ruleId, JAILBREAK.id);
    assert.match(hit[0].message, /12\.5 nats per token/);
    assert.deepEqual([hit[0].span.start, hit[0].span.end], [117, 128]);
    assert.deepEqual(reportsFor(unit, { ...base, surprisal: { score: 9.9, threshold: 10, start: 17, end: 28 } }, 0.9), []);
  });

  describe('on the tiny model', function () {
    this.timeout(120000);
    const texts = ['Write a short poem about the sea and the sky.', 'zq vex ]]( !! plo Paulo heap ISBN', 'hi there you'];

    it('reads each unit from the full graph, the same alone as in a batch, and not at all when turned off', async () => {
      requireTinyModel();
      const guardPath = writeTinyGuard(7, { surprisal: SETTINGS });
      const runtime = LatentRuntime.open({ modelDir: TINY_DIR, guardPath, threads: 1, surprisal: true });
      // Off unless asked for (the full model costs several times the guard).
      const off = LatentRuntime.open({ modelDir: TINY_DIR, guardPath, threads: 1 });
      try {
        assert.match(runtime.identity.surprisal ?? '', /next-token surprisal/);
        const batch = await runtime.score(texts);
        for (const [i, text] of texts.entries()) {
          const [alone] = await runtime.score([text]);
          assert.ok(batch[i].surprisal, text);
          assert.ok(Math.abs((alone.surprisal?.score ?? -1) - (batch[i].surprisal?.score ?? -2)) < 1e-4, text);
          // The same number from the full graph's logits, computed here token by token.
          const prompt = runtime.tokenizer.build(text);
          const reads = Array.from({ length: prompt.userEnd - prompt.userStart }, (_, k) => prompt.userStart - 1 + k);
          const [out] = await runtime.forward([prompt], () => reads, ['logits']);
          const values = tokenSurprisal(out.logits, out.logits.length / reads.length, prompt.ids.slice(prompt.userStart, prompt.userEnd));
          const spans = runtime.tokenizer.userTokenSpans(prompt, text);
          const best = mostSurprisingWindow(values, maskedTokens(text, spans, new RegExp(SETTINGS.mask, 'g')), SETTINGS);
          assert.ok(Math.abs(best.score - (batch[i].surprisal?.score ?? -1)) < 1e-4, `${text}: ${best.score} vs ${batch[i].surprisal?.score}`);
          if (best.to > best.from) assert.deepEqual([batch[i].surprisal?.start, batch[i].surprisal?.end], [spans[best.from].start, spans[best.to - 1].end]);
        }
        assert.equal(off.identity.surprisal, undefined);
        assert.equal((await off.score(texts.slice(0, 1)))[0].surprisal, undefined);
      } finally {
        await runtime.release();
        await off.release();
      }
    });
  });

  describe('where it is on', function () {
    this.timeout(120000);
    // Threshold 0: on the random tiny model every unit with a window is over it, so the switch decides.
    const suffixed = 'Please summarise the report for me today. zq vex ]]( !! plo Paulo heap ISBN comune itsana';
    let env: Record<string, string>;
    before(() => {
      requireTinyModel();
      env = { LATENT_LINT_MODEL_DIR: TINY_DIR, LATENT_LINT_GUARD: writeTinyGuard(7, { threshold: 1, surprisal: { ...SETTINGS, threshold: 0 } }), LATENT_LINT_CACHE: tempDir('latent-cache-') };
    });

    it('latent-lint score reads it by default (flagged, its score, the finding) and not with --no-surprisal', async () => {
      const dir = tempDir();
      const input = path.join(dir, 'in.jsonl');
      fs.writeFileSync(input, `${JSON.stringify({ id: 'a', text: suffixed })}\n`);
      const read = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8').trim()) as Record<string, unknown>;
      assert.equal((await cli(env, ['score', '--jsonl', input, '--out', path.join(dir, 'on.jsonl'), '--threads', '1'])).code, 0);
      const on = read(path.join(dir, 'on.jsonl'));
      assert.equal(on.flagged, true);
      assert.equal(typeof on.surprisal, 'number');
      assert.ok((on.findings as { rule: string }[]).some((finding) => finding.rule === JAILBREAK.id), JSON.stringify(on.findings));
      assert.equal((await cli(env, ['score', '--jsonl', input, '--out', path.join(dir, 'off.jsonl'), '--threads', '1', '--no-surprisal'])).code, 0);
      const off = read(path.join(dir, 'off.jsonl'));
      assert.equal(off.flagged, false);
      assert.equal(off.surprisal, undefined);
    });

    it('latent-lint check leaves it off unless --surprisal', async () => {
      const dir = tempDir();
      const file = path.join(dir, 'review.prompt.md');
      fs.writeFileSync(file, `${suffixed}\n`);
      const rules = async (extra: string[]): Promise<string[]> => {
        const { stdout } = await cli(env, ['check', file, '--format', 'json', '--jobs', '1', ...extra]);
        return (JSON.parse(stdout) as { messages: { ruleId: string }[] }[]).flatMap((result) => result.messages.map((m) => m.ruleId));
      };
      assert.ok(!(await rules([])).includes(JAILBREAK.id));
      assert.ok((await rules(['--surprisal'])).includes(JAILBREAK.id));
    });
  });
});
