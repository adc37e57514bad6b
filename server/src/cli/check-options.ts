// `latent-lint check`'s command line: its help text and its options, checked (a bad value is a UsageError, exit 2).
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../engine/engine';
import { isPrecision, type Precision } from '../latent/cpu-features';
import { DEFAULT_MAX_RUN_TOKENS } from '../latent/scorer';

const FORMATS = ['stylish', 'json', 'sarif'] as const;
const DEFAULT_CACHE_LOCATION = '.latentlintcache';
export type OutputFormat = (typeof FORMATS)[number];

export const CHECK_HELP = `Usage: latent-lint check [options] [paths...]

Lints files and folders (default: .). Folders are walked for the files a format reads (prompt,
instruction, agent and skill files, tool and MCP JSON, Prompty, Dotprompt, CrewAI YAML) and for
the promptFiles globs of .latentlint.yaml; .latentlintignore and \`ignore\` are respected. A file
named on the command line is always linted.

Options:
  -f, --format <stylish|json|sarif>  output format (default: stylish); json is ESLint's shape,
                                     sarif is SARIF 2.1.0 for code scanning
  --fix                              apply the rules' fixes to the files, then report what is left
  --fix-dry-run                      compute the fixes without writing (json: each result's "output")
  --staged                           lint the content staged in the git index (not with --fix)
  --cache                            reuse results for files whose content and config did not change
  --cache-location <path>            where --cache keeps results (default: .latentlintcache)
  --max-warnings <n>                 exit 1 when there are more than n warnings
  --quiet                            report errors only (and fix only errors)
  --report-unused-disable-directives report latent-lint-disable comments that suppress nothing
  --no-latent                        rules only; do not load the latent guard
  --surprisal                        also read the adversarial-suffix signal (latent/jailbreak from
                                     the full model's next-token surprisal): finds optimised suffixes,
                                     but scans take several times longer and about 0.6-1.2 GB more
                                     memory (off by default; \`latent-lint score\` reads it by default)
  --precision <auto|fp32|int8>       auto (default): where the CPU has int8 dot products (AVX512-VNNI,
                                     AVX-VNNI, AMX) an int8 copy of the guard graph reads every unit
                                     first and units near a threshold are read again in fp32 (the
                                     same flags, faster); fp32: fp32 only; int8: the screen anyway
                                     (also $LATENT_LINT_PRECISION)
  -j, --jobs <n>                     onnxruntime threads for the latent guard, and files read and
                                     linted side by side while it runs (default: the cores available)
  --max-file-tokens <n>              tokens the latent guard may read in one file (default 100000:
                                     under a minute on two fast cores, minutes on a slow or busy
                                     machine); past it latent/budget-exceeded
                                     names the lines it did not score
  --max-run-tokens <n>               tokens it may read in the whole run (default 1000000)
  --progress                         report the latent guard's progress on stderr (on by default
                                     when stderr is a terminal)
  -h, --help                         this help

Ctrl-C (SIGINT) stops at once: the files finished so far are reported, the cache is saved, and the
exit code is 130.

Exit codes: 0 no errors, 1 errors (or more warnings than --max-warnings), 2 usage, configuration or
internal error; 130 interrupted.
`;

export function parseCheckArgs(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      format: { type: 'string', short: 'f', default: 'stylish' },
      'max-warnings': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'report-unused-disable-directives': { type: 'boolean', default: false },
      'no-latent': { type: 'boolean', default: false },
      surprisal: { type: 'boolean', default: false },
      precision: { type: 'string' },
      staged: { type: 'boolean', default: false },
      cache: { type: 'boolean', default: false },
      'cache-location': { type: 'string' },
      fix: { type: 'boolean', default: false },
      'fix-dry-run': { type: 'boolean', default: false },
      jobs: { type: 'string', short: 'j' },
      'max-file-tokens': { type: 'string' },
      'max-run-tokens': { type: 'string' },
      progress: { type: 'boolean' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const tokens = (flag: 'max-file-tokens' | 'max-run-tokens'): number | undefined => {
    if (values[flag] === undefined) return undefined;
    const value = Number(values[flag]);
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`--${flag} takes a whole number ≥ 1`);
    return value;
  };
  if ((values.fix || values['fix-dry-run']) && values.staged) throw new UsageError('--fix and --fix-dry-run cannot be used with --staged (the index is not the working tree)');
  if (!(FORMATS as readonly string[]).includes(values.format ?? '')) {
    throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  }
  let maxWarnings: number | undefined;
  if (values['max-warnings'] !== undefined) {
    maxWarnings = Number(values['max-warnings']);
    if (!Number.isInteger(maxWarnings) || maxWarnings < 0) throw new UsageError('--max-warnings takes a whole number ≥ 0');
  }
  let precision: Precision | undefined;
  if (values.precision !== undefined) {
    if (!isPrecision(values.precision)) throw new UsageError(`--precision must be auto, fp32 or int8, got "${values.precision}"`);
    precision = values.precision;
  }
  let jobs = os.availableParallelism();
  if (values.jobs !== undefined) {
    jobs = Number(values.jobs);
    if (!Number.isInteger(jobs) || jobs < 1) throw new UsageError('--jobs takes a whole number ≥ 1');
  }
  return {
    jobs,
    paths: positionals.length > 0 ? positionals : ['.'],
    namedPaths: positionals,
    staged: values.staged ?? false,
    cacheLocation: values.cache || values['cache-location'] !== undefined ? path.resolve(values['cache-location'] ?? DEFAULT_CACHE_LOCATION) : undefined,
    format: values.format as OutputFormat,
    maxWarnings,
    quiet: values.quiet ?? false,
    reportUnused: values['report-unused-disable-directives'] ?? false,
    latent: !values['no-latent'],
    surprisal: values.surprisal ?? false,
    precision,
    fix: values.fix ?? false,
    fixDryRun: values['fix-dry-run'] ?? false,
    maxFileTokens: tokens('max-file-tokens'),
    maxRunTokens: tokens('max-run-tokens') ?? DEFAULT_MAX_RUN_TOKENS,
    progress: values.progress ?? process.stderr.isTTY === true,
    help: values.help ?? false,
  };
}

export type CheckOptions = ReturnType<typeof parseCheckArgs>;
