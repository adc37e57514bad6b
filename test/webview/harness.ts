// Loads the real explorer page (src/explorer/html.ts: same CSP, same nonce'd script) in headless
// Chromium, with dist/webview served from a fake webview origin and a stub acquireVsCodeApi that
// records what the webview posts and keeps its state across reloads, like VS Code does.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { explorerHtml, makeNonce } from '../../src/explorer/html';
import type { ExplainResult, ExplorerToWebview } from '../../server/src/protocol/explain';
import { themeStylesheet, type ThemeKind } from './themes';

export const CHROMIUM = process.env.LATENT_LINT_CHROMIUM ?? '/usr/bin/chromium';
const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist', 'webview');
const ORIGIN = 'https://explorer.test';

export function fixture(name: 'harmful' | 'benign'): ExplainResult {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'explain', `${name}.json`), 'utf8')) as ExplainResult;
}

/** Rebuilds the bundles when dist/webview is missing or older than the webview's sources. */
export function ensureWebviewBuilt(): void {
  const bundle = path.join(DIST, 'main.js');
  const built = fs.existsSync(bundle) && fs.existsSync(path.join(DIST, 'main.css')) ? fs.statSync(bundle).mtimeMs : 0;
  const sources = [path.join(ROOT, 'webview', 'src'), path.join(ROOT, 'server', 'src', 'protocol')];
  const newest = Math.max(...sources.flatMap((dir) => fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => fs.statSync(path.join(e.parentPath, e.name)).mtimeMs)));
  if (built < newest) execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
}

export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: the webview UI test needs it. \`npm test\` installs it first (\`npm run test:setup\`: apt as root, otherwise it prints the one command to run), or set LATENT_LINT_CHROMIUM.`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

export interface ExplorerPageHandle {
  page: Page;
  /** Messages the webview posted to the host, in order. */
  posted(): Promise<{ type: string; [key: string]: unknown }[]>;
  /** CSP violations, page errors and console errors seen so far. */
  problems(): string[];
  send(message: ExplorerToWebview): Promise<void>;
}

export async function openExplorer(browser: Browser, options: { theme?: ThemeKind; width?: number; height?: number } = {}): Promise<ExplorerPageHandle> {
  const theme = options.theme ?? 'vscode-dark';
  const page = await browser.newPage({ viewport: { width: options.width ?? 1280, height: options.height ?? 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.stack ?? error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });

  const html = explorerHtml({ cspSource: ORIGIN, scriptUri: `${ORIGIN}/main.js`, styleUri: `${ORIGIN}/main.css`, nonce: makeNonce() })
    // VS Code puts the theme's variables on <html> and the theme kind on <body>.
    .replace('<link rel="stylesheet"', `<link rel="stylesheet" href="${ORIGIN}/theme.css">\n  <link rel="stylesheet"`)
    .replace('<body>', `<body class="${theme}" data-vscode-theme-kind="${theme}">`);
  await page.route(`${ORIGIN}/**`, async (route) => {
    const name = new URL(route.request().url()).pathname.slice(1);
    if (name === 'index.html') return route.fulfill({ contentType: 'text/html', body: html });
    if (name === 'theme.css') return route.fulfill({ contentType: 'text/css', body: themeStylesheet(theme) });
    const file = path.join(DIST, path.basename(name));
    if (!fs.existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ contentType: name.endsWith('.css') ? 'text/css' : 'text/javascript', body: fs.readFileSync(file) });
  });
  // A string, not a function: tsx would wrap a function's inner names in helpers the page lacks.
  await page.addInitScript(`
    window.__posted = [];
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (event) => {
      window.__violations.push(event.violatedDirective + ' ' + event.blockedURI + ' at ' + event.sourceFile + ':' + event.lineNumber + ':' + event.columnNumber);
    });
    window.acquireVsCodeApi = () => ({
      postMessage: (message) => window.__posted.push(message),
      getState: () => JSON.parse(sessionStorage.getItem('vscode-state') ?? 'null') ?? undefined,
      setState: (state) => sessionStorage.setItem('vscode-state', JSON.stringify(state)),
    });
  `);
  await page.goto(`${ORIGIN}/index.html`);
  await page.waitForFunction(() => ((window as unknown as { __posted: { type: string }[] }).__posted ?? []).some((m) => m.type === 'ready'));

  return {
    page,
    posted: () => page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted),
    problems: () => problems,
    async send(message) {
      await page.evaluate((data) => window.postMessage(data, '*'), message);
    },
  };
}

export async function violations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
}

export const SCREENSHOTS = path.join(ROOT, 'test-results', 'webview');
