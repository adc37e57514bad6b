// The chat template and exact read positions. Each unit is wrapped as one user turn of the model's
// ChatML template; the pieces are tokenised separately and concatenated, so t_inst (the last token of
// the user's text) and t_post_inst (the last token of the prompt) are known exactly. A unit longer than
// maxUserTokens is read as overlapping windows of its tokens, each in the same user turn.
import * as fs from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import { ModelUnavailableError, type ModelFiles } from './model-files';
import { sentencesOf } from './sentences';

export const DEFAULT_MAX_USER_TOKENS = 192;
/** A long unit is read in at most this many windows; the rest is not read (the score says truncated). */
export const MAX_WINDOWS = 16;

/** Where each window starts in a text of `tokens` user tokens, windows of `size` tokens, stride ⌊size·2/3⌋. */
export function windowStarts(tokens: number, size: number, maxWindows = MAX_WINDOWS): { starts: number[]; truncated: boolean } {
  if (tokens <= size) return { starts: [0], truncated: false };
  const stride = Math.max(1, Math.floor((size * 2) / 3));
  const starts: number[] = [];
  for (let start = 0; ; start += stride) {
    starts.push(start);
    if (start + size >= tokens) return { starts, truncated: false };
    if (starts.length >= maxWindows) return { starts, truncated: true };
  }
}

/** A unit as the model reads it: one prompt per window, then one per sentence read alone. */
export interface UnitPrompts {
  prompts: Prompt[];
  /** How many of `prompts` are windows of the whole text; the rest are its sentences, in order. */
  windows: number;
  /**
   * Each prompt's characters [start, end) in the original text (`sentence` on a sentence's); empty
   * when the unit is one window and has no sentences to read alone.
   */
  ranges: { start: number; end: number; sentence?: true }[];
  /** Tokens of the whole text, and whether some were past the last window. */
  userTokens: number;
  truncated: boolean;
  /** True when the unit has sentences read alone and none was left out (at most `sentences.max`). */
  sentencesAll?: boolean;
}

export interface Prompt {
  ids: number[];
  /** Index of the last token of the user's text. */
  tInst: number;
  /** Index of the last token of the whole prompt (after the assistant header). */
  tPostInst: number;
  /** Index of this prompt's first user token among the whole text's tokens (0 but for later windows). */
  windowStart: number;
  /** Where the user's tokens start and end (end exclusive) in `ids`. */
  userStart: number;
  userEnd: number;
  /** Tokens of the user's text before truncation. */
  userTokens: number;
  truncated: boolean;
  /** Leading whitespace removed from the unit text (token offsets are shifted by it). */
  trimmedStart: number;
  /** The user text as given to the model (trimmed). */
  text: string;
}

export interface TokenSpan {
  text: string;
  /** UTF-16 offsets in the original (untrimmed) unit text, end exclusive. */
  start: number;
  end: number;
}

/** The system prompt a ChatML template inserts when the conversation has none. */
export function defaultSystemPrompt(chatTemplate: string): string | null {
  const match = /<\|im_start\|>system\n([\s\S]*?)<\|im_end\|>/.exec(chatTemplate ?? '');
  return match ? match[1] : null;
}

/** The ChatML string for one user turn, as the GGUF template renders it with add_generation_prompt. */
export function renderChat(text: string, systemPrompt: string | null): string {
  const system = systemPrompt === null ? '' : `<|im_start|>system\n${systemPrompt}<|im_end|>\n`;
  return `${system}<|im_start|>user\n${text}<|im_end|>\n<|im_start|>assistant\n`;
}

/** Sentences read alone (the guard file's `segments`): at most `max` per unit, of at least `minWords` words. */
export interface SentenceReading {
  max: number;
  minWords: number;
}

export class PromptTokenizer {
  readonly systemPrompt: string | null;
  /** Set from the guard file when it reads sentences alone; undefined reads windows only. */
  sentences?: SentenceReading;
  private readonly prefix: number[];
  private readonly suffix: number[];
  private readonly specialIds: Set<number>;

  constructor(
    readonly tokenizer: Tokenizer,
    systemPrompt: string | null,
    readonly maxUserTokens = DEFAULT_MAX_USER_TOKENS,
  ) {
    this.systemPrompt = systemPrompt;
    const [before, after] = renderChat('\u0000', systemPrompt).split('\u0000');
    this.prefix = this.encode(before);
    this.suffix = this.encode(after);
    this.specialIds = new Set(tokenizer.get_added_tokens_decoder().keys());
  }

  /** The template's tokens before the user's text (the same for every unit: the prefix graph caches them). */
  get prefixIds(): readonly number[] {
    return this.prefix;
  }

  static load(files: ModelFiles, maxUserTokens = DEFAULT_MAX_USER_TOKENS): PromptTokenizer {
    let tokenizer: Tokenizer;
    try {
      const json = JSON.parse(fs.readFileSync(files.tokenizerPath, 'utf8')) as object;
      const config = files.tokenizerConfigPath ? (JSON.parse(fs.readFileSync(files.tokenizerConfigPath, 'utf8')) as object) : {};
      tokenizer = new Tokenizer(json, config);
    } catch (error) {
      throw new ModelUnavailableError('corrupt', `cannot read ${files.tokenizerPath}: ${(error as Error).message}`);
    }
    return new PromptTokenizer(tokenizer, defaultSystemPrompt(files.config.chat_template), maxUserTokens);
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Builds the prompt for one unit. Whitespace around the text is trimmed (it carries no meaning). */
  build(text: string): Prompt {
    const { trimmed, trimmedStart, all } = this.tokenise(text);
    return this.prompt(all, 0, Math.min(all.length, this.maxUserTokens), { trimmed, trimmedStart });
  }

  /**
   * Builds the prompts for one unit: one when it fits in maxUserTokens user tokens (exactly build()'s),
   * else overlapping windows of maxUserTokens tokens (stride ⌊maxUserTokens·2/3⌋, at most MAX_WINDOWS),
   * each wrapped in the same user turn, with each window's character range in `text`; then, with
   * `sentences` set, one prompt per line or sentence (sentences.ts), each in a user turn of its own.
   */
  buildWindows(text: string): UnitPrompts {
    const { trimmed, trimmedStart, all } = this.tokenise(text);
    const size = this.maxUserTokens;
    const { starts, truncated } = windowStarts(all.length, size);
    const prompts = starts.map((start) => this.prompt(all, start, Math.min(all.length, start + size), { trimmed, trimmedStart }));
    // Every prompt says whether the unit as a whole was read to its end.
    for (const prompt of prompts) prompt.truncated = truncated;
    let ranges: UnitPrompts['ranges'] = [];
    if (prompts.length > 1) {
      const read = prompts[prompts.length - 1].windowStart + (prompts[prompts.length - 1].userEnd - prompts[prompts.length - 1].userStart);
      const spans = this.spansOf(all.slice(0, read), trimmed, trimmedStart, text);
      ranges = prompts.map((prompt) => {
        const last = prompt.windowStart + (prompt.userEnd - prompt.userStart) - 1;
        return { start: spans[prompt.windowStart].start, end: spans[last].end };
      });
    }
    const windows = prompts.length;
    const found = this.sentences ? sentencesOf(text, this.sentences.minWords) : [];
    const sentences = found.slice(0, this.sentences?.max ?? 0);
    if (sentences.length > 0 && ranges.length === 0) ranges = [{ start: trimmedStart, end: trimmedStart + trimmed.length }];
    for (const { start, end } of sentences) {
      const sentence = text.slice(start, end);
      const ids = this.encode(sentence);
      prompts.push(this.prompt(ids, 0, Math.min(ids.length, this.maxUserTokens), { trimmed: sentence, trimmedStart: start }));
      ranges.push({ start, end, sentence: true });
    }
    return { prompts, windows, ranges, userTokens: all.length, truncated, sentencesAll: sentences.length > 0 && sentences.length === found.length };
  }

  private tokenise(text: string): { trimmed: string; trimmedStart: number; all: number[] } {
    const trimmed = text.trim();
    const trimmedStart = trimmed.length === 0 ? 0 : text.indexOf(trimmed);
    return { trimmed, trimmedStart, all: trimmed.length === 0 ? [] : this.encode(trimmed) };
  }

  /** The user turn around tokens [from, to) of the text's tokens. */
  private prompt(all: number[], from: number, to: number, text: { trimmed: string; trimmedStart: number }): Prompt {
    const user = from === 0 && to === all.length ? all : all.slice(from, to);
    const ids = [...this.prefix, ...user, ...this.suffix];
    const userStart = this.prefix.length;
    const userEnd = userStart + user.length;
    return {
      ids,
      tInst: userEnd - 1,
      tPostInst: ids.length - 1,
      windowStart: from,
      userStart,
      userEnd,
      userTokens: all.length,
      truncated: user.length < all.length,
      trimmedStart: text.trimmedStart,
      text: text.trimmed,
    };
  }

  /** Offsets of each user token in the original unit text (byte-level BPE tokens mapped back to bytes). */
  userTokenSpans(prompt: Prompt, originalText: string): TokenSpan[] {
    if (prompt.windowStart !== 0) {
      // A later window: map the text's tokens up to its end, keep its own.
      const all = this.encode(prompt.text);
      const end = prompt.windowStart + prompt.userEnd - prompt.userStart;
      return this.spansOf(all.slice(0, end), prompt.text, prompt.trimmedStart, originalText).slice(prompt.windowStart);
    }
    return this.spansOf(prompt.ids.slice(prompt.userStart, prompt.userEnd), prompt.text, prompt.trimmedStart, originalText);
  }

  /** Spans of `ids`, the first tokens of `text` (the trimmed unit text, at `trimmedStart` in `originalText`). */
  private spansOf(ids: readonly number[], text: string, trimmedStart: number, originalText: string): TokenSpan[] {
    const utf8 = Buffer.from(text, 'utf8');
    // UTF-16 offset of each byte offset (bytes inside a multi-byte character map to its start).
    const charAt = new Array<number>(utf8.length + 1);
    let char = 0;
    for (let byte = 0; byte < utf8.length; ) {
      const code = text.codePointAt(char) ?? 0;
      const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
      for (let k = 0; k < width && byte + k < utf8.length; k++) charAt[byte + k] = char;
      byte += width;
      char += code >= 0x10000 ? 2 : 1;
    }
    charAt[utf8.length] = text.length;
    const spans: TokenSpan[] = [];
    let byte = 0;
    for (const id of ids) {
      const token = this.tokenizer.id_to_token(id) ?? '';
      // Byte-level BPE: each character of a token stands for one byte; added tokens are literal text.
      const length = this.specialIds.has(id) ? Buffer.byteLength(token) : [...token].length;
      const startByte = Math.min(byte, utf8.length);
      byte += length;
      const endByte = Math.min(byte, utf8.length);
      const start = charAt[startByte] + trimmedStart;
      const end = Math.max(start, (endByte === utf8.length ? text.length : charAt[endByte]) + trimmedStart);
      spans.push({ text: originalText.slice(start, end), start, end });
    }
    return spans;
  }
}
