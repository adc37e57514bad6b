/** Where a rule's page is published (every layer links the same way); the source is docs/rules/<id>.md. */
export const DOCS_BASE = 'https://github.com/latent-lint/latent-lint/blob/main/docs/rules/';

export function docsUrl(ruleId: string): string {
  return `${DOCS_BASE}${ruleId}.md`;
}
