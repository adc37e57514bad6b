"""Residual-stream reader for calibration: the ONNX graph's own weights, run in numpy with the
chat template's fixed prefix (system prompt + "<|im_start|>user\\n") computed once and cached.

Why not onnxruntime directly: every calibration prompt starts with the same ~24 template tokens, so
recomputing them is about half the work for short instructions on a 2-core machine. The weights are
the fp32 graph's initializers and the arithmetic follows models/latentlint_model/onnx_graph.py
(RMSNorm, rotate-half RoPE, grouped-query attention, SwiGLU); `check_against_graph` proves the
result equals the graph's `resid` output within a stated tolerance before any feature is used.
"""
import numpy as np
import onnx
from onnx import numpy_helper


class PrefixForward:
    def __init__(self, onnx_path, cfg, prefix_ids):
        model = onnx.load(str(onnx_path))
        inits = {t.name: t for t in model.graph.initializer}
        arr = lambda name: numpy_helper.to_array(inits[name]).astype(np.float32)  # noqa: E731
        self.cfg = cfg
        self.L = cfg["n_layers"]
        self.H, self.nh, self.nkv, self.hd = cfg["hidden_size"], cfg["n_heads"], cfg["n_kv_heads"], cfg["head_dim"]
        self.rep = self.nh // self.nkv
        self.eps = np.float32(cfg["rms_norm_eps"])
        self.embed = arr("embed_tokens")
        self.layers = []
        for i in range(self.L):
            self.layers.append({
                "attn_norm": arr(f"l{i}.attn_norm"), "ffn_norm": arr(f"l{i}.ffn_norm"),
                "q": arr(f"l{i}.q_proj.T"), "k": arr(f"l{i}.k_proj.T"), "v": arr(f"l{i}.v_proj.T"),
                "o": arr(f"l{i}.o_proj.T"), "gate": arr(f"l{i}.gate_proj.T"), "up": arr(f"l{i}.up_proj.T"),
                "down": arr(f"l{i}.down_proj.T"),
            })
        inv_freq = (1.0 / cfg["rope_theta"] ** (np.arange(0, self.hd, 2, dtype=np.float64) / self.hd)).astype(np.float32)
        self.inv_freq = inv_freq
        self.prefix_ids = list(prefix_ids)
        self.P = len(self.prefix_ids)
        self.cache = None
        if self.P:
            _, self.cache = self._forward(np.asarray([self.prefix_ids], np.int64), None, [[0]])

    def down_proj(self, block):
        """W_down of a block as (hidden, intermediate): column j is what neuron j writes."""
        return self.layers[block]["down"].T

    def _rope_tables(self, positions):
        freqs = positions.astype(np.float32)[:, None] * self.inv_freq[None, :]
        emb = np.concatenate([freqs, freqs], axis=-1)
        return np.cos(emb), np.sin(emb)

    def _rope(self, x, cos, sin):  # x [B, heads, T, hd]
        half = self.hd // 2
        rot = np.concatenate([-x[..., half:], x[..., :half]], axis=-1)
        return x * cos + rot * sin

    def _rms(self, x, w):
        ms = np.mean(x * x, axis=-1, keepdims=True)
        return x * (np.float32(1.0) / np.sqrt(ms + self.eps)) * w

    def _forward(self, ids, cache, reads):
        """ids [B, T] (right padded), cache: per-layer (K, V) of the prefix or None.
        Returns (resid at reads [B, R, L+1, H], this call's per-layer K/V)."""
        B, T = ids.shape
        offset = 0 if cache is None else cache[0][0].shape[2]
        cos, sin = self._rope_tables(np.arange(offset, offset + T))
        x = self.embed[ids]  # [B, T, H]
        reads = np.asarray(reads, np.int64)
        rows = np.arange(B)[:, None]
        out = np.empty((B, reads.shape[1], self.L + 1, self.H), np.float32)
        causal = np.triu(np.full((T, T), -1e9, np.float32), 1)
        if offset:
            causal = np.concatenate([np.zeros((T, offset), np.float32), causal], axis=1)
        kv_out = []
        scale = np.float32(1.0 / np.sqrt(self.hd))
        for i, w in enumerate(self.layers):
            out[:, :, i] = x[rows, reads]
            h = self._rms(x, w["attn_norm"])
            q = (h @ w["q"]).reshape(B, T, self.nh, self.hd).transpose(0, 2, 1, 3)
            k = (h @ w["k"]).reshape(B, T, self.nkv, self.hd).transpose(0, 2, 1, 3)
            v = (h @ w["v"]).reshape(B, T, self.nkv, self.hd).transpose(0, 2, 1, 3)
            q, k = self._rope(q, cos, sin), self._rope(k, cos, sin)
            kv_out.append((k, v))
            if cache is not None:
                pk, pv = cache[i]
                k = np.concatenate([np.broadcast_to(pk, (B,) + pk.shape[1:]), k], axis=2)
                v = np.concatenate([np.broadcast_to(pv, (B,) + pv.shape[1:]), v], axis=2)
            q5 = (q * scale).reshape(B, self.nkv, self.rep, T, self.hd)
            scores = q5 @ k[:, :, None].transpose(0, 1, 2, 4, 3) + causal
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v[:, :, None]).reshape(B, self.nh, T, self.hd).transpose(0, 2, 1, 3).reshape(B, T, -1)
            x = x + ctx @ w["o"]
            h2 = self._rms(x, w["ffn_norm"])
            g = h2 @ w["gate"]
            act = g / (np.float32(1.0) + np.exp(-g)) * (h2 @ w["up"])
            x = x + act @ w["down"]
        out[:, :, self.L] = x[rows, reads]
        return out, kv_out

    def resid(self, tails, reads):
        """tails: token ids after the prefix (user text + template suffix), one list per prompt;
        reads: indices into the FULL prompt (prefix included). Returns [B, R, L+1, H] float32."""
        T = max(len(t) for t in tails)
        ids = np.full((len(tails), T), self.cfg.get("pad_token_id", 0), np.int64)
        for b, t in enumerate(tails):
            ids[b, :len(t)] = t
        rel = np.asarray(reads, np.int64) - self.P
        assert (rel >= 0).all(), "read positions must lie after the cached prefix"
        out, _ = self._forward(ids, self.cache, rel)
        return out


def check_against_graph(fwd, onnx_path, prompts, threads=2):
    """Max |numpy − graph| over `resid` for full prompts [(ids, reads)], relative to the value scale."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    worst = 0.0
    for ids, reads in prompts:
        got = fwd.resid([ids[fwd.P:]], [reads])
        ref = sess.run(["resid"], {"input_ids": np.asarray([ids], np.int64),
                                   "attention_mask": np.ones((1, len(ids)), np.int64),
                                   "read_positions": np.asarray([reads], np.int64)})[0]
        scale = np.abs(ref).max(axis=-1, keepdims=True) + 1e-6
        worst = max(worst, float((np.abs(got - ref) / scale).max()))
    return worst


class OrtPrefixForward:
    """The same reader on onnxruntime, through the KV-prefix graph (model.prefix.onnx): the chat
    template's prefix keys/values are computed once and fed as `past` to every batch. About 4x faster
    than the numpy reader on 2 cores; models/verify_prefix.py proves the prefix graph bit-identical to
    the plain one."""

    def __init__(self, prefix_onnx_path, cfg, prefix_ids, threads=2, prefix_path=None):
        """A KV-prefix graph of any depth (the full prefix graph, or the 14-layer guard graph and its
        quantised candidates). The prefix's keys and values come from `prefix_path` when given (the fp32
        graph, so a candidate is judged on its own forward only), else from this graph."""
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        self.sess = ort.InferenceSession(str(prefix_onnx_path), so, providers=["CPUExecutionProvider"])
        self.cfg = cfg
        self.P = len(prefix_ids)
        prefix_sess = ort.InferenceSession(str(prefix_path), so, providers=["CPUExecutionProvider"]) if prefix_path else self.sess

        def depth(sess):
            d = next(i for i in sess.get_inputs() if i.name == "past_key").shape[0]
            return d if isinstance(d, int) else cfg["n_layers"]

        empty = np.zeros((depth(prefix_sess), 1, cfg["n_kv_heads"], 0, cfg["head_dim"]), np.float32)
        pk, pv = prefix_sess.run(["present_key", "present_value"], {
            "input_ids": np.asarray([prefix_ids], np.int64), "attention_mask": np.ones((1, self.P), np.int64),
            "read_positions": np.asarray([[self.P - 1]], np.int64), "past_key": empty, "past_value": empty})
        # A deeper prefix graph's first layers hold the same keys and values as a shallower graph's.
        L = depth(self.sess)
        self.pk, self.pv = pk[:L], pv[:L]

    def resid(self, tails, reads):
        """Same contract as PrefixForward.resid."""
        B, T = len(tails), max(len(t) for t in tails)
        ids = np.full((B, T), self.cfg.get("pad_token_id", 0), np.int64)
        mask = np.zeros((B, T), np.int64)
        for b, t in enumerate(tails):
            ids[b, :len(t)] = t
            mask[b, :len(t)] = 1
        rel = np.asarray(reads, np.int64) - self.P
        assert (rel >= 0).all(), "read positions must lie after the cached prefix"
        return self.sess.run(["resid"], {"input_ids": ids, "attention_mask": mask, "read_positions": rel,
                                         "past_key": np.ascontiguousarray(np.repeat(self.pk, B, axis=1)),
                                         "past_value": np.ascontiguousarray(np.repeat(self.pv, B, axis=1))})[0]
