"""Phrase detection speed and memory: w2v's Phrases against gensim 4.4 and word2phrase.c.

Each system learns the bigram counts of the same text file and writes it back with its
phrases joined, in a fresh subprocess, timed from start to exit; peak memory is the
child's own maximum resident set (``wait4``). Two pairs share settings:

* ``w2v-word2phrase`` (``w2v phrases``) and ``word2phrase`` (the C tool, ``--word2phrase``,
  built from its public source; skipped when missing): scorer word2phrase, ``-min-count 5
  -threshold 100``; their outputs must be byte-identical (checked, printed).
* ``w2v-default`` and ``gensim`` (``Phrases`` + ``freeze`` over a ``LineSentence``, gensim's
  defaults ``min_count=5, threshold=10``): the transformed lines must be equal (checked).

The corpus is a prefix of ``--corpus`` (``--words`` words) re-cut into lines of at most
1,000 words (wiki17m is one 17M-word line). Note that word2phrase.c sets a 500M-entry
(2 GB) hash table to -1 three times whatever the corpus: a fixed cost of seconds and 2 GB.

Usage
-----
    gcc -O2 -o /tmp/w2c/word2phrase /tmp/w2c/word2phrase.c -lm -pthread
    python benchmarks/bench_phrases.py --corpus /tmp/wiki17m.txt --words 100000000 \\
        --word2phrase /tmp/w2c/word2phrase --repeats 3 --json phrases.json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

W2V_DEFAULT = """
import sys
from w2v.data.phrases import Phrases
phrases = Phrases(sys.argv[1], min_count=5, threshold=10.0)
phrases.transform_file(sys.argv[1], sys.argv[2])
"""

GENSIM = """
import sys
from gensim.models.phrases import Phrases
from gensim.models.word2vec import LineSentence
frozen = Phrases(LineSentence(sys.argv[1]), min_count=5, threshold=10.0).freeze()
with open(sys.argv[2], "w") as out:
    for sentence in LineSentence(sys.argv[1]):
        out.write(" ".join(frozen[sentence]) + "\\n")
"""


def make_corpus(source: str, words: int, path: Path) -> int:
    """The first ``words`` words of ``source``, 1,000 to a line; returns the count. Streams,
    so that this process stays small (a child's peak memory starts from its parent's)."""
    count, pending = 0, ""
    with open(source, encoding="utf-8") as handle, open(path, "w", encoding="utf-8") as out:
        while count < words:
            block = handle.read(1 << 20)
            tokens = (pending + block).split()
            pending = ""
            if block and tokens and not block[-1].isspace():
                pending = tokens.pop()  # may continue in the next block
            tokens = tokens[:words - count]
            for start in range(0, len(tokens), 1000):
                out.write(" ".join(tokens[start:start + 1000]) + "\n")
            count += len(tokens)
            if not block:
                break
    return count


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MB of one child process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise RuntimeError(f"{command[0]} failed with status {child.returncode}")
    return seconds, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="/tmp/wiki17m.txt")
    parser.add_argument("--words", type=int, default=2_000_000)
    parser.add_argument("--word2phrase", default="/tmp/w2c/word2phrase",
                        help="the C tool's binary (skipped when missing)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="rounds; each runs every system once, in turn (A B C D A B ...)")
    parser.add_argument("--json", help="write the runs and medians here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        n = make_corpus(args.corpus, args.words, work / "in.txt")
        print(f"corpus: {n:,} words of {args.corpus}")
        runs = {
            "w2v-word2phrase": [sys.executable, "-m", "w2v", "phrases", "-train", "in.txt",
                                "-output", "w2v_c.txt", "-min-count", "5",
                                "-threshold", "100", "-debug", "0"],
            "word2phrase": [args.word2phrase, "-train", "in.txt", "-output", "c.txt",
                            "-min-count", "5", "-threshold", "100", "-debug", "0"],
            "w2v-default": [sys.executable, "-c", W2V_DEFAULT, "in.txt", "w2v_g.txt"],
            "gensim": [sys.executable, "-c", GENSIM, "in.txt", "g.txt"],
        }
        if not Path(args.word2phrase).exists():
            print(f"word2phrase: skipped, no {args.word2phrase}")
            del runs["word2phrase"]
        times: dict[str, list[float]] = {name: [] for name in runs}
        peaks: dict[str, list[float]] = {name: [] for name in runs}
        for round_ in range(args.repeats):
            for name, command in runs.items():
                seconds, peak = timed(command, work)
                times[name].append(seconds)
                peaks[name].append(peak)
                print(f"round {round_ + 1}  {name:16} {seconds:8.2f} s {peak:8.0f} MB", flush=True)
        median = {name: statistics.median(values) for name, values in times.items()}
        peak = {name: max(values) for name, values in peaks.items()}
        print(f"\n{'system':16} {'median s':>9} {'peak MB':>8}   (of {args.repeats} runs)")
        for name in runs:
            print(f"{name:16} {median[name]:9.2f} {peak[name]:8.0f}")
        checks = {}
        if "word2phrase" in runs:
            checks["byte_identical_to_word2phrase"] = \
                (work / "c.txt").read_bytes() == (work / "w2v_c.txt").read_bytes()
            checks["speedup_over_word2phrase"] = median["word2phrase"] / median["w2v-word2phrase"]
        ours = [line.split() for line in (work / "w2v_g.txt").read_text().splitlines()]
        theirs = [line.split() for line in (work / "g.txt").read_text().splitlines()]
        checks["sentences_equal_to_gensim"] = ours == theirs
        checks["speedup_over_gensim"] = median["gensim"] / median["w2v-default"]
        checks["memory_vs_gensim"] = peak["w2v-default"] / peak["gensim"]
        for key, value in checks.items():
            print(f"{key}: {value:.2f}" if isinstance(value, float) else f"{key}: {value}")
        if args.json:
            with open(args.json, "w") as handle:
                json.dump({"corpus": args.corpus, "words": n, "repeats": args.repeats,
                           "seconds": times, "peak_mb": peaks, "median_seconds": median,
                           "checks": checks}, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
