"""Word vectors that can be queried on their own, without the model that trained them.

Queries score ``vectors @ query / norms`` with the rows' lengths cached (computed on the first
query, dropped by ``invalidate()`` or when ``vectors`` is replaced), so they need no second
copy of the matrix, and take the top-n with ``argpartition``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .._util.validation import check_int
from .._version import __version__
from ..io.archive import read_archive
from ..io.archive_fields import array_field, counts_field, decode_words, encode_words, matrix_field
from ..io.archive_write import write_archive
from .ranking import as_terms, restricted_rows, top_words

__all__ = ["VECTORS_KIND", "KeyedVectors"]

#: The kind of a native archive of word vectors alone: ``vectors``, the words as
#: ``words_utf8`` and ``word_offsets``, and optionally ``counts``.
VECTORS_KIND = "keyedvectors"

#: One term of a query: a word, a vector, or a (word or vector, weight) pair.
Term = str | np.ndarray | tuple[str | np.ndarray, float]

_TINY = np.finfo(np.float32).tiny


class KeyedVectors:
    """A float32 matrix with one row per word, most frequent word first.

    Parameters
    ----------
    vectors : array (words, dim); kept as is (no copy) when already float32 C-order.
    index_to_key : the word of each row.
    counts : optional corpus count of each word (kept by the native and C formats).

    Example
    -------
    >>> kv = KeyedVectors(np.eye(3, dtype=np.float32), ["a", "b", "c"])
    >>> kv["b"].tolist()
    [0.0, 1.0, 0.0]
    """

    def __init__(
        self, vectors: np.ndarray, index_to_key: Sequence[str], counts: np.ndarray | None = None
    ) -> None:
        if not isinstance(vectors, np.memmap):
            vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(index_to_key):
            raise ValueError(
                f"vectors must be (words, dim) with {len(index_to_key)} rows, got {vectors.shape}"
            )
        if vectors.dtype != np.float32:
            raise ValueError(f"vectors must be float32, got {vectors.dtype}")
        self.index_to_key = list(index_to_key)
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError("index_to_key holds the same word twice")
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(self.index_to_key),):
                raise ValueError(f"counts must have one entry per word, got {counts.shape}")
        self.counts = counts
        #: When set, the first query of the vectors warns with it (``UserWarning``), then
        #: clears it: a model sets it on vectors it has not trained yet.
        self.untrained_warning: str | None = None
        self._vectors = vectors
        self._norms: np.ndarray | None = None
        self._inverse_norms: np.ndarray | None = None

    # ----------------------------------------------------------------- basics
    @property
    def vectors(self) -> np.ndarray:
        """The (words, dim) float32 matrix; assigning a new one drops the cached unit rows."""
        return self._vectors

    @vectors.setter
    def vectors(self, value: np.ndarray) -> None:
        value = np.asarray(value)
        if value.shape != self._vectors.shape or value.dtype != np.float32:
            raise ValueError(
                f"vectors must stay float32 {self._vectors.shape}, got {value.dtype} {value.shape}"
            )
        self._vectors = value
        self.invalidate()

    @property
    def vector_size(self) -> int:
        """Dimensions of each vector."""
        return self._vectors.shape[1]

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
        except (KeyError, TypeError):
            raise KeyError(f"word {word!r} not in vocabulary") from None

    def get_vector(self, word: str, norm: bool = False) -> np.ndarray:
        """The vector of ``word`` (unit length when ``norm``).

        Example
        -------
        >>> KeyedVectors(np.array([[3, 4]], dtype=np.float32), ["a"]).get_vector("a", norm=True)
        array([0.6, 0.8], dtype=float32)
        """
        index = self.get_index(word)
        self._warn_if_untrained()
        if not norm:
            return self._vectors[index]
        return self._vectors[index] / max(self.vector_norms()[index], _TINY)

    def __getitem__(self, words: str | Iterable[str]) -> np.ndarray:
        """One word's vector, or a (len(words), dim) matrix for a list of words."""
        if isinstance(words, str):
            return self.get_vector(words)
        rows = [self.get_index(w) for w in words]
        self._warn_if_untrained()
        return self._vectors[np.array(rows, dtype=np.int64)]

    def vector_norms(self) -> np.ndarray:
        """Euclidean length of every row (float32), cached until ``invalidate()``.

        Example
        -------
        >>> KeyedVectors(np.array([[3, 4], [0, 2]], np.float32), ["a", "b"]).vector_norms()
        array([5., 2.], dtype=float32)
        """
        self._warn_if_untrained()
        norms = self._norms  # one read: invalidate() may run in another thread meanwhile
        if norms is None:  # one pass, no temporary matrix
            norms = self._norms = np.sqrt(np.einsum("ij,ij->i", self._vectors, self._vectors))
        return norms

    def unit_vectors(self) -> np.ndarray:
        """A new matrix of the rows scaled to unit length (zero rows stay zero).

        Example
        -------
        >>> KeyedVectors(np.array([[0, 2]], np.float32), ["a"]).unit_vectors().tolist()
        [[0.0, 1.0]]
        """
        return self._vectors / np.maximum(self.vector_norms(), _TINY)[:, None]

    def _warn_if_untrained(self) -> None:
        message = self.untrained_warning  # one read (queries may come from several threads)
        if message is not None:
            self.untrained_warning = None
            warnings.warn(message, UserWarning, stacklevel=4)

    def invalidate(self) -> None:
        """Drop cached derived data; call after changing ``vectors`` in place."""
        self._norms = None
        self._inverse_norms = None

    # ---------------------------------------------------------------- queries
    def similarity(self, a: str, b: str) -> float:
        """Cosine similarity of two words.

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [1, 1]], np.float32), ["a", "b"])
        >>> round(kv.similarity("a", "b"), 4)
        0.7071
        """
        return float(np.dot(self.get_vector(a, norm=True), self.get_vector(b, norm=True)))

    def distance(self, a: str, b: str) -> float:
        """Cosine distance, ``1 - similarity(a, b)``.

        Example
        -------
        >>> KeyedVectors(np.array([[1, 0], [0, 1]], np.float32), ["a", "b"]).distance("a", "b")
        1.0
        """
        return 1.0 - self.similarity(a, b)

    def n_similarity(self, words1: Sequence[str], words2: Sequence[str]) -> float:
        """Cosine similarity between the means of two sets of words.

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [0, 1], [1, 1]], np.float32), ["a", "b", "c"])
        >>> round(kv.n_similarity(["a", "b"], ["c"]), 4)
        1.0
        """
        if not len(words1) or not len(words2):
            raise ValueError("n_similarity needs at least one word on each side")
        means = [self[list(ws)].mean(axis=0) for ws in (words1, words2)]
        return float(np.dot(*(m / max(np.linalg.norm(m), _TINY) for m in means)))

    def cosine_similarities(self, vector: np.ndarray, words: Sequence[str] | None = None
                            ) -> np.ndarray:
        """Cosine of ``vector`` with every word (or with ``words``), in row order.

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [0, 1]], np.float32), ["a", "b"])
        >>> kv.cosine_similarities(np.array([1, 0], np.float32)).tolist()
        [1.0, 0.0]
        """
        query = self._unit_query(vector)
        if words is None:
            return self._scores(query, len(self))
        rows = np.array([self.get_index(w) for w in words], dtype=np.int64)
        return self._vectors[rows] @ query / np.maximum(self.vector_norms()[rows], _TINY)

    def most_similar(
        self, positive: Term | Sequence[Term] | None = None,
        negative: Term | Sequence[Term] | None = None, topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """Words closest to ``sum(positive) - sum(negative)`` of unit vectors (3CosAdd).

        Parameters
        ----------
        positive, negative : a word, a vector, or a list of words, vectors and
            ``(word or vector, weight)`` pairs. Words are unit-normalised; vectors are used as
            given. Query words never appear in the answer.
        topn : how many answers; ``None`` returns the similarity to every word (row order).
        restrict_vocab : only the first (most frequent) this many words are candidates.

        Returns ``[(word, cosine), ...]`` best first. ``KeyError`` names an unknown word;
        ``ValueError`` for an empty query.

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [1, .1], [0, 1]], np.float32), ["a", "b", "c"])
        >>> [w for w, _ in kv.most_similar("a", topn=2)]
        ['b', 'c']
        """
        query, exclude = self._combine(positive, negative)
        return self._top(self._unit_query(query), topn, restrict_vocab, exclude)

    def most_similar_cosmul(
        self, positive: str | Sequence[str] | None = None,
        negative: str | Sequence[str] | None = None, topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """3CosMul (Levy and Goldberg 2014): the word maximising
        ``prod((1 + cos(w, p)) / 2 for p in positive) / (prod(... negative) + 1e-6)``.

        Parameters are as for :meth:`most_similar` (words or vectors, no weights).

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [1, .1], [0, 1]], np.float32), ["a", "b", "c"])
        >>> kv.most_similar_cosmul(positive=["a"], topn=1)[0][0]
        'b'
        """
        pos, neg = as_terms(positive), as_terms(negative)
        if not pos and not neg:
            raise ValueError("most_similar_cosmul needs at least one positive or negative word")
        n = self._restricted(restrict_vocab)
        exclude = []
        score = np.ones(n, dtype=np.float32)
        for terms, into_denominator in ((pos, False), (neg, True)):
            factor = np.ones(n, dtype=np.float32)
            for term in terms:
                if isinstance(term, str):
                    exclude.append(self.get_index(term))
                    query = self.get_vector(term, norm=True)
                else:
                    query = self._unit_query(term)
                factor *= (1.0 + self._scores(query, n)) / 2.0
            score = score / (factor + 1e-6) if into_denominator else score * factor
        return self._ranked(score, topn, exclude)

    def similar_by_vector(
        self, vector: np.ndarray, topn: int | None = 10, restrict_vocab: int | None = None
    ) -> list[tuple[str, float]] | np.ndarray:
        """Words closest to ``vector`` by cosine (no word is excluded).

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [0, 1]], np.float32), ["a", "b"])
        >>> kv.similar_by_vector(np.array([0.1, 1.0], np.float32), topn=1)[0][0]
        'b'
        """
        return self._top(self._unit_query(vector), topn, restrict_vocab, [])

    def similar_by_word(
        self, word: str, topn: int | None = 10, restrict_vocab: int | None = None
    ) -> list[tuple[str, float]] | np.ndarray:
        """Same as ``most_similar(word, topn=topn, restrict_vocab=restrict_vocab)``.

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [1, .1], [0, 1]], np.float32), ["a", "b", "c"])
        >>> kv.similar_by_word("c", topn=1)[0][0]
        'b'
        """
        return self.most_similar(word, topn=topn, restrict_vocab=restrict_vocab)

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word least similar to the mean of ``words`` (unit vectors).

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [1, .1], [0, 1]], np.float32), ["a", "b", "c"])
        >>> kv.doesnt_match(["a", "b", "c"])
        'c'
        """
        words = as_terms(words)
        if not words:
            raise ValueError("doesnt_match needs at least one word")
        rows = np.array([self.get_index(w) for w in words], dtype=np.int64)
        unit = self._vectors[rows] / np.maximum(self.vector_norms()[rows], _TINY)[:, None]
        scores = unit @ self._unit_query(unit.mean(axis=0))
        return words[int(np.argmin(scores))]

    def closer_than(self, a: str, b: str) -> list[str]:
        """Words (other than ``a``) more similar to ``a`` than ``b`` is, best first.

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [1, .1], [0, 1]], np.float32), ["a", "b", "c"])
        >>> kv.closer_than("a", "c")
        ['b']
        """
        ia, ib = self.get_index(a), self.get_index(b)
        scores = self._scores(self.get_vector(a, norm=True), len(self))
        closer = np.flatnonzero(scores > scores[ib])
        closer = closer[closer != ia]
        closer = closer[np.argsort(-scores[closer], kind="stable")]
        return [self.index_to_key[i] for i in closer]

    def rank(self, a: str, b: str) -> int:
        """Rank of ``b`` among the neighbours of ``a`` (1 = nearest).

        Example
        -------
        >>> kv = KeyedVectors(np.array([[1, 0], [1, .1], [0, 1]], np.float32), ["a", "b", "c"])
        >>> kv.rank("a", "c")
        2
        """
        ia, ib = self.get_index(a), self.get_index(b)
        scores = self._scores(self.get_vector(a, norm=True), len(self))
        scores[ia] = -np.inf
        return int(np.count_nonzero(scores > scores[ib])) + 1

    # ------------------------------------------------------------- evaluation
    def evaluate_word_analogies(
        self, path: str | os.PathLike, restrict_vocab: int = 300_000, case_insensitive: bool = True
    ) -> tuple[float, list[dict]]:
        """Analogy accuracy on a questions-words file; see
        :func:`w2v.evaluate.evaluate_word_analogies` (same numbers as gensim's evaluator).

        Example
        -------
        >>> path = "questions-words.txt"
        >>> score, sections = model.wv.evaluate_word_analogies(path)
        >>> sections[-1]["section"]
        'Total accuracy'
        """
        from .evaluate import evaluate_word_analogies

        return evaluate_word_analogies(self, path, restrict_vocab, case_insensitive)

    def evaluate_word_pairs(
        self, path: str | os.PathLike, restrict_vocab: int = 300_000, case_insensitive: bool = True
    ) -> dict[str, float]:
        """Pearson, Spearman and out-of-vocabulary ratio on a word-pair file; see
        :func:`w2v.evaluate.evaluate_word_pairs`.

        Example
        -------
        >>> sorted(model.wv.evaluate_word_pairs("wordsim353.tsv"))
        ['oov_ratio', 'pearson', 'spearman']
        """
        from .evaluate import evaluate_word_pairs

        return evaluate_word_pairs(self, path, case_insensitive, restrict_vocab)

    def plot(self, words: Sequence[str], method: str = "pca",
             path: str | os.PathLike | None = None, ax: Any = None) -> tuple[Any, np.ndarray]:
        """Labelled 2-D scatter of ``words`` (``"pca"`` or ``"tsne"``); returns ``(ax, coords)``.
        See :func:`w2v.plot.plot_words` (needs matplotlib).

        Example
        -------
        >>> ax, xy = model.wv.plot(["king", "queen", "man"], path="words.png")
        >>> xy.shape
        (3, 2)
        """
        from .plot import plot_words

        return plot_words(self, words, method=method, path=path, ax=ax)

    def to_torch(self, padding: bool = True, freeze: bool = True) -> tuple[Any, dict[str, int]]:
        """A PyTorch ``nn.Embedding`` of the vectors and the word-to-row mapping (row 0 is a
        zero padding row when ``padding``); see :func:`w2v.vectors.torch_embedding.to_torch`.
        Needs the extra ``torch`` (``pip install "w2v[torch]"``).

        Example
        -------
        >>> embedding, rows = model.wv.to_torch(padding=True)
        >>> embedding.weight.shape[0] == len(model.wv) + 1, rows[model.wv.index_to_key[0]]
        (True, 1)
        """
        from .torch_embedding import to_torch

        return to_torch(self._vectors, self.index_to_key, padding=padding, freeze=freeze)

    # ------------------------------------------------------------------ files
    def save_word2vec_format(self, path: str | os.PathLike, binary: bool = False,
                             fvocab: str | os.PathLike | None = None) -> None:
        """Write the word2vec C tool's text or binary format (atomically); ``.gz``, ``.bz2`` and
        ``.xz`` suffixes compress. ``fvocab`` also writes a ``word count`` file (needs counts).

        Example
        -------
        >>> model.wv.save_word2vec_format("out.bin", binary=True)
        >>> KeyedVectors.load_word2vec_format("out.bin", binary=True).index_to_key[:1]
        ['the']
        """
        from ..io.word2vec_format import save_word2vec_format

        save_word2vec_format(path, self._vectors, self.index_to_key, binary, fvocab, self.counts)

    @classmethod
    def load_word2vec_format(
        cls, path: str | os.PathLike, binary: bool = False, limit: int | None = None,
        unicode_errors: str = "strict", fvocab: str | os.PathLike | None = None,
        allow_nonfinite: bool = False,
    ) -> KeyedVectors:
        """Read the word2vec C tool's text or binary format (also gensim's output).

        Parameters
        ----------
        path : the file; ``.gz``, ``.bz2``, ``.xz`` are decompressed.
        binary : the binary format (``-binary 1``) instead of text.
        limit : read only the first ``limit`` vectors.
        unicode_errors : how undecodable words are handled: ``"strict"`` (error naming the
            position), ``"replace"`` or ``"ignore"``.
        fvocab : a ``word count`` file (the C tool's ``-save-vocab``) giving the counts.
        allow_nonfinite : accept NaN and infinite values (by default ``ValueError``).

        Example
        -------
        >>> kv = KeyedVectors.load_word2vec_format("vectors.bin", binary=True)
        >>> len(kv), kv.vector_size
        (19, 16)
        """
        from ..io.word2vec_format import load_word2vec_format

        return cls(*load_word2vec_format(path, binary, limit, unicode_errors, fvocab,
                                         allow_nonfinite=allow_nonfinite))

    def save(self, path: str | os.PathLike) -> None:
        """Save in w2v's native format (a folder, or a ``.zip``, of ``.npy`` plus JSON),
        atomically.

        Example
        -------
        >>> model.wv.save("out.zip")
        >>> KeyedVectors.load("out.zip").index_to_key == model.wv.index_to_key
        True
        """
        data, offsets = encode_words(self.index_to_key)
        arrays = {"vectors": np.asarray(self.vectors), "words_utf8": data,
                  "word_offsets": offsets}
        if self.counts is not None:
            arrays["counts"] = self.counts
        write_archive(path, VECTORS_KIND, arrays, {"w2v_version": __version__})

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: str | None = None,
             allow_nonfinite: bool = False, memory_check: bool = True) -> KeyedVectors:
        """Load vectors saved by :meth:`save`; ``mmap="r"`` maps the matrix instead of reading it.
        NaN or infinite values raise ``ValueError`` unless ``allow_nonfinite`` (with ``mmap``
        the check reads the whole matrix once). Without ``mmap``, vectors larger than the
        memory available raise :class:`~w2v.InsufficientMemoryError` (a ``MemoryError``)
        unless ``memory_check=False``.

        Example
        -------
        >>> kv = KeyedVectors.load("vectors.zip", mmap="r")
        >>> len(kv), kv.vectors.flags.writeable  # mapped read-only from the file
        (19, False)
        """
        arrays, _ = read_archive(path, kind=VECTORS_KIND, mmap=mmap, memory_check=memory_check)
        where = os.fspath(path)
        words = decode_words(array_field(arrays, "words_utf8", where),
                             array_field(arrays, "word_offsets", where), where)
        vectors = matrix_field(arrays, "vectors", (len(words), None), where, allow_nonfinite)
        counts = arrays.get("counts")
        if counts is not None:
            counts = counts_field(counts, len(words), where)
        return cls(vectors, words, counts)

    # ---------------------------------------------------------------- helpers
    def _restricted(self, restrict_vocab: int | None) -> int:
        return restricted_rows(restrict_vocab, len(self))

    def _unit_query(self, vector: Any) -> np.ndarray:
        """Validate a query vector and scale it to unit length (a zero vector stays zero)."""
        query = np.asarray(vector, dtype=np.float32)
        if query.shape != (self.vector_size,):
            raise ValueError(f"a query vector must have shape ({self.vector_size},), "
                             f"got {query.shape}")
        return query / max(float(np.linalg.norm(query)), float(_TINY))

    def _combine(self, positive: Any, negative: Any) -> tuple[np.ndarray, list[int]]:
        """Weighted mean of the query terms, and the rows of the query words."""
        terms = [(t, 1.0) for t in as_terms(positive)] + [(t, -1.0) for t in as_terms(negative)]
        if not terms:
            raise ValueError("cannot compute similarity with no input: give positive or negative")
        total = np.zeros(self.vector_size, dtype=np.float32)
        exclude = []
        for term, sign in terms:
            weight = sign
            if isinstance(term, tuple):
                term, weight = term[0], sign * float(term[1])
            if isinstance(term, str):
                exclude.append(self.get_index(term))
                total += weight * self.get_vector(term, norm=True)
            else:
                total += weight * self._unit_query(term)
        return total / len(terms), exclude

    def _top(self, query: np.ndarray, topn: int | None, restrict_vocab: int | None,
             exclude: list[int]) -> list[tuple[str, float]] | np.ndarray:
        n = self._restricted(restrict_vocab)
        return self._ranked(self._scores(query, n), topn, exclude)

    def _scores(self, unit_query: np.ndarray, n: int) -> np.ndarray:
        """Cosine of a unit-length query with each of the first ``n`` rows."""
        inverse = self._inverse_norms  # one read, as in vector_norms
        if inverse is None:
            inverse = self._inverse_norms = 1.0 / np.maximum(self.vector_norms(), _TINY)
        scores = self._vectors[:n] @ unit_query
        scores *= inverse[:n]
        return scores

    def _ranked(self, scores: np.ndarray, topn: int | None,
                exclude: list[int]) -> list[tuple[str, float]] | np.ndarray:
        """The ``topn`` best of ``scores`` (a fresh array) outside ``exclude``, or all."""
        count = check_int("topn", topn, minimum=0, allow_none=True)
        if count is None:
            return scores
        return top_words(scores, self.index_to_key, count, exclude)
