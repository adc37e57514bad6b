"""Build the Latent Lint ONNX graph (Llama decoder, no KV cache) with onnx.helper.

Interface (fixed; the TS runtime depends on it):
  inputs  input_ids int64 [batch, seq], attention_mask int64 [batch, seq] (1 real, 0 pad; padding
          on the RIGHT, so position ids are 0..seq-1 in every row), read_positions int64 [batch, npos]
  outputs (float32, gathered at read_positions)
          resid [b, p, L+1, H], attn_out [b, p, L, H], mlp_out [b, p, L, H],
          mlp_act [b, p, L, I], logits [b, p, V]
"""
import numpy as np
import onnx
from onnx import TensorProto as TP
from onnx import helper, numpy_helper

from .gguf_source import Q4Weight

OPSET = 17
IR_VERSION = 8  # loadable by every onnxruntime >= 1.14, including onnxruntime-node 1.30
NEG = -1e9      # finite mask value: a fully padded row gets a uniform softmax instead of NaN


class G:
    """Tiny graph-building helper: unique names, constants, node creation."""

    def __init__(self):
        self.nodes, self.inits, self.n = [], [], 0

    def name(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def const(self, arr, dtype=np.int64):
        return self.init(self.name("c"), np.asarray(arr, dtype=dtype))

    def op(self, op_type, inputs, base=None, **attrs):
        out = self.name(base or op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def build_model(cfg, W, n_layers=None, prefix=False, gather_last=False, q8_embed=False):
    """prefix=True builds the KV-prefix variant (model.prefix.onnx): extra inputs past_key/past_value
    float32 [L, batch, n_kv, past_len, hd] (past_len may be 0) holding the RoPE'd keys and the values
    of earlier tokens; input_ids/attention_mask/read_positions then cover the NEW tokens only (right
    padding), their RoPE positions start at past_len, each attends to every past key plus causally to
    the new ones; extra outputs present_key/present_value [L, batch, n_kv, past_len+T, hd].  With
    prefix=False no node differs from the plain graph (model.onnx stays byte-identical).

    gather_last=True (the truncated `guard` scoring graph): the LAST block computes keys and values
    for every token (they are attention's keys) but its query, attention output, o_proj and MLP only
    at the read positions, since nothing after it needs the other rows.  Outputs are unchanged in
    shape and, up to float rounding, in value (models/verify_prefix.py checks the guard graph).

    q8_embed=True (the guard graph too): the token embedding as the GGUF stores it, Q8_0 (W["embed_q8"]:
    int8 [V, H] and one float32 scale per 32 values), looked up and scaled in the graph, exactly the
    float32 table's values at a quarter of its 113 MB; the graph then has no `logits` output (the tied
    lm_head would need the float32 table)."""
    L = cfg["n_layers"] if n_layers is None else n_layers
    assert 1 <= L <= cfg["n_layers"]
    H, I, V = cfg["hidden_size"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv, hd = cfg["n_heads"], cfg["n_kv_heads"], cfg["head_dim"]
    rep, half, eps = nh // nkv, hd // 2, cfg["rms_norm_eps"]
    g = G()

    embed = None if q8_embed else g.init("embed_tokens", W["embed"].astype(np.float32))
    eps_c = g.const([eps], np.float32)

    def rmsnorm(x, w_name):
        ms = g.op("ReduceMean", [g.op("Mul", [x, x])], axes=[-1], keepdims=1)
        inv = g.op("Reciprocal", [g.op("Sqrt", [g.op("Add", [ms, eps_c])])])
        return g.op("Mul", [g.op("Mul", [x, inv]), w_name], base="rmsnorm")

    # --- shapes, positions, rotary tables -------------------------------------------------------
    ids_shape = g.op("Shape", ["input_ids"])
    B = g.op("Gather", [ids_shape, g.const(0)], axis=0)
    T = g.op("Gather", [ids_shape, g.const(1)], axis=0)
    if prefix:
        P = g.op("Gather", [g.op("Shape", ["past_key"]), g.const(3)], axis=0)
        PT = g.op("Add", [P, T])
        pos = g.op("Range", [P, PT, g.const(1)])                          # [T] absolute positions
        kpos = g.op("Range", [g.const(0), PT, g.const(1)])                # [P+T]
    else:
        pos = g.op("Range", [g.const(0), T, g.const(1)])                  # [T]
    inv_freq = (1.0 / cfg["rope_theta"] ** (np.arange(0, hd, 2, dtype=np.float64) / hd)).astype(np.float32)
    freqs = g.op("Mul", [g.op("Unsqueeze", [g.op("Cast", [pos], to=TP.FLOAT), g.const([1])]),
                         g.const(inv_freq[None, :], np.float32)])         # [T, hd/2]
    emb = g.op("Concat", [freqs, freqs], axis=-1)                         # [T, hd] (rotate_half layout)
    cos, sin = g.op("Cos", [emb]), g.op("Sin", [emb])

    # --- additive attention bias: causal AND key-not-padding, shape [B,1,1,T,T] ----------------
    q_idx = g.op("Unsqueeze", [pos, g.const([1])])
    k_idx = g.op("Unsqueeze", [kpos if prefix else pos, g.const([0])])
    causal = g.op("LessOrEqual", [k_idx, q_idx])                          # [T, T] ([T, P+T] with prefix)
    if prefix:  # past keys are always real tokens: mask = [ones(B, P), attention_mask]
        # (B, T, P are 1-element 1-D tensors: G.init stores constants at least 1-D)
        ones = g.op("Expand", [g.const([[True]], np.bool_), g.op("Concat", [B, P], axis=0)])
        kmask = g.op("Concat", [ones, g.op("Cast", ["attention_mask"], to=TP.BOOL)], axis=1)
        key_ok = g.op("Unsqueeze", [kmask, g.const([1, 2, 3])])
    else:
        key_ok = g.op("Unsqueeze", [g.op("Cast", ["attention_mask"], to=TP.BOOL), g.const([1, 2, 3])])
    allowed = g.op("And", [causal, key_ok])                               # [B,1,1,T,T]
    bias = g.op("Where", [allowed, g.const([0.0], np.float32), g.const([NEG], np.float32)])

    def last_bias():  # gather_last: the read positions' rows of the bias, [B,1,1,P,T] ([B,1,1,P,P+T] with prefix)
        q_abs = g.op("Unsqueeze", [g.op("Gather", [pos, "read_positions"], axis=0), g.const([2])])  # [B,P,1]
        causal_q = g.op("Unsqueeze", [g.op("LessOrEqual", [k_idx, q_abs]), g.const([1, 2])])       # [B,1,1,P,T]
        return g.op("Where", [g.op("And", [causal_q, key_ok]), g.const([0.0], np.float32), g.const([NEG], np.float32)])

    # --- flat gather indices: b*T + read_positions ---------------------------------------------
    b_off = g.op("Mul", [g.op("Range", [g.const(0), B, g.const(1)]), T])
    flat_idx = g.op("Reshape", [g.op("Add", ["read_positions", g.op("Unsqueeze", [b_off, g.const([1])])]),
                                g.const([-1])])
    rp_shape = g.op("Shape", ["read_positions"])                          # [B, P]

    def gather(x, d):  # [B,T,d] -> [B*P, 1, d]
        flat = g.op("Reshape", [x, g.const([-1, d])])
        return g.op("Unsqueeze", [g.op("Gather", [flat, flat_idx], axis=0), g.const([1])])

    def stack(parts, d, out_name):  # list of [B*P,1,d] -> [B,P,len,d]
        cat = g.op("Concat", parts, axis=1) if len(parts) > 1 else parts[0]
        shape = g.op("Concat", [rp_shape, g.const([len(parts), d])], axis=0)
        g.nodes.append(helper.make_node("Reshape", [cat, shape], [out_name], name=out_name))

    def rope(x, cos=cos, sin=sin):  # x [B, heads, T, hd]
        x1 = g.op("Slice", [x, g.const([0]), g.const([half]), g.const([-1])])
        x2 = g.op("Slice", [x, g.const([half]), g.const([hd]), g.const([-1])])
        rot = g.op("Concat", [g.op("Neg", [x2]), x1], axis=-1)
        return g.op("Add", [g.op("Mul", [x, cos]), g.op("Mul", [rot, sin])], base="rope")

    def linear(x, w, name):  # w is (out, in); store transposed so MatMul(x, W^T)
        if isinstance(w, Q4Weight):  # 4-bit: com.microsoft MatMulNBits, exact Q4_1 blocks
            n, k = w.shape
            packed = (w.q[:, 0::2] | (w.q[:, 1::2] << 4)).astype(np.uint8).reshape(n, k // 32, 16)
            ins = [x, g.init(name + ".q4", packed), g.init(name + ".scales", w.scale.reshape(-1)),
                   g.init(name + ".zeros", w.zero.reshape(-1))]
            return g.op("MatMulNBits", ins, base="mm4", domain="com.microsoft", K=k, N=n, bits=4,
                        block_size=32, accuracy_level=0)
        return g.op("MatMul", [x, g.init(name, np.ascontiguousarray(w.T.astype(np.float32)))], base="mm")

    if q8_embed:  # scale[id, j // 32] * q[id, j], exact (a float16 scale times an int8 fits float32's mantissa)
        q8, s8 = W["embed_q8"]
        xq = g.op("Cast", [g.op("Gather", [g.init("embed_tokens.q8", q8), "input_ids"], axis=0)], to=TP.FLOAT)
        xs = g.op("Unsqueeze", [g.op("Gather", [g.init("embed_tokens.scale", s8), "input_ids"], axis=0), g.const([-1])])
        x = g.op("Reshape", [g.op("Mul", [g.op("Reshape", [xq, g.const([0, 0, H // 32, 32])]), xs]), g.const([0, 0, H])])
    else:
        x = g.op("Gather", [embed, "input_ids"], axis=0)                   # [B,T,H]
    resid, attn_outs, mlp_outs, acts = [], [], [], []
    presents_k, presents_v = [], []
    scale = g.const([1.0 / np.sqrt(hd)], np.float32)
    heads = lambda t, n: g.op("Transpose", [g.op("Reshape", [t, g.const([0, 0, n, hd])])], perm=[0, 2, 1, 3])  # noqa: E731
    for i in range(L):
        Lw = W["layers"][i]
        resid.append(gather(x, H))
        last = gather_last and i == L - 1  # only the read rows leave this block
        h = rmsnorm(x, g.init(f"l{i}.attn_norm", Lw["attn_norm"].astype(np.float32)))
        if last:  # query only at the read positions: [B, P, H] -> [B, nh, P, hd], RoPE'd at their own positions
            hq = g.op("Reshape", [gather(h, H), g.op("Concat", [rp_shape, g.const([H])], axis=0)])
            q = heads(linear(hq, Lw["q"], f"l{i}.q_proj.T"), nh)
            cos_q = g.op("Unsqueeze", [g.op("Gather", [cos, "read_positions"], axis=0), g.const([1])])  # [B,1,P,hd]
            sin_q = g.op("Unsqueeze", [g.op("Gather", [sin, "read_positions"], axis=0), g.const([1])])
            q = rope(q, cos_q, sin_q)
            k = rope(heads(linear(h, Lw["k"], f"l{i}.k_proj.T"), nkv))
            v = heads(linear(h, Lw["v"], f"l{i}.v_proj.T"), nkv)
        else:  # (this order keeps model.onnx byte-identical to earlier builds)
            q = linear(h, Lw["q"], f"l{i}.q_proj.T")
            k = linear(h, Lw["k"], f"l{i}.k_proj.T")
            v = linear(h, Lw["v"], f"l{i}.v_proj.T")
            q, k, v = rope(heads(q, nh)), rope(heads(k, nkv)), heads(v, nkv)  # [B, n, T, hd]
        if prefix:  # [B, n, P+T, hd]
            li, ax0 = g.const([i]), g.const([0])  # Gather with [i] keeps the layer axis: [1, B, n, P, hd]
            k5 = g.op("Concat", [g.op("Gather", ["past_key", li], axis=0), g.op("Unsqueeze", [k, ax0])], axis=3)
            v5 = g.op("Concat", [g.op("Gather", ["past_value", li], axis=0), g.op("Unsqueeze", [v, ax0])], axis=3)
            presents_k.append(k5)
            presents_v.append(v5)
            k, v = g.op("Squeeze", [k5, ax0]), g.op("Squeeze", [v5, ax0])
        # Grouped-query attention without copying K/V: q heads grouped [B, kv, rep, T, hd]
        # (q head j uses kv head j // rep, as HF's repeat_kv), K/V broadcast over `rep`.
        q5 = g.op("Reshape", [g.op("Mul", [q, scale]), g.const([0, nkv, rep, -1, hd])])
        kT5 = g.op("Transpose", [g.op("Unsqueeze", [k, g.const([2])])], perm=[0, 1, 2, 4, 3])
        v5 = g.op("Unsqueeze", [v, g.const([2])])
        probs = g.op("Softmax", [g.op("Add", [g.op("MatMul", [q5, kT5]), last_bias() if last else bias])], axis=-1)
        ctx = g.op("MatMul", [probs, v5])                                 # [B, kv, rep, T, hd]
        ctx = g.op("Reshape", [ctx, g.const([0, nh, -1, hd])])
        ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[0, 2, 1, 3]), g.const([0, 0, nh * hd])])
        a = linear(ctx, Lw["o"], f"l{i}.o_proj.T")
        if last:  # from here on rows are the read positions, flat [B*P, 1, d] like gather()'s output
            a = g.op("Reshape", [a, g.const([-1, 1, H])])
            attn_outs.append(a)
            x = g.op("Add", [resid[-1], a], base="resid")
        else:
            attn_outs.append(gather(a, H))
            x = g.op("Add", [x, a], base="resid")
        h2 = rmsnorm(x, g.init(f"l{i}.ffn_norm", Lw["ffn_norm"].astype(np.float32)))
        gt = linear(h2, Lw["gate"], f"l{i}.gate_proj.T")
        up = linear(h2, Lw["up"], f"l{i}.up_proj.T")
        act = g.op("Mul", [g.op("Mul", [gt, g.op("Sigmoid", [gt])]), up], base="swiglu")
        acts.append(act if last else gather(act, I))
        m = linear(act, Lw["down"], f"l{i}.down_proj.T")
        mlp_outs.append(m if last else gather(m, H))
        x = g.op("Add", [x, m], base="resid")
    resid.append(x if gather_last else gather(x, H))

    stack(resid, H, "resid")
    stack(attn_outs, H, "attn_out")
    stack(mlp_outs, H, "mlp_out")
    stack(acts, I, "mlp_act")
    # logits only at the gathered positions: final norm, then tied embedding via Gemm(transB) so
    # the embedding matrix is stored once.
    if not q8_embed:
        last = g.op("Reshape", [resid[-1], g.const([-1, H])])
        fn = rmsnorm(last, g.init("final_norm", W["final_norm"].astype(np.float32)))
        lg = g.op("Gemm", [fn, embed], transB=1, base="lm_head")
        g.nodes.append(helper.make_node("Reshape", [lg, g.op("Concat", [rp_shape, g.const([V])], axis=0)],
                                        ["logits"], name="logits"))

    f = TP.FLOAT
    inputs = [helper.make_tensor_value_info(n, TP.INT64, ["batch", d])
              for n, d in (("input_ids", "seq"), ("attention_mask", "seq"), ("read_positions", "npos"))]
    extra_outputs = []
    if prefix:
        for name, parts in (("present_key", presents_k), ("present_value", presents_v)):
            g.nodes.append(helper.make_node("Concat", parts, [name], name=name, axis=0)
                           if len(parts) > 1 else helper.make_node("Identity", parts, [name], name=name))
        inputs += [helper.make_tensor_value_info(n, f, [L, "batch", nkv, "past_len", hd])
                   for n in ("past_key", "past_value")]
        extra_outputs = [helper.make_tensor_value_info(n, f, [L, "batch", nkv, "present_len", hd])
                         for n in ("present_key", "present_value")]
    outputs = [
        helper.make_tensor_value_info("resid", f, ["batch", "npos", L + 1, H]),
        helper.make_tensor_value_info("attn_out", f, ["batch", "npos", L, H]),
        helper.make_tensor_value_info("mlp_out", f, ["batch", "npos", L, H]),
        helper.make_tensor_value_info("mlp_act", f, ["batch", "npos", L, I]),
    ] + ([] if q8_embed else [helper.make_tensor_value_info("logits", f, ["batch", "npos", V])]) + extra_outputs
    graph = helper.make_graph(g.nodes, "latent_lint_llama", inputs, outputs, g.inits)
    opsets = [helper.make_opsetid("", OPSET)]
    if any(n.domain == "com.microsoft" for n in g.nodes):
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets,
                              producer_name="latent-lint-convert", producer_version="1")
    model.ir_version = IR_VERSION
    model.doc_string = f"{cfg.get('name')} ({L} of {cfg['n_layers']} layers); see models/MODEL_CARD.md"
    return model


def save(model, path):
    # Serialized whole (fp32 SmolLM2 is ~0.54 GB, under protobuf's 2 GB limit): one file, no sidecar.
    onnx.save_model(model, str(path))
