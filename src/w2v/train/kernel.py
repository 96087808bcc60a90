"""The compiled training kernel for a model's arrays: noise table, Huffman tree,
subsampling and the threads' hot rows, from the parameters and the vocabulary."""

from __future__ import annotations

import numpy as np

from .. import _core
from ..data.vocab import Vocabulary
from .huffman import HuffmanTree, build_huffman
from .noise import AliasTable
from .params import TrainingParams
from .weights import hot_rows

__all__ = ["make_kernel"]


def make_kernel(params: TrainingParams, vocab: Vocabulary, vectors: np.ndarray,
                syn1neg: np.ndarray | None, syn1: np.ndarray | None,
                tree: HuffmanTree | None = None) -> _core.Kernel:
    """A :class:`w2v._core.Kernel` that trains ``vectors``, ``syn1neg`` and ``syn1`` in place.

    Parameters
    ----------
    params : the training parameters.
    vocab : the vocabulary the rows belong to (its counts give the noise distribution, the
        subsampling probabilities and the Huffman tree).
    vectors, syn1neg, syn1 : the weight matrices (float32, C-contiguous, writable).
    tree : the vocabulary's Huffman tree, when the caller has it (built here otherwise).

    Example
    -------
    >>> from w2v.train.weights import initial_weights
    >>> params, vocab = TrainingParams(vector_size=4), Vocabulary({"a": 3, "b": 2}, 1)
    >>> kernel = make_kernel(params, vocab, *initial_weights(len(vocab), params))
    >>> kernel.batch  # negative sampling: positions eight apart share noise words
    True
    >>> make_kernel(TrainingParams(vector_size=4, batch=False), vocab,
    ...             *initial_weights(len(vocab), params)).batch
    False
    """
    noise = (AliasTable.from_probabilities(vocab.noise_distribution(params.ns_exponent))
             if params.noise_words else None)
    if params.hs and tree is None:
        tree = build_huffman(vocab.counts)
    if not params.hs:
        tree = None
    return _core.Kernel(
        vectors, syn1neg, syn1, vocab.keep_probabilities(params.sample),
        noise.prob if noise else None, noise.alias if noise else None,
        tree.codes if tree else None, tree.points if tree else None,
        tree.offsets if tree else None,
        sg=params.sg, cbow_mean=params.cbow_mean, window=params.window,
        negative=params.noise_words, hs=params.hs, softmax=int(params.softmax),
        subsample=int(params.sample > 0), batch=bool(params.batch),
        hot_rows=hot_rows(len(vocab), params.threads),
    )
