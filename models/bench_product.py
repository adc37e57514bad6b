#!/usr/bin/env python3
"""Every calibration source scored through the product's own CLI (`latent-lint score`), as evaluators
score it: a row counts as flagged when any finding of warning or error severity fires (the latent guard
or a rule). Printed per source, with the committed guard file and with a copy of it that leaves out one
reading convention (`--without segments`), so a reading change is measured on every source at once.

  python models/bench_product.py [--per-source 150] [--without segments]

No fitting happens here: a source is "held out" unless the committed detector was fitted on it
(marked). Sealed sources are printed last. Scores are written under models/build/bench-product/ and
reused by a rerun (`score --resume`), keyed by the guard file's content.
"""
import argparse
import collections
import hashlib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from calibration import concept_data as cdat  # noqa: E402
from calibration.concepts import FITTED_ON  # noqa: E402
from calibration.data import Registry  # noqa: E402

OUT = os.path.join(HERE, "build", "bench-product")


def score(rows, guard_path, tag):
    """Runs `latent-lint score` over rows (resumable); returns {id: output line}."""
    with open(guard_path, "rb") as f:
        key = hashlib.sha256(f.read()).hexdigest()[:12]
    os.makedirs(OUT, exist_ok=True)
    src = os.path.join(OUT, f"in-{tag}.jsonl")
    dst = os.path.join(OUT, f"out-{tag}-{key}.jsonl")
    with open(src, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"id": r["id"], "text": r["text"]}) + "\n")
    env = dict(os.environ, LATENT_LINT_GUARD=guard_path)
    cmd = ["node", os.path.join(ROOT, "bin", "latent-lint.js"), "score", "--jsonl", src, "--out", dst, "--resume", "--no-surprisal"]
    subprocess.run(cmd, env=env, check=True, stderr=subprocess.DEVNULL)
    with open(dst, encoding="utf-8") as f:
        return {o["id"]: o for o in map(json.loads, f) if "id" in o}


def flagged(o, latent_only=False):
    return any(f["severity"] in ("warning", "error") and (not latent_only or f["rule"].startswith("latent/")) for f in o.get("findings", []))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--guard", default=os.path.join(HERE, "latent-guard.json"))
    ap.add_argument("--per-source", type=int, default=150)
    ap.add_argument("--without", default="segments", help="guard-file section left out of the comparison column ('' for none)")
    args = ap.parse_args()

    S = cdat.concept_sources(Registry(args.data))
    rows = []
    for name, items in S.items():
        if cdat.LABELS[name]["harm"] is None and cdat.LABELS[name]["inj"] is None:
            continue
        for i, r in enumerate(items[: args.per_source]):
            rows.append({"id": f"{name}|{i}", "text": r["text"], "source": name})
    with open(args.guard, encoding="utf-8") as f:
        guard = json.load(f)
    columns = [("committed", args.guard)]
    if args.without and args.without in guard:
        reduced = {k: v for k, v in guard.items() if k != args.without}
        path = os.path.join(OUT, f"guard-without-{args.without}.json")
        os.makedirs(OUT, exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(reduced, f)
        columns.insert(0, (f"without {args.without}", path))
    results = {name: score(rows, path, "rows") for name, path in columns}

    # A row's label: harmful (harm 1) or an injection (inj 1) is an attack; 0 on both is benign.
    def label(name):
        lab = cdat.LABELS[name]
        return 1 if (lab["harm"] == 1 or lab["inj"] == 1) else 0

    per = collections.OrderedDict()
    order = sorted({r["source"] for r in rows}, key=lambda n: (n in cdat.SEALED, -label(n), cdat.GROUP_OF[n], n))
    for name in order:
        ids = [r["id"] for r in rows if r["source"] == name]
        per[name] = {col: (sum(flagged(results[col][i]) for i in ids if i in results[col]) / max(1, len(ids)),
                           sum(flagged(results[col][i], True) for i in ids if i in results[col]) / max(1, len(ids)))
                     for col, _ in columns}
        per[name]["n"] = len(ids)
    names = [c for c, _ in columns]
    print(f"\n## The product on every source (`latent-lint score`, {args.per_source} rows per source at most)\n")
    print("Flagged = any warning or error finding (latent guard or rule); 'latent' = a latent/* finding. "
          "Recall where the label is 1, false-positive rate where it is 0.\n")
    print("| source | group | rows | label | " + " | ".join(f"{c}: flagged / latent" for c in names) + " | fitted on |")
    print("| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in names) + " | --- |")
    for name, v in per.items():
        tag = " (sealed)" if name in cdat.SEALED else ""
        cells = " | ".join(f"{100 * v[c][0]:.1f} % / {100 * v[c][1]:.1f} %" for c in names)
        print(f"| {name}{tag} | {cdat.GROUP_OF[name]} | {v['n']} | {label(name)} | {cells} | {'yes' if name in FITTED_ON else ''} |")
    for sealed in (False, True):
        held = [n for n in per if n not in FITTED_ON and (n in cdat.SEALED) == sealed]
        print(f"\n{'sealed sources' if sealed else 'sources the detector was not fitted on (sealed left out)'}:")
        for c in names:
            pos = [n for n in held if label(n) == 1]
            if pos:
                worst = min(pos, key=lambda n: per[n][c][0])
                mean = sum(per[n][c][0] for n in pos) / len(pos)
                print(f"  {c}: attack recall macro {mean:.3f}, worst {per[worst][c][0]:.3f} ({worst})")
            for g in sorted({cdat.GROUP_OF[n] for n in held if label(n) == 0}):
                neg = [n for n in held if label(n) == 0 and cdat.GROUP_OF[n] == g]
                worst = max(neg, key=lambda n: per[n][c][0])
                mean = sum(per[n][c][0] for n in neg) / len(neg)
                print(f"  {c}: FPR [{g}] macro {mean:.3f}, worst {per[worst][c][0]:.3f} ({worst})")


if __name__ == "__main__":
    main()
