"""Train w2v and gensim side by side on one text8-style corpus: speed and analogy accuracy.

For each implementation and repeat it times the vocabulary scan and the training separately,
reports raw corpus words per second (corpus tokens x epochs / training seconds), and scores the
vectors on the word-analogy set with ``w2v.vectors.evaluate`` and, as a cross-check, with
gensim's own evaluator (and WordSim-353 when the file is there). Medians over the repeats are
printed as a table and written as JSON.

Usage
-----
    python benchmarks/bench_quality.py --corpus /tmp/wiki17m.txt --sg 1 --workers 2 \\
        --repeat 1 --json out.json [--max-bytes N] [--impl w2v,gensim]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_args import add_model_args

REPO = Path(__file__).resolve().parent.parent
DATA = REPO.parent / "shared" / "data"
IMPLS = ("w2v", "gensim")
GENSIM_LINE_WORDS = 10_000  # gensim's MAX_WORDS_IN_BATCH / corpus_file sentence length

try:  # an installed w2v is used as is; else the source tree's (built in place)
    import w2v
except ImportError:
    sys.path.insert(0, str(REPO / "src"))
    import w2v


GENSIM_MODE = "iterable"  # gensim's usual input mode, and the more accurate one here


def add_run_args(p: argparse.ArgumentParser, repeat: int) -> None:
    """The options every training benchmark shares: corpus, data files, settings."""
    p.add_argument("--corpus", required=True, help="text8-style file (whitespace-separated)")
    p.add_argument("--impl", default="w2v,gensim", help="comma-separated: w2v, gensim")
    p.add_argument("--repeat", type=int, default=repeat, help="runs per implementation (median)")
    p.add_argument("--json", help="write the results here (atomically)")
    p.add_argument("--max-bytes", type=int, help="use only this prefix of the corpus")
    p.add_argument("--questions", default=str(DATA / "questions-words.txt"))
    p.add_argument("--pairs", default=str(DATA / "wordsim353.tsv"),
                   help="word-pair similarity file; skipped when missing")
    add_model_args(p)
    p.add_argument("--gensim-mode", choices=("iterable", "corpus_file"), default=GENSIM_MODE,
                   help=f"gensim's input mode (default: {GENSIM_MODE}, its usual and more "
                        "accurate one)")
    p.add_argument("--alpha", type=float, default=None,
                   help="initial learning rate for both (default: each implementation's own)")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)


def check_run_args(p: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Split ``--impl`` into a list and reject impossible values (exits via ``p.error``)."""
    args.impl = [name.strip() for name in args.impl.split(",") if name.strip()]
    unknown = set(args.impl) - set(IMPLS)
    if unknown or not args.impl or len(set(args.impl)) != len(args.impl):
        p.error(f"--impl takes a comma-separated subset of {','.join(IMPLS)}, got {args.impl}")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    if args.workers < 1:
        p.error("--workers must be at least 1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_run_args(p, repeat=1)
    args = p.parse_args(argv)
    check_run_args(p, args)
    return args


def align(rows: list[list[str]]) -> list[str]:
    """Table lines: first column left-aligned, the rest right-aligned, a rule under the
    header row."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                       enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def prefix_file(path: str, max_bytes: int) -> str:
    """Copy the first ``max_bytes`` of ``path``, cut back to the last whitespace, to /tmp."""
    with open(path, "rb") as handle:
        data = handle.read(max_bytes)
        if len(data) == max_bytes and handle.read(1).strip():  # the cut fell inside a word
            cut = max(data.rfind(b" "), data.rfind(b"\n"), data.rfind(b"\t"))
            data = data[: cut + 1] if cut >= 0 else b""
    fd, out = tempfile.mkstemp(prefix="bench_quality_", suffix=".txt", dir="/tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return out


def _blocks(path: str, chunk: int = 1 << 24):
    """The file in chunks that end at whitespace (a word is never split across two)."""
    carry = b""
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            block = carry + block
            cut = len(block) if block[-1:].isspace() else max(map(block.rfind, b" \n\t\r")) + 1
            block, carry = block[:cut], block[cut:]
            yield block
    if carry:
        yield carry


def scan_words(path: str) -> tuple[int, int]:
    """(whitespace-separated tokens in the file, tokens of its longest line)."""
    words = longest = line = 0
    for block in _blocks(path):
        parts = block.split(b"\n")
        for i, part in enumerate(parts):
            n = len(part.split())
            words, line = words + n, line + n
            if i < len(parts) - 1:
                longest, line = max(longest, line), 0
    return words, max(longest, line)


def relined_copy(path: str, per_line: int) -> str:
    """Copy of the corpus, to /tmp, with lines broken every ``per_line`` words."""
    fd, out = tempfile.mkstemp(prefix="bench_quality_lines_", suffix=".txt", dir="/tmp")
    with os.fdopen(fd, "wb") as handle:
        filled = 0  # words on the output line so far
        for block in _blocks(path):
            parts = block.split(b"\n")
            for i, part in enumerate(parts):
                tokens = part.split()
                while tokens:
                    take = tokens[: per_line - filled]
                    tokens = tokens[len(take) :]
                    handle.write((b" " if filled else b"") + b" ".join(take))
                    filled += len(take)
                    if filled == per_line:
                        handle.write(b"\n")
                        filled = 0
                if i < len(parts) - 1 and filled:
                    handle.write(b"\n")
                    filled = 0
        if filled:
            handle.write(b"\n")
    return out


def train_w2v(args: argparse.Namespace, corpus: str):
    from w2v import Word2Vec

    started = time.perf_counter()
    model = Word2Vec(
        corpus=corpus, vector_size=args.vector_size, window=args.window,
        min_count=args.min_count, sg=args.sg, hs=args.hs, negative=args.negative,
        sample=args.sample, epochs=args.epochs, workers=args.workers, seed=args.seed,
        alpha=args.alpha,
    )
    vocab_s = time.perf_counter() - started
    started = time.perf_counter()
    model.train()
    train_s = time.perf_counter() - started
    return model.wv, vocab_s, train_s, model.params.start_alpha, {
        "loss_history": model.loss_history}


def train_gensim(args: argparse.Namespace, corpus: str):
    """gensim's usual iterable mode (``LineSentence``), or its ``corpus_file`` mode.

    ``corpus_file`` is faster but, on wiki17m, scores about 5 analogy points lower than
    the iterable mode (22.98% vs 27.6% skip-gram), so the iterable mode is the default peer.
    """
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    source = (
        {"corpus_file": corpus} if args.gensim_mode == "corpus_file"
        else {"corpus_iterable": LineSentence(corpus)}
    )

    extra = {} if args.alpha is None else {"alpha": args.alpha}
    model = Word2Vec(
        vector_size=args.vector_size, window=args.window, min_count=args.min_count,
        sg=args.sg, hs=args.hs, negative=args.negative, sample=args.sample,
        epochs=args.epochs, workers=args.workers, seed=args.seed, **extra,
    )
    started = time.perf_counter()
    model.build_vocab(**source)
    vocab_s = time.perf_counter() - started
    started = time.perf_counter()
    model.train(
        **source, total_examples=model.corpus_count,
        total_words=model.corpus_total_words, epochs=model.epochs,
    )
    train_s = time.perf_counter() - started
    return model.wv, vocab_s, train_s, float(model.alpha), {"gensim_mode": args.gensim_mode}


def gensim_version() -> str | None:
    try:
        import gensim
    except ImportError:
        return None
    return gensim.__version__


def evaluate(wv, args: argparse.Namespace) -> dict:
    """Analogy accuracy (ours, and gensim's evaluator when importable) and word-pair scores."""
    from w2v.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs

    out: dict = {}
    started = time.perf_counter()
    score, sections = evaluate_word_analogies(wv, args.questions, 300_000, True)
    out["eval_s"] = time.perf_counter() - started
    out["analogy"] = score
    out["analogy_oov"] = sections[-1]["oov"]
    for kind, pick in (("semantic", False), ("syntactic", True)):
        parts = [s for s in sections[:-1] if s["section"].startswith("gram") == pick]
        right = sum(len(s["correct"]) for s in parts)
        asked = right + sum(len(s["incorrect"]) for s in parts)
        out[f"analogy_{kind}"] = right / asked if asked else 0.0
    out["analogy_sections"] = {
        s["section"]: [len(s["correct"]), len(s["correct"]) + len(s["incorrect"])]
        for s in sections
    }
    if os.path.exists(args.pairs):
        out["ws353_spearman"] = evaluate_word_pairs(wv, args.pairs)["spearman"]
    if gensim_version() is not None:
        from gensim.models import KeyedVectors

        kv = KeyedVectors(wv.vectors.shape[1])
        kv.add_vectors(list(wv.index_to_key), np.asarray(wv.vectors, dtype=np.float32))
        started = time.perf_counter()
        out["analogy_gensim_eval"] = kv.evaluate_word_analogies(args.questions, 300_000, True)[0]
        out["gensim_eval_s"] = time.perf_counter() - started
    return out


def run_once(impl: str, args: argparse.Namespace, corpus: str, corpus_words: int) -> dict:
    trainer = train_w2v if impl == "w2v" else train_gensim
    wv, vocab_s, train_s, alpha, extra = trainer(args, corpus)
    result = {
        "vocab_s": vocab_s, "train_s": train_s, "alpha": alpha, "vocab_size": len(wv.index_to_key),
        "words_per_s": corpus_words * args.epochs / train_s,
    }
    result.update(evaluate(wv, args))
    result.update(extra)
    return result


NUMERIC = ("vocab_s", "train_s", "words_per_s", "analogy", "analogy_semantic",
           "analogy_syntactic", "analogy_gensim_eval", "ws353_spearman", "eval_s",
           "gensim_eval_s")


def median_of(runs: list[dict]) -> dict:
    med = {k: statistics.median(r[k] for r in runs) for k in NUMERIC if k in runs[0]}
    med.update(alpha=runs[0]["alpha"], vocab_size=runs[0]["vocab_size"],
               analogy_oov=runs[0]["analogy_oov"], relined=runs[0]["relined"])
    return med


def table(medians: dict[str, dict], ratio: float | None) -> str:
    def pct(v):
        return "-" if v is None else f"{100 * v:.2f}%"

    header = ["impl", "alpha", "vocab", "vocab s", "train s", "words/s", "analogy",
              "semantic", "syntactic", "gensim-eval", "ws353 rho", "skipped"]
    rows = [header]
    for impl, m in medians.items():
        rho = m.get("ws353_spearman")
        rows.append([
            impl, f"{m['alpha']:g}", str(m["vocab_size"]), f"{m['vocab_s']:.2f}",
            f"{m['train_s']:.2f}", f"{m['words_per_s']:,.0f}", pct(m["analogy"]),
            pct(m["analogy_semantic"]), pct(m["analogy_syntactic"]),
            pct(m.get("analogy_gensim_eval")), "-" if rho is None else f"{rho:.4f}",
            str(m["analogy_oov"]),
        ])
    lines = align(rows)
    if ratio is not None:
        lines.append(f"words/s ratio w2v/gensim: {ratio:.3f}")
    return "\n".join(lines)


def write_json_atomic(path: str, payload: dict) -> None:
    """Write ``payload`` as indented JSON with w2v's own atomic writer."""
    from w2v._util.atomic import atomic_write

    with atomic_write(path, "w") as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not os.path.exists(args.corpus):
        sys.exit(f"corpus not found: {args.corpus}")
    if not os.path.exists(args.questions):
        sys.exit(f"analogy questions not found: {args.questions}")
    corpus = prefix_file(args.corpus, args.max_bytes) if args.max_bytes else args.corpus
    temporary = [corpus] if corpus != args.corpus else []
    try:
        corpus_bytes = os.path.getsize(corpus)
        corpus_words, longest_line = scan_words(corpus)
        print(f"corpus {args.corpus}"
              + (f" (first {corpus_bytes:,} bytes, in {corpus})" if temporary else "")
              + f": {corpus_bytes:,} bytes, {corpus_words:,} words; sg={args.sg} hs={args.hs} "
              f"negative={args.negative} size={args.vector_size} window={args.window} "
              f"sample={args.sample:g} min_count={args.min_count} epochs={args.epochs} "
              f"workers={args.workers}", flush=True)
        inputs = dict.fromkeys(args.impl, corpus)
        if "gensim" in inputs and longest_line > GENSIM_LINE_WORDS:
            # gensim's corpus_file mode cuts lines into 10,000-word pieces but each worker stops
            # at the end of the file, dropping the pieces it has not yet trained: on a one-line
            # text8-style file it trains ~10,000 words per worker per epoch. Give it the same
            # words with a line break every 10,000 words (what its Text8Corpus reader does).
            inputs["gensim"] = relined_copy(corpus, GENSIM_LINE_WORDS)
            temporary.append(inputs["gensim"])
            print(f"gensim reads a copy with lines of {GENSIM_LINE_WORDS:,} words (the longest "
                  f"line has {longest_line:,}): {inputs['gensim']}", flush=True)
        runs: dict[str, list[dict]] = {impl: [] for impl in args.impl}
        for rep in range(args.repeat):
            for impl in args.impl:
                result = run_once(impl, args, inputs[impl], corpus_words)
                result["relined"] = inputs[impl] != corpus
                runs[impl].append(result)
                print(f"[{impl} #{rep + 1}] vocab {result['vocab_s']:.2f}s train "
                      f"{result['train_s']:.2f}s {result['words_per_s']:,.0f} words/s analogy "
                      f"{100 * result['analogy']:.2f}%", flush=True)
    finally:
        for path in temporary:
            os.unlink(path)
    medians = {impl: median_of(r) for impl, r in runs.items()}
    ratio = None
    if "w2v" in medians and "gensim" in medians:
        ratio = medians["w2v"]["words_per_s"] / medians["gensim"]["words_per_s"]
    print()
    print(table(medians, ratio))
    if args.json:
        settings = {k: v for k, v in vars(args).items() if k != "json"}
        write_json_atomic(args.json, {
            "settings": settings,
            "corpus": {"path": args.corpus, "bytes": corpus_bytes, "words": corpus_words,
                       "longest_line_words": longest_line},
            "environment": {
                "python": platform.python_version(), "numpy": np.__version__,
                "gensim": gensim_version(), "w2v": getattr(w2v, "__version__", None),
                "w2v_path": os.path.dirname(w2v.__file__), "machine": platform.machine(),
                "cpus": os.cpu_count(),
            },
            "runs": runs,
            "median": medians,
            "words_per_s_ratio_w2v_over_gensim": ratio,
        })
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
