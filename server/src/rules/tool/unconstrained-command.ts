import type { Rule, ToolParameter } from '../../core/types';
import { docsUrl } from '../../core/docs';

const ID = 'tool/unconstrained-command';

// Parameters whose value is run: shell commands, SQL, code. Named so, or described so.
const COMMAND_NAME = /^(cmd|cmds|command|commands|command_?line|shell|shell_?command|bash|bash_?command|script|script_?body|code|source_?code|python_?code|js_?code|sql|sql_?query|raw_?sql|query_?sql|statement|sql_?statement|exec|eval)$/i;
const COMMAND_DESCRIPTION =
  /\b(?:(?:shell|bash|terminal|system|powershell|cmd|console|os)\s+commands?|commands?\s+to\s+(?:run|execute)|(?:raw\s+)?sql\s+(?:query|queries|statements?|commands?)|(?:python|javascript|js|bash|ruby|node)\s+(?:code|script|snippet)\s+to\s+(?:run|execute|evaluate)|code\s+to\s+(?:run|execute|evaluate)|arbitrary\s+(?:code|commands?|sql))\b/i;

// A parameter only named "command" or "statement" counts when its tool runs things.
const RUNS_THINGS = /\b(run|runs|execute|executes|exec|shell|terminal|bash|console|eval|evaluate|sql|database|db)\b|_(?:run|exec|execute|shell|sql|query)\b|\.(?:run|exec|execute)\b/i;

function kindOf(parameter: ToolParameter, toolText: string): string | undefined {
  if (parameter.type && parameter.type !== 'string' && parameter.type !== 'array') return undefined;
  const description = parameter.description?.text ?? '';
  const described = COMMAND_DESCRIPTION.exec(description);
  if (described) return described[0].toLowerCase();
  if (COMMAND_NAME.test(parameter.name) && RUNS_THINGS.test(toolText)) return /sql|statement/i.test(parameter.name) ? 'SQL' : 'command or code';
  return undefined;
}

export const unconstrainedCommand: Rule = {
  meta: {
    id: ID,
    category: 'tool',
    defaultSeverity: 'warning',
    description: 'A tool parameter that takes a shell command, SQL or code with no enum, pattern, format or maxLength: whoever steers the agent can run anything.',
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    for (const tool of context.document.tools) {
      const toolText = `${tool.name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)} ${tool.description?.text ?? ''}`;
      for (const parameter of tool.parameters) {
        if (parameter.hasEnum || parameter.hasPattern || parameter.hasFormat || parameter.maxLength !== undefined) continue;
        const kind = kindOf(parameter, toolText);
        if (!kind) continue;
        context.report({
          span: parameter.nameSpan,
          message: `The parameter "${parameter.name}" of "${tool.name}" accepts any ${kind} with no enum, pattern or length limit; a prompt injection that reaches the agent can run arbitrary ${kind}. Narrow it (an enum of allowed commands, a pattern, read-only SQL) or add a confirmation step.`,
          data: { tool: tool.name, parameter: parameter.name, kind },
        });
      }
    }
  },
};
