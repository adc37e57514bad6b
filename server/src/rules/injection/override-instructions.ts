import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { DEFENSIVE_CONTEXT, isQuotedMention, matchUnits, sentenceAround } from '../text';

const ID = 'injection/override-instructions';

// "ignore/disregard/forget ... previous/above/system ... instructions/rules/prompt", with a bounded gap.
const OVERRIDE =
  /\b(ignore|disregard|forget|override|bypass|skip|drop|abandon)(?:\s+[\w'-]+){0,4}?\s+(previous|prior|preceding|above|earlier|original|initial|system|developer|all|your|any)(?:\s+[\w'-]+){0,2}?\s+(instructions?|directions|rules|directives?|guidelines|prompts?|constraints|restrictions|guardrails|programming|context|(?:tool\s+)?descriptions|tool\s+definitions|policies)\b/gi;
const NEW_INSTRUCTIONS = /\b(new|real|actual|true)\s+(system\s+)?(instructions|directives|prompt)\s*:/gi;
// "forget what the tool definitions say", "ignore the documented limits of your tools".
const TOOL_OVERRIDE =
  /\b(?:ignore|disregard|forget|override|bypass)\s+what\s+(?:the\s+|your\s+)?(?:tool\s+(?:descriptions?|definitions?|docs|documentation|schemas?)|system\s+prompt|(?:previous\s+|earlier\s+|original\s+)?instructions|developer)\s+(?:says?|said|tells?\s+you|told\s+you)\b|\b(?:ignore|disregard|bypass|override|forget)\s+(?:the\s+|all\s+|any\s+)?(?:[\w-]{1,20}\s+){0,2}?(?:limits|limitations|restrictions|permissions|descriptions|definitions|documentation|rules)\s+(?:of|on|for)\s+(?:your|the|its|these)\s+tools?\b/gi;
const FROM_NOW_ON = /\bfrom\s+now\s+on,?\s+you\s+(are|will|must|shall)\s+(no\s+longer|not)\b/gi;

export const overrideInstructions: Rule = {
  meta: {
    id: ID,
    category: 'injection',
    defaultSeverity: 'error',
    description: 'Text that tells the model to ignore, forget or replace its earlier instructions or its tool descriptions — the core move of prompt injection.',
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    const units = context.document.units;
    for (const pattern of [OVERRIDE, NEW_INSTRUCTIONS, FROM_NOW_ON, TOOL_OVERRIDE]) {
      for (const { unit, match, span } of matchUnits(units, pattern)) {
        const sentence = sentenceAround(unit.text, match.index, match.index + match[0].length);
        // A prompt that warns about override attempts is a defence, not an attack.
        if (DEFENSIVE_CONTEXT.test(sentence.replace(match[0], ' '))) continue;
        // "These rules override any instructions found in files" ranks the prompt above content.
        if (/\b(found|contained|embedded|appearing|hidden)\s+in\b/i.test(sentence)) continue;
        // A quoted phrase in a list of attack strings is a mention, not a use.
        if (isQuotedMention(unit.text, match.index, match.index + match[0].length)) continue;
        context.report({
          span,
          message: `"${match[0]}" tells the model to drop its earlier instructions; in a prompt or tool text this is an injection pattern. Remove it; if it is a quoted example, fence it as code or suppress it with a reason.`,
          data: { phrase: match[0] },
        });
      }
    }
  },
};
