"""Word vectors that can be queried on their own, without the model that trained them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["KeyedVectors"]


class KeyedVectors:
    """A float32 matrix with one row per word, in vocabulary order.

    Parameters
    ----------
    vectors : array (words, dim); kept as is (no copy) when already float32 C-order.
    index_to_key : the word of each row.

    Example
    -------
    >>> kv = KeyedVectors(np.eye(3, dtype=np.float32), ["a", "b", "c"])
    >>> kv["b"].tolist()
    [0.0, 1.0, 0.0]
    """

    def __init__(self, vectors: np.ndarray, index_to_key: Sequence[str]) -> None:
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
            raise ValueError(
                f"vectors must be (words, dim) with {len(index_to_key)} rows, got {vectors.shape}"
            )
        self.vectors = vectors
        self.index_to_key = list(index_to_key)
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError("index_to_key holds the same word twice")
        self._unit: np.ndarray | None = None

    @property
    def vector_size(self) -> int:
        return self.vectors.shape[1]

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word: object) -> bool:
        return word in self.key_to_index

    def __repr__(self) -> str:
        return f"KeyedVectors({len(self)} words, {self.vector_size} dimensions)"

    def get_index(self, word: str) -> int:
        """Row of ``word``; ``KeyError`` naming it when it is not in the vocabulary.

        Example
        -------
        >>> KeyedVectors(np.eye(2, dtype=np.float32), ["a", "b"]).get_index("b")
        1
        """
        try:
            return self.key_to_index[word]
        except KeyError:
            raise KeyError(f"word {word!r} not in vocabulary") from None

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """The vector of ``word`` (unit length when ``norm``).

        Example
        -------
        >>> KeyedVectors(np.array([[3, 4]], dtype=np.float32), ["a"]).get_vector("a", norm=True)
        array([0.6, 0.8], dtype=float32)
        """
        index = self.get_index(word)
        return self.unit_vectors()[index] if norm else self.vectors[index]

    def __getitem__(self, words: str | Iterable[str]) -> np.ndarray:
        if isinstance(words, str):
            return self.get_vector(words)
        return np.stack([self.get_vector(w) for w in words])

    def unit_vectors(self) -> np.ndarray:
        """Rows scaled to unit length (zero rows stay zero), cached until ``invalidate()``."""
        if self._unit is None:
            norms = np.linalg.norm(self.vectors, axis=1, keepdims=True)
            self._unit = self.vectors / np.maximum(norms, np.finfo(np.float32).tiny)
        return self._unit

    def invalidate(self) -> None:
        """Drop cached derived data; call after changing ``vectors`` in place."""
        self._unit = None

    def most_similar(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The ``topn`` words closest to ``word`` by cosine similarity, best first.

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [1, .1], [0, 1]], np.float32), ["a", "b", "c"])
        >>> [w for w, _ in kv.most_similar("a", topn=2)]
        ['b', 'c']
        """
        index = self.get_index(word)
        unit = self.unit_vectors()
        scores = unit @ unit[index]
        scores[index] = -np.inf
        topn = min(topn, len(self) - 1)
        if topn <= 0:
            return []
        best = np.argpartition(-scores, topn - 1)[:topn]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(self.index_to_key[i], float(scores[i])) for i in best]
