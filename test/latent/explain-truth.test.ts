// One source of truth, on the real model: the Latent Explorer's verdict is the editor's diagnostic.
// For each fixture text (two harmful requests, an injection in a tool description, a jailbreak
// wrapper, a benign look-alike) in a prompt file, the engine lints it with the guard and the guard
// explains the unit: flagged === latent/harmful-request present, the same probability, and the
// detector's terms (bias + Σ probes) add up to the logit it was scored with.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Engine } from '../../server/src/engine/engine';
import { createLatentGuard, type LatentGuard } from '../../server/src/latent/latent-guard';
import { FIXTURE_TEXTS } from '../fixtures/explain/generate';
import { REAL_DIR, ROOT, tempDir } from './tiny';

const HARMFUL = 'latent/harmful-request';

if (process.env.LATENT_LINT_SKIP_MODEL !== '1') {
  describe('Latent Explorer verdict = diagnostic (SmolLM2-135M-Instruct)', function () {
    this.timeout(300_000);
    let guard: LatentGuard;

    before(() => {
      if (!fs.existsSync(path.join(REAL_DIR, 'model_config.json'))) throw new Error(`The SmolLM2 model is not built (${REAL_DIR}). Run \`npm run build:model\`.`);
      guard = createLatentGuard({ mode: 'in-process', modelDir: REAL_DIR, guardPath: path.join(ROOT, 'models', 'latent-guard.json'), cache: { dir: null } });
    });
    after(() => guard?.dispose());

    for (const threshold of [undefined, 0.5]) {
      it(`agrees on every fixture ${threshold === undefined ? 'at the guard’s threshold' : `at a file threshold of ${threshold}`}`, async () => {
        const dir = tempDir('latent-truth-');
        if (threshold !== undefined) fs.writeFileSync(path.join(dir, '.latentlint.yaml'), `root: true\nlatent:\n  threshold: ${threshold}\n`);
        const file = path.join(dir, 'fixtures.prompt.md');
        const texts = Object.values(FIXTURE_TEXTS);
        fs.writeFileSync(file, texts.join('\n\n') + '\n');
        const engine = new Engine({ scorer: guard });
        const run = await engine.lint(file, fs.readFileSync(file, 'utf8'), { latent: true });
        const result = await run.latent();
        const units = run.document?.units ?? [];
        const seen: string[] = [];
        for (const text of texts) {
          const unit = units.find((u) => u.text.trim() === text);
          assert.ok(unit, `a unit for ${text}`);
          const finding = result.findings.find((f) => f.ruleId === HARMFUL && f.span.start >= unit.span.start && f.span.end <= unit.span.end);
          const explained = await guard.explain(unit.text, { threshold: engine.configs.resolveForFile(file).latent.threshold });
          assert.equal(explained.verdict.flagged, finding !== undefined, `${text}: panel ${explained.verdict.flagged ? 'flagged' : 'clear'} (${explained.verdict.probability}), editor ${finding ? 'shows' : 'does not show'} ${HARMFUL}`);
          if (threshold !== undefined) assert.equal(explained.verdict.threshold, threshold);
          if (finding) assert.equal((finding.data as { probability: number }).probability, Math.round(explained.verdict.probability * 1e4) / 1e4);
          const [detector] = explained.readouts;
          const sum = detector.bias + detector.terms.reduce((total, term) => total + term.value, 0);
          assert.ok(Math.abs(sum - explained.verdict.logit) < 1e-3, `${text}: terms sum to ${sum}, logit ${explained.verdict.logit}`);
          assert.deepEqual(detector.terms.map((t) => `${t.layer}/${t.position}`), ['8/inst', '11/inst', '14/inst', '8/postInst', '11/postInst', '14/postInst']);
          assert.equal(explained.model.graph, 'guard (14 layers) + prefix cache');
          assert.equal(explained.layers.length, 14);
          // The span exists exactly when the verdict is flagged.
          assert.equal(explained.span !== undefined, explained.verdict.flagged);
          // Mediation, measured on the mediation graph: its unablated row is the scored logit; the top
          // neurons by direct effect, ablated, lower the logit of a flagged text; gates are exactly the
          // smallest top-k set whose ablation flips the verdict.
          const m = explained.mediation;
          assert.ok(m, 'the build has a mediation graph (npm run build:model runs models/build_mediation.py)');
          assert.ok(Math.abs(m.logit - explained.verdict.logit) < 1e-3, `mediation logit ${m.logit} vs ${explained.verdict.logit}`);
          assert.equal(m.effects.length, 14);
          // The cumulative (telescoping) path, in layer order and in reverse order, each adds up to the
          // all-at-once effect by construction, and so does their average, which the explorer shows; the
          // single effects stay beside it (they overlap, so their sum is not the total).
          assert.equal(m.cumulative.length, 14);
          const add = (parts: { attention: number; mlp: number }[], key?: 'attention' | 'mlp'): number => parts.reduce((total, e) => total + (key ? e[key] : e.attention + e.mlp), 0);
          const shareOf = (parts: { attention: number; mlp: number }[]): number => Math.abs(add(parts, 'mlp')) / (Math.abs(add(parts, 'mlp')) + Math.abs(add(parts, 'attention')));
          const cumulative = add(m.cumulative);
          assert.ok(Math.abs(cumulative - m.total) < 1e-3, `${text}: averaged cumulative effects sum to ${cumulative}, total ${m.total}`);
          for (const [name, parts] of [['layer order', m.cumulativeForward], ['reverse order', m.cumulativeReverse]] as const) {
            assert.equal(parts.length, 14);
            assert.ok(Math.abs(add(parts) - m.total) < 1e-3, `${text}: ${name} effects sum to ${add(parts)}, total ${m.total}`);
          }
          m.cumulative.forEach((e, i) => {
            const f = m.cumulativeForward[i];
            const r = m.cumulativeReverse[i];
            assert.ok(e.layer === f.layer && e.layer === r.layer && Math.abs(e.attention - (f.attention + r.attention) / 2) < 1e-9 && Math.abs(e.mlp - (f.mlp + r.mlp) / 2) < 1e-9, `layer ${e.layer} is the two orders' mean`);
          });
          const cumulativeMlp = add(m.cumulative, 'mlp');
          assert.ok(Math.abs(m.mlpShare - shareOf(m.cumulative)) < 1e-9, `the summary's MLP share is the averaged path's`);
          assert.ok(Math.abs(m.mlpShareForward - shareOf(m.cumulativeForward)) < 1e-9 && Math.abs(m.mlpShareReverse - shareOf(m.cumulativeReverse)) < 1e-9);
          assert.ok(m.effects.every((e) => Number.isFinite(e.attention) && Number.isFinite(e.mlp)) && m.singleMlpShare > 0);
          const gateK = m.neurons.find((c) => c.flips)?.k ?? 0;
          assert.equal(explained.neurons.filter((n) => n.gate).length, Math.min(gateK, explained.neurons.length));
          if (explained.verdict.flagged) assert.ok(m.neurons.every((c) => c.delta < 0), JSON.stringify(m.neurons));
          const single = m.effects.reduce((total, e) => total + e.attention + e.mlp, 0);
          if (threshold === undefined) {
            console.log(
              `      ${explained.verdict.flagged ? 'flagged' : 'clear  '} p=${explained.verdict.probability.toFixed(4)} logit ${explained.verdict.logit.toFixed(2)}; ` +
                `all at once ${m.total.toFixed(2)}; Σ single ${single.toFixed(1)} (${(single / m.total).toFixed(2)}×, MLP ${(m.singleMlpShare * 100).toFixed(0)} % of |effect|); ` +
                `Σ cumulative (average) ${cumulative.toFixed(4)} (${(cumulative / m.total).toFixed(5)}×; MLP ${cumulativeMlp.toFixed(1)} + attention ${(cumulative - cumulativeMlp).toFixed(1)}); ` +
                `MLP share layer order ${(m.mlpShareForward * 100).toFixed(0)} %, reverse ${(m.mlpShareReverse * 100).toFixed(0)} %, average ${(m.mlpShare * 100).toFixed(0)} %; ` +
                `top-k neurons ${m.neurons.map((c) => `${c.k}: ${c.delta.toFixed(2)}${c.flips ? ' flips' : ''}`).join(', ')}; ${m.ms.toFixed(0)} ms — ${text.slice(0, 40)}…`,
            );
          }
          seen.push(`${explained.verdict.flagged ? 'flagged' : 'clear'}`);
        }
        // Both outcomes occur, so the agreement is not trivially one-sided.
        assert.ok(seen.includes('flagged') && seen.includes('clear'), seen.join(', '));
        fs.rmSync(dir, { recursive: true, force: true });
      });
    }
  });
}
