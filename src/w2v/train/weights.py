"""The model's weight matrices: their initial values, their growth when the vocabulary is
updated, and what training will hold in memory."""

from __future__ import annotations

import numpy as np

from .._util import memory
from ..data.encoding import SPILL_WORDS
from ..data.vocab import Vocabulary
from .params import TrainingParams

__all__ = ["HOT_ROWS", "HOT_SHARE", "Weights", "check_memory", "fresh_rows", "grown_weights",
           "hot_rows", "initial_weights", "memory_estimate"]

#: When several threads train, each keeps private copies of the busiest rows of every
#: matrix (the most frequent words' input and output rows, the Huffman nodes nearest the
#: root), which every thread would otherwise write all the time, so that they bounce
#: between the cores' caches (see ``trainer.SYNC_EXAMPLES`` for how often they merge).
#: At most HOT_ROWS rows, and at most 1/HOT_SHARE of the vocabulary: a small one is all
#: busy, and its threads must see each other's changes.
HOT_ROWS = 256
HOT_SHARE = 16

#: (input vectors, output word vectors or None, Huffman node vectors or None)
Weights = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]


def fresh_rows(rng: np.random.Generator, rows: int, dim: int) -> np.ndarray:
    """Initial input vectors: uniform in [-0.5, 0.5) / dim, as the C tool does.

    Example
    -------
    >>> rows = fresh_rows(np.random.default_rng(0), 3, 4)
    >>> rows.shape, rows.dtype, bool(np.abs(rows).max() <= 0.125)
    ((3, 4), dtype('float32'), True)
    """
    return (rng.random((rows, dim), dtype=np.float32) - 0.5) / dim


def initial_weights(words: int, params: TrainingParams) -> Weights:
    """Fresh weights for ``words`` words: random input vectors (seeded by ``params.seed``),
    zero output layers where the objective needs them.

    Example
    -------
    >>> vectors, syn1neg, syn1 = initial_weights(5, TrainingParams(vector_size=4, hs=1))
    >>> vectors.shape, syn1neg.shape, syn1.shape
    ((5, 4), (5, 4), (4, 4))
    """
    dim = params.vector_size
    vectors = fresh_rows(np.random.default_rng(params.seed), words, dim)
    syn1neg = np.zeros((words, dim), np.float32) if params.needs_out_words else None
    syn1 = np.zeros((words - 1, dim), np.float32) if params.hs else None
    return vectors, syn1neg, syn1


def grown_weights(old: Vocabulary, new: Vocabulary, weights: Weights, params: TrainingParams,
                  update: int) -> Weights:
    """The weights for an updated vocabulary: trained rows move to their words' new
    indices, new words get fresh rows from a random stream of their own (``update`` is
    the vocabulary update's number), their output rows start at zero.

    Example
    -------
    >>> old = Vocabulary({"a": 3, "b": 2}, min_count=1)
    >>> new = Vocabulary({"c": 9, "a": 3, "b": 2}, min_count=1)
    >>> p = TrainingParams(vector_size=2)
    >>> vectors, _, _ = grown_weights(old, new, initial_weights(2, p), p, 1)
    >>> vectors.shape
    (3, 2)
    """
    vectors, syn1neg, syn1 = weights
    dim = params.vector_size
    rows = np.array([old.key_to_index.get(w, -1) for w in new.index_to_key], dtype=np.int64)
    known = rows >= 0
    rng = np.random.default_rng([params.seed, update])
    grown = np.empty((len(new), dim), np.float32)
    grown[known] = vectors[rows[known]]
    grown[~known] = fresh_rows(rng, int(np.count_nonzero(~known)), dim)
    if syn1neg is not None:
        out = np.zeros_like(grown)
        out[known] = syn1neg[rows[known]]
        syn1neg = out
    if syn1 is not None:  # the old tree's nodes keep their rows; new nodes start at zero
        nodes = np.zeros((len(new) - 1, dim), np.float32)
        nodes[: len(syn1)] = syn1
        syn1 = nodes
    return grown, syn1neg, syn1


def hot_rows(words: int, threads: int) -> int:
    """Rows of each matrix every thread copies (see HOT_ROWS); none for one thread.

    Example
    -------
    >>> hot_rows(100_000, 2), hot_rows(100, 2), hot_rows(100_000, 1)
    (256, 6, 0)
    """
    return min(HOT_ROWS, words // HOT_SHARE) if threads > 1 else 0


def memory_estimate(vocab: Vocabulary, params: TrainingParams) -> dict[str, int]:
    """Bytes training will hold, by part (see :meth:`w2v.Word2Vec.estimate_memory`).

    Example
    -------
    >>> vocab = Vocabulary({"a": 10, "b": 10}, min_count=1)
    >>> memory_estimate(vocab, TrainingParams(vector_size=10, workers=1))["vectors"]
    80
    """
    words, dim = len(vocab), params.vector_size
    matrix = words * dim * 4
    tokens = min(vocab.retained_words, SPILL_WORDS)
    hot = hot_rows(words, params.threads)
    matrices = 1 + bool(params.needs_out_words) + bool(params.hs)
    estimate = {
        "vectors": matrix,
        "syn1neg": matrix if params.needs_out_words else 0,
        "syn1": (words - 1) * dim * 4 if params.hs else 0,
        "vocabulary": words * 100,
        "encoded_corpus": tokens * 4 + (tokens // 10_000 + 1) * 8,
        "thread_copies": params.threads * matrices * 2 * hot * dim * 4,
    }
    estimate["total"] = sum(estimate.values())
    return estimate


def check_memory(vocab: Vocabulary, params: TrainingParams) -> None:
    """Raise :class:`~w2v.InsufficientMemoryError` when training a model of ``vocab`` with
    ``params`` would need more memory than the process can have (see
    :mod:`w2v._util.memory`), before any weight is allocated. The vocabulary itself is held
    already, so it is not counted. Nothing is checked where no limit is known.

    Example
    -------
    >>> vocab = Vocabulary({"a": 10, "b": 10}, min_count=1)
    >>> check_memory(vocab, TrainingParams(vector_size=10))  # a few bytes: fine
    >>> big = Vocabulary({str(i): 1 for i in range(10**5)}, min_count=1)
    >>> check_memory(big, TrainingParams(vector_size=10**6, workers=1))
    Traceback (most recent call last):
    ...
    w2v._util.memory.InsufficientMemoryError: this model needs about 745.06 GiB but only ...
    """
    estimate = memory_estimate(vocab, params)
    needed = estimate["total"] - estimate["vocabulary"]
    limit = memory.available_memory()
    if limit is None or needed <= limit.available:
        return
    words, dim = len(vocab), params.vector_size
    matrices = sum(1 for part in ("vectors", "syn1neg", "syn1") if estimate[part])
    weights = estimate["vectors"] + estimate["syn1neg"] + estimate["syn1"]
    corpus, copies = estimate["encoded_corpus"], estimate["thread_copies"]
    raise memory.InsufficientMemoryError(
        f"this model needs about {memory.format_bytes(needed)} but only "
        f"{limit.describe()} is available: vocabulary {words:,} x vector_size {dim:,} x "
        f"4 bytes x {matrices} matrices = {memory.format_bytes(weights)} of weights, plus "
        f"{memory.format_bytes(corpus)} for the encoded corpus and "
        f"{memory.format_bytes(copies)} for the threads' copies of busy rows "
        f"(workers={params.threads}); "
        f"lower vector_size, or shrink the vocabulary with a larger min_count (now "
        f"{vocab.min_count}) or max_final_vocab, or pass memory_check=False "
        "(w2v train --no-memory-check) to try anyway")
