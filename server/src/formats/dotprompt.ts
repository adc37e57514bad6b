// Dotprompt (`*.prompt`, Firebase Genkit): YAML front matter (model, config, input, output, tools)
// and a Handlebars body whose `{{role "system"}}` markers start messages.
import { isMap } from 'yaml';
import type { AgentSettings, Format, ParsedDocument, Unit } from '../core/types';
import { messageUnits, type RoleMarker } from './messages';
import { namedBy } from './probe';
import { readFrontMatterBlock, scalarUnit, yamlEntries, yamlItems, yamlProp, yamlSpan, yamlString } from './yaml';

const ROLE_MARKER = /\{\{\s*role\s+(?:"([^"]+)"|'([^']+)')\s*\}\}/g;

interface FrontMatterRead {
  units: Unit[];
  agents: AgentSettings[];
}

function readDotpromptFrontMatter(text: string, yamlStart: number, contents: unknown): FrontMatterRead {
  const units: Unit[] = [];
  const agents: AgentSettings[] = [];
  for (const entry of yamlEntries(contents)) {
    if (yamlString(entry.value) !== undefined) {
      const unit = scalarUnit(text, entry.value, yamlStart, `frontmatter.${entry.key}`, {
        kind: 'frontmatter-field',
        instruction: entry.key === 'description',
        label: entry.key,
      });
      if (unit) units.push(unit);
    } else if (entry.key === 'input') {
      // Default values are sample data, and picoschema field descriptions (`name: string, the name`)
      // document the inputs; both are read as config values.
      for (const field of yamlEntries(yamlProp(entry.value, 'default'))) {
        const unit = scalarUnit(text, field.value, yamlStart, `input.default.${field.key}`, { kind: 'config-value', instruction: false, label: field.key });
        if (unit) units.push(unit);
      }
      const schema = yamlProp(entry.value, 'schema');
      if (isMap(schema)) {
        for (const field of yamlEntries(schema)) {
          const unit = scalarUnit(text, field.value, yamlStart, `input.schema.${field.key}`, { kind: 'config-value', instruction: false, label: field.key });
          if (unit) units.push(unit);
        }
      }
    } else if (entry.key === 'tools') {
      const tools = yamlItems(entry.value).flatMap((item) => (yamlString(item) !== undefined ? [yamlString(item) as string] : []));
      const span = yamlSpan(entry.value, yamlStart) ?? { start: yamlStart, end: yamlStart };
      agents.push({ span, allowedTools: tools, allowedToolsSpan: span });
    }
  }
  return { units, agents };
}

export const dotpromptFormat: Format = {
  id: 'dotprompt',
  description: 'Dotprompt files (*.prompt): YAML front matter and a Handlebars body with {{role}} markers',
  patterns: ['**/*.prompt'],
  languages: [],
  matches(file) {
    return namedBy(this.patterns, file.fileName);
  },
  parse(uri, text): ParsedDocument {
    const block = readFrontMatterBlock(text);
    const { bodyStart, problems } = block;
    const front: FrontMatterRead = bodyStart > 0 ? readDotpromptFrontMatter(text, block.yamlStart, block.contents) : { units: [], agents: [] };
    const markers: RoleMarker[] = [];
    const body = text.slice(bodyStart);
    for (const marker of body.matchAll(ROLE_MARKER)) {
      const start = bodyStart + marker.index;
      markers.push({ role: (marker[1] ?? marker[2]).toLowerCase(), start, contentStart: start + marker[0].length });
    }
    return {
      uri,
      format: 'dotprompt',
      text,
      // Text before the first marker is a user message, as Dotprompt renders it.
      units: [...front.units, ...messageUnits(text, bodyStart, text.length, markers, 'user')],
      tools: [],
      agents: front.agents,
      // A Handlebars comment is dropped when the template renders.
      comments: { blockStart: '{{!--', blockEnd: '--}}' },
      isSystemPrompt: true,
      problems,
    };
  },
};
