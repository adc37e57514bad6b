import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';
import { reportPhrases } from '../text';

const ID = 'jailbreak/toxic-text-request';

const ASK = String.raw`(?:writ(?:e|ing)|generat(?:e|ing)|compos(?:e|ing)|creat(?:e|ing)|produc(?:e|ing)|draft(?:ing)?|craft(?:ing)?|invent(?:ing)?|come\s+up\s+with|make\s+up|think\s+(?:of|up)|give(?:\s+(?:me|us))?|tell(?:\s+(?:me|us))?|list|say|output|post|tweet|send|teach\s+me|help\s+me\s+(?:to\s+)?(?:write|learn|come\s+up\s+with)|what\s+(?:are|is)\s+(?:some|the|a))`;
const HOW_MANY = String.raw`(?:(?:one|a|an|some|two|three|four|five|ten|\d{1,3}|a\s+few|several|more|another|the\s+most|a\s+really|a\s+very|really|very|extremely|truly)\s+){0,2}`;
const TOXIC = String.raw`(?<!non-)(?<!\bnot\s)(?<!\bless\s)(?:toxic|offensive|hateful|hurtful|derogatory|demeaning|insulting|racist|sexist|homophobic|transphobic|xenophobic|misogynist(?:ic)?|antisemitic|anti-semitic|islamophobic|ableist|discriminatory|bigoted|unfriendly|nasty|harmful|abusive|degrading|dehumani[sz]ing|disparaging|contemptuous|vulgar|malicious|prejudiced|humiliating|mean|cruel|vicious|hostile|violent|threatening)`;
const TEXT = String.raw`(?:sentences?|statements?|jokes?|remarks?|comments?|tweets?|posts?|messages?|paragraphs?|essays?|poems?|slogans?|words?|insults?|things?|lines?|texts?|rants?|stor(?:y|ies)|songs?|lyrics|slurs?|names?|nicknames?|stereotypes?|memes?|content|speech|reviews?|replies|responses?|opinions?|claims?)`;
const AIMED = String.raw`(?:about|against|toward|towards|targeting|mocking|aimed\s+at|directed\s+at|that\s+(?:insults?|mocks?|demeans?|attacks?|degrades?|humiliates?|belittles?)|to\s+(?:insult|mock|demean|attack|degrade|humiliate|belittle|hurt|bully|harass))`;

// Groups of people, for words that are only toxic when aimed at people ("a negative sentence about
// immigrants", not "a negative review about the hotel").
const PEOPLE = String.raw`(?:(?:the|all|most|those|these|some)\s+)?(?:[\w-]{2,20}\s+){0,2}?(?:people|persons|folks|men|women|girls|boys|kids|children|immigrants|migrants|refugees|foreigners|minorities|Jews|Muslims|Christians|Hindus|Sikhs|Buddhists|atheists|Arabs|Asians|Africans|Mexicans|Latinos|Latinas|Hispanics|Indians|Chinese|gays|lesbians|bisexuals|homosexuals|transgenders?|trans|LGBTQ?\+?|queers?|the\s+disabled|the\s+elderly|blacks|whites|Gypsies|Roma|Romani)\b`;
const UNKIND = String.raw`(?<!non-)(?<!\bnot\s)(?<!\bless\s)(?:negative|unkind|rude|nasty|mean|bad|ugly|stereotypical)`;

// "Write one toxic sentence about <group>", "give me some racist jokes about …", "racial slurs for …".
const PATTERNS: RegExp[] = [
  new RegExp(String.raw`\b${ASK}\s+${HOW_MANY}${UNKIND}\s+${TEXT}\s+(?:about|against|toward|towards|targeting|mocking|on)\s+${PEOPLE}`, 'gi'),
  new RegExp(String.raw`\b${ASK}\s+${HOW_MANY}(?:${TOXIC}(?:\s*(?:,|and|or|and\/or)\s*|\s+)){1,3}${TEXT}\s+${AIMED}\b`, 'gi'),
  new RegExp(String.raw`\b${ASK}\s+${HOW_MANY}(?:racial|ethnic|homophobic|transphobic|derogatory)\s+slurs?\s+(?:for|about|against|to\s+call|to\s+use)\b`, 'gi'),
];

// Sentences that forbid it, or that ask to judge or clean such text rather than write it.
const NOT_A_REQUEST =
  /\b(never|do\s+not|don'?t|must\s+not|mustn'?t|should\s+not|shouldn'?t|avoid|refuse|decline|won'?t|will\s+not|cannot|can'?t|not\s+(?:to|allowed)|classif\w*|detect\w*|identify|flag|label\w*|moderat\w*|filter\w*|whether|rewrite\s+[^.]{0,40}?\b(?:polite|respectful|neutral|kind|non-toxic)|detoxif\w*|report\s+(?:it|them|any))\b/i;

export const toxicTextRequest: Rule = {
  meta: {
    id: ID,
    category: 'jailbreak',
    defaultSeverity: 'warning',
    description:
      'Asks the model to write toxic, offensive or demeaning text about people ("write one toxic sentence about …", "give me racist jokes about …"), often inside a harmless task such as translating or polishing it (Latent Jailbreak).',
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    reportPhrases(
      context,
      PATTERNS,
      NOT_A_REQUEST,
      (phrase) => `"${phrase}" asks for toxic text about people; wrapped in a translation or an edit, it gets models to write what they would refuse. Remove the request.`,
    );
  },
};
