// Scan Workspace: every supported file under the workspace folders (ignore files respected); Scan
// Current File: one file, open or not, linted whatever its name.
import * as os from 'node:os';
import * as path from 'node:path';
import { LSPErrorCodes, ResponseError, type CancellationToken, type Diagnostic, type WorkDoneProgressReporter } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ScoreProgress } from '../core/types';
import type { ScanDocumentResult, ScanWorkspaceResult } from '../protocol/messages';
import { filesInFlight, mapInOrder } from '../engine/pool';
import { URI } from '../uri';
import { throwIfCancelled } from './cancellation';
import { StaleDocumentError, type Validator } from './validator';

export interface ScanOptions {
  folders: string[];
  validator: Validator;
  /** URIs the editor holds open: their diagnostics come from the pull model, not from the scan. */
  isOpen(uri: string): boolean;
  /** The in-editor text of an open document, if any (unsaved edits win over the disk). */
  openText(uri: string): string | undefined;
  token: CancellationToken;
  progress: WorkDoneProgressReporter;
  log(message: string): void;
  /** The guard's threads (files in flight follow it); default: the cores available. */
  jobs?: number;
}

export async function scanWorkspace(options: ScanOptions): Promise<ScanWorkspaceResult> {
  const { validator, token, progress } = options;
  const engine = validator.engine;
  const result: ScanWorkspaceResult = { files: 0, findings: 0, cancelled: false, diagnostics: [] };
  progress.begin('Latent Lint: scanning the workspace', 0, 'Finding files…', true);
  const controller = new AbortController();
  const cancelled = (): boolean => token.isCancellationRequested;
  const stop = token.onCancellationRequested(() => controller.abort());
  try {
    // Config files may have changed on disk since the last look.
    engine.configs.clear();
    engine.ignores.clear();
    const files: string[] = [];
    for (const folder of options.folders) {
      const collected = engine.collectFiles([folder]);
      files.push(...collected.files);
      for (const link of collected.skipped) options.log(`${link.filePath}: ${link.note}`);
    }
    const unique = [...new Set(files)];
    let done = 0;
    // Several files at once: their rules run while the guard scores the others' units in shared batches.
    const lintOne = async (filePath: string): Promise<{ uri: string; diagnostics: Diagnostic[] } | undefined> => {
      if (cancelled()) return undefined;
      const uri = URI.fromFilePath(filePath);
      const folder = options.folders.find((candidate) => filePath.startsWith(candidate + path.sep));
      const relative = folder ? path.relative(folder, filePath) : filePath;
      // Several files are in flight: a long one's latent run names itself, so a scan never looks stuck.
      const onLatentProgress = (now: ScoreProgress): void =>
        progress.report(Math.round((done / Math.max(1, unique.length)) * 100), `file ${done + 1} of ${unique.length}: ${relative} (${now.scored} of ${now.total} units scored)`);
      try {
        const context = await validator.context(uri);
        if (!context.settings.enable || context.ignored) return undefined;
        const open = options.openText(uri);
        const lintOptions = { ...validator.lintOptions(context, controller.signal), onLatentProgress };
        const lint = open !== undefined ? await engine.lintText(filePath, open, lintOptions) : await engine.lintFile(filePath, lintOptions);
        for (const note of lint.notes) options.log(`${filePath}: ${note}`);
        if (controller.signal.aborted) return undefined;
        return { uri, diagnostics: validator.diagnosticsFor(filePath, lint.findings, [], -1) };
      } catch (error) {
        if (!controller.signal.aborted) options.log(`${filePath}: ${(error as Error).message}`);
        return undefined;
      } finally {
        done++;
        progress.report(Math.round((done / Math.max(1, unique.length)) * 100), `file ${done} of ${unique.length}: ${relative}`);
      }
    };
    const linted = await mapInOrder(unique, filesInFlight(options.jobs ?? os.availableParallelism()), lintOne);
    result.cancelled = cancelled() || controller.signal.aborted;
    for (const file of linted) {
      if (!file) continue;
      result.files++;
      result.findings += file.diagnostics.length;
      if (!options.isOpen(file.uri)) result.diagnostics.push(file);
    }
  } finally {
    stop.dispose();
    progress.done();
  }
  return result;
}

/**
 * Scan Current File: an open document gets rules and the latent guard now (its diagnostics then come
 * by pull); a file that is not open is linted from disk and its diagnostics come back here.
 */
export async function scanDocument(uri: string, options: { validator: Validator; document?: TextDocument; token: CancellationToken }): Promise<ScanDocumentResult> {
  const { validator, document, token } = options;
  const controller = new AbortController();
  const listener = token.onCancellationRequested(() => controller.abort());
  try {
    if (document) {
      const diagnostics = await validator.validateNow(document, controller.signal);
      validator.refresh();
      return { uri, findings: diagnostics.length, diagnostics: [] };
    }
    const context = await validator.context(uri);
    const result = await validator.engine.lintFile(context.filePath, { ...validator.lintOptions(context, controller.signal), explicit: true });
    const diagnostics = validator.diagnosticsFor(context.filePath, result.findings, [], -1);
    return { uri, findings: diagnostics.length, diagnostics };
  } catch (error) {
    throwIfCancelled(token);
    if (error instanceof StaleDocumentError) throw new ResponseError(LSPErrorCodes.ContentModified, error.message);
    throw new ResponseError(LSPErrorCodes.RequestFailed, (error as Error).message);
  } finally {
    listener.dispose();
  }
}
