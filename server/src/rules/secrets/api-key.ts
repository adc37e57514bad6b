import { lintSource } from '@secretlint/core';
import { creator as secretlintRecommended } from '@secretlint/secretlint-rule-preset-recommend';
import { modify, parseTree, findNodeAtLocation, type FormattingOptions } from 'jsonc-parser';
import type { Fix, ParsedDocument, Rule, Span } from '../../core/types';
import { docsUrl } from '../../core/docs';

const ID = 'secrets/api-key';

// Secretlint's recommended preset covers cloud, VCS, chat and package-registry tokens. It does not
// know the LLM providers' key shapes, which are what prompt files leak most, so those are added here.
const LLM_KEY_SHAPES: { provider: string; env: string; pattern: RegExp }[] = [
  { provider: 'Anthropic', env: 'ANTHROPIC_API_KEY', pattern: /\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{32,120}/g },
  { provider: 'OpenAI', env: 'OPENAI_API_KEY', pattern: /\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,200}T3BlbkFJ[A-Za-z0-9_-]{20,200}/g },
  { provider: 'OpenAI', env: 'OPENAI_API_KEY', pattern: /\bsk-(?:proj-|svcacct-)[A-Za-z0-9_-]{40,200}/g },
  { provider: 'Hugging Face', env: 'HF_TOKEN', pattern: /\bhf_[A-Za-z]{34}\b/g },
  { provider: 'Google', env: 'GOOGLE_API_KEY', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { provider: 'Groq', env: 'GROQ_API_KEY', pattern: /\bgsk_[A-Za-z0-9]{52}\b/g },
  { provider: 'Replicate', env: 'REPLICATE_API_TOKEN', pattern: /\br8_[A-Za-z0-9]{37}\b/g },
];

/** Shannon entropy in bits per character: real keys are random, placeholders are not. */
export function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const char of value) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

const PLACEHOLDER = /(x{6,}|\.{3}|<[^>]*>|your[_-]?(api[_-]?)?key|example|dummy|placeholder|redacted|0{8,})/i;

// The environment variable each secretlint detector's secret is usually kept in.
const SECRETLINT_ENV: Record<string, string> = {
  github: 'GITHUB_TOKEN',
  npm: 'NPM_TOKEN',
  slack: 'SLACK_TOKEN',
  sendgrid: 'SENDGRID_API_KEY',
  shopify: 'SHOPIFY_ACCESS_TOKEN',
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  linear: 'LINEAR_API_KEY',
  gcp: 'GOOGLE_APPLICATION_CREDENTIALS',
  azure: 'AZURE_CLIENT_SECRET',
};

/** "…_TOKENS" → "…_TOKEN": a detector's type name is plural, a variable holds one. */
function singular(name: string): string {
  return name.replace(/(TOKEN|KEY|SECRET|PASSWORD|CREDENTIAL)S$/, '$1');
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The name of the key that holds the secret (an MCP server's `env` entry), when it is a variable name. */
function keyName(document: ParsedDocument, span: Span): string | undefined {
  const unit = document.units.find((candidate) => candidate.kind === 'config-value' && candidate.span.start <= span.start && span.end <= candidate.span.end);
  if (!unit?.label || !/\.env(\.|\[)/.test(unit.id) || !ENV_NAME.test(unit.label)) return undefined;
  return unit.label.toUpperCase();
}

const posix = (file: string): string => file.replace(/\\/g, '/');

/**
 * The replacement in the host's own syntax: VS Code's mcp.json takes `${input:id}` with an `inputs`
 * entry (asked once, stored in the secret store); Cursor's mcp.json and Prompty read `${env:NAME}`;
 * Claude Code's .mcp.json and everything else, `${NAME}`.
 */
function secretFix(document: ParsedDocument, span: Span, env: string, inputEditsFor: (id: string, env: string) => Edit[]): Fix {
  const file = posix(document.uri);
  if (document.format === 'mcp-config' && /(^|\/)\.vscode\/(mcp|settings)\.json$/i.test(file)) {
    const id = env.toLowerCase().replace(/_/g, '-');
    const reference = `\${input:${id}}`;
    return { title: `Replace with ${reference} (an "inputs" entry asks for it once)`, edits: [{ span, newText: reference }, ...inputEditsFor(id, env)] };
  }
  const reference = (document.format === 'mcp-config' && /(^|\/)\.cursor\/mcp\.json$/i.test(file)) || document.format === 'prompty' ? `\${env:${env}}` : `\${${env}}`;
  return { title: `Replace with ${reference}`, edits: [{ span, newText: reference }] };
}

type Edit = { span: Span; newText: string };

/** Longest line jsonc-parser may format around the inserted entry (it re-reads the line per token). */
const MAX_FORMATTED_LINE = 4096;

/** Adds `{"type": "promptString", "id", "description", "password": true}` to the file's `inputs`, unless one has that id. */
function inputEdits(text: string, id: string, env: string): Edit[] {
  const root = parseTree(text);
  const inputs = root ? findNodeAtLocation(root, ['inputs']) : undefined;
  const exists = inputs?.children?.some((input) => findNodeAtLocation(input, ['id'])?.value === id);
  if (exists) return [];
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  const formattingOptions: FormattingOptions = { insertSpaces: !indent.includes('\t'), tabSize: indent.includes('\t') ? 1 : indent.length, eol: text.includes('\r\n') ? '\r\n' : '\n' };
  const entry = { type: 'promptString', id, description: env.toLowerCase().replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()), password: true };
  const path = inputs?.type === 'array' ? ['inputs', inputs.children?.length ?? 0] : ['inputs'];
  const value = inputs?.type === 'array' ? entry : [entry];
  const isArrayInsertion = inputs?.type === 'array';
  // jsonc-parser formats the whole line it inserts into, one O(file) step per token: on a minified
  // file (one long line) that is quadratic, so such a line gets the entry unformatted.
  const [plain] = modify(text, path, value, { isArrayInsertion });
  const lineStart = plain ? text.lastIndexOf('\n', plain.offset) + 1 : 0;
  const lineEnd = plain ? text.indexOf('\n', plain.offset) : -1;
  const shortLine = plain !== undefined && (lineEnd < 0 ? text.length : lineEnd) - lineStart <= MAX_FORMATTED_LINE;
  return (shortLine ? modify(text, path, value, { formattingOptions, isArrayInsertion }) : plain ? [plain] : []).map((edit) => ({
    span: { start: edit.offset, end: edit.offset + edit.length },
    newText: edit.content,
  }));
}

const CHUNK = 8192;

/** The text in consecutive pieces of at most `size` characters, each cut after a line break or a space when there is one. */
export function* pieces(text: string, size: number): Generator<{ text: string; offset: number }> {
  let offset = 0;
  while (offset < text.length) {
    let end = Math.min(text.length, offset + size);
    if (end < text.length) {
      const window = text.slice(offset, end);
      const cut = Math.max(window.lastIndexOf('\n'), window.lastIndexOf(' '), window.lastIndexOf('\t'));
      if (cut > 0) end = offset + cut + 1;
    }
    yield { text: text.slice(offset, end), offset };
    offset = end;
  }
}

export const apiKey: Rule = {
  meta: {
    id: ID,
    category: 'secrets',
    defaultSeverity: 'error',
    description: 'An API key or token written into a prompt or tool file, where it ships to every reader and every model call.',
    docsUrl: docsUrl(ID),
    fixable: true,
  },
  async check(context) {
    const text = context.document.text;
    const seen: Span[] = [];
    // The "inputs" edit parses the whole file: once per input id, not once per secret.
    const inputEditsById = new Map<string, Edit[]>();
    const inputEditsFor = (id: string, env: string): Edit[] => {
      let edits = inputEditsById.get(id);
      if (!edits) inputEditsById.set(id, (edits = inputEdits(text, id, env)));
      return edits;
    };
    const report = (span: Span, what: string, fallback: string): void => {
      if (seen.some((s) => s.start < span.end && span.start < s.end)) return;
      seen.push(span);
      const env = keyName(context.document, span) ?? fallback;
      const fix = secretFix(context.document, span, env, inputEditsFor);
      context.report({
        span,
        message: `${what} is written in the file. Anyone with the file, and every model the prompt is sent to, sees it. Load it from the environment or a secret input instead, and rotate it.`,
        fix,
        data: { env },
      });
    };
    for (const { provider, env, pattern } of LLM_KEY_SHAPES) {
      pattern.lastIndex = 0;
      for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
        if (PLACEHOLDER.test(match[0]) || entropy(match[0]) < 3.5) continue;
        report({ start: match.index, end: match.index + match[0].length }, `A ${provider} API key`, env);
      }
    }
    // secretlint compares every message with every other (its duplicate filter), so it is handed the
    // text in pieces of at most CHUNK characters, cut at a line break or a space: linear in the file.
    for (const piece of pieces(text, CHUNK)) {
      const result = await lintSource({
        source: { filePath: context.document.uri, content: piece.text, contentType: 'text' },
        options: { config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: secretlintRecommended }] }, noPhysicFilePath: true },
      });
      for (const message of result.messages) {
        // Private keys have a rule of their own.
        if (message.ruleId.includes('privatekey')) continue;
        const data = message.data as { typeName?: unknown } | undefined;
        const typeName = typeof data?.typeName === 'string' ? data.typeName : message.ruleId.replace('@secretlint/secretlint-rule-', '');
        const env = SECRETLINT_ENV[message.ruleId.replace('@secretlint/secretlint-rule-', '')] ?? singular(typeName.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, ''));
        report({ start: piece.offset + message.range[0], end: piece.offset + message.range[1] }, `A secret (${typeName}, found by secretlint)`, env || 'SECRET');
      }
    }
  },
};
