// The language server's entry point: LSP wiring lives in lsp/, all judgement in the engine.
// Transport from the command line: `--stdio` (tests, other editors) or `--node-ipc` (VS Code).
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startLanguageServer } from './lsp/languageServer';
import { clearPerformanceEntriesEvery } from './lsp/performance';

clearPerformanceEntriesEvery();
startLanguageServer(createConnection(ProposedFeatures.all));
