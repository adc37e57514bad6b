// Starts code-server in its own process group and stops the whole group, whatever happened.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { codeServerEnv } from './install.mjs';

const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': 'off',
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'git.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
};

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every live descendant of `pid`, from /proc (children that left the group are still found). */
function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function killAll(pids, signal) {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export class CodeServer {
  /** @param {{paths: ReturnType<import('./install.mjs').toolPaths>, stateDir: string}} options */
  constructor({ paths, stateDir }) {
    this.paths = paths;
    this.stateDir = stateDir;
    this.userDataDir = path.join(stateDir, 'user-data');
    this.extensionsDir = path.join(stateDir, 'extensions');
    this.logFile = path.join(stateDir, 'code-server.log');
    this.process = undefined;
    this.port = 0;
    fs.mkdirSync(path.join(this.userDataDir, 'User'), { recursive: true });
    fs.mkdirSync(this.extensionsDir, { recursive: true });
    fs.writeFileSync(path.join(this.userDataDir, 'User', 'settings.json'), JSON.stringify(USER_SETTINGS, null, 2));
  }

  commonArgs() {
    return ['--user-data-dir', this.userDataDir, '--extensions-dir', this.extensionsDir];
  }

  installExtension(vsix) {
    const result = spawnSync(this.paths.codeServer, [...this.commonArgs(), '--install-extension', vsix, '--force'], {
      env: codeServerEnv(this.paths),
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`installing ${vsix} failed:\n${result.stdout}${result.stderr}`);
    return result.stdout.trim();
  }

  /**
   * Installs an extension folder as it is (a link, listed in extensions.json as an install would list
   * it), so a window loads it without a development payload: a built workbench reads the payload's
   * extensionDevelopmentPath only under the smoke-test driver, and the driver hides every toast.
   */
  linkExtension(folder) {
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
    const id = `${manifest.publisher}.${manifest.name}`;
    const name = `${id}-${manifest.version}`;
    const link = path.join(this.extensionsDir, name);
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(folder, link);
    const listFile = path.join(this.extensionsDir, 'extensions.json');
    const list = fs.existsSync(listFile) ? JSON.parse(fs.readFileSync(listFile, 'utf8')).filter((entry) => entry.identifier?.id !== id) : [];
    list.push({ identifier: { id }, version: manifest.version, location: { $mid: 1, path: link, scheme: 'file' }, relativeLocation: name, metadata: { installedTimestamp: Date.now(), source: 'vsix' } });
    fs.writeFileSync(listFile, JSON.stringify(list));
    return link;
  }

  /**
   * @param {{ smokeTestDriver?: boolean }} options The smoke-test driver lets an extension-test payload
   * report its exit code (codeAutomationExit), but with it the workbench shows no notification toasts
   * at all (NotificationsToasts.addToast returns early when enableSmokeTestDriver is set); the UI
   * tests, which look at toasts as a user would, start without it.
   */
  async start({ smokeTestDriver = true } = {}) {
    this.port = await freePort();
    const config = path.join(this.stateDir, 'config.yaml');
    fs.writeFileSync(config, `bind-addr: 127.0.0.1:${this.port}\nauth: none\ncert: false\n`);
    const log = fs.openSync(this.logFile, 'a');
    // detached: a new session and process group, so stop() can end the extension hosts and language servers too.
    this.process = spawn(
      this.paths.codeServer,
      [
        '--config', config,
        '--bind-addr', `127.0.0.1:${this.port}`,
        '--auth', 'none',
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--disable-getting-started-override',
        '--disable-proxy',
        '--reconnection-grace-time', '5',
        ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
        ...this.commonArgs(),
      ],
      { env: codeServerEnv(this.paths), detached: true, stdio: ['ignore', log, log] },
    );
    fs.closeSync(log);
    const exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve(`exited (${signal ?? code})`)));
    for (let attempt = 0; attempt < 150; attempt++) {
      const outcome = await Promise.race([exited, sleep(200).then(() => undefined)]);
      if (outcome) throw new Error(`code-server ${outcome}; see ${this.logFile}`);
      try {
        if ((await fetch(`http://127.0.0.1:${this.port}/healthz`)).ok) return this;
      } catch {
        // not listening yet
      }
    }
    throw new Error(`code-server did not answer on port ${this.port}; see ${this.logFile}`);
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** A `vscode-remote:` URI for a path on this machine, as the test payload wants it. */
  remoteUri(absolutePath) {
    return `vscode-remote://127.0.0.1:${this.port}${absolutePath}`;
  }

  /** SIGTERM to the group and every descendant, SIGKILL after 3 s. Safe to call twice. */
  async stop() {
    const child = this.process;
    if (!child?.pid) return;
    this.process = undefined;
    const pids = [child.pid, ...descendants(child.pid)];
    killAll([-child.pid], 'SIGTERM');
    killAll(pids, 'SIGTERM');
    for (let waited = 0; waited < 3000; waited += 100) {
      if (!groupAlive(child.pid) && pids.every((pid) => !fs.existsSync(`/proc/${pid}`))) return;
      await sleep(100);
    }
    killAll([-child.pid, ...pids], 'SIGKILL');
  }

  /** Synchronous last resort for process 'exit' handlers. */
  stopNow() {
    const child = this.process;
    if (!child?.pid) return;
    killAll([-child.pid, child.pid, ...descendants(child.pid)], 'SIGKILL');
  }
}
