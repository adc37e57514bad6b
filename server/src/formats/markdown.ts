import { isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { AgentSettings, Format, ParsedDocument, ParseProblem, Unit } from '../core/types';
import { FRONT_MATTER, scalarUnit } from './yaml';

/** File names that are instructions to a model, in Markdown with optional YAML front matter. */
const PROMPT_MARKDOWN = [
  /\.prompt\.md$/i,
  /\.instructions\.md$/i,
  /\.agent\.md$/i,
  /\.chatmode\.md$/i,
  /(^|\/)copilot-instructions\.md$/i,
  /(^|\/)AGENTS\.md$/i,
  /(^|\/)CLAUDE\.md$/i,
  /(^|\/)GEMINI\.md$/i,
  /(^|\/)SKILL\.md$/i,
  /(^|\/)\.cursorrules$/i,
  /(^|\/)\.cursor\/rules\/[^/]+\.mdc$/i,
  /(^|\/)\.windsurfrules$/i,
  /(^|\/)\.claude\/(agents|commands)\/[^/]+\.md$/i,
];

const FENCE = /^(\s{0,3})(`{3,}|~{3,})/;

/** Splits Markdown into paragraph units; fenced code is kept as its own non-instruction unit. */
export function markdownUnits(text: string, from: number, to: number, idPrefix = 'p'): Unit[] {
  const units: Unit[] = [];
  let blockStart = -1;
  let blockEnd = -1;
  let inFence: string | null = null;
  let fenceStart = -1;
  const flush = (instruction: boolean, start: number, end: number): void => {
    const slice = text.slice(start, end);
    const trimmedEnd = start + slice.trimEnd().length;
    const leading = slice.length - slice.trimStart().length;
    if (trimmedEnd <= start + leading) return;
    const span = { start: start + leading, end: trimmedEnd };
    units.push({
      id: `${idPrefix}${units.length}`,
      kind: 'prose',
      text: text.slice(span.start, span.end),
      span,
      instruction,
    });
  };
  let offset = from;
  while (offset < to) {
    const newline = text.indexOf('\n', offset);
    const lineEnd = newline === -1 || newline >= to ? to : newline;
    const line = text.slice(offset, lineEnd);
    const fence = FENCE.exec(line);
    if (inFence !== null) {
      if (fence && fence[2][0] === inFence[0] && fence[2].length >= inFence.length && line.trim() === fence[2]) {
        flush(false, fenceStart, lineEnd);
        inFence = null;
      }
    } else if (fence) {
      if (blockStart >= 0) flush(true, blockStart, blockEnd);
      blockStart = -1;
      inFence = fence[2];
      fenceStart = offset;
    } else if (line.trim() === '') {
      if (blockStart >= 0) flush(true, blockStart, blockEnd);
      blockStart = -1;
    } else {
      if (blockStart < 0) blockStart = offset;
      blockEnd = lineEnd;
    }
    offset = lineEnd + 1;
  }
  if (inFence !== null) flush(false, fenceStart, to);
  else if (blockStart >= 0) flush(true, blockStart, blockEnd);
  return units;
}

interface FrontMatter {
  units: Unit[];
  agents: AgentSettings[];
  problems: ParseProblem[];
  bodyStart: number;
}

/** Reads YAML front matter: string fields become units, `tools` becomes the agent's allowed tools. */
export function readFrontMatter(text: string): FrontMatter {
  const match = FRONT_MATTER.exec(text);
  if (!match) return { units: [], agents: [], problems: [], bodyStart: 0 };
  const yamlStart = match[0].indexOf('\n') + 1;
  const doc = parseDocument(match[1] ?? '', { keepSourceTokens: false });
  const problems: ParseProblem[] = doc.errors.slice(0, 1).map((error) => ({
    message: `Front matter is not valid YAML: ${error.message.split('\n')[0]}`,
    span: { start: yamlStart + error.pos[0], end: yamlStart + Math.max(error.pos[1], error.pos[0] + 1) },
  }));
  const units: Unit[] = [];
  const agents: AgentSettings[] = [];
  if (isMap(doc.contents)) {
    const agent: AgentSettings = { span: { start: 0, end: match[0].length } };
    let agentFieldSeen = false;
    for (const pair of doc.contents.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      const value = pair.value as YamlNode | null;
      if (!value || !value.range) continue;
      const span = { start: yamlStart + value.range[0], end: yamlStart + value.range[1] };
      if (isScalar(value) && typeof value.value === 'string') {
        // Quoted and block scalars are decoded; their characters map back through sourceOffsets.
        const unit = scalarUnit(text, value, yamlStart, `frontmatter.${key}`, {
          kind: 'frontmatter-field',
          label: key,
          instruction: key === 'description' || key === 'instructions' || key === 'prompt',
        });
        if (unit) units.push(unit);
      }
      if (key === 'tools' || key === 'allowed-tools' || key === 'allowedTools') {
        agentFieldSeen = true;
        const tools = isSeq(value)
          ? value.items.map((item) => (isScalar(item) ? String(item.value) : ''))
          : isScalar(value)
            ? String(value.value).split(/[\s,]+/)
            : [];
        agent.allowedTools = tools.filter((tool) => tool.length > 0);
        agent.allowedToolsSpan = span;
      }
      if (key === 'permissionMode' || key === 'permission-mode') {
        agentFieldSeen = true;
        agent.permissionMode = isScalar(value) ? String(value.value) : undefined;
        agent.permissionModeSpan = span;
      }
    }
    if (agentFieldSeen) agents.push(agent);
  }
  return { units, agents, problems, bodyStart: match[0].length };
}

export const markdownPromptFormat: Format = {
  id: 'markdown-prompt',
  description: 'Prompt, instruction, agent, chat mode and skill files in Markdown with YAML front matter',
  matches(fileName) {
    const normalized = fileName.replace(/\\/g, '/');
    return PROMPT_MARKDOWN.some((pattern) => pattern.test(normalized));
  },
  parse(uri, text): ParsedDocument {
    const front = readFrontMatter(text);
    return {
      uri,
      format: 'markdown-prompt',
      text,
      units: [...front.units, ...markdownUnits(text, front.bodyStart, text.length)],
      tools: [],
      agents: front.agents,
      comments: { blockStart: '<!--', blockEnd: '-->' },
      isSystemPrompt: true,
      problems: front.problems,
    };
  },
};

/** Any other Markdown or text file the user named or configured as a system prompt. */
export const plainPromptFormat: Format = {
  id: 'plain-prompt',
  description: 'Plain text or Markdown system prompts (files named on the command line or listed in promptFiles)',
  // Any file the user names is read as text when no more specific format claims it; structured
  // data (JSON, YAML) that no format recognised is not prose, so it is left alone.
  matches(fileName, _text, explicit) {
    return explicit && !/\.(json|jsonc|json5|ya?ml|toml)$/i.test(fileName);
  },
  parse(uri, text): ParsedDocument {
    const isMarkdown = /\.(md|markdown|mdx)$/i.test(uri);
    const front = isMarkdown ? readFrontMatter(text) : { units: [], agents: [], problems: [], bodyStart: 0 };
    return {
      uri,
      format: 'plain-prompt',
      text,
      units: [...front.units, ...markdownUnits(text, front.bodyStart, text.length)],
      tools: [],
      agents: front.agents,
      comments: isMarkdown ? { blockStart: '<!--', blockEnd: '-->' } : { line: '#' },
      isSystemPrompt: true,
      problems: front.problems,
    };
  },
};
