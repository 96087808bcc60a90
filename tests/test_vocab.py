"""Vocabulary counting, pruning, ordering, subsampling, noise table and Huffman tree."""

import math

import numpy as np
import pytest

from w2v.data.vocab import Vocabulary, count_words
from w2v.train.huffman import build_huffman
from w2v.train.noise import AliasTable


def test_counts_and_order_with_deterministic_ties():
    sentences = [["b", "a", "c"], ["c", "a", "d"], ["zeta", "alpha"]]
    vocab = Vocabulary.build(sentences, min_count=1)
    # a and c twice; ties broken by the word itself, whatever order the corpus had
    assert vocab.index_to_key == ["a", "c", "alpha", "b", "d", "zeta"]
    assert vocab.counts.tolist() == [2, 2, 1, 1, 1, 1]
    assert vocab.key_to_index["alpha"] == 2
    assert vocab.corpus_words == 8
    reordered = Vocabulary.build(sentences[::-1], min_count=1)
    assert reordered.index_to_key == vocab.index_to_key


def test_min_count_drops_rare_words():
    vocab = Vocabulary.build([["a", "a", "a", "b", "b", "c"]], min_count=2)
    assert vocab.index_to_key == ["a", "b"]
    assert vocab.retained_words == 5 and vocab.corpus_words == 6


def test_max_vocab_size_prunes_like_the_c_tool():
    sentences = [["a", "a", "a"], ["b", "c"], ["c", "d"]]
    counts, n_words, n_sentences = count_words(sentences, max_vocab_size=2)
    # after sentence 2: {a:3, b:1, c:1} is over 2, words with count <= 1 go, min_reduce -> 2;
    # after sentence 3: {a:3, c:1, d:1} is over 2, words with count <= 2 go, min_reduce -> 3.
    assert dict(counts) == {"a": 3}
    assert n_words == 7 and n_sentences == 3


def test_max_vocab_size_bound_holds_after_every_sentence():
    rng = np.random.default_rng(0)
    sentences = [[f"w{int(x)}" for x in rng.zipf(1.3, 50)] for _ in range(200)]
    counts, _, _ = count_words(sentences, max_vocab_size=30)
    assert len(counts) <= 30
    full, _, _ = count_words(sentences)
    top = [w for w, _ in full.most_common(3)]
    assert all(w in counts for w in top)  # frequent words survive pruning


def test_max_final_vocab_raises_min_count_without_splitting_ties():
    counts = {"a": 10, "b": 5, "c": 5, "d": 2, "e": 1}
    vocab = Vocabulary(counts, min_count=1, max_final_vocab=2)
    assert vocab.index_to_key == ["a"]  # b and c tie: keeping one of them would be arbitrary
    assert vocab.min_count == 6
    assert Vocabulary(counts, min_count=1, max_final_vocab=3).index_to_key == ["a", "b", "c"]
    assert len(Vocabulary(counts, min_count=1, max_final_vocab=10)) == 5


def test_keep_probabilities_follow_the_c_tool_formula():
    vocab = Vocabulary({"the": 900, "cat": 90, "sat": 10}, min_count=1)
    keep = vocab.keep_probabilities(1e-2)
    t = 1e-2 * 1000
    expected = [(math.sqrt(c / t) + 1) * t / c for c in (900, 90, 10)]
    assert keep[0] == pytest.approx(expected[0])  # 0.1444...
    assert keep[1] == pytest.approx(expected[1])  # 0.4444...
    assert keep[2] == 1.0  # (1 + 1) * 10 / 10 = 2, capped
    assert (vocab.keep_probabilities(0) == 1).all()


def test_noise_distribution_and_alias_table():
    vocab = Vocabulary({"a": 81, "b": 16, "c": 1}, min_count=1)
    p = vocab.noise_distribution(0.75)
    np.testing.assert_allclose(p, np.array([27, 8, 1]) / 36)
    np.testing.assert_allclose(vocab.noise_distribution(0.0), [1 / 3] * 3)
    table = AliasTable.from_probabilities(p)
    np.testing.assert_allclose(table.probabilities(), p, rtol=1e-12)
    assert ((table.prob >= 0) & (table.prob <= 1)).all()


def test_alias_table_on_a_skewed_large_distribution():
    rng = np.random.default_rng(1)
    p = rng.pareto(1.0, 5000) + 1e-9
    p /= p.sum()
    table = AliasTable.from_probabilities(p)
    np.testing.assert_allclose(table.probabilities(), p, rtol=1e-9, atol=1e-15)
    with pytest.raises(ValueError):
        AliasTable.from_probabilities(np.array([0.5, -0.1]))


def test_huffman_hand_computed():
    # counts 4, 2, 1, 1: merge (1,1)->2 [node 4], (2,2)->4 [node 5], (4,4)->8 [node 6 = root]
    tree = build_huffman([4, 2, 1, 1])
    # inner nodes are numbered node - 4: node 4 -> 0, 5 -> 1, root 6 -> 2
    assert tree.path(0) == ([1], [2])
    assert tree.path(1) == ([0, 1], [2, 1])
    assert tree.path(2) == ([0, 0, 1], [2, 1, 0])
    assert tree.path(3) == ([0, 0, 0], [2, 1, 0])
    assert tree.offsets.tolist() == [0, 1, 3, 6, 9]


def test_huffman_is_prefix_free_and_optimal():
    rng = np.random.default_rng(2)
    counts = np.sort(rng.integers(1, 1000, 300))[::-1]
    tree = build_huffman(counts)
    paths = [tuple(tree.path(w)[0]) for w in range(len(counts))]
    assert len(set(paths)) == len(paths)
    for a in paths[:40]:  # no code is a prefix of another
        assert not any(b != a and b[: len(a)] == a for b in paths)
    lengths = np.array([len(p) for p in paths])
    assert (np.diff(lengths) >= 0).all()  # rarer words never get shorter codes
    # Kraft equality: a full binary tree
    assert sum(2.0 ** -lengths) == pytest.approx(1.0)
    # optimal cost equals the sum of all merged weights
    assert int((lengths * counts).sum()) == _huffman_cost(counts.tolist())


def _huffman_cost(counts):
    import heapq

    heap = list(counts)
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        cost += merged
        heapq.heappush(heap, merged)
    return cost


def test_huffman_rejects_bad_input():
    with pytest.raises(ValueError, match="at least two"):
        build_huffman([5])
    with pytest.raises(ValueError, match="descending"):
        build_huffman([1, 5])


@pytest.mark.parametrize("bad", [-1, -0.5])
def test_count_words_rejects_a_bad_bound_instead_of_looping(bad):
    with pytest.raises(ValueError, match="max_vocab_size"):
        count_words([["a", "b"]], max_vocab_size=bad)


def test_count_words_min_count_drops_rare_words_but_counts_them(tmp_path):
    from w2v import PathCorpus

    sentences = [["a", "b", "a"], ["c", "a", "b"]]
    path = tmp_path / "c.txt"
    path.write_text("a b a\nc a b\n", encoding="utf-8")
    for corpus in (sentences, PathCorpus(path)):
        counts, words, n = count_words(corpus, min_count=2)
        assert dict(counts) == {"a": 3, "b": 2} and words == 6 and n == 2
