"""gensim 4's ``KeyedVectors`` names on :class:`w2v.KeyedVectors`."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from ...io.word2vec_format import load_word2vec_format, save_word2vec_format
from ...train.huffman import build_huffman
from ...vectors.keyedvectors import KeyedVectors as _Base
from .gensim_files import refuse_gensim_save

#: gensim's float type for vectors.
REAL = np.float32


class KeyedVectors(_Base):
    """Word vectors with gensim 4's constructor, attributes and methods.

    ``KeyedVectors(vector_size)`` starts empty (gensim's ``count`` of key-less rows is
    not supported: add keyed vectors with :meth:`add_vectors` or ``kv[key] = vector``).
    Every query of :class:`w2v.KeyedVectors` is inherited.

    Example
    -------
    >>> kv = KeyedVectors(2)
    >>> kv.add_vectors(["a", "b"], [[1.0, 0.0], [0.0, 1.0]])
    >>> kv["c"] = [1.0, 1.0]
    >>> kv.index_to_key, kv.most_similar_to_given("c", ["a", "b"]) in ("a", "b")
    (['a', 'b', 'c'], True)
    """

    def __init__(self, vector_size: int, count: int = 0, dtype: Any = REAL,
                 mapfile_path: str | None = None) -> None:
        if count:
            raise ValueError("KeyedVectors(vector_size, count>0): rows without keys are not "
                             "supported; add keyed vectors with add_vectors()")
        super().__init__(np.zeros((0, int(vector_size)), dtype=np.float32), [])
        self.vectors_lockf = np.ones(1, dtype=np.float32)

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, index_to_key: Sequence[str],
                     counts: np.ndarray | None = None) -> KeyedVectors:
        """Compat vectors over these arrays (shared, not copied, when already float32).

        Example
        -------
        >>> KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"]).get_index("b")
        1
        """
        kv = cls.__new__(cls)
        _Base.__init__(kv, vectors, index_to_key, counts)
        #: gensim's per-row update factors: 1 trains a row, 0 freezes it (see
        #: :meth:`w2v.compat.gensim.Word2Vec.train`); one value applies to every row.
        kv.vectors_lockf = np.ones(1, dtype=np.float32)
        return kv

    # ----------------------------------------------------------- attributes
    def _count_array(self) -> np.ndarray:
        if self.counts is None:
            self.counts = np.zeros(len(self), dtype=np.int64)
        return self.counts

    @property
    def expandos(self) -> dict[str, np.ndarray]:
        """gensim's per-key attribute arrays: ``{"count": counts}``."""
        return {"count": self._count_array()}

    def get_vecattr(self, key: str | int, attr: str) -> Any:
        """A per-key attribute: only ``"count"`` (the corpus count) exists.

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"], [5, 3])
        >>> kv.get_vecattr("b", "count")
        3
        """
        if attr == "code":  # the word's Huffman code, as hierarchical softmax builds it
            return np.array(build_huffman(self._count_array()).path(self.get_index(key))[0],
                            dtype=np.uint8)
        if attr != "count":
            raise KeyError(f"attribute {attr!r}: only 'count' and 'code' are kept")
        return int(self._count_array()[self.get_index(key)])

    def set_vecattr(self, key: str | int, attr: str, value: int) -> None:
        """Set a per-key attribute (only ``"count"``).

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"])
        >>> kv.set_vecattr("a", "count", 7); kv.get_vecattr("a", "count")
        7
        """
        if attr != "count":
            raise KeyError(f"attribute {attr!r}: only 'count' is kept")
        self._count_array()[self.get_index(key)] = value

    def get_index(self, key: Any, default: int | None = None) -> int:
        """Row of ``key`` (a key, or an in-range row number); ``default`` or ``KeyError``.

        Example
        -------
        >>> KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"]).get_index(1)
        1
        """
        index = self.key_to_index.get(key) if isinstance(key, str) else None
        if index is not None:
            return index
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present")

    def has_index_for(self, key: Any) -> bool:
        """Whether ``key`` has a row (gensim's name for ``key in kv``).

        Example
        -------
        >>> KeyedVectors.from_vectors(np.eye(1, dtype=np.float32), ["a"]).has_index_for("a")
        True
        """
        return self.get_index(key, -1) >= 0

    # ------------------------------------------------------------- changes
    def add_vector(self, key: str, vector: Any) -> int:
        """Add one key (or replace its vector); returns its row.

        Example
        -------
        >>> KeyedVectors(2).add_vector("a", [1.0, 2.0])
        0
        """
        self.add_vectors([key], [vector], replace=True)
        return self.get_index(key)

    def add_vectors(self, keys: str | Sequence[str], weights: Any, extras: Any = None,
                    replace: bool = False) -> None:
        """Append keys and their vectors; keys already present keep their vector unless
        ``replace``. New keys get a count of 0.

        Example
        -------
        >>> kv = KeyedVectors(1)
        >>> kv.add_vectors(["a", "b"], [[1.0], [2.0]]); len(kv)
        2
        """
        if isinstance(keys, str):
            keys = [keys]
        rows = np.asarray(weights, dtype=np.float32).reshape(len(keys), self.vector_size)
        known = np.array([k in self.key_to_index for k in keys], dtype=bool)
        if replace and known.any():
            for key, row in zip(np.asarray(keys, dtype=object)[known], rows[known], strict=True):
                self._vectors[self.key_to_index[key]] = row
        fresh: dict[str, np.ndarray] = {}
        for key, row, seen in zip(keys, rows, known, strict=True):
            if not seen:
                fresh[key] = row
        if not fresh:
            self.invalidate()
            return
        counts = None if self.counts is None else np.concatenate(
            [self.counts, np.zeros(len(fresh), dtype=np.int64)])
        _Base.__init__(self, np.vstack([self._vectors, np.array(list(fresh.values()))]),
                       [*self.index_to_key, *fresh], counts)

    def __setitem__(self, keys: str | Sequence[str], weights: Any) -> None:
        if isinstance(keys, str):
            keys, weights = [keys], [weights]
        self.add_vectors(keys, weights, replace=True)

    def vectors_for_all(self, keys: Iterable[str], allow_inference: bool = True,
                        copy_vecattrs: bool = False) -> KeyedVectors:
        """New vectors for the given keys that are known (unknown ones are left out).

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"])
        >>> kv.vectors_for_all(["b", "zzz"]).index_to_key
        ['b']
        """
        found = list(dict.fromkeys(k for k in keys if k in self.key_to_index))
        rows = np.array([self.key_to_index[k] for k in found], dtype=np.int64)
        counts = self.counts[rows] if copy_vecattrs and self.counts is not None else None
        return type(self).from_vectors(self._vectors[rows].copy(), found, counts)

    def unit_normalize_all(self) -> None:
        """Scale every vector to unit length, in place (no going back).

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.array([[3.0, 4.0]], np.float32), ["a"])
        >>> kv.unit_normalize_all(); kv["a"].tolist()
        [0.6000000238418579, 0.800000011920929]
        """
        self._vectors[:] = self.unit_vectors()
        self.invalidate()

    def fill_norms(self, force: bool = False) -> None:
        """Compute the vector lengths now (gensim's cache step; w2v caches lazily).

        Example
        -------
        >>> KeyedVectors.from_vectors(np.eye(1, dtype=np.float32), ["a"]).fill_norms()
        """
        if force:
            self.invalidate()
        self.vector_norms()

    @property
    def norms(self) -> np.ndarray:
        """Lengths of the vectors."""
        return self.vector_norms()

    def get_normed_vectors(self) -> np.ndarray:
        """The vectors scaled to unit length (a new matrix).

        Example
        -------
        >>> KeyedVectors.from_vectors(np.array([[0, 2]], np.float32), ["a"]).get_normed_vectors()
        array([[0., 1.]], dtype=float32)
        """
        return self.unit_vectors()

    # ------------------------------------------------------------- queries
    def most_similar(  # type: ignore[override]  # gensim's signature
            self, positive: Any = None, negative: Any = None, topn: int | None = 10,
                     clip_start: int = 0, clip_end: int | None = None,
                     restrict_vocab: int | None = None, indexer: Any = None) -> Any:
        """As :meth:`w2v.KeyedVectors.most_similar`; also takes a 2-D array of query vectors
        (each row a positive term), as gensim does.

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"])
        >>> kv.most_similar(kv.vectors[:1], topn=1)[0][0]
        'a'
        """
        terms = [(t, 1.0) for t in _as_list(positive)] + [(t, -1.0) for t in _as_list(negative)]
        if not terms:
            raise ValueError("cannot compute similarity with no input")
        mean = np.zeros(self.vector_size, dtype=np.float32)
        exclude = set()
        for term, sign in terms:
            if isinstance(term, tuple) and len(term) == 2 and not isinstance(term[1], str):
                term, sign = term[0], sign * float(term[1])
            if isinstance(term, (str, int, np.integer)):
                exclude.add(self.index_to_key[self.get_index(term)])
                mean += sign * self.get_vector(self.index_to_key[self.get_index(term)], norm=True)
            else:
                mean += sign * np.asarray(term, dtype=np.float32)
        mean /= len(terms)
        if topn is None:
            return super().most_similar([mean], topn=None, restrict_vocab=restrict_vocab)
        wanted = int(topn)
        found = super().most_similar([mean], topn=wanted + len(exclude),
                                     restrict_vocab=restrict_vocab)
        return [(w, s) for w, s in found if w not in exclude][:wanted]

    def most_similar_cosmul(self, positive: Any = None, negative: Any = None,
                            topn: int | None = 10, restrict_vocab: int | None = None) -> Any:
        """As :meth:`w2v.KeyedVectors.most_similar_cosmul` (gensim's parameter forms).

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"])
        >>> kv.most_similar_cosmul("a", topn=1)[0][0]
        'b'
        """
        return super().most_similar_cosmul(_terms(positive), _terms(negative), topn=topn,
                                           restrict_vocab=restrict_vocab)

    def similarity(self, w1: str, w2: str) -> float:
        """Cosine similarity of two keys (exactly 1.0 for a key with itself).

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.array([[1, 0], [1, 1]], np.float32), ["a", "b"])
        >>> round(kv.similarity("a", "b"), 4), kv.similarity("b", "b")
        (0.7071, 1.0)
        """
        if w1 == w2:
            self.get_index(w1)
            return 1.0
        return float(np.dot(_unit(self[w1]), _unit(self[w2])))

    def n_similarity(self, ws1: Sequence[str], ws2: Sequence[str]) -> float:
        """Cosine similarity of the means of two lists of keys; an empty list raises
        ``ZeroDivisionError``, as in gensim.

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.array([[1, 0], [1, 1]], np.float32), ["a", "b"])
        >>> kv.n_similarity(["a"], ["b"]) == kv.similarity("a", "b")
        True
        """
        if not len(ws1) or not len(ws2):
            raise ZeroDivisionError("At least one of the passed list is empty.")
        return float(np.dot(_unit(self[list(ws1)].mean(axis=0)),
                            _unit(self[list(ws2)].mean(axis=0))))

    def most_similar_to_given(self, key1: str, keys_list: Sequence[str]) -> str:
        """The key of ``keys_list`` most similar to ``key1``.

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.array([[1, 0], [1, .1], [0, 1]], np.float32),
        ...                                ["a", "b", "c"])
        >>> kv.most_similar_to_given("a", ["b", "c"])
        'b'
        """
        return keys_list[int(np.argmax([self.similarity(key1, k) for k in keys_list]))]

    def relative_cosine_similarity(self, wa: str, wb: str, topn: int = 10) -> float:
        """``similarity(wa, wb)`` over the sum of ``wa``'s ``topn`` best similarities
        (Leeuwenberg et al. 2016).

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.array([[1, 0], [1, .1], [0, 1]], np.float32),
        ...                                ["a", "b", "c"])
        >>> round(kv.relative_cosine_similarity("a", "b", topn=1), 3)
        1.0
        """
        best = self.most_similar(wa, topn=topn)
        return self.similarity(wa, wb) / sum(score for _, score in best)

    def get_mean_vector(self, keys: Any, weights: Any = None, pre_normalize: bool = True,
                        post_normalize: bool = False, ignore_missing: bool = True) -> np.ndarray:
        """Weighted mean of the keys' vectors (unit vectors when ``pre_normalize``);
        missing keys are skipped (or raise ``KeyError`` unless ``ignore_missing``).

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.array([[2, 0], [0, 2]], np.float32), ["a", "b"])
        >>> kv.get_mean_vector(["a", "b", "zzz"]).tolist()
        [0.5, 0.5]
        """
        keys = list(keys)
        if not keys:
            raise ValueError("cannot compute the mean of no keys")
        weights = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=float)
        if weights.shape != (len(keys),):
            raise ValueError("weights must hold one number per key")
        total = np.zeros(self.vector_size, dtype=np.float32)
        used = 0.0
        for key, weight in zip(keys, weights, strict=True):
            if isinstance(key, np.ndarray):
                total += weight * key
                used += abs(weight)
            elif self.has_index_for(key):
                total += weight * self.get_vector(key, norm=pre_normalize)
                used += abs(weight)
            elif not ignore_missing:
                raise KeyError(f"Key '{key}' not present in vocabulary")
        if not used:
            raise ValueError("none of the keys is in the vocabulary")
        mean = total / used
        return mean / max(float(np.linalg.norm(mean)), 1e-12) if post_normalize else mean

    def rank(self, key1: str, key2: str) -> int:
        """gensim's rank: ``len(closer_than(key1, key2)) + 1`` (so ``rank(w, w) == 1``).

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.array([[1, 0], [1, .1], [0, 1]], np.float32),
        ...                                ["a", "b", "c"])
        >>> kv.rank("a", "a"), kv.rank("a", "c")
        (1, 2)
        """
        return len(self.closer_than(key1, key2)) + 1

    def distances(self, word_or_vector: Any, other_words: Sequence[str] = ()) -> np.ndarray:
        """Cosine distances from a word or vector to ``other_words`` (default: all words).

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"])
        >>> kv.distances("a").tolist()
        [0.0, 1.0]
        """
        vector = self.get_vector(word_or_vector) if isinstance(word_or_vector, str) \
            else np.asarray(word_or_vector, dtype=np.float32)
        return 1.0 - self.cosine_similarities(vector, list(other_words) or None)

    def evaluate_word_analogies(self, analogies: str | os.PathLike,
                                restrict_vocab: int = 300_000, case_insensitive: bool = True,
                                dummy4unknown: bool = False,
                                similarity_function: str = "most_similar") -> Any:
        """As :meth:`w2v.KeyedVectors.evaluate_word_analogies` (gensim's keywords accepted).

        Example
        -------
        >>> kv = KeyedVectors.load_word2vec_format("vectors.bin", binary=True)
        >>> kv.evaluate_word_analogies("questions-words.txt")[1][-1]["section"]
        'Total accuracy'
        """
        return super().evaluate_word_analogies(analogies, restrict_vocab, case_insensitive)

    def evaluate_word_pairs(  # type: ignore[override]  # gensim's signature and result
            self, pairs: str | os.PathLike, delimiter: str = "\t",
                            encoding: str = "utf8", restrict_vocab: int = 300_000,
                            case_insensitive: bool = True, dummy4unknown: bool = False) -> Any:
        """gensim's result: ``((pearson, p), (spearman, p), oov percent)`` (p-values are
        NaN: w2v does not compute them).

        Example
        -------
        >>> kv = KeyedVectors.load_word2vec_format("vectors.bin", binary=True)
        >>> len(kv.evaluate_word_pairs("wordsim353.tsv"))
        3
        """
        result = super().evaluate_word_pairs(pairs, restrict_vocab, case_insensitive)
        return ((result["pearson"], float("nan")), (result["spearman"], float("nan")),
                100.0 * result["oov_ratio"])

    # --------------------------------------------------------------- files
    def save_word2vec_format(self, fname: str | os.PathLike, fvocab: Any = None,  # type: ignore[override]
                             binary: bool = False, total_vec: int | None = None,
                             write_header: bool = True, prefix: str = "", append: bool = False,
                             sort_attr: str = "count") -> None:
        """gensim's signature (``fvocab`` second). ``total_vec``, ``prefix``, ``append``,
        ``sort_attr`` and ``write_header=False`` beyond their defaults are not supported.

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"])
        >>> kv.save_word2vec_format("ab.txt", binary=False)
        >>> KeyedVectors.load_word2vec_format("ab.txt").index_to_key
        ['a', 'b']
        """
        if prefix or append or (total_vec not in (None, len(self))):
            raise ValueError("save_word2vec_format: prefix, append and total_vec are not "
                             "supported by w2v")
        if not write_header:
            if binary:
                raise ValueError("write_header=False is only for the text format")
            _write_headerless(fname, self)
            return
        counts = self.counts
        save_word2vec_format(fname, self._vectors, self.index_to_key, binary, fvocab, counts)

    @classmethod
    def load_word2vec_format(cls, fname: str | os.PathLike, fvocab: Any = None,  # type: ignore[override]
                             binary: bool = False, encoding: str = "utf8",
                             unicode_errors: str = "strict", limit: int | None = None,
                             datatype: Any = REAL, no_header: bool = False) -> KeyedVectors:
        """gensim's signature; the word2vec C format, text or binary (``no_header`` for a
        text file without its ``count dim`` line).

        Example
        -------
        >>> KeyedVectors.load_word2vec_format("vectors.bin", binary=True).vector_size
        16
        """
        if no_header:
            return cls._load_headerless(fname, limit)
        if encoding.lower().replace("-", "") != "utf8":
            raise ValueError("load_word2vec_format: only UTF-8 files are supported")
        try:
            vectors, words, counts = load_word2vec_format(fname, binary, limit, unicode_errors,
                                                          fvocab)
        except ValueError as error:
            cause = error.__cause__ or error.__context__
            if unicode_errors == "strict" and isinstance(cause, UnicodeDecodeError):
                raise cause from error
            if "truncated" in str(error) or "the file ends" in str(error):
                raise EOFError(str(error)) from error  # gensim's exception for a short file
            raise
        if counts is None:  # gensim's stand-in counts: descending with the row
            counts = np.arange(len(words), 0, -1, dtype=np.int64)
        return cls.from_vectors(vectors, words, counts)

    @classmethod
    def _load_headerless(cls, fname: str | os.PathLike, limit: int | None) -> KeyedVectors:
        words: list[str] = []
        rows: list[list[float]] = []
        with open(fname, encoding="utf8") as handle:
            for number, line in enumerate(handle, 1):
                if limit is not None and len(words) >= limit:
                    break
                parts = line.rstrip("\n").rstrip().split(" ")
                if len(parts) < 2:
                    raise ValueError(f"{fname}, line {number}: expected a word and numbers")
                words.append(parts[0])
                rows.append([float(x) for x in parts[1:]])
        return cls.from_vectors(np.array(rows, dtype=np.float32), words)

    def save(self, fname: str | os.PathLike, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """Save in w2v's native format (gensim's pickle options are ignored).

        Example
        -------
        >>> kv = KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"])
        >>> kv.save("ab.zip"); KeyedVectors.load("ab.zip").index_to_key
        ['a', 'b']
        """
        super().save(fname)

    @classmethod
    def load(cls, fname: str | os.PathLike, mmap: str | None = None,
             allow_nonfinite: bool = False, memory_check: bool = True) -> KeyedVectors:
        """Load vectors saved by :meth:`save`; a gensim pickle is refused with how to convert.

        Example
        -------
        >>> KeyedVectors.load("vectors.zip").vector_size
        16
        """
        refuse_gensim_save(fname)
        kv = _Base.load(fname, mmap=mmap, allow_nonfinite=allow_nonfinite,
                        memory_check=memory_check)
        return cls.from_vectors(kv.vectors, kv.index_to_key, kv.counts)


def _as_list(terms: Any) -> list:
    """gensim's query forms: None, one key or vector, a list of them, or a 2-D array."""
    if terms is None:
        return []
    if isinstance(terms, (str, int, np.integer)) or (
            isinstance(terms, np.ndarray) and terms.ndim == 1):
        return [terms]
    return list(terms)


def _unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.linalg.norm(vector)), 1e-30)


def _terms(terms: Any) -> Any:
    """gensim's query forms: a 2-D array is a list of vectors."""
    if isinstance(terms, np.ndarray) and terms.ndim == 2:
        return list(terms)
    return terms


def _write_headerless(fname: str | os.PathLike, kv: KeyedVectors) -> None:
    from ..._util.atomic import atomic_write

    with atomic_write(fname, "w") as handle:
        for word, row in zip(kv.index_to_key, kv.vectors, strict=True):
            handle.write(word + " " + " ".join(repr(float(x)) for x in row) + "\n")
