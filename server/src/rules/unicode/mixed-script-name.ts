import type { Rule, Span } from '../../core/types';
import { unitSpan } from '../../core/spans';
import { docsUrl } from '../../core/docs';
import { MAX_REPORTS_PER_FILE } from '../text';

const ID = 'unicode/mixed-script-name';

// Cyrillic and Greek letters that look like Latin ones (Unicode confusables, the common subset).
const CONFUSABLES: Record<string, string> = {
  а: 'a', в: 'B', е: 'e', ё: 'e', к: 'k', м: 'M', н: 'H', о: 'o', р: 'p', с: 'c', т: 'T', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ԛ: 'q', ԝ: 'w', ү: 'y', һ: 'h', ӏ: 'l',
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', У: 'Y', Х: 'X', І: 'I', Ј: 'J', Ѕ: 'S', Ү: 'Y', Һ: 'h', Ԛ: 'Q', Ԝ: 'W',
  α: 'a', ο: 'o', ν: 'v', ρ: 'p', τ: 't', υ: 'u', ι: 'i', κ: 'k', χ: 'x', γ: 'y', ϲ: 'c', ϳ: 'j',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
};

const LATIN = /[A-Za-z]/;
const NON_LATIN_LETTER = /[\u0370-\u03FF\u0400-\u04FF\u0500-\u052F]/;
// Identifier-like words (letters, digits, _ . -), bounded so a 1 MB word costs one pass.
const WORD = /[\p{L}\p{N}_.-]{2,200}/gu;

/** The Latin look-alike of a word, or undefined if the word is not a Latin word with confusables in it. */
export function latinLookalike(word: string): string | undefined {
  if (!LATIN.test(word) || !NON_LATIN_LETTER.test(word)) return undefined;
  let out = '';
  for (const char of word) {
    if (NON_LATIN_LETTER.test(char)) {
      const latin = CONFUSABLES[char];
      if (!latin) return undefined; // a real Cyrillic or Greek letter next to Latin: mixed, but not a disguise
      out += latin;
    } else out += char;
  }
  return out;
}

export const mixedScriptName: Rule = {
  meta: {
    id: ID,
    category: 'unicode',
    defaultSeverity: 'error',
    description: 'A tool name or word that mixes Latin letters with Cyrillic or Greek look-alikes (homoglyphs), so it reads as one name and is another.',
    docsUrl: docsUrl(ID),
    fixable: true,
  },
  check(context) {
    const { document } = context;
    const seen = new Set<number>();
    const report = (span: Span, word: string, latin: string, where: string): void => {
      if (seen.has(span.start)) return;
      if (seen.size >= MAX_REPORTS_PER_FILE) return;
      seen.add(span.start);
      const disguised = [...word].filter((c) => NON_LATIN_LETTER.test(c)).map((c) => `'${c}' U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`);
      const verbatim = document.text.slice(span.start, span.end) === word;
      context.report({
        span,
        message: `${where} "${word}" looks like "${latin}" but contains ${disguised.join(', ')}; a homoglyph name can impersonate a trusted tool or slip past filters. Retype it in plain Latin letters.`,
        fix: verbatim ? { title: `Replace with "${latin}"`, edits: [{ span, newText: latin }] } : undefined,
        data: { latin },
      });
    };
    for (const tool of document.tools) {
      const latin = latinLookalike(tool.name);
      if (latin) report(tool.nameSpan, tool.name, latin, 'The tool name');
    }
    for (const unit of document.units) {
      if (seen.size >= MAX_REPORTS_PER_FILE) return;
      // Most prompts hold no Greek or Cyrillic at all: one scan rules the unit out.
      if (!NON_LATIN_LETTER.test(unit.text)) continue;
      WORD.lastIndex = 0;
      for (let match = WORD.exec(unit.text); match && seen.size < MAX_REPORTS_PER_FILE; match = WORD.exec(unit.text)) {
        const latin = latinLookalike(match[0]);
        if (latin) report(unitSpan(unit, match.index, match.index + match[0].length), match[0], latin, unit.kind === 'tool-name' ? 'The tool name' : 'The word');
      }
    }
  },
};
