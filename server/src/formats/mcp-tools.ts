// MCP `tools/list` results: `{tools: [{name, description, inputSchema, annotations}]}`, the same
// inside a JSON-RPC `result`, or a server signature that also lists prompts, resources and instructions.
import type { Format, ParsedDocument, Unit } from '../core/types';
import { childId, isJsonFileName, isObject, items, JSON_COMMENTS, jsonFor, jsonOf, prop, stringOf, stringUnit, type JsonNode } from './json';
import { hasInputSchema, looksLikeTool, readTools } from './tools';

/** The object that holds `tools` (the root or a JSON-RPC result), or undefined if this is no MCP listing. */
export function mcpToolHolder(root: JsonNode | undefined): JsonNode | undefined {
  const result = prop(root, 'result');
  for (const holder of [result, root]) {
    if (!isObject(holder)) continue;
    const tools = items(prop(holder, 'tools'));
    if (tools.some(hasInputSchema)) return holder;
    // A listing of tools without schemas is still MCP when it sits beside prompts or resources.
    const beside = ['prompts', 'resources', 'serverInfo', 'metadata'].some((key) => prop(holder, key) !== undefined);
    if ((beside || holder === result) && tools.some(looksLikeTool)) return holder;
  }
  return undefined;
}

/** Server instructions and prompt / resource descriptions: text a client shows to the model. */
function serverTextUnits(text: string, holder: JsonNode): Unit[] {
  const units: Unit[] = [];
  const push = (node: JsonNode | undefined, id: string, label: string): void => {
    const unit = node && stringOf(node) !== undefined ? stringUnit(text, node, id, { kind: 'prose', instruction: true, label }) : undefined;
    if (unit) units.push(unit);
  };
  push(prop(prop(holder, 'metadata'), 'instructions'), 'metadata.instructions', 'instructions');
  push(prop(holder, 'instructions'), 'instructions', 'instructions');
  for (const key of ['prompts', 'resources', 'resource_templates', 'resourceTemplates']) {
    items(prop(holder, key)).forEach((entry, index) => {
      const id = childId(key, index);
      push(prop(entry, 'description'), `${id}.description`, key);
      items(prop(entry, 'arguments')).forEach((argument, argIndex) => {
        push(prop(argument, 'description'), `${childId(`${id}.arguments`, argIndex)}.description`, 'argument');
      });
    });
  }
  return units;
}

export const mcpToolsFormat: Format = {
  id: 'mcp-tools',
  description: 'MCP tools/list results and server signatures (tools with inputSchema and annotations)',
  patterns: [],
  languages: ['json', 'jsonc'],
  sniffsContent: true,
  matches(file) {
    return isJsonFileName(file.fileName) && file.text().length > 0 && mcpToolHolder(jsonOf(file).root) !== undefined;
  },
  parse(uri, text, file): ParsedDocument {
    const { root, problems } = jsonFor(file, text);
    const holder = mcpToolHolder(root);
    const prefix = holder && holder !== root ? 'result.tools' : 'tools';
    const read = holder ? readTools(text, items(prop(holder, 'tools')), prefix, true) : { tools: [], units: [] };
    return {
      uri,
      format: 'mcp-tools',
      text,
      units: [...read.units, ...(holder ? serverTextUnits(text, holder) : [])],
      tools: read.tools,
      agents: [],
      comments: JSON_COMMENTS,
      isSystemPrompt: false,
      problems,
    };
  },
};
