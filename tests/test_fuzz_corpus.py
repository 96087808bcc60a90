"""Property tests of the corpus readers, the vocabulary and the id encoding.

(1) :class:`PathCorpus` yields, for arbitrary text (every kind of whitespace, ``"\\r\\n"``,
    non-ASCII words, blank lines, lines longer than ``max_sentence_length``, blocks of a few
    bytes), the sentences of the documented reference: lines split on ``"\\n"`` only, tokens
    split by ``str.split()``, lines cut into chunks of ``max_sentence_length`` tokens. This
    holds for the Python reader (iteration) and the compiled scanner (``w2v._scan``, used by
    ``count_words`` and ``encode_corpus`` for a strict UTF-8 PathCorpus), and for compressed
    files as for plain ones.
(2) Undecodable bytes: strict reading raises ValueError naming the file, the line and the byte
    offset (from both readers); ``"replace"``/``"ignore"`` read what ``bytes.decode`` gives.
(3) Counting and the :class:`Vocabulary`: counts equal ``collections.Counter``, ``min_count``,
    the order (descending count, ties in code-point order), independence of sentence order
    and splitting, the two counters agree, ``max_vocab_size`` and ``max_final_vocab`` bounds.
(4) ``encode_corpus`` decodes back to the in-vocabulary tokens of the non-empty sentences.

Bounded and derandomized like test_fuzz_loaders.py; ``W2V_FUZZ_SCALE=50`` searches longer
with fresh random examples.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from w2v import _scan
from w2v.data.corpus import PathCorpus, SentenceCorpus
from w2v.data.encoding import EncodedCorpus, _encode_path_corpus, encode_corpus
from w2v.data.vocab import Vocabulary, _count_path_corpus, count_words

#: W2V_FUZZ_SCALE=50 runs 50 times the examples, with fresh random ones each run.
SCALE = float(os.environ.get("W2V_FUZZ_SCALE", "1"))


def bounded(max_examples: int):
    return settings(max_examples=max(1, round(max_examples * SCALE)), deadline=None,
                    derandomize=SCALE == 1, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# --- strategies ---------------------------------------------------------------------------

#: Everything str.split() splits on except "\n" (which ends a line): the documented token
#: separators of both readers (PathCorpus: "str.split()"; w2v._scan lists the same set).
WHITESPACE = "".join(chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() and c != 10)
#: Non-whitespace characters whose UTF-8 form starts like a multi-byte whitespace character's
#: (lead bytes C2, E1, E2, E3): where a byte-level scanner could go wrong.
NEIGHBOURS = "".join(
    chr(c)
    for lo, hi in ((0x80, 0xC0), (0x1680, 0x16C0), (0x2000, 0x2080), (0x3000, 0x3040))
    for c in range(lo, hi) if not chr(c).isspace()
)
#: Any character a strict UTF-8 text file can hold (no surrogates; no NUL, which is refused).
ANY_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
WORD_CHAR = ANY_CHAR.filter(lambda c: not c.isspace()) | st.sampled_from(
    list(NEIGHBOURS + "aé日😀\ufeff\x01\x7f"))
WORD = st.text(WORD_CHAR, min_size=1, max_size=6)
SPACE = st.lists(st.sampled_from(list(WHITESPACE) + ["\n", "\r\n", " ", " ", "\t"]),
                 min_size=1, max_size=3).map("".join)
#: Lines of words and whitespace, each ended by "\n" or "\r\n" (the last one maybe not);
#: or free-form: words, whitespace and any characters, in any order.
LINE = st.lists(st.tuples(WORD, SPACE), max_size=8).map(lambda p: "".join(map("".join, p)))
LINES = st.lists(st.tuples(SPACE | st.just(""), LINE, st.sampled_from(["\n", "\r\n", ""])),
                 min_size=1, max_size=6).map(lambda p: "".join(map("".join, p)))
TEXT = LINES | st.lists(WORD | SPACE | st.text(ANY_CHAR, max_size=4), max_size=40).map("".join)
BLOCK_SIZE = st.integers(1, 12) | st.just(1 << 20)
MAX_LEN = st.integers(1, 4) | st.just(10_000)

#: Tokens for the in-memory tests: a few frequent ones, so counts tie and repeat.
TOKEN = st.sampled_from(["a", "b", "c", "ab", "B", "é", "e\u0301", "日本", "😀", "\ufeffa"]) | WORD
SENTENCES = st.lists(st.lists(TOKEN, max_size=8), max_size=12)

BAD_UTF8 = [
    b"\xff",  # invalid start byte
    b"\x80",  # lone continuation byte
    b"\xc0\xaf",  # overlong
    b"\xe2\x28\xa1",  # invalid continuation byte
    b"\xe2\x80",  # truncated
    b"\xed\xa0\x80",  # surrogate
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\xc2",  # a whitespace lead byte on its own
    b"\xe3\x80",  # half of U+3000
]
OPENERS: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


# --- helpers ------------------------------------------------------------------------------


@contextmanager
def scratch() -> Iterator[Path]:
    """A fresh directory per example (hypothesis cannot reset function-scoped fixtures)."""
    with tempfile.TemporaryDirectory(prefix="w2v-fuzz-corpus-") as tmp:
        yield Path(tmp)


def write(path: Path, data: str | bytes) -> Path:
    """Write ``data`` (str as UTF-8) to ``path``, compressed according to its suffix."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with OPENERS.get(path.suffix, open)(path, "wb") as fh:
        fh.write(raw)
    return path


def chunked(tokens: list[str], max_len: int) -> list[list[str]]:
    return [tokens[i : i + max_len] for i in range(0, len(tokens), max_len)]


def reference(text: str, max_len: int) -> list[list[str]]:
    """The documented reading: a byte-order mark starting the file is skipped, lines end
    at "\\n" only, tokens are ``str.split()``'s, each line is cut into consecutive chunks
    of ``max_len`` tokens, blank lines give nothing."""
    text = text.removeprefix("\ufeff")
    return [chunk for line in text.split("\n") for chunk in chunked(line.split(), max_len)]


def python_path(corpus: PathCorpus) -> Iterable[list[str]]:
    """The corpus's sentences as a one-shot generator: never the compiled scanner."""
    return (sentence for sentence in corpus)


def decode(encoded: EncodedCorpus, index_to_key: list[str]) -> list[list[str]]:
    ids, offsets = encoded.ids.tolist(), encoded.offsets.tolist()
    assert offsets[0] == 0 and offsets[-1] == len(ids)
    assert all(a < b for a, b in zip(offsets[:-1], offsets[1:], strict=True))  # none empty
    bounds = zip(offsets[:-1], offsets[1:], strict=True)
    return [[index_to_key[i] for i in ids[a:b]] for a, b in bounds]


def compiled_sentences(corpus: PathCorpus) -> tuple[list[list[str]], Counter[str], int, int]:
    """What the compiled scanner reads: its sentences (encoded with the vocabulary it counted
    itself, so no token is out of vocabulary, and decoded back), counts, tokens, sentences."""
    assert corpus.fast_scan_supported()
    counted = _count_path_corpus(corpus, None)
    assert counted is not None
    counts, n_words, n_sentences = counted
    index_to_key = list(counts)
    encoded = _encode_path_corpus(corpus, {w: i for i, w in enumerate(index_to_key)})
    assert encoded is not None
    assert encoded.corpus_words == n_words
    return decode(encoded, index_to_key), counts, n_words, n_sentences


def assert_reads(corpus: PathCorpus, expected: list[list[str]]) -> None:
    """Both readers give ``expected`` (so they agree with each other too)."""
    assert list(corpus) == expected  # the Python reader
    sentences, counts, n_words, n_sentences = compiled_sentences(corpus)
    assert sentences == expected
    assert counts == Counter(t for s in expected for t in s)
    assert (n_words, n_sentences) == (sum(map(len, expected)), len(expected))


def code_points(word: str) -> list[int]:
    return [ord(c) for c in word]


def expected_order(counts: dict[str, int], min_count: int) -> list[str]:
    """Descending count, ties in code-point order of the word (Vocabulary's docstring)."""
    kept = [w for w, c in counts.items() if c >= min_count]
    return sorted(kept, key=lambda w: (-counts[w], code_points(w)))


# --- (1) the readers against the documented reference ---------------------------------------


@bounded(100)
@given(text=TEXT, max_len=MAX_LEN, block_size=BLOCK_SIZE)
def test_both_readers_match_the_reference(text, max_len, block_size):
    with scratch() as tmp:
        path = write(tmp / "c.txt", text)
        assert_reads(PathCorpus(path, max_len, block_size=block_size), reference(text, max_len))


@bounded(30)
@given(text=TEXT, max_len=MAX_LEN, block_size=BLOCK_SIZE)
def test_compressed_files_read_like_the_plain_file(text, max_len, block_size):
    expected = reference(text, max_len)
    with scratch() as tmp:
        names = ["a.txt", "b.txt.gz", "c.txt.bz2", "d.txt.xz"]
        for name in names:
            corpus = PathCorpus(write(tmp / name, text), max_len, block_size=block_size)
            assert_reads(corpus, expected)
        # a directory reads its files in name order, one after the other
        assert_reads(PathCorpus(tmp, max_len, block_size=block_size), expected * len(names))


# --- (2) undecodable bytes ----------------------------------------------------------------------


@st.composite
def with_bad_bytes(draw, text: st.SearchStrategy[str] = TEXT) -> tuple[bytes, int, bool]:
    """UTF-8 text with an invalid sequence inserted at any byte offset, that offset, and
    whether it is between two characters (else inside one)."""
    raw = draw(text).encode("utf-8")
    at = draw(st.integers(0, len(raw)))
    between = at == len(raw) or not 0x80 <= raw[at] < 0xC0  # not before a continuation byte
    return raw[:at] + draw(st.sampled_from(BAD_UTF8)) + raw[at:], at, between


@bounded(80)
@given(bad=with_bad_bytes(), max_len=MAX_LEN, block_size=BLOCK_SIZE)
def test_strict_reading_names_file_line_and_offset(bad, max_len, block_size):
    data, at, between = bad
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start  # where a one-shot decode of the whole file fails
    else:  # pragma: no cover - not seen: the split character keeps the file invalid
        assume(False)
    if between:  # inserted between two characters: the file goes wrong right there
        assert first_bad == at
    line = data[:first_bad].count(b"\n") + 1
    where = f"line {line} (byte offset {first_bad})"
    with scratch() as tmp:
        path = write(tmp / "bad.txt", data)
        corpus = PathCorpus(path, max_len, block_size=block_size)
        messages = []
        for read in (lambda: list(corpus),  # the Python reader
                     lambda: count_words(corpus),  # the compiled scanner, counting
                     lambda: encode_corpus(corpus, {"a": 0}),  # and encoding
                     lambda: count_words(python_path(corpus), max_vocab_size=1)):
            with pytest.raises(ValueError, match="cannot decode") as info:
                read()
            messages.append(str(info.value))
        assert str(path) in messages[0] and where in messages[0], messages[0]
        assert messages == [messages[0]] * len(messages)


@bounded(40)
@given(text=LINES, suffix=st.sampled_from(sorted(OPENERS)), data=st.data())
def test_corrupt_or_truncated_compressed_corpora_are_a_value_error_naming_the_file(
        text, suffix, data):
    # found by tools/fuzz_campaign.py: zlib.error, EOFError and gzip.BadGzipFile escaped
    with scratch() as tmp:
        good = write(tmp / f"good.txt{suffix}", text).read_bytes()
        cut = data.draw(st.integers(0, len(good) - 1))
        flip = data.draw(st.integers(0, len(good) - 1))
        corrupt = bytearray(good)
        corrupt[flip] ^= 0xFF
        for bad in (good[:cut], bytes(corrupt)):
            path = tmp / f"bad.txt{suffix}"
            path.write_bytes(bad)
            corpus = PathCorpus(path)
            for read in (list, count_words, lambda c: encode_corpus(c, {"a": 0})):
                try:
                    read(corpus)  # a flipped byte may leave a readable file (gzip's name)
                except ValueError as error:
                    assert str(path) in str(error), error


@bounded(60)
@given(bad=with_bad_bytes(st.lists(TEXT | st.just("\x00"), max_size=3).map("".join)),
       errors=st.sampled_from(["replace", "ignore"]), max_len=MAX_LEN, block_size=BLOCK_SIZE)
def test_lenient_reading_matches_bytes_decode(bad, errors, max_len, block_size):
    data, _, _ = bad
    # NUL characters separate words when not strict (PathCorpus's docstring)
    expected = reference(data.decode("utf-8", errors).replace("\x00", " "), max_len)
    with scratch() as tmp:
        corpus = PathCorpus(write(tmp / "c.txt", data), max_len, encoding_errors=errors,
                            block_size=block_size)
        assert not corpus.fast_scan_supported()
        assert list(corpus) == expected
        counts, n_words, n_sentences = count_words(corpus)
        assert counts == Counter(t for s in expected for t in s)
        assert (n_words, n_sentences) == (sum(map(len, expected)), len(expected))


# --- (3) counting and the vocabulary ------------------------------------------------------------


@bounded(60)
@given(sentences=SENTENCES, min_count=st.integers(0, 4))
def test_counts_min_count_and_order(sentences, min_count):
    true = Counter(t for s in sentences for t in s)
    counts, n_words, n_sentences = count_words(sentences, min_count=min_count)
    assert counts == {w: c for w, c in true.items() if c >= min_count}
    assert (n_words, n_sentences) == (sum(map(len, sentences)), len(sentences))
    order = expected_order(true, min_count)
    for vocab in (Vocabulary(true, min_count), Vocabulary.build(sentences, min_count)):
        assert vocab.index_to_key == order
        assert vocab.counts.tolist() == [true[w] for w in order]
        assert vocab.key_to_index == {w: i for i, w in enumerate(order)}
        assert vocab.corpus_words == n_words
        assert vocab.retained_words == sum(true[w] for w in order)
        assert all(w in vocab for w in order) and len(vocab) == len(order)


@bounded(50)
@given(sentences=SENTENCES, min_count=st.integers(0, 3), data=st.data())
def test_vocabulary_ignores_sentence_order_and_splitting(sentences, min_count, data):
    vocab = Vocabulary.build(sentences, min_count)
    shuffled = data.draw(st.permutations(sentences), label="shuffled")
    tokens = data.draw(st.permutations([t for s in sentences for t in s]), label="tokens")
    cuts = sorted(data.draw(st.lists(st.integers(0, len(tokens)), max_size=6), label="cuts"))
    resplit = [tokens[a:b] for a, b in zip([0, *cuts], [*cuts, len(tokens)], strict=True)]
    for other in (shuffled, resplit, SentenceCorpus(resplit, 2), [tokens]):
        again = Vocabulary.build(other, min_count)
        assert again.index_to_key == vocab.index_to_key
        assert again.counts.tolist() == vocab.counts.tolist()
        assert again.corpus_words == vocab.corpus_words


@bounded(80)
@given(sentences=SENTENCES, max_len=st.integers(1, 5) | st.just(10_000),
       max_vocab_size=st.none() | st.integers(0, 8), min_count=st.integers(0, 3),
       block_size=BLOCK_SIZE, separator=st.sampled_from([" ", "\t", "\u3000", " \u2003 "]))
def test_compiled_and_python_counters_agree(sentences, max_len, max_vocab_size, min_count,
                                            block_size, separator):
    # a blank first line: a token starting with U+FEFF must not start the file (a BOM)
    text = "\n" + "\n".join(separator.join(s) for s in sentences)
    with scratch() as tmp:
        corpus = PathCorpus(write(tmp / "c.txt", text), max_len, block_size=block_size)
        fast = _count_path_corpus(corpus, max_vocab_size, min_count)  # the compiled counter
        assert fast is not None
    in_memory = SentenceCorpus(sentences, max_len)  # what the Python counter is given
    assert fast == count_words(in_memory, max_vocab_size, min_count)
    assert fast[1] == sum(map(len, sentences))
    built = Vocabulary(fast[0], min_count, corpus_words=fast[1])
    again = Vocabulary.build(in_memory, min_count, max_vocab_size)
    assert built.index_to_key == again.index_to_key
    assert built.counts.tolist() == again.counts.tolist()


@bounded(60)
@given(sentences=SENTENCES, bound=st.integers(0, 8))
def test_max_vocab_size_bounds_the_words_held(sentences, bound):
    """The bound holds after every sentence (observed on prefixes of the corpus for the Python
    counter, and line by line on the compiled scanner); survivors never gain counts."""
    scanner = _scan.CountScanner(10_000, bound)
    pruned = False
    for k in range(len(sentences) + 1):
        true = Counter(t for s in sentences[:k] for t in s)
        pruned = pruned or len(true) > bound
        counts = count_words(sentences[:k], bound)[0]
        assert len(counts) <= bound
        assert all(1 <= c <= true[w] for w, c in counts.items()), (counts, true)
        if not pruned:  # never over the bound after a sentence: nothing was dropped
            assert counts == true
        held = scanner.counts()
        assert held == counts  # the compiled counter holds the same words, the same counts
        if k < len(sentences):
            line = (" ".join(sentences[k]) + "\n").encode("utf-8")
            scanner.window(len(line) + 1)[: len(line)] = line
            assert scanner.process(len(line)) == 0
    assert scanner.finish() == 0
    assert scanner.counts() == count_words(sentences, bound)[0]


@bounded(100)
@given(counts=st.dictionaries(TOKEN, st.integers(1, 6), max_size=15),
       min_count=st.integers(0, 4), max_final_vocab=st.integers(0, 10))
def test_max_final_vocab_keeps_whole_groups(counts, min_count, max_final_vocab):
    vocab = Vocabulary(counts, min_count, max_final_vocab)
    kept = set(vocab.index_to_key)
    eligible = {w: c for w, c in counts.items() if c >= min_count}
    assert len(kept) <= max_final_vocab
    assert vocab.min_count >= min_count
    assert kept == {w for w, c in eligible.items() if c >= vocab.min_count}
    assert vocab.index_to_key == expected_order(counts, vocab.min_count)
    for value in set(eligible.values()):  # a group of equal counts is kept whole or left out
        group = {w for w, c in eligible.items() if c == value}
        assert group <= kept or not group & kept
    left_out = [c for w, c in eligible.items() if w not in kept]
    if left_out:  # as many words as fit: the next group would have been one too many
        assert len(kept) + left_out.count(max(left_out)) > max_final_vocab
        assert all(counts[w] > max(left_out) for w in kept)
    else:
        assert vocab.min_count == min_count


# --- (4) encoding -----------------------------------------------------------------------------


@bounded(60)
@given(sentences=SENTENCES, min_count=st.integers(1, 3), max_len=MAX_LEN, block_size=BLOCK_SIZE)
def test_encoding_decodes_to_the_in_vocabulary_words(sentences, min_count, max_len, block_size):
    vocab = Vocabulary.build(sentences, min_count)

    def known(sents: Iterable[list[str]]) -> list[list[str]]:
        return [kept for s in sents if (kept := [w for w in s if w in vocab])]

    encoded = encode_corpus(sentences, vocab.key_to_index)  # in memory: the Python encoder
    assert encoded.ids.dtype == np.int32 and encoded.offsets.dtype == np.int64
    assert decode(encoded, vocab.index_to_key) == known(sentences)
    assert encoded.corpus_words == sum(map(len, sentences))
    lines = [chunk for s in sentences for chunk in chunked(s, max_len)]  # as a file reads them
    with scratch() as tmp:
        path = write(tmp / "c.txt", "\n" + "\n".join(" ".join(s) for s in sentences))
        corpus = PathCorpus(path, max_len, block_size=block_size)
        fast = _encode_path_corpus(corpus, vocab.key_to_index)  # the compiled encoder
        assert fast is not None
        slow = encode_corpus(python_path(corpus), vocab.key_to_index)
        for result in (fast, slow):
            assert decode(result, vocab.index_to_key) == known(lines)
            assert result.corpus_words == encoded.corpus_words
