// From the paths a user names (files and folders) to the files to lint: folders walked in name
// order, ignore files and patterns applied, symbolic links followed only inside the walked folder.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LintConfig } from './config';
import { UsageError } from './usage-error';

/** What a walk asks of the engine. */
export interface WalkHost {
  /** The configuration for files in this folder. */
  configFor(dir: string): LintConfig;
  ignored(target: string, config: LintConfig, isDirectory?: boolean): boolean;
  /** Whether a format reads the file; `text` is read only when a format asks (JSON shapes). */
  reads(file: string, text: string | (() => string), config: LintConfig): boolean;
}

export interface CollectedFiles {
  files: string[];
  /** The files named on their own (linted whatever their name). */
  explicit: Set<string>;
  /** Links not followed, with the reason. */
  skipped: { filePath: string; note: string }[];
}

interface Walk {
  host: WalkHost;
  /** The walked folder, links resolved: links may point anywhere inside it. */
  root: string;
  out: string[];
  /** Files reached through a symbolic link, with their real path. */
  links: Map<string, string>;
  seenDirs: Set<string>;
  skipped: { filePath: string; note: string }[];
}

/** Expands paths to the files to lint; named files are always kept, a file reached twice is listed once. */
export function collectFiles(paths: string[], host: WalkHost): CollectedFiles {
  const files: string[] = [];
  const explicit = new Set<string>();
  const skipped: { filePath: string; note: string }[] = [];
  for (const target of paths) {
    const absolute = path.resolve(target);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(absolute);
    } catch {
      throw new UsageError(`No such file or directory: ${target}`);
    }
    if (stat.isFile()) {
      files.push(absolute);
      explicit.add(absolute);
    } else if (stat.isDirectory()) {
      const walk: Walk = { host, root: realpath(absolute) ?? absolute, out: [], links: new Map(), seenDirs: new Set(), skipped };
      walkFolder(absolute, walk);
      // A file reached both as itself and through a link (or two links) is linted once, first path kept.
      const reached = new Set(walk.out.filter((file) => !walk.links.has(file)).map((file) => realpath(file) ?? file));
      for (const file of walk.out) {
        const real = walk.links.get(file);
        if (real !== undefined) {
          if (reached.has(real)) continue;
          reached.add(real);
        }
        files.push(file);
      }
    }
  }
  return { files: [...new Set(files)], explicit, skipped };
}

function walkFolder(dir: string, walk: Walk): void {
  const { host } = walk;
  const real = realpath(dir) ?? dir;
  if (walk.seenDirs.has(real)) return;
  walk.seenDirs.add(real);
  const config = host.configFor(dir);
  if (host.ignored(dir, config, true)) return;
  // Whether a walk would lint this file: decided by name; formats that need content read a little of it, once.
  const wouldLint = (file: string): boolean => host.reads(file, () => peek(file), config);
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    let isDirectory = entry.isDirectory();
    let isFile = entry.isFile();
    let linkTarget: string | undefined;
    // Whether a format reads a linked file, asked once (before the link's checks need it).
    let linkedFileRead: boolean | undefined;
    if (entry.isSymbolicLink()) {
      if (entry.name === 'node_modules' || entry.name === '.git') continue;
      linkTarget = realpath(full);
      let stat: fs.Stats | undefined;
      try {
        stat = linkTarget ? fs.statSync(linkTarget) : undefined;
      } catch {
        stat = undefined;
      }
      if (stat?.isFile()) linkedFileRead = wouldLint(full);
      const readable = stat?.isDirectory() || linkedFileRead;
      if (!linkTarget || !stat) {
        // A dangling link is worth a word only when its name is one a format reads.
        if (host.reads(full, '', config) && !host.ignored(full, config)) {
          walk.skipped.push({ filePath: full, note: 'Skipped: a symbolic link whose target does not exist.' });
        }
        continue;
      }
      if (!inside(linkTarget, walk.root)) {
        if (readable && !host.ignored(full, config, stat.isDirectory())) {
          walk.skipped.push({
            filePath: full,
            note: `Not linted: a symbolic link to ${linkTarget}, outside ${walk.root}, is not followed. Lint the target by naming it, or copy it in.`,
          });
        }
        continue;
      }
      isDirectory = stat.isDirectory();
      isFile = stat.isFile();
    }
    if (isDirectory) {
      if (entry.name === 'node_modules' || entry.name === '.git') continue;
      walkFolder(full, walk);
    } else if (isFile) {
      if (host.ignored(full, config)) continue;
      if (!(linkedFileRead ?? wouldLint(full))) continue;
      walk.out.push(full);
      if (linkTarget) walk.links.set(full, linkTarget);
    }
  }
}

function realpath(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

function inside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/** The first few KB of a file, for formats that recognise JSON by its shape. */
function peek(filePath: string): string {
  if (!/\.(json|jsonc|ya?ml)$/i.test(filePath)) return '';
  try {
    const fd = fs.openSync(filePath, 'r');
    try {
      const buffer = Buffer.alloc(16384);
      const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
      return buffer.subarray(0, read).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}
