// Markdown front matter read as the tool that loads the file reads it. Strict YAML first; where it
// fails, each top-level field is read on its own and a one-line value the host takes as text is kept
// as text, so `globs: **/*.ts` (Cursor) or `applyTo: **/*.ts` (VS Code) is a field, not a broken
// file. Anything the host would not read either (a bad nested list, an unclosed quote) stays a problem.
import { isAlias, isMap, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { ParseProblem, Span } from '../core/types';
import { FRONT_MATTER, resolveAliases } from './yaml';

/**
 * Who reads the front matter:
 * - `cursor`: Cursor's `.mdc` rules: one `key: value` per line (description, globs, alwaysApply),
 *   the value the rest of the line, globs comma-separated; no YAML quoting rules.
 * - `vscode`: VS Code's prompt, instruction, agent and chat-mode files: VS Code's own YAML subset,
 *   which has no anchors, aliases, tags or reserved indicators, so a plain value may start with
 *   `*`, `&`, `!`, `@`, `` ` `` or `%`.
 * - `yaml`: a strict YAML parser (Claude Code, and anything else).
 */
export type FrontMatterHost = 'cursor' | 'vscode' | 'yaml';

/** One top-level field: a YAML node (offsets from `base`) or a line the host reads as raw text. */
export interface FrontMatterField {
  key: string;
  node?: YamlNode;
  base: number;
  raw?: { text: string; span: Span };
}

export interface FrontMatterFields {
  fields: FrontMatterField[];
  problems: ParseProblem[];
  /** Where the body after the closing `---` starts (0 when there is no front matter). */
  bodyStart: number;
  /** The span of the whole block, `---` to `---`. */
  span: Span;
}

const TOP_LEVEL_KEY = /^([^\s#:'"-][^:\n]*):(?=[ \t]|$)/;
// A character that starts a YAML indicator (alias, anchor, tag, reserved, directive) but is a plain
// character to VS Code's parser.
const VSCODE_PLAIN_START = /^[*&!@`%]/;

function yamlProblem(message: string, base: number, length: number, pos: number): ParseProblem {
  const at = base + Math.max(0, Math.min(pos, length - 1));
  // The span places it; the parser's own "at line…" counts from wherever it started reading.
  const reason = message.split('\n')[0].replace(/\s+at line \d+, column \d+:?\s*$/, '');
  return { message: `Front matter is not valid YAML: ${reason}`, span: { start: at, end: at + 1 } };
}

/**
 * The first problem strict YAML has with the block: a syntax error, or a top-level value that is an
 * alias with no anchor (`globs: **\/*.ts` parses as an alias and fails when it is resolved).
 */
function strictProblem(doc: Document.Parsed, base: number, length: number): ParseProblem | undefined {
  const error = doc.errors[0];
  if (error) return yamlProblem(error.message, base, length, error.pos[0]);
  if (!isMap(doc.contents)) return undefined;
  for (const pair of doc.contents.items) {
    const value = pair.value as YamlNode | null;
    if (isAlias(value) && value.range) {
      return yamlProblem(`unresolved alias *${value.source} (quote a value that starts with *)`, base, length, value.range[0]);
    }
  }
  return undefined;
}

function mapFields(contents: unknown, base: number): FrontMatterField[] {
  if (!isMap(contents)) return [];
  return contents.items.flatMap((pair) => {
    const key = pair.key as YamlNode | null;
    const name = key && 'value' in key ? String((key as { value: unknown }).value) : '';
    const value = pair.value as YamlNode | null;
    return value && value.range ? [{ key: name, node: value, base }] : [];
  });
}

/** A one-line `key: value` as the host reads it, or undefined when the host would not take it either. */
function rawField(line: string, lineStart: number, host: FrontMatterHost): FrontMatterField | undefined {
  const key = TOP_LEVEL_KEY.exec(line);
  if (!key || host === 'yaml') return undefined;
  let from = key[0].length;
  while (line[from] === ' ' || line[from] === '\t') from++;
  let to = line.trimEnd().length;
  if (host === 'vscode') {
    // VS Code reads a plain value up to ` #` and splits at `: `; only the indicator start is forgiven.
    const value = line.slice(from, to);
    if (!VSCODE_PLAIN_START.test(value) || /:[ \t]/.test(value)) return undefined;
    const comment = value.search(/[ \t]#/);
    if (comment >= 0) to = from + value.slice(0, comment).trimEnd().length;
  }
  const quote = line[from];
  if ((quote === '"' || quote === "'") && to - from >= 2 && line[to - 1] === quote) {
    from++;
    to--;
  }
  return { key: key[1].trimEnd(), base: lineStart, raw: { text: line.slice(from, to), span: { start: lineStart + from, end: lineStart + to } } };
}

/**
 * Top-level entries of a front-matter block: a line with a key at column 0 and the indented, list or
 * blank lines under it. Offsets are into `source`.
 */
function entries(source: string): { start: number; end: number; firstLineEnd: number }[] {
  const out: { start: number; end: number; firstLineEnd: number }[] = [];
  let offset = 0;
  while (offset <= source.length) {
    const newline = source.indexOf('\n', offset);
    const lineEnd = newline < 0 ? source.length : newline;
    const line = source.slice(offset, lineEnd).replace(/\r$/, '');
    const continues = line.trim() === '' || /^[ \t]/.test(line) || /^#/.test(line) || /^-([ \t]|$)/.test(line);
    if (!continues || out.length === 0) out.push({ start: offset, end: lineEnd, firstLineEnd: offset + line.length });
    else out[out.length - 1].end = lineEnd;
    if (newline < 0) break;
    offset = newline + 1;
  }
  return out;
}

/** Reads the `---` block at the top of a Markdown file as `host` reads it. */
export function readFrontMatterFields(text: string, host: FrontMatterHost): FrontMatterFields {
  const match = FRONT_MATTER.exec(text);
  if (!match) return { fields: [], problems: [], bodyStart: 0, span: { start: 0, end: 0 } };
  const span = { start: 0, end: match[0].length };
  const yamlStart = match[0].indexOf('\n') + 1;
  const source = match[1] ?? '';
  const doc = parseDocument(source, { uniqueKeys: false });
  const strict = strictProblem(doc, yamlStart, source.length);
  if (!strict || host === 'yaml') {
    // An alias (`description: *p`) is read as the text it names: a finding cannot hide behind an anchor.
    const aliases = resolveAliases(doc, yamlStart);
    return { fields: mapFields(doc.contents, yamlStart), problems: [...(strict ? [strict] : []), ...aliases], bodyStart: match[0].length, span };
  }
  // The strict parse failed: read field by field as the host does.
  const fields: FrontMatterField[] = [];
  const problems: ParseProblem[] = [];
  for (const entry of entries(source)) {
    const body = source.slice(entry.start, entry.end);
    if (body.trim() === '' || /^#/.test(body.trimStart())) continue;
    const base = yamlStart + entry.start;
    const one = parseDocument(body, { uniqueKeys: false });
    const problem = strictProblem(one, base, body.length);
    if (!problem && isMap(one.contents)) {
      fields.push(...mapFields(one.contents, base));
      continue;
    }
    const singleLine = source.slice(entry.firstLineEnd, entry.end).split('\n').every((line) => line.trim() === '' || line.trimStart().startsWith('#'));
    const raw = singleLine ? rawField(source.slice(entry.start, entry.firstLineEnd), base, host) : undefined;
    if (raw) fields.push(raw);
    else if (problems.length === 0) {
      problems.push(problem ?? { message: 'Front matter is not valid YAML: expected a "key: value" line', span: { start: base, end: base + Math.max(1, entry.firstLineEnd - entry.start) } });
    }
  }
  return { fields, problems, bodyStart: match[0].length, span };
}

/** The host that loads a Markdown prompt file, from its name. */
export function frontMatterHost(fileName: string): FrontMatterHost {
  const name = fileName.replace(/\\/g, '/');
  if (/\.mdc$/i.test(name) || /(^|\/)\.cursorrules$/i.test(name)) return 'cursor';
  if (/\.(prompt|instructions|agent|chatmode)\.md$/i.test(name) || /(^|\/)copilot-instructions\.md$/i.test(name)) return 'vscode';
  return 'yaml';
}
