"""Turning what the user passes as a corpus into a re-iterable of token lists.

:func:`as_corpus` accepts a path (text file, ``.gz``/``.bz2``/``.xz`` file, or directory)
or a re-iterable of sentences; training makes several passes, so one-shot iterators fail.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from .._util.compression import decompression_errors
from .._util.validation import check_int, check_number
from .streams import Spool, open_pass

__all__ = ["MAX_SENTENCE_LENGTH", "MAX_TOKEN_LENGTH", "PathCorpus", "SentenceCorpus", "as_corpus",
           "warn_if_changed"]

MAX_SENTENCE_LENGTH = 10_000  # tokens; longer sentences are split into chunks, never truncated
#: Characters; a longer "token" in a file (a base64 blob, a file with no whitespace) is
#: dropped with a warning, so reading it takes bounded memory.
MAX_TOKEN_LENGTH = 10_000
_SPACE = re.compile(r"\s")  # what str.split() splits on
DEFAULT_BLOCK_SIZE = 1 << 20  # bytes read at a time by PathCorpus



class _LongTokens:
    """The tokens of one pass over a file that were too long to keep: counted, and
    reported in one warning at the end of the file."""

    def __init__(self, path: Path, limit: int) -> None:
        self.path, self.limit = path, limit
        self.count = 0
        self.first_line = 0

    def drop(self, line: int, count: int = 1) -> None:
        if count and not self.count:
            self.first_line = line
        self.count += count

    def keep(self, tokens: list[str], line: int) -> list[str]:
        """``tokens`` without those longer than the limit (which are counted)."""
        kept = [token for token in tokens if len(token) <= self.limit]
        self.drop(line, len(tokens) - len(kept))
        return kept

    def warn(self, warned: set) -> None:
        """Warn, unless ``warned`` (the corpus's record) shows this pass told it already."""
        key = (str(self.path), self.count, self.first_line)
        if self.count and key not in warned:
            warned.add(key)
            warnings.warn(
                f"{str(self.path)!r}: dropped {self.count} token(s) longer than {self.limit} "
                f"characters (the first on line {self.first_line}); pass "
                "PathCorpus(..., max_token_length=N) to keep longer ones",
                RuntimeWarning, stacklevel=5)


def _chunks(tokens: list[str], max_len: int) -> Iterator[list[str]]:
    """Yield ``tokens`` in consecutive pieces of at most ``max_len``; nothing if empty."""
    if len(tokens) <= max_len:
        if tokens:
            yield tokens
        return
    for start in range(0, len(tokens), max_len):
        yield tokens[start : start + max_len]


class PathCorpus:
    """Sentences read from a text file or a directory of text files, one per line.

    Tokens are separated by whitespace (``str.split()``); blank lines yield nothing.
    Lines are split on ``"\\n"`` only (``"\\r\\n"`` works since ``"\\r"`` is whitespace).
    A UTF-8 byte-order mark starting a UTF-8 file is skipped (it is not part of the
    first word). A token longer than ``max_token_length`` characters is dropped, and the
    pass ends with a RuntimeWarning counting them (naming the file and the first one's
    line), so a file that is one endless token is read in bounded memory.
    Files are streamed in binary blocks and decoded incrementally, so a file that is
    a single huge line (text8) comes out as consecutive chunks of exactly
    ``max_sentence_length`` tokens (the last one shorter); no token is lost or cut.
    Every iteration reopens the file(s), so the corpus can be iterated many times.
    A path that can be read only once (a pipe, a named pipe, ``/dev/stdin``, process
    substitution's ``/dev/fd/N``; see :mod:`w2v.data.streams`) is read exactly once: its
    bytes are copied to an unnamed temporary file (in ``TMPDIR``) as the first pass reads
    them, and later passes read the copy, until :meth:`close`.
    A missing ``path`` raises FileNotFoundError; a directory without usable files, or
    (when iterating) undecodable bytes, raise ValueError naming the file (and line).

    Parameters
    ----------
    path : str or os.PathLike
        A text file; a ``.gz``, ``.bz2`` or ``.xz`` file (by suffix); a pipe or device; or
        a directory, whose regular, non-hidden files and named pipes are read in sorted
        name order (non-recursive).
    max_sentence_length : int
        Longer lines are split into chunks of this many tokens.
    encoding : str
        The corpus's text encoding (default UTF-8).
    encoding_errors : str
        What to do with bytes that do not decode: ``"strict"`` (the default) raises
        ValueError naming the file, the line and the byte offset; ``"replace"`` (U+FFFD)
        or ``"ignore"`` go on (any :func:`codecs.register_error` name works).
        NUL characters are refused under ``"strict"`` (a text corpus has none: a file
        with them is binary, or UTF-16 read as UTF-8); otherwise they separate words.
    block_size : int, keyword-only
        Bytes read at a time.
    max_token_length : int, keyword-only
        Longer tokens are dropped (default ``MAX_TOKEN_LENGTH``, 10,000 characters).
    pipe_timeout : float or None, keyword-only
        For a path that is a pipe: seconds to wait without receiving a byte (for a writer
        to open it, or to write more) before :class:`TimeoutError` naming it. None (the
        default) waits as long as it takes, with a warning every few seconds saying so.

    Example
    -------
    >>> corpus = PathCorpus("text8", max_sentence_length=1000)  # one long line of words
    >>> sentence = next(iter(corpus))
    >>> sentence[:3], len(sentence)
    (['the', 'king', 'and'], 1000)
    """

    def __init__(
        self, path: str | os.PathLike[str], max_sentence_length: int = MAX_SENTENCE_LENGTH,
        encoding: str = "utf-8", encoding_errors: str = "strict", *,
        block_size: int = DEFAULT_BLOCK_SIZE, max_token_length: int = MAX_TOKEN_LENGTH,
        pipe_timeout: float | None = None,
    ) -> None:
        self.path = Path(path)
        self.max_sentence_length = check_int("max_sentence_length", max_sentence_length,
                                             minimum=1)
        codecs.lookup(encoding)
        codecs.lookup_error(encoding_errors)
        self.encoding = encoding
        self.encoding_errors = encoding_errors
        block_size = check_int("block_size", block_size, minimum=1)
        self.block_size = block_size
        self.max_token_length = check_int("max_token_length", max_token_length, minimum=1)
        self.pipe_timeout = check_number("pipe_timeout", pipe_timeout, minimum=0.0,
                                         strict=True, allow_none=True)
        self._warned: set[tuple[str, int, int]] = set()  # long-token warnings given
        self._spools: dict[str, Spool] = {}  # the paths read once, and their copies
        self.files()  # fail early on a missing path or an empty directory

    def __repr__(self) -> str:
        args = (f"max_sentence_length={self.max_sentence_length}, encoding={self.encoding!r}"
                + (f", max_token_length={self.max_token_length}"
                   if self.max_token_length != MAX_TOKEN_LENGTH else ""))
        return f"{type(self).__name__}({str(self.path)!r}, {args})"

    def files(self) -> list[Path]:
        """Return the files one pass reads, in order (re-listed on every pass).

        Example
        -------
        >>> [path.name for path in PathCorpus("corpus_dir").files()]
        ['part-0.txt', 'part-1.txt']
        """
        path = self.path
        if not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, "corpus path does not exist", str(path))
        if not path.is_dir():
            return [path]
        files = [p for p in sorted(path.iterdir())
                 if not p.name.startswith(".") and (p.is_file() or p.is_fifo())]
        if not files:
            raise ValueError(f"corpus directory {str(path)!r} contains no (non-hidden) files")
        return files

    def __iter__(self) -> Iterator[list[str]]:
        for path in self.files():
            yield from self._iter_file(path)

    def open(self, path: Path) -> IO[bytes]:
        """One of :meth:`files` opened for a pass, decompressed by its suffix: a regular file
        afresh, a path that can be read only once through its copy (see the class docs).

        Example
        -------
        >>> corpus = PathCorpus("corpus.txt")
        >>> with corpus.open(corpus.files()[0]) as handle:
        ...     handle.read(3)
        b'the'
        """
        return open_pass(path, self._spools, self.pipe_timeout)

    def pass_state(self, path: str | os.PathLike[str]) -> tuple | None:
        """What the bytes a pass reads from ``path`` (one of :meth:`files`) depend on:
        a regular file's size, modification time and inode; for a path read once, the
        serial number and size of the complete copy this corpus keeps of it. Equal states
        mean the same bytes. None when that cannot be told: a path read once that has no
        complete copy yet (a pass would read the path itself), or another kind of file.

        Example
        -------
        >>> corpus = PathCorpus("text8")
        >>> corpus.pass_state("text8") == corpus.pass_state("text8")
        True
        """
        spool = self._spools.get(os.fspath(path))
        if spool is not None:
            return ("copy", spool.serial, spool.size) if spool.complete else None
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return None
        return ("file", st.st_size, st.st_mtime_ns, st.st_ino)

    def close(self) -> None:
        """Delete the copies of the paths read once (a pipe's bytes are then gone: a later
        pass would read the pipe again). Regular files need nothing closed.

        Example
        -------
        >>> corpus = PathCorpus("corpus.txt")
        >>> corpus.close()
        """
        spools, self._spools = self._spools, {}
        for spool in spools.values():
            spool.close()

    def _iter_file(self, path: Path) -> Iterator[list[str]]:
        """Yield the sentences of one file, streaming it block by block."""
        max_len, limit = self.max_sentence_length, self.max_token_length
        decoder = codecs.getincrementaldecoder(self.encoding)(self.encoding_errors)
        long_tokens = _LongTokens(path, limit)
        pending: list[str] = []  # tokens of the current, unfinished line
        partial = ""  # a token possibly continued by the next block
        skipping = False  # in a token already too long: the rest of it is dropped
        newlines = nbytes = 0  # counted in the raw bytes before the current block
        lines_before = 0  # lines ended in the text before the current block
        with self.open(path) as fh, decompression_errors(path):
            head, nbytes = self._skip_bom(fh)
            while True:
                block = head + fh.read(self.block_size)
                head = b""
                final = not block
                text = self._decode(decoder, block, final, path, newlines, nbytes)
                newlines += block.count(b"\n")
                nbytes += len(block)
                if skipping:
                    space = _SPACE.search(text)
                    if space is None and not final:
                        continue
                    text = text[space.start():] if space is not None else ""
                    skipping = False
                *lines, last = (partial + text).split("\n")
                for k, line in enumerate(lines):
                    tokens = line.split()
                    if len(line) > limit:
                        tokens = long_tokens.keep(tokens, lines_before + k + 1)
                    pending.extend(tokens)
                    yield from _chunks(pending, max_len)
                    pending = []
                lines_before += len(lines)
                tokens = last.split()
                partial = tokens.pop() if tokens and not final and not last[-1].isspace() else ""
                if len(partial) > limit:
                    long_tokens.drop(lines_before + 1)
                    partial, skipping = "", True
                if len(last) > limit:
                    tokens = long_tokens.keep(tokens, lines_before + 1)
                pending.extend(tokens)
                if final:
                    yield from _chunks(pending, max_len)
                    long_tokens.warn(self._warned)
                    return
                if len(pending) >= max_len:
                    cut = len(pending) - len(pending) % max_len
                    for start in range(0, cut, max_len):
                        yield pending[start : start + max_len]
                    pending = pending[cut:]

    def fast_scan_supported(self) -> bool:
        """Whether :meth:`feed_scanner` can stand in for iteration.

        It can for a plain PathCorpus (not a subclass) read as strict UTF-8, once the
        compiled ``w2v._scan`` is built.

        Example
        -------
        >>> PathCorpus("text8").fast_scan_supported()
        True
        >>> PathCorpus("text8", encoding="latin-1").fast_scan_supported()
        False
        """
        if type(self) is not PathCorpus or self.encoding_errors != "strict":
            return False
        if codecs.lookup(self.encoding).name != "utf-8":
            return False
        try:
            from .. import _scan  # noqa: F401
        except ImportError:
            return False
        return True

    def feed_scanner(self, scanner: Any, after_block: Callable[[], None] | None = None
                      ) -> bool:
        """Feed one pass over the raw bytes to a compiled scanner (see :mod:`w2v._scan`).

        Each file is read in blocks of ``block_size`` bytes straight into the scanner's
        buffer. Bytes that are not valid UTF-8 raise the ValueError iteration raises.
        Returns False if the scanner cannot reproduce iteration (see
        :meth:`fast_scan_supported`, and ``w2v._scan.UNSUPPORTED``): the caller then
        iterates instead, with a fresh start. ``after_block`` is called after each block
        (the encoder uses it to write ids out to disk as they accumulate).

        Example
        -------
        >>> from w2v._scan import CountScanner
        >>> scanner = CountScanner(10_000)
        >>> PathCorpus("text8").feed_scanner(scanner), scanner.words
        (True, 1280)
        """
        if not self.fast_scan_supported():
            return False
        from .._scan import INVALID_UTF8, UNSUPPORTED

        # a token of more bytes may have too many characters: iteration decides
        scanner.max_token_bytes = self.max_token_length
        for path in self.files():
            with self.open(path) as fh, decompression_errors(path):
                head, _ = self._skip_bom(fh)
                if head:  # the file's first bytes, not a byte-order mark: scan them
                    scanner.window(len(head))[:] = head
                    status = scanner.process(len(head))
                    if status == INVALID_UTF8:
                        self._raise_decode_error(path)
                    if status == UNSUPPORTED:
                        return False
                while True:
                    # open_read's files are all io.BufferedIOBase underneath
                    read = fh.readinto(  # type: ignore[attr-defined]
                        scanner.window(self.block_size))
                    status = scanner.process(read) if read else scanner.finish()
                    if status == INVALID_UTF8:
                        self._raise_decode_error(path)
                    if status == UNSUPPORTED:
                        return False
                    if after_block is not None:
                        after_block()
                    if not read:
                        break
        return True

    def _is_utf8(self) -> bool:
        return codecs.lookup(self.encoding).name == "utf-8"

    def _skip_bom(self, fh: Any) -> tuple[bytes, int]:
        """Read past a UTF-8 byte-order mark at the start of a UTF-8 file (Windows editors
        write one; it would stick to the first word). Returns the bytes read that are not
        one (to be read as the file's first), and the bytes skipped."""
        if not self._is_utf8():
            return b"", 0
        head = fh.read(len(codecs.BOM_UTF8))
        return (b"", len(head)) if head == codecs.BOM_UTF8 else (head, 0)

    def _raise_decode_error(self, path: Path) -> None:
        """Decode ``path`` as iteration does, raising its ValueError at the first bad byte."""
        decoder = codecs.getincrementaldecoder(self.encoding)(self.encoding_errors)
        newlines = 0
        with self.open(path) as fh, decompression_errors(path):
            head, nbytes = self._skip_bom(fh)
            while True:
                block = head + fh.read(self.block_size)
                head = b""
                self._decode(decoder, block, not block, path, newlines, nbytes)
                if not block:
                    break
                newlines += block.count(b"\n")
                nbytes += len(block)
        raise RuntimeError(f"the compiled scanner rejected {str(path)!r} but it decodes")

    def _decode(self, decoder: Any, block: bytes, final: bool, path: Path, nl: int, nb: int) -> str:
        """Decode ``block`` (``nl`` newlines and ``nb`` bytes precede it) or raise ValueError;
        NUL characters are refused when strict, else read as spaces."""
        try:
            text = decoder.decode(block, final)
        except UnicodeDecodeError as exc:
            data = bytes(exc.object)
            carried = max(0, len(data) - len(block))  # bytes buffered from the last block
            line = nl - data[:carried].count(b"\n") + data[: exc.start].count(b"\n") + 1
            offset = nb - carried + exc.start
            raise ValueError(
                f"cannot decode {str(path)!r} as {self.encoding}: line {line} "
                f"(byte offset {offset}): {exc.reason}"
            ) from exc
        if "\x00" not in text:
            return text
        if self.encoding_errors != "strict":
            return text.replace("\x00", " ")
        at = text.index("\x00")
        where = f"line {nl + text[:at].count(chr(10)) + 1}"
        if codecs.lookup(self.encoding).name == "utf-8":  # one byte: its offset is exact
            where += f" (byte offset {nb + block.index(0)})"
        raise ValueError(
            f"{str(path)!r} holds a NUL character at {where}: not text in {self.encoding} "
            "(UTF-16 text has NUL bytes: pass encoding='utf-16'); to read NULs as spaces, "
            "pass encoding_errors='replace'"
        )


class SentenceCorpus:
    """A re-iterable wrapper that checks and normalises in-memory sentences.

    Each pass iterates ``sentences`` afresh and, per sentence: rejects a ``str`` or
    ``bytes`` (it must be a list of tokens); turns tuples and other iterables into
    lists (lists are yielded as they are, not copied); skips empty sentences; splits
    sentences longer than ``max_sentence_length`` into consecutive chunks.
    Token types are checked cheaply: every token of the first non-empty sentence of
    each pass, and the first token of every other sentence.

    Parameters
    ----------
    sentences : Iterable
        A re-iterable of sentences (each an iterable of ``str`` tokens).
    max_sentence_length : int
        Longer sentences are split into chunks of this many tokens.

    Example
    -------
    >>> list(SentenceCorpus([("a", "b", "c"), [], ["d"]], max_sentence_length=2))
    [['a', 'b'], ['c'], ['d']]
    """

    def __init__(
        self, sentences: Iterable[Any], max_sentence_length: int = MAX_SENTENCE_LENGTH
    ) -> None:
        self.sentences = sentences
        self.max_sentence_length = check_int("max_sentence_length", max_sentence_length,
                                             minimum=1)

    def __repr__(self) -> str:
        inner = type(self.sentences).__name__
        if hasattr(self.sentences, "__len__"):
            inner += f" of {len(self.sentences)}"  # type: ignore[arg-type]
        return f"{type(self).__name__}(<{inner}>, max_sentence_length={self.max_sentence_length})"

    def __iter__(self) -> Iterator[list[str]]:
        max_len = self.max_sentence_length
        checked = False
        for index, sent in enumerate(self.sentences):
            if type(sent) is not list:
                sent = _to_list(sent, index)
            if not sent:
                continue
            if not isinstance(sent[0], str) or not checked:
                _check_tokens(sent, index)
                checked = True
            if len(sent) <= max_len:
                yield sent
            else:
                yield from _chunks(sent, max_len)


def _to_list(sent: Any, index: int) -> list[Any]:
    """Convert one sentence to a list, rejecting strings and non-iterables."""
    if isinstance(sent, (str, bytes, bytearray)):
        raise TypeError(
            f"sentences must be lists of tokens, got a {type(sent).__name__} at sentence "
            f"{index}: {sent[:50]!r}; did you mean to split it (e.g. text.split())?"
        )
    try:
        return list(sent)
    except TypeError:
        raise TypeError(
            f"sentences must be lists of tokens, got {type(sent).__name__} at sentence {index}"
        ) from None


def _check_tokens(sent: list[Any], index: int) -> None:
    """Raise TypeError if any token of ``sent`` is not a ``str``."""
    for pos, token in enumerate(sent):
        if not isinstance(token, str):
            raise TypeError(
                f"tokens must be str, got {type(token).__name__} ({token!r:.50}) "
                f"at sentence {index}, position {pos}"
            )


def as_corpus(corpus: Any, max_sentence_length: int = MAX_SENTENCE_LENGTH) -> Iterable[list[str]]:
    """Normalise a user-supplied corpus into a re-iterable of non-empty token lists.

    Returns a :class:`PathCorpus` for a path, else a :class:`SentenceCorpus`. Raises
    ValueError if ``corpus`` is None or ``max_sentence_length < 1``; TypeError if it is
    not iterable, is bytes, or is a one-shot iterator (generator, open file, ``map``...).

    Parameters
    ----------
    corpus : str, os.PathLike or Iterable
        A path (see :class:`PathCorpus`), or a re-iterable of sentences such as a
        list of token lists or an object with an ``__iter__`` method yielding them.
    max_sentence_length : int
        Longer sentences are split into consecutive chunks of this many tokens.

    Example
    -------
    >>> list(as_corpus([["hello", "world"], ("again",)]))
    [['hello', 'world'], ['again']]
    """
    max_sentence_length = check_int("max_sentence_length", max_sentence_length, minimum=1)
    if corpus is None:
        raise ValueError("corpus is None; pass a path or a list of token lists")
    if isinstance(corpus, (str, os.PathLike)):
        return PathCorpus(corpus, max_sentence_length)
    if isinstance(corpus, (PathCorpus, SentenceCorpus)):
        if corpus.max_sentence_length == max_sentence_length:
            return corpus
    if isinstance(corpus, (bytes, bytearray, memoryview)):
        raise TypeError("corpus must be a str path or an iterable of token lists, got bytes")
    try:
        iterator = iter(corpus)
    except TypeError:
        raise TypeError(
            f"corpus must be a path or an iterable of token lists, got {type(corpus).__name__}"
        ) from None
    if iterator is corpus:
        raise TypeError(
            f"corpus is a one-shot iterator ({type(corpus).__name__}): training makes "
            "several passes and would see nothing after the first one. Pass a list of "
            "token lists, a file path (a pipe's path or /dev/stdin too: it is read once and "
            "kept in a temporary file), or an object of a class with an __iter__ method "
            "that starts over on each call."
        )
    return SentenceCorpus(corpus, max_sentence_length)


def warn_if_changed(scanned_words: int, read_words: int) -> None:
    """Warn (RuntimeWarning) when a corpus read again holds a different number of tokens
    than its vocabulary scan saw: a one-shot generator, a file still being written, or a
    corpus whose iteration is not repeatable. Training goes on with what it read.

    Example
    -------
    >>> warn_if_changed(1000, 1000)  # the same: nothing to say
    """
    if scanned_words == read_words:
        return
    hint = (" (a generator or iterator can be read only once: pass a list, a file path, or "
            "an object whose __iter__ starts over)" if read_words == 0 else "")
    warnings.warn(
        f"the corpus changed between passes: the vocabulary scan read {scanned_words:,} "
        f"tokens, training read {read_words:,}{hint}", RuntimeWarning, stacklevel=3)
