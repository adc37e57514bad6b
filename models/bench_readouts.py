#!/usr/bin/env python3
"""Low-capacity read-outs of the harmful-request concept, measured leave-one-source-out (#11).

The question: does a read-out with fewer degrees of freedom than the whitened-PCA logistic fit
(models/calibration/concepts.py) generalise better to sources it never saw? Read-outs, each on the
unit-length residual at the chosen layers and positions, averaged over (layer, position) blocks:
  cos0   the paper's Latent Guard: cos(h, harmful centre) - cos(h, harmless centre), threshold 0
  cos    the same score, threshold out of fold
  dim    difference of source-balanced class means, each block standardised
  lda*   dim through a shrunk source-balanced within-class covariance (shrinkage * mean variance)
  logit* the concepts.py fit (whitened PCA 256, L2 3 or 300), for comparison
Holding out (--holdout folder, the default) leaves out a whole dataset folder (hatecheck's hateful and
non-hateful parts together; an augmentation's harmful and benign copies together), so a held-out
source never has a twin in training. --family requests leaves out the moderation-style statements.
Features come from the calibration cache only (npm run calibrate -- --concepts-only --extract-only).

  $VENV/bin/python models/bench_readouts.py --layers 4,6,8,10,12,14 --pos 0,1 --methods cos0,cos,dim
"""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))
from calibrate import Context
from calibrate_concepts import corpus_rows
from calibration import concept_data as cdat
from calibration.concepts import balanced_quantile, group_folds, balanced_weights, logreg, Basis
from calibration.fit import unit_rows

ap = argparse.ArgumentParser()
ap.add_argument("--model-dir", default=os.path.join(ROOT, "models", "build", "smollm2-135m-instruct"))
ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
ap.add_argument("--layers", default="4,6,8,10,12,14")
ap.add_argument("--pos", default="0")   # 0 inst, 1 post, "0,1"
ap.add_argument("--concept", default="harm")
ap.add_argument("--fpr", type=float, default=0.03)
ap.add_argument("--holdout", default="folder")
ap.add_argument("--family", default="all")
ap.add_argument("--methods", default="cos0,cos,dim,lda10,lda1")
args = ap.parse_args()
ctx = Context(args)
ctx.store.cached_only = True
S = cdat.concept_sources(ctx.reg, corpus_rows(ctx))
names = sorted(S)
feats = {}
for n in names:
    r = ctx.store.features(f"concept.{n}", [row["text"] for row in S[n]])
    if r is None:
        print("missing", n); continue
    feats[n] = r[0]
names = [n for n in names if n in feats]
layers = [int(x) for x in args.layers.split(",")]
pos = [int(x) for x in args.pos.split(",")]
src = np.asarray([n for n in names for _ in S[n]])
base = np.asarray([r.get("base", n) for n in names for r in S[n]])
R = np.concatenate([feats[n] for n in names])  # [N,2,L+1,H]
blocks = [(p, l) for p in pos for l in layers]
Xb = [unit_rows(R[:, p, l].astype(np.float32)) for p, l in blocks]  # list of [N,H]
del R
PREFIX = ["arditi", "hatecheck", "toxigen", "davidson", "stl", "gpteacher", "multijail", "latent_jailbreak", "bipia", "asb", "hand_topic", "hand_injection", "harmbench"]
def hold(n):
    if args.holdout != "folder": return n
    if n.startswith("aug_"): return n.rsplit("_", 1)[0]
    for p in PREFIX:
        if n.startswith(p): return p
    return n
hsrc = np.asarray([hold(n) for n in src]); hbase = np.asarray([hold(n) for n in base])
c = args.concept
lab = np.asarray([cdat.LABELS[s][c] if cdat.LABELS[s][c] is not None else -1 for s in src])
STATEMENTS = {"davidson_hate", "davidson_neither", "hatecheck_hateful", "hatecheck_nonhateful", "toxigen_hate", "toxigen_neutral", "latent_jailbreak_unsafe_text"}
fam = np.asarray([(s in STATEMENTS) for s in src])
use = lab >= 0
if args.family == "requests": use &= ~fam
if args.family == "statements": use &= fam
open_ = use & ~np.isin(src, list(cdat.SEALED))

SCAT = None
def scatters():
    global SCAT
    SCAT = []
    for X in Xb:
        d = {}
        for n in sorted(set(src[use])):
            for cls in (0, 1):
                m = (src == n) & (lab == cls)
                if m.any():
                    x = X[m] - X[m].mean(0)
                    d[(n, cls)] = (x.T @ x) / m.sum()
        SCAT.append(d)

def bal_mean(X, m, srcs):
    names_ = sorted(set(srcs[m]))
    return np.mean([X[m & (srcs == n)].mean(0) for n in names_], axis=0)

ZB = None
def fit(train, method, lam=None):
    """returns score function on row indices"""
    global ZB
    y = lab
    if method == "logit":
        if ZB is None:
            ZB = Basis(np.hstack(Xb), 256).z(np.hstack(Xb))
        w = balanced_weights(src[train], y[train])
        coef, b = logreg(ZB[train], y[train].astype(float), w, l2=lam)
        return lambda idx: ZB[idx] @ coef + b
    parts = []
    for X in Xb:
        mh = bal_mean(X, train & (y == 1), src); mb = bal_mean(X, train & (y == 0), src)
        if method == "cos":
            ch = mh / np.linalg.norm(mh); cb = mb / np.linalg.norm(mb)
            parts.append(("cos", ch, cb))
        elif method == "dim":
            d = mh - mb; mid = (mh + mb) / 2
            proj = (X[train] - mid) @ d
            parts.append(("dim", d, mid, proj.std() + 1e-9))
        elif method == "lda":
            d = mh - mb; mid = (mh + mb) / 2
            # source-balanced within-(source, class) covariance from precomputed scatters
            bi = len(parts)
            keys = [k for k in SCAT[bi] if train[np.where((src == k[0]) & (lab == k[1]))[0][0]]]
            cov = sum(SCAT[bi][k] for k in keys) / len(keys)
            tr_ = np.trace(cov) / cov.shape[0]
            w = np.linalg.solve(cov + lam * tr_ * np.eye(cov.shape[0]), d)
            proj = (X[train] - mid) @ w
            parts.append(("dim", w, mid, proj.std() + 1e-9))
    def score(idx):
        tot = 0
        for X, p in zip(Xb, parts):
            if p[0] == "cos":
                x = X[idx]; x = x / np.linalg.norm(x, axis=1, keepdims=True)
                tot = tot + (x @ p[1] - x @ p[2])
            else:
                tot = tot + ((X[idx] - p[2]) @ p[1]) / p[3]
        return tot / len(parts)
    return score

def fit_thr(train, method, lam, target):
    folds = group_folds(hsrc, 3, "thr:")
    oof = np.full(len(src), np.nan)
    for f in range(3):
        tr = train & (folds != f); te = train & (folds == f)
        if len(set(lab[tr])) < 2 or not te.any(): continue
        sc = fit(tr, method, lam)
        oof[te] = sc(np.where(te)[0])
    neg = train & (lab == 0) & ~np.isnan(oof)
    if not neg.any(): return fit(train, method, lam), 0.0
    thr = balanced_quantile(oof[neg], src[neg], target)
    return fit(train, method, lam), thr

def loso(method, lam=None, target=args.fpr, zero=False):
    rows = []
    for s in sorted(set(src[open_])):
        train = open_ & (hsrc != hold(s)) & (hbase != hold(s))
        test = np.where(src == s)[0]
        if zero:
            sc = fit(train, method, lam); thr = 0.0
        else:
            sc, thr = fit_thr(train, method, lam, target)
        v = sc(test)
        rows.append((s, cdat.GROUP_OF[s], int(cdat.LABELS[s][c]), float((v >= thr).mean()), float(np.median(v - thr))))
    return rows

def summary(rows, tag):
    pos = [r for r in rows if r[2] == 1]; neg = [r for r in rows if r[2] == 0]
    out = f"{tag}: macro recall {np.mean([r[3] for r in pos]):.3f} worst {min(pos, key=lambda r: r[3])[0]} {min(r[3] for r in pos):.3f}"
    for g in sorted({r[1] for r in neg}):
        rs = [r for r in neg if r[1] == g]; w = max(rs, key=lambda r: r[3])
        out += f" | FPR[{g}] macro {np.mean([r[3] for r in rs]):.3f} worst {w[3]:.3f} ({w[0]})"
    print(out, flush=True)
    return out

if __name__ == "__main__":
    print(f"layers {layers} pos {pos} concept {c} rows {len(src)}", flush=True)
    scatters()
    M = {"cos0": ("cos", None, True), "cos": ("cos", None, False), "dim": ("dim", None, False), "lda10": ("lda", 10.0, False), "lda1": ("lda", 1.0, False), "lda01": ("lda", 0.1, False), "lda100": ("lda", 100.0, False), "logit3": ("logit", 3.0, False), "logit300": ("logit", 300.0, False)}
    for method, lam, zero in [M[m] for m in args.methods.split(",")]:
        t = time.time()
        rows = loso(method, lam, zero=zero)
        tag = f"{method} lam={lam} thr={'0' if zero else args.fpr}"
        summary(rows, tag + f" ({time.time()-t:.0f}s)")
