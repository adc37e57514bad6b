// The CLI's --cache: results keyed by content (not mtime: a git clone resets mtimes), so a file is
// re-linted only when its text, its resolved configuration, the engine or the latent setting changed.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileResult } from './core/types';

const CACHE_FORMAT = 1;

interface CacheFile {
  format: number;
  entries: Record<string, { key: string; result: Omit<FileResult, 'filePath'> }>;
}

/** What besides the text decides a file's result. */
export interface CacheKeyParts {
  text: string;
  config: unknown;
  engineVersion: string;
  latent: boolean;
}

export function cacheKey(parts: CacheKeyParts): string {
  return createHash('sha256')
    .update(parts.text)
    .update('\0')
    .update(JSON.stringify(parts.config))
    .update('\0')
    .update(parts.engineVersion)
    .update('\0')
    .update(parts.latent ? 'latent' : 'rules-only')
    .digest('hex');
}

/** A hash of the running bundle: the rules live in it, so any change to them changes the key. */
export function engineVersion(version: string): string {
  try {
    return `${version}+${createHash('sha256').update(fs.readFileSync(__filename)).digest('hex').slice(0, 16)}`;
  } catch {
    return version;
  }
}

export class ResultCache {
  private readonly data: CacheFile;
  private dirty = false;
  hits = 0;
  misses = 0;

  constructor(readonly location: string) {
    this.data = ResultCache.read(location);
  }

  private static read(location: string): CacheFile {
    try {
      const parsed = JSON.parse(fs.readFileSync(location, 'utf8')) as CacheFile;
      if (parsed.format === CACHE_FORMAT && parsed.entries && typeof parsed.entries === 'object') return parsed;
    } catch {
      // Missing or unreadable: start empty, as ESLint does.
    }
    return { format: CACHE_FORMAT, entries: {} };
  }

  get(filePath: string, key: string): FileResult | undefined {
    const entry = this.data.entries[filePath];
    if (entry?.key !== key) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return { filePath, ...structuredClone(entry.result) };
  }

  set(filePath: string, key: string, result: FileResult): void {
    const { filePath: _ignored, ...rest } = result;
    this.data.entries[filePath] = { key, result: structuredClone(rest) };
    this.dirty = true;
  }

  /** Writes atomically, so an interrupted run never leaves half a cache. */
  save(): void {
    if (!this.dirty) return;
    fs.mkdirSync(path.dirname(this.location), { recursive: true });
    const temporary = `${this.location}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, JSON.stringify(this.data));
    fs.renameSync(temporary, this.location);
  }
}
