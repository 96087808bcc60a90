"""Corpus readers with gensim's names and behaviour: ``LineSentence``, ``Text8Corpus``,
``PathLineSentences``. Each is re-iterable and yields lists of str tokens."""

from __future__ import annotations

import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import IO, Any

from ..._util.validation import check_int
from ...data.streams import Spool, open_pass

#: gensim's cap on a sentence's tokens; longer lines are split into several sentences.
MAX_WORDS_IN_BATCH = 10_000


def _tokens(line: bytes | str) -> list[str]:
    text = line.decode("utf-8") if isinstance(line, bytes) else line
    return text.split()


def _pieces(tokens: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(tokens), size):
        yield tokens[start:start + size]


class LineSentence:
    """One sentence per line of a text file (or of an open file object), tokens
    separated by whitespace, UTF-8; ``.gz``/``.bz2``/``.xz`` files are decompressed.
    A path that can be read only once (a pipe, ``/dev/stdin``) is read once and kept
    for the later passes (see :mod:`w2v.data.streams`).

    Parameters
    ----------
    source : a path, or a file object (rewound at each pass).
    max_sentence_length : longer lines are split into sentences of at most this many tokens.
    limit : read only the first ``limit`` lines.

    Example
    -------
    >>> _ = open("lines.txt", "w").write("the cat sat\\nthe dog\\n")
    >>> list(LineSentence("lines.txt"))
    [['the', 'cat', 'sat'], ['the', 'dog']]
    """

    def __init__(self, source: str | os.PathLike | IO[Any],
                 max_sentence_length: int = MAX_WORDS_IN_BATCH, limit: int | None = None) -> None:
        self.source = source
        self.max_sentence_length = check_int("max_sentence_length", max_sentence_length,
                                             minimum=1)
        self.limit = check_int("limit", limit, minimum=0, allow_none=True)
        self._spools: dict[str, Spool] = {}

    def __iter__(self) -> Iterator[list[str]]:
        if hasattr(self.source, "read"):
            handle: Any = self.source
            handle.seek(0)
            yield from self._read(handle)
        else:
            with open_pass(os.fspath(self.source), self._spools) as handle:
                yield from self._read(handle)

    def _read(self, handle: Any) -> Iterator[list[str]]:
        for line in islice(handle, self.limit):
            yield from _pieces(_tokens(line), self.max_sentence_length)


class PathLineSentences:
    """Like :class:`LineSentence` over every file of a directory (sorted by name), or a
    single file.

    Example
    -------
    >>> os.makedirs("parts", exist_ok=True)
    >>> _ = open("parts/b.txt", "w").write("c d\\n")
    >>> _ = open("parts/a.txt", "w").write("a b\\n")
    >>> list(PathLineSentences("parts"))
    [['a', 'b'], ['c', 'd']]
    """

    def __init__(self, source: str | os.PathLike, max_sentence_length: int = MAX_WORDS_IN_BATCH,
                 limit: int | None = None) -> None:
        path = Path(source)
        if path.is_file():
            self.input_files = [str(path)]
        elif path.is_dir():
            self.input_files = sorted(str(p) for p in path.iterdir()
                                      if p.is_file() or p.is_fifo())
        elif path.exists() and not path.is_dir():  # a pipe: LineSentence reads it once
            self.input_files = [str(path)]
        else:
            raise ValueError(f"{source}: not a file or a directory")
        if not self.input_files:
            raise ValueError(f"{source}: the directory holds no files")
        self.source = source
        self.max_sentence_length = max_sentence_length
        self.limit = limit
        self._files = [LineSentence(name, max_sentence_length, limit)
                       for name in self.input_files]  # each keeps a pipe's bytes

    def __iter__(self) -> Iterator[list[str]]:
        for lines in self._files:
            yield from lines


class Text8Corpus:
    """The text8 layout: one long line of tokens, cut into sentences of
    ``max_sentence_length`` tokens.

    Example
    -------
    >>> _ = open("tiny8", "w").write(" a b c d e")
    >>> list(Text8Corpus("tiny8", max_sentence_length=2))
    [['a', 'b'], ['c', 'd'], ['e']]
    """

    def __init__(self, fname: str | os.PathLike,
                 max_sentence_length: int = MAX_WORDS_IN_BATCH) -> None:
        self.fname = fname
        self.max_sentence_length = check_int("max_sentence_length", max_sentence_length,
                                             minimum=1)
        self._spools: dict[str, Spool] = {}

    def __iter__(self) -> Iterator[list[str]]:
        sentence: list[str] = []
        rest = b""
        with open_pass(self.fname, self._spools) as handle:
            while True:
                block = handle.read(1 << 20)
                if not block:
                    words = rest.decode("utf-8").split()
                    rest = b""
                else:
                    cut = max(block.rfind(b" "), block.rfind(b"\n"))
                    if cut < 0:
                        rest += block
                        continue
                    words = (rest + block[:cut]).decode("utf-8").split()
                    rest = block[cut:]
                sentence.extend(words)
                while len(sentence) >= self.max_sentence_length:
                    yield sentence[:self.max_sentence_length]
                    sentence = sentence[self.max_sentence_length:]
                if not block:
                    break
        if sentence:
            yield sentence
