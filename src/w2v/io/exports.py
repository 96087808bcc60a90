"""Vectors written for other tools: the TensorBoard embedding projector and spaCy.

TensorBoard's projector reads a folder holding

* ``vectors.tsv``: one row per word, the values separated by tabs (``%.9g``, enough digits
  for every float32 to read back bit-exactly);
* ``metadata.tsv``: the labels of the rows. The projector's rule: a file of one column has
  *no* header line; a file of several columns starts with a header line naming them. The
  words alone are written as one column without a header; when the counts are known, the
  file has two columns, ``word`` and ``count``, under a ``word<TAB>count`` header;
* ``projector_config.json``: ``{"embeddings": [{"tensorName", "tensorShape", "tensorPath",
  "metadataPath"}]}``, the layout the standalone projector page loads, and
  ``projector_config.pbtxt``, the same in the text format the TensorBoard plugin reads from
  a ``--logdir``.

A word holding a tab, a newline or a carriage return cannot be one cell of a TSV file (the
projector does not unescape), so it is refused with an error naming its row.

spaCy's ``spacy init vectors LANG VECTORS OUT`` reads the word2vec text format (plain, or
gzip-compressed when the name ends with ``.gz``): :func:`write_spacy` writes that.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._util.atomic import atomic_write
from .word2vec_format import save_word2vec_format

__all__ = ["EXPORT_FORMATS", "read_tensorboard", "write_spacy", "write_tensorboard"]

#: The tools ``w2v export --to`` writes for.
EXPORT_FORMATS = ("tensorboard", "spacy")
_BAD_TSV = ("\t", "\n", "\r")


def _check_matrix(vectors: np.ndarray, words: Sequence[str]) -> np.ndarray:
    matrix = np.asarray(vectors)
    if matrix.ndim != 2 or matrix.dtype.kind not in "fiu":
        raise ValueError(f"vectors must be a 2-D real array, got {matrix.dtype} {matrix.shape}")
    if matrix.shape[0] != len(words):
        raise ValueError(f"vectors has {matrix.shape[0]} rows but there are {len(words)} words")
    return matrix.astype(np.float32, copy=False)


def _folder(path: str | os.PathLike) -> Path:
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{os.fspath(path)} exists and is not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_tensorboard(
    folder: str | os.PathLike, vectors: np.ndarray, words: Sequence[str],
    counts: np.ndarray | None = None, tensor_name: str = "w2v",
) -> Path:
    """Write ``vectors.tsv``, ``metadata.tsv`` and the projector's config into ``folder``.

    Parameters
    ----------
    folder : created if missing; each file is replaced atomically.
    vectors : array (words, dim), written as float32.
    words : the word of each row; no tabs, newlines or carriage returns, not empty.
    counts : optional count of each word; adds a ``count`` column (and the header line).
    tensor_name : the name the projector shows for this embedding.

    Returns the folder. ``ValueError`` names the row of a word that cannot be written, or of
    a non-finite value.

    Example
    -------
    >>> out = write_tensorboard("board", np.eye(2), ["a", "b"], counts=np.array([5, 3]))
    >>> (out / "metadata.tsv").read_text()
    'word\\tcount\\na\\t5\\nb\\t3\\n'
    >>> (out / "vectors.tsv").read_text()
    '1\\t0\\n0\\t1\\n'
    """
    words = list(words)
    matrix = _check_matrix(vectors, words)
    for row, word in enumerate(words):
        if not isinstance(word, str) or not word or any(c in word for c in _BAD_TSV):
            raise ValueError(f"word {word!r} at row {row} is empty, not a string, or holds a "
                             "tab, newline or carriage return, which a TSV cell cannot hold")
    finite = np.isfinite(matrix).all(axis=1)
    if not finite.all():
        row = int(np.argmin(finite))
        raise ValueError(f"the vector of {words[row]!r} at row {row} is not finite; the "
                         "projector cannot show it")
    if counts is not None:
        counts = np.asarray(counts)
        if counts.shape != (len(words),) or counts.dtype.kind not in "iu":
            raise ValueError(f"counts must be {len(words)} integers, got {counts.dtype} "
                             f"{counts.shape}")
    out = _folder(folder)
    line = "\t".join(["%.9g"] * matrix.shape[1]) + "\n"
    with atomic_write(out / "vectors.tsv", "w") as handle:
        for start in range(0, len(words), 65536):
            block = matrix[start : start + 65536].tolist()
            handle.write("".join([line % tuple(values) for values in block]))
    with atomic_write(out / "metadata.tsv", "w") as handle:
        if counts is None:  # one column: no header line
            handle.write("".join(w + "\n" for w in words))
        else:
            handle.write("word\tcount\n")
            handle.write("".join(f"{w}\t{c}\n" for w, c in zip(words, counts.tolist(),
                                                                strict=True)))
    entry = {"tensorName": tensor_name, "tensorShape": list(matrix.shape),
             "tensorPath": "vectors.tsv", "metadataPath": "metadata.tsv"}
    with atomic_write(out / "projector_config.json", "w") as handle:
        json.dump({"embeddings": [entry]}, handle, indent=2)
        handle.write("\n")
    with atomic_write(out / "projector_config.pbtxt", "w") as handle:
        handle.write(f"embeddings {{\n  tensor_name: {json.dumps(tensor_name)}\n"
                     '  tensor_path: "vectors.tsv"\n  metadata_path: "metadata.tsv"\n}\n')
    return out


def read_tensorboard(folder: str | os.PathLike
                     ) -> tuple[np.ndarray, list[str], np.ndarray | None]:
    """Read back what :func:`write_tensorboard` wrote, through ``projector_config.json``.

    Returns ``(vectors, words, counts)``: the float32 matrix, the words (the first metadata
    column) and the counts (``None`` without a ``count`` column). ``ValueError`` names the
    file and line of a malformed row.

    Example
    -------
    >>> _ = write_tensorboard("board", np.eye(2), ["a", "b"])
    >>> vectors, words, counts = read_tensorboard("board")
    >>> vectors.tolist(), words, counts
    ([[1.0, 0.0], [0.0, 1.0]], ['a', 'b'], None)
    """
    root = Path(folder)
    config = json.loads((root / "projector_config.json").read_text(encoding="utf-8"))
    entry = config["embeddings"][0]
    tensor_path = root / entry["tensorPath"]
    rows: list[list[str]] = []
    with open(tensor_path, encoding="utf-8", newline="\n") as handle:
        for number, text in enumerate(handle, 1):
            rows.append(text.rstrip("\n").split("\t"))
            if len(rows[-1]) != len(rows[0]):
                raise ValueError(f"{tensor_path}, line {number}: {len(rows[-1])} values, "
                                 f"the first line has {len(rows[0])}")
    try:
        vectors = np.array(rows, dtype=np.float32).reshape(len(rows), -1 if rows else 0)
    except ValueError as error:
        raise ValueError(f"{tensor_path}: not a table of numbers ({error})") from None
    meta_path = root / entry["metadataPath"]
    with open(meta_path, encoding="utf-8", newline="\n") as handle:
        lines = [text.rstrip("\n") for text in handle]
    counts = None
    if lines and "\t" in lines[0]:  # several columns: the first line is the header
        header, cells = lines[0].split("\t"), [text.split("\t") for text in lines[1:]]
        words = [cell[0] for cell in cells]
        if "count" in header:
            column = header.index("count")
            counts = np.array([int(cell[column]) for cell in cells], dtype=np.int64)
    else:
        words = lines
    if len(words) != len(vectors):
        raise ValueError(f"{meta_path} labels {len(words)} rows but {tensor_path} has "
                         f"{len(vectors)}")
    return vectors, words, counts


def write_spacy(folder: str | os.PathLike, vectors: np.ndarray, words: Sequence[str],
                compress: bool = False) -> Path:
    """Write ``vectors.txt`` (or ``vectors.txt.gz``) in ``folder`` for ``spacy init vectors``.

    The file is the word2vec text format (a ``rows dims`` header, then ``word v1 v2 ...``),
    which spaCy's reader takes as is; values are ``%.9g``, so they read back bit-exactly.
    Words must be non-empty and hold no whitespace. Returns the file written.

    Example
    -------
    >>> path = write_spacy("for_spacy", np.eye(2), ["a", "b"])
    >>> path.name, path.read_text()
    ('vectors.txt', '2 2\\na 1 0\\nb 0 1\\n')
    >>> from w2v.io.word2vec_format import load_word2vec_format
    >>> load_word2vec_format(path)[1]
    ['a', 'b']
    """
    words = list(words)
    matrix = _check_matrix(vectors, words)
    path = _folder(folder) / ("vectors.txt.gz" if compress else "vectors.txt")
    save_word2vec_format(path, matrix, words)
    return path
