"""Data-parallel training on a Dask cluster (``pip install "w2v[distributed]"``).

The corpus files are split into one shard per worker. Each worker counts its files with
the compiled counter; the counts merge in a tree of tasks into the vocabulary (the same
one a single machine builds from the same files). Each shard is encoded once, on a
worker, and stays there as a Dask future. Training goes in rounds: the client sends the
model to the workers (as a task's result, which Dask can run again), every shard trains
about ``sync_every`` of its words with the compiled multi-threaded trainer and its own
random streams, and sends back only the rows it changed, as deltas; the client adds
them (by default: the replicas' average with the learning rate scaled by their number)
or averages them (``merge="average"``, as Spark MLlib combines replicas) and starts the
next round. The learning rate follows the progress of the whole
run: every shard trains the same share of its words in each round.

Each round is a set of pure tasks: a task that Dask runs again after losing a worker
computes the same delta from the same inputs, and the client takes exactly one result
per shard per round, so nothing is counted twice or dropped. Scheduling, transport and
retries are Dask's.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .encoding import EncodedCorpus, encode_corpus
from .model import Word2Vec
from .monitor import TrainingMonitor
from .trainer import RunPlan, chunk_words, run_segment
from .vocab import Vocabulary, count_words

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
    bytes_down: int  # the model sent to the workers (its size x workers)
    bytes_up: int  # the deltas sent back (changed rows x vector_size x 4, and their indices)
    rows_changed: int  # summed over shards and matrices


def train(corpus_files: Sequence[str | os.PathLike], client: Any = None, *,
          sync_every: int = 250_000, merge: str = "sum", threads: int | None = None,
          callbacks: Iterable = (), progress: bool | None = None,
          stats: list | None = None, **params: Any) -> Word2Vec:
    """Train word2vec on a Dask cluster and return an ordinary :class:`~w2v.Word2Vec`.

    Parameters
    ----------
    corpus_files : paths or fsspec URLs (``s3://...``, with fsspec installed) of text
        files, as :class:`~w2v.PathCorpus` reads them; every worker must be able to
        open every path (a shared file system, or object storage).
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
    >>> from dask.distributed import Client, LocalCluster  # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=2, threads_per_worker=1))  # doctest: +SKIP
    >>> model = train(["part-0.txt", "part-1.txt"], client, sg=1)  # doctest: +SKIP
    >>> model.wv.most_similar("king")  # doctest: +SKIP
    """
    files = _check_files(corpus_files)
    if isinstance(sync_every, bool) or not isinstance(sync_every, int) or sync_every < 1:
        raise ValueError(f"sync_every must be an int >= 1 (words per shard), got {sync_every!r}")
    if merge not in MERGES:
        raise ValueError(f"merge must be one of {MERGES}, got {merge!r}")
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
    n_workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
    shards = _split(files, n_workers)
    model.vocab = _vocabulary(client, files, p)
    if len(model.vocab) == 0:
        raise ValueError(f"the vocabulary is empty: no word of the corpus "
                         f"({model.vocab.corpus_words} tokens) occurs at least "
                         f"min_count={model.vocab.min_count} times")
    model._init_weights()
    logger.info("vocabulary: %d words from %d tokens in %d files on %d workers (%.1fs)",
                len(model.vocab), model.vocab.corpus_words, len(files), n_workers,
                time.perf_counter() - started)
    vocab = _share(client, model.vocab)
    encoded = [client.submit(_encode_files, shard, vocab, pure=False) for shard in shards]
    described = client.gather([client.submit(_layout, e) for e in encoded])
    layouts = [layout for layout, _ in described]
    words = [layout[-1] for layout in layouts]
    if sum(words) == 0:
        raise ValueError("nothing to train on: no token of the corpus is in the vocabulary")
    corpus_words = sum(tokens for _, tokens in described)
    rounds = max(1, max(math.ceil(w / sync_every) for w in words))
    seeds = [int(np.random.SeedSequence([p.seed, s]).generate_state(1, np.uint32)[0])
             for s in range(len(shards))]
    monitor = TrainingMonitor(model, model.callbacks, model.progress, p.epochs,
                              sum(words) * p.epochs, corpus_words, p.start_alpha, p.min_alpha)
    options = {"params": p.as_dict(), "threads": threads, "merge": merge}
    with monitor:
        go_on = monitor.begin()
        for epoch in range(p.epochs):
            if not go_on or not monitor.epoch_begin(epoch):
                break
            loss = examples = 0.0
            for k in range(rounds):
                start = time.perf_counter()
                # copies: nothing Dask keeps (to run the task again) may refer to arrays
                # the client changes in place after the round
                weights = tuple(None if a is None else a.copy()
                                for a in (model.wv.vectors, model.syn1neg, model.syn1))
                shared = _share(client, weights)
                tasks = []
                done = epoch * sum(words)  # words trained once this round is over
                for s, layout in enumerate(layouts):
                    chunks = _round_chunks(len(layout) - 1, rounds, k)
                    before = epoch * words[s] + int(layout[chunks.start])
                    done += int(layout[chunks.stop])
                    tasks.append(client.submit(
                        _train_round, encoded[s], vocab, shared, chunks,
                        model.epochs_trained, before, words[s] * p.epochs, seeds[s],
                        options, pure=False))
                results = client.gather(tasks)
                up = _apply(model, results, merge)
                model.wv.invalidate()
                round_words = sum(r["words"] for r in results)
                loss += sum(r["loss"] for r in results)
                examples += sum(r["examples"] for r in results)
                down = sum(a.nbytes for a in weights if a is not None) * n_workers
                record = RoundStats(epoch, k, int(round_words), time.perf_counter() - start, down,
                                    up, sum(r["rows"] for r in results))
                if stats is not None:
                    stats.append(record)
                if not monitor.tick(epoch, done, loss, int(examples)):
                    go_on = False
                if not go_on or model._stop.is_set():
                    go_on = False
                    break
            if not monitor.epoch_end(epoch, loss, int(examples), go_on):
                go_on = False
        monitor.end(monitor.words_done)
    logger.info("trained %d epochs on %d shards in %.1fs", model.epochs_trained, len(shards),
                time.perf_counter() - started)
    return model


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


def _split(files: list[str], n: int) -> list[list[str]]:
    """``files`` in at most ``n`` shards of about equal bytes (by local size, where known)."""
    n = min(n, len(files))
    sizes = []
    for f in files:
        try:
            sizes.append(os.path.getsize(f))
        except OSError:  # a URL, or a path only the workers see
            sizes.append(1)
    shards: list[list[str]] = [[] for _ in range(n)]
    loads = [0] * n
    for size, f in sorted(zip(sizes, files, strict=True), key=lambda sf: -sf[0]):
        lightest = loads.index(min(loads))
        shards[lightest].append(f)
        loads[lightest] += size
    return [sorted(shard) for shard in shards]


def _vocabulary(client: Any, files: list[str], p: Any) -> Vocabulary:
    """Count every file on the workers, merge the counts in a tree, build the vocabulary."""
    counts = client.map(_count_file, files, max_vocab_size=p.max_vocab_size, pure=False)
    while len(counts) > 1:
        pairs = [counts[i:i + 2] for i in range(0, len(counts), 2)]
        counts = [client.submit(_merge_counts, *pair, pure=False) if len(pair) == 2
                  else pair[0] for pair in pairs]
    return client.submit(_build_vocabulary, counts[0], p.min_count, p.max_final_vocab,
                         pure=False).result()


def _round_chunks(n_chunks: int, rounds: int, k: int) -> range:
    """The chunks a shard trains in round ``k`` of an epoch of ``rounds`` rounds."""
    return range(n_chunks * k // rounds, n_chunks * (k + 1) // rounds)


def _apply(model: Word2Vec, results: list[dict], merge: str) -> int:
    """Merge the replicas' deltas into the model's matrices; returns the bytes received."""
    received = 0
    for name in ("vectors", "syn1neg", "syn1"):
        target = model.wv.vectors if name == "vectors" else getattr(model, name)
        if target is None:
            continue
        total = np.zeros_like(target)
        for result in results:
            rows, delta = result["deltas"][name]
            total[rows] += delta  # rows are unique within one replica's deltas
            received += rows.nbytes + delta.nbytes
        if merge == "average":
            total /= len(results)
        target += total
    return received


# ------------------------------------------------------------------ the workers' side
def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return "this process"


def _local_copy(path: str) -> tuple[str, bool]:
    """A local path for ``path``: itself, or a temporary copy of a URL (fsspec)."""
    if "://" not in path or path.startswith("file://"):
        return path.removeprefix("file://"), False
    try:
        import fsspec
    except ImportError as error:
        raise ImportError(f"reading {path} needs fsspec: pip install fsspec") from error
    suffix = "".join(s for s in os.path.splitext(path)[1:] if s in (".gz", ".bz2", ".xz"))
    handle, local = tempfile.mkstemp(suffix=suffix or ".txt", prefix="w2v-shard-")
    with os.fdopen(handle, "wb") as out, fsspec.open(path, "rb") as source:
        while block := source.read(1 << 22):
            out.write(block)
    return local, True


def _open_corpus(path: str):
    from .corpus import PathCorpus

    local, temporary = _local_copy(path)
    try:
        return PathCorpus(local), local if temporary else None
    except FileNotFoundError:
        raise FileNotFoundError(f"corpus file {path!r} not found on Dask worker "
                                f"{_worker_address()}") from None


def _count_file(path: str, max_vocab_size: int | None) -> tuple[Counter, int]:
    corpus, temporary = _open_corpus(path)
    try:
        counts, n_words, _ = count_words(corpus, max_vocab_size)
        return counts, n_words
    finally:
        if temporary:
            os.unlink(temporary)


def _merge_counts(a: tuple[Counter, int], b: tuple[Counter, int]) -> tuple[Counter, int]:
    counts = Counter(a[0])
    counts.update(b[0])
    return counts, a[1] + b[1]


def _build_vocabulary(total: tuple[Counter, int], min_count: int,
                      max_final_vocab: int | None) -> Vocabulary:
    return Vocabulary(total[0], min_count, max_final_vocab, corpus_words=total[1])


def _encode_files(files: list[str], vocab: Vocabulary) -> EncodedCorpus:
    """The shard's files encoded one after the other, as one corpus."""
    parts = []
    for path in files:
        corpus, temporary = _open_corpus(path)
        try:
            parts.append(encode_corpus(corpus, vocab.key_to_index))
        finally:
            if temporary:
                os.unlink(temporary)
    ids = np.concatenate([part.ids for part in parts]).astype(np.int32, copy=False)
    offsets = [np.zeros(1, np.int64)]
    shift = 0
    for part in parts:
        offsets.append(part.offsets[1:] + shift)
        shift += part.words
    return EncodedCorpus(ids, np.concatenate(offsets),
                         sum(part.corpus_words for part in parts))


def _layout(encoded: EncodedCorpus) -> tuple[np.ndarray, int]:
    """Words before each chunk of the shard, and in all (``len(chunks) + 1`` values); and
    the shard's tokens, out-of-vocabulary ones included."""
    bounds = encoded.chunks(chunk_words(encoded.words))
    starts = [encoded.offsets[lo] for lo, _ in bounds] + [encoded.words]
    return np.asarray(starts, dtype=np.int64), encoded.corpus_words


def _train_round(encoded: EncodedCorpus, vocab: Vocabulary, weights: tuple, chunks: range,
                 epoch: int, words_before: int, total_words: int, seed: int,
                 options: dict) -> dict:
    """Train a copy of the model on ``chunks`` of the shard; return the changed rows."""
    params = dict(options["params"])
    threads = options["threads"] or _worker_threads()
    replica = Word2Vec(**{**params, "workers": threads})
    replica.vocab = vocab
    vectors, syn1neg, syn1 = (None if w is None else np.array(w) for w in weights)
    from .keyedvectors import KeyedVectors

    replica.wv = KeyedVectors(vectors, vocab.index_to_key, vocab.counts)
    replica.syn1neg, replica.syn1 = syn1neg, syn1
    kernel = replica._make_kernel()
    p = replica.params
    plan = RunPlan(epochs=1, first_epoch=epoch, workers=p.threads, seed=seed,
                   start_alpha=p.start_alpha, min_alpha=p.min_alpha)
    loss, examples, words = run_segment(kernel, encoded, chunks, epoch, words_before,
                                        total_words, plan)
    deltas = {}
    rows_changed = 0
    for name, old, new in zip(("vectors", "syn1neg", "syn1"), weights,
                              (vectors, syn1neg, syn1), strict=True):
        if old is None:
            continue
        rows = np.flatnonzero(np.any(new != old, axis=1)).astype(np.int32)
        deltas[name] = (rows, new[rows] - old[rows])
        rows_changed += len(rows)
    return {"loss": loss, "examples": examples, "words": words, "deltas": deltas,
            "rows": rows_changed}


def _worker_threads() -> int:
    try:
        from distributed import get_worker

        return max(1, get_worker().state.nthreads)
    except (ImportError, ValueError, AttributeError):
        return 1
