import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { matchUnits, quote, sentenceAround } from '../text';

const ID = 'agent/goal-over-safety';

// Directives that rank the goal above people, rules and safety (ManagerBench's failure mode).
// Weak: harmless when the goal is ("never stop until the tests pass"). Strong: harmful as written.
const PATTERNS: { pattern: RegExp; strong: boolean }[] = [
  { pattern: /\bat\s+all\s+costs\b/gi, strong: false },
  { pattern: /\b(?:by\s+)?any\s+means\s+necessary\b/gi, strong: false },
  { pattern: /\bwhatever\s+it\s+takes\b/gi, strong: false },
  { pattern: /\b(?:never|do\s+not|don'?t)\s+stop\s+until\b/gi, strong: false },
  { pattern: /\b(?:nothing|no\s+one|nobody)\s+(?:else\s+)?(?:matters|is\s+more\s+important)\s+(?:but|except|than|more\s+than)\b/gi, strong: false },
  { pattern: /\b(?:the\s+)?ends?\s+justif(?:y|ies)\s+the\s+means\b/gi, strong: true },
  {
    pattern: /\b(?:ignore|disregard|set\s+aside|put\s+aside|override|forget\s+about)\s+(?:any\s+|all\s+)?(?:ethical|moral|safety|legal|human|environmental)\s+(?:considerations|concerns|constraints|implications|rules|guidelines|objections|issues)\b/gi,
    strong: true,
  },
  { pattern: /\bregardless\s+of\s+(?:the\s+)?(?:ethics|ethical\s+\w+|morality|safety|legality|harm|law|laws|collateral\s+damage|human\s+cost|who\s+gets\s+hurt)\b/gi, strong: true },
  { pattern: /\b(?:safety|ethics|people|human\s+(?:lives|wellbeing|welfare)|the\s+law)\s+(?:is|are)\s+(?:secondary|irrelevant|not\s+your\s+concern|less\s+important)\b/gi, strong: true },
];

// "avoid X at all costs", "never stop until the tests pass": the goal is safe or the phrase guards.
const BENIGN =
  /\b(avoid|avoided|avoiding|prevent|prevented|preventing|protect|protecting|never\s+(?:expose|leak|reveal|commit|share)|do\s+not\s+(?:expose|leak|reveal|commit|share)|must\s+be\s+avoided|tests?\s+pass|passing|green|resolved|complete|completed|finished|fixed|done|all\s+(?:tasks|items|steps|todos?)|the\s+(?:task|problem|issue|bug|query|request)|build|lint|errors?|gathered|identified|answered|answers?|verified|covered|addressed|found|checked|solved|all\s+\w+|every\s+\w+|the\s+user)\b/i;

// "Never ignore ethical considerations", "if asked to disregard safety rules, refuse".
const GUARDS = /\b(never|do\s+not|don'?t|must\s+not|should\s+not|refuse|reject|if|unless|avoid|attempts?)\b/i;

export const goalOverSafety: Rule = {
  meta: {
    id: ID,
    category: 'agent',
    defaultSeverity: 'warning',
    description: 'Directives that put the goal above safety, ethics or people ("at all costs", "whatever it takes", "ignore ethical considerations", "never stop until").',
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    const seen = new Set<number>();
    for (const { pattern, strong } of PATTERNS) {
      for (const { unit, match, span } of matchUnits(context.document.units, pattern)) {
        if (!unit.instruction || seen.has(span.start)) continue;
        const sentence = sentenceAround(unit.text, match.index, match.index + match[0].length).replace(match[0], ' ');
        if ((strong ? GUARDS : BENIGN).test(sentence)) continue;
        seen.add(span.start);
        context.report({
          span,
          message: `"${quote(match[0])}" ranks the goal above safety and people; agents told this pick harmful-but-effective actions. State what the agent must never do, whatever the goal.`,
          data: { phrase: match[0] },
        });
      }
    }
  },
};
