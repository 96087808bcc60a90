"""The built-in demo that README's first command runs."""

from w2v.__main__ import main
from w2v.demo import TOPICS, demo_corpus, run_demo


def test_demo_learns_its_topics():
    lines = []
    model = run_demo(workers=1, print_fn=lines.append)
    for subjects, _, objects in TOPICS.values():
        for group in (subjects, objects):
            top = [w for w, _ in model.wv.most_similar(group[0], topn=len(group) - 1)]
            assert set(top) == set(group[1:])
    assert lines[0].startswith("w2v demo:") and "king ->" in "\n".join(lines)


def test_demo_corpus_is_deterministic():
    assert demo_corpus(50, seed=3) == demo_corpus(50, seed=3) != demo_corpus(50, seed=4)


def test_main_arguments(capsys):
    assert main(["--help"]) == 0
    assert "usage" in capsys.readouterr().out
    assert main(["--bogus"]) == 2
    assert "unexpected arguments" in capsys.readouterr().err
