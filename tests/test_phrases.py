"""w2v.data.phrases: exactness against word2phrase.c and gensim 4.4, greedy-joining
properties, bounded memory, the saved table and the ``w2v phrases`` command."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from w2v._util.validation import InvalidParameterError
from w2v.cli import main
from w2v.data.phrases import (
    ENGLISH_CONNECTOR_WORDS,
    FrozenPhrases,
    PhraseChain,
    PhrasedCorpus,
    Phrases,
    npmi_score,
    word2phrase_score,
)

SOURCES = Path("/tmp/w2c")


def generated_lines(seed: int, n_lines: int = 1500) -> list[str]:
    """Zipf-like words with collocations planted at several strengths (so scores spread
    around any threshold), connector words, blank lines, tabs and repeated spaces."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(80)]
    weights = [1.0 / (i + 1) for i in range(80)]
    planted = [(f"p{i}", f"q{i}", 0.0006 * (i + 1)) for i in range(12)]
    connectors = ["of", "the", "and"]
    lines = []
    for _ in range(n_lines):
        tokens: list[str] = []
        for _ in range(rng.randint(0, 14)):
            roll = rng.random()
            for first, second, chance in planted:
                if roll < chance:
                    tokens += [first, rng.choice(connectors), second] if rng.random() < 0.3 \
                        else [first, second]
                    if first in ("p8", "p10", "p11") and rng.random() < 0.7:
                        tokens.append("r" + first)  # a trigram, for two passes
                    break
                roll -= chance
            else:
                if rng.random() < 0.1:
                    tokens.append(rng.choice(connectors))
                elif rng.random() < 0.03:
                    tokens.append(rng.choice([p[0] for p in planted] + [p[1] for p in planted]))
                else:
                    tokens.append(rng.choices(words, weights)[0])
        separators = [rng.choice([" ", " ", " ", "\t", "  "]) for _ in tokens]
        lines.append("".join(s + t for s, t in zip(separators, tokens, strict=True)).lstrip(" \t"))
    return lines


def write_corpus(path: Path, seed: int) -> Path:
    path.write_text("\n".join(generated_lines(seed)) + "\n")
    return path


@pytest.fixture(scope="module")
def word2phrase(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """word2phrase.c compiled as published, but with a 5M-entry hash table instead of 500M
    (2 GB set to -1 twice per run): only memory; the table never fills on these corpora."""
    if shutil.which("gcc") is None or not (SOURCES / "word2phrase.c").exists():
        pytest.skip("needs gcc and the C tool's sources at /tmp/w2c")
    folder = tmp_path_factory.mktemp("word2phrase")
    source = (SOURCES / "word2phrase.c").read_text()
    assert "vocab_hash_size = 500000000;" in source
    (folder / "word2phrase.c").write_text(
        source.replace("vocab_hash_size = 500000000;", "vocab_hash_size = 5000011;"))
    subprocess.run(["gcc", "-O2", "-o", str(folder / "word2phrase"),
                    str(folder / "word2phrase.c"), "-lm", "-pthread"],
                   check=True, capture_output=True, timeout=120)
    return folder / "word2phrase"


def run_c(program: Path, source: Path, output: Path, min_count: int, threshold: float) -> bytes:
    # the C tool keeps file names in 60-byte buffers: run it beside the files
    assert source.parent == output.parent
    subprocess.run([str(program), "-train", source.name, "-output", output.name,
                    "-min-count", str(min_count), "-threshold", str(threshold), "-debug", "0"],
                   check=True, capture_output=True, timeout=120, cwd=source.parent)
    return output.read_bytes()


@pytest.mark.parametrize(("seed", "min_count", "threshold"),
                         [(1, 5, 100.0), (2, 3, 30.0), (3, 1, 10.0), (4, 10, 50.0),
                          (5, 1, 60.0), (6, 5, 7.5)])
def test_output_is_word2phrase_byte_for_byte(word2phrase: Path, tmp_path: Path, seed: int,
                                             min_count: int, threshold: float) -> None:
    corpus = write_corpus(tmp_path / "in.txt", seed)
    expected = run_c(word2phrase, corpus, tmp_path / "c.txt", min_count, threshold)
    phrases = Phrases(corpus, min_count=min_count, threshold=threshold, scoring="word2phrase")
    phrases.transform_file(corpus, tmp_path / "ours.txt")
    assert (tmp_path / "ours.txt").read_bytes() == expected
    assert b"_" in expected  # phrases were formed ...
    assert expected.count(b"_") < expected.count(b" ")  # ... and not every pair joined


def test_two_passes_equal_word2phrase_twice(word2phrase: Path, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "in.txt", 7)
    once = tmp_path / "c1.txt"
    run_c(word2phrase, corpus, once, 3, 20.0)
    expected = run_c(word2phrase, once, tmp_path / "c2.txt", 3, 10.0)
    first = Phrases(corpus, min_count=3, threshold=20.0, scoring="word2phrase")
    first.transform_file(corpus, tmp_path / "o1.txt")
    assert (tmp_path / "o1.txt").read_bytes() == once.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the joined tokens contain the delimiter
        second = Phrases(tmp_path / "o1.txt", min_count=3, threshold=10.0,
                         scoring="word2phrase")
    second.transform_file(tmp_path / "o1.txt", tmp_path / "o2.txt")
    assert (tmp_path / "o2.txt").read_bytes() == expected


@pytest.mark.parametrize("ending", ["", " ", "\r", "\t\r\n", " \n\n"])
def test_file_endings_as_word2phrase(word2phrase: Path, tmp_path: Path, ending: str) -> None:
    lines = generated_lines(9, 400)
    lines[-1] = "p1 q1 p2 q2 p2"  # the last word would form a phrase with the one before
    source = tmp_path / "in.txt"
    source.write_text("\n".join(lines) + ending)
    expected = run_c(word2phrase, source, tmp_path / "c.txt", 2, 5.0)
    phrases = Phrases(source, min_count=2, threshold=5.0, scoring="word2phrase")
    phrases.transform_file(source, tmp_path / "ours.txt")
    assert (tmp_path / "ours.txt").read_bytes() == expected
    assert phrases.corpus_word_count == sum(len(line.split()) for line in lines) - (
        ending in ("", "\r"))


def test_chain_equals_word2phrase_run_twice(word2phrase: Path, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "in.txt", 7)
    once = tmp_path / "c1.txt"
    run_c(word2phrase, corpus, once, 3, 20.0)
    expected = run_c(word2phrase, once, tmp_path / "c2.txt", 3, 10.0)
    chain = Phrases.chain(corpus, levels=2, threshold=[20.0, 10.0], min_count=3,
                          scoring="word2phrase")
    assert isinstance(chain, PhraseChain) and len(chain.models) == 2
    chain.transform_file(corpus, tmp_path / "ours.txt")
    assert (tmp_path / "ours.txt").read_bytes() == expected
    assert any(token.count(b"_") >= 2 for token in expected.split())  # trigrams formed
    with pytest.raises(InvalidParameterError, match="threshold must be one number or 2"):
        Phrases.chain(corpus, levels=2, threshold=[1.0])


def test_long_words_are_cut_as_word2phrase_cuts_them(word2phrase: Path,
                                                     tmp_path: Path) -> None:
    rng = random.Random(3)
    lines = generated_lines(10, 600)
    # words and pairs past the C tool's 59 bytes, some sharing their first 59 bytes
    longs = ["x" * 25 + "a", "x" * 30 + "b", "y" * 40, "z" * 70 + "c", "z" * 70 + "d",
             "y" * 35 + "é" * 5]
    for i in range(len(lines)):
        if rng.random() < 0.4:
            first, second = rng.sample(longs, 2)
            lines[i] += f" {first} {second}" if lines[i] else f"{first} {second}"
    source = tmp_path / "in.txt"
    source.write_text("\n".join(lines) + "\n")
    expected = run_c(word2phrase, source, tmp_path / "c.txt", 3, 5.0)
    phrases = Phrases(source, min_count=3, threshold=5.0, scoring="word2phrase")
    phrases.transform_file(source, tmp_path / "ours.txt")
    assert (tmp_path / "ours.txt").read_bytes() == expected
    assert ("z" * 59).encode() not in expected  # words cut to 58 bytes, as the C tool cuts
    assert ("z" * 58).encode() in expected
    assert any(len(t) > 59 and b"_" in t for t in expected.split())  # long pairs joined


def test_c_tool_line_format(tmp_path: Path) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(b"a b\r\n\n\tc  a b\nlast b")
    phrases = Phrases([["a", "b"]] * 3, min_count=1, threshold=0.1)
    assert phrases.transform_file(source, tmp_path / "out.txt") == 6
    # blank lines kept, "\r" dropped, a last token without a newline dropped (as the C tool)
    assert (tmp_path / "out.txt").read_bytes() == b" a_b\n\n c a_b\n last"
    source.write_bytes(b"a b\nlast b ")  # a space after it: read
    phrases.transform_file(source, tmp_path / "out.txt")
    assert (tmp_path / "out.txt").read_bytes() == b" a_b\n last b"


def test_word2phrase_score_is_float32() -> None:
    import numpy as np

    for args in [(7, 3, 9), (123457, 98765, 4321), (3, 3, 3)]:
        a, b, ab = args
        expected = np.float32(ab - 2) / np.float32(a) / np.float32(b) * np.float32(10_000_019)
        assert word2phrase_score(a, b, ab, 0, 2, 10_000_019) == float(expected)


# ------------------------------------------------------------------------------ gensim


def token_lists(seed: int) -> list[list[str]]:
    return [line.split() for line in generated_lines(seed, 800)]


@pytest.mark.parametrize(("scoring", "threshold", "connectors"), [
    ("default", 10.0, False), ("default", 3.0, True), ("npmi", 0.3, False),
    ("npmi", 0.1, True), ("default", 1.0, True)])
def test_phrases_and_sentences_equal_gensims(scoring: str, threshold: float,
                                             connectors: bool) -> None:
    gensim_phrases = pytest.importorskip("gensim.models.phrases")
    sentences = token_lists(11)
    words = ENGLISH_CONNECTOR_WORDS if connectors else frozenset()
    ours = Phrases(sentences, min_count=3, threshold=threshold, scoring=scoring,
                   connector_words=words)
    theirs = gensim_phrases.Phrases(sentences, min_count=3, threshold=threshold,
                                    scoring=scoring, connector_words=words)
    assert ours.vocab == theirs.vocab
    assert ours.corpus_word_count == theirs.corpus_word_count
    found = ours.export_phrases()
    assert found == theirs.export_phrases()
    assert any(ours.connector_words & set(p.split("_")) for p in found) == connectors
    transformed = list(ours.transform(sentences))  # a corpus view skips empty sentences
    assert transformed == [theirs[s] for s in sentences if s]
    assert [ours[s] for s in sentences] == [theirs[s] for s in sentences]
    assert transformed != sentences
    # tokens that contain the delimiter, never counted: scored as gensim scores them
    odd = [[p, *p.split("_")] for p in found] + [[p.split("_")[0], p] for p in found]
    assert [ours[s] for s in odd] == [theirs[s] for s in odd]
    frozen = theirs.freeze()
    assert [ours.freeze()[s] for s in sentences] == [frozen[s] for s in sentences]


# ------------------------------------------------------------------------------ properties

WORD = st.sampled_from(["a", "b", "c", "d", "of", "the"])
SENTENCES = st.lists(st.lists(WORD, min_size=0, max_size=12), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(SENTENCES, st.sampled_from(["default", "npmi", "word2phrase"]),
       st.booleans(), st.integers(1, 3))
def test_greedy_joining_rules(sentences: list[list[str]], scoring: str, use_connectors: bool,
                              min_count: int) -> None:
    connectors = frozenset({"of", "the"}) if use_connectors else frozenset()
    threshold = {"default": 0.5, "npmi": 0.0, "word2phrase": 1.0}[scoring]
    phrases = Phrases(sentences, min_count=min_count, threshold=threshold, scoring=scoring,
                      connector_words=connectors)
    frozen = phrases.freeze()

    def passes(score: float | None) -> bool:  # the thresholds are exact in float32
        return score is not None and score > threshold

    for sentence in sentences:
        out = phrases[sentence]
        assert frozen[sentence] == out
        # nothing lost, added or reordered
        assert [w for token in out for w in token.split("_")] == sentence
        for i, token in enumerate(out):
            parts = token.split("_")
            if len(parts) > 1:
                # a phrase: two ordinary words (never a token joined twice), connectors inside
                assert parts[0] not in connectors and parts[-1] not in connectors
                assert sum(p not in connectors for p in parts) == 2
                assert passes(phrases.score(parts[0], parts[-1], parts[1:-1]))
            elif token not in connectors:
                # greedy: a lone word was tried with the next ordinary word, and failed
                j = i + 1
                between = []
                while j < len(out) and out[j] in connectors:
                    between.append(out[j])
                    j += 1
                if j < len(out):
                    nxt = out[j].split("_")[0]
                    assert not passes(phrases.score(token, nxt, between))


@settings(max_examples=40, deadline=None)
@given(SENTENCES, st.integers(1, 12))
def test_bounded_memory(sentences: list[list[str]], limit: int) -> None:
    full = Phrases(sentences, min_count=1)
    bounded = Phrases(sentences, min_count=1, max_vocab_size=limit)
    assert len(bounded.vocab) <= limit
    for key, count in bounded.vocab.items():
        assert count <= full.vocab[key]  # pruning only ever loses counts
    if len(full.vocab) <= limit:
        assert bounded.vocab == full.vocab


# ------------------------------------------------------------------------------ API


def test_transform_is_a_reiterable_view_accepted_by_word2vec(tmp_path: Path) -> None:
    from w2v import Word2Vec

    corpus = write_corpus(tmp_path / "in.txt", 3)
    phrases = Phrases(corpus, min_count=3, threshold=20.0)
    view = phrases.transform(corpus)
    assert isinstance(view, PhrasedCorpus)
    first = list(view)
    assert first == list(view)
    assert any("_" in t for s in first for t in s)
    model = Word2Vec(view, vector_size=8, min_count=5, epochs=1, workers=1, seed=1)
    joined = max((t for s in first for t in s if "_" in t), key=lambda t: sum(
        s.count(t) for s in first))
    assert joined in model.wv


def test_frozen_table_round_trips_and_exports_tsv(tmp_path: Path) -> None:
    sentences = token_lists(5)
    phrases = Phrases(sentences, min_count=3, threshold=5.0,
                      connector_words=ENGLISH_CONNECTOR_WORDS)
    frozen = phrases.freeze()
    assert len(frozen) > 0
    assert all(k.count("_") >= 1 for k in frozen.phrases)
    frozen.save(tmp_path / "t.json")
    loaded = FrozenPhrases.load(tmp_path / "t.json")
    assert loaded.phrases == frozen.phrases
    assert loaded.connector_words == ENGLISH_CONNECTOR_WORDS
    assert [loaded[s] for s in sentences] == [phrases[s] for s in sentences]
    loaded.save_tsv(tmp_path / "t.tsv")
    rows = [line.split("\t") for line in (tmp_path / "t.tsv").read_text().splitlines()]
    assert {p: float(s) for p, s in rows} == frozen.phrases
    scores = [float(s) for _, s in rows]
    assert scores == sorted(scores, reverse=True)


def test_load_refuses_other_files(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text(json.dumps({"phrases": {}}))
    with pytest.raises(ValueError, match="x.json: not a w2v phrase table"):
        FrozenPhrases.load(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("{not json")
    with pytest.raises(ValueError, match="y.json: not a w2v phrase table"):
        FrozenPhrases.load(tmp_path / "y.json")
    (tmp_path / "z.json").write_text(json.dumps(
        {"format": "w2v-phrases", "version": 1, "threshold": 1, "delimiter": "_",
         "phrases": {"a_b": "high"}}))
    with pytest.raises(ValueError, match="'phrases' must map strings to numbers"):
        FrozenPhrases.load(tmp_path / "z.json")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scoring": "npmi", "threshold": 1.5}, r"threshold must be in \[-1, 1\]"),
    ({"delimiter": ""}, "delimiter must be a non-empty str, got ''"),
    ({"min_count": -1}, "min_count must be >= 0, got -1"),
    ({"min_count": 0, "scoring": "word2phrase"}, "min_count must be >= 1, got 0"),
    ({"max_vocab_size": 0}, "max_vocab_size must be >= 1, got 0"),
    ({"scoring": "pmi"}, "scoring must be one of"),
    ({"threshold": float("nan")}, "threshold must be a finite number"),
    ({"connector_words": "of"}, "connector_words must be a collection of words"),
    ({"scoring": lambda a, b: 1.0}, "scoring must take the arguments"),
])
def test_bad_parameters_are_named(kwargs: dict, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        Phrases(**kwargs)


def test_delimiter_inside_tokens_is_warned_with_a_count() -> None:
    with pytest.warns(UserWarning, match="2 tokens already contain the delimiter '_'"):
        Phrases([["new_york", "is", "new_york"]], min_count=1)


def test_callable_scoring_gets_gensims_arguments() -> None:
    seen = []

    def scorer(worda_count: int, wordb_count: int, bigram_count: int, len_vocab: int,
               min_count: int, corpus_word_count: int) -> float:
        seen.append((worda_count, wordb_count, bigram_count, len_vocab, corpus_word_count))
        return float(bigram_count)

    phrases = Phrases([["x", "y", "z"], ["x", "y"]], min_count=1, threshold=1.5,
                      scoring=scorer)
    assert phrases[["x", "y", "z"]] == ["x_y", "z"]
    assert seen[0] == (2, 2, 2, 5, 5)
    assert npmi_score(2, 2, 1, 0, 2, 10) == float("-inf")


# ------------------------------------------------------------------------------ CLI


def test_cli_runs_the_word2phrase_line(word2phrase: Path, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "in.txt", 8)
    expected = run_c(word2phrase, corpus, tmp_path / "c.txt", 5, 30.0)
    code = main(["phrases", "-train", str(corpus), "-output", str(tmp_path / "o.txt"),
                 "-threshold", "30", "-min-count", "5"])
    assert code == 0
    assert (tmp_path / "o.txt").read_bytes() == expected


# --- the compiled path (w2v._scan.PhraseScanner) against the Python reference -------------

def python_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make Phrases count and rewrite in Python only (the reference implementation)."""
    monkeypatch.setattr(Phrases, "_add_compiled", lambda self, corpus: False)


TOKEN = st.one_of(
    st.sampled_from(["a", "b", "c", "new", "york", "x_y", "é", "naïve"]),
    st.sampled_from(["l" * 57, "m" * 58, "n" * 59, "é" * 29 + "z", "ü" * 40]),  # word2phrase cuts
)
SEPARATOR = st.sampled_from([" ", " ", " ", "  ", "\t", "\n", "\n\n", "\r\n", " \u00a0", "\x0b"])


@st.composite
def corpus_texts(draw: st.DrawFn) -> str:
    tokens = draw(st.lists(TOKEN, min_size=0, max_size=60))
    if not tokens:  # nothing but separators
        return "".join(draw(st.lists(SEPARATOR, max_size=3)))
    parts = []
    for token in tokens:
        parts += [token, draw(SEPARATOR)]
    if parts and draw(st.booleans()):
        parts.pop()  # an unterminated last token
    return "".join(parts)


@settings(max_examples=250, deadline=None)
@given(corpus_texts(), st.sampled_from(["word2phrase", "default", "npmi"]),
       st.sampled_from([1_000_000, 9, 3]), st.sampled_from(["_", "::", "y"]),
       st.sampled_from([10_000, 4]))
def test_compiled_counts_and_rewrites_exactly_as_python(
        tmp_path_factory: pytest.TempPathFactory, text: str, scoring: str, max_vocab_size: int,
        delimiter: str, max_sentence_length: int) -> None:
    from w2v.data.corpus import PathCorpus

    folder = tmp_path_factory.mktemp("compiled")
    source = folder / "in.txt"
    source.write_bytes(text.encode("utf-8"))
    threshold = {"word2phrase": 0.5, "default": 0.1, "npmi": 0.1}[scoring]
    options = dict(scoring=scoring, threshold=threshold, min_count=1,
                   max_vocab_size=max_vocab_size, delimiter=delimiter)
    corpus = PathCorpus(source, max_sentence_length=max_sentence_length)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        compiled = Phrases(corpus, **options)
        with pytest.MonkeyPatch.context() as patch:
            python_reference(patch)
            reference = Phrases(corpus, **options)
    assert type(compiled.vocab).__name__ == "PhraseScanner"
    assert dict(compiled.vocab.items()) == dict(reference.vocab)
    assert (compiled.corpus_word_count, compiled.min_reduce) == \
        (reference.corpus_word_count, reference.min_reduce)
    assert compiled.export_phrases() == reference.export_phrases()
    assert compiled.transform_file(source, folder / "c.txt") == \
        reference.transform_file(source, folder / "p.txt")
    assert (folder / "c.txt").read_bytes() == (folder / "p.txt").read_bytes()
    sentence = text.split()
    assert compiled[sentence] == reference[sentence]


def test_compiled_counts_add_to_earlier_counts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                               ) -> None:
    first, second = tmp_path / "first.txt", tmp_path / "second.txt"
    first.write_text("new york is big\nnew york\n" * 3)
    second.write_text("los angeles is big\nnew york\n" * 2)
    lists = [["new", "york", "times"]] * 2
    compiled = Phrases(first, min_count=1, threshold=0.1)
    compiled.add_vocab(lists)  # Python counting on top of compiled counts
    compiled.add_vocab(second)  # and compiled again on top of those
    python_reference(monkeypatch)
    reference = Phrases(first, min_count=1, threshold=0.1)
    reference.add_vocab(lists)
    reference.add_vocab(second)
    assert type(compiled.vocab).__name__ == "PhraseScanner"
    assert dict(compiled.vocab.items()) == dict(reference.vocab)
    assert compiled.export_phrases() == reference.export_phrases()


def test_compiled_path_refuses_bad_utf8_as_the_reader_does(tmp_path: Path) -> None:
    source = tmp_path / "bad.txt"
    source.write_bytes(b"good words\nthen \xff bad\n")
    with pytest.raises(ValueError, match="bad.txt"):
        Phrases(source, min_count=1)


def test_a_frozen_chain_joins_as_the_chain_and_round_trips(tmp_path: Path) -> None:
    corpus = [["i", "read", "new", "york", "times"], ["new", "york", "is", "big"],
              ["i", "read", "the", "times"], ["i", "is", "big"]] * 5
    chain = Phrases.chain(corpus, levels=2, min_count=1, threshold=[1.5, 0.5])
    frozen = chain.freeze()
    assert all(isinstance(model, FrozenPhrases) for model in frozen.models)
    for sentence in corpus[:4]:
        assert frozen[sentence] == chain[sentence]
    assert "new_york_times" in {token for s in corpus for token in frozen[s]}
    with pytest.raises(TypeError, match="freeze"):
        chain.save(tmp_path / "live.json")
    frozen.save(tmp_path / "chain.json")
    loaded = PhraseChain.load(tmp_path / "chain.json")
    assert [m.phrases for m in loaded.models] == [m.phrases for m in frozen.models]
    (tmp_path / "table.json").write_text(json.dumps({"format": "w2v-phrases"}))
    with pytest.raises(ValueError, match="table.json: not a w2v phrase chain"):
        PhraseChain.load(tmp_path / "table.json")
