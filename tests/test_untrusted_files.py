"""Files from strangers: every loader refuses a malformed file with a ValueError naming the
problem and the file, takes no more memory than the file justifies, and never runs code.

Cases of the audit that other files already test, and so are not repeated here:
* truncated rows, text and binary; more rows promised than held; duplicate words ...
  test_word2vec_format.py::test_text_errors, ::test_binary_errors, ::test_limit
* a header promising 10^9 rows or dimensions: fails fast ... test_word2vec_format.py::
  test_absurd_header_fails_fast (the memory it takes is checked here); negative or
  non-integer sizes ... ::test_bad_header; undecodable words ... ::test_unicode_errors
* truncated .npy, trailing bytes, an .npy header promising 8 EB in a tiny file ...
  test_archive.py::test_truncated_and_oversized_npy
* a manifest promising another dtype or shape, missing or extra arrays, bad dtypes,
  negative or non-int shapes, names with "../" ... test_archive.py::test_bad_manifests
* zip members outside the model (``../evil.npy``, ``/abs.npy``, ``sub/x.npy``, ``sub\\x.npy``)
  ... test_archive.py::test_zip_member_names_are_checked, ::test_duplicate_zip_members
* meta.json not JSON, not UTF-8, nested 10^5 deep, with duplicate keys, too large ...
  test_archive.py::test_bad_meta_json, ::test_meta_json_size_limit
* pickled object arrays and a pickled meta.json, never unpickled ... test_archive.py::
  test_object_arrays_are_never_unpickled, ::test_meta_never_unpickled
* parameters of the wrong type, unknown or NaN; bad counts, offsets, UTF-8, unsorted words
  ... test_model_files.py::test_tampered_files_are_refused_with_the_reason
"""

from __future__ import annotations

import ast
import bz2
import gzip
import io
import json
import lzma
import math
import os
import re
import struct
import time
import tokenize
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

import w2v
from w2v import KeyedVectors, Word2Vec
from w2v.io.word2vec_format import load_word2vec_format
from w2v.train.model_files import load_state

#: Most memory a refused file may make a loader take: the 16 MB read blocks, never anything
#: that grows with what a header promises.
MEMORY_BOUND = 40 * 2**20
COMPRESS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}
SRC = Path(w2v.__file__).resolve().parent


def f32(*values: float) -> bytes:
    return struct.pack(f"<{len(values)}f", *values)


def put(tmp_path: Path, data: bytes, name: str) -> str:
    for suffix, compress in COMPRESS.items():
        if name.endswith(suffix):
            data = compress(data)
    (tmp_path / name).write_bytes(data)
    return str(tmp_path / name)


def refused(call, match: str) -> tuple[ValueError, int, float]:
    """Run ``call``, which must raise ValueError matching ``match``; also return the peak
    memory it allocated (numpy's allocations included) and the seconds it took."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ValueError, match=match) as info:
            call()
    finally:
        seconds = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return info.value, peak, seconds


# ------------------------------------------------------------- sizes in the C formats

ABSURD = [  # header + body, binary, expected message
    pytest.param(b"1000000000 1000000000\na 1 2\n", False, "expected 1000000000 values",
                 id="text-1e9x1e9"),  # was a 4 GB np.empty (lazy, so it went unnoticed)
    pytest.param(b"1000000000 1000000000\na " + f32(1, 2), True, "truncated", id="bin-1e9x1e9"),
    pytest.param(b"1 1000000000\na 1\n", False, "expected 1000000000 values",
                 id="text-1x1e9"),  # was a 4 GB np.empty before the row was parsed
    pytest.param(b"1 1000000000000\na 1\n", False, "1000000000000 dimensions, over",
                 id="text-1x1e12"),  # was MemoryError
    pytest.param(b"0 100000000000000000000000\n", False, "dimensions, over",
                 id="text-0x1e23"),  # was numpy's "Maximum allowed dimension exceeded"
    pytest.param(b"0 100000000000000000000000\n", True, "dimensions, over", id="bin-0x1e23"),
    pytest.param(b"1000000000 2\na 1 2\n", False, "ends after 1 of the 1000000000 rows",
                 id="text-1e9x2"),
    pytest.param(b"1000000000 2\na " + f32(1, 2), True, "truncated|ends after 1 of the",
                 id="bin-1e9x2"),
    pytest.param(b"9" * 1000 + b" 2\na 1 2\n", False, "ends after 1 of the 9999",
                 id="text-1000-digits"),
    pytest.param(b"1 2" + b" " * 2000 + b"\na 1 2\n", False, "line 1 must be",
                 id="text-long-header"),
]


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize(("data", "binary", "message"), ABSURD)
def test_absurd_headers_fail_fast_without_allocating(tmp_path, data, binary, message, suffix):
    path = put(tmp_path, data, "v" + suffix)
    _, peak, seconds = refused(lambda: load_word2vec_format(path, binary=binary),
                               re.escape(path) + ": .*" + message)
    assert peak < MEMORY_BOUND and seconds < 2


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", list(COMPRESS))
@pytest.mark.parametrize("cut", ["garbage", "truncated", "half"])
def test_corrupt_compressed_files(tmp_path, binary, suffix, cut):
    data = b"2 2\na " + (f32(1, 2) if binary else b"1 2\n") + b"b " + (
        f32(3, 4) if binary else b"3 4\n")
    packed = COMPRESS[suffix](data)
    body = {"garbage": b"not compressed at all", "truncated": packed[:-5],
            "half": packed[: len(packed) // 2]}[cut]
    path = tmp_path / f"v{suffix}"
    path.write_bytes(body)
    # was gzip.BadGzipFile / OSError / lzma.LZMAError / EOFError
    refused(lambda: load_word2vec_format(path, binary=binary),
            re.escape(str(path)) + ": corrupt or truncated compressed data")
    (tmp_path / "v.txt").write_bytes(b"2 2\na 1 2\nb 3 4\n")
    refused(lambda: load_word2vec_format(tmp_path / "v.txt", fvocab=path),
            re.escape(str(path)) + ": corrupt or truncated")


def test_fvocab_counts_beyond_int64(tmp_path):
    (tmp_path / "v.txt").write_bytes(b"1 2\na 1 2\n")
    for count in (b"9223372036854775808", b"9" * 5000):  # was OverflowError / unnamed error
        (tmp_path / "vocab").write_bytes(b"a " + count + b"\n")
        refused(lambda: load_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "vocab"),
                "vocab: line 1: expected 'word count'")
    (tmp_path / "vocab").write_bytes(b"a 0009223372036854775807\n")
    assert load_word2vec_format(tmp_path / "v.txt", fvocab=tmp_path / "vocab")[2][0] == 2**63 - 1


# ------------------------------------------------------------- words in binary files

ROW = f32(1, 2)


@pytest.mark.parametrize(("data", "message"), [
    (b"1 2\na\nb " + ROW, "row 0 \\(byte offset 4\\): word b'a\\\\nb' holds whitespace"),
    (b"2 2\na " + ROW + b"\nb\n " + ROW, "row 1 .*word b'\\\\nb\\\\n' holds whitespace"),
    (b"1 2\na\tb " + ROW, "row 0 .*word b'a\\\\tb' holds whitespace"),
    (b"1 2\na\rb " + ROW, "row 0 .*holds whitespace"),
    (b"2 2\na " + ROW + b"\r\nb " + ROW, "row 1 .*holds whitespace"),
    (b"1 2\na\x0cb " + ROW, "row 0 .*holds whitespace"),
    # a space ends the word, so the rest of the row no longer fits
    (b"1 2\na b " + ROW, "data after the 1 rows"),
])
def test_binary_words_with_whitespace_are_refused(tmp_path, data, message):
    path = put(tmp_path, data, "w.bin")  # "a\nb" used to load silently as "ab"
    refused(lambda: load_word2vec_format(path, binary=True), re.escape(path) + ": " + message)


def test_binary_newlines_before_words_are_fine(tmp_path):
    # the C tool writes one "\n" after each vector; gensim none; blank lines are tolerated
    data = b"3 2\na " + ROW + b"\nb " + ROW + b"\n\n\nc " + ROW + b"\n"
    assert load_word2vec_format(put(tmp_path, data, "w.bin"), binary=True)[1] == ["a", "b", "c"]


# ------------------------------------------------------------- NaN and infinity

SPECIAL = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("value", list(SPECIAL))
def test_nonfinite_c_formats(tmp_path, binary, value):
    row = f32(0.5, SPECIAL[value]) if binary else b"0.5 " + value.encode() + b"\n"
    good = f32(1, 2) if binary else b"1 2\n"
    path = put(tmp_path, b"2 2\nok " + good + b"bad " + row, "v.bin" if binary else "v.txt")
    line = "" if binary else ", line 3"
    message = f"{re.escape(path)}: row 1{line} \\(word 'bad'\\) holds {value} at column 1"
    for load in (load_word2vec_format, KeyedVectors.load_word2vec_format):
        refused(lambda load=load: load(path, binary=binary), message + ".*allow_nonfinite=True")
    vectors, words, _ = load_word2vec_format(path, binary=binary, allow_nonfinite=True)
    kv = KeyedVectors.load_word2vec_format(path, binary=binary, allow_nonfinite=True)
    for got in (vectors, kv.vectors):
        assert got[0].tolist() == [1, 2] and got[1, 0] == 0.5
        assert np.array_equal(got[1, 1], np.float32(SPECIAL[value]), equal_nan=True)
    assert load_word2vec_format(path, binary=binary, limit=1)[1] == ["ok"]  # not read: fine


def zip_folder(folder: Path, path: Path, method: int = zipfile.ZIP_STORED) -> Path:
    """The members of an archive folder, zipped as they are."""
    with zipfile.ZipFile(path, "w", method) as archive:
        for member in sorted(folder.iterdir()):
            archive.write(member, member.name)
    return path


def tiny_model(**options) -> Word2Vec:
    corpus = [["a", "b", "c", "a", "b", "a", "d"]] * 10
    settings = dict(vector_size=4, min_count=1, epochs=1, workers=1, seed=3, progress=False)
    return Word2Vec(corpus, **(settings | options)).train()


@pytest.fixture(scope="module")
def model() -> Word2Vec:
    return tiny_model(hs=1)


def poison(folder: Path, name: str, value: float) -> None:
    array = np.load(folder / f"{name}.npy", allow_pickle=False)
    array.reshape(-1)[-1] = value
    np.save(folder / f"{name}.npy", array, allow_pickle=False)


@pytest.mark.parametrize("mmap", [None, "r"])
@pytest.mark.parametrize("suffix", ["", ".zip"])
def test_nonfinite_native_vectors(tmp_path, model, mmap, suffix):
    folder = tmp_path / "kv"
    model.wv.save(folder)
    poison(folder, "vectors", math.inf)
    path = zip_folder(folder, tmp_path / "kv.zip") if suffix else folder
    last = (len(model.wv) - 1, model.vector_size - 1)
    message = (f"{re.escape(str(path))}: vectors holds NaN or infinity \\(first at row "
               f"{last[0]}, column {last[1]}\\); allow_nonfinite=True")
    refused(lambda: KeyedVectors.load(path, mmap=mmap), message)
    loaded = KeyedVectors.load(path, mmap=mmap, allow_nonfinite=True)
    assert loaded.vectors[last] == math.inf and loaded.index_to_key == model.wv.index_to_key


@pytest.mark.parametrize("name", ["vectors", "syn1neg", "syn1", "loss_history"])
def test_nonfinite_native_model(tmp_path, model, name):
    model.save(tmp_path / "m")
    poison(tmp_path / "m", name, math.nan)
    for load in (Word2Vec.load, load_state):
        refused(lambda load=load: load(tmp_path / "m"), f"{name} holds NaN or infinity")
    loaded = Word2Vec.load(tmp_path / "m", allow_nonfinite=True)
    assert loaded.wv.index_to_key == model.wv.index_to_key


# ------------------------------------------------------------- duplicate words (native)


def test_duplicate_words_native(tmp_path, model):
    from w2v.io.archive_fields import encode_words

    for saved, load in ((model.wv, KeyedVectors.load), (model, Word2Vec.load)):
        path = tmp_path / type(saved).__name__
        saved.save(path)
        words = list(model.wv.index_to_key)
        words[1] = words[0]
        data, offsets = encode_words(words)
        np.save(path / "words_utf8.npy", data, allow_pickle=False)
        np.save(path / "word_offsets.npy", offsets, allow_pickle=False)
        manifest = json.loads((path / "meta.json").read_text())
        manifest["arrays"]["words_utf8"]["shape"] = [len(data)]
        (path / "meta.json").write_text(json.dumps(manifest))
        refused(lambda load=load, path=path: load(path),
                re.escape(str(path)) + ": the same word appears twice")


# ------------------------------------------------------------- members outside the model


@pytest.mark.parametrize("relative", [False, True])
@pytest.mark.parametrize("member", ["meta.json", "vectors.npy"])
def test_folder_symlinks_out_of_the_archive_are_refused(tmp_path, model, member, relative):
    folder = tmp_path / "kv"
    model.wv.save(folder)
    outside = tmp_path / f"secret-{member}"
    os.replace(folder / member, outside)
    os.symlink(os.path.join("..", outside.name) if relative else outside, folder / member)
    refused(lambda: KeyedVectors.load(folder), re.escape(str(folder / member))
            + f" is a symbolic link to '.*{re.escape(outside.name)}', out of the archive")
    # a link that stays inside the folder is harmless
    os.remove(folder / member)
    os.replace(outside, folder / "real-data")
    os.symlink("real-data", folder / member)
    assert KeyedVectors.load(folder).index_to_key == model.wv.index_to_key
    # and the folder itself may be reached through a link
    os.symlink(folder, tmp_path / "link", target_is_directory=True)
    assert KeyedVectors.load(tmp_path / "link").index_to_key == model.wv.index_to_key


def test_zip_symlink_members_are_refused(tmp_path, model):
    model.wv.save(tmp_path / "kv.zip")
    with zipfile.ZipFile(tmp_path / "kv.zip") as source, \
            zipfile.ZipFile(tmp_path / "evil.zip", "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "counts.npy":  # a symlink entry, as `zip --symlinks` makes
                info = zipfile.ZipInfo("counts.npy")
                info.external_attr = (0o120777 << 16)
                data = b"/etc/passwd"
            target.writestr(info, data)
    refused(lambda: KeyedVectors.load(tmp_path / "evil.zip"),
            "member 'counts.npy' is encrypted or a symbolic link")


@pytest.mark.parametrize("mmap", [None, "r"])
def test_truncated_zip_files(tmp_path, model, mmap):
    model.save(tmp_path / "m.zip")
    data = (tmp_path / "m.zip").read_bytes()
    for cut in sorted({1, 30, 100, len(data) // 3, len(data) // 2, len(data) - 22,
                       len(data) - 1}):
        path = tmp_path / f"cut{cut}.zip"
        path.write_bytes(data[:cut])
        refused(lambda path=path: Word2Vec.load(path, mmap=mmap), re.escape(str(path)))


# ------------------------------------------------------------- metadata of the wrong kind


def tamper(folder: Path, change) -> None:
    header = json.loads((folder / "meta.json").read_text())
    change(header)
    (folder / "meta.json").write_text(json.dumps(header, allow_nan=True))  # NaN/Infinity tokens


def retype(folder: Path, name: str, array: np.ndarray) -> None:
    np.save(folder / f"{name}.npy", array, allow_pickle=False)
    tamper(folder, lambda h: h["arrays"][name].update(dtype=array.dtype.str,
                                                      shape=list(array.shape)))


def meta(section: str, **values):
    return lambda folder: tamper(folder, lambda h: h["meta"][section].update(values))


def array(name: str, convert):
    return lambda folder: retype(folder, name, convert(np.load(folder / f"{name}.npy")))


def shape(name: str, value):
    return lambda folder: tamper(folder, lambda h: h["arrays"][name].update(shape=value))


BAD_METADATA = {  # case -> (change to a saved model folder, expected message)
    # NaN or infinity where an integer or a finite number is expected
    "epochs_trained NaN": (meta("state", epochs_trained=math.nan), "'epochs_trained' must be"),
    "min_count NaN": (meta("vocab", min_count=math.nan), "'min_count' must be"),
    "window Infinity": (meta("params", window=math.inf), "parameter window is inf"),
    "training_seconds NaN": (meta("state", training_seconds=math.nan),  # was accepted
                             "training_seconds must be a finite number, got nan"),
    "training_seconds inf": (meta("state", training_seconds=math.inf), "got inf"),
    "shape NaN": (shape("vectors", [math.nan, 4]), "invalid shape"),
    # wrong JSON types
    "training_seconds str": (meta("state", training_seconds="1"), "training_seconds must"),
    "sg float": (meta("params", sg=1.0), "parameter sg must be 0 or 1, got 1.0"),  # was accepted
    "hs str": (meta("params", hs="1"), "hs must be 0 or 1"),
    "vector_size float": (meta("params", vector_size=4.0), "vector_size must be an integer"),
    "loss list": (meta("params", loss=["softmax"]), "loss must be one of"),
    "vocab list": (lambda f: tamper(f, lambda h: h["meta"].update(vocab=[1])),
                   "metadata 'vocab' must be an object, got list"),
    "state str": (lambda f: tamper(f, lambda h: h["meta"].update(state="x")), "'state'"),
    "corpus_words bool": (meta("vocab", corpus_words=True), "'corpus_words' must be"),
    # nested junk
    "params nested junk": (meta("params", window={"a": [1, {"b": [None, [math.nan]]}]}),
                           "window must be an integer"),
    "vocab nested junk": (meta("vocab", min_count=[[[[]]]]), "'min_count' must be"),
    # huge numbers (accepted before, then OverflowError or a huge allocation when training)
    "window 10**30": (meta("params", window=10**30), "parameter window is 10{30}, over"),
    "workers 10**12": (meta("params", workers=10**12), "parameter workers is 10{12}, over"),
    "seed 10**300": (meta("params", seed=10**300), "parameter seed is 10{39}, over"),
    # each fits a C int, but the kernel's buffer sizes (2 * window * (negative + 1)) would
    # overflow: the model loaded, then crashed with a segfault in train()
    "window x negative": (meta("params", window=65536, negative=32767),
                          "window must be <= 10,000"),
    "window x vector_size": (meta("params", window=5000, vector_size=300_000),
                             "too large to train"),
    "corpus_words 10**30": (meta("vocab", corpus_words=10**30), "'corpus_words' must be"),
    "vocab_updates 2**63": (meta("state", vocab_updates=2**63), "'vocab_updates' must be"),
    "epochs_trained 10**4000": (meta("state", epochs_trained=int("1" + "0" * 4000)),
                                "'epochs_trained' must be <= 9,223,372,036,854,775,807, "
                                "got 1000000000"),  # the value is cut short in the message
    "shape 10**30": (shape("vectors", [10**30, 4]), "invalid shape"),
    "empty shape, huge": (shape("vectors", [0, 10**30]), "invalid shape"),  # was unnamed error
    "empty shape, 2**62": (shape("vectors", [0, 2**62]), "invalid shape"),
    # arrays of the wrong type
    "offsets float": (array("word_offsets", lambda a: a.astype(np.float64)),  # was TypeError
                      "word arrays are malformed"),
    "words int64": (array("words_utf8", lambda a: a.astype(np.int64)), "word arrays are malformed"),
    "counts uint64 >= 2**63": (array("counts", lambda a: a.astype(np.uint64) + np.uint64(2**63)),
                               "counts must be below 2\\*\\*63"),  # was wrapped to negative
    "examples float": (array("examples_history", lambda a: a + 0.5), "examples_history must be"),
    "loss int": (array("loss_history", lambda a: a.astype(np.int64)), "loss_history must be"),
    "vectors float16": (array("vectors", lambda a: a.astype(np.float16)), "vectors must be"),
}


@pytest.mark.parametrize("case", BAD_METADATA)
def test_metadata_of_the_wrong_kind(tmp_path, model, case):
    change, message = BAD_METADATA[case]
    folder = tmp_path / "m"
    model.save(folder)
    change(folder)
    _, peak, _ = refused(lambda: Word2Vec.load(folder), re.escape(str(folder)) + ".*" + message)
    assert peak < MEMORY_BOUND


def test_keyedvectors_metadata_of_the_wrong_kind(tmp_path, model):
    folder = tmp_path / "kv"
    model.wv.save(folder)
    retype(folder, "counts", np.load(folder / "counts.npy").astype(np.uint64) + np.uint64(2**63))
    refused(lambda: KeyedVectors.load(folder), "counts must be below")  # was silently negative
    model.wv.save(folder)
    tamper(folder, lambda h: h["arrays"]["vectors"].update(shape=[0, 2**62]))
    refused(lambda: KeyedVectors.load(folder, mmap="r"), "invalid shape")  # was OverflowError


def test_archive_shapes_promising_more_than_the_file(tmp_path):
    """An .npy whose header matches an absurd manifest: refused before any allocation."""
    header = io.BytesIO()
    np.lib.format.write_array_header_2_0(
        header, {"descr": "<f4", "fortran_order": False, "shape": (2**40, 2**20)})
    manifest = {"format": "w2v", "format_version": 1, "kind": "keyedvectors", "meta": {},
                "arrays": {"vectors": {"dtype": "<f4", "shape": [2**40, 2**20]}}}
    folder = tmp_path / "huge"
    folder.mkdir()
    (folder / "meta.json").write_text(json.dumps(manifest))
    (folder / "vectors.npy").write_bytes(header.getvalue())
    for path in (folder, zip_folder(folder, tmp_path / "huge.zip", zipfile.ZIP_DEFLATED)):
        for mmap in (None, "r"):
            _, peak, seconds = refused(lambda path=path, mmap=mmap: KeyedVectors.load(path, mmap),
                                       "is truncated")
            assert peak < MEMORY_BOUND and seconds < 2


@pytest.mark.parametrize("container", ["folder", "zip"])
def test_npy_header_length_is_bounded(tmp_path, model, container):
    """An .npy (version 2) claiming a 660 MB header in a 200-byte file: numpy reads the whole
    claimed header before checking its size; w2v refuses it first (found by atheris)."""
    folder = tmp_path / "m"
    model.save(folder)
    data = bytearray((folder / "syn1.npy").read_bytes())
    data[6:12] = b"\x02\x00v\x00{'"  # version 2.0, header length 0x277b0076
    (folder / "syn1.npy").write_bytes(bytes(data))
    path = zip_folder(folder, tmp_path / "m.zip") if container == "zip" else folder
    _, peak, _ = refused(lambda: Word2Vec.load(path), "syn1.npy: bad .npy header: .*header "
                         "length .* is over 10000 bytes")
    assert peak < MEMORY_BOUND  # was 662 MB


def test_zip_members_claiming_more_than_the_zip(tmp_path, model):
    model.save(tmp_path / "m.zip")
    data = bytearray((tmp_path / "m.zip").read_bytes())
    directory = data.rindex(b"PK\x01\x02")  # the last member's central directory entry
    data[directory + 20 : directory + 28] = struct.pack("<II", 2**31, 2**31)  # its sizes
    (tmp_path / "m.zip").write_bytes(bytes(data))
    _, peak, _ = refused(lambda: Word2Vec.load(tmp_path / "m.zip"), "impossible offset or size")
    assert peak < MEMORY_BOUND


# ------------------------------------------------------------- no code runs on load

FORBIDDEN = re.compile(r"pickle|\beval\s*\(|\bexec\s*\(|\b__import__\b|\bmarshal\b|\bshelve\b")


#: Modules whose error messages may name pickle files (to refuse them), and why.
NAMES_PICKLE = {
    "compat/gensim/gensim_files.py": "tells a gensim user their save() file is a pickle and "
                                      "how to convert it; it reads two bytes, never unpickles",
}


def _is_message(line: str) -> bool:
    """A line that is only string literal text (part of an error message)."""
    return bool(re.fullmatch(r'\s*f?"[^"]*"\)?', line))


def test_only_messages_may_name_pickle_in_the_allowed_modules():
    assert _is_message('    f"{path} is a pickle file (gensim\'s save() format), "')
    assert not _is_message("    data = pickle.load(handle)")
    assert not _is_message('    importlib.import_module("pickle")')
    for name in NAMES_PICKLE:
        code = code_without_docs((SRC / name).read_text(encoding="utf-8"))
        assert "pickle" in code  # the allowance is still needed
        assert not re.search(r"import\s+pickle|pickle\s*\.|Unpickler|loads\(", code)


def code_without_docs(source: str) -> str:
    """``source`` with its comments and docstrings blanked out (line numbers kept)."""
    docs = set()  # first lines of the docstrings
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                and isinstance(first.value.value, str):
            docs.add(first.value.lineno)
    lines = source.splitlines(keepends=True)
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT or (token.type == tokenize.STRING
                                              and token.start[0] in docs):
            (row, col), (end_row, end_col) = token.start, token.end
            for r in range(row, end_row + 1):
                a = col if r == row else 0
                b = end_col if r == end_row else len(lines[r - 1].rstrip("\r\n"))
                lines[r - 1] = lines[r - 1][:a] + " " * (b - a) + lines[r - 1][b:]
    return "".join(lines)


def test_no_code_execution_path_in_the_sources():
    """No pickle, eval or exec anywhere in w2v's Python code: only ``allow_pickle=False``, and
    comments or docstrings saying that pickle is not used."""
    files = sorted(SRC.rglob("*.py"))
    assert len(files) > 30
    found = []
    for file in files:
        code = code_without_docs(file.read_text(encoding="utf-8"))
        for number, line in enumerate(code.splitlines(), 1):
            line = line.replace("allow_pickle=False", "")
            if str(file.relative_to(SRC)) in NAMES_PICKLE and _is_message(line):
                line = line.replace("pickle", "")
            for hit in FORBIDDEN.finditer(line):
                found.append(f"{file.relative_to(SRC)}:{number}: {hit.group()!r} in "
                             f"{line.strip()!r}")
    assert not found, "\n".join(found)
    # and the scan does see code: a planted line is caught, a docstring is not
    planted = 'def f():\n    """Uses no pickle."""\n    # no eval( here\n    return eval("1")\n'
    assert FORBIDDEN.findall(code_without_docs(planted)) == ["eval("]
    assert FORBIDDEN.search(code_without_docs("x = np.load(f, allow_pickle=True)\n"))
