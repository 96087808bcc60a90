"""Every docstring example of the installed package runs (issue 17, item 6).

The examples of each module, compiled ones included, are executed with ``doctest`` in a
temporary folder that holds the files they name (``model.zip``, ``vectors.bin``, ``run.zip``,
``questions-words.txt``, ``corpus_dir`` ...) and with the objects they use (``model``, a
``kernel`` and its arrays, an encoded corpus ...). An example is skipped only where it needs
what a test cannot have (a Dask cluster), and says so on its line.
"""

import doctest
import importlib
import importlib.util
import pkgutil

import numpy as np
import pytest
from example_files import write_evaluation_files, write_lines

import w2v
from w2v import PathCorpus, Word2Vec, _core
from w2v.data.encoding import encode_corpus
from w2v.train.kernel import make_kernel
from w2v.train.trainer import RunPlan
from w2v.train.weights import initial_weights

MODULES = sorted({"w2v", *(m.name for m in pkgutil.walk_packages(w2v.__path__, "w2v."))}
                 - {"w2v.__main__"})
SENTENCES = [["the", "king", "and", "the", "queen", "rule", "the", "realm"],
             ["the", "man", "and", "the", "woman", "walk", "the", "dog"],
             ["a", "prince", "and", "a", "princess", "guard", "the", "castle"],
             ["a", "boy", "and", "a", "girl", "feed", "the", "cat"]] * 40
#: Examples (a module's or one object's) that need an optional extra the test environment
#: may lack (the ``test`` extra does not pull in spaCy or PyTorch): not run without it.
OPTIONAL = {"w2v.integrations.spacy": "spacy", "w2v.vectors.torch_embedding": "torch",
            "w2v.vectors.keyedvectors.KeyedVectors.to_torch": "torch"}


def missing_extra(test_name: str) -> bool:
    return any((test_name == prefix or test_name.startswith(prefix + "."))
               and importlib.util.find_spec(package) is None
               for prefix, package in OPTIONAL.items())


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """The files the examples name, made once."""
    root = tmp_path_factory.mktemp("doctests")
    write_lines(root / "corpus.txt", SENTENCES)
    (root / "text8").write_text(" ".join(w for s in SENTENCES for w in s), encoding="utf-8")
    (root / "corpus_dir").mkdir()
    for name in ("part-0.txt", "part-1.txt", "a.txt", "b.txt", "corpus_dir/part-0.txt",
                 "corpus_dir/part-1.txt"):
        write_lines(root / name, SENTENCES[:80])
    write_evaluation_files(root)
    model = Word2Vec(SENTENCES, vector_size=16, min_count=1, sample=0, workers=1,
                     seed=1).train()
    model.save(root / "model.zip")
    model.wv.save(root / "vectors.zip")
    model.wv.save_word2vec_format(root / "vectors.bin", binary=True)
    run = Word2Vec(PathCorpus(str(root / "corpus.txt")), vector_size=16, min_count=1,
                   epochs=2, workers=1)
    run.train(checkpoint=root / "run.zip", checkpoint_every="1 epoch")
    return root


def namespace() -> dict:
    """The objects the examples use, fresh for each module (examples change them)."""
    model = Word2Vec(SENTENCES, vector_size=16, min_count=1, sample=0, workers=1,
                     seed=1).train()
    encoded = encode_corpus(SENTENCES, model.vocab.key_to_index)
    vectors, out_words, _ = initial_weights(len(model.vocab), model.params)
    tree_free = make_kernel(model.params, model.vocab, vectors, out_words, None)
    keep = model.vocab.keep_probabilities(0.0)
    noise = np.full(len(model.vocab), 1.0)
    kernel = _core.Kernel(vectors, out_words, None, keep, noise, np.arange(len(model.vocab),
                          dtype=np.int32), None, None, None, sg=1, cbow_mean=1, window=5,
                          negative=5, hs=0, softmax=0, subsample=0, hot_rows=4)
    return {
        "model": model, "corpus": SENTENCES, "encoded": encoded,
        "ids": encoded.ids, "offsets": encoded.offsets, "total": encoded.words,
        "progress": np.zeros(1, dtype=np.int64),
        "plan": RunPlan(epochs=1, first_epoch=0, workers=1, seed=1, start_alpha=0.025,
                        min_alpha=1e-4),
        "kernel": kernel, "training_kernel": tree_free,
        "vectors": vectors, "out_words": out_words, "keep": keep, "prob": noise,
        "alias": np.arange(len(model.vocab), dtype=np.int32),
        "copies": kernel.thread_copies(4096),
    }


def run_examples(name: str) -> tuple[int, int, str]:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    for test in finder.find(module, name):
        if ".__test__." in test.name or missing_extra(test.name):  # Cython's copy of a
            continue  # compiled function's docstring, or an example needing a missing extra
        test.globs = {**vars(module), **namespace()}
        runner.run(test, out=report.append)
    return runner.failures, runner.tries, "".join(report)


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name, folder, monkeypatch):
    from w2v import _core

    monkeypatch.chdir(folder)
    path = _core.simd_path()
    failures, tries, report = run_examples(name)
    assert failures == 0, report
    # an example that switched the vector path and left it so would run every later test
    # of the session on the other path (set_simd's own example once did)
    assert _core.simd_path() == path, f"{name}'s examples left the vector path changed"


def runnable_examples(name: str) -> int:
    """Examples of a module that the runner executes (not marked +SKIP)."""
    tests = doctest.DocTestFinder(exclude_empty=True).find(importlib.import_module(name), name)
    return sum(1 for test in tests if ".__test__." not in test.name
               for example in test.examples if not example.options.get(doctest.SKIP))


def test_the_examples_are_found_in_every_kind_of_module():
    """The runner sees the examples of plain, compiled and package modules alike (a
    finder that missed Cython's functions would make the test above pass on nothing),
    and only the Dask examples are skipped."""
    counts = {name: runnable_examples(name) for name in MODULES}
    assert counts["w2v"] > 0 and counts["w2v._core"] >= 10 and counts["w2v.model"] >= 10
    assert sum(counts.values()) >= 280, counts  # 288 when written
    skipped = [name for name in MODULES if "+SKIP" in (importlib.import_module(name).__doc__ or "")
               or any("+SKIP" in (t.docstring or "") for t in doctest.DocTestFinder().find(
                   importlib.import_module(name), name))]
    assert skipped == ["w2v.distributed.client"], skipped
