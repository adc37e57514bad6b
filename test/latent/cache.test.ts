// The score cache's disk part has limits (#17 item 7): entries past the age limit go, then the least
// recently used until the folder fits its cap; a read counts as a use. And the server clears the
// performance entries a dependency leaves behind.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { diskUsage, ScoreCache } from '../../server/src/latent/cache';
import type { UnitScore } from '../../server/src/latent/signals';
import { clearPerformanceEntriesEvery } from '../../server/src/lsp/performance';

const score = (probability: number): UnitScore => ({
  probability,
  logit: 0,
  baseline: 0,
  layers: [0, 1],
  harm: [0.1, 0.2],
  refusal: [0.3, 0.4],
  refusalZ: 0,
  refusalSuppressed: false,
  categoryScores: [],
  topLayers: [],
  tokens: 12,
  truncated: false,
  concepts: [],
  window: 0,
  windows: [],
});

function diskBytes(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const shard of fs.readdirSync(dir)) {
    for (const name of fs.readdirSync(path.join(dir, shard))) {
      files++;
      bytes += diskUsage(fs.statSync(path.join(dir, shard, name)));
    }
  }
  return { files, bytes };
}

/** What one entry takes on disk here: a whole block on most file systems, whatever its length. */
function entryDiskBytes(dir: string): number {
  const probe = path.join(dir, 'probe.json');
  fs.writeFileSync(probe, JSON.stringify(score(0.5)));
  const bytes = diskUsage(fs.statSync(probe));
  fs.rmSync(probe);
  return bytes;
}

describe('score cache limits (#17)', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-scores-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps the disk folder under its cap in disk blocks, dropping the least recently used first', () => {
    const entryBytes = entryDiskBytes(dir);
    const cache = new ScoreCache('scope', { dir, maxDiskBytes: entryBytes * 20, pruneEvery: 1_000_000 });
    const old = Date.now() / 1000 - 3600;
    for (let i = 0; i < 100; i++) {
      cache.set(`text ${i}`, score(i / 100));
      // Spread the writes in time so "least recently used" is well defined.
      const file = path.join(dir, cache.key(`text ${i}`).slice(0, 2), `${cache.key(`text ${i}`)}.json`);
      fs.utimesSync(file, old + i, old + i);
    }
    // Read an early entry back from disk (a fresh cache has nothing in memory): it becomes recent.
    const reader = new ScoreCache('scope', { dir, maxDiskBytes: entryBytes * 20, pruneEvery: 1_000_000 });
    assert.equal(reader.get('text 2')?.probability, 0.02, 'an old entry is read back from disk');
    const { bytes } = reader.prune();
    const after = diskBytes(dir);
    assert.ok(after.bytes <= entryBytes * 20, `${after.bytes} bytes on disk, cap ${entryBytes * 20}`);
    assert.equal(after.bytes, bytes);
    assert.ok(after.files >= 15, `${after.files} entries kept`);
    const fresh = new ScoreCache('scope', { dir, pruneEvery: 1_000_000 });
    assert.equal(fresh.get('text 2')?.probability, 0.02, 'the entry just read survives: a read is a use');
    assert.equal(fresh.get('text 99')?.probability, 0.99, 'the newest entry survives');
    assert.equal(fresh.get('text 3'), undefined, 'an old, unused entry is evicted');
  });

  it('prunes on its own as it writes', () => {
    const entryBytes = entryDiskBytes(dir);
    const cache = new ScoreCache('scope', { dir, maxDiskBytes: entryBytes * 5, pruneEvery: 10 });
    for (let i = 0; i < 30; i++) cache.set(`text ${i}`, score(i / 100));
    // Pruned at the 1st, 11th and 21st writes: at most 5 kept then, plus the 9 written since.
    const { files } = diskBytes(dir);
    assert.ok(files <= 14, `${files} entries on disk`);
  });

  it('drops entries unused for longer than the age limit', () => {
    const cache = new ScoreCache('scope', { dir, maxAgeMs: 24 * 3600 * 1000, pruneEvery: 1_000_000 });
    cache.set('stale', score(0.1));
    cache.set('current', score(0.2));
    const stale = path.join(dir, cache.key('stale').slice(0, 2), `${cache.key('stale')}.json`);
    const twoDaysAgo = Date.now() / 1000 - 2 * 24 * 3600;
    fs.utimesSync(stale, twoDaysAgo, twoDaysAgo);
    assert.equal(cache.prune().removed, 1);
    const fresh = new ScoreCache('scope', { dir, pruneEvery: 1_000_000 });
    assert.equal(fresh.get('stale'), undefined);
    assert.equal(fresh.get('current')?.probability, 0.2);
  });

  it('the server clears performance marks a dependency leaves behind', async () => {
    const stop = clearPerformanceEntriesEvery(20);
    try {
      for (let i = 0; i < 1000; i++) performance.mark(`dependency-mark-${i}`);
      assert.ok(performance.getEntriesByType('mark').length >= 1000);
      await new Promise((resolve) => setTimeout(resolve, 80));
      assert.equal(performance.getEntriesByType('mark').filter((entry) => entry.name.startsWith('dependency-mark-')).length, 0);
    } finally {
      stop();
    }
  });
});
