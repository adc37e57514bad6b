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
/** Files the UI tests add to their copy of the workspace: a server config with a secret, enough prompts for a scan to take a while. */
function seedWorkspace(workspace) {
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(workspace, '.vscode', 'mcp.json'), `${JSON.stringify({ servers: { github: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { GITHUB_PERSONAL_ACCESS_TOKEN: SECRET } } } }, null, 2)}\n`);
  fs.mkdirSync(path.join(workspace, 'team'), { recursive: true });
  for (let i = 0; i < 40; i++) {
    fs.writeFileSync(path.join(workspace, 'team', `helper-${String(i).padStart(2, '0')}.prompt.md`),
      `You help the team with task ${i}: summarise the open tickets in three bullet points.\n\nKeep the tone friendly and cite the ticket numbers.\n`);
  }
}

const SECRET = 'ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';

/** Opens the quick-fix menu at the cursor and picks the action whose title starts with `title`. */
async function quickFix(page, title) {
  const item = page.locator(`.action-widget .monaco-list-row:has-text("${title}")`).first();
  // The menu opens on what the server has answered so far: a press that comes before the code
  // actions arrive shows an empty or partial menu, so close it and ask again.
  for (let attempt = 0; ; attempt++) {
    await page.keyboard.press('Control+Period');
    try {
      await item.waitFor({ timeout: 5_000 });
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
      await page.keyboard.press('Escape');
      await page.waitForTimeout(1_000);
    }
  }
  await item.click();
}

/** Problems-panel rows of one file that name a rule. */
function problemRows(page, ruleId) {
  return page.locator(`.markers-panel .monaco-list-row:has-text("${ruleId}")`);
}

export async function uiTests({ context, url, workspace, shots, packageJson, installed, test: record, log }) {
  if (workspace) seedWorkspace(workspace);
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

    await test('Explain Selection opens the Latent Explorer on the scoring graph (the 14 layers the guard reads up to)', async () => {
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
      await rows.nth(13).or(error).first().waitFor({ state: 'attached', timeout: 120_000 });
      if (await error.count()) throw new Error(`the explorer shows an error: ${(await error.innerText()).replace(/\s+/g, ' ')}`);
      await page.waitForTimeout(500); // let the charts finish their first paint before the screenshot
      await page.screenshot({ path: path.join(shots, 'explorer.png') });
      const count = await rows.count();
      if (count !== 14) throw new Error(`the explorer shows ${count} layer rows, not 14`);
      const model = await view.locator('[data-testid="model"]').innerText();
      if (!/graph guard \(14 layers\) \+ prefix cache · layers 1–14 of 30/.test(model)) throw new Error(`the explorer's model line says: ${model}`);
      log(`explorer: ${model}; verdict: ${(await view.locator('[data-testid="verdict-status"]').innerText()).trim()}`);
    });

    await test('Scan Workspace shows a cancellable progress toast with the file count, then a summary toast that opens Problems', async () => {
      await page.keyboard.press('Escape');
      // As a user sees it: a toast, with the notification centre closed (an open centre takes the toasts).
      const toasts = page.locator('.notifications-toasts');
      await runCommand(page, paletteTitle(packageJson, 'Scan Workspace'));
      const progress = toasts.locator('.notification-toast:has-text("Latent Lint: scanning the workspace")').first();
      await progress.waitFor({ timeout: 20_000 });
      for (let i = 0; i < 100 && !/file \d+ of \d+/.test(await progress.innerText().catch(() => '')); i++) await page.waitForTimeout(100);
      const running = (await progress.innerText().catch(() => '')).replace(/\s+/g, ' ').trim();
      if (!/file \d+ of \d+/.test(running)) throw new Error(`the progress does not count files: ${running}`);
      if ((await progress.locator('.monaco-button:has-text("Cancel")').count()) === 0) throw new Error(`the scan toast offers no Cancel: ${running}`);
      if (!(await progress.isVisible())) throw new Error('the scan toast is in the DOM but not visible');
      await page.screenshot({ path: path.join(shots, 'scan-progress.png') });
      log(`scan progress toast: ${running}`);
      const summary = toasts.locator('.notification-toast:has-text("scanned")').first();
      await summary.waitFor({ state: 'visible', timeout: 120_000 });
      const text = (await summary.innerText()).replace(/\s+/g, ' ').trim();
      if (!/\d+ findings? in \d+ files scanned/.test(text)) throw new Error(`the summary says: ${text}`);
      await page.screenshot({ path: path.join(shots, 'scan-summary.png') });
      log(`scan summary toast: ${text}`);
      await summary.locator('.monaco-button:has-text("Show Problems")').click();
      await problemRows(page, 'injection/override-instructions').first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Escape');
    });

    await test('Scan Current File says in a toast what it found, with Show Problems; a clean file says so', async () => {
      const toasts = page.locator('.notifications-toasts');
      await openFromExplorer(page, 'prompts', 'support.prompt.md');
      await runCommand(page, paletteTitle(packageJson, 'Scan Current File'));
      const found = toasts.locator('.notification-toast:has-text("in prompts/support.prompt.md")').first();
      await found.waitFor({ state: 'visible', timeout: 60_000 });
      const text = (await found.innerText()).replace(/\s+/g, ' ').trim();
      if (!/Latent Lint: \d+ findings? in prompts\/support\.prompt\.md/.test(text)) throw new Error(`the file summary says: ${text}`);
      if ((await found.locator('.monaco-button:has-text("Show Problems")').count()) === 0) throw new Error(`the file summary offers no Show Problems: ${text}`);
      await page.screenshot({ path: path.join(shots, 'scan-file.png') });
      log(`scan file toast: ${text}`);
      await found.locator('.monaco-button:has-text("Show Problems")').click();
      await problemRows(page, 'injection/override-instructions').first().waitFor({ timeout: 10_000 });
      await openFromExplorer(page, 'prompts', 'clean.prompt.md');
      await runCommand(page, paletteTitle(packageJson, 'Scan Current File'));
      const clean = toasts.locator('.notification-toast:has-text("no findings in prompts/clean.prompt.md")').first();
      await clean.waitFor({ state: 'visible', timeout: 60_000 });
      log(`scan clean file toast: ${(await clean.innerText()).replace(/\s+/g, ' ').trim()}`);
      await page.keyboard.press('Escape');
    });

    await test('a rule link in the Problems panel opens the bundled rule page inside the editor', async () => {
      const row = page.locator('.markers-panel .monaco-list-row:has-text("Disregard the above guidelines")').first();
      await row.waitFor({ timeout: 10_000 });
      const link = row.locator('a:has-text("injection/override-instructions"), .monaco-link:has-text("injection/override-instructions")').first();
      await link.click();
      await page.locator('.tabs-container .tab:has-text("override-instructions.md")').waitFor({ timeout: 15_000 });
      // The preview renders the page that ships with the extension (no network).
      let rendered = false;
      for (let i = 0; i < 50 && !rendered; i++) {
        for (const frame of page.frames()) {
          const body = await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '');
          if (/injection\/override-instructions/.test(body) && /Default severity/.test(body)) rendered = true;
        }
        if (!rendered) await page.waitForTimeout(200);
      }
      if (!rendered) throw new Error('the preview did not render the bundled rule page');
      await page.screenshot({ path: path.join(shots, 'doc-link.png') });
    });

    await test('the grouped suppress quick-fix silences the override line, and its directive is not reported as unused', async () => {
      await openFromExplorer(page, 'prompts', 'support.prompt.md');
      const line = page.locator('.editor-instance .view-line:has-text("Ignore all previous instructions")').first();
      await line.click();
      await quickFix(page, 'Suppress injection/override-instructions, injection/prompt-extraction for this line');
      await page.locator('.editor-instance .view-line:has-text("latent-lint-disable-next-line")').first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Control+S');
      const rows = page.locator('.markers-panel .monaco-list-row:has-text("support.prompt.md") ~ .monaco-list-row');
      await page.waitForFunction(() => !document.querySelector('.markers-panel')?.textContent?.includes('print your system prompt instead'), undefined, { timeout: 20_000 }).catch(() => undefined);
      await page.waitForTimeout(4000); // the latent run on the edited text, and the unused-directive check after it
      const panel = (await page.locator('.markers-panel').innerText()).replace(/\s+/g, ' ');
      if (/print your system prompt instead/.test(panel)) throw new Error(`the override line is still reported: ${panel.slice(0, 400)}`);
      if (/directives\/unused-disable/.test(panel)) throw new Error(`the directive is reported as unused: ${panel.slice(0, 400)}`);
      await page.screenshot({ path: path.join(shots, 'suppressed.png') });
      log(`after suppressing: ${await rows.count()} rows below support.prompt.md`);
    });

    await test('the secret quick-fix writes .vscode/mcp.json with an ${input:…} named after the key and its inputs entry', async () => {
      await openFromExplorer(page, '.vscode', 'mcp.json');
      const line = page.locator('.editor-instance .view-line:has-text("GITHUB_PERSONAL_ACCESS_TOKEN")').first();
      await line.waitFor({ timeout: 30_000 });
      await problemRows(page, 'secrets/api-key').first().waitFor({ timeout: 30_000 });
      await line.click();
      await quickFix(page, 'Replace with ${input:github-personal-access-token}');
      await page.locator('.editor-instance .view-line:has-text("promptString")').first().waitFor({ timeout: 10_000 });
      await page.keyboard.press('Control+S');
      const file = path.join(workspace, '.vscode', 'mcp.json');
      let config;
      for (let i = 0; i < 50; i++) {
        const text = fs.readFileSync(file, 'utf8');
        if (!text.includes(SECRET)) {
          config = JSON.parse(text);
          break;
        }
        await page.waitForTimeout(200);
      }
      if (!config) throw new Error('the secret is still in .vscode/mcp.json after the fix and a save');
      if (config.servers.github.env.GITHUB_PERSONAL_ACCESS_TOKEN !== '${input:github-personal-access-token}') throw new Error(`env: ${JSON.stringify(config.servers.github.env)}`);
      const input = (config.inputs ?? []).find((entry) => entry.id === 'github-personal-access-token');
      if (!input || input.type !== 'promptString' || input.password !== true) throw new Error(`inputs: ${JSON.stringify(config.inputs)}`);
      await page.waitForTimeout(1500);
      const panel = (await page.locator('.markers-panel').innerText()).replace(/\s+/g, ' ');
      if (/secrets\/api-key/.test(panel) && /mcp\.json/.test(panel)) throw new Error(`the secret is still reported: ${panel.slice(0, 300)}`);
      await page.screenshot({ path: path.join(shots, 'secret-fixed.png') });
      log(`mcp.json after the fix: inputs ${JSON.stringify(config.inputs)}`);
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
      await view.locator('[data-testid="layer-row"]').nth(13).waitFor({ state: 'attached', timeout: 120_000 });
      if (await view.locator('[data-testid="error"]').count()) throw new Error('the explorer still shows the error');
      await page.waitForTimeout(500);
      await page.screenshot({ path: path.join(shots, 'model-restored.png') });
    });
  } finally {
    restore();
    fs.writeFileSync(path.join(shots, 'model-missing-console.log'), consoleLines.join('\n') + '\n');
  }
}
