// CrewAI YAML: `agents.yaml` (role / goal / backstory, delegation and iteration limits) and
// `tasks.yaml` (description / expected_output, human checkpoints).
import { isMap, isScalar } from 'yaml';
import type { AgentSettings, Format, ParsedDocument, Unit, UnitKind } from '../core/types';
import { namedBy, treeOf } from './probe';
import { parseYaml, scalarUnit, yamlEntries, yamlItems, yamlProp, yamlSpan, yamlString, type YamlNode } from './yaml';

const AGENT_FIELDS: Record<string, UnitKind> = { role: 'agent-role', goal: 'agent-goal', backstory: 'agent-backstory' };
const TASK_FIELDS: Record<string, UnitKind> = { description: 'task-description', expected_output: 'task-description' };

const hasAny = (node: unknown, keys: string[]): boolean => keys.some((key) => yamlProp(node, key) !== undefined);

/** True when the top level maps names to CrewAI agents or tasks. */
function looksLikeCrew(contents: unknown): boolean {
  const values = yamlEntries(contents).map((entry) => entry.value);
  return values.length > 0 && values.some((value) => isMap(value) && hasAny(value, [...Object.keys(AGENT_FIELDS), ...Object.keys(TASK_FIELDS)]));
}

function scalarValue(node: YamlNode | undefined): unknown {
  return isScalar(node) ? node.value : undefined;
}

function readCrew(text: string, contents: unknown): { units: Unit[]; agents: AgentSettings[] } {
  const units: Unit[] = [];
  const agents: AgentSettings[] = [];
  for (const entry of yamlEntries(contents)) {
    if (!isMap(entry.value)) continue;
    const isAgent = hasAny(entry.value, Object.keys(AGENT_FIELDS));
    const fields = isAgent ? AGENT_FIELDS : TASK_FIELDS;
    for (const [field, kind] of Object.entries(fields)) {
      const unit = scalarUnit(text, yamlProp(entry.value, field), 0, `${entry.key}.${field}`, { kind, instruction: true, label: field });
      if (unit) units.push(unit);
    }
    const settings: AgentSettings = { span: yamlSpan(entry.value, 0) ?? { start: 0, end: 0 }, name: entry.key, autonomous: isAgent };
    let relevant = isAgent;
    const tools = yamlProp(entry.value, 'tools');
    if (tools) {
      relevant = true;
      settings.allowedTools = yamlItems(tools).flatMap((tool) => (yamlString(tool) !== undefined ? [yamlString(tool) as string] : []));
      settings.allowedToolsSpan = yamlSpan(tools, 0);
    }
    const maxIter = scalarValue(yamlProp(entry.value, 'max_iter'));
    if (typeof maxIter === 'number') settings.maxSteps = maxIter;
    const humanInput = scalarValue(yamlProp(entry.value, 'human_input'));
    if (typeof humanInput === 'boolean') {
      relevant = true;
      settings.hasHumanCheckpoint = humanInput;
    }
    const delegation = scalarValue(yamlProp(entry.value, 'allow_delegation'));
    if (typeof delegation === 'boolean') settings.allowDelegation = delegation;
    const codeExecution = scalarValue(yamlProp(entry.value, 'allow_code_execution'));
    if (typeof codeExecution === 'boolean') settings.allowCodeExecution = codeExecution;
    if (relevant) agents.push(settings);
  }
  return { units, agents };
}

const readYaml = (text: string): ReturnType<typeof parseYaml> => parseYaml(text, 0, 'The file');

export const crewAiFormat: Format = {
  id: 'crewai',
  description: 'CrewAI agents.yaml (role, goal, backstory) and tasks.yaml (description, expected_output)',
  patterns: ['**/agents.yaml', '**/agents.yml', '**/tasks.yaml', '**/tasks.yml'],
  languages: ['yaml'],
  matches(file) {
    if (!namedBy(this.patterns, file.fileName)) return false;
    if (file.explicit) return true;
    if (file.text().length === 0) return false;
    // A broken agents.yaml is still ours to report: the parse error is the finding.
    const parsed = file.tree('yaml', readYaml);
    return parsed.problems.length > 0 || looksLikeCrew(parsed.doc.contents);
  },
  parse(uri, text, file): ParsedDocument {
    const { doc, problems } = treeOf(file, text, 'yaml', readYaml);
    const read = readCrew(text, doc.contents);
    return {
      uri,
      format: 'crewai',
      text,
      units: read.units,
      tools: [],
      agents: read.agents,
      comments: { line: '#' },
      isSystemPrompt: true,
      problems,
    };
  },
};
