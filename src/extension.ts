// The VS Code client: starts the language server and wires commands; no linting happens here.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;

/** Every file the engine reads, by pattern, so the client sends them to the server. */
export const DOCUMENT_PATTERNS = [
  '**/*.prompt.md',
  '**/*.instructions.md',
  '**/*.agent.md',
  '**/*.chatmode.md',
  '**/copilot-instructions.md',
  '**/AGENTS.md',
  '**/CLAUDE.md',
  '**/GEMINI.md',
  '**/SKILL.md',
  '**/.cursorrules',
  '**/.cursor/rules/*.mdc',
  '**/*.prompty',
  '**/*.prompt',
  '**/agents.yaml',
  '**/tasks.yaml',
  '**/mcp.json',
  '**/*.tools.json',
];

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const serverModule = context.asAbsolutePath(path.join('dist', 'server', 'server.js'));
  const serverOptions: ServerOptions = {
    run: { module: serverModule, transport: TransportKind.ipc },
    debug: { module: serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6011'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_PATTERNS.map((pattern) => ({ scheme: 'file', pattern })),
    diagnosticPullOptions: { onChange: true, onSave: true },
  };
  client = new LanguageClient('latentLint', 'Latent Lint', serverOptions, clientOptions);
  await client.start();
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
