"""Load word vectors from whichever file format they are in.

w2v's native archives (a folder, or a ``.zip``) hold either a whole model or vectors
alone; the word2vec C tool's files are text or binary, maybe compressed. The command
line, and users who do not know what they were sent, load them all the same way.
"""

from __future__ import annotations

import errno
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .vectors.keyedvectors import KeyedVectors

__all__ = ["is_native", "load_vectors", "plain_name"]


def plain_name(path: str | os.PathLike) -> str:
    """The lower-cased file name without a compression suffix (``.gz``, ``.bz2``, ``.xz``).

    Example
    -------
    >>> plain_name("Vectors.BIN.gz")
    'vectors.bin'
    """
    from ._util.compression import SUFFIXES

    name = os.fspath(path).lower()
    for suffix in SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def is_native(path: str | os.PathLike) -> bool:
    """Whether ``path`` is (or claims to be) a w2v archive: a folder, or a zip file.

    Example
    -------
    >>> is_native("vectors.bin")
    False
    """
    found = Path(path)
    return found.is_dir() or (found.is_file() and zipfile.is_zipfile(found))


def load_vectors(path: str | os.PathLike) -> KeyedVectors:
    """Load word vectors from a native archive or a word2vec C-format file.

    A folder or zip file is w2v's native format: the vectors of a saved model, or vectors
    saved alone. Anything else is the C tool's format: binary if the name ends with
    ``.bin`` (before a ``.gz``/``.bz2``/``.xz`` suffix), else text; if that reading fails
    with ``ValueError`` the other one is tried, and when both fail the first error is
    raised. Nothing is unpickled whatever the file holds.

    Parameters
    ----------
    path : the file or folder.

    Returns
    -------
    The :class:`w2v.KeyedVectors`; FileNotFoundError if ``path`` does not exist.

    Example
    -------
    >>> load_vectors("vectors.bin").index_to_key == load_vectors("model.zip").index_to_key
    True
    """
    from .io.archive import archive_kind
    from .train.model_files import MODEL_KIND, load_state
    from .vectors.keyedvectors import KeyedVectors

    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, "no such vectors file", os.fspath(path))
    if is_native(path):
        if archive_kind(path) == MODEL_KIND:
            state = load_state(path)
            return KeyedVectors(state.vectors, state.vocab.index_to_key, state.vocab.counts)
        return KeyedVectors.load(path)
    binary = plain_name(path).endswith(".bin")
    try:
        return KeyedVectors.load_word2vec_format(path, binary=binary)
    except ValueError as first:
        try:
            return KeyedVectors.load_word2vec_format(path, binary=not binary)
        except ValueError:
            raise first from None
