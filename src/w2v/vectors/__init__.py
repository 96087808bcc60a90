"""Word vectors on their own: ``KeyedVectors`` and its queries, the top-n of any scores,
analogy and word-pair evaluation, and pictures.

Example
-------
>>> import numpy as np
>>> from w2v.vectors import KeyedVectors
>>> KeyedVectors(np.eye(2, dtype=np.float32), ["a", "b"]).most_similar("a", topn=1)
[('b', 0.0)]
"""

from .evaluate import evaluate_word_analogies, evaluate_word_pairs
from .keyedvectors import KeyedVectors

__all__ = ["KeyedVectors", "evaluate_word_analogies", "evaluate_word_pairs"]
