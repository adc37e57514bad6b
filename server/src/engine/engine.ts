import * as fs from 'node:fs';
import * as path from 'node:path';
import picomatch from 'picomatch';
import type {
  FileResult,
  Finding,
  Format,
  ParsedDocument,
  Rule,
  RuleMeta,
  RuleReport,
  ScoreProgress,
  Severity,
  Span,
  Unit,
  UnitScorer,
} from '../core/types';
import { FORMATS } from '../formats';
import { RULES } from '../rules';
import { MAX_REPORTS_PER_FILE } from '../rules/text';
import { docsUrl } from '../core/docs';
import { ConfigResolver, type LintConfig, type Presets } from './config';
import { IgnoreResolver } from './ignore';
import { applyDirectives, directiveCommentSpans, parseDirectives, unitWithout } from './suppressions';
import { LineIndex } from './text';

export const PARSE_RULE: RuleMeta = {
  id: 'parse/invalid-file',
  category: 'parse',
  defaultSeverity: 'error',
  description: 'The file could not be parsed, so it was linted only in part.',
  docsUrl: docsUrl('parse/invalid-file'),
  fixable: false,
};

export const UNUSED_DIRECTIVE_RULE: RuleMeta = {
  id: 'directives/unused-disable',
  category: 'hygiene',
  defaultSeverity: 'warning',
  description: 'A latent-lint-disable comment that suppresses nothing.',
  docsUrl: docsUrl('directives/unused-disable'),
  fixable: true,
};

const SEVERITY_RANK: Record<Exclude<Severity, 'off'>, number> = { info: 0, warning: 1, error: 2 };
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
  /** The most tokens the latent guard may read in this file (default: the scorer's own budget). */
  latentMaxTokens?: number;
  /** Progress of the latent guard through the file's units. */
  onLatentProgress?(progress: ScoreProgress): void;
}

/** Thrown from a rule's `report` past the cap: it ends the rule's run on this file at once. */
class ReportLimitReached extends Error {}

/**
 * Runs one rule on a parsed document and hands its reports on, at most `MAX_REPORTS_PER_FILE`: the
 * report past the cap stops the rule, so neither it nor the engine builds findings nobody reads.
 * Returns a note when the rule was stopped or failed.
 */
export async function runRule(
  rule: Rule,
  document: ParsedDocument,
  options: Record<string, unknown>,
  onReport: (report: RuleReport) => void,
  limit = MAX_REPORTS_PER_FILE,
): Promise<string | undefined> {
  let reports = 0;
  try {
    await rule.check({
      document,
      options,
      report: (report) => {
        if (reports >= limit) throw new ReportLimitReached();
        reports++;
        onReport(report);
      },
    });
  } catch (error) {
    if (error instanceof ReportLimitReached) return `Rule ${rule.meta.id} stopped after ${limit} findings in this file; fix those first.`;
    // One broken rule must not hide the others' findings.
    return `Rule ${rule.meta.id} failed: ${(error as Error).message}`;
  }
  return undefined;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

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

  constructor(options: EngineOptions = {}) {
    this.rules = options.rules ?? RULES;
    this.formats = options.formats ?? FORMATS;
    this.scorer = options.scorer;
    this.severityOverrides = options.severityOverrides ?? {};
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    this.configs = new ConfigResolver(new Set(this.ruleMetas().map((meta) => meta.id)), this.presets());
  }

  /** `recommended` (the defaults) and `strict` (best-practice rules at their strictSeverity). */
  presets(): Presets {
    const strict = Object.fromEntries(this.ruleMetas().flatMap((meta) => (meta.strictSeverity ? [[meta.id, meta.strictSeverity]] : [])));
    return { recommended: {}, strict };
  }

  /** Every rule's metadata, built-in checks included. */
  ruleMetas(): RuleMeta[] {
    const metas = [...this.rules.map((rule) => rule.meta), PARSE_RULE, UNUSED_DIRECTIVE_RULE];
    const scorerMetas = (this.scorer as { metas?: RuleMeta[] } | undefined)?.metas ?? [];
    return [...metas, ...scorerMetas];
  }

  formatFor(filePath: string, text: string, explicit: boolean, config?: LintConfig): Format | undefined {
    const format = this.formats.find((candidate) => candidate.matches(filePath, text, explicit));
    if (format || explicit || !config || config.promptFiles.length === 0) return format;
    // Files the config names as prompts are read as if named by the user.
    const configured = matchesGlobs(filePath, config.promptFiles);
    return configured ? this.formats.find((candidate) => candidate.matches(filePath, text, true)) : undefined;
  }

  parse(filePath: string, text: string, explicit: boolean, config?: LintConfig): ParsedDocument | undefined {
    return this.formatFor(filePath, text, explicit, config)?.parse(filePath, text);
  }

  /** Lints text held in memory (an editor buffer, a staged blob). */
  async lintText(filePath: string, text: string, options: LintOptions = {}): Promise<FileResult> {
    const config = options.config ?? this.configs.resolveForFile(filePath);
    const result: FileResult = { filePath, format: 'none', findings: [], unusedDirectives: [], notes: [] };
    let document: ParsedDocument | undefined;
    try {
      document = this.parse(filePath, text, options.explicit ?? false, config);
    } catch (error) {
      // A parser that gives up (a stack overflow on a crafted file) costs this file, never the run.
      return this.failedResult(filePath, `The file could not be parsed (${(error as Error).message}), so none of it was linted.`, config, text);
    }
    if (!document) {
      result.notes.push('No format reads this file; it was not linted.');
      return result;
    }
    result.format = document.format;
    const lines = new LineIndex(text);
    const directives = parseDirectives(text, lines);
    withoutDirectives(document, directiveCommentSpans(text, directives));
    const findings: Finding[] = [];
    const add = (meta: Pick<RuleMeta, 'id' | 'defaultSeverity' | 'docsUrl'>, report: RuleReport): void => {
      const severity = this.severityFor(meta.id, meta.defaultSeverity, config);
      if (severity === 'off' || SEVERITY_RANK[severity] < SEVERITY_RANK[config.minSeverity]) return;
      findings.push({
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

    for (const problem of document.problems) add(PARSE_RULE, { span: problem.span, message: `${problem.message.replace(/\.?\s*$/, '.')} Fix it so the whole file is linted.` });
    // The scorer runs in its own worker: start it first so the model works while the rules run here.
    const latent =
      options.latent && this.scorer && config.latent.enabled && !options.signal?.aborted
        ? this.scorer.score(document, options.signal, { threshold: config.latent.threshold, maxTokens: options.latentMaxTokens, onProgress: options.onLatentProgress }).then(
            (reports) => ({ reports }),
            (error: Error) => ({ error }),
          )
        : undefined;
    for (const rule of this.rules) {
      if (options.signal?.aborted) break;
      if (this.severityFor(rule.meta.id, rule.meta.defaultSeverity, config) === 'off') continue;
      const ruleConfig = config.rules[rule.meta.id];
      const note = await runRule(rule, document, ruleConfig?.options ?? {}, (report) => add(rule.meta, report));
      if (note) result.notes.push(note);
    }

    if (latent) {
      const outcome = await latent;
      if ('error' in outcome) result.notes.push(`Latent guard unavailable: ${outcome.error.message}`);
      else for (const report of outcome.reports) add({ id: report.ruleId, defaultSeverity: report.severity, docsUrl: report.docsUrl }, report);
    }

    assignUnits(findings, document);
    applyDirectives(findings, directives);
    for (const directive of directives) {
      if (directive.used || directive.kind === 'enable') continue;
      const severity = this.severityFor(UNUSED_DIRECTIVE_RULE.id, UNUSED_DIRECTIVE_RULE.defaultSeverity, config);
      if (severity === 'off') continue;
      result.unusedDirectives.push({
        ruleId: UNUSED_DIRECTIVE_RULE.id,
        severity,
        message: `Unused latent-lint-${directive.kind} directive${directive.ruleIds.length ? ` (no ${directive.ruleIds.join(', ')} finding here)` : ' (nothing to suppress here)'}. Remove it.`,
        span: directive.span,
        range: lines.rangeOf(directive.span),
        docsUrl: UNUSED_DIRECTIVE_RULE.docsUrl,
        fix: { title: 'Remove the unused directive', edits: [{ span: directive.span, newText: '' }] },
      });
    }
    findings.sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end || a.ruleId.localeCompare(b.ruleId));
    result.findings = findings;
    return result;
  }

  /**
   * The result for a file that could not be read or linted at all: one `parse/invalid-file` finding
   * (so CI notices) and the reason as a note. `text`, when known, places the finding on its first line.
   */
  failedResult(filePath: string, message: string, config?: LintConfig, text = ''): FileResult {
    const severity = config ? this.severityFor(PARSE_RULE.id, PARSE_RULE.defaultSeverity, config) : (this.severityOverrides[PARSE_RULE.id] ?? PARSE_RULE.defaultSeverity);
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
    const skipped = (note: string): FileResult => ({ filePath, format: 'none', findings: [], unusedDirectives: [], notes: [note] });
    const stat = fs.statSync(filePath);
    if (stat.size > this.maxFileBytes) {
      return skipped(`Skipped: ${stat.size} bytes is over the ${this.maxFileBytes}-byte limit for one file.`);
    }
    const bytes = fs.readFileSync(filePath);
    if (bytes.subarray(0, 8000).includes(0)) return skipped('Skipped: binary file (it contains NUL bytes).');
    return this.lintText(filePath, bytes.toString('utf8'), options);
  }

  /**
   * Expands paths (files and folders) to the files to lint; named files are always kept. Symbolic
   * links inside a walked folder are followed (a file reached twice is linted once); one that points
   * outside it, or nowhere, is not followed and comes back in `skipped` with the reason.
   */
  collectFiles(paths: string[]): { files: string[]; explicit: Set<string>; skipped: { filePath: string; note: string }[] } {
    const files: string[] = [];
    const explicit = new Set<string>();
    const skipped: { filePath: string; note: string }[] = [];
    for (const target of paths) {
      const absolute = path.resolve(target);
      let stat: fs.Stats;
      try {
        stat = fs.statSync(absolute);
      } catch {
        throw new UsageError(`No such file or directory: ${target}`);
      }
      if (stat.isFile()) {
        files.push(absolute);
        explicit.add(absolute);
      } else if (stat.isDirectory()) {
        const walk: Walk = { root: realpath(absolute) ?? absolute, out: [], links: new Map(), seenDirs: new Set(), skipped };
        this.walk(absolute, walk);
        // A file reached both as itself and through a link (or two links) is linted once, first path kept.
        const reached = new Set(walk.out.filter((file) => !walk.links.has(file)).map((file) => realpath(file) ?? file));
        for (const file of walk.out) {
          const real = walk.links.get(file);
          if (real !== undefined) {
            if (reached.has(real)) continue;
            reached.add(real);
          }
          files.push(file);
        }
      }
    }
    return { files: [...new Set(files)], explicit, skipped };
  }

  private walk(dir: string, walk: Walk): void {
    const real = realpath(dir) ?? dir;
    if (walk.seenDirs.has(real)) return;
    walk.seenDirs.add(real);
    const config = this.configs.resolveForDir(dir);
    if (!this.workspaceIgnores) config.ignorePatterns = [];
    if (this.ignored(dir, config, true)) return;
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      let linkTarget: string | undefined;
      if (entry.isSymbolicLink()) {
        if (entry.name === 'node_modules' || entry.name === '.git') continue;
        linkTarget = realpath(full);
        let stat: fs.Stats | undefined;
        try {
          stat = linkTarget ? fs.statSync(linkTarget) : undefined;
        } catch {
          stat = undefined;
        }
        const readable = stat?.isDirectory() || (stat?.isFile() && this.wouldLint(full, config));
        if (!linkTarget || !stat) {
          // A dangling link is worth a word only when its name is one a format reads.
          if (this.formatFor(full, '', false, config) && !this.ignored(full, config)) {
            walk.skipped.push({ filePath: full, note: 'Skipped: a symbolic link whose target does not exist.' });
          }
          continue;
        }
        if (!inside(linkTarget, walk.root)) {
          if (readable && !this.ignored(full, config, stat.isDirectory())) {
            walk.skipped.push({
              filePath: full,
              note: `Not linted: a symbolic link to ${linkTarget}, outside ${walk.root}, is not followed. Lint the target by naming it, or copy it in.`,
            });
          }
          continue;
        }
        isDirectory = stat.isDirectory();
        isFile = stat.isFile();
      }
      if (isDirectory) {
        if (entry.name === 'node_modules' || entry.name === '.git') continue;
        this.walk(full, walk);
      } else if (isFile) {
        if (this.ignored(full, config)) continue;
        if (!this.wouldLint(full, config)) continue;
        walk.out.push(full);
        if (linkTarget) walk.links.set(full, linkTarget);
      }
    }
  }

  private ignored(target: string, config: LintConfig, isDirectory = false): boolean {
    if (!this.workspaceIgnores) return target.split(path.sep).some((segment) => segment === 'node_modules' || segment === '.git');
    return this.ignores.isIgnored(target, config.ignorePatterns, isDirectory);
  }

  /** Whether a walk would lint this file: decided by name first; formats that need content (JSON shapes) read a little of it. */
  private wouldLint(file: string, config: LintConfig): boolean {
    return this.formatFor(file, '', false, config) !== undefined || this.formatFor(file, peek(file), false, config) !== undefined;
  }

  private severityFor(ruleId: string, fallback: Exclude<Severity, 'off'>, config: LintConfig): Severity {
    return this.severityOverrides[ruleId] ?? config.rules[ruleId]?.severity ?? fallback;
  }
}

/** Notes the innermost unit each finding sits in, so that what one unit triggers can be grouped. */
function assignUnits(findings: Finding[], document: ParsedDocument): void {
  const units = [...document.units];
  for (const tool of document.tools) {
    if (tool.description) units.push(tool.description);
    for (const parameter of tool.parameters) if (parameter.description) units.push(parameter.description);
  }
  for (const finding of findings) {
    let best: Unit | undefined;
    for (const unit of units) {
      if (unit.span.start > finding.span.start || finding.span.end > unit.span.end) continue;
      if (!best || unit.span.end - unit.span.start < best.span.end - best.span.start) best = unit;
    }
    if (best) finding.unitId = best.id;
    // Text read through a YAML alias: a fix would rewrite the alias, not the text (fix the anchor).
    if (best?.aliasOf) finding.fix = undefined;
  }
}

/**
 * Takes suppression comments out of what rules and the guard read: inserting a directive must not
 * change the text that is judged (the finding it names would move or vanish, and the directive
 * would then be reported as unused).
 */
function withoutDirectives(document: ParsedDocument, cuts: Span[]): void {
  if (cuts.length === 0) return;
  const rewritten = new Map<Unit, Unit | undefined>();
  const strip = (unit: Unit): Unit | undefined => {
    if (!rewritten.has(unit)) rewritten.set(unit, unitWithout(unit, document.text, cuts));
    return rewritten.get(unit);
  };
  document.units = document.units.map(strip).filter((unit): unit is Unit => unit !== undefined);
  for (const tool of document.tools) {
    if (tool.description) tool.description = strip(tool.description);
    for (const parameter of tool.parameters) if (parameter.description) parameter.description = strip(parameter.description);
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

interface Walk {
  /** The walked folder, links resolved: links may point anywhere inside it. */
  root: string;
  out: string[];
  /** Files reached through a symbolic link, with their real path. */
  links: Map<string, string>;
  seenDirs: Set<string>;
  skipped: { filePath: string; note: string }[];
}

function realpath(file: string): string | undefined {
  try {
    return fs.realpathSync(file);
  } catch {
    return undefined;
  }
}

function inside(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/** The first few KB of a file, for formats that recognise JSON by its shape. */
function peek(filePath: string): string {
  if (!/\.(json|jsonc|ya?ml)$/i.test(filePath)) return '';
  try {
    const fd = fs.openSync(filePath, 'r');
    try {
      const buffer = Buffer.alloc(16384);
      const read = fs.readSync(fd, buffer, 0, buffer.length, 0);
      return buffer.subarray(0, read).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}


