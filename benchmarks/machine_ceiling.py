"""What two threads of pure arithmetic get from this machine, beside which the kernel's
scaling is read.

Compiles ``machine_ceiling.c`` (beside this file) with the system C compiler and times
the same work per thread on one thread and on two at once, alternating the two, then
prints the medians and ``2 x one thread's seconds / two threads' seconds`` (2.00x when
the second thread costs the first nothing). Nothing is shared between the threads, not
even memory, so what is lost is the hardware's: a core shared under the hypervisor, its
vector pipes, its clocks. A vector-bound kernel cannot scale better than this loop, beyond
the spread of the runs.

Usage::

    python benchmarks/machine_ceiling.py [--repeat 7] [--steps 100000000] [--threads 2] \\
        [--json out.json]

``bench_scaling.py --ceiling`` and ``bench_train.py --scaling --ceiling`` time the widest
vector loop (:class:`Ceiling`, a :class:`Loop`) in their own alternation, beside the
kernel.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_quality import align, write_json_atomic  # noqa: E402

SOURCE = Path(__file__).resolve().parent / "machine_ceiling.c"
KINDS = ("fma512", "fma256", "scalar")
UNSUPPORTED = 3  # the program's exit status when the CPU lacks the instructions


class CeilingError(RuntimeError):
    """The loop could not be compiled or run."""


def build(directory: str) -> str:
    """Compile ``machine_ceiling.c`` into ``directory``; return the program's path.

    Parameters
    ----------
    directory : where the program is written (a temporary directory).

    Example
    -------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:  # doctest: +SKIP
    ...     program = build(d)
    """
    compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise CeilingError("no C compiler found (set CC)")
    program = os.path.join(directory, "machine_ceiling")
    done = subprocess.run([compiler, "-O2", "-pthread", str(SOURCE), "-o", program],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise CeilingError(f"{compiler} could not compile {SOURCE}:\n{done.stderr}")
    return program


def seconds(program: str, kind: str, threads: int, steps: int) -> float | None:
    """Seconds ``threads`` threads take for ``steps`` steps of ``kind`` each; None when
    this CPU lacks the instructions ``kind`` needs.

    Parameters
    ----------
    program : the path :func:`build` returned.
    kind : one of ``KINDS``.
    threads : 1 to 64.
    steps : steps per thread.
    """
    done = subprocess.run([program, kind, str(threads), str(steps)],
                          capture_output=True, text=True)
    if done.returncode == UNSUPPORTED:
        return None
    if done.returncode != 0:
        raise CeilingError(f"{program} {kind} {threads} {steps} failed: {done.stderr.strip()}")
    return float(done.stdout)


def runnable(program: str) -> list[str]:
    """The ``KINDS`` this CPU runs, widest first (each tried once, one step)."""
    return [kind for kind in KINDS if seconds(program, kind, 1, 1) is not None]


def scaling(one: float, many: float, threads: int = 2) -> float:
    """``threads`` threads' speed against one's when each thread does the same work:
    ``threads * one / many`` (``threads`` when the others cost nothing).

    Example
    -------
    >>> scaling(1.0, 1.25)
    1.6
    """
    if one <= 0 or many <= 0:
        raise ValueError(f"times must be positive, got {one} and {many}")
    return threads * one / many


def header(threads: int) -> list[str]:
    """The column names of :meth:`Loop.row`."""
    return ["machine, pure arithmetic", f"{threads} vs 1 (median of pairs)", "range",
            "1 thread, s", f"{threads} threads, s"]


class Loop:
    """One loop of a compiled ``machine_ceiling`` program, timed on one thread and on
    ``threads`` at once each time :meth:`time` is called.

    Parameters
    ----------
    program : the path :func:`build` returned.
    kind : one of ``KINDS`` (this CPU must run it).
    threads : how many threads to compare with one.
    steps : steps per thread.
    """

    def __init__(self, program: str, kind: str, threads: int, steps: int) -> None:
        self.program, self.kind, self.threads, self.steps = program, kind, threads, steps
        self.one: list[float] = []
        self.many: list[float] = []

    def time(self, label: str = "") -> float:
        """Time the loop once on one thread and once on ``threads``; print and return the
        scaling."""
        one = seconds(self.program, self.kind, 1, self.steps)
        many = seconds(self.program, self.kind, self.threads, self.steps)
        if one is None or many is None:
            raise CeilingError(f"this CPU lacks the instructions {self.kind} needs")
        self.one.append(one)
        self.many.append(many)
        ratio = scaling(one, many, self.threads)
        print(f"[machine, {self.kind} loop{label}] 1 thread {one:.3f} s, {self.threads} "
              f"threads {many:.3f} s: {ratio:.3f}x", flush=True)
        return ratio

    def scalings(self) -> list[float]:
        return [scaling(a, b, self.threads) for a, b in zip(self.one, self.many, strict=True)]

    def row(self) -> list[str]:
        """The median scaling, its range and the median times (see :func:`header`)."""
        s = self.scalings()
        return [f"{self.kind} loop, {self.steps:,} steps", f"{statistics.median(s):.3f}x",
                f"{min(s):.2f}-{max(s):.2f}x", f"{statistics.median(self.one):.3f}",
                f"{statistics.median(self.many):.3f}"]

    def summary(self) -> dict:
        return {"kind": self.kind, "steps": self.steps, "threads": self.threads,
                "one_thread_s": self.one, "threads_s": self.many,
                "scaling": statistics.median(self.scalings())}


class Ceiling(Loop):
    """The widest vector loop this CPU runs (``fma512``, else ``fma256``), compiled into a
    temporary directory (removed by :meth:`close` or at the end of a ``with`` block), its
    steps sized to about ``target_s`` seconds per run.

    Parameters
    ----------
    threads : how many threads to compare with one (the benchmark's workers).
    target_s : seconds one thread's run should take.
    """

    def __init__(self, threads: int = 2, target_s: float = 1.0) -> None:
        self._directory = tempfile.TemporaryDirectory()
        program = build(self._directory.name)
        kind = next((k for k in runnable(program) if k != "scalar"), None)
        if kind is None:
            raise CeilingError("this CPU has neither AVX-512 nor AVX2 with FMA")
        probe = seconds(program, kind, 1, 10_000_000) or 1e-3
        super().__init__(program, kind, threads,
                         max(1, int(10_000_000 * target_s / max(probe, 1e-3))))

    def __enter__(self) -> Ceiling:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Remove the compiled program (the timings stay)."""
        self._directory.cleanup()

    def rows(self) -> list[list[str]]:
        """A table, header first, of this loop's :meth:`Loop.row`."""
        return [header(self.threads), self.row()]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=7, help="alternations per loop (median)")
    p.add_argument("--steps", type=int, default=100_000_000,
                   help="steps per thread (100M: about half a second each)")
    p.add_argument("--threads", type=int, default=2, help="threads compared with one (2-64)")
    p.add_argument("--json", help="write the results here (atomically)")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.steps < 1:
        p.error("--repeat and --steps must be >= 1")
    if not 2 <= args.threads <= 64:
        p.error("--threads must be 2 to 64")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as directory:
        program = build(directory)
        loops = [Loop(program, kind, args.threads, args.steps) for kind in runnable(program)]
        for repeat in range(args.repeat):
            for loop in loops:
                loop.time(f" #{repeat + 1}")
    print(f"\n{args.steps:,} steps per thread; {args.repeat} alternations")
    print("\n".join(align([header(args.threads)] + [loop.row() for loop in loops])))
    if args.json:
        write_json_atomic(args.json, {
            "command": " ".join(sys.argv), "settings": vars(args),
            "loops": [loop.summary() for loop in loops],
        })
        print(f"wrote {args.json}")
    return 0

if __name__ == "__main__":
    sys.exit(main())
