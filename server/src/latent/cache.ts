// Score cache: an in-memory LRU in front of one small JSON file per text on disk, keyed by
// sha256(score format + graph sha + guard-file sha + text). An edit re-scores only the units that
// changed, and a warm re-scan (a new CLI run, a reloaded window) is served from disk.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheRoot, sha256Text } from './model-files';
import type { UnitScore } from './signals';

/**
 * The shape and meaning of a cached UnitScore. Part of every key, so a change in how units are scored
 * (2: concepts, and long units read in windows instead of cut) never serves an older entry.
 */
export const SCORE_FORMAT = 2;

export interface ScoreCacheOptions {
  /** Folder for the disk cache; default ~/.cache/latent-lint/scores; null turns the disk cache off. */
  dir?: string | null;
  /** Entries kept in memory (default 5000). */
  capacity?: number;
}

export class ScoreCache {
  private readonly memory = new Map<string, UnitScore>();
  private readonly capacity: number;
  readonly dir: string | null;
  hits = 0;
  misses = 0;

  constructor(
    private readonly scope: string,
    options: ScoreCacheOptions = {},
  ) {
    this.capacity = options.capacity ?? 5000;
    this.dir = options.dir === null ? null : (options.dir ?? path.join(cacheRoot(), 'scores'));
  }

  key(text: string): string {
    return sha256Text(`${SCORE_FORMAT}\n${this.scope}\n${text}`);
  }

  get(text: string): UnitScore | undefined {
    const key = this.key(text);
    let score = this.memory.get(key);
    if (score) {
      // Refresh its place in the LRU order.
      this.memory.delete(key);
      this.memory.set(key, score);
    } else if (this.dir) {
      try {
        score = JSON.parse(fs.readFileSync(this.fileFor(key), 'utf8')) as UnitScore;
        this.remember(key, score);
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
    this.remember(key, score);
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
  }

  private remember(key: string, score: UnitScore): void {
    this.memory.delete(key);
    this.memory.set(key, score);
    while (this.memory.size > this.capacity) this.memory.delete(this.memory.keys().next().value as string);
  }

  private fileFor(key: string): string {
    return path.join(this.dir as string, key.slice(0, 2), `${key}.json`);
  }
}
