// The explorer page: a strict CSP with a fresh nonce, one script and one stylesheet from
// dist/webview. The csp-nonce meta is where the toolkit's FAST runtime looks for the nonce when it
// probes for :focus-visible support with a <style> element. Pure (no vscode import) so the headless test renders the very same page.
import { randomBytes } from 'node:crypto';

export interface ExplorerPage {
  /** webview.cspSource: the origin the webview loads local resources from. */
  cspSource: string;
  scriptUri: string;
  styleUri: string;
  nonce: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64url');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}

export function contentSecurityPolicy({ cspSource, nonce }: Pick<ExplorerPage, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `img-src ${cspSource} data:`,
    `font-src ${cspSource}`,
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
}

export function explorerHtml(page: ExplorerPage): string {
  const nonce = escapeAttribute(page.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <meta http-equiv="Content-Security-Policy" content="${escapeAttribute(contentSecurityPolicy(page))}">
  <meta name="viewport" content="width=device-width, initial-scale=1.0">
  <meta property="csp-nonce" content="${nonce}">
  <link rel="stylesheet" nonce="${nonce}" href="${escapeAttribute(page.styleUri)}">
  <title>Latent Explorer</title>
</head>
<body>
  <div id="root" data-testid="explorer-root"></div>
  <script nonce="${nonce}" src="${escapeAttribute(page.scriptUri)}"></script>
</body>
</html>
`;
}
