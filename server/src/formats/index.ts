import type { Format } from '../core/types';
import { markdownPromptFormat, plainPromptFormat } from './markdown';

/** Every format, most specific first: the first that matches a file parses it. */
export const FORMATS: readonly Format[] = [markdownPromptFormat, plainPromptFormat];

/** The format for a file, or undefined if none applies. `explicit`: the user named the file. */
export function formatFor(fileName: string, text: string, explicit: boolean): Format | undefined {
  return FORMATS.find((format) => format.matches(fileName, text, explicit));
}
