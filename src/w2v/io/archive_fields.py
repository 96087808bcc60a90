"""Typed fields of a native archive, checked as they come out of a file.

A native archive (:mod:`w2v.io.archive`) holds plain ``.npy`` arrays; the components that save
themselves in one (:class:`w2v.KeyedVectors`, a model's state in :mod:`w2v.train.model_files`)
store their words and matrices with these helpers and read them back through the checks, so
a file from a stranger either yields consistent arrays or raises ``ValueError`` naming the
file and the field.
"""

from __future__ import annotations

import numpy as np

from .word2vec_format import find_nonfinite

__all__ = ["INT64_MAX", "array_field", "check_finite", "counts_field", "decode_words",
           "encode_words", "matrix_field"]

INT64_MAX = 2**63 - 1


def encode_words(words: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Words as one UTF-8 byte array and ``len(words) + 1`` offsets into it.

    Example
    -------
    >>> data, offsets = encode_words(["a", "é"])
    >>> data.tobytes(), offsets.tolist()
    (b'a\\xc3\\xa9', [0, 1, 3])
    """
    encoded = [w.encode("utf-8") for w in words]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def decode_words(data: np.ndarray, offsets: np.ndarray, where: str) -> list[str]:
    """Inverse of :func:`encode_words`, validating the offsets and the UTF-8.

    Example
    -------
    >>> decode_words(*encode_words(["a", "é"]), where="test")
    ['a', 'é']
    """
    if (data.ndim != 1 or offsets.ndim != 1 or len(offsets) < 1 or data.dtype != np.uint8
            or offsets.dtype.kind not in "iu"):
        raise ValueError(f"{where}: the word arrays are malformed (words_utf8 must be uint8, "
                         f"word_offsets integers; got {data.dtype} {data.shape}, "
                         f"{offsets.dtype} {offsets.shape})")
    starts, ends = offsets[:-1], offsets[1:]
    if offsets[0] != 0 or offsets[-1] != len(data) or np.any(ends < starts):
        raise ValueError(f"{where}: the word offsets do not fit the word data")
    raw = np.asarray(data).tobytes()
    try:
        bounds = zip(starts.tolist(), ends.tolist(), strict=True)
        words = [raw[a:b].decode("utf-8") for a, b in bounds]
    except UnicodeDecodeError as error:
        raise ValueError(f"{where}: a word is not valid UTF-8 ({error})") from None
    if len(set(words)) != len(words):
        raise ValueError(f"{where}: the same word appears twice")
    return words


def array_field(arrays: dict[str, np.ndarray], name: str, where: str) -> np.ndarray:
    """The array ``name`` of an archive read from ``where``, or ValueError if it is missing.

    Example
    -------
    >>> array_field({"counts": np.arange(2)}, "counts", "f.zip").tolist()
    [0, 1]
    """
    if name not in arrays:
        raise ValueError(f"{where}: the array {name!r} is missing")
    return arrays[name]


def counts_field(counts: np.ndarray, n: int, where: str, name: str = "counts") -> np.ndarray:
    """``counts`` as int64, checked to be ``n`` integers from 0 to 2**63 - 1.

    Example
    -------
    >>> counts_field(np.array([3, 1], np.uint32), 2, "f.zip").dtype
    dtype('int64')
    """
    if counts.shape != (n,) or counts.dtype.kind not in "iu":
        raise ValueError(f"{where}: {name} must be {n} integers, got {counts.dtype} "
                         f"{counts.shape}")
    if n and counts.min() < 0:
        raise ValueError(f"{where}: {name} must not be negative")
    if n and counts.max() > INT64_MAX:  # a uint64 would wrap around in int64
        raise ValueError(f"{where}: {name} must be below 2**63")
    return np.asarray(counts, dtype=np.int64)


def check_finite(array: np.ndarray, name: str, where: str, allow_nonfinite: bool) -> None:
    """ValueError naming the first NaN or infinity of ``array`` (unless ``allow_nonfinite``).

    Example
    -------
    >>> check_finite(np.ones((2, 2), np.float32), "vectors", "f.zip", False)
    """
    bad = None if allow_nonfinite else find_nonfinite(array)
    if bad is not None:
        raise ValueError(f"{where}: {name} holds NaN or infinity (first at row {bad[0]}, "
                         f"column {bad[1]}); allow_nonfinite=True loads it")


def matrix_field(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, int | None],
                 where: str, allow_nonfinite: bool) -> np.ndarray:
    """The float32 matrix ``name`` of shape ``shape`` (``None``: any number of columns),
    finite unless ``allow_nonfinite``; ValueError naming the file and the field otherwise.

    Example
    -------
    >>> matrix_field({"v": np.zeros((2, 3), np.float32)}, "v", (2, None), "f.zip", False).shape
    (2, 3)
    """
    array = array_field(arrays, name, where)
    rows, dims = shape
    if (array.dtype != np.float32 or array.ndim != 2 or array.shape[0] != rows
            or (dims is not None and array.shape[1] != dims)):  # vectors alone may have 0
        want = f"({rows}, {dims if dims is not None else 'dim'})"
        raise ValueError(f"{where}: {name} must be float32 {want}, got {array.dtype} "
                         f"{array.shape}")
    check_finite(array, name, where, allow_nonfinite)
    return array
