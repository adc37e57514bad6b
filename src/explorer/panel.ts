// Hosts the Latent Explorer webview: one panel, reused; survives a window reload through the
// panel serializer plus the webview's own getState/setState. The engine's ExplainResult is passed
// through untouched; the host only copies to the clipboard and reveals ranges on request.
import * as vscode from 'vscode';
import type { ExplainResult, ExplorerToWebview, WebviewToExplorer } from '../../server/src/protocol/explain';
import { explorerHtml, makeNonce } from './html';

export const EXPLORER_VIEW_TYPE = 'latentLint.explorer';

export interface ShowExplorerOptions {
  /** Shown while the result is on its way (a promise was passed). */
  loadingText?: string;
  /** Asks again; the explorer calls it when the model comes back after this request failed. */
  rerun?: () => PromiseLike<ExplainResult>;
  /** Document offset where the explained text starts, when the result has no `textOffset`. */
  documentOffset?: number;
}

/** What the webview keeps with setState; the serializer hands it back after a reload. */
interface PersistedState {
  message?: ExplorerToWebview;
}

function isWebviewMessage(value: unknown): value is WebviewToExplorer {
  if (!value || typeof value !== 'object') return false;
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case 'ready':
      return true;
    case 'copy':
      return typeof message.json === 'string';
    case 'reveal':
      return Number.isInteger(message.start) && Number.isInteger(message.end);
    default:
      return false;
  }
}

class ExplorerPanel implements vscode.Disposable {
  static current: ExplorerPanel | undefined;

  private ready = false;
  private pending: ExplorerToWebview | undefined;
  private result: ExplainResult | undefined;
  private documentOffset: number | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The failed request's options (with its rerun), while the panel shows its error. */
  failed: ShowExplorerOptions | undefined;

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    restored?: PersistedState,
  ) {
    const root = vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
    panel.webview.options = { enableScripts: true, localResourceRoots: [root] };
    panel.webview.html = explorerHtml({
      cspSource: panel.webview.cspSource,
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.js')).toString(),
      styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(root, 'main.css')).toString(),
      nonce: makeNonce(),
    });
    if (restored?.message?.type === 'explain') this.result = restored.message.result;
    panel.webview.onDidReceiveMessage((message: unknown) => void this.receive(message), undefined, this.disposables);
    panel.onDidDispose(() => this.dispose(), undefined, this.disposables);
    ExplorerPanel.current = this;
  }

  /** Sends now if the webview is listening, otherwise as soon as it says it is ready. */
  post(message: ExplorerToWebview, documentOffset?: number): void {
    if (message.type === 'explain') {
      this.result = message.result;
      this.documentOffset = documentOffset;
    }
    this.pending = message;
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private async receive(message: unknown): Promise<void> {
    if (!isWebviewMessage(message)) return;
    if (message.type === 'ready') {
      this.ready = true;
      if (this.pending) void this.panel.webview.postMessage(this.pending);
    } else if (message.type === 'copy') {
      await vscode.env.clipboard.writeText(message.json);
      vscode.window.setStatusBarMessage('Latent Explorer: copied as JSON', 2500);
    } else {
      await this.reveal(message.start, message.end);
    }
  }

  private async reveal(start: number, end: number): Promise<void> {
    const result = this.result;
    if (!result?.uri) return;
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(result.uri));
    let base = result.textOffset ?? this.documentOffset;
    if (base === undefined) {
      // Older results carry no offset: fall back to the first place the text occurs.
      const found = document.getText().indexOf(result.text);
      if (found < 0) {
        void vscode.window.showWarningMessage('Latent Explorer: the explained text is no longer in the document.');
        return;
      }
      base = found;
    }
    const range = new vscode.Range(document.positionAt(base + start), document.positionAt(base + end));
    const visible = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.toString() === document.uri.toString());
    const editor = await vscode.window.showTextDocument(document, { viewColumn: visible?.viewColumn ?? vscode.ViewColumn.One, selection: range });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  dispose(): void {
    if (ExplorerPanel.current === this) ExplorerPanel.current = undefined;
    while (this.disposables.length) this.disposables.pop()?.dispose();
    this.panel.dispose();
  }
}

function panelFor(context: vscode.ExtensionContext): ExplorerPanel {
  const current = ExplorerPanel.current;
  if (current) {
    current.panel.reveal(undefined, true);
    return current;
  }
  const panel = vscode.window.createWebviewPanel(
    EXPLORER_VIEW_TYPE,
    'Latent Explorer',
    { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
    { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')] },
  );
  return new ExplorerPanel(panel, context.extensionUri);
}

/**
 * Opens (or reuses) the explorer and shows a result. Pass a promise to show a loading state until
 * the server answers; a rejected promise shows its message in the panel.
 */
export async function showExplorer(context: vscode.ExtensionContext, input: ExplainResult | PromiseLike<ExplainResult>, options: ShowExplorerOptions = {}): Promise<void> {
  const explorer = panelFor(context);
  if (!('then' in input)) {
    explorer.post({ type: 'explain', result: input }, options.documentOffset);
    return;
  }
  explorer.failed = undefined;
  explorer.post({ type: 'loading', text: options.loadingText ?? 'the selection' });
  try {
    explorer.post({ type: 'explain', result: await input }, options.documentOffset);
  } catch (error) {
    explorer.post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
    explorer.failed = options;
  }
}

/** If the explorer shows a failed explain, asks again (the model has just become ready). */
export function rerunFailedExplain(): void {
  const explorer = ExplorerPanel.current;
  const failed = explorer?.failed;
  if (!explorer || !failed?.rerun) return;
  explorer.failed = undefined;
  explorer.post({ type: 'loading', text: failed.loadingText ?? 'the selection' });
  void Promise.resolve(failed.rerun()).then(
    (result) => explorer.post({ type: 'explain', result }, failed.documentOffset),
    (error: unknown) => {
      explorer.post({ type: 'error', message: error instanceof Error ? error.message : String(error) });
      explorer.failed = failed;
    },
  );
}

/** Restores explorer panels after a window reload (needs the onWebviewPanel activation event). */
export function registerExplorer(context: vscode.ExtensionContext): vscode.Disposable {
  const registration = vscode.window.registerWebviewPanelSerializer(EXPLORER_VIEW_TYPE, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      ExplorerPanel.current?.dispose();
      new ExplorerPanel(panel, context.extensionUri, (state ?? undefined) as PersistedState | undefined);
    },
  });
  const disposable = vscode.Disposable.from(registration, { dispose: () => ExplorerPanel.current?.dispose() });
  context.subscriptions.push(disposable);
  return disposable;
}
