// The `latentLint.*` editor settings, pulled per resource (workspace/configuration) and checked here.
import type { Severity } from '../core/types';

export type RunMode = 'onType' | 'onSave';

/** A settings override by rule pattern (`injection/*`, `secrets/api-key`), as eslint.rules.customizations. */
export interface RuleCustomization {
  rule: string;
  severity: Severity | 'default';
}

export interface LatentLintSettings {
  enable: boolean;
  run: RunMode;
  /** Rule id → severity; `default` leaves the rule to the config files. */
  rules: Record<string, Severity | 'default'>;
  rulesCustomizations: RuleCustomization[];
  /** `maxFileTokens`: the latent guard's token budget for one file (0: the default). */
  model: { enabled: boolean; threshold: number | null; threads: number; maxFileTokens: number; surprisal: boolean };
  timeBudget: { onValidation: { warn: number; error: number } };
  /** Extra globs (relative to the workspace folder) linted as system prompts. */
  documentGlobs: string[];
}

export const DEFAULT_SETTINGS: LatentLintSettings = {
  enable: true,
  run: 'onType',
  rules: {},
  rulesCustomizations: [],
  model: { enabled: true, threshold: null, threads: 0, maxFileTokens: 0, surprisal: false },
  timeBudget: { onValidation: { warn: 500, error: 2000 } },
  documentGlobs: [],
};

const SEVERITIES = new Set(['error', 'warning', 'info', 'off', 'default']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function number(value: unknown, fallback: number, min: number, max: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max ? value : fallback;
}

/** Reads what the client sent, keeping defaults for anything missing or malformed. */
export function normalizeSettings(raw: unknown): LatentLintSettings {
  const settings = structuredClone(DEFAULT_SETTINGS);
  if (!isRecord(raw)) return settings;
  if (typeof raw.enable === 'boolean') settings.enable = raw.enable;
  if (raw.run === 'onType' || raw.run === 'onSave') settings.run = raw.run;
  if (isRecord(raw.rules)) {
    for (const [ruleId, severity] of Object.entries(raw.rules)) {
      if (typeof severity === 'string' && SEVERITIES.has(severity)) settings.rules[ruleId] = severity as Severity | 'default';
    }
  }
  if (Array.isArray(raw.rulesCustomizations)) {
    for (const item of raw.rulesCustomizations) {
      if (isRecord(item) && typeof item.rule === 'string' && typeof item.severity === 'string' && SEVERITIES.has(item.severity)) {
        settings.rulesCustomizations.push({ rule: item.rule, severity: item.severity as Severity | 'default' });
      }
    }
  }
  if (isRecord(raw.model)) {
    if (typeof raw.model.enabled === 'boolean') settings.model.enabled = raw.model.enabled;
    if (raw.model.threshold !== null) settings.model.threshold = number(raw.model.threshold, NaN, 0, 1);
    if (Number.isNaN(settings.model.threshold)) settings.model.threshold = null;
    settings.model.threads = Math.round(number(raw.model.threads, 0, 0, 64));
    settings.model.maxFileTokens = Math.round(number(raw.model.maxFileTokens, 0, 0, 100_000_000));
    if (typeof raw.model.surprisal === 'boolean') settings.model.surprisal = raw.model.surprisal;
  }
  if (isRecord(raw.timeBudget) && isRecord(raw.timeBudget.onValidation)) {
    const budget = raw.timeBudget.onValidation;
    settings.timeBudget.onValidation.warn = number(budget.warn, DEFAULT_SETTINGS.timeBudget.onValidation.warn, 0, 600_000);
    settings.timeBudget.onValidation.error = number(budget.error, DEFAULT_SETTINGS.timeBudget.onValidation.error, 0, 600_000);
  }
  if (Array.isArray(raw.documentGlobs)) settings.documentGlobs = raw.documentGlobs.filter((glob): glob is string => typeof glob === 'string');
  return settings;
}

function patternMatches(pattern: string, ruleId: string): boolean {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`).test(ruleId);
}

/**
 * The severity the settings give a rule, or undefined to leave it to the config files.
 * Customizations apply in order, the last match winning; `rules` (one entry per rule) wins over them.
 */
export function settingsSeverity(settings: LatentLintSettings, ruleId: string): Severity | undefined {
  let severity: Severity | 'default' | undefined;
  for (const customization of settings.rulesCustomizations) {
    if (patternMatches(customization.rule, ruleId)) severity = customization.severity;
  }
  const direct = settings.rules[ruleId];
  if (direct !== undefined && direct !== 'default') severity = direct;
  return severity === 'default' ? undefined : severity;
}
