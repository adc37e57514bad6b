import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';

const ID = 'tool/unconstrained-url';

const URL_NAME = /(^|_|-|\b)(url|urls|uri|endpoint|webhook|webhook_?url|callback_?url|link|href|target_?url|base_?url)$|Url$|Uri$/i;
const URL_DESCRIPTION = /^\s*(?:the\s+|a\s+|an\s+)?(?:full\s+|target\s+|remote\s+|destination\s+)?(?:url|uri|web\s+address|endpoint|webhook)\b/i;

export const unconstrainedUrl: Rule = {
  meta: {
    id: ID,
    category: 'tool',
    defaultSeverity: 'info',
    strictSeverity: 'warning',
    description: 'A tool parameter that takes any URL (no format, pattern or enum of hosts): an injected prompt can point the agent at internal services or an attacker\'s server.',
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    for (const tool of context.document.tools) {
      for (const parameter of tool.parameters) {
        if (parameter.type && parameter.type !== 'string') continue;
        if (parameter.hasEnum || parameter.hasPattern || parameter.hasFormat) continue;
        if (!URL_NAME.test(parameter.name) && !URL_DESCRIPTION.test(parameter.description?.text ?? '')) continue;
        context.report({
          span: parameter.nameSpan,
          message: `The parameter "${parameter.name}" of "${tool.name}" accepts any URL; without an allow-list pattern or enum of hosts, injected text can send the agent to internal addresses or an attacker's server (SSRF, data exfiltration). Add a pattern or an enum of the hosts it may reach.`,
          data: { tool: tool.name, parameter: parameter.name },
        });
      }
    }
  },
};
