"""Orchestration of a training run: chunks of the encoded corpus fed to worker threads.

The threads only call the compiled kernel, which releases the GIL; all
bookkeeping (job hand-out, loss sums) happens here between chunks.
"""

from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from .. import _core
from ..data.encoding import EncodedCorpus

__all__ = ["RunPlan", "RunPosition", "chunk_seed", "chunk_words", "run_epochs",
           "run_segment", "sync_examples"]

#: Words per job handed to a thread: small enough to balance two threads at the
#: end of the run, large enough that the hand-out cost vanishes.
CHUNK_WORDS = 20_000
MIN_CHUNK_WORDS = 1_000
#: Examples a thread trains between merges of its private copies of the busiest rows
#: (about a millisecond of training; a merge moves those rows between the cores' caches
#: once). Longer is not free: at 32,768 examples two threads' skip-gram lost 0.010 of
#: SimLex-999 on documentation text against one thread (benchmarks/README.md), and
#: hierarchical softmax lost a point of analogy accuracy when merges counted positions
#: (about 6 times as many examples) ...
SYNC_EXAMPLES = 4_096
#: ... and at least this many merges per thread per epoch, for small corpora.
MIN_SYNCS = 16
#: Seconds between the calling thread's reports (progress bar, ``on_batch_end``).
REPORT_SECONDS = 0.2
#: On Ctrl-C in a checkpointed run, seconds the threads get to finish their chunks (so
#: that a checkpoint can record exactly what was trained) before they are cut short.
FINISH_SECONDS = 1.0


@dataclass(frozen=True)
class RunPlan:
    """What one call of ``train()`` does."""

    epochs: int
    first_epoch: int  # epochs trained before this run (keeps random streams fresh)
    workers: int
    seed: int
    start_alpha: float
    min_alpha: float
    resume: RunPosition | None = None  # where a checkpointed run stopped


@dataclass(frozen=True)
class RunPosition:
    """How far a run has got, at a point where every chunk handed out is finished: the
    state a checkpoint saves and a resumed run starts from."""

    epoch: int  # epochs of the run finished (the one under way, if next_chunk > 0)
    next_chunk: int  # first chunk of that epoch not trained yet
    words_done: int  # in-vocabulary words trained in the run (drives the learning rate)
    epoch_loss: float  # summed loss of the epoch under way so far
    epoch_examples: int  # and its examples


def chunk_seed(seed: int, epoch: int, chunk: int) -> int:
    """The non-zero random state of one chunk of one epoch, independent of threads.

    Example
    -------
    >>> chunk_seed(1, 0, 0) == chunk_seed(1, 0, 0) != chunk_seed(1, 0, 1)
    True
    """
    state = np.random.SeedSequence([seed, epoch, chunk]).generate_state(1, dtype=np.uint64)
    return int(state[0]) or 1


def chunk_words(corpus_words: int) -> int:
    """Words per job: ``CHUNK_WORDS``, smaller for small corpora so every thread gets work.

    It depends on the corpus alone, never on the thread count, so the random streams
    (one per chunk) and thus the examples trained are the same for any ``workers``.

    Example
    -------
    >>> chunk_words(10**8), chunk_words(18_000)
    (20000, 1000)
    """
    return min(CHUNK_WORDS, max(MIN_CHUNK_WORDS, -(-corpus_words // 64)))


def sync_examples(corpus_words: int, workers: int) -> int:
    """Examples between merges of a thread's copies: ``SYNC_EXAMPLES``, fewer when a
    thread's share of an epoch (at least one example per word) would not see
    ``MIN_SYNCS`` merges.

    Example
    -------
    >>> sync_examples(10**8, 2), sync_examples(32_000, 2)
    (4096, 1000)
    """
    return max(1, min(SYNC_EXAMPLES, corpus_words // (max(workers, 1) * MIN_SYNCS)))


class Monitor(Protocol):
    """What :func:`run_epochs` reports to (a :class:`~w2v.train.monitor.TrainingMonitor`
    is one); a method that returns False asks the run to stop."""

    def begin(self) -> bool: ...
    def epoch_begin(self, epoch: int) -> bool: ...
    def tick(self, epoch: int, words_done: int, loss: float, examples: int) -> bool: ...
    def epoch_end(self, epoch: int, loss: float, examples: int, complete: bool) -> bool: ...
    def end(self, words_done: int) -> None: ...


class CheckpointHook(Protocol):
    """When and how :func:`run_epochs` saves a checkpoint (a
    :class:`~w2v.train.checkpoint.Checkpointer` is one)."""

    def due_now(self) -> bool: ...
    def due_after_epoch(self, epochs_done: int) -> bool: ...
    def save(self, position: RunPosition) -> None: ...


def run_epochs(kernel: _core.Kernel, corpus: EncodedCorpus, plan: RunPlan,
               monitor: Monitor | None = None, stop: threading.Event | None = None,
               checkpoint: CheckpointHook | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Train ``plan.epochs`` epochs over ``corpus`` with ``plan.workers`` threads.

    The learning rate decays linearly from ``start_alpha`` to ``min_alpha`` over the
    words of all epochs; each thread counts its own words and the kernel reads the sum.
    Every epoch ends before the next begins, so each epoch's loss is its own. The
    calling thread only waits, reports to ``monitor`` and watches ``stop``: once it is
    set (by a callback, ``model.stop()`` or Ctrl-C), the threads finish the chunks they
    are on and take no more; their changes are merged either way.

    With a ``checkpoint``, when ``checkpoint.due_now()`` (polled between reports) the
    hand-out pauses, the threads finish their chunks, their copies are merged and
    ``checkpoint.save(position)`` is called with the exact :class:`RunPosition`; then the
    epoch goes on. Ctrl-C does the same (if the threads finish within
    ``FINISH_SECONDS``), then raises ``KeyboardInterrupt``.
    ``checkpoint.due_after_epoch(epochs_done)`` asks the same at each epoch's end. A run
    with ``plan.resume`` starts at that position: same chunks, same random streams and
    the same learning rate as the run that saved it.

    Parameters
    ----------
    kernel : a ``w2v._core.Kernel`` bound to the model's arrays.
    corpus : the encoded corpus.
    plan : epochs, threads, seed and learning rates.
    monitor : a :class:`~w2v.train.monitor.TrainingMonitor` (or None).
    stop : an event that stops training when set.
    checkpoint : an object with ``due_now()``, ``due_after_epoch(epochs_done)`` and
        ``save(position)`` (see :class:`w2v.train.checkpoint.Checkpointer`), or None.

    Returns
    -------
    (loss, examples) : per epoch begun in this call, the summed loss (float64) and
        example count (int64).

    Example
    -------
    >>> loss, examples = run_epochs(training_kernel, encoded, plan)
    >>> len(loss) == len(examples) == plan.epochs, bool(examples[0] > 0)
    (True, True)
    """
    start = plan.resume or RunPosition(0, 0, 0, 0.0, 0)
    run = _ChunkRun(kernel, corpus, plan, corpus.words * plan.epochs, start.words_done, stop)
    chunks, progress, stop, stop_flag, halt = (run.chunks, run.progress, run.stop,
                                               run.stop_flag, run.halt)
    # one row per thread: each thread adds only to its own row, so nothing is lost
    loss = np.zeros((plan.workers, plan.epochs), dtype=np.float64)
    examples = np.zeros((plan.workers, plan.epochs), dtype=np.int64)
    if start.next_chunk > len(chunks):
        raise ValueError(f"cannot resume at chunk {start.next_chunk}: the corpus has only "
                         f"{len(chunks)} chunks")
    if start.epoch < plan.epochs:
        loss[0, start.epoch] = start.epoch_loss
        examples[0, start.epoch] = start.epoch_examples

    def train_job(epoch: int, slot: int, index: int) -> None:
        chunk_loss, chunk_examples = run.train(slot, index, plan.first_epoch + epoch)
        loss[slot, epoch] += chunk_loss
        examples[slot, epoch] += chunk_examples

    def report(epoch: int) -> None:
        if monitor is not None and not monitor.tick(
                epoch, int(progress.sum()), float(loss[:, epoch].sum()),
                int(examples[:, epoch].sum())):
            stop.set()
        if stop.is_set():  # from a callback, or model.stop() in another thread
            stop_flag[0] = 1
        elif checkpoint is not None and checkpoint.due_now():
            pause.set()  # the threads finish their chunks and take no more

    def position(epoch: int, next_chunk: int) -> RunPosition:
        return RunPosition(epoch, next_chunk, int(progress.sum()),
                           float(loss[:, epoch].sum()) if epoch < plan.epochs else 0.0,
                           int(examples[:, epoch].sum()) if epoch < plan.epochs else 0)

    pause = threading.Event()
    begun = start.epoch
    interrupted: BaseException | None = None
    if monitor is not None and not monitor.begin():
        stop.set()
    for epoch in range(start.epoch, plan.epochs):
        if stop.is_set():
            break
        first_chunk = start.next_chunk if epoch == start.epoch else 0
        if first_chunk == 0 and monitor is not None and not monitor.epoch_begin(epoch):
            stop.set()
            break
        begun += 1
        try:
            while True:
                pause.clear()
                first_chunk = _run_jobs(
                    functools.partial(train_job, epoch), range(first_chunk, len(chunks)),
                    plan.workers, halt, lambda epoch=epoch: report(epoch), stop, pause,
                    finish_on_interrupt=checkpoint is not None)
                if first_chunk == len(chunks) or stop.is_set() or checkpoint is None:
                    break
                # paused for a checkpoint: every chunk handed out is finished
                run.flush()
                checkpoint.save(position(epoch, first_chunk))
        except KeyboardInterrupt as error:  # the threads have stopped: record the epoch
            interrupted = error
        finally:  # every epoch ends with the shared weights complete, even on error
            run.flush()
        next_job = getattr(interrupted, "w2v_next_job", None)
        # every chunk handed out was finished: an exact position
        if next_job is not None and checkpoint is not None:
            checkpoint.save(position(epoch, next_job))
        if monitor is not None:
            if interrupted is None:  # no on_batch_end after Ctrl-C: it may raise again
                report(epoch)
            if not monitor.epoch_end(epoch, float(loss[:, epoch].sum()),
                                     int(examples[:, epoch].sum()), not stop.is_set()):
                stop.set()
        if interrupted is not None:
            break
        if (checkpoint is not None and not stop.is_set()
                and checkpoint.due_after_epoch(epoch + 1)):
            checkpoint.save(position(epoch + 1, 0))
    if monitor is not None:
        monitor.end(int(progress.sum()))
    if interrupted is not None:
        raise interrupted
    return (loss.sum(axis=0)[start.epoch:begun],
            examples.sum(axis=0)[start.epoch:begun])


def run_segment(kernel: _core.Kernel, corpus: EncodedCorpus, chunks: range, epoch: int,
                words_before: int,
                total_words: int, plan: RunPlan) -> tuple[float, int, int]:
    """Train the chunks ``chunks`` of ``epoch`` (indices into
    ``corpus.chunks(chunk_words(corpus.words))``) with ``plan.workers`` threads: one
    replica's share of a round of distributed training.

    The learning rate decays from ``plan.start_alpha`` to ``plan.min_alpha`` as if
    ``words_before`` of ``total_words`` words were already trained; the threads' copies of
    the busiest rows are merged before returning.

    Returns
    -------
    (loss, examples, words) : summed loss, example count and words trained.

    Example
    -------
    >>> loss, examples, words = run_segment(training_kernel, encoded, range(0, 1), 0, 0,
    ...                                     encoded.words, plan)
    >>> 0 < words <= encoded.words
    True
    """
    run = _ChunkRun(kernel, corpus, plan, total_words, words_before)
    if chunks.start < 0 or chunks.stop > len(run.chunks) or chunks.step != 1:
        raise ValueError(f"chunks {chunks} outside the corpus's {len(run.chunks)} chunks")
    loss = np.zeros(plan.workers, dtype=np.float64)
    examples = np.zeros(plan.workers, dtype=np.int64)

    def train_job(slot: int, index: int) -> None:
        chunk_loss, chunk_examples = run.train(slot, index, epoch)
        loss[slot] += chunk_loss
        examples[slot] += chunk_examples

    try:
        _run_jobs(train_job, chunks, plan.workers, run.halt, None, run.stop)
    finally:
        run.flush()
    return float(loss.sum()), int(examples.sum()), int(run.progress.sum()) - words_before


class _ChunkRun:
    """What both drivers (:func:`run_epochs`, :func:`run_segment`) share: the corpus's
    chunks, the threads' word counters (which drive the learning rate) and private copies
    of the busiest rows, the stop flag the kernel reads, and one chunk's training call."""

    def __init__(self, kernel: _core.Kernel, corpus: EncodedCorpus, plan: RunPlan,
                 total_words: int,
                 words_before: int, stop: threading.Event | None = None) -> None:
        self.kernel = kernel
        self.plan = plan
        self.chunks = corpus.chunks(chunk_words(corpus.words))
        self.ids, self.offsets = _aligned(corpus)
        self.total_words = max(total_words, 1)
        self.stop = threading.Event() if stop is None else stop
        # the kernel reads this flag before each sentence: set, it ends the chunk under way
        self.stop_flag = np.zeros(1, dtype=np.int32)
        self.progress = np.zeros(plan.workers, dtype=np.int64)
        self.progress[0] = words_before
        # each thread's private copies of the busiest rows (None with a single thread)
        sync = sync_examples(corpus.words, plan.workers)
        self.copies = [kernel.thread_copies(sync) if plan.workers > 1 else None
                       for _ in range(plan.workers)]

    def train(self, slot: int, index: int, seed_epoch: int) -> tuple[float, int]:
        """Train chunk ``index`` on thread ``slot`` with the random stream of epoch
        ``seed_epoch``; return its loss and example count."""
        lo, hi = self.chunks[index]
        return self.kernel.train_chunk(
            self.ids, self.offsets, lo, hi, chunk_seed(self.plan.seed, seed_epoch, index),
            self.progress, slot, self.total_words, self.plan.start_alpha,
            self.plan.min_alpha, self.copies[slot], self.stop_flag)

    def halt(self) -> None:
        """Stop the hand-out and make the kernels end their chunks within a sentence."""
        self.stop.set()
        self.stop_flag[0] = 1

    def flush(self) -> None:
        """Add the threads' changes in their private copies to the shared rows."""
        for thread_copies in self.copies:
            if thread_copies is not None:
                self.kernel.flush(thread_copies)


def _aligned(corpus: EncodedCorpus) -> tuple[np.ndarray, np.ndarray]:
    """The corpus's ids and offsets, copied if they are not aligned in memory (as arrays
    that came through Dask's serialisation can be): the kernel reads them as C ints."""
    return (np.require(corpus.ids, np.int32, ["C", "A"]),
            np.require(corpus.offsets, np.int64, ["C", "A"]))


def _run_jobs(train_job, jobs: range, workers: int, halt, report,
              stop: threading.Event, pause: threading.Event | None = None,
              finish_on_interrupt: bool = False) -> int:
    """Run ``train_job(slot, index)`` for the indices of ``jobs``, in order, on
    ``workers`` threads; return the first index not handed out (``jobs.stop`` if all were).

    Only the hand-out of job indices takes a lock; the kernel call releases the GIL.
    The calling thread calls ``report()`` every ``REPORT_SECONDS`` while it waits. The
    first error, or ``stop`` or ``pause`` being set, ends the hand-out (the jobs handed
    out are all finished on return); ``halt()`` must set ``stop``.
    On Ctrl-C (or an error of ``report``) the calling thread calls ``halt()``, which
    makes the kernels end their chunks within a sentence, waits for every thread
    (further Ctrl-Cs included: the shared weights must not be left to threads still
    writing them) and re-raises; a worker's error is re-raised once all threads are done.
    With ``finish_on_interrupt``, Ctrl-C first gives the threads ``FINISH_SECONDS`` to
    finish the chunks they are on; if they do (and no second Ctrl-C comes), the
    ``KeyboardInterrupt`` re-raised carries ``w2v_next_job``, the first job not handed
    out, as an exact position to checkpoint.
    """
    lock = threading.Lock()
    pending = iter(jobs)
    handed_out = [jobs.start]
    failures: list[BaseException] = []
    pause = threading.Event() if pause is None else pause

    def work(slot: int) -> None:
        try:
            while not failures and not stop.is_set() and not pause.is_set():
                with lock:
                    index = next(pending, None)
                    if index is None:
                        return
                    handed_out[0] = index + 1
                train_job(slot, index)
        except BaseException as error:  # re-raised in the caller's thread
            failures.append(error)
            halt()

    threads = [
        threading.Thread(target=work, args=(slot,), name=f"w2v-worker-{slot}", daemon=True)
        for slot in range(workers)
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            while thread.is_alive():
                thread.join(REPORT_SECONDS)
                if report is not None and thread.is_alive():
                    report()
    except KeyboardInterrupt as interrupt:
        if finish_on_interrupt and _finish_chunks(threads, pause) and not failures:
            # the user's own Ctrl-C, carrying where the run stopped (read with getattr)
            interrupt.w2v_next_job = handed_out[0]  # type: ignore[attr-defined]
            raise
        halt()
        _join_through_interrupts(threads)
        raise
    except BaseException:  # a callback's error: stop the threads first
        halt()
        _join_through_interrupts(threads)
        raise
    if failures:
        raise failures[0]
    return handed_out[0]


def _finish_chunks(threads: list[threading.Thread], pause: threading.Event) -> bool:
    """Stop the hand-out and wait up to ``FINISH_SECONDS`` for ``threads`` to finish
    their chunks; False if they did not, or Ctrl-C came again meanwhile."""
    pause.set()
    deadline = time.monotonic() + FINISH_SECONDS
    try:
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
    except KeyboardInterrupt:
        return False
    return not any(thread.is_alive() for thread in threads)


def _join_through_interrupts(threads: list[threading.Thread]) -> None:
    """Wait for ``threads`` to end, even if Ctrl-C is pressed again meanwhile."""
    for thread in threads:
        while thread.is_alive():
            try:
                thread.join()
            except KeyboardInterrupt:
                continue
