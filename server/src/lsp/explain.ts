// latentLint/explain: the text to explain (a selection, or the unit under the cursor from the
// version's one parse), where it sits, the policy rules that fired on it, and the guard's explanation.
import { LSPErrorCodes, ResponseError, type CancellationToken } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Unit } from '../core/types';
import type { Engine } from '../engine/engine';
import type { LatentGuard } from '../latent';
import type { ExplainParams, ExplainResult } from '../protocol/explain';
import { URI } from '../uri';
import { throwIfCancelled } from './cancellation';
import type { Validator } from './validator';

export interface ExplainHost {
  guard?: LatentGuard;
  validator: Validator;
  engine: Engine;
  documents: { get(uri: string): TextDocument | undefined };
  /** latentLint.model.enabled for the document (the window's without one). */
  modelEnabled(uri: string | undefined): Promise<boolean>;
}

export async function explain(params: ExplainParams, token: CancellationToken, host: ExplainHost): Promise<ExplainResult> {
  if (!host.guard) {
    throw new ResponseError(LSPErrorCodes.RequestFailed, 'Explain needs the latent guard, which is not available in this build; policy rules still run.');
  }
  const enabled = await host.modelEnabled(params.uri);
  if (!enabled) throw new ResponseError(LSPErrorCodes.RequestFailed, 'The latent guard is turned off (latentLint.model.enabled).');
  const unit = params.text === undefined ? await unitAt(params, host) : undefined;
  const text = params.text ?? unit?.text;
  if (!text) throw new ResponseError(LSPErrorCodes.RequestFailed, 'Nothing to explain: select some text, or put the cursor in a paragraph, message or tool description.');
  const controller = new AbortController();
  const listener = token.onCancellationRequested(() => controller.abort());
  try {
    // Where the text sits (the unit's span, or a selection found in the document) and the policy rules that fired there.
    const document = params.uri ? host.documents.get(params.uri) : undefined;
    const found = unit?.span.start ?? (document && params.position && params.text !== undefined ? document.getText().indexOf(text) : -1);
    const start = found >= 0 ? found : undefined;
    const end = start === undefined ? undefined : start + (unit ? unit.span.end - unit.span.start : text.length);
    const findings = document && start !== undefined && end !== undefined ? (await host.validator.currentFindings(document)).filter(({ finding }) => finding.span.start < end && start < finding.span.end) : [];
    const rules = findings.filter(({ latent }) => !latent).map(({ finding }) => ({ ruleId: finding.ruleId, message: finding.message, severity: finding.severity }));
    // The threshold the document's diagnostics were made with (its .latentlint.yaml, as trust allows).
    const threshold = (document ? await host.validator.currentContext(document) : params.uri ? await host.validator.context(params.uri) : undefined)?.config.latent.threshold;
    const diagnostics = document && unit ? { ruleIds: [...new Set(findings.filter(({ latent }) => latent).map(({ finding }) => finding.ruleId))] } : undefined;
    return await host.guard.explain(text, { rules, threshold, diagnostics, uri: params.uri, unitId: unit?.id, textOffset: start }, controller.signal);
  } catch (error) {
    throwIfCancelled(token);
    throw new ResponseError(LSPErrorCodes.RequestFailed, `Explain failed: ${(error as Error).message}`);
  } finally {
    listener.dispose();
  }
}

/** The unit under the cursor (a paragraph, message, or tool description), from the version's one parse. */
async function unitAt(params: ExplainParams, host: ExplainHost): Promise<Unit | undefined> {
  const document = params.uri ? host.documents.get(params.uri) : undefined;
  if (!document || !params.position) return undefined;
  const offset = document.offsetAt(params.position);
  // A file no format reads by its name is read as the user named it (Explain works anywhere).
  const parsed = (await host.validator.parsed(document).catch(() => undefined)) ?? host.engine.parse(URI.toFilePath(document.uri), document.getText(), true);
  return parsed?.units.find((candidate) => candidate.span.start <= offset && offset <= candidate.span.end);
}
