// YAML reading shared by the YAML formats: node ranges into the file, decoded scalars mapped back to
// source offsets, one clear problem for a file that does not parse.
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from 'yaml';
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
  return { doc, problems };
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
  if (source.slice(start, end) === text) return { id, kind: options.kind, text, span: { start, end }, ...label, instruction: options.instruction };
  const offsets = alignOffsets(value, source, start, end).slice(leading, leading + text.length + 1);
  const span = { start: offsets[0], end: Math.max(offsets[0], offsets[text.length]) };
  if (source.slice(span.start, span.end) === text) return { id, kind: options.kind, text, span, ...label, instruction: options.instruction };
  return { id, kind: options.kind, text, span, sourceOffsets: offsets, ...label, instruction: options.instruction };
}
