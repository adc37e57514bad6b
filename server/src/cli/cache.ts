// The CLI's --cache: results keyed by content (not mtime: a git clone resets mtimes), so a file is
// re-linted only when its text, its resolved configuration, the engine or the latent setting changed.
// Every entry is signed (HMAC-SHA256) with a key that belongs to the user and lives outside the
// repository, so a .latentlintcache edited, committed or copied from elsewhere is a miss, never a
// way to drop findings; the file stays where ESLint users look for it (--cache-location moves it).
import { createHash, createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FileResult } from '../core/types';
import { cacheRoot } from '../latent/model-paths';

/** 2: entries signed. A format-1 file (unsigned) is read as empty. */
const CACHE_FORMAT = 2;

interface CacheEntry {
  key: string;
  result: Omit<FileResult, 'filePath'>;
  /** HMAC-SHA256 of the path, key and result under the user's key. */
  mac: string;
}

interface CacheFile {
  format: number;
  entries: Record<string, CacheEntry>;
}

/** Where the user's signing key lives: $LATENT_LINT_CACHE/check-cache.key (default ~/.cache/latent-lint). */
export function signingKeyPath(): string {
  return path.join(cacheRoot(), 'check-cache.key');
}

/** The user's signing key, made on first use (readable by the user only). */
function signingKey(): Buffer {
  const file = signingKeyPath();
  try {
    const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
    if (key.length >= 32) return key;
  } catch {
    // Not made yet.
  }
  const key = randomBytes(32);
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // wx: two first runs at once keep whichever key was written first.
    fs.writeFileSync(file, key.toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch {
    try {
      const written = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'hex');
      if (written.length >= 32) return written;
    } catch {
      // A read-only cache folder: this run's key only, so nothing on disk is trusted.
    }
  }
  return key;
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
  private readonly secret: Buffer;
  private dirty = false;
  hits = 0;
  misses = 0;

  constructor(readonly location: string) {
    this.data = ResultCache.read(location);
    this.secret = signingKey();
  }

  private mac(filePath: string, key: string, result: string): string {
    return createHmac('sha256', this.secret).update(filePath).update('\0').update(key).update('\0').update(result).digest('hex');
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
    // An entry someone edited (or signed with another user's key) is a miss: the file is linted again.
    if (entry?.key !== key || typeof entry.mac !== 'string' || entry.mac !== this.mac(filePath, key, JSON.stringify(entry.result))) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return { filePath, ...structuredClone(entry.result) };
  }

  set(filePath: string, key: string, result: FileResult): void {
    const { filePath: _ignored, ...rest } = result;
    const copy = structuredClone(rest);
    this.data.entries[filePath] = { key, result: copy, mac: this.mac(filePath, key, JSON.stringify(copy)) };
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
