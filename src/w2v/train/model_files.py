"""Saving and loading a model's state in w2v's native format.

The generic container (a folder or zip of ``.npy`` arrays plus ``meta.json``, no pickle) is
:mod:`w2v.io.archive`; this module decides what of a :class:`~w2v.train.state.ModelState` goes in it
and checks everything that comes out, so a file from a stranger either loads as a consistent
state or raises ``ValueError``. It never builds a model: :meth:`w2v.Word2Vec.load` does, from
the state read here.

Arrays of a ``"word2vec"`` archive: ``vectors`` (words x dim, float32), ``words_utf8`` and
``word_offsets`` (the words, UTF-8, concatenated), ``counts`` (int64), ``syn1neg`` and/or
``syn1`` (output layers), ``loss_history`` (float64) and ``examples_history`` (int64). Its
metadata: ``params``, ``vocab`` (``min_count``, ``corpus_words``), ``state``
(``epochs_trained``, ``training_seconds``, ``vocab_updates``) and, in a checkpoint,
``checkpoint`` (see :mod:`w2v.train.checkpoint`).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from .._util.validation import check_int, check_number
from .._version import __version__
from ..data.vocab import Vocabulary
from ..io.archive import read_archive
from ..io.archive_fields import (
    INT64_MAX,
    array_field,
    check_finite,
    counts_field,
    decode_words,
    encode_words,
    matrix_field,
)
from ..io.archive_write import write_archive
from .params import TrainingParams
from .state import ModelState

__all__ = ["MODEL_KIND", "load_state", "read_model", "save_state"]

MODEL_KIND = "word2vec"
#: Parameters that training uses as C ints or array sizes (a larger one would fail only then).
_C_INT_PARAMS = ("vector_size", "window", "negative", "epochs", "workers")
_FLAGS = ("sg", "hs", "cbow_mean", "batch", "memory_check")


def save_state(state: ModelState, path: str | os.PathLike,
               checkpoint: dict[str, Any] | None = None) -> None:
    """Write everything needed to query a model and continue training it (atomically);
    with ``checkpoint`` (a :class:`w2v.train.checkpoint.RunRecord` as metadata), also where the
    run under way stands, so it can be resumed.

    Example
    -------
    >>> save_state(model.state(), "state.zip")
    >>> load_state("state.zip").epochs_trained == model.epochs_trained
    True
    """
    vocab = state.vocab
    data, offsets = encode_words(vocab.index_to_key)
    arrays = {
        "vectors": np.asarray(state.vectors), "words_utf8": data, "word_offsets": offsets,
        "counts": vocab.counts,
        "loss_history": np.array(state.loss_history, dtype=np.float64),
        "examples_history": np.array(state.examples_history, dtype=np.int64),
    }
    if state.syn1neg is not None:
        arrays["syn1neg"] = np.asarray(state.syn1neg)
    if state.syn1 is not None:
        arrays["syn1"] = np.asarray(state.syn1)
    meta = {
        "w2v_version": __version__,
        "params": state.params.as_dict(),
        "vocab": {"min_count": vocab.min_count, "corpus_words": vocab.corpus_words},
        "state": {
            "epochs_trained": state.epochs_trained,
            "training_seconds": state.training_seconds,
            "vocab_updates": state.vocab_updates,
        },
    }
    if checkpoint is not None:
        meta["checkpoint"] = checkpoint
    write_archive(path, MODEL_KIND, arrays, meta)


def load_state(path: str | os.PathLike, mmap: str | None = None,
               allow_nonfinite: bool = False, memory_check: bool = True) -> ModelState:
    """Read a ``"word2vec"`` archive: the state of a model that can be queried and trained
    further. NaN or infinite values in its float arrays (vectors, output layers, loss
    history) raise ``ValueError`` unless ``allow_nonfinite``; ``mmap`` as in
    :func:`w2v.io.archive.read_archive`, and ``memory_check`` too (arrays larger than the
    memory available raise :class:`~w2v.InsufficientMemoryError` unless mapped).

    Example
    -------
    >>> state = load_state("model.zip")
    >>> state.vectors.shape, state.syn1
    ((19, 16), None)
    """
    return read_model(path, mmap, allow_nonfinite, memory_check)[0]


def read_model(path: str | os.PathLike, mmap: str | None = None,
               allow_nonfinite: bool = False,
               memory_check: bool = True) -> tuple[ModelState, Any]:
    """:func:`load_state`, and the file's ``checkpoint`` metadata as it is (None when it
    has none; :func:`w2v.train.checkpoint.load_checkpoint` checks it).

    Example
    -------
    >>> state, checkpoint = read_model("run.zip")
    >>> checkpoint["run_epochs"], read_model("model.zip")[1]
    (2, None)
    """
    arrays, meta = read_archive(path, kind=MODEL_KIND, mmap=mmap, memory_check=memory_check)
    return _state(arrays, meta, os.fspath(path), allow_nonfinite), meta.get("checkpoint")


def _state(arrays: dict[str, np.ndarray], meta: dict[str, Any], where: str,
           allow_nonfinite: bool) -> ModelState:
    params = _params(_section(meta, "params", where), where)
    vocab_meta = _section(meta, "vocab", where)
    state = _section(meta, "state", where)

    words = decode_words(array_field(arrays, "words_utf8", where),
                         array_field(arrays, "word_offsets", where), where)
    counts = counts_field(array_field(arrays, "counts", where), len(words), where)
    vocab = Vocabulary(dict(zip(words, counts.tolist(), strict=True)), min_count=0,
                       corpus_words=_number(vocab_meta, "corpus_words", where, 0))
    if vocab.index_to_key != words:
        raise ValueError(f"{where}: the words are not sorted by descending count")
    vocab.min_count = _number(vocab_meta, "min_count", where, 0)

    dim, n = params.vector_size, len(words)
    if n == 0:
        raise ValueError(f"{where}: the model has no words")
    vectors = matrix_field(arrays, "vectors", (n, dim), where, allow_nonfinite)
    syn1neg = _optional_matrix(arrays, "syn1neg", (n, dim), params.needs_out_words, where,
                               allow_nonfinite)
    syn1 = _optional_matrix(arrays, "syn1", (n - 1, dim), bool(params.hs), where,
                            allow_nonfinite)

    epochs = _number(state, "epochs_trained", where, 0)
    loss = array_field(arrays, "loss_history", where)
    examples = array_field(arrays, "examples_history", where)
    if loss.shape != (epochs,) or examples.shape != (epochs,):
        raise ValueError(f"{where}: loss_history and examples_history must hold one value per "
                         f"trained epoch ({epochs})")
    if loss.dtype.kind != "f":
        raise ValueError(f"{where}: loss_history must be floats, got {loss.dtype}")
    examples = counts_field(examples, epochs, where, "examples_history")
    check_finite(loss, "loss_history", where, allow_nonfinite)
    seconds = check_number(f"{where}: state.training_seconds", state.get("training_seconds"),
                           minimum=0.0)
    return ModelState(
        params=params, vocab=vocab, vectors=vectors, syn1neg=syn1neg, syn1=syn1,
        loss_history=tuple(np.asarray(loss, dtype=np.float64).tolist()),
        examples_history=tuple(np.asarray(examples, dtype=np.int64).tolist()),
        training_seconds=float(seconds),
        vocab_updates=_number(state, "vocab_updates", where, 0))


# ----------------------------------------------------------------- validation
def _section(meta: dict[str, Any], name: str, where: str) -> dict[str, Any]:
    value = meta.get(name)
    if not isinstance(value, dict):
        kind = type(value).__name__
        raise ValueError(f"{where}: metadata {name!r} must be an object, got {kind}")
    return value


def _number(section: dict[str, Any], name: str, where: str, minimum: int) -> int:
    value = section.get(name)
    return check_int(f"{where}: metadata {name!r}", value, minimum=minimum, maximum=INT64_MAX)


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
        limit = 2**31 - 1 if name in _C_INT_PARAMS else INT64_MAX
        if type(value) is int and value > limit:
            raise ValueError(f"{where}: parameter {name} is {value!r:.40}, over {limit}")
    try:
        params = TrainingParams(**values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: invalid training parameters: {error}") from None
    return params  # TrainingParams bounds what the kernel's buffers are sized from


def _optional_matrix(arrays: dict[str, np.ndarray], name: str, shape: tuple[int, int],
                     expected: bool, where: str, allow_nonfinite: bool) -> np.ndarray | None:
    if not expected:
        if name in arrays:
            raise ValueError(f"{where}: {name} present but the parameters do not train it")
        return None
    return matrix_field(arrays, name, shape, where, allow_nonfinite)
