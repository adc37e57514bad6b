#!/usr/bin/env python3
"""How the guard file's `segments` combine a unit's whole reading with its lines and sentences read
alone, measured on every calibration source at once (no fitting): each row is read whole and sentence
by sentence on the fp32 guard graph (scripts/read-sentences.ts), then combined here as the runtime
does (signals.ts), for the committed margin and a few `wholeAbove` values.

  python models/bench_segments.py [--per-source 60] [--above 1,1.5,2]

Columns: 'whole only' (no segments), 'margin' (sentences read alone, `margin` logits lower, the best
reading wins), 'above X' (the same, and a whole unit read in one window whose sentences were all
read counts at most X calibrated logits above the best of them). A row is flagged when the combined
probability reaches the guard's threshold. Sealed sources are printed last and chose nothing.
Readings are cached under models/build/bench-segments/, keyed by the guard file and the rows.
"""
import argparse
import collections
import hashlib
import json
import math
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from calibration import concept_data as cdat  # noqa: E402
from calibration.concepts import FITTED_ON  # noqa: E402
from calibration.data import Registry  # noqa: E402

OUT = os.path.join(HERE, "build", "bench-segments")


def read(rows, guard, min_words, max_sentences):
    """{id: reading} from scripts/read-sentences.ts, cached by content."""
    reduced = {k: v for k, v in guard.items() if k != "segments"}
    blob = json.dumps(reduced, sort_keys=True) + json.dumps([(r["id"], r["text"]) for r in rows]) + f"{min_words}/{max_sentences}"
    key = hashlib.sha256(blob.encode()).hexdigest()[:12]
    os.makedirs(OUT, exist_ok=True)
    dst = os.path.join(OUT, f"read-{key}.jsonl")
    if not os.path.exists(dst):
        guard_path = os.path.join(OUT, f"guard-{key}.json")
        rows_path = os.path.join(OUT, f"rows-{key}.jsonl")
        with open(guard_path, "w", encoding="utf-8") as f:
            json.dump(reduced, f)
        with open(rows_path, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(json.dumps({"id": r["id"], "text": r["text"]}) + "\n")
        tsx = os.path.join(ROOT, "node_modules", ".bin", "tsx")
        subprocess.run([tsx, os.path.join(ROOT, "scripts", "read-sentences.ts"), rows_path, dst + ".tmp", "--guard", guard_path,
                        "--min-words", str(min_words), "--max", str(max_sentences)], check=True)
        os.replace(dst + ".tmp", dst)
    with open(dst, encoding="utf-8") as f:
        return {o["id"]: o for o in map(json.loads, f)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default=os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--guard", default=os.path.join(HERE, "latent-guard.json"))
    ap.add_argument("--per-source", type=int, default=60)
    ap.add_argument("--above", default="1,1.5,2", help="wholeAbove values to compare (calibrated logits)")
    args = ap.parse_args()

    with open(args.guard, encoding="utf-8") as f:
        guard = json.load(f)
    seg = guard.get("segments") or {"margin": 2.15, "max": 16}
    a, b = guard["calibration"]["a"], guard["calibration"]["b"]
    threshold = guard["threshold"]
    min_words = seg.get("minWords", guard["prompt"].get("minWords", 4))
    S = cdat.concept_sources(Registry(args.data))
    rows = []
    for name, items in S.items():
        if cdat.LABELS[name]["harm"] is None:
            continue
        rows += [{"id": f"{name}|{i}", "text": r["text"], "source": name} for i, r in enumerate(items[: args.per_source])]
    readings = read(rows, guard, min_words, seg["max"])

    def probability(o, margin, above):
        whole = o["whole"]
        if above is not None and o["windows"] == 1 and o["read"] and len(o["read"]) == o["sentences"]:
            whole = min(whole, max(o["read"]) + above / a)
        best = max([whole] + [x - margin / a for x in o["read"]]) if margin is not None else whole
        return 1 / (1 + math.exp(-(a * best + b)))

    aboves = [float(x) for x in args.above.split(",") if x]
    columns = [("whole only", None, None), (f"margin {seg['margin']}", seg["margin"], None)] + [(f"above {x:g}", seg["margin"], x) for x in aboves]
    by_source = collections.defaultdict(list)
    for r in rows:
        by_source[r["source"]].append(readings[r["id"]])
    harmful = lambda n: cdat.LABELS[n]["harm"] == 1  # noqa: E731
    order = sorted(by_source, key=lambda n: (n in cdat.SEALED, not harmful(n), cdat.GROUP_OF[n], n))
    rate = {n: [sum(probability(o, m, x) >= threshold for o in by_source[n]) / len(by_source[n]) for _, m, x in columns] for n in order}
    print(f"\n## Sentences read alone: how the whole reading and the sentences combine ({args.per_source} rows per source at most, threshold {threshold})\n")
    print("Flagged share: recall where the label is harmful, false-positive rate where it is benign.\n")
    print("| source | group | rows | label | " + " | ".join(c for c, _, _ in columns) + " | fitted on |")
    print("| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in columns) + " | --- |")
    for n in order:
        tag = " (sealed)" if n in cdat.SEALED else ""
        print(f"| {n}{tag} | {cdat.GROUP_OF[n]} | {len(by_source[n])} | {1 if harmful(n) else 0} | "
              + " | ".join(f"{100 * v:.1f} %" for v in rate[n]) + f" | {'yes' if n in FITTED_ON else ''} |")
    for sealed in (False, True):
        held = [n for n in order if n not in FITTED_ON and (n in cdat.SEALED) == sealed]
        print(f"\n{'sealed sources' if sealed else 'sources the detector was not fitted on (sealed left out)'}:")
        for i, (c, _, _) in enumerate(columns):
            parts = []
            pos = [n for n in held if harmful(n)]
            if pos:
                worst = min(pos, key=lambda n: rate[n][i])
                parts.append(f"recall macro {sum(rate[n][i] for n in pos) / len(pos):.3f}, worst {rate[worst][i]:.3f} ({worst})")
            for g in sorted({cdat.GROUP_OF[n] for n in held if not harmful(n)}):
                neg = [n for n in held if not harmful(n) and cdat.GROUP_OF[n] == g]
                worst = max(neg, key=lambda n: rate[n][i])
                parts.append(f"FPR [{g}] macro {sum(rate[n][i] for n in neg) / len(neg):.3f}, worst {rate[worst][i]:.3f} ({worst})")
            print(f"  {c}: " + "; ".join(parts))


if __name__ == "__main__":
    main()
