"""word2vec_format: the C tool's and gensim's files, bit-exact round trips, every error."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import re
import shutil
import struct
import subprocess
import time

import numpy as np
import pytest

from w2v.io import word2vec_format as wf
from w2v.io.word2vec_format import load_word2vec_format as load
from w2v.io.word2vec_format import save_word2vec_format as save

TRICKY = np.array(
    [
        [0.1, -0.0, 1e-45, 3.4028235e38],
        [-3.4028235e38, 1.17549435e-38, 1.1754942e-38, 0.0],
        [1.0, -1.5, 123456789.0, 1e-5],
        [np.float32(2**-13), 0.000123449994, 1e16, -7.0],
    ],
    dtype=np.float32,
)
WORDS = ["</s>", "the", "café", "日本"]
COMPRESS = {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress}


def bits(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=np.float32).view(np.uint32)


def f32(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


def put(tmp_path, data: bytes, name: str = "v.w2v") -> str:
    path = tmp_path / name
    for suffix, compress in COMPRESS.items():
        if name.endswith(suffix):
            data = compress(data)
    path.write_bytes(data)
    return str(path)


def c_binary(words: list[bytes], vectors: np.ndarray) -> bytes:
    """What word2vec.c writes with -binary 1: word, space, floats, newline."""
    pack = [struct.pack(f"<{len(v)}f", *v) for v in vectors]
    rows = [w + b" " + v + b"\n" for w, v in zip(words, pack, strict=True)]
    return b"%d %d\n" % vectors.shape + b"".join(rows)


# --- what real tools write ------------------------------------------------------------------


def test_c_tool_text_with_trailing_spaces(tmp_path):
    data = (
        b"3 2\n</s> 0.004003 0.004419 \nthe -0.016250 0.012345 \n"
        b"caf\xc3\xa9 0.100000 -0.200000 \n"
    )
    vectors, words, counts = load(put(tmp_path, data))
    assert words == ["</s>", "the", "café"] and counts is None
    expected = [f32(0.004003, 0.004419), f32(-0.016250, 0.012345), f32(0.1, -0.2)]
    assert vectors.dtype == np.float32 and np.array_equal(bits(vectors), bits(expected))


def test_c_tool_binary_with_newlines(tmp_path):
    data = b"2 3\n</s> " + struct.pack("<3f", 0.5, -1, 2) + b"\nthe " + struct.pack("<3f", 3, 4, 5)
    vectors, words, _ = load(put(tmp_path, data + b"\n"), binary=True)
    assert words == ["</s>", "the"]
    assert vectors.tolist() == [[0.5, -1, 2], [3, 4, 5]]


def test_gensim_text_and_binary_bytes(tmp_path):
    # exactly what gensim 4.4 writes: repr of each float32, no trailing space; binary vectors
    # have no newline after them
    text = b"2 3\na 0.1 -0.0 1e-45\nb\xc3\xa9 3.4028235e+38 1.5 2.0\n"
    binary = b"2 3\na " + bits(f32(0.1, -0.0, 1e-45)).tobytes() + b"b\xc3\xa9 "
    binary += bits(f32(3.4028235e38, 1.5, 2.0)).tobytes()
    expected = np.array([[0.1, -0.0, 1e-45], [3.4028235e38, 1.5, 2.0]], np.float32)
    for data, binary_flag in ((text, False), (binary, True)):
        vectors, words, _ = load(put(tmp_path, data), binary=binary_flag)
        assert words == ["a", "bé"] and np.array_equal(bits(vectors), bits(expected))


def test_crlf_tabs_and_extra_spaces(tmp_path):
    data = b"2 2\r\nx\t1.5\t-2\r\ny  3   4 \r\n\r\n"
    vectors, words, _ = load(put(tmp_path, data))
    assert words == ["x", "y"] and vectors.tolist() == [[1.5, -2], [3, 4]]


def test_non_finite_values_load_as_is_when_allowed(tmp_path):
    with pytest.raises(ValueError, match="row 0, line 2 \\(word 'w'\\) holds nan"):
        load(put(tmp_path, b"1 4\nw nan inf -inf 1e39\n"))
    vectors, _, _ = load(put(tmp_path, b"1 4\nw nan inf -inf 1e39\n"), allow_nonfinite=True)
    assert np.isnan(vectors[0, 0]) and vectors[0, 1:].tolist() == [np.inf, -np.inf, np.inf]


# --- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz"])
@pytest.mark.parametrize("binary", [False, True])
def test_round_trip_is_bit_exact(tmp_path, suffix, binary):
    path = tmp_path / f"v.w2v{suffix}"
    save(path, TRICKY, WORDS, binary=binary)
    vectors, words, _ = load(path, binary=binary)
    assert words == WORDS and np.array_equal(bits(vectors), bits(TRICKY))
    if suffix:  # really compressed
        opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}[suffix]
        with opener(path, "rb") as handle:
            assert handle.read().startswith(b"4 4\n</s> ")


def test_random_bit_patterns_round_trip_in_text(tmp_path):
    rng = np.random.default_rng(5)
    patterns = rng.integers(0, 2**32, 20_000, dtype=np.uint64).astype(np.uint32)
    vectors = patterns.view(np.float32).reshape(-1, 50)
    words = [f"w{i}" for i in range(len(vectors))]
    save(tmp_path / "r.txt", vectors, words)
    loaded, _, _ = load(tmp_path / "r.txt", allow_nonfinite=True)
    finite = np.isfinite(vectors)
    assert np.array_equal(bits(loaded)[finite], bits(vectors)[finite])
    assert np.array_equal(np.isnan(loaded), np.isnan(vectors))  # nan is written as "nan"


def test_binary_keeps_nan_bits_and_text_writes_inf(tmp_path):
    special = f32(np.nan, np.inf, -np.inf).reshape(1, 3)
    save(tmp_path / "s.bin", special, ["x"], binary=True)
    loaded = load(tmp_path / "s.bin", binary=True, allow_nonfinite=True)[0]
    assert np.array_equal(bits(loaded), bits(special))
    save(tmp_path / "s.txt", special, ["x"])
    assert (tmp_path / "s.txt").read_bytes() == b"1 3\nx nan inf -inf\n"


def test_exact_bytes_written(tmp_path):
    save(tmp_path / "a.txt", np.eye(2), ["a", "b"])
    assert (tmp_path / "a.txt").read_bytes() == b"2 2\na 1 0\nb 0 1\n"
    vectors = f32(0.5, 2).reshape(1, 2)
    save(tmp_path / "a.bin", vectors, ["é"], binary=True)
    assert (tmp_path / "a.bin").read_bytes() == c_binary(["é".encode()], vectors)


def test_empty_and_zero_dimension_files(tmp_path):
    save(tmp_path / "e.txt", np.zeros((0, 3)), [])
    assert (tmp_path / "e.txt").read_bytes() == b"0 3\n"
    vectors, words, _ = load(tmp_path / "e.txt")
    assert vectors.shape == (0, 3) and words == []
    for binary in (False, True):
        save(tmp_path / "z", np.zeros((2, 0)), ["a", "b"], binary=binary)
        vectors, words, _ = load(tmp_path / "z", binary=binary)
        assert vectors.shape == (2, 0) and words == ["a", "b"]


def test_dtype_option(tmp_path):
    save(tmp_path / "d.bin", TRICKY, WORDS, binary=True)
    vectors, _, _ = load(tmp_path / "d.bin", binary=True, dtype=np.float64)
    assert vectors.dtype == np.float64 and np.array_equal(vectors, TRICKY.astype(np.float64))
    with pytest.raises(ValueError, match="floating"):
        load(tmp_path / "d.bin", binary=True, dtype=np.int32)


def test_blocks_of_a_larger_file(tmp_path, monkeypatch):
    monkeypatch.setattr(wf, "_BLOCK", 64)  # many blocks, rows split across them
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((300, 7)).astype(np.float32)
    words = [f"word{i}" * (i % 4 + 1) for i in range(300)]
    for name, binary in (("b.bin", True), ("t.txt", False), ("b.bin.gz", True), ("t.gz", False)):
        save(tmp_path / name, vectors, words, binary=binary)
        loaded, got, _ = load(tmp_path / name, binary=binary)
        assert got == words and np.array_equal(bits(loaded), bits(vectors))
        loaded, got, _ = load(tmp_path / name, binary=binary, limit=123)
        assert got == words[:123] and np.array_equal(bits(loaded), bits(vectors[:123]))


# --- other readers --------------------------------------------------------------------------

DISTANCE_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
  long long words, size, a, b;
  char word[2000];
  FILE *f = fopen(argv[1], "rb");
  if (f == NULL) return 1;
  if (fscanf(f, "%lld", &words) != 1 || fscanf(f, "%lld", &size) != 1) return 2;
  float *v = malloc(sizeof(float) * (size > 0 ? size : 1));
  printf("%lld %lld\n", words, size);
  for (b = 0; b < words; b++) {
    a = 0;
    while (1) {  /* as distance.c: read up to a space, skipping newlines */
      int c = fgetc(f);
      if (c == EOF || c == ' ') break;
      if (a < 1999 && c != '\n') word[a++] = (char)c;
    }
    word[a] = 0;
    if ((long long)fread(v, sizeof(float), size, f) != size) return 3;
    printf("%s", word);
    for (a = 0; a < size; a++) {
      unsigned int u;
      memcpy(&u, &v[a], 4);
      printf(" %08x", u);
    }
    printf("\n");
  }
  return 0;
}
"""


def test_c_reader_sees_our_binary_bit_for_bit(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler")
    (tmp_path / "read.c").write_text(DISTANCE_C)
    exe = tmp_path / "read"
    subprocess.run([cc, "-O1", "-o", str(exe), str(tmp_path / "read.c")], check=True)
    save(tmp_path / "v.bin", TRICKY, WORDS, binary=True)
    out = subprocess.run([str(exe), str(tmp_path / "v.bin")], capture_output=True, check=True)
    lines = out.stdout.decode("utf-8").splitlines()
    assert lines[0] == "4 4"
    for line, word, row in zip(lines[1:], WORDS, bits(TRICKY), strict=True):
        name, *hexes = line.split(" ")
        assert name == word and [int(h, 16) for h in hexes] == row.tolist()


def test_whitespace_splitting_reader_sees_our_text(tmp_path):
    save(tmp_path / "v.txt", TRICKY, WORDS)
    lines = (tmp_path / "v.txt").read_bytes().decode("utf-8").split("\n")
    assert lines[0].split() == ["4", "4"] and lines[-1] == "" and len(lines) == 6
    for line, word, row in zip(lines[1:-1], WORDS, TRICKY, strict=True):
        tokens = line.split()
        assert len(tokens) == 5 and tokens[0] == word and line == " ".join(tokens)
        assert np.array_equal(bits(f32(*map(float, tokens[1:]))), bits(row))


def test_gensim_interop(tmp_path):
    gensim_models = pytest.importorskip("gensim.models")
    kv_type = gensim_models.KeyedVectors
    for binary in (False, True):
        ours = tmp_path / f"ours{int(binary)}"
        save(ours, TRICKY, WORDS, binary=binary)
        kv = kv_type.load_word2vec_format(str(ours), binary=binary)
        assert kv.index_to_key == WORDS and np.array_equal(bits(kv.vectors), bits(TRICKY))
        theirs = tmp_path / f"theirs{int(binary)}"
        kv.save_word2vec_format(str(theirs), binary=binary)
        vectors, words, _ = load(theirs, binary=binary)
        assert words == WORDS and np.array_equal(bits(vectors), bits(TRICKY))


# --- options --------------------------------------------------------------------------------


def test_limit(tmp_path):
    save(tmp_path / "v.bin", TRICKY, WORDS, binary=True)
    vectors, words, _ = load(tmp_path / "v.bin", binary=True, limit=2)
    assert words == WORDS[:2] and np.array_equal(bits(vectors), bits(TRICKY[:2]))
    assert load(tmp_path / "v.bin", binary=True, limit=0)[0].shape == (0, 4)
    assert load(tmp_path / "v.bin", binary=True, limit=np.int64(10))[1] == WORDS
    # the header may promise more than limit
    path = put(tmp_path, b"9 2\na 1 2\nb 3 4\n")
    assert load(path, limit=2)[1] == ["a", "b"]
    with pytest.raises(ValueError, match="ends after 2 of the 9 rows"):
        load(path)
    for bad in (-1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="limit must be"):
            load(path, limit=bad)


def test_fvocab_round_trip(tmp_path):
    counts = np.array([10, 7, 7, 1])
    save(tmp_path / "v.txt", TRICKY, WORDS, fvocab=tmp_path / "vocab.txt", counts=counts)
    assert (tmp_path / "vocab.txt").read_bytes() == "</s> 10\nthe 7\ncafé 7\n日本 1\n".encode()
    vectors, words, got = load(tmp_path / "v.txt", fvocab=tmp_path / "vocab.txt")
    assert words == WORDS and got.dtype == np.int64 and got.tolist() == counts.tolist()
    save(tmp_path / "v.bin", TRICKY, WORDS, True, tmp_path / "vocab.gz", counts)
    assert load(tmp_path / "v.bin", True, fvocab=tmp_path / "vocab.gz")[2].tolist() == [10, 7, 7, 1]


def test_fvocab_errors(tmp_path):
    save(tmp_path / "v.txt", TRICKY, WORDS)
    (tmp_path / "short").write_bytes(b"</s> 3\nthe 2\ncaf\xc3\xa9 1\n")
    with pytest.raises(ValueError, match="no count for word '日本' \\(row 3\\)"):
        load(tmp_path / "v.txt", fvocab=tmp_path / "short")
    (tmp_path / "bad").write_bytes(b"</s> 3\nthe x\n")
    with pytest.raises(ValueError, match="line 2: expected 'word count'"):
        load(tmp_path / "v.txt", fvocab=tmp_path / "bad")
    with pytest.raises(ValueError, match="needs counts"):
        save(tmp_path / "w.txt", TRICKY, WORDS, fvocab=tmp_path / "vocab")
    with pytest.raises(ValueError, match="counts must be 4 integers"):
        save(tmp_path / "w.txt", TRICKY, WORDS, fvocab=tmp_path / "vocab", counts=[1, 2])
    assert not (tmp_path / "w.txt").exists()


def test_unicode_errors(tmp_path):
    pack = struct.pack("<2f", 1, 2)
    binary = put(tmp_path, b"2 2\nok " + pack + b"\ncaf\xc3 " + pack + b"\n", "u.bin")
    text = put(tmp_path, b"2 2\nok 1 2\ncaf\xc3 3 4\n", "u.txt")
    message = "row 1 \\(byte offset 16\\): word b'caf\\\\xc3' is not valid UTF-8"
    with pytest.raises(ValueError, match=re.escape(binary) + ": " + message):
        load(binary, binary=True)
    with pytest.raises(ValueError, match=re.escape(text) + ": row 1 \\(line 3, byte offset 11\\)"):
        load(text)
    for path, binary_flag in ((binary, True), (text, False)):
        assert load(path, binary_flag, unicode_errors="replace")[1] == ["ok", "caf\ufffd"]
        assert load(path, binary_flag, unicode_errors="ignore")[1] == ["ok", "caf"]
    with pytest.raises(ValueError, match="unicode_errors"):
        load(text, unicode_errors="nonsense")


# --- validation on read ---------------------------------------------------------------------


@pytest.mark.parametrize("header", [b"", b"3\n", b"a b\n", b"-1 2\n", b"3 2 1\n", b"1.0 2\n"])
def test_bad_header(tmp_path, header):
    path = put(tmp_path, header + b"a 1 2\n")
    with pytest.raises(ValueError, match=re.escape(path) + ": line 1 must be '<words> <dim"):
        load(path)


def test_text_errors(tmp_path):
    cases = [
        (b"2 2\na 1 2\nb 3\n", "line 3: expected 2 values after the word, found 1"),
        (b"2 2\na 1 2\nb 3 4 5\n", "line 3: expected 2 values after the word, found 3"),
        (b"2 2\na 1 x\nb 3 4\n", "line 2: value 2 b'x' is not a number"),
        (b"2 2\na 1 2x\nb 3 4\n", "line 2: value 2 b'2x' is not a number"),
        (b"2 2\na 1 2\n\nb 3 4\n", "line 3: empty line"),
        (b"3 2\na 1 2\nb 3 4\n", "the file ends after 2 of the 3 rows the header promises"),
        (b"1 2\na 1 2\nb 3 4\n", "data after the 1 rows the header promises, at byte offset 10"),
        (b"2 2\na 1 2\na 3 4\n", "word 'a' is on rows 0 and 1"),
    ]
    for data, message in cases:
        for name in ("t.txt", "t.txt.gz"):
            path = put(tmp_path, data, name)
            with pytest.raises(ValueError, match=re.escape(f"{path}: {message}")):
                load(path)


def test_binary_errors(tmp_path):
    row = struct.pack("<2f", 1, 2)
    cases = [
        (b"2 2\na " + row + b"\nb " + row[:5], "truncated"),
        (b"2 2\na " + row + b"\nbb " + row[:7], "truncated"),
        (b"3 2\na " + row + b"b " + row + b"c " + row[:6], "truncated"),
        (b"1 2\na " + row + b"\nb " + row, "data after the 1 rows the header promises"),
        (b"2 2\na " + row + b"\na " + row, "word 'a' is on rows 0 and 1"),
        (b"2 2\na " + row + b"\n  " + row, "row 1 \\(byte offset 15\\): empty word"),
    ]
    for data, message in cases:
        for name in ("b.bin", "b.bin.bz2"):
            path = put(tmp_path, data, name)
            with pytest.raises(ValueError, match=re.escape(path) + ": " + message):
                load(path, binary=True)
    # fewer rows than promised, checked on the compressed stream (no size to compare with)
    path = put(tmp_path, b"5 2\na " + row + b"\nb " + row + b"\n" + b"\n" * 40, "few.bin.gz")
    with pytest.raises(ValueError, match="ends after 2 of the 5 rows"):
        load(path, binary=True)


def test_trailing_whitespace_is_fine(tmp_path):
    row = struct.pack("<2f", 1, 2)
    assert load(put(tmp_path, b"1 2\na " + row + b"\n\n \n"), binary=True)[1] == ["a"]
    assert load(put(tmp_path, b"1 2\na 1 2\n\n\t\n", "t.txt"))[1] == ["a"]


@pytest.mark.parametrize("name", ["huge.bin", "huge.txt", "huge.bin.gz", "huge.txt.xz"])
def test_absurd_header_fails_fast(tmp_path, name):
    binary = ".bin" in name
    body = b"a " + struct.pack("<2f", 1, 2) if binary else b"a 1 2\n"
    path = put(tmp_path, b"1000000000 1000000000\n" + body, name)
    start = time.perf_counter()
    with pytest.raises(ValueError, match="truncated|expected 1000000000 values"):
        load(path, binary=binary)
    path = put(tmp_path, b"1000000000 2\n" + body, name)
    with pytest.raises(ValueError, match="truncated|ends after 1 of the 1000000000"):
        load(path, binary=binary)
    assert time.perf_counter() - start < 2


# --- validation on write, atomicity ---------------------------------------------------------


@pytest.mark.parametrize("word", ["a b", "a\tb", "a\nb", "a\rb", "", "a\u00a0b", " a"])
def test_words_that_would_corrupt_the_file_are_rejected(tmp_path, word):
    words = ["ok", word, "fine"]
    with pytest.raises(ValueError, match=re.escape(f"word {word!r} at row 1 is empty or contains")):
        save(tmp_path / "v.txt", np.zeros((3, 2)), words)


def test_bad_vectors_and_words_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="2-D"):
        save(tmp_path / "v", np.zeros(3), ["a", "b", "c"])
    with pytest.raises(ValueError, match="3 rows but index_to_key has 2 words"):
        save(tmp_path / "v", np.zeros((3, 2)), ["a", "b"])
    with pytest.raises(TypeError, match="row 1 is int"):
        save(tmp_path / "v", np.zeros((2, 2)), ["a", 5])
    with pytest.raises(ValueError, match="row 0 cannot be UTF-8 encoded"):
        save(tmp_path / "v", np.zeros((1, 2)), ["\ud800"])
    assert os.listdir(tmp_path) == []


def test_failed_save_leaves_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "v.bin"
    save(path, TRICKY, WORDS, binary=True)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="'bad word' at row 2"):
        save(path, np.ones((4, 4)), ["a", "b", "bad word", "c"], binary=True)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["v.bin"]
    # a failure after part of the data is written: blocks of 2 rows, the second one fails
    monkeypatch.setattr(wf, "_BLOCK", 64)
    calls = []
    original = wf._binary_block

    def failing(words, block):
        calls.append(len(words))
        if len(calls) == 2:
            raise OSError("disk full")
        return original(words, block)

    monkeypatch.setattr(wf, "_binary_block", failing)
    for name in ("v.bin", "v.bin.gz"):
        calls.clear()
        with pytest.raises(OSError, match="disk full"):
            save(tmp_path / name, np.ones((4, 4)), ["a", "b", "c", "d"], binary=True)
        assert calls == [2, 2]
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["v.bin"]
