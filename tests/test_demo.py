"""The built-in demo: the toy films end up together, "great" follows "is", topics form."""

import numpy as np
import pytest

from w2v.demo import TOPICS, run_demo, toy_demo


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
