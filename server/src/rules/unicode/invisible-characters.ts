import type { Rule } from '../../core/types';
import { docsUrl } from '../../core/docs';

const ID = 'unicode/invisible-characters';

// Zero-width and formatting characters, bidi controls, and the Unicode tag block (ASCII smuggling).
// BOM at offset 0 is allowed. Matched on the raw source so hidden text in any format is found.
const INVISIBLE = /[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\u206A-\u206F\u00AD\u180E\uFEFF]|\uDB40[\uDC00-\uDC7F]/g;
const TAG_CHAR = /\uDB40[\uDC00-\uDC7F]/;
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F]/;

function describe(char: string): string {
  if (TAG_CHAR.test(char)) return 'Unicode tag characters (invisible ASCII smuggling)';
  if (BIDI.test(char)) return 'bidirectional control characters';
  return 'zero-width or invisible formatting characters';
}

/** Decodes a run of Unicode tag characters into the ASCII it hides. */
function decodeTags(run: string): string {
  let out = '';
  for (const char of run) {
    const code = char.codePointAt(0) ?? 0;
    if (code >= 0xe0020 && code <= 0xe007e) out += String.fromCharCode(code - 0xe0000);
  }
  return out;
}

/** ZWJ/ZWNJ between non-ASCII characters are part of emoji sequences and of Persian or Indic words. */
function joinsScript(text: string, index: number, char: string): boolean {
  if (char !== '\u200D' && char !== '\u200C') return false;
  const before = text.codePointAt(index - 1) ?? 0;
  const beforePair = index >= 2 ? (text.codePointAt(index - 2) ?? 0) : 0;
  const after = text.codePointAt(index + 1) ?? 0;
  return (before > 0x7f || beforePair > 0xffff) && after > 0x7f;
}

const LETTER = /\p{L}/u;

/** One zero-width character (not bidi, not a tag) outside a word hides nothing: a copy-paste artefact. */
function isLoneArtefact(text: string, start: number, end: number): boolean {
  const run = text.slice(start, end);
  if ([...run].length !== 1 || BIDI.test(run) || TAG_CHAR.test(run)) return false;
  const before = text[start - 1] ?? '';
  const after = text[end] ?? '';
  // Inside a word ("ig\u200Bnore") it splits a keyword past filters; that stays flagged.
  return !(LETTER.test(before) && LETTER.test(after));
}

export const invisibleCharacters: Rule = {
  meta: {
    id: ID,
    category: 'unicode',
    defaultSeverity: 'error',
    description: 'Invisible, bidirectional-control or Unicode-tag characters that hide text from a reviewer but not from the model.',
    docsUrl: docsUrl(ID),
    fixable: true,
  },
  check(context) {
    const text = context.document.text;
    INVISIBLE.lastIndex = 0;
    let runStart = -1;
    let runEnd = -1;
    const flush = (): void => {
      if (runStart < 0) return;
      if (isLoneArtefact(text, runStart, runEnd)) {
        runStart = -1;
        return;
      }
      const run = text.slice(runStart, runEnd);
      const hidden = decodeTags(run);
      const count = [...run].length;
      context.report({
        span: { start: runStart, end: runEnd },
        message:
          `${count} ${describe(run)} (${[...run].map((c) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`).slice(0, 4).join(' ')}${count > 4 ? ' …' : ''})` +
          (hidden ? ` hiding the text "${hidden.slice(0, 80)}"` : '') +
          '; a reviewer cannot see them but the model reads them. Remove them (the quick-fix does).',
        fix: { title: 'Remove the invisible characters', edits: [{ span: { start: runStart, end: runEnd }, newText: '' }] },
        data: { hidden },
      });
      runStart = -1;
    };
    for (let match = INVISIBLE.exec(text); match; match = INVISIBLE.exec(text)) {
      if (match.index === 0 && match[0] === '\uFEFF') continue;
      if (joinsScript(text, match.index, match[0])) continue;
      if (match.index !== runEnd) flush();
      if (runStart < 0) runStart = match.index;
      runEnd = match.index + match[0].length;
    }
    flush();
  },
};
