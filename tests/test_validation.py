"""Public parameters are checked one way: ``w2v._util.validation``, one exception type (a
ValueError and a TypeError at once) and one message format, wherever they are passed."""

import ast
import re
from pathlib import Path

import numpy as np
import pytest

import w2v
from w2v import KeyedVectors, PathCorpus, TrainingParams, Word2Vec
from w2v._util.validation import (
    InvalidParameterError,
    check_choice,
    check_flag,
    check_int,
    check_number,
)
from w2v.data.vocab import count_words
from w2v.io.archive import read_archive
from w2v.io.word2vec_format import load_word2vec_format
from w2v.vectors.evaluate import evaluate_word_analogies, evaluate_word_pairs

FORMAT = re.compile(r"^(?P<name>[\w.: '/-]+) must be (?P<requirement>.+), got (?P<value>.+)$")


@pytest.mark.parametrize("value, expected", [(3, 3), (np.int32(3), 3), (np.uint64(7), 7)])
def test_integers_of_any_integer_type_come_back_as_python_ints(value, expected):
    result = check_int("n", value, minimum=0)
    assert result == expected and type(result) is int


@pytest.mark.parametrize("value", [True, False, 2.0, "2", None, [2], np.float32(2)])
def test_a_non_integer_is_refused_with_its_name(value):
    with pytest.raises(InvalidParameterError, match=r"^n must be an integer, got "):
        check_int("n", value)


def test_bounds_are_inclusive_and_named():
    assert check_int("n", 1, minimum=1, maximum=3) == 1
    assert check_int("n", 3, minimum=1, maximum=3) == 3
    with pytest.raises(ValueError, match=r"^n must be >= 1, got 0$"):
        check_int("n", 0, minimum=1, maximum=3)
    with pytest.raises(ValueError, match=r"^n must be <= 10,000, got 10001$"):
        check_int("n", 10_001, maximum=10_000)


def test_none_only_where_allowed_and_said_so():
    assert check_int("limit", None, allow_none=True) is None
    with pytest.raises(InvalidParameterError, match="limit must be an integer or None"):
        check_int("limit", "x", allow_none=True)
    with pytest.raises(InvalidParameterError, match="limit must be an integer, got None"):
        check_int("limit", None)


def test_the_error_is_both_a_value_error_and_a_type_error():
    for exception in (ValueError, TypeError):
        with pytest.raises(exception):
            check_int("n", "five")
        with pytest.raises(exception):
            check_int("n", -1, minimum=0)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), True, "0.1",
                                   None, b"1"])
def test_numbers_must_be_finite_real_values(value):
    with pytest.raises(InvalidParameterError, match=r"^rate must be a finite number, got "):
        check_number("rate", value)


def test_number_bounds_strict_or_not():
    assert check_number("rate", np.float32(0.5)) == 0.5
    assert check_number("rate", 0, minimum=0.0) == 0.0
    with pytest.raises(ValueError, match=r"^rate must be > 0.0, got 0$"):
        check_number("rate", 0, minimum=0.0, strict=True)
    with pytest.raises(ValueError, match=r"^rate must be >= 0.0, got -0.5$"):
        check_number("rate", -0.5, minimum=0.0)
    assert check_number("rate", None, allow_none=True) is None


def test_flags_and_choices():
    for value in (0, 1, True, False):
        check_flag("sg", value)
    for value in (2, -1, "1", 0.5, None):
        with pytest.raises(InvalidParameterError, match=r"^sg must be 0 or 1, got "):
            check_flag("sg", value)
    check_choice("merge", "sum", ("sum", "average"))
    with pytest.raises(InvalidParameterError,
                       match=r"^merge must be one of \('sum', 'average'\), got 'max'$"):
        check_choice("merge", "max", ("sum", "average"))


def test_a_long_value_is_cut_short_in_the_message():
    with pytest.raises(InvalidParameterError) as caught:
        check_int("n", list(range(1000)))
    assert len(str(caught.value)) < 120 and str(caught.value).endswith("...")


# ------------------------------------------------ the same format at every public door
@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("validation")
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(30)]
    sentences = [list(rng.choice(words, 12)) for _ in range(200)]
    corpus = folder / "corpus.txt"
    corpus.write_text("\n".join(" ".join(s) for s in sentences) + "\n", encoding="utf-8")
    model = Word2Vec(sentences, vector_size=8, min_count=1, epochs=1, workers=1).train()
    vectors = folder / "vectors.txt"
    model.wv.save_word2vec_format(vectors)
    archive = folder / "model.zip"
    model.save(archive)
    questions = folder / "questions.txt"
    questions.write_text(": s\nw1 w2 w3 w4\n", encoding="utf-8")
    return {"model": model, "corpus": corpus, "vectors": vectors, "archive": archive,
            "questions": questions, "sentences": sentences}


DOORS = {  # what the user calls -> (the parameter the message must name)
    "Word2Vec window": (lambda t: Word2Vec(t["sentences"], window=0), "window"),
    "Word2Vec vector_size": (lambda t: Word2Vec(t["sentences"], vector_size="8"),
                             "vector_size"),
    "Word2Vec sample": (lambda t: Word2Vec(t["sentences"], sample=float("nan")), "sample"),
    "Word2Vec sg": (lambda t: Word2Vec(t["sentences"], sg=2), "sg"),
    "Word2Vec loss": (lambda t: Word2Vec(t["sentences"], loss="hinge"), "loss"),
    "TrainingParams alpha": (lambda t: TrainingParams(alpha=0), "alpha"),
    "TrainingParams workers": (lambda t: TrainingParams(workers=True), "workers"),
    "train epochs": (lambda t: t["model"].train(t["sentences"], epochs=0), "epochs"),
    "predict topn": (lambda t: t["model"].predict_output_word(["w1"], topn=0), "topn"),
    "most_similar topn": (lambda t: t["model"].wv.most_similar("w1", topn=-2), "topn"),
    "most_similar restrict_vocab": (
        lambda t: t["model"].wv.most_similar("w1", restrict_vocab=0), "restrict_vocab"),
    "PathCorpus block_size": (lambda t: PathCorpus(t["corpus"], block_size=0), "block_size"),
    "PathCorpus max_sentence_length": (
        lambda t: PathCorpus(t["corpus"], max_sentence_length=1.5), "max_sentence_length"),
    "count_words max_vocab_size": (
        lambda t: count_words(t["sentences"], max_vocab_size=-1), "max_vocab_size"),
    "load_word2vec_format limit": (
        lambda t: load_word2vec_format(t["vectors"], limit=-1), "limit"),
    "KeyedVectors limit": (
        lambda t: KeyedVectors.load_word2vec_format(t["vectors"], limit="3"), "limit"),
    "read_archive mmap": (lambda t: read_archive(t["archive"], mmap="rw"), "mmap"),
    "analogies restrict_vocab": (
        lambda t: evaluate_word_analogies(t["model"].wv, t["questions"], restrict_vocab=-1),
        "restrict_vocab"),
    "analogies batch_size": (
        lambda t: evaluate_word_analogies(t["model"].wv, t["questions"], batch_size=0),
        "batch_size"),
    "word pairs restrict_vocab": (
        lambda t: evaluate_word_pairs(t["model"].wv, t["questions"], restrict_vocab=None),
        "restrict_vocab"),
}


@pytest.mark.parametrize("door", DOORS)
def test_every_public_door_reports_a_bad_parameter_the_same_way(trained, door):
    call, name = DOORS[door]
    with pytest.raises(InvalidParameterError) as caught:
        call(trained)
    match = FORMAT.match(str(caught.value))
    assert match, f"{door}: {caught.value}"
    assert match["name"] == name, f"{door}: {caught.value}"


def test_a_saved_model_with_a_bad_number_names_the_file_and_field(trained, tmp_path):
    # file contents are checked by the same functions, prefixed with where the value was
    folder = tmp_path / "model"
    trained["model"].save(folder)
    meta_path = folder / "meta.json"
    text = meta_path.read_text(encoding="utf-8")
    meta_path.write_text(re.sub(r'"vocab_updates": \d+', '"vocab_updates": -3', text),
                         encoding="utf-8")
    with pytest.raises(InvalidParameterError,
                       match=re.escape(str(folder)) + r".*'vocab_updates' must be >= 0, got -3"):
        Word2Vec.load(folder)


def _hand_written_int_checks(path: Path) -> list[int]:
    """Lines of ``isinstance(x, bool)`` guards: the mark of an "int but not bool" check
    written by hand instead of with check_int."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "isinstance" and len(node.args) == 2
                and isinstance(node.args[0], ast.Name)
                and isinstance(node.args[1], ast.Name) and node.args[1].id == "bool"):
            lines.append(node.lineno)
    return lines


def test_no_module_writes_its_own_int_check():
    package = Path(w2v.__file__).parent
    found = {str(p.relative_to(package)): lines for p in package.rglob("*.py")
             if p.name != "validation.py" and (lines := _hand_written_int_checks(p))}
    # checkpoint_every is a duration ("10min", 600, "2 epochs"), parsed, not an int check
    assert found == {"train/checkpoint.py": found.get("train/checkpoint.py", [])}, found
    assert _hand_written_int_checks(package / "_util" / "validation.py")  # the scan works
