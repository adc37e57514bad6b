// The CLI's --staged: the files as they sit in the git index, which is what a commit will contain.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export class GitError extends Error {}

function git(args: string[], cwd: string): Buffer {
  const child = spawnSync('git', args, { cwd, maxBuffer: 256 * 1024 * 1024 });
  if (child.error) throw new GitError(`cannot run git: ${child.error.message}`);
  if (child.status !== 0) throw new GitError(`git ${args[0]} failed: ${child.stderr.toString().trim() || `exit ${child.status}`}`);
  return child.stdout;
}

export interface StagedFile {
  /** Absolute path in the working tree. */
  filePath: string;
  /** The staged blob; not read until asked. */
  read(): Buffer;
}

/** Added, copied, modified and renamed files in the index (deleted ones have nothing to lint). */
export function stagedFiles(cwd: string): StagedFile[] {
  const root = git(['rev-parse', '--show-toplevel'], cwd).toString().trim();
  const names = git(['diff', '--cached', '--name-only', '--diff-filter=ACMR', '-z'], root)
    .toString('utf8')
    .split('\0')
    .filter((name) => name.length > 0);
  return names.map((name) => ({
    filePath: path.join(root, ...name.split('/')),
    read: () => git(['show', `:${name}`], root),
  }));
}
