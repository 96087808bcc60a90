"""Small files that examples name, shared by the tests that run examples: the docstrings'
(``test_doctests.py``) and the documentation's (``test_docs.py``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

#: A questions-words file: one section the toy corpora answer, one with an unknown word.
QUESTIONS_WORDS = (": family\nking queen man woman\nman woman king queen\n"
                   "prince princess boy girl\n: unknown\nking queen man zebra\n")
#: A word-pair file in WordSim-353's layout (a header comment, then word, word, score).
WORDSIM = ("# word1\tword2\tscore\nking\tqueen\t8.6\nman\twoman\t8.3\nking\tcat\t1.2\n"
           "dog\tcat\t7.4\ncastle\twoman\t0.9\n")


def write_lines(path: Path, sentences: Iterable[list[str]]) -> None:
    """A corpus file: one sentence a line, words separated by spaces."""
    path.write_text("".join(" ".join(s) + "\n" for s in sentences), encoding="utf-8")


def write_evaluation_files(root: Path) -> None:
    """``questions-words.txt`` and ``wordsim353.tsv`` in ``root``."""
    (root / "questions-words.txt").write_text(QUESTIONS_WORDS, encoding="utf-8")
    (root / "wordsim353.tsv").write_text(WORDSIM, encoding="utf-8")
