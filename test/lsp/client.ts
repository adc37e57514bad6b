// A real LSP client for tests: spawns the bundled server over stdio and speaks JSON-RPC to it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  CodeActionRequest,
  ConfigurationRequest,
  createProtocolConnection,
  DidChangeConfigurationNotification,
  DidChangeTextDocumentNotification,
  DidChangeWatchedFilesNotification,
  DidOpenTextDocumentNotification,
  DocumentDiagnosticRequest,
  ExitNotification,
  HoverRequest,
  InitializedNotification,
  InitializeRequest,
  LogMessageNotification,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgressCreateRequest,
  type CodeAction,
  type ConfigurationItem,
  type Diagnostic,
  type FullDocumentDiagnosticReport,
  type Hover,
  type InitializeResult,
  type ProtocolConnection,
  type Range,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SERVER = path.join(ROOT, 'dist', 'server', 'server.js');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'lsp', 'workspace');

export function assertBuilt(): void {
  if (!fs.existsSync(SERVER)) throw new Error(`${path.relative(ROOT, SERVER)} is missing: run \`npm run build\` before the LSP tests.`);
}

/** Copies the fixture workspace to a temporary folder the test may change. */
export function tempWorkspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-lint-lsp-'));
  fs.cpSync(FIXTURES, dir, { recursive: true });
  return dir;
}

export function uriOf(filePath: string): string {
  return pathToFileURL(filePath).toString();
}

export interface ClientOptions {
  trusted?: boolean;
  /** As the VS Code client sends it: `bundled` makes documentation links open the shipped pages. */
  docLinks?: 'bundled' | 'public';
  /** Answers workspace/configuration; may be slow on purpose. */
  configuration?: (item: ConfigurationItem) => unknown | Promise<unknown>;
  /** Extra environment for the server (the tiny model for latent tests). */
  env?: Record<string, string>;
  /** The server script (default: this checkout's dist/server/server.js). */
  server?: string;
  /** Talk to a server in this process over these streams instead of spawning one. */
  streams?: { reader: NodeJS.ReadableStream; writer: NodeJS.WritableStream };
}

export class TestClient {
  readonly connection: ProtocolConnection;
  readonly process?: ChildProcess;
  readonly logs: string[] = [];
  readonly notifications: { method: string; params: unknown }[] = [];
  readonly progress: { token: string | number; value: { kind: string; message?: string; percentage?: number } }[] = [];
  refreshes = 0;
  configuration: (item: ConfigurationItem) => unknown | Promise<unknown>;
  private readonly texts = new Map<string, TextDocument>();
  private readonly refreshWaiters: (() => void)[] = [];
  private stderr = '';

  constructor(options: ClientOptions = {}) {
    this.configuration = options.configuration ?? (() => ({}));
    if (options.streams) {
      this.connection = createProtocolConnection(new StreamMessageReader(options.streams.reader), new StreamMessageWriter(options.streams.writer));
    } else {
      assertBuilt();
      this.process = spawn(process.execPath, [options.server ?? SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
      this.process.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
      this.connection = createProtocolConnection(new StreamMessageReader(this.process.stdout!), new StreamMessageWriter(this.process.stdin!));
    }
    this.connection.onRequest(ConfigurationRequest.type, async (params) => Promise.all(params.items.map((item) => this.configuration(item))));
    this.connection.onRequest(RegistrationRequest.type, () => undefined);
    this.connection.onRequest(WorkDoneProgressCreateRequest.type, () => undefined);
    this.connection.onRequest('workspace/diagnostic/refresh', () => {
      this.refreshes++;
      for (const waiter of this.refreshWaiters.splice(0)) waiter();
      return null;
    });
    this.connection.onRequest('window/showMessageRequest', (params: unknown) => {
      this.notifications.push({ method: 'window/showMessageRequest', params });
      return null;
    });
    this.connection.onNotification(LogMessageNotification.type, (params) => this.logs.push(params.message));
    this.connection.onNotification('$/progress', (params: TestClient['progress'][number]) => this.progress.push(params));
    for (const method of ['latentLint/modelState', 'window/showMessage']) {
      this.connection.onNotification(method, (params: unknown) => this.notifications.push({ method, params }));
    }
    this.connection.listen();
  }

  async initialize(folder: string, options: ClientOptions = {}): Promise<InitializeResult> {
    const result = await this.connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: uriOf(folder),
      workspaceFolders: [{ uri: uriOf(folder), name: path.basename(folder) }],
      initializationOptions: { trusted: options.trusted ?? true, ...(options.docLinks ? { docLinks: options.docLinks } : {}) },
      capabilities: {
        workspace: {
          configuration: true,
          workspaceFolders: true,
          didChangeConfiguration: { dynamicRegistration: true },
          didChangeWatchedFiles: { dynamicRegistration: true },
          diagnostics: { refreshSupport: true },
          workspaceEdit: { documentChanges: true },
        },
        textDocument: {
          diagnostic: { dynamicRegistration: false, relatedDocumentSupport: false },
          codeAction: { codeActionLiteralSupport: { codeActionKind: { valueSet: ['quickfix', 'source.fixAll'] } }, dataSupport: true },
          hover: { contentFormat: ['markdown', 'plaintext'] },
        },
        window: { workDoneProgress: true },
      },
    });
    await this.connection.sendNotification(InitializedNotification.type, {});
    return result;
  }

  async open(filePath: string, text = fs.readFileSync(filePath, 'utf8'), languageId = 'markdown'): Promise<string> {
    const uri = uriOf(filePath);
    this.texts.set(uri, TextDocument.create(uri, languageId, 1, text));
    await this.connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  text(uri: string): string {
    return this.texts.get(uri)!.getText();
  }

  /** Replaces the whole text (a full-content change event), bumping the version. */
  async change(uri: string, text: string): Promise<number> {
    const previous = this.texts.get(uri)!;
    const version = previous.version + 1;
    this.texts.set(uri, TextDocument.create(uri, previous.languageId, version, text));
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ text }] });
    return version;
  }

  /** An incremental edit, as an editor sends on typing. */
  async edit(uri: string, range: Range, newText: string): Promise<number> {
    const document = this.texts.get(uri)!;
    const version = document.version + 1;
    TextDocument.update(document, [{ range, text: newText }], version);
    await this.connection.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [{ range, text: newText }] });
    return version;
  }

  async pull(uri: string): Promise<Diagnostic[]> {
    const report = (await this.connection.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } })) as FullDocumentDiagnosticReport;
    return report.items;
  }

  codeActions(uri: string, range: Range, diagnostics: Diagnostic[], only?: string[]): Promise<CodeAction[]> {
    return this.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range, context: { diagnostics, only } }) as Promise<CodeAction[]>;
  }

  hover(uri: string, position: { line: number; character: number }): Promise<Hover | null> {
    return this.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
  }

  configurationChanged(): Promise<void> {
    return this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
  }

  watchedFileChanged(filePath: string, type: 1 | 2 | 3 = 2): Promise<void> {
    return this.connection.sendNotification(DidChangeWatchedFilesNotification.type, { changes: [{ uri: uriOf(filePath), type }] });
  }

  /** Resolves at the next workspace/diagnostic/refresh from the server. */
  nextRefresh(): Promise<void> {
    return new Promise((resolve) => this.refreshWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    try {
      await this.connection.sendRequest(ShutdownRequest.type);
      await this.connection.sendNotification(ExitNotification.type);
    } catch {
      // The server may already be gone.
    }
    this.connection.dispose();
    if (this.process && this.process.exitCode === null) this.process.kill();
  }

  get serverErrors(): string {
    return this.stderr;
  }
}

/** Applies a code action's edit to a text, as the editor would. */
export function applyWorkspaceEdit(uri: string, text: string, edit: WorkspaceEdit | undefined): string {
  if (!edit) throw new Error('The code action has no edit.');
  const edits: TextEdit[] = [...(edit.changes?.[uri] ?? [])];
  for (const change of edit.documentChanges ?? []) {
    if ('textDocument' in change && change.textDocument.uri === uri) edits.push(...(change.edits as TextEdit[]));
  }
  return TextDocument.applyEdits(TextDocument.create(uri, 'markdown', 0, text), edits);
}
