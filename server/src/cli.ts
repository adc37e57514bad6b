// The command line: the same engine the language server runs (ltex-ls habit).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { cacheKey, engineVersion, ResultCache } from './check-cache';
import type { FileResult } from './core/types';
import { ConfigError } from './engine/config';
import { Engine, UsageError } from './engine/engine';
import { GitError, stagedFiles } from './git-staged';
import { cliScorerLoaded, closeCliScorer, createCliScorer, startCliScorer } from './latent';
import { runScoreCommand } from './latent/score-command';
import { formatJson } from './report/json';
import { formatSarif } from './report/sarif';
import { formatStylish } from './report/stylish';

const VERSION = '0.1.0';
const FORMATS = ['stylish', 'json', 'sarif'] as const;
const DEFAULT_CACHE_LOCATION = '.latentlintcache';
const INFORMATION_URI = 'https://github.com/latent-lint/latent-lint';
type OutputFormat = (typeof FORMATS)[number];

const HELP = `latent-lint ${VERSION} — lint prompt files and agent tool definitions for safety, locally

Usage:
  latent-lint check [paths...]     lint files and folders (default: .)
  latent-lint rules                list the rules with their default severity
  latent-lint --help | --version

check options:
  -f, --format <stylish|json|sarif>
                                   output format (default: stylish); sarif is SARIF 2.1.0
  --staged                         lint the content staged in the git index, not the working tree
  --cache                          reuse results for files whose content and config did not change
  --cache-location <path>          where --cache keeps results (default: .latentlintcache)
  --max-warnings <n>               exit 1 when there are more than n warnings
  --quiet                          report errors only
  --report-unused-disable-directives
                                   report disable comments that suppress nothing
  --no-latent                      rules only; do not load the latent guard

Exit codes: 0 no errors, 1 errors (or too many warnings), 2 usage, configuration or internal error.
`;

class ExitError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

function parseCheckArgs(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', short: 'f', default: 'stylish' },
      'max-warnings': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'report-unused-disable-directives': { type: 'boolean', default: false },
      'no-latent': { type: 'boolean', default: false },
      staged: { type: 'boolean', default: false },
      cache: { type: 'boolean', default: false },
      'cache-location': { type: 'string' },
    },
  });
  if (!(FORMATS as readonly string[]).includes(values.format ?? '')) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  }
  let maxWarnings: number | undefined;
  if (values['max-warnings'] !== undefined) {
    maxWarnings = Number(values['max-warnings']);
    if (!Number.isInteger(maxWarnings) || maxWarnings < 0) throw new UsageError('--max-warnings takes a whole number ≥ 0');
  }
  return {
    paths: positionals.length > 0 ? positionals : ['.'],
    namedPaths: positionals,
    staged: values.staged ?? false,
    cacheLocation: values.cache || values['cache-location'] !== undefined ? path.resolve(values['cache-location'] ?? DEFAULT_CACHE_LOCATION) : undefined,
    format: values.format as OutputFormat,
    maxWarnings,
    quiet: values.quiet ?? false,
    reportUnused: values['report-unused-disable-directives'] ?? false,
    latent: !values['no-latent'],
  };
}

type CheckOptions = ReturnType<typeof parseCheckArgs>;

/** What to lint: files from disk (paths expanded), or blobs from the git index. */
interface Target {
  filePath: string;
  explicit: boolean;
  /** Staged content; absent for files read from disk. */
  read?: () => Buffer;
}

function diskTargets(engine: Engine, options: CheckOptions): Target[] {
  const { files, explicit } = engine.collectFiles(options.paths);
  return files.map((filePath) => ({ filePath, explicit: explicit.has(filePath) }));
}

/** Staged files under the named paths (all staged files when none are named). */
function stagedTargets(options: CheckOptions): Target[] {
  const named = options.namedPaths.map((p) => path.resolve(p));
  const inside = (file: string, dir: string): boolean => file === dir || file.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
  try {
    return stagedFiles(process.cwd())
      .filter((staged) => named.length === 0 || named.some((dir) => inside(staged.filePath, dir)))
      .map((staged) => ({ filePath: staged.filePath, explicit: named.includes(staged.filePath), read: staged.read }));
  } catch (error) {
    if (error instanceof GitError) throw new ExitError(`--staged: ${error.message}`, 2);
    throw error;
  }
}

function skipped(filePath: string, note: string): FileResult {
  return { filePath, format: 'none', findings: [], unusedDirectives: [], notes: [note] };
}

/** Reads a target's bytes, or says why it is not linted (too large, binary). */
function readTarget(engine: Engine, target: Target): { text: string } | { skip: FileResult } {
  let bytes: Buffer;
  try {
    if (!target.read && fs.statSync(target.filePath).size > engine.maxFileBytes) {
      return { skip: skipped(target.filePath, `Skipped: the file is over the ${engine.maxFileBytes}-byte limit for one file.`) };
    }
    bytes = target.read ? target.read() : fs.readFileSync(target.filePath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ExitError(`Cannot read ${target.filePath}: ${code ?? (error as Error).message}`, 2);
  }
  if (bytes.length > engine.maxFileBytes) return { skip: skipped(target.filePath, `Skipped: ${bytes.length} bytes is over the ${engine.maxFileBytes}-byte limit for one file.`) };
  if (bytes.subarray(0, 8000).includes(0)) return { skip: skipped(target.filePath, 'Skipped: binary file (it contains NUL bytes).') };
  return { text: bytes.toString('utf8') };
}

async function lintTarget(
  engine: Engine,
  target: Target,
  options: CheckOptions,
  cache: ResultCache | undefined,
  version: string,
  latentLoaded: boolean,
): Promise<FileResult | undefined> {
  const read = readTarget(engine, target);
  if ('skip' in read) return read.skip;
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
  const cached = cache?.get(target.filePath, key);
  if (cached) return cached;
  const result = await engine.lintText(target.filePath, read.text, { explicit: target.explicit, latent: options.latent, config });
  cache?.set(target.filePath, key, result);
  return result;
}

async function check(args: string[]): Promise<number> {
  const options = parseCheckArgs(args);
  const engine = new Engine({ scorer: createCliScorer() });
  const targets = options.staged ? stagedTargets(options) : diskTargets(engine, options);
  const latentNote = options.latent && targets.length > 0 ? await startCliScorer(engine.scorer) : undefined;
  if (latentNote) process.stderr.write(`latent-lint: ${latentNote}\n`);
  const latentLoaded = cliScorerLoaded(engine.scorer);
  const cache = options.cacheLocation ? new ResultCache(options.cacheLocation) : undefined;
  const version = engineVersion(VERSION);
  const results: FileResult[] = [];
  for (const target of targets) {
    let result: FileResult | undefined;
    try {
      result = await lintTarget(engine, target, options, cache, version, latentLoaded);
    } catch (error) {
      if (error instanceof ConfigError || error instanceof ExitError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new ExitError(`Cannot lint ${target.filePath}: ${code ?? (error as Error).message}`, 2);
    }
    if (!result) continue;
    if (!options.reportUnused) result.unusedDirectives = [];
    if (options.quiet) {
      result.findings = result.findings.filter((f) => f.severity === 'error');
      result.unusedDirectives = result.unusedDirectives.filter((f) => f.severity === 'error');
    }
    results.push(result);
  }
  try {
    cache?.save();
  } catch (error) {
    process.stderr.write(`latent-lint: could not write the cache ${options.cacheLocation}: ${(error as Error).message}\n`);
  }
  await closeCliScorer(engine.scorer);
  const output =
    options.format === 'json'
      ? formatJson(results)
      : options.format === 'sarif'
        ? formatSarif(results, { rules: engine.ruleMetas(), toolVersion: VERSION, informationUri: INFORMATION_URI, notes: latentNote ? [latentNote] : [] })
        : formatStylish(results);
  if (output) process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);

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

function listRules(): number {
  const engine = new Engine({ scorer: createCliScorer() });
  for (const meta of engine.ruleMetas()) {
    process.stdout.write(`${meta.id.padEnd(44)} ${meta.defaultSeverity.padEnd(8)} ${meta.fixable ? 'fix' : '   '}  ${meta.description}\n`);
  }
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      case '-v':
      case '--version':
        process.stdout.write(`${VERSION}\n`);
        return 0;
      case 'check':
        return await check(rest);
      case 'score': {
        const policy = new Engine();
        return await runScoreCommand(rest, async (text) => (await policy.lintText('score.prompt.md', text, { explicit: true })).findings.map((f) => f.ruleId));
      }
      case 'rules':
        return listRules();
      default:
        throw new UsageError(`Unknown command "${command}". Run latent-lint --help.`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError || error instanceof ExitError) {
      process.stderr.write(`latent-lint: ${error.message}\n`);
      return 2;
    }
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`latent-lint: ${(error as Error).message}\n`);
      return 2;
    }
    process.stderr.write(`latent-lint: internal error: ${(error as Error).stack ?? error}\n`);
    return 2;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    () => {
      process.exitCode = 2;
    },
  );
}


