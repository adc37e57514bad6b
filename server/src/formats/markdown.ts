import { isScalar, isSeq } from 'yaml';
import type { AgentSettings, Format, ParsedDocument, ParseProblem, Unit } from '../core/types';
import { frontMatterHost, readFrontMatterFields, type FrontMatterHost } from './front-matter';
import { namedBy } from './probe';
import { scalarUnit } from './yaml';

/** File names that are instructions to a model, in Markdown with optional YAML front matter. */
/** Prompt, instruction, agent and skill files by name (Copilot, Cursor, Claude Code, Windsurf, Gemini, Codex). */
const PROMPT_MARKDOWN = [
  '**/*.prompt.md',
  '**/*.instructions.md',
  '**/*.agent.md',
  '**/*.chatmode.md',
  '**/copilot-instructions.md',
  '**/AGENTS.md',
  '**/CLAUDE.md',
  '**/GEMINI.md',
  '**/SKILL.md',
  '**/.cursorrules',
  '**/.cursor/rules/*.mdc',
  '**/.windsurfrules',
  '**/.claude/agents/*.md',
  '**/.claude/commands/*.md',
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

/**
 * Reads the front matter as the tool that loads the file does (see front-matter.ts): string fields
 * become units, `tools` becomes the agent's allowed tools.
 */
export function readFrontMatter(text: string, host: FrontMatterHost = 'yaml'): FrontMatter {
  const front = readFrontMatterFields(text, host);
  const units: Unit[] = [];
  const agent: AgentSettings = { span: front.span };
  let agentFieldSeen = false;
  for (const { key, node, base, raw } of front.fields) {
    const span = raw ? raw.span : { start: base + (node?.range?.[0] ?? 0), end: base + (node?.range?.[1] ?? 0) };
    const options = { kind: 'frontmatter-field' as const, label: key, instruction: key === 'description' || key === 'instructions' || key === 'prompt' };
    if (raw) {
      if (raw.text.trim()) units.push({ id: `frontmatter.${key}`, text: raw.text, span: raw.span, ...options });
    } else if (isScalar(node) && typeof node.value === 'string') {
      // Quoted and block scalars are decoded; their characters map back through sourceOffsets.
      const unit = scalarUnit(text, node, base, `frontmatter.${key}`, options);
      if (unit) units.push(unit);
    }
    if (key === 'tools' || key === 'allowed-tools' || key === 'allowedTools') {
      agentFieldSeen = true;
      const tools = raw
        ? raw.text.split(/[\s,]+/)
        : isSeq(node)
          ? node.items.map((item) => (isScalar(item) ? String(item.value) : ''))
          : isScalar(node)
            ? String(node.value).split(/[\s,]+/)
            : [];
      agent.allowedTools = tools.filter((tool) => tool.length > 0);
      agent.allowedToolsSpan = span;
    }
    if (key === 'permissionMode' || key === 'permission-mode') {
      agentFieldSeen = true;
      agent.permissionMode = raw ? raw.text : isScalar(node) ? String(node.value) : undefined;
      agent.permissionModeSpan = span;
    }
  }
  return { units, agents: agentFieldSeen ? [agent] : [], problems: front.problems, bodyStart: front.bodyStart };
}

export const markdownPromptFormat: Format = {
  id: 'markdown-prompt',
  description: 'Prompt, instruction, agent, chat mode and skill files in Markdown with YAML front matter',
  patterns: PROMPT_MARKDOWN,
  // VS Code opens Copilot's prompt files in languages of their own.
  languages: ['markdown', 'prompt', 'instructions', 'chatmode'],
  matches(file) {
    return namedBy(this.patterns, file.fileName);
  },
  parse(uri, text): ParsedDocument {
    const front = readFrontMatter(text, frontMatterHost(uri));
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
  patterns: [],
  languages: [],
  matches(file) {
    return file.explicit && !/\.(json|jsonc|json5|ya?ml|toml)$/i.test(file.fileName);
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
