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

export type FixtureName = 'harmful' | 'weapon' | 'injection' | 'jailbreak' | 'benign';

export function fixture(name: FixtureName): ExplainResult {
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

export interface ContrastEntry {
  what: string;
  kind: 'text' | 'mark';
  ratio: number;
  foreground: string;
  background: string;
}

/**
 * WCAG contrast of what is on screen, from the computed styles (so from the theme's CSS variables):
 * text colour against the composited background behind it, and SVG marks' fill or stroke against
 * the background of the chart. Colours are normalised by painting them on a canvas, so any syntax
 * Chromium resolves (color-mix, color(srgb …), rgba) is measured as drawn.
 */
export async function contrastReport(page: Page): Promise<ContrastEntry[]> {
  return page.evaluate(`(() => {
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 1;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const rgba = (color) => {
      ctx.clearRect(0, 0, 1, 1);
      ctx.fillStyle = 'rgba(0,0,0,0)';
      ctx.fillStyle = color;
      ctx.fillRect(0, 0, 1, 1);
      const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
      return [r, g, b, a / 255];
    };
    const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
    // The opaque colour behind an element: its ancestors' backgrounds composited from the root down.
    const behind = (element, self) => {
      const chain = [];
      for (let e = self ? element : element.parentElement; e; e = e.parentElement) chain.push(getComputedStyle(e).backgroundColor);
      let colour = rgba(getComputedStyle(document.documentElement).getPropertyValue('--vscode-editor-background') || '#fff');
      for (const bg of chain.reverse()) colour = over(rgba(bg), colour);
      return colour;
    };
    const lum = ([r, g, b]) => {
      const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
    const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
    const out = [];
    const text = (selector, what) => {
      for (const element of document.querySelectorAll(selector)) {
        const style = getComputedStyle(element);
        if (!element.textContent.trim() || style.visibility === 'hidden' || element.getClientRects().length === 0) continue;
        const bg = behind(element, true);
        const fg = over(rgba(element instanceof SVGElement ? style.fill : style.color), bg);
        out.push({ what: what + ' ' + JSON.stringify(element.textContent.trim().slice(0, 24)), kind: 'text', ratio: ratio(fg, bg), foreground: hex(fg), background: hex(bg) });
      }
    };
    const mark = (selector, what, property) => {
      const seen = new Set();
      for (const element of document.querySelectorAll(selector)) {
        const colour = getComputedStyle(element)[property];
        const bg = behind(element.ownerSVGElement || element, false);
        const fg = over(rgba(colour), bg);
        const key = hex(fg) + hex(bg);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ what, kind: 'mark', ratio: ratio(fg, bg), foreground: hex(fg), background: hex(bg) });
      }
    };
    text('.summary', 'summary');
    text('.muted', 'muted text');
    text('.probability-value', 'probability');
    text('.status', 'status badge');
    text('.severity', 'rule severity');
    text('.tag', 'tag');
    text('.rule-message, .rules code', 'rule');
    text('h2, h3', 'heading');
    text('[data-testid="token"]', 'token');
    text('.chart text', 'chart text');
    text('vscode-data-grid-cell', 'table cell');
    text('.detail-row dt, .detail-row dd', 'details');
    mark('.bar.inst', 'bar: end of your text', 'fill');
    mark('.bar.post', 'bar: end of the prompt', 'fill');
    mark('.bar.attention', 'bar: attention', 'fill');
    mark('.bar.mlp', 'bar: MLP', 'fill');
    mark('.harm-line', 'line: raw harm', 'stroke');
    mark('.refusal-line', 'line: raw refusal', 'stroke');
    return out;
  })()`) as Promise<ContrastEntry[]>;
}
