"""Data-parallel training on a Dask cluster (``pip install "w2v[distributed]"``).

The corpus files are split into one shard per worker, of about equal bytes; files are
cut between tokens when whole ones cannot balance the workers (:mod:`w2v.distributed.shards`). Each
worker counts its files or pieces with the compiled counter; the counts merge in a tree
of tasks into the vocabulary (the same one a single machine builds from the same files).
Each shard is encoded once, on its own worker, and stays there as a Dask future.

Training goes in rounds. Each worker keeps its shard's replica of the model in memory
(:mod:`w2v.distributed.replica`); every shard trains about ``sync_every`` of its words with the
compiled multi-threaded trainer and its own random streams, and sends back only the
rows it changed, as deltas. The client adds them (``merge="sum"``, the default: the
replicas' average with the learning rate scaled by their number) or averages them
(``merge="average"``, as Spark MLlib combines replicas), and the next round's tasks get
the rows that changed, with their merged values: the replicas then hold the client's
model exactly. The first round, and a replica that is not where or what the client
expects (its worker died, its task was moved or run twice), get the whole model. The
learning rate follows the progress of the whole run: every shard trains the same share
of its words in each round.

Updates travel as the results of small tasks, which Dask copies to the workers that
need them and runs again if their worker dies. Each round's tasks compute their deltas
from their inputs alone, and the client takes exactly one result per shard per round,
so nothing is counted twice or dropped. Scheduling, transport and retries are Dask's.
"""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._util.validation import check_choice, check_int
from ..data.vocab import Vocabulary
from ..model import Word2Vec
from ..train.monitor import TrainingMonitor
from . import replica as worker
from .replica import MATRICES, Update
from .shards import Piece, split

__all__ = ["MERGES", "RoundStats", "train"]

logger = logging.getLogger("w2v")

#: How the replicas' deltas combine: "sum" adds them all, as if one machine had made
#: every replica's updates (model averaging with the learning rate scaled by the number
#: of replicas); "average" moves each row by the mean of the replicas' deltas (plain model
#: averaging, as Spark MLlib does): on wiki17m with 2 workers it lost 5 analogy points,
#: since every word then moves half as far as on one machine.
MERGES = ("sum", "average")
#: Seconds to wait for a scheduler given by address.
CONNECT_TIMEOUT = 10


@dataclass(frozen=True)
class RoundStats:
    """One round of synchronisation, as seen by the client."""

    epoch: int
    round: int
    words: int  # trained by all shards in the round
    seconds: float
    bytes_down: int  # the updates sent to the shards (changed rows, or the whole model)
    bytes_up: int  # the deltas sent back (changed rows x vector_size x 4, and their indices)
    rows_changed: int  # summed over shards and matrices
    train_seconds: float  # the slowest shard's training (the rest is communication)


def train(corpus_files: Sequence[str | os.PathLike], client: Any = None, *,
          sync_every: int = 250_000, merge: str = "sum", threads: int | None = None,
          callbacks: Iterable = (), progress: bool | None = None,
          stats: list | None = None, **params: Any) -> Word2Vec:
    """Train word2vec on a Dask cluster and return an ordinary :class:`~w2v.Word2Vec`.

    Parameters
    ----------
    corpus_files : paths or fsspec URLs (``s3://...``, with fsspec installed) of text
        files, as :class:`~w2v.PathCorpus` reads them; every worker must be able to
        open every path (a shared file system, or object storage). Plain files are cut
        between tokens when whole ones cannot balance the workers (one file is enough).
    client : a ``distributed.Client``, a scheduler address (``"tcp://host:8786"``), or
        None for the current client (or else a ``LocalCluster`` of this machine's cores,
        started and closed here).
    sync_every : words each shard trains between synchronisations: fewer mean replicas
        closer to one model (accuracy) and more rounds of traffic (see README).
    merge : how deltas combine, one of :data:`MERGES`.
    threads : training threads per task (default: ``workers`` if given, else the Dask
        worker's thread count).
    callbacks, progress : as for :meth:`Word2Vec.train`, run on the client; a callback
        stops training at the end of a round.
    stats : a list that gets one :class:`RoundStats` per round.
    params : :class:`~w2v.Word2Vec` parameters (``vector_size``, ``window``, ``sg``,
        ``epochs``, ``seed``, ...); ``workers`` sets ``threads``.

    Example
    -------
    Not run with the tests' examples (it starts a Dask cluster; tests/test_distributed.py
    trains on one):

    >>> from dask.distributed import Client, LocalCluster  # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> model = train(["part-0.txt", "part-1.txt"], client, sg=1)  # doctest: +SKIP
    >>> model.wv.most_similar("king")  # doctest: +SKIP
    """
    files = _check_files(corpus_files)
    sync_every = check_int("sync_every", sync_every, minimum=1)  # words per shard
    check_choice("merge", merge, MERGES)
    workers = params.pop("workers", None)  # gensim's name for training threads
    if threads is None:
        threads = workers
    model = Word2Vec(**params, callbacks=callbacks, progress=progress, workers=threads)
    client, owned = _connect(client)
    try:
        return _train(client, files, model, sync_every, merge, threads, stats)
    finally:
        if owned is not None:
            client.close()
            owned.close()


# ------------------------------------------------------------------ the client's side
def _check_files(corpus_files: Sequence[str | os.PathLike]) -> list[str]:
    if isinstance(corpus_files, (str, os.PathLike)):
        corpus_files = [corpus_files]
    files = [os.fspath(f) for f in corpus_files]
    if not files:
        raise ValueError("corpus_files is empty: give at least one file")
    for f in files:
        if not isinstance(f, str):
            raise TypeError(f"corpus_files must hold paths or URLs, got {f!r}")
    return files


def _connect(client: Any) -> tuple[Any, Any]:
    """(client, the LocalCluster started here or None)."""
    try:
        from distributed import Client, LocalCluster, get_client
    except ImportError as error:
        raise ImportError('distributed training needs Dask: pip install "w2v[distributed]"'
                          ) from error
    if isinstance(client, str):
        try:
            return Client(client, timeout=CONNECT_TIMEOUT), None
        except (OSError, TimeoutError) as error:
            raise ConnectionError(f"cannot reach the Dask scheduler at {client}: {error}"
                                  ) from error
    if client is not None:
        return client, None
    try:
        return get_client(), None
    except ValueError:  # no client yet: a cluster of this machine, for trying things out
        cluster = LocalCluster(threads_per_worker=1, processes=True)
        return Client(cluster), cluster


def _train(client: Any, files: list[str], model: Word2Vec, sync_every: int, merge: str,
           threads: int | None, stats: list | None) -> Word2Vec:
    p = model.params
    started = time.perf_counter()
    addresses = sorted(client.scheduler_info(n_workers=-1)["workers"])
    n_workers = max(1, len(addresses))
    shards = split(files, n_workers)
    if len(shards) < n_workers:
        warnings.warn(f"{len(files)} corpus files for {n_workers} Dask workers: "
                      f"{n_workers - len(shards)} of them will not train (compressed files, "
                      "and URLs whose size the client cannot learn, are never cut); give "
                      "at least as many such files as workers", RuntimeWarning, stacklevel=3)
    homes = [addresses[s % n_workers] if addresses else None for s in range(len(shards))]
    counted = _vocabulary(client, [piece for shard in shards for piece in shard], p)
    model.use_vocabulary(counted)
    logger.info("vocabulary: %d words from %d tokens in %d files on %d workers (%.1fs)",
                len(counted), counted.corpus_words, len(files), n_workers,
                time.perf_counter() - started)
    vocab = _share(client, counted)
    encoded = [client.submit(worker.encode_files, shard, vocab, workers=home and [home],
                             allow_other_workers=True, pure=False)
               for shard, home in zip(shards, homes, strict=True)]
    described = client.gather([client.submit(worker.layout, e) for e in encoded])
    layouts = [layout for layout, _ in described]
    words = [layout[-1] for layout in layouts]
    if sum(words) == 0:
        raise ValueError("nothing to train on: no token of the corpus is in the vocabulary")
    run = _Run(client, uuid.uuid4().hex, homes, encoded, vocab, {
        "params": p.as_dict(), "threads": threads,
        "seeds": [int(np.random.SeedSequence([p.seed, s]).generate_state(1, np.uint32)[0])
                  for s in range(len(shards))]})
    rounds = max(1, max(math.ceil(w / sync_every) for w in words))
    monitor = TrainingMonitor(model, model.callbacks, model.progress, p.epochs,
                              sum(words) * p.epochs, sum(tokens for _, tokens in described),
                              p.start_alpha, p.min_alpha)
    try:
        with monitor:
            go_on = monitor.begin()
            for epoch in range(p.epochs):
                if not go_on or not monitor.epoch_begin(epoch):
                    break
                loss = examples = 0.0
                for k in range(rounds):
                    tick = time.perf_counter()
                    jobs = []
                    done = epoch * sum(words)  # words trained once this round is over
                    for s, layout in enumerate(layouts):
                        chunks = _round_chunks(len(layout) - 1, rounds, k)
                        jobs.append((chunks, model.epochs_trained,
                                     epoch * words[s] + int(layout[chunks.start]),
                                     words[s] * p.epochs))
                        done += int(layout[chunks.stop])
                    results, down = run.round(model, jobs)
                    up = _apply(model, results, merge)
                    model.wv.invalidate()
                    run.merged(model, results)
                    loss += sum(r["loss"] for r in results)
                    examples += sum(r["examples"] for r in results)
                    record = RoundStats(
                        epoch, k, int(sum(r["words"] for r in results)),
                        time.perf_counter() - tick, down, up, sum(r["rows"] for r in results),
                        max(r["seconds"][1] for r in results))
                    if stats is not None:
                        stats.append(record)
                    if not monitor.tick(epoch, done, loss, int(examples)):
                        go_on = False
                    if not go_on or model.stop_requested:
                        go_on = False
                        break
                if not monitor.epoch_end(epoch, loss, int(examples), go_on):
                    go_on = False
            monitor.end(monitor.words_done)
    finally:
        run.close()
    logger.info("trained %d epochs on %d shards in %.1fs (%d replicas sent whole)",
                model.epochs_trained, len(shards), time.perf_counter() - started, run.resent)
    return model


class _Run:
    """The client's view of the replicas: where each lives, what each round sends them."""

    def __init__(self, client: Any, name: str, homes: list, encoded: list, vocab: Any,
                 options: dict) -> None:
        self.client, self.name, self.encoded, self.vocab = client, name, encoded, vocab
        self.options = options
        self.homes = homes  # the worker of each shard's replica (a preference for Dask)
        self.update: Update | None = None  # for the next round; None: the whole model
        self.merges = 0  # rounds merged into the client's model
        self.resent = 0  # replicas sent the whole model after the first round

    def round(self, model: Word2Vec, jobs: list[tuple]) -> tuple[list[dict], int]:
        """Every shard's result for one round, and the bytes of the updates sent."""
        moved = self._spread()
        whole = self._whole(model) if self.update is None or moved else None
        shared = {}  # what each shard gets: the update, or the whole model
        sent = 0
        futures = []
        for s, job in enumerate(jobs):
            update = whole if self.update is None or s in moved else self.update
            if update is None:  # whole is made whenever it can be needed
                raise RuntimeError("no update to send")
            if id(update) not in shared:
                shared[id(update)] = _share(self.client, update)
            futures.append(self._submit(s, shared[id(update)], job))
            sent += update.nbytes
        self.resent += len(moved) if self.update is not None else 0
        results = self.client.gather(futures)
        while stale := [s for s, r in enumerate(results) if r.get("stale")]:
            # a task that ran again, or elsewhere: that shard gets the whole model
            whole = whole or self._whole(model)
            whole_future = _share(self.client, whole)
            self.resent += len(stale)
            retried = self.client.gather([self._submit(s, whole_future, jobs[s])
                                          for s in stale])
            for s, result in zip(stale, retried, strict=True):
                results[s] = result
            sent += len(stale) * whole.nbytes
        self.homes = [result["worker"] for result in results]
        return results, sent

    def _spread(self) -> set[int]:
        """Move the shards of lost workers, and those over a worker's fair share (as when
        a lost worker's shards ran on another and a new worker has joined), to the
        workers with fewest; returns the shards moved (their replicas start afresh)."""
        alive = sorted(self.client.scheduler_info(n_workers=-1)["workers"])
        if not alive:
            return set()
        load = {address: 0 for address in alive}
        fair = -(-len(self.homes) // len(alive))  # shards per worker, at most
        moved = set()
        for s, home in enumerate(self.homes):
            if home in load and load[home] < fair:
                load[home] += 1
            else:
                moved.add(s)
        for s in sorted(moved):
            home = min(alive, key=load.__getitem__)
            load[home] += 1
            if self.homes[s] in load:  # a worker still alive: free the replica it leaves
                self.client.run(worker.drop_run, self.name, s, workers=[self.homes[s]])
            self.homes[s] = home
        return moved

    def merged(self, model: Word2Vec, results: list[dict]) -> None:
        """Note that ``results`` are merged into ``model``: the next round sends only the
        rows they changed."""
        self.merges += 1
        self.update = next_update(model, results, self.merges)

    def close(self) -> None:
        """Free the replicas on the workers (best effort: a dead worker took its own)."""
        try:
            self.client.run(worker.drop_run, self.name)
        except Exception as error:  # noqa: BLE001 - cleaning up must not hide the real error
            logger.warning("could not free the replicas of run %s: %s", self.name, error)

    def _whole(self, model: Word2Vec) -> Update:
        # copies: nothing Dask keeps (to run a task again) may refer to arrays the client
        # changes in place after the round
        return Update(self.merges, weights=tuple(
            None if m is None else m.copy() for m in (_matrix(model, n) for n in MATRICES)))

    def _submit(self, shard: int, update: Any, job: tuple) -> Any:
        chunks, epoch, before, total = job
        # a preference, not a restriction: a lost worker's tasks run elsewhere
        return self.client.submit(
            worker.train_round, self.name, shard, self.encoded[shard], self.vocab, update,
            chunks, epoch, before, total, self.options["seeds"][shard], self.options,
            workers=None if self.homes[shard] is None else [self.homes[shard]],
            allow_other_workers=True, pure=False)


def next_update(model: Word2Vec, results: list[dict], merges: int) -> Update:
    """The update that brings the replicas which trained ``results`` to ``model``, into
    which ``results`` were merged (the ``merges``-th merge): the rows any replica changed,
    with their merged values (the whole matrix where that is no larger).

    Example
    -------
    Not run with the tests' examples (``results`` come from a round on Dask workers):

    >>> update = next_update(model, results, 1)  # doctest: +SKIP
    >>> update.rows["vectors"]  # (row indices, their values)  # doctest: +SKIP
    """
    rows: dict[str, tuple[np.ndarray | None, np.ndarray]] = {}
    for name in MATRICES:
        target = _matrix(model, name)
        if target is None:
            continue
        changed = np.zeros(len(target), dtype=bool)
        for result in results:
            changed[result["deltas"][name][0]] = True
        changed = np.flatnonzero(changed).astype(np.int32)
        if len(changed) * (target.itemsize * target.shape[1] + changed.itemsize) < target.nbytes:
            rows[name] = (changed, target[changed])
        else:  # (nearly) every row changed: the indices would only add bytes
            rows[name] = (None, target.copy())
    return Update(merges, rows=rows, accepted={s: r["attempt"] for s, r in enumerate(results)})


def _matrix(model: Word2Vec, name: str) -> np.ndarray | None:
    return model.wv.vectors if name == "vectors" else getattr(model, name)


def _share(client: Any, value: Any) -> Any:
    """``value`` as a future the round's tasks depend on: a task that returns it, with
    ``value`` in its spec. Dask copies its result to the workers that need it, and if the
    worker holding it dies, runs it again. (A scatter is not a task: Dask neither
    retries it, nor bounds it, and one aimed at a worker that has just died waited for
    ever in the fault tests.)"""
    with warnings.catch_warnings():  # the model is meant to travel with the task
        warnings.filterwarnings("ignore", message=".*[Ll]arge (object|graph)",
                                category=UserWarning)
        return client.submit(_identity, value, pure=False)


def _identity(value: Any) -> Any:
    return value


def _vocabulary(client: Any, pieces: list[Piece], p: Any) -> Vocabulary:
    """Count every piece on the workers, merge the counts in a tree, build the vocabulary."""
    counts = client.map(worker.count_file, pieces, max_vocab_size=p.max_vocab_size, pure=False)
    while len(counts) > 1:
        pairs = [counts[i:i + 2] for i in range(0, len(counts), 2)]
        counts = [client.submit(worker.merge_counts, *pair, pure=False) if len(pair) == 2
                  else pair[0] for pair in pairs]
    return client.submit(worker.build_vocabulary, counts[0], p.min_count, p.max_final_vocab,
                         pure=False).result()


def _round_chunks(n_chunks: int, rounds: int, k: int) -> range:
    """The chunks a shard trains in round ``k`` of an epoch of ``rounds`` rounds."""
    return range(n_chunks * k // rounds, n_chunks * (k + 1) // rounds)


def _apply(model: Word2Vec, results: list[dict], merge: str) -> int:
    """Merge the replicas' deltas into the model's matrices; returns the bytes received."""
    received = 0
    for name in MATRICES:
        target = _matrix(model, name)
        if target is None:
            continue
        for result in results:
            rows, delta = result["deltas"][name]
            # rows are unique within one replica's deltas, so += adds each once
            target[rows] += delta / len(results) if merge == "average" else delta
            received += rows.nbytes + delta.nbytes
    return received
