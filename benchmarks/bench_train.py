"""Training speed, memory and quality of w2v next to gensim, each run in a fresh subprocess.

Both implementations train on the same file with the same settings, one after the other and
alternating (w2v, gensim, w2v, gensim, ...) so that machine noise hits both. Each (implementation,
repeat) runs in its own child process, so the peak resident memory is that of one training. The
table gives the median over the repeats, with a w2v/gensim ratio column, of:

* raw corpus words per second: corpus tokens x epochs / wall time of ``train()`` alone;
* vocabulary-scan time: w2v ``Word2Vec(...).build_vocab(path)``; gensim ``build_vocab`` in the
  input mode bench_quality.py uses by default (``LineSentence`` on a copy relined every 10,000
  words when the corpus has longer lines);
* peak resident memory of the whole child (``ru_maxrss``) and, where Linux lets the high-water
  mark be reset (``/proc/self/clear_refs``), the peak during ``train()`` alone;
* analogy accuracy (``w2v.vectors.evaluate``, restrict_vocab 300,000, case-insensitive, for
  both) and WordSim-353 Spearman;
* the share of the machine's arithmetic limit the words/s reach: FLOP per raw corpus word
  (``arith_limit.py``, from w2v's vocabulary and the settings, the same for both systems)
  times words/s over ``--peak-gflops`` (default 166, this project's 2-core machines).

Usage
-----
    python benchmarks/bench_train.py --corpus PATH [--sg 1] [--hs 0] [--negative 5] \\
        [--workers 2] [--repeat 3] [--json out.json] [--max-bytes N] [--impl w2v,gensim] \\
        [--batch 1] [--scaling [--ceiling]] [--peak-gflops 166]

``--scaling`` also runs w2v with one worker (same repeats) and prints the N-vs-1 worker ratio;
``--ceiling`` adds, in each repeat, ``machine_ceiling.c``'s widest vector loop on one thread
and on N (pure arithmetic, nothing shared): what the machine itself gives N threads.
``--batch 0|1`` is passed to w2v as ``Word2Vec(..., batch=bool)`` only when its signature has
a ``batch`` parameter; otherwise it is ignored, with a note.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import machine_ceiling
from arith_limit import PEAK_GFLOPS, flop_per_word, limit_words_per_s
from bench_quality import (
    GENSIM_LINE_WORDS,
    GENSIM_MODE,
    add_run_args,
    align,
    check_run_args,
    gensim_version,
    prefix_file,
    relined_copy,
    scan_words,
    w2v,
    write_json_atomic,
)
from proc_memory import proc_kb

SCALING = "w2v-1w"  # w2v with one worker, run when --scaling is given
WORKER_FLAG = "--worker-json"
# Per-run measures, in table order: (key, label, format).
MEASURES = (
    ("words_per_s", "words/s", "{:,.0f}"),
    ("limit_pct", "% of arith. limit", "{:.1f}"),
    ("train_s", "train s", "{:.2f}"),
    ("vocab_s", "vocab scan s", "{:.3f}"),
    ("peak_rss_mb", "peak RSS MB (run)", "{:.0f}"),
    ("train_peak_rss_mb", "peak RSS MB (train)", "{:.0f}"),
    ("analogy", "analogy", "{:.2%}"),
    ("ws353_spearman", "ws353 rho", "{:.4f}"),
    ("vocab_size", "vocab words", "{:,.0f}"),
)


# ----------------------------------------------------------------------------- arguments


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_args(p, repeat=3)
    p.add_argument("--batch", type=int, choices=(0, 1), default=1,
                   help="w2v's batch=bool, passed only if Word2Vec accepts it (default 1)")
    p.add_argument("--scaling", action="store_true",
                   help="also run w2v with workers=1 and print the words/s scaling")
    p.add_argument("--ceiling", action="store_true",
                   help="with --scaling: also time a pure vector-arithmetic loop on 1 and N "
                        "threads (machine_ceiling.c)")
    p.add_argument("--peak-gflops", type=float, default=PEAK_GFLOPS,
                   help="the machine's float32 peak, for the '%% of arith. limit' row "
                        f"(default {PEAK_GFLOPS:g}: 2 Zen 4 cores)")
    args = p.parse_args(argv)
    check_run_args(p, args)
    if args.hs == 0 and args.negative <= 0:
        p.error("with --hs 0, --negative must be positive (nothing to train otherwise)")
    if args.scaling and "w2v" not in args.impl:
        p.error("--scaling needs w2v in --impl")
    if args.scaling and args.workers == 1:
        p.error("--scaling compares --workers N with 1 worker: give --workers 2 or more")
    if args.ceiling and not args.scaling:
        p.error("--ceiling goes with --scaling")
    if not args.peak_gflops > 0:
        p.error("--peak-gflops must be positive")
    return args


def w2v_accepts_batch() -> bool:
    from w2v import Word2Vec

    return "batch" in inspect.signature(Word2Vec).parameters


# ----------------------------------------------------------------------------- child side


def _mb(kb: int | None) -> float | None:
    return None if kb is None else kb / 1024


def _reset_peak_rss() -> bool:
    """Reset the resident high-water mark (VmHWM) to the current RSS (Linux >= 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def _build_w2v(spec: dict):
    from w2v import Word2Vec

    s = spec["settings"]
    extra = {}
    if spec["batch"] is not None:
        extra["batch"] = spec["batch"]
    model = Word2Vec(
        vector_size=s["vector_size"], window=s["window"], min_count=s["min_count"],
        sg=s["sg"], hs=s["hs"], negative=s["negative"], sample=s["sample"],
        epochs=s["epochs"], workers=spec["workers"], seed=s["seed"], alpha=s["alpha"],
        **extra,
    )
    started = time.perf_counter()
    model.build_vocab(spec["corpus"])
    vocab_s = time.perf_counter() - started
    return model, vocab_s, model.train


def _build_gensim(spec: dict):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    s = spec["settings"]
    source = (
        {"corpus_file": spec["corpus"]} if s["gensim_mode"] == "corpus_file"
        else {"corpus_iterable": LineSentence(spec["corpus"])}
    )
    extra = {} if s["alpha"] is None else {"alpha": s["alpha"]}
    model = Word2Vec(
        vector_size=s["vector_size"], window=s["window"], min_count=s["min_count"],
        sg=s["sg"], hs=s["hs"], negative=s["negative"], sample=s["sample"],
        epochs=s["epochs"], workers=spec["workers"], seed=s["seed"], **extra,
    )
    started = time.perf_counter()
    model.build_vocab(**source)
    vocab_s = time.perf_counter() - started

    def train():
        model.train(**source, total_examples=model.corpus_count,
                    total_words=model.corpus_total_words, epochs=model.epochs)

    return model, vocab_s, train


def run_child(spec: dict) -> dict:
    """One training (w2v or gensim) and its scores, in this (fresh) process."""
    from w2v.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs

    build = _build_w2v if spec["impl"] == "w2v" else _build_gensim
    model, vocab_s, train = build(spec)
    rss_before_train_kb = proc_kb("VmRSS")
    hwm_before_train_kb = proc_kb("VmHWM")
    isolated = _reset_peak_rss()
    started = time.perf_counter()
    train()
    train_s = time.perf_counter() - started
    hwm_train_kb = proc_kb("VmHWM")
    wv = model.wv
    out = {
        "vocab_s": vocab_s, "train_s": train_s, "vocab_size": len(wv.index_to_key),
        "words_per_s": spec["corpus_words"] * spec["settings"]["epochs"] / train_s,
    }
    _reset_peak_rss()
    started = time.perf_counter()
    out["analogy"], sections = evaluate_word_analogies(wv, spec["questions"], 300_000, True)
    out["analogy_oov"] = sections[-1]["oov"]
    if spec["pairs"]:
        out["ws353_spearman"] = evaluate_word_pairs(wv, spec["pairs"])["spearman"]
    out["eval_s"] = time.perf_counter() - started
    hwm_eval_kb = proc_kb("VmHWM")
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    # Resetting VmHWM also lowers ru_maxrss, so the run's peak is the largest of the phases'.
    peaks = (maxrss_kb, hwm_before_train_kb, hwm_train_kb, hwm_eval_kb)
    out["peak_rss_mb"] = max(kb for kb in peaks if kb is not None) / 1024
    out["ru_maxrss_mb"] = maxrss_kb / 1024
    out["pre_train_peak_rss_mb"] = _mb(hwm_before_train_kb)  # imports and vocabulary scan
    out["eval_peak_rss_mb"] = _mb(hwm_eval_kb) if isolated else None
    out["rss_before_train_mb"] = _mb(rss_before_train_kb)
    if hwm_train_kb is not None and (isolated or hwm_train_kb > (hwm_before_train_kb or 0)):
        out["train_peak_rss_mb"] = hwm_train_kb / 1024
    out["train_peak_isolated"] = isolated
    if spec["impl"] == "w2v":
        vocab, s = model.state().vocab, spec["settings"]
        out["arithmetic"] = flop_per_word(
            vocab.counts, vocab.keep_probabilities(s["sample"]), spec["corpus_words"],
            sg=s["sg"], hs=s["hs"], negative=s["negative"], vector_size=s["vector_size"],
            window=s["window"])
    return out


def child_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench_train.py (child)")
    p.add_argument(WORKER_FLAG, dest="spec", required=True)
    p.add_argument("--worker-out", dest="out", required=True)
    args = p.parse_args(argv)
    result = run_child(json.loads(args.spec))
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    return 0


# ----------------------------------------------------------------------------- parent side


def run_in_subprocess(spec: dict) -> dict:
    fd, out = tempfile.mkstemp(prefix="bench_train_", suffix=".json", dir="/tmp")
    os.close(fd)
    try:
        command = [sys.executable, str(Path(__file__).resolve()), WORKER_FLAG, json.dumps(spec),
                   "--worker-out", out]
        done = subprocess.run(command, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{spec['impl']} run failed (exit {done.returncode})")
        with open(out, encoding="utf-8") as handle:
            return json.load(handle)
    finally:
        os.unlink(out)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def environment() -> dict:
    import numpy as np

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "platform": platform.platform(), "cpu": cpu_model(), "cpus": os.cpu_count(),
        "cpus_usable": usable, "python": platform.python_version(), "numpy": np.__version__,
        "gensim": gensim_version(), "w2v": getattr(w2v, "__version__", None),
        "w2v_path": os.path.dirname(w2v.__file__), "w2v_simd": w2v_simd(),
    }


def w2v_simd() -> str | None:
    """The kernel's vector path ("avx512", "avx2", "portable"), as the children will pick
    it: they inherit this process's environment (``W2V_SIMD``) and CPU."""
    from w2v import _core

    path = getattr(_core, "simd_path", None)
    return path() if path is not None else None


def median_of(runs: list[dict]) -> dict:
    med = {}
    for key, _, _ in MEASURES:
        values = [r[key] for r in runs if r.get(key) is not None]
        med[key] = statistics.median(values) if values else None
    return med


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def table(medians: dict[str, dict], ratios: dict[str, float | None]) -> str:
    names = list(medians)
    header = ["median", *names] + (["w2v/gensim"] if len(ratios) else [])
    rows = [header]
    for key, label, fmt in MEASURES:
        row = [label]
        for name in names:
            value = medians[name][key]
            row.append("-" if value is None else fmt.format(value))
        if ratios:
            value = ratios.get(key)
            row.append("-" if value is None else f"{value:.3f}")
        rows.append(row)
    return "\n".join(align(rows))


def fail(message: str) -> int:
    print(f"bench_train.py: error: {message}", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if WORKER_FLAG in argv:
        return child_main(argv)
    args = parse_args(argv)
    if not os.path.isfile(args.corpus):
        return fail(f"corpus not found: {args.corpus}")
    if not os.path.isfile(args.questions):
        return fail(f"analogy questions not found: {args.questions}")
    if args.max_bytes is not None and args.max_bytes < 1:
        return fail("--max-bytes must be positive")
    command = shlex.join([sys.executable, sys.argv[0], *argv])
    env = environment()
    notes = []
    pairs = args.pairs if os.path.isfile(args.pairs) else None
    if pairs is None:
        notes.append(f"WordSim-353 file not found ({args.pairs}): no ws353 scores")
    batch = None
    if "w2v" in args.impl:
        if w2v_accepts_batch():
            batch = bool(args.batch)
        else:
            notes.append(f"--batch {args.batch} ignored: the installed w2v's Word2Vec has no "
                         "batch parameter")
    settings = {
        "sg": args.sg, "hs": args.hs, "negative": args.negative,
        "vector_size": args.vector_size, "window": args.window, "sample": args.sample,
        "min_count": args.min_count, "epochs": args.epochs, "workers": args.workers,
        "seed": args.seed, "alpha": args.alpha, "gensim_mode": args.gensim_mode,
        "batch": batch, "batch_requested": args.batch, "repeat": args.repeat,
        "impl": args.impl, "scaling": args.scaling, "max_bytes": args.max_bytes,
        "questions": args.questions, "pairs": pairs,
    }
    print(f"command: {command}")
    print(f"machine: {env['platform']}; {env['cpu']}; {env['cpus']} cores "
          f"({env['cpus_usable']} usable); python {env['python']}")
    print(f"versions: w2v {env['w2v']} ({env['w2v_path']}; kernel path {env['w2v_simd']}), "
          f"gensim {env['gensim']}, numpy {env['numpy']}")

    corpus = prefix_file(args.corpus, args.max_bytes) if args.max_bytes else args.corpus
    temporary = [corpus] if corpus != args.corpus else []
    ceiling: machine_ceiling.Ceiling | None = None
    try:
        corpus_bytes = os.path.getsize(corpus)
        corpus_words, longest_line = scan_words(corpus)
        inputs = dict.fromkeys(args.impl, corpus)
        if "gensim" in inputs and longest_line > GENSIM_LINE_WORDS:
            inputs["gensim"] = relined_copy(corpus, GENSIM_LINE_WORDS)
            temporary.append(inputs["gensim"])
        gensim_reads = (
            "LineSentence (iterable mode)" if args.gensim_mode == "iterable"
            else "corpus_file mode"
        ) + (f" on a copy relined every {GENSIM_LINE_WORDS:,} words"
             if inputs.get("gensim", corpus) != corpus else "")
        print(f"corpus: {args.corpus}"
              + (f" (first {corpus_bytes:,} bytes)" if corpus != args.corpus else "")
              + f": {corpus_bytes:,} bytes, {corpus_words:,} words, longest line "
              f"{longest_line:,} words")
        print(f"settings: sg={args.sg} hs={args.hs} negative={args.negative} "
              f"size={args.vector_size} window={args.window} sample={args.sample:g} "
              f"min_count={args.min_count} epochs={args.epochs} workers={args.workers} "
              f"seed={args.seed} alpha={'default' if args.alpha is None else args.alpha} "
              f"batch={args.batch}" + ("" if batch is not None else " (not passed)")
              + f" repeat={args.repeat}" + (" scaling" if args.scaling else ""))
        if "gensim" in args.impl:
            print(f"gensim input: {gensim_reads} (bench_quality.py's default mode is "
                  f"{GENSIM_MODE})")
        for note in notes:
            print(f"note: {note}")
        print(flush=True)

        plan = list(args.impl) + ([SCALING] if args.scaling else [])
        runs: dict[str, list[dict]] = {name: [] for name in plan}
        if args.ceiling:
            ceiling = machine_ceiling.Ceiling(args.workers)
        for rep in range(args.repeat):
            if ceiling is not None:
                ceiling.time(f" #{rep + 1}")
            for name in plan:
                impl = "w2v" if name == SCALING else name
                spec = {
                    "impl": impl, "corpus": inputs[impl], "corpus_words": corpus_words,
                    "workers": 1 if name == SCALING else args.workers, "batch": batch,
                    "questions": args.questions, "pairs": pairs, "settings": settings,
                }
                result = run_in_subprocess(spec)
                runs[name].append(result)
                train_peak = result.get("train_peak_rss_mb")
                print(f"[{name} #{rep + 1}] vocab {result['vocab_s']:.2f}s train "
                      f"{result['train_s']:.2f}s {result['words_per_s']:,.0f} words/s, peak "
                      f"{result['peak_rss_mb']:.0f} MB (train "
                      f"{'-' if train_peak is None else f'{train_peak:.0f}'} MB), analogy "
                      f"{result['analogy']:.2%}", flush=True)
    except RuntimeError as exc:
        print(f"bench_train.py: error: {exc}", file=sys.stderr)
        return 1
    finally:
        for path in temporary:
            os.unlink(path)
        if ceiling is not None:
            ceiling.close()

    arithmetic = next((r["arithmetic"] for rs in runs.values() for r in rs
                       if "arithmetic" in r), None)
    limit = None
    if arithmetic is not None:
        limit = limit_words_per_s(arithmetic["flop_per_word"], args.peak_gflops)
        for result in (r for rs in runs.values() for r in rs):
            result["limit_pct"] = 100.0 * result["words_per_s"] / limit
    medians = {name: median_of(r) for name, r in runs.items()}
    ratios: dict[str, float | None] = {}
    if "w2v" in medians and "gensim" in medians:
        ratios = {key: ratio(medians["w2v"][key], medians["gensim"][key])
                  for key, _, _ in MEASURES}
    scaling = None
    if args.scaling:
        scaling = ratio(medians["w2v"]["words_per_s"], medians[SCALING]["words_per_s"])
    print()
    print(table(medians, ratios))
    if arithmetic is not None:
        print(f"arithmetic: {arithmetic['flop_per_word']:,.0f} FLOP per raw word "
              f"({arithmetic['kept_fraction']:.1%} kept after subsampling, "
              f"{arithmetic['contexts']:g} contexts and {arithmetic['outputs']:.2f} output rows "
              f"per example); at {args.peak_gflops:g} GFLOP/s the limit is {limit:,.0f} words/s")
    if scaling is not None:
        print(f"w2v words/s scaling, {args.workers} workers vs 1: {scaling:.3f}")
    if ceiling is not None:
        print("\n".join(align(ceiling.rows())))
    if not all(r.get("train_peak_isolated") for rs in runs.values() for r in rs):
        print("note: the RSS high-water mark could not be reset; 'peak RSS MB (train)' is "
              "shown only where training raised the peak")
    if args.json:
        write_json_atomic(args.json, {
            "command": command, "settings": settings, "environment": env, "notes": notes,
            "corpus": {"path": args.corpus, "bytes": corpus_bytes, "words": corpus_words,
                       "longest_line_words": longest_line, "gensim_input": gensim_reads},
            "runs": runs, "median": medians, "ratio_w2v_over_gensim": ratios,
            "scaling_words_per_s_n_over_1": scaling, "arithmetic": arithmetic,
            "peak_gflops": args.peak_gflops, "limit_words_per_s": limit,
            "ceiling": ceiling.summary() if ceiling is not None else None,
        })
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
