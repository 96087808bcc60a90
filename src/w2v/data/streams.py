"""Corpus paths that can be read only once: pipes, named pipes (FIFOs), ``/dev/stdin``,
process substitution's ``/dev/fd/N``, terminals and other character devices.

Training reads a corpus more than once (the vocabulary, then the ids it trains on), and a
pipe gives its bytes only once; opening a named pipe a second time waits for a writer
that never comes. A :class:`Spool` reads such a path exactly once: every byte read is
also written to a private temporary file (created in :func:`tempfile.gettempdir`, which
honours ``TMPDIR``, and unnamed where the system allows, so nothing is left behind even
when the process is killed), and every later pass reads that copy. The first pass (the
vocabulary count) reads the pipe as it comes; the copy then holds the whole stream.

Waiting for a writer is visible and can be bounded: while no byte arrives, a warning on
the ``w2v`` logger (stderr by default) says every :data:`NOTICE_SECONDS` what is awaited;
with a ``timeout``, that many seconds without a byte raise :class:`TimeoutError` naming
the path. (Where ``select.poll`` is missing, on Windows, the path is opened and read
plainly: the wait can be neither seen nor bounded.)

Example
-------
>>> import os, threading
>>> os.mkfifo("fifo")
>>> def write():
...     with open("fifo", "w") as writer:
...         _ = writer.write("a b\\nc\\n")
>>> threading.Thread(target=write).start()
>>> spool = Spool("fifo", timeout=30)
>>> spool.open().read(), spool.open().read()  # the second read is the copy's
(b'a b\\nc\\n', b'a b\\nc\\n')
>>> spool.close()
"""

from __future__ import annotations

import io
import itertools
import logging
import os
import select
import stat
import tempfile
import threading
import time
from typing import IO

from .._util.compression import open_read

__all__ = ["NOTICE_SECONDS", "Spool", "is_stream", "open_pass"]

logger = logging.getLogger("w2v")

#: Seconds between the warnings that say a pipe is still awaited.
NOTICE_SECONDS = 5.0

_SERIALS = itertools.count(1)  # numbers spools: a copy is told from a later one of its path


def is_stream(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a directory (after
    symbolic links): a pipe, a FIFO, a terminal, ``/dev/stdin`` when it is one of those.

    Example
    -------
    >>> is_stream("text8"), is_stream("corpus_dir"), is_stream("missing.txt")
    (False, False, False)
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def open_pass(path: str | os.PathLike[str], spools: dict[str, Spool],
              timeout: float | None = None) -> IO[bytes]:
    """``path`` opened for one pass of a reader, decompressed as its suffix says: a
    regular file afresh; a path that can be read only once (:func:`is_stream`) through
    its :class:`Spool` in ``spools`` (the reader's own, keyed by path; made on first use,
    with ``timeout``), so that every pass sees the same bytes.

    Example
    -------
    >>> spools: dict[str, Spool] = {}
    >>> with open_pass("text8", spools) as handle:
    ...     handle.read(4)
    b'the '
    >>> spools  # a regular file needs none
    {}
    """
    key = os.fspath(path)
    spool = spools.get(key)
    if spool is None and is_stream(path):
        spool = spools[key] = Spool(path, timeout)
    return open_read(path) if spool is None else open_read(path, spool.open())


class Spool:
    """One pass over a path that can be read only once, kept for any number of passes.

    :meth:`open` returns a new reader from the first byte; readers may run one after
    another or interleaved. The path is opened on the first read, and each byte is read
    from it once and copied to an unnamed temporary file that later reads use. The copy
    lives until :meth:`close` (or until the spool is garbage-collected).

    Parameters
    ----------
    path : str or os.PathLike
        The pipe, FIFO or device.
    timeout : float or None
        Seconds to wait for a byte (a writer to appear, or the next data from it) before
        :class:`TimeoutError`; None waits as long as it takes, saying so every
        :data:`NOTICE_SECONDS` seconds.

    Example
    -------
    >>> with open("hello.txt", "w") as handle:
    ...     _ = handle.write("hello world")
    >>> spool = Spool("hello.txt")  # any readable path works; pipes are what it is for
    >>> first = spool.open()
    >>> first.read(5), spool.open().read(), first.read()
    (b'hello', b'hello world', b' world')
    >>> spool.close()
    """

    def __init__(self, path: str | os.PathLike[str], timeout: float | None = None) -> None:
        self.path = os.fspath(path)
        self.timeout = timeout
        self.serial = next(_SERIALS)  # no other spool of this process has it
        self.size = 0  # bytes read from the path (and copied) so far
        self.complete = False  # the path's end was reached: the copy holds everything
        self._source: io.FileIO | None = None
        self._copy: IO[bytes] | None = None
        self._poll: select.poll | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "complete" if self.complete else "reading"
        return f"Spool({self.path!r}, {self.size} bytes, {state})"

    def open(self) -> io.BufferedReader:
        """A reader of the path's bytes from the first one (the copy's, then the path's).

        Example
        -------
        >>> with open("one.txt", "w") as handle:
        ...     _ = handle.write("one")
        >>> Spool("one.txt").open().read()
        b'one'
        """
        return io.BufferedReader(_SpoolReader(self))

    def read_at(self, position: int, size: int) -> bytes:
        """Up to ``size`` bytes from ``position`` (``b""`` at the end of the stream): from
        the copy when it holds them, else newly read from the path (and copied). Like a
        pipe's ``read``, it may return fewer bytes than asked for before the end.

        Example
        -------
        >>> with open("abc.txt", "w") as handle:
        ...     _ = handle.write("abc")
        >>> spool = Spool("abc.txt")
        >>> spool.read_at(0, 2), spool.read_at(0, 10), spool.read_at(2, 10), spool.read_at(3, 10)
        (b'ab', b'ab', b'c', b'')
        """
        with self._lock:
            if position < self.size:
                assert self._copy is not None
                self._copy.seek(position)
                return self._copy.read(min(size, self.size - position))
            if self.complete or size <= 0:
                return b""
            data = self._pull(size)
            if not data:
                self.complete = True
                self._close_source()
                logger.debug("read %d bytes from %s (kept in a temporary file)",
                             self.size, self.path)
                return b""
            self._keep(data)
            return data

    def close(self) -> None:
        """Close the path if still open and delete the copy.

        Example
        -------
        >>> spool = Spool("text8")
        >>> spool.close(); spool.close()  # closing twice is harmless
        """
        with self._lock:
            self._close_source()
            if self._copy is not None:
                self._copy.close()
                self._copy = None
            self.size, self.complete = 0, False

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001  (never raise from a finaliser)
            pass

    # ------------------------------------------------------------------ internals
    def _keep(self, data: bytes) -> None:
        """Append ``data`` to the copy, creating it on first use."""
        try:
            if self._copy is None:
                self._copy = tempfile.TemporaryFile(prefix="w2v-pipe-", buffering=0)
            self._copy.seek(self.size)
            self._copy.write(data)
        except OSError as error:
            raise OSError(
                error.errno, f"cannot keep the bytes of {self.path!r} in a temporary file in "
                f"{tempfile.gettempdir()!r} ({error.strerror}); set TMPDIR to a folder "
                "with room for the whole corpus") from error
        self.size += len(data)

    def _open_source(self) -> io.FileIO:
        if self._source is None:
            # Without a writer, a FIFO opened for reading blocks in open(): open it without
            # waiting, and wait in poll() instead, where the wait can be seen and bounded.
            can_poll = hasattr(select, "poll") and hasattr(os, "O_NONBLOCK")
            flags = os.O_RDONLY | (os.O_NONBLOCK if can_poll else 0)
            self._source = io.FileIO(os.open(self.path, flags), "rb", closefd=True)
            if can_poll:
                self._poll = select.poll()
                self._poll.register(self._source.fileno(), select.POLLIN | select.POLLPRI)
        return self._source

    def _close_source(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source, self._poll = None, None

    def _pull(self, size: int) -> bytes:
        """Read up to ``size`` new bytes from the path, waiting for them as it takes."""
        source = self._open_source()
        if self._poll is None:  # no poll(): a plain blocking read
            return source.read(size) or b""
        started = last_notice = time.monotonic()
        while True:
            now = time.monotonic()
            waited = now - started
            if self.timeout is not None and waited >= self.timeout:
                awaited = ("no writer opened it or none wrote to it" if self.size == 0
                           else f"its writer sent nothing more after {self.size:,} bytes")
                raise TimeoutError(
                    f"nothing to read from {self.path!r} in "
                    f"{self.timeout:g} s ({awaited}): start the program that writes to it, "
                    "or allow more time (pipe_timeout / --pipe-timeout)")
            if now - last_notice >= NOTICE_SECONDS:
                last_notice = now
                if source.isatty():
                    logger.warning("reading the corpus from the terminal %s: type it, and end "
                                   "it with Ctrl-D (%s bytes so far)", self.path,
                                   f"{self.size:,}")
                elif self.size == 0:
                    logger.warning("waiting for a writer on %s (nothing read for %.0f s)",
                                   self.path, waited)
                else:
                    logger.warning("waiting for more data on %s (%s bytes read, nothing "
                                   "new for %.0f s)", self.path, f"{self.size:,}", waited)
            wait = NOTICE_SECONDS - (now - last_notice)
            if self.timeout is not None:
                wait = min(wait, self.timeout - waited)
            if not self._poll.poll(max(1, int(wait * 1000))):
                continue
            try:
                data = source.read(size)
            except BlockingIOError:
                continue
            if data is None:  # nothing yet after all (a non-blocking read)
                continue
            return data


class _SpoolReader(io.RawIOBase):
    """One reader of a :class:`Spool`, with its own position."""

    def __init__(self, spool: Spool) -> None:
        super().__init__()
        self.spool = spool
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.spool.read_at(self.position, len(buffer))
        count = len(data)
        memoryview(buffer).cast("B")[:count] = data
        self.position += count
        return count
