"""Training callbacks: hooks the main thread calls while the worker threads train."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Callback", "TrainingProgress"]


@dataclass(frozen=True)
class TrainingProgress:
    """Where a training run is, as ``on_batch_end`` sees it.

    Attributes
    ----------
    epoch : the epoch under way, counted from 0 within this ``train()`` call.
    epochs : epochs this call trains.
    words_done, total_words : in-vocabulary words processed so far / in the whole call.
    words_per_second : corpus words (out-of-vocabulary ones included) per second so far.
    alpha : the current learning rate.
    loss : mean loss per example so far in this epoch (NaN before the first chunk ends).
    elapsed : seconds since this call began training.
    """

    epoch: int
    epochs: int
    words_done: int
    total_words: int
    words_per_second: float
    alpha: float
    loss: float
    elapsed: float

    @property
    def fraction(self) -> float:
        """The share of this call's words done, 0.0 to 1.0."""
        return self.words_done / self.total_words if self.total_words else 1.0


class Callback:
    """Base class for training callbacks; override the hooks you need.

    Every hook runs in the thread that called ``train()``, never in a worker thread.
    A hook that returns ``False`` stops training (as ``model.stop()`` does): the chunks
    under way finish, the threads' changes are merged, and ``train()`` returns a valid
    model. Objects that are not ``Callback`` subclasses work too, as long as they
    have the hooks they want called (gensim-style callbacks with ``on_epoch_end(model)``
    are called with the model alone).

    Example
    -------
    >>> class StopWhenLow(Callback):
    ...     def on_batch_end(self, model, progress):
    ...         return progress.loss > 1.0   # False stops training
    >>> from w2v import Word2Vec
    >>> model = Word2Vec(corpus, min_count=1, callbacks=[StopWhenLow()]).train()
    >>> model.epochs_trained < 5 or model.loss_history[-1] > 1.0
    True
    """

    def on_train_begin(self, model) -> bool | None:
        """Before the first epoch of a ``train()`` call."""

    def on_train_end(self, model) -> bool | None:
        """After the last epoch (or the stop), once the weights are complete."""

    def on_epoch_begin(self, model, epoch: int) -> bool | None:
        """Before epoch ``epoch`` (0-based within the call)."""

    def on_epoch_end(self, model, epoch: int) -> bool | None:
        """After epoch ``epoch``; ``model.loss_history[-1]`` is its loss."""

    def on_batch_end(self, model, progress: TrainingProgress) -> bool | None:
        """Every few tenths of a second while training, with the progress so far."""
