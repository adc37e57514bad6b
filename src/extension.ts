// The VS Code client: starts the language server and wires commands; no linting happens here.
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DiagnosticPullMode,
  LanguageClient,
  TransportKind,
  type DocumentFilter,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { COMMANDS, type InitializationOptions, type ModelState } from '../server/src/protocol/messages';
import { ModelStateNotification, RetryModelRequest } from '../server/src/protocol/requests';
import { registerCommands } from './commands';
import { CONTENT_LANGUAGES, DOCUMENT_PATTERNS } from './documentPatterns';
import { registerExplorer, rerunFailedExplain } from './explorer/panel';
import { ModelStatus, modelUnavailable } from './status';

let client: LanguageClient | undefined;

function documentSelector(): DocumentFilter[] {
  const userGlobs = vscode.workspace.getConfiguration('latentLint').get<string[]>('documentGlobs', []);
  // The format registry's patterns (generated into documentPatterns.ts), then the user's own.
  const patterns = [...DOCUMENT_PATTERNS, ...userGlobs.map((glob) => (glob.startsWith('**/') || path.isAbsolute(glob) ? glob : `**/${glob}`))];
  return [
    ...patterns.map((pattern) => ({ scheme: 'file', pattern })),
    // Any file of these may be an OpenAI / MCP tool list: the server decides by its shape.
    ...CONTENT_LANGUAGES.map((language) => ({ scheme: 'file', language })),
  ];
}

function runMode(document: vscode.TextDocument): 'onType' | 'onSave' {
  return vscode.workspace.getConfiguration('latentLint', document.uri).get<'onType' | 'onSave'>('run', 'onType');
}

function createClient(context: vscode.ExtensionContext, output: vscode.OutputChannel): LanguageClient {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  // Documentation links open the rule pages bundled with the extension (no network needed).
  const initializationOptions: InitializationOptions = { trusted: vscode.workspace.isTrusted, extensionPath: context.extensionPath, docLinks: 'bundled' };
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(),
    initializationOptions,
    outputChannel: output,
    // Hover links open the explorer and the bundled rule pages; only our own commands are trusted.
    markdown: { isTrusted: { enabledCommands: [COMMANDS.explainSelection, COMMANDS.openRuleDocumentation] }, supportHtml: false },
    diagnosticPullOptions: {
      onChange: true,
      onSave: true,
      filter: (document, mode) => mode === DiagnosticPullMode.onType && runMode(document) === 'onSave',
    },
  };
  return new LanguageClient('latentLint', 'Latent Lint', serverOptions, clientOptions);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('Latent Lint');
  const status = new ModelStatus(() => vscode.workspace.isTrusted);
  const scanResults = vscode.languages.createDiagnosticCollection('latent-lint-scan');
  context.subscriptions.push(output, status, scanResults);

  // Told once per window: after that the status item says "rules only" and why.
  let notified = false;
  const notifyUnavailable = async (state: Extract<ModelState, { reason: string }>): Promise<void> => {
    if (notified) return;
    notified = true;
    const choice = await vscode.window.showWarningMessage(
      `Latent Lint runs the policy rules only: the latent guard's model did not load. ${state.reason}`,
      'Show details',
      'Retry',
    );
    if (choice === 'Show details') output.show(true);
    else if (choice === 'Retry') await vscode.commands.executeCommand(COMMANDS.retryModel);
  };
  const retryModel = async (): Promise<void> => {
    if (!client?.isRunning()) {
      output.show(true);
      return;
    }
    const state = await client.sendRequest(RetryModelRequest);
    status.update(state);
    if (modelUnavailable(state)) void vscode.window.showWarningMessage(`Latent Lint: the model still did not load. ${state.reason}`, 'Show details').then((choice) => choice && output.show(true));
  };

  const start = async (): Promise<void> => {
    client = createClient(context, output);
    client.onNotification(ModelStateNotification, (state: ModelState) => {
      const before = status.current;
      status.update(state);
      if (modelUnavailable(state)) void notifyUnavailable(state);
      // The model came back: an explorer showing the failed explain asks again.
      if (state.state === 'ready' && before.state !== 'ready') rerunFailedExplain();
    });
    try {
      await client.start();
    } catch (error) {
      status.update({ state: 'failed', reason: `The language server did not start: ${(error as Error).message}` });
      output.appendLine(`The language server did not start: ${(error as Error).stack ?? error}`);
    }
  };
  const restart = async (): Promise<void> => {
    const previous = client;
    client = undefined;
    await previous?.stop().catch(() => undefined);
    await start();
  };

  context.subscriptions.push(
    registerCommands({ context, client: () => client, output, scanResults }),
    registerExplorer(context),
    vscode.commands.registerCommand(COMMANDS.retryModel, () =>
      retryModel().catch((error: Error) => {
        output.appendLine(`Retry failed: ${error.message}`);
        void vscode.window.showErrorMessage(`Latent Lint: ${error.message}`);
      }),
    ),
    // Once a file is open, pulled diagnostics cover it; the scan's copy would show twice.
    vscode.workspace.onDidOpenTextDocument((document) => scanResults.delete(document.uri)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // The document selector is fixed when the client starts.
      if (event.affectsConfiguration('latentLint.documentGlobs')) void restart();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      status.render();
      void restart();
    }),
    { dispose: () => void client?.stop() },
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}
