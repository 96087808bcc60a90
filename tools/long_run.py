"""A long training run that survives SIGKILL: train with checkpoints, kill the process at
random points, resume each time, and compare with a run that was never interrupted.

    PYTHONPATH=src python tools/long_run.py [--source /tmp/wiki17m.txt] [--repeat 4]
        [--workers 1] [--epochs 1] [--checkpoint-every 60] [--kills 3] [--seed 0]
        [--workdir /tmp/w2v-long-run] [--json OUT.json] [-- extra `w2v train` options]

The corpus is ``--source`` written ``--repeat`` times into one file (wiki17m four times:
about 70M words); ``--lines N`` takes only its first N lines, for a small run. Both runs
are ``python -m w2v train CORPUS -o V.bin --model-out M.zip --no-progress`` with the same
options; the interrupted one adds ``--checkpoint C.zip --checkpoint-every S``, is killed
with SIGKILL ``--kills`` times at random points (seeded by ``--seed``: each killed attempt
first writes a checkpoint of its own, then dies at a moment drawn in the next checkpoint
interval), and is resumed after each kill with ``--checkpoint C.zip --resume``.

Verdict:

- ``--workers 1``: every weight matrix of the two models is bit-identical (compared as
  uint32) — what a checkpoint promises for one thread;
- more workers: both models are valid (same vocabulary, same shapes, finite weights) and
  score alike on the analogy questions and WordSim353 (``--analogies``/``--pairs``):
  within ``--tolerance-analogy`` (default 0.02) and ``--tolerance-pairs`` (0.03), the
  spread of w2v's wiki17m skip-gram runs over seeds 1-3 (0.281-0.298 analogy, 0.670-0.689
  WordSim Spearman; benchmarks, issue 16) — threads interleave their updates in a
  different order on each run, so no two multi-threaded runs are bit-identical.

Exit status 0 when the verdict holds, 1 otherwise; --json writes the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def log(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def build_corpus(source: Path, repeat: int, lines: int | None, out: Path) -> dict[str, Any]:
    """``source`` (its first ``lines`` lines) written ``repeat`` times into ``out``."""
    if lines is None:
        data_size = source.stat().st_size
    else:
        with source.open("rb") as fh:
            head = b"".join(fh.readline() for _ in range(lines))
        data_size = len(head)
    if not (out.exists() and out.stat().st_size == data_size * repeat):
        tmp = out.with_suffix(".partial")
        with tmp.open("wb") as dst:
            for _ in range(repeat):
                if lines is None:
                    with source.open("rb") as src:
                        shutil.copyfileobj(src, dst, 1 << 24)
                else:
                    dst.write(head)
        tmp.replace(out)
    words = 0
    with out.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            words += len(block.split())
    return {"path": str(out), "bytes": out.stat().st_size, "words": words,
            "source": str(source), "repeat": repeat, "lines": lines}


def train_command(args: argparse.Namespace, corpus: Path, vectors: Path, model: Path,
                  extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "w2v", "train", str(corpus), "-o", str(vectors),
            "--model-out", str(model), "--no-progress", *extra]


def options(args: argparse.Namespace) -> list[str]:
    return ["--workers", str(args.workers), "--epochs", str(args.epochs), "--seed",
            str(args.train_seed), *args.train_options]


def run(command: list[str], logfile: Path) -> tuple[int, float]:
    """Run ``command`` to its end; (exit status, seconds)."""
    start = time.monotonic()
    with logfile.open("ab") as out:
        status = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT)
    return status, time.monotonic() - start


def checkpoint_position(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    from w2v.train.checkpoint import load_checkpoint

    _, record = load_checkpoint(path)
    position = record.position
    return {"epoch": position.epoch, "next_chunk": position.next_chunk,
            "words_done": position.words_done, "run_epochs": record.run_epochs}


def _stamp(path: Path) -> int | None:
    """When ``path`` was last replaced (a checkpoint is written by an atomic rename)."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def interrupted_run(args: argparse.Namespace, corpus: Path, work: Path, reference_seconds: float,
                    total_words: int, logfile: Path) -> dict[str, Any]:
    """Train with checkpoints, SIGKILL ``args.kills`` times, resume until it ends.

    Each attempt that is to be killed is killed after it has written a checkpoint of its
    own (so every attempt moves the run on) and before the next one is due: at a moment
    drawn uniformly (seeded) in the first 90% of the checkpoint interval that follows its
    first checkpoint. Kills planned from the clock instead landed after the end of the run
    on this shared machine, whose speed varies.
    """
    vectors, model, checkpoint = work / "run.bin", work / "run.zip", work / "run-ckpt.zip"
    for path in (vectors, model, checkpoint):
        path.unlink(missing_ok=True)
    rng = random.Random(args.seed)
    fresh = train_command(args, corpus, vectors, model, [
        *options(args), "--checkpoint", str(checkpoint), "--checkpoint-every",
        str(args.checkpoint_every)])
    resume = train_command(args, corpus, vectors, model, [
        "--checkpoint", str(checkpoint), "--resume", "--workers", str(args.workers)])
    kills: list[dict[str, Any]] = []
    attempts = 0
    started = time.monotonic()
    while True:
        command = resume if checkpoint.exists() else fresh
        attempts += 1
        kill_now = len(kills) < args.kills
        position = checkpoint_position(checkpoint)
        done = position["words_done"] / total_words if position else 0.0
        log(f"attempt {attempts}: {'resume' if command is resume else 'fresh start'} "
            f"({done:.0%} trained)"
            + (", SIGKILL after its first checkpoint" if kill_now else ", to the end"))
        with logfile.open("ab") as out:
            child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
            attempt_start = time.monotonic()
            stamp = _stamp(checkpoint)
            kill_at: float | None = None
            while (status := child.poll()) is None:
                time.sleep(0.2)
                if not kill_now:
                    continue
                now = time.monotonic()
                if kill_at is None and _stamp(checkpoint) != stamp:
                    kill_at = now + rng.uniform(0.0, 0.9) * args.checkpoint_every
                if kill_at is not None and now >= kill_at:
                    child.send_signal(signal.SIGKILL)
                    status = child.wait()
                    break
            if kill_at is not None and status == -signal.SIGKILL:
                after = checkpoint_position(checkpoint)
                kills.append({"attempt": attempts,
                              "after_seconds": round(time.monotonic() - attempt_start, 1),
                              "status": status, "checkpoint_before": position,
                              "checkpoint_after": after})
                log(f"  killed (status {status}); checkpoint: {after}")
                continue
        elapsed = time.monotonic() - attempt_start
        if status != 0:
            raise SystemExit(f"attempt {attempts} exited {status} (see {logfile})")
        log(f"  finished in {elapsed:.1f}s")
        if kill_now:  # it ended before the planned kill: fewer kills than asked
            log("  (the run ended before the kill)")
        break
    return {"seconds": time.monotonic() - started, "attempts": attempts, "kills": kills,
            "model": str(model), "vectors": str(vectors)}


def compare(args: argparse.Namespace, reference: Path, resumed: Path) -> dict[str, Any]:
    from w2v import Word2Vec

    a, b = Word2Vec.load(reference), Word2Vec.load(resumed)
    result: dict[str, Any] = {
        "vocabulary_equal": a.wv.index_to_key == b.wv.index_to_key,
        "finite": bool(np.isfinite(b.wv.vectors).all()),
        "epochs_trained": [a.epochs_trained, b.epochs_trained],
    }
    identical = {}
    for name in ("vectors", "syn1", "syn1neg"):
        x = a.wv.vectors if name == "vectors" else getattr(a, name)
        y = b.wv.vectors if name == "vectors" else getattr(b, name)
        if x is None or y is None:
            identical[name] = x is None and y is None
            continue
        if name != "vectors":
            result["finite"] = result["finite"] and bool(np.isfinite(y).all())
        identical[name] = x.shape == y.shape and bool(np.array_equal(
            np.ascontiguousarray(x, np.float32).view(np.uint32),
            np.ascontiguousarray(y, np.float32).view(np.uint32)))
        if x.shape == y.shape:
            result[f"max_abs_diff_{name}"] = float(np.max(np.abs(x - y))) if x.size else 0.0
    result["bit_identical"] = all(identical.values())
    result["identical"] = identical
    scores = {}
    for label, model in (("reference", a), ("resumed", b)):
        entry = {}
        if args.analogies:
            entry["analogy"] = model.wv.evaluate_word_analogies(args.analogies)[0]
        if args.pairs:
            entry["pairs_spearman"] = model.wv.evaluate_word_pairs(args.pairs)["spearman"]
        scores[label] = entry
    result["scores"] = scores
    close = True
    for key, tolerance in (("analogy", args.tolerance_analogy),
                           ("pairs_spearman", args.tolerance_pairs)):
        if key in scores["reference"]:
            diff = abs(scores["reference"][key] - scores["resumed"][key])
            result[f"diff_{key}"] = diff
            close = close and diff <= tolerance
    result["scores_within_tolerance"] = close
    valid = result["vocabulary_equal"] and result["finite"] and (
        result["epochs_trained"][0] == result["epochs_trained"][1])
    result["verdict"] = bool(valid and (result["bit_identical"] if args.workers == 1
                                         else close))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=Path("/tmp/wiki17m.txt"))
    parser.add_argument("--repeat", type=int, default=4)
    parser.add_argument("--lines", type=int, default=None, help="only the first N lines")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/w2v-long-run"))
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--train-seed", type=int, default=1)
    parser.add_argument("--checkpoint-every", type=float, default=60.0, help="seconds")
    parser.add_argument("--startup", type=float, default=15.0,
                        help="seconds a start takes before training (counting, encoding); "
                             "measured on the uninterrupted run when its log says")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0, help="of the kill times")
    parser.add_argument("--analogies", default="/work/shared/data/questions-words.txt")
    parser.add_argument("--pairs", default="/work/shared/data/wordsim353.tsv")
    parser.add_argument("--tolerance-analogy", type=float, default=0.02)
    parser.add_argument("--tolerance-pairs", type=float, default=0.03)
    parser.add_argument("--json", type=Path)
    parser.add_argument("train_options", nargs="*",
                        help="more `w2v train` options, after --, e.g. -- --sg 1")
    args = parser.parse_args(argv)
    for name in ("analogies", "pairs"):
        if getattr(args, name) and not os.path.exists(getattr(args, name)):
            setattr(args, name, None)
    work = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    logfile = work / f"train-w{args.workers}.log"
    logfile.unlink(missing_ok=True)
    corpus = build_corpus(args.source, args.repeat, args.lines, work / "corpus.txt")
    log(f"corpus {corpus['path']}: {corpus['words']} words, {corpus['bytes']} bytes")
    reference_vectors, reference_model = work / "ref.bin", work / "ref.zip"
    command = train_command(args, Path(corpus["path"]), reference_vectors, reference_model,
                            options(args))
    log(f"uninterrupted: {' '.join(command)}")
    status, reference_seconds = run(command, logfile)
    if status != 0:
        raise SystemExit(f"the uninterrupted run exited {status} (see {logfile})")
    # the start-up (counting, encoding) is what the run's own training time leaves
    trained = re.findall(r"trained .* in ([0-9.]+)s: ", logfile.read_text(errors="replace"))
    if trained:
        args.startup = max(1.0, reference_seconds - float(trained[-1]))
    log(f"  {reference_seconds:.1f}s, of which {args.startup:.1f}s start-up")
    from w2v import Word2Vec

    reference = Word2Vec.load(reference_model, mmap="r")
    counts = reference.wv.counts
    assert counts is not None  # a trained model has its counts
    total_words = int(np.sum(counts)) * args.epochs  # what a checkpoint's words_done counts
    del reference
    interrupted = interrupted_run(args, Path(corpus["path"]), work, reference_seconds,
                                  total_words, logfile)
    log(f"interrupted: {interrupted['attempts']} attempts, {len(interrupted['kills'])} kills, "
        f"{interrupted['seconds']:.1f}s in all")
    result = compare(args, reference_model, Path(interrupted["model"]))
    summary = {"corpus": corpus, "workers": args.workers, "epochs": args.epochs,
               "train_options": options(args), "checkpoint_every": args.checkpoint_every,
               "kill_seed": args.seed, "reference_seconds": reference_seconds,
               "interrupted": interrupted, "comparison": result,
               "command": [sys.executable, *sys.argv]}
    log(json.dumps(result, indent=1))
    log(f"verdict: {'OK' if result['verdict'] else 'FAILED'}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1) + "\n")
    return 0 if result["verdict"] else 1


if __name__ == "__main__":
    sys.exit(main())
