"""Atomic writes: errors name the user's path, never the temporary file beside it."""

import errno

import numpy as np
import pytest

from w2v import KeyedVectors
from w2v._util.atomic import atomic_write


def test_a_missing_folder_is_named_and_nothing_is_written(tmp_path):
    target = tmp_path / "no_such_folder" / "vectors.bin"
    with pytest.raises(FileNotFoundError) as info:
        with atomic_write(target) as handle:
            handle.write(b"never")
    assert info.value.filename == str(target) and info.value.errno == errno.ENOENT
    assert ".tmp" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_in_the_way_is_refused_and_kept(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(IsADirectoryError) as info:
        with atomic_write(tmp_path / "out", "w") as handle:
            handle.write("never")
    assert info.value.filename == str(tmp_path / "out")
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("name", ["vectors.zip", "vectors_folder"])
def test_saving_vectors_into_a_missing_folder_names_it(tmp_path, name):
    wv = KeyedVectors(np.eye(2, dtype=np.float32), ["a", "b"])
    target = tmp_path / "missing" / name
    with pytest.raises(FileNotFoundError) as info:
        wv.save(target)
    assert info.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []
