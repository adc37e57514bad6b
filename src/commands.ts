// The "Latent Lint: …" commands. Each one asks the server; none lints in the extension host.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { WorkDoneProgress, type LanguageClient } from 'vscode-languageclient/node';
import type { ExplainParams, ExplainResult } from '../server/src/protocol/explain';
import { COMMANDS, type ExplainCommandArgs } from '../server/src/protocol/messages';
import { ExplainRequest, RulesRequest, ScanDocumentRequest, ScanWorkspaceRequest } from '../server/src/protocol/requests';
import { showExplorer } from './explorer/panel';
import { CONFIG_TEMPLATE } from './configTemplate';

export interface CommandHost {
  context: vscode.ExtensionContext;
  client(): LanguageClient | undefined;
  output: vscode.OutputChannel;
  /** Findings of files the editor does not hold open (Scan Workspace / Scan Current File). */
  scanResults: vscode.DiagnosticCollection;
}

async function running(host: CommandHost): Promise<LanguageClient> {
  const client = host.client();
  if (!client || !client.isRunning()) throw new Error('The Latent Lint server is not running; see the output for why.');
  return client;
}

async function putScanResults(host: CommandHost, client: LanguageClient, entries: { uri: string; diagnostics: unknown[] }[]): Promise<void> {
  for (const entry of entries) {
    const diagnostics = await client.protocol2CodeConverter.asDiagnostics(entry.diagnostics as Parameters<typeof client.protocol2CodeConverter.asDiagnostics>[0]);
    host.scanResults.set(vscode.Uri.parse(entry.uri), diagnostics);
  }
}

async function scanWorkspace(host: CommandHost): Promise<void> {
  const client = await running(host);
  if (!vscode.workspace.workspaceFolders?.length) {
    void vscode.window.showInformationMessage('Latent Lint: open a folder to scan.');
    return;
  }
  const token = `latent-lint-scan-${Date.now()}`;
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Latent Lint: scanning the workspace', cancellable: true },
    async (progress, cancel) => {
      let last = 0;
      const listener = client.onProgress(WorkDoneProgress.type, token, (value) => {
        if (value.kind === 'end') return;
        const percentage = value.percentage ?? last;
        progress.report({ message: value.message, increment: Math.max(0, percentage - last) });
        last = percentage;
      });
      try {
        return await client.sendRequest(ScanWorkspaceRequest, { workDoneToken: token }, cancel);
      } finally {
        listener.dispose();
      }
    },
  );
  host.scanResults.clear();
  await putScanResults(host, client, result.diagnostics);
  const summary = `Latent Lint: ${plural(result.findings, 'finding')} in ${plural(result.files, 'file')} scanned${result.cancelled ? ' (scan cancelled)' : ''}.`;
  host.output.appendLine(summary);
  await showSummary(summary, result.findings > 0);
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

/** A summary notification; with findings it offers to show them. */
async function showSummary(summary: string, findings: boolean): Promise<void> {
  const choice = findings ? await vscode.window.showInformationMessage(summary, 'Show Problems') : await vscode.window.showInformationMessage(summary);
  if (choice === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
}

async function scanFile(host: CommandHost): Promise<void> {
  const client = await running(host);
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage('Latent Lint: open a file to scan.');
    return;
  }
  const uri = editor.document.uri.toString();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Latent Lint: scanning ${vscode.workspace.asRelativePath(editor.document.uri)}` },
    () => client.sendRequest(ScanDocumentRequest, { uri }),
  );
  if (result.diagnostics.length > 0) await putScanResults(host, client, [{ uri, diagnostics: result.diagnostics }]);
  const name = vscode.workspace.asRelativePath(editor.document.uri);
  const summary = result.findings > 0 ? `Latent Lint: ${plural(result.findings, 'finding')} in ${name}.` : `Latent Lint: no findings in ${name}.`;
  host.output.appendLine(summary);
  await showSummary(summary, result.findings > 0);
}

/** From a code action or hover link (args), or from the editor's selection / cursor. */
async function explainSelection(host: CommandHost, args?: ExplainCommandArgs): Promise<void> {
  const client = await running(host);
  let params: ExplainParams;
  let documentOffset: number | undefined;
  let label: string;
  if (args?.uri) {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(args.uri));
    const range = new vscode.Range(args.range.start.line, args.range.start.character, args.range.end.line, args.range.end.character);
    // A finding points at a phrase; the explorer reads the whole unit around it.
    params = { uri: args.uri, position: args.range.start };
    label = document.getText(range).slice(0, 80) || 'the finding';
  } else {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Latent Lint: select some text to explain.');
      return;
    }
    const selection = editor.selection;
    const text = editor.document.getText(selection);
    params = { uri: editor.document.uri.toString(), position: { line: selection.active.line, character: selection.active.character }, text: text || undefined };
    if (text) documentOffset = editor.document.offsetAt(selection.start);
    label = text ? text.slice(0, 80) : 'the paragraph at the cursor';
  }
  const ask = (): Promise<ExplainResult> => client.sendRequest(ExplainRequest, params);
  await showExplorer(host.context, ask(), { loadingText: label, documentOffset, rerun: ask });
}

async function createConfig(host: CommandHost): Promise<void> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const folder = folders.length > 1 ? await vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder for .latentlint.yaml' }) : folders[0];
  if (!folder) {
    if (folders.length === 0) void vscode.window.showInformationMessage('Latent Lint: open a folder first.');
    return;
  }
  const target = vscode.Uri.joinPath(folder.uri, '.latentlint.yaml');
  const exists = await vscode.workspace.fs.stat(target).then(
    () => true,
    () => false,
  );
  if (!exists) await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(CONFIG_TEMPLATE));
  else host.output.appendLine(`${target.fsPath} exists; opening it.`);
  await vscode.window.showTextDocument(target);
}

async function openRuleDocumentation(host: CommandHost, ruleId?: string): Promise<void> {
  const client = await running(host);
  const rules = await client.sendRequest(RulesRequest);
  let rule = rules.find((candidate) => candidate.id === ruleId);
  if (!rule) {
    const picked = await vscode.window.showQuickPick(
      rules.map((candidate) => ({ label: candidate.id, description: `${candidate.defaultSeverity}${candidate.fixable ? ' · fixable' : ''}`, detail: candidate.description, rule: candidate })),
      { placeHolder: 'Open the documentation of a rule', matchOnDetail: true },
    );
    rule = picked?.rule;
  }
  if (!rule) return;
  // The pages ship with the extension (docs/rules/<id>.md); the published URL is the fallback.
  const local = vscode.Uri.joinPath(host.context.extensionUri, 'docs', 'rules', `${rule.id}.md`);
  if (fs.existsSync(local.fsPath)) await vscode.commands.executeCommand('markdown.showPreview', local);
  else await vscode.env.openExternal(vscode.Uri.parse(rule.docsUrl));
}

export function registerCommands(host: CommandHost): vscode.Disposable {
  const report = (run: (...args: never[]) => Promise<void>) =>
    async (...args: never[]): Promise<void> => {
      try {
        await run(...args);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        host.output.appendLine(`Error: ${message}`);
        void vscode.window.showErrorMessage(`Latent Lint: ${message}`);
      }
    };
  return vscode.Disposable.from(
    vscode.commands.registerCommand(COMMANDS.scanWorkspace, report(() => scanWorkspace(host))),
    vscode.commands.registerCommand(COMMANDS.scanFile, report(() => scanFile(host))),
    vscode.commands.registerCommand(COMMANDS.explainSelection, report((args?: ExplainCommandArgs) => explainSelection(host, args))),
    vscode.commands.registerCommand(COMMANDS.showOutput, () => host.output.show(true)),
    vscode.commands.registerCommand(COMMANDS.createConfig, report(() => createConfig(host))),
    vscode.commands.registerCommand(COMMANDS.openRuleDocumentation, report((ruleId?: string) => openRuleDocumentation(host, ruleId))),
  );
}
