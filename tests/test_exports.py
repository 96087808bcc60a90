"""Vectors into the pipeline (issue 18, item 3): TensorBoard's projector files, spaCy (the
file ``spacy init vectors`` reads, and the table built in place), PyTorch's ``nn.Embedding``
and the scikit-learn vectorizer. Each export is read back by its consumer when that is
installed, and by an independent parser of the written text otherwise; the optional
libraries stay optional."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import w2v
from w2v import KeyedVectors
from w2v.cli import main
from w2v.io.exports import read_tensorboard, write_spacy, write_tensorboard

HAS_SPACY = importlib.util.find_spec("spacy") is not None
HAS_TORCH = importlib.util.find_spec("torch") is not None
HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None


def awkward_vectors(rows: int = 6, dims: int = 5, seed: int = 0) -> np.ndarray:
    """float32 values whose text forms are easy to get wrong: many digits, tiny, huge,
    subnormal, negative zero."""
    rng = np.random.default_rng(seed)
    matrix = rng.standard_normal((rows, dims)).astype(np.float32) * np.float32(1 / 3)
    matrix[0, :4] = [np.float32(-0.0), np.float32(1e-45), np.float32(3.4e38),
                     np.nextafter(np.float32(1), np.float32(2))]
    return matrix


def bits(matrix: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(matrix, dtype=np.float32).view(np.uint32)


def run(argv: list[str]) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue() + err.getvalue()


def projector_metadata(path: Path) -> tuple[list[str] | None, list[list[str]]]:
    """Parse a metadata file by the projector's rule: a first line of several columns is
    the header, one column means no header."""
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", "the file ends with a newline"
    rows = [line.split("\t") for line in lines[:-1]]
    if len(rows[0]) > 1:
        return rows[0], rows[1:]
    return None, rows


# --------------------------------------------------------------------- tensorboard
@pytest.mark.parametrize("with_counts", [True, False])
def test_tensorboard_layout_round_trips_bit_for_bit(tmp_path, with_counts):
    matrix = awkward_vectors()
    words = ["the", "naïve", "has space", "日本", "x", "last"]
    counts = np.array([90, 50, 7, 3, 2, 1]) if with_counts else None
    kv = KeyedVectors(matrix, words, counts)
    kv.save(tmp_path / "vectors.zip")
    status, text = run(["export", str(tmp_path / "vectors.zip"), "--to", "tensorboard",
                        str(tmp_path / "board")])
    assert status == 0, text
    board = tmp_path / "board"
    config = json.loads((board / "projector_config.json").read_text(encoding="utf-8"))
    (entry,) = config["embeddings"]
    assert entry["tensorShape"] == [6, 5]
    assert (board / entry["tensorPath"]).name == "vectors.tsv"
    assert (board / entry["metadataPath"]).name == "metadata.tsv"
    pbtxt = (board / "projector_config.pbtxt").read_text(encoding="utf-8")
    assert 'tensor_path: "vectors.tsv"' in pbtxt and 'metadata_path: "metadata.tsv"' in pbtxt

    # the vectors, parsed here cell by cell: every float32 comes back with the same bits
    lines = (board / "vectors.tsv").read_text(encoding="utf-8").splitlines()
    cells = [line.split("\t") for line in lines]
    assert [len(row) for row in cells] == [5] * 6
    parsed = np.array([[np.float32(c) for c in row] for row in cells], dtype=np.float32)
    assert np.array_equal(bits(parsed), bits(matrix))
    assert cells[0][0] == "-0"

    header, rows = projector_metadata(board / "metadata.tsv")
    if with_counts:
        assert header == ["word", "count"]
        assert rows == [[w, str(c)] for w, c in zip(words, counts.tolist(), strict=True)]
    else:
        assert header is None and rows == [[w] for w in words]

    vectors, read_words, read_counts = read_tensorboard(board)
    assert np.array_equal(bits(vectors), bits(matrix)) and read_words == words
    assert (read_counts is None) == (not with_counts)
    if with_counts:
        assert read_counts.tolist() == counts.tolist()


@pytest.mark.parametrize("bad", ["tab\there", "new\nline", "carriage\rreturn", ""])
def test_tensorboard_refuses_a_word_a_tsv_cell_cannot_hold(tmp_path, bad):
    words = ["a", "b", bad, "d"]
    with pytest.raises(ValueError, match=r"at row 2 ") as error:
        write_tensorboard(tmp_path / "board", np.ones((4, 3)), words)
    assert repr(bad) in str(error.value)
    assert not (tmp_path / "board" / "vectors.tsv").exists()


def test_tensorboard_refuses_non_finite_values_and_misshapen_input(tmp_path):
    matrix = np.ones((3, 2), np.float32)
    matrix[1, 0] = np.nan
    with pytest.raises(ValueError, match=r"'b' at row 1 is not finite"):
        write_tensorboard(tmp_path / "board", matrix, ["a", "b", "c"])
    with pytest.raises(ValueError, match="3 rows but there are 2 words"):
        write_tensorboard(tmp_path / "board", np.ones((3, 2)), ["a", "b"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        write_tensorboard(tmp_path / "file", np.ones((1, 2)), ["a"])


def test_export_command_mistakes_are_one_error_line(tmp_path):
    KeyedVectors(np.ones((2, 2), np.float32), ["a", "b"]).save(tmp_path / "v.zip")
    status, text = run(["export", str(tmp_path / "v.zip"), str(tmp_path / "out"),
                        "--to", "word"])
    assert status == 2 and "invalid choice: 'word'" in text
    status, text = run(["export", str(tmp_path / "missing.bin"), str(tmp_path / "out"),
                        "--to", "spacy"])
    assert status == 2 and "missing.bin" in text


# --------------------------------------------------------------------------- spaCy
@pytest.mark.parametrize("gzip", [False, True])
def test_spacy_file_is_the_word2vec_text_format_and_round_trips(tmp_path, gzip):
    matrix = awkward_vectors()
    words = ["the", "naïve", "and", "日本", "x", "last"]
    KeyedVectors(matrix, words).save_word2vec_format(tmp_path / "v.bin", binary=True)
    status, text = run(["export", str(tmp_path / "v.bin"), str(tmp_path / "out"), "--to",
                        "spacy", *(["--gzip"] if gzip else [])])
    assert status == 0, text
    path = tmp_path / "out" / ("vectors.txt.gz" if gzip else "vectors.txt")
    assert str(path) in text
    back = KeyedVectors.load_word2vec_format(path)
    assert back.index_to_key == words and np.array_equal(bits(back.vectors), bits(matrix))
    if not gzip:  # spaCy's reader: a "rows dims" header, then rsplit(" ", dims) per line
        lines = path.read_text(encoding="utf-8").splitlines()
        assert lines[0].split() == ["6", "5"]
        assert [line.rsplit(" ", 5)[0] for line in lines[1:]] == words


def test_spacy_file_refuses_words_with_whitespace(tmp_path):
    with pytest.raises(ValueError, match=r"'a b' at row 1"):
        write_spacy(tmp_path / "out", np.ones((2, 2)), ["a", "a b"])


@pytest.mark.skipif(not HAS_SPACY, reason="spaCy is not installed (extra: spacy)")
def test_spacy_init_vectors_reads_the_exported_file(tmp_path):
    import spacy

    matrix = awkward_vectors()
    words = ["the", "king", "queen", "dog", "cat", "naïve"]
    path = write_spacy(tmp_path / "out", matrix, words, compress=True)
    done = subprocess.run([sys.executable, "-m", "spacy", "init", "vectors", "en", str(path),
                           str(tmp_path / "pipeline")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    nlp = spacy.load(tmp_path / "pipeline")
    assert nlp.vocab.vectors.shape == matrix.shape
    for row, word in enumerate(words):
        assert np.array_equal(bits(nlp.vocab.get_vector(word)), bits(matrix[row])), word


@pytest.mark.skipif(not HAS_SPACY, reason="spaCy is not installed (extra: spacy)")
def test_spacy_blank_pipeline_gets_our_vectors():
    import spacy

    from w2v.integrations.spacy import add_to_pipeline

    matrix = awkward_vectors()
    words = ["the", "King", "queen", "dog", "cat", "naïve"]
    kv = KeyedVectors(matrix, words)
    nlp = add_to_pipeline(spacy.blank("en"), kv)
    doc = nlp("the King and naïve dog")
    for token in doc:
        if token.text in kv:
            assert token.has_vector and np.array_equal(bits(token.vector), bits(kv[token.text]))
        else:
            assert not token.has_vector and not token.vector.any()
    assert nlp.vocab.vectors.name == "w2v" and nlp.vocab.vectors.shape == (6, 5)
    assert "queen" in nlp.vocab.strings  # words that no text mentioned yet are there too
    expected = float(kv.similarity("queen", "dog"))
    assert nlp("queen")[0].similarity(nlp("dog")[0]) == pytest.approx(expected, abs=1e-6)


def test_spacy_missing_is_an_import_error_naming_the_extra(monkeypatch):
    from w2v.integrations.spacy import add_to_pipeline

    monkeypatch.setitem(sys.modules, "spacy", None)
    monkeypatch.setitem(sys.modules, "spacy.vectors", None)
    with pytest.raises(ImportError, match=r'pip install "w2v\[spacy\]"'):
        add_to_pipeline(object(), KeyedVectors(np.ones((1, 2), np.float32), ["a"]))


# ------------------------------------------------------------------------- PyTorch
@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (extra: torch)")
def test_to_torch_with_padding_row_zero():
    import torch

    kv = KeyedVectors(awkward_vectors(), ["a", "b", "c", "d", "e", "f"])
    embedding, rows = kv.to_torch(padding=True, freeze=True)
    assert isinstance(embedding, torch.nn.Embedding)
    assert rows == {w: i + 1 for i, w in enumerate(kv.index_to_key)}
    assert embedding.padding_idx == 0 and not embedding.weight.requires_grad
    assert tuple(embedding.weight.shape) == (7, 5)
    assert not embedding.weight[0].any()
    ids = torch.tensor([rows["c"], 0, rows["a"]])
    looked_up = embedding(ids).detach().numpy()
    assert np.array_equal(bits(looked_up[0]), bits(kv["c"]))
    assert np.array_equal(bits(looked_up[2]), bits(kv["a"])) and not looked_up[1].any()
    embedding.weight.data[1] += 1  # the embedding does not share the matrix
    assert np.array_equal(bits(kv.vectors), bits(awkward_vectors()))


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed (extra: torch)")
def test_to_torch_without_padding_trainable():
    kv = KeyedVectors(awkward_vectors(), ["a", "b", "c", "d", "e", "f"])
    embedding, rows = kv.to_torch(padding=False, freeze=False)
    assert rows == kv.key_to_index and embedding.padding_idx is None
    assert embedding.weight.requires_grad
    assert np.array_equal(bits(embedding.weight.detach().numpy()), bits(kv.vectors))
    with pytest.raises(ValueError, match="padding must be 0 or 1, got 'yes'"):
        kv.to_torch(padding="yes")


def test_to_torch_without_torch_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    kv = KeyedVectors(np.ones((1, 2), np.float32), ["a"])
    with pytest.raises(ImportError, match=r'pip install "w2v\[torch\]"'):
        kv.to_torch()


# ------------------------------------------------------------- optional stays optional
OPTIONAL_MODULES = ("spacy", "torch", "sklearn")
IMPORT_TRAIN_EXPORT = """
import sys
block = sys.argv[1] == "block"
if block:
    for name in {names!r}:
        sys.modules[name] = None
import w2v
from w2v.cli import main
model = w2v.Word2Vec([["a", "b", "c", "d"]] * 30, vector_size=4, min_count=1, workers=1,
                     progress=False).train()
model.wv.save("v.zip")
assert main(["export", "v.zip", "board", "--to", "tensorboard"]) == 0
assert main(["export", "v.zip", "for_spacy", "--to", "spacy"]) == 0
import w2v.integrations
loaded = sorted(n for n in {names!r} if sys.modules.get(n) is not None)
print("loaded:", loaded)
"""


@pytest.mark.parametrize("mode", ["block", "watch"])
def test_import_train_and_export_need_no_optional_library(tmp_path, mode):
    """With spaCy, torch and scikit-learn made unimportable, w2v imports, trains and exports;
    with them importable, none of them is imported on the way."""
    # the w2v these tests import (the source tree, or an installed wheel), compiled core too
    root = Path(w2v.__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])])}
    done = subprocess.run([sys.executable, "-c", IMPORT_TRAIN_EXPORT.format(
        names=OPTIONAL_MODULES), mode], cwd=tmp_path, env=env, capture_output=True,
        text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "loaded: []"
    assert (tmp_path / "board" / "vectors.tsv").exists()
    assert (tmp_path / "for_spacy" / "vectors.txt").exists()


# ---------------------------------------------------------------------- scikit-learn
if HAS_SKLEARN:
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils.estimator_checks import parametrize_with_checks

    from w2v.integrations.sklearn import Word2VecVectorizer
else:  # pragma: no cover
    def parametrize_with_checks(*args, **kwargs):
        return pytest.mark.skip(reason="scikit-learn is not installed (extra: sklearn)")

    def Word2VecVectorizer(**kwargs):  # noqa: N802 (stands in for the class)
        return None

sklearn_only = pytest.mark.skipif(not HAS_SKLEARN,
                                  reason="scikit-learn is not installed (extra: sklearn)")

#: The vectorizer takes documents (token lists or strings) and refuses numbers with a
#: TypeError naming the document; these checks feed it only numeric (or sparse) matrices,
#: so they do not apply. The others (cloning, parameters, repr, tags, unfitted errors,
#: sparse input refused with a message saying so...) pass; xfail_strict keeps both lists
#: honest: a listed check that starts passing fails the test.
NUMERIC_ONLY = ("feeds a numeric matrix; documents are token lists or strings, and numbers "
                "are refused with a TypeError naming the document")
NOT_APPLICABLE = {name: NUMERIC_ONLY for name in (
    "check_fit_score_takes_y", "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters", "check_estimators_fit_returns_self",
    "check_readonly_memmap_input", "check_positive_only_tag_during_fit",
    "check_estimators_dtypes", "check_complex_data", "check_dtype_object",
    "check_pipeline_consistency", "check_estimators_nan_inf", "check_estimators_pickle",
    "check_f_contiguous_array_estimator", "check_transformer_data_not_an_array",
    "check_transformer_general", "check_methods_sample_order_invariance",
    "check_methods_subset_invariance", "check_fit2d_1sample", "check_fit2d_1feature",
    "check_dict_unchanged", "check_fit_idempotent", "check_fit_check_is_fitted",
    "check_fit1d", "check_fit2d_predict1d")}
NOT_APPLICABLE.update({
    "check_n_features_in_after_fitting": "documents have no fixed number of input features, "
                                         "so there is no n_features_in_",
    "check_n_features_in": "documents have no fixed number of input features",
    "check_estimators_empty_data_messages": "an empty document collection is refused with "
                                            "w2v's message (no word reaches min_count), not "
                                            "scikit-learn's '0 feature(s)' wording",
})


@parametrize_with_checks([Word2VecVectorizer(vector_size=4, epochs=1)],
                         expected_failed_checks=lambda estimator: NOT_APPLICABLE,
                         xfail_strict=True)
def test_scikit_learn_conventions(estimator, check):
    check(estimator)


def two_topic_documents(count: int, seed: int) -> tuple[list[list[str]], np.ndarray]:
    """Documents of one of two planted topics (their own words among shared fillers)."""
    rng = np.random.default_rng(seed)
    topics = [[f"sport{i}" for i in range(15)], [f"cook{i}" for i in range(15)]]
    fillers = [f"filler{i}" for i in range(25)]
    labels = rng.integers(2, size=count)
    documents = [[str(rng.choice(topics[label])) if rng.random() < 0.4
                  else str(rng.choice(fillers)) for _ in range(20)] for label in labels]
    return documents, labels


@sklearn_only
@pytest.mark.parametrize("pooling", ["mean", "sif"])
def test_pipeline_with_logistic_regression_separates_planted_topics(pooling):
    train_docs, train_labels = two_topic_documents(300, seed=0)
    test_docs, test_labels = two_topic_documents(200, seed=1)
    # SIF's weights a / (a + p(w)) shrink the vectors (about 20 times here), too small for
    # LogisticRegression's default regularisation: scaling the features first is the usual
    # pipeline, and the one the guide shows
    pipeline = Pipeline([
        ("w2v", Word2VecVectorizer(vector_size=16, window=5, epochs=10, sg=1,
                                   pooling=pooling)),
        ("scale", StandardScaler()),
        ("classify", LogisticRegression(max_iter=2000)),
    ])
    pipeline.fit(train_docs, train_labels)
    assert pipeline.score(test_docs, test_labels) >= 0.9
    names = pipeline[:1].get_feature_names_out()
    assert names.tolist() == [f"word2vecvectorizer{i}" for i in range(16)]


@sklearn_only
def test_mean_pooling_is_the_mean_of_known_words():
    docs = [["a", "b", "c"], ["b", "c", "d"]] * 20
    vectorizer = Word2VecVectorizer(vector_size=6, epochs=2).fit(docs)
    assert vectorizer.fit(docs) is vectorizer
    wv = vectorizer.wv_
    out = vectorizer.transform([["a", "zzz", "d"], "c b", [], ["zzz"]])
    assert out.dtype == np.float64 and out.shape == (4, 6)
    assert np.allclose(out[0], (wv["a"].astype(np.float64) + wv["d"]) / 2)
    assert np.allclose(out[1], (wv["c"].astype(np.float64) + wv["b"]) / 2)
    assert not out[2].any() and not out[3].any()


@sklearn_only
def test_sif_weights_and_common_component_removal():
    docs, _ = two_topic_documents(100, seed=2)
    a = 1e-2
    vectorizer = Word2VecVectorizer(vector_size=8, epochs=3, pooling="sif", sif_a=a).fit(docs)
    wv = vectorizer.wv_
    tokens = [t for d in docs for t in d]
    for word in ("sport3", "filler7"):  # p(w) counted here, from the documents
        p = tokens.count(word) / len(tokens)
        assert vectorizer.word_weights_[wv.get_index(word)] == pytest.approx(a / (a + p))
    u = vectorizer.principal_component_
    assert u.shape == (8,) and np.linalg.norm(u) == pytest.approx(1.0)
    # u is the first right singular vector of the training documents' weighted averages
    weights = vectorizer.word_weights_
    averages = np.array([sum(weights[wv.get_index(t)] * wv[t].astype(np.float64) for t in d)
                         / len(d) for d in docs])
    top = np.linalg.svd(averages)[2][0]
    assert abs(abs(top @ u) - 1) < 1e-6
    out = vectorizer.transform(docs[:10])
    assert np.abs(out @ u).max() < 1e-9
    assert np.allclose(out, averages[:10] - np.outer(averages[:10] @ u, u))


@sklearn_only
def test_vectorizer_follows_the_conventions_on_token_lists():
    """What the numeric-only checks above would have checked, on documents."""
    import pickle

    docs, _ = two_topic_documents(60, seed=3)
    vectorizer = Word2VecVectorizer(vector_size=5, epochs=2, pooling="sif")
    params = vectorizer.get_params()
    first = vectorizer.fit_transform(docs)
    assert vectorizer.get_params() == params  # fit leaves the parameters alone
    assert np.array_equal(clone(vectorizer).fit(docs).transform(docs), first)  # idempotent
    order = np.random.default_rng(0).permutation(len(docs))
    assert np.array_equal(vectorizer.transform([docs[i] for i in order]), first[order])
    assert np.array_equal(vectorizer.transform(docs[:7]), first[:7])
    # joblib persists fitted pipelines by pickling; this pickle is our own, made here
    copy = pickle.loads(pickle.dumps(vectorizer))
    assert np.array_equal(copy.transform(docs), first)
    assert vectorizer.set_params(pooling="mean") is vectorizer
    assert vectorizer.get_params()["pooling"] == "mean"


@sklearn_only
def test_vectorizer_mistakes_are_named():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Word2VecVectorizer().transform([["a"]])
    with pytest.raises(ValueError, match="pooling must be one of"):
        Word2VecVectorizer(pooling="max").fit([["a", "b"]])
    with pytest.raises(ValueError, match="sif_a must be > 0.0, got 0"):
        Word2VecVectorizer(sif_a=0).fit([["a", "b"]])
    with pytest.raises(TypeError, match=r"document 1 holds 3 \(int\)"):
        Word2VecVectorizer().fit([["a"], ["b", 3]])
    with pytest.raises(TypeError, match="sparse input is not supported"):
        from scipy.sparse import csr_matrix

        Word2VecVectorizer().fit(csr_matrix(np.eye(2)))
    with pytest.raises(ValueError, match="X holds no documents"):
        Word2VecVectorizer().fit([])


@sklearn_only
def test_the_reference_shows_the_real_signature():
    """docs/api/integrations.rst writes the vectorizer's signature out (the reference is
    built with scikit-learn mocked): it must be the class's."""
    import inspect

    page = Path(__file__).resolve().parent.parent / "docs" / "api" / "integrations.rst"
    if not page.exists():
        pytest.skip("the documentation is not beside the tests")
    line = next(t for t in page.read_text(encoding="utf-8").splitlines()
                if t.startswith(".. autoclass:: w2v.integrations.sklearn.Word2VecVectorizer"))
    written = line.split("Word2VecVectorizer", 1)[1]
    real = inspect.signature(Word2VecVectorizer).replace(return_annotation=inspect.Signature.empty)
    shown = "(" + ", ".join(f"{p.name}={p.default!r}" for p in real.parameters.values()) + ")"
    assert written == shown
