// The engine's own checks, beside the rules: a file it could not parse, a directive that suppresses nothing.
import { docsUrl } from '../core/docs';
import type { RuleMeta } from '../core/types';

export const PARSE_RULE: RuleMeta = {
  id: 'parse/invalid-file',
  category: 'parse',
  defaultSeverity: 'error',
  description: 'The file could not be parsed, so it was linted only in part.',
  docsUrl: docsUrl('parse/invalid-file'),
  fixable: false,
};

export const UNUSED_DIRECTIVE_RULE: RuleMeta = {
  id: 'directives/unused-disable',
  category: 'hygiene',
  defaultSeverity: 'warning',
  description: 'A latent-lint-disable comment that suppresses nothing.',
  docsUrl: docsUrl('directives/unused-disable'),
  fixable: true,
};
