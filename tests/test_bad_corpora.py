"""Messy corpora: NUL bytes, undecodable bytes and what ``encoding_errors`` does with
them, and corpora that change between passes. (Missing files, empty directories,
one-shot iterators, non-string tokens and empty vocabularies: test_corpus.py,
test_model.py.)"""

from __future__ import annotations

import os
import warnings

import pytest

from w2v import PathCorpus, Word2Vec
from w2v.data.vocab import count_words


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
    assert corpus.fast_scan_supported() == (reader == "compiled")
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


# ------------------------------------------------------------------ endless tokens
def _long_token_file(path, blob: bytes) -> None:
    path.write_bytes(b"first line\nbefore " + blob + b" after\nlast " + blob + b"\nend\n")


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("block_size", [7, 1000, 1 << 20])
def test_tokens_longer_than_the_limit_are_dropped_with_one_warning(tmp_path, reader,
                                                                   block_size):
    path = tmp_path / "corpus.txt"
    _long_token_file(path, b"x" * 5_000)
    corpus = READERS[reader](path, block_size=block_size, max_token_length=1_000)
    with pytest.warns(RuntimeWarning) as caught:
        counts, words, sentences = count_words(corpus)
    assert (words, sentences) == (6, 4)
    assert counts == {"first": 1, "line": 1, "before": 1, "after": 1, "last": 1, "end": 1}
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert "corpus.txt" in messages[0] and "dropped 2 token(s) longer than 1000" in messages[0]
    assert "first on line 2" in messages[0]
    with warnings.catch_warnings():  # told once per corpus: the next passes are quiet
        warnings.simplefilter("error")
        assert list(corpus) == [["first", "line"], ["before", "after"], ["last"], ["end"]]


def test_both_readers_keep_what_fits_the_limit_in_characters_not_bytes(tmp_path):
    path = tmp_path / "corpus.txt"
    fits, too_long = "é" * 10, "é" * 11  # 20 and 22 bytes, 10 and 11 characters
    path.write_text(f"a {fits} b\n{too_long} c\n", encoding="utf-8")
    for reader in READERS.values():
        with pytest.warns(RuntimeWarning, match="dropped 1 token"):
            model = Word2Vec(reader(path, max_token_length=10), min_count=1, workers=1)
        assert sorted(model.wv.index_to_key) == sorted(["a", fits, "b", "c"])


@pytest.mark.skipif("ASAN_OPTIONS" in os.environ,  # tools/sanitize.sh
                    reason="under AddressSanitizer peak memory holds its shadow memory")
def test_an_endless_token_is_read_in_bounded_memory(tmp_path):
    """100 MB without a space or a newline, read by the compiled scanner (which hands it
    to the Python reader) in a child process: its peak memory must not grow with it."""
    import subprocess
    import sys

    from test_cli import child_env

    path = tmp_path / "endless.txt"
    with open(path, "wb") as fh:
        fh.write(b"hello world\n")
        block = b"y" * (1 << 20)
        for _ in range(100):
            fh.write(block)
        fh.write(b" tail\n")
    script = (
        "import resource, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from w2v import PathCorpus\n"
        "from w2v.data.vocab import count_words\n"
        "from w2v.data.encoding import encode_corpus\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "corpus = PathCorpus(sys.argv[1])\n"
        "counts = count_words(corpus)[0]\n"
        "encoded = encode_corpus(corpus, {w: i for i, w in enumerate(sorted(counts))})\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(sorted(counts), encoded.words, (after - before) // 1024)\n"
    )
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, env=child_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    words, n_ids, grown_mb = done.stdout.split("] ")[0] + "]", *done.stdout.split("] ")[1].split()
    assert words == "['hello', 'tail', 'world']" and int(n_ids) == 3
    assert int(grown_mb) < 40, f"reading a 100 MB token grew the peak memory by {grown_mb} MB"


def test_max_token_length_must_be_a_positive_int(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("a b\n")
    with pytest.raises(ValueError, match="max_token_length must be >= 1"):
        PathCorpus(path, max_token_length=0)
    with pytest.raises(TypeError, match="max_token_length must be an int"):
        PathCorpus(path, max_token_length=2.5)


# ------------------------------------------------------------------ empty corpora
@pytest.mark.parametrize("content", [b"", b"\n\n  \t\n", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("reader", READERS)
def test_an_empty_file_is_an_error_that_says_so(tmp_path, content, reader):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"vocabulary is empty: no word of the corpus \(0 tok"):
        Word2Vec(READERS[reader](path), min_count=1)


def test_a_folder_of_empty_files_is_an_error_too(tmp_path):
    for name in ("a.txt", "b.txt.gz"):
        (tmp_path / name).write_bytes(b"")
    with pytest.raises((ValueError, EOFError), match=r"empty|0 tokens|ended"):
        Word2Vec(PathCorpus(tmp_path), min_count=1)


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("block_size", [1, 2, 1 << 20])
def test_a_utf8_byte_order_mark_does_not_stick_to_the_first_word(tmp_path, reader,
                                                                 block_size):
    path = tmp_path / "notepad.txt"
    path.write_bytes(b"\xef\xbb\xbfthe cat\nthe \xef\xbb\xbfdog\n")  # only the first is a BOM
    corpus = READERS[reader](path, block_size=block_size)
    counts, words, _ = count_words(corpus)
    assert counts == {"the": 2, "cat": 1, "\ufeffdog": 1} and words == 4
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xef\xbb\xbfab \xff\n")
    with pytest.raises(ValueError, match=r"line 1 \(byte offset 6\)"):
        count_words(READERS[reader](bad, block_size=block_size))
    short = tmp_path / "short.txt"  # shorter than a BOM, and not one
    short.write_bytes(b"ab")
    assert count_words(READERS[reader](short, block_size=block_size))[0] == {"ab": 1}
