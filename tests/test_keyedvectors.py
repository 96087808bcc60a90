"""Queries on KeyedVectors: hand-computed cases, a brute-force reference, and gensim."""

import math

import numpy as np
import pytest

from w2v import KeyedVectors

# Four 2-D words at known angles: a at 0°, b at 30°, c at 90°, d at 180°; e is long.
ANGLES = {"a": 0, "b": 30, "c": 90, "d": 180, "e": 45}


@pytest.fixture
def kv():
    rows = [[math.cos(math.radians(t)), math.sin(math.radians(t))] for t in ANGLES.values()]
    rows[-1] = [5 * x for x in rows[-1]]  # length must not matter for cosines
    return KeyedVectors(np.array(rows, np.float32), list(ANGLES))


@pytest.fixture(scope="module")
def random_kv():
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((500, 16)).astype(np.float32)
    return KeyedVectors(vectors, [f"w{i}" for i in range(500)])


def brute_force_similar(vectors, query, exclude, topn):
    """Every word's cosine computed one at a time in float64, then a full sort."""
    query = np.asarray(query, np.float64)
    scored = []
    for i, row in enumerate(vectors.astype(np.float64)):
        if i in exclude:
            continue
        cos = float(row @ query / (np.linalg.norm(row) * np.linalg.norm(query)))
        scored.append((cos, -i))
    scored.sort(reverse=True)
    return [(-neg_i, cos) for cos, neg_i in scored[:topn]]


def test_similarity_distance_and_length_invariance(kv):
    assert kv.similarity("a", "b") == pytest.approx(math.cos(math.radians(30)), abs=1e-6)
    assert kv.similarity("a", "c") == pytest.approx(0.0, abs=1e-6)
    assert kv.similarity("a", "e") == pytest.approx(math.cos(math.radians(45)), abs=1e-6)
    assert kv.distance("a", "d") == pytest.approx(2.0, abs=1e-6)
    assert kv.get_vector("e", norm=True) == pytest.approx([0.70710677, 0.70710677], abs=1e-6)
    assert np.linalg.norm(kv.get_vector("e")) == pytest.approx(5.0, rel=1e-6)


def test_most_similar_orders_by_angle_and_excludes_query_words(kv):
    result = kv.most_similar("a", topn=10)
    assert [w for w, _ in result] == ["b", "e", "c", "d"]  # 30°, 45°, 90°, 180°
    expected = [math.cos(math.radians(t)) for t in (30, 45, 90, 180)]
    assert [s for _, s in result] == pytest.approx(expected, abs=1e-6)
    # b + c - a: unit vectors (0.866-1+0, 0.5+1-0) -> about 95°, nearest is c (90°)
    assert kv.most_similar(positive=["b", "c"], negative=["a"], topn=1)[0][0] == "e"
    got = kv.most_similar(positive=["b", "c"], negative=["a"], topn=2)
    assert all(w not in ("a", "b", "c") for w, _ in got)


def test_most_similar_accepts_vectors_weights_and_topn_none(kv):
    by_vector = kv.most_similar(positive=[np.array([0.0, 1.0], np.float32)], topn=1)
    assert by_vector[0][0] == "c"  # a vector is not excluded
    weighted = kv.most_similar(positive=[("a", 1.0), ("c", 3.0)], topn=1)
    assert weighted[0][0] == "e"  # closer to c than to a, 45° is the nearest left
    everything = kv.most_similar("a", topn=None)
    assert everything.shape == (len(kv),)
    assert everything[kv.get_index("a")] == pytest.approx(1.0)
    assert kv.most_similar("a", topn=0) == []


def test_restrict_vocab_limits_candidates(kv):
    # candidates are the first 3 rows (a, b, c): e (45°) is nearer d than a is, but left out
    assert [w for w, _ in kv.most_similar("d", topn=10, restrict_vocab=3)] == ["c", "b", "a"]
    assert [w for w, _ in kv.most_similar("d", topn=10)] == ["c", "e", "b", "a"]
    with pytest.raises(ValueError, match="restrict_vocab"):
        kv.most_similar("a", restrict_vocab=0)


def test_most_similar_matches_brute_force(random_kv):
    vectors = random_kv.vectors
    for word in ("w0", "w17", "w499"):
        i = random_kv.get_index(word)
        expected = brute_force_similar(vectors, vectors[i], {i}, 7)
        got = random_kv.most_similar(word, topn=7)
        assert [random_kv.get_index(w) for w, _ in got] == [j for j, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-5)
    # 3CosAdd: the mean of unit vectors, query words excluded
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    query = unit[3] + unit[4] - unit[5]
    expected = brute_force_similar(vectors, query, {3, 4, 5}, 5)
    got = random_kv.most_similar(positive=["w3", "w4"], negative=["w5"], topn=5)
    assert [random_kv.get_index(w) for w, _ in got] == [j for j, _ in expected]


def test_cosmul_matches_its_formula(random_kv):
    vectors = random_kv.vectors.astype(np.float64)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    half = (1 + unit @ unit.T) / 2
    score = half[:, 3] * half[:, 4] / (half[:, 5] + 1e-6)
    score[[3, 4, 5]] = -np.inf
    expected = np.argsort(-score, kind="stable")[:5]
    got = random_kv.most_similar_cosmul(positive=["w3", "w4"], negative=["w5"], topn=5)
    assert [random_kv.get_index(w) for w, _ in got] == expected.tolist()
    assert [s for _, s in got] == pytest.approx(score[expected].tolist(), rel=1e-4)


def test_similar_by_vector_and_word(kv):
    assert kv.similar_by_vector(np.array([-1, 0.1], np.float32), topn=2)[0][0] == "d"
    assert kv.similar_by_word("c", topn=1) == kv.most_similar("c", topn=1)
    with pytest.raises(ValueError, match="shape"):
        kv.similar_by_vector(np.zeros(3, np.float32))


def test_n_similarity_doesnt_match_rank_closer_than(kv):
    # mean of a (0°) and c (90°) points at 45°, exactly e's direction
    assert kv.n_similarity(["a", "c"], ["e"]) == pytest.approx(1.0, abs=1e-6)
    assert kv.doesnt_match(["a", "b", "e", "d"]) == "d"
    assert kv.rank("a", "b") == 1
    assert kv.rank("a", "c") == 3  # b (30°) and e (45°) are closer
    assert kv.closer_than("a", "c") == ["b", "e"]
    assert kv.closer_than("a", "b") == []


def test_getitem_word_and_list(kv):
    assert kv["a"].tolist() == pytest.approx([1.0, 0.0])
    assert kv[["c", "a"]].shape == (2, 2)
    assert kv[["c", "a"]][1].tolist() == pytest.approx([1.0, 0.0])
    assert kv[[]].shape == (0, 2)


@pytest.mark.parametrize("call", [
    lambda kv: kv["nope"], lambda kv: kv.get_vector("nope"), lambda kv: kv.similarity("a", "nope"),
    lambda kv: kv.most_similar("nope"),
    lambda kv: kv.most_similar(positive=["a"], negative=["nope"]),
    lambda kv: kv.most_similar_cosmul(["nope"]), lambda kv: kv.doesnt_match(["a", "nope"]),
    lambda kv: kv.rank("a", "nope"), lambda kv: kv.n_similarity(["a"], ["nope"]),
    lambda kv: kv[["a", "nope"]],
])
def test_unknown_words_raise_keyerror_naming_them(kv, call):
    with pytest.raises(KeyError, match="'nope' not in vocabulary"):
        call(kv)


@pytest.mark.parametrize("call", [
    lambda kv: kv.most_similar(), lambda kv: kv.most_similar(positive=[], negative=[]),
    lambda kv: kv.most_similar_cosmul(), lambda kv: kv.doesnt_match([]),
    lambda kv: kv.n_similarity([], ["a"]), lambda kv: kv.most_similar("a", topn=-1),
])
def test_empty_or_bad_queries_raise_valueerror(kv, call):
    with pytest.raises(ValueError):
        call(kv)


@pytest.mark.parametrize("arguments, message", [
    ({"topn": -1}, "topn must be >= 0, got -1"),
    ({"topn": True}, "topn must be an integer or None, got True"),
    ({"topn": 2.5}, "topn must be"),
    ({"restrict_vocab": 0}, "restrict_vocab must be >= 1, got 0"),
    ({"restrict_vocab": True}, "restrict_vocab must be an integer or None, got True"),
])
def test_bad_topn_or_restrict_vocab_is_named(kv, arguments, message):
    with pytest.raises(ValueError, match=message):
        kv.most_similar("a", **arguments)
    assert kv.most_similar("a", topn=None, restrict_vocab=2).shape == (2,)


def test_unit_cache_is_invalidated(kv):
    before = kv.most_similar("a", topn=1)[0][0]
    assert before == "b"
    kv.vectors[kv.get_index("c")] = [1.0, 0.01]  # in place: the cache must be dropped by hand
    kv.invalidate()
    assert kv.most_similar("a", topn=1)[0][0] == "c"
    replaced = kv.vectors.copy()
    replaced[kv.get_index("d")] = [1.0, 0.0]
    kv.vectors = replaced  # assignment drops the cache itself
    assert kv.most_similar("a", topn=1)[0][0] == "d"
    with pytest.raises(ValueError, match="float32"):
        kv.vectors = np.zeros((2, 2))


def test_zero_vector_does_not_poison_queries():
    kv = KeyedVectors(np.array([[0, 0], [1, 0], [1, 1]], np.float32), ["z", "x", "y"])
    result = kv.most_similar("x", topn=2)
    assert [w for w, _ in result] == ["y", "z"]
    assert all(np.isfinite(s) for _, s in result)


def test_construction_errors():
    with pytest.raises(ValueError, match="rows"):
        KeyedVectors(np.zeros((2, 3), np.float32), ["a"])
    with pytest.raises(ValueError, match="twice"):
        KeyedVectors(np.zeros((2, 3), np.float32), ["a", "a"])
    with pytest.raises(ValueError, match="counts"):
        KeyedVectors(np.zeros((2, 3), np.float32), ["a", "b"], counts=[1])


def test_agrees_with_gensim(random_kv):
    gensim_models = pytest.importorskip("gensim.models")
    theirs = gensim_models.KeyedVectors(random_kv.vector_size)
    theirs.add_vectors(random_kv.index_to_key, random_kv.vectors)

    def same(ours, other):
        assert [w for w, _ in ours] == [w for w, _ in other]
        assert [s for _, s in ours] == pytest.approx([s for _, s in other], abs=1e-5)

    same(random_kv.most_similar("w1", topn=10), theirs.most_similar("w1", topn=10))
    same(random_kv.most_similar(positive=["w1", "w2"], negative=["w3"], topn=10),
         theirs.most_similar(positive=["w1", "w2"], negative=["w3"], topn=10))
    same(random_kv.most_similar("w1", topn=10, restrict_vocab=100),
         theirs.most_similar("w1", topn=10, restrict_vocab=100))
    same(random_kv.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"], topn=10),
         theirs.most_similar_cosmul(positive=["w1", "w2"], negative=["w3"], topn=10))
    vector = random_kv["w9"] + random_kv["w8"]
    same(random_kv.similar_by_vector(vector, topn=10), theirs.similar_by_vector(vector, topn=10))
    words = ["w1", "w2", "w3", "w4", "w5"]
    assert random_kv.doesnt_match(words) == theirs.doesnt_match(words)
    assert random_kv.rank("w1", "w77") == theirs.rank("w1", "w77")
    assert random_kv.n_similarity(words[:2], words[2:]) == pytest.approx(
        theirs.n_similarity(words[:2], words[2:]), abs=1e-6)
    assert random_kv.similarity("w1", "w2") == pytest.approx(theirs.similarity("w1", "w2"),
                                                             abs=1e-6)
