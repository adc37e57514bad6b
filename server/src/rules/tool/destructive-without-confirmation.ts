import type { Fix, Rule, ToolDefinition } from '../../core/types';
import { docsUrl } from '../../core/docs';

const ID = 'tool/destructive-without-confirmation';

// Verbs of irreversible or outward-facing actions, as tool-name words or a description's first verb.
const DESTRUCTIVE_WORD =
  /^(delete|deletes|remove|removes|rm|rmdir|drop|drops|truncate|destroy|destroys|wipe|wipes|purge|purges|erase|erases|kill|terminate|terminates|shutdown|reboot|format|overwrite|overwrites|transfer|transfers|send|sends|pay|pays|purchase|purchases|buy|withdraw|withdraws|execute|executes|exec|deploy|deploys|publish|publishes|revoke|revokes|uninstall|uninstalls|shell|sudo|chmod|chown|unlink)$/i;
const DESCRIPTION_START =
  /^\s*(?:this\s+(?:tool|function)\s+|use\s+this\s+to\s+|used\s+to\s+|allows?\s+(?:you\s+)?to\s+|will\s+)?(permanently\s+)?(delete|deletes|remove|removes|drop|drops|truncate|truncates|destroy|destroys|wipe|wipes|purge|purges|erase|erases|kill|kills|terminate|terminates|overwrite|overwrites|transfer|transfers|send|sends|pay|pays|purchase|purchases|withdraw|withdraws|execute|executes|run|runs|deploy|deploys|publish|publishes|revoke|revokes|uninstall|uninstalls)\b(?:\s+(?:an?|the|all|one|multiple|arbitrary|any|a\s+shell|shell|bash|sql|system))?\s*(\w+)?/i;
// Run/execute only matter for commands and code, not for "run a search".
const RUN_OBJECT = /^(commands?|shell|bash|scripts?|code|sql|quer(?:y|ies)|programs?|processes?|system|arbitrary)$/i;
const CONFIRMATION =
  /\b(confirm|confirms|confirmation|confirmed|approval|approve|approved|human[- ]in[- ]the[- ]loop|dry[- ]?run|requires?\s+(?:user\s+|explicit\s+)?(?:consent|permission)|ask(?:s|ing)?\s+the\s+user|preview|undo|reversible|soft[- ]delete|trash|recycle\s+bin)\b/i;

/** Words of a tool name: snake_case, kebab-case, camelCase and dotted names split apart. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word.length > 0);
}

function destructiveAction(tool: ToolDefinition): string | undefined {
  const fromName = nameWords(tool.name).find((word) => DESTRUCTIVE_WORD.test(word));
  if (fromName) return fromName.toLowerCase();
  const start = DESCRIPTION_START.exec(tool.description?.text ?? '');
  if (!start) return undefined;
  const verb = start[2].toLowerCase();
  if ((verb === 'run' || verb === 'runs' || verb === 'execute' || verb === 'executes') && !RUN_OBJECT.test(start[3] ?? '')) return undefined;
  // "Sends a GET request" reads; it does not send anything of the user's.
  if ((verb === 'send' || verb === 'sends') && /^(get|head|http|https|requests?|quer(?:y|ies))$/i.test(start[3] ?? '')) return undefined;
  return verb;
}

function annotationFix(tool: ToolDefinition, text: string): Fix | undefined {
  const at = tool.insertAnnotationsAt;
  if (at === undefined || text[at - 1] !== '{') return undefined;
  const indent = tool.memberIndent ?? '  ';
  return {
    title: 'Add "annotations": {"destructiveHint": true}',
    edits: [{ span: { start: at, end: at }, newText: `\n${indent}"annotations": { "destructiveHint": true },` }],
  };
}

export const destructiveWithoutConfirmation: Rule = {
  meta: {
    id: ID,
    category: 'tool',
    defaultSeverity: 'info',
    strictSeverity: 'warning',
    description:
      'A tool that deletes, sends, transfers, executes or deploys, with no confirmation step in its description and no MCP destructiveHint/readOnlyHint annotation for the client to act on.',
    docsUrl: docsUrl(ID),
    fixable: true,
  },
  check(context) {
    const { document } = context;
    for (const tool of document.tools) {
      // Only formats that can carry MCP annotations are judged: an OpenAI function has no field for
      // them, and its confirmation step lives in the host application, which the linter cannot see.
      if (tool.insertAnnotationsAt === undefined && tool.annotations === undefined) continue;
      const annotations = tool.annotations ?? {};
      if ('destructiveHint' in annotations || 'readOnlyHint' in annotations) continue;
      const action = destructiveAction(tool);
      if (!action) continue;
      const described = [tool.description?.text ?? '', ...tool.parameters.map((p) => p.description?.text ?? '')].join(' ');
      if (CONFIRMATION.test(described)) continue;
      context.report({
        span: tool.nameSpan,
        message: `The tool "${tool.name}" can ${action} (an action that is hard to undo), but it asks for no confirmation and carries no destructiveHint or readOnlyHint annotation, so a client may run it without asking the user. Add "annotations": { "destructiveHint": true } or say in the description that it asks the user first.`,
        fix: annotationFix(tool, document.text),
        data: { tool: tool.name, action },
      });
    }
  },
};
