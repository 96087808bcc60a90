"""w2v's own file format: ``.npy`` arrays plus JSON metadata, in a folder or a zip.
This module reads it and checks what it reads; :mod:`w2v.io.archive_write` writes it.

Both hold ``meta.json`` and one ``<name>.npy`` per array, at the top level. ``meta.json`` is
``{"format": "w2v", "format_version": 1, "kind": ..., "arrays": {name: {"dtype": "<f4",
"shape": [...]}}, "meta": {...}}``. A path ending in ``.zip`` is a zip whose members are
STORED with 64-byte aligned data, so arrays can be memory-mapped straight out of it; any
other path is a folder. Reading a stranger's file never runs code: no pickle (object dtypes
are refused before any data is read), no eval (numpy's literal-only ``.npy`` header parser,
``json``), every field checked, and no allocation beyond what the file's size justifies.

* Meta may hold NaN/Infinity (e.g. a loss history), as the ``NaN``/``Infinity`` tokens that
  Python's ``json`` reads back. Keys are ``str``; values dict/list/str/int/float/bool/None
  (subclasses such as ``np.float64`` are stored as the plain value; tuples and ``np.float32``
  are refused: convert with ``list()``/``.item()``).
* Arrays: bool, (u)int8..64, float16/32/64, either byte order, any shape (0-d and empty
  too); written C-ordered. Fortran-ordered ``.npy`` files from elsewhere are read fine.
* A ``.npy`` not in the manifest is an error; other files in a folder are ignored, and links
  out of it refused; any other zip member is an error (no path traversal, nothing extracted).
* DEFLATED zip members (a re-zipped archive) are read into memory, even with mmap ("r" then
  gives a read-only array). mmap "r+" is refused for zips: it would break their CRCs.
  Members are CRC-checked when read into memory, not when memory-mapped.
* A folder is replaced by renaming the old one aside, the new one in, then deleting the old
  one; a crash between the two renames leaves it as ``.<name>.<random>.old`` beside it.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any

import numpy as np

from .._util import memory
from .._util.validation import check_choice, check_flag

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "NAME_PATTERN", "archive_kind", "check_dtype",
           "check_name", "folder_meta", "is_zip", "plain_json", "read_archive", "read_meta"]

FORMAT_NAME = "w2v"
FORMAT_VERSION = 1
META_FILE = "meta.json"
MAX_META_BYTES = 64 * 2**20
NAME_PATTERN = re.compile(r"[A-Za-z0-9_]{1,200}")
_DTYPE = re.compile(r"[<>|][biuf][1248]")
_SIZES = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (2, 4, 8)}
_MMAP_MODES = (None, "r", "r+", "c")
_CONSTANTS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_MAX_DEPTH = 100
_CHUNK = 16 * 2**20
_MAX_NPY_HEADER = 10_000  # numpy's own limit for an .npy header (max_header_size)
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, NotImplementedError)

PathLike = str | os.PathLike


def read_archive(
    path: PathLike, kind: str | None = None, mmap: str | None = None,
    memory_check: bool = True,
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Load a w2v archive, validating everything; ValueError for anything malformed.

    Parameters
    ----------
    path : a ``.zip`` file or a folder written by :func:`w2v.io.archive_write.write_archive`.
    kind : if given, the archive must be of this kind.
    mmap : None to read arrays into memory, or a ``np.memmap`` mode: ``"r"`` (read-only),
        ``"c"`` (copy-on-write), ``"r+"`` (writes go to the file; folders only).
    memory_check : without ``mmap``, raise :class:`~w2v.InsufficientMemoryError` (suggesting
        ``mmap="r"``) before reading arrays larger than the memory the process can have.

    Returns
    -------
    (arrays, meta) : name -> array, and the caller's metadata.

    Example
    -------
    >>> from w2v.io.archive_write import write_archive
    >>> write_archive("demo.zip", "demo", {"x": np.arange(3)}, {"a": [1]})
    >>> arrays, meta = read_archive("demo.zip", kind="demo")
    >>> arrays["x"].tolist(), meta
    ([0, 1, 2], {'a': [1]})
    """
    check_choice("mmap", mmap, _MMAP_MODES)
    check_flag("memory_check", memory_check)
    where = os.fspath(path)
    with _open_source(where, mmap) as (text, npy_files, load, on_disk):
        header = _checked_header(text, where, kind)
        listed = {f"{name}.npy" for name in header["arrays"]}
        if npy_files - listed:
            raise ValueError(f"{where}: {min(npy_files - listed)!r} is not in the manifest")
        if listed - npy_files:
            file = min(listed - npy_files)
            raise ValueError(f"{where}: array {file[:-4]!r} is in the manifest, {file} is missing")
        if memory_check and mmap is None:
            _check_memory(where, header["arrays"], on_disk)
        arrays = {name: load(name, *spec) for name, spec in header["arrays"].items()}
    return arrays, header["meta"]


def archive_kind(path: PathLike) -> str:
    """The kind of a w2v archive (e.g. ``"word2vec"``), reading only its ``meta.json``.

    Parameters
    ----------
    path : a ``.zip`` file or a folder written by :func:`w2v.io.archive_write.write_archive`.

    Example
    -------
    >>> archive_kind("model.zip"), archive_kind("vectors.zip")
    ('word2vec', 'keyedvectors')
    """
    return read_meta(path)[0]


def read_meta(path: PathLike, kind: str | None = None) -> tuple[str, dict[str, Any]]:
    """The kind and the caller's metadata of a w2v archive, reading only its ``meta.json``
    (validated as :func:`read_archive` does; no array is read).

    Example
    -------
    >>> kind, meta = read_meta("model.zip")
    >>> kind, sorted(meta)
    ('word2vec', ['params', 'state', 'vocab', 'w2v_version'])
    """
    where = os.fspath(path)
    with _open_source(where, None) as (text, *_):
        header = _checked_header(text, where, kind)
    return header["kind"], header["meta"]


# ---------------------------------------------------------------- validation


def is_zip(path: PathLike) -> bool:
    """Whether ``path`` names a zip archive (by its suffix) rather than a folder.

    Example
    -------
    >>> is_zip("model.ZIP"), is_zip("model")
    (True, False)
    """
    return os.fspath(path).lower().endswith(".zip")


def check_name(name: object, where: str = "") -> None:
    """ValueError unless ``name`` can name an array: 1-200 letters, digits or ``_``.

    Example
    -------
    >>> check_name("vectors")
    """
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"{where}array name {name!r} must be 1-200 letters, digits or '_'")


def check_dtype(dtype: np.dtype, what: str) -> None:
    """ValueError unless ``dtype`` is a plain number type an archive may hold (no objects,
    no structures; bool, ints, floats of the usual sizes).

    Example
    -------
    >>> check_dtype(np.dtype("<f4"), "vectors")
    """
    if dtype.fields is not None or dtype.subdtype is not None or dtype.hasobject:
        raise ValueError(f"{what}: dtype {dtype} is not allowed (structured or object)")
    if dtype.itemsize not in _SIZES.get(dtype.kind, ()):
        raise ValueError(f"{what}: dtype {dtype} is not allowed; use bool, (u)int8-64 or "
                         "float16/32/64")


def plain_json(value: Any, path: str, depth: int) -> Any:
    """A copy of ``value`` made of dict/list/str/int/float/bool/None, or TypeError naming
    ``path``, the key path inside it (``depth``: how deep ``value`` lies).

    Example
    -------
    >>> plain_json({"a": [1, 2.5, None]}, "meta", 0)
    {'a': [1, 2.5, None]}
    """
    if depth > _MAX_DEPTH:
        raise ValueError(f"{path}: nested deeper than {_MAX_DEPTH} levels (a reference cycle?)")
    if value is None or isinstance(value, (str, int, float)):  # bool is an int
        return value
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"{path}: key {key!r} is {type(key).__name__}, not str")
        return {k: plain_json(v, f"{path}[{k!r}]", depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_json(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    hint = " (convert it with .item())" if isinstance(value, np.generic) else ""
    raise TypeError(f"{path}: {type(value).__name__} is not JSON plain data "
                    f"(dict/list/str/int/float/bool/None){hint}")


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        keys = [key for key, _ in pairs]
        raise ValueError(f"duplicate key {next(k for k in keys if keys.count(k) > 1)!r}")
    return result


def _checked_header(raw: bytes, where: str, kind: str | None) -> dict[str, Any]:
    """Parse and validate meta.json; ``arrays`` becomes name -> (dtype, shape)."""
    if len(raw) > MAX_META_BYTES:
        raise ValueError(f"{where}: meta.json is larger than {MAX_META_BYTES} bytes")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_unique_pairs,
                            parse_constant=_CONSTANTS.__getitem__)
    except (ValueError, RecursionError) as error:  # includes Unicode and JSON decode errors
        raise ValueError(f"{where}: meta.json is not valid UTF-8 JSON: {error}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{where}: meta.json must hold a JSON object")
    if header.get("format") != FORMAT_NAME:
        raise ValueError(f"{where}: not a w2v archive (format {header.get('format')!r})")
    version = header.get("format_version")
    if type(version) is not int or version < 1:
        raise ValueError(f"{where}: format_version must be a positive integer, got {version!r}")
    if version > FORMAT_VERSION:
        raise ValueError(f"{where} was written by a newer w2v (format version {version}); this "
                         f"w2v reads format version {FORMAT_VERSION} or older: upgrade w2v")
    found = header.get("kind")
    if not isinstance(found, str):
        raise ValueError(f"{where}: kind must be a string, got {found!r}")
    if kind is not None and found != kind:
        raise ValueError(f"{where}: this is a {found!r} file, not a {kind!r}")
    if not isinstance(header.get("meta"), dict):
        raise ValueError(f"{where}: 'meta' in meta.json must be a JSON object")
    manifest = header.get("arrays")
    if not isinstance(manifest, dict):
        raise ValueError(f"{where}: 'arrays' in meta.json must be a JSON object")
    checked = {}
    for name, entry in manifest.items():
        check_name(name, f"{where}: ")
        if not isinstance(entry, dict) or set(entry) != {"dtype", "shape"}:
            raise ValueError(f"{where}: manifest entry {name!r} must be {{'dtype', 'shape'}}")
        spec, shape = entry["dtype"], entry["shape"]
        try:
            dtype = np.dtype(spec) if isinstance(spec, str) and _DTYPE.fullmatch(spec) else None
        except TypeError:
            dtype = None
        if dtype is None or dtype.str != spec:
            raise ValueError(f"{where}: array {name!r} has unsupported dtype {spec!r}")
        check_dtype(dtype, f"{where}: array {name!r}")
        if (not isinstance(shape, list) or len(shape) > 64  # then numpy's bound, even if empty
                or any(type(n) is not int or n < 0 for n in shape)
                or math.prod(max(n, 1) for n in shape) * dtype.itemsize > np.iinfo(np.intp).max):
            raise ValueError(f"{where}: array {name!r} has invalid shape {shape!r}")
        checked[name] = (dtype, tuple(shape))
    header["arrays"] = checked
    return header


# ---------------------------------------------------------------- reading arrays


def _check_memory(where: str, manifest: dict[str, tuple[np.dtype, tuple]], on_disk: int) -> None:
    """InsufficientMemoryError when the arrays to read exceed the memory available. A
    manifest promising more than the file holds is left to the checks of each array (the
    file is corrupt, and that error says so)."""
    needed = sum(math.prod(shape) * dtype.itemsize for dtype, shape in manifest.values())
    if needed > on_disk:
        return
    limit = memory.available_memory()
    if limit is None or needed <= limit.available:
        return
    raise memory.InsufficientMemoryError(
        f"{where}: reading its arrays needs {memory.format_bytes(needed)} but only "
        f"{limit.describe()} is available; load it with mmap='r' to map it from the file "
        "instead (read-only, enough for queries; mmap='c' to train it), or pass "
        "memory_check=False to try anyway")


def _load_npy(handle: IO[bytes], size: int, where: str, dtype: np.dtype, shape: tuple,
              mmap: str | None, mapper: Any, trusted: bool) -> np.ndarray:
    """Read one ``.npy`` of ``size`` bytes from ``handle`` (at its start); ``mapper(offset, shape,
    order)`` maps its data (or None); ``trusted``: ``size`` is on disk, so may be allocated."""
    try:
        version = np.lib.format.read_magic(handle)
        if version not in ((1, 0), (2, 0)):
            raise ValueError(f"unsupported .npy version {version}")
        field = handle.read(2 if version == (1, 0) else 4)  # the header's length: numpy would
        if len(field) < 2 or int.from_bytes(field, "little") > _MAX_NPY_HEADER:  # read 4 GB
            raise ValueError(f"header length {field!r} is over {_MAX_NPY_HEADER} bytes")
        handle.seek(-len(field), os.SEEK_CUR)
        read_header = getattr(np.lib.format, f"read_array_header_{version[0]}_0")
        found_shape, fortran, found_dtype = read_header(handle)
    except Exception as error:  # numpy's parser raises assorted types on garbage
        raise ValueError(f"{where}: bad .npy header: {error!r}") from None
    check_dtype(found_dtype, where)
    if found_dtype != dtype or found_shape != shape:
        raise ValueError(f"{where}: holds {found_dtype.str} {list(found_shape)} but the manifest "
                         f"says {dtype.str} {list(shape)}")
    start = handle.tell()
    nbytes = math.prod(shape) * dtype.itemsize
    if size - start != nbytes:
        problem = "is truncated" if size - start < nbytes else "has trailing bytes"
        raise ValueError(f"{where}: {problem}: the header promises {nbytes} bytes of data, "
                         f"there are {size - start}")
    if mmap is not None and mapper is not None:
        return mapper(start, shape, "F" if fortran else "C")
    buffer = bytearray(nbytes if trusted else 0)
    view, done = memoryview(buffer) if trusted else None, 0
    while done < nbytes:  # untrusted sizes grow the buffer only as data really arrives
        if view is not None:
            # files, zip members and decompressors are all io.BufferedIOBase underneath
            got = handle.readinto(view[done:done + _CHUNK])  # type: ignore[attr-defined]
        else:
            chunk = handle.read(min(_CHUNK, nbytes - done))
            buffer += chunk
            got = len(chunk)
        if not got:
            raise ValueError(f"{where}: is truncated ({done} of {nbytes} data bytes)")
        done += got
    if view is not None:
        view.release()
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    if mmap == "r":
        array.flags.writeable = False
    return array


@contextlib.contextmanager
def _open_source(where: str, mmap: str | None
                 ) -> Iterator[tuple[bytes, set[str], Callable, int]]:
    """Yield (meta.json's bytes, names of the ``.npy`` files, load(name, dtype, shape), the
    bytes of the arrays' files on disk)."""
    if not is_zip(where):
        if not os.path.isdir(where):
            if os.path.exists(where):
                raise ValueError(f"{where} is not a folder (archives are folders unless *.zip)")
            raise FileNotFoundError(f"no such archive: {where}")

        def load(name, dtype, shape):
            file = _member(where, f"{name}.npy")
            with open(file, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size

                def mapper(start: int, shape: tuple, order: str) -> np.ndarray:
                    return np.memmap(file, dtype, mmap, offset=start,  # type: ignore[call-overload]
                                     shape=shape, order=order)  # (mmap: one of _MMAP_MODES)

                return _load_npy(handle, size, file, dtype, shape, mmap, mapper, True)

        npy_files = {name for name in os.listdir(where)  # regular files only: no FIFOs
                     if name.endswith(".npy") and os.path.isfile(os.path.join(where, name))}
        on_disk = sum(os.path.getsize(os.path.join(where, name)) for name in npy_files)
        yield folder_meta(where), npy_files, load, on_disk
        return
    if mmap == "r+":
        raise ValueError("mmap='r+' is not supported for zip archives (writing through would "
                         "break their CRC checksums); use 'c', or save as a folder")
    with open(where, "rb") as raw:
        try:
            archive = zipfile.ZipFile(raw)
        except (*_ZIP_ERRORS, ValueError) as error:
            raise ValueError(f"{where}: not a valid zip file: {error}") from None
        with archive:
            members = _zip_members(archive, where, os.fstat(raw.fileno()).st_size)
            if META_FILE not in members:
                raise ValueError(f"{where}: missing meta.json (not a w2v archive)")
            try:
                with archive.open(members.pop(META_FILE)) as handle:
                    text = handle.read(MAX_META_BYTES + 1)
            except _ZIP_ERRORS as error:
                raise ValueError(f"{where}: corrupt meta.json: {error}") from None

            def load(name, dtype, shape):
                info = members[f"{name}.npy"]
                return _zip_array(raw, archive, info, f"{where}:{name}.npy", dtype, shape, mmap)

            yield text, set(members), load, os.fstat(raw.fileno()).st_size


def _zip_members(archive: zipfile.ZipFile, where: str, size: int) -> dict[str, zipfile.ZipInfo]:
    members: dict[str, zipfile.ZipInfo] = {}
    for info in archive.infolist():
        name = info.filename
        if not 0 <= info.header_offset <= size - 30 - info.compress_size:
            raise ValueError(f"{where}: member {name!r} has an impossible offset or size")
        if name != META_FILE and not (name.endswith(".npy") and NAME_PATTERN.fullmatch(name[:-4])):
            raise ValueError(f"{where}: unexpected member {name!r} (only meta.json and "
                             "<name>.npy at the top level are allowed)")
        if name in members:
            raise ValueError(f"{where}: duplicate member {name!r}")
        if info.flag_bits & 0x1 or stat.S_ISLNK(info.external_attr >> 16):
            raise ValueError(f"{where}: member {name!r} is encrypted or a symbolic link")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"{where}: member {name!r} uses an unsupported compression method")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise ValueError(f"{where}: stored member {name!r} has inconsistent sizes")
        members[name] = info
    return members


def _zip_array(raw: IO[bytes], archive: zipfile.ZipFile, info: zipfile.ZipInfo, where: str,
               dtype: np.dtype, shape: tuple, mmap: str | None) -> np.ndarray:
    mapper, zip_size = None, os.fstat(raw.fileno()).st_size
    stored = info.compress_type == zipfile.ZIP_STORED
    if mmap is not None and stored:
        # The absolute data offset comes from the member's own local header (its extra
        # field may differ from the central directory's).
        raw.seek(info.header_offset)
        local = raw.read(30)
        if len(local) != 30 or local[:4] != b"PK\x03\x04" or local[8:10] != b"\0\0":
            raise ValueError(f"{where}: bad local zip header")
        data = info.header_offset + 30 + sum(struct.unpack("<HH", local[26:30]))
        if data + info.file_size > zip_size:
            raise ValueError(f"{where}: member data runs past the end of the zip")

        def mapper(start: int, shape: tuple, order: str) -> np.ndarray:
            return np.memmap(raw.name, dtype, mmap,  # type: ignore[call-overload]
                             offset=data + start, shape=shape, order=order)  # mmap checked

    trusted = stored  # then its size is backed by bytes in the zip (see _zip_members)
    try:
        with archive.open(info) as handle:
            return _load_npy(handle, info.file_size, where, dtype, shape, mmap, mapper, trusted)
    except _ZIP_ERRORS as error:
        raise ValueError(f"{where}: corrupt zip member: {error}") from None


def _member(folder: str, name: str) -> str:
    """``folder/name``; ValueError if it is a symbolic link leading out of the folder."""
    file, root = os.path.join(folder, name), os.path.realpath(folder)
    if os.path.islink(file) and os.path.commonpath([os.path.realpath(file), root]) != root:
        raise ValueError(f"{file} is a symbolic link to {os.readlink(file)!r}, out of the archive")
    return file


def folder_meta(folder: str) -> bytes:
    """The raw ``meta.json`` of a folder archive (checked to be a regular file of bounded
    size first).

    Example
    -------
    >>> from w2v.io.archive_write import write_archive
    >>> write_archive("demo-folder", "demo", {"x": np.arange(2)}, {})
    >>> b'"kind": "demo"' in folder_meta("demo-folder")
    True
    """
    file = _member(folder, META_FILE)
    if not os.path.isfile(file):  # missing, or a FIFO, device, ...
        raise ValueError(f"{folder}: missing meta.json (not a w2v archive)")
    with open(file, "rb") as handle:  # read no more than is there: no 64 MB buffer
        return handle.read(min(os.fstat(handle.fileno()).st_size, MAX_META_BYTES) + 1)
