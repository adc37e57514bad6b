// The custom LSP messages as typed request and notification types, shared by the client and the
// server (as vscode-eslint shares its customMessages): both name the same type, so a method, its
// params and its result cannot drift apart. Not for the webview (it speaks postMessage, not LSP).
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import { EXPLAIN_REQUEST, type ExplainParams, type ExplainResult } from './explain';
import {
  MODEL_STATE_NOTIFICATION,
  RETRY_MODEL_REQUEST,
  RULES_REQUEST,
  SCAN_DOCUMENT_REQUEST,
  SCAN_WORKSPACE_REQUEST,
  type ModelState,
  type RuleSummary,
  type ScanDocumentParams,
  type ScanDocumentResult,
  type ScanWorkspaceParams,
  type ScanWorkspaceResult,
} from './messages';

export const ModelStateNotification = new NotificationType<ModelState>(MODEL_STATE_NOTIFICATION);
export const RetryModelRequest = new RequestType0<ModelState, void>(RETRY_MODEL_REQUEST);
export const ScanWorkspaceRequest = new RequestType<ScanWorkspaceParams, ScanWorkspaceResult, void>(SCAN_WORKSPACE_REQUEST);
export const ScanDocumentRequest = new RequestType<ScanDocumentParams, ScanDocumentResult, void>(SCAN_DOCUMENT_REQUEST);
export const RulesRequest = new RequestType0<RuleSummary[], void>(RULES_REQUEST);
export const ExplainRequest = new RequestType<ExplainParams, ExplainResult, void>(EXPLAIN_REQUEST);
