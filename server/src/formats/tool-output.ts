// Text a tool returned to an agent (a fetched page, a file, an API answer), for `latent-lint score`
// with "kind": "tool-output". It is not the developer's prompt (no scope hygiene, no template
// placeholders), but the agent reads it, so every paragraph is checked for injected instructions.
import type { Format, ParsedDocument } from '../core/types';
import { markdownUnits } from './markdown';

/** The file name the score command gives a tool output; no real file is called this. */
export const TOOL_OUTPUT_FILE = 'score.tool-output';

export const toolOutputFormat: Format = {
  id: 'tool-output',
  description: 'Text returned by a tool to an agent (latent-lint score, "kind": "tool-output")',
  patterns: [],
  languages: [],
  matches(file) {
    return file.explicit && file.fileName.replace(/\\/g, '/').split('/').pop() === TOOL_OUTPUT_FILE;
  },
  parse(uri, text): ParsedDocument {
    return {
      uri,
      format: 'tool-output',
      text,
      units: markdownUnits(text, 0, text.length).map((unit) => ({ ...unit, label: 'tool' })),
      tools: [],
      agents: [],
      comments: { blockStart: '<!--', blockEnd: '-->' },
      isSystemPrompt: false,
      problems: [],
    };
  },
};
