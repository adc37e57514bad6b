#!/usr/bin/env python3
"""Categories that name the harm, measured leave-one-source-out (#11 item 6).

Two sources carry harm categories mapped onto the guard's 11 (models/calibration/data.py:
CATEGORY_OF_CATQA, CATEGORY_OF_SORRY; the concept bench's HarmBench rows mostly come from files with no
category, so HarmBench is left out). For each source, category directions are built from the other exactly as models/calibrate.py builds the committed ones (at the committed
category layer, t_inst, minus the guard's harmless centroid, each category's mean minus the mean of
all) and the held-out source is scored with the runtime's rule (the nearest direction by cosine).
Printed per source: top-1 accuracy over the categories the training sources also have, the committed
directions' own top-1 on the same rows (fitted on halves of CatQA, SORRY-Bench and HarmBench, so not held out), and
a chance line (the largest category's share). Features come from the calibration cache.

  $VENV/bin/python models/bench_categories.py
"""
import argparse
import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

from calibrate import Context  # noqa: E402
from calibrate_concepts import corpus_rows  # noqa: E402
from calibration import concept_data as cdat  # noqa: E402
from calibration import data as cd  # noqa: E402
from calibration.fit import decode_guard, unb64  # noqa: E402

SOURCES = ["catqa", "sorry_bench"]


def labelled_texts(reg):
    """text (normalised) -> category, for every row of the three category sources."""
    out = {}
    for name in sorted(os.listdir(os.path.join(reg.root, cd.ZHAO))):
        if name.startswith("catqa_"):
            for r in reg.jsonl(f"{cd.ZHAO}/{name}"):
                out[cd.norm(r["Question"])] = cd.CATEGORY_OF_CATQA[r["Category"]]
    for r in reg.jsonl(f"{cd.ZHAO}/sorry-badq.json"):
        cat = cd.CATEGORY_OF_SORRY.get(str(r["category"]))
        if cat:
            out[cd.norm(r["bad_q"])] = cat
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(ROOT, "models", "build", "smollm2-135m-instruct"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--guard", default=os.path.join(ROOT, "models", "latent-guard.json"))
    args = ap.parse_args()
    ctx = Context(args)
    ctx.store.cached_only = True
    with open(args.guard, encoding="utf-8") as f:
        guard = json.load(f)
    layers = decode_guard(guard)
    cat = guard["categories"]
    layer = cat["layer"]
    names = [e["name"] for e in cat["entries"]]
    committed = np.stack([unb64(e["direction"]) for e in cat["entries"]]).astype(np.float64)
    S = cdat.concept_sources(ctx.reg, corpus_rows(ctx))
    label_of = labelled_texts(ctx.reg)
    X, y, src = [], [], []
    for name in SOURCES:
        got = ctx.store.features(f"concept.{name}", [r["text"] for r in S[name]])
        if got is None:
            sys.exit(f"no cached features for {name}: run npm run calibrate -- --concepts-only --extract-only")
        for r, resid in zip(S[name], got[0]):
            c = label_of.get(cd.norm(r["text"]))
            if c in names:
                X.append(resid[0, layer].astype(np.float64) - layers[layer]["cl"])
                y.append(names.index(c))
                src.append(name)
    X, y, src = np.asarray(X), np.asarray(y), np.asarray(src)

    def top1(D, idx, allowed):
        Sx = (X[idx] @ D.T) / (np.linalg.norm(X[idx], axis=1, keepdims=True) * np.linalg.norm(D, axis=1)[None, :] + 1e-12)
        Sx[:, [c for c in range(len(names)) if c not in allowed]] = -np.inf
        return float((Sx.argmax(axis=1) == y[idx]).mean())

    print(f"\n## Harm categories, leave-one-source-out (layer {layer}, t_inst, the runtime's nearest-direction rule)\n")
    print("| held-out source | rows | categories | top-1, fitted without it | committed directions (not held out) | largest category |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in SOURCES:
        train, test = src != name, src == name
        shared = sorted(set(y[train]) & set(y[test]))
        idx = np.where(test & np.isin(y, shared))[0]
        base = X[train].mean(axis=0)
        D = np.stack([X[train & (y == c)].mean(axis=0) - base if c in shared else np.zeros(X.shape[1]) for c in range(len(names))])
        counts = np.bincount(y[idx], minlength=len(names))
        print(f"| {name} | {len(idx)} | {len(shared)} | {100 * top1(D, idx, shared):.1f} % | "
              f"{100 * top1(committed, idx, shared):.1f} % | {100 * counts.max() / max(1, len(idx)):.1f} % |")
    print()


if __name__ == "__main__":
    main()
