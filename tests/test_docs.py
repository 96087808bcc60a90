"""The documentation's code runs (issue 17, item 6): every code block of README.md and of
docs/**/*.rst.

A document's blocks run in order in one namespace, in a temporary folder holding the files
they name (``corpus.txt``, ``text8.txt``, ``model.zip``, ``vectors.bin`` ...), the way a
reader would type them:

* Python blocks (```python fences, ``.. code-block:: python``) are executed;
* doctest blocks (paragraphs of ``>>>`` lines) are executed and their output compared;
* shell blocks whose every command is ``w2v ...`` run through :func:`w2v.cli.main`, which
  must return 0.

A block that cannot run in a test (a Dask cluster, a benchmark, an install) says so just
before it, with ``.. skip: reason`` in reStructuredText or ``<!-- skip: reason -->`` in
Markdown. Any other shell block is an error, and the skipped blocks are counted, so that a
block cannot stop running without a test noticing. The docstrings' examples are run by
``test_doctests.py``.
"""

from __future__ import annotations

import contextlib
import doctest
import importlib.util
import inspect
import io
import re
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from example_files import write_evaluation_files, write_lines

from w2v import PathCorpus, TrainingParams, Word2Vec
from w2v.cli import main

ROOT = Path(__file__).resolve().parent.parent
#: Absent when the tests run from a copy outside the source tree (a wheel's test step).
DOCUMENTS = sorted(p for p in [ROOT / "README.md", *(ROOT / "docs").glob("**/*.rst")]
                   if p.is_file())
PYTHON = {"python", "py", "python3"}
SHELL = {"bash", "sh", "shell", "console"}
#: Blocks run, and blocks skipped with a reason, over all the documents when this was
#: written: a floor for the first (an empty or broken collection fails), the exact count
#: for the second (a new skip must be counted here).
RUN_AT_LEAST = 24  # 26 when written
SKIPPED = 17
#: The corpus of the examples: every word they query, each often enough for min_count=5.
SENTENCES = [["the", "king", "and", "the", "queen", "rule", "the", "realm"],
             ["the", "man", "and", "the", "woman", "walk", "the", "dog"],
             ["a", "prince", "and", "a", "princess", "guard", "the", "castle"],
             ["a", "boy", "and", "a", "girl", "feed", "the", "cat"],
             ["we", "eat", "breakfast", "lunch", "and", "dinner"],
             ["the", "man", "and", "the", "woman", "drive", "the", "car"],
             ["troll", "2", "is", "great"], ["gymkata", "is", "great"],
             ["the", "cat", "eats", "cheese"]] * 40


@dataclass(frozen=True)
class Block:
    """One code block: where it is, its kind (python, doctest, w2v, shell) and its code."""

    where: str
    kind: str
    code: str
    skip: str | None = None  # the reason given in the document, if it is not run


def _shell_kind(code: str) -> str:
    """``w2v`` when every command of a shell block is a ``w2v`` command, else ``shell``."""
    commands = [shlex.split(line, comments=True) for line in _logical_lines(code)]
    commands = [argv for argv in commands if argv]
    return "w2v" if commands and all(argv[0] == "w2v" for argv in commands) else "shell"


def _logical_lines(code: str) -> list[str]:
    return code.replace("\\\n", " ").splitlines()


def _kind(language: str, code: str) -> str | None:
    language = language.lower()
    if language in PYTHON:
        return "python"
    if language in SHELL:
        return _shell_kind(code)
    return None  # text, toml, ...: not code to run


def _dedent(lines: list[str]) -> str:
    width = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[width:] for line in lines).strip("\n") + "\n"


def markdown_blocks(text: str, name: str) -> list[Block]:
    """The fenced code blocks of a Markdown document."""
    blocks, lines, i = [], text.splitlines(), 0
    skip = None
    while i < len(lines):
        line = lines[i].strip()
        marker = re.fullmatch(r"<!--\s*skip:\s*(.*?)\s*-->", line)
        if marker:
            skip = marker.group(1)
        elif line.startswith("```"):
            start, language = i, line[3:].strip()
            i += 1
            body = []
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            blocks += _block(name, start, language, body, skip)
            skip = None
        elif line:
            skip = None  # a marker only covers the block right after it
        i += 1
    return blocks


def _block(name: str, start: int, language: str, body: list[str],
           skip: str | None) -> list[Block]:
    """The fenced or directive block starting at line index ``start``, as a one-item list,
    or no item when its language is not one the tests run."""
    code = _dedent(body)
    kind = _kind(language, code)
    return [] if kind is None else [Block(f"{name}:{start + 1}", kind, code, skip)]


def rst_blocks(text: str, name: str) -> list[Block]:
    """The ``code-block`` directives and doctest blocks of a reStructuredText document."""
    blocks, lines, i = [], text.splitlines(), 0
    skip = None
    while i < len(lines):
        line = lines[i]
        marker = re.fullmatch(r"\s*\.\. skip:\s*(.*?)\s*", line)
        directive = re.fullmatch(r"(\s*)\.\. code-block::\s*(\S+)\s*", line)
        if marker:
            skip = marker.group(1)
        elif directive:
            start, indent, language = i, len(directive.group(1)), directive.group(2)
            i += 1
            while i < len(lines) and re.fullmatch(r"\s+:[\w-]+:.*", lines[i]):
                i += 1  # the directive's options
            body = []
            while i < len(lines) and (not lines[i].strip()
                                      or len(lines[i]) - len(lines[i].lstrip()) > indent):
                body.append(lines[i])
                i += 1
            blocks += _block(name, start, language, body, skip)
            skip = None
            continue
        elif line.lstrip().startswith(">>>") and (i == 0 or not lines[i - 1].strip()):
            start, body = i, []
            while i < len(lines) and lines[i].strip():
                body.append(lines[i])
                i += 1
            blocks.append(Block(f"{name}:{start + 1}", "doctest", _dedent(body), skip))
            skip = None
            continue
        elif line.strip():
            skip = None
        i += 1
    return blocks


def document_blocks(path: Path) -> list[Block]:
    name = path.relative_to(ROOT).as_posix()
    text = path.read_text(encoding="utf-8")
    return (markdown_blocks if path.suffix == ".md" else rst_blocks)(text, name)


@pytest.fixture(scope="module")
def example_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The files the documents name, made once (each document gets a copy)."""
    root = tmp_path_factory.mktemp("docs-files")
    write_lines(root / "corpus.txt", SENTENCES)
    (root / "text8.txt").write_text(" ".join(w for s in SENTENCES for w in s), encoding="utf-8")
    write_evaluation_files(root)
    model = Word2Vec(SENTENCES, vector_size=16, min_count=1, workers=1, seed=1).train()
    model.save(root / "model.zip")
    model.wv.save(root / "vectors.zip")
    model.wv.save_word2vec_format(root / "vectors.bin", binary=True)
    model.wv.save_word2vec_format(root / "vectors.txt.gz")
    return root


def run_block(block: Block, namespace: dict) -> None:
    """Run one block; an assertion error says which block failed and how."""
    if block.kind == "python":
        exec(compile(block.code, block.where, "exec"), namespace)
    elif block.kind == "doctest":
        test = doctest.DocTestParser().get_doctest(block.code, namespace, block.where,
                                                   block.where, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS
                                       | doctest.NORMALIZE_WHITESPACE)
        report: list[str] = []
        runner.run(test, out=report.append, clear_globs=False)
        assert runner.failures == 0, "".join(report)
    elif block.kind == "w2v":
        for line in _logical_lines(block.code):
            argv = shlex.split(line, comments=True)
            if argv:
                with contextlib.redirect_stdout(io.StringIO()) as out:
                    status = main(argv[1:])
                assert status == 0, f"{block.where}: `{line.strip()}` exited {status}\n" \
                                    f"{out.getvalue()}"
    else:
        raise AssertionError(f"{block.where}: a shell block that is not only `w2v` commands "
                             "cannot run here; mark it `.. skip: reason` (`<!-- skip: reason"
                             " -->` in Markdown)")


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if document_blocks(p)],
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_code_blocks_run(path: Path, example_folder: Path, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = [block for block in document_blocks(path) if block.skip is None]
    if not blocks:
        pytest.skip("every block is marked skip")
    work = tmp_path / "work"
    shutil.copytree(example_folder, work)
    monkeypatch.chdir(work)
    namespace: dict = {"__name__": "__docs__"}
    try:
        for block in blocks:
            run_block(block, namespace)
    finally:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")


def test_every_block_is_run_or_skipped_with_a_reason() -> None:
    """The collection finds the blocks (a parser that found nothing would make the test above
    pass on nothing), every shell block that is not run is marked, and the skips are the
    ones counted here."""
    if not (ROOT / "docs" / "conf.py").exists():
        pytest.skip("the documentation is not beside the tests (a wheel's test step)")
    blocks = [block for path in DOCUMENTS for block in document_blocks(path)]
    run = [block for block in blocks if block.skip is None]
    skipped = [block for block in blocks if block.skip is not None]
    kinds = {block.kind for block in run}
    assert len(run) >= RUN_AT_LEAST, [block.where for block in run]
    assert {"python", "doctest", "w2v"} <= kinds, kinds
    assert "shell" not in kinds, [block.where for block in run if block.kind == "shell"]
    assert all(block.skip.strip() for block in skipped), skipped
    assert len(skipped) == SKIPPED, [(block.where, block.skip) for block in skipped]
    assert any(path.name == "README.md" for path in DOCUMENTS)
    assert any(block.where.startswith("README.md") for block in run)


def test_a_skip_marker_covers_only_the_next_block() -> None:
    text = (".. skip: needs a cluster\n\n.. code-block:: python\n\n   1 / 0\n\nProse.\n\n"
            ".. code-block:: bash\n\n   w2v similar vectors.bin king\n")
    first, second = rst_blocks(text, "x.rst")
    assert (first.skip, first.code) == ("needs a cluster", "1 / 0\n")
    assert (second.skip, second.kind) == (None, "w2v")
    markdown = "<!-- skip: slow -->\n\ntext\n\n```python\nx = 1\n```\n"
    assert markdown_blocks(markdown, "x.md")[0].skip is None


def test_a_failing_block_fails_the_test() -> None:
    with pytest.raises(ZeroDivisionError):
        run_block(Block("x.rst:1", "python", "1 / 0\n"), {})
    with pytest.raises(AssertionError, match="x.rst:1"):
        run_block(Block("x.rst:1", "doctest", ">>> 1 + 1\n3\n"), {})
    with pytest.raises(AssertionError, match="mark it"):
        run_block(Block("x.rst:1", "shell", "pip install w2v\n"), {})


def test_the_api_reference_reads_descriptions_as_descriptions() -> None:
    """docs/docstrings.py turns the docstrings' ``name : description`` entries into what
    napoleon reads as a name and a description, keeps real types, and makes a trailing
    "Returns ..." sentence a section (so the reference does not print sentences as types)."""
    source = ROOT / "docs" / "docstrings.py"
    if not source.is_file():
        pytest.skip("the documentation is not beside the tests (a wheel's test step)")
    spec = importlib.util.spec_from_file_location("w2v_docs_docstrings", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    params = module.split_fields(inspect.cleandoc(TrainingParams.__doc__).splitlines())
    at = params.index("vector_size")
    assert params[at + 1].strip() == "dimensions of the word vectors."
    corpus = module.split_fields(inspect.cleandoc(PathCorpus.__doc__).splitlines())
    assert "path : str or os.PathLike" in corpus
    predict = module.split_fields(
        inspect.cleandoc(Word2Vec.predict_output_word.__doc__).splitlines())
    at = predict.index("Returns")
    assert predict[at + 1] == "-------" and predict[at + 2].startswith("``[(word, probability)")
