// Typed messages between the language server, the VS Code client and the webview. Types only.

export type ModelState =
  | { state: 'disabled'; reason: string }
  | { state: 'loading' }
  | { state: 'ready'; model: string; graph: string }
  | { state: 'failed'; reason: string }
  | { state: 'rules-only'; reason: string };

/** Server → client: the latent guard's state, for the status bar. */
export const MODEL_STATE_NOTIFICATION = 'latentLint/modelState';

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
