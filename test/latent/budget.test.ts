// Issue #17 item 3: scoring a file with the model is bounded (a per-file and a per-run token budget,
// and a finding that names what was not scored), reports progress, and stops when asked (Ctrl-C on
// the CLI; the server's superseded versions are in test/lsp/latent.test.ts).
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ScoreProgress } from '../../server/src/core/types';
import { createLatentGuard, type LatentGuard } from '../../server/src/latent/latent-guard';
import { BUDGET_EXCEEDED } from '../../server/src/latent/scorer';
import { documentOf, requireTinyModel, ROOT, tempDir, TINY_DIR, writeTinyGuard } from './tiny';

const BIN = path.join(ROOT, 'bin', 'latent-lint.js');

/** `count` distinct instruction paragraphs of about 25 words. */
function paragraphs(count: number, tag = 'p'): string[] {
  return Array.from({ length: count }, (_, i) => `Section ${tag}${i}: answer billing questions politely, quote the order number you found, and escalate refunds over the limit to a human agent for review.`);
}

describe('latent guard token budget, progress and interruption (#17 item 3)', () => {
  let guardPath: string;
  before(() => {
    requireTinyModel();
    guardPath = writeTinyGuard(7, { threshold: 0 });
  });

  const scorer = (budget: { maxFileTokens?: number; maxRunTokens?: number }): LatentGuard =>
    createLatentGuard({ mode: 'in-process', modelDir: TINY_DIR, guardPath, cache: { dir: null }, ...budget });

  it('stops at the per-file budget and names every unit it did not score in one finding', async () => {
    const guard = scorer({ maxFileTokens: 200 });
    try {
      const document = documentOf(paragraphs(40));
      const reports = await guard.score(document);
      const budget = reports.filter((report) => report.ruleId === BUDGET_EXCEEDED.id);
      assert.equal(budget.length, 1);
      const data = budget[0].data as { unscored: { id: string }[]; total: number; tokens: number; budget: string };
      const scored = new Set(reports.filter((report) => report.ruleId === 'latent/harmful-request').map((report) => report.span.start));
      assert.ok(scored.size > 0 && scored.size < 40, `${scored.size} units scored`);
      assert.equal(data.total, 40);
      assert.equal(data.budget, 'file');
      // Every unit is either scored or listed: nothing is dropped without a word.
      assert.equal(scored.size + data.unscored.length, 40);
      assert.deepEqual(
        data.unscored.map((unit) => unit.id),
        document.units.slice(scored.size).map((unit) => unit.id),
      );
      // Bounded by the budget, give or take a unit (the model counts tokens as it reads them).
      assert.ok(data.tokens <= 250, `${data.tokens} tokens read`);
      assert.match(budget[0].message, /the file token budget \(200 tokens\) ran out; \d+ of 40 units were not scored by the model \(lines? [\d-]+\)/);
      assert.equal(budget[0].span.start, document.units[scored.size].span.start);
      // A file's own limit (the engine passes --max-file-tokens or the setting) wins over the scorer's.
      assert.ok(!(await guard.score(documentOf(paragraphs(40, 'q')), undefined, { maxTokens: 1_000_000 })).some((report) => report.ruleId === BUDGET_EXCEEDED.id));
    } finally {
      await guard.dispose();
    }
  });

  it('shares the per-run budget across files', async () => {
    const guard = scorer({ maxRunTokens: 1200 });
    try {
      const first = await guard.score(documentOf(paragraphs(8, 'a')));
      assert.ok(!first.some((report) => report.ruleId === BUDGET_EXCEEDED.id), 'the first file fits');
      const second = await guard.score(documentOf(paragraphs(8, 'b')));
      const budget = second.find((report) => report.ruleId === BUDGET_EXCEEDED.id);
      assert.ok(budget, 'the second file runs out of the run budget');
      assert.equal((budget.data as { budget: string }).budget, 'run');
      assert.match(budget.message, /the run token budget \(1,200 tokens\)/);
    } finally {
      await guard.dispose();
    }
  });

  it('reports progress unit by unit up to the whole file', async () => {
    const guard = scorer({});
    try {
      const seen: ScoreProgress[] = [];
      await guard.score(documentOf(paragraphs(120, 'r')), undefined, { onProgress: (progress) => seen.push({ ...progress }) });
      assert.ok(seen.length >= 3, `${seen.length} progress reports`);
      assert.deepEqual(seen[0], { scored: 0, total: 120, tokens: 0 });
      assert.equal(seen.at(-1)?.scored, 120);
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i].scored > seen[i - 1].scored && seen[i].tokens > seen[i - 1].tokens);
    } finally {
      await guard.dispose();
    }
  });

  describe('on the CLI', () => {
    let env: NodeJS.ProcessEnv;
    before(() => {
      env = { ...process.env, NO_COLOR: '1', LATENT_LINT_MODEL_DIR: TINY_DIR, LATENT_LINT_GUARD: writeTinyGuard(7), LATENT_LINT_CACHE: tempDir('latent-budget-cache-') };
    });

    it('--max-file-tokens: a latent/budget-exceeded warning, progress on stderr with --progress', () => {
      const root = tempDir('latent-budget-ws-');
      fs.writeFileSync(path.join(root, 'big.prompt.md'), `${paragraphs(60, 'c').join('\n\n')}\n`);
      const child = spawnSync(process.execPath, [BIN, 'check', '.', '--max-file-tokens', '150', '--progress', '-f', 'json'], { cwd: root, encoding: 'utf8', env });
      assert.equal(child.status, 0, child.stderr);
      const [file] = JSON.parse(child.stdout) as { messages: { ruleId: string; line: number; message: string }[] }[];
      const budget = file.messages.filter((m) => m.ruleId === 'latent/budget-exceeded');
      assert.equal(budget.length, 1, child.stdout);
      assert.match(budget[0].message, /the file token budget \(150 tokens\) ran out/);
      assert.match(child.stderr, /latent-lint: \[1\/1\] big\.prompt\.md: \d+\/60 units scored by the latent guard \(\d+ tokens\) \(budget reached\)/);
      const bad = spawnSync(process.execPath, [BIN, 'check', '.', '--max-file-tokens', 'lots'], { cwd: root, encoding: 'utf8', env });
      assert.equal(bad.status, 2);
      assert.match(bad.stderr, /--max-file-tokens takes a whole number/);
    });

    it('Ctrl-C stops the run cleanly: the finished files reported, exit 130', async () => {
      const root = tempDir('latent-budget-int-');
      for (const name of ['a', 'b', 'c', 'd']) fs.writeFileSync(path.join(root, `${name}.prompt.md`), `${paragraphs(1500, name).join('\n\n')}\n`);
      const child = spawn(process.execPath, [BIN, 'check', '.', '--progress', '--max-file-tokens', '10000000'], { cwd: root, env });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      const signalled = new Promise<void>((resolve) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          // Interrupt once the guard is at work on a file.
          if (/units scored by the latent guard/.test(stderr) && !child.killed) {
            child.kill('SIGINT');
            resolve();
          }
        });
      });
      const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
      await signalled;
      const { code, signal } = await exit;
      assert.equal(signal, null, 'the process handles SIGINT itself');
      assert.equal(code, 130, stderr);
      assert.match(stderr, /latent-lint: interrupted; stopping/);
      assert.match(stderr, /latent-lint: interrupted after \d of 4 files; the report covers those only\./);
      assert.doesNotMatch(stderr, /internal error/);
      assert.ok(stdout === '' || /prompt\.md/.test(stdout), stdout);
    });
  });
});
