"""Continued training: more text, and new words added to a trained model."""

import numpy as np
import pytest
from planted import CLUSTER_SIZE, cluster_purity, cluster_words, planted_corpus

from w2v import Word2Vec

FAST = dict(vector_size=24, window=4, min_count=3, sample=0, epochs=8, workers=1, seed=3)
NEW_WORD = "newbie"


def with_new_word(corpus):
    """Cluster 0's sentences, with its first word renamed: the new word shares its contexts."""
    first = cluster_words()[0][0]
    return [[NEW_WORD if w == first else w for w in s] for s in corpus
            if any(w.startswith("c0") for w in s)]


@pytest.fixture(scope="module")
def trained():
    return Word2Vec(planted_corpus(), sg=1, hs=1, **FAST).train()


def snapshot(model):
    return {
        w: (model.wv[w].copy(), model.syn1neg[model.wv.get_index(w)].copy(),
            int(model.vocab.counts[model.wv.get_index(w)]))
        for w in model.wv.index_to_key
    }


def test_update_keeps_trained_rows_and_adds_fresh_ones(trained):
    model = Word2Vec(planted_corpus(), sg=1, hs=1, **FAST).train(epochs=2)
    before = snapshot(model)
    syn1_before = model.syn1.copy()
    extra = [["brand", "new", "brand", "new", "brand", "new", "c1w1"]]
    model.build_vocab(extra, update=True)
    assert len(model.wv) == len(before) + 2
    for word, (vector, output, count) in before.items():
        row = model.wv.get_index(word)
        assert np.array_equal(model.wv.vectors[row], vector)
        assert np.array_equal(model.syn1neg[row], output)
        assert model.vocab.counts[row] == count + (word == "c1w1")
    for word in ("brand", "new"):
        row = model.wv.get_index(word)
        assert np.all(np.abs(model.wv.vectors[row]) <= 0.5 / FAST["vector_size"])
        assert np.any(model.wv.vectors[row] != 0)
        assert not np.any(model.syn1neg[row])
        assert model.vocab.counts[row] == 3
    assert np.array_equal(model.syn1[: len(syn1_before)], syn1_before)
    assert model.syn1.shape == (len(model.wv) - 1, FAST["vector_size"])
    counts = model.vocab.counts
    assert np.all(counts[:-1] >= counts[1:])  # still most frequent first
    assert model.epochs_trained == 2 and model.vocab_updates == 1


def test_words_below_min_count_in_the_new_corpus_are_not_added(trained):
    model = Word2Vec(planted_corpus(), **FAST)
    model.build_vocab([["rare", "rare", "c0w1"]], update=True)
    assert "rare" not in model.wv


def test_new_word_learns_its_neighbours_and_old_words_keep_theirs():
    corpus = planted_corpus()
    model = Word2Vec(corpus, sg=1, **FAST).train()
    assert cluster_purity(model.wv) >= 0.85
    old_neighbours = {w: {n for n, _ in model.wv.most_similar(w, topn=3)}
                      for w in ("c1w0", "c2w3", "c3w5")}

    new_corpus = with_new_word(planted_corpus(sentences=1500, seed=7))
    model.build_vocab(new_corpus, update=True)
    assert NEW_WORD in model.wv
    cluster0 = set(cluster_words()[0][1:])
    assert model.wv.n_similarity([NEW_WORD], sorted(cluster0)) < 0.5  # a fresh row is random
    model.train(epochs=4)  # defaults to the corpus of the update
    assert model.wv.n_similarity([NEW_WORD], sorted(cluster0)) > 0.9
    neighbours = [w for w, _ in model.wv.most_similar(NEW_WORD, topn=CLUSTER_SIZE - 1)]
    assert sum(w in cluster0 for w in neighbours) >= 4, neighbours  # the rest: function words
    assert not any(w[:2] in ("c1", "c2", "c3") for w in neighbours), neighbours
    for word, before in old_neighbours.items():
        own = {w for w in cluster_words()[int(word[1])] if w != word}
        after = {n for n, _ in model.wv.most_similar(word, topn=3)}
        assert after <= own and before <= own  # still inside its cluster


def test_train_on_more_text_continues_from_the_weights(trained):
    model = Word2Vec(planted_corpus(), **FAST).train(epochs=1)
    first = model.wv.vectors.copy()
    model.train(planted_corpus(seed=11), epochs=1)
    assert model.epochs_trained == 2 and len(model.loss_history) == 2
    assert not np.array_equal(first, model.wv.vectors)


def test_update_needs_a_vocabulary():
    with pytest.raises(ValueError, match=r"update=True\) needs a vocabulary"):
        Word2Vec(min_count=1).build_vocab([["a"]], update=True)
