// Scan Workspace: every supported file under the workspace folders (ignore files respected).
import * as path from 'node:path';
import type { CancellationToken, Diagnostic, WorkDoneProgressReporter } from 'vscode-languageserver/node';
import type { ScanWorkspaceResult } from '../protocol/messages';
import { URI } from '../uri';
import type { Validator } from './validator';

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
    for (const folder of options.folders) files.push(...engine.collectFiles([folder]).files);
    const unique = [...new Set(files)];
    for (const [index, filePath] of unique.entries()) {
      if (cancelled()) {
        result.cancelled = true;
        break;
      }
      const uri = URI.fromFilePath(filePath);
      const folder = options.folders.find((candidate) => filePath.startsWith(candidate + path.sep));
      progress.report(Math.round((index / Math.max(1, unique.length)) * 100), `file ${index + 1} of ${unique.length}: ${folder ? path.relative(folder, filePath) : filePath}`);
      let diagnostics: Diagnostic[];
      try {
        const context = await validator.context(uri);
        if (!context.settings.enable || context.ignored) continue;
        const open = options.openText(uri);
        const lintOptions = { config: context.config, explicit: context.explicit, latent: context.latent, signal: controller.signal };
        const lint = open !== undefined ? await engine.lintText(filePath, open, lintOptions) : await engine.lintFile(filePath, lintOptions);
        for (const note of lint.notes) options.log(`${filePath}: ${note}`);
        diagnostics = validator.diagnosticsFor(filePath, lint.findings, [], -1);
      } catch (error) {
        if (controller.signal.aborted) continue;
        options.log(`${filePath}: ${(error as Error).message}`);
        continue;
      }
      if (controller.signal.aborted) {
        result.cancelled = true;
        break;
      }
      result.files++;
      result.findings += diagnostics.length;
      if (!options.isOpen(uri)) result.diagnostics.push({ uri, diagnostics });
    }
  } finally {
    stop.dispose();
    progress.done();
  }
  return result;
}
