// Findings → LSP diagnostics, and the data a diagnostic carries back into code actions and hovers.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver/node';
import type { Finding, Fix, Span } from '../core/types';

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
}

export function toDiagnostic(finding: Finding, version: number, latent = false): Diagnostic {
  const data: DiagnosticData = { ruleId: finding.ruleId, version, span: finding.span, fix: finding.fix, extra: finding.data, latent: latent || undefined };
  return {
    range: finding.range,
    severity: LSP_SEVERITY[finding.severity],
    source: SOURCE,
    code: finding.ruleId,
    codeDescription: { href: finding.docsUrl },
    message: finding.message,
    data,
  };
}

export function diagnosticData(diagnostic: Diagnostic): DiagnosticData | undefined {
  if (diagnostic.source !== SOURCE) return undefined;
  const data = diagnostic.data as Partial<DiagnosticData> | undefined;
  if (!data || typeof data.ruleId !== 'string' || !data.span) return undefined;
  return data as DiagnosticData;
}
