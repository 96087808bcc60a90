"""Tests of w2v.vectors.evaluate on small hand-made vector sets (and against gensim when
installed)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from w2v.vectors.evaluate import analogy_oov_count, evaluate_word_analogies, evaluate_word_pairs


def unit(degrees: float) -> np.ndarray:
    return np.array([math.cos(math.radians(degrees)), math.sin(math.radians(degrees))])


def query_angle(a: float, b: float, c: float) -> float:
    """Angle of unit(b) + unit(c) - unit(a), the 3CosAdd query for "a is to b as c is to ?"."""
    x, y = unit(b) + unit(c) - unit(a)
    return math.degrees(math.atan2(y, x))


def make_wv(angles: dict[str, float]) -> SimpleNamespace:
    """2-D vectors at the given angles, rows in the dict's order (most frequent first); the
    lengths vary so that normalisation matters."""
    vectors = [unit(a) * (1 + i % 3) for i, a in enumerate(angles.values())]
    return SimpleNamespace(vectors=np.array(vectors, dtype=np.float32), index_to_key=list(angles))


# king - man + woman lands exactly on queen; girl is 1.26 degrees from the man/woman/boy query,
# and woman (an input word) is closer still (0.74 degrees) so it would win were it not excluded.
ANGLES = {
    "the": 180.0,
    "man": 0.0,
    "woman": 90.0,
    "king": 30.0,
    "queen": query_angle(0.0, 90.0, 30.0),
    "boy": 10.0,
    "girl": 92.0,
}

QUESTIONS = """\
: royal
man woman king queen
man king woman girl
: youth
man woman boy girl
man woman boy prince
"""


def write(tmp_path, text: str, name: str = "questions.txt") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_analogies_exact_answers_and_input_words_excluded(tmp_path):
    wv = make_wv(ANGLES)
    youth_query = query_angle(0.0, 90.0, 10.0)
    assert abs(youth_query - 90.0) < abs(youth_query - 92.0)  # woman would beat girl
    score, sections = evaluate_word_analogies(wv, write(tmp_path, QUESTIONS))
    assert score == pytest.approx(2 / 3)
    assert [s["section"] for s in sections] == ["royal", "youth", "Total accuracy"]
    royal, youth, total = sections
    assert royal["correct"] == [("MAN", "WOMAN", "KING", "QUEEN")]
    assert royal["incorrect"] == [("MAN", "KING", "WOMAN", "GIRL")]  # predicts queen
    assert youth["correct"] == [("MAN", "WOMAN", "BOY", "GIRL")] and youth["incorrect"] == []
    assert total["correct"] == royal["correct"] + youth["correct"]
    assert total["incorrect"] == royal["incorrect"]
    assert total["oov"] == 1 and analogy_oov_count(sections) == 1  # "prince" is unknown


@pytest.mark.parametrize("batch_size", [1, 2, 1024])
def test_analogies_batch_size_does_not_matter(tmp_path, batch_size):
    score, sections = evaluate_word_analogies(
        make_wv(ANGLES), write(tmp_path, QUESTIONS), batch_size=batch_size
    )
    assert score == pytest.approx(2 / 3) and len(sections[-1]["correct"]) == 2


def test_restrict_vocab_drops_rare_words_as_questions_and_as_answers(tmp_path):
    # "lady" sits exactly on the man/woman/boy query, but is the rarest word.
    wv = make_wv({**ANGLES, "lady": query_angle(0.0, 90.0, 10.0)})
    path = write(tmp_path, ": youth\nman woman boy girl\nman woman boy lady\n")
    score, sections = evaluate_word_analogies(wv, path)
    assert score == 0.5
    assert sections[-1]["incorrect"] == [("MAN", "WOMAN", "BOY", "GIRL")]  # answered lady
    score, sections = evaluate_word_analogies(wv, path, restrict_vocab=len(ANGLES))
    assert score == 1.0
    assert sections[-1]["correct"] == [("MAN", "WOMAN", "BOY", "GIRL")]
    assert sections[-1]["oov"] == 1


def test_case_insensitive_most_frequent_variant_wins(tmp_path):
    angles = dict(ANGLES)
    del angles["boy"], angles["girl"]
    # "Boy" (frequent) carries the real vector, "boy" (rare) points elsewhere; "Woman" is a rare
    # variant of an input word lying nearest the query: it must be skipped like the input word.
    angles.update({"Boy": 10.0, "girl": 92.0, "Woman": 91.0, "boy": 200.0})
    wv = make_wv(angles)
    path = write(tmp_path, ": mixed\nMan Woman King Queen\nman woman boy girl\n")
    score, sections = evaluate_word_analogies(wv, path)
    assert score == 1.0
    assert sections[-1]["correct"] == [
        ("MAN", "WOMAN", "KING", "QUEEN"),
        ("MAN", "WOMAN", "BOY", "GIRL"),
    ]
    score, sections = evaluate_word_analogies(wv, path, case_insensitive=False)
    assert score == 0.0
    assert sections[-1]["oov"] == 1  # "Man", "King", "Queen" are not keys
    assert sections[-1]["incorrect"] == [("man", "woman", "boy", "girl")]


def test_analogy_file_errors(tmp_path):
    wv = make_wv(ANGLES)
    with pytest.raises(FileNotFoundError):
        evaluate_word_analogies(wv, str(tmp_path / "missing.txt"))
    bad = write(tmp_path, ": s\nman woman king queen\n\nman woman king\n", "bad.txt")
    with pytest.raises(ValueError, match=r"bad\.txt, line 4"):
        evaluate_word_analogies(wv, bad)
    headless = write(tmp_path, "man woman king queen\n", "headless.txt")
    with pytest.raises(ValueError, match="line 1"):
        evaluate_word_analogies(wv, headless)


def test_empty_and_all_oov(tmp_path):
    wv = make_wv(ANGLES)
    score, sections = evaluate_word_analogies(wv, write(tmp_path, ": s\na b c d\n"))
    assert score == 0.0 and sections[-1]["oov"] == 1
    assert [s["section"] for s in sections] == ["s", "Total accuracy"]


def random_analogy_setup(tmp_path, seed: int = 0):
    """99 words: 40 (x, x') pairs sharing an offset, fillers and case variants; 200 questions,
    some with unknown words."""
    rng = np.random.default_rng(seed)
    dim = 8
    offset = rng.normal(size=dim)
    keys, vecs = [], []
    for i in range(40):
        base = rng.normal(size=dim)
        keys += [f"w{i}", f"w{i}x"]
        vecs += [base, base + offset + 0.6 * rng.normal(size=dim)]
    keys += [f"filler{i}" for i in range(14)] + ["W3", "W5X", "W7", "W1X", "Filler0"]
    vecs += [rng.normal(size=dim) for _ in range(19)]
    order = rng.permutation(len(keys))
    wv = SimpleNamespace(
        vectors=np.array([vecs[i] for i in order], dtype=np.float32),
        index_to_key=[keys[i] for i in order],
    )
    lines = []
    for s in range(4):
        lines.append(f": section {s}")
        for _ in range(50):
            i, j = rng.choice(40, size=2, replace=False)
            a, c = f"w{i}", f"w{j}"
            if rng.random() < 0.1:
                c = c.upper()
            d = f"w{j}x" if rng.random() > 0.05 else "unknown"
            lines.append(f"{a} {a}x {c} {d}")
    return wv, write(tmp_path, "\n".join(lines) + "\n")


@pytest.mark.parametrize("restrict_vocab", [300_000, 70])
@pytest.mark.parametrize("case_insensitive", [True, False])
def test_analogies_match_gensim(tmp_path, restrict_vocab, case_insensitive):
    keyedvectors = pytest.importorskip("gensim.models.keyedvectors")
    wv, path = random_analogy_setup(tmp_path)
    kv = keyedvectors.KeyedVectors(wv.vectors.shape[1])
    kv.add_vectors(wv.index_to_key, wv.vectors)
    expected_score, expected = kv.evaluate_word_analogies(
        path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive
    )
    score, sections = evaluate_word_analogies(
        wv, path, restrict_vocab=restrict_vocab, case_insensitive=case_insensitive, batch_size=7
    )
    assert 0.2 < score < 1.0  # a meaningful mix of right and wrong answers
    assert score == expected_score
    assert len(sections) == len(expected)
    for ours, theirs in zip(sections, expected, strict=True):
        assert ours["section"] == theirs["section"]
        assert ours["correct"] == theirs["correct"]
        assert ours["incorrect"] == theirs["incorrect"]


@pytest.mark.parametrize("twin_first", [True, False])
def test_exact_tie_resolved_like_gensim(tmp_path, twin_first):
    keyedvectors = pytest.importorskip("gensim.models.keyedvectors")
    wv = make_wv(ANGLES)
    keys, vectors = list(wv.index_to_key), list(wv.vectors)
    at = keys.index("queen")
    twin = vectors[at].copy()  # the same vector as queen: an exact tie for the first answer
    keys.insert(at + (0 if twin_first else 1), "twin")
    vectors.insert(at + (0 if twin_first else 1), twin)
    wv = SimpleNamespace(vectors=np.array(vectors), index_to_key=keys)
    path = write(tmp_path, QUESTIONS)
    kv = keyedvectors.KeyedVectors(2)
    kv.add_vectors(keys, wv.vectors)
    expected_score, expected = kv.evaluate_word_analogies(path)
    score, sections = evaluate_word_analogies(wv, path)
    assert score == expected_score
    assert sections[-1]["correct"] == expected[-1]["correct"]


# x=(1,0) y=(0,1) z=(1,1) w=(1,-1): cosines 0, .707, .707, .707, -.707, 0 (ties in both columns)
PAIRS = """\
# a comment
# Word 1\tWord 2\tHuman (mean)
x\ty\t2
X\tz\t7
y\tz\t7
x\tw\t5

y\tw\t1
z\tw\t3
x\tnope\t4
"""


def pairs_wv() -> SimpleNamespace:
    vectors = np.array([[1, 0], [0, 1], [2, 2], [2, -2]], dtype=np.float32)
    return SimpleNamespace(vectors=vectors, index_to_key=["x", "y", "z", "w"])


def test_word_pairs_hand_computed(tmp_path):
    result = evaluate_word_pairs(pairs_wv(), write(tmp_path, PAIRS, "pairs.tsv"))
    # Pearson of [0,1,1,1,-1,0] with [2,7,7,5,1,3]: 174 / sqrt(35460).
    assert result["pearson"] == pytest.approx(174 / math.sqrt(35460), abs=1e-6)
    # Ranks (ties averaged): model [2.5,5,5,5,1,2.5], human [2,5.5,5.5,4,1,3]: 15 / sqrt(15*17).
    assert result["spearman"] == pytest.approx(15 / math.sqrt(255), abs=1e-6)
    assert result["oov_ratio"] == pytest.approx(1 / 7)


def test_word_pairs_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        evaluate_word_pairs(pairs_wv(), str(tmp_path / "missing.tsv"))
    with pytest.raises(ValueError, match="line 2"):
        evaluate_word_pairs(pairs_wv(), write(tmp_path, "x\ty\t1\nx y 2\n", "bad.tsv"))
    with pytest.raises(ValueError, match="no word pair"):
        evaluate_word_pairs(pairs_wv(), write(tmp_path, "a\tb\t1\n", "oov.tsv"))


def test_word_pairs_match_gensim(tmp_path):
    keyedvectors = pytest.importorskip("gensim.models.keyedvectors")
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(60)] + ["W1", "W2"]
    vectors = rng.normal(size=(len(words), 10)).astype(np.float32)
    lines = ["# comment"]
    for _ in range(120):
        a, b = rng.choice(len(words) + 5, size=2)
        name = lambda k: words[k] if k < len(words) else f"oov{k}"  # noqa: E731
        lines.append(f"{name(a)}\t{name(b).upper()}\t{rng.integers(0, 11) / 2}")
    path = write(tmp_path, "\n".join(lines) + "\n", "pairs.tsv")
    kv = keyedvectors.KeyedVectors(10)
    kv.add_vectors(words, vectors)
    pearson, spearman, oov = kv.evaluate_word_pairs(path)
    result = evaluate_word_pairs(SimpleNamespace(vectors=vectors, index_to_key=words), path)
    assert result["pearson"] == pytest.approx(pearson[0], abs=1e-6)
    assert result["spearman"] == pytest.approx(spearman[0], abs=1e-6)
    assert result["oov_ratio"] == pytest.approx(oov / 100)


def test_keyedvectors_methods_give_the_same_numbers(tmp_path):
    from w2v import KeyedVectors

    ns, path = random_analogy_setup(tmp_path)
    kv = KeyedVectors(ns.vectors, ns.index_to_key)
    expected_score, expected = evaluate_word_analogies(ns, path, batch_size=7)
    score, sections = kv.evaluate_word_analogies(path)
    assert score == expected_score and sections == expected
    pairs = write(tmp_path, "w1\tw1x\t9\nw2\tw3\t1\nw4\tw4x\t8\nw5\tnope\t3\n", "pairs.tsv")
    assert kv.evaluate_word_pairs(pairs) == evaluate_word_pairs(ns, pairs)
    gensim_kv = pytest.importorskip("gensim.models.keyedvectors")
    theirs = gensim_kv.KeyedVectors(ns.vectors.shape[1])
    theirs.add_vectors(ns.index_to_key, ns.vectors)
    assert theirs.evaluate_word_analogies(path)[0] == score
