// MCP server manifests (`server.json`, the MCP registry's schema): the server's description, the
// packages' arguments and environment variables, remote URLs and headers.
import type { Format, ParsedDocument, Unit } from '../core/types';
import { childId, isJsonFileName, isObject, items, JSON_COMMENTS, jsonFor, jsonOf, prop, stringOf, stringUnit, type JsonNode } from './json';
import { namedBy } from './probe';
import { readTools } from './tools';

export function looksLikeManifest(root: JsonNode | undefined): boolean {
  if (!isObject(root) || stringOf(prop(root, 'name')) === undefined) return false;
  const schema = stringOf(prop(root, '$schema')) ?? '';
  return /server\.schema\.json|modelcontextprotocol/i.test(schema) || items(prop(root, 'packages')).length > 0 || items(prop(root, 'remotes')).length > 0;
}

function readManifest(text: string, root: JsonNode): Unit[] {
  const units: Unit[] = [];
  const push = (node: JsonNode | undefined, id: string, label: string, instruction = false): void => {
    const unit = node && stringOf(node) !== undefined ? stringUnit(text, node, id, { kind: 'config-value', instruction, label }) : undefined;
    if (unit) units.push(unit);
  };
  // The description is what registries and clients show beside the server; models may read it too.
  push(prop(root, 'description'), 'description', 'description', true);
  const argumentsOf = (holder: JsonNode, id: string): void => {
    for (const key of ['runtimeArguments', 'packageArguments', 'environmentVariables', 'headers']) {
      items(prop(holder, key)).forEach((argument, index) => {
        const argumentId = childId(`${id}.${key}`, index);
        const name = stringOf(prop(argument, 'name')) ?? key;
        push(prop(argument, 'description'), `${argumentId}.description`, name, true);
        for (const field of ['value', 'default', 'valueHint']) push(prop(argument, field), `${argumentId}.${field}`, name);
      });
    }
  };
  items(prop(root, 'packages')).forEach((pkg, index) => {
    const id = childId('packages', index);
    push(prop(pkg, 'identifier'), `${id}.identifier`, 'identifier');
    push(prop(pkg, 'runtimeHint'), `${id}.runtimeHint`, 'runtimeHint');
    argumentsOf(pkg, id);
  });
  items(prop(root, 'remotes')).forEach((remote, index) => {
    const id = childId('remotes', index);
    push(prop(remote, 'url'), `${id}.url`, 'url');
    argumentsOf(remote, id);
  });
  return units;
}

export const mcpServerManifestFormat: Format = {
  id: 'mcp-server-manifest',
  description: 'MCP server manifests (server.json for the MCP registry)',
  patterns: ['**/server.json'],
  languages: ['json', 'jsonc'],
  sniffsContent: true,
  matches(file) {
    if (!isJsonFileName(file.fileName)) return false;
    // Other names only when named, or when the file points at the registry's schema.
    if (!namedBy(this.patterns, file.fileName) && !file.explicit && !/server\.schema\.json/.test(file.text())) return false;
    return file.text().length > 0 && looksLikeManifest(jsonOf(file).root);
  },
  parse(uri, text, file): ParsedDocument {
    const { root, problems } = jsonFor(file, text);
    const units = root && isObject(root) ? readManifest(text, root) : [];
    const tools = isObject(root) ? readTools(text, items(prop(root, 'tools')), 'tools', true) : { tools: [], units: [] };
    return {
      uri,
      format: 'mcp-server-manifest',
      text,
      units: [...units, ...tools.units],
      tools: tools.tools,
      agents: [],
      comments: JSON_COMMENTS,
      isSystemPrompt: false,
      problems,
    };
  },
};
