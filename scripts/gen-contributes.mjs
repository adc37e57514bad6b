// Generates package.json `contributes` (commands, menus, keybindings, settings) from the rule
// registry, so a rule's setting is never kept by hand (Harper's habit).
//   node scripts/gen-contributes.mjs           rewrite package.json's `contributes`
//   node scripts/gen-contributes.mjs --check   exit 1 if package.json is out of date
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const packagePath = path.join(root, 'package.json');

/** Every rule's metadata: the policy rules, the engine's own checks, and the latent guard's. */
export async function ruleMetas() {
  const load = (file) => tsImport(pathToImport(file), import.meta.url);
  const [{ RULES }, engine, scorer] = await Promise.all([
    load('server/src/rules/index.ts'),
    load('server/src/engine/engine.ts'),
    // The latent guard's rules, once it is part of the tree.
    fs.existsSync(path.join(root, 'server/src/latent/scorer.ts')) ? load('server/src/latent/scorer.ts') : {},
  ]);
  const latent = Object.values(scorer).filter((value) => value && typeof value === 'object' && typeof value.id === 'string' && value.category === 'latent');
  const metas = [...RULES.map((rule) => rule.meta), engine.PARSE_RULE, engine.UNUSED_DIRECTIVE_RULE, ...latent];
  return [...new Map(metas.map((meta) => [meta.id, meta])).values()].sort((a, b) => a.id.localeCompare(b.id));
}

function pathToImport(file) {
  return `../${file}`;
}

const CATEGORY = 'Latent Lint';

const COMMANDS = [
  { command: 'latentLint.scanWorkspace', title: 'Scan Workspace', icon: '$(search)' },
  { command: 'latentLint.scanFile', title: 'Scan Current File' },
  { command: 'latentLint.explainSelection', title: 'Explain Selection', icon: '$(telescope)' },
  { command: 'latentLint.showOutput', title: 'Show Output' },
  { command: 'latentLint.createConfig', title: 'Create Configuration File' },
  { command: 'latentLint.openRuleDocumentation', title: 'Open Rule Documentation' },
  { command: 'latentLint.retryModel', title: 'Retry Loading the Model' },
];

const SEVERITY_ENUM = ['default', 'error', 'warning', 'info', 'off'];

export function contributes(metas) {
  const ruleProperties = Object.fromEntries(
    metas.map((meta) => [
      meta.id,
      {
        type: 'string',
        enum: SEVERITY_ENUM,
        default: 'default',
        markdownDescription: `${meta.description} (default: \`${meta.defaultSeverity}\`${meta.strictSeverity ? `, \`${meta.strictSeverity}\` under \`extends: strict\`` : ''}${meta.fixable ? ', fixable' : ''}; [docs](${meta.docsUrl}))`,
      },
    ]),
  );
  return {
    commands: COMMANDS.map(({ command, title, icon }) => ({ command, title, category: CATEGORY, ...(icon ? { icon } : {}) })),
    menus: {
      commandPalette: [
        { command: 'latentLint.scanFile', when: 'editorIsOpen' },
        { command: 'latentLint.explainSelection', when: 'editorIsOpen' },
      ],
      'editor/context': [{ command: 'latentLint.explainSelection', when: 'editorHasSelection', group: 'latentLint@1' }],
      'explorer/context': [{ command: 'latentLint.scanWorkspace', when: 'explorerResourceIsRoot', group: 'latentLint@1' }],
    },
    keybindings: [{ command: 'latentLint.explainSelection', key: 'ctrl+alt+e', mac: 'cmd+alt+e', when: 'editorTextFocus && editorHasSelection' }],
    configuration: {
      title: CATEGORY,
      properties: {
        'latentLint.enable': { type: 'boolean', default: true, scope: 'resource', description: 'Lint prompt files and agent tool definitions.' },
        'latentLint.run': {
          type: 'string',
          enum: ['onType', 'onSave'],
          enumDescriptions: ['Lint as you type (rules at once, the latent guard after a short pause).', 'Lint when the file is saved.'],
          default: 'onType',
          scope: 'resource',
          description: 'When to lint.',
        },
        'latentLint.rules': {
          type: 'object',
          scope: 'resource',
          default: {},
          markdownDescription: 'Severity per rule; `default` leaves the rule to `.latentlint.yaml`. Editor settings win over config files.',
          properties: ruleProperties,
          additionalProperties: { type: 'string', enum: SEVERITY_ENUM },
        },
        'latentLint.rulesCustomizations': {
          type: 'array',
          scope: 'resource',
          default: [],
          markdownDescription: 'Severity by rule pattern, applied in order (the last match wins; `latentLint.rules` wins over these), e.g. `{"rule": "secrets/*", "severity": "warning"}`.',
          items: {
            type: 'object',
            required: ['rule', 'severity'],
            properties: {
              rule: { type: 'string', description: 'A rule id, or a pattern with `*`.' },
              severity: { type: 'string', enum: SEVERITY_ENUM },
            },
          },
        },
        'latentLint.model.enabled': {
          type: 'boolean',
          default: true,
          scope: 'window',
          description: 'Run the latent guard (a local model, no network). Off: policy rules only.',
        },
        'latentLint.model.threshold': {
          type: ['number', 'null'],
          minimum: 0,
          maximum: 1,
          default: null,
          scope: 'machine-overridable',
          markdownDescription: 'Probability at or above which the latent guard flags text; `null` keeps the calibrated threshold. Not applied in Restricted Mode.',
        },
        'latentLint.model.threads': {
          type: 'integer',
          minimum: 0,
          maximum: 64,
          default: 0,
          scope: 'machine-overridable',
          markdownDescription: 'Threads for the model (onnxruntime); `0` chooses for this machine. Not applied in Restricted Mode.',
        },
        'latentLint.model.maxFileTokens': {
          type: 'integer',
          minimum: 0,
          default: 0,
          scope: 'machine-overridable',
          markdownDescription:
            'Tokens the latent guard may read in one file (about 2,000-4,000 a second on two cores); past it the rest of the file is not scored and `latent/budget-exceeded` says which lines. `0` keeps the default (100,000). Not applied in Restricted Mode.',
        },
        'latentLint.timeBudget.onValidation': {
          type: 'object',
          scope: 'window',
          default: { warn: 500, error: 2000 },
          properties: {
            warn: { type: 'number', minimum: 0, description: 'Milliseconds after which a slow validation is logged and you are told once.' },
            error: { type: 'number', minimum: 0, description: 'Milliseconds after which it is reported as an error.' },
          },
          markdownDescription: 'Time budget for linting one file with the policy rules (the latent guard runs in the background).',
        },
        'latentLint.documentGlobs': {
          type: 'array',
          items: { type: 'string' },
          default: [],
          scope: 'resource',
          markdownDescription: 'Extra files to lint as system prompts, as globs relative to the workspace folder (e.g. `prompts/**/*.txt`).',
        },
        'latentLint.trace.server': {
          type: 'string',
          enum: ['off', 'messages', 'verbose'],
          default: 'off',
          scope: 'window',
          description: 'Trace the messages between VS Code and the Latent Lint server (in the output).',
        },
      },
    },
  };
}

async function main() {
  const text = fs.readFileSync(packagePath, 'utf8');
  const pkg = JSON.parse(text);
  pkg.contributes = { ...pkg.contributes, ...contributes(await ruleMetas()) };
  const next = `${JSON.stringify(pkg, null, 2)}\n`;
  if (process.argv.includes('--check')) {
    if (next !== text) {
      console.error('package.json `contributes` is out of date: run `node scripts/gen-contributes.mjs`.');
      process.exit(1);
    }
    console.log('package.json contributes is up to date.');
    return;
  }
  if (next !== text) fs.writeFileSync(packagePath, next);
  console.log(`package.json contributes: ${pkg.contributes.commands.length} commands, ${Object.keys(pkg.contributes.configuration.properties['latentLint.rules'].properties).length} rules.`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
