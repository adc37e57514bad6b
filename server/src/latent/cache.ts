// Score cache: an in-memory LRU (lru-cache) in front of one small JSON file per text on disk, keyed by
// sha256(score format + graph sha + guard-file sha + text). An edit re-scores only the units that
// changed, and a warm re-scan (a new CLI run, a reloaded window) is served from disk. The disk part
// is capped in size and age: a read refreshes an entry's mtime, and pruning drops entries past the
// age limit, then the least recently used until the folder fits.
import * as fs from 'node:fs';
import * as path from 'node:path';
import LRUCache from 'lru-cache';
import { sha256Text } from './file-hashes';
import { cacheRoot } from './model-paths';
import type { UnitScore } from './signals';

/**
 * The shape and meaning of a cached UnitScore. Part of every key, so a change in how units are scored
 * (2: concepts, and long units read in windows instead of cut; 3: sentences read alone) never serves
 * an older entry.
 */
export const SCORE_FORMAT = 3;

export interface ScoreCacheOptions {
  /** Folder for the disk cache; default ~/.cache/latent-lint/scores; null turns the disk cache off. */
  dir?: string | null;
  /** Entries kept in memory (default 5000, at least 1: lru-cache reads 0 as no limit). */
  capacity?: number;
  /** Disk cap in bytes (default: $LATENT_LINT_SCORE_CACHE_MB megabytes, else 64 MB). */
  maxDiskBytes?: number;
  /** Entries unused for longer are dropped (default 30 days). */
  maxAgeMs?: number;
  /** Prune after this many writes (default 500); the first write of a process prunes too. */
  pruneEvery?: number;
}

const DAY = 24 * 60 * 60 * 1000;

function defaultMaxDiskBytes(): number {
  const mb = Number(process.env.LATENT_LINT_SCORE_CACHE_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : 64) * 1024 * 1024;
}

export class ScoreCache {
  private readonly memory: LRUCache<string, UnitScore>;
  private readonly maxDiskBytes: number;
  private readonly maxAgeMs: number;
  private readonly pruneEvery: number;
  private writesSincePrune: number;
  readonly dir: string | null;
  hits = 0;
  misses = 0;

  constructor(
    private readonly scope: string,
    options: ScoreCacheOptions = {},
  ) {
    this.memory = new LRUCache({ max: Math.max(1, options.capacity ?? 5000) });
    this.dir = options.dir === null ? null : (options.dir ?? path.join(cacheRoot(), 'scores'));
    this.maxDiskBytes = options.maxDiskBytes ?? defaultMaxDiskBytes();
    this.maxAgeMs = options.maxAgeMs ?? 30 * DAY;
    this.pruneEvery = options.pruneEvery ?? 500;
    this.writesSincePrune = this.pruneEvery;
  }

  key(text: string): string {
    return sha256Text(`${SCORE_FORMAT}\n${this.scope}\n${text}`);
  }

  get(text: string): UnitScore | undefined {
    const key = this.key(text);
    // A memory hit becomes the most recently used.
    let score = this.memory.get(key);
    if (!score && this.dir) {
      try {
        const file = this.fileFor(key);
        score = JSON.parse(fs.readFileSync(file, 'utf8')) as UnitScore;
        this.memory.set(key, score);
        // A read is a use: the disk LRU orders entries by mtime.
        const now = new Date();
        fs.utimesSync(file, now, now);
      } catch {
        score = undefined;
      }
    }
    if (score) this.hits++;
    else this.misses++;
    return score;
  }

  set(text: string, score: UnitScore): void {
    const key = this.key(text);
    this.memory.set(key, score);
    if (!this.dir) return;
    const file = this.fileFor(key);
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // Write then rename: a reader never sees half a file, even with two processes scanning.
      const temp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(temp, JSON.stringify(score));
      fs.renameSync(temp, file);
    } catch {
      // A read-only or full disk only costs a re-score next time.
    }
    if (++this.writesSincePrune >= this.pruneEvery) this.prune();
  }

  /** Drops entries unused for longer than the age limit, then the least recently used past the size cap (counted in disk blocks). */
  prune(now = Date.now()): { removed: number; bytes: number } {
    this.writesSincePrune = 0;
    if (!this.dir) return { removed: 0, bytes: 0 };
    const entries: { file: string; size: number; mtime: number }[] = [];
    let shards: string[] = [];
    try {
      shards = fs.readdirSync(this.dir);
    } catch {
      return { removed: 0, bytes: 0 };
    }
    for (const shard of shards) {
      const folder = path.join(this.dir, shard);
      let names: string[] = [];
      try {
        names = fs.readdirSync(folder);
      } catch {
        continue;
      }
      for (const name of names) {
        const file = path.join(folder, name);
        try {
          const stat = fs.statSync(file);
          if (stat.isFile()) entries.push({ file, size: diskUsage(stat), mtime: stat.mtimeMs });
        } catch {
          // Removed by another process meanwhile.
        }
      }
    }
    entries.sort((a, b) => b.mtime - a.mtime);
    let bytes = 0;
    let removed = 0;
    for (const entry of entries) {
      const tooOld = now - entry.mtime > this.maxAgeMs;
      if (tooOld || bytes + entry.size > this.maxDiskBytes) {
        try {
          fs.unlinkSync(entry.file);
          removed++;
        } catch {
          // Another process pruned it first.
        }
      } else {
        bytes += entry.size;
      }
    }
    return { removed, bytes };
  }

  private fileFor(key: string): string {
    return path.join(this.dir as string, key.slice(0, 2), `${key}.json`);
  }
}

/** What a file takes on disk: a 500-byte entry fills a whole block (4 KB on most file systems). */
export function diskUsage(stat: fs.Stats): number {
  return Math.max(stat.size, stat.blocks * 512);
}
