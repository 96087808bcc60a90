"""Predicting words with the output layer: exact probabilities and the seed's toy corpus."""

import math

import numpy as np
import pytest

from w2v import Word2Vec
from w2v.train.huffman import build_huffman
from w2v.train.prediction import hs_log_probabilities, softmax_probabilities
from w2v.vectors.ranking import top_words

TOY = [
    ["troll", "2", "is", "great"], ["gymkata", "is", "great"],
    ["the", "room", "is", "great"], ["plan", "9", "is", "great"],
] * 40
TOY_SETTINGS = dict(min_count=1, window=1, sample=0, epochs=20, vector_size=10, workers=1)


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_hs_probabilities_follow_each_words_path():
    rng = np.random.default_rng(1)
    counts = [50, 30, 20, 10, 5, 3, 1]
    tree = build_huffman(counts)
    syn1 = rng.standard_normal((len(counts) - 1, 4)).astype(np.float32)
    hidden = rng.standard_normal(4).astype(np.float32)
    expected = []
    for word in range(len(counts)):
        codes, points = tree.path(word)
        p = 1.0
        for code, point in zip(codes, points, strict=True):
            f = sigmoid(float(hidden.astype(np.float64) @ syn1[point].astype(np.float64)))
            p *= f if code == 0 else 1.0 - f  # the kernel's target for branch 0 is 1
        expected.append(p)
    got = np.exp(hs_log_probabilities(hidden, syn1, tree))
    assert got == pytest.approx(expected, rel=1e-5)
    assert got.sum() == pytest.approx(1.0, abs=1e-9)


def test_hs_log_probabilities_are_finite_for_huge_scores():
    tree = build_huffman([3, 2, 1])
    syn1 = np.full((2, 2), 1e4, np.float32)
    logp = hs_log_probabilities(np.ones(2, np.float32), syn1, tree)
    assert np.all(np.isfinite(logp))
    assert np.exp(logp).sum() == pytest.approx(1.0)


def test_softmax_probabilities_are_exact_and_stable():
    out = np.array([[1, 0], [0, 1], [1, 1]], np.float32)
    hidden = np.array([2, -1], np.float32)
    scores = [2.0, -1.0, 1.0]
    expected = [math.exp(s) / sum(math.exp(t) for t in scores) for s in scores]
    assert softmax_probabilities(hidden, out) == pytest.approx(expected)
    big = softmax_probabilities(np.array([1e4, 0], np.float32), out)
    assert np.all(np.isfinite(big)) and big.sum() == pytest.approx(1.0)


def test_top_words_orders_and_breaks_ties_by_row():
    assert top_words(np.array([0.1, 0.4, 0.4, 0.1]), ["a", "b", "c", "d"], 3) == [
        ("b", 0.4), ("c", 0.4), ("a", 0.1)]
    assert top_words(np.array([1.0]), ["a"], 5) == [("a", 1.0)]
    assert top_words(np.array([0.1, 0.4, 0.4, 0.1]), ["a", "b", "c", "d"], 9, exclude=[1, 1]) == [
        ("c", 0.4), ("a", 0.1), ("d", 0.1)]
    assert top_words(np.array([0.5]), ["a"], 3, exclude=[0]) == []


@pytest.mark.parametrize("sg,cbow_mean", [(1, 1), (0, 1), (0, 0)])
def test_predict_output_word_uses_the_hidden_layer_of_training(sg, cbow_mean):
    model = Word2Vec(TOY, sg=sg, cbow_mean=cbow_mean, **TOY_SETTINGS).train(epochs=1)
    context = ["troll", "2"]
    rows = [model.wv.get_index(w) for w in context]
    vectors = model.wv.vectors[rows].astype(np.float64)
    hidden = vectors.sum(axis=0) if (sg == 0 and cbow_mean == 0) else vectors.mean(axis=0)
    scores = model.syn1neg.astype(np.float64) @ hidden
    probs = np.exp(scores - scores.max())
    probs /= probs.sum()
    best = np.argsort(-probs, kind="stable")[:3]
    got = model.predict_output_word(context, topn=3)
    assert [w for w, _ in got] == [model.wv.index_to_key[i] for i in best]
    assert [p for _, p in got] == pytest.approx(probs[best].tolist(), rel=1e-4)


@pytest.mark.parametrize("objective", [dict(), dict(hs=1, negative=0), dict(loss="softmax"),
                                       dict(hs=1, negative=5)],
                         ids=["ns", "hs", "softmax", "hs+ns"])
@pytest.mark.parametrize("sg", [0, 1], ids=["cbow", "sg"])
def test_the_word_after_is_is_great(objective, sg):
    model = Word2Vec(TOY, sg=sg, **TOY_SETTINGS, **objective).train()
    predicted = model.predict_next("is", topn=3)
    assert predicted[0][0] == "great"
    # "great" follows "is" in every sentence; each film word precedes it in a quarter of them
    assert predicted[0][1] > 1.5 * predicted[1][1]
    total = sum(p for _, p in model.predict_output_word("is", topn=len(model.wv)))
    assert total == pytest.approx(1.0, abs=1e-6)


def test_an_untrained_network_predicts_nothing_in_particular():
    model = Word2Vec(TOY, **TOY_SETTINGS)  # vocabulary built, not trained: output layer is 0
    predicted = model.predict_next("is", topn=len(model.wv))
    assert [p for _, p in predicted] == pytest.approx([1 / len(model.wv)] * len(model.wv))


def test_prediction_errors():
    model = Word2Vec(TOY, **TOY_SETTINGS).train(epochs=1)
    with pytest.raises(KeyError, match="'nope' not in vocabulary"):
        model.predict_output_word(["is", "nope"])
    with pytest.raises(ValueError, match="at least one context word"):
        model.predict_output_word([])
    with pytest.raises(ValueError, match="topn"):
        model.predict_next("is", topn=0)
    with pytest.raises(ValueError, match="no vocabulary"):
        Word2Vec().predict_next("is")
