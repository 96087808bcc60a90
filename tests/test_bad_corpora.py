"""Messy corpora: NUL bytes, undecodable bytes and what ``encoding_errors`` does with
them, and corpora that change between passes. (Missing files, empty directories,
one-shot iterators, non-string tokens and empty vocabularies: test_corpus.py,
test_model.py.)"""

from __future__ import annotations

import warnings

import pytest

from w2v import PathCorpus, Word2Vec
from w2v.vocab import count_words


class SlowPathCorpus(PathCorpus):
    """A subclass: always read by the Python reader, never by the compiled scanner."""


READERS = {"compiled": PathCorpus, "python": SlowPathCorpus}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("block_size", [1, 3, 1 << 20])
@pytest.mark.parametrize("text, line, offset", [
    (b"a b\x00c d\nok\n", 1, 3),
    (b"\x00start\n", 1, 0),
    (b"fine\nstill fine\ncaf\xc3\xa9 x\x00\n", 3, 23),  # after a multi-byte character
])
def test_nul_is_refused_naming_file_line_and_byte(tmp_path, reader, block_size, text, line,
                                                  offset):
    path = tmp_path / "corpus.txt"
    path.write_bytes(text)
    corpus = READERS[reader](path, block_size=block_size)
    assert corpus._fast_scan_supported() == (reader == "compiled")
    with pytest.raises(ValueError) as info:
        count_words(corpus)
    message = str(info.value)
    assert "corpus.txt" in message and "NUL" in message
    assert f"line {line} (byte offset {offset})" in message
    assert "encoding_errors='replace'" in message


def test_utf16_read_as_utf8_is_caught_with_a_hint(tmp_path):
    path = tmp_path / "utf16.txt"
    path.write_bytes("the cat sat\n".encode("utf-16-le"))
    with pytest.raises(ValueError, match="encoding='utf-16'"):
        Word2Vec(path, min_count=1)
    right = PathCorpus(path, encoding="utf-16-le")
    assert list(right) == [["the", "cat", "sat"]]


@pytest.mark.parametrize("errors", ["replace", "ignore"])
def test_non_strict_reading_treats_nul_as_a_space(tmp_path, errors):
    path = tmp_path / "corpus.txt"
    path.write_bytes(b"a b\x00c\x00\x00d\ncaf\xe9 ok\n")
    sentences = list(PathCorpus(path, encoding_errors=errors))
    expected_word = "caf\ufffd" if errors == "replace" else "caf"
    assert sentences == [["a", "b", "c", "d"], [expected_word, "ok"]]
    model = Word2Vec(PathCorpus(path, encoding_errors=errors), min_count=1, workers=1)
    assert "\x00" not in "".join(model.wv.index_to_key) and "c" in model.wv


def test_strict_decoding_error_names_file_line_and_offset(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes(b"ok\nna\xefve\n")
    with pytest.raises(ValueError, match=r"latin.txt.*line 2 \(byte offset 5\)"):
        Word2Vec(path, min_count=1)
    with pytest.raises(LookupError):
        PathCorpus(path, encoding_errors="no-such-handler")


class Growing:
    """A re-iterable corpus that yields more each pass (a file still being written)."""

    def __init__(self) -> None:
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        return iter([["a", "b", "c"]] * (10 + 5 * self.passes))


def test_a_corpus_that_changes_between_passes_is_warned_about_with_numbers():
    corpus = Growing()
    model = Word2Vec(corpus, min_count=1, workers=1, epochs=1)
    scanned = 3 * (10 + 5 * corpus.passes)
    with pytest.warns(RuntimeWarning) as record:
        model.train()
    read = 3 * (10 + 5 * corpus.passes)
    assert read > scanned
    message = str(record[0].message)
    assert f"vocabulary scan read {scanned} tokens, training read {read}" in message
    assert model.epochs_trained == 1


def test_the_same_corpus_again_or_a_new_one_is_not_warned_about():
    model = Word2Vec([["a", "b", "c"]] * 20, min_count=1, workers=1, epochs=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.train()
        model.train([["a", "b"]] * 7)  # a different corpus on purpose: no warning
