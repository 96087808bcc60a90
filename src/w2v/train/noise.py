"""Negative sampling's noise distribution as an alias table: O(1) per draw."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["AliasTable"]


@dataclass(frozen=True)
class AliasTable:
    """Walker's alias table for a discrete distribution over ``n`` outcomes.

    A draw picks a column ``i`` uniformly, then returns ``i`` with probability
    ``prob[i]`` and ``alias[i]`` otherwise.

    Example
    -------
    >>> table = AliasTable.from_probabilities(np.array([0.5, 0.25, 0.25]))
    >>> np.allclose(table.probabilities(), [0.5, 0.25, 0.25])
    True
    """

    prob: np.ndarray  # float64, in [0, 1]
    alias: np.ndarray  # int32

    @classmethod
    def from_probabilities(cls, p: np.ndarray) -> AliasTable:
        """Build the table with Vose's method (deterministic for a given ``p``).

        Parameters
        ----------
        p : non-negative weights summing to 1 (re-normalised here).
        """
        p = np.asarray(p, dtype=np.float64)
        if p.ndim != 1 or len(p) == 0 or not np.isfinite(p).all() or (p < 0).any():
            raise ValueError("noise probabilities must be a non-empty, finite, non-negative vector")
        n = len(p)
        scaled = (p * (n / p.sum())).tolist()
        prob = [1.0] * n
        alias = list(range(n))
        small = [i for i, s in enumerate(scaled) if s < 1.0]
        large = [i for i, s in enumerate(scaled) if s >= 1.0]
        while small and large:
            lo = small.pop()
            hi = large.pop()
            prob[lo] = scaled[lo]
            alias[lo] = hi
            scaled[hi] = (scaled[hi] + scaled[lo]) - 1.0
            (small if scaled[hi] < 1.0 else large).append(hi)
        # Whatever is left holds (up to rounding) exactly one column's worth of mass.
        return cls(prob=np.asarray(prob), alias=np.asarray(alias, dtype=np.int32))

    def probabilities(self) -> np.ndarray:
        """The distribution the table samples from (for checking it).

        Example
        -------
        >>> AliasTable.from_probabilities(np.array([1.0, 3.0]) / 4).probabilities()
        array([0.25, 0.75])
        """
        n = len(self.prob)
        mass = self.prob.copy()
        np.add.at(mass, self.alias, 1.0 - self.prob)
        return mass / n
