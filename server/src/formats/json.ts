// JSON and JSONC reading shared by the JSON formats: a tolerant tree with offsets, string values
// decoded with a map back to the source, and one clear problem for a file that does not parse.
import { getNodeValue, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import type { CommentSyntax, FileProbe, ParseProblem, Span, Unit, UnitKind } from '../core/types';
import { treeOf } from './probe';

export type JsonNode = Node;

export const JSON_COMMENTS: CommentSyntax = { line: '//', blockStart: '/*', blockEnd: '*/' };

export const isJsonFileName = (fileName: string): boolean => /\.(json|jsonc)$/i.test(fileName);

export const baseName = (fileName: string): string => fileName.replace(/\\/g, '/').split('/').pop() ?? fileName;

export const normalizedPath = (fileName: string): string => fileName.replace(/\\/g, '/');

interface ParsedJson {
  root?: JsonNode;
  problems: ParseProblem[];
}

/** Deeper than this, JSON is not read: jsonc-parser recurses once per level, and no real config nests so far. */
export const MAX_JSON_DEPTH = 256;

/**
 * Blanks out every array or object nested deeper than `maxDepth`, in one iterative pass (strings and
 * comments skipped): its opening bracket becomes `0` and the rest of it spaces (line breaks kept), so
 * the shallow part still parses with every offset unchanged. `cutAt` is the first cut, if any.
 */
export function flattenDeepJson(text: string, maxDepth = MAX_JSON_DEPTH): { text: string; cutAt?: number } {
  let depth = 0;
  let cutStart = -1;
  let firstCut: number | undefined;
  const out: string[] = [];
  let copiedTo = 0;
  const blank = (from: number, to: number): void => {
    out.push(text.slice(copiedTo, from), '0', text.slice(from + 1, to).replace(/[^\n]/g, ' '));
    copiedTo = to;
  };
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      // Skip the string (an unterminated one ends at the line break, as jsonc-parser reads it).
      i++;
      while (i < text.length && text[i] !== '"' && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (char === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
      continue;
    }
    if (char === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      continue;
    }
    if (char === '{' || char === '[') {
      depth++;
      if (depth === maxDepth + 1 && cutStart < 0) {
        cutStart = i;
        firstCut ??= i;
      }
    } else if (char === '}' || char === ']') {
      if (cutStart >= 0 && depth === maxDepth + 1) {
        blank(cutStart, i + 1);
        cutStart = -1;
      }
      depth = Math.max(0, depth - 1);
    }
    i++;
  }
  if (firstCut === undefined) return { text };
  if (cutStart >= 0) blank(cutStart, text.length);
  out.push(text.slice(copiedTo));
  return { text: out.join(''), cutAt: firstCut };
}

/** Parses JSON with comments and trailing commas allowed; the first syntax error becomes the one problem. */
export function parseJson(text: string): ParsedJson {
  const problems: ParseProblem[] = [];
  // Every part nested too deep is cut before the (recursive) parser sees it.
  const { text: readable, cutAt } = flattenDeepJson(text);
  if (cutAt !== undefined) {
    problems.push({
      message: `Not read: the JSON nests deeper than ${MAX_JSON_DEPTH} levels here; what lies deeper was not linted.`,
      span: { start: cutAt, end: cutAt + 1 },
    });
  }
  const errors: ParseError[] = [];
  const root = parseTree(readable, errors, { allowTrailingComma: true, disallowComments: false });
  for (const error of errors.slice(0, problems.length ? 0 : 1)) {
    problems.push({
      message: `Not valid JSON: ${describeError(printParseErrorCode(error.error))} (the rest of the file was read as far as possible).`,
      span: { start: error.offset, end: error.offset + Math.max(1, error.length) },
    });
  }
  return { root, problems };
}

/** The file's JSON tree, parsed once for every format that sniffs it and the one that parses it. */
export function jsonOf(file: FileProbe): ParsedJson {
  return file.tree('json', parseJson);
}

/** The JSON tree of `text` for `parse`, from the probe when it read this text. */
export function jsonFor(file: FileProbe | undefined, text: string): ParsedJson {
  return treeOf(file, text, 'json', parseJson);
}

function describeError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** The value node of `key` in an object node. */
export function prop(node: JsonNode | undefined, key: string): JsonNode | undefined {
  if (!node || node.type !== 'object' || !node.children) return undefined;
  for (const property of node.children) {
    const [keyNode, valueNode] = property.children ?? [];
    if (keyNode?.value === key) return valueNode;
  }
  return undefined;
}

/** The properties of an object node as [key node, value node] pairs. */
export function entries(node: JsonNode | undefined): [JsonNode, JsonNode][] {
  if (!node || node.type !== 'object' || !node.children) return [];
  const pairs: [JsonNode, JsonNode][] = [];
  for (const property of node.children) {
    const [keyNode, valueNode] = property.children ?? [];
    if (keyNode && valueNode) pairs.push([keyNode, valueNode]);
  }
  return pairs;
}

export const items = (node: JsonNode | undefined): JsonNode[] => (node?.type === 'array' ? (node.children ?? []) : []);

export const isObject = (node: JsonNode | undefined): node is JsonNode => node?.type === 'object';

export function stringOf(node: JsonNode | undefined): string | undefined {
  return node?.type === 'string' && typeof node.value === 'string' ? node.value : undefined;
}

export function valueOf(node: JsonNode | undefined): unknown {
  if (!node) return undefined;
  try {
    const value: unknown = getNodeValue(node);
    // jsonc-parser builds objects without a prototype; hand rules ordinary ones.
    return typeof value === 'object' && value !== null ? JSON.parse(JSON.stringify(value)) : value;
  } catch {
    return undefined;
  }
}

export const spanOf = (node: JsonNode): Span => ({ start: node.offset, end: node.offset + node.length });

/** The span of a string node's content, without its quotes. */
export function innerSpan(node: JsonNode, text: string): Span {
  const end = node.offset + node.length;
  const closed = node.length >= 2 && text[end - 1] === '"';
  return { start: node.offset + 1, end: closed ? end - 1 : end };
}

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * Decodes the raw content of a JSON string (between its quotes) and records where each decoded
 * character starts in the source. Returns offsets only when some character was escaped.
 */
export function decodeJsonString(text: string, span: Span): { value: string; offsets?: number[] } {
  let value = '';
  const offsets: number[] = [];
  let escaped = false;
  let i = span.start;
  while (i < span.end) {
    const char = text[i];
    if (char === '\\' && i + 1 < span.end) {
      escaped = true;
      const next = text[i + 1];
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        value += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
        offsets.push(i);
        i += 6;
        continue;
      }
      value += SIMPLE_ESCAPES[next] ?? next;
      offsets.push(i);
      i += 2;
      continue;
    }
    value += char;
    offsets.push(i);
    i += 1;
  }
  offsets.push(span.end);
  return escaped ? { value, offsets } : { value };
}

export interface UnitOptions {
  kind: UnitKind;
  instruction: boolean;
  label?: string;
}

/** A unit for a JSON string node: decoded text, exact span of its content, offsets when escaped. */
export function stringUnit(text: string, node: JsonNode, id: string, options: UnitOptions): Unit | undefined {
  if (node.type !== 'string') return undefined;
  const span = innerSpan(node, text);
  const decoded = decodeJsonString(text, span);
  return {
    id,
    kind: options.kind,
    text: decoded.value,
    span,
    ...(decoded.offsets ? { sourceOffsets: decoded.offsets } : {}),
    ...(options.label !== undefined ? { label: options.label } : {}),
    instruction: options.instruction,
  };
}

/** The whitespace before the first member of an object, for text inserted beside it. */
export function memberIndent(text: string, objectNode: JsonNode): string {
  const first = objectNode.children?.[0];
  if (!first) return '  ';
  // Only the last 200 characters are looked at: a one-line file of 10k tools stays linear.
  const from = Math.max(0, first.offset - 200);
  const leading = text.slice(from + text.slice(from, first.offset).lastIndexOf('\n') + 1, first.offset);
  return /^[ \t]*$/.test(leading) ? leading : ' ';
}

/** Appends `[index]` or `.key` to a unit id path (keys with odd characters are quoted). */
export function childId(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  const plain = /^[A-Za-z_$][\w$-]*$/.test(key);
  if (!plain) return `${parent}[${JSON.stringify(key)}]`;
  return parent ? `${parent}.${key}` : key;
}
