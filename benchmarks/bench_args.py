"""Command-line options shared by the training benchmarks (imports nothing of w2v, so a
benchmark's child process can still choose which build of w2v to import)."""

from __future__ import annotations

import argparse


def add_model_args(p: argparse.ArgumentParser) -> None:
    """The training settings every benchmark passes to every system alike."""
    p.add_argument("--sg", type=int, default=1, choices=(0, 1))
    p.add_argument("--hs", type=int, default=0, choices=(0, 1))
    p.add_argument("--negative", type=int, default=5)
    p.add_argument("--vector-size", type=int, default=100)
    p.add_argument("--window", type=int, default=5)
    p.add_argument("--sample", type=float, default=1e-3)
    p.add_argument("--min-count", type=int, default=5)
    p.add_argument("--epochs", type=int, default=5)
