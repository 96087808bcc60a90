"""Checkpoints of a long training run, and resuming one after a crash.

A checkpoint is an ordinary native model file (``Word2Vec.load`` reads it) whose metadata
also says where the run stood: the epoch, the first chunk of the corpus not trained yet,
the words trained so far (which set the learning rate) and a fingerprint of the encoded
corpus. It is written atomically at points where every chunk handed to a thread is
finished, so resuming trains exactly the chunks that were left, with the same random
streams and the same learning rate: with one thread, a resumed run ends with the very
weights of a run that never stopped.
"""

from __future__ import annotations

import logging
import math
import os
import re
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

from .._util.validation import check_int, check_number
from ..data.encoding import EncodedCorpus
from ..io.archive import read_meta
from .model_files import read_model, save_state
from .state import ModelState
from .trainer import RunPosition

__all__ = ["CheckpointEvery", "Checkpointer", "RunRecord", "check_corpus", "corpus_fingerprint",
           "load_checkpoint", "parse_every", "start_checkpoints"]

logger = logging.getLogger("w2v")

_UNITS = {"ms": 0.001, "s": 1, "sec": 1, "second": 1, "seconds": 1, "m": 60, "min": 60,
          "minute": 60, "minutes": 60, "h": 3600, "hour": 3600, "hours": 3600}
_SPEC = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*")


@dataclass(frozen=True)
class CheckpointEvery:
    """How often to checkpoint: every ``seconds`` of training, or every ``epochs`` epochs."""

    seconds: float | None = None
    epochs: int | None = None

    def __str__(self) -> str:
        if self.epochs is not None:
            return f"{self.epochs} epoch{'s' if self.epochs > 1 else ''}"
        return f"{self.seconds:g}s"


def parse_every(every: float | str | CheckpointEvery | None) -> CheckpointEvery:
    """Read a ``checkpoint_every`` value: a number of seconds, or a string with a unit.

    Parameters
    ----------
    every : seconds (``600``), ``"600s"``, ``"10min"``, ``"2h"``, ``"1 epoch"`` or
        ``"3 epochs"``; None means every epoch.

    Example
    -------
    >>> parse_every("10min"), parse_every("2 epochs"), parse_every(None)
    (CheckpointEvery(seconds=600.0, epochs=None), CheckpointEvery(seconds=None, epochs=2), \
CheckpointEvery(seconds=None, epochs=1))
    """
    if every is None:
        return CheckpointEvery(epochs=1)
    if isinstance(every, CheckpointEvery):
        return every
    problem = (f"checkpoint_every must be a number of seconds or a string such as '10min', "
               f"'2h' or '1 epoch', got {every!r}")
    if isinstance(every, bool):
        raise ValueError(problem)
    if isinstance(every, (int, float)):
        number, unit = float(every), "s"
    elif isinstance(every, str) and (match := _SPEC.fullmatch(every.lower())):
        number, unit = float(match[1]), match[2] or "s"
    else:
        raise ValueError(problem)
    if unit in ("epoch", "epochs"):
        if number != int(number) or number < 1:
            raise ValueError(f"checkpoint_every in epochs must be a whole number >= 1, "
                             f"got {every!r}")
        return CheckpointEvery(epochs=int(number))
    if unit not in _UNITS or not 0 < number < math.inf:
        raise ValueError(problem)
    return CheckpointEvery(seconds=number * _UNITS[unit])


def corpus_fingerprint(encoded: EncodedCorpus) -> int:
    """A CRC-32 of the encoded corpus (word ids and sentence bounds), so a resumed run can
    tell it is given the corpus it was trained on, not one of the same length.

    Example
    -------
    >>> from w2v.data.encoding import encode_corpus
    >>> a = encode_corpus([["a", "b"]], {"a": 0, "b": 1})
    >>> b = encode_corpus([["b", "a"]], {"a": 0, "b": 1})
    >>> corpus_fingerprint(a) != corpus_fingerprint(b)
    True
    """
    crc = zlib.crc32(encoded.offsets.data.cast("B"))
    step = 1 << 24  # words per call: no copy of a corpus spilled to a memory-mapped file
    for lo in range(0, len(encoded.ids), step):
        crc = zlib.crc32(encoded.ids[lo:lo + step].data.cast("B"), crc)
    return crc


@dataclass(frozen=True)
class RunRecord:
    """What a checkpoint knows about its run besides the model."""

    run_epochs: int  # epochs of the ``train()`` call
    first_epoch: int  # epochs trained before it
    position: RunPosition
    corpus_words: int  # tokens per epoch, out-of-vocabulary ones included
    trained_words: int  # in-vocabulary tokens per epoch
    fingerprint: int
    every: CheckpointEvery
    corpus: dict[str, Any] | None  # how to reopen a file corpus, else None

    def as_meta(self) -> dict[str, Any]:
        meta = asdict(self)
        meta["position"] = asdict(self.position)
        meta["every"] = asdict(self.every)
        return meta

    @property
    def complete(self) -> bool:
        return self.position.epoch >= self.run_epochs

    @classmethod
    def from_meta(cls, meta: Any, where: str, epochs_trained: int) -> RunRecord:
        """Validate the ``checkpoint`` section of a model file; ValueError naming the field."""
        if not isinstance(meta, dict):
            raise ValueError(f"{where}: not a checkpoint (its metadata has no 'checkpoint' "
                             "section); it is a model: Word2Vec.load() it instead")

        def number(section: dict, name: str, minimum: int) -> int:
            return check_int(f"{where}: checkpoint field {name!r}", section.get(name),
                             minimum=minimum, maximum=2**63 - 1)

        position = meta.get("position")
        every = meta.get("every")
        corpus = meta.get("corpus")
        if not isinstance(position, dict) or not isinstance(every, dict):
            raise ValueError(f"{where}: checkpoint fields 'position' and 'every' must be objects")
        record = cls(
            run_epochs=number(meta, "run_epochs", 1), first_epoch=number(meta, "first_epoch", 0),
            position=RunPosition(
                epoch=number(position, "epoch", 0), next_chunk=number(position, "next_chunk", 0),
                words_done=number(position, "words_done", 0),
                epoch_loss=check_number(f"{where}: checkpoint field 'epoch_loss'",
                                        position.get("epoch_loss"), minimum=0.0),
                epoch_examples=number(position, "epoch_examples", 0)),
            corpus_words=number(meta, "corpus_words", 1),
            trained_words=number(meta, "trained_words", 1),
            fingerprint=number(meta, "fingerprint", 0),
            every=parse_every(every.get("seconds") if every.get("epochs") is None
                              else f"{every['epochs']} epochs"),
            corpus=_corpus_meta(corpus, where),
        )
        p = record.position
        if (p.epoch > record.run_epochs or record.first_epoch + p.epoch != epochs_trained
                or p.words_done > record.trained_words * record.run_epochs
                or (record.complete and p.next_chunk)):
            raise ValueError(f"{where}: the checkpoint's position (epoch {p.epoch}, chunk "
                             f"{p.next_chunk}, {p.words_done} words) does not fit its run "
                             f"of {record.run_epochs} epochs or the model's "
                             f"{epochs_trained} epochs trained")
        return record


def _corpus_meta(corpus: Any, where: str) -> dict[str, Any] | None:
    if corpus is None:
        return None
    fields = {"path": str, "max_sentence_length": int, "encoding": str, "encoding_errors": str,
              "max_token_length": int}
    if not isinstance(corpus, dict) or set(corpus) != set(fields) or not all(
            type(corpus[name]) is kind for name, kind in fields.items()):
        raise ValueError(f"{where}: checkpoint field 'corpus' must be null or an object with "
                         f"{', '.join(fields)}")
    return corpus


class Checkpointer:
    """Saves a model's state and its run's position to ``path``, atomically, on a schedule.

    Parameters
    ----------
    snapshot : returns the state of the model being trained (``model.state``).
    path : the checkpoint (folder or ``.zip``), replaced at each save.
    every : a :class:`CheckpointEvery` (see :func:`parse_every`).
    record : the run's description; its ``position`` is replaced at each save.
    base_seconds : the model's training time before this run (each checkpoint records
        that plus the time since the checkpointer was made).

    Example
    -------
    >>> state, record = load_checkpoint("run.zip")
    >>> checkpointer = Checkpointer(model.state, "copy.zip", parse_every("10min"), record,
    ...                             model.training_seconds)
    >>> checkpointer.due_now(), checkpointer.due_after_epoch(record.run_epochs)
    (False, True)
    """

    def __init__(self, snapshot: Callable[[], ModelState], path: str | os.PathLike,
                 every: CheckpointEvery, record: RunRecord, base_seconds: float) -> None:
        self.snapshot = snapshot
        self.path = os.fspath(path)
        self.every = every
        self.record = record
        self.last_save = time.monotonic()
        self.saves = 0
        # the model's training time so far, and since when it is training again: each
        # checkpoint records the time up to itself, not the time before this call
        self.base_seconds = base_seconds
        self.created = time.perf_counter()

    def due_now(self) -> bool:
        """Whether a time-based checkpoint is due (polled while the threads train)."""
        return (self.every.seconds is not None
                and time.monotonic() - self.last_save >= self.every.seconds)

    def due_after_epoch(self, epochs_done: int) -> bool:
        """Whether to checkpoint at the end of the run's ``epochs_done``-th epoch: on the
        epoch schedule, when the time is due, and always after the run's last epoch."""
        if epochs_done >= self.record.run_epochs or self.due_now():
            return True
        return self.every.epochs is not None and epochs_done % self.every.epochs == 0

    def save(self, position: RunPosition) -> None:
        """Write the model and ``position`` atomically (the previous checkpoint stays
        whole until the new one is complete)."""
        started = time.perf_counter()
        self.record = replace(self.record, position=position)
        # the model counts this run's time when it ends; the checkpoint, up to itself
        state = replace(self.snapshot(),
                        training_seconds=self.base_seconds + (started - self.created))
        save_state(state, self.path, checkpoint=self.record.as_meta())
        self.saves += 1
        self.last_save = time.monotonic()
        where = (f"after epoch {position.epoch}" if position.next_chunk == 0 else
                 f"in epoch {position.epoch + 1}, before chunk {position.next_chunk}")
        logger.info("checkpoint %s written %s of %d (%.1fs)", self.path, where,
                    self.record.run_epochs, time.perf_counter() - started)


def start_checkpoints(snapshot: Callable[[], ModelState], path: str | os.PathLike,
                      every: float | str | CheckpointEvery | None,
                      corpus: dict[str, Any] | None, encoded: EncodedCorpus, epochs: int,
                      epochs_trained: int, training_seconds: float) -> Checkpointer:
    """The :class:`Checkpointer` of a new run of ``epochs`` epochs over ``encoded``.

    Raises FileExistsError if ``path`` holds the checkpoint of a run that did not finish
    (resume it, or delete it), so a restarted script cannot overwrite it.

    Parameters
    ----------
    snapshot : returns the state of the model being trained (``model.state``).
    path, every : where to write checkpoints, and how often (see :func:`parse_every`).
    corpus : how to reopen a file corpus (``PathCorpus``'s arguments), or None for
        sentences in memory (a resume must be given them again).
    encoded : the encoded corpus of the run.
    epochs : epochs of the run.
    epochs_trained, training_seconds : the model's, before the run.

    Example
    -------
    >>> checkpointer = start_checkpoints(model.state, "new-run.zip", "10min", None, encoded, 5,
    ...                                  model.epochs_trained, model.training_seconds)
    >>> checkpointer.record.run_epochs, checkpointer.record.first_epoch == model.epochs_trained
    (5, True)
    """
    every = parse_every(every)
    if os.path.lexists(path) and _unfinished(path):
        raise FileExistsError(
            f"{os.fspath(path)} holds the checkpoint of a run that did not finish: resume it "
            "with w2v.resume(path) (w2v train --resume), or delete it to start afresh")
    record = RunRecord(
        run_epochs=epochs, first_epoch=epochs_trained,
        position=RunPosition(0, 0, 0, 0.0, 0), corpus_words=encoded.corpus_words,
        trained_words=encoded.words, fingerprint=corpus_fingerprint(encoded), every=every,
        corpus=corpus)
    return Checkpointer(snapshot, path, every, record, training_seconds)


def _unfinished(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a checkpoint of a run that has epochs left."""
    try:
        _, meta = read_meta(path)
        run = meta["checkpoint"]
        return run["position"]["epoch"] < run["run_epochs"]
    except (ValueError, OSError, KeyError, TypeError):  # not a (readable) checkpoint
        return False


def load_checkpoint(path: str | os.PathLike) -> tuple[ModelState, RunRecord]:
    """Read a checkpoint written during training: the model's state, and where its run
    stood (ValueError naming the field if either does not hold together).

    Example
    -------
    >>> state, record = load_checkpoint("run.zip")  # a run of 2 epochs, checkpointed after each
    >>> record.run_epochs, record.complete, state.epochs_trained
    (2, True, 2)
    """
    where = os.fspath(path)
    state, meta = read_model(path)
    return state, RunRecord.from_meta(meta, where, state.epochs_trained)


def check_corpus(record: RunRecord, encoded: EncodedCorpus, where: str) -> None:
    """ValueError unless ``encoded`` is the corpus the checkpointed run trained on: as
    many tokens, as many of them in the vocabulary, the same fingerprint.

    Example
    -------
    >>> from w2v import PathCorpus
    >>> from w2v.data.encoding import encode_corpus
    >>> state, record = load_checkpoint("run.zip")
    >>> check_corpus(record, encode_corpus(PathCorpus("corpus.txt"), state.vocab.key_to_index),
    ...              "run.zip")  # the corpus of the run: no error
    >>> check_corpus(record, encode_corpus([["the", "king"]], state.vocab.key_to_index),
    ...              "run.zip")
    Traceback (most recent call last):
    ...
    ValueError: run.zip: this corpus is not the one the run was trained on: 2 tokens, ...
    """
    counts = (encoded.corpus_words, encoded.words)
    if counts != (record.corpus_words, record.trained_words):
        raise ValueError(
            f"{where}: this corpus is not the one the run was trained on: {counts[0]} tokens, "
            f"{counts[1]} in the vocabulary, against {record.corpus_words} and "
            f"{record.trained_words}; pass the same corpus")
    if corpus_fingerprint(encoded) != record.fingerprint:
        raise ValueError(f"{where}: this corpus is not the one the run was trained on: as "
                         "many tokens, but other words or other sentences; pass the same corpus")
