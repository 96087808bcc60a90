"""Scripts written for the word2vec C tools run against ``w2v`` (issue 18, item 2):
``-save-vocab``, ``-read-vocab``, ``-classes``, ``-debug``, and the ``distance``,
``word-analogy`` and ``compute-accuracy`` programs, with the C tool's file formats and
output layouts."""

from __future__ import annotations

import io
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from planted import CLUSTER_SIZE, cluster_words, planted_corpus
from test_cli import child_env

from w2v import KeyedVectors, load_vectors
from w2v.cli import main
from w2v.io.ctool_files import read_vocab_file, write_vocab_file
from w2v.vectors.classes import kmeans_classes

#: The training lines of the C tool's demo-word.sh and demo-classes.sh, as they ship.
DEMO_WORD = ("./word2vec -train text8 -output vectors.bin -cbow 1 -size 200 -window 8 "
             "-negative 25 -hs 0 -sample 1e-4 -threads 20 -binary 1 -iter 15")
DEMO_CLASSES = ("./word2vec -train text8 -output classes.txt -cbow 1 -size 200 -window 8 "
                "-negative 25 -hs 0 -sample 1e-4 -threads 20 -iter 15 -classes 500")
C_TOOL = Path("/tmp/w2c/word2vec")


def c_command(line: str, folder: Path, corpus: Path, **changes: str) -> list[str]:
    """A demo script's command line for ``w2v``: the corpus and outputs in ``folder``,
    and the values in ``changes`` (``threads="2"``) swapped in; every flag kept."""
    args = shlex.split(line)[1:]
    for i in range(0, len(args), 2):
        flag, value = args[i], args[i + 1]
        if flag == "-train":
            args[i + 1] = str(corpus)
        elif flag == "-output":
            args[i + 1] = str(folder / value)
        elif flag[1:] in changes:
            args[i + 1] = changes[flag[1:]]
    return args


def run_w2v(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
            stdin: str = "") -> str:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    status = main(args)
    out, err = capsys.readouterr()
    assert status == 0, err
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ctool") / "text8"
    path.write_text("\n".join(" ".join(s) for s in planted_corpus(1200)) + "\n",
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo_vectors(corpus: Path) -> Path:
    """demo-word.sh's training line as it ships, on the generated corpus."""
    args = c_command(DEMO_WORD, corpus.parent, corpus)
    assert main(args) == 0
    return corpus.parent / "vectors.bin"


# ------------------------------------------------------------------ demo scripts
def test_demo_word_line_writes_binary_vectors(demo_vectors: Path, corpus: Path) -> None:
    wv = KeyedVectors.load_word2vec_format(demo_vectors, binary=True)
    words = {w for line in corpus.read_text().split("\n") for w in line.split()}
    assert set(wv.index_to_key) == words and wv.vector_size == 200
    assert np.isfinite(wv.vectors).all()
    # binary as asked: the file is not text vectors
    assert demo_vectors.read_bytes().split(b"\n")[0] == f"{len(words)} 200".encode()
    with pytest.raises(ValueError):
        KeyedVectors.load_word2vec_format(demo_vectors, binary=False)


def test_demo_classes_line_writes_word_class_lines(corpus: Path, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    args = c_command(DEMO_CLASSES, tmp_path, corpus)
    run_w2v([*args, "-save-vocab", str(tmp_path / "vocab.txt")], capsys, monkeypatch)
    lines = (tmp_path / "classes.txt").read_text(encoding="utf-8").splitlines()
    vocab = list(read_vocab_file(tmp_path / "vocab.txt"))
    assert len(lines) == len(vocab)
    pairs = [line.split(" ") for line in lines]
    assert all(len(p) == 2 and re.fullmatch(r"\d+", p[1]) for p in pairs)
    # the C tool's order: the vocabulary's, most frequent first
    assert [w for w, _ in pairs] == vocab
    classes = [int(c) for _, c in pairs]
    assert all(0 <= c < 500 for c in classes)
    # demo-classes.sh then runs `sort classes.txt -k 2 -n`
    ordered = sorted(pairs, key=lambda p: int(p[1]))
    assert [int(c) for _, c in ordered] == sorted(classes)


def test_demo_classes_script_runs_with_w2v_for_word2vec(corpus: Path, tmp_path: Path) -> None:
    """demo-classes.sh's lines in a shell, ``./word2vec`` replaced by the ``w2v`` command
    (a separate process, as a script runs it), then the script's own ``sort``."""
    script = tmp_path / "demo-classes.sh"
    w2v = shlex.join([sys.executable, "-m", "w2v"])
    script.write_text(f"set -e\n{DEMO_CLASSES.replace('./word2vec', w2v)}\n"
                      "sort classes.txt -k 2 -n > classes.sorted.txt\n", encoding="utf-8")
    shutil.copy(corpus, tmp_path / "text8")
    subprocess.run(["bash", str(script)], cwd=tmp_path, check=True, capture_output=True,
                   env=child_env(), timeout=300)
    rows = [line.split() for line in (tmp_path / "classes.sorted.txt").read_text().splitlines()]
    classes = [int(c) for _, c in rows]
    assert classes == sorted(classes) and len(rows) == len(set(corpus.read_text().split()))


def test_classes_recover_planted_clusters(corpus: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # The C tool's k-means starts row i in class i % k and can settle with two clusters in
    # one class and another split, whatever the vectors' purity (seen with window 5 for
    # 6 seeds of 10 of skip-gram, 3 of 10 of batched CBOW); with window 3 CBOW's clusters
    # came out whole for 10 seeds of 10.
    out = tmp_path / "classes.txt"
    run_w2v(["-train", str(corpus), "-output", str(out), "-size", "30", "-iter", "10",
             "-min-count", "1", "-classes", "5", "-threads", "1", "-sample", "0",
             "-window", "3"],
            capsys, monkeypatch)
    found = dict(line.split() for line in out.read_text().splitlines())
    for cluster in cluster_words():
        assert len({found[w] for w in cluster}) == 1, (cluster, found)
    assert len({found[c[0]] for c in cluster_words()}) == len(cluster_words())


def test_classes_zero_writes_vectors(corpus: Path, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "v.txt"
    run_w2v(["-train", str(corpus), "-output", str(out), "-size", "8", "-iter", "1",
             "-classes", "0", "-debug", "0"], capsys, monkeypatch)
    assert len(KeyedVectors.load_word2vec_format(out)) > 0


# ------------------------------------------------------------------ vocabulary files
def test_save_vocab_then_read_vocab_gives_the_same_vocabulary(
        corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    common = ["-train", str(corpus), "-size", "8", "-iter", "1", "-threads", "1",
              "-min-count", "1"]
    run_w2v([*common, "-output", str(tmp_path / "a.txt"), "-save-vocab",
             str(tmp_path / "v1.txt")], capsys, monkeypatch)
    run_w2v([*common, "-output", str(tmp_path / "b.txt"), "-read-vocab",
             str(tmp_path / "v1.txt"), "-save-vocab", str(tmp_path / "v2.txt")],
            capsys, monkeypatch)
    first = (tmp_path / "v1.txt").read_text(encoding="utf-8")
    assert (tmp_path / "v2.txt").read_text(encoding="utf-8") == first
    counted: dict[str, int] = {}
    for word in corpus.read_text().split():
        counted[word] = counted.get(word, 0) + 1
    lines = [line.split(" ") for line in first.splitlines()]
    assert {w: int(c) for w, c in lines} == counted
    counts = [int(c) for _, c in lines]
    assert counts == sorted(counts, reverse=True)
    a = load_vectors(tmp_path / "a.txt")
    b = load_vectors(tmp_path / "b.txt")
    assert a.index_to_key == b.index_to_key == [w for w, _ in lines]
    np.testing.assert_array_equal(a.vectors, b.vectors)  # same vocabulary, same training


def test_read_vocab_applies_min_count_and_sorts_like_the_c_tool(
        corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    words = cluster_words()[0]
    # a C tool file: </s> first, not sorted, one word under min_count
    (tmp_path / "vocab.txt").write_text(
        f"</s> 1200\n{words[0]} 7\n{words[1]} 50\n{words[2]} 3\n{words[3]} 50\n",
        encoding="utf-8")
    out = tmp_path / "v.txt"
    run_w2v(["-train", str(corpus), "-output", str(out), "-read-vocab",
             str(tmp_path / "vocab.txt"), "-min-count", "5", "-size", "8", "-iter", "1"],
            capsys, monkeypatch)
    by_count = sorted([words[1], words[3]]) + [words[0]]  # ties in code-point order
    assert load_vectors(out).index_to_key == by_count


@pytest.mark.parametrize(("text", "line"), [("a 3\nb\n", 2), ("a 3\n\nb x\n", 3),
                                            ("a 3\nb -1\n", 2), ("a 3\na 2\n", 2),
                                            ("a 3 4\n", 1)])
def test_bad_vocabulary_lines_are_named(tmp_path: Path, text: str, line: int,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "vocab.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=rf"vocab\.txt: line {line}:"):
        read_vocab_file(path)
    (tmp_path / "c.txt").write_text("a b\n", encoding="utf-8")
    status = main(["-train", str(tmp_path / "c.txt"), "-output", str(tmp_path / "o.txt"),
                   "-read-vocab", str(path)])
    assert status == 2 and f"line {line}" in capsys.readouterr().err


def test_save_vocab_alone_only_counts(corpus: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = run_w2v(["-train", str(corpus), "-save-vocab", str(tmp_path / "vocab.txt"),
                   "-debug", "1"], capsys, monkeypatch)
    counts = read_vocab_file(tmp_path / "vocab.txt")
    assert f"Vocab size: {len(counts)}\n" in out
    assert f"Words in train file: {sum(counts.values())}\n" in out
    assert list(tmp_path.iterdir()) == [tmp_path / "vocab.txt"]


def test_write_vocab_refuses_words_it_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="whitespace"):
        write_vocab_file(tmp_path / "v.txt", ["a b"], [1])
    with pytest.raises(ValueError, match="non-negative"):
        write_vocab_file(tmp_path / "v.txt", ["a"], [-1])
    assert not (tmp_path / "v.txt").exists()


@pytest.mark.parametrize("flag", ["-classes", "-debug"])
def test_negative_c_values_are_refused(corpus: Path, tmp_path: Path, flag: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-train", str(corpus), "-output", str(tmp_path / "v.txt"), flag, "-1"]) == 2
    assert f"{flag[1:]} must be" in capsys.readouterr().err


@pytest.mark.skipif(not C_TOOL.exists(), reason="the C tool is not built at /tmp/w2c")
def test_save_vocab_matches_the_c_tool(corpus: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Same words and counts, sorted by count; the C tool puts ``</s>`` (its end-of-line
    token) first, and orders ties by first appearance where w2v uses code-point order."""
    subprocess.run([str(C_TOOL), "-train", str(corpus), "-save-vocab",
                    str(tmp_path / "c.txt"), "-threads", "1", "-debug", "0"], check=True,
                   capture_output=True, timeout=120)
    run_w2v(["-train", str(corpus), "-save-vocab", str(tmp_path / "ours.txt")],
            capsys, monkeypatch)
    theirs = [line.split(" ") for line in (tmp_path / "c.txt").read_text().splitlines()]
    ours = [line.split(" ") for line in (tmp_path / "ours.txt").read_text().splitlines()]
    assert theirs[0][0] == "</s>"
    theirs = theirs[1:]
    assert dict(ours) == dict(theirs)
    assert [c for _, c in ours] == [c for _, c in theirs]  # same order up to ties
    assert read_vocab_file(tmp_path / "c.txt") == {w: int(c) for w, c in ours}


# ------------------------------------------------------------------ k-means
def c_style_kmeans(vectors: np.ndarray, k: int, iterations: int = 10) -> list[int]:
    """word2vec.c's k-means written out loop by loop, as the reference."""
    n, dims = vectors.shape
    classes = [i % k for i in range(n)]
    for _ in range(iterations):
        cent = [[0.0] * dims for _ in range(k)]
        for i in range(n):
            for d in range(dims):
                cent[classes[i]][d] += float(vectors[i, d])
        for c in range(k):
            length = sum(x * x for x in cent[c]) ** 0.5
            cent[c] = [x / length if length else float("nan") for x in cent[c]]
        for i in range(n):
            best, best_id = -10.0, 0
            for c in range(k):
                x = sum(cent[c][d] * float(vectors[i, d]) for d in range(dims))
                if x > best:
                    best, best_id = x, c
            classes[i] = best_id
    return classes


@pytest.mark.parametrize(("n", "dims", "k", "seed"), [(40, 5, 3, 0), (25, 3, 7, 1),
                                                      (10, 4, 12, 2), (60, 8, 6, 3)])
def test_kmeans_is_the_c_tools_algorithm(n: int, dims: int, k: int, seed: int) -> None:
    vectors = np.random.default_rng(seed).normal(size=(n, dims))
    found = kmeans_classes(vectors, k)
    assert found.tolist() == c_style_kmeans(vectors, k)
    assert found.tolist() == kmeans_classes(vectors.copy(), k).tolist()  # deterministic
    assert found.min() >= 0 and found.max() < k


def test_kmeans_recovers_planted_directions() -> None:
    rng = np.random.default_rng(5)
    centres = np.eye(6)[:4] * 3
    truth = np.tile(np.arange(4), 30)
    rng.shuffle(truth)
    points = centres[truth] + rng.normal(scale=0.3, size=(len(truth), 6))
    found = kmeans_classes(points, 4)
    pairs = set(zip(truth.tolist(), found.tolist(), strict=True))
    assert len(pairs) == 4 and len({f for _, f in pairs}) == 4


def test_kmeans_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="k must be"):
        kmeans_classes(np.ones((3, 2)), 0)
    with pytest.raises(ValueError, match="2-D"):
        kmeans_classes(np.ones(3), 2)


# ------------------------------------------------------------------ query programs
def parse_answers(text: str) -> list[list[tuple[str, float]]]:
    """The answer blocks of distance/word-analogy output, as a script would read them."""
    blocks = []
    for block in text.split("-" * 72 + "\n")[1:]:
        rows = []
        for line in block.splitlines()[:40]:
            match = re.fullmatch(r"\s*(\S*)\t\t(-?\d+\.\d{6})", line)
            assert match, line
            rows.append((match.group(1), float(match.group(2))))
        blocks.append(rows)
    return blocks


@pytest.mark.parametrize("form", ["binary", "text"])
def test_distance_answers_like_the_c_program(demo_vectors: Path, tmp_path: Path, form: str,
                                             capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    wv = load_vectors(demo_vectors)
    path = demo_vectors
    if form == "text":
        path = tmp_path / "vectors.txt"
        wv.save_word2vec_format(path, binary=False)
    word = cluster_words()[1][0]
    out = run_w2v(["distance", str(path)], capsys, monkeypatch,
                  stdin=f"{word}\nnotaword\nEXIT\nnever read\n")
    prompt = "Enter word or sentence (EXIT to break): "
    assert out.count(prompt) == 3
    assert f"Word: {word}  Position in vocabulary: {wv.key_to_index[word]}\n" in out
    assert "Word: notaword  Position in vocabulary: -1\nOut of dictionary word!\n" in out
    assert "Word       Cosine distance" in out
    [answers] = parse_answers(out)
    ranked = wv.most_similar(word, topn=60)
    shown = min(40, len(ranked))
    assert_same_ranking(answers[:shown], ranked, shown)
    assert answers[shown:] == [("", -1.0)] * (40 - shown)


def assert_same_ranking(got: list[tuple[str, float]], ranked: list[tuple[str, float]],
                        count: int) -> None:
    """``got`` holds the first ``count`` of ``ranked`` (``(word, cosine)``, best first):
    the same cosines in the same order, each word with its own cosine. Words whose cosines
    differ only by float rounding may swap places (the C programs sum in another order,
    and a wheel built elsewhere may round the last bit differently)."""
    np.testing.assert_allclose([s for _, s in got], [s for _, s in ranked[:count]], atol=2e-6)
    cosines = dict(ranked)
    for word, score in got:
        assert word in cosines and abs(cosines[word] - score) <= 2e-6, (word, score)


def test_word_analogy_answers_like_the_c_program(demo_vectors: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    wv = load_vectors(demo_vectors)
    a, b, c = cluster_words()[0][0], cluster_words()[1][0], cluster_words()[0][1]
    out = run_w2v(["word-analogy", str(demo_vectors)], capsys, monkeypatch,
                  stdin=f"{a} {b}\n{a} {b} zzz\n{a} {b} {c}\nEXIT\n")
    assert out.startswith("Enter three words (EXIT to break): Only 2 words were entered.. "
                          "three words are needed at the input to perform the calculation\n")
    assert "Word: zzz  Position in vocabulary: 0\nOut of dictionary word!\n" in out
    [answers] = parse_answers(out)
    ranked = wv.most_similar(positive=[b, c], negative=[a], topn=60)
    shown = sum(1 for _, s in ranked[:40] if s > 0)
    assert_same_ranking([(w, s) for w, s in answers if w], ranked, shown)


def write_questions(path: Path, sections: int = 7, per_section: int = 6) -> None:
    """Analogy questions in questions-words.txt's layout, upper case as a twist (the C
    program compares in upper case), with some unknown words."""
    rng = np.random.default_rng(3)
    clusters = cluster_words()
    lines = []
    for s in range(sections):
        lines.append(f": section-{s}")
        for q in range(per_section):
            x, y = rng.choice(len(clusters), size=2, replace=False)
            words = [clusters[x][rng.integers(CLUSTER_SIZE)], clusters[y][rng.integers(
                CLUSTER_SIZE)], clusters[x][rng.integers(CLUSTER_SIZE)],
                clusters[y][rng.integers(CLUSTER_SIZE)]]
            if q == 0:
                words[3] = "unknownword"
            lines.append(" ".join(words).upper())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


SECTION = re.compile(r"^(\S+):$")
TOP1 = re.compile(r"^ACCURACY TOP1: (\d+\.\d\d) %  \((\d+) / (\d+)\)$")
TOTAL = re.compile(r"^Total accuracy: (\S+) %   Semantic accuracy: (\S+) %   "
                   r"Syntactic accuracy: (\S+) % $")
SEEN = re.compile(r"^Questions seen / total: (\d+) (\d+)   (\d+\.\d\d) % $")


@pytest.mark.parametrize("threshold", [None, 20])
def test_compute_accuracy_prints_the_c_programs_lines(
        demo_vectors: Path, tmp_path: Path, threshold: int | None,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    questions = tmp_path / "questions-words.txt"
    write_questions(questions)
    args = ["compute-accuracy", str(demo_vectors)]
    if threshold is not None:
        args.append(str(threshold))
    out = run_w2v(args, capsys, monkeypatch, stdin=questions.read_text())
    wv = load_vectors(demo_vectors)
    known = set(wv.index_to_key[:threshold])
    # the expected answers, by w2v's own most_similar; a question whose two best words
    # score within rounding of each other may go either way (the near-tie tests pin how)
    expected: list[tuple[str, int, int, int]] = []
    seen = total = 0
    for line in questions.read_text().splitlines():
        if line.startswith(":"):
            expected.append((line[2:], 0, 0, 0))
            continue
        total += 1
        a, b, c, d = line.lower().split()
        if not {a, b, c, d} <= known:
            continue
        seen += 1
        (best, top), (second, runner_up) = wv.most_similar(
            positive=[b, c], negative=[a], topn=2, restrict_vocab=threshold)
        tied = top - runner_up < 1e-5
        name, right, maybe, asked = expected[-1]
        expected[-1] = (name, right + (best == d and not tied),
                        maybe + (tied and d in (best, second)), asked + 1)
    lines = out.splitlines()
    assert len(lines) == 3 * len(expected) + 1
    right_so_far = asked_so_far = 0
    for i, (name, sure, maybe, asked) in enumerate(expected):
        assert SECTION.match(lines[3 * i]).group(1) == name
        top1 = TOP1.match(lines[3 * i + 1])
        right = int(top1.group(2))
        assert sure <= right <= sure + maybe and int(top1.group(3)) == max(asked, 1)
        assert float(top1.group(1)) == pytest.approx(100 * right / max(asked, 1), abs=0.005)
        right_so_far, asked_so_far = right_so_far + right, asked_so_far + asked
        totals = TOTAL.match(lines[3 * i + 2]).groups()
        if asked_so_far:
            assert float(totals[0]) == pytest.approx(100 * right_so_far / asked_so_far,
                                                     abs=0.005)
        else:
            assert totals[0] == "-nan"  # C's 0 / 0.0
        if i < 5:
            assert totals[2] == "-nan"  # no syntactic (sixth and later) section yet
    found = SEEN.match(lines[-1]).groups()
    assert (int(found[0]), int(found[1])) == (seen, total)
    assert float(found[2]) == pytest.approx(100 * seen / total, abs=0.005)
    if threshold is None:
        assert seen == total - 7  # only the questions with unknownword are not seen


@pytest.fixture(scope="module")
def c_programs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """distance, word-analogy and compute-accuracy compiled from the C tool's sources
    (plain -O2: no fused multiply-add, so the float32 sums are the ones written)."""
    sources = C_TOOL.parent
    if shutil.which("gcc") is None or not (sources / "compute-accuracy.c").exists():
        pytest.skip("needs gcc and the C tool's sources at /tmp/w2c")
    folder = tmp_path_factory.mktemp("c_programs")
    for name in ("distance", "word-analogy", "compute-accuracy"):
        subprocess.run(["gcc", "-O2", "-o", str(folder / name), str(sources / f"{name}.c"),
                        "-lm"], check=True, capture_output=True, timeout=120)
    return folder


@pytest.mark.parametrize("program", ["distance", "word-analogy", "compute-accuracy 0",
                                     "compute-accuracy 15"])
def test_output_is_the_c_programs_byte_for_byte(
        program: str, c_programs: Path, demo_vectors: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    name, *threshold = program.split()
    clusters = cluster_words()
    if name == "compute-accuracy":
        write_questions(tmp_path / "input.txt")
    else:
        queries = {"distance": [clusters[0][1], f"{clusters[1][2]} {clusters[2][3]} the",
                                "unknownword"],
                   "word-analogy": [f"{clusters[0][1]} {clusters[1][1]} {clusters[0][2]}",
                                    f"{clusters[3][0]} the {clusters[2][2]}"]}[name]
        (tmp_path / "input.txt").write_text("\n".join([*queries, "EXIT"]) + "\n")
    with (tmp_path / "input.txt").open() as stdin:
        theirs = subprocess.run([str(c_programs / name), str(demo_vectors), *threshold],
                                stdin=stdin, capture_output=True, text=True, timeout=120)
    ours = run_w2v([name, str(demo_vectors), *threshold], capsys, monkeypatch,
                   stdin=(tmp_path / "input.txt").read_text())
    assert ours == theirs.stdout


def near_tie_vectors(path: Path, questions: Path, count: int = 40, rivals: int = 8,
                     size: int = 24) -> None:
    """Vectors in which each question's answer has ``rivals`` near copies (the same
    direction up to a few float32 ulps), so the best cosine is decided in the last bits:
    by the order the float32 sums run in. The questions, one section of them."""
    rng = np.random.default_rng(11)
    words: list[str] = []
    rows: list[np.ndarray] = []
    lines = [": near-ties"]
    for q in range(count):
        a, b, c = (rng.standard_normal(size).astype(np.float32) for _ in range(3))
        target = (b - a) + c
        group = [f"d{q}x{r}" for r in range(rivals)]
        for name, row in zip((f"a{q}", f"b{q}", f"c{q}"), (a, b, c), strict=True):
            words.append(name)
            rows.append(row)
        for name in group:
            words.append(name)
            rows.append(target * (1 + rng.uniform(-3e-7, 3e-7, size)).astype(np.float32))
        lines.append(f"a{q} b{q} c{q} {group[rng.integers(rivals)]}")
    KeyedVectors(np.array(rows, dtype=np.float32), words).save_word2vec_format(path, binary=True)
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")


def c_compute_accuracy_answers(vectors: Path, questions: Path) -> list[str]:
    """compute-accuracy's choices, re-done literally: unit rows in float32 as its loading
    loop makes them, ``(B - A) + C``, and the first row whose float32 sum, run one dimension
    after the other, is greater than every earlier one and than 0."""
    wv = load_vectors(vectors)
    rows = []
    for row in np.asarray(wv.vectors, dtype=np.float32):
        length = np.float32(0)
        for x in row:
            length = np.float32(length + x * x)
        rows.append(row / np.float32(np.sqrt(np.float64(length))))
    answers = []
    for line in questions.read_text().splitlines()[1:]:
        a, b, c = (wv.get_index(w) for w in line.split()[:3])
        vec = (rows[b] - rows[a]) + rows[c]
        best, best_score = "", np.float32(0)
        for i, row in enumerate(rows):
            if i in (a, b, c):
                continue
            score = np.float32(0)
            for x, y in zip(vec, row, strict=True):
                score = np.float32(score + x * y)
            if score > best_score:
                best, best_score = wv.index_to_key[i], score
        answers.append(best)
    return answers


def test_compute_accuracy_settles_near_ties_as_the_c_program(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A near tie is decided by the C program's float32 sums, not by BLAS's (another order,
    fused multiply-adds): which of the near copies is the answer is what the C program
    says, and so is the count of right answers."""
    vectors, questions = tmp_path / "vectors.bin", tmp_path / "questions.txt"
    near_tie_vectors(vectors, questions)
    answers = c_compute_accuracy_answers(vectors, questions)
    asked = [line.split()[3] for line in questions.read_text().splitlines()[1:]]
    right = sum(a == b for a, b in zip(answers, asked, strict=True))
    assert 0 < right < len(asked)  # the planted ties: some asked copies win, some lose
    out = run_w2v(["compute-accuracy", str(vectors)], capsys, monkeypatch,
                  stdin=questions.read_text())
    top1 = TOP1.match(out.splitlines()[1])
    assert (int(top1.group(2)), int(top1.group(3))) == (right, len(asked))
    # and one by one: each question alone is right exactly when the reference says so
    for line, answer in zip(questions.read_text().splitlines()[1:], answers, strict=True):
        one = run_w2v(["compute-accuracy", str(vectors)], capsys, monkeypatch,
                      stdin=f": one\n{line}\n")
        assert TOP1.match(one.splitlines()[1]).group(2) == str(int(answer == line.split()[3]))


def test_compute_accuracy_near_ties_byte_for_byte(c_programs: Path, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    vectors, questions = tmp_path / "vectors.bin", tmp_path / "questions.txt"
    near_tie_vectors(vectors, questions)
    with questions.open() as stdin:
        theirs = subprocess.run([str(c_programs / "compute-accuracy"), str(vectors)],
                                stdin=stdin, capture_output=True, text=True, timeout=120)
    ours = run_w2v(["compute-accuracy", str(vectors)], capsys, monkeypatch,
                   stdin=questions.read_text())
    assert ours == theirs.stdout


def test_resume_refuses_vocabulary_files(corpus: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A resumed run keeps its vocabulary: a vocabulary file to read or write is a mistake,
    not silently ignored."""
    status = main(["-train", str(corpus), "-output", str(tmp_path / "v.txt"), "--checkpoint",
                   str(tmp_path / "run.zip"), "--resume", "-read-vocab", str(tmp_path / "x")])
    assert status == 2 and "--read-vocab" in capsys.readouterr().err
