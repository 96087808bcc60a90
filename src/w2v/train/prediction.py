"""Predicting words with the trained network's output layer.

The hidden layer of a context is the mean (or, for CBOW with ``cbow_mean=0``, the sum) of
its words' input vectors. The output layer turns it into a probability for every word:

- negative sampling and full softmax: ``softmax(syn1neg @ h)``, the distribution the full
  softmax trains and negative sampling approximates;
- hierarchical softmax: the product, along the word's Huffman path, of ``sigmoid(h . node)``
  for branch 0 and ``sigmoid(-h . node)`` for branch 1, which sums to one over the words.
"""

from __future__ import annotations

import numpy as np

from .huffman import HuffmanTree

__all__ = ["hs_log_probabilities", "softmax_probabilities"]


def hs_log_probabilities(hidden: np.ndarray, syn1: np.ndarray, tree: HuffmanTree) -> np.ndarray:
    """Log-probability of every word under hierarchical softmax.

    Works over the tree's flat path arrays (memory: one float per path step, no padding).

    Parameters
    ----------
    hidden : the hidden-layer vector (dim,).
    syn1 : inner-node vectors (words - 1, dim).
    tree : the Huffman tree of the vocabulary (at least two words).

    Example
    -------
    >>> from w2v.train.huffman import build_huffman
    >>> tree = build_huffman([2, 1])
    >>> p = np.exp(hs_log_probabilities(np.ones(2, np.float32), np.ones((1, 2), np.float32), tree))
    >>> round(float(p.sum()), 6)
    1.0
    """
    node_scores = (syn1 @ hidden).astype(np.float64)
    margins = node_scores[tree.points]
    margins[tree.codes == 1] *= -1.0  # branch 1 is "sigmoid(-h . node)"
    log_sig = -np.logaddexp(0.0, -margins)  # log sigmoid, stable for large |margin|
    return np.add.reduceat(log_sig, tree.offsets[:-1])


def softmax_probabilities(hidden: np.ndarray, syn1neg: np.ndarray) -> np.ndarray:
    """``softmax(syn1neg @ hidden)`` in float64, computed stably.

    Example
    -------
    >>> softmax_probabilities(np.ones(1, np.float32), np.zeros((2, 1), np.float32)).tolist()
    [0.5, 0.5]
    """
    scores = (syn1neg @ hidden).astype(np.float64)
    scores -= scores.max(initial=0.0) if len(scores) else 0.0
    weights = np.exp(scores)
    return weights / weights.sum()
