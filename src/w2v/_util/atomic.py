"""Atomic file writes: a crash mid-save leaves the previous file intact."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from typing import IO, Any

__all__ = ["UMASK", "atomic_write", "existing_parent", "fsync_folder", "naming_user_path",
           "temporary_prefix"]

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
    prefix = temporary_prefix(path)
    with naming_user_path(path, prefix):  # e.g. a read-only folder: the user's path, not ours
        fd, tmp = tempfile.mkstemp(prefix=os.path.basename(prefix), suffix=".tmp", dir=folder)
    try:
        kwargs: dict[str, Any] = {} if mode == "wb" else {"encoding": "utf-8", "newline": "\n"}
        with contextlib.suppress(OSError, NotImplementedError):
            os.chmod(tmp, 0o666 & ~UMASK)
        with naming_user_path(path, tmp), os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        with naming_user_path(path, tmp):
            os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_folder(folder)


def temporary_prefix(path: str | os.PathLike) -> str:
    """The absolute path prefix of the hidden temporary files (or folders) written beside
    ``path`` before they replace it: ``.<name>.`` in the same folder.

    Example
    -------
    >>> temporary_prefix("out/m.zip") == os.path.join(os.getcwd(), "out", ".m.zip.")
    True
    """
    full = os.path.abspath(path)
    return os.path.join(os.path.dirname(full), f".{os.path.basename(full)}.")


@contextlib.contextmanager
def naming_user_path(path: str | os.PathLike, temporary: str) -> Iterator[None]:
    """Re-raise an ``OSError`` that names a temporary file (any path starting with
    ``temporary``) as the same error (errno and message) naming ``path``, the file the
    user asked for; the original error is chained as its cause. Others pass unchanged.

    Example
    -------
    >>> with naming_user_path("m.zip", "/data/.m.zip."):
    ...     raise OSError(errno.EROFS, "Read-only file system", "/data/.m.zip.x.tmp")
    Traceback (most recent call last):
    ...
    OSError: [Errno 30] Read-only file system: 'm.zip'
    """
    try:
        yield
    except OSError as error:
        names = [os.fspath(n) for n in (error.filename, error.filename2)
                 if isinstance(n, (str, os.PathLike))]
        if error.errno is None or not any(n.startswith(temporary) for n in names):
            raise
        try:  # the same class (PermissionError, ...) with the user's path
            renamed = type(error)(error.errno, error.strerror, os.fspath(path))
        except TypeError:  # a subclass with another constructor
            renamed = OSError(error.errno, error.strerror, os.fspath(path))
        raise renamed from error


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
