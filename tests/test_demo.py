"""The built-in demo: the toy films end up together, "great" follows "is", topics form."""

import numpy as np
import pytest

from w2v.cli.demo import TOPICS, nearest_outside, run_demo, topic_of, toy_demo


def test_toy_films_move_together_and_great_follows_is(tmp_path):
    lines = []
    model = toy_demo(picture=None, print_fn=lines.append)
    assert model.predict_next("is", topn=1)[0][0] == "great"
    vectors = model.wv
    films = np.linalg.norm(vectors["Troll 2"] - vectors["Gymkata"])
    assert films < 0.2 * np.linalg.norm(vectors["Troll 2"] - vectors["great"])
    assert any("great" in line and '"is"' in line for line in lines)


def test_toy_demo_draws_before_and_after(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    picture = tmp_path / "demo.png"
    lines = []
    toy_demo(picture=str(picture), print_fn=lines.append)
    height, width = imread(picture).shape[:2]
    assert width == 2 * height  # two panels side by side
    assert any(str(picture) in line for line in lines)


def test_run_demo_prints_topic_neighbours():
    lines = []
    model = run_demo(workers=2, picture=None, print_fn=lines.append)
    for topic in TOPICS.values():
        subjects = topic[0]
        top = model.wv.most_similar(subjects[0], topn=3)
        assert all(word in subjects for word, _ in top)
    assert any(line.strip().startswith("king ->") for line in lines)


def test_run_demo_similarities_are_graded_with_a_gap_to_other_topics():
    """The planted topics must not collapse (every neighbour at cosine 1.00 reads as broken):
    a subject's topic mates are close to different degrees, and clearly closer than any word
    of another topic; the report shows that gap."""
    lines = []
    model = run_demo(workers=2, picture=None, print_fn=lines.append)
    wv = model.wv
    for name, (subjects, _, objects) in TOPICS.items():
        for group in (subjects, objects):
            mates = [float(wv.similarity(a, b)) for a in group for b in group if a < b]
            assert max(mates) < 0.999, (name, mates)
            assert max(mates) - min(mates) > 0.05, (name, mates)
            for word in group:
                other, outside = nearest_outside(wv, word)
                assert topic_of(other) not in (None, name)
                closest_mate = max(float(wv.similarity(word, b)) for b in group if b != word)
                assert closest_mate > outside + 0.2, (word, closest_mate, other, outside)
    king = next(line for line in lines if line.strip().startswith("king ->"))
    assert "1.00, " not in king and "| other topics:" in king


def test_films_with_one_taste_are_each_others_nearest():
    model = run_demo(workers=1, picture=None, print_fn=lambda *a: None)
    assert model.wv.most_similar("gymkata", topn=1)[0][0] == "troll2"
