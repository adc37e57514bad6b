import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import type { Severity } from '../core/types';

export const CONFIG_FILE_NAME = '.latentlint.yaml';
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info', 'off'];

/**
 * Shared configurations a `.latentlint.yaml` can extend, as ESLint's `recommended` and `strict`:
 * `recommended` is the default severities; `strict` also raises the best-practice rules to their
 * `strictSeverity`. Preset name → rule id → severity.
 */
export type Presets = Record<string, Record<string, Severity>>;
export const PRESET_NAMES = ['recommended', 'strict'] as const;

export interface RuleSetting {
  severity?: Severity;
  options: Record<string, unknown>;
}

/** The resolved configuration for one file: data only, merged from the root down. */
export interface LintConfig {
  minSeverity: Exclude<Severity, 'off'>;
  rules: Record<string, RuleSetting>;
  latent: { enabled: boolean; threshold?: number; threads?: number };
  /** Extra globs (relative to the config's folder) linted as plain system prompts. */
  promptFiles: string[];
  /** Extra ignore patterns, gitignore syntax, relative to the config's folder. */
  ignorePatterns: { base: string; pattern: string }[];
  /** Files the configuration came from, nearest last. */
  sources: string[];
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    reason: string,
  ) {
    super(`${file}: invalid configuration at "${key}": ${reason}`);
    this.name = 'ConfigError';
  }
}

export function defaultConfig(): LintConfig {
  return {
    minSeverity: 'info',
    rules: {},
    latent: { enabled: true },
    promptFiles: [],
    ignorePatterns: [],
    sources: [],
  };
}

interface ConfigLayer {
  file: string;
  root: boolean;
  /** Presets this file extends, applied before its own `rules`. */
  extends: string[];
  minSeverity?: Exclude<Severity, 'off'>;
  rules: Record<string, RuleSetting>;
  latent: Partial<LintConfig['latent']>;
  promptFiles: string[];
  ignore: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseSeverity(file: string, key: string, value: unknown): Severity {
  if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) return value as Severity;
  throw new ConfigError(file, key, `expected one of ${SEVERITIES.join(', ')}, got ${JSON.stringify(value)}`);
}

function stringList(file: string, key: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
    throw new ConfigError(file, key, 'expected a list of strings');
  }
  return value as string[];
}

/** Parses one `.latentlint.yaml`; throws ConfigError naming the key and the reason. */
export function parseConfigText(file: string, text: string, knownRuleIds?: ReadonlySet<string>): ConfigLayer {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    const line = first.linePos?.[0];
    throw new ConfigError(file, line ? `line ${line.line}:${line.col}` : '(document)', `YAML syntax: ${first.message.split('\n')[0]}`);
  }
  const data: unknown = doc.toJS() ?? {};
  if (!isRecord(data)) throw new ConfigError(file, '(document)', 'expected a mapping at the top level');

  const layer: ConfigLayer = { file, root: false, extends: [], rules: {}, latent: {}, promptFiles: [], ignore: [] };
  for (const [key, value] of Object.entries(data)) {
    switch (key) {
      case 'root':
        if (typeof value !== 'boolean') throw new ConfigError(file, key, 'expected true or false');
        layer.root = value;
        break;
      case 'extends': {
        const names = typeof value === 'string' ? [value] : stringList(file, key, value);
        for (const name of names) {
          if (!(PRESET_NAMES as readonly string[]).includes(name)) throw new ConfigError(file, key, `unknown preset ${JSON.stringify(name)} (expected ${PRESET_NAMES.join(' or ')})`);
        }
        layer.extends = names;
        break;
      }
      case 'minSeverity': {
        const severity = parseSeverity(file, key, value);
        if (severity === 'off') throw new ConfigError(file, key, 'expected error, warning or info');
        layer.minSeverity = severity;
        break;
      }
      case 'rules':
        if (!isRecord(value)) throw new ConfigError(file, key, 'expected a mapping of rule id to severity');
        for (const [ruleId, setting] of Object.entries(value)) {
          const ruleKey = `rules.${ruleId}`;
          if (knownRuleIds && !knownRuleIds.has(ruleId)) {
            throw new ConfigError(file, ruleKey, 'unknown rule id (run `latent-lint rules` to list them)');
          }
          if (typeof setting === 'string') {
            layer.rules[ruleId] = { severity: parseSeverity(file, ruleKey, setting), options: {} };
          } else if (isRecord(setting)) {
            const { severity, ...options } = setting;
            layer.rules[ruleId] = {
              severity: severity === undefined ? undefined : parseSeverity(file, `${ruleKey}.severity`, severity),
              options,
            };
          } else {
            throw new ConfigError(file, ruleKey, 'expected a severity or a mapping with `severity` and options');
          }
        }
        break;
      case 'latent':
        if (!isRecord(value)) throw new ConfigError(file, key, 'expected a mapping');
        for (const [latentKey, latentValue] of Object.entries(value)) {
          const fullKey = `latent.${latentKey}`;
          if (latentKey === 'enabled') {
            if (typeof latentValue !== 'boolean') throw new ConfigError(file, fullKey, 'expected true or false');
            layer.latent.enabled = latentValue;
          } else if (latentKey === 'threshold') {
            if (typeof latentValue !== 'number' || latentValue < 0 || latentValue > 1) {
              throw new ConfigError(file, fullKey, 'expected a probability between 0 and 1');
            }
            layer.latent.threshold = latentValue;
          } else if (latentKey === 'threads') {
            if (!Number.isInteger(latentValue) || (latentValue as number) < 1 || (latentValue as number) > 64) {
              throw new ConfigError(file, fullKey, 'expected a whole number from 1 to 64');
            }
            layer.latent.threads = latentValue as number;
          } else {
            throw new ConfigError(file, fullKey, 'unknown key (expected enabled, threshold or threads)');
          }
        }
        break;
      case 'promptFiles':
        layer.promptFiles = stringList(file, key, value);
        break;
      case 'ignore':
        layer.ignore = stringList(file, key, value);
        break;
      default:
        throw new ConfigError(file, key, 'unknown key (expected root, extends, minSeverity, rules, latent, promptFiles or ignore)');
    }
  }
  return layer;
}

/** Finds and merges `.latentlint.yaml` files from a folder up to the root (or a `root: true` file). */
export class ConfigResolver {
  private readonly layerCache = new Map<string, ConfigLayer | null>();

  constructor(
    private readonly knownRuleIds?: ReadonlySet<string>,
    private readonly presets: Presets = {},
  ) {}

  /** Forget cached files, e.g. when a config file changed. */
  clear(): void {
    this.layerCache.clear();
  }

  private layerIn(dir: string): ConfigLayer | null {
    const cached = this.layerCache.get(dir);
    if (cached !== undefined) return cached;
    const file = path.join(dir, CONFIG_FILE_NAME);
    let layer: ConfigLayer | null = null;
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) layer = parseConfigText(file, text, this.knownRuleIds);
    this.layerCache.set(dir, layer);
    return layer;
  }

  resolveForFile(filePath: string): LintConfig {
    return this.resolveForDir(path.dirname(path.resolve(filePath)));
  }

  resolveForDir(startDir: string): LintConfig {
    const layers: ConfigLayer[] = [];
    let dir = path.resolve(startDir);
    for (;;) {
      const layer = this.layerIn(dir);
      if (layer) {
        layers.unshift(layer);
        if (layer.root) break;
      }
      const parent = path.dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    return mergeLayers(layers, this.presets);
  }
}

function mergeLayers(layers: ConfigLayer[], presets: Presets): LintConfig {
  const config = defaultConfig();
  for (const layer of layers) {
    const base = path.dirname(layer.file);
    if (layer.minSeverity) config.minSeverity = layer.minSeverity;
    // A preset is this layer's starting point: the file's own `rules` below still win.
    for (const name of layer.extends) {
      for (const [ruleId, severity] of Object.entries(presets[name] ?? {})) config.rules[ruleId] = { severity, options: config.rules[ruleId]?.options ?? {} };
    }
    for (const [ruleId, setting] of Object.entries(layer.rules)) {
      const previous = config.rules[ruleId];
      config.rules[ruleId] = {
        severity: setting.severity ?? previous?.severity,
        options: { ...previous?.options, ...setting.options },
      };
    }
    config.latent = { ...config.latent, ...layer.latent };
    config.promptFiles.push(...layer.promptFiles.map((glob) => path.join(base, glob)));
    config.ignorePatterns.push(...layer.ignore.map((pattern) => ({ base, pattern })));
    config.sources.push(layer.file);
  }
  return config;
}
