// One esbuild bundle per process: client, server, CLI, latent worker, webview.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));

const common = {
  bundle: true,
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  tsconfig: path.join(root, 'tsconfig.json'),
};

const node = {
  ...common,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // jsonc-parser's `main` is a UMD build whose dynamic requires esbuild cannot follow; its ESM build bundles.
  mainFields: ['module', 'main'],
  // Native addon: shipped as a package beside the bundles, loaded at run time.
  external: ['vscode', 'onnxruntime-node'],
  // secretlint's profiler records every rule run forever and searches what it kept on each one
  // (quadratic over a run, a leak in the server): the bundles get a stand-in that records nothing.
  alias: { '@secretlint/profiler': path.join(root, 'server', 'src', 'shims', 'secretlint-profiler.ts') },
};

const entries = [
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/client/extension.js' },
  { ...node, entryPoints: ['server/src/server.ts'], outfile: 'dist/server/server.js' },
  { ...node, entryPoints: ['server/src/cli/index.ts'], outfile: 'dist/server/cli.js' },
  { ...node, entryPoints: ['server/src/latent/worker.ts'], outfile: 'dist/server/latent-worker.js' },
  { ...common, platform: 'browser', format: 'iife', target: 'es2022', entryPoints: ['webview/src/main.ts'], outfile: 'dist/webview/main.js' },
].filter((entry) => entry.entryPoints.every((file) => fs.existsSync(path.join(root, file))));

const started = Date.now();
if (watch) {
  for (const entry of entries) await (await esbuild.context({ ...entry, absWorkingDir: root })).watch();
  console.log('watching…');
} else {
  await Promise.all(entries.map((entry) => esbuild.build({ ...entry, absWorkingDir: root })));
  console.log(`built ${entries.length} bundles in ${Date.now() - started} ms${production ? ' (production)' : ''}`);
}
