import type { Rule } from '../core/types';
import { overrideInstructions } from './injection/override-instructions';
import { apiKey } from './secrets/api-key';
import { invisibleCharacters } from './unicode/invisible-characters';

/** The rule registry: every rule, once. Settings and docs are generated from this list. */
export const RULES: readonly Rule[] = [overrideInstructions, apiKey, invisibleCharacters];
