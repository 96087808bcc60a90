"""The w2v archive format: round trips, memory maps, atomic writes and hostile files."""

import io
import json
import math
import os
import pickle
import zipfile

import numpy as np
import pytest

from w2v.io import archive, archive_write
from w2v.io.archive import FORMAT_VERSION, archive_kind, read_archive
from w2v.io.archive_write import write_archive

DTYPES = ["?", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", ">f8", ">i4"]
META = {"window": 5, "loss": [1.5, math.nan, math.inf, -math.inf], "nested": {"a": [None, True]},
        "name": "snow ☃ \ud800", "empty": {}}


def sample_arrays():
    rng = np.random.default_rng(0)
    arrays = {f"a_{i}": (rng.standard_normal((3, 4)) * 100).astype(dt)
              for i, dt in enumerate(DTYPES)}
    arrays["scalar"] = np.array(2.5, dtype="f4")
    arrays["empty"] = np.zeros((0, 7), dtype="f4")
    arrays["fortran"] = np.asfortranarray(np.arange(12, dtype="i8").reshape(3, 4))
    arrays["strided"] = np.arange(20, dtype="f4")[::3]
    arrays["cube"] = rng.integers(0, 255, (2, 3, 5), dtype="u1")
    arrays["nan_bits"] = np.array([0x7FC00001, 0xFFFFFFFF], dtype="u4").view("f4")
    return arrays


def assert_same(loaded, original):
    assert set(loaded) == set(original)
    for name, array in original.items():
        assert loaded[name].dtype == array.dtype, name
        assert loaded[name].shape == array.shape, name
        assert loaded[name].tobytes() == array.tobytes(), name


def assert_same_meta(loaded, original):
    assert json.dumps(loaded, sort_keys=True) == json.dumps(original, sort_keys=True)


def npy_bytes(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def header(arrays=None, **overrides):
    arrays = {"x": {"dtype": "<f4", "shape": [3]}} if arrays is None else arrays
    result = {"format": "w2v", "format_version": 1, "kind": "demo", "arrays": arrays, "meta": {}}
    result.update(overrides)
    return json.dumps(result).encode()


def make_zip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression) as handle:
        for name, data in members.items():
            handle.writestr(name, data)
    return path


def make_folder(path, members):
    os.makedirs(path)
    for name, data in members.items():
        with open(os.path.join(path, name), "wb") as handle:
            handle.write(data)
    return path


def good_members():
    return {"meta.json": header(), "x.npy": npy_bytes(np.arange(3, dtype="<f4"))}


def snapshot(folder):
    """Every file under ``folder`` (relative name -> bytes)."""
    result = {}
    for root, _, files in os.walk(folder):
        for file in files:
            with open(os.path.join(root, file), "rb") as handle:
                result[os.path.relpath(os.path.join(root, file), folder)] = handle.read()
    return result


@pytest.fixture(params=["folder", "zip"])
def target(request, tmp_path):
    return str(tmp_path / ("model.zip" if request.param == "zip" else "model"))


# ---------------------------------------------------------------- round trips


def test_round_trip_is_bit_exact(target):
    arrays = sample_arrays()
    write_archive(target, "demo", arrays, META)
    loaded, meta = read_archive(target, kind="demo")
    assert_same(loaded, arrays)
    assert_same_meta(meta, META)
    assert math.isnan(meta["loss"][1]) and meta["loss"][2] == math.inf
    assert meta["name"] == META["name"]
    assert archive_kind(target) == "demo"
    assert all(not isinstance(a, np.memmap) and a.flags.writeable for a in loaded.values())


def test_meta_json_layout(tmp_path):
    write_archive(tmp_path / "m", "demo", {"v": np.zeros((2, 3), "f4")}, {"k": 1})
    saved = json.loads((tmp_path / "m" / "meta.json").read_text())
    assert saved == {"format": "w2v", "format_version": FORMAT_VERSION, "kind": "demo",
                     "arrays": {"v": {"dtype": "<f4", "shape": [2, 3]}}, "meta": {"k": 1}}
    assert sorted(os.listdir(tmp_path / "m")) == ["meta.json", "v.npy"]
    assert sorted(os.listdir(tmp_path)) == ["m"]


def test_zip_is_stored_aligned_and_deterministic(tmp_path):
    arrays = sample_arrays()
    write_archive(tmp_path / "a.zip", "demo", arrays, META)
    write_archive(tmp_path / "b.zip", "demo", arrays, META)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as handle:
        infos = handle.infolist()
    assert {i.filename for i in infos} == {"meta.json"} | {f"{n}.npy" for n in arrays}
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
    loaded, _ = read_archive(tmp_path / "a.zip", mmap="r")
    assert all(a.ctypes.data % 64 == 0 for a in loaded.values() if a.size)


@pytest.mark.parametrize("mode", ["r", "c"])
def test_mmap_read_only_and_copy_on_write(target, mode):
    arrays = sample_arrays()
    write_archive(target, "demo", arrays, META)
    before = open(target, "rb").read() if target.endswith(".zip") else snapshot(target)
    loaded, meta = read_archive(target, mmap=mode)
    assert_same(loaded, arrays)
    assert_same_meta(meta, META)
    assert all(isinstance(a, np.memmap) for a in loaded.values())
    assert loaded["fortran"].flags.c_contiguous  # always written C-ordered
    vectors = loaded["a_11"]
    if mode == "r":
        with pytest.raises(ValueError, match="read-only"):
            vectors[0, 0] = 1.0
    else:
        vectors[:] = 7.0
        assert (vectors == 7.0).all()
    del loaded, vectors
    after = open(target, "rb").read() if target.endswith(".zip") else snapshot(target)
    assert after == before


def test_mmap_r_plus_writes_through_folders_only(tmp_path):
    arrays = {"v": np.arange(6, dtype="f4").reshape(2, 3)}
    write_archive(tmp_path / "m", "demo", arrays, {})
    loaded, _ = read_archive(tmp_path / "m", mmap="r+")
    loaded["v"][1, 2] = 42.0
    loaded["v"].flush()
    del loaded
    assert read_archive(tmp_path / "m")[0]["v"][1, 2] == 42.0
    write_archive(tmp_path / "m.zip", "demo", arrays, {})
    with pytest.raises(ValueError, match="r\\+"):
        read_archive(tmp_path / "m.zip", mmap="r+")
    with pytest.raises(ValueError, match="mmap must be"):
        read_archive(tmp_path / "m", mmap="w+")


def test_compressed_zip_members_are_read_into_memory(tmp_path):
    path = make_zip(tmp_path / "c.zip", good_members(), zipfile.ZIP_DEFLATED)
    expected = np.arange(3, dtype="<f4")
    assert (read_archive(path)[0]["x"] == expected).all()
    copy = read_archive(path, mmap="c")[0]["x"]
    copy[0] = 9
    readonly = read_archive(path, mmap="r")[0]["x"]
    assert (readonly == expected).all() and not readonly.flags.writeable


def test_fortran_npy_from_elsewhere(tmp_path):
    array = np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3))
    members = {"meta.json": header({"f": {"dtype": "<f8", "shape": [2, 3]}}),
               "f.npy": npy_bytes(array)}
    for path in (make_zip(tmp_path / "f.zip", members), make_folder(tmp_path / "f", members)):
        for mode in (None, "r"):
            assert (read_archive(path, mmap=mode)[0]["f"] == array).all()


# ---------------------------------------------------------------- no code execution


class Booby:
    """Unpickling this touches a marker file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').close()",)


@pytest.mark.parametrize("claimed", ["|O", "<f4"])
@pytest.mark.parametrize("container", ["zip", "folder"])
def test_object_arrays_are_never_unpickled(tmp_path, claimed, container):
    marker = tmp_path / "pwned"
    payload = npy_bytes(np.array([Booby(marker), 1], dtype=object), allow_pickle=True)
    np.load(io.BytesIO(payload), allow_pickle=True)  # the payload really is live
    assert marker.exists()
    marker.unlink()
    members = {"meta.json": header({"x": {"dtype": claimed, "shape": [2]}}), "x.npy": payload}
    if container == "zip":
        path = make_zip(tmp_path / "evil.zip", members)
    else:
        path = make_folder(tmp_path / "evil", members)
    for mode in (None, "r"):
        with pytest.raises(ValueError, match="dtype|object"):
            read_archive(path, mmap=mode)
    assert not marker.exists()


def test_meta_never_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    members = good_members()
    members["meta.json"] = pickle.dumps(Booby(marker))
    with pytest.raises(ValueError, match="not valid UTF-8 JSON"):
        read_archive(make_zip(tmp_path / "p.zip", members))
    assert not marker.exists()


# ---------------------------------------------------------------- hostile or broken files


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"kind": "keyedvectors"}, "this is a 'keyedvectors' file, not a 'demo'"),
        ({"format_version": FORMAT_VERSION + 1}, "newer w2v.*version 2.*version 1.*upgrade"),
        ({"format_version": "1"}, "format_version must be"),
        ({"format_version": True}, "format_version must be"),
        ({"format_version": 1.0}, "format_version must be"),
        ({"format_version": 0}, "format_version must be"),
        ({"format": "gensim"}, "not a w2v archive.*gensim"),
        ({"format": None}, "not a w2v archive"),
        ({"kind": 3}, "kind must be a string"),
        ({"meta": [1]}, "'meta' in meta.json must be a JSON object"),
        ({"arrays": [1]}, "'arrays' in meta.json must be"),
        ({"arrays": {"x": {"dtype": "<f8", "shape": [3]}}}, "manifest says <f8"),
        ({"arrays": {"x": {"dtype": "<f4", "shape": [1, 3]}}}, "manifest says <f4 \\[1, 3\\]"),
        ({"arrays": {"x": {"dtype": "<f4", "shape": [3]}, "y": {"dtype": "<f4", "shape": [3]}}},
         "array 'y' is in the manifest, y.npy is missing"),
        ({"arrays": {}}, "'x.npy' is not in the manifest"),
        ({"arrays": {"x": {"dtype": "<c8", "shape": [3]}}}, "unsupported dtype '<c8'"),
        ({"arrays": {"x": {"dtype": "<f1", "shape": [3]}}}, "unsupported dtype '<f1'"),
        ({"arrays": {"x": {"dtype": "|f4", "shape": [3]}}}, "unsupported dtype '|f4'"),
        ({"arrays": {"x": {"dtype": "<U3", "shape": [3]}}}, "unsupported dtype"),
        ({"arrays": {"x": {"dtype": 5, "shape": [3]}}}, "unsupported dtype"),
        ({"arrays": {"x": {"dtype": "<f4", "shape": [-3]}}}, "invalid shape"),
        ({"arrays": {"x": {"dtype": "<f4", "shape": [True]}}}, "invalid shape"),
        ({"arrays": {"x": {"dtype": "<f4", "shape": 3}}}, "invalid shape"),
        ({"arrays": {"x": {"dtype": "<f4"}}}, "manifest entry 'x'"),
        ({"arrays": {"x": [3]}}, "manifest entry 'x'"),
        ({"arrays": {"../x": {"dtype": "<f4", "shape": [3]}}}, "array name '../x'"),
    ],
)
@pytest.mark.parametrize("container", ["zip", "folder"])
def test_bad_manifests(tmp_path, container, change, match):
    members = good_members()
    members["meta.json"] = header(**change)
    if container == "zip":
        path = make_zip(tmp_path / "bad.zip", members)
    else:
        path = make_folder(tmp_path / "bad", members)
    with pytest.raises(ValueError, match=match):
        read_archive(path, kind="demo")


@pytest.mark.parametrize(
    ("meta_json", "match"),
    [
        (b"{not json", "not valid UTF-8 JSON"),
        (b"\xff\xfe{}", "not valid UTF-8 JSON"),
        (b'{"format": "w2v", "format": "w2v"}', "duplicate key 'format'"),
        (b"[1, 2]", "must hold a JSON object"),
        (b"[" * 100000 + b"]" * 100000, "not valid UTF-8 JSON"),
    ],
)
@pytest.mark.parametrize("container", ["zip", "folder"])
def test_bad_meta_json(tmp_path, container, meta_json, match):
    members = dict(good_members(), **{"meta.json": meta_json})
    if container == "zip":
        path = make_zip(tmp_path / "bad.zip", members)
    else:
        path = make_folder(tmp_path / "bad", members)
    with pytest.raises(ValueError, match=match):
        read_archive(path)
    with pytest.raises(ValueError, match=match):
        archive_kind(path)


def test_meta_json_size_limit(tmp_path, monkeypatch):
    path = make_zip(tmp_path / "big.zip", good_members())
    monkeypatch.setattr(archive, "MAX_META_BYTES", 20)
    with pytest.raises(ValueError, match="larger than 20 bytes"):
        read_archive(path)
    with pytest.raises(ValueError, match="would be .* bytes, over 20"):
        write_archive(tmp_path / "x", "demo", {}, {})


def test_missing_meta_json_and_not_archives(tmp_path):
    members = good_members()
    del members["meta.json"]
    for path in (make_zip(tmp_path / "m.zip", members), make_folder(tmp_path / "m", members)):
        with pytest.raises(ValueError, match="missing meta.json"):
            read_archive(path)
    (tmp_path / "junk.zip").write_bytes(b"this is no zip")
    with pytest.raises(ValueError, match="not a valid zip"):
        read_archive(tmp_path / "junk.zip")
    (tmp_path / "file").write_bytes(b"x")
    with pytest.raises(ValueError, match="not a folder"):
        read_archive(tmp_path / "file")
    with pytest.raises(FileNotFoundError):
        read_archive(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError):
        read_archive(tmp_path / "nothing.zip")


@pytest.mark.parametrize(
    "member", ["../evil.npy", "/abs.npy", "sub/x.npy", "sub\\x.npy", "..", "notes.txt", "x.NPY",
               "sub/", "a-b.npy", ".npy"]
)
def test_zip_member_names_are_checked(tmp_path, member):
    members = dict(good_members(), **{member: npy_bytes(np.zeros(3, "<f4"))})
    path = tmp_path / "t.zip"
    with zipfile.ZipFile(path, "w") as handle:
        for name, data in members.items():
            handle.writestr(zipfile.ZipInfo(name), data)  # ZipInfo keeps the name verbatim
    with zipfile.ZipFile(path) as handle:
        assert member in handle.namelist()
    with pytest.raises(ValueError, match="unexpected member"):
        read_archive(path)


def test_duplicate_zip_members(tmp_path):
    path = make_zip(tmp_path / "d.zip", good_members())
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "a") as handle:
        handle.writestr("x.npy", npy_bytes(np.ones(3, "<f4")))
    with pytest.raises(ValueError, match="duplicate member 'x.npy'"):
        read_archive(path)


def test_unsupported_zip_compression(tmp_path):
    path = make_zip(tmp_path / "b.zip", good_members(), zipfile.ZIP_BZIP2)
    with pytest.raises(ValueError, match="unsupported compression"):
        read_archive(path)


def test_folder_ignores_unrelated_files(tmp_path):
    members = dict(good_members(), **{"README.txt": b"hi"})
    assert read_archive(make_folder(tmp_path / "m", members))[0]["x"].tolist() == [0, 1, 2]


@pytest.mark.parametrize("mode", [None, "r"])
@pytest.mark.parametrize("container", ["zip", "folder"])
def test_truncated_and_oversized_npy(tmp_path, container, mode):
    build = make_zip if container == "zip" else make_folder
    good = npy_bytes(np.arange(3, dtype="<f4"))
    cases = {
        "truncated": (good[:-1], "is truncated.*promises 12 bytes.*11"),
        "trailing": (good + b"\0", "has trailing bytes"),
        "header": (good[:20], "bad .npy header"),
        "magic": (b"PK" + good[2:], "bad .npy header"),
    }
    # a header promising ~8 exabytes, in a file of a hundred-odd bytes
    huge = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        huge, {"descr": "<f8", "fortran_order": False, "shape": (10**9, 10**9)}
    )
    for name, (data, match) in cases.items():
        path = build(tmp_path / f"{name}.zip" if container == "zip" else tmp_path / name,
                     {"meta.json": header(), "x.npy": data})
        with pytest.raises(ValueError, match=match):
            read_archive(path, mmap=mode)
    manifest = {"x": {"dtype": "<f8", "shape": [10**9, 10**9]}}
    path = build(tmp_path / ("huge.zip" if container == "zip" else "huge"),
                 {"meta.json": header(manifest), "x.npy": huge.getvalue() + b"\0" * 64})
    with pytest.raises(ValueError, match="is truncated.*promises 8000000000000000000 bytes"):
        read_archive(path, mmap=mode)


def test_corrupt_stored_member_fails_crc(tmp_path):
    path = make_zip(tmp_path / "c.zip", good_members())
    data = bytearray(path.read_bytes())
    at = data.index(npy_bytes(np.arange(3, dtype="<f4")))
    data[at + 130] ^= 0xFF  # flip a data byte of x.npy
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt"):
        read_archive(path)


# ---------------------------------------------------------------- what may be written


@pytest.mark.parametrize(
    ("arrays", "error", "match"),
    [
        ({"a b": np.zeros(2)}, ValueError, "array name 'a b'"),
        ({"../x": np.zeros(2)}, ValueError, "array name"),
        ({"": np.zeros(2)}, ValueError, "array name"),
        ({"x\n": np.zeros(2)}, ValueError, "array name"),
        ({3: np.zeros(2)}, ValueError, "array name 3"),
        ({"o": np.array([1, None], dtype=object)}, ValueError, "object"),
        ({"s": np.array(["a"])}, ValueError, "not allowed"),
        ({"c": np.zeros(2, "c8")}, ValueError, "not allowed"),
        ({"r": np.zeros(2, [("a", "f4")])}, ValueError, "structured"),
        ({"l": [1.0, 2.0]}, TypeError, "must be a numpy array"),
        ({"vec": np.zeros(2), "Vec": np.zeros(2)}, ValueError, "more than case"),
    ],
)
def test_write_rejects_bad_arrays(tmp_path, arrays, error, match):
    with pytest.raises(error, match=match):
        write_archive(tmp_path / "m", "demo", arrays, {})
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("meta", "match"),
    [
        ({"a": {"b": [1, {2, 3}]}}, r"meta\['a'\]\['b'\]\[1\]: set is not JSON plain data"),
        ({"a": (1, 2)}, r"meta\['a'\]: tuple"),
        ({"a": np.float32(1)}, r"meta\['a'\]: float32.*\.item\(\)"),
        ({"a": np.zeros(2)}, r"meta\['a'\]: ndarray"),
        ({"a": {1: "x"}}, r"meta\['a'\]: key 1 is int"),
        ({2: "x"}, "meta: key 2 is int"),
        ({"f": open}, r"meta\['f'\]: builtin_function_or_method"),
    ],
)
def test_write_rejects_non_json_meta(tmp_path, meta, match):
    with pytest.raises(TypeError, match=match):
        write_archive(tmp_path / "m.zip", "demo", {"x": np.zeros(2)}, meta)
    assert os.listdir(tmp_path) == []


def test_write_rejects_cycles_and_bad_kind(tmp_path):
    cycle: list = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="nested deeper"):
        write_archive(tmp_path / "m", "demo", {}, {"c": cycle})
    for kind in ("", "a/b", None, "word2vec\n"):
        with pytest.raises(ValueError, match="kind must be"):
            write_archive(tmp_path / "m", kind, {}, {})
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- atomicity


def failing_write(handle, array):
    handle.write(b"\x93NUMPY partial")
    raise OSError("disk full")


def test_failed_write_keeps_previous_archive(target, monkeypatch):
    parent = os.path.dirname(target)
    write_archive(target, "demo", {"old": np.arange(5)}, {"v": 1})
    before = snapshot(parent)
    monkeypatch.setattr(archive_write, "_write_npy", failing_write)
    with pytest.raises(OSError, match="disk full"):
        write_archive(target, "demo", {"new": np.arange(3), "more": np.ones(2)}, {"v": 2})
    monkeypatch.undo()
    with pytest.raises(TypeError):
        write_archive(target, "demo", {"new": np.arange(3)}, {"v": {1, 2}})
    with pytest.raises(ValueError):
        write_archive(target, "demo", {"o": np.array([None])}, {"v": 2})
    assert snapshot(parent) == before  # byte-identical, and no temporary files or folders
    assert read_archive(target)[1] == {"v": 1}


def test_interrupted_swap_restores_old_folder(tmp_path, monkeypatch):
    target = tmp_path / "m"
    write_archive(target, "demo", {"old": np.arange(5)}, {"v": 1})
    before = snapshot(tmp_path)
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the new folder moving in
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        write_archive(target, "demo", {"new": np.arange(3)}, {"v": 2})
    monkeypatch.undo()
    assert calls[0][0] == str(target) and calls[1][1] == str(target)
    assert snapshot(tmp_path) == before


def test_overwrite_replaces_whole_archive(target):
    write_archive(target, "demo", {"old": np.arange(5), "keep": np.ones(2)}, {"v": 1})
    write_archive(target, "other", {"keep": np.zeros(3, "f4")}, {"v": 2})
    arrays, meta = read_archive(target, kind="other")
    assert list(arrays) == ["keep"] and arrays["keep"].dtype == np.float32 and meta == {"v": 2}
    assert os.listdir(os.path.dirname(target)) == [os.path.basename(target)]


def test_refuses_to_replace_what_is_not_ours(tmp_path):
    mine = make_folder(tmp_path / "photos", {"cat.jpg": b"meow"})
    with pytest.raises(FileExistsError, match="not a w2v archive"):
        write_archive(mine, "demo", {"x": np.zeros(2)}, {})
    other_json = make_folder(tmp_path / "site", {"meta.json": b'{"format": "other"}'})
    with pytest.raises(FileExistsError):
        write_archive(other_json, "demo", {"x": np.zeros(2)}, {})
    (tmp_path / "file").write_bytes(b"precious")
    with pytest.raises(FileExistsError):
        write_archive(tmp_path / "file", "demo", {"x": np.zeros(2)}, {})
    os.mkdir(tmp_path / "dir.zip")
    with pytest.raises(FileExistsError, match="is a folder"):
        write_archive(tmp_path / "dir.zip", "demo", {"x": np.zeros(2)}, {})
    os.symlink(tmp_path / "photos", tmp_path / "link")
    with pytest.raises(FileExistsError):
        write_archive(tmp_path / "link", "demo", {"x": np.zeros(2)}, {})
    expected = {"photos/cat.jpg": b"meow", "site/meta.json": b'{"format": "other"}',
                "file": b"precious"}
    assert snapshot(tmp_path) == expected and os.path.islink(tmp_path / "link")
    assert sorted(os.listdir(tmp_path)) == ["dir.zip", "file", "link", "photos", "site"]
    os.mkdir(tmp_path / "empty")
    write_archive(tmp_path / "empty", "demo", {"x": np.zeros(2)}, {})  # an empty folder is free
    assert archive_kind(tmp_path / "empty") == "demo"
