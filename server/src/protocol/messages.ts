// Typed messages between the language server, the VS Code client and the webview. Types only.

export type ModelState =
  | { state: 'disabled'; reason: string }
  | { state: 'loading' }
  /** `warnings`: what the guard runs around (a corrupt graph another stands in for), for the tooltip. */
  | { state: 'ready'; model: string; graph: string; warnings?: string[] }
  | { state: 'failed'; reason: string }
  | { state: 'rules-only'; reason: string };

/** Server → client: the latent guard's state, for the status bar. */
export const MODEL_STATE_NOTIFICATION = 'latentLint/modelState';

/** Client → server: load the model again now (the "Retry" action); answers with the new ModelState. */
export const RETRY_MODEL_REQUEST = 'latentLint/retryModel';

/** Client → server: lint every supported file under the workspace folders. */
export const SCAN_WORKSPACE_REQUEST = 'latentLint/scanWorkspace';
export interface ScanWorkspaceParams {
  /** Folder URIs to scan; all workspace folders when absent. */
  folders?: string[];
  /** Progress token from the client (window/workDoneProgress). */
  workDoneToken?: string;
}
export interface ScanWorkspaceResult {
  files: number;
  findings: number;
  cancelled: boolean;
  /** Per-file diagnostics, keyed by URI, for files not open in the editor. */
  diagnostics: { uri: string; diagnostics: unknown[] }[];
}

/** Client → server: lint one document now (Scan Current File). */
export const SCAN_DOCUMENT_REQUEST = 'latentLint/scanDocument';
export interface ScanDocumentParams {
  uri: string;
}
export interface ScanDocumentResult {
  uri: string;
  findings: number;
  /** Diagnostics for a document the editor does not hold open (pulled diagnostics cover open ones). */
  diagnostics: unknown[];
}

/** Client → server: the rule registry, for the "Open Rule Documentation" quick pick. */
export const RULES_REQUEST = 'latentLint/rules';
export interface RuleSummary {
  id: string;
  category: string;
  defaultSeverity: string;
  description: string;
  docsUrl: string;
  fixable: boolean;
}

/** Sent by the client in initializationOptions. */
export interface InitializationOptions {
  /** False in a Restricted Mode (untrusted) workspace. */
  trusted: boolean;
  /** Folder holding docs/rules/ (the installed extension), for links to shipped rule pages. */
  extensionPath?: string;
  /**
   * `bundled`: documentation links (diagnostic code links, hovers) run `latentLint.openRuleDocumentation`,
   * which opens the page that ships with the extension; otherwise they point at the public pages.
   */
  docLinks?: 'bundled' | 'public';
}

/** Client commands the server names in code actions and hovers. */
export const COMMANDS = {
  scanWorkspace: 'latentLint.scanWorkspace',
  scanFile: 'latentLint.scanFile',
  explainSelection: 'latentLint.explainSelection',
  showOutput: 'latentLint.showOutput',
  createConfig: 'latentLint.createConfig',
  openRuleDocumentation: 'latentLint.openRuleDocumentation',
  retryModel: 'latentLint.retryModel',
} as const;

/** Arguments of `latentLint.explainSelection` when a code action or a hover link runs it. */
export interface ExplainCommandArgs {
  uri: string;
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

/** Code action kind for "fix all": `source.fixAll.latent-lint`. */
export const FIX_ALL_KIND = 'source.fixAll.latent-lint';
