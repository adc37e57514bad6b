// The command line: the same engine the language server runs (ltex-ls habit).
import { parseArgs } from 'node:util';
import type { FileResult } from './core/types';
import { ConfigError } from './engine/config';
import { Engine, UsageError } from './engine/engine';
import { formatJson } from './report/json';
import { formatStylish } from './report/stylish';

const VERSION = '0.1.0';
const FORMATS = ['stylish', 'json'] as const;
type OutputFormat = (typeof FORMATS)[number];

const HELP = `latent-lint ${VERSION} — lint prompt files and agent tool definitions for safety, locally

Usage:
  latent-lint check [paths...]     lint files and folders (default: .)
  latent-lint rules                list the rules with their default severity
  latent-lint --help | --version

check options:
  -f, --format <stylish|json>      output format (default: stylish)
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
    format: values.format as OutputFormat,
    maxWarnings,
    quiet: values.quiet ?? false,
    reportUnused: values['report-unused-disable-directives'] ?? false,
    latent: !values['no-latent'],
  };
}

async function check(args: string[]): Promise<number> {
  const options = parseCheckArgs(args);
  const engine = new Engine();
  const { files, explicit } = engine.collectFiles(options.paths);
  const results: FileResult[] = [];
  for (const file of files) {
    let result: FileResult;
    try {
      result = await engine.lintFile(file, { explicit: explicit.has(file), latent: options.latent });
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      throw new ExitError(`Cannot read ${file}: ${code ?? (error as Error).message}`, 2);
    }
    if (!options.reportUnused) result.unusedDirectives = [];
    if (options.quiet) {
      result.findings = result.findings.filter((f) => f.severity === 'error');
      result.unusedDirectives = result.unusedDirectives.filter((f) => f.severity === 'error');
    }
    results.push(result);
  }
  const output = options.format === 'json' ? formatJson(results) : formatStylish(results);
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
  const engine = new Engine();
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


