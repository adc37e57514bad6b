import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { isDefensive, isQuotedMention, matchUnits, quote } from '../text';

const ID = 'jailbreak/roleplay-template';

// The moves of DAN-family templates: a named alter ego that "can do anything", a "developer mode",
// freedom from "the typical confines of AI", and a dual-answer format with an unfiltered half.
const PATTERNS: { pattern: RegExp; why: string }[] = [
  { pattern: /\bdo\s+anything\s+now\b|\bsuperior\s+do\s+anything\b/gi, why: 'names the "Do Anything Now" (DAN) jailbreak persona' },
  {
    pattern: /\b(?:act(?:ing)?\s+(?:as|like)|pretend(?:ing)?\s+to\s+be|role\s+of|known\s+as|named|called|you\s+are(?:\s+now)?|simulat(?:e|or\s+to)(?:\s+the)?)\s+(?:a\s+|an\s+|the\s+)?(?:DAN|DUDE|STAN|AIM|BetterDAN|AntiDAN|Mongo\s+Tom|UCAR|APOPHIS)\b/g,
    why: 'casts the model as a named jailbreak persona',
  },
  { pattern: /\[(?:DAN|JAILBREAK|🔓\s*JAILBREAK|STAN|DUDE)\]\s*:?/g, why: 'uses the answer tag of a jailbreak persona' },
  {
    pattern: /\b(?:developer|DAN|jailbreak|god|unrestricted|unfiltered|evil|opposite)\s+mode\s+(?:enabled|activated|on|output)\b|\b(?:enable|activate|simulate|enter|switch\s+to)(?:\s+[\w'-]+){0,3}?\s+(?:developer|DAN|jailbreak|god|unrestricted|unfiltered)\s+mode\b/gi,
    why: 'switches on a fictional "developer mode" that drops the model\'s rules',
  },
  {
    pattern: /\b(?:broken|break|broke|freed?|liberated|released)\s+(?:free\s+)?(?:of|from)\s+the\s+(?:typical\s+)?(?:confines|restrictions|rules|shackles|limitations|chains)\s+of\s+(?:AI|A\.I\.|Al|artificial\s+intelligence|OpenAI|language\s+models?)\b/gi,
    why: 'claims the model is free of its usual rules',
  },
  {
    pattern: /\b(?:you\s+are|act\s+as|become|pretend\s+to\s+be|play)\s+(?:now\s+)?(?:a|an|the)\s+(?:completely\s+|totally\s+)?(?:unfiltered|uncensored|unrestricted|amoral|unaligned|unethical|jailbroken|unchained|unbound)\s+(?:AI|assistant|chatbot|model|language\s+model|version)\b/gi,
    why: 'casts the model as an unfiltered or amoral AI',
  },
  {
    pattern: /\b(?:two|2)\s+(?:different\s+|separate\s+){0,2}(?:responses|answers|ways|paragraphs|outputs)\b(?:\s+[\w'",:()[\]-]+){0,40}?\s+(?:jailbroken|unfiltered|uncensored|DAN|developer\s+mode|without\s+(?:any\s+)?(?:restrictions|filters|censorship))\b/gi,
    why: 'asks for a second, unfiltered answer next to the normal one',
  },
  {
    pattern: /\b(?:you\s+(?:will|shall)\s+)?(?:lose|loses|deducted?|deduct)\s+(?:\d+\s+|some\s+|all\s+(?:of\s+)?(?:your\s+)?)?tokens\b/gi,
    why: 'uses a "token" punishment game to pressure the model out of refusing',
  },
];

export const roleplayTemplate: Rule = {
  meta: {
    id: ID,
    category: 'jailbreak',
    defaultSeverity: 'error',
    description: 'DAN-style jailbreak templates: a persona that "can do anything now", a "developer mode", freedom from the confines of AI, a second unfiltered answer.',
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    const seen = new Set<number>();
    for (const { pattern, why } of PATTERNS) {
      for (const { unit, match, span } of matchUnits(context.document.units, pattern)) {
        if (seen.has(span.start)) continue;
        // A prompt that describes jailbreaks in order to detect or refuse them is not one.
        if (isDefensive(unit.text, match.index, match.index + match[0].length, DESCRIBES_JAILBREAK)) continue;
        if (isQuotedMention(unit.text, match.index, match.index + match[0].length)) continue;
        // Windows, Android and browsers have a real "Developer Mode"; the jailbreak one talks to a model.
        if (/mode/i.test(match[0]) && DEVICE.test(unit.text.slice(Math.max(0, match.index - 400), match.index + match[0].length + 400))) continue;
        seen.add(span.start);
        context.report({
          span,
          message: `"${quote(match[0])}" ${why}; this is the shape of a DAN-family jailbreak template. Remove the persona wrapper and state the task directly.`,
          data: { phrase: match[0] },
        });
      }
    }
  },
};

const DESCRIBES_JAILBREAK =
  /\b(detect|detects|detecting|flag|flags|refuse|reject|decline|attempts?|attacks?|examples?\s+of|such\s+as|e\.g\.|known\s+jailbreaks?|jailbreak\s+(?:attempts?|prompts?|techniques?|patterns?)|red[- ]team|classif|never\s+(?:adopt|play|pretend|enter|enable|act))\b/i;

const DEVICE = /\b(windows|android|ios|iphone|chrome|browser|symlinks?|settings\s+app|device|phone|powershell|registry|sideload|extensions?\s+page)\b/i;
