"""The Huffman tree over the vocabulary, for hierarchical softmax."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["HuffmanTree", "build_huffman"]


@dataclass(frozen=True)
class HuffmanTree:
    """Each word's path from the root: inner node ids (``points``) and branch bits (``codes``).

    Word ``w``'s path is ``codes[offsets[w]:offsets[w + 1]]`` and likewise for
    ``points``; inner nodes are numbered ``0 .. vocabulary - 2``, the root last.
    """

    codes: np.ndarray  # uint8
    points: np.ndarray  # int32
    offsets: np.ndarray  # int64, vocabulary + 1

    def path(self, word: int) -> tuple[list[int], list[int]]:
        """Codes and points of one word, root first.

        Example
        -------
        >>> build_huffman([3, 2, 1]).path(0)
        ([1], [1])
        """
        lo, hi = self.offsets[word], self.offsets[word + 1]
        return self.codes[lo:hi].tolist(), self.points[lo:hi].tolist()


def build_huffman(counts: np.ndarray | list[int]) -> HuffmanTree:
    """Build the Huffman tree of word counts sorted in descending order, as the C tool does.

    Leaves are ``0 .. n-1``, merged nodes ``n .. 2n-2``. Two queues (the sorted
    leaves, and the merged nodes in creation order) give the two smallest nodes
    each step; on a tie the merged node is taken. The second-smallest child of a
    merge gets code 1.

    Parameters
    ----------
    counts : word counts, descending, at least two.

    Example
    -------
    >>> tree = build_huffman([4, 2, 1, 1])
    >>> tree.path(0)   # the most frequent word sits right under the root
    ([1], [2])
    """
    counts = np.asarray(counts, dtype=np.int64)
    n = len(counts)
    if n < 2:
        raise ValueError(f"a Huffman tree needs at least two words, got {n}")
    if (np.diff(counts) > 0).any():
        raise ValueError("counts must be sorted in descending order")
    weight = counts.tolist() + [0] * (n - 1)
    parent = [0] * (2 * n - 1)
    bit = [0] * (2 * n - 1)
    leaf = n - 1  # next leaf to take, smallest first
    merged = n  # next merged node to take
    for node in range(n, 2 * n - 1):
        children = []
        for _ in range(2):
            if leaf >= 0 and (merged >= node or weight[leaf] < weight[merged]):
                children.append(leaf)
                leaf -= 1
            else:
                children.append(merged)
                merged += 1
        weight[node] = weight[children[0]] + weight[children[1]]
        parent[children[0]] = parent[children[1]] = node
        bit[children[1]] = 1
    return _flatten_paths(parent, bit, n)


def _flatten_paths(parent: list[int], bit: list[int], n: int) -> HuffmanTree:
    """Turn parent links into root-first code/point arrays per leaf.

    Works level by level on whole arrays (no per-node Python lists, which for a large
    vocabulary would cost tens of megabytes of short-lived objects).
    """
    root = 2 * n - 2
    parents = np.asarray(parent, dtype=np.int64)
    bits = np.asarray(bit, dtype=np.uint8)
    depth = [0] * (2 * n - 1)  # a node's parent is always created later: walk down
    for up in range(root - 1, -1, -1):
        depth[up] = depth[parent[up]] + 1
    lengths = np.asarray(depth[:n], dtype=np.int64)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    codes = np.empty(offsets[-1], dtype=np.uint8)
    points = np.empty(offsets[-1], dtype=np.int32)
    node = np.arange(n, dtype=np.int64)  # every leaf climbs one level per step
    slot = offsets[1:] - 1  # filled from each path's end (the leaf) towards the root
    while len(node):
        codes[slot] = bits[node]
        points[slot] = parents[node] - n
        node = parents[node]
        keep = node != root
        node, slot = node[keep], slot[keep] - 1
    return HuffmanTree(codes=codes, points=points, offsets=offsets)
