// MCP client configurations (.vscode/mcp.json, claude_desktop_config.json, .cursor/mcp.json, mcp.json,
// VS Code settings with `mcp.servers`): each server's command, args, env and url are config-value
// units; auto-approval lists and trust flags become agent settings.
import type { AgentSettings, Format, ParsedDocument, Unit } from '../core/types';
import {
  childId,
  entries,
  isJsonFileName,
  isObject,
  items,
  JSON_COMMENTS,
  jsonFor,
  jsonOf,
  prop,
  spanOf,
  stringOf,
  stringUnit,
  valueOf,
  type JsonNode,
} from './json';
import { namedBy } from './probe';

/** Files that are MCP client configurations by name alone (.vscode/mcp.json and .cursor/mcp.json among them). */
const CONFIG_NAMES = ['**/mcp.json', '**/.mcp.json', '**/claude_desktop_config.json', '**/cline_mcp_settings.json', '**/mcp_config.json'];

const SERVER_FIELDS = ['command', 'url', 'serverUrl', 'httpUrl'];
const APPROVAL_KEYS = ['autoApprove', 'alwaysAllow', 'allowedTools', 'trustedTools'];

interface ServerList {
  node: JsonNode;
  id: string;
}

/** The object mapping server names to server entries, wherever this client keeps it. */
export function serverList(root: JsonNode | undefined): ServerList | undefined {
  const candidates: ServerList[] = [
    { node: prop(root, 'mcpServers') as JsonNode, id: 'mcpServers' },
    { node: prop(root, 'servers') as JsonNode, id: 'servers' },
    { node: prop(prop(root, 'mcp'), 'servers') as JsonNode, id: 'mcp.servers' },
    { node: prop(root, 'mcp.servers') as JsonNode, id: '"mcp.servers"' },
    { node: prop(root, 'context_servers') as JsonNode, id: 'context_servers' },
  ];
  return candidates.find((candidate) => isObject(candidate.node));
}

function looksLikeServers(list: ServerList | undefined): boolean {
  if (!list) return false;
  if (list.id === 'mcpServers') return true;
  return entries(list.node).some(([, server]) => SERVER_FIELDS.some((field) => prop(server, field) !== undefined));
}

function readServers(text: string, list: ServerList): { units: Unit[]; agents: AgentSettings[] } {
  const units: Unit[] = [];
  const agents: AgentSettings[] = [];
  const value = (node: JsonNode | undefined, id: string, label: string): void => {
    const unit = node && stringOf(node) !== undefined ? stringUnit(text, node, id, { kind: 'config-value', instruction: false, label }) : undefined;
    if (unit) units.push(unit);
  };
  for (const [nameNode, server] of entries(list.node)) {
    if (!isObject(server)) continue;
    const id = childId(list.id, String(nameNode.value));
    for (const field of [...SERVER_FIELDS, 'type', 'cwd', 'envFile', 'description']) value(prop(server, field), `${id}.${field}`, field);
    items(prop(server, 'args')).forEach((arg, index) => value(arg, childId(`${id}.args`, index), 'arg'));
    for (const mapKey of ['env', 'headers']) {
      for (const [keyNode, valueNode] of entries(prop(server, mapKey))) {
        value(valueNode, childId(`${id}.${mapKey}`, String(keyNode.value)), String(keyNode.value));
      }
    }
    const agent: AgentSettings = { span: spanOf(server) };
    let relevant = false;
    for (const key of APPROVAL_KEYS) {
      const node = prop(server, key);
      const approved = valueOf(node);
      if (!node) continue;
      relevant = true;
      // `autoApprove: true` approves every tool of the server.
      agent.allowedTools = Array.isArray(approved) ? approved.filter((tool): tool is string => typeof tool === 'string') : approved === true ? ['*'] : [];
      agent.allowedToolsSpan = spanOf(node);
    }
    const trust = prop(server, 'trust');
    if (trust && valueOf(trust) === true) {
      relevant = true;
      agent.permissionMode = 'trust';
      agent.permissionModeSpan = spanOf(trust);
    }
    if (relevant) agents.push(agent);
  }
  return { units, agents };
}

export const mcpConfigFormat: Format = {
  id: 'mcp-config',
  description: 'MCP client configurations: .vscode/mcp.json, claude_desktop_config.json, .cursor/mcp.json, mcp.json, settings with mcp.servers',
  patterns: CONFIG_NAMES,
  languages: ['json', 'jsonc'],
  sniffsContent: true,
  matches(file) {
    if (!isJsonFileName(file.fileName)) return false;
    if (namedBy(this.patterns, file.fileName)) return true;
    return file.text().length > 0 && looksLikeServers(serverList(jsonOf(file).root));
  },
  parse(uri, text, file): ParsedDocument {
    const { root, problems } = jsonFor(file, text);
    const list = serverList(root);
    const read = list ? readServers(text, list) : { units: [], agents: [] };
    return {
      uri,
      format: 'mcp-config',
      text,
      units: read.units,
      tools: [],
      agents: read.agents,
      comments: JSON_COMMENTS,
      isSystemPrompt: false,
      problems,
    };
  },
};
