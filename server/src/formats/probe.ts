// The file a format is asked about: its name, and its text and parsed trees read at most once.
import picomatch from 'picomatch';
import type { FileProbe } from '../core/types';

/** A probe on `text` (or on what `text()` returns when first asked: a folder walk peeks only then). */
export function probeFile(fileName: string, explicit: boolean, text: string | (() => string)): FileProbe {
  let read: string | undefined = typeof text === 'string' ? text : undefined;
  const trees = new Map<string, unknown>();
  const probe: FileProbe = {
    fileName,
    explicit,
    text: () => (read ??= (text as () => string)()),
    tree<T>(syntax: string, parse: (text: string) => T): T {
      if (!trees.has(syntax)) trees.set(syntax, parse(probe.text()));
      return trees.get(syntax) as T;
    },
  };
  return probe;
}

/** The same file, as if the user had named it (config `promptFiles`): the text and trees are shared. */
export function asExplicit(file: FileProbe): FileProbe {
  return { ...file, explicit: true };
}

/** `read(text)`, from the probe's parse when it read this very text. */
export function treeOf<T>(file: FileProbe | undefined, text: string, syntax: string, read: (text: string) => T): T {
  return file && file.text() === text ? file.tree(syntax, read) : read(text);
}

const matchers = new WeakMap<readonly string[], (path: string) => boolean>();

/** True when the file's path matches one of the globs (case-insensitive, dotfiles included, `\` read as `/`). */
export function namedBy(patterns: readonly string[], fileName: string): boolean {
  if (patterns.length === 0) return false;
  let matcher = matchers.get(patterns);
  if (!matcher) {
    matcher = picomatch([...patterns], { dot: true, nocase: true });
    matchers.set(patterns, matcher);
  }
  return matcher(fileName.replace(/\\/g, '/'));
}
