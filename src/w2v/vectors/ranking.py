"""Picking the best-scoring words (``argpartition`` for the top-n, then an exact sort),
and checking the arguments of the queries that do."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .._util.validation import check_int

__all__ = ["as_terms", "restricted_rows", "top_words"]


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
    return [(index_to_key[i], float(scores[i])) for i in best.tolist()]


def restricted_rows(restrict_vocab: Any, rows: int) -> int:
    """How many of ``rows`` (most frequent first) a query with ``restrict_vocab`` ranks:
    all of them for None; ValueError naming a bad value.

    Example
    -------
    >>> restricted_rows(30_000, 1_000)
    1000
    """
    limit = check_int("restrict_vocab", restrict_vocab, minimum=1, allow_none=True)
    return rows if limit is None else min(limit, rows)


def as_terms(terms: Any) -> list:
    """A query argument as a list: None -> [], one word or vector -> [it].

    Example
    -------
    >>> as_terms("king"), as_terms(None), as_terms(("king", 2.0))
    (['king'], [], [('king', 2.0)])
    """
    if terms is None:
        return []
    if isinstance(terms, (str, np.ndarray)):
        return [terms]
    if (isinstance(terms, tuple) and len(terms) == 2 and not isinstance(terms[1], bool)
            and isinstance(terms[1], (int, float, np.number))):
        return [terms]  # a single (word, weight) pair
    return list(terms)
