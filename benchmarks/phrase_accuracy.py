"""Does a phrase step before training help? Skip-gram on a corpus and on its phrased copy.

The phrased copy is made as the C tool's ``demo-phrases.sh`` makes it: two word2phrase
passes, threshold 200 then 100, min_count 5, each learning from the previous pass's output
file (two :class:`w2v.data.phrases.Phrases` and ``transform_file``, byte for byte what
``word2phrase`` writes). Skip-gram (vector_size 100, window 5, negative 5, sample 1e-3,
min_count 5, epochs 5, the settings of bench_accuracy.py) trains on both corpora for each
seed; each model answers questions-words.txt and the C tool's questions-phrases.txt
(restrict_vocab 300,000, case-insensitive). Coverage is the share of questions whose four
words are all known; accuracy counts only those.

questions-phrases.txt comes with the word2vec C tool's public source
(https://github.com/tmikolov/word2vec); it is read from ``--questions-phrases``, else
downloaded from there. It is not part of this repository.

Usage
-----
    nice -n 5 timeout 3600 python benchmarks/phrase_accuracy.py --corpus /tmp/wiki17m.txt \\
        --questions-phrases /tmp/w2c/questions-phrases.txt --seeds 1,2 --workers 2 \\
        --json /work/acc_runs/phrase_accuracy.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings
from pathlib import Path
from typing import Any

from w2v import Word2Vec
from w2v.data.phrases import Phrases
from w2v.vectors.evaluate import analogy_oov_count

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
PHRASES_URL = "https://raw.githubusercontent.com/tmikolov/word2vec/master/questions-phrases.txt"
SETTINGS: dict[str, Any] = dict(vector_size=100, window=5, negative=5, sample=1e-3,
                                min_count=5, epochs=5, sg=1)


def ensure_corpus(path: Path) -> None:
    """Unpack wiki17m from the shared data folder when ``path`` is missing."""
    if not path.exists():
        with open(path, "wb") as out:
            subprocess.run(["xz", "-dk", "-c", str(DATA / "wiki17m.txt.xz")], stdout=out,
                           check=True)


def ensure_questions(path: Path) -> Path:
    """``path`` if it exists, else questions-phrases.txt downloaded there."""
    if path.exists():
        return path
    try:
        with urllib.request.urlopen(PHRASES_URL, timeout=30) as response:
            path.write_bytes(response.read())
    except OSError as error:
        sys.exit(f"{path} is missing and could not be downloaded ({error}); get "
                 f"questions-phrases.txt from the word2vec C tool's source, {PHRASES_URL}")
    return path


def phrase_corpus(corpus: Path, workdir: Path) -> tuple[Path, float, int]:
    """The two word2phrase passes of demo-phrases.sh; returns the output, the seconds taken
    and the number of distinct phrase tokens (tokens with ``_``) in it."""
    started = time.perf_counter()
    source = corpus
    for level, threshold in enumerate([200.0, 100.0]):
        output = workdir / f"phrase{level}.txt"
        with warnings.catch_warnings():  # pass 2 reads pass 1's joined tokens, by design
            warnings.filterwarnings("ignore", ".* tokens already contain the delimiter")
            model = Phrases(str(source), scoring="word2phrase", threshold=threshold,
                            min_count=5)
        model.transform_file(source, output)
        source = output
    seconds = time.perf_counter() - started
    phrases: set[str] = set()
    with open(source, encoding="utf-8", errors="surrogateescape") as handle:
        for line in handle:
            phrases.update(token for token in line.split() if "_" in token)
    return source, seconds, len(phrases)


def evaluate(model: Word2Vec, questions: Path) -> dict[str, float]:
    """Accuracy over the answerable questions and the share of questions answerable."""
    accuracy, sections = model.wv.evaluate_word_analogies(questions, restrict_vocab=300_000)
    total = sections[-1]
    scored = len(total["correct"]) + len(total["incorrect"])
    return {"accuracy": accuracy, "coverage": scored / (scored + analogy_oov_count(sections)),
            "scored": scored, "total": scored + analogy_oov_count(sections)}


def spread(values: list[float]) -> str:
    """``mean ± half the range`` in percent."""
    return (f"{100 * statistics.mean(values):5.1f} ± "
            f"{50 * (max(values) - min(values)):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=Path("/tmp/wiki17m.txt"))
    parser.add_argument("--questions-words", type=Path, default=DATA / "questions-words.txt")
    parser.add_argument("--questions-phrases", type=Path,
                        default=Path("/tmp/w2c/questions-phrases.txt"))
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    ensure_corpus(args.corpus)
    questions = {"words": args.questions_words,
                 "phrases": ensure_questions(args.questions_phrases)}
    seeds = [int(seed) for seed in args.seeds.split(",")]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="phrase_accuracy_", dir="/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)

    phrased, seconds, count = phrase_corpus(args.corpus, workdir)
    print(f"phrased corpus: {phrased}, two passes in {seconds:.0f} s, "
          f"{count:,} distinct phrase tokens", flush=True)
    rows: list[dict[str, Any]] = []
    for name, corpus in [("plain", args.corpus), ("phrased", phrased)]:
        for seed in seeds:
            started = time.perf_counter()
            model = Word2Vec(str(corpus), workers=args.workers, seed=seed, **SETTINGS)
            model.train()
            row: dict[str, Any] = {"corpus": name, "seed": seed,
                                   "seconds": time.perf_counter() - started,
                                   "vocab": len(model.wv.index_to_key)}
            row.update({kind: evaluate(model, path) for kind, path in questions.items()})
            rows.append(row)
            print(f"{name:8} seed {seed}: words {100 * row['words']['accuracy']:.1f}% "
                  f"phrases {100 * row['phrases']['accuracy']:.1f}% "
                  f"({row['seconds']:.0f} s)", flush=True)

    header = (f"{'corpus':8} {'seed':>4}  {'words acc':>10} {'coverage':>9}  "
              f"{'phrases acc':>11} {'coverage':>9}")
    print("\n" + header + "\n" + "-" * len(header))
    for row in rows:
        words, phrases = row["words"], row["phrases"]
        print(f"{row['corpus']:8} {row['seed']:>4}  {100 * words['accuracy']:9.1f}% "
              f"{100 * words['coverage']:8.1f}%  {100 * phrases['accuracy']:10.1f}% "
              f"{100 * phrases['coverage']:8.1f}%")
    summary = {}
    for name in ("plain", "phrased"):
        mine = [row for row in rows if row["corpus"] == name]
        summary[name] = {kind: {key: statistics.mean(row[kind][key] for row in mine)
                                for key in ("accuracy", "coverage")} for kind in questions}
        print(f"{name:8} {'mean':>4}  {spread([r['words']['accuracy'] for r in mine]):>10}  "
              f"{'':>9}{spread([r['phrases']['accuracy'] for r in mine]):>11}")
    if args.json:
        args.json.write_text(json.dumps({
            "settings": SETTINGS, "seeds": seeds, "workers": args.workers,
            "corpus": str(args.corpus), "phrase_seconds": seconds, "phrase_tokens": count,
            "runs": rows, "mean": summary}, indent=1) + "\n")


if __name__ == "__main__":
    main()
