// Findings → LSP diagnostics, and the data a diagnostic carries back into code actions and hovers.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { Finding, Fix, Span } from '../core/types';
import { COMMANDS } from '../protocol/messages';

export const SOURCE = 'latent-lint';

const LSP_SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

/** What `Diagnostic.data` holds: enough to build the fix without linting again. */
export interface DiagnosticData {
  ruleId: string;
  /** The document version the offsets refer to. */
  version: number;
  span: Span;
  fix?: Fix;
  /** The rule's or the latent guard's own data (probability, category, layers...). */
  extra?: Record<string, unknown>;
  /** True for a latent-guard finding. */
  latent?: boolean;
  /** The findings grouped under this one (same paragraph or description): their rules and fixes. */
  related?: { ruleId: string; fix?: Fix }[];
}

/** Where a rule's documentation link points: the public page, or (our client) a command that opens the bundled one. */
export type DocLink = (ruleId: string, docsUrl: string) => string;

export const PUBLIC_DOC_LINK: DocLink = (_ruleId, docsUrl) => docsUrl;

/** `command:latentLint.openRuleDocumentation?["<id>"]`: the page that ships with the extension, opened in the editor. */
export const BUNDLED_DOC_LINK: DocLink = (ruleId) => `command:${COMMANDS.openRuleDocumentation}?${encodeURIComponent(JSON.stringify([ruleId]))}`;

export interface DiagnosticOptions {
  /** The document's URI, for related information. */
  uri?: string;
  docLink?: DocLink;
}

export function toDiagnostic(finding: Finding, version: number, latent = false, options: DiagnosticOptions = {}): Diagnostic {
  const related = finding.related ?? [];
  const data: DiagnosticData = {
    ruleId: finding.ruleId,
    version,
    span: finding.span,
    fix: finding.fix,
    extra: finding.data,
    latent: latent || undefined,
    related: related.length ? related.map((other) => ({ ruleId: other.ruleId, fix: other.fix })) : undefined,
  };
  const docLink = options.docLink ?? PUBLIC_DOC_LINK;
  return {
    range: finding.range,
    severity: LSP_SEVERITY[finding.severity],
    source: SOURCE,
    code: finding.ruleId,
    codeDescription: { href: docLink(finding.ruleId, finding.docsUrl) },
    message: finding.message,
    ...(related.length && options.uri
      ? { relatedInformation: related.map((other) => ({ location: { uri: options.uri!, range: other.range }, message: `${other.ruleId}: ${other.message}` })) }
      : {}),
    data,
  };
}

export function diagnosticData(diagnostic: Diagnostic): DiagnosticData | undefined {
  if (diagnostic.source !== SOURCE) return undefined;
  const data = diagnostic.data as Partial<DiagnosticData> | undefined;
  if (!data || typeof data.ruleId !== 'string' || !data.span) return undefined;
  return data as DiagnosticData;
}
