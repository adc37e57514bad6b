#!/usr/bin/env python3
"""Compare graph variants against the fp32 graph: fidelity (hidden states on verify.py's prompts)
and speed (interleaved A/B rounds in one process, so shared-CPU noise hits every variant alike).

  python models/bench_graphs.py [--model DIR] [--graphs fp32,q8] [--extra name=path ...]
                                [--rounds 5] [--batches 1,16] [--seq 64] [--threads 2] [--no-speed]

--graphs names keys of model_config.json `graphs` (default: all); --extra adds files by path (for
trying a variant before it is built).  The first graph named is the reference (fp32 unless told).
Prints one JSON line per variant; --json writes them all.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from verify import PROMPTS, chatml, make_batch  # noqa: E402

OUTS = ["resid", "attn_out", "mlp_out", "mlp_act", "logits"]


def session(path, threads, spinning=True):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if not spinning:
        so.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def run(sess, feeds):
    """All of OUTS the graph has; a KV-prefix graph (prefix, guard) gets an empty past, i.e. whole prompts."""
    names = [o.name for o in sess.get_outputs() if o.name in OUTS]
    past = {i.name: i for i in sess.get_inputs() if i.name in ("past_key", "past_value")}
    if past:
        L, _, kv, _, hd = past["past_key"].shape
        empty = np.zeros((L, feeds["input_ids"].shape[0], kv, 0, hd), np.float32)
        feeds = {**feeds, "past_key": empty, "past_value": empty}
    return dict(zip(names, sess.run(names, feeds)))


def graph_layers(sess):
    """Decoder layers of a loaded graph, from its `resid` output shape [b, p, L+1, H]."""
    return next(o for o in sess.get_outputs() if o.name == "resid").shape[2] - 1


def matmul_gflop(cfg, layers, tokens):
    """Weight-matmul FLOPs of `tokens` tokens through `layers` layers (attention scores excluded)."""
    H, I, hd = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    kv = cfg["n_kv_heads"] * hd
    macs = H * H * 2 + H * kv * 2 + H * I * 3
    return 2 * macs * layers * tokens / 1e9


def fidelity_feeds(tok):
    """verify.py's 22 prompts, ChatML-templated, batches of 8, right padding, 4 read positions."""
    texts = [chatml([{"role": "user", "content": p}]) for p in PROMPTS]
    batches = []
    for i in range(0, len(texts), 8):
        enc, ids, mask = make_batch(tok, texts[i:i + 8])
        reads = np.array([[0, len(e) // 3, 2 * len(e) // 3, len(e) - 1] for e in enc], dtype=np.int64)
        batches.append({"input_ids": ids, "attention_mask": mask, "read_positions": reads})
    return batches


def cosine(a, b):
    a, b = a.astype(np.float64), b.astype(np.float64)
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1) + 1e-300)


def compare(out, ref):
    """Per-layer min cosine of resid over all read positions, relative errors, arg-max agreement.
    A truncated graph (K layers) is compared on the layers it has; its logits are a logit-lens read,
    so arg-max agreement is only reported for graphs of the same depth."""
    res, base = np.concatenate([o["resid"] for o in out]), np.concatenate([o["resid"] for o in ref])
    same_depth = res.shape[2] == base.shape[2]
    base = base[:, :, :res.shape[2]]
    cos = cosine(res, base)                                   # [rows, npos, layers+1]
    per_layer = cos.min(axis=(0, 1))
    same_depth = same_depth and "logits" in out[0]  # the guard graph has no logits output
    lg = np.concatenate([o["logits"] for o in out]) if same_depth else None
    lg0 = np.concatenate([o["logits"] for o in ref]) if same_depth else None
    act, act0 = np.concatenate([o["mlp_act"] for o in out]), np.concatenate([o["mlp_act"] for o in ref])
    act0 = act0[:, :, :act.shape[2]]
    return {
        "resid_cos_min": round(float(per_layer.min()), 6),
        "resid_cos_min_layer": int(per_layer.argmin()),
        "resid_cos_mean": round(float(cos.mean()), 6),
        "resid_rel_err": float(np.linalg.norm(res - base) / np.linalg.norm(base)),
        "mlp_act_cos_min": round(float(cosine(act, act0).min()), 6),
        "logits_argmax_agree": float((lg.argmax(-1) == lg0.argmax(-1)).mean()) if same_depth else None,
        "resid_cos_min_per_layer": [round(float(c), 5) for c in per_layer],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=str(HERE / "build" / "smollm2-135m-instruct"))
    ap.add_argument("--graphs", default=None, help="comma list of model_config.json graph keys")
    ap.add_argument("--extra", action="append", default=[], help="name=path of an unlisted graph file")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--batches", default="1,16")
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-spinning", action="store_true", help="session.intra_op.allow_spinning=0")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--no-fidelity", action="store_true")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    model_dir = Path(args.model)
    mc = json.loads((model_dir / "model_config.json").read_text())
    names = args.graphs.split(",") if args.graphs else list(mc["graphs"])
    files = {n: model_dir / mc["graphs"][n]["file"] for n in names}
    for e in args.extra:
        n, p = e.split("=", 1)
        files[n] = Path(p)
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    sessions = {n: session(p, args.threads, not args.no_spinning) for n, p in files.items()}
    files = {n: (p, graph_layers(sessions[n])) for n, p in files.items()}
    results = {n: {"file": p.name, "bytes": p.stat().st_size, "layers": L} for n, (p, L) in files.items()}

    if not args.no_fidelity:
        feeds = fidelity_feeds(tok)
        ref_name = next(iter(files))
        ref = [run(sessions[ref_name], f) for f in feeds]
        for n, s in sessions.items():
            if n != ref_name and files[n][1] <= files[ref_name][1]:
                results[n].update(compare([run(s, f) for f in feeds], ref))

    if not args.no_speed:
        rng = np.random.default_rng(0)
        batches = [int(b) for b in args.batches.split(",")]
        inputs = {}
        for B in batches:
            x = rng.integers(100, 49000, size=(B, args.seq)).astype(np.int64)
            reads = np.tile(np.array([[args.seq // 4 - 1, args.seq // 2 - 1, 3 * args.seq // 4 - 1, args.seq - 1]],
                                     dtype=np.int64), (B, 1))
            inputs[B] = {"input_ids": x, "attention_mask": np.ones_like(x), "read_positions": reads}
        times = {(n, B): [] for n in sessions for B in batches}
        for n, s in sessions.items():  # warm-up (prepacking, arena growth)
            for B in batches:
                run(s, inputs[B])
        order = list(sessions)
        for r in range(args.rounds):
            for n in order[r % len(order):] + order[:r % len(order)]:  # rotate who goes first
                for B in batches:
                    t = time.perf_counter()
                    run(sessions[n], inputs[B])
                    times[(n, B)].append(time.perf_counter() - t)
        load = os.getloadavg()[0]
        for n in sessions:
            for B in batches:
                ms = 1000 * float(np.median(times[(n, B)]))
                results[n][f"ms_b{B}"] = round(ms, 1)
                results[n][f"ms_per_unit_b{B}"] = round(ms / B, 1)
                results[n][f"tok_per_s_b{B}"] = round(B * args.seq / ms * 1000)
                results[n][f"gflops_b{B}"] = round(matmul_gflop(mc, files[n][1], B * args.seq) / ms * 1000, 1)
            results[n]["load_avg"] = round(load, 1)
        ref_name = next(iter(sessions))
        for n in sessions:
            for B in batches:
                results[n][f"speedup_b{B}"] = round(results[ref_name][f"ms_b{B}"] / results[n][f"ms_b{B}"], 2)

    for n, r in results.items():
        print(f"[{n}]", json.dumps({k: v for k, v in r.items() if k != "resid_cos_min_per_layer"}), flush=True)
        if "resid_cos_min_per_layer" in r:
            print(f"[{n}] per-layer min cos:", r["resid_cos_min_per_layer"], flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"onnxruntime": ort.__version__, "threads": args.threads,
                                               "seq": args.seq, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
