#!/usr/bin/env python3
"""How much of the analogy and WordSim-353 test sets a corpus's vocabulary covers.

    python3 benchmarks/corpora/check_coverage.py /tmp/corpora/docs.txt [--min-count 5]

A word is in the vocabulary when it occurs at least --min-count times in the corpus
(whitespace-separated tokens); test words are lowercased. Standard library only.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                    "data")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--questions", default=os.path.join(DATA, "questions-words.txt"))
    ap.add_argument("--wordsim", default=os.path.join(DATA, "wordsim353.tsv"))
    args = ap.parse_args()

    counts: Counter[str] = Counter()
    with open(args.corpus, encoding="utf-8") as fh:
        for line in fh:
            counts.update(line.split())
    vocab = {w for w, c in counts.items() if c >= args.min_count}

    total = covered = 0
    sections: dict[str, list[int]] = {}
    section = ""
    with open(args.questions, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith(":"):
                section = line[1:].strip()
                continue
            words = line.lower().split()
            if len(words) != 4:
                continue
            ok = all(w in vocab for w in words)
            total += 1
            covered += ok
            sec = sections.setdefault(section, [0, 0])
            sec[0] += 1
            sec[1] += ok

    pairs = pairs_ok = 0
    with open(args.wordsim, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            a, b = line.lower().split("\t")[:2]
            pairs += 1
            pairs_ok += a in vocab and b in vocab

    print(f"vocabulary (count >= {args.min_count}): {len(vocab)}")
    print(f"analogy questions with all 4 words: {covered} / {total} "
          f"({100 * covered / total:.1f}%)")
    for name, (n, ok) in sections.items():
        print(f"  {name:28s} {ok:5d} / {n}")
    print(f"WordSim-353 pairs with both words: {pairs_ok} / {pairs} "
          f"({100 * pairs_ok / pairs:.1f}%)")


if __name__ == "__main__":
    main()
