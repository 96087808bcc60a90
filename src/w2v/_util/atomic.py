"""Atomic file writes: a crash mid-save leaves the previous file intact."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["UMASK", "atomic_write", "existing_parent", "fsync_folder"]

# mkstemp creates files readable by the owner only; saved files get the usual permissions.
UMASK = os.umask(0)
os.umask(UMASK)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success, flush, fsync and rename it over
    ``path``. If the block raises, the temporary file is removed and ``path`` is untouched.

    Parameters
    ----------
    path : the file to write.
    mode : ``"wb"`` or ``"w"`` (text, UTF-8, ``"\\n"`` line endings).

    Example
    -------
    >>> with atomic_write("hello.txt", "w") as handle:
    ...     _ = handle.write("hello\\n")
    >>> open("hello.txt").read()
    'hello\\n'
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"mode must be 'wb' or 'w', got {mode!r}")
    path = os.fspath(path)
    folder = existing_parent(path)
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, "a folder is in the way of the file", path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        kwargs: dict[str, Any] = {} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"}
        with contextlib.suppress(OSError, NotImplementedError):
            os.chmod(tmp, 0o666 & ~UMASK)
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(folder)


def existing_parent(path: str | os.PathLike) -> str:
    """The absolute folder ``path`` will be written into; FileNotFoundError naming ``path``
    (not a temporary file beside it) when that folder does not exist.

    Example
    -------
    >>> existing_parent("vectors.bin") == os.getcwd()
    True
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(errno.ENOENT, "no such folder to write into", os.fspath(path))
    return folder


def fsync_folder(folder: str) -> None:
    """Make the rename itself durable (a no-op where folders cannot be opened, e.g. Windows).

    Example
    -------
    >>> fsync_folder(".")
    """
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
