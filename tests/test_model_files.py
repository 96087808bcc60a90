"""Native model files: exact round trips, continued training, mmap, and tampered files."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from planted import planted_corpus

from w2v import KeyedVectors, Word2Vec
from w2v.io.archive import FORMAT_VERSION

FAST = dict(vector_size=16, window=3, min_count=1, sample=0, epochs=2, workers=1, seed=5)
OBJECTIVES = {"ns": dict(), "hs": dict(hs=1, negative=0), "hs+ns": dict(hs=1),
              "softmax": dict(loss="softmax")}
ODD_WORDS = [["naïve", "café", "日本", "🙂", "a b", "line\nbreak", "tab\t"]] * 3


@pytest.fixture(scope="module")
def corpus():
    return planted_corpus(sentences=300) + ODD_WORDS


def digest(path: Path) -> str:
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def assert_same_model(a: Word2Vec, b: Word2Vec) -> None:
    assert a.params == b.params
    assert a.wv.index_to_key == b.wv.index_to_key
    assert np.array_equal(a.vocab.counts, b.vocab.counts)
    assert a.vocab.min_count == b.vocab.min_count and a.vocab.corpus_words == b.vocab.corpus_words
    for name in ("syn1neg", "syn1"):
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None)
        if x is not None:
            assert np.array_equal(np.asarray(x).view(np.uint32), np.asarray(y).view(np.uint32))
    assert np.array_equal(np.asarray(a.wv.vectors).view(np.uint32),
                          np.asarray(b.wv.vectors).view(np.uint32))
    assert a.loss_history == b.loss_history and a.examples_history == b.examples_history
    assert a.epochs_trained == b.epochs_trained and a.vocab_updates == b.vocab_updates


@pytest.mark.parametrize("suffix", [".zip", ""], ids=["zip", "folder"])
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_round_trip_is_exact(tmp_path, corpus, objective, suffix):
    model = Word2Vec(corpus, sg=1, **FAST, **OBJECTIVES[objective]).train()
    path = tmp_path / f"model{suffix}"
    model.save(path)
    loaded = Word2Vec.load(path)
    assert_same_model(model, loaded)
    assert loaded.training_seconds == model.training_seconds
    assert loaded.wv.most_similar("c0w1", topn=5) == model.wv.most_similar("c0w1", topn=5)
    assert loaded.predict_next("c1w2", topn=3) == model.predict_next("c1w2", topn=3)


def test_training_after_a_reload_is_bit_identical_to_training_on(tmp_path, corpus):
    straight = Word2Vec(corpus, **FAST, hs=1).train(epochs=1)
    straight.train(epochs=1)
    straight.build_vocab([["fresh", "fresh", "words", "words"]], update=True)
    straight.train(corpus + [["fresh", "words"]], epochs=1)

    paused = Word2Vec(corpus, **FAST, hs=1).train(epochs=1)
    paused.save(tmp_path / "a.zip")
    paused = Word2Vec.load(tmp_path / "a.zip").train(corpus, epochs=1)
    paused.save(tmp_path / "b")
    paused = Word2Vec.load(tmp_path / "b")
    paused.build_vocab([["fresh", "fresh", "words", "words"]], update=True)
    paused.train(corpus + [["fresh", "words"]], epochs=1)
    assert_same_model(straight, paused)


@pytest.mark.parametrize("suffix", [".zip", ""], ids=["zip", "folder"])
def test_mmap_read_only_and_copy_on_write(tmp_path, corpus, suffix):
    model = Word2Vec(corpus, **FAST).train()
    path = tmp_path / f"model{suffix}"
    model.save(path)
    before = digest(path)
    mapped = Word2Vec.load(path, mmap="r")
    assert isinstance(mapped.wv.vectors, np.memmap)
    assert mapped.wv.most_similar("c2w0", topn=3) == model.wv.most_similar("c2w0", topn=3)
    with pytest.raises(ValueError, match="read-only.*mmap"):
        mapped.train(corpus, epochs=1)
    copy_on_write = Word2Vec.load(path, mmap="c")
    copy_on_write.train(corpus, epochs=1)
    assert copy_on_write.epochs_trained == model.epochs_trained + 1
    assert digest(path) == before  # the file never changes
    with pytest.raises(ValueError, match="mmap"):
        Word2Vec.load(path, mmap="w")


def test_keyedvectors_round_trip_and_mmap(tmp_path, corpus):
    wv = Word2Vec(corpus, **FAST).train().wv
    for path in (tmp_path / "wv.zip", tmp_path / "wv"):
        wv.save(path)
        for mmap in (None, "r"):
            loaded = KeyedVectors.load(path, mmap=mmap)
            assert loaded.index_to_key == wv.index_to_key
            assert np.array_equal(loaded.vectors, wv.vectors)
            assert np.array_equal(loaded.counts, wv.counts)
            assert loaded.most_similar("🙂", topn=2) == wv.most_similar("🙂", topn=2)
    bare = KeyedVectors(np.eye(2, dtype=np.float32), ["x", "y"])
    bare.save(tmp_path / "bare.zip")
    assert KeyedVectors.load(tmp_path / "bare.zip").counts is None


def test_a_model_is_not_vectors_and_vice_versa(tmp_path, corpus):
    model = Word2Vec(corpus, **FAST)
    model.save(tmp_path / "model.zip")
    model.wv.save(tmp_path / "wv.zip")
    with pytest.raises(ValueError, match="word2vec"):
        KeyedVectors.load(tmp_path / "model.zip")
    with pytest.raises(ValueError, match="keyedvectors"):
        Word2Vec.load(tmp_path / "wv.zip")
    with pytest.raises(ValueError, match="no vocabulary"):
        Word2Vec().save(tmp_path / "empty.zip")


def test_files_hold_no_pickle(tmp_path, corpus):
    Word2Vec(corpus, **FAST, hs=1).train().save(tmp_path / "model")
    members = sorted(p.name for p in (tmp_path / "model").iterdir())
    assert "meta.json" in members
    for member in members:
        if member.endswith(".npy"):
            array = np.load(tmp_path / "model" / member, allow_pickle=False)
            assert array.dtype != object
    meta = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert meta["format"] == "w2v" and meta["kind"] == "word2vec"


def tamper(folder: Path, change) -> None:
    meta_path = folder / "meta.json"
    meta = json.loads(meta_path.read_text())
    change(meta)
    meta_path.write_text(json.dumps(meta))


def swap_array(folder: Path, name: str, array: np.ndarray) -> None:
    np.save(folder / f"{name}.npy", array)
    tamper(folder, lambda m: m["arrays"][name].update(dtype=array.dtype.str,
                                                      shape=list(array.shape)))


TAMPERING = {
    "newer format": (lambda f: tamper(f, lambda m: m.update(format_version=FORMAT_VERSION + 1)),
                     "newer"),
    "param type": (lambda f: tamper(f, lambda m: m["meta"]["params"].update(vector_size="16")),
                   "vector_size"),
    "unknown param": (lambda f: tamper(f, lambda m: m["meta"]["params"].update(evil=1)), "evil"),
    "params not a dict": (lambda f: tamper(f, lambda m: m["meta"].update(params=[1])), "params"),
    "epochs type": (lambda f: tamper(f, lambda m: m["meta"]["state"].update(epochs_trained=2.5)),
                    "epochs_trained"),
    "history length": (lambda f: tamper(f, lambda m: m["meta"]["state"].update(epochs_trained=9)),
                       "one value per"),
    "wrong dimension": (lambda f: tamper(f, lambda m: m["meta"]["params"].update(vector_size=8)),
                        "vectors must be"),
    "unsorted counts": (lambda f: swap_array(f, "counts", np.arange(len(np.load(
        f / "counts.npy")), dtype=np.int64)), "descending"),
    "negative counts": (lambda f: swap_array(f, "counts", -np.load(f / "counts.npy")),
                        "negative"),
    "float vectors64": (lambda f: swap_array(f, "vectors", np.load(f / "vectors.npy")
                                             .astype(np.float64)), "float32"),
    "bad offsets": (lambda f: swap_array(f, "word_offsets", np.load(f / "word_offsets.npy")[::-1]
                                         .copy()), "offsets"),
    "bad utf8": (lambda f: swap_array(f, "words_utf8", np.full_like(
        np.load(f / "words_utf8.npy"), 0xFF)), "UTF-8"),
    "missing syn1": (lambda f: tamper(f, lambda m: m["meta"]["params"].update(hs=1)), "syn1"),
    "extra syn1neg": (lambda f: tamper(f, lambda m: m["meta"]["params"].update(negative=0,
                                                                              hs=1)), "syn1"),
}


@pytest.mark.parametrize("case", TAMPERING)
def test_tampered_files_are_refused_with_the_reason(tmp_path, corpus, case):
    folder = tmp_path / "model"
    Word2Vec(corpus, **FAST).train(epochs=1).save(folder)
    change, message = TAMPERING[case]
    change(folder)
    with pytest.raises(ValueError, match=message):
        Word2Vec.load(folder)


def failing_after(calls: int, real):
    """A stand-in for ``write_array`` that fails on its ``calls``-th use (a full disk)."""
    count = {"n": 0}

    def write_array(*args, **kwargs):
        count["n"] += 1
        if count["n"] == calls:
            raise OSError("disk full")
        return real(*args, **kwargs)

    return write_array


@pytest.mark.parametrize("name", ["model.zip", "model"])
def test_failed_save_keeps_the_previous_file(tmp_path, corpus, monkeypatch, name):
    model = Word2Vec(corpus, **FAST).train(epochs=1)
    path = tmp_path / name
    model.save(path)
    before = digest(path)
    monkeypatch.setattr(np.lib.format, "write_array", failing_after(3, np.lib.format.write_array))
    with pytest.raises(OSError, match="disk full"):
        model.train(epochs=1).save(path)
    monkeypatch.undo()
    assert digest(path) == before
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind
