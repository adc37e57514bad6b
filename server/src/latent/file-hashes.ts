// Content hashes of the model's files, and stamps that remember a file already matched its sha256 so a
// start does not re-hash 230 MB (each stamp re-checks a sample of the file's blocks).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheRoot } from './model-paths';

export function sha256File(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let read: number;
    while ((read = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) hash.update(buffer.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Blocks read for a stamp's content sample: first, last and evenly spaced between (1 MiB in all). */
const SAMPLE_BLOCKS = 16;
const SAMPLE_BYTES = 64 * 1024;

/** sha256 of SAMPLE_BLOCKS blocks spread over the file: a few ms, and it changes when a sampled block does. */
export function sampleSha256(file: string): string {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buffer = Buffer.allocUnsafe(SAMPLE_BYTES);
    const last = Math.max(0, size - SAMPLE_BYTES);
    for (let block = 0; block < SAMPLE_BLOCKS; block++) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, Math.floor((last * block) / (SAMPLE_BLOCKS - 1)));
      hash.update(buffer.subarray(0, read));
    }
    hash.update(String(size));
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

/** Where the stamp for a file in its current state would be (the key changes with any write or touch). */
function stampPath(file: string, expected: string): string {
  const stat = fs.statSync(file);
  // ctime is part of the key: a write, a truncate or a touch that puts mtime back all move it, and no
  // unprivileged call can set it, so the stamp cannot outlive an in-place edit of the file.
  const key = sha256Text(`${path.resolve(file)}|${stat.dev}|${stat.ino}|${stat.size}|${stat.mtimeMs}|${stat.ctimeMs}|${expected}`);
  return path.join(cacheRoot(), 'verified', key);
}

/**
 * Whether the file's sha256 is `expected`. Hashing the 230 MB scoring graph takes 0.45 s here (1.05 s
 * for a 538 MB graph, 3.3 s cold from disk), so a stamp remembers files that matched: keyed by path,
 * device, inode, size, mtime and ctime, it holds a hash of sampled blocks that is checked again on
 * every use. The graph onnxruntime loads is hashed in full once more as it is read (model.ts), so a
 * change no stamp sees (a bit flipped on disk) still stops the load.
 */
export function verifiedSha256(file: string, expected: string): boolean {
  const stamp = stampPath(file, expected);
  try {
    if (fs.readFileSync(stamp, 'utf8').split('\n')[1] === sampleSha256(file)) return true;
  } catch {
    // No stamp yet (or unreadable): hash in full below.
  }
  if (sha256File(file) !== expected) return false;
  try {
    fs.mkdirSync(path.dirname(stamp), { recursive: true });
    fs.writeFileSync(stamp, `${file}\n${sampleSha256(file)}\n`);
  } catch {
    // A read-only cache only costs the next start a re-hash.
  }
  return true;
}

/** Forgets that a file matched (its full hash just failed): the next start hashes it again. */
export function forgetVerified(file: string, expected: string): void {
  try {
    fs.rmSync(stampPath(file, expected), { force: true });
  } catch {
    // Nothing to forget.
  }
}
