"""Picking the best-scoring words: ``argpartition`` for the top-n, then an exact sort."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["top_words"]


def top_words(scores: np.ndarray, index_to_key: Sequence[str], topn: int,
              exclude: Iterable[int] = ()) -> list[tuple[str, float]]:
    """The ``topn`` highest ``scores`` as ``(word, score)``, best first, ties in row order.

    Parameters
    ----------
    scores : one score per row; the rows in ``exclude`` are overwritten with ``-inf``, so
        pass an array you own.
    index_to_key : the word of each row.
    topn : how many words (fewer if there are not that many candidates).
    exclude : rows never returned (e.g. the query words).

    Example
    -------
    >>> top_words(np.array([0.2, 0.5, 0.3]), ["a", "b", "c"], 2, exclude=[1])
    [('c', 0.3), ('a', 0.2)]
    """
    banned = sorted({i for i in exclude if i < len(scores)})
    scores[banned] = -np.inf
    size = len(scores)
    k = min(int(topn), size - len(banned))
    if k <= 0:
        return []
    if k < size:
        kth = scores[np.argpartition(scores, size - k)[size - k:]].min()
        best = np.flatnonzero(scores >= kth)  # every row tied with the k-th best, too
    else:
        best = np.arange(size)
    best = best[np.lexsort((best, -scores[best]))][:k]
    return [(index_to_key[i], float(scores[i])) for i in best]
