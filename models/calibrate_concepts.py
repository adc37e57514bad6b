#!/usr/bin/env python3
"""The latent concepts (harmful-request, injection, jailbreak): leave-one-source-out bench and fit.

  python models/calibrate_concepts.py --bench   # the committed detector on every source, then the
                                                # leave-one-source-out tables of a fresh concept fit
  python models/calibrate_concepts.py --committed-only   # the first table only (no fitting)
  python models/calibrate_concepts.py           # also fit on every open source and write a candidate file

Run through `npm run calibrate -- --concepts-only` / `npm run calibrate -- --bench`. The candidate
keeps the committed file's layer centroids, categories and neurons (models/calibrate.py), replaces its
detector with the harmful-request concept and adds `concepts`. See models/calibration/concepts.py.
"""
import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from calibrate import Context  # noqa: E402
from calibration import concept_data as cdat  # noqa: E402
from calibration import data as cd  # noqa: E402
from calibration.concepts import load, run, score_committed  # noqa: E402
from calibration.features import log  # noqa: E402

# Real prompt files (benign): units as the linter reads them, one source per corpus.
FILES = {"awesome_copilot": 50, "fabric_patterns": 30, "prompty_samples": 30}
MIN_WORDS = 4


def corpus_rows(ctx):
    files = [f for f in cd.corpus_files(ctx.reg, {k: v for k, v in FILES.items()}) if f["corpus"] in FILES]
    units = cd.split_units(files, ROOT)
    out = {}
    for f in files:
        for u in units.get(f["id"], []):
            if len(u["text"].split()) >= MIN_WORDS:
                out.setdefault(f"corpus.{f['corpus']}", []).append({"text": u["text"], "file": f["id"]})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model-dir", default=os.path.join(HERE, "build", "smollm2-135m-instruct"))
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--guard", default=os.path.join(HERE, "latent-guard.json"))
    ap.add_argument("--out", default=os.path.join(HERE, "build", "latent-guard.candidate.json"),
                    help="where to write the fitted guard file (a candidate: commit it only when the bench shows it holds)")
    ap.add_argument("--bench", action="store_true", help="print the tables; write nothing")
    ap.add_argument("--extract-only", action="store_true")
    ap.add_argument("--committed-only", action="store_true", help="only score the committed guard file on every source")
    ap.add_argument("--max-layer", type=int, default=None)
    args = ap.parse_args()
    ctx = Context(args)
    scoring = ctx.cfg.get("graphs", {}).get(ctx.cfg.get("scoring_graph") or "", {})
    ctx.max_layer = args.max_layer or (scoring.get("layers") if scoring.get("prefix") else None)
    S = cdat.concept_sources(ctx.reg, corpus_rows(ctx))
    log(f"{len(S)} sources, {sum(len(v) for v in S.values())} rows; sealed: {sorted(cdat.SEALED & set(S))}")
    if args.extract_only:
        for name, rows in S.items():
            ctx.store.features(f"concept.{name}", [r["text"] for r in rows])
        return
    feats = load(ctx, S)  # read once, for both tables
    score_committed(ctx, S, args.guard, feats=feats)
    if args.committed_only:
        return
    run(ctx, S, write_to=None if args.bench else args.out, guard_path=args.guard, feats=feats)


if __name__ == "__main__":
    main()
