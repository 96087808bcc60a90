"""gensim 4's ``Word2Vec`` on :class:`w2v.Word2Vec`: the constructor trains, gensim's
``build_vocab`` / ``train`` signatures, ``corpus_count``, ``trim_rule``, callbacks."""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

import numpy as np

from ...data.corpus import as_corpus
from ...data.vocab import Vocabulary, count_words
from ...model import Word2Vec as _Model
from ...train.huffman import build_huffman
from ...train.prediction import hs_log_probabilities
from .callbacks import GensimHooks
from .gensim_files import refuse_gensim_save
from .keyedvectors import KeyedVectors

logger = logging.getLogger("w2v.compat.gensim")

#: gensim's trim_rule answers (its values): apply ``min_count``, drop the word, keep it.
RULE_DEFAULT, RULE_DISCARD, RULE_KEEP = 0, 1, 2

#: Parameters forwarded to the w2v model before each ``train()`` (they may be changed
#: on the compat model as attributes between calls, as gensim users do).
_TRAINING = ("window", "sample", "ns_exponent", "cbow_mean", "workers", "epochs", "seed")


def _keep(word: str, count: int, min_count: int, trim_rule: Callable | None) -> bool:
    rule = RULE_DEFAULT if trim_rule is None else trim_rule(word, count, min_count)
    if rule == RULE_DISCARD:
        return False
    if rule == RULE_KEEP:
        return True
    return count >= min_count


def _count_pruned(corpus: Iterable[list[str]], max_vocab_size: int,
                  trim_rule: Callable | None) -> tuple[Counter[str], int, int]:
    """gensim's bounded count: after a sentence leaves more than ``max_vocab_size``
    distinct words, drop those seen fewer than ``min_reduce`` times (1, then 2, ...)."""
    counts: Counter[str] = Counter()
    words = sentences = 0
    min_reduce = 1
    for sentence in corpus:
        counts.update(sentence)
        words += len(sentence)
        sentences += 1
        if len(counts) > max_vocab_size:
            for word in [w for w, c in counts.items() if not _keep(w, c, min_reduce, trim_rule)]:
                del counts[word]
            min_reduce += 1
    return counts, words, sentences


class Word2Vec:
    """gensim 4's ``Word2Vec``: give it a corpus and it builds the vocabulary and trains.

    Parameters are gensim's (see its documentation); they run on w2v's kernels.
    ``hashfxn``, ``null_word``, ``sorted_vocab``, ``batch_words``, ``comment`` and
    ``compute_loss`` are accepted and kept (w2v always records the loss);
    ``shrink_windows=False`` is refused (w2v's kernels always draw a reduced window).

    Example
    -------
    >>> corpus = [["cat", "dog", "pet"], ["car", "bus", "road"]] * 50
    >>> model = Word2Vec(corpus, vector_size=16, min_count=1, workers=1, seed=3)
    >>> model.corpus_count, model.epochs, len(model.wv)
    (100, 5, 6)
    >>> model.train(corpus, total_examples=model.corpus_count, epochs=model.epochs) is None
    True
    """

    def __init__(
        self, sentences: Iterable[list[str]] | None = None, corpus_file: str | None = None,
        vector_size: int = 100, alpha: float = 0.025, window: int = 5, min_count: int = 5,
        max_vocab_size: int | None = None, sample: float = 1e-3, seed: int = 1,
        workers: int = 3, min_alpha: float = 0.0001, sg: int = 0, hs: int = 0,
        negative: int = 5, ns_exponent: float = 0.75, cbow_mean: int = 1,
        hashfxn: Callable = hash, epochs: int = 5, null_word: int = 0,
        trim_rule: Callable | None = None, sorted_vocab: int = 1, batch_words: int = 10000,
        compute_loss: bool = False, callbacks: Sequence = (), comment: str | None = None,
        max_final_vocab: int | None = None, shrink_windows: bool = True,
    ) -> None:
        if not shrink_windows:
            raise ValueError("shrink_windows=False is not supported: w2v's kernels always "
                             "draw a reduced window per position, as word2vec does")
        self.vector_size, self.alpha, self.window, self.min_count = \
            vector_size, alpha, window, min_count
        self.max_vocab_size, self.sample, self.seed, self.workers = \
            max_vocab_size, sample, seed, workers
        self.min_alpha, self.sg, self.hs, self.negative = min_alpha, sg, hs, negative
        self.ns_exponent, self.cbow_mean, self.hashfxn, self.epochs = \
            ns_exponent, cbow_mean, hashfxn, epochs
        self.null_word, self.sorted_vocab, self.batch_words = null_word, sorted_vocab, batch_words
        self.compute_loss, self.callbacks, self.comment = compute_loss, callbacks, comment
        self.max_final_vocab, self.shrink_windows = max_final_vocab, shrink_windows
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.raw_vocab: Counter[str] | None = None
        self.effective_min_count = min_count
        self.running_training_loss = 0.0
        self._model = _Model(vector_size=vector_size, sg=sg, hs=hs, negative=negative,
                             min_count=min_count, max_final_vocab=max_final_vocab,
                             max_vocab_size=max_vocab_size, seed=seed, workers=workers,
                             alpha=alpha, min_alpha=min_alpha, epochs=epochs, window=window,
                             sample=sample, ns_exponent=ns_exponent, cbow_mean=cbow_mean)
        if hs and negative:
            logger.warning("Both hierarchical softmax and negative sampling are activated. "
                           "This is probably a mistake.")
        self._wv: KeyedVectors | None = None
        self._wv_of: Any = None
        self._lowest_alpha: float | None = None
        if sentences is not None and corpus_file is not None:
            raise TypeError("give sentences or corpus_file, not both")
        if isinstance(sentences, Iterable) and iter(sentences) is sentences:
            raise TypeError("sentences must be re-iterable (a list, or a reader such as "
                            "LineSentence), not a one-shot generator")
        if sentences is not None or corpus_file is not None:
            self.build_vocab(sentences, corpus_file=corpus_file, trim_rule=trim_rule)
            self.train(sentences, corpus_file=corpus_file, total_examples=self.corpus_count,
                       total_words=self.corpus_total_words, epochs=self.epochs,
                       start_alpha=self.alpha, end_alpha=self.min_alpha,
                       compute_loss=compute_loss, callbacks=callbacks)

    def __repr__(self) -> str:
        words = len(self._model.vocab) if self._model.vocab is not None else 0
        return (f"Word2Vec<vocab={words}, vector_size={self.vector_size}, "
                f"alpha={self.alpha}>")

    # ---------------------------------------------------------------- access
    @property
    def model(self) -> _Model:
        """The :class:`w2v.Word2Vec` doing the work (its own API, saving and all).

        Example
        -------
        >>> Word2Vec([["a", "b"]] * 10, min_count=1, workers=1).model.epochs_trained
        5
        """
        return self._model

    @property
    def wv(self) -> KeyedVectors:
        """The word vectors, with gensim's names (sharing the model's arrays)."""
        if self._wv is not None and self._wv_of is None:  # assigned by the user
            return self._wv
        inner = self._model.wv if self._model.vocab is not None else None
        if inner is None:
            if self._wv is None:
                self._wv = KeyedVectors(self.vector_size)
            return self._wv
        if self._wv_of is not inner:
            self._wv = KeyedVectors.from_vectors(inner.vectors, inner.index_to_key, inner.counts)
            self._wv_of = inner
        assert self._wv is not None
        return self._wv

    @wv.setter
    def wv(self, vectors: KeyedVectors) -> None:
        self._wv, self._wv_of = vectors, None

    @property
    def syn1neg(self) -> np.ndarray | None:
        """Output vectors of negative sampling (None without it)."""
        return self._model.syn1neg

    @property
    def syn1(self) -> np.ndarray | None:
        """Huffman inner-node vectors of hierarchical softmax (None without it)."""
        return self._model.syn1

    @property
    def layer1_size(self) -> int:
        """gensim's name for ``vector_size`` in the output layer."""
        return self.vector_size

    # ---------------------------------------------------------- vocabulary
    def scan_vocab(self, corpus_iterable: Iterable[list[str]] | None = None,
                   corpus_file: str | None = None, progress_per: int = 10000,
                   workers: int | None = None, trim_rule: Callable | None = None
                   ) -> tuple[int, int]:
        """Count the corpus's words into ``raw_vocab``; returns ``(total words, sentences)``.

        Example
        -------
        >>> Word2Vec(min_count=1).scan_vocab([["a", "b"], ["a"]])
        (3, 2)
        """
        corpus = as_corpus(self._source(corpus_iterable, corpus_file))
        if self.max_vocab_size is None:
            counts, words, sentences = count_words(corpus)
        else:
            counts, words, sentences = _count_pruned(corpus, self.max_vocab_size, trim_rule)
        self.raw_vocab = counts
        self.corpus_count, self.corpus_total_words = sentences, words
        self._scanned = corpus
        return words, sentences

    def prepare_vocab(self, update: bool = False, keep_raw_vocab: bool = False,
                      trim_rule: Callable | None = None, min_count: int | None = None,
                      sample: float | None = None, dry_run: bool = False) -> dict[str, Any]:
        """Apply ``min_count``, ``trim_rule`` and ``max_final_vocab`` to ``raw_vocab`` and
        make the vocabulary and the weights; returns gensim's report (``drop_unique``,
        ``retain_total``, ``num_retained_words``, ...).

        Example
        -------
        >>> model = Word2Vec(min_count=2)
        >>> _ = model.scan_vocab([["a", "b", "a"]])
        >>> model.prepare_vocab()["num_retained_words"]
        1
        """
        if self.raw_vocab is None:
            raise RuntimeError("prepare_vocab needs scan_vocab() first")
        if min_count is not None:
            self.min_count = min_count
        raw = self.raw_vocab
        if trim_rule is None:
            kept: Mapping[str, int] = raw
        else:  # the rule decides; words it leaves to the default still need min_count
            kept = {w: c for w, c in raw.items() if _keep(w, c, self.min_count, trim_rule)}
        if update and self._model.vocab is not None:
            vocab = self._model.vocab.merged(kept, sum(raw.values()))
        else:
            vocab = Vocabulary(kept, min_count=self.min_count if trim_rule is None else 0,
                               max_final_vocab=self.max_final_vocab,
                               corpus_words=sum(raw.values()))
            self.effective_min_count = max(vocab.min_count, self.min_count)
        report = {"drop_unique": len(raw) - len(vocab),
                  "retain_total": int(vocab.counts.sum()) if len(vocab) else 0,
                  "num_retained_words": len(vocab),
                  "drop_total": sum(raw.values()) - (int(vocab.counts.sum()) if len(vocab) else 0),
                  "min_count": self.effective_min_count, "sample": self.sample}
        if dry_run:
            return report
        if len(vocab) == 0:
            raise RuntimeError("you must first build vocabulary before training the model: "
                               f"no word occurs at least min_count={self.min_count} times")
        self._model.use_vocabulary(vocab, update=update and self._model.vocab is not None)
        if not keep_raw_vocab:
            self.raw_vocab = None
        return report

    def build_vocab(self, corpus_iterable: Iterable[list[str]] | None = None,
                    corpus_file: str | None = None, update: bool = False,
                    progress_per: int = 10000, keep_raw_vocab: bool = False,
                    trim_rule: Callable | None = None, **kwargs: Any) -> None:
        """Scan the corpus and build the vocabulary (``update=True`` adds to it, keeping
        trained vectors). Does not train.

        Example
        -------
        >>> model = Word2Vec(min_count=1)
        >>> model.build_vocab([["a", "b"], ["a"]])
        >>> model.corpus_count, model.wv.index_to_key
        (2, ['a', 'b'])
        """
        self.scan_vocab(corpus_iterable, corpus_file, trim_rule=trim_rule)
        self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule)

    def build_vocab_from_freq(self, word_freq: Mapping[str, int], keep_raw_vocab: bool = False,
                              corpus_count: int | None = None, trim_rule: Callable | None = None,
                              update: bool = False) -> None:
        """Build the vocabulary from a ``{word: count}`` mapping instead of a corpus.

        Example
        -------
        >>> model = Word2Vec(min_count=1)
        >>> model.build_vocab_from_freq({"a": 3, "b": 5})
        >>> model.wv.index_to_key
        ['b', 'a']
        """
        self.raw_vocab = Counter(dict(word_freq))
        self.corpus_count = corpus_count or 0
        self.corpus_total_words = sum(self.raw_vocab.values())
        self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule)

    # -------------------------------------------------------------- training
    def train(self, corpus_iterable: Iterable[list[str]] | None = None,
              corpus_file: str | None = None, total_examples: int | None = None,
              total_words: int | None = None, epochs: int | None = None,
              start_alpha: float | None = None, end_alpha: float | None = None,
              word_count: int = 0, queue_factor: int = 2, report_delay: float = 1.0,
              compute_loss: bool = False, callbacks: Sequence = (), **kwargs: Any) -> None:
        """Train on the corpus, gensim's way: ``epochs`` and one of ``total_examples`` /
        ``total_words`` must be given (``ValueError`` otherwise, as in gensim). The
        learning rate goes from ``start_alpha`` (default ``alpha``) to ``end_alpha``
        (default ``min_alpha``) over the call.

        ``wv.vectors_lockf`` (gensim's per-row update factors) is honoured: a row with 0
        does not change; other factors scale the row's total change over the call (gensim
        scales each update, which is close but not identical).

        Example
        -------
        >>> model = Word2Vec(min_count=1, workers=1)
        >>> model.build_vocab([["a", "b"]] * 10)
        >>> model.train([["a", "b"]] * 10, total_examples=model.corpus_count, epochs=2)
        >>> model.model.epochs_trained
        2
        """
        if epochs is None:
            raise ValueError("You must specify an explicit epochs count. The usual value is "
                             "epochs=model.epochs.")
        if total_examples is None and total_words is None:
            raise ValueError("You must specify either total_examples or total_words, for "
                             "proper learning-rate and progress calculations. If you've just "
                             "built the vocabulary using the same corpus, using the count "
                             "cached in the model is sufficient: "
                             "total_examples=model.corpus_count.")
        if self._wv is not None and self._wv_of is None:
            raise ValueError("this model's vectors were assigned, not built here: it has no "
                             "vocabulary or output layer to train; call build_vocab() first")
        if self._model.vocab is None:
            raise RuntimeError("you must first build vocabulary before training the model")
        start = self.alpha if start_alpha is None else start_alpha
        end = self.min_alpha if end_alpha is None else end_alpha
        if self._lowest_alpha is not None and start > self._lowest_alpha:
            logger.warning("Effective 'alpha' higher than previous training cycles")
        self._lowest_alpha = end
        self._model.set_params(alpha=start, min_alpha=end,
                               **{name: getattr(self, name) for name in _TRAINING})
        corpus = self._source(corpus_iterable, corpus_file)
        self.callbacks = callbacks  # gensim keeps the callbacks of the latest call
        hooks = [GensimHooks(c, self) for c in callbacks]
        done = len(self._model.loss_history)
        wv = self.wv
        lockf = np.asarray(getattr(wv, "vectors_lockf", np.ones(1)), dtype=np.float32)
        locked = not np.all(lockf == 1.0)
        before = wv.vectors.copy() if locked else None
        self._model.train(corpus, epochs=epochs, callbacks=hooks)
        if before is not None:  # scale each row's change of this call by its factor
            factor = np.broadcast_to(lockf, (len(wv),))[:, None]
            wv.vectors[:] = before + factor * (wv.vectors - before)
        wv.invalidate()
        if compute_loss or self.compute_loss:
            history = self._model.history
            self.running_training_loss = float(sum(
                loss * examples for loss, examples in
                zip(history.loss[done:], history.examples[done:], strict=True)))

    def get_latest_training_loss(self) -> float:
        """The summed loss of the last ``train()`` call (0.0 unless ``compute_loss``).

        Example
        -------
        >>> corpus = [["a", "b", "c", "d"]] * 10
        >>> model = Word2Vec(corpus, min_count=1, sample=0, compute_loss=True, workers=1)
        >>> model.get_latest_training_loss() > 0
        True
        """
        return self.running_training_loss

    @staticmethod
    def _source(corpus_iterable: Any, corpus_file: Any) -> Any:
        if corpus_iterable is not None and corpus_file is not None:
            raise TypeError("give corpus_iterable or corpus_file, not both")
        if corpus_file is not None:
            return os.fspath(corpus_file)
        if corpus_iterable is None:
            raise TypeError("no corpus: give corpus_iterable or corpus_file")
        return corpus_iterable

    # ------------------------------------------------------------ prediction
    def predict_output_word(self, context_words_list: Sequence[str | int],
                            topn: int = 10) -> list[tuple[str, float]] | None:
        """The most probable centre words for a context (words or row numbers; unknown
        ones are ignored, and ``None`` is returned when none is known). Needs negative
        sampling, as in gensim (``RuntimeError`` otherwise).

        Example
        -------
        >>> corpus = [["troll", "2", "is", "great"], ["gymkata", "is", "great"]] * 50
        >>> model = Word2Vec(corpus, min_count=1, window=1, sample=0, epochs=20, workers=1)
        >>> model.predict_output_word(["is"], topn=1)[0][0]
        'great'
        """
        if (self._wv is not None and self._wv_of is None) or self.syn1neg is None:
            raise RuntimeError("predict_output_word needs a model trained with negative "
                               "sampling (negative > 0) and its output layer")
        wv = self.wv
        words = [wv.index_to_key[w] if isinstance(w, (int, np.integer)) else w
                 for w in context_words_list]
        known = [w for w in words if w in wv.key_to_index]
        if not known:
            logger.warning("All the input context words are out-of-vocabulary for the current "
                           "model.")
            return None
        return self._model.predict_output_word(known, topn=topn)

    def score(self, sentences: Iterable[list[str]], total_sentences: int = 1_000_000,
              chunksize: int = 100, queue_factor: int = 2, report_delay: float = 1.0
              ) -> np.ndarray:
        """Log-likelihood of each sentence under the model's hierarchical softmax (needs
        ``hs=1``, as in gensim): skip-gram sums ``log p(word | neighbour)`` over every pair
        within ``window``; CBOW sums ``log p(word | its context)``. Unknown words are skipped.

        Example
        -------
        >>> model = Word2Vec([["a", "b", "c"]] * 20, min_count=1, hs=1, negative=0, workers=1)
        >>> model.score([["a", "b"], ["c"]]).shape
        (2,)
        """
        if not self.hs or self.syn1 is None:
            raise RuntimeError("score() needs a model trained with hierarchical softmax "
                               "(hs=1)")
        wv = self.wv
        tree = build_huffman(wv.expandos["count"])
        scores = []
        for sentence in islice(sentences, total_sentences):
            ids = [wv.key_to_index[w] for w in sentence if w in wv.key_to_index]
            total = 0.0
            for i, word in enumerate(ids):
                near = ids[max(0, i - self.window):i] + ids[i + 1:i + 1 + self.window]
                if not near:
                    continue
                if self.sg:
                    for other in near:
                        total += hs_log_probabilities(wv.vectors[other], self.syn1, tree)[word]
                else:
                    rows = wv.vectors[near]
                    hidden = rows.mean(axis=0) if self.cbow_mean else rows.sum(axis=0)
                    total += hs_log_probabilities(hidden, self.syn1, tree)[word]
            scores.append(total)
        return np.array(scores, dtype=np.float32)

    # ----------------------------------------------------------------- files
    def save(self, fname: str | os.PathLike, *args: Any, **kwargs: Any) -> None:
        """Save in w2v's native format (a folder, or a ``.zip``; no pickle). gensim's pickle
        options (``sep_limit``, ``ignore``...) do not apply and are ignored.

        Example
        -------
        >>> model = Word2Vec([["a", "b"]] * 10, min_count=1, workers=1)
        >>> model.save("compat.zip")
        >>> Word2Vec.load("compat.zip").wv.index_to_key
        ['a', 'b']
        """
        self._model.save(fname)

    @classmethod
    def load(cls, fname: str | os.PathLike, mmap: str | None = None) -> Word2Vec:
        """Load a model saved by :meth:`save` (or by :meth:`w2v.Word2Vec.save`). A gensim
        pickle file is refused with how to convert it.

        Example
        -------
        >>> Word2Vec.load("model.zip").vector_size
        16
        """
        refuse_gensim_save(fname)
        inner = _Model.load(fname, mmap=mmap)
        p = inner.params
        model = cls(vector_size=p.vector_size, alpha=p.start_alpha, window=p.window,
                    min_count=p.min_count, max_vocab_size=p.max_vocab_size, sample=p.sample,
                    seed=p.seed, workers=p.threads, min_alpha=p.min_alpha, sg=p.sg, hs=p.hs,
                    negative=p.negative, ns_exponent=p.ns_exponent, cbow_mean=p.cbow_mean,
                    epochs=p.epochs, max_final_vocab=p.max_final_vocab)
        model._model = inner
        assert inner.vocab is not None
        model.corpus_total_words = inner.vocab.corpus_words
        return model
