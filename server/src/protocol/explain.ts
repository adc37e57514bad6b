// The explain request and the explorer's webview messages. Types only; the result's shape is core's.

export type { ExplainLayer, ExplainMediation, ExplainNeuron, ExplainReadout, ExplainResult, ExplainTerm, ExplainToken } from '../core/explain';
import type { ExplainResult } from '../core/explain';

/** Client → server: explain a piece of text (a selection, a unit under the cursor, a finding). */
export const EXPLAIN_REQUEST = 'latentLint/explain';
export interface ExplainParams {
  uri?: string;
  /** Explain this text; or the unit at `position` in the document `uri` when absent. */
  text?: string;
  position?: { line: number; character: number };
}

/** Extension host ↔ webview messages. */
export type ExplorerToWebview = { type: 'explain'; result: ExplainResult } | { type: 'loading'; text: string } | { type: 'error'; message: string };
export type WebviewToExplorer = { type: 'ready' } | { type: 'copy'; json: string } | { type: 'reveal'; start: number; end: number };
