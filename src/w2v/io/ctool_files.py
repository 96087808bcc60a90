"""The word2vec C tool's two plain-text side files: the vocabulary (``-save-vocab`` /
``-read-vocab``: one ``word count`` line per word, most frequent first) and the word
classes (``-classes K``: one ``word class`` line per word, in vocabulary order).

The C tool's vocabulary starts with ``</s>``, its end-of-line token, counted once per line
break. w2v's corpora have no such token (a line is a sentence), so the files written here
do not have that line and :func:`read_vocab_file` drops it from the C tool's files.

Example
-------
>>> write_vocab_file("vocab.txt", ["the", "cat"], [3, 1])
>>> open("vocab.txt").read()
'the 3\\ncat 1\\n'
>>> read_vocab_file("vocab.txt")
{'the': 3, 'cat': 1}
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from .._util.atomic import atomic_write

__all__ = ["END_OF_LINE", "read_vocab_file", "write_classes_file", "write_vocab_file"]

#: The C tool's end-of-line token, the first entry of its vocabulary files.
END_OF_LINE = "</s>"
_MAX_COUNT = (1 << 63) - 1


def write_vocab_file(path: str | os.PathLike, words: Sequence[str],
                     counts: Sequence[int] | np.ndarray) -> None:
    """Write ``word count`` lines, as the C tool's ``-save-vocab`` does (atomically).

    Parameters
    ----------
    path : the file to write (UTF-8, ``\\n`` line ends).
    words : the words, in vocabulary order (most frequent first).
    counts : the count of each word, non-negative integers.

    Example
    -------
    >>> write_vocab_file("v.txt", ["a", "b"], [2, 1])
    >>> open("v.txt").read().splitlines()
    ['a 2', 'b 1']
    """
    values = np.asarray(counts)
    if values.shape != (len(words),) or (values.size and values.dtype.kind not in "iu"):
        raise ValueError(f"counts must be {len(words)} integers, got {values.dtype} "
                         f"{values.shape}")
    if values.size and values.min() < 0:
        raise ValueError(f"counts must be non-negative, got {values.min()}")
    for word in words:
        if not word or any(c.isspace() for c in word):
            raise ValueError(f"word {word!r} cannot be written: empty or has whitespace")
    with atomic_write(path, "w") as out:
        out.write("".join(f"{w} {c}\n" for w, c in zip(words, values.tolist(), strict=True)))


def read_vocab_file(path: str | os.PathLike) -> dict[str, int]:
    """Read a ``-save-vocab`` file (the C tool's or w2v's) into ``{word: count}``.

    The C tool's ``</s>`` line is dropped (see the module's notes). The dict keeps the
    file's order; a :class:`w2v.Vocabulary` built from it sorts the words again by count.

    Parameters
    ----------
    path : the file, UTF-8 text with ``word count`` lines (blank lines are ignored).

    Returns
    -------
    The counts; ``ValueError`` naming the file and line for a malformed line, a count
    that is not a non-negative integer, a word that is not UTF-8, or a repeated word.

    Example
    -------
    >>> _ = open("c_vocab.txt", "w").write("</s> 4\\nthe 3\\ncat 1\\n")
    >>> read_vocab_file("c_vocab.txt")
    {'the': 3, 'cat': 1}
    """
    name = os.fsdecode(path)
    with open(name, "rb") as handle:
        data = handle.read()
    counts: dict[str, int] = {}
    first_line: dict[str, int] = {}
    for lineno, line in enumerate(data.split(b"\n"), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2 or not parts[1].isdigit():
            raise ValueError(f"{name}: line {lineno}: expected 'word count', "
                             f"got {line[:80]!r}")
        count = int(parts[1])
        if count > _MAX_COUNT:
            raise ValueError(f"{name}: line {lineno}: count {count} is too large (>= 2**63)")
        try:
            word = parts[0].decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValueError(f"{name}: line {lineno}: word {parts[0]!r} is not valid UTF-8 "
                             f"({err.reason})") from None
        if word in first_line:
            raise ValueError(f"{name}: line {lineno}: word {word!r} already on line "
                             f"{first_line[word]}")
        first_line[word] = lineno
        if word != END_OF_LINE:
            counts[word] = count
    return counts


def write_classes_file(path: str | os.PathLike, words: Sequence[str],
                       classes: Sequence[int] | np.ndarray) -> None:
    """Write ``word class`` lines in vocabulary order, as the C tool's ``-classes`` does.

    The C tool's ``demo-classes.sh`` sorts the file by class afterwards
    (``sort classes.txt -k 2 -n``); the file itself is in the words' order.

    Parameters
    ----------
    path : the file to write (atomically).
    words : the words in vocabulary order.
    classes : the class id of each word (non-negative integers).

    Example
    -------
    >>> write_classes_file("classes.txt", ["the", "cat", "dog"], [1, 0, 0])
    >>> open("classes.txt").read().splitlines()
    ['the 1', 'cat 0', 'dog 0']
    """
    ids = np.asarray(classes)
    if ids.shape != (len(words),) or (ids.size and ids.dtype.kind not in "iu"):
        raise ValueError(f"classes must be {len(words)} integers, got {ids.dtype} {ids.shape}")
    with atomic_write(path, "w") as out:
        out.write("".join(f"{w} {c}\n" for w, c in zip(words, ids.tolist(), strict=True)))
