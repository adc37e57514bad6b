// OpenAI function / tool JSON: a list of `{type: "function", function: {...}}` or bare functions, a
// single function, or `tools` / `functions` inside a larger object such as a request body.
import type { Format, ParsedDocument, Unit } from '../core/types';
import { childId, isJsonFileName, isObject, items, JSON_COMMENTS, jsonFor, jsonOf, prop, stringOf, stringUnit, type JsonNode } from './json';
import { hasInputSchema, looksLikeTool, readTools } from './tools';

interface ToolList {
  nodes: JsonNode[];
  prefix: string;
}

function isFunctionList(list: JsonNode | undefined): boolean {
  const members = items(list);
  return members.some(looksLikeTool) && !members.some(hasInputSchema);
}

/** Where the tools sit in the file, or undefined when it is not an OpenAI-style tool file. */
export function openAiToolList(root: JsonNode | undefined): ToolList | undefined {
  if (root?.type === 'array') return isFunctionList(root) ? { nodes: items(root), prefix: 'tools' } : undefined;
  if (!isObject(root)) return undefined;
  for (const key of ['tools', 'functions']) {
    const list = prop(root, key);
    // MCP servers list tools too; those carry `inputSchema` and live beside `prompts` / `resources`.
    if (isFunctionList(list) && !prop(root, 'prompts') && !prop(root, 'resources')) return { nodes: items(list), prefix: key };
  }
  if (looksLikeTool(root) && (isObject(prop(root, 'parameters')) || isObject(prop(root, 'function')))) {
    return { nodes: [root], prefix: 'tools' };
  }
  return undefined;
}

/** Messages of a request body carrying tools: each a `message` unit labelled with its role. */
function messageUnits(text: string, root: JsonNode | undefined): Unit[] {
  const units: Unit[] = [];
  const instructions = prop(root, 'instructions');
  if (stringOf(instructions) !== undefined) {
    const unit = stringUnit(text, instructions as JsonNode, 'instructions', { kind: 'message', instruction: true, label: 'system' });
    if (unit) units.push(unit);
  }
  items(prop(root, 'messages')).forEach((message, index) => {
    const role = stringOf(prop(message, 'role')) ?? 'user';
    const content = prop(message, 'content');
    const unit = content ? stringUnit(text, content, `${childId('messages', index)}.content`, { kind: 'message', instruction: role !== 'assistant', label: role }) : undefined;
    if (unit) units.push(unit);
  });
  return units;
}

export const openAiToolsFormat: Format = {
  id: 'openai-tools',
  description: 'OpenAI function / tool definitions in JSON (also Anthropic-style tools and request bodies that carry tools)',
  patterns: [],
  languages: ['json', 'jsonc'],
  sniffsContent: true,
  matches(file) {
    return isJsonFileName(file.fileName) && file.text().length > 0 && openAiToolList(jsonOf(file).root) !== undefined;
  },
  parse(uri, text, file): ParsedDocument {
    const { root, problems } = jsonFor(file, text);
    const list = openAiToolList(root);
    const read = list ? readTools(text, list.nodes, list.prefix, false) : { tools: [], units: [] };
    return {
      uri,
      format: 'openai-tools',
      text,
      units: [...messageUnits(text, root), ...read.units],
      tools: read.tools,
      agents: [],
      comments: JSON_COMMENTS,
      isSystemPrompt: false,
      problems,
    };
  },
};
