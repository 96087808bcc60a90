"""The integer-id encoding of a corpus that the training threads share."""

from __future__ import annotations

import os
import tempfile
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import IO

import numpy as np

from .corpus import PathCorpus
from .vocab import Vocabulary, scan_counts

__all__ = ["SPILL_WORDS", "CorpusRecord", "EncodedCorpus", "count_and_encode", "encode_corpus"]

#: Encoded ids held in memory before they go to a temporary file (in ``TMPDIR``) that
#: training then memory-maps: 4 bytes per word, so 2**27 words is 512 MiB. A corpus
#: larger than memory thus streams from disk; smaller ones never touch it.
SPILL_WORDS = 1 << 27


@dataclass(frozen=True)
class EncodedCorpus:
    """Sentences as word ids: sentence ``s`` is ``ids[offsets[s]:offsets[s + 1]]``.

    Out-of-vocabulary tokens are dropped; sentences left empty are dropped too.
    """

    ids: np.ndarray  # int32
    offsets: np.ndarray  # int64, sentences + 1
    corpus_words: int  # tokens read, out-of-vocabulary ones included

    @property
    def words(self) -> int:
        """In-vocabulary tokens: the words one epoch trains on."""
        return len(self.ids)

    @property
    def sentences(self) -> int:
        return len(self.offsets) - 1

    def chunks(self, target_words: int) -> list[tuple[int, int]]:
        """Split the sentences into consecutive ranges of about ``target_words`` words.

        Every range holds at least one sentence; boundaries fall between sentences.

        Example
        -------
        >>> enc = encode_corpus([["a", "b"], ["b"], ["a"]], {"a": 0, "b": 1})
        >>> enc.chunks(2)
        [(0, 1), (1, 3)]
        """
        marks = np.arange(target_words, self.words, target_words)
        cuts = np.searchsorted(self.offsets, marks, side="left")
        bounds = np.unique(np.concatenate(([0], cuts, [self.sentences])))
        return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def encode_corpus(sentences: Iterable[list[str]], key_to_index: Mapping[str, int],
                  expected_words: int = 0) -> EncodedCorpus:
    """Encode token lists as int32 word ids, in one pass.

    A :class:`~w2v.data.corpus.PathCorpus` read as strict UTF-8, with a ``dict`` of ``str``
    to int32 ids, is scanned by the compiled tokenizer (:mod:`w2v._scan`) instead of
    being iterated, with the same results.

    Parameters
    ----------
    sentences : re-iterable of token lists (already split to a bounded length).
    key_to_index : the vocabulary's word -> id mapping.
    expected_words : how many in-vocabulary tokens to make room for at once (a hint,
        e.g. the vocabulary's ``retained_words``; more still fit).

    Example
    -------
    >>> enc = encode_corpus([["a", "x", "b"]], {"a": 0, "b": 1})
    >>> enc.ids.tolist(), enc.offsets.tolist(), enc.corpus_words
    ([0, 1], [0, 2], 3)
    """
    fast = _encode_path_corpus(sentences, key_to_index, expected_words)
    if fast is not None:
        return fast
    lookup = key_to_index.get
    sink = _IdSink()
    ids = array("i")
    offsets = array("q", [0])
    corpus_words = 0
    for sentence in sentences:
        corpus_words += len(sentence)
        before = len(ids)
        ids.extend([i for i in map(lookup, sentence) if i is not None])
        if len(ids) > before:
            offsets.append(sink.written + len(ids))
        if len(ids) >= SPILL_WORDS:
            sink.write(np.frombuffer(ids, dtype=np.int32))
            ids = array("i")
    tail = np.frombuffer(ids, dtype=np.int32).copy() if ids else np.zeros(0, np.int32)
    return EncodedCorpus(
        ids=sink.finish(tail),
        offsets=np.frombuffer(offsets, dtype=np.int64).copy(),
        corpus_words=corpus_words,
    )


@dataclass(frozen=True)
class CorpusRecord:
    """A path corpus's encoding, taken by the scan that counted its vocabulary, and the
    state of its files then (see :func:`count_and_encode`)."""

    encoded: EncodedCorpus
    source: tuple  # how the corpus is read (see _source), and each file's state then

    def matches(self, sentences: object) -> bool:
        """Whether ``sentences`` reads the same files the same way (sentence and token
        lengths), each file unchanged since the scan (size, modification time and inode;
        for a pipe, the corpus that read it still keeps the copy the scan made): only then
        may the record stand in for a new scan.

        Example
        -------
        >>> _, record = count_and_encode(PathCorpus("text8"), min_count=1)
        >>> record.matches(PathCorpus("text8")), record.matches([["a"]])
        (True, False)
        >>> record.matches(PathCorpus("text8", max_sentence_length=10))
        False
        """
        try:
            return type(sentences) is PathCorpus and _source(sentences) == self.source
        except OSError:  # gone, or unreadable: the caller's own scan reports it
            return False


def _source(corpus: PathCorpus, unread_copies: bool = False) -> tuple | None:
    """What decides a scan's tokens: the reading settings and, per file, its path and
    :meth:`~PathCorpus.pass_state`; None if a file's state cannot be told (with
    ``unread_copies``, that of a path read once before its copy is made is None)."""
    files = []
    for path in corpus.files():
        state = corpus.pass_state(path)
        if state is None and not unread_copies:
            return None
        files.append((os.fspath(path), state))
    return (corpus.max_sentence_length, corpus.max_token_length, corpus.encoding,
            corpus.encoding_errors, tuple(files))


def _unchanged(before: tuple, after: tuple) -> bool:
    """Whether the files' states after a scan are those before it (``_source``'s), where a
    path read once had none before: the scan made its copy."""
    if before[:-1] != after[:-1] or len(before[-1]) != len(after[-1]):
        return False
    return all(a[0] == b[0] and ((b[1] is None and a[1][0] == "copy") or b[1] == a[1])
               for b, a in zip(before[-1], after[-1], strict=True))


def count_and_encode(
    sentences: Iterable[list[str]], min_count: int = 5, max_vocab_size: int | None = None,
    max_final_vocab: int | None = None,
) -> tuple[Vocabulary, CorpusRecord | None]:
    """Build the vocabulary, as :meth:`Vocabulary.build` does, and encode the corpus from
    the same scan, so that training need not read it again.

    The encoding comes with a :class:`PathCorpus` the compiled scanner reads, without
    ``max_vocab_size`` (pruning during the count moves the words the record points to),
    up to ``SPILL_WORDS`` tokens, from regular files and pipes (whose copy the corpus
    keeps); else the record is None and training scans the corpus itself, as before. Its
    ids and offsets are those :func:`encode_corpus` would give.

    Parameters
    ----------
    sentences : re-iterable of token lists, or a :class:`PathCorpus`.
    min_count, max_vocab_size, max_final_vocab : as for :class:`Vocabulary`.

    Example
    -------
    >>> vocab, record = count_and_encode(PathCorpus("text8"), min_count=1)
    >>> record.encoded.ids.tolist() == encode_corpus(PathCorpus("text8"),
    ...                                              vocab.key_to_index).ids.tolist()
    True
    """
    if (max_vocab_size is not None or not isinstance(sentences, PathCorpus)
            or not sentences.fast_scan_supported()):
        return Vocabulary.build(sentences, min_count, max_vocab_size, max_final_vocab), None
    before = _source(sentences, unread_copies=True)
    scanner = scan_counts(sentences, -1, SPILL_WORDS)
    if scanner is None:
        return Vocabulary.build(sentences, min_count, max_vocab_size, max_final_vocab), None
    counts: dict[str, int] = {}
    scanner.counts(counts, min_count)  # rarer words never become Python strings
    vocab = Vocabulary(counts, min_count, max_final_vocab, corpus_words=scanner.words)
    source = _source(sentences) if scanner.recorded else None
    # no record, or a file that changed while it was read (training reads it again, and
    # warns if its tokens differ)
    if source is None or before is None or not _unchanged(before, source):
        return vocab, None
    ids, offsets = scanner.encoded(vocab.key_to_index)
    return vocab, CorpusRecord(EncodedCorpus(ids, offsets, scanner.words), source)


class _IdSink:
    """Encoded ids on their way to memory, or, past ``SPILL_WORDS``, to a temporary file
    that is memory-mapped in the end (and deleted when the mapping goes)."""

    def __init__(self) -> None:
        self.file: IO[bytes] | None = None
        self.written = 0

    def write(self, ids: np.ndarray) -> None:
        if self.file is None:
            self.file = tempfile.TemporaryFile(prefix="w2v-ids-")
        self.file.write(np.ascontiguousarray(ids, dtype=np.int32).tobytes())
        self.written += len(ids)

    def finish(self, tail: np.ndarray) -> np.ndarray:
        """All ids: ``tail`` itself if nothing was spilled, else the mapped file."""
        if self.file is None:
            return tail
        self.write(tail)
        self.file.flush()
        mapped = np.memmap(self.file, dtype=np.int32, mode="r", shape=(self.written,))
        self.file.close()  # the mapping keeps the (already unlinked) data alive
        return mapped


def _encode_path_corpus(
    sentences: Iterable[list[str]], key_to_index: Mapping[str, int], expected_words: int = 0
) -> EncodedCorpus | None:
    """:func:`encode_corpus` for a :class:`PathCorpus`, by the compiled scanner.

    Returns None (the caller then iterates) for anything else, for a corpus the
    scanner does not support (see :meth:`PathCorpus.feed_scanner`), or a ``key_to_index``
    that is not a plain ``dict`` (``get`` not overridden) of ``str`` to int32 ids.

    Example
    -------
    >>> _encode_path_corpus([["a"]], {"a": 0}) is None
    True
    """
    if not isinstance(sentences, PathCorpus) or not sentences.fast_scan_supported():
        return None
    if not isinstance(key_to_index, dict) or type(key_to_index).get is not dict.get:
        return None
    from .._scan import EncodeScanner, Unsupported

    try:
        # no line has 2**62 tokens: a longer max_sentence_length acts the same
        scanner = EncodeScanner(min(sentences.max_sentence_length, 1 << 62), key_to_index,
                                min(max(int(expected_words), 0), SPILL_WORDS))
    except Unsupported:
        return None
    sink = _IdSink()

    def spill() -> None:
        if scanner.pending >= SPILL_WORDS:
            sink.write(scanner.take_ids())

    if not sentences.feed_scanner(scanner, after_block=spill):
        return None
    ids, offsets = scanner.result()
    return EncodedCorpus(ids=sink.finish(ids), offsets=offsets, corpus_words=scanner.words)
