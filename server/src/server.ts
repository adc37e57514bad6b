// The language server: LSP wiring only; all judgement lives in the engine.
import {
  createConnection,
  DiagnosticSeverity,
  DocumentDiagnosticReportKind,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type Diagnostic,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { URI } from './uri';
import type { Finding } from './core/types';
import { Engine } from './engine/engine';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const engine = new Engine();

const LSP_SEVERITY = { error: DiagnosticSeverity.Error, warning: DiagnosticSeverity.Warning, info: DiagnosticSeverity.Information } as const;

export function toDiagnostic(finding: Finding): Diagnostic {
  return {
    range: finding.range,
    severity: LSP_SEVERITY[finding.severity],
    source: 'latent-lint',
    code: finding.ruleId,
    codeDescription: { href: finding.docsUrl },
    message: finding.message,
    data: { ruleId: finding.ruleId, fix: finding.fix, span: finding.span, extra: finding.data },
  };
}

connection.onInitialize(() => ({
  capabilities: {
    textDocumentSync: TextDocumentSyncKind.Incremental,
    diagnosticProvider: { interFileDependencies: false, workspaceDiagnostics: false },
  },
  serverInfo: { name: 'latent-lint', version: '0.1.0' },
}));

connection.languages.diagnostics.on(async (params) => {
  const document = documents.get(params.textDocument.uri);
  if (!document) return { kind: DocumentDiagnosticReportKind.Full, items: [] };
  const filePath = URI.toFilePath(document.uri);
  const result = await engine.lintText(filePath, document.getText(), { latent: false });
  return { kind: DocumentDiagnosticReportKind.Full, items: result.findings.filter((f) => !f.suppressed).map(toDiagnostic) };
});

documents.listen(connection);
connection.listen();
