// YAML reading shared by the YAML formats: node ranges into the file, decoded scalars mapped back to
// source offsets, one clear problem for a file that does not parse.
import { isMap, isNode, isScalar, isSeq, parseDocument, visit, type Document, type Node as YamlNode } from 'yaml';
import type { ParseProblem, Span, Unit } from '../core/types';
import type { UnitOptions } from './json';

export type { YamlNode };

/** `---` YAML `---` at the top of a file; group 1 is the YAML (absent when empty). */
export const FRONT_MATTER = /^---[ \t]*\r?\n(?:([\s\S]*?)\r?\n)?---[ \t]*(\r?\n|$)/;

export interface ParsedYaml {
  doc: Document.Parsed;
  problems: ParseProblem[];
}

export interface FrontMatterBlock {
  /** Where the body after the closing `---` starts (0 when there is no front matter). */
  bodyStart: number;
  /** Where the YAML starts in the file. */
  yamlStart: number;
  /** The parsed YAML's top node, if any. */
  contents: unknown;
  problems: ParseProblem[];
}

/** Splits `---` front matter off a template file and parses it; no front matter gives an empty block. */
export function readFrontMatterBlock(text: string): FrontMatterBlock {
  const match = FRONT_MATTER.exec(text);
  if (!match) return { bodyStart: 0, yamlStart: 0, contents: undefined, problems: [] };
  const yamlStart = match[0].indexOf('\n') + 1;
  const parsed = parseYaml(match[1] ?? '', yamlStart, 'Front matter');
  return { bodyStart: match[0].length, yamlStart, contents: parsed.doc.contents, problems: parsed.problems };
}

/** Parses YAML that starts at `base` in the file; the first error becomes the one problem. */
export function parseYaml(source: string, base = 0, what = 'YAML'): ParsedYaml {
  const doc = parseDocument(source, { uniqueKeys: false });
  // An error at the very end (an unclosed bracket) still points at a character of the YAML.
  const clamp = (offset: number): number => base + Math.max(0, Math.min(offset, source.length - 1));
  const problems: ParseProblem[] = doc.errors.slice(0, 1).map((error) => ({
    message: `${what} is not valid YAML: ${error.message.split('\n')[0]}`,
    span: { start: clamp(error.pos[0]), end: clamp(error.pos[0]) + 1 },
  }));
  problems.push(...resolveAliases(doc, base));
  return { doc, problems };
}

/**
 * Nodes an alias expands to, at most, in one file (the copies made for all its aliases together): the
 * billion-laughs limit. Past it the remaining aliases are left unread, and a problem says so.
 */
export const MAX_ALIAS_NODES = 10_000;

/** Where the anchored original of each node copied in place of an alias sits (YAML offsets). */
const ALIASED = new WeakMap<object, [number, number]>();

/**
 * Puts a copy of what each alias (`goal: *p`) names in its place, so formats read the text as if it
 * were written inline: a finding cannot hide behind an anchor in a field nobody lints. Every range in
 * a copy is the alias's (findings point at the alias). Anchors are tracked in document order in the
 * same walk (Alias.resolve walks the whole document per alias: quadratic on a big file).
 */
export function resolveAliases(doc: Document.Parsed, base = 0): ParseProblem[] {
  const anchors = new Map<string, YamlNode>();
  let budget = MAX_ALIAS_NODES;
  let stopped: ParseProblem | undefined;
  visit(doc, {
    Node(_key, node) {
      if (node.anchor && !ALIASED.has(node)) anchors.set(node.anchor, node);
    },
    Alias(_key, alias) {
      if (stopped) return undefined;
      const target = anchors.get(alias.source);
      if (!target || !alias.range) return undefined;
      const range: [number, number, number] = [alias.range[0], alias.range[1], alias.range[2]];
      // Counted before copying: a copy past the budget is never made.
      let size = 0;
      if (isScalar(target)) size = 1;
      else visit(target as never, { Node: () => (++size > budget ? visit.BREAK : undefined) });
      if (size > budget) {
        stopped = {
          message: `YAML aliases here expand to more than ${MAX_ALIAS_NODES} nodes (an alias bomb?); this alias and the ones after it were not read. Write the text out or use fewer aliases.`,
          span: { start: base + range[0], end: base + range[1] },
        };
        return undefined;
      }
      const copy = target.clone() as YamlNode;
      const copied: YamlNode[] = [];
      const originals: ([number, number] | undefined)[] = [];
      const collect = (node: YamlNode): void => {
        copied.push(node);
        originals.push(node.range ? [node.range[0], node.range[1]] : undefined);
      };
      collect(copy);
      if (!isScalar(copy)) visit(copy as never, { Node: (_k: unknown, node: unknown) => (isNode(node) ? collect(node as YamlNode) : undefined) });
      budget -= copied.length;
      copied.forEach((node, i) => {
        node.range = [...range];
        delete node.anchor;
        const original = originals[i];
        ALIASED.set(node, original ? [original[0], original[1]] : [range[0], range[1]]);
      });
      // The copy replaces the alias and is visited next: aliases inside it expand too, within the budget.
      return copy as never;
    },
  });
  return stopped ? [stopped] : [];
}

/** The value node of `key` in a map node. */
export function yamlProp(node: unknown, key: string): YamlNode | undefined {
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key) return (pair.value ?? undefined) as YamlNode | undefined;
  }
  return undefined;
}

/** A map's entries as [key node, value node] with string keys. */
export function yamlEntries(node: unknown): { key: string; keyNode: YamlNode; value: YamlNode | undefined }[] {
  if (!isMap(node)) return [];
  return node.items.flatMap((pair) =>
    isScalar(pair.key) ? [{ key: String(pair.key.value), keyNode: pair.key as YamlNode, value: (pair.value ?? undefined) as YamlNode | undefined }] : [],
  );
}

export const yamlItems = (node: unknown): YamlNode[] => (isSeq(node) ? (node.items as YamlNode[]) : []);

export function yamlString(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

export function yamlSpan(node: YamlNode | undefined, base: number): Span | undefined {
  return node?.range ? { start: base + node.range[0], end: base + node.range[1] } : undefined;
}

const ESCAPE_LENGTH: Record<string, number> = { x: 4, u: 6, U: 10 };

/**
 * Maps each character of a decoded scalar to where it sits in `source[start, end)`: quotes, block
 * headers, indentation and folded line breaks are skipped; an escape maps to its backslash.
 */
export function alignOffsets(decoded: string, source: string, start: number, end: number): number[] {
  const offsets: number[] = [];
  let at = start;
  for (const char of decoded) {
    for (let unit = 0; unit < char.length; unit++) {
      const wanted = char[unit];
      let k = at;
      let found = -1;
      while (k < end) {
        const got = source[k];
        if (got === wanted || (/\s/.test(wanted) && /[ \t\r\n]/.test(got))) {
          found = k;
          break;
        }
        if (!/[\s'"|>+\-0-9]/.test(got)) break;
        k++;
      }
      if (found >= 0) {
        offsets.push(found);
        at = found + 1;
      } else if (source[at] === '\\') {
        offsets.push(at);
        at += ESCAPE_LENGTH[source[at + 1]] ?? 2;
      } else {
        offsets.push(Math.min(at, end));
        at = Math.min(at + 1, end);
      }
    }
  }
  offsets.push(Math.min(at, end));
  return offsets;
}

/**
 * A unit for a YAML string scalar: the decoded text with surrounding whitespace trimmed, its exact
 * span, and offsets when the text is not a verbatim slice of the source (quotes, block scalars).
 */
export function scalarUnit(source: string, node: YamlNode | undefined, base: number, id: string, options: UnitOptions): Unit | undefined {
  if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
  const start = base + node.range[0];
  const end = base + node.range[1];
  const value = node.value;
  const leading = value.length - value.trimStart().length;
  const text = value.trim();
  if (text.length === 0) return undefined;
  const label = options.label !== undefined ? { label: options.label } : {};
  const anchored = ALIASED.get(node);
  if (anchored) {
    // Read through an alias: the text is the anchor's, every character maps into the alias `*name`.
    const width = end - start;
    const offsets = Array.from({ length: text.length + 1 }, (_, i) => (i === text.length ? end : start + Math.floor((i * width) / text.length)));
    const aliasOf = { start: base + anchored[0], end: base + anchored[1] };
    return { id, kind: options.kind, text, span: { start, end }, sourceOffsets: offsets, ...label, instruction: options.instruction, aliasOf };
  }
  if (source.slice(start, end) === text) return { id, kind: options.kind, text, span: { start, end }, ...label, instruction: options.instruction };
  const offsets = alignOffsets(value, source, start, end).slice(leading, leading + text.length + 1);
  const span = { start: offsets[0], end: Math.max(offsets[0], offsets[text.length]) };
  if (source.slice(span.start, span.end) === text) return { id, kind: options.kind, text, span, ...label, instruction: options.instruction };
  return { id, kind: options.kind, text, span, sourceOffsets: offsets, ...label, instruction: options.instruction };
}
