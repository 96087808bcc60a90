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

import dataclasses
import logging
import math
import os
import re
import time
import zlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .encoding import EncodedCorpus
from .trainer import RunPosition

if TYPE_CHECKING:
    from .model import Word2Vec

__all__ = ["CheckpointEvery", "Checkpointer", "ResumedRun", "RunRecord", "corpus_fingerprint",
           "parse_every", "prepare_resume", "resume", "start_checkpoints"]

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
    >>> from w2v.encoding import encode_corpus
    >>> a = encode_corpus([["a", "b"]], {"a": 0, "b": 1})
    >>> b = encode_corpus([["b", "a"]], {"a": 0, "b": 1})
    >>> corpus_fingerprint(a) != corpus_fingerprint(b)
    True
    """
    crc = zlib.crc32(memoryview(encoded.offsets).cast("B"))
    step = 1 << 24  # words per call: no copy of a corpus spilled to a memory-mapped file
    for lo in range(0, len(encoded.ids), step):
        crc = zlib.crc32(memoryview(encoded.ids[lo:lo + step]).cast("B"), crc)
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

        def number(section: dict, name: str, minimum: int, kind=int) -> Any:
            value = section.get(name)
            valid = (kind is int and type(value) is int and minimum <= value < 2**63) or (
                kind is float and type(value) in (int, float) and minimum <= value < math.inf)
            if not valid:
                raise ValueError(f"{where}: checkpoint field {name!r} must be a "
                                 f"{'whole ' if kind is int else ''}number >= {minimum}, "
                                 f"got {value!r}")
            return kind(value)

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
                epoch_loss=number(position, "epoch_loss", 0, float),
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


def _describe_corpus(corpus: Any) -> dict[str, Any] | None:
    """How to reopen ``corpus`` if it is a file corpus (None for sentences in memory)."""
    from .corpus import PathCorpus

    if not isinstance(corpus, PathCorpus):
        return None
    return {"path": os.path.abspath(corpus.path), "max_sentence_length":
            corpus.max_sentence_length, "encoding": corpus.encoding,
            "encoding_errors": corpus.encoding_errors, "max_token_length": corpus.max_token_length}


class Checkpointer:
    """Saves a model and its run's position to ``path``, atomically, on a schedule.

    Parameters
    ----------
    model : the Word2Vec being trained.
    path : the checkpoint (folder or ``.zip``), replaced at each save.
    every : a :class:`CheckpointEvery` (see :func:`parse_every`).
    record : the run's description; its ``position`` is replaced at each save.

    Example
    -------
    >>> every = parse_every("10min")
    >>> checkpointer = Checkpointer(model, "run.zip", every, record)  # doctest: +SKIP
    """

    def __init__(self, model: Word2Vec, path: str | os.PathLike, every: CheckpointEvery,
                 record: RunRecord) -> None:
        self.model = model
        self.path = os.fspath(path)
        self.every = every
        self.record = record
        self.last_save = time.monotonic()
        self.saves = 0
        # the model's training time so far, and since when it is training again: each
        # checkpoint records the time up to itself, not the time before this call
        self.base_seconds = model.training_seconds
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
        from .model_files import save_model

        started = time.perf_counter()
        self.record = RunRecord(**{**self.record.__dict__, "position": position})
        seconds = self.model.training_seconds  # train() adds this call's time when it ends
        self.model.training_seconds = self.base_seconds + (started - self.created)
        try:
            save_model(self.model, self.path, checkpoint=self.record.as_meta())
        finally:
            self.model.training_seconds = seconds
        self.saves += 1
        self.last_save = time.monotonic()
        where = (f"after epoch {position.epoch}" if position.next_chunk == 0 else
                 f"in epoch {position.epoch + 1}, before chunk {position.next_chunk}")
        logger.info("checkpoint %s written %s of %d (%.1fs)", self.path, where,
                    self.record.run_epochs, time.perf_counter() - started)


def start_checkpoints(model: Word2Vec, path: str | os.PathLike,
                      every: float | str | CheckpointEvery | None, corpus: Any,
                      encoded: EncodedCorpus, epochs: int) -> Checkpointer:
    """The :class:`Checkpointer` of a new run of ``epochs`` epochs over ``encoded``.

    Raises FileExistsError if ``path`` holds the checkpoint of a run that did not finish
    (resume it, or delete it), so a restarted script cannot overwrite it.

    Example
    -------
    >>> start_checkpoints(model, "run.zip", "10min", corpus, encoded, 5)  # doctest: +SKIP
    """
    every = parse_every(every)
    if os.path.lexists(path) and _unfinished(path):
        raise FileExistsError(
            f"{os.fspath(path)} holds the checkpoint of a run that did not finish: resume it "
            "with w2v.resume(path) (w2v train --resume), or delete it to start afresh")
    record = RunRecord(
        run_epochs=epochs, first_epoch=model.epochs_trained,
        position=RunPosition(0, 0, 0, 0.0, 0), corpus_words=encoded.corpus_words,
        trained_words=encoded.words, fingerprint=corpus_fingerprint(encoded), every=every,
        corpus=_describe_corpus(corpus))
    return Checkpointer(model, path, every, record)


def _unfinished(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a checkpoint of a run that has epochs left."""
    from .archive import read_meta

    try:
        _, meta = read_meta(path)
        run = meta["checkpoint"]
        return run["position"]["epoch"] < run["run_epochs"]
    except (ValueError, OSError, KeyError, TypeError):  # not a (readable) checkpoint
        return False


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
        if self.checkpointer is None:
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
    >>> model = resume("run.zip")  # doctest: +SKIP
    """
    return prepare_resume(path, corpus, workers).run(callbacks, progress)


def prepare_resume(path: str | os.PathLike,
                   corpus: Iterable[list[str]] | str | None = None,
                   workers: int | None = None) -> ResumedRun:
    """Load a checkpoint and check ``corpus`` against it (see :func:`resume`), without
    training yet.

    Example
    -------
    >>> run = prepare_resume("run.zip")  # doctest: +SKIP
    >>> model = run.run()  # doctest: +SKIP
    """
    from .corpus import PathCorpus, as_corpus
    from .encoding import encode_corpus
    from .model_files import load_checkpoint

    where = os.fspath(path)
    model, record = load_checkpoint(path)
    if record.complete:
        logger.info("checkpoint %s: the run was complete", where)
        return ResumedRun(model, None, None)
    if corpus is None:
        if record.corpus is None:
            raise ValueError(f"{where} was saved while training on sentences in memory: "
                             "pass the same corpus to resume(path, corpus)")
        corpus = PathCorpus(**record.corpus)
    sentences = as_corpus(corpus)
    encoded = encode_corpus(sentences, model.vocab.key_to_index, model.vocab.retained_words)
    counts = (encoded.corpus_words, encoded.words)
    if counts != (record.corpus_words, record.trained_words):
        raise ValueError(
            f"{where}: this corpus is not the one the run was trained on: {counts[0]} tokens, "
            f"{counts[1]} in the vocabulary, against {record.corpus_words} and "
            f"{record.trained_words}; pass the same corpus")
    if corpus_fingerprint(encoded) != record.fingerprint:
        raise ValueError(f"{where}: this corpus is not the one the run was trained on: as "
                         "many tokens, but other words or other sentences; pass the same corpus")
    if workers is not None:
        model.params = dataclasses.replace(model.params, workers=workers)
    model._corpus, model._corpus_words = sentences, encoded.corpus_words
    logger.info("resuming %s in epoch %d of %d, at chunk %d", where, record.position.epoch + 1,
                record.run_epochs, record.position.next_chunk)
    return ResumedRun(model, encoded, Checkpointer(model, path, record.every, record))
