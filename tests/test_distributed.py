"""Distributed training on a Dask LocalCluster of two worker processes: the vocabulary is
the single machine's, the planted structure is learned, a worker killed mid-run neither
drops nor double-counts a shard, and bad addresses or files give clear errors."""

from __future__ import annotations

import faulthandler
import gzip
import math
import os
import signal
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from planted import cluster_words, planted_corpus

distributed = pytest.importorskip("distributed")

from w2v import Word2Vec  # noqa: E402
from w2v.distributed import client as w2v_distributed  # noqa: E402
from w2v.distributed import replica as w2v_replica  # noqa: E402
from w2v.distributed import shards as w2v_shards  # noqa: E402
from w2v.train.callbacks import Callback  # noqa: E402

PARAMS = dict(vector_size=16, min_count=1, window=5, seed=4)


#: A hang of the cluster must fail the suite with a traceback, not use up CI's time.
HANG_SECONDS = 600


def _cluster_client() -> Iterator[distributed.Client]:
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                           processes=True, dashboard_address=None)
        with distributed.Client(cluster) as client:
            yield client
        cluster.close()
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture(scope="module")
def module_client() -> Iterator[distributed.Client]:
    yield from _cluster_client()


@pytest.fixture
def client(module_client) -> distributed.Client:
    """The module's cluster, with both its workers registered: a test that cuts the corpus
    for two workers must not start while the scheduler knows only one (a nanny restarting
    a worker on two busy cores)."""
    module_client.wait_for_workers(2, timeout=120)
    return module_client


@pytest.fixture
def own_client() -> Iterator[distributed.Client]:
    """A cluster of its own, for a test that kills a worker: whether and when Dask's nanny
    brings it back is Dask's business (on two busy cores it once closed instead), and the
    tests after must still find two workers."""
    yield from _cluster_client()


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory):
    """The planted corpus in 4 files of different sizes, and their folder."""
    folder = tmp_path_factory.mktemp("parts")
    corpus = planted_corpus(12_000)
    bounds = [0, 1_000, 4_000, 8_500, len(corpus)]
    files = []
    for k in range(4):
        path = folder / f"part-{k}.txt"
        lines = [" ".join(s) for s in corpus[bounds[k]:bounds[k + 1]]]
        path.write_text("\n".join(lines) + "\n")
        files.append(str(path))
    return files, folder


def cluster_purity(model: Word2Vec) -> float:
    hits = total = 0
    for cluster in cluster_words():
        for word in cluster:
            total += 1
            hits += model.wv.most_similar(word, topn=1)[0][0] in cluster
    return hits / total


def test_the_vocabulary_is_the_single_machines(client, corpus_files):
    files, folder = corpus_files
    model = w2v_distributed.train(files, client, epochs=1, **dict(PARAMS, min_count=3))
    single = Word2Vec(str(folder), workers=1, **dict(PARAMS, min_count=3))
    assert model.vocab.index_to_key == single.vocab.index_to_key
    np.testing.assert_array_equal(model.vocab.counts, single.vocab.counts)
    assert model.vocab.corpus_words == single.vocab.corpus_words
    assert model.vocab.min_count == single.vocab.min_count


@pytest.mark.parametrize("merge", w2v_distributed.MERGES)
def test_the_planted_structure_is_learned_and_the_model_is_an_ordinary_one(
        client, corpus_files, tmp_path, merge):
    files, folder = corpus_files
    stats: list = []
    epochs = []

    class Epochs(Callback):
        def on_epoch_end(self, model, epoch):
            epochs.append(epoch)

    # a vocabulary of 36 words, every one of them in every round: short rounds (with
    # 20,000 words a round, summed deltas overshoot and the loss rises again; docs)
    model = w2v_distributed.train(files, client, epochs=4, sync_every=2_000, stats=stats,
                                  callbacks=[Epochs()], merge=merge, **PARAMS)
    assert isinstance(model, Word2Vec)
    assert epochs == [0, 1, 2, 3] and model.epochs_trained == 4
    assert len(model.loss_history) == 4
    assert all(b < a for a, b in zip(model.loss_history, model.loss_history[1:], strict=False))
    assert cluster_purity(model) >= 0.9
    # every round trained every shard's share: all words of all epochs, exactly once
    total = Word2Vec(str(folder), workers=1, **PARAMS).vocab.retained_words
    assert sum(s.words for s in stats) == 4 * total
    matrix_bytes = model.wv.vectors.nbytes + model.syn1neg.nbytes
    # the first round sends the whole model, later ones the changed rows, never more
    assert stats[0].bytes_down == 2 * matrix_bytes
    assert all(0 < s.bytes_down <= 2 * matrix_bytes for s in stats)
    assert all(0 < s.bytes_up <= 2 * (matrix_bytes + 2 * len(model.wv) * 4) for s in stats)
    assert all(0 < s.train_seconds < s.seconds for s in stats)
    # saved, loaded and trained further on one machine
    model.save(tmp_path / "model.zip")
    loaded = Word2Vec.load(tmp_path / "model.zip")
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    loaded.train(str(folder), epochs=1)
    assert loaded.epochs_trained == 5


class KillAWorker(Callback):
    """Kills one worker process (SIGKILL, as a crash) after the first round."""

    def __init__(self, client) -> None:
        self.client, self.killed = client, None

    def on_batch_end(self, model, progress):
        if self.killed is None:
            pids = self.client.run(os.getpid)
            address, pid = sorted(pids.items())[0]
            os.kill(pid, signal.SIGKILL)
            self.killed = address


def test_a_worker_killed_mid_run_neither_drops_nor_double_counts_a_shard(own_client,
                                                                        corpus_files):
    files, folder = corpus_files
    stats: list = []
    killer = KillAWorker(own_client)
    model = w2v_distributed.train(files, own_client, epochs=3, sync_every=2_000,
                                  stats=stats, callbacks=[killer], **PARAMS)
    assert killer.killed is not None
    total = Word2Vec(str(folder), workers=1, **PARAMS).vocab.retained_words
    assert sum(s.words for s in stats) == 3 * total  # every shard's words, once
    assert model.epochs_trained == 3 and np.isfinite(model.wv.vectors).all()
    assert cluster_purity(model) >= 0.9


def test_a_worker_killed_while_its_tasks_run_is_dask_s_to_retry(own_client, corpus_files):
    """The kill lands at a random point of the run: while tasks train, or while the
    model travels to the workers."""
    import threading

    files, folder = corpus_files
    pids = own_client.run(os.getpid)
    assert len(pids) == 2
    stats: list = []
    timer = threading.Timer(0.5, os.kill, (sorted(pids.values())[-1], signal.SIGKILL))
    timer.start()
    try:
        model = w2v_distributed.train(files, own_client, epochs=4, sync_every=1_000,
                                      stats=stats, **PARAMS)
    finally:
        timer.cancel()
    total = Word2Vec(str(folder), workers=1, **PARAMS).vocab.retained_words
    assert sum(s.words for s in stats) == 4 * total
    assert model.epochs_trained == 4 and cluster_purity(model) >= 0.9
    assert sorted(pids.values())[-1] not in own_client.run(os.getpid).values()  # killed


def test_a_callback_stops_training_at_the_end_of_a_round(client, corpus_files):
    files, _ = corpus_files

    class Stop(Callback):
        def on_batch_end(self, model, progress):
            return False

    stats: list = []
    model = w2v_distributed.train(files, client, epochs=3, sync_every=10_000, stats=stats,
                                  callbacks=[Stop()], **PARAMS)
    assert len(stats) == 1 and model.epochs_trained == 1
    assert np.isfinite(model.wv.vectors).all()


def test_one_file_is_cut_between_the_workers(client, corpus_files, tmp_path, monkeypatch):
    """One plain file: both workers train a piece of it (half the rounds of one shard),
    and the vocabulary is still the single machine's."""
    files, folder = corpus_files
    one = tmp_path / "one.txt"
    one.write_bytes(b"".join(Path(f).read_bytes() for f in files))
    monkeypatch.setattr(w2v_shards, "MIN_PIECE_BYTES", 10_000)  # the file is ~700 KB
    stats: list = []
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no worker left idle
        model = w2v_distributed.train([str(one)], client, epochs=1, sync_every=10_000,
                                      stats=stats, **PARAMS)
    single = Word2Vec(str(folder), workers=1, epochs=1, **PARAMS)
    assert model.vocab.index_to_key == single.vocab.index_to_key
    np.testing.assert_array_equal(model.vocab.counts, single.vocab.counts)
    words = sum(record.words for record in stats)
    assert words == sum(single.vocab.counts)  # every word trained once
    half = math.ceil(words / 2 / 10_000)  # rounds for two shards of half the words each
    assert len(stats) in (half, half + 1) and len(stats) < math.ceil(words / 10_000), (
        len(stats), half, client.scheduler_info(n_workers=-1)["workers"].keys())
    assert cluster_purity(model) >= 0.9


def test_workers_copy_pieces_into_their_local_directory(client):
    where = client.gather([client.submit(w2v_replica.scratch_directory, workers=[address],
                                         pure=False) for address in client.run(lambda: 0)])
    expected = client.run(lambda dask_worker: dask_worker.local_directory)
    assert sorted(where) == sorted(expected.values()) and all(where)
    assert w2v_replica.scratch_directory() is None  # not on a worker: the system's


def test_fewer_unsplittable_files_than_workers_is_warned_about(client, corpus_files, tmp_path):
    files, _ = corpus_files
    packed = tmp_path / "part.txt.gz"
    packed.write_bytes(gzip.compress(Path(files[-1]).read_bytes()))
    with pytest.warns(RuntimeWarning, match="1 corpus files for 2 Dask workers: 1 of them"):
        model = w2v_distributed.train([str(packed)], client, epochs=1, sync_every=2_000,
                                      **PARAMS)
    assert model.epochs_trained == 1


def test_a_missing_file_names_the_file_and_the_worker(client, corpus_files, tmp_path):
    files, _ = corpus_files
    missing = str(tmp_path / "nowhere.txt")
    with pytest.raises(FileNotFoundError, match=r"nowhere\.txt.*not found on Dask worker tcp://"):
        w2v_distributed.train([files[0], missing], client, epochs=1, **PARAMS)


def test_an_unreachable_scheduler_is_a_clear_error(corpus_files, monkeypatch):
    files, _ = corpus_files
    monkeypatch.setattr(w2v_distributed, "CONNECT_TIMEOUT", 2)
    with pytest.raises(ConnectionError, match="cannot reach the Dask scheduler at tcp://"):
        w2v_distributed.train(files, "tcp://127.0.0.1:9", epochs=1, **PARAMS)


@pytest.mark.parametrize("bad, message", [
    ({"sync_every": 0}, "sync_every"), ({"merge": "max"}, "merge must be one of"),
    ({"corpus_files": []}, "corpus_files is empty"), ({"vector_size": 0}, "vector_size"),
    ({"workers": 0}, "workers"), ({"threads": -1}, "workers"),
])
def test_bad_arguments_are_refused_before_any_work(client, corpus_files, bad, message):
    files, _ = corpus_files
    arguments = {"corpus_files": files, **PARAMS, **bad}
    with pytest.raises(ValueError, match=message):
        w2v_distributed.train(client=client, **arguments)


@pytest.mark.parametrize("merge", w2v_distributed.MERGES)
def test_deltas_merge_as_documented(merge):
    model = Word2Vec([["a", "b", "c"]] * 5, min_count=1, vector_size=2, workers=1, hs=0)
    before = model.wv.vectors.copy()
    empty = (np.zeros(0, np.int32), np.zeros((0, 2), np.float32))
    ones = np.ones((1, 2), np.float32)
    results = [
        {"deltas": {"vectors": (np.array([0], np.int32), ones), "syn1neg": empty}},
        {"deltas": {"vectors": (np.array([0, 1], np.int32), np.vstack([3 * ones, ones])),
                    "syn1neg": empty}},
    ]
    received = w2v_distributed._apply(model, results, merge)
    change = model.wv.vectors - before
    expected = {"average": ([2, 2], [0.5, 0.5]), "sum": ([4, 4], [1, 1])}[merge]
    np.testing.assert_allclose(change[0], expected[0])
    np.testing.assert_allclose(change[1], expected[1])
    np.testing.assert_array_equal(change[2], [0, 0])
    assert received == 3 * 4 + 3 * 2 * 4


def test_workers_read_urls_and_name_the_missing_one(client, corpus_files, tmp_path):
    """fsspec URLs on the worker processes: the same vocabulary as the paths; a missing
    URL is named."""
    pytest.importorskip("fsspec")
    files, _ = corpus_files
    urls = [f"local://{f}" for f in files]
    by_url = w2v_distributed.train(urls, client, epochs=1, sync_every=2_000, **PARAMS)
    by_path = w2v_distributed.train(files, client, epochs=1, sync_every=2_000, **PARAMS)
    assert by_url.vocab.index_to_key == by_path.vocab.index_to_key
    np.testing.assert_array_equal(by_url.vocab.counts, by_path.vocab.counts)
    missing = f"local://{tmp_path}/nowhere.txt"
    with pytest.raises(FileNotFoundError, match=r"local://.*nowhere\.txt.*Dask worker tcp://"):
        w2v_distributed.train([urls[0], missing], client, epochs=1, **PARAMS)


# ------------------------------------------------------------------ replicas, in-process
def two_shards(tmp_path):
    """A model with weights, and the planted corpus encoded as two shards."""
    corpus = planted_corpus(600)
    paths = []
    for k, part in enumerate((corpus[:300], corpus[300:])):
        path = tmp_path / f"shard-{k}.txt"
        path.write_text("\n".join(" ".join(s) for s in part) + "\n")
        paths.append(str(path))
    model = Word2Vec(str(tmp_path), workers=1, **dict(PARAMS, vector_size=8))
    model.train(epochs=1)
    encoded = [w2v_replica.encode_files([p], model.vocab) for p in paths]
    return model, encoded


def train_shard(run, shard, encoded, model, update, seed=7):
    words = encoded.words
    n_chunks = len(w2v_replica.layout(encoded)[0]) - 1
    options = {"params": model.params.as_dict(), "threads": 1}
    return w2v_replica.train_round(run, shard, encoded, model.vocab, update,
                                   range(n_chunks), 0, 0, words, seed, options)


def whole(model, merges=0):
    return w2v_replica.Update(merges, weights=(model.wv.vectors.copy(), model.syn1neg.copy(),
                                               None))


@pytest.mark.parametrize("merge", w2v_distributed.MERGES)
def test_after_an_update_every_replica_holds_the_clients_model_bit_for_bit(tmp_path, merge):
    model, encoded = two_shards(tmp_path)
    run = f"test-{merge}"
    try:
        update = whole(model)
        for merges in range(1, 4):
            results = [train_shard(run, s, encoded[s], model, update) for s in (0, 1)]
            assert all(r["rows"] > 0 for r in results)
            w2v_distributed._apply(model, results, merge)
            update = w2v_distributed.next_update(model, results, merges)
            for s in (0, 1):  # what each replica would start the next round from
                replica = w2v_replica._REPLICAS[(run, s)]
                replica.apply(update)
                np.testing.assert_array_equal(replica.weights["vectors"], model.wv.vectors)
                np.testing.assert_array_equal(replica.weights["syn1neg"], model.syn1neg)
    finally:
        assert w2v_replica.drop_run(run) == 2
    assert not any(key[0] == run for key in w2v_replica._REPLICAS)


def test_a_rows_update_carries_only_the_changed_rows():
    model = Word2Vec([["a", "b", "c", "d"]] * 5, min_count=1, vector_size=4, workers=1)
    model.train(epochs=1)
    d = 4
    results = [
        {"deltas": {"vectors": (np.array([0, 2], np.int32), np.ones((2, d), np.float32)),
                    "syn1neg": (np.array([2], np.int32), np.ones((1, d), np.float32))},
         "attempt": "x"},
        {"deltas": {"vectors": (np.array([2], np.int32), np.ones((1, d), np.float32)),
                    "syn1neg": (np.arange(4, dtype=np.int32), np.ones((4, d), np.float32))},
         "attempt": "y"},
    ]
    update = w2v_distributed.next_update(model, results, 5)
    rows, values = update.rows["vectors"]
    np.testing.assert_array_equal(rows, [0, 2])
    np.testing.assert_array_equal(values, model.wv.vectors[[0, 2]])
    rows, values = update.rows["syn1neg"]  # every row: sent whole, without indices
    assert rows is None
    np.testing.assert_array_equal(values, model.syn1neg)
    assert update.round == 5 and update.accepted == {0: "x", 1: "y"}
    assert update.nbytes == 2 * 4 + 2 * d * 4 + model.syn1neg.nbytes


def test_a_replica_that_is_not_the_expected_one_answers_stale(tmp_path):
    model, encoded = two_shards(tmp_path)
    run = "test-stale"
    try:
        first = train_shard(run, 0, encoded[0], model, whole(model))
        w2v_distributed._apply(model, [first], "sum")
        update = w2v_distributed.next_update(model, [first], 1)
        # no replica of this shard on this worker (a task moved): stale
        assert train_shard(run, 1, encoded[1], model, update) == w2v_replica.STALE
        # another run's replica: stale
        assert train_shard("other", 0, encoded[0], model, update) == w2v_replica.STALE
        # the real update is taken
        second = train_shard(run, 0, encoded[0], model, update)
        assert second["rows"] > 0
        # an update for a round it did not just train: stale, and the replica is dropped
        assert train_shard(run, 0, encoded[0], model, update) == w2v_replica.STALE
        assert (run, 0) not in w2v_replica._REPLICAS
        # the whole model starts it afresh; then an attempt the client did not take (the
        # task ran twice, elsewhere) is stale
        third = train_shard(run, 0, encoded[0], model, whole(model, 2))
        w2v_distributed._apply(model, [third], "sum")
        update = w2v_distributed.next_update(model, [third], 3)
        other = w2v_replica.Update(3, rows=update.rows, accepted={0: "not-this-one"})
        assert train_shard(run, 0, encoded[0], model, other) == w2v_replica.STALE
    finally:
        w2v_replica.drop_run(run)
        w2v_replica.drop_run("other")


class FakeClient:
    """What _Run asks of a Client to place shards: the live workers, and ``run``."""

    def __init__(self, alive):
        self.alive, self.ran = alive, []

    def scheduler_info(self, n_workers=-1):
        return {"workers": {address: {} for address in self.alive}}

    def run(self, function, *args, workers=None):
        self.ran.append((function.__name__, args, workers))


@pytest.mark.parametrize("homes, alive, moved, after, dropped", [
    (["A", "B"], ["A", "B"], set(), ["A", "B"], []),
    # both shards on one worker (as after a loss) while another has none: one moves,
    # and the replica it leaves on a live worker is freed
    (["A", "A"], ["A", "B"], {1}, ["A", "B"], [("drop_run", ("run", 1), ["A"])]),
    (["C", "A"], ["A", "B"], {0}, ["B", "A"], []),  # C died
    (["A", "A", "B"], ["A", "B"], set(), ["A", "A", "B"], []),  # more shards than workers
    (["A", "B"], ["A"], {1}, ["A", "A"], []),
])
def test_each_shard_gets_a_worker_of_its_own_when_one_is_free(homes, alive, moved, after,
                                                             dropped):
    client = FakeClient(alive)
    run = w2v_distributed._Run(client, "run", list(homes), [None] * len(homes), None, {})
    assert run._spread() == moved
    assert run.homes == after
    assert client.ran == dropped
