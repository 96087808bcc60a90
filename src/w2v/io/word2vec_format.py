"""Read and write the original word2vec C tool's vector files, text and binary.

Both formats start with a header line ``"<words> <dimensions>\\n"``. In the text format each
further line holds a word and its values separated by single spaces; in the binary format each
row is the word, a space, the values as little-endian float32 and (as the C tool writes it) a
newline. Words are UTF-8. A path ending in ``.gz``, ``.bz2`` or ``.xz`` is compressed.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import warnings
from collections.abc import Callable, Sequence
from typing import IO

import numpy as np
from numpy.lib.stride_tricks import as_strided
from numpy.typing import DTypeLike

from .._util.atomic import atomic_write
from .._util.compression import compression_of, compressor, decompression_errors, open_read
from .._util.validation import check_int

__all__ = ["load_word2vec_format", "save_word2vec_format"]

_BLOCK = 1 << 24  # bytes read, or about written, at a time
_MAX_HEADER = 1024  # the header line is two integers: anything longer is not a header
_MAX_WORD = 1 << 20  # a binary row whose word has no space within this many bytes is corrupt
_MAX_DIMS = 2**31 - 1  # the kernels index a vector with a C int
_MAX_COUNT = 2**63 - 1  # counts are int64
_LEADING_NEWLINES = re.compile(rb"(?:^|(?<= ))\n+")  # the C tool's "\n" before a binary word
_ASCII_SPACE = re.compile(rb"[\t\n\r\x0b\x0c]")  # in a binary word once that "\n" is gone
_OTHER_SPACE = re.compile(r"[^\S\n]")  # whitespace other than the "\n" joining the words
#: File-name suffixes read and written compressed.


def _check_words(index_to_key: Sequence[str], rows: int) -> list[bytes]:
    """UTF-8 bytes of each word; ``ValueError`` naming the first word no reader could split."""
    words = list(index_to_key)
    if len(words) != rows:
        raise ValueError(f"vectors has {rows} rows but index_to_key has {len(words)} words")
    if not words:
        return []
    try:  # one joined string makes the common case (all words fine) fast
        joined = "\n".join(words)
        if joined.count("\n") == rows - 1 and not _OTHER_SPACE.search(joined) and "" not in words:
            return joined.encode("utf-8").split(b"\n")
    except (TypeError, UnicodeEncodeError):
        pass
    for row, word in enumerate(words):
        if not isinstance(word, str):
            raise TypeError(f"word at row {row} is {type(word).__name__}, not str: {word!r}")
        if not word or any(c.isspace() for c in word):
            raise ValueError(
                f"word {word!r} at row {row} is empty or contains whitespace, which would "
                "corrupt a word2vec file"
            )
        try:
            word.encode("utf-8")
        except UnicodeEncodeError as err:
            raise ValueError(f"word {word!r} at row {row} cannot be UTF-8 encoded: {err}") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _text_block(words: list[bytes], block: np.ndarray) -> bytes:
    """Rows as text lines: ``%.9g`` is enough digits for every float32 to read back exactly."""
    if block.shape[1] == 0:
        return b"".join(w + b"\n" for w in words)
    line = " ".join(["%.9g"] * block.shape[1]) + "\n"
    body = "".join([line % tuple(row) for row in block.tolist()]).encode("ascii")
    parts = body.split(b"\n")[:-1]  # the formatted numbers hold no "\n"
    return b"".join([w + b" " + p + b"\n" for w, p in zip(words, parts, strict=True)])


def _binary_block(words: list[bytes], block: np.ndarray) -> bytes:
    """Rows as the C tool writes them: word, space, little-endian float32s, newline."""
    data = memoryview(np.ascontiguousarray(block, dtype="<f4").tobytes())
    size = block.shape[1] * 4
    pieces: list[bytes | memoryview] = []
    for i, word in enumerate(words):
        pieces += (word, b" ", data[i * size : (i + 1) * size], b"\n")
    return b"".join(pieces)


def save_word2vec_format(
    path: str | os.PathLike,
    vectors: np.ndarray,
    index_to_key: Sequence[str],
    binary: bool = False,
    fvocab: str | os.PathLike | None = None,
    counts: np.ndarray | None = None,
) -> None:
    """Write vectors in the word2vec C tool's text or binary format, atomically.

    Text values are written with ``%.9g``, enough digits for every float32 to read back
    bit-exactly (NaN is written as ``nan``, so its payload bits are not kept). Non-finite
    values are allowed.

    Parameters
    ----------
    path : the file; a ``.gz``, ``.bz2`` or ``.xz`` suffix compresses it.
    vectors : array (words, dim), converted to float32.
    index_to_key : the word of each row; words must be non-empty and hold no whitespace.
    binary : write the binary format instead of text.
    fvocab : if given, also write the C tool's ``-save-vocab`` file (lines ``word count``).
    counts : the count of each word (non-negative integers); required with ``fvocab``.

    Example
    -------
    >>> save_word2vec_format("eye.txt", np.eye(2), ["a", "b"])
    >>> open("eye.txt").read()
    '2 2\\na 1 0\\nb 0 1\\n'
    """
    path = os.fsdecode(path)
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.dtype.kind not in "fiu":
        raise ValueError(f"vectors must be a 2-D real array, got {vectors.dtype} {vectors.shape}")
    rows, dims = vectors.shape
    words = _check_words(index_to_key, rows)
    count_list: list[int] = []
    if fvocab is not None:
        if counts is None:
            raise ValueError("fvocab needs counts, the count of each word")
        counts = np.asarray(counts)
        if counts.shape != (rows,) or counts.dtype.kind not in "iu":
            raise ValueError(f"counts must be {rows} integers, got {counts.dtype} {counts.shape}")
        if rows and counts.min() < 0:
            raise ValueError(f"counts must be non-negative, got {counts.min()}")
        count_list = counts.tolist()
    step = max(1, min(_BLOCK // (dims * 4 + 16), (1 << 20) // max(dims, 1)))
    to_bytes = _binary_block if binary else _text_block

    with atomic_write(path, "wb") as raw, compressor(path, raw) as out:
        out.write(f"{rows} {dims}\n".encode())
        for start in range(0, rows, step):
            block = vectors[start : start + step].astype(np.float32, copy=False)
            out.write(to_bytes(words[start : start + step], block))
    if fvocab is not None:
        fvocab = os.fsdecode(fvocab)
        lines = [w + b" %d\n" % c for w, c in zip(words, count_list, strict=True)]
        with atomic_write(fvocab, "wb") as raw, compressor(fvocab, raw) as out:
            out.write(b"".join(lines))


def _open(path: str) -> tuple[IO[bytes], int | None]:
    """The file, read as bytes, and its size when not compressed (``None`` when unknown)."""
    if compression_of(path):
        return open_read(path), None
    handle = open(path, "rb")
    info = os.fstat(handle.fileno())
    return handle, info.st_size if stat.S_ISREG(info.st_mode) else None


def find_nonfinite(array: np.ndarray) -> tuple[int, int] | None:
    """``(row, column)`` of the first NaN or infinity in a 0-2-D ``array``, or None; read in
    blocks, so a memory map is read once with no full-size temporary (also used by model_files).
    """
    if array.dtype.kind != "f" or not array.size:
        return None
    rows = array.reshape(1, 1) if array.ndim == 0 else array.reshape(len(array), -1)
    step = max(1, _BLOCK // (rows.shape[1] * rows.itemsize))
    for start in range(0, len(rows), step):
        bad = ~np.isfinite(rows[start : start + step])
        if bad.any():
            row, column = np.argwhere(bad)[0].tolist()
            return start + row, column
    return None


def _decode(raw: Sequence[bytes | bytearray], errors: str, where: Callable[[int], str],
            newlines: bool = False) -> list[str]:
    """Decode words at once; on failure, find the bad one and say ``where(index)`` it is.
    ``newlines`` (binary rows): drop the "\\n"s before a word (the C tool writes one before each
    word but the first); any other ASCII whitespace in a word is an error.
    """
    joined = b" ".join(raw)
    if newlines:
        joined = _LEADING_NEWLINES.sub(b"", joined)
        found = _ASCII_SPACE.search(joined)
        if found:
            i = joined.count(b" ", 0, found.start())
            raise ValueError(f"{where(i)}: word {bytes(raw[i])!r} holds whitespace; a word of a "
                             "binary file ends at its first space and holds no other whitespace")
    try:
        words = joined.decode("utf-8", errors).split(" ")
    except UnicodeDecodeError:
        for i, word in enumerate(raw):
            word = word.lstrip(b"\n") if newlines else word
            try:
                word.decode("utf-8", errors)
            except UnicodeDecodeError as err:
                raise ValueError(
                    f"{where(i)}: word {bytes(word)!r} is not valid UTF-8 ({err.reason}); "
                    "pass unicode_errors='replace' or 'ignore' to load it anyway"
                ) from None
        raise
    if "" in words:
        raise ValueError(f"{where(words.index(''))}: empty word")
    return words


def _grow(out: np.ndarray, count: int, need: int, rows: int) -> np.ndarray:
    """``out`` with room for ``need`` rows: capacity doubles, so memory tracks data read."""
    if need <= len(out):
        return out
    bigger = np.empty((min(rows, max(need, 2 * len(out))), out.shape[1]), out.dtype)
    bigger[:count] = out[:count]
    return bigger


def _check_rest(handle: IO[bytes], rest: bytes, offset: int, name: str, rows: int) -> None:
    """Only whitespace may follow the rows the header promises (``rest`` is already read)."""
    while True:
        stripped = rest.lstrip()
        if stripped:
            at = offset + len(rest) - len(stripped)
            raise ValueError(
                f"{name}: data after the {rows} rows the header promises, at byte offset {at} "
                f"({bytes(stripped[:40])!r}); the header does not match the file"
            )
        offset += len(rest)
        rest = handle.read(_BLOCK)
        if not rest:
            return


def _read_binary(handle, name, rows, dims, start, size, errors, check_rest):
    """Rows after the header (which ends at byte ``start``): words, then float32 rows gathered
    from 16 MB blocks at once; ``size`` is the file's when known, to refuse absurd headers."""
    width = dims * 4
    if size is not None and rows * (width + 2) > size - start:
        raise ValueError(
            f"{name}: truncated: the header promises {rows} rows of {dims} float32s, at least "
            f"{rows * (width + 2)} bytes after byte offset {start}, but the file has only "
            f"{size - start}"
        )
    cap = rows if size is not None else min(rows, _BLOCK // (width + 2))
    out = np.empty((cap, width), np.uint8)  # raw bytes of the rows read so far
    words: list[str] = []
    buf, pos, base = bytearray(), 0, start  # base: file offset of buf[0]
    while len(words) < rows:
        chunk = handle.read(_BLOCK)
        del buf[:pos]
        base, pos = base + pos, 0
        buf += chunk
        raw: list[bytearray] = []
        starts: list[int] = []
        end, find = len(buf), buf.find
        add_word, add_start = raw.append, starts.append
        for _ in range(rows - len(words)):  # the hot loop: keep it lean
            space = find(b" ", pos, pos + _MAX_WORD)
            after = space + 1 + width
            if space < 0 or after > end:
                break
            add_word(buf[pos:space])
            add_start(space + 1)
            pos = after
        if space < 0 and end - pos >= _MAX_WORD:
            raise ValueError(f"{name}: no space ends the word of row {len(words) + len(raw)} "
                             f"within {_MAX_WORD} bytes of byte offset {base + pos}")
        if not raw:
            if chunk:
                continue
            row, at = len(words), base + pos
            if not buf[pos:].strip():
                raise ValueError(f"{name}: the file ends after {row} of the {rows} rows "
                                 f"the header promises (byte offset {at})")
            raise ValueError(f"{name}: truncated: row {row} at byte offset {at} needs "
                             f"{width} bytes of float32s after its word, the file ends first")
        first = len(words)

        def where(i: int, raw=raw, starts=starts, base=base, first=first) -> str:
            at = base + starts[i] - 1 - len(raw[i].lstrip(b"\n"))
            return f"{name}: row {first + i} (byte offset {at})"

        words += _decode(raw, errors, where, newlines=True)
        out = _grow(out, first, len(words), rows)
        if width:
            view = as_strided(np.frombuffer(buf, np.uint8), (end - width + 1, width), (1, 1))
            out[first : len(words)] = view[np.array(starts)]
            del view  # buf cannot be resized while a numpy view of it exists
    if check_rest:
        _check_rest(handle, bytes(buf[pos:]), base + pos, name, rows)
    out = out[: len(words)] if len(out) == len(words) else out[: len(words)].copy()
    return out.view("<f4") if width else np.empty((len(words), 0), np.float32), words


def _parse_values(rest: bytes, dims: int) -> np.ndarray:
    """The ``dims`` float32 values of one text line, or ``ValueError`` naming the problem."""
    try:
        values = np.fromstring(rest, dtype=np.float32, sep=" ")
        if values.size == dims:
            return values
    except (ValueError, DeprecationWarning):  # older numpy only warns of unparsed text
        pass
    tokens = rest.split()
    if len(tokens) != dims:
        raise ValueError(f"expected {dims} values after the word, found {len(tokens)}")
    for column, token in enumerate(tokens, 1):
        try:
            float(token)
        except ValueError:
            raise ValueError(f"value {column} {token[:40]!r} is not a number") from None
    raise ValueError(f"values are not numbers: {rest[:80]!r}")


def _read_text(handle, name, rows, dims, start, size, errors, check_rest):
    """Rows after the header, a line each, parsed line by line from 16 MB blocks."""
    if size is not None:  # each row takes at least 2 * dims + 2 bytes: "w 0 0\n"
        cap = min(rows, (size - start) // (2 * dims + 2))
    else:
        cap = min(rows, _BLOCK // (4 * dims + 4))
    out = np.empty((cap, dims), np.float32)
    words: list[str] = []
    buf, base, eof, lineno = bytearray(), start, False, 1  # lineno: lines consumed
    if not rows and check_rest:
        _check_rest(handle, b"", start, name, rows)
    while len(words) < rows and not eof:
        chunk = handle.read(_BLOCK)
        eof = not chunk
        buf += chunk
        cut = len(buf) if eof else buf.rfind(b"\n") + 1
        if not cut:
            continue
        data = bytes(buf[:cut])
        lines = data.split(b"\n")
        del buf[:cut]
        if not eof or not lines[-1]:
            lines.pop()  # the empty piece after the last "\n" is no line
        raw: list[bytes] = []
        first = count = len(words)
        for line in lines[: rows - first]:
            lineno += 1
            parts = line.split(None, 1)
            try:
                if not parts:
                    raise ValueError(f"empty line, expected a word and {dims} values")
                values = _parse_values(parts[1] if len(parts) > 1 else b"", dims)
            except ValueError as err:
                raise ValueError(f"{name}: line {lineno}: {err}") from None
            if count == len(out):  # grown only for a row really read: the file justifies it
                out = _grow(out, count, count + 1, rows)
            out[count] = values
            raw.append(parts[0])
            count += 1

        def where(i: int, lines=lines, base=base, first=first, line1=lineno + 1 - count + first):
            at = base + sum(len(line) + 1 for line in lines[:i])
            return f"{name}: row {first + i} (line {line1 + i}, byte offset {at})"

        words += _decode(raw, errors, where)
        if len(words) == rows and check_rest:
            at = sum(len(line) + 1 for line in lines[: rows - first])
            _check_rest(handle, data[at:] + bytes(buf), base + at, name, rows)
        base += cut
    if len(words) < rows:
        raise ValueError(f"{name}: the file ends after {len(words)} of the {rows} rows "
                         f"the header promises (line {lineno})")
    return (out if len(out) == rows else out[:rows].copy()), words


def _read_counts(path: str, words: list[str], errors: str) -> np.ndarray:
    """Counts from a ``-save-vocab`` file, in the order of ``words``."""
    handle, _ = _open(path)
    with handle, decompression_errors(path):
        lines = handle.read().split(b"\n")
    counts: dict[str, tuple[int, int]] = {}
    for lineno, line in enumerate(lines, 1):
        parts = line.split()
        if not parts:
            continue
        digits = parts[1].lstrip(b"0") or b"0" if len(parts) == 2 else b""
        if not digits.isdigit() or len(digits) > 19 or int(digits) > _MAX_COUNT:
            raise ValueError(f"{path}: line {lineno}: expected 'word count' (count < 2**63), "
                             f"got {line[:80]!r}")
        try:
            word = parts[0].decode("utf-8", errors)
        except UnicodeDecodeError as err:
            raise ValueError(f"{path}: line {lineno}: word {parts[0]!r} is not valid UTF-8 "
                             f"({err.reason})") from None
        if word in counts:
            raise ValueError(f"{path}: word {word!r} on lines {counts[word][1]} and {lineno}")
        counts[word] = (int(digits), lineno)
    missing = next((i for i, w in enumerate(words) if w not in counts), None)
    if missing is not None:
        raise ValueError(f"{path}: no count for word {words[missing]!r} (row {missing})")
    return np.array([counts[w][0] for w in words], dtype=np.int64)


def load_word2vec_format(
    path: str | os.PathLike,
    binary: bool = False,
    limit: int | None = None,
    unicode_errors: str = "strict",
    fvocab: str | os.PathLike | None = None,
    dtype: DTypeLike = np.float32,
    allow_nonfinite: bool = False,
) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """Read a file in the word2vec C tool's text or binary format.

    Reads what the C tool writes (text values followed by a space; a newline after each binary
    vector) and what gensim writes (no trailing space; no newline after binary vectors), with
    ``\\n`` or ``\\r\\n`` lines and spaces or tabs between text values. Every inconsistency
    raises ``ValueError`` naming the file and the line (text) or byte offset (binary).

    Parameters
    ----------
    path : the file; a ``.gz``, ``.bz2`` or ``.xz`` suffix is decompressed.
    binary : read the binary format instead of text.
    limit : read only the first ``limit`` rows (``None``: all, and check nothing follows).
    unicode_errors : how to decode words that are not UTF-8 (``"strict"`` raises; ``"replace"``
        or ``"ignore"`` accept words the C tool truncated inside a character).
    fvocab : the C tool's ``-save-vocab`` file; its counts are returned in row order.
    dtype : floating type of the returned vectors (the files hold float32).
    allow_nonfinite : accept NaN and infinite values (by default they raise ``ValueError``
        naming the row: they would poison every similarity computed with them).

    Returns
    -------
    ``(vectors, words, counts)``: array (words, dim), the word of each row, and the counts
    (int64) or ``None`` without ``fvocab``.

    Example
    -------
    >>> save_word2vec_format("eye.txt", np.eye(2), ["a", "b"])
    >>> vectors, words, _ = load_word2vec_format("eye.txt")
    >>> words, vectors.tolist()
    (['a', 'b'], [[1.0, 0.0], [0.0, 1.0]])
    """
    name = os.fsdecode(path)
    limit = check_int("limit", limit, minimum=0, allow_none=True)
    if np.dtype(dtype).kind != "f":
        raise ValueError(f"dtype must be a floating type, got {np.dtype(dtype)}")
    try:  # an unknown handler fails now, not on the first bad word
        codecs.lookup_error(unicode_errors)
    except LookupError:
        raise ValueError(f"unknown unicode_errors handler {unicode_errors!r}") from None
    handle, size = _open(name)
    with handle, decompression_errors(name):
        header = handle.readline(_MAX_HEADER)
        parts = header.split()
        if len(parts) != 2 or not all(p.isdigit() for p in parts) or (
                len(header) == _MAX_HEADER and not header.endswith(b"\n")):
            raise ValueError(f"{name}: line 1 must be '<words> <dimensions>' (two non-negative "
                             f"integers), got {header[:80]!r}")
        promised, dims = int(parts[0]), int(parts[1])
        if dims > _MAX_DIMS:
            raise ValueError(f"{name}: line 1 promises {dims} dimensions, over {_MAX_DIMS}")
        rows = promised if limit is None else min(promised, limit)
        reader = _read_binary if binary else _read_text
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)  # np.fromstring, older numpy
            vectors, words = reader(handle, name, rows, dims, len(header), size, unicode_errors,
                                    rows == promised)
    if len(set(words)) != len(words):
        seen: dict[str, int] = {}
        for row, word in enumerate(words):
            if word in seen:
                raise ValueError(f"{name}: word {word!r} is on rows {seen[word]} and {row}")
            seen[word] = row
    bad = None if allow_nonfinite else find_nonfinite(vectors)
    if bad is not None:
        line = "" if binary else f", line {bad[0] + 2}"
        raise ValueError(f"{name}: row {bad[0]}{line} (word {words[bad[0]]!r}) holds "
                         f"{vectors[bad]} at column {bad[1]}; allow_nonfinite=True loads it")
    vectors = vectors.astype(dtype, copy=False)
    counts = None if fvocab is None else _read_counts(os.fsdecode(fvocab), words, unicode_errors)
    return vectors, words, counts
