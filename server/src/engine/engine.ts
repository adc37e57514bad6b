import * as path from 'node:path';
import picomatch from 'picomatch';
import type {
  FileResult,
  Finding,
  FileProbe,
  Format,
  ParsedDocument,
  Rule,
  RuleMeta,
  RuleReport,
  ScoreProgress,
  Severity,
  UnitScorer,
} from '../core/types';
import { asExplicit, findFormat, FORMATS, probeFile } from '../formats';
import { RULES } from '../rules';
import { PARSE_RULE, UNUSED_DIRECTIVE_RULE } from './builtin-rules';
import { ConfigResolver, type LintConfig, type Presets } from './config';
import { IgnoreResolver } from './ignore';
import { carryOver } from './carry-over';
import { assignUnits, settledRun, withoutDirectives, type LintRun } from './lint-run';
import { runRule } from './run-rule';
import { applyDirectives, directiveCommentSpans, parseDirectives } from './suppressions';
import { LineIndex } from './text';
import { readLintable } from './read-file';
import { collectFiles, type CollectedFiles } from './walk';

export { PARSE_RULE, UNUSED_DIRECTIVE_RULE } from './builtin-rules';

const SEVERITY_RANK: Record<Exclude<Severity, 'off'>, number> = { info: 0, warning: 1, error: 2 };
export type { LintRun } from './lint-run';
export { runRule } from './run-rule';

export const DEFAULT_MAX_FILE_BYTES = 2 * 1024 * 1024;

export interface EngineOptions {
  rules?: readonly Rule[];
  formats?: readonly Format[];
  /** The latent guard, or any asynchronous unit scorer. */
  scorer?: UnitScorer;
  /** Severity overrides from editor settings; they win over config files. */
  severityOverrides?: Record<string, Severity>;
  maxFileBytes?: number;
}

export interface LintOptions {
  /** The user named this file: lint it whatever its name. */
  explicit?: boolean;
  signal?: AbortSignal;
  /** Run the asynchronous scorer too (when the config allows it). */
  latent?: boolean;
  /** Use this configuration instead of looking one up. */
  config?: LintConfig;
  /** The most tokens the latent guard may read in this file (default: the guard's own budget). */
  latentMaxTokens?: number;
  /** Progress of the latent guard through the file's units. */
  onLatentProgress?(progress: ScoreProgress): void;
  /** Severities for this file (editor settings); they win over `Engine.severityOverrides` and config files. */
  severityOverrides?: Record<string, Severity>;
}

export { UsageError } from './usage-error';

/** Files in, findings out. Pure: no editor; shared by the language server and the CLI. */
export class Engine {
  readonly rules: readonly Rule[];
  readonly formats: readonly Format[];
  readonly configs: ConfigResolver;
  readonly ignores = new IgnoreResolver();
  scorer?: UnitScorer;
  severityOverrides: Record<string, Severity>;
  readonly maxFileBytes: number;
  /** False in Restricted Mode: a walk does not let the workspace's ignore files and patterns hide files. */
  workspaceIgnores = true;
  private readonly policyRuleIds: ReadonlySet<string>;

  constructor(options: EngineOptions = {}) {
    this.rules = options.rules ?? RULES;
    this.formats = options.formats ?? FORMATS;
    this.scorer = options.scorer;
    this.severityOverrides = options.severityOverrides ?? {};
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.configs = new ConfigResolver(new Set(this.ruleMetas().map((meta) => meta.id)), this.presets());
    this.policyRuleIds = new Set([...this.rules.map((rule) => rule.meta.id), PARSE_RULE.id, UNUSED_DIRECTIVE_RULE.id]);
  }

  /** `recommended` (the defaults) and `strict` (best-practice rules at their strictSeverity). */
  presets(): Presets {
    const strict = Object.fromEntries(this.ruleMetas().flatMap((meta) => (meta.strictSeverity ? [[meta.id, meta.strictSeverity]] : [])));
    return { recommended: {}, strict };
  }

  /** Every rule's metadata, built-in checks included. */
  ruleMetas(): RuleMeta[] {
    const metas = [...this.rules.map((rule) => rule.meta), PARSE_RULE, UNUSED_DIRECTIVE_RULE];
    return [...metas, ...(this.scorer?.metas ?? [])];
  }

  /** The format that reads the file. `text` may be a function: a folder walk reads a file only when a format asks. */
  formatFor(filePath: string, text: string | (() => string), explicit: boolean, config?: LintConfig): Format | undefined {
    return this.find(probeFile(filePath, explicit, text), config);
  }

  private find(file: FileProbe, config: LintConfig | undefined): Format | undefined {
    const format = findFormat(file, this.formats);
    if (format || file.explicit || !config || config.promptFiles.length === 0) return format;
    // Files the config names as prompts are read as if named by the user.
    return matchesGlobs(file.fileName, config.promptFiles) ? findFormat(asExplicit(file), this.formats) : undefined;
  }

  /** Parses the text with the format that reads it; the tree its sniff parsed is the one it maps. */
  parse(filePath: string, text: string, explicit: boolean, config?: LintConfig): ParsedDocument | undefined {
    const file = probeFile(filePath, explicit, text);
    return this.find(file, config)?.parse(filePath, text, file);
  }

  /** Lints text held in memory (an editor buffer, a staged blob): rules, and the guard when asked. */
  async lintText(filePath: string, text: string, options: LintOptions = {}): Promise<FileResult> {
    const run = await this.lint(filePath, text, options);
    return options.latent && run.latentEnabled && !options.signal?.aborted ? run.latent(options.signal) : run.rules;
  }

  /**
   * Parses the text once and runs the rules on it; the latent guard's findings come as a second,
   * cancellable result of the same parse (`run.latent()`), started at once when `options.latent`.
   */
  async lint(filePath: string, text: string, options: LintOptions = {}): Promise<LintRun> {
    const config = options.config ?? this.configs.resolveForFile(filePath);
    const overrides = { ...this.severityOverrides, ...options.severityOverrides };
    const severityFor = (ruleId: string, fallback: Exclude<Severity, 'off'>): Severity => overrides[ruleId] ?? config.rules[ruleId]?.severity ?? fallback;
    let document: ParsedDocument | undefined;
    try {
      document = this.parse(filePath, text, options.explicit ?? false, config);
    } catch (error) {
      // A parser that gives up (a stack overflow on a crafted file) costs this file, never the run.
      const failed = this.failedResult(filePath, `The file could not be parsed (${(error as Error).message}), so none of it was linted.`, config, text, overrides);
      return settledRun(filePath, text, failed);
    }
    if (!document) {
      return settledRun(filePath, text, { filePath, format: 'none', findings: [], unusedDirectives: [], notes: ['No format reads this file; it was not linted.'] });
    }
    const parsed = document;
    const lines = new LineIndex(text);
    const directives = parseDirectives(text, lines);
    withoutDirectives(parsed, directiveCommentSpans(text, directives));
    const add = (into: Finding[], meta: Pick<RuleMeta, 'id' | 'defaultSeverity' | 'docsUrl'>, report: RuleReport): void => {
      const severity = severityFor(meta.id, meta.defaultSeverity);
      if (severity === 'off' || SEVERITY_RANK[severity] < SEVERITY_RANK[config.minSeverity]) return;
      into.push({
        ruleId: meta.id,
        severity,
        message: report.message,
        span: report.span,
        range: lines.rangeOf(report.span),
        docsUrl: meta.docsUrl,
        fix: report.fix,
        data: report.data,
      });
    };
    /** Rule findings with `extra` (the guard's), directives applied afresh to all of them. */
    const settle = (ruleFindings: Finding[], extra: Finding[], notes: string[]): FileResult => {
      const findings = [...ruleFindings, ...extra];
      for (const directive of directives) directive.used = false;
      assignUnits(findings, parsed);
      applyDirectives(findings, directives);
      const unusedDirectives: Finding[] = [];
      const unusedSeverity = severityFor(UNUSED_DIRECTIVE_RULE.id, UNUSED_DIRECTIVE_RULE.defaultSeverity);
      for (const directive of directives) {
        if (directive.used || directive.kind === 'enable' || unusedSeverity === 'off') continue;
        unusedDirectives.push({
          ruleId: UNUSED_DIRECTIVE_RULE.id,
          severity: unusedSeverity,
          message: `Unused latent-lint-${directive.kind} directive${directive.ruleIds.length ? ` (no ${directive.ruleIds.join(', ')} finding here)` : ' (nothing to suppress here)'}. Remove it.`,
          span: directive.span,
          range: lines.rangeOf(directive.span),
          docsUrl: UNUSED_DIRECTIVE_RULE.docsUrl,
          fix: { title: 'Remove the unused directive', edits: [{ span: directive.span, newText: '' }] },
        });
      }
      findings.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end || a.ruleId.localeCompare(b.ruleId));
      return { filePath, format: parsed.format, findings, unusedDirectives, notes };
    };

    const scorer = this.scorer;
    const latentEnabled = !!scorer && config.latent.enabled;
    let started: { signal?: AbortSignal; outcome: Promise<{ findings: Finding[] } | { error: Error }> } | undefined;
    const startLatent = (signal?: AbortSignal, onProgress = options.onLatentProgress): NonNullable<typeof started> => {
      // One guard run per parse; a cancelled one may be asked again.
      if (started && !started.signal?.aborted) return started;
      const outcome = scorer!.score(parsed, signal, { threshold: config.latent.threshold, maxTokens: options.latentMaxTokens, onProgress }).then(
        (reports) => {
          const findings: Finding[] = [];
          for (const report of reports) add(findings, { id: report.ruleId, defaultSeverity: report.severity, docsUrl: report.docsUrl }, report);
          return { findings };
        },
        (error: Error) => ({ error }),
      );
      started = { signal, outcome };
      return started;
    };
    // The scorer runs in its own worker: start it first so the model works while the rules run here.
    if (options.latent && latentEnabled && !options.signal?.aborted) startLatent(options.signal);

    const ruleFindings: Finding[] = [];
    const notes: string[] = [];
    for (const problem of parsed.problems) add(ruleFindings, PARSE_RULE, { span: problem.span, message: `${problem.message.replace(/\.?\s*$/, '.')} Fix it so the whole file is linted.` });
    for (const rule of this.rules) {
      if (options.signal?.aborted) break;
      if (severityFor(rule.meta.id, rule.meta.defaultSeverity) === 'off') continue;
      const ruleConfig = config.rules[rule.meta.id];
      const note = await runRule(rule, parsed, ruleConfig?.options ?? {}, (report) => add(ruleFindings, rule.meta, report));
      if (note) notes.push(note);
    }
    const rules = settle(ruleFindings, [], notes);
    let full: { signal?: AbortSignal; result: Promise<FileResult> } | undefined;
    return {
      filePath,
      text,
      document: parsed,
      rules,
      latentEnabled,
      latent(signal?: AbortSignal, onProgress?: (progress: ScoreProgress) => void): Promise<FileResult> {
        if (!latentEnabled) return Promise.resolve(rules);
        if (full && !full.signal?.aborted) return full.result;
        const run = startLatent(signal, onProgress ?? options.onLatentProgress);
        const result = run.outcome.then((outcome) =>
          'error' in outcome ? settle(ruleFindings, [], [...notes, `Latent guard unavailable: ${outcome.error.message}`]) : settle(ruleFindings, outcome.findings, [...notes]),
        );
        full = { signal: run.signal, result };
        return result;
      },
      carryOver: (previous) => carryOver(previous, text, lines, directives),
    };
  }

  /**
   * The result for a file that could not be read or linted at all: one `parse/invalid-file` finding
   * (so CI notices) and the reason as a note. `text`, when known, places the finding on its first line.
   */
  failedResult(filePath: string, message: string, config?: LintConfig, text = '', overrides: Record<string, Severity> = this.severityOverrides): FileResult {
    const severity = overrides[PARSE_RULE.id] ?? config?.rules[PARSE_RULE.id]?.severity ?? PARSE_RULE.defaultSeverity;
    const result: FileResult = { filePath, format: 'none', findings: [], unusedDirectives: [], notes: [message] };
    if (severity === 'off') return result;
    const firstLine = text.indexOf('\n');
    const span = { start: 0, end: Math.min(firstLine < 0 ? text.length : firstLine, 200) };
    result.findings.push({
      ruleId: PARSE_RULE.id,
      severity,
      message,
      span,
      range: { start: { line: 0, character: 0 }, end: { line: 0, character: span.end } },
      docsUrl: PARSE_RULE.docsUrl,
    });
    return result;
  }

  /** Reads and lints a file from disk; binary, unreadable or huge files come back with a note. */
  async lintFile(filePath: string, options: LintOptions = {}): Promise<FileResult> {
    const read = await this.readFile(filePath);
    return 'skipped' in read ? read.skipped : this.lintText(filePath, read.text, options);
  }

  /** A file's text, or the result that says why it is not linted (see `readLintable`). */
  readFile(filePath: string, read?: () => Buffer): Promise<{ text: string } | { skipped: FileResult }> {
    return readLintable(filePath, this.maxFileBytes, read);
  }

  /** Expands paths (files and folders) to the files to lint, as walk.ts walks them: ignores, links, named files. */
  collectFiles(paths: string[]): CollectedFiles {
    return collectFiles(paths, {
      configFor: (dir) => {
        const config = this.configs.resolveForDir(dir);
        if (!this.workspaceIgnores) config.ignorePatterns = [];
        return config;
      },
      ignored: (target, config, isDirectory) =>
        this.workspaceIgnores ? this.ignores.isIgnored(target, config.ignorePatterns, isDirectory) : target.split(path.sep).some((segment) => segment === 'node_modules' || segment === '.git'),
      reads: (file, text, config) => this.formatFor(file, text, false, config) !== undefined,
    });
  }

  /** True for the latent guard's findings (every rule id that is not a policy rule's). */
  isLatentFinding(finding: Pick<Finding, 'ruleId'>): boolean {
    return !this.policyRuleIds.has(finding.ruleId);
  }
}

/**
 * True when the file matches one of the globs (absolute, as the config resolves them; `**`, `*`,
 * `{a,b}` and `[ab]` as picomatch reads them). Dotfiles match like any other name.
 */
export function matchesGlobs(filePath: string, globs: readonly string[]): boolean {
  if (globs.length === 0) return false;
  const posix = (value: string): string => value.split(path.sep).join('/');
  return picomatch(globs.map(posix), { dot: true })(posix(path.resolve(filePath)));
}
