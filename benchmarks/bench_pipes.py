"""What reading a corpus from a pipe costs: ``w2v train`` on a regular file, on a process
substitution (``<(cat FILE)``, a ``/dev/fd/N`` pipe) and on standard input (``cat FILE |
w2v train -``), alternated (file, substitution, stdin, file, ...), with the median of each.

A pipe is read exactly once: the vocabulary pass reads it and keeps a private temporary copy
in ``TMPDIR`` (unnamed, so nothing is left behind), and the encoding pass reads that copy
(see ``w2v.data.streams``). This benchmark measures what that costs over the regular file:
wall time, and the peak resident memory of the ``w2v`` process. The copy takes as much disk
as the corpus while the run lasts; the table reports that size too.

The fastest training setting (CBOW, 1 epoch) is the default, as it shows the reading
overhead at its largest share of the run.

Usage
-----
    python benchmarks/bench_pipes.py --corpus /tmp/wiki17m.txt [--repeats 3] [--epochs 1] \\
        [--sg 0] [--workers 2] [--json bench_pipes.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MODES = {
    "file": "{w2v} train {corpus} {args}",
    "process substitution": "{w2v} train <(cat {corpus}) {args}",
    "stdin": "cat {corpus} | {w2v} train - {args}",
}


def run(command: str) -> tuple[float, float]:
    """Wall seconds and the peak resident MB of the largest process of ``command``."""
    start = time.perf_counter()
    child = subprocess.Popen(["bash", "-c", command], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"failed ({status}): {command}\n{child.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--sg", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args(argv)

    w2v = shutil.which("w2v") or f"{shlex.quote(sys.executable)} -m w2v"
    out = tempfile.mkdtemp(prefix="bench-pipes-")
    train_args = (f"-o {out}/v.bin --epochs {args.epochs} --sg {args.sg} "
                  f"--workers {args.workers} --no-progress")
    corpus = shlex.quote(os.path.abspath(args.corpus))
    runs: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    for repeat in range(args.repeats):
        for mode, template in MODES.items():  # alternated, so drift hits every mode alike
            seconds, peak = run(template.format(w2v=w2v, corpus=corpus, args=train_args))
            runs[mode].append((seconds, peak))
            print(f"repeat {repeat + 1} {mode}: {seconds:.2f} s, {peak:.0f} MB", flush=True)
    shutil.rmtree(out, ignore_errors=True)

    base = statistics.median(s for s, _ in runs["file"])
    size_mb = os.path.getsize(args.corpus) / 2**20
    rows = []
    print(f"\n{'corpus read from':<22} {'median s':>9} {'vs file':>8} {'peak RSS MB':>12} "
          f"{'temp disk MB':>13}")
    for mode, figures in runs.items():
        median = statistics.median(s for s, _ in figures)
        peak = statistics.median(p for _, p in figures)
        disk = 0.0 if mode == "file" else size_mb
        rows.append({"mode": mode, "seconds": [s for s, _ in figures], "median_seconds": median,
                     "ratio_to_file": median / base, "peak_rss_mb": peak, "temp_disk_mb": disk})
        print(f"{mode:<22} {median:>9.2f} {median / base:>7.3f}x {peak:>12.0f} {disk:>13.0f}")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"command": " ".join([sys.executable, *sys.argv]), "corpus": args.corpus,
                       "corpus_mb": size_mb, "train_args": train_args,
                       "machine": platform.platform(), "cpus": os.cpu_count(), "rows": rows},
                      handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
