"""A scikit-learn transformer: documents (token lists) into word2vec document vectors.

:class:`Word2VecVectorizer` trains a :class:`w2v.Word2Vec` on the documents given to ``fit``
and turns each document into the mean of its words' vectors, or into the SIF embedding of
Arora, Liang and Ma, "A simple but tough-to-beat baseline for sentence embeddings" (ICLR
2017): the average of the vectors weighted by ``a / (a + p(w))``, with ``p(w)`` the word's
frequency in the training documents, minus its projection on the first principal component
of the training documents' weighted averages (the direction common to all documents).

Needs the optional extra ``sklearn`` (``pip install "w2v[sklearn]"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
    from sklearn.utils.validation import check_is_fitted
except ImportError as _error:  # pragma: no cover - exercised in a subprocess test
    raise ImportError('scikit-learn is needed for w2v.integrations.sklearn; install it with '
                      f'pip install "w2v[sklearn]" ({_error})') from _error

from .._util.validation import check_choice, check_number
from ..model import Word2Vec
from ..vectors.keyedvectors import KeyedVectors

__all__ = ["POOLINGS", "Word2VecVectorizer"]

#: How a document's word vectors are combined.
POOLINGS = ("mean", "sif")


def _documents(X: Any) -> list[list[str]]:  # noqa: N803 (scikit-learn's name)
    """The documents as token lists: a string is split on whitespace; any other token than a
    string is refused (a numeric matrix is not a set of documents)."""
    if hasattr(X, "tocsr") or hasattr(X, "toarray"):
        raise TypeError("sparse input is not supported: X must be documents (token lists or "
                        f"strings), got {type(X).__name__}")
    if isinstance(X, str) or not isinstance(X, Iterable):
        raise TypeError(f"X must be an iterable of documents (token lists or strings), "
                        f"got {type(X).__name__}")
    documents = []
    for number, document in enumerate(X):
        if isinstance(document, str):
            documents.append(document.split())
            continue
        if not isinstance(document, Iterable):
            raise TypeError(f"document {number} is a {type(document).__name__}, not a token "
                            "list or a string")
        tokens = list(document)
        for token in tokens:
            if not isinstance(token, str):
                raise TypeError(f"document {number} holds {token!r} "
                                f"({type(token).__name__}): documents are lists of string "
                                "tokens or strings, not numeric features")
        documents.append(tokens)
    if not documents:
        raise ValueError("X holds no documents")
    return documents


class Word2VecVectorizer(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Train word2vec on token lists and turn documents into fixed-size vectors.

    Parameters
    ----------
    vector_size, window, min_count, sg, negative, sample, epochs, alpha, workers, seed :
        passed to :class:`w2v.Word2Vec` (``min_count=1`` and ``workers=1`` by default here,
        so that small collections keep their words and a fixed ``seed`` gives the same
        vectors on every fit).
    pooling : ``"mean"``, the mean of the document's known words' vectors, or ``"sif"``,
        the weighted mean with weights ``sif_a / (sif_a + p(w))`` and the training
        documents' first principal component removed (Arora et al. 2017).
    sif_a : the SIF smoothing constant ``a`` (the paper's 1e-3 by default).

    Attributes
    ----------
    wv_ : the trained :class:`w2v.KeyedVectors` (the model itself, with its output layer
        and training state, is not kept, so that a fitted vectorizer pickles with joblib
        like any scikit-learn estimator).
    word_weights_ : the weight of each vocabulary row (ones for ``"mean"``).
    principal_component_ : the unit vector removed from every SIF embedding (``None`` for
        ``"mean"``).

    A document is a list of string tokens or a string (split on whitespace). Words not in
    the vocabulary are ignored; a document without known words becomes a zero vector.
    ``transform`` returns a float64 array (documents, ``vector_size``); the features are
    named ``word2vecvectorizer0``, ``word2vecvectorizer1``, ...

    Example
    -------
    >>> docs = [["cats", "purr", "and", "meow"], ["dogs", "bark", "and", "growl"]] * 30
    >>> vectorizer = Word2VecVectorizer(vector_size=8, epochs=2, pooling="sif")
    >>> vectorizer.fit_transform(docs).shape
    (60, 8)
    >>> vectorizer.get_feature_names_out()[:2].tolist()
    ['word2vecvectorizer0', 'word2vecvectorizer1']
    """

    def __init__(self, vector_size: int = 100, window: int = 5, min_count: int = 1,
                 sg: int = 0, negative: int = 5, sample: float = 1e-3, epochs: int = 5,
                 alpha: float | None = None, workers: int = 1, seed: int = 1,
                 pooling: str = "mean", sif_a: float = 1e-3) -> None:
        self.vector_size = vector_size
        self.window = window
        self.min_count = min_count
        self.sg = sg
        self.negative = negative
        self.sample = sample
        self.epochs = epochs
        self.alpha = alpha
        self.workers = workers
        self.seed = seed
        self.pooling = pooling
        self.sif_a = sif_a

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.transformer_tags.preserves_dtype = []  # the input is text, not numbers
        return tags

    @property
    def _n_features_out(self) -> int:
        """Output width (used by ``get_feature_names_out``); AttributeError until fitted."""
        return self.wv_.vector_size

    def fit(self, X: Any, y: Any = None) -> Word2VecVectorizer:  # noqa: N803
        """Train word2vec on the documents ``X`` (``y`` is ignored) and return ``self``.

        Example
        -------
        >>> vectorizer = Word2VecVectorizer(vector_size=4, epochs=1).fit([["a", "b"]] * 5)
        >>> sorted(vectorizer.wv_.index_to_key)
        ['a', 'b']
        """
        check_choice("pooling", self.pooling, POOLINGS)
        sif_a = check_number("sif_a", self.sif_a, minimum=0.0, strict=True)
        documents = _documents(X)
        model = Word2Vec(documents, vector_size=self.vector_size, window=self.window,
                         min_count=self.min_count, sg=self.sg, negative=self.negative,
                         sample=self.sample, epochs=self.epochs, alpha=self.alpha,
                         workers=self.workers, seed=self.seed, progress=False)
        self.wv_: KeyedVectors = model.train().wv
        counts = self.wv_.counts
        if self.pooling == "sif" and counts is not None:
            frequency = counts / max(int(counts.sum()), 1)
            self.word_weights_ = sif_a / (sif_a + frequency)
        else:
            self.word_weights_ = np.ones(len(self.wv_))
        self.principal_component_: np.ndarray | None = None
        if self.pooling == "sif":
            averages = self._weighted_means(documents)
            _, _, right = np.linalg.svd(averages, full_matrices=False)
            self.principal_component_ = right[0] if averages.any() else None
        return self

    def transform(self, X: Any) -> np.ndarray:  # noqa: N803
        """The vector of each document: an array (documents, ``vector_size``).

        Example
        -------
        >>> vectorizer = Word2VecVectorizer(vector_size=4, epochs=1).fit([["a", "b"]] * 5)
        >>> vectorizer.transform([["a", "b"], "b a", ["unknown"]]).shape
        (3, 4)
        """
        check_is_fitted(self, "wv_")
        means = self._weighted_means(_documents(X))
        if self.principal_component_ is not None:
            u = self.principal_component_
            means -= np.outer(means @ u, u)
        return means

    def _weighted_means(self, documents: list[list[str]]) -> np.ndarray:
        rows_of = self.wv_.key_to_index
        vectors = self.wv_.vectors
        out = np.zeros((len(documents), self.wv_.vector_size))
        for number, tokens in enumerate(documents):
            rows = np.array([rows_of[t] for t in tokens if t in rows_of], dtype=np.int64)
            if len(rows):
                out[number] = self.word_weights_[rows] @ vectors[rows] / len(rows)
        return out
