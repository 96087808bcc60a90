"""A model's state as one record, and its training history.

:class:`ModelState` is everything a model file holds: the parameters, the vocabulary, the
weight matrices and the training record. The file-format code reads and writes it and never
builds a model; :class:`w2v.Word2Vec` has one constructor from it
(:meth:`~w2v.Word2Vec.from_state`) and one method to it (:meth:`~w2v.Word2Vec.state`), used by
``save``/``load``, checkpoints, resuming and distributed training.

:class:`TrainingHistory` is the part of a model that training writes as it goes (the loss and
examples of every epoch, the time spent); the model owns it and the training monitor adds to
it through its methods.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from ..data.vocab import Vocabulary
from .params import TrainingParams

__all__ = ["ModelState", "TrainingHistory"]


class TrainingHistory:
    """What training has done to a model so far.

    Parameters
    ----------
    loss : mean loss per training example, one per epoch trained.
    examples : training examples, one count per epoch trained.
    seconds : time spent training.

    Attributes
    ----------
    progress : ``(epochs done, running mean loss of the epoch)`` every few tenths of a
        second of training (in memory only, never saved).

    Example
    -------
    >>> history = TrainingHistory()
    >>> history.add_epoch(2.5, 1000)
    >>> history.epochs, history.loss, history.examples
    (1, [2.5], [1000])
    """

    def __init__(self, loss: Iterable[float] = (), examples: Iterable[int] = (),
                 seconds: float = 0.0) -> None:
        self.loss = [float(x) for x in loss]
        self.examples = [int(n) for n in examples]
        if len(self.loss) != len(self.examples):
            raise ValueError(f"one loss per epoch and one example count per epoch: got "
                             f"{len(self.loss)} and {len(self.examples)}")
        self.seconds = float(seconds)
        self.progress: list[tuple[float, float]] = []

    @property
    def epochs(self) -> int:
        """Epochs trained (an epoch cut short by a stop counts)."""
        return len(self.loss)

    def add_epoch(self, mean_loss: float, examples: int) -> None:
        """Record an epoch that ended: its mean loss per example and its example count."""
        self.loss.append(float(mean_loss))
        self.examples.append(int(examples))

    def add_progress(self, epochs_done: float, mean_loss: float) -> None:
        """Record the running loss of the epoch under way, ``epochs_done`` into the model's
        training (fractional)."""
        self.progress.append((float(epochs_done), float(mean_loss)))

    def add_seconds(self, seconds: float) -> None:
        """Count ``seconds`` more of training."""
        self.seconds += seconds


@dataclass(frozen=True)
class ModelState:
    """Everything needed to query a model and train it further: what a model file holds.

    The arrays are the model's own (not copies): a state taken from a model and written
    to a file at once is consistent, as :meth:`w2v.Word2Vec.save` does.

    Parameters
    ----------
    params : the training parameters.
    vocab : the vocabulary (row ``i`` of each matrix is ``vocab.index_to_key[i]``).
    vectors : float32 (words, vector_size): the word vectors.
    syn1neg : float32 (words, vector_size) output vectors, or None (hierarchical softmax
        alone).
    syn1 : float32 (words - 1, vector_size) Huffman inner-node vectors, or None.
    loss_history, examples_history : per epoch trained, the mean loss per example and the
        example count.
    training_seconds : time spent training.
    vocab_updates : times the vocabulary grew (``build_vocab(update=True)``); seeds the
        fresh rows of the next growth.

    Example
    -------
    >>> import numpy as np
    >>> from w2v import TrainingParams, Vocabulary
    >>> state = ModelState(TrainingParams(vector_size=2), Vocabulary({"a": 3, "b": 2}, 1),
    ...                    np.zeros((2, 2), np.float32), np.zeros((2, 2), np.float32), None)
    >>> state.epochs_trained
    0
    """

    params: TrainingParams
    vocab: Vocabulary
    vectors: np.ndarray
    syn1neg: np.ndarray | None
    syn1: np.ndarray | None
    loss_history: tuple[float, ...] = ()
    examples_history: tuple[int, ...] = ()
    training_seconds: float = 0.0
    vocab_updates: int = 0

    def __post_init__(self) -> None:
        words, dim = len(self.vocab), self.params.vector_size
        expected = {"vectors": (self.vectors, (words, dim), True),
                    "syn1neg": (self.syn1neg, (words, dim), self.params.needs_out_words),
                    "syn1": (self.syn1, (words - 1, dim), bool(self.params.hs))}
        for name, (array, shape, needed) in expected.items():
            if (array is not None) != needed:
                raise ValueError(f"{name} is {'missing' if needed else 'not trained'} with "
                                 f"these parameters")
            if array is not None and array.shape != shape:
                raise ValueError(f"{name} must have shape {shape}, got {array.shape}")
        if len(self.loss_history) != len(self.examples_history):
            raise ValueError("loss_history and examples_history must hold one value per epoch")

    @property
    def epochs_trained(self) -> int:
        """Epochs trained: one per entry of ``loss_history``."""
        return len(self.loss_history)
