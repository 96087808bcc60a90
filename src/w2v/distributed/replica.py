"""The workers' side of distributed training (:mod:`w2v.distributed`): counting
and encoding a shard's files, and training a replica of the model on it. Internal: the
functions here are Dask tasks that :mod:`w2v.distributed` submits.

A worker keeps each shard's replica in memory between rounds (with its kernel: alias and
keep tables built once). A round's update then only carries the rows the last merge
changed, with their merged values: the replica's other rows already hold them. A replica
that is not the one the update expects (the worker is new, its task was moved or run
again, or the replica trained an attempt whose result the client did not take) answers
``STALE``, and the client sends that shard the whole model instead. So a lost or
duplicated task can cost time, never correctness.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._core import row_deltas
from ..data.corpus import PathCorpus
from ..data.encoding import EncodedCorpus, encode_corpus
from ..data.vocab import Vocabulary, count_words
from ..train.kernel import make_kernel
from ..train.params import TrainingParams
from ..train.trainer import RunPlan, chunk_words, run_segment
from .shards import Piece, local_copy

#: The matrices a replica holds, in the order updates and deltas carry them.
MATRICES = ("vectors", "syn1neg", "syn1")
#: What a round's task returns when its replica cannot take a rows update.
STALE = {"stale": True}


@dataclass(frozen=True)
class Update:
    """The model a round trains from: whole (``weights``), or the rows the last merge
    changed (``rows``: matrix name -> (row indices or None for all rows, their values))
    for the replicas that trained the previous round's accepted attempts (``accepted``:
    shard -> attempt)."""

    round: int  # rounds of the run merged into the model so far
    weights: tuple | None = None
    rows: dict | None = None
    accepted: dict | None = None

    @property
    def nbytes(self) -> int:
        if self.weights is not None:
            arrays = list(self.weights)
        else:  # (rows, values) pairs; rows is None when all rows are sent
            arrays = [a for pair in (self.rows or {}).values() for a in pair]
        return sum(a.nbytes for a in arrays if a is not None)


class Replica:
    """One shard's copy of the model on a worker: its weights and compiled kernel."""

    def __init__(self, params: dict, threads: int, vocab: Vocabulary, weights: tuple) -> None:
        self.params = TrainingParams(**{**params, "workers": threads})
        vectors = np.array(weights[0], np.float32, order="C")
        syn1neg, syn1 = (None if w is None else np.array(w, np.float32, order="C")
                         for w in weights[1:])
        self.weights = {name: w for name, w in zip(MATRICES, (vectors, syn1neg, syn1),
                                                    strict=True) if w is not None}
        # the weights as a round started, to find the rows it changed (kept: a new 50 MB
        # array each round costs five times as much as copying into a warm one)
        self.before = {name: np.empty_like(w) for name, w in self.weights.items()}
        self.kernel = make_kernel(self.params, vocab, vectors, syn1neg, syn1)
        self.trained_round = -1  # the round whose model it last trained from
        self.attempt = ""  # that training's name, as the client accepts or not

    def accepts(self, update: Update, shard: int) -> bool:
        return (update.rows is not None and update.accepted is not None
                and self.trained_round == update.round - 1
                and update.accepted.get(shard) == self.attempt)

    def apply(self, update: Update) -> None:
        for name, (rows, values) in (update.rows or {}).items():  # checked by accepts()
            if rows is None:
                self.weights[name][...] = values
            else:
                self.weights[name][rows] = values


#: (run, shard) -> Replica, for the runs under way on this worker process.
_REPLICAS: dict[tuple[str, int], Replica] = {}
_REPLICAS_LOCK = threading.Lock()


def train_round(run: str, shard: int, encoded: EncodedCorpus, vocab: Vocabulary,
                update: Update, chunks: range, epoch: int, words_before: int,
                total_words: int, seed: int, options: dict) -> dict:
    """Train shard ``shard``'s replica on its ``chunks`` from the model of ``update``;
    return the rows it changed as deltas (or :data:`STALE`)."""
    entered = time.perf_counter()
    with _REPLICAS_LOCK:  # taken out while it trains: a failed task leaves none behind
        replica = _REPLICAS.pop((run, shard), None)
    if update.weights is not None:
        replica = Replica(options["params"], options["threads"] or _worker_threads(), vocab,
                          update.weights)
    elif replica is None or not replica.accepts(update, shard):
        return STALE
    else:
        replica.apply(update)
    for name, w in replica.weights.items():
        np.copyto(replica.before[name], w)
    p = replica.params
    plan = RunPlan(epochs=1, first_epoch=epoch, workers=p.threads, seed=seed,
                   start_alpha=p.start_alpha, min_alpha=p.min_alpha)
    started = time.perf_counter()
    loss, examples, words = run_segment(replica.kernel, encoded, chunks, epoch, words_before,
                                        total_words, plan)
    trained = time.perf_counter()
    deltas = {name: row_deltas(replica.before[name], w)
              for name, w in replica.weights.items()}
    replica.trained_round, replica.attempt = update.round, uuid.uuid4().hex
    with _REPLICAS_LOCK:
        _REPLICAS[(run, shard)] = replica
    return {"loss": loss, "examples": examples, "words": words, "deltas": deltas,
            "rows": sum(len(rows) for rows, _ in deltas.values()), "attempt": replica.attempt,
            "worker": worker_address(),
            "seconds": (started - entered, trained - started, time.perf_counter() - trained)}


def drop_run(run: str, shard: int | None = None) -> int:
    """Forget the replicas of ``run`` (of all shards, or of ``shard``) on this worker;
    returns how many there were."""
    with _REPLICAS_LOCK:
        keys = [key for key in _REPLICAS if key[0] == run and shard in (None, key[1])]
        for key in keys:
            del _REPLICAS[key]
    return len(keys)


def _dask_worker() -> Any:
    """The Dask worker running this task, or None outside one."""
    try:
        from distributed import get_worker

        return get_worker()
    except (ImportError, ValueError):
        return None


def _worker_threads() -> int:
    state = getattr(_dask_worker(), "state", None)  # None outside a worker
    return max(1, getattr(state, "nthreads", 1))


# ------------------------------------------------------------------ a shard's files
def worker_address() -> str:
    worker = _dask_worker()
    return "this process" if worker is None else worker.address


def scratch_directory() -> str | None:
    """Where this worker keeps temporary copies: the Dask worker's local directory (its
    ``--local-directory``, or Dask's ``temporary-directory`` setting), else the system's."""
    return getattr(_dask_worker(), "local_directory", None)


def _read(piece: Piece | str) -> Any:
    """A local path for ``piece`` (see :func:`w2v.distributed.shards.local_copy`), copied into this
    worker's local directory if need be, and naming the worker if the file is missing."""
    return local_copy(piece, f" on Dask worker {worker_address()}", scratch_directory())


def count_file(piece: Piece | str, max_vocab_size: int | None) -> tuple[Counter, int]:
    """The word counts and token count of one file, or piece of a file."""
    with _read(piece) as path:
        counts, n_words, _ = count_words(PathCorpus(path), max_vocab_size)
    return counts, n_words


def merge_counts(a: tuple[Counter, int], b: tuple[Counter, int]) -> tuple[Counter, int]:
    counts = Counter(a[0])
    counts.update(b[0])
    return counts, a[1] + b[1]


def build_vocabulary(total: tuple[Counter, int], min_count: int,
                     max_final_vocab: int | None) -> Vocabulary:
    return Vocabulary(total[0], min_count, max_final_vocab, corpus_words=total[1])


def encode_files(pieces: list[Piece | str], vocab: Vocabulary) -> EncodedCorpus:
    """The shard's files (or pieces of files) encoded one after the other, as one corpus."""
    parts = []
    for piece in pieces:
        with _read(piece) as path:
            parts.append(encode_corpus(PathCorpus(path), vocab.key_to_index))
    ids = np.concatenate([part.ids for part in parts]).astype(np.int32, copy=False)
    offsets = [np.zeros(1, np.int64)]
    shift = 0
    for part in parts:
        offsets.append(part.offsets[1:] + shift)
        shift += part.words
    return EncodedCorpus(ids, np.concatenate(offsets),
                         sum(part.corpus_words for part in parts))


def layout(encoded: EncodedCorpus) -> tuple[np.ndarray, int]:
    """Words before each chunk of the shard, and in all (``len(chunks) + 1`` values); and
    the shard's tokens, out-of-vocabulary ones included."""
    bounds = encoded.chunks(chunk_words(encoded.words))
    starts = [encoded.offsets[lo] for lo, _ in bounds] + [encoded.words]
    return np.asarray(starts, dtype=np.int64), encoded.corpus_words
