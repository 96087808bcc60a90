"""Word vectors as a PyTorch ``nn.Embedding`` (needs the optional extra ``torch``).

Row ``i`` of the embedding is the vector of ``index_to_key[i]``; with ``padding=True`` row 0
is a zero vector reserved for padding (``padding_idx=0``) and every word moves down one row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._util.validation import check_flag

__all__ = ["TORCH_HINT", "to_torch"]

#: What to install when torch is missing.
TORCH_HINT = 'PyTorch is needed for to_torch(); install it with pip install "w2v[torch]"'


def _import_torch() -> Any:
    try:
        import torch
    except ImportError as error:
        raise ImportError(f"{TORCH_HINT} ({error})") from error
    return torch


def to_torch(vectors: np.ndarray, index_to_key: Sequence[str], padding: bool = True,
             freeze: bool = True) -> tuple[Any, dict[str, int]]:
    """An ``nn.Embedding`` holding the vectors, and the word-to-row mapping.

    Parameters
    ----------
    vectors : array (words, dim), copied as float32 (the embedding does not share it).
    index_to_key : the word of each row.
    padding : add row 0 of zeros as ``padding_idx`` (the words' rows shift by one).
    freeze : the weights are not trained further (``requires_grad`` off).

    Returns ``(embedding, key_to_row)``. ``ImportError`` naming the ``torch`` extra when
    PyTorch is not installed.

    Example
    -------
    >>> embedding, rows = to_torch(np.array([[1, 2], [3, 4]], np.float32), ["a", "b"])
    >>> rows, embedding.padding_idx
    ({'a': 1, 'b': 2}, 0)
    >>> embedding.weight[rows["b"]].tolist()
    [3.0, 4.0]
    """
    check_flag("padding", padding)
    check_flag("freeze", freeze)
    torch = _import_torch()
    matrix = np.asarray(vectors, dtype=np.float32)
    words = list(index_to_key)
    if matrix.ndim != 2 or matrix.shape[0] != len(words):
        raise ValueError(f"vectors must be (words, dim) with {len(words)} rows, "
                         f"got {matrix.shape}")
    if padding:
        matrix = np.concatenate([np.zeros((1, matrix.shape[1]), np.float32), matrix])
    weights = torch.from_numpy(np.array(matrix, dtype=np.float32, copy=True))
    embedding = torch.nn.Embedding.from_pretrained(weights, freeze=freeze,
                                                   padding_idx=0 if padding else None)
    shift = 1 if padding else 0
    return embedding, {word: row + shift for row, word in enumerate(words)}
