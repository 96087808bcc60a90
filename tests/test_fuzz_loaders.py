"""Property tests and fuzzing of every loader (word2vec text and binary, native zip and folder).

(a) Arbitrary vocabularies (any non-whitespace Unicode words) and float32 vectors (subnormals,
    -0.0, the largest floats; NaN and infinity with ``allow_nonfinite=True``) round-trip
    bit-exactly through the text, binary and native formats.
(b) Valid files, mutated (truncated, bytes overwritten, inserted or deleted, numbers replaced,
    JSON values swapped for junk) or random bytes, given to each loader: the only outcomes
    allowed are a consistent load or ``ValueError`` (``UnicodeDecodeError`` is one); anything
    else, a hang (SIGALRM) or a large allocation (tracemalloc) fails the test.

The runs are bounded (``max_examples``), derandomized and keep no example database, so CI sees
the same examples every time; the examples below (``@example``) are bugs this found, fixed.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import lzma
import math
import os
import re
import shutil
import signal
import tempfile
import threading
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import w2v
from w2v import KeyedVectors, Word2Vec
from w2v.io.word2vec_format import load_word2vec_format, save_word2vec_format

#: W2V_FUZZ_SCALE=50 runs 50 times the examples, with fresh random ones each run (a longer
#: local search; CI runs the fixed, derandomized examples).
SCALE = float(os.environ.get("W2V_FUZZ_SCALE", "1"))


def bounded(max_examples: int):
    return settings(max_examples=max(1, round(max_examples * SCALE)), deadline=None,
                    derandomize=SCALE == 1, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


#: Memory a load may take: the 16 MB read blocks and the small files' own data, never
#: anything that grows with what a (mutated) header promises.
MEMORY_BOUND = 48 * 2**20
SECONDS = 10  # per load: these files are tiny, so anything near this is a hang


class Hang(BaseException):  # not an Exception: no loader's except clause may swallow it
    pass


@contextlib.contextmanager
def time_limit(seconds: float):
    if not hasattr(signal, "setitimer") or threading.current_thread() != threading.main_thread():
        yield
        return

    def alarm(*_):
        raise Hang(f"a load took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def attempt(load, path: Path):
    """``load()``'s result, or None if it raised ValueError naming ``path``; any other
    exception, a hang or a large allocation fails the test."""
    tracemalloc.start()
    try:
        with time_limit(SECONDS):
            return load()
    except ValueError as error:  # includes UnicodeDecodeError
        assert str(path) in str(error), f"the error does not name the file: {error}"
        return None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < MEMORY_BOUND, f"a load allocated {peak} bytes"


_counter = itertools.count()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def fresh(workdir: Path, name: str) -> Path:
    """A new path each time: a memory map of an earlier example's file is never overwritten."""
    return workdir / f"{next(_counter)}-{name}"


def bits(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array, dtype=np.float32).view(np.uint32)


# ------------------------------------------------------------- (a) round trips

WORD = st.text(st.characters(blacklist_categories=("Cs",)).filter(lambda c: not c.isspace()),
               min_size=1, max_size=6)
FINITE = st.floats(width=32, allow_nan=False, allow_infinity=False) | st.sampled_from(
    [0.0, -0.0, 1e-45, -1e-45, 1.1754942e-38, 1.17549435e-38, 3.4028235e38, -3.4028235e38])
ANY_FLOAT = FINITE | st.floats(width=32) | st.sampled_from([math.nan, math.inf, -math.inf])


@st.composite
def vocabularies(draw, elements=FINITE, min_dims=0):
    words = draw(st.lists(WORD, unique=True, max_size=10))
    dims = draw(st.integers(min_dims, 5))
    vectors = draw(hnp.arrays(np.float32, (len(words), dims), elements=elements))
    return words, vectors


C_FORMATS = [("text", False, ""), ("binary", True, ""), ("text", False, ".gz"),
             ("binary", True, ".xz")]


@bounded(60)
@given(vocab=vocabularies(), fmt=st.sampled_from(C_FORMATS), counts=st.booleans())
@example(vocab=(["a\x00", "\U0010ffff", "é"], np.array([[1e-45], [-0.0], [3.4028235e38]],
                                                       np.float32)),
         fmt=("binary", True, ""), counts=False)
def test_c_formats_round_trip(workdir, vocab, fmt, counts):
    words, vectors = vocab
    _, binary, suffix = fmt
    path = fresh(workdir, "v" + suffix)
    fvocab = path.with_name(path.name + ".vocab") if counts else None
    numbers = np.arange(len(words), dtype=np.int64)[::-1] * 7 if counts else None
    save_word2vec_format(path, vectors, words, binary=binary, fvocab=fvocab, counts=numbers)
    loaded, got, got_counts = load_word2vec_format(path, binary=binary, fvocab=fvocab)
    assert got == words and loaded.shape == vectors.shape
    assert np.array_equal(bits(loaded), bits(vectors))
    assert (got_counts is None) == (not counts)
    if counts:
        assert got_counts.tolist() == numbers.tolist()
    kv = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert kv.index_to_key == words and np.array_equal(bits(kv.vectors), bits(vectors))


@bounded(40)
@given(vocab=vocabularies(), container=st.sampled_from(["zip", "folder"]),
       mmap=st.sampled_from([None, "r"]), counts=st.booleans())
@example(vocab=(["a", "b"], np.zeros((2, 0), np.float32)), container="zip", mmap=None,
         counts=False)  # saved fine but refused on load (0 dimensions) before the fix
def test_native_round_trip(workdir, vocab, container, mmap, counts):
    words, vectors = vocab
    numbers = np.arange(len(words), dtype=np.int64) * 3 if counts else None
    path = fresh(workdir, "kv.zip" if container == "zip" else "kv")
    KeyedVectors(vectors, words, numbers).save(path)
    loaded = KeyedVectors.load(path, mmap=mmap)
    assert loaded.index_to_key == words and loaded.vectors.shape == vectors.shape
    assert np.array_equal(bits(loaded.vectors), bits(vectors))
    assert (loaded.counts is None) == (not counts)
    if counts:
        assert loaded.counts.tolist() == numbers.tolist()


@bounded(40)
@given(vocab=vocabularies(ANY_FLOAT, min_dims=1),
       fmt=st.sampled_from(["text", "binary", "zip", "folder"]))
def test_nonfinite_values_need_the_option(workdir, vocab, fmt):
    words, vectors = vocab
    path = fresh(workdir, "kv.zip" if fmt == "zip" else fmt)
    kv = KeyedVectors(vectors, words)
    if fmt in ("text", "binary"):
        kv.save_word2vec_format(path, binary=fmt == "binary")

        def load(**option):
            return KeyedVectors.load_word2vec_format(path, binary=fmt == "binary", **option)
    else:
        kv.save(path)

        def load(**option):
            return KeyedVectors.load(path, **option)
    finite = np.isfinite(vectors)
    if finite.all():
        assert load().index_to_key == words
    else:
        with pytest.raises(ValueError, match="allow_nonfinite=True"):
            load()
    loaded = load(allow_nonfinite=True).vectors
    assert np.array_equal(bits(loaded)[finite], bits(vectors)[finite])
    assert np.array_equal(np.isnan(loaded), np.isnan(vectors))
    if fmt != "text":  # text keeps no NaN payload; binary and native keep every bit
        assert np.array_equal(bits(loaded), bits(vectors))
    else:
        assert np.array_equal(loaded[~np.isnan(loaded)], vectors[~np.isnan(vectors)])


# ------------------------------------------------------------- (b) mutated and random files

WORDS = ["</s>", "the", "café", "日本", "🙂", "x" * 30]


@functools.cache
def originals() -> dict[str, bytes]:
    """Valid files (their bytes) to mutate: C formats, zips, and the members of folders."""
    folder = Path(tempfile.mkdtemp(prefix="w2v-fuzz-"))
    try:
        rng = np.random.default_rng(0)
        vectors = rng.standard_normal((len(WORDS), 3)).astype(np.float32)
        kv = KeyedVectors(vectors, WORDS, counts=np.arange(6, 0, -1))
        files = {}
        for name, binary in (("v.txt", False), ("v.bin", True), ("v.txt.gz", False),
                             ("v.bin.xz", True)):
            kv.save_word2vec_format(folder / name, binary=binary)
            files[name] = (folder / name).read_bytes()
        corpus = [["a", "b", "c", "a", "b", "a", "d"]] * 10
        model = Word2Vec(corpus, vector_size=3, min_count=1, epochs=1, workers=1, hs=1,
                         progress=False).train()
        for name, item in (("kv", kv), ("model", model)):
            item.save(folder / f"{name}.zip")
            files[f"{name}.zip"] = (folder / f"{name}.zip").read_bytes()
            item.save(folder / name)
            for member in sorted((folder / name).iterdir()):
                files[f"{name}/{member.name}"] = member.read_bytes()
        return files
    finally:
        shutil.rmtree(folder)


NUMBERS = st.integers(-3, 2**70) | st.sampled_from(
    [0, 1, 2**31 - 1, 2**31, 2**32, 2**63 - 1, 2**63, 2**64, 10**30, 10**400])
OPS = ["truncate", "overwrite", "insert", "delete", "number", "repeat"]


@st.composite
def mutated(draw, data: bytes) -> bytes:
    """``data`` after one to three random edits."""
    data = bytearray(data)
    for _ in range(draw(st.integers(1, 3))):
        op, n = draw(st.sampled_from(OPS)), len(data)
        at = draw(st.integers(0, n))
        if op == "truncate":
            del data[at:]
        elif op == "overwrite" and n:
            span = draw(st.binary(min_size=1, max_size=8))
            data[min(at, n - 1) : min(at, n - 1) + len(span)] = span
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "number":  # a size in a header, a JSON value, an .npy shape
            runs = [m.span() for m in re.finditer(rb"\d+", data)]
            if runs:
                a, b = draw(st.sampled_from(runs))
                data[a:b] = str(draw(NUMBERS)).encode()
        elif op == "repeat":  # a row, a member, a word twice
            end = min(n, at + draw(st.integers(1, 80)))
            data[end:end] = data[at:end]
    return bytes(data)


JUNK = st.recursive(
    st.none() | st.booleans() | NUMBERS | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=3),
    max_leaves=6)


@st.composite
def json_mutated(draw, data: bytes) -> bytes:
    """meta.json with one value, anywhere in it, replaced by junk (or a key dropped)."""
    document = json.loads(data)
    places = []

    def walk(node):
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            places.append((node, key))
            if isinstance(value, (dict, list)):
                walk(value)

    walk(document)
    node, key = draw(st.sampled_from(places))
    if isinstance(node, dict) and draw(st.booleans()):
        del node[key]
    else:
        node[key] = draw(JUNK)
    return json.dumps(document, allow_nan=True).encode()


def consistent_vectors(kv: KeyedVectors) -> None:
    assert isinstance(kv, KeyedVectors) and kv.vectors.dtype == np.float32
    assert kv.vectors.shape == (len(kv.index_to_key), kv.vector_size)
    assert len(set(kv.index_to_key)) == len(kv.index_to_key)
    assert np.isfinite(kv.vectors).all()
    if len(kv) and kv.vector_size:
        kv.most_similar(kv.index_to_key[0], topn=2)


def consistent_model(model: Word2Vec) -> None:
    consistent_vectors(model.wv)
    n, dim = len(model.wv), model.params.vector_size
    assert model.wv.vector_size == dim and model.vocab.index_to_key == model.wv.index_to_key
    for layer, rows in ((model.syn1neg, n), (model.syn1, n - 1)):
        assert layer is None or (layer.shape == (rows, dim) and np.isfinite(layer).all())
    assert len(model.loss_history) == len(model.examples_history) == model.epochs_trained


C_FILES = st.sampled_from(["v.txt", "v.bin", "v.txt.gz", "v.bin.xz"])


@bounded(250)
@given(case=C_FILES.flatmap(lambda name: st.tuples(st.just(name), mutated(originals()[name]))),
       binary=st.booleans())
@example(case=("v.txt", b"1 1000000000000\na 1\n"), binary=False)  # was MemoryError
@example(case=("v.txt", b"1 1000000000\na 1\n"), binary=False)  # was a 4 GB allocation
@example(case=("v.txt", b"0 100000000000000000000000\n"), binary=True)  # unnamed numpy error
@example(case=("v.txt.gz", b"not gzip"), binary=False)  # was gzip.BadGzipFile (an OSError)
@example(case=("v.bin.xz", lzma.compress(b"1 1\na 1\n")[:-3]), binary=True)  # was EOFError
@example(case=("v.bin", b"1 1\na\nb \x00\x00\x80?"), binary=True)  # loaded as "ab"
def test_mutated_c_files(workdir, case, binary):
    name, data = case
    path = fresh(workdir, name)
    path.write_bytes(data)
    result = attempt(lambda: load_word2vec_format(path, binary=binary), path)
    if result is not None:
        vectors, words, _ = result
        assert vectors.dtype == np.float32 and vectors.shape[0] == len(words)
        assert len(set(words)) == len(words) and all(words) and np.isfinite(vectors).all()
        assert not any(re.search(r"[ \t\n\r\x0b\x0c]", w) for w in words)
        if data == originals()[name] and binary == (".bin" in name):
            assert words == WORDS
    kv = attempt(lambda: w2v.load_vectors(path), path)  # guesses the format, tries both
    if kv is not None:
        consistent_vectors(kv)


ZIPS = st.sampled_from(["kv.zip", "model.zip"])


def load_native_and_check(vectors_only: bool, path, mmap) -> None:
    """Load a native archive as vectors or as a model; what loads must be consistent."""
    if vectors_only:
        loaded = attempt(lambda: KeyedVectors.load(path, mmap=mmap), path)
        if loaded is not None:
            consistent_vectors(loaded)
    else:
        loaded = attempt(lambda: Word2Vec.load(path, mmap=mmap), path)
        if loaded is not None:
            consistent_model(loaded)


@bounded(150)
@given(case=ZIPS.flatmap(lambda name: st.tuples(st.just(name), mutated(originals()[name]))),
       mmap=st.sampled_from([None, "r", "c"]))
def test_mutated_zip_archives(workdir, case, mmap):
    name, data = case
    path = fresh(workdir, name)
    path.write_bytes(data)
    load_native_and_check(name == "kv.zip", path, mmap)
    kv = attempt(lambda: w2v.load_vectors(path), path)
    if kv is not None:
        consistent_vectors(kv)


def members(kind: str) -> list[str]:
    return sorted(name for name in originals() if name.startswith(kind + "/"))


@st.composite
def member_cases(draw):
    """(kind, member, its new bytes): meta.json (half the time) or an .npy, mutated."""
    kind = draw(st.sampled_from(["kv", "model"]))
    meta, arrays = f"{kind}/meta.json", [m for m in members(kind) if m.endswith(".npy")]
    member = meta if draw(st.booleans()) else draw(st.sampled_from(arrays))
    data = originals()[member]
    if member == meta and draw(st.integers(0, 2)):
        return kind, member, draw(json_mutated(data))
    return kind, member, draw(mutated(data))


@bounded(250)
@given(case=member_cases(), container=st.sampled_from(["folder", "stored", "deflated"]),
       mmap=st.sampled_from([None, "r"]))
@example(case=("model", "model/meta.json", originals()["model/meta.json"].replace(
    b'"sg": 0', b'"sg": 0.0')), container="folder", mmap=None)  # a float flag was accepted
@example(case=("model", "model/meta.json", originals()["model/meta.json"].replace(
    b'"training_seconds": ', b'"training_seconds": NaN, "x": ')), container="stored", mmap="r")
@example(case=("model", "model/meta.json", originals()["model/meta.json"].replace(
    b'"window": 5', b'"window": 65536').replace(b'"negative": 5', b'"negative": 32767')),
    container="folder", mmap=None)  # loaded, then training overflowed the kernel's buffers
@example(case=("model", "model/syn1.npy", b"\x93NUMPY\x02\x00v\x00{'descr': '<f4'}"),
         container="folder", mmap=None)  # a 660 MB header length: numpy allocated it (atheris)
def test_mutated_archive_members(workdir, case, container, mmap):
    """One member of a valid archive changed: in a folder, or zipped anew (valid CRCs, so
    the change reaches the checks of its contents, not the zip's)."""
    kind, member, data = case
    contents = {name.split("/", 1)[1]: data if name == member else originals()[name]
                for name in members(kind)}
    if container == "folder":
        path = fresh(workdir, kind)
        path.mkdir()
        for name, content in contents.items():
            (path / name).write_bytes(content)
    else:
        path = fresh(workdir, kind + ".zip")
        method = zipfile.ZIP_STORED if container == "stored" else zipfile.ZIP_DEFLATED
        with zipfile.ZipFile(path, "w", method) as archive:
            for name, content in contents.items():
                archive.writestr(name, content)
    load_native_and_check(kind == "kv", path, mmap)


@bounded(100)
@given(data=st.binary(max_size=300) | st.builds(lambda head, tail: head + tail, st.sampled_from(
    [b"2 3\n", b"1 1\n", b"PK\x03\x04", b"\x1f\x8b\x08", b'{"format": "w2v", ']),
    st.binary(max_size=300)))
def test_random_bytes_to_every_loader(workdir, data):
    for name, load in (
        ("r.txt", lambda p: load_word2vec_format(p)),
        ("r.bin", lambda p: load_word2vec_format(p, binary=True)),
        ("r.txt.gz", lambda p: load_word2vec_format(p)),
        ("r.zip", KeyedVectors.load),
        ("m.zip", Word2Vec.load),
    ):
        path = fresh(workdir, name)
        path.write_bytes(data)
        attempt(lambda load=load, path=path: load(path), path)
    folder = fresh(workdir, "folder")
    folder.mkdir()
    (folder / "meta.json").write_bytes(data)
    attempt(lambda: KeyedVectors.load(folder), folder)


# ------------------------------------------------------- (c) the campaign's harness
def _campaign():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "tools" / "fuzz_campaign.py"
    if not path.is_file():  # the tests copied beside an installed wheel (tools/check_dist.sh)
        pytest.skip("the campaign script lives in the source tree's tools/")
    spec = importlib.util.spec_from_file_location("fuzz_campaign", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_short_fuzz_campaign_over_every_target_finds_nothing(tmp_path):
    # the bounded version of tools/fuzz_campaign.py's campaign (10**6 inputs, under ASan)
    campaign = _campaign()
    out = tmp_path / "fuzz.json"
    status = campaign.main(["--inputs", "12", "--seed", "20", "--json", str(out),
                            "--findings", str(tmp_path / "found"), "--scratch", str(tmp_path)])
    result = json.loads(out.read_text())
    assert [t["target"] for t in result["targets"]] == campaign.TARGETS
    assert result["total_inputs"] == 12 * len(campaign.TARGETS)
    for target in result["targets"]:
        unexpected = {k: v for k, v in target["outcomes"].items()
                      if k != "ok" and not k.startswith("refused:")}
        assert not unexpected, (target["target"], unexpected, target["exceptions"])
    assert (status, result["crashes"], result["hangs"], result["allocations"]) == (0, 0, 0, 0)


def test_the_campaign_counts_crashes_hangs_allocations_and_exceptions(tmp_path):
    campaign = _campaign()
    out = tmp_path / "fuzz.json"
    inputs, seed = 20, 1  # a seed whose 20 inputs hold every kind
    status = campaign.main(["--targets", "_selftest", "--inputs", str(inputs), "--seed",
                            str(seed), "--timeout",
                            "1", "--json", str(out), "--findings", str(tmp_path / "found"),
                            "--scratch", str(tmp_path)])
    result = json.loads(out.read_text())
    made = [campaign.SelfTest(tmp_path).make(campaign.input_rng(seed, "_selftest", i))[1]
            for i in range(inputs)]
    kinds = {kind: made.count(kind) for kind in set(made)}
    assert all(kinds.get(kind) for kind in (b"crash", b"hang", b"alloc", b"key"))
    outcomes = result["targets"][0]["outcomes"]
    assert outcomes == {"ok": kinds[b"ok"], "refused:ValueError": kinds.get(b"value", 0),
                        "KeyError": kinds[b"key"], "crash": kinds[b"crash"],
                        "hang": kinds[b"hang"], "allocation": kinds[b"alloc"]}
    crashed = [c["index"] for c in result["targets"][0]["crashes"]]
    assert crashed == [i for i, kind in enumerate(made) if kind == b"crash"]
    assert all(c["status"] == -signal.SIGABRT for c in result["targets"][0]["crashes"])
    assert status == 1 and result["crashes"] == kinds[b"crash"]
    saved = sorted(p.name for p in (tmp_path / "found").glob("_selftest-*.bin"))
    assert len(saved) >= kinds[b"crash"] + kinds[b"hang"] + kinds[b"alloc"]
