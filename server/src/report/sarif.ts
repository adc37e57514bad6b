// SARIF 2.1.0, with ESLint's habits: error→error, warning→warning, info→note; rules listed once with
// their doc links; findings silenced in source kept as results with an `inSource` suppression.
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FileResult, Finding, RuleMeta } from '../core/types';

const LEVEL = { error: 'error', warning: 'warning', info: 'note' } as const;
const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const SRCROOT = '%SRCROOT%';

export interface SarifOptions {
  /** Every rule the engine knows; results point into the subset that fired. */
  rules: readonly RuleMeta[];
  toolVersion: string;
  informationUri?: string;
  /** Paths under it are written relative to `%SRCROOT%`, as code scanning expects. */
  cwd?: string;
  /** False when the run failed part-way (an internal error), so consumers do not read it as clean. */
  executionSuccessful?: boolean;
  /** Run-wide notes (the latent guard could not load), reported as tool notifications. */
  notes?: string[];
  /** Each file's text, for fingerprints that survive lines moving. */
  texts?: ReadonlyMap<string, string>;
}

/**
 * `partialFingerprints` so code scanning can follow a finding across commits: the rule, the text the
 * finding covers (whitespace folded) and how many times that pair came before in the file. Lines
 * added above do not change it; editing the flagged text does.
 */
function fingerprint(finding: Finding, text: string | undefined, seen: Map<string, number>): string {
  const covered = text === undefined ? `${finding.range.start.line}` : text.slice(finding.span.start, finding.span.end).replace(/\s+/g, ' ').trim();
  const key = `${finding.ruleId}\u0000${covered}`;
  const occurrence = seen.get(key) ?? 0;
  seen.set(key, occurrence + 1);
  return `${createHash('sha256').update(`${key}\u0000${occurrence}`).digest('hex').slice(0, 32)}:${occurrence + 1}`;
}

interface SarifRule {
  id: string;
  shortDescription: { text: string };
  helpUri?: string;
  defaultConfiguration?: { level: string };
  properties: { category: string };
}

function artifactLocation(filePath: string, cwd: string): { uri: string; uriBaseId?: string } {
  const relative = path.relative(cwd, filePath);
  if (relative && !relative.startsWith('..') && !path.isAbsolute(relative)) {
    return { uri: relative.split(path.sep).map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
  }
  return { uri: pathToFileURL(filePath).href };
}

export function formatSarif(results: FileResult[], options: SarifOptions): string {
  const cwd = options.cwd ?? process.cwd();
  const metas = new Map(options.rules.map((meta) => [meta.id, meta]));
  const rules: SarifRule[] = [];
  const ruleIndex = new Map<string, number>();
  const indexOf = (finding: Finding): number => {
    const known = ruleIndex.get(finding.ruleId);
    if (known !== undefined) return known;
    const meta = metas.get(finding.ruleId);
    rules.push({
      id: finding.ruleId,
      shortDescription: { text: meta?.description ?? finding.ruleId },
      ...(meta?.docsUrl || finding.docsUrl ? { helpUri: meta?.docsUrl ?? finding.docsUrl } : {}),
      ...(meta ? { defaultConfiguration: { level: LEVEL[meta.defaultSeverity] } } : {}),
      properties: { category: meta?.category ?? finding.ruleId.split('/')[0] },
    });
    ruleIndex.set(finding.ruleId, rules.length - 1);
    return rules.length - 1;
  };

  const artifacts: { location: { uri: string; uriBaseId?: string } }[] = [];
  const sarifResults: Record<string, unknown>[] = [];
  const notifications: Record<string, unknown>[] = (options.notes ?? []).map((note) => ({ level: 'warning', message: { text: note } }));
  for (const result of results) {
    const location = artifactLocation(result.filePath, cwd);
    const findings = [...result.findings, ...result.unusedDirectives];
    for (const note of result.notes) {
      notifications.push({ level: 'note', message: { text: note }, locations: [{ physicalLocation: { artifactLocation: location } }] });
    }
    if (findings.length === 0) continue;
    artifacts.push({ location });
    const artifactIndex = artifacts.length - 1;
    const text = options.texts?.get(result.filePath);
    const seen = new Map<string, number>();
    const region = (finding: Finding) => ({
      startLine: finding.range.start.line + 1,
      startColumn: finding.range.start.character + 1,
      endLine: finding.range.end.line + 1,
      endColumn: finding.range.end.character + 1,
    });
    for (const finding of findings) {
      sarifResults.push({
        level: LEVEL[finding.severity],
        message: { text: finding.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { ...location, index: artifactIndex },
              region: region(finding),
            },
          },
        ],
        ...(finding.related?.length
          ? {
              relatedLocations: finding.related.map((other, id) => ({
                id,
                physicalLocation: { artifactLocation: { ...location, index: artifactIndex }, region: region(other) },
                message: { text: `${other.ruleId}: ${other.message}` },
              })),
            }
          : {}),
        partialFingerprints: { 'latentLintFinding/v1': fingerprint(finding, text, seen) },
        ruleId: finding.ruleId,
        ruleIndex: indexOf(finding),
        ...(finding.suppressed
          ? { suppressions: [{ kind: 'inSource', ...(finding.suppressed.justification ? { justification: finding.suppressed.justification } : {}) }] }
          : {}),
      });
    }
  }

  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'latent-lint',
            ...(options.informationUri ? { informationUri: options.informationUri } : {}),
            version: options.toolVersion,
            rules,
          },
        },
        originalUriBaseIds: { [SRCROOT]: { uri: pathToFileURL(cwd.endsWith(path.sep) ? cwd : cwd + path.sep).href } },
        artifacts,
        // Columns count UTF-16 code units, as the LSP positions they come from do.
        columnKind: 'utf16CodeUnits',
        results: sarifResults,
        invocations: [{ executionSuccessful: options.executionSuccessful ?? true, ...(notifications.length ? { toolExecutionNotifications: notifications } : {}) }],
      },
    ],
  };
  return JSON.stringify(log, null, 2);
}
