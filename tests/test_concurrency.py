"""The concurrency guarantees of docs/guide/concurrency.rst, each tested on tiny data:
queries from other threads while ``train()`` runs, ``save()`` while another thread queries,
and two processes saving to one path."""

import os
import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest

from w2v import KeyedVectors, Word2Vec
from w2v.callbacks import Callback

WORDS = [f"w{i}" for i in range(60)]


def corpus(sentences: int = 400, seed: int = 0) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    return [[WORDS[j] for j in rng.integers(0, len(WORDS), 20)] for _ in range(sentences)]


class Querier:
    """Threads that query ``model.wv`` in a loop until stopped, keeping every result and
    every exception."""

    def __init__(self, model: Word2Vec, threads: int = 2) -> None:
        self.model, self.done = model, threading.Event()
        self.results: list[tuple[str, object]] = []
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self.loop, args=(i,)) for i in range(threads)]

    def loop(self, seed: int) -> None:
        rng = np.random.default_rng(seed)
        while not self.done.is_set():
            a, b = (WORDS[i] for i in rng.integers(0, len(WORDS), 2))
            try:
                wv = self.model.wv
                self.results.append(("most_similar", wv.most_similar(a, topn=5)))
                self.results.append(("similarity", wv.similarity(a, b)))
                self.results.append(("vector", wv[a].copy()))
                self.results.append(("norm vector", wv.get_vector(b, norm=True)))
            except BaseException as error:  # noqa: BLE001 - every failure is the test's
                self.errors.append(error)
                return

    def __enter__(self) -> "Querier":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in self.threads)

    def check(self) -> None:
        assert self.errors == []
        assert self.results
        for kind, value in self.results:
            if kind == "most_similar":
                assert len(value) == 5
                assert all(word in WORDS and np.isfinite(score) for word, score in value)
            else:
                assert np.all(np.isfinite(value)), kind


class CountQueries(Callback):
    """Record, at each epoch's end, how many results the queriers had so far."""

    def __init__(self, querier: Querier) -> None:
        self.querier, self.seen = querier, []

    def on_epoch_end(self, model, epoch):
        self.seen.append(len(self.querier.results))


def test_queries_from_other_threads_while_train_runs_are_valid():
    model = Word2Vec(corpus(), vector_size=16, min_count=1, window=3, workers=2, epochs=8)
    model.train(epochs=1)  # trained once: no "never trained" warning in the threads
    with Querier(model) as querier:
        counter = CountQueries(querier)
        started = time.perf_counter()
        for _ in range(3):  # each train() call ends by dropping the cached norms
            model.train(callbacks=[counter])
        elapsed = time.perf_counter() - started
    querier.check()
    # the queries really ran during training: their count grew from epoch to epoch
    assert len(counter.seen) == 24 and counter.seen[-1] > counter.seen[0], counter.seen
    assert elapsed < 60
    assert np.isfinite(model.wv.vectors).all() and model.epochs_trained == 25


def test_queries_after_train_see_the_new_weights():
    model = Word2Vec(corpus(), vector_size=16, min_count=1, workers=1).train(epochs=1)
    before = model.wv.most_similar("w1", topn=3)  # caches the norms
    model.train(epochs=2)
    fresh = KeyedVectors(model.wv.vectors.copy(), model.wv.index_to_key)
    assert model.wv.most_similar("w1", topn=3) == fresh.most_similar("w1", topn=3)
    assert model.wv.most_similar("w1", topn=3) != before


@pytest.mark.parametrize("name", ["m.zip", "m_folder"])
def test_save_while_another_thread_queries(tmp_path, name):
    model = Word2Vec(corpus(), vector_size=16, min_count=1, workers=1).train(epochs=2)
    with Querier(model) as querier:
        for _ in range(5):
            model.save(tmp_path / name)
            loaded = Word2Vec.load(tmp_path / name)
            assert np.array_equal(loaded.wv.vectors, model.wv.vectors)
            assert np.array_equal(loaded.syn1neg, model.syn1neg)
    querier.check()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


SAVER = textwrap.dedent("""
    import os, sys, time
    from w2v import Word2Vec
    seed, own, shared, go, rounds = sys.argv[1:]
    sentences = [[f"w{(i * int(seed) + j) % 50}" for j in range(12)] for i in range(100)]
    model = Word2Vec(sentences, vector_size=8, min_count=1, workers=1, seed=int(seed))
    model.train(epochs=1)
    model.save(own)
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.01)
    failures = 0
    for _ in range(int(rounds)):
        try:
            model.save(shared)
        except OSError as error:  # allowed only for folders (see the guide)
            failures += 1
            print("failed:", error, flush=True)
    print("done", failures, flush=True)
""")


@pytest.mark.parametrize("name", ["shared.zip", "shared_folder"])
def test_two_processes_saving_one_path_leave_one_complete_model(tmp_path, name):
    go, shared = tmp_path / "go", tmp_path / name
    children = [subprocess.Popen(
        [sys.executable, "-c", SAVER, str(seed), str(tmp_path / f"own{seed}.zip"), str(shared),
         str(go), "15"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for seed in (3, 7)]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready", child.stderr.read()
        go.touch()
        outputs = [child.communicate(timeout=120) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert out.splitlines()[-1] == "done 0", out  # every save succeeded
    final = Word2Vec.load(shared)
    owners = [Word2Vec.load(tmp_path / f"own{seed}.zip") for seed in (3, 7)]
    matches = [np.array_equal(final.wv.vectors, own.wv.vectors)
               and final.wv.index_to_key == own.wv.index_to_key
               and np.array_equal(final.syn1neg, own.syn1neg) for own in owners]
    assert sum(matches) == 1  # one writer's model, whole: never a mix
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def _our_model_and_theirs_saved(tmp_path):
    """The folder races' setup: another process's model saved at ``tmp_path / "m"`` (the
    path both save to) and at ``tmp_path / "theirs"`` (the folder it will put in place),
    and our own, different, model; returns the shared path and ours."""
    path = tmp_path / "m"
    ours = Word2Vec(corpus(), vector_size=8, min_count=1, workers=1, seed=1)
    theirs = Word2Vec(corpus(), vector_size=8, min_count=1, workers=1, seed=2)
    theirs.save(path)
    theirs.save(tmp_path / "theirs")
    return path, ours


@pytest.mark.parametrize("race", ["moved away", "replaced"])
def test_a_folder_save_survives_another_save_between_its_renames(tmp_path, monkeypatch, race):
    """The races of two processes saving one folder, made to happen every time: the other
    save moves the old folder aside just before ours does, or puts its own in place just
    before ours renames in."""
    path, ours = _our_model_and_theirs_saved(tmp_path)
    real_rename, raced = os.rename, []

    def rename(src, dst):
        src, dst = os.fspath(src), os.fspath(dst)
        if not raced and race == "moved away" and src == str(path):
            raced.append(src)
            real_rename(src, str(tmp_path / "elsewhere"))  # the other save took it first
        if not raced and race == "replaced" and dst == str(path):
            raced.append(dst)
            if os.path.exists(dst):
                real_rename(dst, str(tmp_path / "elsewhere"))
            real_rename(str(tmp_path / "theirs"), dst)  # the other save's folder, complete
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    ours.save(path)
    assert raced
    assert np.array_equal(Word2Vec.load(path).wv.vectors, ours.wv.vectors)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize("race", ["moved away", "replaced"])
def test_a_folder_save_is_not_refused_when_another_save_moves_the_folder_it_reads(
        tmp_path, monkeypatch, race):
    """The race CI met: while our save reads the existing folder's meta.json to check that
    it is ours to replace, the other save moves that folder aside (and may put its own in
    place). The folder is still a w2v archive folder; ours must not be refused."""
    from w2v.io import archive

    path, ours = _our_model_and_theirs_saved(tmp_path)
    real_meta, raced = archive.folder_meta, []

    def folder_meta(folder):
        if not raced and os.fspath(folder) == str(path):
            raced.append(folder)
            os.rename(path, tmp_path / "aside")  # the other save moves it mid-read
            try:
                return real_meta(folder)
            finally:
                if race == "replaced":
                    os.rename(tmp_path / "theirs", path)
        return real_meta(folder)

    monkeypatch.setattr(archive, "folder_meta", folder_meta)
    ours.save(path)
    assert raced
    assert np.array_equal(Word2Vec.load(path).wv.vectors, ours.wv.vectors)


def test_a_folder_that_is_not_an_archive_is_still_refused(tmp_path):
    path = tmp_path / "m"
    path.mkdir()
    (path / "notes.txt").write_text("mine")
    model = Word2Vec(corpus(), vector_size=8, min_count=1, workers=1, seed=1)
    with pytest.raises(FileExistsError, match="not a w2v archive folder"):
        model.save(path)
    assert (path / "notes.txt").read_text() == "mine"
