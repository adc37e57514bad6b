#!/usr/bin/env python3
"""Does the int8 screen keep the guard's decisions?  The committed models/latent-guard.json applied
(calibration.fit.apply_guard, the runtime's arithmetic) to the same texts read by the fp32 guard graph
and by the int8 screen graph (`guard-int8`), each with the chat template's prefix cached as the runtime
caches it: the first N rows of every calibration source (models/calibration/concept_data.py, the
prompt-file corpora's units included).  Per source and overall:

  - |z_int8 - z_fp32| for the calibrated harm logit z = a*logit + b (mean, p99, max),
  - agreement of the harmful-request and refusal-suppressed flags read from int8 alone,
  - the screen's agreement (what the runtime reports: rows whose int8 z lies within the margin of
    the decision floor are read again in fp32, screen.ts) and the share of rows read again.

  python models/verify_int8.py [--per-source 100] [--write models/latent-guard.json] [--json OUT]

--write stores the guard file's `screen` section: margin = 1.5 x the largest |z| difference measured,
rounded up to a half logit.  Exits 1 when the screen's flag agreement is under --min-agreement (0.995).
"""
import argparse
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

from calibrate import Context  # noqa: E402
from calibrate_concepts import corpus_rows  # noqa: E402
from calibration import concept_data as cdat  # noqa: E402
from calibration.fit import apply_guard, decode_guard  # noqa: E402
from calibration.forward import OrtPrefixForward  # noqa: E402

# screen.ts SCREEN_EXACT_FROM: thresholds at or above this probability are decided in fp32.
SCREEN_EXACT_FROM = 0.5


def run_texts(fwd, builder, texts, max_batch_tokens=1024):
    """resid [N, 2, L+1, H] at t_inst and t_post_inst, length-sorted batches as the runtime packs them."""
    built = [builder.build(t) for t in texts]
    P = len(builder.prefix)
    order = sorted(range(len(texts)), key=lambda i: len(built[i][0]))
    out, i = None, 0
    while i < len(order):
        j = i
        while j < len(order) and (j - i + 1) * (len(built[order[j]][0]) - P) <= max_batch_tokens:
            j += 1
        idx = order[i:max(j, i + 1)]
        r = fwd.resid([built[k][0][P:] for k in idx], [[built[k][1], built[k][2]] for k in idx])
        if out is None:
            out = np.empty((len(texts),) + r.shape[1:], np.float32)
        out[idx] = r
        i = max(j, i + 1)
    return out


def logit(p):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return np.log(p / (1 - p))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(HERE, "build", "smollm2-135m-instruct"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--guard", default=os.path.join(HERE, "latent-guard.json"))
    ap.add_argument("--graph", default="guard-int8", help="the model_config.json graph to check (default: %(default)s)")
    ap.add_argument("--per-source", type=int, default=100, help="the first N rows of each source")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--margin", type=float, help="the screen margin to judge (default: the guard file's, else the one measured)")
    ap.add_argument("--min-agreement", type=float, default=0.995)
    ap.add_argument("--write", help="write the `screen` section into this guard file")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    ctx = Context(args)
    with open(args.guard, encoding="utf-8") as f:
        guard = json.load(f)
    graph = ctx.cfg["graphs"][args.graph]
    fp32_path = os.path.join(ctx.model_dir, ctx.cfg["graphs"]["guard"]["file"])
    fp32 = OrtPrefixForward(fp32_path, ctx.cfg, ctx.builder.prefix, args.threads)
    int8 = OrtPrefixForward(os.path.join(ctx.model_dir, graph["file"]), ctx.cfg, ctx.builder.prefix, args.threads, fp32_path)
    layers = {l: e for l, e in decode_guard(guard).items() if l <= graph["layers"]}
    a, b = guard["calibration"]["a"], guard["calibration"]["b"]
    thr = guard["threshold"]
    floor = logit(min(thr, guard["refusalSuppressed"]["minProbability"], SCREEN_EXACT_FROM))
    S = cdat.concept_sources(ctx.reg, corpus_rows(ctx))
    rows, t0 = [], time.time()
    for name in sorted(S):
        texts = [r["text"] for r in S[name]][:args.per_source]
        ref = apply_guard(guard, run_texts(fp32, ctx.builder, texts), layers)
        got = apply_guard(guard, run_texts(int8, ctx.builder, texts), layers)
        rows.append({"source": name, "n": len(texts), "z32": a * ref["logit"] + b, "z8": a * got["logit"] + b,
                     "f32": ref["prob"] >= thr, "f8": got["prob"] >= thr, "s32": ref["suppressed"], "s8": got["suppressed"]})
        print(f"  {name}: {len(texts)} rows", file=sys.stderr, flush=True)
    seconds = time.time() - t0
    diff = np.concatenate([np.abs(r["z8"] - r["z32"]) for r in rows])
    measured = float(diff.max())
    margin = args.margin or (guard.get("screen") or {}).get("margin") or math.ceil(measured * 1.5 * 2) / 2
    print(f"# {graph['file']} against {ctx.cfg['graphs']['guard']['file']}: {len(diff)} rows, {len(rows)} sources (first {args.per_source} of each); "
          f"threshold {thr}, margin {margin} logits; onnxruntime {ort.__version__}; {seconds:.0f} s")
    print("| source | rows | \\|dz\\| mean | p99 | max | flags fp32 / int8 | int8 alone agrees | read again in fp32 | screen agrees |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    totals = {"n": 0, "alone": 0, "screen": 0, "again": 0, "suppressed_alone": 0, "suppressed_screen": 0}
    for r in rows:
        d = np.abs(r["z8"] - r["z32"])
        again = r["z8"] >= floor - margin
        final = np.where(again, r["f32"], r["f8"])
        final_s = np.where(again, r["s32"], r["s8"])
        alone, screen = int((r["f8"] == r["f32"]).sum()), int((final == r["f32"]).sum())
        totals["n"] += r["n"]
        totals["alone"] += alone
        totals["screen"] += screen
        totals["again"] += int(again.sum())
        totals["suppressed_alone"] += int((r["s8"] == r["s32"]).sum())
        totals["suppressed_screen"] += int((final_s == r["s32"]).sum())
        r.update({"mean": float(d.mean()), "p99": float(np.quantile(d, 0.99)), "max": float(d.max()), "again_share": float(again.mean()),
                  "alone_agree": alone / r["n"], "screen_agree": screen / r["n"]})
        print(f"| {r['source']} | {r['n']} | {r['mean']:.3f} | {r['p99']:.3f} | {r['max']:.3f} | {int(r['f32'].sum())} / {int(r['f8'].sum())} | "
              f"{100 * r['alone_agree']:.1f} % | {100 * r['again_share']:.1f} % | {100 * r['screen_agree']:.1f} % |")
    n = totals["n"]
    summary = {"rows": n, "sources": len(rows), "dz_mean": float(diff.mean()), "dz_p99": float(np.quantile(diff, 0.99)), "dz_max": measured,
               "margin": margin, "int8_alone_agreement": totals["alone"] / n, "screen_agreement": totals["screen"] / n,
               "suppressed_int8_alone_agreement": totals["suppressed_alone"] / n, "suppressed_screen_agreement": totals["suppressed_screen"] / n,
               "read_again_share": totals["again"] / n}
    print(f"| **all** | {n} | {summary['dz_mean']:.3f} | {summary['dz_p99']:.3f} | {measured:.3f} | | {100 * summary['int8_alone_agreement']:.2f} % | "
          f"{100 * summary['read_again_share']:.1f} % | {100 * summary['screen_agreement']:.2f} % |")
    print(f"refusal-suppressed flag: int8 alone {100 * summary['suppressed_int8_alone_agreement']:.2f} %, screen {100 * summary['suppressed_screen_agreement']:.2f} %")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"graph": graph["file"], "summary": summary, "sources": [{k: v for k, v in r.items() if not isinstance(v, np.ndarray)} for r in rows]}, f, indent=1)
    if args.write:
        with open(args.write, encoding="utf-8") as f:
            target = json.load(f)
        target["screen"] = {"graph": args.graph, "margin": margin,
                            "calibration": f"models/verify_int8.py --per-source {args.per_source}: {n} rows of {len(rows)} calibration sources; "
                                           f"largest |z int8 - z fp32| {measured:.2f} logits (p99 {summary['dz_p99']:.2f}); margin 1.5x that; "
                                           f"flag agreement int8 alone {100 * summary['int8_alone_agreement']:.2f} %, screened {100 * summary['screen_agreement']:.2f} %; "
                                           f"{100 * summary['read_again_share']:.1f} % of rows read again in fp32"}
        with open(args.write, "w", encoding="utf-8") as f:
            json.dump(target, f, indent=1, ensure_ascii=False)
            f.write("\n")
        print(f"wrote screen (margin {margin}) into {args.write}")
    ok = summary["screen_agreement"] >= args.min_agreement and summary["suppressed_screen_agreement"] >= args.min_agreement
    print("PASS" if ok else "FAIL", f"(screen agreement >= {args.min_agreement})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
