"""The ``w2v`` command line, run in a subprocess as a user would run it."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from w2v import KeyedVectors

REPO_SRC = Path(__file__).resolve().parent.parent / "src"
TOPICS = {
    "royal": ["king", "queen", "prince", "princess", "throne", "crown", "castle", "realm"],
    "animal": ["cat", "dog", "mouse", "horse", "cheese", "bone", "grass", "barn"],
    "vehicle": ["car", "truck", "bus", "tram", "road", "street", "garage", "engine"],
    "food": ["bread", "soup", "salad", "pasta", "oven", "spoon", "kitchen", "recipe"],
}
FILLERS = ["the", "a", "of", "and", "today", "often", "near", "with"]
TRAIN = ["--vector-size", "16", "--epochs", "5", "--min-count", "1", "--workers", "2"]


def _command() -> list[str]:
    script = Path(sys.executable).parent / "w2v"
    spec = importlib.util.find_spec("w2v")
    origin = Path(spec.origin).resolve() if spec and spec.origin else REPO_SRC
    if script.exists() and REPO_SRC not in origin.parents:
        return [str(script)]
    return [sys.executable, "-m", "w2v"]


def child_env() -> dict[str, str]:
    """This environment for a child process, PYTHONPATH made absolute so that the
    child's working directory does not change what it imports."""
    env = dict(os.environ)
    if env.get("PYTHONPATH"):
        parts = env["PYTHONPATH"].split(os.pathsep)
        env["PYTHONPATH"] = os.pathsep.join(str(Path(p).resolve()) for p in parts if p)
    return env


def run(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``w2v ARGS`` and return the finished process (text output)."""
    return subprocess.run([*_command(), *map(str, args)], capture_output=True, text=True,
                          env=child_env(), cwd=cwd, timeout=120)


def assert_user_error(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("w2v: error:") and lines[0][11:].strip()
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A corpus with planted topics, trained once with long options."""
    root = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(0)
    topics = list(TOPICS.values())
    lines = []
    for _ in range(3000):
        words = topics[rng.integers(len(topics))]
        lines.append(" ".join(words[rng.integers(len(words))] if rng.random() < 0.8
                              else FILLERS[rng.integers(len(FILLERS))] for _ in range(8)))
    corpus = root / "corpus.txt"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf-8")
    paths = {"root": root, "corpus": corpus, "bin": root / "vectors.bin",
             "model": root / "model.zip"}
    result = run("train", corpus, "-o", paths["bin"], *TRAIN, "--sg", "1", "--seed", "3",
                 "--model-out", paths["model"])
    assert result.returncode == 0, result.stderr
    paths["summary"] = root / "train-stdout.txt"
    paths["summary"].write_text(result.stdout, encoding="utf-8")
    return paths


def test_train_writes_binary_vectors_and_model(trained: dict[str, Path]) -> None:
    header = trained["bin"].read_bytes().split(b"\n", 1)[0].split()
    vocab = len(FILLERS) + sum(map(len, TOPICS.values()))
    assert header == [str(vocab).encode(), b"16"]
    wv = KeyedVectors.load_word2vec_format(trained["bin"], binary=True)
    assert len(wv) == vocab and wv.vector_size == 16
    assert trained["model"].is_file()
    summary = trained["summary"].read_text(encoding="utf-8")
    assert len(summary.splitlines()) == 1
    assert str(vocab) in summary and str(trained["bin"]) in summary
    assert str(trained["model"]) in summary


def test_train_text_and_c_tool_spelling(trained: dict[str, Path], tmp_path: Path) -> None:
    text = tmp_path / "forced.txt.bin"
    assert run("train", trained["corpus"], "-o", text, "--text", *TRAIN).returncode == 0
    assert text.read_bytes()[:40].decode("ascii").count("\n") >= 1
    wv_text = KeyedVectors.load_word2vec_format(text, binary=False)
    c_style = tmp_path / "c.txt"
    result = run("-train", trained["corpus"], "-output", c_style, "-size", "16", "-iter", "5",
                 "-min-count", "1", "-threads", "2", "-binary", "0", "-cbow", "0")
    assert result.returncode == 0, result.stderr
    wv_c = KeyedVectors.load_word2vec_format(c_style, binary=False)
    assert wv_c.vector_size == 16
    assert set(wv_c.index_to_key) == set(wv_text.index_to_key)
    again = tmp_path / "c2.txt"
    result = run("train", "-train", trained["corpus"], "-output", again, "-size", "16",
                 "-iter", "5", "-min-count", "1", "-threads", "2", "-cbow", "1")
    assert result.returncode == 0, result.stderr
    assert again.read_text(encoding="utf-8").split("\n", 1)[0].endswith(" 16")


def test_c_tool_spelling_keeps_the_c_tools_output_format(trained: dict[str, Path],
                                                          tmp_path: Path) -> None:
    c_args = ["-size", "8", "-iter", "1", "-min-count", "1", "-threads", "1"]
    # the C tool writes text unless -binary 1, even to a file called .bin
    text = tmp_path / "c-default.bin"
    assert run("-train", trained["corpus"], "-output", text, *c_args).returncode == 0
    header, first = text.read_text(encoding="utf-8").splitlines()[:2]
    assert header.endswith(" 8") and len(first.split()) == 9
    binary = tmp_path / "c-binary.bin"
    assert run("-train", trained["corpus"], "-output", binary, *c_args,
               "-binary", "1").returncode == 0
    assert KeyedVectors.load_word2vec_format(binary, binary=True).vector_size == 8
    with pytest.raises(UnicodeDecodeError):
        binary.read_text(encoding="utf-8")
    # w2v's own spelling picks the format from the name
    named = tmp_path / "long.bin"
    assert run("train", trained["corpus"], "-o", named, "--vector-size", "8", "--epochs", "1",
               "--min-count", "1").returncode == 0
    assert KeyedVectors.load_word2vec_format(named, binary=True).vector_size == 8


def test_similar_finds_topic_neighbours(trained: dict[str, Path]) -> None:
    for path in (trained["bin"], trained["model"]):
        result = run("similar", path, "king", "--topn", "4")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 4
        word, score = lines[0].split("\t")
        assert word in TOPICS["royal"] and -1 <= float(score) <= 1
        assert len(score.split(".")[1]) == 4


def test_analogy_prints_lines(trained: dict[str, Path]) -> None:
    result = run("analogy", trained["bin"], "king", "queen", "cat", "--topn", "3")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 3 and all(len(line.split("\t")) == 2 for line in lines)


def test_predict_prints_probabilities(trained: dict[str, Path]) -> None:
    for words in (["king"], ["king", "queen"]):
        result = run("predict", trained["model"], *words, "--topn", "3")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert len(lines) == 3
        assert all(0 < float(line.split("\t")[1]) <= 1 for line in lines)


def test_evaluate_prints_numbers(trained: dict[str, Path], tmp_path: Path) -> None:
    analogies = tmp_path / "questions.txt"
    analogies.write_text(": topics\nking queen cat dog\ncar bus bread soup\n", encoding="utf-8")
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("king\tqueen\t9\ncat\tdog\t8\nking\tcar\t1\nsoup\tbus\t0.5\n",
                     encoding="utf-8")
    result = run("evaluate", trained["bin"], "--analogies", analogies, "--pairs", pairs)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("analogies: accuracy ") and lines[1].startswith("pairs: spearman ")
    float(lines[0].split()[2])
    float(lines[1].split()[2].rstrip(","))
    assert_user_error(run("evaluate", trained["bin"]))


def test_plot_writes_png(trained: dict[str, Path], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    picture = tmp_path / "words.png"
    result = run("plot", trained["bin"], "king", "queen", "cat", "dog", "car", "-o", picture)
    assert result.returncode == 0, result.stderr
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _bad_vocabulary(folder: Path) -> Path:
    (folder / "vocab.txt").write_text("the 3\nking three\n", encoding="utf-8")
    return folder / "vocab.txt"


@pytest.mark.parametrize("case", ["missing corpus", "unknown word", "bad C vocabulary file",
                                  "bad value", "predict on C vectors", "missing vectors",
                                  "not a number", "no output", "unknown command",
                                  "missing output folder", "undecodable corpus",
                                  "unknown encoding"])
def test_user_mistakes_are_one_line(case: str, trained: dict[str, Path], tmp_path: Path) -> None:
    args: list[str | Path] = {
        "missing corpus": ["train", tmp_path / "nope.txt", "-o", tmp_path / "v.txt"],
        "unknown word": ["similar", trained["bin"], "notaword"],
        "bad C vocabulary file": ["-train", trained["corpus"], "-output", tmp_path / "v.bin",
                                  "-read-vocab", _bad_vocabulary(tmp_path)],
        "bad value": ["train", trained["corpus"], "-o", tmp_path / "v.txt", "--window", "0"],
        "predict on C vectors": ["predict", trained["bin"], "king"],
        "missing vectors": ["similar", tmp_path / "nope.bin", "king"],
        "not a number": ["train", trained["corpus"], "-o", tmp_path / "v.txt", "--window", "x"],
        "no output": ["train", trained["corpus"]],
        "unknown command": ["simlar", trained["bin"], "king"],
        "missing output folder": ["plot", trained["bin"], "king", "queen", "-o",
                                  tmp_path / "absent" / "words.png"],
        "undecodable corpus": ["train", _latin1_corpus(tmp_path), "-o", tmp_path / "v.txt"],
        "unknown encoding": ["train", trained["corpus"], "-o", tmp_path / "v.txt",
                             "--encoding", "no-such-codec"],
    }[case]
    result = run(*args)
    assert_user_error(result)
    if case == "bad C vocabulary file":
        assert "vocab.txt: line 2" in result.stderr
    if case == "unknown word":
        assert "notaword" in result.stderr
    if case in ("not a number", "no output"):
        assert "--window" in result.stderr or "--output" in result.stderr
        assert "w2v train --help" in result.stderr
    if case == "undecodable corpus":
        assert "latin.txt" in result.stderr and "line 2 (byte offset" in result.stderr
    if case == "missing output folder":
        assert str(tmp_path / "absent" / "words.png") in result.stderr
        assert ".tmp" not in result.stderr and not (tmp_path / "absent").exists()
    verbose = run("--verbose", *args)
    assert verbose.returncode == 2 and "Traceback" in verbose.stderr
    assert verbose.stderr.rstrip().splitlines()[-1].startswith("w2v: error:")


def _latin1_corpus(folder: Path) -> Path:
    path = folder / "latin.txt"
    path.write_bytes(b"the cafe is open\nthe caf\xe9 is open\n" * 3)
    return path


def test_train_reads_other_encodings_and_replaces_bad_bytes_on_request(tmp_path: Path) -> None:
    corpus = _latin1_corpus(tmp_path)
    for options, word in ((["--encoding", "latin-1"], "caf\u00e9"),
                          (["--encoding-errors", "replace"], "caf\ufffd")):
        out = tmp_path / "v.txt"
        result = run("train", corpus, "-o", out, "--min-count", "1", "--vector-size", "4",
                     *options)
        assert result.returncode == 0, result.stderr
        assert word in KeyedVectors.load_word2vec_format(out, binary=False)


def test_verbose_after_the_subcommand(trained: dict[str, Path]) -> None:
    result = run("similar", trained["bin"], "notaword", "--verbose")
    assert result.returncode == 2 and "Traceback" in result.stderr


def test_version_help_and_no_arguments() -> None:
    import w2v

    version = run("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"w2v {w2v.__version__}"
    for args in (["--help"], ["train", "--help"], ["-h"]):
        result = run(*args)
        assert result.returncode == 0 and result.stdout.startswith("usage: w2v")
    empty = run()
    assert empty.returncode == 2 and "w2v demo" in empty.stderr and not empty.stdout


def test_demo_runs(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = run("demo", "-o", tmp_path / "demo.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "king ->" in result.stdout and 'next word after "is": great' in result.stdout
    assert (tmp_path / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    no_picture = tmp_path / "none"
    no_picture.mkdir()
    assert run("demo", "--no-picture", cwd=no_picture).returncode == 0
    assert not list(no_picture.iterdir())


def _run_in_terminal(*args: str | Path) -> tuple[int, str]:
    """Run ``w2v ARGS`` with stdout and stderr on a pseudo-terminal; exit code and output."""
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()  # sized like a real terminal: 24 rows, 120 columns
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))
    env = child_env()
    process = subprocess.Popen([*_command(), *map(str, args)], stdout=slave, stderr=slave,
                               stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_progress_bar_in_a_terminal_not_in_a_pipe(trained: dict[str, Path]) -> None:
    out = trained["root"] / "bar.txt"
    code, shown = _run_in_terminal("train", trained["corpus"], "-o", out, *TRAIN)
    assert code == 0, shown
    assert "100%" in shown and "epoch 5/5" in shown and "loss" in shown and "word/s" in shown
    # the epoch log lines print above the bar, each whole on its own line
    logged = [part.strip() for part in re.split(r"[\r\n]", shown) if "examples" in part]
    assert len(logged) == 5 and all(re.match(r"w2v: epoch \d/5: loss", p) for p in logged)
    piped = run("train", trained["corpus"], "-o", out, *TRAIN)
    assert piped.returncode == 0
    assert "epoch 5/5 lr" not in piped.stderr and "100%" not in piped.stderr
    code, quiet = _run_in_terminal("train", trained["corpus"], "-o", out, *TRAIN,
                                   "--no-progress")
    assert code == 0 and "100%" not in quiet


STOPPING_SCRIPT = """
import sys
import w2v.train.trainer
from w2v import Word2Vec
from w2v.train.callbacks import Callback

class StopInEpochTwo(Callback):
    def on_batch_end(self, model, progress):
        return progress.epoch < 1  # False (stop) once the second epoch reports

corpus, out = sys.argv[1], sys.argv[2]
w2v.train.trainer.REPORT_SECONDS = 0.005  # several reports within each epoch of a small corpus
model = Word2Vec(corpus, vector_size=16, min_count=1, epochs=5, workers=2, seed=1,
                 callbacks=[StopInEpochTwo()], progress=False).train()
print(model.epochs_trained)
model.save(out)
"""


def test_a_callback_stops_training_in_a_users_script(trained: dict[str, Path],
                                                    tmp_path: Path) -> None:
    env = child_env()
    big = tmp_path / "corpus.txt"  # long enough for reports inside the second epoch
    big.write_text(trained["corpus"].read_text(encoding="utf-8") * 40, encoding="utf-8")
    model_path = tmp_path / "stopped.zip"
    result = subprocess.run([sys.executable, "-c", STOPPING_SCRIPT, str(big), str(model_path)],
                            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"  # one whole epoch, one stopped early, not five
    similar = run("similar", model_path, "king", "--topn", "3")
    assert similar.returncode == 0, similar.stderr
    assert len(similar.stdout.splitlines()) == 3
