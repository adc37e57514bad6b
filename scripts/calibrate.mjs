#!/usr/bin/env node
// Calibrates the latent guard (npm run calibrate): models/latent-guard.json + models/CALIBRATION.md.
//
// Uses the converter's venv (~/.cache/latent-lint/venv-<sha256(models/requirements.txt)[:16]>, created
// by scripts/build-model.mjs: numpy, onnx, onnxruntime, tokenizers are all calibration needs) and the
// built model in models/build/smollm2-135m-instruct. Residual features are cached under
// ~/.cache/latent-lint/features/<key>, so a rerun re-fits in seconds without running the model.
//
//   npm run calibrate                      fit and write the guard file (models/calibrate.py)
//   npm run calibrate -- --bench           the committed detector on every source, then the
//                                          leave-one-source-out tables of a concept fit (fit without
//                                          each source, score it; sealed sources last); writes nothing
//   npm run calibrate -- --concepts-only   fit the three concepts on every open source and write a
//                                          candidate guard file, models/build/latent-guard.candidate.json
//   npm run calibrate -- --extract-only    only compute (and cache) the features
//
// Env: LATENT_LINT_CACHE overrides ~/.cache/latent-lint; PYTHON picks the interpreter for a new venv;
//      LATENT_LINT_DATA points at the datasets (default ../shared/data).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MODELS = path.join(ROOT, 'models');
const CACHE = process.env.LATENT_LINT_CACHE || path.join(os.homedir(), '.cache', 'latent-lint');
const MODEL_DIR = path.join(MODELS, 'build', 'smollm2-135m-instruct');

function fail(message) {
  console.error(`[calibrate] ${message}`);
  process.exit(1);
}

function venvPython() {
  const reqHash = createHash('sha256').update(fs.readFileSync(path.join(MODELS, 'requirements.txt'))).digest('hex').slice(0, 16);
  const venv = path.join(CACHE, `venv-${reqHash}`);
  if (!fs.existsSync(path.join(venv, '.complete'))) {
    // build-model.mjs owns venv creation (and its atomic rename); run it rather than duplicating it.
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build-model.mjs')], { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) fail('npm run build:model failed; the calibration needs its venv and model');
  }
  const py = path.join(venv, 'bin', 'python');
  const extra = path.join(MODELS, 'requirements-calibrate.txt');
  if (fs.existsSync(extra)) {
    const r = spawnSync(py, ['-m', 'pip', 'install', '--disable-pip-version-check', '-q', '-r', extra], { stdio: 'inherit' });
    if (r.status !== 0) fail(`pip install -r ${path.relative(ROOT, extra)} failed`);
  }
  return py;
}

const args = process.argv.slice(2);
if (!args.includes('--model-dir') && !fs.existsSync(path.join(MODEL_DIR, 'model_config.json'))) {
  fail(`no model in ${path.relative(ROOT, MODEL_DIR)}; run npm run build:model first`);
}
const py = venvPython();
const env = { ...process.env, OPENBLAS_NUM_THREADS: process.env.OPENBLAS_NUM_THREADS ?? '2', PYTHONUNBUFFERED: '1' };
const python = (script, scriptArgs) => spawnSync(py, [path.join(MODELS, script), ...scriptArgs], { stdio: 'inherit', cwd: ROOT, env }).status ?? 1;

const conceptsOnly = args.includes('--concepts-only');
const rest = args.filter((a) => a !== '--concepts-only');
if (rest.includes('--bench') || conceptsOnly) process.exit(python('calibrate_concepts.py', rest));
process.exit(python('calibrate.py', rest));
