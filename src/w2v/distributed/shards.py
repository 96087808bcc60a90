"""What each Dask worker reads in distributed training (:mod:`w2v.distributed`): the
corpus files cut into one shard per worker, and a piece of a file read on a worker.

A shard is a list of :class:`Piece` s: whole files, or byte ranges of uncompressed
files. Files are cut only when whole files cannot balance the workers (one big file, or
fewer files than workers), and only between tokens: a piece holds the tokens that start
in its byte range (its ends are moved forward to just after a whitespace byte, or to
just after a newline when one is near), so the pieces of a file hold exactly the file's
tokens, and counting them gives the single machine's vocabulary. A line cut in two
becomes two sentences, which changes training no more than ``max_sentence_length`` does.
Compressed files (``.gz``, ``.bz2``, ``.xz``), directories, and URLs whose size the
client cannot learn are read whole. Cuts rely on UTF-8, the encoding distributed
training reads: an ASCII whitespace byte never occurs inside another character.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from .._util.compression import SUFFIXES

#: Suffixes of files that cannot be read from the middle (those PathCorpus decompresses):
#: they are never cut.
#: Whole files are kept when the fullest shard holds at most this much more than an
#: equal share of the bytes; otherwise files are cut to balance the shards.
TOLERANCE = 0.05
#: No piece is cut smaller than this: a cut that would make one moves to the file's end,
#: or the file goes on in the next shard.
MIN_PIECE_BYTES = 1 << 20
#: A piece's end moves to just after a newline found within this many bytes (so lines
#: stay whole), else to just after the next whitespace byte (a text8-style file).
LINE_SEARCH_BYTES = 1 << 16
#: The bytes every tokenizer (``str.split`` and the compiled scanner) splits tokens on.
#: ASCII bytes never occur inside a multi-byte UTF-8 character.
_SPACE = re.compile(rb"[ \t\n\r\x0b\x0c]")
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Piece:
    """Bytes ``start`` to ``stop`` of a corpus file (``stop`` None: to the end), moved
    forward to token boundaries as the module docstring says."""

    path: str
    start: int = 0
    stop: int | None = None

    @property
    def whole(self) -> bool:
        return self.start == 0 and self.stop is None


# --------------------------------------------------------------------- the client's side
def split(files: list[str], n: int) -> list[list[Piece]]:
    """``files`` in at most ``n`` shards of about equal bytes, cutting files only when
    whole files cannot balance them.

    Parameters
    ----------
    files : paths or URLs, as given to :func:`w2v.distributed.train`.
    n : the number of workers.

    Example
    -------
    >>> [[piece.path for piece in shard] for shard in split(["a.txt", "b.txt"], 2)]
    [['a.txt'], ['b.txt']]
    """
    sizes = file_sizes(files)
    whole, loads = _whole_files(files, [1 if s is None else s for s in sizes], n)
    cuttable = [s is not None and not f.lower().endswith(SUFFIXES)
                and not os.path.isdir(f.removeprefix("file://"))
                for f, s in zip(files, sizes, strict=True)]
    balanced = (len(whole) == n and None not in sizes
                and max(loads) <= sum(loads) / n * (1 + TOLERANCE))
    if balanced or not any(cuttable):
        return whole
    cut, cut_loads = _cut(files, sizes, cuttable, n)
    return cut if len(cut) > len(whole) or max(cut_loads) < max(loads) else whole


def file_sizes(files: list[str]) -> list[int | None]:
    """The size in bytes of each local file or URL (of a local directory: of the files
    :class:`~w2v.PathCorpus` reads in it); None where the client cannot learn it. URLs
    in one folder are sized by one listing of it (one request to an object store, not
    one per file).

    Example
    -------
    >>> part, folder = file_sizes(["part-0.txt", "corpus_dir"])  # the folder: two such parts
    >>> part > 0 and folder == 2 * part
    True
    """
    sizes: list[int | None] = [None] * len(files)
    folders: dict[tuple, list[tuple[int, str]]] = {}
    for k, path in enumerate(files):
        if "://" not in path or path.startswith("file://"):
            sizes[k] = _local_size(path.removeprefix("file://"))
            continue
        try:
            import fsspec

            fs, inner = fsspec.core.url_to_fs(path)
            folder = fs._parent(inner)
        except Exception:  # no fsspec here, an unknown protocol: read the file whole
            continue
        folders.setdefault((fs, folder), []).append((k, inner))
    for (fs, parent), members in folders.items():
        try:
            if len(members) == 1:
                entries = [fs.info(members[0][1])]
            else:
                entries = fs.ls(parent, detail=True)
            found = {fs._strip_protocol(e["name"]): e for e in entries}
        except Exception:  # no credentials on the client, a missing file: read whole
            continue
        for k, inner in members:
            entry = found.get(fs._strip_protocol(inner))
            if entry is not None and entry.get("type") == "file" and entry.get("size") is not None:
                sizes[k] = int(entry["size"])
    return sizes


def _local_size(path: str) -> int | None:
    if os.path.isfile(path):
        return os.path.getsize(path)
    if not os.path.isdir(path):
        return None  # missing here: the workers may see it, or name it missing
    return sum(os.path.getsize(e.path) for e in os.scandir(path)
               if not e.name.startswith(".") and e.is_file())


def _whole_files(files: list[str], sizes: list[int], n: int
                 ) -> tuple[list[list[Piece]], list[int]]:
    """Largest file first to the lightest shard; the shards and their bytes."""
    n = min(n, len(files))
    shards: list[list[Piece]] = [[] for _ in range(n)]
    loads = [0] * n
    _to_lightest([(size, Piece(f)) for f, size in zip(files, sizes, strict=True)], shards,
                 loads)
    return [sorted(shard, key=lambda p: p.path) for shard in shards], loads


def _to_lightest(items: list[tuple[int, Piece]], shards: list[list[Piece]],
                 loads: list[int]) -> None:
    """Add each piece, largest first, to the shard with the fewest bytes (``loads``)."""
    for size, piece in sorted(items, key=lambda item: -item[0]):
        lightest = loads.index(min(loads))
        shards[lightest].append(piece)
        loads[lightest] += size


def _cut(files: list[str], sizes: list[int | None], cuttable: list[bool],
         n: int) -> tuple[list[list[Piece]], list[int]]:
    """Files that cannot be cut go whole to the lightest shards; the others, one after
    the other, fill every shard up to one level, cut where a shard is full. Returns the
    shards that got something, and their bytes."""
    shards: list[list[Piece]] = [[] for _ in range(n)]
    loads = [0] * n
    _to_lightest([(1 if s is None else s, Piece(f))
                  for f, s, c in zip(files, sizes, cuttable, strict=True) if not c],
                 shards, loads)
    stream = [(f, s) for f, s, c in zip(files, sizes, cuttable, strict=True)
              if c and s is not None]  # a file is cuttable only when its size is known
    quotas = _fill(loads, sum(s for _, s in stream))
    shard = 0
    for f, size in stream:
        if size == 0:  # nothing to read, but still opened (and named, if it goes missing)
            shards[shard].append(Piece(f))
        at = 0
        while at < size:
            left = size - at
            room = left if shard == n - 1 else quotas[shard]
            if room <= 0:
                shard += 1
                continue
            take = min(left, room)
            if take < left:  # the file is cut here, but into no sliver:
                if left - take < MIN_PIECE_BYTES:  # the rest is one: this shard takes it
                    take = left
                elif take < MIN_PIECE_BYTES:  # this piece would be one: the next shard's
                    shard += 1
                    continue
            shards[shard].append(Piece(f, at, None if take == left else at + take))
            quotas[shard] -= take
            loads[shard] += take
            at += take
    used = [k for k in range(n) if shards[k]]
    return [shards[k] for k in used], [loads[k] for k in used]


def _fill(loads: list[int], total: int) -> list[int]:
    """Bytes to add to each shard so that ``total`` bytes bring them to one level
    (shards already above it get none)."""
    order = sorted(loads)
    level, rest = float(order[0]), float(total)
    for k in range(len(order)):
        top = order[k + 1] if k + 1 < len(order) else float("inf")
        if rest <= (top - level) * (k + 1):
            level += rest / (k + 1)
            break
        rest -= (top - level) * (k + 1)
        level = top
    return [max(0, round(level - load)) for load in loads]


# --------------------------------------------------------------------- the worker's side
@contextlib.contextmanager
def local_copy(piece: Piece | str, where: str = "", directory: str | None = None
               ) -> Iterator[str]:
    """A local path holding ``piece``: the file itself, or a temporary copy (of a URL, or
    of a piece of a file) removed on exit. A ValueError raised inside, about the copy,
    is raised again naming the original file, with its line and byte offset in it.

    Parameters
    ----------
    piece : a :class:`Piece`, or a path or URL (the whole file).
    where : words naming the reader (the Dask worker), for a missing file's message.
    directory : where a copy goes (default: the system's temporary directory).

    Example
    -------
    >>> from w2v.data.corpus import PathCorpus
    >>> with local_copy(Piece("part-0.txt", 0, 100)) as path:  # the lines starting in 0..99
    ...     len(next(iter(PathCorpus(path))))
    8
    """
    if isinstance(piece, str):
        piece = Piece(piece)
    is_url = "://" in piece.path and not piece.path.startswith("file://")
    if piece.whole and not is_url:
        local = piece.path.removeprefix("file://")
        if not os.path.exists(local):
            raise FileNotFoundError(f"corpus file {piece.path!r} not found{where}")
        yield local
        return
    suffix = os.path.splitext(piece.path)[1]  # the copy is decompressed as the original
    handle, local = tempfile.mkstemp(suffix=suffix if suffix.lower() in SUFFIXES else ".txt",
                                     prefix="w2v-shard-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out, _open(piece.path, where) as source:
            begin = boundary(source, piece.start)
            end = None if piece.stop is None else boundary(source, piece.stop)
            source.seek(begin)
            _copy(source, out, None if end is None else end - begin)
        try:
            yield local
        except ValueError as error:
            raise ValueError(_in_original(str(error), local, piece, begin)) from error
    finally:
        os.unlink(local)


def _open(path: str, where: str) -> Any:
    try:
        if "://" not in path or path.startswith("file://"):
            return open(path.removeprefix("file://"), "rb")
        try:
            import fsspec
        except ImportError as error:
            raise ImportError(f"reading {path} needs fsspec: pip install fsspec") from error
        handle = fsspec.open(path, "rb").open()
    except FileNotFoundError:
        raise FileNotFoundError(f"corpus file {path!r} not found{where}") from None
    return handle


def _copy(source: BinaryIO, out: BinaryIO, count: int | None) -> None:
    while count is None or count > 0:
        block = source.read(_BLOCK if count is None else min(_BLOCK, count))
        if not block:
            break
        out.write(block)
        if count is not None:
            count -= len(block)


def boundary(source: BinaryIO, at: int) -> int:
    """The first position at or after ``at`` where a piece may begin: just after the first
    newline within :data:`LINE_SEARCH_BYTES` from ``at - 1``, else just after the first
    whitespace byte from ``at - 1`` on (the end of the file if there is none), and never
    before a UTF-8 byte-order mark (a piece's reader would skip it as one).

    The same ``at`` always gives the same position, and a larger ``at`` never a smaller
    one, so consecutive pieces neither overlap nor leave a gap.

    Example
    -------
    >>> import io
    >>> boundary(io.BytesIO(b"ab cd\\nef gh"), 2), boundary(io.BytesIO(b"ab cd ef"), 2)
    (6, 3)
    """
    if at <= 0:
        return 0
    while True:
        source.seek(at - 1)
        head = source.read(LINE_SEARCH_BYTES)
        newline = head.find(b"\n")
        found = at - 1 + newline if newline >= 0 else _next_space(source, at - 1, head)
        if found is None:  # a token to the end of the file
            return source.seek(0, os.SEEK_END)
        source.seek(found + 1)
        if source.read(len(codecs.BOM_UTF8)) != codecs.BOM_UTF8:
            return found + 1
        at = found + 2  # on, past the mark's first byte


def _next_space(source: BinaryIO, start: int, head: bytes) -> int | None:
    """The position of the first whitespace byte at or after ``start``, given the bytes
    from there (``head``), reading on as needed; None if there is none."""
    at, block = start, head
    while block:
        space = _SPACE.search(block)
        if space is not None:
            return at + space.start()
        at += len(block)
        block = source.read(_BLOCK)
    return None


def _in_original(message: str, local: str, piece: Piece, begin: int) -> str:
    """``message``, about ``local`` (a copy of ``piece`` from byte ``begin``), rewritten
    about the original file: its name, and the line and byte offset in it."""
    lines_before: int | None = None

    def line(match: re.Match) -> str:
        nonlocal lines_before
        if lines_before is None:
            lines_before = _newlines_before(piece.path, begin)
        return f"line {int(match.group(1)) + lines_before}"

    message = re.sub(r"\bline (\d+)", line, message)
    message = re.sub(r"\bbyte offset (\d+)", lambda m: f"byte offset {int(m.group(1)) + begin}",
                     message)
    return message.replace(repr(local), repr(piece.path)).replace(local, piece.path)


def _newlines_before(path: str, end: int) -> int:
    count = 0
    with _open(path, "") as source:
        while end > 0 and (block := source.read(min(_BLOCK, end))):
            count += block.count(b"\n")
            end -= len(block)
    return count
