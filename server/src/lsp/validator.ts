// Validation of open documents: rules at once, the latent guard in the background, results cached
// per document version, stale work cancelled, slow validation reported against a time budget.
import * as path from 'node:path';
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { FileResult, Finding, ParsedDocument } from '../core/types';
import type { CarriedFindings } from '../engine/carry-over';
import { ConfigError } from '../engine/config';
import type { Engine, LintOptions, LintRun } from '../engine/engine';
import { URI } from '../uri';
import { groupFindings } from '../engine/group';
import { PUBLIC_DOC_LINK, toDiagnostic, type DocLink } from './diagnostics';
import { latentProgress, type ProgressHost } from './latent-progress';
import type { LatentGuard } from '../latent';
import type { LatentLintSettings } from './settings';
import { ContextResolver, type ContextHost, type ValidationContext } from './validation-context';

/**
 * What the validator needs from the connection; kept small so it is easy to follow. It shows a
 * notification (`notify`) at most once per kind.
 */
export interface ValidatorHost extends ContextHost, ProgressHost {
  /** Ask the client to pull diagnostics again (workspace/diagnostic/refresh). */
  refresh(): void;
  log(level: 'info' | 'warning' | 'error', message: string): void;
}

interface DocumentState {
  version: number;
  /** What applies to the document (config, editor settings, trust), resolved once per version. */
  context?: Promise<ValidationContext>;
  /** The one lint of `version`: its parse serves diagnostics, hover, code actions and explain. */
  run?: Promise<LintRun>;
  /** Rules and latent findings for `version`. */
  full?: FileResult;
  /** The last complete latent run (any version) and the text it read, to carry findings over edits. */
  previous?: CarriedFindings;
  controller: AbortController;
  timer?: NodeJS.Timeout;
}

/** Raised when the document changed while it was being linted: the client should pull again. */
export class StaleDocumentError extends Error {
  constructor() {
    super('The document changed while it was being linted.');
  }
}

export class Validator {
  private readonly states = new Map<string, DocumentState>();
  private readonly notified = new Set<string>();
  /** Wait this long after the last edit before running the (costlier) latent guard. */
  latentDebounceMs = 250;
  /** Where rule documentation links point (the bundled page when the client can open it). */
  docLink: DocLink = PUBLIC_DOC_LINK;

  private readonly contexts: ContextResolver;

  constructor(
    readonly engine: Engine,
    private readonly host: ValidatorHost,
    private guard?: LatentGuard,
  ) {
    this.contexts = new ContextResolver(engine, host);
  }

  setGuard(guard: LatentGuard | undefined): void {
    this.guard = guard;
    this.engine.scorer = guard;
    this.invalidateAll();
  }

  isLatentFinding(finding: Pick<Finding, 'ruleId'>): boolean {
    return this.engine.isLatentFinding(finding);
  }

  /** The configuration for a file: config files, then editor settings, then what trust allows. */
  context(uri: string, settings?: LatentLintSettings): Promise<ValidationContext> {
    return this.contexts.resolve(uri, this.guard, settings);
  }

  /**
   * The context of the document's current version, resolved on first use. Whatever it depends on
   * (settings, config files, folders, the guard's state) resets every document when it changes.
   */
  private contextOf(document: TextDocument, state: DocumentState): Promise<ValidationContext> {
    state.context ??= this.context(document.uri);
    return state.context;
  }

  /** What the engine needs from a context, for a lint outside the per-version cache (scans). */
  lintOptions(context: ValidationContext, signal?: AbortSignal): LintOptions {
    return { config: context.config, severityOverrides: context.severityOverrides, explicit: context.explicit, latent: context.latent, signal };
  }

  /**
   * The lint of the document's current version, started here if nothing has asked for it yet. Only
   * a new version or new settings cancel it (they abort `state.controller`): a caller that gives up
   * waiting (`signal`) leaves it whole for the next one.
   */
  private async runFor(document: TextDocument, state: DocumentState, context: ValidationContext, signal?: AbortSignal, explicit = context.explicit): Promise<LintRun> {
    const controller = state.controller;
    if (!state.run) {
      const started = performance.now();
      state.run = this.engine.lint(context.filePath, document.getText(), { ...this.lintOptions(context, controller.signal), explicit, latent: false }).then((run) => {
        this.checkBudget(document.uri, performance.now() - started, context.settings);
        return run;
      });
    }
    const run = await state.run;
    if (state.version !== document.version || state.controller !== controller) throw new StaleDocumentError();
    signal?.throwIfAborted();
    return run;
  }

  /** Diagnostics for the document as it is now. Throws StaleDocumentError if it changed meanwhile. */
  async diagnostics(document: TextDocument, isCurrent: () => boolean, signal?: AbortSignal): Promise<Diagnostic[]> {
    const state = this.stateFor(document);
    let context: ValidationContext;
    try {
      context = await this.contextOf(document, state);
    } catch (error) {
      if (error instanceof ConfigError) return (await this.host.settings(document.uri)).enable ? [configErrorDiagnostic(error)] : [];
      throw error;
    }
    if (!isCurrent()) throw new StaleDocumentError();
    if (!context.settings.enable || context.ignored) return [];
    const version = document.version;
    const run = await this.runFor(document, state, context, signal);
    if (!isCurrent()) throw new StaleDocumentError();
    if (state.full) return this.toDiagnostics(state.full, version, true);
    if (!context.latent || !run.latentEnabled) return this.toDiagnostics(run.rules, version, true);
    this.scheduleLatent(document, state, run);
    return this.toDiagnostics(run.rules, version, false, run.carryOver(state.previous));
  }

  /** Runs rules and the latent guard now and waits for them (Scan Current File). */
  async validateNow(document: TextDocument, signal?: AbortSignal): Promise<Diagnostic[]> {
    const state = this.stateFor(document);
    const context = await this.contextOf(document, state);
    if (!context.settings.enable || context.ignored) return [];
    clearTimeout(state.timer);
    if (!state.full) {
      let run = await this.runFor(document, state, context, signal);
      // Scan Current File lints the file whatever its name: lint it again if its name kept it out.
      if (!run.document && !context.explicit) {
        state.run = undefined;
        run = await this.runFor(document, state, context, signal, true);
      }
      if (context.latent && run.latentEnabled) {
        const result = await run.latent(anySignal(state.controller.signal, signal));
        if (state.version !== document.version || state.controller.signal.aborted) throw new StaleDocumentError();
        this.storeFull(state, run.text, result);
      }
    }
    const rules = state.run ? (await state.run).rules : undefined;
    return this.toDiagnostics(state.full ?? rules!, document.version, true);
  }

  /** The parse of the document's current version (the one its diagnostics came from), for code actions and explain. */
  async parsed(document: TextDocument): Promise<ParsedDocument | undefined> {
    const state = this.stateFor(document);
    return (await this.runFor(document, state, await this.contextOf(document, state))).document;
  }

  /** The context the document's current version is linted with (resolved once per version), for explain's threshold. */
  currentContext(document: TextDocument): Promise<ValidationContext> {
    return this.contextOf(document, this.stateFor(document));
  }

  /** The findings on show for the document's current version, latent ones flagged. */
  async currentFindings(document: TextDocument): Promise<{ finding: Finding; latent: boolean }[]> {
    const state = this.states.get(document.uri);
    if (!state || state.version !== document.version || !state.run) return [];
    const run = await state.run.catch(() => undefined);
    if (!run || state.version !== document.version) return [];
    const result = state.full ?? run.rules;
    const findings = result.findings.filter((finding) => !finding.suppressed);
    const carried = state.full ? [] : run.carryOver(state.previous);
    return [...findings, ...carried].map((finding) => ({ finding, latent: this.isLatentFinding(finding) }));
  }

  /** A new version supersedes the old one's work. */
  changed(document: TextDocument): void {
    const state = this.states.get(document.uri);
    if (state && state.version !== document.version) this.reset(state, document.version);
  }

  closed(uri: string): void {
    const state = this.states.get(uri);
    if (state) this.reset(state, -1);
    this.states.delete(uri);
  }

  /** Settings or config files changed: forget every result and ask the client to pull again. */
  invalidateAll(): void {
    for (const state of this.states.values()) {
      this.reset(state, state.version);
      // Old latent findings may carry severities the new configuration changed.
      state.previous = undefined;
    }
    this.host.refresh();
  }

  /** Ask the client to pull again (a result landed outside a pull). */
  refresh(): void {
    this.host.refresh();
  }

  private reset(state: DocumentState, version: number): void {
    state.controller.abort();
    clearTimeout(state.timer);
    state.controller = new AbortController();
    state.timer = undefined;
    state.version = version;
    state.run = undefined;
    state.full = undefined;
    state.context = undefined;
  }

  private stateFor(document: TextDocument): DocumentState {
    let state = this.states.get(document.uri);
    if (!state) {
      state = { version: document.version, controller: new AbortController() };
      this.states.set(document.uri, state);
    } else if (state.version !== document.version) {
      this.reset(state, document.version);
    }
    return state;
  }

  private scheduleLatent(document: TextDocument, state: DocumentState, run: LintRun): void {
    if (state.timer) return;
    const version = document.version;
    const controller = state.controller;
    state.timer = setTimeout(() => {
      const started = performance.now();
      const name = path.basename(run.filePath);
      const progress = latentProgress(this.host, name, version, controller.signal);
      run
        .latent(controller.signal, progress.update)
        .then((result) => {
          progress.done();
          if (controller.signal.aborted || state.version !== version) return;
          this.host.log('info', `Latent guard: ${name} v${version} in ${Math.round(performance.now() - started)} ms.`);
          for (const note of result.notes) this.host.log('warning', `${run.filePath}: ${note}`);
          this.storeFull(state, run.text, result);
          this.host.refresh();
        })
        .catch((error: Error) => {
          progress.done();
          if (!controller.signal.aborted) this.host.log('error', `Latent guard failed on ${run.filePath}: ${error.message}`);
        });
    }, this.latentDebounceMs);
  }

  private storeFull(state: DocumentState, text: string, result: FileResult): void {
    state.full = result;
    state.previous = { text, findings: result.findings.filter((finding) => this.isLatentFinding(finding)) };
  }

  private toDiagnostics(result: FileResult, version: number, complete: boolean, carried: Finding[] = []): Diagnostic[] {
    // Unused-directive reports wait for the latent run: a directive may be there for a latent finding.
    return this.diagnosticsFor(result.filePath, [...result.findings, ...carried], complete ? result.unusedDirectives : [], version);
  }

  /** Diagnostics for findings of a file: suppressed ones left out, one per unit (the rest as related information). */
  diagnosticsFor(filePath: string, findings: Finding[], unused: Finding[], version: number): Diagnostic[] {
    const uri = URI.fromFilePath(filePath);
    const shown = groupFindings(findings.filter((finding) => !finding.suppressed));
    return [...shown, ...unused].map((finding) => toDiagnostic(finding, version, this.isLatentFinding(finding), { uri, docLink: this.docLink }));
  }

  private checkBudget(uri: string, ms: number, settings: LatentLintSettings): void {
    const budget = settings.timeBudget.onValidation;
    const name = path.basename(URI.toFilePath(uri));
    const level = ms > budget.error ? 'error' : ms > budget.warn ? 'warning' : undefined;
    if (!level) return;
    const limit = level === 'error' ? budget.error : budget.warn;
    const message = `Linting ${name} took ${Math.round(ms)} ms, over the ${limit} ms budget (latentLint.timeBudget.onValidation.${level === 'error' ? 'error' : 'warn'}).`;
    this.host.log(level, message);
    if (!this.notified.has(level)) {
      this.notified.add(level);
      this.host.notify(level, `${message} Consider turning off slow rules or ignoring large files.`);
    }
  }
}

function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => !!signal);
  return present.length <= 1 ? present[0] : AbortSignal.any(present);
}

function configErrorDiagnostic(error: ConfigError): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Error,
    source: 'latent-lint',
    message: `Latent Lint is paused for this file: ${error.message}`,
  };
}
