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
 *           packageJson: any, installed: boolean, test: (title: string, body: () => Promise<void>) => Promise<void>,
 *           log: (message: string) => void }} options
 */
export async function uiTests({ context, url, shots, packageJson, installed, test: record, log }) {
  const page = context.pages()[0] ?? (await context.newPage());
  // A failing UI test leaves a screenshot of what the user would have seen.
  const test = (title, body) =>
    record(title, async () => {
      try {
        await body();
      } catch (error) {
        const name = `failed-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 60)}.png`;
        await page.screenshot({ path: path.join(shots, name) }).catch(() => undefined);
        throw error;
      }
    });
  const consoleLines = [];
  page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
  fs.mkdirSync(shots, { recursive: true });

  try {
    await test('opens the fixture workspace in the workbench', async () => {
      await page.goto(url);
      await page.locator('.monaco-workbench').waitFor({ timeout: WORKBENCH_TIMEOUT });
      await page.locator('.explorer-folders-view .monaco-list-row:has-text("prompts")').first().waitFor({ timeout: WORKBENCH_TIMEOUT });
      // With a .vsix the extension must come from the installed package, not from this folder.
      const title = await page.title();
      if (installed && /Extension Development Host/.test(title)) throw new Error(`expected a plain window, got "${title}"`);
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

    await test('shows the Latent Lint status bar item, which opens the output', async () => {
      const item = page.locator('.statusbar-item:has-text("Latent Lint")').first();
      await item.waitFor({ timeout: 10_000 });
      await item.click();
      await page.locator('.part.panel .composite-bar .action-item.checked:has-text("Output")').waitFor({ timeout: 10_000 });
      await page.keyboard.press('Control+Shift+M');
    });

    await test('loads the latent guard (status bar: shield, "latent guard ready")', async () => {
      const item = page.locator('.statusbar-item:has-text("Latent Lint")').first();
      const ready = item.locator('.codicon-shield');
      const settled = item.locator('.codicon-warning, .codicon-error, .codicon-law, .codicon-circle-slash');
      // Loading 0.5 GB of graph takes seconds; a failed or rules-only state ends the wait with its reason.
      await ready.or(settled).first().waitFor({ timeout: 120_000 });
      if ((await ready.count()) === 0) {
        await item.hover();
        const hover = page.locator('.monaco-hover, .workbench-hover').first();
        const reason = (await hover.isVisible().catch(() => false)) ? await hover.innerText() : await item.getAttribute('aria-label');
        throw new Error(`the latent guard did not load: ${String(reason).replace(/\s+/g, ' ')}`);
      }
    });

    await test('Explain Selection opens the Latent Explorer with all 30 layers', async () => {
      const explain = paletteTitle(packageJson, 'Explain Selection');
      if (!explain) throw new Error('Explain Selection is not contributed');
      const line = page.locator('.editor-instance .view-line:has-text("Ignore all previous instructions")').first();
      await line.click();
      await page.keyboard.press('Home');
      await page.keyboard.press('Shift+End');
      await runCommand(page, explain);
      await page.locator('.tabs-container .tab:has-text("Latent Explorer")').waitFor({ timeout: 30_000 });
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const rows = view.locator('[data-testid="layer-row"]');
      const error = view.locator('[data-testid="error"]');
      // The first explanation loads the model (seconds); an error state ends the wait early with its reason.
      await rows.nth(29).or(error).first().waitFor({ state: 'attached', timeout: 120_000 });
      if (await error.count()) throw new Error(`the explorer shows an error: ${(await error.innerText()).replace(/\s+/g, ' ')}`);
      await page.waitForTimeout(500); // let the charts finish their first paint before the screenshot
      await page.screenshot({ path: path.join(shots, 'explorer.png') });
      const count = await rows.count();
      if (count !== 30) throw new Error(`the explorer shows ${count} layer rows, not 30`);
      const model = await view.locator('[data-testid="model"]').innerText();
      if (!/30 layers/.test(model)) throw new Error(`the explorer's model line says: ${model}`);
      log(`explorer: ${model}; verdict: ${(await view.locator('[data-testid="verdict-status"]').innerText()).trim()}`);
    });
  } finally {
    fs.writeFileSync(path.join(shots, 'ui-console.log'), consoleLines.join('\n') + '\n');
  }
}

/**
 * The model's files gone from the extension under test (a damaged install): a new window says so once
 * (a notification with Show details and Retry) and in the status item ("rules only", and why); Explain
 * fails with the reason. When the files come back, the guard loads without a reload and the explorer
 * replaces its error with the result.
 */
export async function modelMissingTests({ context, url, shots, packageJson, installed, test: record, log, extensionRoot }) {
  // Every folder the extension would find the model in (a checkout may hold models/build and dist/model).
  const dirs = [path.join(extensionRoot, 'models', 'build', 'smollm2-135m-instruct'), path.join(extensionRoot, 'dist', 'model', 'smollm2-135m-instruct')]
    .filter((dir) => fs.existsSync(dir));
  const hidden = (dir) => `${dir}.e2e-hidden`;
  const restore = () => {
    for (const dir of dirs) if (fs.existsSync(hidden(dir)) && !fs.existsSync(dir)) fs.renameSync(hidden(dir), dir);
  };
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30_000);
  const consoleLines = [];
  page.on('console', (message) => consoleLines.push(`[${message.type()}] ${message.text()}`));
  const test = (title, body) =>
    record(title, async () => {
      try {
        await body();
      } catch (error) {
        const name = `failed-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-').slice(0, 60)}.png`;
        await page.screenshot({ path: path.join(shots, name) }).catch(() => undefined);
        throw error;
      }
    });
  try {
    await test('with the model missing: one notification and a "rules only" status item that say why', async () => {
      if (dirs.length === 0) throw new Error(`no model folder under ${extensionRoot}`);
      for (const dir of dirs) fs.renameSync(dir, hidden(dir));
      log(`hid ${dirs.map((dir) => path.relative(extensionRoot, dir)).join(', ')} of ${extensionRoot}`);
      await page.goto(url);
      await page.locator('.monaco-workbench').waitFor({ timeout: WORKBENCH_TIMEOUT });
      // The workspace's prompt files activate the extension; the server finds no model at once.
      const item = page.locator('.statusbar-item:has-text("rules only")').first();
      await item.waitFor({ timeout: 60_000 });
      // The notification comes with the state. A warning toast goes to the notification centre after
      // ~18 s (VS Code's rule), which a busy machine may take to get here: look there if it has.
      let toast = page.locator('.notifications-toasts .notification-toast:has-text("policy rules only")').first();
      if (!(await toast.isVisible())) {
        log('the toast has already moved to the notification centre; opening it');
        await page.locator('.statusbar-item[id="status.notifications"], .statusbar-item:has(.codicon-bell), .statusbar-item:has(.codicon-bell-dot)').first().click();
        toast = page.locator('.notifications-center .notification-list-item:has-text("policy rules only")').first();
        await toast.waitFor({ timeout: 10_000 });
      }
      const message = (await toast.innerText()).replace(/\s+/g, ' ');
      for (const action of ['Show details', 'Retry']) {
        if ((await toast.locator(`.monaco-button:has-text("${action}")`).count()) === 0) throw new Error(`the notification has no ${action} button: ${message}`);
      }
      if (installed) {
        if (!message.includes(path.join('dist', 'model', 'smollm2-135m-instruct'))) throw new Error(`the notification does not name the .vsix's model folder: ${message}`);
        if (/\bnpm\b/.test(message)) throw new Error(`the notification tells a .vsix user to run npm: ${message}`);
      }
      const label = await item.getAttribute('aria-label');
      if (!/rules only/.test(label ?? '') || !/not found|missing/.test(label ?? '')) throw new Error(`the status item does not say why: ${label}`);
      await page.screenshot({ path: path.join(shots, 'model-missing.png') });
      log(`model-missing notification: ${message}`);
      log(`status item: ${label}`);
      // Show details (at once: a toast may hide after a while) opens the output, which logged the failed load.
      // dispatchEvent: in the notification centre the buttons of a collapsed entry only show on hover.
      await toast.locator('.monaco-button:has-text("Show details")').first().dispatchEvent('click');
      const output = page.locator('.part.panel .view-lines');
      // Monaco draws spaces as no-break spaces and wraps long lines: read the text, not a text selector.
      const outputText = async () => (await output.innerText().catch(() => '')).replace(/\s+/g, ' ');
      for (let waited = 0; !(await outputText()).includes('Latent guard: not loaded') && waited < 15_000; waited += 250) await page.waitForTimeout(250);
      const text = await outputText();
      for (const expected of ['Latent guard: loading the model', 'Latent guard: not loaded', 'Latent guard: watching']) {
        if (!text.includes(expected)) throw new Error(`the output lacks "${expected}": ${text.slice(-600)}`);
      }
      await page.screenshot({ path: path.join(shots, 'model-missing-output.png') });
      await openFromExplorer(page, 'prompts', 'support.prompt.md');
    });

    await test('Explain while the model is missing shows the reason in the explorer', async () => {
      const explain = paletteTitle(packageJson, 'Explain Selection');
      if (!explain) throw new Error('Explain Selection is not contributed');
      const line = page.locator('.editor-instance .view-line:has-text("Ignore all previous instructions")').first();
      await line.click();
      await page.keyboard.press('Home');
      await page.keyboard.press('Shift+End');
      await runCommand(page, explain);
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await view.locator('[data-testid="error"]').waitFor({ timeout: 60_000 });
    });

    await test('when the model files come back: the guard loads without a reload and the explorer\'s error clears', async () => {
      restore();
      log('model folders restored');
      const item = page.locator('.statusbar-item:has-text("Latent Lint")').first();
      await item.locator('.codicon-shield').waitFor({ timeout: 120_000 });
      const view = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      await view.locator('[data-testid="layer-row"]').nth(29).waitFor({ state: 'attached', timeout: 120_000 });
      if (await view.locator('[data-testid="error"]').count()) throw new Error('the explorer still shows the error');
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(shots, 'model-restored.png') });
    });
  } finally {
    restore();
    fs.writeFileSync(path.join(shots, 'model-missing-console.log'), consoleLines.join('\n') + '\n');
  }
}
