"""Query latency and file load time, w2v next to gensim in the same run.

A random (words x dim) float32 matrix stands in for trained vectors (the arithmetic does not
care). For each implementation it times:

- ``most_similar(word, topn=10)``: the first query (which builds the unit-vector cache) and
  the median of warm queries over random words;
- ``most_similar(positive=[a, b], negative=[c])`` (an analogy query), warm median;
- loading the word2vec C binary file (median of ``--repeat`` loads), and the text file when
  ``--text`` is given;
- w2v only: loading its native zip, read into memory and memory-mapped.

Usage
-----
    python benchmarks/bench_queries.py [--words 300000] [--dim 300] [--queries 50]
        [--repeat 3] [--text] [--json out.json] [--impl w2v,gensim]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np
from bench_quality import align, w2v, write_json_atomic  # w2v: installed, else src/


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--words", type=int, default=300_000)
    p.add_argument("--dim", type=int, default=300)
    p.add_argument("--queries", type=int, default=50, help="warm queries per measurement")
    p.add_argument("--repeat", type=int, default=3, help="loads per file (median)")
    p.add_argument("--text", action="store_true", help="also time the (slow) text format")
    p.add_argument("--impl", default="w2v,gensim", help="comma-separated: w2v, gensim")
    p.add_argument("--json", help="write the results here (atomically)")
    p.add_argument("--tmp", default=tempfile.gettempdir(), help="folder for the test files")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def median_time(fn: Callable[[], object], runs: int) -> float:
    return statistics.median(timed(fn)[0] for _ in range(runs))


def query_times(kv, words: list[str], queries: int, rng: np.random.Generator) -> dict:
    """First (cold) query, then warm single-word and analogy medians, in milliseconds."""
    picks = rng.choice(len(words), size=(queries, 3))
    first, _ = timed(lambda: kv.most_similar(words[picks[0, 0]], topn=10))
    single = [timed(lambda i=i: kv.most_similar(words[i], topn=10))[0] for i in picks[:, 0]]
    analogy = [
        timed(lambda a=a, b=b, c=c: kv.most_similar(
            positive=[words[a], words[b]], negative=[words[c]], topn=10))[0]
        for a, b, c in picks
    ]
    return {"first_query_ms": 1e3 * first, "query_ms": 1e3 * statistics.median(single),
            "analogy_ms": 1e3 * statistics.median(analogy)}


def bench_c_formats(kv_class, files: dict[str, str], args, words: list[str]) -> dict:
    """Load times of the C formats, then query times, for one KeyedVectors class."""
    result: dict = {}
    result["load_binary_s"] = median_time(
        lambda: kv_class.load_word2vec_format(files["bin"], binary=True), args.repeat)
    if args.text:
        result["load_text_s"] = median_time(
            lambda: kv_class.load_word2vec_format(files["txt"]), args.repeat)
    kv = kv_class.load_word2vec_format(files["bin"], binary=True)
    result.update(query_times(kv, words, args.queries, np.random.default_rng(args.seed)))
    return result


def bench_w2v(files: dict[str, str], args, words: list[str]) -> dict:
    result = bench_c_formats(w2v.KeyedVectors, files, args, words)
    result["load_native_s"] = median_time(lambda: w2v.KeyedVectors.load(files["zip"]),
                                          args.repeat)
    result["load_native_mmap_s"] = median_time(
        lambda: w2v.KeyedVectors.load(files["zip"], mmap="r"), args.repeat)
    return result


def bench_gensim(files: dict[str, str], args, words: list[str]) -> dict:
    from gensim.models import KeyedVectors

    return bench_c_formats(KeyedVectors, files, args, words)


ROWS = [
    ("first most_similar (ms)", "first_query_ms"), ("most_similar (ms)", "query_ms"),
    ("analogy query (ms)", "analogy_ms"), ("load binary (s)", "load_binary_s"),
    ("load text (s)", "load_text_s"), ("load native zip (s)", "load_native_s"),
    ("load native zip, mmap (s)", "load_native_mmap_s"),
]


def table(results: dict[str, dict]) -> str:
    impls = list(results)
    header = ["measure", *impls] + (["w2v/gensim"] if len(impls) == 2 else [])
    rows = [header]
    for label, key in ROWS:
        values = [results[i].get(key) for i in impls]
        if all(v is None for v in values):
            continue
        row = [label] + ["-" if v is None else f"{v:.4g}" for v in values]
        if len(impls) == 2:
            row.append(f"{values[0] / values[1]:.2f}" if None not in values else "-")
        rows.append(row)
    return "\n".join(align(rows))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    impls = [i.strip() for i in args.impl.split(",") if i.strip()]
    rng = np.random.default_rng(args.seed)
    words = [f"w{i}" for i in range(args.words)]
    vectors = rng.standard_normal((args.words, args.dim), dtype=np.float32)
    kv = w2v.KeyedVectors(vectors, words)
    with tempfile.TemporaryDirectory(dir=args.tmp) as folder:
        files = {"bin": os.path.join(folder, "vectors.bin"),
                 "txt": os.path.join(folder, "vectors.txt"),
                 "zip": os.path.join(folder, "vectors.zip")}
        kv.save_word2vec_format(files["bin"], binary=True)
        if args.text:
            kv.save_word2vec_format(files["txt"])
        kv.save(files["zip"])
        del kv, vectors
        results = {}
        for impl in impls:
            bench = bench_w2v if impl == "w2v" else bench_gensim
            results[impl] = bench(files, args, words)
    print(f"{args.words} words x {args.dim} dimensions, {args.queries} warm queries, "
          f"{args.repeat} loads per file (medians)")
    print(table(results))
    if args.json:
        payload = {"settings": vars(args), "results": results, "python": sys.version,
                   "machine": platform.platform(), "w2v": w2v.__version__,
                   "command": " ".join(sys.argv)}
        write_json_atomic(args.json, payload)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
