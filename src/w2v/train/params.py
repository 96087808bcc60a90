"""Training parameters: one validated, immutable record (gensim's names)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields

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
    """Everything that shapes a word2vec run; invalid values raise ``ValueError``.

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
    batch : skip-gram with negative sampling (and no ``hs``): train each centre word's
        window as one update whose noise words are drawn once and shared by all its
        contexts (pWord2Vec's HogBatch: fewer random draws and memory fetches). False gives
        the C tool's per-pair update. Hierarchical softmax always trains pair by pair:
        batching it bought no speed and cost 1.2 analogy points on wiki17m.

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

    def __post_init__(self) -> None:
        # the kernel's per-thread buffers are sized from these: bounded, they cannot
        # overflow (a window beyond the longest sentence, 10,000 tokens, changes nothing)
        _check_int("vector_size", self.vector_size, 1, MAX_VECTOR_SIZE)
        _check_int("window", self.window, 1, MAX_WINDOW)
        _check_int("min_count", self.min_count, 0)
        _check_flag("sg", self.sg)
        _check_flag("hs", self.hs)
        _check_int("negative", self.negative, 0, MAX_NEGATIVE)
        # The kernel sizes per-thread buffers with C int products of these: a larger one
        # would overflow into a too-small buffer when training (a crash, not an error).
        if 2 * self.window * max(self.vector_size, self.negative + 1) > 2**31 - 1:
            raise ValueError(
                f"window {self.window} with vector_size {self.vector_size} and negative "
                f"{self.negative} is too large to train (2 * window * max(vector_size, "
                "negative + 1) must be < 2**31)")
        _check_float("ns_exponent", self.ns_exponent)
        _check_flag("cbow_mean", self.cbow_mean)
        _check_float("sample", self.sample, minimum=0.0)
        if self.alpha is not None:
            _check_float("alpha", self.alpha, minimum=0.0, strict=True)
        _check_float("min_alpha", self.min_alpha, minimum=0.0)
        if self.min_alpha > self.start_alpha:
            raise ValueError(
                f"min_alpha ({self.min_alpha}) must not exceed alpha ({self.start_alpha})"
            )
        _check_int("epochs", self.epochs, 1)
        if self.workers is not None:
            _check_int("workers", self.workers, 1)
        _check_int("seed", self.seed, 0)
        if self.max_vocab_size is not None:
            _check_int("max_vocab_size", self.max_vocab_size, 1)
        if self.max_final_vocab is not None:
            _check_int("max_final_vocab", self.max_final_vocab, 1)
        _check_flag("batch", self.batch)
        self._check_objectives()

    def _check_objectives(self) -> None:
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.loss == "softmax" and self.hs:
            raise ValueError("loss='softmax' trains the full softmax alone: set hs=0")
        if self.loss is None and not self.hs and self.negative == 0:
            raise ValueError(
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

    def as_dict(self) -> dict[str, object]:
        """The parameters as a plain dict (JSON-ready).

        Example
        -------
        >>> TrainingParams().as_dict()["window"]
        5
        """
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum:,}, got {value:,}")


def _check_flag(name: str, value: object) -> None:
    if value not in (0, 1):  # True and False compare equal to 1 and 0
        raise ValueError(f"{name} must be 0 or 1, got {value!r}")


def _check_float(
    name: str, value: object, minimum: float | None = None, strict: bool = False
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        relation = ">" if strict else ">="
        raise ValueError(f"{name} must be {relation} {minimum}, got {value}")
