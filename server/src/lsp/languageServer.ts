// Wires the LSP connection to the validator, code actions, hover, scans, explain and the latent guard.
import * as path from 'node:path';
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  DocumentDiagnosticReportKind,
  LSPErrorCodes,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Connection,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CommentSyntax } from '../core/types';
import { Engine } from '../engine/engine';
import { CONFIG_FILE_NAME } from '../engine/config';
import { IGNORE_FILE_NAME } from '../engine/ignore';
import type { ExplainResult } from '../protocol/explain';
import { FIX_ALL_KIND, type InitializationOptions, type ModelState, type RuleSummary, type ScanDocumentResult, type ScanWorkspaceResult } from '../protocol/messages';
import { ExplainRequest, ModelStateNotification, RetryModelRequest, RulesRequest, ScanDocumentRequest, ScanWorkspaceRequest } from '../protocol/requests';
import { URI } from '../uri';
import { VERSION } from '../version';
import { throwIfCancelled } from './cancellation';
import { codeActions, ignoreFileTarget } from './codeActions';
import { BUNDLED_DOC_LINK } from './diagnostics';
import { explain } from './explain';
import { hoverFor } from './hover';
import { createLatentGuard, type LatentGuard } from '../latent';
import { NO_GUARD_STATE, toModelState } from './model-state';
import { scanDocument, scanWorkspace } from './scan';
import { DEFAULT_SETTINGS, normalizeSettings, type LatentLintSettings } from './settings';
import { StaleDocumentError, Validator } from './validator';

export interface LanguageServerOptions {
  /** The latent guard; by default the one in server/src/latent. `null`: policy rules only. */
  guard?: LatentGuard | null;
  /** The engine; by default one with every format and rule and the guard's scorer (tests count its work). */
  engine?: Engine;
}

export function startLanguageServer(connection: Connection, options: LanguageServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  let trusted = true;
  const guard: LatentGuard | undefined =
    options.guard === null ? undefined : (options.guard ?? createLatentGuard({ mode: 'worker', watch: true, log: (message) => connection.console.info(message) }));
  // Built with the guard so that config files may name the latent rules.
  const engine: Engine = options.engine ?? new Engine({ scorer: guard });
  const settingsCache = new Map<string, Promise<LatentLintSettings>>();
  let folders: string[] = [];
  let supportsConfiguration = false;
  let supportsDynamicRegistration = false;
  let supportsDynamicWatchers = false;
  let supportsRefresh = false;
  let supportsProgress = false;
  let pushedSettings: unknown;

  const settingsFor = (uri: string): Promise<LatentLintSettings> => {
    if (!supportsConfiguration) return Promise.resolve(normalizeSettings(pushedSettings ?? DEFAULT_SETTINGS));
    let settings = settingsCache.get(uri);
    if (!settings) {
      settings = connection.workspace.getConfiguration({ scopeUri: uri, section: 'latentLint' }).then(normalizeSettings, () => normalizeSettings(undefined));
      settingsCache.set(uri, settings);
    }
    return settings;
  };

  const validator = new Validator(
    engine,
    {
      settings: settingsFor,
      folders: () => folders,
      get trusted() {
        return trusted;
      },
      refresh: () => {
        if (supportsRefresh) void connection.languages.diagnostics.refresh();
      },
      log: (level, message) => {
        if (level === 'error') connection.console.error(message);
        else if (level === 'warning') connection.console.warn(message);
        else connection.console.info(message);
      },
      notify: (level, message) => {
        if (level === 'error') void connection.window.showErrorMessage(message);
        else void connection.window.showWarningMessage(message);
      },
      progress: async (title) => {
        if (!supportsProgress) return undefined;
        const reporter = await connection.window.createWorkDoneProgress().catch(() => undefined);
        reporter?.begin(title, 0, undefined, false);
        return reporter && { report: (percentage, message) => reporter.report(percentage, message), done: () => reporter.done() };
      },
    },
    guard,
  );

  let modelEnabled = true;
  const modelState = (): ModelState => {
    if (!guard) return NO_GUARD_STATE;
    if (!modelEnabled) return { state: 'disabled', reason: 'latentLint.model.enabled is off; policy rules only.' };
    return toModelState(guard.state());
  };
  const sendModelState = (): void => void connection.sendNotification(ModelStateNotification, modelState());
  guard?.onStateChange(() => {
    sendModelState();
    validator.invalidateAll();
  });

  /** Settings without a scope (the window's), for what is process-wide: the model. */
  const applyGlobalSettings = async (): Promise<void> => {
    const settings = supportsConfiguration
      ? normalizeSettings(await connection.workspace.getConfiguration({ section: 'latentLint' }).catch(() => undefined))
      : normalizeSettings(pushedSettings);
    modelEnabled = settings.model.enabled;
    if (guard) {
      // Untrusted workspaces do not tune the model: their workspace settings could be planted.
      await guard.configure({
        threshold: trusted ? (settings.model.threshold ?? undefined) : undefined,
        threads: trusted && settings.model.threads > 0 ? settings.model.threads : undefined,
        // A smaller budget leaves units unscored: a workspace's settings may not lower it.
        maxFileTokens: trusted && settings.model.maxFileTokens > 0 ? settings.model.maxFileTokens : undefined,
        // The full model for the suffix signal is the user's choice (memory, time), not a workspace's.
        surprisal: trusted && settings.model.surprisal,
      });
      if (modelEnabled) void guard.start();
    }
    sendModelState();
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const capabilities = params.capabilities;
    supportsConfiguration = !!capabilities.workspace?.configuration;
    supportsDynamicRegistration = !!capabilities.workspace?.didChangeConfiguration?.dynamicRegistration;
    supportsDynamicWatchers = !!capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    supportsRefresh = !!capabilities.workspace?.diagnostics?.refreshSupport;
    supportsProgress = !!capabilities.window?.workDoneProgress;
    const init = params.initializationOptions as Partial<InitializationOptions> | undefined;
    trusted = init?.trusted !== false;
    engine.workspaceIgnores = trusted;
    // Our client opens the rule pages it ships (offline); other clients get the public pages.
    if (init?.docLinks === 'bundled') validator.docLink = BUNDLED_DOC_LINK;
    folders = (params.workspaceFolders ?? []).map((folder) => URI.toFilePath(folder.uri));
    if (folders.length === 0 && params.rootUri) folders = [URI.toFilePath(params.rootUri)];
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        diagnosticProvider: { identifier: 'latent-lint', interFileDependencies: false, workspaceDiagnostics: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, FIX_ALL_KIND], resolveProvider: false },
        hoverProvider: true,
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
      },
      serverInfo: { name: 'latent-lint', version: VERSION },
    };
  });

  connection.onInitialized(() => {
    if (supportsDynamicRegistration) void connection.client.register(DidChangeConfigurationNotification.type, { section: 'latentLint' });
    if (supportsDynamicWatchers) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, {
        watchers: [{ globPattern: `**/${CONFIG_FILE_NAME}` }, { globPattern: `**/${IGNORE_FILE_NAME}` }],
      });
    }
    if (folders.length > 0 && connection.workspace.onDidChangeWorkspaceFolders) {
      connection.workspace.onDidChangeWorkspaceFolders((event) => {
        const removed = new Set(event.removed.map((folder) => URI.toFilePath(folder.uri)));
        folders = [...folders.filter((folder) => !removed.has(folder)), ...event.added.map((folder) => URI.toFilePath(folder.uri))];
        validator.invalidateAll();
      });
    }
    if (!trusted) connection.console.warn('Restricted Mode: workspace .latentlint.yaml `promptFiles` and `latent` tuning are ignored, and so is workspace configuration that weakens checks (severities lowered or off, rule options, minSeverity, ignore files and patterns, the guard turned off); model settings from the workspace are not applied.');
    void applyGlobalSettings();
  });

  connection.onDidChangeConfiguration((change) => {
    pushedSettings = (change.settings as { latentLint?: unknown } | null)?.latentLint ?? pushedSettings;
    settingsCache.clear();
    void applyGlobalSettings();
    validator.invalidateAll();
  });

  connection.onDidChangeWatchedFiles((change) => {
    const relevant = change.changes.some(({ uri }) => {
      const name = path.posix.basename(uri);
      return name === CONFIG_FILE_NAME || name === IGNORE_FILE_NAME;
    });
    if (!relevant) return;
    engine.configs.clear();
    engine.ignores.clear();
    validator.invalidateAll();
  });

  documents.onDidChangeContent((event) => validator.changed(event.document));
  documents.onDidClose((event) => {
    validator.closed(event.document.uri);
    settingsCache.delete(event.document.uri);
  });

  connection.languages.diagnostics.on(async (params, token) => {
    const document = documents.get(params.textDocument.uri);
    if (!document) return { kind: DocumentDiagnosticReportKind.Full, items: [] };
    const version = document.version;
    const controller = new AbortController();
    const listener = token.onCancellationRequested(() => controller.abort());
    try {
      const items = await validator.diagnostics(document, () => documents.get(document.uri)?.version === version, controller.signal);
      throwIfCancelled(token);
      return { kind: DocumentDiagnosticReportKind.Full, items };
    } catch (error) {
      throwIfCancelled(token);
      if (error instanceof StaleDocumentError) throw new ResponseError(LSPErrorCodes.ServerCancelled, error.message, { retriggerRequest: true });
      connection.console.error(`Linting ${document.uri} failed: ${(error as Error).stack ?? error}`);
      throw error;
    } finally {
      listener.dispose();
    }
  });

  connection.onCodeAction(async (params) => {
    const document = documents.get(params.textDocument.uri);
    if (!document) return [];
    // A .json file read by JSON.parse breaks on a comment: only JSONC (VS Code's language id, or
    // the .jsonc extension) takes one. (Asked on every cursor move: parse only when a comment can help.)
    const plainJson = /\.json$/i.test(document.uri) && document.languageId !== 'jsonc';
    let comments: CommentSyntax | undefined;
    if (!plainJson) {
      try {
        comments = (await validator.parsed(document))?.comments;
      } catch {
        comments = undefined;
      }
    }
    const findings = (await validator.currentFindings(document)).map((entry) => entry.finding);
    const ignoreFile = plainJson && params.context.diagnostics.length > 0 ? ignoreFileTarget(document.uri, folders, (uri) => documents.get(uri)?.getText()) : undefined;
    return codeActions({ document, diagnostics: params.context.diagnostics, comments, only: params.context.only, findings, ignoreFile });
  });

  connection.onHover(async (params) => {
    const document = documents.get(params.textDocument.uri);
    if (!document) return undefined;
    const offset = document.offsetAt(params.position);
    const entries = (await validator.currentFindings(document)).filter(({ finding }) => finding.span.start <= offset && offset <= finding.span.end);
    const metas = new Map(engine.ruleMetas().map((meta) => [meta.id, meta]));
    return hoverFor(document.uri, entries, metas, validator.docLink);
  });

  connection.onRequest(RulesRequest, (): RuleSummary[] =>
    engine.ruleMetas().map(({ id, category, defaultSeverity, description, docsUrl, fixable }) => ({ id, category, defaultSeverity, description, docsUrl, fixable })),
  );

  connection.onRequest(ScanWorkspaceRequest, async (params, token): Promise<ScanWorkspaceResult> => {
    const targets = params.folders?.map((uri) => URI.toFilePath(uri)) ?? folders;
    const result = await scanWorkspace({
      folders: targets,
      validator,
      isOpen: (uri) => !!documents.get(uri),
      openText: (uri) => documents.get(uri)?.getText(),
      token,
      progress: connection.window.attachWorkDoneProgress(params.workDoneToken),
      log: (message) => connection.console.info(message),
    });
    connection.console.info(`Scan: ${result.findings} findings in ${result.files} files${result.cancelled ? ' (cancelled)' : ''}.`);
    validator.invalidateAll();
    return result;
  });

  connection.onRequest(ScanDocumentRequest, (params, token): Promise<ScanDocumentResult> => scanDocument(params.uri, { validator, document: documents.get(params.uri), token }));

  connection.onRequest(RetryModelRequest, async (): Promise<ModelState> => {
    if (guard && modelEnabled) await guard.retry();
    return modelState();
  });

  connection.onRequest(ExplainRequest, (params, token): Promise<ExplainResult> =>
    explain(params, token, { guard, validator, engine, documents, modelEnabled: async (uri) => (uri ? (await settingsFor(uri)).model.enabled : modelEnabled) }),
  );

  connection.onShutdown(async () => {
    await guard?.dispose();
  });

  documents.listen(connection);
  connection.listen();
}
