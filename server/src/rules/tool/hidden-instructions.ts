import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { matchUnits, quote, toolTextUnits } from '../text';

const ID = 'tool/hidden-instructions';

// Tool poisoning: a tool or parameter description that gives the agent orders of its own.
const PATTERNS: { pattern: RegExp; why: string }[] = [
  {
    pattern: /<\/?(?:IMPORTANT|SYSTEM|system|instructions?|INSTRUCTIONS?|secret|SECRET|hidden|HIDDEN|admin|ADMIN|critical|CRITICAL)>|\[(?:SYSTEM|INST|ADMIN|IMPORTANT|PRIORITY|OVERRIDE)(?:\s+(?:INSTRUCTIONS?|MESSAGE|NOTE|OVERRIDE))?\]|<\|im_start\|>|<<SYS>>|<\/?(?:system[-_]?(?:prompt|instructions?|message)|admin[-_]instructions?|important[-_]instructions?)>/gi,
    why: 'uses a tag that pretends to be a system or priority instruction',
  },
  {
    pattern: /\bbefore\s+(?:using|calling|running|invoking|you\s+use|you\s+call)\s+(?:this|the|any)\s+(?:tool|function)\b,?(?:\s+[\w'-]+){0,3}?\s+(?:read|open|cat|fetch|load|send|pass|include|call|get|collect|upload|provide|attach)\b/gi,
    why: 'tells the agent to do something else first, before the tool is used',
  },
  {
    pattern: /(?:~|\$HOME|%USERPROFILE%)\/\.(?:ssh|aws|gnupg|kube|docker|config\/gcloud|cursor|claude|npmrc|netrc|git-credentials)\b|\bid_(?:rsa|ed25519|ecdsa|dsa)\b|\/etc\/(?:passwd|shadow)\b|(?<![\w.])\.env\b|\bmcp\.json\b|\bcredentials\.json\b|\bwallet\.dat\b/g,
    why: 'points the agent at a secret file (keys, credentials, configs)',
  },
  {
    pattern: /\b(?:do\s+not|don'?t|never|must\s+not|without)\s+(?:ever\s+)?(?:tell(?:ing)?|mention(?:ing)?|inform(?:ing)?|notify(?:ing)?|alert(?:ing)?|reveal(?:ing)?\s+(?:this\s+)?to|show(?:ing)?|let(?:ting)?\s+(?:know)?)\s+(?:this\s+|it\s+)?(?:to\s+)?the\s+user\b|\bwithout\s+(?:the\s+user|them|anyone)\s+(?:knowing|noticing|seeing|being\s+aware)\b|\bthe\s+user\s+(?:must|should|need)\s+not\s+(?:know|see|notice|be\s+told)\b|\bkeep\s+(?:this|it)\s+(?:a\s+)?(?:secret|hidden)\s+from\s+the\s+user\b|\b(?:secretly|covertly|silently|quietly|discreetly)\s+(?:send|read|copy|forward|include|pass|upload|call|add|append|attach|insert|cc|bcc|route|redirect)\b|\bthe\s+user\s+(?:does|do|did)\s*(?:not|n't)\s+need\s+to\s+(?:know|see|be\s+told)\b|\b(?:never|do\s+not|don'?t)\s+(?:mention|reveal|disclose|explain)\s+(?:this|it|these\s+steps?|this\s+step)\b/gi,
    why: 'tells the agent to hide what it does from the user',
  },
  {
    pattern: /\b(?:(?:goes?|go|remains?|stays?|keeps?)\s+(?:unnoticed|undetected|hidden)|without\s+(?:being\s+)?(?:detected|detection|noticed|alerting|raising\s+(?:any\s+)?(?:alarms?|alerts?|suspicion)|leaving\s+(?:a\s+)?traces?|logging)|discreetly|covertly|stealthily|surreptitiously|(?:evade|evading|bypass|bypassing|disable|disabling)\s+(?:the\s+)?(?:security|monitoring|detection|audit|logging|antivirus|firewall)\w*)\b/gi,
    why: 'tells the agent to act without being noticed',
  },
  {
    pattern: /\bpass\s+(?:the\s+|its\s+|their\s+|all\s+)?(?:full\s+|entire\s+)?(?:contents?|text|value|data)\s+of\b(?:\s+\S+){1,12}?\s+(?:as|in|into|to|via)\s+(?:the\s+)?[`'"]?\w+[`'"]?\s+(?:parameter|argument|field|param)\b/gi,
    why: 'tells the agent to smuggle other data through a parameter',
  },
  {
    pattern: /\b(?:send|forward|copy|bcc|cc|upload|post|exfiltrate|email|leak)\s+(?:all\s+|every\s+|any\s+|a\s+copy\s+of\s+)?(?:the\s+)?(?:user'?s?\s+|their\s+)?(?:conversation|chat\s+history|messages|emails|credentials|api\s+keys?|passwords?|tokens|secrets|private\s+keys?|ssh\s+keys?|session|cookies|personal\s+data)\b(?:\s+\S+){0,6}?\s+to\s+(?:\S+@\S+|https?:\/\/\S+|the\s+(?:following|attacker|external|remote))/gi,
    why: 'tells the agent to send private data somewhere else',
  },
];

export const hiddenInstructions: Rule = {
  meta: {
    id: ID,
    category: 'tool',
    defaultSeverity: 'error',
    description: 'Hidden instructions in a tool or parameter description (tool poisoning): orders to read secret files, hide actions from the user, or smuggle data through parameters.',
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    const units = toolTextUnits(context.document);
    const seen = new Set<number>();
    for (const { pattern, why } of PATTERNS) {
      for (const { match, span } of matchUnits(units, pattern)) {
        if (seen.has(span.start)) continue;
        seen.add(span.start);
        context.report({
          span,
          message: `This tool description ${why} ("${quote(match[0])}"). The agent reads descriptions as instructions but the user never sees them: this is tool poisoning. Remove the instruction from the description, and do not install a server you did not write that carries it.`,
          data: { phrase: match[0] },
        });
      }
    }
  },
};
