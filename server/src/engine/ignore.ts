import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';

export const IGNORE_FILE_NAME = '.latentlintignore';

interface IgnoreLayer {
  base: string;
  matcher: Ignore;
}

/** `.latentlintignore` files (gitignore syntax) from a file's folder up to the root, plus config patterns. */
export class IgnoreResolver {
  private readonly cache = new Map<string, IgnoreLayer | null>();

  clear(): void {
    this.cache.clear();
  }

  private layerIn(dir: string): IgnoreLayer | null {
    const cached = this.cache.get(dir);
    if (cached !== undefined) return cached;
    let layer: IgnoreLayer | null = null;
    try {
      const text = fs.readFileSync(path.join(dir, IGNORE_FILE_NAME), 'utf8');
      layer = { base: dir, matcher: ignore().add(text) };
    } catch {
      layer = null;
    }
    this.cache.set(dir, layer);
    return layer;
  }

  /** The ignore files that apply to a path: from its folder up to the root. */
  filesFor(target: string): string[] {
    const files: string[] = [];
    let dir = path.dirname(path.resolve(target));
    for (;;) {
      const layer = this.layerIn(dir);
      if (layer) files.push(path.join(layer.base, IGNORE_FILE_NAME));
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    return files;
  }

  /** True if the path (file or folder) is ignored. */
  isIgnored(target: string, extra: { base: string; pattern: string }[] = [], isDirectory = false): boolean {
    const absolute = path.resolve(target);
    const segments = absolute.split(path.sep);
    if (segments.includes('node_modules') || segments.includes('.git')) return true;
    const layers: IgnoreLayer[] = [];
    let dir = isDirectory ? absolute : path.dirname(absolute);
    for (;;) {
      const layer = this.layerIn(dir);
      if (layer) layers.push(layer);
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    for (const { base, pattern } of extra) layers.push({ base, matcher: ignore().add(pattern) });
    return layers.some(({ base, matcher }) => {
      const relative = path.relative(base, absolute);
      if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) return false;
      const posix = relative.split(path.sep).join('/');
      return matcher.ignores(isDirectory ? `${posix}/` : posix);
    });
  }
}

