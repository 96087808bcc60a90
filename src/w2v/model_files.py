"""Saving and loading models and word vectors in w2v's native format.

The generic container (a folder or zip of ``.npy`` arrays plus ``meta.json``, no pickle) is
:mod:`w2v.archive`; this module decides what goes in it and checks everything that comes out,
so a file from a stranger either loads as a consistent model or raises ``ValueError``.

Arrays of a ``"word2vec"`` archive: ``vectors`` (words x dim, float32), ``words_utf8`` and
``word_offsets`` (the words, UTF-8, concatenated), ``counts`` (int64), ``syn1neg`` and/or
``syn1`` (output layers), ``loss_history`` (float64) and ``examples_history`` (int64).
A ``"keyedvectors"`` archive holds ``vectors``, the words and optionally ``counts``.
"""

from __future__ import annotations

import math
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from ._version import __version__
from .archive import read_archive
from .archive_write import write_archive
from .keyedvectors import KeyedVectors
from .params import TrainingParams
from .vocab import Vocabulary
from .word2vec_format import find_nonfinite

if TYPE_CHECKING:
    from .checkpoint import RunRecord
    from .model import Word2Vec

__all__ = ["decode_words", "encode_words", "load_checkpoint", "load_keyedvectors", "load_model",
           "save_keyedvectors", "save_model"]

MODEL_KIND = "word2vec"
VECTORS_KIND = "keyedvectors"
_INT64_MAX = 2**63 - 1
#: Parameters that training uses as C ints or array sizes (a larger one would fail only then).
_C_INT_PARAMS = ("vector_size", "window", "negative", "epochs", "workers")
_FLAGS = ("sg", "hs", "cbow_mean", "batch")


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


def save_keyedvectors(wv: KeyedVectors, path: str | os.PathLike) -> None:
    """Write ``wv`` as a ``"keyedvectors"`` archive (atomically).

    Example
    -------
    >>> save_keyedvectors(model.wv, "vectors.zip")  # doctest: +SKIP
    """
    data, offsets = encode_words(wv.index_to_key)
    arrays = {"vectors": np.asarray(wv.vectors), "words_utf8": data, "word_offsets": offsets}
    if wv.counts is not None:
        arrays["counts"] = wv.counts
    write_archive(path, VECTORS_KIND, arrays, {"w2v_version": __version__})


def load_keyedvectors(path: str | os.PathLike, mmap: str | None = None,
                      allow_nonfinite: bool = False) -> KeyedVectors:
    """Read a ``"keyedvectors"`` archive; ``mmap`` as in :func:`w2v.archive.read_archive`.
    NaN or infinite vectors raise ``ValueError`` unless ``allow_nonfinite`` (with ``mmap`` the
    check reads the whole matrix once).

    Example
    -------
    >>> wv = load_keyedvectors("vectors.zip", mmap="r")  # doctest: +SKIP
    """
    arrays, _ = read_archive(path, kind=VECTORS_KIND, mmap=mmap)
    where = os.fspath(path)
    words = decode_words(_array(arrays, "words_utf8", where), _array(arrays, "word_offsets", where),
                         where)
    vectors = _matrix(arrays, "vectors", (len(words), None), where, allow_nonfinite)
    counts = arrays.get("counts")
    if counts is not None:
        counts = _counts(counts, len(words), where)
    return KeyedVectors(vectors, words, counts)


def save_model(model: Word2Vec, path: str | os.PathLike,
               checkpoint: dict[str, Any] | None = None) -> None:
    """Write everything needed to query ``model`` and continue training it; with
    ``checkpoint`` (a :class:`w2v.checkpoint.RunRecord` as metadata), also where the run
    under way stands, so it can be resumed.

    Example
    -------
    >>> save_model(model, "model.zip")  # doctest: +SKIP
    """
    if model.vocab is None:
        raise ValueError("the model has no vocabulary yet: nothing to save")
    data, offsets = encode_words(model.vocab.index_to_key)
    arrays = {
        "vectors": np.asarray(model.wv.vectors), "words_utf8": data, "word_offsets": offsets,
        "counts": model.vocab.counts,
        "loss_history": np.array(model.loss_history, dtype=np.float64),
        "examples_history": np.array(model.examples_history, dtype=np.int64),
    }
    if model.syn1neg is not None:
        arrays["syn1neg"] = np.asarray(model.syn1neg)
    if model.syn1 is not None:
        arrays["syn1"] = np.asarray(model.syn1)
    meta = {
        "w2v_version": __version__,
        "params": model.params.as_dict(),
        "vocab": {"min_count": model.vocab.min_count, "corpus_words": model.vocab.corpus_words},
        "state": {
            "epochs_trained": model.epochs_trained,
            "training_seconds": model.training_seconds,
            "vocab_updates": model.vocab_updates,
        },
    }
    if checkpoint is not None:
        meta["checkpoint"] = checkpoint
    write_archive(path, MODEL_KIND, arrays, meta)


def load_model(path: str | os.PathLike, mmap: str | None = None,
               allow_nonfinite: bool = False) -> Word2Vec:
    """Read a ``"word2vec"`` archive into a model that can be queried and trained further.
    NaN or infinite values in its float arrays (vectors, output layers, loss history) raise
    ``ValueError`` unless ``allow_nonfinite``; ``mmap`` as in :func:`load_keyedvectors`.

    Example
    -------
    >>> model = load_model("model.zip")  # doctest: +SKIP
    """
    arrays, meta = read_archive(path, kind=MODEL_KIND, mmap=mmap)
    return _model(arrays, meta, os.fspath(path), allow_nonfinite)


def load_checkpoint(path: str | os.PathLike) -> tuple[Word2Vec, RunRecord]:
    """Read a checkpoint written during training: the model, and where its run stood.

    Example
    -------
    >>> model, record = load_checkpoint("run.zip")  # doctest: +SKIP
    """
    from .checkpoint import RunRecord

    where = os.fspath(path)
    arrays, meta = read_archive(path, kind=MODEL_KIND)
    model = _model(arrays, meta, where, allow_nonfinite=False)
    return model, RunRecord.from_meta(meta.get("checkpoint"), where, model.epochs_trained)


def _model(arrays: dict[str, np.ndarray], meta: dict[str, Any], where: str,
           allow_nonfinite: bool) -> Word2Vec:
    from .model import Word2Vec

    params = _params(_section(meta, "params", where), where)
    vocab_meta = _section(meta, "vocab", where)
    state = _section(meta, "state", where)

    words = decode_words(_array(arrays, "words_utf8", where), _array(arrays, "word_offsets", where),
                         where)
    counts = _counts(_array(arrays, "counts", where), len(words), where)
    vocab = Vocabulary(dict(zip(words, counts.tolist(), strict=True)), min_count=0,
                       corpus_words=_number(vocab_meta, "corpus_words", where, 0))
    if vocab.index_to_key != words:
        raise ValueError(f"{where}: the words are not sorted by descending count")
    vocab.min_count = _number(vocab_meta, "min_count", where, 0)

    dim, n = params.vector_size, len(words)
    if n == 0:
        raise ValueError(f"{where}: the model has no words")
    model = Word2Vec(**params.as_dict())
    model.vocab = vocab
    vectors = _matrix(arrays, "vectors", (n, dim), where, allow_nonfinite)
    model.wv = KeyedVectors(vectors, words, vocab.counts)
    model.syn1neg = _optional_matrix(arrays, "syn1neg", (n, dim), params.needs_out_words, where,
                                     allow_nonfinite)
    model.syn1 = _optional_matrix(arrays, "syn1", (n - 1, dim), bool(params.hs), where,
                                  allow_nonfinite)

    epochs = _number(state, "epochs_trained", where, 0)
    loss = _array(arrays, "loss_history", where)
    examples = _array(arrays, "examples_history", where)
    if loss.shape != (epochs,) or examples.shape != (epochs,):
        raise ValueError(f"{where}: loss_history and examples_history must hold one value per "
                         f"trained epoch ({epochs})")
    if loss.dtype.kind != "f":
        raise ValueError(f"{where}: loss_history must be floats, got {loss.dtype}")
    examples = _counts(examples, epochs, where, "examples_history")
    _check_finite(loss, "loss_history", where, allow_nonfinite)
    model.loss_history = np.asarray(loss, dtype=np.float64).tolist()
    model.examples_history = np.asarray(examples, dtype=np.int64).tolist()
    model.epochs_trained = epochs
    model.vocab_updates = _number(state, "vocab_updates", where, 0)
    seconds = state.get("training_seconds")
    if (isinstance(seconds, bool) or not isinstance(seconds, (int, float))
            or not 0 <= seconds < math.inf):  # also false for NaN
        raise ValueError(f"{where}: state.training_seconds must be a finite number >= 0, "
                         f"got {seconds!r}")
    model.training_seconds = float(seconds)
    return model


# ----------------------------------------------------------------- validation
def _section(meta: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = meta.get(name)
    if not isinstance(value, dict):
        kind = type(value).__name__
        raise ValueError(f"{where}: metadata {name!r} must be an object, got {kind}")
    return value


def _number(section: dict[str, Any], name: str, where: str, minimum: int) -> int:
    value = section.get(name)
    if (isinstance(value, bool) or not isinstance(value, int)
            or not minimum <= value <= _INT64_MAX):
        raise ValueError(f"{where}: metadata {name!r} must be an integer from {minimum} to "
                         f"2**63 - 1, got {value!r:.80}")
    return value


def _params(values: dict[str, Any], where: str) -> TrainingParams:
    known = set(TrainingParams.__dataclass_fields__)
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{where}: unknown training parameters {unknown}")
    for name, value in values.items():  # JSON floats can be NaN/inf; params never are
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{where}: parameter {name} is {value}")
        if name in _FLAGS and type(value) not in (int, bool):  # TrainingParams takes 1.0
            raise ValueError(f"{where}: parameter {name} must be 0 or 1, got {value!r}")
        limit = 2**31 - 1 if name in _C_INT_PARAMS else _INT64_MAX
        if type(value) is int and value > limit:
            raise ValueError(f"{where}: parameter {name} is {value!r:.40}, over {limit}")
    try:
        params = TrainingParams(**values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: invalid training parameters: {error}") from None
    return params  # TrainingParams bounds what the kernel's buffers are sized from


def _array(arrays: dict[str, np.ndarray], name: str, where: str) -> np.ndarray:
    if name not in arrays:
        raise ValueError(f"{where}: the array {name!r} is missing")
    return arrays[name]


def _counts(counts: np.ndarray, n: int, where: str, name: str = "counts") -> np.ndarray:
    if counts.shape != (n,) or counts.dtype.kind not in "iu":
        raise ValueError(f"{where}: {name} must be {n} integers, got {counts.dtype} "
                         f"{counts.shape}")
    if n and counts.min() < 0:
        raise ValueError(f"{where}: {name} must not be negative")
    if n and counts.max() > _INT64_MAX:  # a uint64 would wrap around in int64
        raise ValueError(f"{where}: {name} must be below 2**63")
    return np.asarray(counts, dtype=np.int64)


def _check_finite(array: np.ndarray, name: str, where: str, allow_nonfinite: bool) -> None:
    bad = None if allow_nonfinite else find_nonfinite(array)
    if bad is not None:
        raise ValueError(f"{where}: {name} holds NaN or infinity (first at row {bad[0]}, "
                         f"column {bad[1]}); allow_nonfinite=True loads it")


def _matrix(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, int | None],
            where: str, allow_nonfinite: bool) -> np.ndarray:
    array = _array(arrays, name, where)
    rows, dims = shape
    if (array.dtype != np.float32 or array.ndim != 2 or array.shape[0] != rows
            or (dims is not None and array.shape[1] != dims)):  # vectors alone may have 0
        want = f"({rows}, {dims if dims is not None else 'dim'})"
        raise ValueError(f"{where}: {name} must be float32 {want}, got {array.dtype} "
                         f"{array.shape}")
    _check_finite(array, name, where, allow_nonfinite)
    return array


def _optional_matrix(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, int],
                     expected: bool, where: str, allow_nonfinite: bool) -> np.ndarray | None:
    if not expected:
        if name in arrays:
            raise ValueError(f"{where}: {name} present but the parameters do not train it")
        return None
    return _matrix(arrays, name, shape, where, allow_nonfinite)
