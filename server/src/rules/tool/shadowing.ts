import type { Rule, Unit } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { matchUnits, quote, toolTextUnits } from '../text';

const ID = 'tool/shadowing';

const NAME = String.raw`[\`'"]?([A-Za-z_][\w.-]{1,60})[\`'"]?`;
// A description that reaches past its own tool: to steer, replace or change the others.
const PATTERNS: { pattern: RegExp; why: string }[] = [
  {
    pattern: new RegExp(String.raw`\b(?:instead\s+of|rather\s+than|in\s+place\s+of)\s+(?:using\s+|calling\s+)?(?:the\s+)?${NAME}\s+(?:tool|function|server)\b`, 'gi'),
    why: 'tells the agent to use this tool in place of another one',
  },
  {
    pattern: new RegExp(String.raw`\b(?:do\s+not|don'?t|never|must\s+not|avoid)\s+(?:use|call|invoke|using|calling|trust)\s+(?:the\s+|any\s+)?${NAME}\s+(?:tool|function|server)s?\b`, 'gi'),
    why: 'tells the agent to avoid another tool',
  },
  {
    pattern: new RegExp(String.raw`\b(?:when(?:ever)?|if|each\s+time|every\s+time)\s+(?:you\s+|the\s+(?:agent|assistant|model)\s+)?(?:use|uses|call|calls|invoke|invokes|run|runs)\s+(?:the\s+|any\s+)?${NAME}(?:\s+(?:tool|function))?,?(?:\s+[\w'-]+){0,3}?\s+(?:always|must|also|first|make\s+sure|be\s+sure|change|replace|set|add|include|send|redirect)\b`, 'gi'),
    why: 'changes how the agent uses another tool',
  },
  {
    pattern: /\b(?:all|any|every)\s+(?:other\s+)?(?:emails?|messages?|requests?|calls?|payments?|transfers?|queries|files|tool\s+calls)\s+(?:must|should|shall|will|need\s+to)\s+(?:also\s+)?(?:be\s+)?(?:sent|go|forwarded|routed|redirected|copied|cc'?d|bcc'?d)\s+(?:to|through|via)\b/gi,
    why: 'reroutes what other tools send',
  },
  {
    pattern: /\bthis\s+tool\s+(?:replaces|overrides|supersedes|takes\s+precedence\s+over|must\s+be\s+used\s+instead\s+of|should\s+be\s+used\s+instead\s+of)\b|\b(?:all\s+)?other\s+tools?\s+(?:are\s+(?:deprecated|broken|unsafe|disabled)|must\s+not\s+be\s+used|should\s+not\s+be\s+used)\b/gi,
    why: 'claims priority over the other tools',
  },
];

/** The tool each unit's text belongs to, to tell "this tool" from "another tool" (built once per file). */
function ownToolNames(document: { tools: { name: string; description?: Unit; parameters: { description?: Unit }[] }[] }): Map<string, string> {
  const names = new Map<string, string>();
  for (const tool of document.tools) {
    for (const unit of [tool.description, ...tool.parameters.map((p) => p.description)]) if (unit && !names.has(unit.id)) names.set(unit.id, tool.name);
  }
  return names;
}

export const shadowing: Rule = {
  meta: {
    id: ID,
    category: 'tool',
    defaultSeverity: 'warning',
    description: "A tool description that tells the agent to use, avoid or change OTHER tools (tool shadowing): one server steering another's behaviour.",
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    const { document } = context;
    const seen = new Set<number>();
    const owners = ownToolNames(document);
    const units = toolTextUnits(document);
    for (const { pattern, why } of PATTERNS) {
      for (const { unit, match, span } of matchUnits(units, pattern)) {
        if (seen.has(span.start)) continue;
        const named = match[1];
        const own = owners.get(unit.id);
        // Talking about itself ("when you call search_docs, pass a query") is documentation.
        if (named && own && named.toLowerCase() === own.toLowerCase()) continue;
        if (named && /^(this|that|it|the|a|same)$/i.test(named)) continue;
        seen.add(span.start);
        context.report({
          span,
          message: `This tool description ${why} ("${quote(match[0])}"). A tool should describe itself; one that steers other tools can hijack them (tool shadowing). Describe only what this tool does.`,
          data: { phrase: match[0], tool: named },
        });
      }
    }
  },
};
