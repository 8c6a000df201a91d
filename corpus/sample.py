#!/usr/bin/env python3
"""sample.py: the findings of a corpus run to judge by hand, per code.

  corpus/sample.py OUT [--seed 7] [--size 30] [--all 40] [--code CODE]...

Reads OUT/<owner+name>/validate.json (errors then warnings, as
summarize.py counts them, repositories in name order) and prints, per code,
every finding when there are at most ALL of them (40), else a random sample
of SIZE (30) drawn with random.Random(SEED).sample. One line per finding:
index, repository, file:line, message. The same OUT and seed give the same
sample.
"""
import argparse
import collections
import glob
import json
import os
import random


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--size", type=int, default=30)
    ap.add_argument("--all", type=int, default=40)
    ap.add_argument("--code", action="append", default=[])
    a = ap.parse_args()
    by = collections.defaultdict(list)
    for path in sorted(glob.glob(os.path.join(a.out, "*", "validate.json"))):
        repo = os.path.basename(os.path.dirname(path))
        try:
            with open(path, encoding="utf-8") as f:
                v = json.load(f)
        except (OSError, ValueError):
            continue
        for key in ("errors", "warnings"):
            for p in v.get(key) or []:
                by[p["code"]].append((repo, f"{p.get('file', '')}:{p.get('line', 0)}", p["message"]))
    for code in sorted(by, key=lambda c: (-len(by[c]), c)):
        if a.code and code not in a.code:
            continue
        rows = by[code]
        sample = rows if len(rows) <= a.all else random.Random(a.seed).sample(rows, a.size)
        print(f"## {code}: {len(rows)} findings, {len(sample)} shown")
        for i, (repo, at, msg) in enumerate(sample):
            print(f"{i}\t{repo}\t{at}\t{msg}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
