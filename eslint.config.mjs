import tseslint from 'typescript-eslint';

// The import floors (DESIGN §5): LSP and CLI → engine → {formats, rules, latent, report} → core.
// Arrows point down only; formats, rules, latent and report never import the engine or each other;
// the client and the webview reach the server only through the protocol types. eslint-plugin-import
// is not installed, so core's no-restricted-imports matches each import's path by regex.
const TOP = ['core', 'formats', 'rules', 'latent', 'report', 'engine', 'lsp', 'protocol', 'cli', 'server', 'uri', 'version'];
/** An import of one of these top-level folders or files of server/src, however deep the importer sits. */
const into = (names) => `^(\\.\\.?/)+(${names.join('|')})(/|$)`;
const except = (...kept) => TOP.filter((name) => !kept.includes(name));
// Editor and LSP libraries stay above the engine (the text-document helper is plain data: allowed).
const EDITOR = { regex: '^(vscode|vscode-languageclient|vscode-languageserver|vscode-languageserver-protocol)(/|$)', message: 'Only the language server (lsp/) and the client talk LSP or vscode.' };

function floor(files, forbidden, message, extra = []) {
  return { files, rules: { 'no-restricted-imports': ['error', { patterns: [{ regex: forbidden, message }, ...extra] }] } };
}

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'models/build/**', 'test/fixtures/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  // The last block that matches a file sets its rule: one block per layer.
  floor(['server/src/**/*.ts'], '^vscode$', 'The engine is pure: no vscode import under server/.'),
  floor(['server/src/core/**/*.ts'], '^\\.\\./', 'core is the shared words: it imports nothing outside core.', [EDITOR]),
  floor(['server/src/formats/**/*.ts'], into(except('core', 'formats')), 'Formats import core only (never the engine, rules, latent, report or anything above).', [EDITOR]),
  floor(['server/src/rules/**/*.ts'], into(except('core', 'rules')), 'Rules import core only (never the engine, formats, latent, report or anything above).', [EDITOR]),
  floor(['server/src/latent/**/*.ts'], into(except('core', 'latent')), 'latent/ imports core only (never the engine, formats, rules, report, the protocol or anything above).', [EDITOR]),
  floor(['server/src/report/**/*.ts'], into(except('core', 'report')), 'Reports import core only (never the engine or anything above).', [EDITOR]),
  floor(['server/src/engine/**/*.ts'], into(['lsp', 'protocol', 'cli', 'server', 'uri', 'version']), 'The engine sits under the language server and the CLI: it never imports them or the protocol.', [EDITOR]),
  floor(['server/src/protocol/**/*.ts'], into(except('core', 'protocol')), 'The protocol is types shared with the client and the webview: it imports core only.', [EDITOR]),
  // The typed LSP messages are the one protocol file on the JSON-RPC library (client and server only).
  floor(['server/src/protocol/requests.ts'], into(except('core', 'protocol')), 'The protocol imports core only.'),
  floor(['server/src/lsp/**/*.ts'], into(['cli']), 'The language server and the CLI are side by side on the engine: neither imports the other.'),
  floor(['server/src/cli/**/*.ts'], into(['lsp', 'protocol']), 'The CLI and the language server are side by side on the engine: neither imports the other.', [EDITOR]),
  floor(['src/**/*.ts'], '/server/src/(?!protocol/)', 'The client reaches the server only through the protocol types and LSP messages.'),
  floor(['webview/src/**/*.ts'], '/server/src/(?!protocol/(explain|messages)$)', 'The webview reaches the server only through the protocol types (postMessage, no LSP).'),
);
