/** Where a rule's page is published; the page's source is docs/rules/<id>.md in this repository. */
export const DOCS_BASE = 'https://github.com/latent-lint/latent-lint/blob/main/docs/rules/';

export function docsUrl(ruleId: string): string {
  return `${DOCS_BASE}${ruleId}.md`;
}
