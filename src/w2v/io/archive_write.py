"""Writing w2v's own file format (see :mod:`w2v.io.archive`, which reads it): a zip of
STORED members whose ``.npy`` data is 64-byte aligned, or a folder replaced atomically.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import stat
import struct
import tempfile
import zipfile
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from .._util.atomic import (
    UMASK,
    atomic_write,
    existing_parent,
    fsync_folder,
    naming_user_path,
    temporary_prefix,
)
from . import archive

__all__ = ["write_archive"]

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so equal content gives equal bytes
_PAD_ID = 0xD935  # extra-field id used to pad a zip member's data to an aligned offset
_ALIGN = 64  # the .npy data within is then 64-byte aligned too

PathLike = str | os.PathLike


def write_archive(
    path: PathLike, kind: str, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]
) -> None:
    """Save ``arrays`` and ``meta`` atomically as a w2v archive (zip if ``path`` ends in
    ``.zip``, else a folder). A failed write leaves whatever was at ``path`` untouched.

    Parameters
    ----------
    path : target; an existing folder is replaced only if it is a w2v archive (or empty),
        otherwise FileExistsError.
    kind : what the archive holds, e.g. ``"word2vec"``; letters, digits and ``_``.
    arrays : name (letters, digits, ``_``) -> numeric or bool ndarray.
    meta : JSON plain data; TypeError naming the key path otherwise.

    Example
    -------
    >>> write_archive("demo.zip", "demo", {"x": np.arange(3)}, {"a": [1]})
    >>> from w2v.io.archive import read_archive
    >>> read_archive("demo.zip", kind="demo")[0]["x"].tolist()
    [0, 1, 2]
    """
    if not isinstance(kind, str) or not archive.NAME_PATTERN.fullmatch(kind):
        raise ValueError(f"kind must be a name of letters, digits and '_', got {kind!r}")
    if not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a mapping, got {type(meta).__name__}")
    plain = archive.plain_json(dict(meta), "meta", 0)
    prepared: dict[str, np.ndarray] = {}
    for name, array in arrays.items():
        archive.check_name(name)
        if not isinstance(array, np.ndarray):
            raise TypeError(f"array {name!r} must be a numpy array, got {type(array).__name__}")
        archive.check_dtype(array.dtype, f"array {name!r}")
        prepared[name] = array if array.flags.c_contiguous else np.array(array, order="C")
    if len({name.lower() for name in prepared}) < len(prepared):  # case-insensitive disks
        raise ValueError(f"array names must differ in more than case: {sorted(prepared)}")
    manifest = {n: {"dtype": a.dtype.str, "shape": list(a.shape)} for n, a in prepared.items()}
    header = {"format": archive.FORMAT_NAME, "format_version": archive.FORMAT_VERSION,
              "kind": kind, "arrays": manifest, "meta": plain}
    text = json.dumps(header, allow_nan=True).encode("ascii") + b"\n"
    if len(text) > archive.MAX_META_BYTES:
        raise ValueError(f"meta.json would be {len(text)} bytes, over {archive.MAX_META_BYTES}")
    files: list[tuple[str, bytes | np.ndarray]] = [
        (f"{name}.npy", array) for name, array in prepared.items()]
    files.append((archive.META_FILE, text))  # last: a folder is whole once it is there
    (_write_zip if archive.is_zip(path) else _write_folder)(os.fspath(path), files)


def _write_npy(handle: IO[bytes], array: np.ndarray) -> None:
    """One ``.npy`` (a module function so that tests can make it fail)."""
    np.lib.format.write_array(handle, array, allow_pickle=False)


def _write_member(handle: IO[bytes], payload: bytes | np.ndarray) -> None:
    if isinstance(payload, bytes):
        handle.write(payload)
    else:
        _write_npy(handle, payload)


def _write_zip(path: str, files: list[tuple[str, bytes | np.ndarray]]) -> None:
    if os.path.isdir(path):
        raise FileExistsError(f"{path} is a folder; refusing to replace it with a zip file")
    with atomic_write(path, "wb") as handle, zipfile.ZipFile(handle, "w") as zipped:
        for name, payload in files:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type, info.external_attr = zipfile.ZIP_STORED, 0o644 << 16
            size = len(payload) if isinstance(payload, bytes) else payload.nbytes
            zip64 = size + 2**20 > zipfile.ZIP64_LIMIT  # 1 MiB: room for the .npy header
            # pad the local header so that the data starts at a multiple of _ALIGN
            pad = -(handle.tell() + 30 + len(name) + 4 + (20 if zip64 else 0)) % _ALIGN
            info.extra = struct.pack("<HH", _PAD_ID, pad) + bytes(pad)
            with zipped.open(info, "w", force_zip64=zip64) as member:
                _write_member(member, payload)


def _holds_archive(path: str) -> bool:
    """True if ``path`` is one of our archive folders, False if it is free (missing or an
    empty folder); FileExistsError if anything else is there.

    Another process saving to ``path`` may move the folder aside while this looks into it
    (its meta.json then vanishes mid-read): that is looked at again, and only a folder that
    stays in place without our metadata is refused."""
    for _ in range(_SWAP_ATTEMPTS):
        try:
            before = os.lstat(path)
        except FileNotFoundError:
            return False
        if not stat.S_ISDIR(before.st_mode):
            break
        header = None
        with contextlib.suppress(OSError, ValueError, RecursionError):
            if not os.listdir(path):
                return False
            header = json.loads(archive.folder_meta(path))
        if isinstance(header, dict) and header.get("format") == archive.FORMAT_NAME:
            return True
        try:
            after = os.lstat(path)
        except FileNotFoundError:
            continue  # moved aside by another save while we read it
        if (after.st_dev, after.st_ino) == (before.st_dev, before.st_ino):
            break  # the same folder throughout, and not one of ours
    raise FileExistsError(f"{path} exists and is not a w2v archive folder; refusing to replace it")


def _write_folder(path: str, files: list[tuple[str, bytes | np.ndarray]]) -> None:
    parent = existing_parent(path)
    given, path = path, os.path.abspath(path)
    _holds_archive(path)  # fail before writing anything
    with naming_user_path(given, temporary_prefix(path)):  # errors name the user's path
        _replace_folder(path, parent, files)


def _replace_folder(path: str, parent: str, files: list[tuple[str, bytes | np.ndarray]]) -> None:
    base = os.path.basename(path)
    tmp = tempfile.mkdtemp(prefix=f".{base}.", suffix=".tmp", dir=parent)
    try:
        with contextlib.suppress(OSError, NotImplementedError):
            os.chmod(tmp, 0o777 & ~UMASK)
        for name, payload in files:
            with open(os.path.join(tmp, name), "xb") as handle:
                _write_member(handle, payload)
                handle.flush()
                os.fsync(handle.fileno())
        fsync_folder(tmp)
        for attempt in range(_SWAP_ATTEMPTS):
            try:
                _swap_in(tmp, path, parent)
                break
            except OSError as error:  # another process saving to ``path`` moved it meanwhile
                if error.errno not in _RACE_ERRNOS or attempt == _SWAP_ATTEMPTS - 1:
                    raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    fsync_folder(parent)


#: Renames that fail because another process saving to the same folder moved it between two
#: steps (it vanished, or reappeared holding the other's save) are tried again, this often.
_SWAP_ATTEMPTS = 20
_RACE_ERRNOS = (errno.ENOENT, errno.EEXIST, errno.ENOTEMPTY)


def _swap_in(tmp: str, path: str, parent: str) -> None:
    """Rename the complete folder ``tmp`` to ``path``, moving an archive there aside first
    and deleting it after. Each rename is atomic, so ``path`` always holds one whole save."""
    if not _holds_archive(path):
        if os.path.isdir(path):
            os.rmdir(path)  # empty
        os.rename(tmp, path)
        return
    aside = tmp[: -len(".tmp")] + ".old"
    os.rename(path, aside)
    try:
        os.rename(tmp, path)
    except BaseException:
        try:
            os.rename(aside, path)
        except OSError:  # another save took the place meanwhile: ours was older anyway
            shutil.rmtree(aside, ignore_errors=True)
        raise
    fsync_folder(parent)
    shutil.rmtree(aside, ignore_errors=True)
