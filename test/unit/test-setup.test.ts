// The test set-up (test/e2e/lib/install.mjs): what `npm test` installs before the first test, and how.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

type Env = Record<string, string | undefined>;
interface InstallModule {
  cleanEnv(env?: Env): Record<string, string>;
  codeServerEnv(paths: { node24: string; codeServerHome: string }, env?: Env): Record<string, string>;
  missingSystemPackages(options: { chromium?: string; codeServerInstalled: boolean; exists?: (p: string) => boolean; hasDeb?: (name: string) => boolean }): string[];
  aptCommand(packages: string[], root?: boolean): string;
  npmInstallInto(dir: string, spec: string, env: Env, log: (message: string) => void): boolean;
  removeStaleTemps(dir: string): string[];
}

const ROOT = path.resolve(__dirname, '../..');
const load = (): Promise<InstallModule> => import(pathToFileURL(path.join(ROOT, 'test', 'e2e', 'lib', 'install.mjs')).href) as Promise<InstallModule>;

// What `npm test` (npm 11 under Node 20) hands its scripts, trimmed.
const OUTER_NPM_ENV: Env = {
  HOME: '/home/dev',
  LANG: 'C.UTF-8',
  PATH: ['/work/p/node_modules/.bin', '/work/node_modules/.bin', '/node_modules/.bin',
    '/usr/lib/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin', '/usr/local/bin', '/usr/bin'].join(':'),
  npm_config_user_agent: 'npm/11.19.1 node/v20.20.2 linux x64 workspaces/false',
  npm_config_local_prefix: '/work/p',
  npm_config_onnxruntime_node_install: 'skip',
  NPM_CONFIG_PREFIX: '/tmp/prefix',
  npm_lifecycle_event: 'test:setup',
  npm_lifecycle_script: 'node test/e2e/lib/install.mjs',
  npm_package_name: 'latent-lint',
  npm_package_json: '/work/p/package.json',
  npm_execpath: '/usr/lib/node_modules/npm/bin/npm-cli.js',
  npm_node_execpath: '/usr/bin/node',
  NODE: '/usr/bin/node',
  INIT_CWD: '/work/p',
};

describe('test set-up (test/e2e/lib/install.mjs)', () => {
  it('gives child installs an environment without the outer npm run', async () => {
    const { cleanEnv, codeServerEnv } = await load();
    const clean = cleanEnv(OUTER_NPM_ENV);
    assert.deepEqual(clean, { HOME: '/home/dev', LANG: 'C.UTF-8', PATH: '/usr/local/bin:/usr/bin' });

    const env = codeServerEnv({ node24: '/cache/node24', codeServerHome: '/cache/home' }, OUTER_NPM_ENV);
    assert.deepEqual(Object.keys(env).filter((key) => /^npm_/i.test(key)), ['npm_config_nodedir']);
    assert.equal(env.npm_config_nodedir, '/cache/node24');
    assert.equal(env.PATH, '/cache/node24/bin:/usr/local/bin:/usr/bin');
    assert.equal(env.HOME, '/cache/home');
    assert.equal(env.NODE, undefined);
  });

  it('a child npm sees its own user agent, not the outer npm run\'s (code-server\'s postinstall reads it)', async function () {
    this.timeout(30_000);
    const { codeServerEnv } = await load();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-lint-setup-'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ private: true, scripts: { ua: 'node -p process.env.npm_config_user_agent' } }));
    const polluted = { ...process.env, ...OUTER_NPM_ENV, HOME: process.env.HOME, PATH: `${OUTER_NPM_ENV.PATH}:${process.env.PATH}`, npm_config_user_agent: 'npm/9.9.9 node/v20.0.0 linux x64 workspaces/false' };
    const env = codeServerEnv({ node24: path.join(dir, 'no-node24'), codeServerHome: path.join(dir, 'home') }, polluted);
    const result = spawnSync('npm', ['run', '--silent', 'ua'], { cwd: dir, env, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /npm\/9\.9\.9/);
    assert.match(result.stdout, new RegExp(`node/${process.version.replace(/\./g, '\\.')}`));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('removes the temp folder of a failed install, and those a killed install left', async function () {
    this.timeout(60_000);
    const { npmInstallInto, cleanEnv } = await load();
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'latent-lint-setup-'));
    const dir = path.join(cache, 'tool-1.0.0');
    const dead = `${dir}.tmp-2147483646`;
    const alive = `${dir}.tmp-${process.ppid}`;
    fs.mkdirSync(dead);
    fs.mkdirSync(alive);
    const logged: string[] = [];
    // A spec npm rejects at once, offline: the install fails after the temp folder was made.
    assert.throws(() => npmInstallInto(dir, `file:${path.join(cache, 'no-such-package')}`, cleanEnv(), (m) => logged.push(m)), /npm install/);
    assert.deepEqual(fs.readdirSync(cache).sort(), [path.basename(alive)], 'only the live install\'s temp folder is left');
    assert.ok(logged.some((line) => line.includes(path.basename(dead))), logged.join('\n'));
    fs.rmSync(cache, { recursive: true, force: true });
  });

  it('lists the system packages the tests lack, and one command that installs them', async () => {
    const { missingSystemPackages, aptCommand } = await load();
    const none = () => false;
    assert.deepEqual(missingSystemPackages({ chromium: '/usr/bin/chromium', codeServerInstalled: false, exists: none, hasDeb: none }), ['chromium', 'build-essential', 'python3', 'libkrb5-dev']);
    // With code-server in the cache, only Chromium is needed (the webview and UI tests).
    assert.deepEqual(missingSystemPackages({ chromium: '/usr/bin/chromium', codeServerInstalled: true, exists: none, hasDeb: none }), ['chromium']);
    assert.deepEqual(missingSystemPackages({ chromium: '/usr/bin/chromium', codeServerInstalled: false, exists: () => true, hasDeb: (name) => name !== 'libkrb5-dev' }), ['libkrb5-dev']);
    assert.equal(aptCommand(['chromium', 'libkrb5-dev'], false), 'sudo apt-get update && sudo apt-get install -y chromium libkrb5-dev');
    assert.equal(aptCommand(['chromium'], true), 'apt-get update && apt-get install -y chromium');
  });

  it('npm test runs the set-up before the first test', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const steps = scripts.test.split('&&').map((step) => step.trim());
    assert.equal(steps[0], 'npm run test:setup');
    assert.equal(scripts['test:setup'], 'node test/e2e/lib/install.mjs');
    assert.ok(steps.indexOf('npm run test:unit') > 0 && steps.indexOf('npm run test:e2e') > 0);
  });
});
