"""The one table of the compressed formats w2v reads and writes, chosen by file suffix:
gzip (``.gz``), bzip2 (``.bz2``) and xz (``.xz``), all from Python's standard library."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any, cast

__all__ = ["SUFFIXES", "compression_of", "compressor", "decompression_errors", "open_read"]

_READERS: dict[str, Callable[..., Any]] = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}
#: The suffixes of compressed files (lower case).
SUFFIXES = tuple(_READERS)


def compression_of(path: str | os.PathLike) -> str | None:
    """The compression suffix of ``path`` (lower-cased), or None for a plain file.

    Example
    -------
    >>> compression_of("corpus.TXT.GZ"), compression_of("corpus.txt")
    ('.gz', None)
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    return suffix if suffix in _READERS else None


def open_read(path: str | os.PathLike, raw: IO[bytes] | None = None) -> IO[bytes]:
    """``path`` opened for reading bytes, decompressed as its suffix says.

    ``raw``, when given, is read instead of opening ``path`` (a copy of a pipe's bytes,
    say); ``path`` then only names the compression.

    Example
    -------
    >>> with gzip.open("hello.gz", "wb") as handle:
    ...     _ = handle.write(b"hello")
    >>> with open_read("hello.gz") as handle:
    ...     handle.read()
    b'hello'
    """
    suffix = compression_of(path)
    if raw is not None:
        return _READERS[suffix](raw, "rb") if suffix else raw
    return _READERS[suffix](path, "rb") if suffix else open(path, "rb")


@contextlib.contextmanager
def decompression_errors(path: str | os.PathLike) -> Iterator[None]:
    """Corrupt or truncated compressed data read inside this block raises ``ValueError``
    naming ``path`` (the decompressors raise EOFError, zlib.error, lzma.LZMAError or an
    OSError without errno); I/O errors stay ``OSError``.

    Example
    -------
    >>> _ = open("cut.gz", "wb").write(gzip.compress(b"hello world")[:-9])
    >>> with open_read("cut.gz") as handle, decompression_errors("cut.gz"):
    ...     handle.read()
    Traceback (most recent call last):
    ...
    ValueError: cut.gz: corrupt or truncated compressed data: Compressed file ended before ...
    """
    try:
        yield
    except (EOFError, OSError, lzma.LZMAError, zlib.error) as err:
        if isinstance(err, OSError) and (err.errno is not None or isinstance(err, TimeoutError)):
            raise  # an I/O error, or a pipe that stayed silent (w2v.data.streams)
        raise ValueError(f"{os.fspath(path)}: corrupt or truncated compressed data: {err}"
                         ) from None


def compressor(path: str | os.PathLike,
               raw: IO[bytes]) -> contextlib.AbstractContextManager[IO[bytes]]:
    """``raw`` (a binary file being written for ``path``) wrapped in the compressor that
    ``path``'s suffix asks for; ``raw`` itself for a plain file. gzip records ``path``'s
    name in its header (not a temporary file's).

    Example
    -------
    >>> with open("hello.xz", "wb") as raw, compressor("hello.xz", raw) as out:
    ...     _ = out.write(b"hello")
    >>> open_read("hello.xz").read()
    b'hello'
    """
    suffix = compression_of(path)
    if suffix == ".gz":
        return cast(IO[bytes], gzip.GzipFile(os.path.basename(os.fspath(path)), "wb",
                                             compresslevel=6, fileobj=raw))
    if suffix in (".bz2", ".xz"):
        return (bz2.BZ2File if suffix == ".bz2" else lzma.LZMAFile)(raw, "wb")
    return contextlib.nullcontext(raw)
