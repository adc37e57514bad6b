// The command line: `check`, `score` and `rules` on the same engine the language server runs
// (ltex-ls habit). The bundle's entry (dist/server/cli.js, run by bin/latent-lint.js).
import { ConfigError } from '../engine/config';
import { Engine, UsageError } from '../engine/engine';
import { VERSION } from '../version';
import { check, cliGuard } from './check';
import { ExitError } from './exit-error';
import { runScoreCommand } from './score';
import { lintScoredText } from './score-lint';

const HELP = `latent-lint ${VERSION} — lint prompt files and agent tool definitions for safety, locally

Usage:
  latent-lint check [options] [paths...]   lint files and folders (default: .)
  latent-lint score --jsonl IN --out OUT   score raw texts with the latent guard, for evaluation
  latent-lint rules                        list the rules with their default severity
  latent-lint <command> --help             options of one command
  latent-lint --help | --version

Exit codes: 0 no errors, 1 errors (or too many warnings), 2 usage, configuration or internal error.
`;

const RULES_HELP = `Usage: latent-lint rules

Lists every rule: its id, default severity (and its severity under \`extends: strict\` where that
is higher), "fix" when --fix can solve it, and what it finds.
`;

function listRules(args: string[]): number {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(RULES_HELP);
    return 0;
  }
  if (args.length > 0) throw new UsageError(`rules takes no arguments, got "${args[0]}". Run latent-lint rules --help.`);
  const engine = new Engine({ scorer: cliGuard() });
  for (const meta of engine.ruleMetas()) {
    const severity = meta.strictSeverity ? `${meta.defaultSeverity} (strict: ${meta.strictSeverity})` : meta.defaultSeverity;
    process.stdout.write(`${meta.id.padEnd(44)} ${severity.padEnd(24)} ${meta.fixable ? 'fix' : '   '}  ${meta.description}\n`);
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
        const engine = new Engine();
        return await runScoreCommand(rest, (text, kind, scorer, threshold) => lintScoredText(engine, text, kind, scorer, threshold));
      }
      case 'rules':
        return listRules(rest);
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


