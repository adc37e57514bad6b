import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';

const ID = 'pii/phone-number';

// International numbers (+CC …) and North American numbers ((555) 123-4567, 555-123-4567).
// Groups are bounded: a long run of digits costs one pass.
const INTERNATIONAL = /(?<![\w+])\+[1-9]\d{0,2}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}(?![\w-])/g;
const NORTH_AMERICAN = /(?<![\w+-])(?:\(\d{3}\)\s?|\d{3}[-.])\d{3}[-.]\d{4}(?![\w-])/g;
// Without a +country code, a number is only a phone number when the text says so.
const PHONE_CONTEXT = /\b(phone|tel|telephone|call|mobile|cell|whats\s?app|sms|text\s+me|fax|contact|reach)\b/i;

/** Fictional (555-01xx), all-same-digit and sequential numbers are placeholders. */
function isPlaceholder(number: string): boolean {
  const digits = number.replace(/\D/g, '');
  if (/^(\d)\1+$/.test(digits.slice(-7))) return true;
  if (/0123456|1234567|2345678|3456789|9876543/.test(digits)) return true;
  // 555 exchanges are reserved for fiction in North America.
  if (digits.slice(-7).startsWith('555')) return true;
  return /x{3,}|X{3,}/.test(number);
}

export const phoneNumber: Rule = {
  meta: {
    id: ID,
    category: 'pii',
    defaultSeverity: 'warning',
    description: "A person's phone number in a prompt, where it is sent to every model call and can leak into answers.",
    docsUrl: docsUrl(ID),
    fixable: true,
  },
  check(context) {
    const text = context.document.text;
    const seen = new Set<number>();
    for (const pattern of [INTERNATIONAL, NORTH_AMERICAN]) {
      pattern.lastIndex = 0;
      for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
        const number = match[0];
        const digits = number.replace(/\D/g, '').length;
        if (digits < 9 || digits > 15 || seen.has(match.index) || isPlaceholder(number)) continue;
        if (pattern === NORTH_AMERICAN) {
          const around = text.slice(Math.max(0, match.index - 80), match.index + number.length + 20);
          if (!PHONE_CONTEXT.test(around)) continue;
        }
        seen.add(match.index);
        const span = { start: match.index, end: match.index + number.length };
        context.report({
          span,
          message: `The phone number ${number} is written into the prompt; personal data sent with every request can be logged by the provider and repeated in answers. Use a placeholder.`,
          fix: { title: 'Replace with a placeholder number', edits: [{ span, newText: '+1-555-0100' }] },
          data: { number },
        });
      }
    }
  },
};
