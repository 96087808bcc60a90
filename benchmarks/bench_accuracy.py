"""Vector quality of w2v and its peers, over seeds and corpora, with confidence intervals.

Every system trains on every corpus with every seed, with the same settings, and its vectors
are scored on word analogies (questions-words, restrict_vocab 300,000, case-insensitive),
WordSim-353 and SimLex-999 (Spearman). The table gives, per corpus and system, the mean and
standard deviation over the seeds, and for each w2v configuration its difference to the best
peer (the peer with the highest mean on that metric), with a 95% Welch confidence interval.

Systems (``--systems``, comma-separated):

* ``w2v``: w2v's defaults. ``w2v[key=value;key=value]`` overrides a ``Word2Vec`` argument
  (``batch=0``, ``ns_exponent=0.5`` ...) or one of two internal speed options:
  ``hot_rows=N`` (private per-thread copies of the N busiest rows of each matrix; 0 turns
  them off) and ``sync=N`` (examples between the merges of those copies); ``src=DIR`` imports
  w2v from ``DIR`` (another build, for A/B comparisons of two versions); ``wc=1`` scores
  the sum of the unit-length input and output vectors (W + C) instead of the input ones;
* ``gensim``: gensim 4.4 in its usual iterable mode (``LineSentence``);
* ``fasttext``: fastText's plain word vectors (``maxn=0``, no subword buckets), its own
  default learning rate (0.05) unless ``--alpha`` is given;
* ``ctool``: the original word2vec C tool, ``--c-tool PATH`` (built from its public source;
  skipped when the file is missing). It has no seed: its "seeds" are repeats (its two
  threads interleave differently each time).

Corpora (``--corpora``, comma-separated ``name=path``): ``wiki17m-docs=auto`` re-cuts the
``wiki17m`` corpus into one document per line of 100-300 words (fixed random lengths).

Every run is a fresh subprocess (nothing carries over between systems), and the order of the
systems rotates from one seed to the next (A B C, B C A, ...) so slow drifts of the machine
hit all of them. Each finished run is appended to ``--results`` (JSON lines) at once, and runs
already there (same system, corpus, seed and settings) are not trained again: a benchmark cut
short goes on where it stopped when started again with the same command.

Usage
-----
    python benchmarks/bench_accuracy.py --sg 1 --seeds 1,2,3 \\
        --corpora wiki17m=/tmp/wiki17m.txt,wiki17m-docs=auto,docs=/tmp/corpora/docs.txt \\
        --systems w2v,w2v[batch=0],gensim,fasttext,ctool \\
        --results /tmp/acc_sg.jsonl --json benchmarks/results/accuracy_sg.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_args import add_model_args

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = REPO.parent / "shared" / "data"
PEERS = ("gensim", "fasttext", "ctool")
METRICS = ("analogy", "ws353", "simlex")
DOC_WORDS = (100, 300)  # words per line of the re-cut corpus
GENSIM_LINE_WORDS = 10_000
SETTINGS = ("sg", "hs", "negative", "vector_size", "window", "sample", "min_count", "epochs",
            "workers", "alpha")


def simlex_path() -> str:
    """gensim ships SimLex-999 in its test data; else None."""
    try:
        import gensim
    except ImportError:
        return ""
    return os.path.join(os.path.dirname(gensim.__file__), "test", "test_data", "simlex999.txt")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--corpora", required=True, help="comma-separated name=path")
    p.add_argument("--systems", default="w2v,gensim,fasttext,ctool")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--results", required=True, help="JSON-lines file of runs (appended)")
    p.add_argument("--json", help="write the summary here")
    p.add_argument("--report-only", action="store_true", help="summarise --results, train nothing")
    p.add_argument("--c-tool", default="/tmp/w2c/word2vec")
    p.add_argument("--questions", default=str(DATA / "questions-words.txt"))
    p.add_argument("--wordsim", default=str(DATA / "wordsim353.tsv"))
    p.add_argument("--simlex", default=simlex_path())
    add_model_args(p)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--alpha", type=float, default=None,
                   help="starting learning rate for all (default: each system's own)")
    p.add_argument("--worker", help=argparse.SUPPRESS)  # one run, in a child process
    args = p.parse_args(argv)
    args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    args.systems = split_systems(args.systems)
    args.corpora = dict(item.split("=", 1) for item in args.corpora.split(",") if item.strip())
    return args


def split_systems(text: str) -> list[str]:
    """Comma-separated system names; commas inside ``[...]`` do not split."""
    out, depth, current = [], 0, ""
    for ch in text:
        depth += (ch == "[") - (ch == "]")
        if ch == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        out.append(current.strip())
    for name in out:
        if base_of(name) not in ("w2v", *PEERS):
            raise SystemExit(f"unknown system {name!r}: w2v[...], gensim, fasttext or ctool")
    return out


def base_of(system: str) -> str:
    return system.split("[", 1)[0]


def options_of(system: str) -> dict[str, object]:
    """``w2v[batch=0;hot_rows=0]`` -> {"batch": 0, "hot_rows": 0} (numbers parsed)."""
    if "[" not in system:
        return {}
    body = system.split("[", 1)[1].rstrip("]")
    out: dict[str, object] = {}
    for item in filter(None, (s.strip() for s in body.replace(";", ",").split(","))):
        key, value = item.split("=", 1)
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def settings_of(args: argparse.Namespace) -> dict[str, object]:
    return {k: getattr(args, k) for k in SETTINGS}


# ---- corpora -------------------------------------------------------------------------------

def recut_copy(source: str, out: str, seed: int = 0) -> str:
    """Write ``source``'s tokens to ``out`` with one line per 100-300 words (fixed lengths)."""
    if os.path.exists(out):
        return out
    from bench_quality import _blocks  # imports w2v: never in a child (see run_child)

    rng = random.Random(seed)
    tmp = out + ".tmp"
    with open(tmp, "wb") as handle:
        line: list[bytes] = []
        want = rng.randint(*DOC_WORDS)
        for token in (t for block in _blocks(source) for t in block.split()):
            line.append(token)
            if len(line) == want:
                handle.write(b" ".join(line) + b"\n")
                line, want = [], rng.randint(*DOC_WORDS)
        if line:
            handle.write(b" ".join(line) + b"\n")
    os.replace(tmp, out)
    return out


def relined_for_gensim(path: str) -> str:
    """gensim's LineSentence reads a whole line at once: give it lines of <= 10,000 words
    (bench_quality's relined copy, kept under a fixed name for the next runs)."""
    from bench_quality import relined_copy, scan_words  # imports w2v: not for src= runs

    if scan_words(path)[1] <= GENSIM_LINE_WORDS:
        return path
    out = os.path.join(tempfile.gettempdir(), f"bench_acc_{Path(path).stem}_lines10k.txt")
    if not os.path.exists(out):
        os.replace(relined_copy(path, GENSIM_LINE_WORDS), out)
    return out


def prepare_corpora(corpora: dict[str, str]) -> dict[str, str]:
    out = dict(corpora)
    for name, path in corpora.items():
        if path == "auto" and name == "wiki17m-docs":
            out[name] = recut_copy(corpora["wiki17m"], os.path.join(
                tempfile.gettempdir(), "bench_acc_wiki17m_docs.txt"))
        elif not os.path.exists(path):
            raise SystemExit(f"corpus {name}: {path} not found")
    return out


# ---- one run (child process) ---------------------------------------------------------------

class Vectors:
    """What the evaluators read: ``vectors`` and ``index_to_key`` (most frequent first)."""

    def __init__(self, words: list[str], vectors: np.ndarray) -> None:
        self.index_to_key = list(words)
        self.vectors = np.asarray(vectors, dtype=np.float32)


def train_w2v(args, corpus: str, seed: int, options: dict):
    from w2v import Word2Vec
    from w2v.train import trainer, weights

    options = dict(options)
    hot = options.pop("hot_rows", None)
    if hot is not None:  # read by weights.hot_rows when the kernel is made
        weights.HOT_ROWS = int(hot)
    sync = options.pop("sync", None)
    if sync is not None:
        trainer.SYNC_EXAMPLES = int(sync)
    kwargs = dict(vector_size=args.vector_size, window=args.window, min_count=args.min_count,
                  sg=args.sg, hs=args.hs, negative=args.negative, sample=args.sample,
                  epochs=args.epochs, workers=args.workers, seed=seed, alpha=args.alpha)
    combine = bool(int(options.pop("wc", 0)))
    kwargs.update(options)
    model = Word2Vec(corpus, **kwargs)
    started = time.perf_counter()
    model.train()
    seconds = time.perf_counter() - started
    if not combine:
        return model.wv, seconds
    if model.syn1neg is None:
        raise SystemExit("w2v[wc=1] needs negative sampling (output word vectors)")

    def unit(rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.float32)
        return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)

    return Vectors(model.wv.index_to_key, unit(model.wv.vectors) + unit(model.syn1neg)), seconds


def train_gensim(args, corpus: str, seed: int, options: dict):
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence

    extra = {} if args.alpha is None else {"alpha": args.alpha}
    extra.update(options)
    model = Word2Vec(vector_size=args.vector_size, window=args.window,
                     min_count=args.min_count, sg=args.sg, hs=args.hs, negative=args.negative,
                     sample=args.sample, epochs=args.epochs, workers=args.workers, seed=seed,
                     **extra)
    sentences = LineSentence(relined_for_gensim(corpus))
    model.build_vocab(corpus_iterable=sentences)
    started = time.perf_counter()
    model.train(corpus_iterable=sentences, total_examples=model.corpus_count,
                epochs=model.epochs)
    return model.wv, time.perf_counter() - started


def train_fasttext(args, corpus: str, seed: int, options: dict):
    import fasttext

    if args.hs:
        raise SystemExit("fasttext: hierarchical softmax is not benchmarked (set --hs 0)")
    kwargs = dict(model="skipgram" if args.sg else "cbow", dim=args.vector_size, ws=args.window,
                  neg=args.negative, t=args.sample, minCount=args.min_count, epoch=args.epochs,
                  thread=args.workers, minn=0, maxn=0, bucket=0, verbose=0)  # no seed in its API
    if args.alpha is not None:
        kwargs["lr"] = args.alpha
    kwargs.update(options)
    started = time.perf_counter()
    model = fasttext.train_unsupervised(corpus, **kwargs)
    seconds = time.perf_counter() - started
    words = model.get_words()
    matrix = model.get_input_matrix()[: len(words)]
    return Vectors(words, matrix), seconds


def train_ctool(args, corpus: str, seed: int, options: dict):
    from w2v import load_vectors

    if not os.path.exists(args.c_tool):
        raise SystemExit(f"ctool: {args.c_tool} not found")
    alpha = args.alpha if args.alpha is not None else (0.025 if args.sg else 0.05)
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "vectors.bin")
        command = [args.c_tool, "-train", corpus, "-output", out, "-binary", "1",
                   "-size", str(args.vector_size), "-window", str(args.window),
                   "-negative", str(args.negative), "-hs", str(args.hs),
                   "-sample", str(args.sample), "-min-count", str(args.min_count),
                   "-iter", str(args.epochs), "-threads", str(args.workers),
                   "-cbow", str(1 - args.sg), "-alpha", str(alpha)]
        for key, value in options.items():
            command += [f"-{key}", str(value)]
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        kv = load_vectors(out)
        return Vectors(kv.index_to_key, np.array(kv.vectors)), seconds


TRAINERS = {"w2v": train_w2v, "gensim": train_gensim, "fasttext": train_fasttext,
            "ctool": train_ctool}


def score(wv, args) -> dict[str, float]:
    """Analogy accuracy, WordSim-353 and SimLex-999 Spearman (w2v's evaluators, which give
    gensim 4.4's numbers)."""
    from w2v.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs

    out = {"analogy": evaluate_word_analogies(wv, args.questions, 300_000, True)[0]}
    for key, path in (("ws353", args.wordsim), ("simlex", args.simlex)):
        if path and os.path.exists(path):
            out[key] = evaluate_word_pairs(wv, path)["spearman"]
    return out


def run_child(args: argparse.Namespace) -> int:
    task = json.loads(args.worker)
    system, corpus, seed = task["system"], task["corpus_path"], task["seed"]
    options = options_of(system)
    if "src" in options:  # another build of w2v (A/B comparisons of two versions)
        assert "w2v" not in sys.modules, "w2v was imported before src= could choose it"
        sys.path.insert(0, str(options.pop("src")))
    wv, seconds = TRAINERS[base_of(system)](args, corpus, seed, options)
    result = {"train_s": seconds, "vocab": len(wv.index_to_key)}
    if base_of(system) == "w2v":  # which build trained (``src=``)
        result["w2v_path"] = os.path.dirname(sys.modules["w2v"].__file__)
    result.update(score(wv, args))
    print(json.dumps(result))
    return 0


# ---- the parent: schedule, record, summarise -----------------------------------------------

def key_of(record: dict) -> tuple:
    return (record["system"], record["corpus"], record["seed"],
            json.dumps(record["settings"], sort_keys=True))


def load_results(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def child_command(args, system: str, name: str, path: str, seed: int) -> list[str]:
    task = json.dumps({"system": system, "corpus_path": path, "seed": seed})
    flags = ["--sg", args.sg, "--hs", args.hs, "--negative", args.negative,
             "--vector-size", args.vector_size, "--window", args.window,
             "--sample", args.sample, "--min-count", args.min_count,
             "--epochs", args.epochs, "--workers", args.workers, "--c-tool", args.c_tool,
             "--questions", args.questions, "--wordsim", args.wordsim,
             "--simlex", args.simlex, "--corpora", f"{name}={path}",
             "--results", os.devnull]
    if args.alpha is not None:
        flags += ["--alpha", args.alpha]
    return [sys.executable, str(Path(__file__).resolve()), *map(str, flags),
            "--worker", task]


def run_all(args: argparse.Namespace) -> None:
    corpora = prepare_corpora(args.corpora)
    settings = settings_of(args)
    done = {key_of(r) for r in load_results(args.results)}
    systems = [s for s in args.systems
               if not (base_of(s) == "ctool" and not os.path.exists(args.c_tool))]
    if len(systems) < len(args.systems):
        print(f"ctool skipped: {args.c_tool} not found", flush=True)
    for turn, seed in enumerate(args.seeds):
        order = systems[turn % len(systems):] + systems[:turn % len(systems)]
        for name, path in corpora.items():
            for system in order:
                record = {"system": system, "corpus": name, "seed": seed, "settings": settings}
                if key_of(record) in done:
                    continue
                started = time.perf_counter()
                child = subprocess.run(child_command(args, system, name, path, seed),
                                       capture_output=True, text=True)
                if child.returncode != 0:
                    print(f"[{system} {name} seed {seed}] FAILED:\n{child.stderr[-2000:]}",
                          flush=True)
                    continue
                record.update(json.loads(child.stdout.strip().splitlines()[-1]))
                record["wall_s"] = time.perf_counter() - started
                record["finished"] = time.strftime("%Y-%m-%d %H:%M:%S")
                with open(args.results, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(record) + "\n")
                print(f"[{system} {name} seed {seed}] train {record['train_s']:.1f}s "
                      + " ".join(f"{m} {record[m]:.4f}" for m in METRICS if m in record),
                      flush=True)


T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
       9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def t95(df: float) -> float:
    """Two-sided 95% quantile of Student's t (table, rounded down to a tabulated df)."""
    if df >= 30:
        return 2.042 if df < 60 else 1.96
    return T95[max(k for k in T95 if k <= max(1, int(df)))]


def welch(a: list[float], b: list[float]) -> tuple[float, float]:
    """Mean difference a - b and the half-width of its 95% Welch interval."""
    diff = statistics.fmean(a) - statistics.fmean(b)
    if len(a) < 2 or len(b) < 2:
        return diff, math.nan
    va, vb = statistics.variance(a) / len(a), statistics.variance(b) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return diff, 0.0
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    return diff, t95(df) * se


def summarise(records: list[dict], settings: dict, systems: list[str]) -> dict:
    """{corpus: {system: {metric: {mean, sd, n, values}}, "vs_best_peer": ...}}."""
    runs = [r for r in records if r["settings"] == settings]
    out: dict = {}
    for corpus in dict.fromkeys(r["corpus"] for r in runs):
        per: dict = {}
        for system in dict.fromkeys([*systems, *(r["system"] for r in runs)]):
            mine = [r for r in runs if r["corpus"] == corpus and r["system"] == system]
            if not mine:
                continue
            per[system] = {"seeds": sorted(r["seed"] for r in mine),
                           "train_s": statistics.median(r["train_s"] for r in mine)}
            for metric in METRICS:
                values = [r[metric] for r in mine if metric in r]
                if values:
                    per[system][metric] = {
                        "mean": statistics.fmean(values),
                        "sd": statistics.stdev(values) if len(values) > 1 else math.nan,
                        "n": len(values), "values": values}
        comparisons: dict = {}
        for system in per:
            if base_of(system) != "w2v":
                continue
            comparisons[system] = {}
            for metric in METRICS:
                peers = [p for p in per if base_of(p) in PEERS and metric in per[p]]
                if metric not in per[system] or not peers:
                    continue
                best = max(peers, key=lambda p, m=metric: per[p][m]["mean"])
                diff, half = welch(per[system][metric]["values"], per[best][metric]["values"])
                comparisons[system][metric] = {"best_peer": best, "diff": diff, "ci95": half}
        out[corpus] = {"systems": per, "vs_best_peer": comparisons}
    return out


def table(summary: dict) -> str:
    lines = []
    for corpus, block in summary.items():
        rows = [["system", "seeds", "train s", "analogy %", "WordSim-353", "SimLex-999"]]
        for system, s in block["systems"].items():
            cells = [system, str(len(s["seeds"])), f"{s['train_s']:.1f}"]
            for metric, scale in zip(METRICS, (100, 1, 1), strict=True):
                m, digits = s.get(metric), 2 if scale == 100 else 3
                cells.append("-" if m is None else
                             f"{scale * m['mean']:.{digits}f} ± {scale * m['sd']:.{digits}f}")
            rows.append(cells)
        for system, comp in block["vs_best_peer"].items():
            cells = [f"{system} - best peer", "", ""]
            for metric, scale in zip(METRICS, (100, 1, 1), strict=True):
                c = comp.get(metric)
                digits = 2 if scale == 100 else 3
                cells.append("-" if c is None else
                             f"{scale * c['diff']:+.{digits}f} ± {scale * c['ci95']:.{digits}f}"
                             f" ({c['best_peer']})")
            rows.append(cells)
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        lines.append(f"\n{corpus}")
        for i, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) if j == 0 else c.rjust(w)
                                   for j, (c, w) in enumerate(zip(r, widths, strict=True))))
            if i == 0:
                lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return run_child(args)
    if not args.report_only:
        print("command: " + shlex.join([sys.executable, *sys.argv]), flush=True)
        run_all(args)
    summary = summarise(load_results(args.results), settings_of(args), args.systems)
    print(table(summary))
    if args.json:
        payload = {"settings": settings_of(args), "seeds": args.seeds, "corpora": args.corpora,
                   "summary": summary}
        tmp = args.json + ".tmp"
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2)
            handle.write("\n")
        os.replace(tmp, args.json)
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
