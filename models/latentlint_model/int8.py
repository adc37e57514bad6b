"""The int8 guard graph: the fp32 `guard` scoring graph with its projections as int8 QGEMMs
(com.microsoft DynamicQuantizeMatMul: uint8 activations quantised per call, int8 weights with one
scale per output channel), for CPUs whose int8 dot products (AVX512-VNNI, AVX-VNNI, AMX) run several
times faster than fp32 FMAs.

SmolLM2's residual stream carries a few massive channels (|x| up to ~25,000) and its MLP activations
a few outlier channels; one activation scale per matmul would crush every other channel.  So, before
quantising, SmoothQuant (Xiao et al. 2023) moves each input channel's range from the activations into
the weights, exactly (the fp32 graph's function is unchanged before rounding):

  q/k/v   input RMSNorm(x)*g:  g_j /= s_j,  rows j of W_q, W_k, W_v *= s_j
  gate/up input RMSNorm(x)*g:  g_j /= s_j,  rows j of W_gate, W_up *= s_j
  o       input attention context, channel h*hd+d comes from v channel (h//rep)*hd+d:
          columns of W_v /= s_v, rows of W_o *= s_v (repeated over the query group)
  down    input silu(gate)*up:  columns of W_up /= s_j, rows j of W_down *= s_j

with s_j = max|X_j|^alpha / max|W_j|^(1-alpha), from activation maxima measured on calibration
prompts run through the fp32 graph.  Matmuls whose inputs still span too wide a range after
smoothing stay fp32 (`keep`), chosen by measurement.  Measured on an AVX512-VNNI CPU, no variant keeps
the guard's decisions (MODEL_CARD.md, "int8 guard graph"): built on request only, never shipped.
"""
import numpy as np
import onnx
from onnx import helper, numpy_helper

MS = "com.microsoft"


def _inits(model):
    return {t.name: t for t in model.graph.initializer}


def _arr(inits, name):
    return numpy_helper.to_array(inits[name]).astype(np.float32)


def _set(inits, name, arr):
    inits[name].CopyFrom(numpy_helper.from_array(np.ascontiguousarray(arr.astype(np.float32)), name))


def projection_inputs(model):
    """{weight initializer name: the MatMul's activation input name} for every projection."""
    names = {t.name for t in model.graph.initializer}
    out = {}
    for node in model.graph.node:
        if node.op_type == "MatMul" and len(node.input) == 2 and node.input[1] in names and node.input[1].endswith("_proj.T"):
            out[node.input[1]] = node.input[0]
    return out


def activation_absmax(graph_path, batches, threads=2):
    """Per-channel max |x| of every projection's input over `batches` (feeds for the graph), run in fp32.
    Returns {weight name: float32 [in_features]}."""
    import onnxruntime as ort
    model = onnx.load(str(graph_path))
    inputs = projection_inputs(model)
    wanted = sorted(set(inputs.values()))
    del model.graph.output[:]
    model.graph.output.extend([helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None) for n in wanted])
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), so, providers=["CPUExecutionProvider"])
    del model
    peak = {}
    for feeds in batches:
        mask = feeds["attention_mask"].astype(bool)
        outs = sess.run(wanted, feeds)
        for name, x in zip(wanted, outs):
            # Padded rows are not real tokens; the gathered last block is [B*P, 1, d] (all real).
            x = x[mask] if x.shape[:2] == mask.shape else x.reshape(-1, x.shape[-1])
            m = np.abs(x).max(axis=0)
            peak[name] = np.maximum(peak[name], m) if name in peak else m
    return {w: peak[a] for w, a in inputs.items()}


def smooth(model, absmax, cfg, alpha, values=True):
    """Folds SmoothQuant scales into the norms and weights in place (the function is unchanged).
    values=False leaves v and o alone, so the graph's keys and values are the fp32 graph's (a prefix
    cached by the fp32 graph can be fed to it)."""
    inits = _inits(model)
    nh, nkv, hd = cfg["n_heads"], cfg["n_kv_heads"], cfg["head_dim"]
    rep = nh // nkv
    layers = sorted({int(n.split(".")[0][1:]) for n in inits if n.startswith("l") and n.endswith(".q_proj.T")})

    def scales(act, weights):
        w = np.max([np.abs(x).max(axis=1) for x in weights], axis=0)
        s = np.power(np.maximum(act, 1e-5), alpha) / np.power(np.maximum(w, 1e-5), 1 - alpha)
        return np.clip(s, 1e-4, 1e4).astype(np.float32)

    for i in layers:
        p = f"l{i}."
        q, k, v, o = (_arr(inits, p + n + "_proj.T") for n in "qkvo")
        gate, up, down = (_arr(inits, p + n + "_proj.T") for n in ("gate", "up", "down"))
        s = scales(absmax[p + "q_proj.T"], [q, k, v])
        _set(inits, p + "attn_norm", _arr(inits, p + "attn_norm") / s)
        q, k, v = q * s[:, None], k * s[:, None], v * s[:, None]
        # o's input channel h*hd+d is v's output channel (h//rep)*hd+d: one scale per v channel.
        act_o = absmax[p + "o_proj.T"].reshape(nkv, rep, hd).max(axis=1).reshape(-1)
        w_o = np.abs(o).max(axis=1).reshape(nkv, rep, hd).max(axis=1).reshape(-1)
        s_v = np.clip(np.power(np.maximum(act_o, 1e-5), alpha) / np.power(np.maximum(w_o, 1e-5), 1 - alpha), 1e-4, 1e4).astype(np.float32)
        if values:
            v = v / s_v[None, :]
            o = o * np.repeat(s_v.reshape(nkv, 1, hd), rep, axis=1).reshape(-1)[:, None]
        s = scales(absmax[p + "gate_proj.T"], [gate, up])
        _set(inits, p + "ffn_norm", _arr(inits, p + "ffn_norm") / s)
        gate, up = gate * s[:, None], up * s[:, None]
        s_d = scales(absmax[p + "down_proj.T"], [down])
        up = up / s_d[None, :]
        down = down * s_d[:, None]
        for n, w in zip(("q", "k", "v", "o", "gate", "up", "down"), (q, k, v, o, gate, up, down)):
            _set(inits, p + n + "_proj.T", w)


def quantize(model, keep=()):
    """Every projection MatMul not in `keep` becomes an int8 QGEMM with one scale per token: the
    activation rows are divided by their own max |x| first (DynamicQuantizeMatMul then quantises every
    row on the same grid) and the output multiplied back.  One scale per call would let the token with
    the largest activations set the step for the whole batch.  Weights: int8, one scale per output channel."""
    inits = _inits(model)
    graph = model.graph
    nodes = []
    graph.initializer.append(numpy_helper.from_array(np.array([1e-6], np.float32), "int8.row_eps"))
    for node in graph.node:
        w = node.input[1] if node.op_type == "MatMul" and len(node.input) == 2 else None
        if w is None or w not in inits or not w.endswith("_proj.T") or w in keep:
            nodes.append(node)
            continue
        b = _arr(inits, w)
        scale = np.maximum(np.abs(b).max(axis=0), 1e-12) / 127.0
        q = np.clip(np.round(b / scale), -127, 127).astype(np.int8)
        graph.initializer.append(numpy_helper.from_array(q, w + ".i8"))
        graph.initializer.append(numpy_helper.from_array(scale.astype(np.float32), w + ".scale"))
        x, n = node.input[0], node.name or w
        nodes += [helper.make_node("Abs", [x], [n + ".abs"]),
                  helper.make_node("ReduceMax", [n + ".abs"], [n + ".row_max"], keepdims=1, axes=[-1]),
                  helper.make_node("Max", [n + ".row_max", "int8.row_eps"], [n + ".row_scale"]),
                  helper.make_node("Div", [x, n + ".row_scale"], [n + ".rows"]),
                  helper.make_node("DynamicQuantizeMatMul", [n + ".rows", w + ".i8", w + ".scale"], [n + ".out_rows"], name=n, domain=MS),
                  helper.make_node("Mul", [n + ".out_rows", n + ".row_scale"], list(node.output))]
    used = {i for n in nodes for i in n.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    del graph.node[:]
    graph.node.extend(nodes)
    if not any(o.domain == MS for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(MS, 1))


def build_int8(src, dst, cfg, absmax, alpha=0.5, keep=(), values=True):
    model = onnx.load(str(src))
    smooth(model, absmax, cfg, alpha, values)
    quantize(model, keep)
    model.doc_string += f"; int8 (SmoothQuant alpha {alpha}, DynamicQuantizeMatMul, fp32: {', '.join(sorted(keep)) or 'none'})"
    onnx.save_model(model, str(dst))
