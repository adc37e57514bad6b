// Prompty (`*.prompty`): YAML front matter (model, inputs, tools, sample) and a body of
// `system:` / `user:` / `assistant:` messages in a Jinja2 / Mustache template.
import { isMap, isSeq } from 'yaml';
import type { Format, ParsedDocument, ToolDefinition, ToolParameter, Unit } from '../core/types';
import { messageUnits, type RoleMarker } from './messages';
import { namedBy } from './probe';
import { readFrontMatterBlock, scalarUnit, yamlEntries, yamlItems, yamlProp, yamlSpan, yamlString, type YamlNode } from './yaml';

// The role line as Prompty's own parser reads it: `system:`, `# user:`, `assistant[name="x"]:`.
const ROLE_LINE = /^[ \t]*#?[ \t]*(system|user|assistant|function|tool|developer)(\[[^\]\n]*\])?[ \t]*:[ \t]*$/gim;
const MAX_DEPTH = 8;

interface FrontMatterRead {
  units: Unit[];
  tools: ToolDefinition[];
}

/** Every string in a nested map (model settings, samples): config values that secrets rules read. */
function configValues(source: string, node: unknown, base: number, id: string, units: Unit[], depth = 0): void {
  if (depth > MAX_DEPTH) return;
  if (yamlString(node) !== undefined) {
    const unit = scalarUnit(source, node as YamlNode, base, id, { kind: 'config-value', instruction: false, label: id.split('.').pop() });
    if (unit) units.push(unit);
  } else if (isMap(node)) {
    for (const entry of yamlEntries(node)) configValues(source, entry.value, base, `${id}.${entry.key}`, units, depth + 1);
  } else if (isSeq(node)) {
    yamlItems(node).forEach((item, index) => configValues(source, item, base, `${id}[${index}]`, units, depth + 1));
  }
}

/** Parameters given as a list of `{name, kind, description}` or as a JSON schema with `properties`. */
function readParameters(source: string, base: number, node: unknown, idBase: string, path: string, out: ToolParameter[], units: Unit[], depth = 0): void {
  if (depth > MAX_DEPTH) return;
  const parameter = (name: string, nameNode: YamlNode, schema: unknown): void => {
    const paramPath = path ? `${path}.${name}` : name;
    const description = scalarUnit(source, yamlProp(schema, 'description'), base, `${idBase}.${paramPath}.description`, {
      kind: 'parameter-description',
      instruction: true,
      label: name,
    });
    if (description) units.push(description);
    const maxLength = (yamlProp(schema, 'maxLength') as { value?: unknown } | undefined)?.value;
    const type = yamlString(yamlProp(schema, 'kind')) ?? yamlString(yamlProp(schema, 'type'));
    out.push({
      name,
      path: paramPath,
      ...(type ? { type } : {}),
      ...(description ? { description } : {}),
      hasEnum: ['enum', 'enumValues', 'const'].some((key) => yamlProp(schema, key) !== undefined),
      hasPattern: yamlProp(schema, 'pattern') !== undefined,
      hasFormat: yamlProp(schema, 'format') !== undefined,
      ...(typeof maxLength === 'number' ? { maxLength } : {}),
      nameSpan: yamlSpan(nameNode, base) ?? { start: base, end: base },
    });
    readParameters(source, base, schema, idBase, paramPath, out, units, depth + 1);
  };
  const list = isSeq(node) ? node : yamlProp(node, 'properties');
  if (isSeq(list)) {
    for (const item of yamlItems(list)) {
      const nameNode = yamlProp(item, 'name');
      const name = yamlString(nameNode);
      if (name !== undefined && nameNode) parameter(name, nameNode, item);
    }
  } else {
    for (const entry of yamlEntries(list)) parameter(entry.key, entry.keyNode, entry.value);
  }
  const itemsNode = yamlProp(node, 'items');
  if (isMap(itemsNode)) readParameters(source, base, itemsNode, idBase, `${path}[]`, out, units, depth + 1);
}

function readTools(source: string, base: number, node: unknown, units: Unit[]): ToolDefinition[] {
  const tools: ToolDefinition[] = [];
  yamlItems(node).forEach((tool, index) => {
    const nameNode = yamlProp(tool, 'name');
    const name = yamlString(nameNode);
    if (name === undefined || !nameNode) return;
    const id = `tools[${index}]`;
    const description = scalarUnit(source, yamlProp(tool, 'description'), base, `${id}.description`, { kind: 'tool-description', instruction: true, label: name });
    if (description) units.push(description);
    const parameters: ToolParameter[] = [];
    readParameters(source, base, yamlProp(tool, 'parameters'), `${id}.parameters`, '', parameters, units);
    tools.push({
      name,
      nameSpan: yamlSpan(nameNode, base) ?? { start: base, end: base },
      ...(description ? { description } : {}),
      parameters,
      span: yamlSpan(tool, base) ?? { start: base, end: base },
    });
  });
  return tools;
}

function readInputs(source: string, base: number, node: unknown, units: Unit[]): void {
  const input = (name: string, value: unknown): void => {
    const id = `inputs.${name}`;
    const description = scalarUnit(source, yamlProp(value, 'description'), base, `${id}.description`, { kind: 'frontmatter-field', instruction: false, label: id });
    if (description) units.push(description);
    for (const key of ['default', 'example', 'sample']) configValues(source, yamlProp(value, key), base, `${id}.${key}`, units);
    if (yamlString(value) !== undefined) configValues(source, value, base, id, units);
  };
  if (isSeq(node)) {
    for (const item of yamlItems(node)) {
      const name = yamlString(yamlProp(item, 'name'));
      if (name !== undefined) input(name, item);
    }
  } else {
    for (const entry of yamlEntries(node)) input(entry.key, entry.value);
  }
}

function readPromptyFrontMatter(text: string, yamlStart: number, doc: unknown): FrontMatterRead {
  const units: Unit[] = [];
  let tools: ToolDefinition[] = [];
  for (const entry of yamlEntries(doc)) {
    if (yamlString(entry.value) !== undefined) {
      const unit = scalarUnit(text, entry.value, yamlStart, `frontmatter.${entry.key}`, {
        kind: 'frontmatter-field',
        instruction: entry.key === 'description',
        label: entry.key,
      });
      if (unit) units.push(unit);
    } else if (entry.key === 'model' || entry.key === 'sample' || entry.key === 'connection') {
      configValues(text, entry.value, yamlStart, entry.key, units);
    } else if (entry.key === 'inputs') {
      readInputs(text, yamlStart, entry.value, units);
    } else if (entry.key === 'tools') {
      tools = readTools(text, yamlStart, entry.value, units);
    }
  }
  return { units, tools };
}

export const promptyFormat: Format = {
  id: 'prompty',
  description: 'Prompty files (*.prompty): YAML front matter and system/user/assistant messages',
  patterns: ['**/*.prompty'],
  languages: [],
  matches(file) {
    return namedBy(this.patterns, file.fileName);
  },
  parse(uri, text): ParsedDocument {
    const block = readFrontMatterBlock(text);
    const { bodyStart, problems } = block;
    const front: FrontMatterRead = bodyStart > 0 ? readPromptyFrontMatter(text, block.yamlStart, block.contents) : { units: [], tools: [] };
    const markers: RoleMarker[] = [];
    const body = text.slice(bodyStart);
    for (const role of body.matchAll(ROLE_LINE)) {
      markers.push({ role: role[1].toLowerCase(), start: bodyStart + role.index, contentStart: bodyStart + role.index + role[0].length });
    }
    return {
      uri,
      format: 'prompty',
      text,
      units: [...front.units, ...messageUnits(text, bodyStart, text.length, markers, 'system')],
      tools: front.tools,
      agents: [],
      // A Jinja2 comment never reaches the model (front matter would take `#`, the body would not).
      comments: { blockStart: '{#', blockEnd: '#}' },
      isSystemPrompt: true,
      problems,
    };
  },
};
