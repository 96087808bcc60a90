"""Distributed training on a Dask LocalCluster against one process, on the same files.

The corpus is cut into ``--parts`` files (at spaces, about equal bytes, under a temporary
folder). One process trains on the folder with ``--threads`` threads; then
``w2v.distributed.client.train`` trains on the files with ``--dask-workers`` worker processes of
one thread each, for each ``--sync-every`` and ``--merge``, the same epochs and settings.
Printed per run: words/s, analogy accuracy, rounds, the bytes sent per round (the
updates sent to the workers, and the deltas sent back), and the training share (the
slowest shard's training time over the round's: the rest is communication and merge).
Medians over ``--repeat`` runs go into the table and the JSON.

Usage
-----
    python benchmarks/bench_distributed.py --corpus /tmp/wiki17m.txt --repeat 3 \\
        --json distributed.json [--sync-every 1000000,4000000] [--merge average]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench_quality import DATA, align, evaluate, scan_words, write_json_atomic

import w2v
from w2v import Word2Vec


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True, help="text8-style file")
    p.add_argument("--parts", type=int, default=8, help="files to cut the corpus into")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--json", help="write the results here (atomically)")
    p.add_argument("--threads", type=int, default=2, help="threads of the single process")
    p.add_argument("--dask-workers", type=int, default=2, help="worker processes, 1 thread each")
    p.add_argument("--sync-every", default="1000000", help="comma-separated words per shard")
    p.add_argument("--merge", default="average", help="comma-separated merges to compare")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--sg", type=int, default=1, choices=(0, 1))
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--questions", default=str(DATA / "questions-words.txt"))
    p.add_argument("--pairs", default=str(DATA / "wordsim353.tsv"))
    args = p.parse_args(argv)
    args.sync_every = [int(s) for s in args.sync_every.split(",")]
    args.merge = args.merge.split(",")
    return args


def cut(corpus: str, parts: int, folder: str) -> list[str]:
    """``corpus`` in ``parts`` files of about equal bytes, cut at whitespace."""
    data = Path(corpus).read_bytes()
    files, start = [], 0
    for k in range(parts):
        end = len(data) if k == parts - 1 else len(data) * (k + 1) // parts
        while end < len(data) and data[end:end + 1] not in (b" ", b"\n"):
            end += 1
        path = os.path.join(folder, f"part-{k:02d}.txt")
        Path(path).write_bytes(data[start:end] + b"\n")
        files.append(path)
        start = end
    return files


def settings(args: argparse.Namespace) -> dict:
    return {"vector_size": args.vector_size, "window": 5, "negative": 5, "sample": 1e-3,
            "min_count": 5, "sg": args.sg, "epochs": args.epochs, "seed": args.seed}


def run_single(args: argparse.Namespace, folder: str, words: int) -> dict:
    model = Word2Vec(folder, workers=args.threads, **settings(args))
    started = time.perf_counter()
    model.train()
    seconds = time.perf_counter() - started
    return {"train_s": seconds, "words_per_s": words * args.epochs / seconds,
            **evaluate(model.wv, args)}


def run_distributed(args: argparse.Namespace, client, files: list[str], words: int,
                    sync_every: int, merge: str) -> dict:
    from w2v.distributed.client import train

    stats: list = []
    started = time.perf_counter()
    model = train(files, client, sync_every=sync_every, merge=merge, stats=stats,
                  **settings(args))
    seconds = time.perf_counter() - started  # vocabulary and encoding included
    train_s = sum(s.seconds for s in stats)
    return {"total_s": seconds, "train_s": train_s, "words_per_s": words * args.epochs / train_s,
            "rounds": len(stats),
            "bytes_down_per_round": statistics.mean(s.bytes_down for s in stats),
            "bytes_up_per_round": statistics.mean(s.bytes_up for s in stats),
            "training_share": sum(s.train_seconds for s in stats) / train_s,
            **evaluate(model.wv, args)}


def median(runs: list[dict]) -> dict:
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]
            if isinstance(runs[0][key], (int, float))}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from dask.distributed import Client, LocalCluster

    words, _ = scan_words(args.corpus)
    results: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="w2v-parts-") as folder:
        files = cut(args.corpus, args.parts, folder)
        with LocalCluster(n_workers=args.dask_workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            for _ in range(args.repeat):
                results.setdefault(f"1 process x {args.threads} threads", []).append(
                    run_single(args, folder, words))
                for sync_every in args.sync_every:
                    for merge in args.merge:
                        name = (f"{args.dask_workers} workers x 1 thread, sync {sync_every:,}"
                                f", {merge}")
                        results.setdefault(name, []).append(run_distributed(
                            args, client, files, words, sync_every, merge))
                print(f"repeat done: {time.strftime('%H:%M:%S')}", file=sys.stderr, flush=True)
    medians = {name: median(runs) for name, runs in results.items()}
    base = medians[f"1 process x {args.threads} threads"]
    rows = [["run", "words/s", "analogy", "vs 1 process", "rounds", "MB down/round",
             "MB up/round", "training share"]]
    for name, m in medians.items():
        rows.append([name, f"{m['words_per_s']:,.0f}", f"{m['analogy']:.2%}",
                     f"{(m['analogy'] - base['analogy']) * 100:+.2f} pt",
                     f"{m.get('rounds', 0):.0f}",
                     f"{m.get('bytes_down_per_round', 0) / 2**20:.1f}",
                     f"{m.get('bytes_up_per_round', 0) / 2**20:.1f}",
                     f"{m['training_share']:.0%}" if "training_share" in m else ""])
    print("\n".join(align(rows)))
    if args.json:
        write_json_atomic(args.json, {"args": {k: v for k, v in vars(args).items()},
                                      "w2v_version": w2v.__version__, "corpus_words": words,
                                      "runs": results, "medians": medians})
    return 0


if __name__ == "__main__":
    sys.exit(main())
