// UI tests: drive the real workbench in Chromium as a user would, and keep screenshots to look at.
import fs from 'node:fs';
import path from 'node:path';

const WORKBENCH_TIMEOUT = 60_000;
const FINDING_TIMEOUT = 30_000;

/** A contributed command's title as the command palette shows it ("Latent Lint: Explain Selection"). */
function paletteTitle(packageJson, title) {
  const entry = (packageJson.contributes?.commands ?? []).find((command) => command.title === title || command.title === `Latent Lint: ${title}`);
  if (!entry) return undefined;
  return entry.category ? `${entry.category}: ${entry.title}` : entry.title;
}

async function runCommand(page, title) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  await page.locator(`.quick-input-list .monaco-list-row:has-text("${title}")`).first().waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
}

async function openFromExplorer(page, folder, file) {
  const row = (name) => page.locator(`.explorer-folders-view .monaco-list-row:has-text("${name}")`).first();
  await row(folder).waitFor({ timeout: WORKBENCH_TIMEOUT });
  if ((await row(file).count()) === 0) await row(folder).click();
  await row(file).click();
  await page.locator(`.tabs-container .tab.active:has-text("${file}")`).waitFor({ timeout: 30_000 });
}

/**
 * @param {{ context: import('playwright-core').BrowserContext, url: string, shots: string,
 *           packageJson: any, test: (title: string, body: () => Promise<void>) => Promise<void>,
 *           log: (message: string) => void }} options
 */
export async function uiTests({ context, url, shots, packageJson, test, log }) {
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleLines = [];
  page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
  fs.mkdirSync(shots, { recursive: true });

  try {
    await test('opens the fixture workspace in the workbench', async () => {
      await page.goto(url);
      await page.locator('.monaco-workbench').waitFor({ timeout: WORKBENCH_TIMEOUT });
      await page.locator('.explorer-folders-view .monaco-list-row:has-text("prompts")').first().waitFor({ timeout: WORKBENCH_TIMEOUT });
    });

    await test('shows the override finding of a prompt file in the Problems panel', async () => {
      await openFromExplorer(page, 'prompts', 'support.prompt.md');
      await page.locator('.editor-instance .view-lines:has-text("Ignore all previous instructions")').waitFor({ timeout: 30_000 });
      await page.keyboard.press('Control+Shift+M');
      const row = page.locator('.markers-panel .monaco-list-row:has-text("injection/override-instructions")').first();
      await row.waitFor({ timeout: FINDING_TIMEOUT });
      const text = await row.innerText();
      if (!/Ignore all previous instructions/i.test(text)) throw new Error(`the Problems row does not say why: ${text}`);
      if (!/latent-lint/.test(text)) throw new Error(`the Problems row does not name the source: ${text}`);
      await page.locator('.monaco-editor .squiggly-error').first().waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(shots, 'problems.png') });
      log(`problems row: ${text.replace(/\s+/g, ' ').trim()}`);
    });

    const explain = paletteTitle(packageJson, 'Explain Selection');
    if (explain) {
      await test('Explain Selection opens the Latent Explorer with all 30 layers', async () => {
        const line = page.locator('.editor-instance .view-line:has-text("Ignore all previous instructions")').first();
        await line.click();
        await page.keyboard.press('Home');
        await page.keyboard.press('Shift+End');
        await runCommand(page, explain);
        await page.locator('.tabs-container .tab:has-text("Latent Explorer")').waitFor({ timeout: 30_000 });
        const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
        const layers = view.locator('[data-layer]');
        await layers.nth(29).waitFor({ timeout: 60_000 });
        const count = await layers.count();
        if (count !== 30) throw new Error(`the explorer shows ${count} layers, not 30`);
        await page.screenshot({ path: path.join(shots, 'explorer.png') });
      });
    } else {
      log('Explain Selection is not contributed yet: the explorer UI test has nothing to drive');
    }
  } finally {
    fs.writeFileSync(path.join(shots, 'ui-console.log'), consoleLines.join('\n') + '\n');
  }
}
