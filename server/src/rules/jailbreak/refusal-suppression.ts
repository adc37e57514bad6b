import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { reportPhrases } from '../text';

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
  // Refusal phrases banned by name: 'never use phrases like "I can't assist with that"', "avoid saying 'I'm sorry'".
  /\b(?:never|do\s+not|don'?t|must\s+not|mustn'?t|should\s+not|shouldn'?t|avoid|stop)\s+(?:ever\s+)?(?:us(?:e|ing)|say(?:ing)?|writ(?:e|ing)|includ(?:e|ing)|output(?:ting)?|respond(?:ing)?\s+with|repl(?:y|ying)\s+with|start(?:ing)?\s+with|begin(?:ning)?\s+with)\s+(?:(?:any|the)\s+)?(?:(?:phrases?|words?|sentences?|expressions?|statements?|responses?|language|things?)\s+)?(?:(?:like|such\s+as|including|e\.g\.,?)\s+)?[:"“'‘(]{0,3}(?:I\s+(?:can'?t|cannot|can\s+not|am\s+(?:unable|not\s+able)|'m\s+(?:unable|not\s+able)|won'?t|will\s+not|must\s+decline)|I'?m\s+(?:sorry|unable|not\s+able)|I\s+am\s+sorry|(?:I\s+)?apologi[sz]e|sorry,?\s+(?:but\s+)?I|as\s+an\s+AI|unfortunately,?\s+I)/gi,
  // Ethics set aside for the answer: "ignoring any moral or ethical implications", "disregard any possible ethical implications".
  /\b(?:ignor(?:e|ing)|disregard(?:ing)?|set(?:ting)?\s+aside|put(?:ting)?\s+aside|forget(?:ting)?(?:\s+about)?|without\s+(?:any\s+)?(?:regard\s+(?:to|for)|considering|thinking\s+about))\s+(?:all\s+|any\s+|the\s+|your\s+)?(?:possible\s+|potential\s+)?(?:(?:moral|ethical|legal|safety)(?:,?\s+(?:or|and|and\/or)\s+|,\s*|\s+))+(?:implications|concerns|considerations|consequences|objections|qualms|reservations|boundaries|norms)\b/gi,
  // Ethics kept out of the answer: "do not mention ethics or legality", "never bring up morality".
  /\b(?:never|do\s+not|don'?t|must\s+not|mustn'?t|should\s+not|without)\s+(?:ever\s+)?(?:mention(?:ing)?|bring(?:ing)?\s+up|rais(?:e|ing)|talk(?:ing)?\s+about|discuss(?:ing)?|refer(?:ring)?\s+to|lectur(?:e|ing)(?:\s+(?:me|the\s+user))?\s+(?:on|about)|remind(?:ing)?\s+(?:me|the\s+user)\s+(?:of|about))\s+(?:any\s+|the\s+)?(?:ethics|morals|morality|ethical\s+(?:concerns|issues|implications)|moral\s+(?:concerns|issues|implications)|legality|(?:the\s+)?laws?\b|illegality|consequences)/gi,
  // An answer forced to open with compliance: 'start your response with "Sure, here is"', "begin with 'Absolutely! Here's'".
  /\b(?:start|begin|open|prefix|preface)\s+(?:your|each|every|the|all\s+(?:of\s+)?your)\s+(?:(?:first|next)\s+)?(?:response|reply|answer|output|message|completion)s?\b[\s\S]{0,100}?\b(?:Sure|Absolutely|Of\s+course|Certainly)[,!.]?\s+(?:here\s+(?:is|are)|here'?s|I\s+(?:can|will)|I'?ll)\b/gi,
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
    reportPhrases(
      context,
      PATTERNS,
      NOT_REFUSAL,
      (phrase) => `"${phrase}" takes away the model's ability to refuse or warn; jailbreaks use it so harmful requests get answered. Remove it and let the model decline what it should.`,
    );
  },
};
