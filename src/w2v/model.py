"""The Word2Vec model: vocabulary, weights, and training."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import numpy as np

from . import _core
from .corpus import as_corpus
from .encoding import encode_corpus
from .huffman import build_huffman
from .keyedvectors import KeyedVectors
from .noise import AliasTable
from .params import TrainingParams
from .trainer import RunPlan, run_epochs
from .vocab import Vocabulary

__all__ = ["Word2Vec"]

logger = logging.getLogger("w2v")


class Word2Vec:
    """Word2vec: skip-gram or CBOW with negative sampling, hierarchical softmax or full softmax.

    Parameters
    ----------
    corpus : a re-iterable of token lists, or a path (file, directory, .gz/.bz2/.xz).
        When given, the vocabulary is built at once and ``train()`` uses it.
    vector_size, window, min_count, sg, hs, negative, ns_exponent, cbow_mean, sample,
    alpha, min_alpha, epochs, workers, seed, max_vocab_size, max_final_vocab, loss :
        see :class:`w2v.params.TrainingParams` (gensim's names and meanings;
        ``alpha=None`` picks the C tool's 0.025 for skip-gram and 0.05 for CBOW).

    Attributes
    ----------
    wv : KeyedVectors, the trained word vectors.
    syn1neg : output word vectors (negative sampling and full softmax), or None.
    syn1 : Huffman inner-node vectors (hierarchical softmax), or None.
    loss_history : mean loss per training example, one float per epoch trained. It is
        the online loss, each example scored just before its update, summed exactly
        over threads. With skip-gram it can rise a little in late epochs: early on, the
        large learning rate adapts the model to each sentence as it goes, which makes
        the online loss look better than the model's loss over the whole corpus.
    examples_history : training examples per epoch (pairs for skip-gram, centre words
        for CBOW).

    Example
    -------
    >>> corpus = [["the", "cat", "sat"], ["the", "dog", "sat"]] * 50
    >>> model = Word2Vec(corpus, vector_size=16, min_count=1, workers=1).train()
    >>> model.wv["cat"].shape
    (16,)
    """

    def __init__(
        self,
        corpus: Iterable[list[str]] | str | None = None,
        vector_size: int = 100,
        window: int = 5,
        min_count: int = 5,
        sg: int = 0,
        hs: int = 0,
        negative: int = 5,
        ns_exponent: float = 0.75,
        cbow_mean: int = 1,
        sample: float = 1e-3,
        alpha: float | None = None,
        min_alpha: float = 1e-4,
        epochs: int = 5,
        workers: int | None = None,
        seed: int = 1,
        max_vocab_size: int | None = None,
        max_final_vocab: int | None = None,
        loss: str | None = None,
    ) -> None:
        self.params = TrainingParams(
            vector_size=vector_size, window=window, min_count=min_count, sg=sg, hs=hs,
            negative=negative, ns_exponent=ns_exponent, cbow_mean=cbow_mean, sample=sample,
            alpha=alpha, min_alpha=min_alpha, epochs=epochs, workers=workers, seed=seed,
            max_vocab_size=max_vocab_size, max_final_vocab=max_final_vocab, loss=loss,
        )
        self.vocab: Vocabulary | None = None
        self.wv: KeyedVectors | None = None
        self.syn1neg: np.ndarray | None = None
        self.syn1: np.ndarray | None = None
        self.loss_history: list[float] = []
        self.examples_history: list[int] = []
        self.epochs_trained = 0
        self.training_seconds = 0.0
        self._corpus = None
        self._kernel = None
        if corpus is not None:
            self.build_vocab(corpus)

    def __getattr__(self, name: str):
        # gensim-style read access to the parameters: model.window, model.sg, ...
        params = self.__dict__.get("params")
        if params is not None and name in TrainingParams.__dataclass_fields__:
            return getattr(params, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __repr__(self) -> str:
        words = len(self.vocab) if self.vocab is not None else 0
        arch = "skip-gram" if self.params.sg else "CBOW"
        return f"Word2Vec({arch}, {words} words, vector_size={self.params.vector_size})"

    def build_vocab(self, corpus: Iterable[list[str]] | str) -> Word2Vec:
        """Scan ``corpus`` once, build the vocabulary and initialise the weights.

        Parameters
        ----------
        corpus : re-iterable of token lists, or a path.

        Example
        -------
        >>> model = Word2Vec(min_count=1).build_vocab([["a", "b"], ["b"]])
        >>> model.wv.index_to_key
        ['b', 'a']
        """
        sentences = as_corpus(corpus)
        p = self.params
        started = time.perf_counter()
        vocab = Vocabulary.build(sentences, p.min_count, p.max_vocab_size, p.max_final_vocab)
        if len(vocab) == 0:
            raise ValueError(
                f"the vocabulary is empty: no word of the corpus ({vocab.corpus_words} tokens)"
                f" occurs at least min_count={vocab.min_count} times"
            )
        if p.hs and len(vocab) < 2:
            raise ValueError("hierarchical softmax needs at least two words in the vocabulary")
        self.vocab = vocab
        self._corpus = sentences
        self._init_weights()
        logger.info(
            "vocabulary: %d words (min_count %d) from %d tokens in %.1fs",
            len(vocab), vocab.min_count, vocab.corpus_words, time.perf_counter() - started,
        )
        return self

    def _init_weights(self) -> None:
        p = self.params
        n = len(self.vocab)
        rng = np.random.default_rng(p.seed)
        vectors = (rng.random((n, p.vector_size), dtype=np.float32) - 0.5) / p.vector_size
        self.wv = KeyedVectors(vectors, self.vocab.index_to_key)
        needs_out_words = p.noise_words > 0 or p.softmax
        self.syn1neg = np.zeros((n, p.vector_size), np.float32) if needs_out_words else None
        self.syn1 = np.zeros((n - 1, p.vector_size), np.float32) if p.hs else None
        self.loss_history = []
        self.examples_history = []
        self.epochs_trained = 0
        self._kernel = None

    def _make_kernel(self) -> _core.Kernel:
        p = self.params
        noise = (
            AliasTable.from_probabilities(self.vocab.noise_distribution(p.ns_exponent))
            if p.noise_words else None
        )
        tree = build_huffman(self.vocab.counts) if p.hs else None
        return _core.Kernel(
            self.wv.vectors, self.syn1neg, self.syn1,
            self.vocab.keep_probabilities(p.sample),
            noise.prob if noise else None, noise.alias if noise else None,
            tree.codes if tree else None, tree.points if tree else None,
            tree.offsets if tree else None,
            sg=p.sg, cbow_mean=p.cbow_mean, window=p.window, negative=p.noise_words,
            hs=p.hs, softmax=int(p.softmax), subsample=int(p.sample > 0),
        )

    def train(
        self, corpus: Iterable[list[str]] | str | None = None, epochs: int | None = None
    ) -> Word2Vec:
        """Train the model and return it, so ``Word2Vec(corpus).train()`` reads naturally.

        The learning rate decays linearly from ``alpha`` to ``min_alpha`` over all the
        epochs of this call. Calling ``train()`` again continues from the current weights.

        Parameters
        ----------
        corpus : what to train on; defaults to the corpus the vocabulary was built from.
            If no vocabulary exists yet, it is built from this corpus first.
        epochs : passes over the corpus; defaults to the ``epochs`` parameter.

        Example
        -------
        >>> corpus = [["a", "b", "c"]] * 20
        >>> model = Word2Vec(corpus, min_count=1, vector_size=8, workers=1).train(epochs=2)
        >>> len(model.loss_history)
        2
        """
        if corpus is not None and self.vocab is None:
            self.build_vocab(corpus)
        if self.vocab is None:
            raise ValueError("no corpus: pass one to Word2Vec(corpus) or to train(corpus)")
        sentences = self._corpus if corpus is None else as_corpus(corpus)
        if epochs is None:
            epochs = self.params.epochs
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
            raise ValueError(f"epochs must be an integer >= 1, got {epochs!r}")

        started = time.perf_counter()
        encoded = encode_corpus(sentences, self.vocab.key_to_index)
        if encoded.words == 0:
            raise ValueError(
                f"nothing to train on: none of the corpus's {encoded.corpus_words} tokens"
                " is in the vocabulary"
            )
        if self._kernel is None:
            self._kernel = self._make_kernel()
        p = self.params
        plan = RunPlan(
            epochs=epochs, first_epoch=self.epochs_trained, workers=p.threads, seed=p.seed,
            start_alpha=p.start_alpha, min_alpha=p.min_alpha,
        )
        loss, examples = run_epochs(self._kernel, encoded, plan)
        self.wv.invalidate()
        self.epochs_trained += epochs
        self.loss_history.extend((loss / np.maximum(examples, 1)).tolist())
        self.examples_history.extend(examples.tolist())
        elapsed = time.perf_counter() - started
        self.training_seconds += elapsed
        logger.info(
            "trained %d epochs on %d words (%d in vocabulary) in %.1fs: %.0f words/s, loss %s",
            epochs, encoded.corpus_words, encoded.words, elapsed,
            encoded.corpus_words * epochs / elapsed, self.loss_history[-epochs:],
        )
        return self
