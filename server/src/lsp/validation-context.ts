// What applies to one open document: its config files, then the editor's settings, then what
// Restricted Mode allows; whether it is ignored, named by the user's globs, and read by the guard.
import * as path from 'node:path';
import type { Severity } from '../core/types';
import type { LintConfig } from '../engine/config';
import { matchesGlobs, type Engine } from '../engine/engine';
import type { LatentGuard } from '../latent';
import { URI } from '../uri';
import { settingsSeverity, type LatentLintSettings } from './settings';

export interface ValidationContext {
  filePath: string;
  config: LintConfig;
  settings: LatentLintSettings;
  /** Severities the editor settings give rules; the engine applies them over the config files. */
  severityOverrides: Record<string, Severity>;
  explicit: boolean;
  ignored: boolean;
  latent: boolean;
}

/** What resolving a context needs from the connection. */
export interface ContextHost {
  settings(uri: string): Promise<LatentLintSettings>;
  /** Workspace folder paths, to resolve the user's document globs. */
  folders(): string[];
  trusted: boolean;
  log(level: 'info' | 'warning' | 'error', message: string): void;
  notify(level: 'warning' | 'error', message: string): void;
}

export class ContextResolver {
  /** Restricted Mode's notice is given once per session. */
  private toldRestricted = false;

  constructor(
    private readonly engine: Engine,
    private readonly host: ContextHost,
  ) {}

  /** The configuration for a file: config files, then editor settings, then what trust allows. */
  async resolve(uri: string, guard: LatentGuard | undefined, settings?: LatentLintSettings): Promise<ValidationContext> {
    settings ??= await this.host.settings(uri);
    const filePath = URI.toFilePath(uri);
    let config = this.engine.configs.resolveForFile(filePath);
    const ignoredByWorkspace = uri.startsWith('file:') && this.engine.ignores.isIgnored(filePath, config.ignorePatterns);
    if (!this.host.trusted) {
      // A copy: what Restricted Mode sets aside stays out of this context only.
      config = { ...config, rules: { ...config.rules }, latent: { ...config.latent }, ignorePatterns: [...config.ignorePatterns], promptFiles: [...config.promptFiles] };
      this.restrict(config, filePath);
    }
    const severityOverrides: Record<string, Severity> = {};
    for (const meta of this.engine.ruleMetas()) {
      const severity = settingsSeverity(settings, meta.id);
      if (severity) severityOverrides[meta.id] = severity;
    }
    // In Restricted Mode the workspace's ignore files and patterns do not hide a file.
    const ignored = this.host.trusted && ignoredByWorkspace;
    const explicit = this.matchesDocumentGlobs(filePath, settings);
    // A guard that cannot run (no model, no calibration) is not asked again on every keystroke.
    const usable = !!guard && guard.state().status !== 'failed';
    const latent = usable && settings.model.enabled && config.latent.enabled;
    return { filePath, config, settings, severityOverrides, explicit, ignored, latent };
  }

  /**
   * Restricted Mode: an untrusted folder's config files may not weaken the checks (a planted
   * `.latentlint.yaml` or `.latentlintignore` could hide exactly the finding that matters): severities
   * below a rule's default, `off`, rule options, a raised minSeverity, `ignore`, the latent guard
   * turned off. They may not widen what runs (promptFiles) or tune the model either. Raising a
   * severity stays. What was set aside is said once, in a notification and the log.
   */
  private restrict(config: LintConfig, filePath: string): void {
    const set: string[] = [];
    const rank = { off: -1, info: 0, warning: 1, error: 2 } as const;
    const defaults = new Map(this.engine.ruleMetas().map((meta) => [meta.id, meta.defaultSeverity]));
    for (const [ruleId, setting] of Object.entries(config.rules)) {
      const fallback = defaults.get(ruleId);
      const lowered = setting.severity !== undefined && fallback !== undefined && rank[setting.severity] < rank[fallback];
      if (lowered) set.push(`${ruleId}: ${setting.severity}`);
      if (Object.keys(setting.options).length > 0) set.push(`${ruleId} options`);
      config.rules[ruleId] = { severity: lowered ? undefined : setting.severity, options: {} };
    }
    if (config.minSeverity !== 'info') set.push(`minSeverity: ${config.minSeverity}`);
    config.minSeverity = 'info';
    if (!config.latent.enabled) set.push('latent.enabled: false');
    if (config.ignorePatterns.length > 0) set.push(`ignore: ${config.ignorePatterns.map((entry) => entry.pattern).join(', ')}`);
    const ignoreFiles = this.engine.ignores.filesFor(filePath);
    if (ignoreFiles.length > 0) set.push(`the ignore files ${ignoreFiles.join(', ')}`);
    config.ignorePatterns = [];
    config.promptFiles = [];
    config.latent = { enabled: true };
    if (set.length === 0 || this.toldRestricted) return;
    this.toldRestricted = true;
    const where = config.sources.length ? ` (${config.sources.join(', ')})` : '';
    const message = `Restricted Mode: Latent Lint ignores workspace configuration that would weaken its checks${where}: ${set.join('; ')}. Trust the folder to apply it.`;
    this.host.log('warning', message);
    this.host.notify('warning', message);
  }

  private matchesDocumentGlobs(filePath: string, settings: LatentLintSettings): boolean {
    if (settings.documentGlobs.length === 0) return false;
    // Relative globs are relative to each workspace folder; absolute ones stand as they are.
    return this.host.folders().some((folder) =>
      matchesGlobs(filePath, settings.documentGlobs.map((glob) => (path.isAbsolute(glob) ? glob : path.join(folder, glob)))),
    );
  }
}
