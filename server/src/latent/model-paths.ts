// Where the latent guard's files are for this install (a checkout, an npm install, an unpacked .vsix),
// the user cache folder, and what to tell a user whose model is missing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const REAL_MODEL_NAME = 'smollm2-135m-instruct';

/** Walks up from this module (dist/server or server/src/latent) to a folder holding `relative`. */
export function findUp(relative: string, from: string = moduleDir()): string | undefined {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, relative);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

function moduleDir(): string {
  // Bundled CJS and tsx both define __dirname.
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}

/** Where the packaged extension carries the model (scripts/package.mjs stages the shipped graphs there). */
export const PACKAGED_MODEL_DIR = path.join('dist', 'model', REAL_MODEL_NAME);

export function defaultModelDir(): string | undefined {
  if (process.env.LATENT_LINT_MODEL_DIR) return process.env.LATENT_LINT_MODEL_DIR;
  // The build tree first (npm run build:model); the packaged copy is what a .vsix carries.
  return findUp(path.join('models', 'build', REAL_MODEL_NAME)) ?? findUp(PACKAGED_MODEL_DIR);
}

/** Where latent-guard.json lives: $LATENT_LINT_GUARD, else models/latent-guard.json above this file. */
export function defaultGuardPath(): string | undefined {
  if (process.env.LATENT_LINT_GUARD) return process.env.LATENT_LINT_GUARD;
  return findUp(path.join('models', 'latent-guard.json'));
}

export function cacheRoot(): string {
  return process.env.LATENT_LINT_CACHE || path.join(os.homedir(), '.cache', 'latent-lint');
}

/** The folder holding this install's package.json: a checkout, an npm install, or an unpacked .vsix. */
export function packageRoot(from: string = moduleDir()): string | undefined {
  const found = findUp('package.json', from);
  return found ? path.dirname(found) : undefined;
}

/**
 * A checkout or an npm install (pre-commit, the CLI) has scripts/build-model.mjs and can build the
 * model; an installed .vsix has neither the script nor an npm project, and ships the model in
 * dist/model/<name>.
 */
export function canBuildModel(from: string = moduleDir()): boolean {
  return findUp(path.join('scripts', 'build-model.mjs'), from) !== undefined;
}

/**
 * What to do about a missing or damaged model in folder `dir`, for the install this code runs from:
 * build it (a checkout or npm install), or reinstall the .vsix (which has no npm project).
 */
export function modelHint(dir?: string): string {
  if (canBuildModel()) return 'run `npm run build:model` to build it';
  const packaged = dir ?? path.join(packageRoot() ?? '.', PACKAGED_MODEL_DIR);
  return `this extension ships the model in ${packaged}; reinstall the extension (.vsix) to restore it`;
}

/** The model folders this install would read, whether or not they exist yet (the server watches them). */
export function expectedModelDirs(): string[] {
  if (process.env.LATENT_LINT_MODEL_DIR) return [process.env.LATENT_LINT_MODEL_DIR];
  const root = packageRoot();
  const found = defaultModelDir();
  const candidates = root ? [path.join(root, 'models', 'build', REAL_MODEL_NAME), path.join(root, PACKAGED_MODEL_DIR)] : [];
  return [...new Set([...(found ? [found] : []), ...candidates])];
}
