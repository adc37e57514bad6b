// What `check` lints: files from disk (paths expanded by the engine's walk) or blobs from the git
// index (--staged), each read with the engine's size and binary checks.
import * as path from 'node:path';
import type { FileResult } from '../core/types';
import type { Engine } from '../engine/engine';
import type { CheckOptions } from './check-options';
import { ExitError } from './exit-error';
import { GitError, stagedFiles } from './staged';

/** What to lint: files from disk (paths expanded), or blobs from the git index. */
export interface Target {
  filePath: string;
  explicit: boolean;
  /** Staged content; absent for files read from disk. */
  read?: () => Buffer;
  /** Not linted, with the reason (a symbolic link that points outside the folder). */
  skip?: FileResult;
}

export function diskTargets(engine: Engine, options: CheckOptions): Target[] {
  const { files, explicit, skipped: links } = engine.collectFiles(options.paths);
  const targets: Target[] = files.map((filePath) => ({ filePath, explicit: explicit.has(filePath) }));
  // A link the walk did not follow is reported (a note on that path), never dropped without a word.
  for (const link of links) targets.push({ filePath: link.filePath, explicit: false, skip: skipped(link.filePath, link.note) });
  return targets;
}

function skipped(filePath: string, note: string): FileResult {
  return { filePath, format: 'none', findings: [], unusedDirectives: [], notes: [note] };
}

/** Staged files under the named paths (all staged files when none are named). */
export function stagedTargets(options: CheckOptions): Target[] {
  const named = options.namedPaths.map((p) => path.resolve(p));
  const inside = (file: string, dir: string): boolean => file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
  try {
    return stagedFiles(process.cwd())
      .filter((staged) => named.length === 0 || named.some((dir) => inside(staged.filePath, dir)))
      .map((staged) => ({ filePath: staged.filePath, explicit: named.includes(staged.filePath), read: staged.read }));
  } catch (error) {
    if (error instanceof GitError) throw new ExitError(`--staged: ${error.message}`, 2);
    throw error;
  }
}

/** Reads a target's bytes (asynchronously, so several files are read at once), or says why it is not linted (too large, binary). */
export async function readTarget(engine: Engine, target: Target): Promise<{ text: string } | { skip: FileResult }> {
  try {
    const read = await engine.readFile(target.filePath, target.read);
    return 'skipped' in read ? { skip: read.skipped } : read;
  } catch (error) {
    // An unreadable file is one finding on that file; the others are still linted.
    const code = (error as NodeJS.ErrnoException).code;
    return { skip: engine.failedResult(target.filePath, `The file could not be read (${code ?? (error as Error).message}), so it was not linted.`) };
  }
}
