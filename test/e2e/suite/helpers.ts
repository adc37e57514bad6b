// Shared by the extension-host tests: fixture URIs, polling, diagnostics of ours.
import * as vscode from 'vscode';

export const EXTENSION_ID = 'latent-lint.latent-lint';

export function workspaceFile(relativePath: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error('the e2e run opens the fixture workspace; no folder is open');
  return vscode.Uri.joinPath(folder.uri, ...relativePath.split('/'));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns something other than undefined; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(100);
  }
}

export function ruleIdOf(diagnostic: vscode.Diagnostic): string {
  const code = diagnostic.code;
  return typeof code === 'object' && code !== null ? String(code.value) : String(code ?? '');
}

export function ourDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === 'latent-lint');
}

export function waitForDiagnostic(uri: vscode.Uri, ruleId: string, timeoutMs = 20_000): Promise<vscode.Diagnostic> {
  return waitFor(`a ${ruleId} diagnostic on ${vscode.workspace.asRelativePath(uri)}`, () =>
    ourDiagnostics(uri).find((diagnostic) => ruleIdOf(diagnostic) === ruleId), timeoutMs);
}

export async function waitForNoDiagnostic(uri: vscode.Uri, ruleId: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(`the ${ruleId} diagnostic on ${vscode.workspace.asRelativePath(uri)} to go away`, () =>
    ourDiagnostics(uri).some((diagnostic) => ruleIdOf(diagnostic) === ruleId) ? undefined : true, timeoutMs);
}

export async function openInEditor(uri: vscode.Uri): Promise<vscode.TextEditor> {
  const document = await vscode.workspace.openTextDocument(uri);
  return vscode.window.showTextDocument(document, { preview: false });
}

/** The contributed command whose title (with or without its "Latent Lint" category) is `title`. */
export function contributedCommand(title: string): { command: string; title: string; category?: string } | undefined {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  const commands: { command: string; title: string; category?: string }[] = extension?.packageJSON.contributes?.commands ?? [];
  return commands.find((entry) => entry.title === title || entry.title === `Latent Lint: ${title}`);
}

/** Quick-fixes the providers offer for `diagnostic`, as VS Code's lightbulb would ask for them. */
export async function quickFixes(uri: vscode.Uri, diagnostic: vscode.Diagnostic): Promise<vscode.CodeAction[]> {
  const actions =
    (await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
      'vscode.executeCodeActionProvider',
      uri,
      diagnostic.range,
      vscode.CodeActionKind.QuickFix.value,
    )) ?? [];
  // A bare Command has a string `command`; a CodeAction's `command` is a Command object or absent.
  return actions.filter((action): action is vscode.CodeAction => typeof action.command !== 'string');
}

/** Text every edit of `action` would insert into `uri`. */
export function insertedText(action: vscode.CodeAction, uri: vscode.Uri): string {
  return (action.edit?.get(uri) ?? []).map((edit) => edit.newText).join('\n');
}

export async function applyCodeAction(action: vscode.CodeAction): Promise<void> {
  if (action.edit) {
    const applied = await vscode.workspace.applyEdit(action.edit);
    if (!applied) throw new Error(`VS Code refused the edit of "${action.title}"`);
  }
  if (action.command) await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []));
}
