// Tool definitions in JSON (OpenAI functions, MCP tools, Anthropic tools): names, descriptions and
// every parameter of the nested JSON schema, each description a unit with its exact source range.
import type { ToolDefinition, ToolParameter, Unit } from '../core/types';
import { childId, entries, innerSpan, isObject, items, memberIndent, prop, spanOf, stringOf, stringUnit, valueOf, type JsonNode } from './json';

const SCHEMA_KEYS = ['parameters', 'inputSchema', 'input_schema'] as const;
const MAX_SCHEMA_DEPTH = 16;

/** The object holding a tool's name and description: the tool itself, or `function` in `{type: "function"}`. */
export function functionObject(node: JsonNode | undefined): JsonNode | undefined {
  if (!isObject(node)) return undefined;
  const wrapped = prop(node, 'function');
  if (isObject(wrapped) && stringOf(prop(wrapped, 'name')) !== undefined) return wrapped;
  if (stringOf(prop(node, 'name')) === undefined) return undefined;
  return node;
}

/** True for an object that looks like a tool: a name plus a schema or a description. */
export function looksLikeTool(node: JsonNode | undefined): boolean {
  const fn = functionObject(node);
  if (!fn) return false;
  return SCHEMA_KEYS.some((key) => isObject(prop(fn, key))) || stringOf(prop(fn, 'description')) !== undefined;
}

export const hasInputSchema = (node: JsonNode | undefined): boolean => isObject(prop(functionObject(node), 'inputSchema'));

export interface ToolsRead {
  tools: ToolDefinition[];
  units: Unit[];
}

/**
 * Reads tool objects. `idPrefix` names the list (`tools`), ids read `tools[0].description`,
 * `tools[0].parameters.path.description`. `annotatable`: the format carries MCP annotations.
 */
export function readTools(text: string, toolNodes: JsonNode[], idPrefix: string, annotatable: boolean): ToolsRead {
  const tools: ToolDefinition[] = [];
  const units: Unit[] = [];
  toolNodes.forEach((node, index) => {
    const fn = functionObject(node);
    const nameNode = prop(fn, 'name');
    if (!fn || !nameNode || nameNode.type !== 'string') return;
    const id = childId(idPrefix, index);
    const nameUnit = stringUnit(text, nameNode, `${id}.name`, { kind: 'tool-name', instruction: false });
    if (nameUnit) units.push(nameUnit);
    const descriptionNode = prop(fn, 'description');
    const description = descriptionNode
      ? stringUnit(text, descriptionNode, `${id}.description`, { kind: 'tool-description', instruction: true, label: nameUnit?.text })
      : undefined;
    if (description) units.push(description);
    const parameters: ToolParameter[] = [];
    const schemaKey = SCHEMA_KEYS.find((key) => isObject(prop(fn, key)));
    if (schemaKey) {
      const walker = new SchemaWalker(text, `${id}.parameters`, parameters, units);
      walker.walk(prop(fn, schemaKey), '', 0, true);
    }
    const annotationsNode = prop(fn, 'annotations');
    const annotations = isObject(annotationsNode) ? (valueOf(annotationsNode) as Record<string, unknown>) : undefined;
    tools.push({
      name: nameUnit?.text ?? String(nameNode.value),
      nameSpan: innerSpan(nameNode, text),
      ...(description ? { description } : {}),
      parameters,
      ...(annotations ? { annotations } : {}),
      ...(annotatable ? { insertAnnotationsAt: fn.offset + 1, memberIndent: memberIndent(text, fn) } : {}),
      span: spanOf(node),
    });
  });
  return { tools, units };
}

/** Walks a JSON schema: properties, items, anyOf/oneOf/allOf and $defs, recording each parameter. */
class SchemaWalker {
  constructor(
    private readonly text: string,
    private readonly idBase: string,
    private readonly parameters: ToolParameter[],
    private readonly units: Unit[],
  ) {}

  walk(schema: JsonNode | undefined, path: string, depth: number, root = false): void {
    if (!isObject(schema) || depth > MAX_SCHEMA_DEPTH) return;
    for (const [keyNode, valueNode] of entries(prop(schema, 'properties'))) {
      const name = String(keyNode.value);
      this.parameter(keyNode, valueNode, name, path ? `${path}.${name}` : name, depth);
    }
    const itemsNode = prop(schema, 'items');
    if (isObject(itemsNode)) this.walk(itemsNode, `${path}[]`, depth + 1);
    for (const tuple of items(itemsNode)) this.walk(tuple, `${path}[]`, depth + 1);
    for (const combiner of ['anyOf', 'oneOf', 'allOf']) {
      for (const variant of items(prop(schema, combiner))) this.walk(variant, path, depth + 1);
    }
    const additional = prop(schema, 'additionalProperties');
    if (isObject(additional)) this.walk(additional, `${path}.*`, depth + 1);
    if (root) {
      for (const defsKey of ['$defs', 'definitions']) {
        for (const [keyNode, valueNode] of entries(prop(schema, defsKey))) {
          this.walk(valueNode, `${defsKey}.${String(keyNode.value)}`, depth + 1);
        }
      }
    }
  }

  private parameter(keyNode: JsonNode, schema: JsonNode, name: string, path: string, depth: number): void {
    const variants = [schema, ...['anyOf', 'oneOf', 'allOf'].flatMap((key) => items(prop(schema, key)))];
    const has = (key: string): boolean => variants.some((variant) => prop(variant, key) !== undefined);
    const descriptionNode = prop(schema, 'description');
    const description = descriptionNode
      ? stringUnit(this.text, descriptionNode, `${this.idBase}.${path}.description`, {
          kind: 'parameter-description',
          instruction: true,
          label: name,
        })
      : undefined;
    if (description) this.units.push(description);
    const types = variants.flatMap((variant) => {
      const type = valueOf(prop(variant, 'type'));
      return typeof type === 'string' ? [type] : Array.isArray(type) ? type.filter((t): t is string => typeof t === 'string') : [];
    });
    const maxLength = variants.map((variant) => valueOf(prop(variant, 'maxLength'))).find((value) => typeof value === 'number');
    this.parameters.push({
      name,
      path,
      ...(types.length ? { type: [...new Set(types)].join('|') } : {}),
      ...(description ? { description } : {}),
      hasEnum: has('enum') || has('const'),
      hasPattern: has('pattern'),
      hasFormat: has('format'),
      ...(typeof maxLength === 'number' ? { maxLength } : {}),
      nameSpan: innerSpan(keyNode, this.text),
    });
    this.walk(schema, path, depth + 1);
  }
}
