"""Atomic writes: errors name the user's path, never the temporary file beside it."""

import errno
import os

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


# --------------------------------------------- read-only folders and file systems
def _small_model():
    from w2v import Word2Vec

    return Word2Vec([["a", "b", "c"]] * 5, vector_size=4, min_count=1, workers=1)


def _every_save(model, folder):
    """(what, the path given, a call saving to it) for every way w2v writes a user's file."""
    wv = model.wv
    return [
        ("model zip", folder / "m.zip", lambda p: model.save(p)),
        ("model folder", folder / "m_folder", lambda p: model.save(p)),
        ("vectors zip", folder / "v.zip", lambda p: wv.save(p)),
        ("C binary", folder / "v.bin", lambda p: wv.save_word2vec_format(p, binary=True)),
        ("C text", folder / "v.txt", lambda p: wv.save_word2vec_format(p)),
        ("checkpoint", folder / "run.zip",
         lambda p: model.train(epochs=1, checkpoint=p)),
    ]


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only folders; see the simulated test")
def test_saving_into_a_read_only_folder_names_the_users_path(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    model = _small_model()
    os.chmod(folder, 0o555)
    try:
        for what, path, save in _every_save(model, folder):
            with pytest.raises(PermissionError) as info:
                save(path)
            assert info.value.filename == str(path), what
            assert info.value.errno in (errno.EACCES, errno.EPERM, errno.EROFS)
            assert ".tmp" not in str(info.value), what
        assert list(folder.iterdir()) == []
    finally:
        os.chmod(folder, 0o755)


@pytest.mark.parametrize("stage", ["create", "replace"])
def test_a_read_only_file_system_is_reported_on_the_users_path(tmp_path, monkeypatch, stage):
    """EROFS simulated (root ignores permissions, and mounting one needs privileges): at
    the creation of the temporary file or folder, or at its rename over the target."""
    import tempfile

    model = _small_model()
    saves = _every_save(model, tmp_path)
    real_replace, real_rename = os.replace, os.rename

    def refuse(name):
        raise OSError(errno.EROFS, "Read-only file system", name)

    if stage == "create":
        monkeypatch.setattr(tempfile, "mkstemp", lambda prefix, suffix, dir: refuse(
            os.path.join(dir, f"{prefix}x1y2z3{suffix}")))
        monkeypatch.setattr(tempfile, "mkdtemp", lambda prefix, suffix, dir: refuse(
            os.path.join(dir, f"{prefix}x1y2z3{suffix}")))
    else:
        def replace(src, dst):
            if os.path.basename(os.fspath(src)).startswith("."):
                raise OSError(errno.EROFS, "Read-only file system", src, dst)
            return real_replace(src, dst)

        def rename(src, dst):
            if os.path.basename(os.fspath(src)).startswith("."):
                raise OSError(errno.EROFS, "Read-only file system", src, dst)
            return real_rename(src, dst)

        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "rename", rename)
    for what, path, save in saves:
        with pytest.raises(OSError) as info:
            save(path)
        error = info.value
        assert error.errno == errno.EROFS and error.strerror == "Read-only file system", what
        assert error.filename == str(path), what
        assert str(error) == f"[Errno 30] Read-only file system: '{path}'", what
        assert os.path.basename(error.__cause__.filename).startswith(f".{path.name}.")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no temporary file left


def test_other_errors_in_the_block_pass_unchanged(tmp_path):
    elsewhere = str(tmp_path / "other.txt")
    with pytest.raises(FileNotFoundError) as info:
        with atomic_write(tmp_path / "out.txt", "w"):
            open(elsewhere)
    assert info.value.filename == elsewhere and info.value.__cause__ is None
    assert list(tmp_path.iterdir()) == []
