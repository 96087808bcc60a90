"""gensim's callback base class, and the adapter that runs such callbacks in w2v's loop."""

from __future__ import annotations

from typing import Any


class CallbackAny2Vec:
    """Base class of gensim-style callbacks: override the hooks you need; each receives
    the compat model.

    w2v's training loop reports progress every few tenths of a second; one such report
    is a "batch": ``on_batch_begin`` and ``on_batch_end`` are both called at it.

    Example
    -------
    >>> from w2v.compat.gensim import Word2Vec
    >>> class Epochs(CallbackAny2Vec):
    ...     def __init__(self):
    ...         self.seen = 0
    ...     def on_epoch_end(self, model):
    ...         self.seen += 1
    >>> counter = Epochs()
    >>> _ = Word2Vec([["a", "b"]] * 20, min_count=1, epochs=3, callbacks=[counter])
    >>> counter.seen
    3
    """

    def on_epoch_begin(self, model: Any) -> None:
        """Called at the start of each epoch."""

    def on_epoch_end(self, model: Any) -> None:
        """Called at the end of each epoch."""

    def on_batch_begin(self, model: Any) -> None:
        """Called before each progress report's work is counted."""

    def on_batch_end(self, model: Any) -> None:
        """Called at each progress report."""

    def on_train_begin(self, model: Any) -> None:
        """Called at the start of ``train()``."""

    def on_train_end(self, model: Any) -> None:
        """Called at the end of ``train()``."""


class GensimHooks:
    """A w2v callback that calls a gensim-style callback's hooks with the compat model.

    Example
    -------
    >>> class Record(CallbackAny2Vec):
    ...     def on_train_begin(self, model):
    ...         print("begin", model)
    >>> GensimHooks(Record(), "compat model").on_train_begin(None)
    begin compat model
    """

    def __init__(self, callback: Any, model: Any) -> None:
        self.callback = callback
        self.model = model

    def _call(self, hook: str) -> None:
        method = getattr(self.callback, hook, None)
        if method is not None:
            method(self.model)

    def on_train_begin(self, model: Any) -> None:
        self._call("on_train_begin")

    def on_train_end(self, model: Any) -> None:
        self._call("on_train_end")

    def on_epoch_begin(self, model: Any, epoch: int) -> None:
        self._call("on_epoch_begin")

    def on_epoch_end(self, model: Any, epoch: int) -> None:
        self._call("on_epoch_end")

    def on_batch_end(self, model: Any, progress: Any) -> None:
        self._call("on_batch_begin")
        self._call("on_batch_end")
