"""Orchestration of a training run: chunks of the encoded corpus fed to worker threads.

The threads only call the compiled kernel, which releases the GIL; all
bookkeeping (job hand-out, loss sums) happens here between chunks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .encoding import EncodedCorpus

__all__ = ["RunPlan", "chunk_seed", "run_epochs"]

#: Words per job handed to a thread: small enough to balance two threads at the
#: end of the run, large enough that the hand-out cost vanishes.
CHUNK_WORDS = 20_000


@dataclass(frozen=True)
class RunPlan:
    """What one call of ``train()`` does."""

    epochs: int
    first_epoch: int  # epochs trained before this run (keeps random streams fresh)
    workers: int
    seed: int
    start_alpha: float
    min_alpha: float


def chunk_seed(seed: int, epoch: int, chunk: int) -> int:
    """The non-zero random state of one chunk of one epoch, independent of threads.

    Example
    -------
    >>> chunk_seed(1, 0, 0) == chunk_seed(1, 0, 0) != chunk_seed(1, 0, 1)
    True
    """
    state = np.random.SeedSequence([seed, epoch, chunk]).generate_state(1, dtype=np.uint64)
    return int(state[0]) or 1


def run_epochs(kernel, corpus: EncodedCorpus, plan: RunPlan) -> tuple[np.ndarray, np.ndarray]:
    """Train ``plan.epochs`` epochs over ``corpus`` with ``plan.workers`` threads.

    The learning rate decays linearly from ``start_alpha`` to ``min_alpha`` over the
    words of all epochs; each thread counts its own words and the kernel reads the sum.

    Parameters
    ----------
    kernel : a ``w2v._core.Kernel`` bound to the model's arrays.
    corpus : the encoded corpus.
    plan : epochs, threads, seed and learning rates.

    Returns
    -------
    (loss, examples) : per epoch, the summed loss (float64) and example count (int64).

    Example
    -------
    >>> loss, examples = run_epochs(kernel, encoded, plan)  # doctest: +SKIP
    """
    chunks = corpus.chunks(CHUNK_WORDS)
    jobs = [
        (epoch, index, lo, hi)
        for epoch in range(plan.epochs)
        for index, (lo, hi) in enumerate(chunks)
    ]
    progress = np.zeros(plan.workers, dtype=np.int64)
    loss = np.zeros(plan.epochs, dtype=np.float64)
    examples = np.zeros(plan.epochs, dtype=np.int64)
    total_words = corpus.words * plan.epochs
    lock = threading.Lock()
    pending = iter(jobs)
    failures: list[BaseException] = []

    def work(slot: int) -> None:
        try:
            while not failures:
                with lock:
                    job = next(pending, None)
                if job is None:
                    return
                epoch, index, lo, hi = job
                chunk_loss, chunk_examples = kernel.train_chunk(
                    corpus.ids, corpus.offsets, lo, hi,
                    chunk_seed(plan.seed, plan.first_epoch + epoch, index),
                    progress, slot, total_words, plan.start_alpha, plan.min_alpha,
                )
                with lock:
                    loss[epoch] += chunk_loss
                    examples[epoch] += chunk_examples
        except BaseException as error:  # re-raised in the caller's thread
            failures.append(error)

    if plan.workers == 1:
        work(0)
    else:
        threads = [
            threading.Thread(target=work, args=(slot,), name=f"w2v-worker-{slot}", daemon=True)
            for slot in range(plan.workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return loss, examples
