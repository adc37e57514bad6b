"""Prompt layout (same as server/src/latent/tokenizer.ts) and cached residual features.

A unit becomes one ChatML user turn with the GGUF template's default system prompt. The pieces are
tokenised separately and concatenated: prefix + user tokens (at most max_user_tokens, keeping the
start) + suffix. t_inst = last user token, t_post_inst = last token of the prompt.

Features per text: resid at (t_inst, t_post_inst) for every layer 0..L -> float32 [2, L+1, H].
They are cached under ~/.cache/latent-lint/features/<key>/ where key hashes the graph, tokenizer,
template and truncation, so changing the detector never re-runs the model.
"""
import hashlib
import json
import os
import re
import sys
import time

import numpy as np

FEATURE_VERSION = "1"


def default_system_prompt(chat_template):
    m = re.search(r"<\|im_start\|>system\n([\s\S]*?)<\|im_end\|>", chat_template or "")
    return m.group(1) if m else None


def render_pieces(system_prompt):
    system = "" if system_prompt is None else f"<|im_start|>system\n{system_prompt}<|im_end|>\n"
    return system + "<|im_start|>user\n", "<|im_end|>\n<|im_start|>assistant\n"


class PromptBuilder:
    def __init__(self, tokenizer, system_prompt, max_user_tokens):
        self.tok = tokenizer
        self.system_prompt = system_prompt
        self.max_user_tokens = max_user_tokens
        before, after = render_pieces(system_prompt)
        self.prefix = self.encode(before)
        self.suffix = self.encode(after)

    def encode(self, text):
        return self.tok.encode(text, add_special_tokens=False).ids

    def build(self, text):
        """(ids, t_inst, t_post_inst, user_tokens_before_truncation)."""
        trimmed = text.strip()
        user = self.encode(trimmed) if trimmed else []
        n = len(user)
        user = user[: self.max_user_tokens]
        ids = self.prefix + user + self.suffix
        return ids, len(self.prefix) + len(user) - 1, len(ids) - 1, n


class FeatureStore:
    def __init__(self, cache_root, model_dir, builder, graph_sha, tokenizer_sha, forward_factory, log=print):
        self.builder = builder
        self.forward_factory = forward_factory
        self._fwd = None
        self.log = log
        key = hashlib.sha256(json.dumps([FEATURE_VERSION, graph_sha, tokenizer_sha, builder.system_prompt,
                                         builder.max_user_tokens, builder.prefix, builder.suffix]).encode()).hexdigest()[:16]
        self.dir = os.path.join(cache_root, "features", key)
        os.makedirs(self.dir, exist_ok=True)

    @property
    def fwd(self):
        if self._fwd is None:
            self._fwd = self.forward_factory()
        return self._fwd

    def features(self, name, texts, max_batch_tokens=1024):
        """float32 [N, 2, L+1, H] and user token counts [N] for texts, computed once and cached."""
        digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()[:16]
        path = os.path.join(self.dir, f"{re.sub(r'[^A-Za-z0-9_.-]', '_', name)}-{digest}.npz")
        if os.path.exists(path):
            with np.load(path) as z:
                return z["resid"], z["user_tokens"]
        if getattr(self, "cached_only", False):
            return None
        built = [self.builder.build(t) for t in texts]
        P = len(self.builder.prefix)
        order = sorted(range(len(texts)), key=lambda i: len(built[i][0]))
        resid = None
        t0 = time.time()
        done_tokens = 0
        i = 0
        while i < len(order):
            j = i
            while j < len(order) and (j - i + 1) * (len(built[order[j]][0]) - P) <= max_batch_tokens:
                j += 1
            j = max(j, i + 1)
            idx = order[i:j]
            out = self.fwd.resid([built[k][0][P:] for k in idx], [[built[k][1], built[k][2]] for k in idx])
            if resid is None:
                resid = np.empty((len(texts),) + out.shape[1:], np.float32)
            resid[idx] = out
            done_tokens += sum(len(built[k][0]) - P for k in idx)
            i = j
            if time.time() - t0 > 30 and (i == len(order) or i % 64 < len(idx)):
                self.log(f"  {name}: {i}/{len(texts)} texts, {done_tokens / (time.time() - t0):.0f} tok/s")
        user_tokens = np.asarray([b[3] for b in built], np.int32)
        tmp = path + f".tmp{os.getpid()}.npz"
        np.savez(tmp, resid=resid, user_tokens=user_tokens)
        os.replace(tmp, path)
        self.log(f"  {name}: {len(texts)} texts in {time.time() - t0:.0f}s")
        return resid, user_tokens


def log(*a):
    print("[calibrate]", *a, file=sys.stderr, flush=True)
