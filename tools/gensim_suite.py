"""Run gensim's own Word2Vec and KeyedVectors tests against w2v's classes.

gensim ships its tests in its package (``gensim/test/test_word2vec.py`` and
``test_keyedvectors.py``). This script runs them with pytest after a small plugin has
swapped gensim's classes for others, before the test modules import them:

- ``--classes compat`` (default): :mod:`w2v.compat.gensim` (the drop-in);
- ``--classes w2v``: w2v's own ``w2v.Word2Vec`` / ``w2v.KeyedVectors`` (what a user who
  only changes the import to ``from w2v import Word2Vec`` meets);
- ``--classes gensim``: nothing swapped (the baseline: gensim's own classes).

Tests outside the drop-in's scope are deselected by name (``EXCLUDED``, each with its
reason). It prints passed / failed / skipped / excluded counts and a table of the
failures; ``--json PATH`` writes the result. Needs gensim (and ``testfixtures``, which
gensim's tests import) installed; it is not part of the default test suite.

Example
-------
>>> EXCLUDED["test_word2vec.py::TestWord2VecScripts::test_word2vec_stand_alone_script"][:12]
"gensim's scr"

Command line::

    python tools/gensim_suite.py --classes compat --json gensim_suite.json
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

PICKLE = "pickle persistence (gensim's save/load format; w2v saves no pickle by design)"
OLD = "loads a model file pickled by an old gensim release"
SCRIPT = "gensim's scripts, not its API"
PRIVATE = ("calls gensim's private _load_word2vec_format(cls=KeyedVectors, binary_chunk_size=)"
           " and its internals; the public load_word2vec_format is tested by other tests")
FILE_MODE = "corpus_file mode internals (gensim's Cython reader and its restrictions)"

#: Test id (file::class::test) -> why it is out of the drop-in's scope.
EXCLUDED: dict[str, str] = {
    "test_word2vec.py::TestWord2VecModel::test_persistence_backwards_compatible": OLD,
    "test_word2vec.py::TestWord2VecModel::test_load_pre_keyed_vector_model_c_format": OLD,
    "test_word2vec.py::TestWord2VecModel::test_load_old_model": OLD,
    "test_word2vec.py::TestWord2VecModel::test_load_old_model_separates": OLD,
    "test_word2vec.py::TestWord2VecModel::test_load_old_models_1_x": OLD,
    "test_word2vec.py::TestWord2VecModel::test_load_old_models_2_x": OLD,
    "test_word2vec.py::TestWord2VecModel::test_load_old_models_3_x": OLD,
    "test_keyedvectors.py::Gensim320Test::test": OLD,
    "test_word2vec.py::TestWord2VecModel::test_large_mmap":
        PICKLE + ": save(sep_limit=0) stores arrays outside the pickle",
    "test_word2vec.py::TestWord2VecModel::"
    "test_persistence_word2vec_format_combination_with_standard_persistence":
        PICKLE + ": gensim's pickled KeyedVectors must fail to unpickle as a Word2Vec",
    "test_word2vec.py::TestWord2VecModel::test_load_on_class_error":
        PICKLE + ": gensim's SaveLoad refuses load() called on an instance",
    "test_word2vec.py::TestWord2VecModel::test_file_should_not_be_compressed": FILE_MODE,
    "test_word2vec.py::TestWord2VecSentenceIterators::"
    "test_cython_line_sentence_works_with_filename": FILE_MODE,
    "test_keyedvectors.py::LoadWord2VecFormatTest::test_load_word2vec_format_basic": PRIVATE,
    "test_keyedvectors.py::LoadWord2VecFormatTest::test_load_word2vec_format_limit": PRIVATE,
    "test_keyedvectors.py::LoadWord2VecFormatTest::test_load_word2vec_format_space_stripping":
        PRIVATE,
    "test_word2vec.py::TestWord2VecModel::test_reset_from":
        "reset_from shares gensim's internal structures between models",
    "test_word2vec.py::TestWord2VecScripts::test_word2vec_stand_alone_script": SCRIPT,
}

GENSIM_TESTS = ("test_word2vec.py", "test_keyedvectors.py")

PLUGIN = '''\
"""Written by tools/gensim_suite.py: swap gensim's classes, record the outcomes."""
import json
import os

CLASSES = os.environ["W2V_SUITE_CLASSES"]
EXCLUDED = set(json.loads(os.environ["W2V_SUITE_EXCLUDED"]))
OUTCOMES = {}

if CLASSES != "gensim":
    import gensim.models
    import gensim.models.keyedvectors
    import gensim.models.word2vec
    if CLASSES == "compat":
        from w2v.compat import gensim as swap
        readers = ("LineSentence", "Text8Corpus", "PathLineSentences")
    else:
        import w2v as swap
        readers = ()
    for module in (gensim.models, gensim.models.word2vec):
        module.Word2Vec = swap.Word2Vec
    for module in (gensim.models, gensim.models.keyedvectors):
        module.KeyedVectors = swap.KeyedVectors
    for name in readers:
        setattr(gensim.models.word2vec, name, getattr(swap, name))


def _short(nodeid):
    return nodeid.replace("\\\\", "/").split("/")[-1]


def pytest_collection_modifyitems(config, items):
    kept, dropped = [], []
    for item in items:
        (dropped if _short(item.nodeid) in EXCLUDED else kept).append(item)
    items[:] = kept
    config.hook.pytest_deselected(items=dropped)


def pytest_runtest_logreport(report):
    key = _short(report.nodeid)
    if report.when == "call" or report.outcome != "passed":
        if OUTCOMES.get(key, {}).get("outcome") in ("failed", "skipped"):
            return
        message = ""
        if report.outcome == "failed":
            crash = getattr(report.longrepr, "reprcrash", None)
            message = crash.message if crash is not None else str(report.longrepr)[-300:]
        elif report.outcome == "skipped":
            message = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        OUTCOMES[key] = {"outcome": report.outcome, "message": message.splitlines()[0][:200]
                         if message else ""}


def pytest_sessionfinish(session):
    with open(os.environ["W2V_SUITE_OUT"], "w", encoding="utf-8") as fh:
        json.dump(OUTCOMES, fh)
'''


def gensim_test_dir() -> Path:
    """Where the installed gensim keeps its tests (ImportError without gensim)."""
    import gensim

    return Path(gensim.__file__).resolve().parent / "test"


def run_suite(classes: str, timeout: float = 3600, extra: list[str] | None = None) -> dict:
    """Run gensim's two test files with ``classes`` swapped in; the outcome of each test,
    the counts, and the exclusions with their reasons."""
    tests = gensim_test_dir()
    with tempfile.TemporaryDirectory() as work:
        Path(work, "w2v_gensim_swap.py").write_text(PLUGIN, encoding="utf-8")
        out = Path(work, "outcomes.json")
        env = dict(os.environ, W2V_SUITE_CLASSES=classes, W2V_SUITE_OUT=str(out),
                   W2V_SUITE_EXCLUDED=json.dumps(sorted(EXCLUDED)))
        env["PYTHONPATH"] = os.pathsep.join(p for p in (work, env.get("PYTHONPATH")) if p)
        command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                   "-p", "w2v_gensim_swap", "--rootdir", str(tests), "-o", "addopts=",
                   *(str(tests / name) for name in GENSIM_TESTS), *(extra or [])]
        subprocess.run(command, env=env, cwd=work, timeout=timeout,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not out.exists():
            raise RuntimeError("pytest did not finish: run the command by hand to see why: "
                               + " ".join(command))
        outcomes = json.loads(out.read_text(encoding="utf-8"))
    counts = {k: sum(o["outcome"] == k for o in outcomes.values())
              for k in ("passed", "failed", "skipped")}
    counts["excluded"] = len(EXCLUDED)
    return {"classes": classes, "counts": counts, "outcomes": outcomes,
            "excluded": EXCLUDED}


def report(result: dict) -> str:
    """Counts and a table of the failures, as printed."""
    c = result["counts"]
    run = c["passed"] + c["failed"]
    share = 100.0 * c["passed"] / run if run else 0.0
    lines = [f"classes={result['classes']}: {c['passed']} passed, {c['failed']} failed, "
             f"{c['skipped']} skipped, {c['excluded']} excluded "
             f"({share:.1f}% of the {run} tests run pass)"]
    failures = sorted((k, o["message"]) for k, o in result["outcomes"].items()
                      if o["outcome"] == "failed")
    if failures:
        lines.append("failures:")
        width = max(len(k) for k, _ in failures)
        lines += [f"  {k:<{width}}  {textwrap.shorten(m, 110)}" for k, m in failures]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--classes", choices=("compat", "w2v", "gensim"), default="compat")
    parser.add_argument("--json", help="write the result to this file")
    parser.add_argument("--timeout", type=float, default=3600)
    args = parser.parse_args(argv)
    result = run_suite(args.classes, args.timeout)
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
