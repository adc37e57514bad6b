// Claude Code settings (.claude/settings.json, .claude/settings.local.json): permission lists and the
// default permission mode become agent settings; env values and hook commands are config values.
import type { AgentSettings, Format, ParsedDocument, Unit } from '../core/types';
import { childId, entries, isJsonFileName, isObject, items, JSON_COMMENTS, jsonFor, jsonOf, prop, spanOf, stringOf, stringUnit, type JsonNode } from './json';
import { namedBy } from './probe';

function looksLikeSettings(root: JsonNode | undefined): boolean {
  const permissions = prop(root, 'permissions');
  return isObject(permissions) && ['allow', 'deny', 'ask', 'defaultMode'].some((key) => prop(permissions, key) !== undefined);
}

function readSettings(text: string, root: JsonNode): { units: Unit[]; agents: AgentSettings[] } {
  const units: Unit[] = [];
  const push = (node: JsonNode | undefined, id: string, label: string): void => {
    const unit = node && stringOf(node) !== undefined ? stringUnit(text, node, id, { kind: 'config-value', instruction: false, label }) : undefined;
    if (unit) units.push(unit);
  };
  for (const [keyNode, valueNode] of entries(prop(root, 'env'))) push(valueNode, childId('env', String(keyNode.value)), String(keyNode.value));
  push(prop(root, 'apiKeyHelper'), 'apiKeyHelper', 'apiKeyHelper');
  for (const [eventNode, matchers] of entries(prop(root, 'hooks'))) {
    items(matchers).forEach((matcher, index) => {
      items(prop(matcher, 'hooks')).forEach((hook, hookIndex) => {
        const id = `${childId(childId(childId('hooks', String(eventNode.value)), index), 'hooks')}[${hookIndex}].command`;
        push(prop(hook, 'command'), id, 'command');
      });
    });
  }
  const permissions = prop(root, 'permissions');
  const agents: AgentSettings[] = [];
  if (isObject(permissions)) {
    const agent: AgentSettings = { span: spanOf(permissions) };
    const allow = prop(permissions, 'allow');
    if (allow?.type === 'array') {
      agent.allowedTools = items(allow).flatMap((item) => (stringOf(item) !== undefined ? [stringOf(item) as string] : []));
      agent.allowedToolsSpan = spanOf(allow);
    }
    const mode = prop(permissions, 'defaultMode');
    if (stringOf(mode) !== undefined) {
      agent.permissionMode = stringOf(mode);
      agent.permissionModeSpan = spanOf(mode as JsonNode);
    }
    agents.push(agent);
  }
  return { units, agents };
}

export const claudeSettingsFormat: Format = {
  id: 'claude-settings',
  description: 'Claude Code settings: permissions.allow, defaultMode, env, hooks',
  patterns: ['**/.claude/settings.json', '**/.claude/settings.local.json'],
  languages: ['json', 'jsonc'],
  sniffsContent: true,
  matches(file) {
    if (!isJsonFileName(file.fileName)) return false;
    if (namedBy(this.patterns, file.fileName)) return true;
    return file.text().length > 0 && looksLikeSettings(jsonOf(file).root);
  },
  parse(uri, text, file): ParsedDocument {
    const { root, problems } = jsonFor(file, text);
    const read = isObject(root) ? readSettings(text, root) : { units: [], agents: [] };
    return {
      uri,
      format: 'claude-settings',
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
