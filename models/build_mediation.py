"""Build the Latent Explorer's mediation graph (model.mediation.onnx) from the guard graph.

The guard graph (model.guard.onnx: 14 layers, KV-prefix interface, last block gathered) with three
extra inputs and one extra output, so one batched run measures every causal effect the explorer shows:

  ablation         float [batch, 2L]    row r, column i (attention of block i) or L + i (MLP of block i):
                                        1 replaces that module's output at every new token by its benign
                                        mean (mean-ablation), 0 leaves it; fractions interpolate.
  neuron_ablation  float [batch, L, I]  the same for single MLP neurons (the SwiGLU activation, before down_proj).
  probe_dirs       float [K, H]         directions to project the MLP write-outs on.
  neuron_writes    float [L, I, K]      down_proj's column of each neuron · each probe direction.

With zero masks the graph computes exactly what the guard graph does (every ablation is x + 0 · (mean - x)).
The benign means are stored in the graph (initializers ablation_mean.attn.i / .mlp.i [H], neuron_mean.i [I]):
the mean module outputs over every new token (after the cached system prompt) of the project's own
hand-written benign texts, read through the graph itself with the prefix cache, as the runtime runs it.

Usage: python models/build_mediation.py [--model-dir models/build/smollm2-135m-instruct]
It adds graphs.mediation to model_config.json and the file to manifest.json.
"""
import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

HERE = Path(__file__).resolve().parent
BENIGN = ["topic_benign", "injection_benign"]
ROWS_PER_FILE = 48
NAME = "model.mediation.onnx"


def log(*a):
    print("[mediation]", *a, flush=True)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def surgery(model, L, H, I):
    """Adds the ablation inputs, the per-module and per-neuron mean-ablation nodes and neuron_writes."""
    g = model.graph
    producers = {o: n for n in g.node for o in n.output}
    by_weight = {}
    for n in g.node:
        if n.op_type == "MatMul" and len(n.input) == 2:
            by_weight[n.input[1]] = n
    new_nodes, inits = [], []
    counter = [0]

    def name(base):
        counter[0] += 1
        return f"med_{base}_{counter[0]}"

    def op(op_type, inputs, **attrs):
        out = name(op_type.lower())
        new_nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def const(arr, dtype=np.int64):
        n = name("c")
        inits.append(numpy_helper.from_array(np.asarray(arr, dtype=dtype), n))
        return n

    g.input.extend([
        helper.make_tensor_value_info("ablation", TP.FLOAT, ["batch", 2 * L]),
        helper.make_tensor_value_info("neuron_ablation", TP.FLOAT, ["batch", L, I]),
        helper.make_tensor_value_info("probe_dirs", TP.FLOAT, ["probes", H]),
    ])
    rp_shape = op("Shape", ["read_positions"])  # [B, P]

    def coefficient(column, rows_flat, width=1, source="ablation", axis=1):
        """The mask column(s) as [B, 1, width], or [B*P, 1, width] for the gathered last block."""
        c = op("Slice", [source, const([column]), const([column + 1]), const([axis])])  # [B,1] or [B,1,I]
        if source == "ablation":
            c = op("Unsqueeze", [c, const([2])])                                         # [B,1,1]
        if rows_flat:  # repeat each row's mask over its P read positions
            shape = op("Concat", [rp_shape, const([width])], axis=0)                     # [B,P,w]
            c = op("Reshape", [op("Expand", [c, shape]), const([-1, 1, width])])
        return c

    def ablate(tensor, coef, mean_name, size):
        """tensor + coef · (mean − tensor); consumers of `tensor` are rewired to the result."""
        inits.append(numpy_helper.from_array(np.zeros(size, np.float32), mean_name))
        out = op("Add", [tensor, op("Mul", [coef, op("Sub", [mean_name, tensor])])])
        return out

    writes = []
    for i in range(L):
        last = i == L - 1
        o = by_weight[f"l{i}.o_proj.T"]
        d = by_weight[f"l{i}.down_proj.T"]
        a_out, m_out, act = o.output[0], d.output[0], d.input[0]
        # The gathered last block: attention's o_proj output is [B, P, H]; its MLP rows are [B*P, 1, ·].
        a_new = ablate(a_out, coefficient(i, False), f"ablation_mean.attn.{i}", H)
        act_new = ablate(act, coefficient(i, last, I, source="neuron_ablation"), f"neuron_mean.{i}", I)
        m_new = ablate(m_out, coefficient(L + i, last, H), f"ablation_mean.mlp.{i}", H)
        for old, new in ((a_out, a_new), (m_out, m_new)):
            for n in g.node:
                n.input[:] = [new if x == old else x for x in n.input]
            for out in g.output:
                assert out.name != old
        d.input[0] = act_new
        # down_proj.T is [I, H]: its rows are the neurons' write directions.
        writes.append(op("Unsqueeze", [op("MatMul", [f"l{i}.down_proj.T", op("Transpose", ["probe_dirs"], perm=[1, 0])]), const([0])]))
    new_nodes.append(helper.make_node("Concat", writes, ["neuron_writes"], name="neuron_writes", axis=0))
    g.output.append(helper.make_tensor_value_info("neuron_writes", TP.FLOAT, [L, I, "probes"]))
    del producers
    g.node.extend(new_nodes)
    g.initializer.extend(inits)
    # Nodes must stay topologically sorted: the new ones read tensors made earlier, and the old ones
    # now read new ones, so sort the whole graph (Kahn's algorithm on tensor names).
    known = {i.name for i in g.input} | {i.name for i in g.initializer}
    pending, ordered = list(g.node), []
    while pending:
        rest = []
        for n in pending:
            if all(x == "" or x in known for x in n.input):
                ordered.append(n)
                known.update(n.output)
            else:
                rest.append(n)
        if len(rest) == len(pending):
            raise RuntimeError(f"cannot order {len(rest)} nodes, e.g. {rest[0].name} needs {[x for x in rest[0].input if x not in known]}")
        pending = rest
    del g.node[:]
    g.node.extend(ordered)
    model.doc_string = (model.doc_string or "") + "; mediation variant (mean-ablation inputs; models/build_mediation.py)"
    return model


def benign_prompts(tokenizer, cfg):
    system = cfg["chat_template"].split("<|im_start|>system\n", 1)[1].split("<|im_end|>", 1)[0]
    prefix = tokenizer.encode(f"<|im_start|>system\n{system}<|im_end|>\n<|im_start|>user\n", add_special_tokens=False).ids
    suffix = tokenizer.encode("<|im_end|>\n<|im_start|>assistant\n", add_special_tokens=False).ids
    rows = []
    for f in BENIGN:
        with open(HERE / "calibration" / "handwritten" / f"{f}.jsonl", encoding="utf-8") as fh:
            rows += [json.loads(line)["text"] for line in fh if line.strip()][:ROWS_PER_FILE]
    return prefix, [tokenizer.encode(r.strip(), add_special_tokens=False).ids[:192] + suffix for r in rows]


def benign_means(path, cfg, L, H, I, prefix, prompts):
    """Mean attention/MLP outputs and activations over every new token of the benign prompts (masks 0)."""
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    kv, hd = cfg["n_kv_heads"], cfg["head_dim"]

    def run(ids_rows, past_k, past_v, positions):
        B = len(ids_rows)
        T = max(len(r) for r in ids_rows)
        ids = np.full((B, T), cfg["pad_token_id"], np.int64)
        mask = np.zeros_like(ids)
        for r, p in enumerate(ids_rows):
            ids[r, :len(p)], mask[r, :len(p)] = p, 1
        P = max(len(p) for p in positions)
        read = np.asarray([p + [p[-1]] * (P - len(p)) for p in positions], np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "read_positions": read, "past_key": past_k, "past_value": past_v,
                 "ablation": np.zeros((B, 2 * L), np.float32), "neuron_ablation": np.zeros((B, L, I), np.float32), "probe_dirs": np.zeros((1, H), np.float32)}
        return session.run(["attn_out", "mlp_out", "mlp_act", "present_key", "present_value"], feeds)

    empty = np.zeros((L, 1, kv, 0, hd), np.float32)
    _, _, _, pk, pv = run([prefix], empty, empty, [[len(prefix) - 1]])
    sums = [np.zeros((L, H)), np.zeros((L, H)), np.zeros((L, I))]
    count = 0
    for start in range(0, len(prompts), 8):
        chunk = prompts[start:start + 8]
        B = len(chunk)
        tile = lambda x: np.ascontiguousarray(np.repeat(x, B, axis=1))  # noqa: E731
        attn, mlp, act, _, _ = run(chunk, tile(pk), tile(pv), [list(range(len(p))) for p in chunk])
        for r, p in enumerate(chunk):
            n = len(p)
            sums[0] += attn[r, :n].sum(axis=0)
            sums[1] += mlp[r, :n].sum(axis=0)
            sums[2] += act[r, :n].sum(axis=0)
            count += n
    return [s / count for s in sums], count


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=str(HERE / "build" / "smollm2-135m-instruct"))
    args = ap.parse_args()
    out = Path(args.model_dir)
    cfg = json.loads((out / "model_config.json").read_text())
    guard = cfg["graphs"]["guard"]
    L, H, I = guard["layers"], cfg["hidden_size"], cfg["intermediate_size"]
    t0 = time.time()
    model = surgery(onnx.load(str(out / guard["file"])), L, H, I)
    tmp = out / (NAME + ".tmp")
    onnx.save_model(model, str(tmp))
    log(f"graph with ablation inputs in {time.time() - t0:.1f}s")
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(str(out / cfg.get("tokenizer", "tokenizer.json")))
    prefix, prompts = benign_prompts(tokenizer, cfg)
    t1 = time.time()
    (attn, mlp, act), tokens = benign_means(tmp, cfg, L, H, I, prefix, prompts)
    log(f"benign means over {tokens} tokens of {len(prompts)} hand-written benign texts in {time.time() - t1:.1f}s")
    values = {f"ablation_mean.attn.{i}": attn[i] for i in range(L)} | {f"ablation_mean.mlp.{i}": mlp[i] for i in range(L)} | {f"neuron_mean.{i}": act[i] for i in range(L)}
    for init in model.graph.initializer:
        if init.name in values:
            init.CopyFrom(numpy_helper.from_array(values[init.name].astype(np.float32), init.name))
    final = out / NAME
    onnx.save_model(model, str(final))
    tmp.unlink()
    entry = {"file": NAME, "sha256": sha256(final), "bytes": final.stat().st_size, "layers": L, "prefix": True,
             "weights": f"the guard graph ({guard['sha256'][:12]}) with mean-ablation inputs (ablation, neuron_ablation, probe_dirs) and neuron_writes; "
                        f"benign means over {tokens} tokens of {len(prompts)} hand-written texts (explorer only)",
             "from": guard["sha256"], "script": sha256(Path(__file__).resolve())}
    cfg["graphs"]["mediation"] = entry
    cfg["mediation_graph"] = "mediation"
    (out / "model_config.json").write_text(json.dumps(cfg, indent=1) + "\n")
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        manifest["files"][NAME] = entry["sha256"]
        manifest["files"]["model_config.json"] = sha256(out / "model_config.json")
        manifest_path.write_text(json.dumps(manifest, indent=1) + "\n")
    log(f"wrote {NAME} ({entry['bytes'] / 1e6:.0f} MB, sha256 {entry['sha256'][:12]}) in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    sys.exit(main())
