import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';

const ID = 'pii/payment-card';

// 13 to 19 digits, optionally grouped by single spaces or dashes; bounded, so linear.
const CARD = /(?<![\w.,-])\d(?:[ -]?\d){12,18}(?![\w]|[.,-]\d)/g;

// Issuer prefixes: Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro.
const ISSUER = /^(4\d{12}(\d{3}){0,2}|5[1-5]\d{14}|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)\d{12}|3[47]\d{13}|6(011|5\d\d|4[4-9]\d)\d{12,15}|35(2[89]|[3-8]\d)\d{12,15}|3(0[0-5]|[689]\d)\d{11,16}|62\d{14,17}|(5018|5020|5038|6304|6759|676[1-3])\d{8,15})$/;

// Published test numbers (Stripe, Adyen, Braintree, PayPal docs) stay quiet.
const TEST_NUMBERS = new Set([
  '4111111111111111', '4242424242424242', '4000056655665556', '4012888888881881', '4222222222222',
  '5555555555554444', '5105105105105100', '5200828282828210', '2223003122003222', '5454545454545454',
  '378282246310005', '371449635398431', '378734493671000', '6011111111111117', '6011000990139424',
  '3530111333300000', '3566002020360505', '30569309025904', '38520000023237', '6200000000000005',
  '4000000000000002', '4000000000009995', '4000000000000077', '4917610000000000', '4988438843884305',
]);

/** The Luhn checksum that every payment card number satisfies. */
export function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export const paymentCard: Rule = {
  meta: {
    id: ID,
    category: 'pii',
    defaultSeverity: 'error',
    description: 'A payment card number (issuer prefix and Luhn checksum valid) in a prompt or tool file.',
    docsUrl: docsUrl(ID),
    fixable: true,
  },
  check(context) {
    const text = context.document.text;
    CARD.lastIndex = 0;
    for (let match = CARD.exec(text); match; match = CARD.exec(text)) {
      const number = match[0].replace(/[ -]$/, '');
      const digits = number.replace(/\D/g, '');
      if (!ISSUER.test(digits) || !luhn(digits) || TEST_NUMBERS.has(digits)) continue;
      // Repeated or sequential digits are made up.
      if (/^(\d)\1+$/.test(digits.slice(1)) || /(0123456789|1234567890)/.test(digits)) continue;
      const span = { start: match.index, end: match.index + number.length };
      const masked = `${'*'.repeat(Math.max(0, digits.length - 4))}${digits.slice(-4)}`;
      context.report({
        span,
        message: `A payment card number (${masked}, checksum valid) is written into the file; card data must not be sent to a model or kept in source. Use a published test number such as 4242 4242 4242 4242.`,
        fix: { title: 'Replace with the test number 4242 4242 4242 4242', edits: [{ span, newText: '4242 4242 4242 4242' }] },
        data: { last4: digits.slice(-4) },
      });
    }
  },
};
