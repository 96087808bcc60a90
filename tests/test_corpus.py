"""Tests for w2v.data.corpus: paths and in-memory corpora to re-iterable token lists."""

import bz2
import gzip
import lzma
import pathlib
import random

import pytest

from w2v.data.corpus import MAX_SENTENCE_LENGTH, PathCorpus, SentenceCorpus, as_corpus

TEXT = "the quick brown fox\n\n  jumps over\t the lazy dog  \n   \nend\n"
SENTENCES = [["the", "quick", "brown", "fox"], ["jumps", "over", "the", "lazy", "dog"], ["end"]]


def write(path: pathlib.Path, text: str) -> pathlib.Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def random_tokens(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    return ["".join(rng.choices(alphabet, k=rng.randint(1, 12))) for _ in range(n)]


def test_constant():
    assert MAX_SENTENCE_LENGTH == 10_000


# --- PathCorpus --------------------------------------------------------------------------


def test_plain_file_lines_and_blank_lines(tmp_path):
    corpus = PathCorpus(write(tmp_path / "c.txt", TEXT))
    assert list(corpus) == SENTENCES


def test_no_trailing_newline_and_crlf(tmp_path):
    crlf = write(tmp_path / "crlf.txt", TEXT.replace("\n", "\r\n").rstrip())
    assert list(PathCorpus(crlf)) == SENTENCES
    assert list(PathCorpus(crlf, block_size=3)) == SENTENCES


@pytest.mark.parametrize("block_size", [1, 2, 5, 7, 64, 1 << 20])
def test_multiline_file_any_block_size(tmp_path, block_size):
    lines = [random_tokens(n, seed=n) for n in (3, 0, 17, 1, 40, 0, 8)]
    text = "\n".join(" ".join(line) for line in lines) + "\n"
    corpus = PathCorpus(write(tmp_path / "c.txt", text), block_size=block_size)
    assert list(corpus) == [line for line in lines if line]


@pytest.mark.parametrize("block_size", [7, 64, 1000])
def test_text8_single_line_is_chunked_exactly(tmp_path, block_size):
    tokens = random_tokens(5003)
    path = write(tmp_path / "text8", " " + " ".join(tokens))  # no newline at all
    assert path.stat().st_size > 20 * block_size
    sentences = list(PathCorpus(path, max_sentence_length=1000, block_size=block_size))
    assert [len(s) for s in sentences] == [1000] * 5 + [3]
    assert [t for s in sentences for t in s] == tokens


def test_text8_exact_multiple_gives_no_empty_tail(tmp_path):
    tokens = random_tokens(300)
    path = write(tmp_path / "text8", " ".join(tokens) + " ")
    sentences = list(PathCorpus(path, max_sentence_length=100, block_size=50))
    assert [len(s) for s in sentences] == [100, 100, 100]
    assert sum(sentences, []) == tokens


def test_long_lines_split_per_line(tmp_path):
    a, b = random_tokens(25, seed=1), random_tokens(7, seed=2)
    path = write(tmp_path / "c.txt", " ".join(a) + "\n" + " ".join(b) + "\n")
    sentences = list(PathCorpus(path, max_sentence_length=10, block_size=16))
    assert sentences == [a[:10], a[10:20], a[20:], b]


def test_multibyte_characters_cut_by_block_boundary(tmp_path):
    words = ["héllo", "wörld", "日本語", "😀ok", "ça", "ǅemal"] * 30
    path = write(tmp_path / "u.txt", " ".join(words[:90]) + "\n" + " ".join(words[90:]))
    raw = path.read_bytes()
    for block_size in (1, 2, 3, 5, 11):
        # small blocks cut many of the 2-, 3- and 4-byte characters in the middle
        sentences = list(PathCorpus(path, block_size=block_size))
        assert sentences == [words[:90], words[90:]], block_size
    assert len(raw) > len(" ".join(words))  # really multi-byte


@pytest.mark.parametrize("suffix, module", [(".gz", gzip), (".bz2", bz2), (".xz", lzma)])
def test_compressed_files_match_plain(tmp_path, suffix, module):
    text = TEXT + " ".join(random_tokens(500)) + "\n"
    plain = write(tmp_path / "c.txt", text)
    packed = tmp_path / ("c.txt" + suffix)
    packed.write_bytes(module.compress(text.encode("utf-8")))
    expected = list(PathCorpus(plain, max_sentence_length=50))
    assert list(PathCorpus(packed, max_sentence_length=50, block_size=100)) == expected
    assert list(as_corpus(str(packed), max_sentence_length=50)) == expected


def test_directory_sorted_skipping_hidden_and_subdirs(tmp_path):
    write(tmp_path / "b.txt", "b1 b2\n")
    write(tmp_path / "a.txt", "a1\na2 a3")
    write(tmp_path / ".hidden", "hidden\n")
    (tmp_path / "c.gz").write_bytes(gzip.compress(b"c1\n"))
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "d.txt", "nested\n")
    corpus = PathCorpus(tmp_path)
    assert [p.name for p in corpus.files()] == ["a.txt", "b.txt", "c.gz"]
    assert list(corpus) == [["a1"], ["a2", "a3"], ["b1", "b2"], ["c1"]]


def test_directory_order_is_by_name_not_creation(tmp_path):
    names = [f"part-{i:02d}.txt" for i in range(12)]
    for name in random.Random(3).sample(names, len(names)):
        write(tmp_path / name, name + "\n")
    assert list(PathCorpus(tmp_path)) == [[name] for name in names]


def test_empty_directory_raises(tmp_path):
    (tmp_path / "empty").mkdir()
    write(tmp_path / "empty" / ".only_hidden", "x\n")
    with pytest.raises(ValueError, match="empty.*no"):
        PathCorpus(tmp_path / "empty")


def test_missing_path_raises(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        PathCorpus(missing)
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        as_corpus(str(missing))


@pytest.mark.parametrize("block_size", [1, 4, 1 << 20])
def test_decode_error_names_file_and_line(tmp_path, block_size):
    path = tmp_path / "bad.txt"
    path.write_bytes("ok line\nsecond é line\n\nfourth \xff bad\nafter\n".encode("latin-1"))
    corpus = PathCorpus(path, block_size=block_size)
    with pytest.raises(ValueError, match=r"bad\.txt.*line 2\b") as info:
        list(corpus)
    assert isinstance(info.value.__cause__, UnicodeDecodeError)
    bad2 = tmp_path / "bad2.txt"
    bad2.write_bytes(b"a\nb\n\nc \xe9t\xc3\n")  # invalid sequences on line 4
    with pytest.raises(ValueError, match=r"bad2\.txt.*line 4\b"):
        list(PathCorpus(bad2, block_size=block_size))


def test_truncated_sequence_at_eof_is_reported(tmp_path):
    path = tmp_path / "trunc.txt"
    path.write_bytes(b"a\nb\nc \xe6\x97")  # incomplete 3-byte character at EOF
    with pytest.raises(ValueError, match=r"trunc\.txt.*line 3\b"):
        list(PathCorpus(path, block_size=2))


def test_errors_replace_and_other_encoding(tmp_path):
    path = tmp_path / "l1.txt"
    path.write_bytes("café au lait\n".encode("latin-1"))
    assert list(PathCorpus(path, encoding="latin-1")) == [["café", "au", "lait"]]
    assert list(PathCorpus(path, encoding_errors="replace")) == [["caf\ufffd", "au", "lait"]]


def test_path_corpus_is_reiterable_and_sees_new_content(tmp_path):
    path = write(tmp_path / "c.txt", TEXT)
    corpus = PathCorpus(path)
    assert list(corpus) == list(corpus) == SENTENCES
    write(path, "changed\n")
    assert list(corpus) == [["changed"]]


def test_path_corpus_repr_and_bad_args(tmp_path):
    path = write(tmp_path / "c.txt", TEXT)
    assert "c.txt" in repr(PathCorpus(path)) and "max_sentence_length=10000" in repr(
        PathCorpus(path)
    )
    with pytest.raises(ValueError, match="max_sentence_length"):
        PathCorpus(path, max_sentence_length=0)
    with pytest.raises(ValueError, match="block_size"):
        PathCorpus(path, block_size=0)
    with pytest.raises(LookupError):
        PathCorpus(path, encoding="no-such-codec")


# --- as_corpus / SentenceCorpus -------------------------------------------------------------


def test_as_corpus_path_types(tmp_path):
    path = write(tmp_path / "c.txt", TEXT)
    for arg in (path, str(path)):
        corpus = as_corpus(arg)
        assert isinstance(corpus, PathCorpus)
        assert list(corpus) == SENTENCES


def gen():
    yield ["a", "b"]


@pytest.mark.parametrize(
    "make",
    [
        lambda p: gen(),
        lambda p: iter([["a", "b"]]),
        lambda p: map(str.split, ["a b", "c"]),
        lambda p: (s for s in [["a"]]),
        lambda p: open(p),
    ],
    ids=["generator", "list_iterator", "map", "genexpr", "open_file"],
)
def test_one_shot_iterators_rejected(tmp_path, make):
    obj = make(write(tmp_path / "c.txt", TEXT))
    try:
        with pytest.raises(TypeError, match="one-shot iterator") as info:
            as_corpus(obj)
        message = str(info.value)
        assert "list" in message and "path" in message and "__iter__" in message
    finally:
        if hasattr(obj, "close"):
            obj.close()


@pytest.mark.parametrize("bad", [42, 3.5, object(), b"some bytes"])
def test_not_iterable_or_bytes_rejected(bad):
    with pytest.raises(TypeError, match="corpus must be"):
        as_corpus(bad)


def test_none_rejected():
    with pytest.raises(ValueError, match="None"):
        as_corpus(None)


def test_reiterable_class_accepted_and_iterated_afresh():
    class Sentences:
        passes = 0

        def __iter__(self):
            Sentences.passes += 1
            yield ["pass", str(Sentences.passes)]

    corpus = as_corpus(Sentences())
    assert isinstance(corpus, SentenceCorpus)
    assert list(corpus) == [["pass", "1"]]
    assert list(corpus) == [["pass", "2"]]


def test_list_corpus_reiterable():
    corpus = as_corpus(SENTENCES)
    assert list(corpus) == list(corpus) == SENTENCES


@pytest.mark.parametrize("sentence", ["the quick brown fox", b"bytes sentence"])
def test_list_of_strings_rejected(sentence):
    with pytest.raises(TypeError, match="split it") as info:
        list(as_corpus([["ok"], sentence]))
    assert "sentence 1" in str(info.value)


def test_non_iterable_sentence_rejected():
    with pytest.raises(TypeError, match="sentence 2"):
        list(as_corpus([["a"], [], 7]))


def test_tuples_and_other_iterables_converted():
    corpus = as_corpus([("a", "b"), range(0), {"c": 1}, ["d"]])
    sentences = list(corpus)
    assert sentences == [["a", "b"], ["c"], ["d"]]
    assert all(type(s) is list for s in sentences)


def test_long_sentences_split_not_truncated():
    long = random_tokens(2503)
    corpus = as_corpus([["x"], long, tuple(long[:10])], max_sentence_length=1000)
    sentences = list(corpus)
    assert [len(s) for s in sentences] == [1, 1000, 1000, 503, 10]
    assert sum(sentences, []) == ["x"] + long + long[:10]


def test_empty_sentences_skipped():
    assert list(as_corpus([[], ["a"], (), [], ["b", "c"], []])) == [["a"], ["b", "c"]]
    assert list(as_corpus([])) == []


def test_non_str_tokens_rejected():
    # the first sentence is checked token by token
    with pytest.raises(TypeError, match=r"int.*sentence 1, position 2"):
        list(as_corpus([[], ["a", "b", 3]]))
    # later sentences: the first token of each is checked
    with pytest.raises(TypeError, match=r"bytes.*sentence 2"):
        list(as_corpus([["a"], ["b"], [b"c", "d"]]))
    with pytest.raises(TypeError, match=r"list.*sentence 0"):
        list(as_corpus([[["nested"]]]))


def test_check_repeats_on_every_pass():
    data = [["a"]]
    corpus = as_corpus(data)
    assert list(corpus) == [["a"]]
    data[0] = ["a", 1]
    with pytest.raises(TypeError, match="position 1"):
        list(corpus)


@pytest.mark.parametrize("bad", [0, -1])
def test_bad_max_sentence_length(tmp_path, bad):
    with pytest.raises(ValueError, match="max_sentence_length"):
        as_corpus([["a"]], max_sentence_length=bad)
    with pytest.raises(ValueError, match="max_sentence_length"):
        as_corpus(write(tmp_path / "c.txt", TEXT), max_sentence_length=bad)
    with pytest.raises(ValueError, match="max_sentence_length"):
        SentenceCorpus([["a"]], max_sentence_length=bad)


def test_existing_corpus_passed_through(tmp_path):
    path_corpus = PathCorpus(write(tmp_path / "c.txt", TEXT))
    assert as_corpus(path_corpus) is path_corpus
    rechunked = as_corpus(path_corpus, max_sentence_length=2)
    assert list(rechunked)[:2] == [["the", "quick"], ["brown", "fox"]]
    sentence_corpus = as_corpus(SENTENCES)
    assert as_corpus(sentence_corpus) is sentence_corpus
    assert "SentenceCorpus" in repr(sentence_corpus) and "list of 3" in repr(sentence_corpus)
