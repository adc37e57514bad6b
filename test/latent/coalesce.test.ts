// Files linted side by side share the guard's batches: requests that arrive while the model is busy
// go to it together, and an aborted one never reaches it.
import * as assert from 'node:assert/strict';
import type { LatentBackend } from '../../server/src/latent/client';
import { LatentGuardService } from '../../server/src/latent/guard';
import type { UnitScore } from '../../server/src/latent/signals';
import type { OpenInfo } from '../../server/src/latent/worker-protocol';
import { filesInFlight, mapInOrder } from '../../server/src/engine/pool';

/** A score whose probability encodes the text, so answers can be matched to questions. */
function scoreOf(text: string): UnitScore {
  return { probability: text.length / 1000, logit: 0, baseline: 0, layers: [], harm: [], refusal: [], refusalZ: 0, refusalSuppressed: false, categoryScores: [], topLayers: [], concepts: [], tokens: text.length, truncated: false, window: 0, windows: [] };
}

/** A backend that records each request and holds it until released. */
class GatedBackend implements LatentBackend {
  readonly requests: string[][] = [];
  private gates: (() => void)[] = [];

  async open(): Promise<OpenInfo> {
    return { identity: { modelName: 'fake', graph: 'fake', graphSha256: 'g'.repeat(64), guardSha256: 'h'.repeat(64), layers: 1, threshold: 0.5, minWords: 1 }, warnings: [] };
  }

  async score(texts: string[]): Promise<UnitScore[]> {
    this.requests.push(texts);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return texts.map(scoreOf);
  }

  /** Lets every request that reached the model so far finish. */
  release(): void {
    for (const gate of this.gates.splice(0)) gate();
  }

  explain(): never {
    throw new Error('not used');
  }

  async close(): Promise<void> {}
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('latent guard: concurrent requests share batches', () => {
  it('sends the requests that waited behind a busy model as one, each answered with its own scores', async () => {
    const backend = new GatedBackend();
    const service = new LatentGuardService({ backend, cache: { dir: null } });
    const first = service.scoreTexts(['alpha one']);
    await tick();
    const second = service.scoreTexts(['bravo two', 'charlie three']);
    const third = service.scoreTexts(['delta four', 'bravo two']);
    await tick();
    assert.deepEqual(backend.requests, [['alpha one']], 'the model is busy: the others wait');
    backend.release();
    await first;
    await tick();
    assert.deepEqual(backend.requests[1], ['bravo two', 'charlie three', 'delta four'], 'one request for both, each text once');
    backend.release();
    assert.deepEqual(
      (await second).map((s) => s.probability),
      ['bravo two', 'charlie three'].map((t) => t.length / 1000),
    );
    assert.deepEqual(
      (await third).map((s) => s.probability),
      ['delta four', 'bravo two'].map((t) => t.length / 1000),
    );
    assert.equal(backend.requests.length, 2);
    await service.dispose();
  });

  it('drops a waiting request whose signal aborted before it reaches the model', async () => {
    const backend = new GatedBackend();
    const service = new LatentGuardService({ backend, cache: { dir: null } });
    const first = service.scoreTexts(['alpha one']);
    await tick();
    const controller = new AbortController();
    const dropped = service.scoreTexts(['echo five'], controller.signal);
    const kept = service.scoreTexts(['foxtrot six']);
    await tick();
    controller.abort();
    backend.release();
    await first;
    await assert.rejects(dropped, { name: 'AbortError' });
    await tick();
    backend.release();
    assert.equal((await kept)[0].probability, 'foxtrot six'.length / 1000);
    assert.deepEqual(backend.requests, [['alpha one'], ['foxtrot six']]);
    await service.dispose();
  });
  it('answers a request aborted in flight at once, while the others in its batch carry on', async () => {
    const backend = new GatedBackend();
    const service = new LatentGuardService({ backend, cache: { dir: null } });
    const first = service.scoreTexts(['alpha one']);
    await tick();
    const controller = new AbortController();
    const aborted = service.scoreTexts(['golf seven'], controller.signal);
    const other = service.scoreTexts(['hotel eight']);
    await tick();
    backend.release();
    await first;
    await tick();
    assert.deepEqual(backend.requests[1], ['golf seven', 'hotel eight'], 'both in flight together');
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    backend.release();
    assert.equal((await other)[0].probability, 'hotel eight'.length / 1000);
    await service.dispose();
  });
});

describe('mapInOrder (files side by side)', () => {
  it('runs at most `limit` at once and returns results in the items\' order', async () => {
    let running = 0;
    let peak = 0;
    const delays = [30, 5, 20, 1, 10, 2, 15];
    const out = await mapInOrder(delays, 3, async (ms, i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, ms));
      running--;
      return i * 10;
    });
    assert.deepEqual(out, [0, 10, 20, 30, 40, 50, 60]);
    assert.equal(peak, 3);
    assert.ok(filesInFlight(1) >= 8 && filesInFlight(16) === 64);
  });

  it('throws the first failure after the running work settles, and starts nothing after it', async () => {
    const started: number[] = [];
    await assert.rejects(
      mapInOrder([0, 1, 2, 3, 4, 5], 2, async (item) => {
        started.push(item);
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (item === 1) throw new Error('boom');
        return item;
      }),
      /boom/,
    );
    assert.ok(!started.includes(4) && !started.includes(5), `started ${started.join(', ')}`);
  });
});
