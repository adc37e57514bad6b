import type { Rule, Unit } from '../../core/types';
import { unitSpan } from '../../core/spans';
import { docsUrl } from '../../core/docs';
import { quote } from '../text';

const ID = 'jailbreak/encoded-payload';

// Candidates: base64 runs of 24+ characters, hex runs of 32+ digits (bounded so a 1 MB run costs
// one pass), and prose next to a mention of ROT13.
const BASE64 = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/]{24,4096}={0,2}(?![A-Za-z0-9+/_-])/g;
const HEX = /(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){16,2048}(?![0-9A-Fa-f])/g;
const ROT13_MENTION = /\brot-?13\b/i;
const WORD_RUN = /[A-Za-z][A-Za-z ,.'!?-]{19,600}/g;

// Words of an instruction to a model; a decoded payload that holds two of them is a hidden prompt.
const INSTRUCTION_WORDS =
  /\b(ignore|disregard|forget|previous|instructions?|system|prompt|reveal|password|secret|you\s+are|you\s+must|act\s+as|pretend|jailbreak|bypass|execute|delete|send|exfiltrate|api\s+key|credentials?|tell\s+me|how\s+to|print|output|say|respond|answer|rules?|restrictions?|kill|weapon|bomb|hack|malware)\b/gi;

function instructionWordCount(text: string): number {
  INSTRUCTION_WORDS.lastIndex = 0;
  const words = new Set<string>();
  for (let match = INSTRUCTION_WORDS.exec(text); match; match = INSTRUCTION_WORDS.exec(text)) words.add(match[0].toLowerCase());
  return words.size;
}

/** Mostly printable text with spaces: what a hidden sentence decodes to, unlike random bytes. */
function isReadable(text: string): boolean {
  if (text.length < 12) return false;
  let printable = 0;
  let spaces = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code >= 0x20 && code < 0x7f) || code === 0x0a || code === 0x0d || code === 0x09) printable++;
    if (code === 0x20) spaces++;
  }
  return printable / text.length > 0.95 && spaces / text.length > 0.08;
}

function decodeBase64(candidate: string): string {
  return Buffer.from(candidate, 'base64').toString('latin1');
}

function decodeHex(candidate: string): string {
  return Buffer.from(candidate.replace(/[ :]/g, ''), 'hex').toString('latin1');
}

function rot13(text: string): string {
  return text.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

export const encodedPayload: Rule = {
  meta: {
    id: ID,
    category: 'jailbreak',
    defaultSeverity: 'error',
    description: 'Base64, hex or ROT13 text in a prompt that decodes to instructions: a way to slip a payload past reviewers and filters.',
    docsUrl: docsUrl(ID),
    fixable: false,
  },
  check(context) {
    const report = (unit: Unit, start: number, end: number, encoding: string, decoded: string): void => {
      context.report({
        span: unitSpan(unit, start, end),
        message: `This ${encoding} text decodes to instructions ("${quote(decoded, 80)}"); encoding hides a payload from reviewers and filters but not from the model. Remove it, or write what it means in plain words.`,
        data: { encoding, decoded: decoded.slice(0, 500) },
      });
    };
    // Once per document: the mention that makes ROT13 candidates worth decoding.
    const mentionsRot13 = ROT13_MENTION.test(context.document.text);
    for (const unit of context.document.units) {
      const text = unit.text;
      BASE64.lastIndex = 0;
      for (let match = BASE64.exec(text); match; match = BASE64.exec(text)) {
        const candidate = match[0];
        // Identifiers and paths (all letters, or no digits and no mixed case) are not base64 payloads.
        if (!/[A-Z]/.test(candidate) || !/[a-z]/.test(candidate)) continue;
        const decoded = decodeBase64(candidate);
        if (isReadable(decoded) && instructionWordCount(decoded) >= 2) report(unit, match.index, match.index + candidate.length, 'base64', decoded);
      }
      HEX.lastIndex = 0;
      for (let match = HEX.exec(text); match; match = HEX.exec(text)) {
        const decoded = decodeHex(match[0].trimEnd());
        if (isReadable(decoded) && instructionWordCount(decoded) >= 2) report(unit, match.index, match.index + match[0].trimEnd().length, 'hex', decoded);
      }
      if (!mentionsRot13) continue;
      WORD_RUN.lastIndex = 0;
      for (let match = WORD_RUN.exec(text); match; match = WORD_RUN.exec(text)) {
        const decoded = rot13(match[0]);
        // A ROT13 run reads as gibberish but decodes to more instruction words than it shows.
        if (instructionWordCount(decoded) >= 2 && instructionWordCount(match[0]) === 0) report(unit, match.index, match.index + match[0].length, 'ROT13', decoded);
      }
    }
  },
};
