"""load_vectors: one call for every format the vectors may come in."""

import numpy as np
import pytest

import w2v
from w2v import KeyedVectors, Word2Vec
from w2v.loading import is_native, plain_name


@pytest.fixture(scope="module")
def wv():
    rng = np.random.default_rng(5)
    return KeyedVectors(rng.standard_normal((4, 3)).astype(np.float32),
                        ["king", "queen", "cat", "dog"], counts=np.array([9, 7, 5, 3]))


@pytest.mark.parametrize("name, how", [
    ("v.bin", "binary"), ("v.txt", "text"), ("v.bin.gz", "binary"), ("v.vec.xz", "text"),
    ("v.txt", "binary"),  # a misleading name: read the other way
    ("v.bin", "text"), ("v.zip", "native"), ("folder", "native")])
def test_every_format_loads_to_the_same_vectors(wv, tmp_path, name, how):
    path = tmp_path / name
    if how == "native":
        wv.save(path)
    else:
        wv.save_word2vec_format(path, binary=how == "binary")
    loaded = w2v.load_vectors(path)
    assert loaded.index_to_key == wv.index_to_key
    np.testing.assert_allclose(loaded.vectors, wv.vectors, rtol=1e-6 if how == "text" else 0)


def test_a_saved_models_vectors(tmp_path):
    model = Word2Vec([["a", "b", "c"]] * 20, vector_size=4, min_count=1, workers=1,
                     epochs=1, progress=False).train()
    model.save(tmp_path / "m.zip")
    np.testing.assert_array_equal(w2v.load_vectors(tmp_path / "m.zip").vectors,
                                  model.wv.vectors)


def test_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        w2v.load_vectors(tmp_path / "absent.bin")
    assert info.value.filename == str(tmp_path / "absent.bin")
    corpus = tmp_path / "corpus.bin"
    corpus.write_text("the cat sat on the mat\n")
    with pytest.raises(ValueError, match="corpus.bin: line 1"):
        w2v.load_vectors(corpus)  # the first reading's error, not the fallback's


def test_helpers(tmp_path):
    assert plain_name("Dir/V.BIN.BZ2") == "dir/v.bin" and plain_name("v.txt") == "v.txt"
    (tmp_path / "f").mkdir()
    (tmp_path / "plain.txt").write_text("1 1\na 0.5\n")
    assert is_native(tmp_path / "f") and not is_native(tmp_path / "plain.txt")
    assert not is_native(tmp_path / "absent")
