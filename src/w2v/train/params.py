"""Training parameters: one validated, immutable record (gensim's names)."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

from .._util.validation import (
    InvalidParameterError,
    check_choice,
    check_flag,
    check_int,
    check_number,
)

__all__ = ["TrainingParams", "LOSSES"]

#: Values accepted for ``loss``: None selects the objectives with ``hs`` and ``negative``.
LOSSES = (None, "softmax")
#: Upper bounds that keep the kernel's buffer sizes far from overflow.
MAX_WINDOW = 10_000  # the longest sentence (corpus.MAX_SENTENCE_LENGTH): more changes nothing
MAX_NEGATIVE = 10_000
MAX_VECTOR_SIZE = 1_000_000


def _default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class TrainingParams:
    """Everything that shapes a word2vec run; invalid values raise ``InvalidParameterError``
    (a ``ValueError`` naming the parameter).

    Parameters
    ----------
    vector_size : dimensions of the word vectors.
    window : largest distance between a word and its context; each position draws its
        effective window uniformly in ``1..window``.
    min_count : words seen fewer times are left out of the vocabulary.
    sg : 1 for skip-gram, 0 for CBOW.
    hs : 1 to train hierarchical softmax.
    negative : noise words per example for negative sampling (0 turns it off).
    ns_exponent : the noise distribution is ``count ** ns_exponent``.
    cbow_mean : CBOW's hidden layer is the mean (1) or the sum (0) of the context.
    sample : subsampling threshold for frequent words (0 turns it off).
    alpha : starting learning rate; None means 0.025 for skip-gram and 0.05 for CBOW.
    min_alpha : learning rate at the end of the run (linear decay over all epochs).
    epochs : passes over the corpus per ``train()``.
    workers : training threads; None means the number of cores available.
    seed : seed of the weight initialisation and of every random draw.
    max_vocab_size : bound on distinct words held while scanning (C-tool pruning).
    max_final_vocab : bound on the final vocabulary (``min_count`` is raised to meet it).
    loss : None (objectives from ``hs`` / ``negative``) or ``"softmax"`` for the full
        softmax with cross-entropy alone (``hs`` must be 0; ``negative`` is not used).
    batch : share noise words (fewer random draws and memory fetches). Skip-gram with
        negative sampling (and no ``hs``): train each centre word's window as one update
        whose noise words are drawn once and shared by all its contexts (pWord2Vec's
        HogBatch). Both architectures with negative sampling: positions eight apart share
        their noise words, four to a draw (CBOW 1.3x faster, skip-gram 1.1x; as accurate
        over 3 and 6 seeds). False gives the C tool's per-pair (per-position) draws.
        Skip-gram with hierarchical softmax always trains pair by pair: batching it
        bought no speed and cost 1.2 analogy points on wiki17m.
    memory_check : before allocating the weights, compare what the model will hold with
        the memory the process can have, and raise :class:`~w2v.InsufficientMemoryError`
        (naming the sizes) when it is short. False skips the check, for users who know
        better (memory that a limit w2v reads does not count, or swap on purpose).

    Example
    -------
    >>> TrainingParams(sg=1).start_alpha
    0.025
    """

    vector_size: int = 100
    window: int = 5
    min_count: int = 5
    sg: int = 0
    hs: int = 0
    negative: int = 5
    ns_exponent: float = 0.75
    cbow_mean: int = 1
    sample: float = 1e-3
    alpha: float | None = None
    min_alpha: float = 1e-4
    epochs: int = 5
    workers: int | None = None
    seed: int = 1
    max_vocab_size: int | None = None
    max_final_vocab: int | None = None
    loss: str | None = None
    batch: bool = True
    memory_check: bool = True

    def __post_init__(self) -> None:
        # the kernel's per-thread buffers are sized from these: bounded, they cannot
        # overflow (a window beyond the longest sentence, 10,000 tokens, changes nothing)
        self._set_int("vector_size", minimum=1, maximum=MAX_VECTOR_SIZE)
        self._set_int("window", minimum=1, maximum=MAX_WINDOW)
        self._set_int("min_count", minimum=0)
        check_flag("sg", self.sg)
        check_flag("hs", self.hs)
        self._set_int("negative", minimum=0, maximum=MAX_NEGATIVE)
        # The kernel sizes per-thread buffers with C int products of these: a larger one
        # would overflow into a too-small buffer when training (a crash, not an error).
        if 2 * self.window * max(self.vector_size, self.negative + 1) > 2**31 - 1:
            raise InvalidParameterError(
                f"window {self.window} with vector_size {self.vector_size} and negative "
                f"{self.negative} is too large to train (2 * window * max(vector_size, "
                "negative + 1) must be < 2**31)")
        check_number("ns_exponent", self.ns_exponent)
        check_flag("cbow_mean", self.cbow_mean)
        check_number("sample", self.sample, minimum=0.0)
        check_number("alpha", self.alpha, minimum=0.0, strict=True, allow_none=True)
        check_number("min_alpha", self.min_alpha, minimum=0.0)
        if self.min_alpha > self.start_alpha:
            raise InvalidParameterError(
                f"min_alpha ({self.min_alpha}) must not exceed alpha ({self.start_alpha})"
            )
        self._set_int("epochs", minimum=1)
        self._set_int("workers", minimum=1, allow_none=True)
        self._set_int("seed", minimum=0)
        self._set_int("max_vocab_size", minimum=1, allow_none=True)
        self._set_int("max_final_vocab", minimum=1, allow_none=True)
        check_flag("batch", self.batch)
        check_flag("memory_check", self.memory_check)
        self._check_objectives()

    def _set_int(self, name: str, *, minimum: int, maximum: int | None = None,
                 allow_none: bool = False) -> None:
        # a numpy integer becomes a Python int, so that the record stays JSON-ready
        value = check_int(name, getattr(self, name), minimum=minimum, maximum=maximum,
                          allow_none=allow_none)
        object.__setattr__(self, name, value)

    def _check_objectives(self) -> None:
        check_choice("loss", self.loss, LOSSES)
        if self.loss == "softmax" and self.hs:
            raise InvalidParameterError("loss='softmax' trains the full softmax alone: set hs=0")
        if self.loss is None and not self.hs and self.negative == 0:
            raise InvalidParameterError(
                "no training objective selected: set negative > 0, hs=1, or loss='softmax'"
            )

    @property
    def start_alpha(self) -> float:
        """The learning rate at the start of a run."""
        if self.alpha is not None:
            return float(self.alpha)
        return 0.025 if self.sg else 0.05

    @property
    def softmax(self) -> bool:
        """Whether the full softmax is trained."""
        return self.loss == "softmax"

    @property
    def noise_words(self) -> int:
        """Negative samples per example actually drawn (0 under the full softmax)."""
        return 0 if self.softmax else self.negative

    @property
    def needs_out_words(self) -> bool:
        """Whether the model has output word vectors (``syn1neg``)."""
        return self.noise_words > 0 or self.softmax

    @property
    def threads(self) -> int:
        """The number of training threads."""
        return self.workers if self.workers is not None else _default_workers()

    def as_dict(self) -> dict[str, Any]:
        """The parameters as a plain dict (JSON-ready).

        Example
        -------
        >>> TrainingParams().as_dict()["window"]
        5
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}
