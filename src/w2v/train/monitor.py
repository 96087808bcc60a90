"""What the main thread does while the workers train: progress bar, callbacks, logging,
and the model's per-epoch records."""

from __future__ import annotations

import contextlib
import inspect
import logging
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, TypeGuard

import numpy as np

from ..vectors.keyedvectors import KeyedVectors
from .callbacks import TrainingProgress
from .state import TrainingHistory

__all__ = ["TrainingMonitor", "in_notebook", "log_above_bar", "show_progress"]

logger = logging.getLogger("w2v")


def in_notebook() -> bool:
    """Whether this is a Jupyter kernel (notebook, JupyterLab, VS Code, Colab), where
    stderr is not a terminal but a progress bar shows all the same."""
    ipython = sys.modules.get("IPython")
    if ipython is None or "ipykernel" not in sys.modules:
        return False
    try:
        shell = ipython.get_ipython()
    except Exception:  # an IPython without get_ipython, or one that fails: not a notebook
        return False
    return type(shell).__name__ == "ZMQInteractiveShell"


def show_progress(progress: bool | None, stream=None) -> bool:
    """Whether to draw the progress bar: ``progress`` if given, else whether ``stream``
    (default ``sys.stderr``) is a terminal or this is a Jupyter notebook.

    Example
    -------
    >>> show_progress(False), show_progress(True)
    (False, True)
    """
    if progress is not None:
        return bool(progress)
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        if isatty and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    return in_notebook()


class Monitored(Protocol):
    """What a :class:`TrainingMonitor` needs of the model it watches (a
    :class:`~w2v.Word2Vec` is one): the record it writes to and the vectors it checks;
    callbacks get the model itself."""

    history: TrainingHistory

    @property
    def wv(self) -> KeyedVectors: ...


class _AboveBarHandler(logging.Handler):
    """Writes what a console handler would, through ``tqdm.write`` so the bar stays whole."""

    def __init__(self, original: logging.StreamHandler, write: Callable) -> None:
        super().__init__(original.level)
        self.setFormatter(original.formatter)
        self.filters = list(original.filters)
        self.stream = original.stream
        self._write = write

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._write(self.format(record), file=self.stream)
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)


def _is_console(handler: logging.Handler) -> TypeGuard[logging.StreamHandler]:
    stream = getattr(handler, "stream", None)
    return (isinstance(handler, logging.StreamHandler) and stream is not None
            and stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__))


@contextlib.contextmanager
def log_above_bar(write: Callable, logger: logging.Logger | None = None) -> Iterator[None]:
    """While inside, the console handlers that ``logger``'s records reach write through
    ``write`` (``tqdm.write``), so log lines print above a progress bar instead of
    through it.

    Only handlers that write to stdout or stderr are swapped, on ``logger`` and on each
    ancestor it propagates to, keeping their level, format and filters; file handlers
    are left alone and no handler is added (library logging stays silent by default).
    Python's last-resort handler, which prints warnings when nothing is configured, is
    swapped too. Everything is put back on the way out.

    Parameters
    ----------
    write : a function ``write(text, file=stream)``, such as ``tqdm.tqdm.write``.
    logger : the logger whose records to route; default ``logging.getLogger("w2v")``.

    Example
    -------
    >>> from tqdm import tqdm
    >>> logger = logging.getLogger("w2v.example")
    >>> logger.propagate = False
    >>> logger.addHandler(logging.StreamHandler(sys.stdout))
    >>> with log_above_bar(tqdm.write, logger):  # the handler now writes through tqdm
    ...     logger.warning("printed above the bar")
    printed above the bar
    """
    logger = logging.getLogger("w2v") if logger is None else logger
    swapped: list[tuple[logging.Logger, list[logging.Handler]]] = []
    last_resort = logging.lastResort
    node: logging.Logger | None = logger
    try:
        while node is not None:
            if any(_is_console(handler) for handler in node.handlers):
                swapped.append((node, node.handlers))
                node.handlers = [_AboveBarHandler(handler, write) if _is_console(handler)
                                 else handler for handler in node.handlers]
            node = node.parent if node.propagate else None
        if isinstance(last_resort, logging.StreamHandler):
            logging.lastResort = _AboveBarHandler(last_resort, write)
        yield
    finally:
        logging.lastResort = last_resort
        for node, handlers in swapped:
            node.handlers = handlers


def _call(callback, hook: str, model, *args) -> bool:
    """Call ``callback.hook(model, *args)`` if it exists; False when it asks to stop.

    A hook that takes only the model (gensim's ``on_epoch_end(model)``) gets only it.
    """
    method = getattr(callback, hook, None)
    if method is None:
        return True
    try:
        n_params = len(inspect.signature(method).parameters)
    except (TypeError, ValueError):
        n_params = 1 + len(args)
    result = method(model, *args) if n_params > 1 else method(model)
    return result is not False


class TrainingMonitor:
    """Progress bar, callbacks and records of one ``train()`` call.

    Used as a context manager around training, which draws the bar (and closes it on any
    exit). Inside, the trainer calls :meth:`begin`, :meth:`epoch_begin`, :meth:`tick`
    (every ``trainer.REPORT_SECONDS``), :meth:`epoch_end` and :meth:`end` from the main
    thread; the first four return False when training should stop.

    Parameters
    ----------
    model : the Word2Vec being trained: what the callbacks are given; its ``wv.vectors``
        are checked for divergence at each epoch's end, and its ``history``
        (:class:`~w2v.train.state.TrainingHistory`) gets each epoch's loss and examples as
        the epoch ends, the running loss at every report.
    callbacks : objects with any of the :class:`~w2v.callbacks.Callback` hooks.
    progress : draw a tqdm bar on stderr (True), not (False), or only on a terminal or
        in a notebook (None).
    epochs, total_words, corpus_words : this call's epochs, in-vocabulary words over all
        epochs, and corpus words (out-of-vocabulary ones included) per epoch.
    start_alpha, min_alpha : the learning-rate schedule.
    first_epoch : epochs the model had trained before this run (default: as it has now;
        a resumed run passes its run's).
    words_at_start : words of the run trained before this call (a resumed run's).

    Example
    -------
    >>> from w2v.train.trainer import run_epochs
    >>> with TrainingMonitor(model, [], False, plan.epochs, encoded.words,
    ...                      encoded.corpus_words, 0.025, 1e-4) as monitor:
    ...     _ = run_epochs(training_kernel, encoded, plan, monitor)
    >>> model.epochs_trained  # the 5 epochs it had, and this one
    6
    """

    def __init__(self, model: Monitored, callbacks: Iterable, progress: bool | None, epochs: int,
                 total_words: int, corpus_words: int, start_alpha: float,
                 min_alpha: float, first_epoch: int | None = None,
                 words_at_start: int = 0) -> None:
        self.model = model
        self.history: TrainingHistory = model.history
        self.callbacks = list(callbacks)
        self.epochs = epochs
        self.total_words = total_words
        self.corpus_words = corpus_words
        self.start_alpha = start_alpha
        self.min_alpha = min_alpha
        self.first_epoch = self.history.epochs if first_epoch is None else first_epoch
        self.words_at_start = words_at_start
        self.started = time.perf_counter()
        self.epoch_started = self.started
        self.show_bar = show_progress(progress)
        self.bar: Any = None  # a tqdm bar while one is drawn
        self.bar_words = words_at_start
        self.words_done = words_at_start
        self._exit_stack = contextlib.ExitStack()

    def __enter__(self) -> TrainingMonitor:
        """Draw the bar (if shown) and route console logging above it until the exit."""
        if self.show_bar:
            from tqdm.auto import tqdm

            bar = tqdm(total=self.total_words, initial=self.words_at_start, unit="word",
                       unit_scale=True, desc="w2v", file=sys.stderr, dynamic_ncols=True,
                       leave=True)
            self.bar = bar
            self._exit_stack.callback(bar.close)
            self._exit_stack.enter_context(log_above_bar(tqdm.write))
        return self

    def __exit__(self, *exc_info) -> None:
        """Close the bar, even when training ended with an error or Ctrl-C."""
        self._exit_stack.close()

    def _all(self, hook: str, *args) -> bool:
        go_on = True
        for callback in self.callbacks:
            go_on = _call(callback, hook, self.model, *args) and go_on
        return go_on

    def fraction_done(self) -> float:
        """The share of this call's words trained, as of the last report."""
        return self.words_done / self.total_words if self.total_words else 1.0

    def interruption_report(self) -> str:
        """How far an interrupted training got, and what the model now holds."""
        done = self.fraction_done()
        epoch = min(int(done * self.epochs) + 1, self.epochs)
        return (f"stopped {done:.1%} of the way through this run's {self.epochs} epochs "
                f"(in epoch {epoch}); the model is consistent, with "
                f"{self.history.epochs} epochs trained in all, the last one partly: "
                "save it, use it, or train it further")

    def alpha(self, words_done: int) -> float:
        """The learning rate after ``words_done`` words, as the kernel computes it."""
        fraction = words_done / self.total_words if self.total_words else 1.0
        decayed = self.start_alpha - (self.start_alpha - self.min_alpha) * fraction
        return max(self.min_alpha, decayed)

    def begin(self) -> bool:
        return self._all("on_train_begin")

    def epoch_begin(self, epoch: int) -> bool:
        self.epoch_started = time.perf_counter()
        return self._all("on_epoch_begin", epoch)

    def tick(self, epoch: int, words_done: int, loss: float, examples: int) -> bool:
        """Progress so far: update the bar and the records, call ``on_batch_end``."""
        elapsed = time.perf_counter() - self.started
        self.words_done = words_done
        fraction = words_done / self.total_words if self.total_words else 1.0
        mean_loss = loss / examples if examples else math.nan
        trained = (words_done - self.words_at_start) / self.total_words if self.total_words else 0
        speed = trained * self.epochs * self.corpus_words / elapsed if elapsed > 0 else 0.0
        progress = TrainingProgress(epoch=epoch, epochs=self.epochs, words_done=words_done,
                                    total_words=self.total_words, words_per_second=speed,
                                    alpha=self.alpha(words_done), loss=mean_loss,
                                    elapsed=elapsed)
        if examples:
            self.history.add_progress(self.first_epoch + fraction * self.epochs, mean_loss)
        if self.bar is not None:
            self.bar.update(words_done - self.bar_words)
            self.bar_words = words_done
            self.bar.set_postfix_str(f"epoch {epoch + 1}/{self.epochs} lr {progress.alpha:.5f} "
                                     f"loss {mean_loss:.4f}", refresh=False)
        return self._all("on_batch_end", progress)

    def epoch_end(self, epoch: int, loss: float, examples: int, complete: bool) -> bool:
        """Record the epoch in the model, log it, call ``on_epoch_end``."""
        self.history.add_epoch(loss / max(examples, 1), int(examples))
        seconds = time.perf_counter() - self.epoch_started
        logger.info("epoch %d/%d%s: loss %.4f over %d examples, %.1fs (%.0f words/s)",
                    epoch + 1, self.epochs, "" if complete else " (stopped early)",
                    self.history.loss[-1], examples, seconds,
                    self.corpus_words / seconds if seconds > 0 and complete else 0.0)
        self._check_finite(epoch)
        return self._all("on_epoch_end", epoch)

    def _check_finite(self, epoch: int) -> None:
        """Raise ValueError if training diverged: NaN or infinite word vectors (summed in
        float64, so no temporary the size of the matrix and no overflow of finite ones)."""
        total = np.add.reduce(self.model.wv.vectors, axis=None, dtype=np.float64)
        if not math.isfinite(total):
            raise ValueError(
                f"training diverged in epoch {epoch + 1}: the word vectors hold NaN or "
                f"infinite values; start again with a lower alpha (it was "
                f"{self.start_alpha:g}), a smaller window or fewer negative samples")

    def end(self, words_done: int) -> None:
        self.words_done = words_done
        if self.bar is not None:
            self.bar.update(words_done - self.bar_words)
            self.bar_words = words_done
            self.bar.refresh()
        self._all("on_train_end")
