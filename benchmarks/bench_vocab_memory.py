"""Peak memory and time of the vocabulary step under ``max_vocab_size``, on a generated corpus
of tens of millions of distinct tokens.

The corpus is streamed to a file (not kept in the repository): lines of ``--per-line`` unique
fixed-width tokens (``--width`` bytes: lowercase hex, left-padded with ``x``), each line led by
one of ``--planted`` frequent words (``zz000000`` on every other line, ``zz000001`` every
fourth, ...), so nearly every token is distinct. With the default sizes the corpus ends just
before a prune, so a bounded scan ends holding about ``max_vocab_size`` words, all of which
(``min_count=1``) become Python objects: the worst case of the last step.

Each setting then runs in a fresh child process that builds the vocabulary exactly as
``Word2Vec(path, max_vocab_size=M, min_count=1)`` does before allocating its weights
(``count_words``, then ``Vocabulary``, i.e. ``Vocabulary.build``), for two ways in:

* ``compiled``: the path itself (a ``PathCorpus``, counted by the compiled ``w2v._scan``);
* ``python``: an iterable of token lists that reads the file line by line, as a user's own
  sentence class would (counted by the Python ``Counter`` loop of ``count_words``).

For each child it reports the growth of the peak resident memory (``VmHWM`` after the count and
after the ``Vocabulary``, minus the peak of a child that only imports the same modules), the
times, the words held at the end, and the estimate of the formula documented in
docs/guide/training.rst (see ``estimate_bytes``). The unbounded scan runs only when its
estimate fits in the memory available (``--unbounded auto``).

Usage
-----
    python benchmarks/bench_vocab_memory.py --tokens 30000000 --dir /tmp \\
        [--sizes 10000,100000,1000000] [--paths compiled,python] [--unbounded auto|yes|no] \\
        [--width 8] [--per-line 10] [--keep-corpus] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

from proc_memory import proc_kb

from w2v._scan import SLOT_BYTES, table_slots

REPO = Path(__file__).resolve().parent.parent
CHILD_FLAG = "--child-json"
PATHS = ("compiled", "python")
# 30 million less one line: with 10 unique words a line, a bound M (a multiple of 10) is
# exceeded every M / 10 lines, so this corpus ends one line short of a prune, and the
# Vocabulary step gets about M words (its worst case), for every such M dividing 30,000,000
TOKENS = 29_999_990

# The formula (docs/guide/training.rst, "Memory of the vocabulary scan"); bytes.
ORDER_BYTES = 8  # the table's insertion-order array: one int64 per word
VOCAB_BYTES = 160  # Python objects per word while Vocabulary is built, besides the str
# glibc serves blocks up to this size from its heap once it has freed one that large, and
# keeps them resident after free(): the table's slot arrays then outlive the scan
GLIBC_MMAP_MAX = 32 << 20


def str_bytes(length: float) -> int:
    """Memory of one ASCII ``str`` of ``length`` characters (49 + length, in 16-byte units)."""
    return 16 * math.ceil((49 + length) / 16)


def estimate_bytes(path: str, held: int, kept: int, length: float) -> dict:
    """The formula: peak bytes of the count and of the whole vocabulary step.

    ``held``: most distinct words held at once (max_vocab_size plus one sentence's new
    words, or all of them without a bound); ``kept``: words left at the end (>= min_count);
    ``length``: average word length in bytes.
    """
    vocab = kept * (VOCAB_BYTES + str_bytes(length))
    if path == "compiled":
        slots = table_slots(held)  # w2v._scan's own sizing rule
        # growing moves the words into a table twice as large (the old one is half as big);
        # a prune re-places them in the same table through a copy of at most half of it:
        # 1.5 tables at once either way
        words = (ORDER_BYTES + length) * held
        # then the counts come out as a dict (str objects and dict slots, as below) while
        # the table is still held: the larger of the two is the count's peak
        count = max(1.5 * SLOT_BYTES * slots + words,
                    SLOT_BYTES * slots + words + held * (str_bytes(length) + 66))
        if SLOT_BYTES * slots < GLIBC_MMAP_MAX:  # freed into the C heap, still resident
            vocab += 1.5 * SLOT_BYTES * slots
    else:
        # Counter: the str objects plus a dict slot (22-44 bytes; 66 while the dict grows)
        count = held * (str_bytes(length) + 66)
    return {"count": count, "step": max(count, vocab)}


# ----------------------------------------------------------------------------- corpus


def planted_word(k: int, width: int) -> str:
    return "zz" + f"{k:0{width - 2}d}"


def generate_corpus(path: Path, tokens: int, width: int, per_line: int, planted: int,
                    chunk_lines: int = 100_000) -> dict:
    """Write the corpus to ``path``; return its description, with each planted word's count.

    Line ``i`` is ``planted[min(ctz(i + 1), planted - 1)]`` then ``per_line`` unique tokens
    (token ``j``: the hex of ``j * 0x9E3779B1 mod 16**min(width, 8)``, a bijection, so all
    differ);
    ``tokens`` is rounded up to whole lines.
    """
    import numpy as np

    hex_width = min(width, 8)
    if -(-tokens // per_line) * per_line > 16**hex_width:
        raise ValueError(f"--width {width} gives only {16**hex_width:,} distinct tokens")
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    shifts = np.arange(4 * (hex_width - 1), -1, -4, dtype=np.uint64)
    plant = np.array([list(planted_word(k, width).encode()) for k in range(planted)],
                     dtype=np.uint8)
    n_lines = -(-tokens // per_line)  # rounded up to whole lines
    counts = np.zeros(planted, dtype=np.int64)
    with open(path, "wb") as handle:
        for start in range(0, n_lines, chunk_lines):
            lines = min(chunk_lines, n_lines - start)
            ids = np.arange(start * per_line, (start + lines) * per_line, dtype=np.uint64)
            value = (ids * np.uint64(0x9E3779B1)) & np.uint64(16**hex_width - 1)
            grid = np.empty((lines, per_line + 1, width + 1), dtype=np.uint8)
            grid[:, 1:, : width - hex_width] = ord("x")
            nibbles = (value[:, None] >> shifts) & np.uint64(15)
            grid[:, 1:, width - hex_width : width] = digits[nibbles.astype(np.intp)].reshape(
                lines, per_line, hex_width)
            number = np.arange(start + 1, start + lines + 1, dtype=np.int64)  # i + 1
            which = np.zeros(lines, dtype=np.intp)  # min(ctz(i + 1), planted - 1)
            for k in range(1, planted):
                which[number % (1 << k) == 0] = k
            grid[:, 0, :width] = plant[which]
            counts += np.bincount(which, minlength=planted)
            grid[:, :, width] = ord(" ")
            grid[:, -1, width] = ord("\n")
            handle.write(grid.tobytes())
    return {
        "path": str(path), "bytes": path.stat().st_size, "lines": n_lines,
        "tokens": n_lines * (per_line + 1), "distinct": n_lines * per_line + planted,
        "width": width,
        "per_line": per_line,
        "planted": {planted_word(k, width): int(c) for k, c in enumerate(counts)},
    }


class LineSentences:
    """Token lists read line by line from a file: a user's own streaming corpus class."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __iter__(self):
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                yield line.split()


# ----------------------------------------------------------------------------- child side


def _peak_kb() -> int:
    """This process's peak resident memory so far, in kB: VmHWM, as Linux carries
    ``ru_maxrss`` over ``execve`` (a child would report the parent's RSS at the fork)."""
    hwm = proc_kb("VmHWM")
    return hwm if hwm is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_child(spec: dict) -> dict:
    """Build one vocabulary (or, for ``baseline``, only import) and measure it."""
    import numpy  # noqa: F401  (imported by every child alike, as are the w2v modules)

    import w2v  # noqa: F401
    from w2v import _scan  # noqa: F401
    from w2v.data.corpus import PathCorpus, as_corpus
    from w2v.data.vocab import Vocabulary, count_words

    out = {"start_peak_kb": _peak_kb()}
    if spec["path"] == "baseline":
        return out
    bound = spec["max_vocab_size"]
    corpus = (PathCorpus(spec["corpus"]) if spec["path"] == "compiled"
              else as_corpus(LineSentences(spec["corpus"])))
    started = time.perf_counter()
    # what Vocabulary.build (and so Word2Vec(path, ...)) does, in two measured steps
    counts, n_words, n_sentences = count_words(corpus, bound, min_count=1)
    out["count_s"] = time.perf_counter() - started
    out["count_peak_kb"] = _peak_kb()
    started = time.perf_counter()
    vocab = Vocabulary(counts, min_count=1, corpus_words=n_words)
    out["vocab_s"] = time.perf_counter() - started
    out["step_peak_kb"] = _peak_kb()
    out["kept"] = len(vocab)
    out["words"], out["sentences"] = n_words, n_sentences
    planted = spec["planted"]
    out["planted_exact"] = sum(counts.get(w) == c for w, c in planted.items())
    return out


def child_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="bench_vocab_memory.py (child)")
    p.add_argument(CHILD_FLAG, dest="spec", required=True)
    args = p.parse_args(argv)
    print(json.dumps(run_child(json.loads(args.spec))))
    return 0


# ----------------------------------------------------------------------------- parent side


def run_in_subprocess(spec: dict, w2v_root: str) -> dict:
    """Run one child; it imports the w2v the parent did (from ``w2v_root``)."""
    command = [sys.executable, str(Path(__file__).resolve()), CHILD_FLAG, json.dumps(spec)]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (w2v_root, env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"child {spec['path']} M={spec.get('max_vocab_size')} failed "
                           f"(exit {done.returncode}):\n{done.stderr}")
    return json.loads(done.stdout.splitlines()[-1])


def mem_available() -> int | None:
    """MemAvailable in bytes, or None where /proc/meminfo has none."""
    available = proc_kb("MemAvailable", "/proc/meminfo")
    return None if available is None else available * 1024


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tokens", type=int, default=TOKENS,
                   help="distinct (unique) tokens to generate, besides the planted words "
                        f"(default {TOKENS:,}: see the module docstring)")
    p.add_argument("--dir", default="/tmp", help="where the corpus file goes")
    p.add_argument("--sizes", default="10000,100000,1000000",
                   help="comma-separated max_vocab_size values")
    p.add_argument("--paths", default="compiled,python", help="comma-separated: compiled, python")
    p.add_argument("--unbounded", choices=("auto", "yes", "no"), default="auto",
                   help="also run with max_vocab_size=None (auto: if the estimate fits)")
    p.add_argument("--width", type=int, default=8, help="bytes per token (>= 4)")
    p.add_argument("--per-line", type=int, default=10, help="unique tokens per line")
    p.add_argument("--planted", type=int, default=8, help="frequent words planted")
    p.add_argument("--keep-corpus", action="store_true", help="do not delete the corpus")
    p.add_argument("--json", help="write the results here (atomically)")
    args = p.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    args.paths = [s.strip() for s in args.paths.split(",") if s.strip()]
    if set(args.paths) - set(PATHS) or not args.paths:
        p.error(f"--paths takes a comma-separated subset of {','.join(PATHS)}")
    if any(m < 1 for m in args.sizes):
        p.error("--sizes must be positive")
    if args.width < 4 or args.per_line < 1 or not 1 <= args.planted <= 62 or args.tokens < 1:
        p.error("need --width >= 4, --per-line >= 1, 1 <= --planted <= 62, --tokens >= 1")
    return args


def mb(kb: float | None) -> str:
    return "-" if kb is None else f"{kb / 1024:,.1f}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if CHILD_FLAG in argv:
        return child_main(argv)
    args = parse_args(argv)
    sys.path.insert(0, str(REPO / "benchmarks"))
    from bench_quality import align, w2v, write_json_atomic  # w2v: installed, else src/

    w2v_root = str(Path(w2v.__file__).resolve().parent.parent)
    command = shlex.join([sys.executable, sys.argv[0], *argv])
    print(f"command: {command}")
    print(f"machine: {platform.platform()}; {os.cpu_count()} cores; python "
          f"{platform.python_version()}; w2v {w2v.__version__} ({os.path.dirname(w2v.__file__)})")
    Path(args.dir).mkdir(parents=True, exist_ok=True)
    path = Path(args.dir) / f"vocab_memory_{args.tokens}x{args.width}.txt"
    started = time.perf_counter()
    corpus = generate_corpus(path, args.tokens, args.width, args.per_line, args.planted)
    corpus["generate_s"] = time.perf_counter() - started
    print(f"corpus: {path}: {corpus['bytes']:,} bytes, {corpus['tokens']:,} tokens, "
          f"{corpus['distinct']:,} distinct ({args.width}-byte words, {args.per_line} unique "
          f"+ 1 planted per line), written in {corpus['generate_s']:.1f}s", flush=True)
    length = float(args.width)
    line_words = args.per_line + 1  # new words one sentence can add before the prune check
    runs: list[dict] = []
    try:
        baseline = run_in_subprocess({"path": "baseline"}, w2v_root)["start_peak_kb"]
        print(f"baseline child (imports only): peak {mb(baseline)} MB", flush=True)
        available = mem_available()
        for which in args.paths:
            settings = list(args.sizes)
            unbounded = estimate_bytes(which, corpus["distinct"], corpus["distinct"],
                                       length)["step"]
            if args.unbounded == "yes" or (args.unbounded == "auto" and available
                                           and 1.5 * unbounded < available):
                settings.append(None)
            elif args.unbounded == "auto":
                print(f"[{which}] unbounded skipped: estimate {unbounded / 2**20:,.0f} MB x 1.5"
                      f" exceeds the {(available or 0) / 2**20:,.0f} MB available")
            for bound in settings:
                spec = {"path": which, "corpus": str(path), "max_vocab_size": bound,
                        "planted": corpus["planted"]}
                started = time.perf_counter()
                result = run_in_subprocess(spec, w2v_root)
                result["wall_s"] = time.perf_counter() - started
                result.update(path=which, max_vocab_size=bound)
                held = corpus["distinct"] if bound is None else min(
                    bound + line_words, corpus["distinct"])
                estimate = estimate_bytes(which, held, result["kept"], length)
                result["estimate_count_kb"] = estimate["count"] / 1024
                result["estimate_step_kb"] = estimate["step"] / 1024
                result["count_growth_kb"] = result["count_peak_kb"] - baseline
                result["step_growth_kb"] = result["step_peak_kb"] - baseline
                runs.append(result)
                print(f"[{which} M={bound}] count {result['count_s']:.1f}s vocab "
                      f"{result['vocab_s']:.1f}s, {result['kept']:,} words kept, peak growth "
                      f"{mb(result['step_growth_kb'])} MB (estimate "
                      f"{mb(result['estimate_step_kb'])} MB)", flush=True)
    except RuntimeError as exc:
        print(f"bench_vocab_memory.py: error: {exc}", file=sys.stderr)
        return 1
    finally:
        if not args.keep_corpus:
            path.unlink(missing_ok=True)

    rows = [["path", "max_vocab_size", "kept words", "count s", "vocab s",
             "count peak +MB", "step peak +MB", "estimate +MB", "peak RSS MB",
             "planted exact"]]
    for r in runs:
        rows.append([
            r["path"], "None" if r["max_vocab_size"] is None else f"{r['max_vocab_size']:,}",
            f"{r['kept']:,}", f"{r['count_s']:.2f}", f"{r['vocab_s']:.2f}",
            mb(r["count_growth_kb"]), mb(r["step_growth_kb"]), mb(r["estimate_step_kb"]),
            mb(r["step_peak_kb"]), f"{r['planted_exact']}/{len(corpus['planted'])}",
        ])
    print()
    print("\n".join(align(rows)))
    print("MB = 2**20 bytes; +MB: peak resident memory above the baseline child's "
          f"({mb(baseline)} MB); 'count' is count_words, 'step' adds Vocabulary(counts)")
    if args.json:
        write_json_atomic(args.json, {
            "command": command, "corpus": corpus, "baseline_peak_kb": baseline,
            "environment": {"python": platform.python_version(), "machine": platform.machine(),
                            "cpus": os.cpu_count(), "w2v": w2v.__version__},
            "formula": {"slot_bytes": SLOT_BYTES, "order_bytes": ORDER_BYTES,
                        "vocab_bytes_besides_str": VOCAB_BYTES},
            "runs": runs,
        })
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
