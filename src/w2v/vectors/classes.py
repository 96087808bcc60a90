"""Word classes by k-means on word vectors, the algorithm of the C tool's ``-classes K``."""

from __future__ import annotations

import numpy as np

from .._util.validation import check_int

__all__ = ["kmeans_classes"]


def kmeans_classes(vectors: np.ndarray, k: int, iterations: int = 10) -> np.ndarray:
    """Assign each row of ``vectors`` to one of ``k`` classes, as word2vec.c does.

    The C tool's k-means, step for step: row ``i`` starts in class ``i % k``; each
    iteration sums the rows of every class into its centroid, scales the centroid to unit
    length, and moves every row to the class whose centroid has the largest dot product
    with the (unnormalised) row, the first such class on a tie. A class left empty has
    no direction (the C tool divides by a zero length) and is never chosen again; a row
    whose dot products are all at most -10 goes to class 0, as in the C tool. There is
    no randomness: the same vectors always give the same classes. Sums run in float64
    (the C tool's in float32), which can only matter for near-exact ties.

    Parameters
    ----------
    vectors : (words, dimensions) array, the words in vocabulary order.
    k : number of classes, >= 1.
    iterations : assignment rounds (the C tool always does 10).

    Returns
    -------
    int64 array of class ids in ``0 .. k - 1``, one per row.

    Example
    -------
    >>> import numpy as np
    >>> points = np.array([[1.0, 0.1], [0.1, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> kmeans_classes(points, 2).tolist()
    [0, 1, 0, 1]
    """
    k = check_int("k", k, minimum=1)
    iterations = check_int("iterations", iterations, minimum=0)
    rows = np.asarray(vectors, dtype=np.float64)
    if rows.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array, got shape {rows.shape}")
    classes = np.arange(len(rows), dtype=np.int64) % k
    for _ in range(iterations):
        sums = np.zeros((k, rows.shape[1]))
        np.add.at(sums, classes, rows)
        lengths = np.sqrt((sums * sums).sum(axis=1))
        with np.errstate(invalid="ignore", divide="ignore"):
            centroids = sums / lengths[:, None]  # an empty class: NaN, never the best
            scores = rows @ centroids.T
        scores[np.isnan(scores)] = -np.inf
        best = np.argmax(scores, axis=1)
        # the C tool starts from -10 and keeps class 0 unless a score beats it
        best[scores[np.arange(len(rows)), best] <= -10] = 0
        classes = best.astype(np.int64)
    return classes
