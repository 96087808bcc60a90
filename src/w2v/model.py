"""The Word2Vec model: vocabulary, weights, and training."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from . import _core
from ._util.validation import check_int
from .data.corpus import PathCorpus, as_corpus, warn_if_changed
from .data.encoding import CorpusRecord, EncodedCorpus, count_and_encode, encode_corpus
from .data.vocab import Vocabulary, count_words
from .train.checkpoint import Checkpointer, check_corpus, load_checkpoint, start_checkpoints
from .train.huffman import HuffmanTree, build_huffman
from .train.kernel import make_kernel
from .train.model_files import load_state, save_state
from .train.monitor import TrainingMonitor
from .train.params import TrainingParams
from .train.prediction import hs_log_probabilities, softmax_probabilities
from .train.state import ModelState, TrainingHistory
from .train.trainer import RunPlan, run_epochs
from .train.weights import check_memory, grown_weights, initial_weights, memory_estimate
from .vectors.keyedvectors import KeyedVectors
from .vectors.ranking import top_words

__all__ = ["ResumedRun", "Word2Vec", "prepare_resume", "resume"]

logger = logging.getLogger("w2v")
#: What querying the vectors of a model that has a vocabulary but no training says (once).
UNTRAINED_WARNING = (
    "the model has a vocabulary but was never trained: its vectors are random; call "
    "model.train() first (unlike gensim, Word2Vec(corpus) only builds the vocabulary)")


class Word2Vec:
    """Word2vec: skip-gram or CBOW with negative sampling, hierarchical softmax or full softmax.

    Parameters
    ----------
    corpus : a re-iterable of token lists, or a path (file, directory, .gz/.bz2/.xz).
        When given, the vocabulary is built at once and ``train()`` uses it.
    vector_size, window, min_count, sg, hs, negative, ns_exponent, cbow_mean, sample,
    alpha, min_alpha, epochs, workers, seed, max_vocab_size, max_final_vocab, loss, batch,
    memory_check :
        see :class:`w2v.train.params.TrainingParams` (gensim's names and meanings;
        ``alpha=None`` picks the C tool's 0.025 for skip-gram and 0.05 for CBOW).
    callbacks : objects with :class:`w2v.callbacks.Callback` hooks, called from the
        training thread on every ``train()``; kept on the model, never saved.
    progress : a progress bar on stderr while training: True, False, or None (the
        default) for only when stderr is a terminal or in a Jupyter notebook.

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
    progress_history : ``(epochs done, running mean loss of the epoch)`` every few tenths
        of a second of training (in memory only, not saved).

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
        batch: bool = True,
        memory_check: bool = True,
        callbacks: Iterable = (),
        progress: bool | None = None,
    ) -> None:
        self.params = TrainingParams(
            vector_size=vector_size, window=window, min_count=min_count, sg=sg, hs=hs,
            negative=negative, ns_exponent=ns_exponent, cbow_mean=cbow_mean, sample=sample,
            alpha=alpha, min_alpha=min_alpha, epochs=epochs, workers=workers, seed=seed,
            max_vocab_size=max_vocab_size, max_final_vocab=max_final_vocab, loss=loss,
            batch=batch, memory_check=memory_check,
        )
        self.vocab: Vocabulary | None = None
        self._wv: KeyedVectors | None = None
        self.syn1neg: np.ndarray | None = None
        self.syn1: np.ndarray | None = None
        self.history = TrainingHistory()
        self.vocab_updates = 0
        self.callbacks = list(callbacks)
        self.progress = progress
        self._stop = threading.Event()
        self._corpus: Iterable[list[str]] | None = None
        self._corpus_words = 0  # tokens the vocabulary scan saw in self._corpus
        self._record: CorpusRecord | None = None  # its encoding, from that scan (if kept)
        self._kernel: _core.Kernel | None = None
        self._tree: HuffmanTree | None = None
        if corpus is not None:
            self.build_vocab(corpus)

    def __getattr__(self, name: str):
        # gensim-style read access to the parameters: model.window, model.sg, ...
        params = self.__dict__.get("params")
        if params is not None and name in TrainingParams.__dataclass_fields__:
            return getattr(params, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    @property
    def wv(self) -> KeyedVectors:
        """The word vectors (:class:`~w2v.KeyedVectors`), one row per vocabulary word, most
        frequent first; trained in place by :meth:`train`. A model without a vocabulary yet
        raises ``ValueError`` (build it with :meth:`build_vocab` or ``Word2Vec(corpus)``).

        Example
        -------
        >>> Word2Vec([["a", "b", "a"]] * 5, min_count=1, vector_size=4).wv.index_to_key
        ['a', 'b']
        """
        return self._built("no word vectors")[1]

    # the training record, kept in ``history`` (see :class:`w2v.train.state.TrainingHistory`)
    @property
    def loss_history(self) -> list[float]:
        """Mean loss per training example, one per epoch trained (see the class docs)."""
        return self.history.loss

    @property
    def examples_history(self) -> list[int]:
        """Training examples per epoch trained."""
        return self.history.examples

    @property
    def epochs_trained(self) -> int:
        """Epochs trained so far, over all ``train()`` calls."""
        return self.history.epochs

    @property
    def training_seconds(self) -> float:
        """Time spent in ``train()`` so far (saved with the model)."""
        return self.history.seconds

    @property
    def progress_history(self) -> list[tuple[float, float]]:
        """``(epochs done, running mean loss)`` every few tenths of a second of training."""
        return self.history.progress

    @property
    def stop_requested(self) -> bool:
        """Whether :meth:`stop` was called during the training under way."""
        return self._stop.is_set()

    # ------------------------------------------------------------------ state
    @classmethod
    def from_state(cls, state: ModelState, callbacks: Iterable = (),
                   progress: bool | None = None) -> Word2Vec:
        """The model a :class:`~w2v.train.state.ModelState` describes (its arrays are used as
        they are, not copied), ready to be queried or trained further.

        Example
        -------
        >>> model = Word2Vec([["a", "b"]] * 10, min_count=1, vector_size=4, workers=1)
        >>> Word2Vec.from_state(model.state()).wv.index_to_key
        ['a', 'b']
        """
        model = cls(**state.params.as_dict(), callbacks=callbacks, progress=progress)
        model.vocab = state.vocab
        model._wv = KeyedVectors(state.vectors, state.vocab.index_to_key, state.vocab.counts)
        model.syn1neg, model.syn1 = state.syn1neg, state.syn1
        model.history = TrainingHistory(state.loss_history, state.examples_history,
                                        state.training_seconds)
        model.vocab_updates = state.vocab_updates
        return model

    def state(self) -> ModelState:
        """Everything needed to rebuild this model (:meth:`from_state`): what a model file
        holds. The arrays are the model's own, not copies.

        Example
        -------
        >>> model = Word2Vec([["a", "b"]] * 10, min_count=1, vector_size=4, workers=1)
        >>> model.state().vectors.shape
        (2, 4)
        """
        vocab, wv = self._built("nothing to save")
        return ModelState(
            params=self.params, vocab=vocab, vectors=wv.vectors,
            syn1neg=self.syn1neg, syn1=self.syn1, loss_history=tuple(self.history.loss),
            examples_history=tuple(self.history.examples),
            training_seconds=self.history.seconds, vocab_updates=self.vocab_updates)

    def use_vocabulary(self, vocab: Vocabulary, update: bool = False) -> Word2Vec:
        """Start afresh on a vocabulary counted elsewhere (by a cluster, or by
        :meth:`w2v.Vocabulary.build`): fresh weights, no training record, no corpus to
        default to (``train(corpus)`` needs one).

        With ``update``, ``vocab`` extends the current vocabulary instead (every word of it
        must be kept, as :meth:`w2v.Vocabulary.merged` does): trained rows are kept and new
        words get fresh rows, as in ``build_vocab(corpus, update=True)``.

        Example
        -------
        >>> model = Word2Vec(min_count=1).use_vocabulary(Vocabulary({"a": 3, "b": 1}, 1))
        >>> model.wv.index_to_key
        ['a', 'b']
        >>> more = model.vocab.merged({"c": 5}, corpus_words=5)
        >>> model.use_vocabulary(more, update=True).wv.index_to_key
        ['c', 'a', 'b']
        """
        self._check_vocabulary(vocab)
        if update:
            old = self._built("use_vocabulary(update=True) needs a vocabulary to extend")[0]
            lost = [w for w in old.index_to_key if w not in vocab.key_to_index]
            if lost:
                raise ValueError(f"use_vocabulary(update=True): the new vocabulary drops "
                                 f"{len(lost)} known words, e.g. {lost[0]!r}")
            self._grow_weights(vocab)
        else:
            self._init_weights(vocab)
        self._corpus, self._corpus_words, self._record = None, 0, None
        return self

    def set_params(self, **changes) -> Word2Vec:
        """Change training parameters (the names of :class:`~w2v.train.params.TrainingParams`)
        for the next ``train()`` calls, checked as the constructor checks them. The
        vocabulary and the weights stay; ``vector_size`` cannot change once they exist.

        Example
        -------
        >>> model = Word2Vec([["a", "b"]] * 10, min_count=1, workers=1)
        >>> model.set_params(alpha=0.01, min_alpha=0.001).alpha
        0.01
        """
        unknown = sorted(set(changes) - set(TrainingParams.__dataclass_fields__))
        if unknown:
            raise TypeError(f"set_params: unknown parameters {unknown}")
        current = self.params.as_dict()
        fixed = [k for k in ("vector_size", "hs", "negative", "loss")
                 if k in changes and changes[k] != current[k]]
        if self.vocab is not None and fixed:
            raise ValueError(f"{fixed[0]} cannot change once the weights exist")
        self.params = TrainingParams(**{**current, **changes})
        self._kernel = None  # the kernel holds the parameters it was made with
        return self

    def __repr__(self) -> str:
        words = len(self.vocab) if self.vocab is not None else 0
        arch = "skip-gram" if self.params.sg else "CBOW"
        return f"Word2Vec({arch}, {words} words, vector_size={self.params.vector_size})"

    def build_vocab(self, corpus: Iterable[list[str]] | str, update: bool = False) -> Word2Vec:
        """Scan ``corpus`` once, build the vocabulary and initialise the weights.

        Parameters
        ----------
        corpus : re-iterable of token lists, or a path.
        update : add this corpus's words to the existing vocabulary instead of starting
            afresh. Counts of known words grow; new words reaching ``min_count`` get rows
            initialised like fresh ones; every trained row is kept. Words are re-sorted by
            count (most frequent first, as ``restrict_vocab`` assumes), so indices may move;
            the noise table and the Huffman tree are rebuilt (the inner-node rows are kept
            in order and new ones start at zero, as in gensim). ``train()`` then defaults
            to this corpus.

        Raises :class:`~w2v.InsufficientMemoryError` (a ``MemoryError``), before allocating
        the weights, when the model would not fit in the memory the process can have (see
        :meth:`estimate_memory`; the ``memory_check`` parameter turns this off).

        Example
        -------
        >>> model = Word2Vec(min_count=1).build_vocab([["a", "b"], ["b"]])
        >>> model.wv.index_to_key
        ['b', 'a']
        >>> model.build_vocab([["c", "c", "c"]], update=True).wv.index_to_key
        ['c', 'b', 'a']
        """
        sentences = as_corpus(corpus)
        p = self.params
        started = time.perf_counter()
        old = self.vocab
        record = None
        if update:
            if old is None:
                raise ValueError("build_vocab(update=True) needs a vocabulary: call "
                                 "build_vocab(corpus) first (or load a saved model)")
            counts, n_words, _ = count_words(sentences, p.max_vocab_size)
            vocab = old.merged(counts, n_words)
        else:
            vocab, record = count_and_encode(sentences, p.min_count, p.max_vocab_size,
                                             p.max_final_vocab)
            n_words = vocab.corpus_words
        self._check_vocabulary(vocab)
        if old is not None and update:
            added = len(vocab) - len(old)
            self._grow_weights(vocab)
        else:
            self._init_weights(vocab)
        # the scan's encoding, kept for train() to use once instead of reading the corpus again
        self._corpus, self._corpus_words, self._record = sentences, n_words, record
        logger.info(
            "vocabulary: %d words (min_count %d) from %d tokens in %.1fs%s; training will "
            "need about %.1f MB", len(vocab), vocab.min_count, vocab.corpus_words,
            time.perf_counter() - started, f" ({added} new words)" if update else "",
            self.estimate_memory()["total"] / 2**20,
        )
        return self

    def _take_record(self, sentences: Iterable[list[str]]) -> EncodedCorpus | None:
        """The encoding the vocabulary's scan kept, if ``sentences`` reads the same files
        the same way and they have not changed since (see :class:`CorpusRecord`); given
        out once (a later call scans again), and dropped either way, so it is never held
        beside a fresh encoding."""
        record, self._record = self._record, None
        if record is None or not record.matches(sentences):
            return None
        return record.encoded

    def _check_vocabulary(self, vocab: Vocabulary) -> None:
        """ValueError unless these parameters can train on ``vocab``."""
        if len(vocab) == 0:
            raise ValueError(
                f"the vocabulary is empty: no word of the corpus ({vocab.corpus_words} tokens)"
                f" occurs at least min_count={vocab.min_count} times"
            )
        if self.params.hs and len(vocab) < 2:
            raise ValueError("hierarchical softmax needs at least two words in the vocabulary")

    def _built(self, doing: str) -> tuple[Vocabulary, KeyedVectors]:
        """The vocabulary and the vectors, or ValueError saying that ``doing`` needs them."""
        if self.vocab is None or self._wv is None:
            raise ValueError(f"the model has no vocabulary yet: {doing}; call "
                             "build_vocab(corpus) first, or pass a corpus to Word2Vec(corpus)")
        return self.vocab, self._wv

    def _init_weights(self, vocab: Vocabulary) -> None:
        if self.params.memory_check:  # before any allocation: InsufficientMemoryError
            check_memory(vocab, self.params)
        self.vocab = vocab
        vectors, self.syn1neg, self.syn1 = initial_weights(len(vocab), self.params)
        self._wv = KeyedVectors(vectors, vocab.index_to_key, vocab.counts)
        self._wv.untrained_warning = UNTRAINED_WARNING
        self.history = TrainingHistory(seconds=self.history.seconds)
        self.vocab_updates = 0
        self._kernel = None
        self._tree = None

    def _grow_weights(self, vocab: Vocabulary) -> None:
        """Adopt an updated vocabulary (see :func:`w2v.train.weights.grown_weights`)."""
        old, wv = self._built("nothing to grow")
        if self.params.memory_check:
            check_memory(vocab, self.params)
        self.vocab_updates += 1
        vectors, self.syn1neg, self.syn1 = grown_weights(
            old, vocab, (wv.vectors, self.syn1neg, self.syn1), self.params, self.vocab_updates)
        self.vocab = vocab
        self._wv = KeyedVectors(vectors, vocab.index_to_key, vocab.counts)
        self._wv.untrained_warning = wv.untrained_warning
        self._kernel = None
        self._tree = None

    def _huffman(self) -> HuffmanTree:
        if self._tree is None:
            self._tree = build_huffman(self._built("no Huffman tree")[0].counts)
        return self._tree

    def _make_kernel(self) -> _core.Kernel:
        vocab, wv = self._built("nothing to train")
        return make_kernel(self.params, vocab, wv.vectors, self.syn1neg, self.syn1,
                           self._huffman() if self.params.hs else None)

    def train(
        self, corpus: Iterable[list[str]] | str | None = None, epochs: int | None = None,
        callbacks: Iterable = (), progress: bool | None = None,
        checkpoint: str | os.PathLike | None = None,
        checkpoint_every: float | str | None = None,
        total_examples: int | None = None, total_words: int | None = None,
    ) -> Word2Vec:
        """Train the model and return it, so ``Word2Vec(corpus).train()`` reads naturally.

        The learning rate decays linearly from ``alpha`` to ``min_alpha`` over all the
        epochs of this call. Calling ``train()`` again continues from the current weights.

        Parameters
        ----------
        corpus : what to train on; defaults to the corpus the vocabulary was built from.
            If no vocabulary exists yet, it is built from this corpus first.
        epochs : passes over the corpus; defaults to the ``epochs`` parameter.
        callbacks : more callbacks for this call only (after the model's own).
        progress : overrides the model's ``progress`` setting for this call.
        checkpoint : a path (folder or ``.zip``) to save the model and the run's position
            to, atomically, while training; after a crash, :func:`w2v.resume` finishes
            the run from the last one. A path holding an unfinished run's checkpoint
            raises FileExistsError rather than lose it.
        checkpoint_every : how often: seconds (``600``), ``"10min"``, ``"2h"``, or
            ``"1 epoch"``, ``"3 epochs"`` (default: every epoch). A checkpoint is also
            written after the last epoch.
        total_examples, total_words : gensim's keywords, accepted so its scripts run: the
            corpus's sentences and tokens. w2v counts them itself; a value that contradicts
            the count raises ``ValueError`` naming the keyword.

        Example
        -------
        >>> corpus = [["a", "b", "c"]] * 20
        >>> model = Word2Vec(corpus, min_count=1, vector_size=8, workers=1).train(epochs=2)
        >>> len(model.loss_history)
        2
        """
        counted_here = corpus is not None and self.vocab is None
        if corpus is not None and counted_here:
            self.build_vocab(corpus)
        if self.vocab is None:
            raise ValueError("no corpus: pass one to Word2Vec(corpus) or to train(corpus)")
        # the corpus just counted is read through the same object: a pipe is read once
        sentences = self._corpus if corpus is None or counted_here else as_corpus(corpus)
        if sentences is None:  # a loaded model, or one given a vocabulary counted elsewhere
            raise ValueError("no corpus to train on: this model's vocabulary was not built "
                             "from one here; pass it to train(corpus)")
        if epochs is None:
            epochs = self.params.epochs
        epochs = check_int("epochs", epochs, minimum=1)
        if checkpoint is None and checkpoint_every is not None:
            raise ValueError("checkpoint_every needs a checkpoint path to write to")

        vocab = self._built("nothing to train")[0]
        encoded = self._take_record(sentences)
        if encoded is None:
            encoded = encode_corpus(sentences, vocab.key_to_index, vocab.retained_words)
        _check_totals(total_examples, total_words, encoded)
        if corpus is None or counted_here:  # the corpus the vocabulary was built from
            warn_if_changed(self._corpus_words, encoded.corpus_words)
        if encoded.words == 0:
            raise ValueError(
                f"nothing to train on: none of the corpus's {encoded.corpus_words} tokens"
                " is in the vocabulary"
            )
        checkpointer = None if checkpoint is None else start_checkpoints(
            self.state, checkpoint, checkpoint_every, _describe_corpus(sentences), encoded,
            epochs, self.epochs_trained, self.training_seconds)
        return self._train_encoded(encoded, epochs, callbacks, progress, checkpointer)

    def _train_encoded(self, encoded: EncodedCorpus, epochs: int, callbacks: Iterable,
                       progress: bool | None, checkpointer: Checkpointer | None) -> Word2Vec:
        """Run ``epochs`` epochs over ``encoded`` (the rest of a checkpointed run, if
        ``checkpointer`` records a position)."""
        started = time.perf_counter()
        kernel = self._kernel
        if kernel is None:
            self._check_writable()
            kernel = self._kernel = self._make_kernel()
        wv = self._built("nothing to train")[1]
        p = self.params
        record = checkpointer.record if checkpointer is not None else None
        plan = RunPlan(
            epochs=epochs, first_epoch=record.first_epoch if record else self.epochs_trained,
            workers=p.threads, seed=p.seed, start_alpha=p.start_alpha, min_alpha=p.min_alpha,
            resume=record.position if record else None,
        )
        monitor = TrainingMonitor(
            self, [*self.callbacks, *callbacks],
            self.progress if progress is None else progress, epochs,
            encoded.words * epochs, encoded.corpus_words, p.start_alpha, p.min_alpha,
            first_epoch=plan.first_epoch,
            words_at_start=record.position.words_done if record else 0,
        )
        self._stop.clear()
        try:
            with monitor:
                loss, _ = run_epochs(kernel, encoded, plan, monitor, self._stop,
                                     checkpointer)
        except KeyboardInterrupt:
            logger.warning("interrupted: %s", monitor.interruption_report())
            raise
        finally:
            wv.invalidate()
            wv.untrained_warning = None
            self.history.add_seconds(time.perf_counter() - started)
        elapsed = time.perf_counter() - started
        logger.info(
            "trained %d of %d epochs on %d words (%d in vocabulary) in %.1fs: %.0f words/s%s",
            len(loss), epochs, encoded.corpus_words, encoded.words, elapsed,
            encoded.corpus_words * len(loss) / elapsed if elapsed > 0 else 0.0,
            " (stopped early)" if self._stop.is_set() else "",
        )
        return self

    def estimate_memory(self) -> dict[str, int]:
        """Bytes training will hold, by part, from the vocabulary and the parameters.

        ``vectors``, ``syn1neg`` and ``syn1`` are vocabulary x vector_size float32 each
        (when the objective needs them); ``vocabulary`` counts about 100 bytes per word
        for its Python strings, dict entries and counts; ``encoded_corpus`` is 4 bytes
        per in-vocabulary token plus 8 per sentence of 10,000 tokens (beyond 2**27 tokens
        the ids go to a memory-mapped temporary file instead); ``thread_copies`` are
        the threads' private copies of the busiest rows.

        Example
        -------
        >>> model = Word2Vec([["a", "b"]] * 10, min_count=1, vector_size=10, workers=1)
        >>> model.estimate_memory()["vectors"]
        80
        """
        if self.vocab is None:
            raise ValueError("estimate_memory needs a vocabulary: build_vocab(corpus) first")
        return memory_estimate(self.vocab, self.params)

    def stop(self) -> None:
        """Stop the training under way (from a callback or another thread): the chunks
        being trained finish, the threads' changes are merged, and ``train()`` returns
        a valid model whose last epoch (in ``loss_history``) may be partial.

        Example
        -------
        >>> from w2v.callbacks import Callback
        >>> class Once(Callback):
        ...     def on_epoch_end(self, model, epoch):
        ...         model.stop()
        >>> model = Word2Vec([["a", "b"]] * 50, min_count=1, callbacks=[Once()]).train()
        >>> model.epochs_trained
        1
        """
        self._stop.set()

    def _check_writable(self) -> None:
        for name, array in (("vectors", self._built("nothing to train")[1].vectors),
                            ("syn1neg", self.syn1neg),
                            ("syn1", self.syn1)):
            if array is not None and not array.flags.writeable:
                raise ValueError(
                    f"cannot train: the model's {name} are read-only (loaded with mmap='r'?); "
                    "load it with mmap=None or mmap='c' to train further"
                )
            if array is not None and not array.flags.aligned:
                raise ValueError(
                    f"cannot train: the model's {name} are not aligned in memory (mapped "
                    "from a file another program wrote?); load it with mmap=None"
                )

    # ------------------------------------------------------------- prediction
    def predict_output_word(
        self, context_words: str | Sequence[str], topn: int = 10
    ) -> list[tuple[str, float]]:
        """The words the output layer finds most probable given ``context_words``.

        The hidden layer is the mean of the context words' input vectors (their sum for
        CBOW trained with ``cbow_mean=0``). Hierarchical-softmax models use the Huffman
        tree's probabilities; negative-sampling and full-softmax models ``softmax(syn1neg @
        h)``. A model with both uses the tree (a normalised distribution by construction).

        Parameters
        ----------
        context_words : a word or a list of words, all in the vocabulary (``KeyError``
            names an unknown one).
        topn : how many words to return.

        Returns ``[(word, probability), ...]``, most probable first.

        Example
        -------
        >>> corpus = [["troll", "2", "is", "great"], ["gymkata", "is", "great"]] * 50
        >>> model = Word2Vec(corpus, min_count=1, window=1, sample=0, epochs=20).train()
        >>> model.predict_output_word(["is"], topn=1)[0][0]
        'great'
        """
        wv = self._built("nothing to predict with")[1]
        words = [context_words] if isinstance(context_words, str) else list(context_words)
        if not words:
            raise ValueError("predict_output_word needs at least one context word")
        topn = check_int("topn", topn, minimum=1)
        rows = np.array([wv.get_index(w) for w in words], dtype=np.int64)
        inputs = np.asarray(wv.vectors[rows], dtype=np.float32)
        summed = not self.params.sg and not self.params.cbow_mean
        hidden = inputs.sum(axis=0) if summed else inputs.mean(axis=0)
        if self.syn1 is not None:
            probabilities = np.exp(hs_log_probabilities(hidden, self.syn1, self._huffman()))
        elif self.syn1neg is not None:
            probabilities = softmax_probabilities(hidden, self.syn1neg)
        else:  # TrainingParams admits no model without an output layer
            raise ValueError("the model has no output layer to predict with")
        return top_words(probabilities, wv.index_to_key, topn)

    def predict_next(self, word: str, topn: int = 10) -> list[tuple[str, float]]:
        """The words the network predicts around ``word``: ``predict_output_word([word])``.

        word2vec's windows are symmetric, so the output layer scores the words seen on
        either side of ``word``. A word that follows ``word`` every time ("is" -> "great" in
        "Troll 2 is great", "Gymkata is great") wins over words that precede it in varied
        ways, which is the seed's demonstration.

        Example
        -------
        >>> corpus = [["troll", "2", "is", "great"], ["gymkata", "is", "great"]] * 50
        >>> model = Word2Vec(corpus, min_count=1, window=1, sample=0, epochs=20).train()
        >>> model.predict_next("is", topn=1)[0][0]
        'great'
        """
        return self.predict_output_word([word], topn=topn)

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike) -> None:
        """Save everything needed to query the model and continue training, atomically.

        The native format: a folder, or a ``.zip`` if ``path`` ends so, of ``.npy`` arrays
        plus ``meta.json``. It holds no pickle, so loading a stranger's file runs no code.

        Example
        -------
        >>> model.save("copy.zip")
        >>> Word2Vec.load("copy.zip").loss_history == model.loss_history
        True
        """
        save_state(self.state(), path)

    @classmethod
    def load(cls, path: str | os.PathLike, mmap: str | None = None,
             allow_nonfinite: bool = False, memory_check: bool = True) -> Word2Vec:
        """Load a model written by :meth:`save`.

        Parameters
        ----------
        path : the folder or ``.zip``.
        mmap : None reads the arrays into memory; ``"r"`` maps them read-only (fast, shared
            between processes, enough for queries but not for training); ``"c"`` maps them
            copy-on-write (trainable, the file is never changed).
        allow_nonfinite : load weights holding NaN or infinite values instead of raising
            ValueError (such a model cannot be trained further).
        memory_check : without ``mmap``, arrays larger than the memory the process can have
            raise :class:`~w2v.InsufficientMemoryError` (a ``MemoryError``) before any is
            read, suggesting ``mmap="r"``; False reads them anyway.

        Example
        -------
        >>> model = Word2Vec.load("model.zip", mmap="r")
        >>> model.wv.most_similar("king", topn=1)[0][0] in model.wv
        True
        """
        return cls.from_state(load_state(path, mmap=mmap, allow_nonfinite=allow_nonfinite,
                                         memory_check=memory_check))

    @classmethod
    def resume(cls, checkpoint: str | os.PathLike,
               corpus: Iterable[list[str]] | str | None = None, **options) -> Word2Vec:
        """Finish the run a checkpoint was saved from: :func:`w2v.resume`
        (``options``: ``callbacks``, ``progress``, ``workers``).

        Example
        -------
        >>> model = Word2Vec.resume("run.zip")  # a finished run: returned as it was saved
        >>> model.epochs_trained
        2
        """
        return resume(checkpoint, corpus, **options)


def _check_totals(total_examples: int | None, total_words: int | None,
                  encoded: EncodedCorpus) -> None:
    """ValueError naming gensim's ``total_examples`` or ``total_words`` when it contradicts
    the corpus: fewer sentences than it has sentences with a vocabulary word (sentences
    without one are not kept, so only that bound is known), or other than its tokens."""
    if total_examples is not None and check_int(
            "total_examples", total_examples, minimum=0) < encoded.sentences:
        raise ValueError(f"total_examples={total_examples} contradicts the corpus, which holds "
                         f"at least {encoded.sentences} sentences; leave it out (w2v counts "
                         "the corpus itself)")
    if total_words is not None and check_int(
            "total_words", total_words, minimum=0) != encoded.corpus_words:
        raise ValueError(f"total_words={total_words} contradicts the corpus, which holds "
                         f"{encoded.corpus_words} tokens; leave it out (w2v counts the corpus "
                         "itself)")


def _describe_corpus(corpus) -> dict | None:
    """How to reopen ``corpus`` if it is a file corpus (None for sentences in memory)."""
    if not isinstance(corpus, PathCorpus):
        return None
    return {"path": os.path.abspath(corpus.path), "max_sentence_length":
            corpus.max_sentence_length, "encoding": corpus.encoding,
            "encoding_errors": corpus.encoding_errors, "max_token_length": corpus.max_token_length}


@dataclass
class ResumedRun:
    """A checkpointed run, loaded and checked against its corpus, ready to finish.

    ``model`` is usable at once (and after an interrupted :meth:`run`, holds what was
    trained); ``run()`` trains the epochs left and returns it.
    """

    model: Word2Vec
    encoded: EncodedCorpus | None  # None when the run was complete
    checkpointer: Checkpointer | None

    def run(self, callbacks: Iterable = (), progress: bool | None = None) -> Word2Vec:
        """Train what is left of the run; see :func:`resume`."""
        if self.checkpointer is None or self.encoded is None:
            return self.model
        return self.model._train_encoded(self.encoded, self.checkpointer.record.run_epochs,
                                         callbacks, progress, self.checkpointer)


def resume(path: str | os.PathLike, corpus: Iterable[list[str]] | str | None = None,
           callbacks: Iterable = (), progress: bool | None = None,
           workers: int | None = None) -> Word2Vec:
    """Finish the training run a checkpoint was saved from, and return the model.

    The run goes on from the first chunk of the corpus it had not trained, with the same
    learning-rate schedule and random streams, writing further checkpoints to ``path``
    on the same schedule. A checkpoint of a finished run returns its model at once.

    Parameters
    ----------
    path : a checkpoint written by ``train(checkpoint=...)``.
    corpus : the corpus of the run; by default the file it was read from (recorded in
        the checkpoint). A corpus held in memory must be passed again. A corpus that is
        not the one trained on (other words, or other lengths) raises ValueError.
    callbacks, progress : as for :meth:`Word2Vec.train`.
    workers : training threads (default: the run's own). With another count the run
        still finishes correctly, but not bit for bit as it would have.

    Example
    -------
    >>> model = resume("run.zip")  # a finished run: returned as it was saved
    >>> model.epochs_trained
    2
    """
    return prepare_resume(path, corpus, workers).run(callbacks, progress)


def prepare_resume(path: str | os.PathLike,
                   corpus: Iterable[list[str]] | str | None = None,
                   workers: int | None = None) -> ResumedRun:
    """Load a checkpoint and check ``corpus`` against it (see :func:`resume`), without
    training yet.

    Example
    -------
    >>> run = prepare_resume("run.zip")
    >>> run.model.epochs_trained, run.run() is run.model
    (2, True)
    """
    where = os.fspath(path)
    state, record = load_checkpoint(path)
    if workers is not None:
        state = replace(state, params=replace(state.params, workers=workers))
    model = Word2Vec.from_state(state)
    if record.complete:
        logger.info("checkpoint %s: the run was complete", where)
        return ResumedRun(model, None, None)
    if corpus is None:
        if record.corpus is None:
            raise ValueError(f"{where} was saved while training on sentences in memory: "
                             "pass the same corpus to resume(path, corpus)")
        corpus = PathCorpus(**record.corpus)
    sentences = as_corpus(corpus)
    vocab = state.vocab
    encoded = encode_corpus(sentences, vocab.key_to_index, vocab.retained_words)
    check_corpus(record, encoded, where)
    model._corpus, model._corpus_words = sentences, encoded.corpus_words
    logger.info("resuming %s in epoch %d of %d, at chunk %d", where, record.position.epoch + 1,
                record.run_epochs, record.position.next_chunk)
    return ResumedRun(model, encoded, Checkpointer(model.state, path, record.every, record,
                                                   model.training_seconds))
