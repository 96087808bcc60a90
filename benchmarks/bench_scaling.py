"""Where two threads lose speed: the training kernel alone, one thread against two.

Encodes the corpus once, then times one epoch of ``run_epochs`` (no encoding, no
Python per word) in four setups, alternating them, and prints the medians:

* ``1 thread``: the baseline;
* ``2 threads``: what ``Word2Vec(workers=2)`` runs (shared weights, each thread with
  private copies of the busiest rows, merged every ``SYNC_EXAMPLES`` examples);
* ``2 threads, no copies``: shared weights, every row written by both threads;
* ``2 threads, private weights``: each thread trains its own full copy of the model
  (an upper bound: what the cores give when no cache line is shared; not a way to
  train, the two models are never combined).

The gap between the last two is what writing the same rows from two cores costs;
the copies win back what they can of it.

With ``--ceiling`` each repeat also times ``machine_ceiling.c``'s vector loop (the widest
the CPU has: AVX-512 or AVX2 fused multiply-adds on registers, nothing shared) on one
thread and on two, so the kernel's scaling is printed beside what the machine gives two
threads of pure arithmetic in the same minutes.

Usage::

    python benchmarks/bench_scaling.py --corpus /tmp/wiki17m.txt --sg 0 --repeat 3 \\
        [--hs 1 --negative 0] [--max-bytes N] [--ceiling] [--json out.json]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import machine_ceiling  # noqa: E402
from bench_quality import align, prefix_file, write_json_atomic  # noqa: E402

import w2v.train.weights  # noqa: E402
from w2v import Word2Vec  # noqa: E402
from w2v.data.encoding import encode_corpus  # noqa: E402
from w2v.train.kernel import make_kernel  # noqa: E402
from w2v.train.trainer import RunPlan, chunk_seed, chunk_words, run_epochs  # noqa: E402

SETUPS = ("1 thread", "2 threads", "2 threads, no copies", "2 threads, private weights")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpus", required=True, help="text8-style file (whitespace-separated)")
    p.add_argument("--max-bytes", type=int, help="use only this prefix of the corpus")
    p.add_argument("--sg", type=int, default=0, choices=(0, 1))
    p.add_argument("--hs", type=int, default=0, choices=(0, 1))
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--repeat", type=int, default=3, help="runs per setup (median)")
    p.add_argument("--ceiling", action="store_true",
                   help="also time machine_ceiling.c's vector loop on 1 and 2 threads")
    p.add_argument("--json", help="write the results here (atomically)")
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error("--repeat must be >= 1")
    if args.max_bytes is not None and args.max_bytes < 1:
        p.error("--max-bytes must be positive")
    return args


def _model(corpus: str, args: argparse.Namespace, workers: int) -> Word2Vec:
    return Word2Vec(corpus, sg=args.sg, hs=args.hs, negative=args.negative, workers=workers)


def _plan(model: Word2Vec, workers: int) -> RunPlan:
    p = model.params
    return RunPlan(epochs=1, first_epoch=0, workers=workers, seed=1,
                   start_alpha=p.start_alpha, min_alpha=p.min_alpha)


def _fresh_kernel(model: Word2Vec):
    """A kernel on freshly initialised weights for ``model``'s vocabulary (each timing
    starts from the same untrained state)."""
    return make_kernel(model.params, model.vocab,
                       *w2v.train.weights.initial_weights(len(model.vocab), model.params))


def _time_shared(model: Word2Vec, encoded, workers: int) -> float:
    kernel = _fresh_kernel(model)
    started = time.perf_counter()
    run_epochs(kernel, encoded, _plan(model, workers))
    return time.perf_counter() - started


def _time_private(models: list[Word2Vec], encoded) -> float:
    """Two threads, each on its own model (no copies: nothing is shared to avoid),
    sharing out the chunks as ``run_epochs`` does."""
    kernels = []
    for model in models:
        kernels.append(_fresh_kernel(model))
    p = models[0].params
    chunks = encoded.chunks(chunk_words(encoded.words))
    progress = np.zeros(len(models), np.int64)
    lock = threading.Lock()
    pending = iter(range(len(chunks)))

    def work(slot: int) -> None:
        while True:
            with lock:
                index = next(pending, None)
            if index is None:
                return
            lo, hi = chunks[index]
            kernels[slot].train_chunk(encoded.ids, encoded.offsets, lo, hi, chunk_seed(1, 0, index),
                                      progress, slot, encoded.words, p.start_alpha, p.min_alpha)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(len(models))]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    corpus = prefix_file(args.corpus, args.max_bytes) if args.max_bytes else args.corpus
    default_hot = w2v.train.weights.HOT_ROWS
    one = _model(corpus, args, 1)
    encoded = encode_corpus(one._corpus, one.vocab.key_to_index, one.vocab.retained_words)
    two, bare = _model(corpus, args, 2), _model(corpus, args, 2)
    private = [_model(corpus, args, 2), _model(corpus, args, 2)]
    runs: dict[str, list[float]] = {name: [] for name in SETUPS}
    ceiling = machine_ceiling.Ceiling(2) if args.ceiling else None
    for repeat in range(args.repeat):
        if ceiling is not None:
            ceiling.time(f" #{repeat + 1}")
        for name in SETUPS:
            if name == "1 thread":
                seconds = _time_shared(one, encoded, 1)
            elif name == "2 threads":
                w2v.train.weights.HOT_ROWS = default_hot
                seconds = _time_shared(two, encoded, 2)
            elif name == "2 threads, no copies":
                w2v.train.weights.HOT_ROWS = 0
                seconds = _time_shared(bare, encoded, 2)
            else:
                w2v.train.weights.HOT_ROWS = 0
                seconds = _time_private(private, encoded)
            w2v.train.weights.HOT_ROWS = default_hot
            speed = encoded.corpus_words / seconds
            runs[name].append(speed)
            print(f"[{name} #{repeat + 1}] {speed:,.0f} words/s", flush=True)
    medians = {name: statistics.median(v) for name, v in runs.items()}
    base = medians["1 thread"]
    rows = [["kernel, 1 epoch", "words/s", "vs 1 thread"]]
    rows += [[name, f"{medians[name]:,.0f}", f"{medians[name] / base:.3f}x"] for name in SETUPS]
    print(f"\ncorpus {corpus}: {encoded.corpus_words:,} words; sg={args.sg} hs={args.hs} "
          f"negative={args.negative}; hot rows {default_hot}; median of {args.repeat}")
    print("\n".join(align(rows)))
    if ceiling is not None:
        ceiling.close()
        print()
        print("\n".join(align(ceiling.rows())))
    if args.json:
        write_json_atomic(args.json, {
            "command": " ".join(sys.argv), "corpus": corpus, "words": encoded.corpus_words,
            "settings": vars(args), "hot_rows": default_hot, "runs": runs, "medians": medians,
            "scaling": {name: medians[name] / base for name in SETUPS},
            "ceiling": ceiling.summary() if ceiling is not None else None,
        })
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
