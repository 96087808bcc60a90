"""The compiled scanner (w2v._scan) against the Python path it must reproduce exactly.

For a :class:`PathCorpus`, ``count_words`` and ``encode_corpus`` use the scanner; the
reference is the same function fed the corpus's sentences through a generator, which
takes the pure-Python path (iterating ``PathCorpus``).
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import pathlib
import random
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pytest

from w2v import _scan
from w2v.data.corpus import PathCorpus
from w2v.data.encoding import _encode_path_corpus, count_and_encode, encode_corpus
from w2v.data.vocab import Vocabulary, _count_path_corpus, count_words

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is optional
    given = None

# What str.split() splits on, besides "\n" (checked against Python below).
WHITESPACE = (
    "\t\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
)
# Characters whose UTF-8 form starts like a multi-byte whitespace character's.
NEIGHBOURS = "".join(
    chr(c)
    for lo, hi in ((0x80, 0xC0), (0x1680, 0x16C0), (0x2000, 0x2080), (0x3000, 0x3040))
    for c in range(lo, hi)
)
WORD_CHARS = (  # no NUL: it is refused (test_bad_corpora.py)
    "abcdefghij" + "XYZ019.,'-" + "éßçñ" + "日本語中文" + "😀🎉" + "\ufeff\x01\x7f\x1b\x0e"
    + "".join(c for c in NEIGHBOURS if not c.isspace())
)
BAD_UTF8 = [
    b"\xff",  # invalid start byte
    b"\x80",  # lone continuation byte
    b"\xc0\xaf",  # overlong
    b"\xe2\x28\xa1",  # invalid continuation byte
    b"\xe2\x80",  # truncated (followed by whitespace or the end of the file)
    b"\xed\xa0\x80",  # surrogate
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\xc2",  # a whitespace lead byte on its own
    b"\xe3\x80",  # half of U+3000
]


# --- helpers ----------------------------------------------------------------------------


def write(path: pathlib.Path, data: str | bytes) -> pathlib.Path:
    """Write ``data`` (str as UTF-8) to ``path``, compressed according to its suffix."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    opener: Callable[..., Any] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(
        path.suffix, open
    )
    with opener(path, "wb") as fh:
        fh.write(raw)
    return path


def python_path(corpus: PathCorpus) -> Iterable[list[str]]:
    """The corpus's sentences as a one-shot generator: never the fast path."""
    return (sentence for sentence in corpus)


def assert_same_counts(corpus: PathCorpus, max_vocab_size: int | None = None) -> None:
    expected = count_words(python_path(corpus), max_vocab_size)
    fast = _count_path_corpus(corpus, max_vocab_size)
    assert fast is not None
    assert isinstance(fast[0], Counter)
    assert fast[0] == expected[0]
    assert list(fast[0].items()) == list(expected[0].items())  # same insertion order
    assert fast[1:] == expected[1:]


def assert_same_encoding(corpus: PathCorpus, key_to_index: dict[str, int]) -> None:
    expected = encode_corpus(python_path(corpus), key_to_index)
    fast = _encode_path_corpus(corpus, key_to_index)
    assert fast is not None
    assert fast.ids.dtype == np.int32 and fast.offsets.dtype == np.int64
    np.testing.assert_array_equal(fast.ids, expected.ids)
    np.testing.assert_array_equal(fast.offsets, expected.offsets)
    assert fast.corpus_words == expected.corpus_words


def assert_same_record(corpus: PathCorpus) -> None:
    """The encoding kept by the counting scan is the vocabulary's, and the encoding a
    second scan of the same corpus would give."""
    vocab, record = count_and_encode(corpus, min_count=2)
    assert vocab.index_to_key == Vocabulary.build(python_path(corpus), 2).index_to_key
    assert record is not None and record.matches(corpus)
    expected = encode_corpus(python_path(corpus), vocab.key_to_index)
    assert record.encoded.ids.dtype == np.int32 and record.encoded.offsets.dtype == np.int64
    np.testing.assert_array_equal(record.encoded.ids, expected.ids)
    np.testing.assert_array_equal(record.encoded.offsets, expected.offsets)
    assert record.encoded.corpus_words == expected.corpus_words


def vocabulary(corpus: PathCorpus) -> dict[str, int]:
    """A vocabulary leaving some words out (min_count=2), so that some tokens are OOV."""
    counts, _, _ = count_words(python_path(corpus))
    return Vocabulary(counts, min_count=2).key_to_index


def assert_same(path: pathlib.Path, block_sizes: Iterable[int] = (1, 3, 64, 1 << 20),
                max_lens: Iterable[int] = (3, 10_000)) -> None:
    """Counts and encodings equal for every block size and sentence length."""
    for max_len in max_lens:
        key_to_index = vocabulary(PathCorpus(path, max_len))
        for block_size in block_sizes:
            corpus = PathCorpus(path, max_len, block_size=block_size)
            assert_same_counts(corpus)
            assert_same_encoding(corpus, key_to_index)
            assert_same_record(corpus)


def random_text(seed: int, lines: int = 60) -> str:
    """Lines of words separated by runs of any whitespace; blank and odd lines too."""
    rng = random.Random(seed)
    words = ["".join(rng.choices(WORD_CHARS, k=rng.randint(1, 12))) for _ in range(40)]
    out = []
    for _ in range(lines):
        kind = rng.random()
        if kind < 0.1:
            line = ""
        elif kind < 0.2:
            line = "".join(rng.choices(WHITESPACE, k=rng.randint(1, 4)))
        else:
            parts = []
            for _ in range(rng.randint(1, 15)):
                parts.append(rng.choice(words))
                parts.append("".join(rng.choices(" " * 8 + WHITESPACE, k=rng.randint(1, 3))))
            line = "".join(parts[: -1 if rng.random() < 0.5 else None])
        out.append(line + rng.choice(["\n", "\n", "\r\n", "\r", "\x0b", "\x1c"]))
    return "".join(out)


# --- the tokenizer ------------------------------------------------------------------------


def test_whitespace_table_matches_python():
    found = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace())
    assert found.replace("\n", "") == WHITESPACE
    assert all(("a" + c + "b").split() == ["a", "b"] for c in found)


def test_every_character_near_whitespace(tmp_path):
    chars = [chr(c) for c in range(1, 128) if c != 10] + list(NEIGHBOURS)  # NUL: refused
    path = write(tmp_path / "c.txt", "".join(f"a{c}b {c}{c}x{c}\n" for c in chars))
    assert_same(path, block_sizes=(1, 2, 1 << 20), max_lens=(10_000,))


@pytest.mark.parametrize("seed", range(4))
def test_random_files(tmp_path, seed):
    path = write(tmp_path / "c.txt", random_text(seed))
    assert_same(path)


def test_crlf_lone_cr_and_other_line_ends(tmp_path):
    text = "a b\r\nc\rd e\x0bf\x0cg\x1ch\x1di\x1ej\x1fk\x85l\u2028m\u2029n\r\n\r\n  \n"
    path = write(tmp_path / "c.txt", text)
    assert_same(path)
    assert count_words(PathCorpus(path))[2] == 2  # only "\n" ends a line


def test_empty_and_blank_files(tmp_path):
    for name, text in [("empty", ""), ("blank", "\n\n  \n\t\r\n\u3000\n"), ("one", "x")]:
        assert_same(write(tmp_path / name, text))
    assert count_words(PathCorpus(tmp_path / "empty")) == (Counter(), 0, 0)
    encoded = encode_corpus(PathCorpus(tmp_path / "empty"), {"x": 0})
    assert encoded.ids.dtype == np.int32 and encoded.offsets.tolist() == [0]


def test_no_trailing_newline_and_bom(tmp_path):
    assert_same(write(tmp_path / "c.txt", "\ufeffhead tail\nlast line no newline"))


def test_huge_max_sentence_length(tmp_path):
    path = write(tmp_path / "c.txt", "a b c\nd\n")
    assert_same(path, block_sizes=(1 << 20,), max_lens=(1 << 70,))


def test_long_line_is_chunked(tmp_path):
    tokens = [f"w{i % 997}" for i in range(25_000)]
    text = " ".join(tokens) + "\nshort line\n" + " ".join(tokens[:20_000])
    path = write(tmp_path / "c.txt", text)
    corpus = PathCorpus(path)
    assert_same_counts(corpus)
    assert_same_encoding(corpus, vocabulary(corpus))
    assert count_words(corpus)[2] == 3 + 1 + 2  # 10k, 10k, 5k; 2; 10k, 10k and no empty tail


def test_tokens_spanning_blocks(tmp_path):
    long_word = "αβγδεζηθ" * 40 + "end"
    text = f"{long_word} x{long_word}\u3000{long_word}\u2003y\n" * 3 + long_word
    path = write(tmp_path / "c.txt", text)
    assert_same(path, block_sizes=(1, 2, 5, 7, 100, 333))


def test_directory_of_files(tmp_path):
    write(tmp_path / "b.txt", "second file\nno newline at end")
    write(tmp_path / "a.txt", random_text(7, lines=20))
    write(tmp_path / "c.gz", "gz words\n" + random_text(8, lines=10))
    write(tmp_path / "d.bz2", random_text(9, lines=10) + "bz2 tail")
    write(tmp_path / "e.xz", "xz\u2003words")
    write(tmp_path / ".hidden", "never read")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "f.txt", "never read")
    assert_same(tmp_path)
    counts, _, _ = count_words(PathCorpus(tmp_path))
    assert "never" not in counts and counts["end"] == 1 and counts["tail"] >= 1


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed_files(tmp_path, suffix):
    assert_same(write(tmp_path / f"c{suffix}", random_text(3)), block_sizes=(2, 1 << 20))


@pytest.mark.parametrize("max_vocab_size", [0, 1, 7, 60, 10_000])
def test_max_vocab_size_pruning(tmp_path, max_vocab_size):
    rng = random.Random(5)
    words = [f"w{int(rng.paretovariate(0.8))}" for _ in range(4000)]
    lines = [" ".join(words[i : i + rng.randint(1, 9)]) for i in range(0, 4000, 9)]
    path = write(tmp_path / "c.txt", "\n".join(lines))
    for max_len in (4, 10_000):
        for block_size in (5, 1 << 20):
            corpus = PathCorpus(path, max_len, block_size=block_size)
            assert_same_counts(corpus, max_vocab_size)


# --- decoding errors ----------------------------------------------------------------------


def decode_error(run: Callable[[], Any]) -> str:
    with pytest.raises(ValueError, match="cannot decode") as info:
        run()
    return str(info.value)


@pytest.mark.parametrize("bad", BAD_UTF8)
@pytest.mark.parametrize("block_size", [1, 3, 1 << 20])
def test_invalid_utf8_raises_the_same_error(tmp_path, bad, block_size):
    good = "first line\nsecond ü line\n".encode()
    for name, data in [
        ("mid.txt", good + b"x y" + bad + b"z w\nafter\n"),
        ("token.txt", good + b"word " + bad + b" word\n"),
        ("end.txt", good + b"tail" + bad),
        ("start.txt", bad + b" then\n"),
        ("spaced.txt", good + b"a" + bad + b"\n"),
    ]:
        corpus = PathCorpus(write(tmp_path / name, data), block_size=block_size)
        expected = decode_error(lambda c=corpus: list(c))
        assert name in expected and "line" in expected
        assert decode_error(lambda c=corpus: count_words(c)) == expected
        assert decode_error(lambda c=corpus: encode_corpus(c, {"word": 0, "x": 1})) == expected


def test_invalid_utf8_in_a_later_compressed_file(tmp_path):
    write(tmp_path / "a.txt", "all good here\n")
    write(tmp_path / "b.gz", b"fine\nstill fine\nbad \xe9t\xe9\n")
    corpus = PathCorpus(tmp_path, block_size=4)
    expected = decode_error(lambda: list(corpus))
    assert "b.gz" in expected and "line 3" in expected
    assert decode_error(lambda: count_words(corpus, max_vocab_size=2)) == expected
    assert decode_error(lambda: encode_corpus(corpus, {"fine": 0})) == expected


# --- what falls back to the Python path -------------------------------------------------


class OwnCorpus(PathCorpus):
    """A subclass may change iteration, so it is iterated."""


def test_unsupported_corpora_and_arguments_fall_back(tmp_path):
    path = write(tmp_path / "c.txt", "caf\xe9 au lait\nau\n".encode("latin-1"))
    for corpus in [
        PathCorpus(path, encoding="latin-1"),
        PathCorpus(path, encoding_errors="replace"),
        PathCorpus(path, encoding="utf-8-sig"),
        OwnCorpus(path),
    ]:
        assert _count_path_corpus(corpus, None) is None
        assert _encode_path_corpus(corpus, {"au": 0}) is None
    latin = PathCorpus(path, encoding="latin-1")
    assert count_words(latin)[0] == Counter({"café": 1, "au": 2, "lait": 1})
    utf8 = PathCorpus(write(tmp_path / "u.txt", "a b a\n"))
    assert _count_path_corpus(utf8, 2.5) is None  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="max_vocab_size must be an integer or None, got 2.5"):
        count_words(utf8, 2.5)  # type: ignore[arg-type]  # the public function refuses it
    assert _encode_path_corpus(utf8, {"a": np.int64(0)}) is None  # type: ignore[dict-item]
    assert _encode_path_corpus(utf8, {"a": 1 << 31}) is None
    assert _encode_path_corpus([["a"]], {"a": 0}) is None  # type: ignore[arg-type]


def test_odd_vocabulary_keys(tmp_path):
    corpus = PathCorpus(write(tmp_path / "c.txt", "a b\nd c\n\n"))
    key_to_index = {"": 5, "\udcff": 6, "a b": 7, "d": -3, "c": 2**31 - 1, "a": True}
    assert_same_encoding(corpus, key_to_index)


def test_public_functions_take_the_fast_path(tmp_path, monkeypatch):
    path = write(tmp_path / "c.txt", "a b a\nc\n")
    corpus = PathCorpus(path)
    expected_counts = count_words(python_path(corpus))
    expected_ids = encode_corpus(python_path(corpus), {"a": 0, "c": 1}).ids.tolist()

    def no_iteration(self: PathCorpus) -> Any:
        raise AssertionError("iterated")

    monkeypatch.setattr(PathCorpus, "__iter__", no_iteration)
    assert count_words(corpus) == expected_counts
    assert Vocabulary.build(corpus, min_count=1).index_to_key == ["a", "b", "c"]
    assert encode_corpus(corpus, {"a": 0, "c": 1}).ids.tolist() == expected_ids


# --- the scanner protocol ------------------------------------------------------------------


def test_scanner_protocol_checks():
    with pytest.raises(TypeError):
        _scan.Scanner()
    with pytest.raises(ValueError):
        _scan.CountScanner(0)
    scanner = _scan.CountScanner(10)
    with pytest.raises(ValueError):
        scanner.window(0)
    scanner.window(4)[:] = b"ab c"
    with pytest.raises(ValueError):
        scanner.process(1 << 20)
    assert scanner.process(4) == 0 and scanner.finish() == 0
    assert scanner.counts() == {"ab": 1, "c": 1} and scanner.sentences == 1
    with pytest.raises(_scan.Unsupported):
        _scan.EncodeScanner(10, {b"a": 0})


def test_a_counting_record_is_given_once_and_only_when_kept():
    scanner = _scan.CountScanner(10, record_limit=100)
    scanner.window(8)[:7] = b"a b\nc a"
    assert scanner.process(7) == 0 and scanner.finish() == 0 and scanner.recorded
    with pytest.raises(TypeError, match="must be str"):
        scanner.encoded({b"a": 0})
    with pytest.raises(ValueError, match="word id -1"):
        scanner.encoded({"a": -1})
    ids, offsets = scanner.encoded({"a": 5, "c": 7, "zz": 1})
    assert ids.tolist() == [5, 7, 5] and offsets.tolist() == [0, 1, 3]
    assert not scanner.recorded
    with pytest.raises(RuntimeError, match="no record"):
        scanner.encoded({"a": 0})
    assert scanner.counts() == {"a": 2, "b": 1, "c": 1}  # the counts stay
    bounded = _scan.CountScanner(10, max_vocab_size=5, record_limit=100)  # pruning: none
    assert not bounded.recorded
    with pytest.raises(RuntimeError, match="no record"):
        bounded.encoded({})


def test_a_record_past_its_limit_is_dropped_not_cut(tmp_path, monkeypatch):
    import w2v.data.encoding as encoding

    path = write(tmp_path / "c.txt", "a b c d\n" * 50)  # 200 tokens
    scanner = _scan.CountScanner(10, record_limit=150)
    assert PathCorpus(path, block_size=16).feed_scanner(scanner)
    assert not scanner.recorded and scanner.counts()["a"] == 50  # counted in full
    monkeypatch.setattr(encoding, "SPILL_WORDS", 150)
    vocab, record = count_and_encode(PathCorpus(path, block_size=16), min_count=1)
    assert record is None and vocab.corpus_words == 200
    monkeypatch.setattr(encoding, "SPILL_WORDS", 1 << 27)
    assert count_and_encode(PathCorpus(path), min_count=1)[1] is not None


def test_a_record_is_only_for_the_same_unchanged_files_read_the_same_way(tmp_path):
    path = write(tmp_path / "c.txt", "a b a\n")
    _, record = count_and_encode(PathCorpus(path), min_count=1)
    assert record is not None and record.matches(PathCorpus(str(path)))
    assert not record.matches(PathCorpus(path, max_sentence_length=2))
    assert not record.matches(PathCorpus(path, max_token_length=3))
    assert not record.matches([["a", "b", "a"]])
    assert count_and_encode(PathCorpus(path), max_vocab_size=10)[1] is None  # pruning
    assert count_and_encode([["a", "b"]], min_count=1)[1] is None  # not a path corpus
    feed = PathCorpus.feed_scanner

    def feed_then_append(self, scanner, after_block=None):
        done = feed(self, scanner, after_block)
        with path.open("a", encoding="utf-8") as fh:
            fh.write("b\n")  # written to while it was read: no record of it
        return done

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(PathCorpus, "feed_scanner", feed_then_append)
        assert count_and_encode(PathCorpus(path), min_count=1)[1] is None
    corpus = PathCorpus(path)
    write(path, "a b a b\n")  # changed: another size
    assert not record.matches(corpus)
    path.unlink()
    assert not record.matches(corpus)  # gone: the caller's own scan reports it


# --- random files from hypothesis ---------------------------------------------------------

if given is not None:
    PIECES = st.sampled_from(list(WHITESPACE + "\n" + WORD_CHARS[:30]) + ["\u3000x", "ab"])

    @settings(max_examples=60, deadline=None, database=None)
    @given(st.lists(PIECES, max_size=80).map("".join), st.integers(1, 9), st.integers(1, 4),
           st.integers(0, 3))
    def test_hypothesis_texts(text, block_size, max_len, max_vocab_size):
        with tempfile.TemporaryDirectory() as tmp:
            path = write(pathlib.Path(tmp) / "c.txt", text)
            corpus = PathCorpus(path, max_len, block_size=block_size)
            assert_same_counts(corpus)
            assert_same_counts(corpus, max_vocab_size)
            assert_same_encoding(corpus, vocabulary(corpus))
            assert_same_record(corpus)


def test_table_slots_is_the_power_of_two_of_at_least_twice_the_words():
    assert [_scan.table_slots(n) for n in (0, 512, 513, 1_000_000)] == [1024, 1024, 2048,
                                                                        1 << 21]
    assert _scan.SLOT_BYTES == 32  # head, meta, value, offset
    with pytest.raises(ValueError, match="words must be >= 0"):
        _scan.table_slots(-1)
