// Watching the model's files while the guard is unavailable, so it loads without a reload once they
// are there (by polling names, sizes and times, which works for folders that do not exist yet).
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Calls `onSettled` once what is at `paths` has changed and then stayed the same for one interval (a
 * copy of 0.5 GB takes a while). Returns a function that stops watching.
 */
export function watchSettled(paths: string[], intervalMs: number, onSettled: () => void): () => void {
  let seen = fingerprint(paths);
  let changed = false;
  const timer = setInterval(() => {
    const now = fingerprint(paths);
    if (now !== seen) {
      seen = now;
      changed = true;
      return;
    }
    if (!changed) return;
    changed = false;
    onSettled();
  }, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** Names, sizes and times of what is at `paths` (one level into folders): it changes when files come or go. */
function fingerprint(paths: string[]): string {
  return paths
    .map((entry) => {
      try {
        const stat = fs.statSync(entry);
        if (!stat.isDirectory()) return `${entry}:${stat.size}:${stat.mtimeMs}`;
        const children = fs
          .readdirSync(entry)
          .sort()
          .map((name) => {
            try {
              const child = fs.statSync(path.join(entry, name));
              return `${name}:${child.size}:${child.mtimeMs}`;
            } catch {
              return name;
            }
          });
        return `${entry}/[${children.join(',')}]`;
      } catch {
        return `${entry}:absent`;
      }
    })
    .join('\n');
}
