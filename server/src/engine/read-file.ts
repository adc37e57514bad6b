import * as fs from 'node:fs';
import type { FileResult } from '../core/types';

/**
 * A file's text, or the result that says why it is not linted (over `maxBytes`, binary). From disk
 * (its size looked at before it is read), or from `read` (a staged blob). Read errors reject.
 */
export async function readLintable(filePath: string, maxBytes: number, read?: () => Buffer): Promise<{ text: string } | { skipped: FileResult }> {
  const skipped = (note: string): { skipped: FileResult } => ({ skipped: { filePath, format: 'none', findings: [], unusedDirectives: [], notes: [note] } });
  const tooLarge = (size: number): { skipped: FileResult } => skipped(`Skipped: ${size} bytes is over the ${maxBytes}-byte limit for one file.`);
  if (!read) {
    const size = (await fs.promises.stat(filePath)).size;
    if (size > maxBytes) return tooLarge(size);
  }
  // Asynchronous: a scan reads several files at once.
  const bytes = read ? read() : await fs.promises.readFile(filePath);
  if (bytes.length > maxBytes) return tooLarge(bytes.length);
  if (bytes.subarray(0, 8000).includes(0)) return skipped('Skipped: binary file (it contains NUL bytes).');
  return { text: bytes.toString('utf8') };
}
