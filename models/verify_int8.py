#!/usr/bin/env python3
"""Does a quantised scoring graph keep the guard's decisions?  The committed models/latent-guard.json
applied (calibration.fit.apply_guard, the runtime's arithmetic) to the fp32 features cached by
calibration (~/.cache/latent-lint/features) and to the same texts run through GRAPH with the chat
template's prefix cached as the runtime does; per calibration source and overall:

  - detector logit: max and 99th-percentile |int8 - fp32|,
  - agreement of the harmful-request flag (p >= threshold) and of the refusal-suppressed flag.

  python models/verify_int8.py [--graph models/build/smollm2-135m-instruct/model.guard.int8.onnx]
                               [--per-source N] [--json OUT]

Exits 1 when flag agreement is under --min-agreement (default 0.995) or the 99th-percentile logit
difference is over --max-logit-p99 (default 0.25), so the build can refuse a graph that drifts.
"""
import argparse
import json
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


def run_texts(fwd, builder, texts, max_batch_tokens=1024):
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(HERE, "build", "smollm2-135m-instruct"))
    ap.add_argument("--graph", default=None, help="the graph to check (default: the model folder's guard-int8 graph)")
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--guard", default=os.path.join(HERE, "latent-guard.json"))
    ap.add_argument("--per-source", type=int, default=None, help="only the first N rows of each source (quick)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prefix-graph", help="compute the cached prefix with this graph instead (the fp32 guard graph)")
    ap.add_argument("--min-agreement", type=float, default=0.995)
    ap.add_argument("--max-logit-p99", type=float, default=0.25)
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    ctx = Context(args)
    ctx.store.cached_only = True
    graph = args.graph or os.path.join(ctx.model_dir, ctx.cfg["graphs"]["guard-int8"]["file"])
    with open(args.guard, encoding="utf-8") as f:
        guard = json.load(f)
    thr = guard["threshold"]
    S = cdat.concept_sources(ctx.reg, corpus_rows(ctx))
    fwd = OrtPrefixForward(graph, ctx.cfg, ctx.builder.prefix, args.threads, args.prefix_graph)
    print(f"# {os.path.basename(graph)} vs the fp32 features; guard threshold {thr}; onnxruntime {ort.__version__}")
    print("| source | rows | logit max abs diff | p99 | flag agree | fp32 flags | int8 flags | suppressed agree |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    diffs, agree, sagree, rows, t0, tokens = [], 0, 0, [], time.time(), 0
    for name in sorted(S):
        texts = [r["text"] for r in S[name]]
        got = ctx.store.features(f"concept.{name}", texts)
        if got is None:
            print(f"| {name} | - | no cached fp32 features | | | | | |")
            continue
        ref = got[0]
        if args.per_source:
            texts, ref = texts[:args.per_source], ref[:args.per_source]
        mine = run_texts(fwd, ctx.builder, texts)
        tokens += sum(len(ctx.builder.build(t)[0]) - len(ctx.builder.prefix) for t in texts)
        # The scoring graph's layers only (the file also has centroids for the explorer's deeper layers).
        layers = {l: e for l, e in decode_guard(guard).items() if l < mine.shape[2]}
        a = apply_guard(guard, ref[:, :, :mine.shape[2]], layers)
        b = apply_guard(guard, mine, layers)
        d = np.abs(a["logit"] - b["logit"])
        fa, fb = a["prob"] >= thr, b["prob"] >= thr
        same, ssame = int((fa == fb).sum()), int((a["suppressed"] == b["suppressed"]).sum())
        diffs.append(d)
        agree += same
        sagree += ssame
        rows.append({"source": name, "rows": len(texts), "logit_max": float(d.max()), "logit_p99": float(np.quantile(d, 0.99)),
                     "agree": same / len(texts), "fp32_flags": int(fa.sum()), "int8_flags": int(fb.sum()), "suppressed_agree": ssame / len(texts)})
        r = rows[-1]
        print(f"| {name} | {len(texts)} | {r['logit_max']:.3f} | {r['logit_p99']:.3f} | {100 * r['agree']:.2f} % | {r['fp32_flags']} | {r['int8_flags']} | {100 * r['suppressed_agree']:.2f} % |", flush=True)
    d = np.concatenate(diffs)
    n = len(d)
    total = {"rows": n, "logit_max": float(d.max()), "logit_p99": float(np.quantile(d, 0.99)), "logit_mean": float(d.mean()),
             "agree": agree / n, "suppressed_agree": sagree / n, "tokens_per_s": tokens / (time.time() - t0)}
    print(f"| **all** | {n} | {total['logit_max']:.3f} | {total['logit_p99']:.3f} | {100 * total['agree']:.2f} % | | | {100 * total['suppressed_agree']:.2f} % |")
    print(f"mean |logit diff| {total['logit_mean']:.4f}; {total['tokens_per_s']:.0f} tokens/s through the graph (load {os.getloadavg()[0]:.1f})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"graph": os.path.basename(graph), "threshold": thr, "sources": rows, "all": total}, f, indent=1)
    ok = total["agree"] >= args.min_agreement and total["suppressed_agree"] >= args.min_agreement and total["logit_p99"] <= args.max_logit_p99
    print("PASS" if ok else "FAIL", f"(agreement >= {args.min_agreement}, logit p99 <= {args.max_logit_p99})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
