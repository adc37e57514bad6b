#!/usr/bin/env node
// preinstall: keeps onnxruntime-node's optional download off when Latent Lint is installed as a
// dependency (pre-commit's `npm install -g git+file://…`, or `npm install` of this package elsewhere).
//
// onnxruntime-node ships the CPU runtime Latent Lint uses; on linux/x64 its postinstall also fetches
// the CUDA execution provider from api.nuget.org unless ONNXRUNTIME_NODE_INSTALL=skip (or
// npm_config_onnxruntime_node_install=skip) is set. In this project's own `npm ci`, package.json's
// `allowScripts` denies that script (npm >= 11.18). Installed as a dependency, neither this
// project's package.json nor its .npmrc applies, and a hook must install with no extra step on a
// machine that reaches only the npm registry. npm runs every package's preinstall before any
// postinstall, so this script makes skip the default of onnxruntime-node's install script: it moves
// the script to install.upstream.js and puts in its place a two-line file that sets
// ONNXRUNTIME_NODE_INSTALL=skip when the user set no choice of their own, then runs the original.
// An explicit choice (e.g. ONNXRUNTIME_NODE_INSTALL=cuda12) still installs the GPU files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MARK = '// latent-lint: onnxruntime-node optional download off unless asked for';

const WRAPPER = `${MARK} (scripts/preinstall.mjs).
'use strict';
const asked = ['ONNXRUNTIME_NODE_INSTALL', 'npm_config_onnxruntime_node_install', 'ONNXRUNTIME_NODE_INSTALL_CUDA', 'npm_config_onnxruntime_node_install_cuda']
  .some((name) => process.env[name]) || process.argv.some((arg) => arg.startsWith('--onnxruntime-node-install'));
if (!asked) process.env.ONNXRUNTIME_NODE_INSTALL = 'skip';
require('./install.upstream.js');
`;

/** Is `dir` a package npm installed into some node_modules (not a checkout of this project)? */
export function installedAsDependency(dir) {
  const parent = path.basename(path.dirname(dir));
  return parent === 'node_modules' || (parent.startsWith('@') && path.basename(path.dirname(path.dirname(dir))) === 'node_modules');
}

/** The onnxruntime-node folder Node would load from `dir`: the nearest node_modules/onnxruntime-node up the tree. */
export function findOnnxruntimeNode(dir) {
  for (let current = dir; ; current = path.dirname(current)) {
    const candidate = path.join(current, 'node_modules', 'onnxruntime-node');
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(current) === current) return undefined;
  }
}

/** Wraps onnxruntime-node's install script; returns what it did. */
export function keepOptionalDownloadOff(ortDir) {
  const script = path.join(ortDir, 'script', 'install.js');
  const upstream = path.join(ortDir, 'script', 'install.upstream.js');
  if (!fs.existsSync(script)) return 'no install script';
  if (fs.readFileSync(script, 'utf8').startsWith(MARK)) return 'already wrapped';
  fs.renameSync(script, upstream);
  fs.writeFileSync(script, WRAPPER);
  return 'wrapped';
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (installedAsDependency(PACKAGE_DIR)) {
    const ortDir = findOnnxruntimeNode(PACKAGE_DIR);
    if (ortDir) {
      const done = keepOptionalDownloadOff(ortDir);
      if (done === 'wrapped') console.log(`latent-lint: onnxruntime-node's optional GPU download is off (set ONNXRUNTIME_NODE_INSTALL=cuda12 to get it): ${ortDir}`);
    }
  }
}
