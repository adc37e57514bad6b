// The extension in a real VS Code extension host (code-server), on the fixture workspace copy.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import {
  applyCodeAction,
  contributedCommand,
  EXTENSION_ID,
  insertedText,
  openInEditor,
  ourDiagnostics,
  quickFixes,
  ruleIdOf,
  waitFor,
  waitForDiagnostic,
  waitForNoDiagnostic,
  workspaceFile,
} from './helpers';

const OVERRIDE = 'injection/override-instructions';
const INVISIBLE = 'unicode/invisible-characters';

describe('Latent Lint in VS Code', () => {
  before(async () => {
    const extension = vscode.extensions.getExtension(EXTENSION_ID);
    await extension?.activate();
  });

  describe('activation', () => {
    it('is installed and active in a workspace with prompt files', () => {
      const extension = vscode.extensions.getExtension(EXTENSION_ID);
      assert.ok(extension, `${EXTENSION_ID} is not loaded`);
      assert.equal(extension.isActive, true);
    });

    it('registers every command it contributes, with the documented titles', async () => {
      const registered = new Set(await vscode.commands.getCommands(true));
      const titles = ['Scan Workspace', 'Scan Current File', 'Explain Selection', 'Show Output', 'Create Configuration File', 'Open Rule Documentation'];
      const missingTitles = titles.filter((title) => !contributedCommand(title));
      assert.deepEqual(missingTitles, [], 'commands not contributed in package.json');
      const contributed: { command: string }[] = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON.contributes.commands ?? [];
      for (const { command } of contributed) {
        assert.match(command, /^latentLint\./, `${command} is not in the latentLint.* namespace`);
        assert.ok(registered.has(command), `${command} is contributed but not registered`);
      }
    });
  });

  describe('diagnostics', () => {
    it('reports the override line of a prompt file, with the rule id, source and docs link', async () => {
      const uri = workspaceFile('prompts/support.prompt.md');
      await openInEditor(uri);
      const diagnostic = await waitForDiagnostic(uri, OVERRIDE);
      assert.equal(diagnostic.range.start.line, 6, 'the override sentence is on line 7');
      assert.equal(diagnostic.severity, vscode.DiagnosticSeverity.Error);
      assert.match(diagnostic.message, /Ignore all previous instructions/i);
      const code = diagnostic.code;
      assert.ok(typeof code === 'object' && code !== null && 'target' in code, 'the code links to the rule page');
      // The link opens the rule page bundled with the extension (works offline).
      assert.equal(code.target.scheme, 'command');
      assert.equal(code.target.path, 'latentLint.openRuleDocumentation');
      assert.deepEqual(JSON.parse(decodeURIComponent(code.target.query)), [OVERRIDE]);
    });

    it('leaves a clean prompt file without findings', async () => {
      const clean = workspaceFile('prompts/clean.prompt.md');
      await openInEditor(clean);
      // The clean file is linted after the bad one; once the bad file's finding exists the server is answering.
      const bad = workspaceFile('prompts/support.prompt.md');
      await openInEditor(bad);
      await waitForDiagnostic(bad, OVERRIDE);
      await openInEditor(clean);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.deepEqual(ourDiagnostics(clean).map(ruleIdOf), []);
    });

    it('reports an override hidden in a tool description of a tools JSON file', async () => {
      const uri = workspaceFile('tools/weather.tools.json');
      const editor = await openInEditor(uri);
      const diagnostic = await waitForDiagnostic(uri, OVERRIDE);
      const line = editor.document.lineAt(diagnostic.range.start.line).text;
      assert.match(line, /"description": "Returns the current weather/, 'the finding points into the description string');
    });
  });

  describe('quick-fixes', () => {
    it('removes invisible characters with the fix the rule offers', async () => {
      const uri = workspaceFile('prompts/hidden.prompt.md');
      const editor = await openInEditor(uri);
      const diagnostic = await waitForDiagnostic(uri, INVISIBLE);
      const fixes = await quickFixes(uri, diagnostic);
      const fix = fixes.find((action) => action.edit && /invisible/i.test(action.title));
      assert.ok(fix, `no invisible-characters fix among: ${fixes.map((action) => action.title).join(' | ')}`);
      await applyCodeAction(fix);
      const text = editor.document.getText();
      assert.ok(!text.includes('\u200B'), 'the zero-width spaces are gone');
      assert.ok(text.includes('Use plain words and keep it under a hundred words.'), 'the visible text is untouched');
      await waitForNoDiagnostic(uri, INVISIBLE);
    });

    it('suppresses a finding for one line with a disable-next-line comment', async () => {
      const uri = workspaceFile('prompts/support.prompt.md');
      const editor = await openInEditor(uri);
      const diagnostic = await waitForDiagnostic(uri, OVERRIDE);
      const fixes = await quickFixes(uri, diagnostic);
      const suppress = fixes.find((action) => insertedText(action, uri).includes(`latent-lint-disable-next-line ${OVERRIDE}`));
      assert.ok(suppress, `no disable-next-line action among: ${fixes.map((action) => action.title).join(' | ')}`);
      await applyCodeAction(suppress);
      const lines = editor.document.getText().split('\n');
      const overrideLine = lines.findIndex((line) => line.startsWith('Ignore all previous instructions'));
      assert.match(lines[overrideLine - 1], new RegExp(`<!-- latent-lint-disable-next-line ${OVERRIDE}\\b.*-->`));
      await waitForNoDiagnostic(uri, OVERRIDE);
    });
  });

  describe('commands', () => {
    it('Scan Workspace reports findings in files that were never opened', async () => {
      const scan = contributedCommand('Scan Workspace');
      assert.ok(scan, 'Scan Workspace is contributed');
      const agents = workspaceFile('AGENTS.md');
      assert.ok(!vscode.workspace.textDocuments.some((document) => document.uri.toString() === agents.toString()), 'AGENTS.md is not open');
      // Not awaited: the command ends on a notification ("N findings … Show Problems") that waits for a click.
      void vscode.commands.executeCommand(scan.command);
      const diagnostic = await waitForDiagnostic(agents, OVERRIDE, 30_000);
      assert.equal(diagnostic.range.start.line, 4);
    });

    it('Open Rule Documentation shows the rule page that ships with the extension', async () => {
      const open = contributedCommand('Open Rule Documentation');
      assert.ok(open, 'Open Rule Documentation is contributed');
      await vscode.commands.executeCommand(open.command, OVERRIDE);
      const labels = () => vscode.window.tabGroups.all.flatMap((group) => group.tabs.map((tab) => tab.label));
      await waitFor(`a preview of override-instructions.md among the tabs (${labels().join(', ')})`, () =>
        labels().some((label) => /override-instructions\.md/.test(label) && /preview/i.test(label)) ? true : undefined, 10_000);
    });

    it('Create Configuration File writes a starter .latentlint.yaml at the workspace root', async () => {
      const create = contributedCommand('Create Configuration File');
      assert.ok(create, 'Create Configuration File is contributed');
      const config = workspaceFile('.latentlint.yaml');
      await vscode.commands.executeCommand(create.command);
      const text = await waitFor('.latentlint.yaml to be written', async () => {
        try {
          return Buffer.from(await vscode.workspace.fs.readFile(config)).toString('utf8');
        } catch {
          return undefined;
        }
      });
      assert.match(text, /^rules:/m, 'the file has a rules section to edit');
    });
  });
});
