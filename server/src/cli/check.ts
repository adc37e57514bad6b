// `latent-lint check`: lint files and folders (or what git has staged), stylish, JSON or SARIF out,
// fixes, a result cache; the same engine the language server runs (ltex-ls habit).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cacheKey, engineVersion, ResultCache } from './cache';
import { CHECK_HELP, parseCheckArgs, type CheckOptions } from './check-options';
import { ExitError } from './exit-error';
import { describeProgress, ProgressLine } from './progress';
import { diskTargets, readTarget, stagedTargets, type Target } from './targets';
import type { FileResult, Finding, ScoreProgress } from '../core/types';
import { ConfigError } from '../engine/config';
import { Engine } from '../engine/engine';
import { applyFixes } from '../core/fixes';
import { groupFindings } from '../engine/group';
import { filesInFlight, mapInOrder } from '../engine/pool';
import { VERSION } from '../version';
import { createLatentGuard, type LatentGuard, type LatentGuardOptions, type LatentState } from '../latent';
import { formatJson } from '../report/json';
import { formatSarif } from '../report/sarif';
import { formatStylish } from '../report/stylish';

/** What one run hands each file: its guard, Ctrl-C's signal and where the guard's progress goes. */
interface RunContext {
  guard: LatentGuard;
  signal: AbortSignal;
  onLatentProgress?: (progress: ScoreProgress) => void;
}

async function lintTarget(
  engine: Engine,
  target: Target,
  options: CheckOptions,
  cache: ResultCache | undefined,
  version: string,
  latentLoaded: boolean,
  run: RunContext,
): Promise<Linted | undefined> {
  if (target.skip) return { result: target.skip, text: '' };
  const read = await readTarget(engine, target);
  if ('skip' in read) return { result: read.skip, text: '' };
  const config = engine.configs.resolveForFile(target.filePath);
  // Staged files are not walked, so the ignore file and format matching are applied here.
  if (target.read && !target.explicit) {
    if (engine.ignores.isIgnored(target.filePath, config.ignorePatterns)) return undefined;
    if (!engine.formatFor(target.filePath, read.text, false, config)) return undefined;
  }
  // Whether the guard really ran is part of the key: rules-only results must not stand in for full ones.
  const latent = options.latent && latentLoaded && engine.scorer !== undefined && config.latent.enabled;
  const key = cache
    ? cacheKey({ text: read.text, config: { config, overrides: engine.severityOverrides, explicit: target.explicit }, engineVersion: `${version}/${engine.scorer?.id ?? 'none'}`, latent })
    : '';
  const fixing = options.fix || options.fixDryRun;
  const cached = fixing ? undefined : cache?.get(target.filePath, key);
  if (cached) return { result: cached, text: read.text };
  const lint = (text: string): Promise<FileResult> =>
    engine.lintText(target.filePath, text, {
      explicit: target.explicit,
      latent: options.latent,
      config,
      signal: run.signal,
      latentMaxTokens: options.maxFileTokens,
      onLatentProgress: run.onLatentProgress,
    });
  let result = await lint(read.text);
  // Interrupted while this file was linted: its result is partial, neither reported nor cached.
  if (run.signal.aborted) return undefined;
  if (!fixing) {
    // A guard that failed while this file was linted left it rules only: not what the key says.
    if (!latent || run.guard.state().status !== 'failed') cache?.set(target.filePath, key, result);
    return { result, text: read.text };
  }
  // As ESLint does: fix, lint again, up to ten passes (a fix can make room for another).
  let text = read.text;
  for (let pass = 0; pass < 10; pass++) {
    const fixes = shownFindings(result, options).flatMap((finding) => (finding.fix ? [finding.fix] : []));
    if (fixes.length === 0) break;
    const outcome = applyFixes(text, fixes);
    if (outcome.applied === 0 || outcome.output === text) break;
    text = outcome.output;
    result = await lint(text);
    if (run.signal.aborted) return undefined;
  }
  if (text === read.text) return { result, text };
  if (options.fix) {
    try {
      fs.writeFileSync(target.filePath, text);
    } catch (error) {
      throw new ExitError(`Cannot write the fixes to ${target.filePath}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2);
    }
  }
  return { result, text, output: text };
}

/** A file's result with the text it was linted on (after fixes) and, when fixed, the new text. */
interface Linted {
  result: FileResult;
  text: string;
  output?: string;
}

/** What the options show of a result: unsuppressed findings (errors only with --quiet), unused directives when asked. */
function shownFindings(result: FileResult, options: CheckOptions): Finding[] {
  const shown = result.findings.filter((finding) => !finding.suppressed).concat(options.reportUnused ? result.unusedDirectives : []);
  return options.quiet ? shown.filter((finding) => finding.severity === 'error') : shown;
}

/**
 * The CLI's guard: its rules known from the start (so `.latentlint.yaml` may name latent/* rules and
 * `latent-lint rules` lists them), the model loaded only by `start`, in process. When the model
 * cannot load it scores nothing, instead of adding the same note to every file.
 */
export function cliGuard(threads?: number, options: Pick<LatentGuardOptions, 'maxFileTokens' | 'maxRunTokens' | 'surprisal' | 'precision'> = {}): LatentGuard {
  return createLatentGuard({ mode: 'in-process', quietWhenUnavailable: true, lazySession: true, threads, ...options });
}

/** One line for stderr when the guard is unavailable or degraded. */
function startNote(state: LatentState): string | undefined {
  if (state.status === 'failed') return `latent guard unavailable, linting with policy rules only: ${state.message}`;
  if (state.status === 'ready' && state.warnings.length) return `latent guard: ${state.warnings.join('; ')}`;
  return undefined;
}

const INFORMATION_URI = 'https://github.com/latent-lint/latent-lint';

export async function check(args: string[]): Promise<number> {
  const options = parseCheckArgs(args);
  if (options.help) {
    process.stdout.write(CHECK_HELP);
    return 0;
  }
  const guard = cliGuard(options.jobs, { maxFileTokens: options.maxFileTokens, maxRunTokens: options.maxRunTokens, surprisal: options.surprisal, precision: options.precision });
  const engine = new Engine({ scorer: guard });
  const targets = options.staged ? stagedTargets(options) : diskTargets(engine, options);
  const latentNote = options.latent && targets.length > 0 ? startNote(await guard.start()) : undefined;
  if (latentNote) process.stderr.write(`latent-lint: ${latentNote}\n`);
  // False when the guard was started and failed to load: the run is then rules only.
  const latentLoaded = guard.state().status !== 'failed';
  const lateNotes: string[] = [];
  // The session loads lazily, and a graph that changed since it was verified fails then: said once.
  let toldFailure = false;
  const stopWatching = guard.onStateChange((state) => {
    if (state.status !== 'failed' || toldFailure) return;
    toldFailure = true;
    const note = `latent guard unavailable, linting the remaining files with policy rules only: ${state.message}`;
    lateNotes.push(note);
    process.stderr.write(`latent-lint: ${note}\n`);
  });
  const cache = options.cacheLocation ? new ResultCache(options.cacheLocation) : undefined;
  const version = engineVersion(VERSION);
  const results: FileResult[] = [];
  const texts = new Map<string, string>();
  const outputs = new Map<string, string>();
  // Ctrl-C stops the run at once (the guard between batches), reports what is finished and saves
  // the cache; a second Ctrl-C quits without either.
  const interrupt = new AbortController();
  const progress = new ProgressLine(options.progress);
  const onSigint = (): void => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
    progress.clear();
    process.stderr.write('latent-lint: interrupted; stopping (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  // Files are read, parsed and run through the rules side by side while the guard scores the ones
  // before them; their units meet in the guard's batches (CoalescingBackend). Results keep path
  // order, and after an interrupt only the files finished before the first unfinished one count.
  const INTERRUPTED = Symbol('interrupted');
  const lintOne = async (target: Target, index: number): Promise<Linted | undefined | typeof INTERRUPTED> => {
    if (interrupt.signal.aborted) return INTERRUPTED;
    const name = path.relative(process.cwd(), target.filePath) || target.filePath;
    let last: ScoreProgress | undefined;
    const run: RunContext = {
      guard,
      signal: interrupt.signal,
      onLatentProgress: (now) => {
        last = now;
        progress.show(`latent-lint: [${index + 1}/${targets.length}] ${name}: ${describeProgress(now)}`);
      },
    };
    try {
      const linted = await lintTarget(engine, target, options, cache, version, latentLoaded, run);
      if (interrupt.signal.aborted) return INTERRUPTED;
      // The file's last word, whatever the throttle let through.
      if (last) progress.show(`latent-lint: [${index + 1}/${targets.length}] ${name}: ${describeProgress(last)}${last.scored < last.total ? ' (budget reached)' : ''}`, true);
      return linted;
    } catch (error) {
      if (interrupt.signal.aborted) return INTERRUPTED;
      // A broken configuration is the user's to fix for the whole run (exit 2); anything else that
      // goes wrong on one file costs that file only: one finding and a note, and the run goes on.
      if (error instanceof ConfigError || error instanceof ExitError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      return { result: engine.failedResult(target.filePath, `The file could not be linted (${code ?? (error as Error).message}).`), text: '' };
    }
  };
  let done = 0;
  for (const linted of await mapInOrder(targets, filesInFlight(options.jobs), lintOne)) {
    if (linted === INTERRUPTED) break;
    done++;
    if (!linted) continue;
    const { result } = linted;
    if (!options.reportUnused) result.unusedDirectives = [];
    if (options.quiet) {
      result.findings = result.findings.filter((f) => f.severity === 'error');
      result.unusedDirectives = result.unusedDirectives.filter((f) => f.severity === 'error');
    }
    // One problem, one finding: what fires in one paragraph or description is shown together.
    result.findings = groupFindings(result.findings);
    texts.set(result.filePath, linted.text);
    if (linted.output !== undefined) outputs.set(result.filePath, linted.output);
    results.push(result);
  }
  try {
    cache?.save();
  } catch (error) {
    process.stderr.write(`latent-lint: could not write the cache ${options.cacheLocation}: ${(error as Error).message}\n`);
  }
  stopWatching();
  process.off('SIGINT', onSigint);
  progress.clear();
  await guard.dispose();
  const output =
    options.format === 'json'
      ? formatJson(results, { texts, outputs: options.fixDryRun ? outputs : undefined })
      : options.format === 'sarif'
        ? formatSarif(results, { rules: engine.ruleMetas(), toolVersion: VERSION, informationUri: INFORMATION_URI, notes: [...(latentNote ? [latentNote] : []), ...lateNotes], texts })
        : formatStylish(results, process.cwd(), { fixed: options.fix ? outputs.size : undefined });
  if (output) process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
  if (interrupt.signal.aborted) {
    process.stderr.write(`latent-lint: interrupted after ${done} of ${targets.length} files; the report covers those only.\n`);
    return 130;
  }

  const shown = results.flatMap((r) => r.findings.filter((f) => !f.suppressed).concat(r.unusedDirectives));
  const errors = shown.filter((f) => f.severity === 'error').length;
  const warnings = shown.filter((f) => f.severity === 'warning').length;
  if (errors > 0) return 1;
  if (options.maxWarnings !== undefined && warnings > options.maxWarnings) {
    process.stderr.write(`latent-lint found too many warnings (${warnings}; maximum allowed is ${options.maxWarnings}).\n`);
    return 1;
  }
  return 0;
}

