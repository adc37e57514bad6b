import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', 'models/build/**', 'test/fixtures/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // Arrows point down: the engine and everything under it never import the editor.
    files: ['server/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'The engine is pure: no vscode import under server/.' }] }] },
  },
  {
    files: ['server/src/formats/**/*.ts', 'server/src/rules/**/*.ts', 'server/src/latent/**/*.ts', 'server/src/report/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'vscode', message: 'No vscode under server/.' }], patterns: [{ group: ['**/engine', '**/engine/*', '../../engine/*', '../engine/*'], message: 'Formats, rules, latent and report import core only, never the engine.' }] },
      ],
    },
  },
);
