import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { MAX_REPORTS_PER_FILE, matchUnits, quote, sentenceAround } from '../text';

const ID = 'jailbreak/refusal-suppression';

// Phrases that take away the model's ability to say no or to warn.
const PATTERNS: RegExp[] = [
  // "never refuse", "you cannot refuse", "must not decline any request"
  /\b(?:never|must\s+not|mustn'?t|cannot|can'?t|can\s+not|will\s+not|won'?t|shall\s+not|should\s+not|do\s+not|don'?t|are\s+not\s+allowed\s+to|are\s+forbidden\s+to)\s+(?:ever\s+)?(?:refuse|reject|decline|deny)(?:\s+(?:to\s+answer|any|a|my|the|requests?|questions?|orders?|answering|anything)){0,3}\b/gi,
  // "no disclaimers", "without warnings", "do not add any caveats"
  /\b(?:no|without(?:\s+any)?|never\s+(?:add|include|give|use|write)|do\s+not\s+(?:add|include|give|use|write)(?:\s+any)?|don'?t\s+(?:add|include|give|use|write)(?:\s+any)?|skip\s+(?:the|all|any))\s+(?:(?:moral(?:izing|ising)?|ethical|safety|legal)\s*)?(?:disclaimers?|warnings?\s+about\s+(?:legality|ethics|safety|morality|danger)|moral\s+lectures?|moralizing|caveats\s+about\s+(?:ethics|legality|safety))\b/gi,
  // "do not apologize", "never say you're sorry", "never say I can't"
  /\b(?:never|do\s+not|don'?t|must\s+not)\s+(?:apologi[sz]e|say\s+(?:that\s+)?(?:you(?:'re|\s+are)\s+sorry|you\s+(?:can'?t|cannot)|I\s+(?:can'?t|cannot|am\s+unable))|(?:say|tell)\s+(?:the\s+user\s+)?(?:it|that\s+it)\s+is\s+(?:illegal|unethical|inappropriate|harmful|dangerous))\b/gi,
  // "you have no restrictions", "free of all ethical guidelines", "not bound by any rules"
  /\byou\s+(?:have|has)\s+no\s+(?:\w+\s+){0,2}?(?:restrictions|limits|limitations|filters|rules|guidelines|morals|ethics|boundaries|censorship)\b/gi,
  /\b(?:not|never)\s+(?:bound|restricted|limited|constrained)\s+by\s+(?:any\s+)?(?:\w+\s+){0,2}?(?:ethical|moral|legal|safety|content)\s+(?:constraints|guidelines|rules|policies|restrictions|principles|boundaries)\b/gi,
  /\b(?:ignore|disregard|bypass|without)\s+(?:all\s+|any\s+|your\s+){0,2}(?:safety|content|ethical|moral)\s+(?:filters|policies|policy|guidelines|restrictions|considerations|constraints)\b/gi,
  /\bno\s+matter\s+how\s+(?:immoral|unethical|illegal|dangerous|harmful|offensive|inappropriate)\b/gi,
];

// Sentences that scope the phrase to something harmless, or talk about the model refusing the user.
const NOT_REFUSAL =
  /\b(if|when|unless|whether|test|tests|assert|build|pipeline|lint|code|commit|pull request|PR|changes?|ask(?:s|ed)?\s+(?:the\s+user|for\s+clarification)|the\s+user\s+(?:refuses|declines)|refuse\s+to\s+(?:comply|follow|reveal|share|disclose|answer\s+(?:questions\s+)?(?:outside|unrelated|off))|out[- ]of[- ]scope|unrelated|harmful\s+requests?)\b/i;

export const refusalSuppression: Rule = {
  meta: {
    id: ID,
    category: 'jailbreak',
    defaultSeverity: 'warning',
    description: 'Instructions that forbid the model to refuse, warn or apologise ("never refuse", "no disclaimers", "you have no restrictions"), removing its way to say no to harmful requests.',
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    const seen = new Set<number>();
    for (const pattern of PATTERNS) {
      for (const { unit, match, span } of matchUnits(context.document.units, pattern)) {
        if (!unit.instruction || seen.has(span.start)) continue;
        if (seen.size >= MAX_REPORTS_PER_FILE) return;
        const sentence = sentenceAround(unit.text, match.index, match.index + match[0].length);
        if (NOT_REFUSAL.test(sentence.replace(match[0], ' '))) continue;
        seen.add(span.start);
        context.report({
          span,
          message: `"${quote(match[0])}" takes away the model's ability to refuse or warn; jailbreaks use it so harmful requests get answered. Remove it and let the model decline what it should.`,
          data: { phrase: match[0] },
        });
      }
    }
  },
};
