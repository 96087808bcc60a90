"""Corpus paths that can be read only once (issue 20): named pipes, process substitution's
``/dev/fd/N``, standard input (``-`` and ``/dev/stdin``), a folder holding a named pipe.
Each is read exactly once, and trains the vectors the same bytes in a regular file train
(bit for bit with one worker and one seed); a pipe nobody writes to ends, with
``pipe_timeout``, in an error naming it; the temporary copy goes away.

Every test is bounded: subprocesses by ``timeout=``, the in-process ones by a faulthandler
alarm that ends the run with a traceback instead of hanging it.
"""

from __future__ import annotations

import faulthandler
import gzip
import logging
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from w2v import PathCorpus, Word2Vec
from w2v.data import streams
from w2v.data.corpus import as_corpus

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo") or not os.path.exists("/dev/stdin"),
                                reason="needs named pipes and /dev/stdin")

#: A test that hangs is ended (with a traceback) after this long.
HANG_SECONDS = 120
PARAMS = dict(vector_size=10, epochs=1, min_count=1, workers=1, seed=3, window=3)
CLI_PARAMS = ["--vector-size", "10", "--epochs", "1", "--min-count", "1", "--workers", "1",
              "--seed", "3", "--window", "3", "--no-progress"]
SRC = str(Path(__import__("w2v").__file__).resolve().parent.parent)


@pytest.fixture(autouse=True)
def bounded() -> Iterator[None]:
    faulthandler.dump_traceback_later(HANG_SECONDS, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def text(tmp_path: Path) -> Path:
    """A small corpus file: 200 lines of 12 words drawn from 40."""
    rng = random.Random(7)
    words = [f"w{i}" for i in range(40)]
    path = tmp_path / "corpus.txt"
    path.write_text("".join(" ".join(rng.choice(words) for _ in range(12)) + "\n"
                            for _ in range(200)), encoding="utf-8")
    return path


def make_fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def feed(fifo: Path, data: bytes, delay: float = 0.0, silence: float = 0.0
         ) -> threading.Thread:
    """A thread that (after ``delay`` seconds) opens ``fifo`` for writing, waits ``silence``
    seconds once it is open (which is once a reader has opened it), writes ``data`` and
    closes it: the writer that ends."""
    def write() -> None:
        time.sleep(delay)
        with open(fifo, "wb") as out:
            time.sleep(silence)
            out.write(data)

    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    return thread


def release(fifo: Path) -> None:
    """Let a writer blocked in open() on ``fifo`` go on (its writes then fail or fill the
    buffer), so no thread stays stuck after a failed test."""
    try:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))
    except OSError:
        pass


def cli(*args: str, stdin=None, input: bytes | None = None, env: dict | None = None,
        shell: bool = False) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": SRC, **(env or {})}
    command: str | list[str] = (args[0] if shell else
                                [sys.executable, "-m", "w2v", *args])
    return subprocess.run(
        ["bash", "-c", command] if shell else command, stdin=stdin, input=input,
        capture_output=True, timeout=HANG_SECONDS / 2, env=environment)


def reference_model(text: Path) -> Word2Vec:
    return Word2Vec(str(text), **PARAMS).train()


def reference_vectors(text: Path, tmp_path: Path) -> bytes:
    """The vectors trained from the regular file, in a fresh process as the runs compared
    with them are (a library loaded earlier in the test process may have set the CPU to
    flush denormals, which moves a last bit)."""
    out = tmp_path / "reference.bin"
    run = cli("train", str(text), "-o", str(out), *CLI_PARAMS)
    assert run.returncode == 0, run.stderr.decode()
    return out.read_bytes()


def assert_same_model(model: Word2Vec, reference: Word2Vec) -> None:
    assert model.wv.index_to_key == reference.wv.index_to_key
    assert model.examples_history[0] > 0
    assert model.vocab is not None and reference.vocab is not None
    assert model.vocab.corpus_words == reference.vocab.corpus_words
    np.testing.assert_array_equal(model.wv.vectors, reference.wv.vectors)


# ------------------------------------------------------------------ the Python API
def test_a_fifo_trains_as_the_file_does(text, tmp_path):
    fifo = make_fifo(tmp_path / "corpus.fifo")
    writer = feed(fifo, text.read_bytes())
    try:
        model = Word2Vec(str(fifo), **PARAMS).train()
    finally:
        release(fifo)
    writer.join(10)
    assert not writer.is_alive()
    assert_same_model(model, reference_model(text))


def test_a_fifo_given_to_train_is_read_once(text, tmp_path):
    fifo = make_fifo(tmp_path / "corpus.fifo")
    feed(fifo, text.read_bytes())
    try:
        model = Word2Vec(**PARAMS).train(str(fifo))  # counted and trained in one call
    finally:
        release(fifo)
    assert_same_model(model, reference_model(text))


def test_a_fifo_is_scanned_once_then_read_from_its_copy(text, tmp_path, monkeypatch):
    """The vocabulary's pass keeps the encoding, which the first train() uses (the copy is
    not read); a second train() reads the copy; once the copy is gone, so is the record."""
    import w2v.model as model_module
    from w2v.data.encoding import count_and_encode

    scans = []
    encode = model_module.encode_corpus
    monkeypatch.setattr(model_module, "encode_corpus",
                        lambda *args, **kwargs: scans.append(1) or encode(*args, **kwargs))
    fifo = make_fifo(tmp_path / "corpus.fifo")
    feed(fifo, text.read_bytes())
    corpus = PathCorpus(fifo, pipe_timeout=30)
    try:
        model = Word2Vec(**PARAMS).build_vocab(corpus)
        model.train()
        assert scans == []
        assert_same_model(model, reference_model(text))
        model.train()  # given once: the second call reads the copy
        assert scans == [1]
        _, record = count_and_encode(corpus, min_count=1)  # from the copy: a record again
        assert record is not None and record.matches(corpus)
        assert not record.matches(PathCorpus(fifo))  # no copy of its own: it reads the pipe
        corpus.close()
        assert not record.matches(corpus)  # the copy is gone
    finally:
        corpus.close()
        release(fifo)


def test_a_compressed_fifo_is_decompressed_by_its_name(text, tmp_path):
    fifo = make_fifo(tmp_path / "corpus.txt.gz")
    feed(fifo, gzip.compress(text.read_bytes()))
    try:
        model = Word2Vec(str(fifo), **PARAMS).train()
    finally:
        release(fifo)
    assert_same_model(model, reference_model(text))


def test_a_folder_reads_its_named_pipe(text, tmp_path):
    folder, plain = tmp_path / "parts", tmp_path / "plain"
    folder.mkdir()
    plain.mkdir()
    lines = text.read_bytes().splitlines(keepends=True)
    for where in (folder, plain):
        (where / "a.txt").write_bytes(b"".join(lines[:100]))
    (plain / "b.txt").write_bytes(b"".join(lines[100:]))
    fifo = make_fifo(folder / "b.txt")
    feed(fifo, b"".join(lines[100:]))
    try:
        model = Word2Vec(str(folder), **PARAMS).train()
    finally:
        release(fifo)
    assert_same_model(model, Word2Vec(str(plain), **PARAMS).train())


def test_a_pass_stopped_early_leaves_the_rest_for_the_next(text, tmp_path):
    fifo = make_fifo(tmp_path / "corpus.fifo")
    feed(fifo, text.read_bytes())
    corpus = PathCorpus(fifo, max_sentence_length=5, block_size=64, pipe_timeout=30)
    try:
        first = next(iter(corpus))  # one sentence, then the pass is dropped
        assert list(corpus) == list(PathCorpus(text, max_sentence_length=5))
        assert first == list(PathCorpus(text, max_sentence_length=5))[0]
    finally:
        corpus.close()
        release(fifo)


def test_a_checkpointed_run_on_a_fifo_resumes_from_the_fifo_fed_again(text, tmp_path):
    from w2v import resume
    from w2v.callbacks import Callback

    class StopAfterTwo(Callback):
        def on_epoch_end(self, model: Word2Vec, epoch: int) -> None:
            if epoch >= 1:
                model.stop()

    params = {**PARAMS, "epochs": 3}
    fifo = make_fifo(tmp_path / "corpus.fifo")
    checkpoint = tmp_path / "run.zip"
    feed(fifo, text.read_bytes())
    try:
        stopped = Word2Vec(str(fifo), **params, callbacks=[StopAfterTwo()]).train(
            checkpoint=checkpoint, checkpoint_every="1 epoch")
        assert stopped.epochs_trained == 2
        feed(fifo, text.read_bytes())  # the same bytes again, as the user pipes them again
        resumed = resume(checkpoint)  # the corpus path recorded: the FIFO
    finally:
        release(fifo)
    assert resumed.epochs_trained == 3
    np.testing.assert_array_equal(resumed.wv.vectors,
                                  Word2Vec(str(text), **params).train().wv.vectors)


def test_the_copy_is_in_tmpdir_and_goes_with_close(text, tmp_path, monkeypatch):
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc/self/fd to see the unnamed copy")
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(spool_dir))
    fifo = make_fifo(tmp_path / "corpus.fifo")
    feed(fifo, text.read_bytes())

    def copies() -> list[str]:
        found = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith(str(spool_dir)):
                found.append(target)
        return found

    corpus = PathCorpus(fifo, pipe_timeout=30)
    try:
        model = Word2Vec(corpus, **PARAMS).train()
        assert model.examples_history[0] > 0
        assert len(copies()) == 1  # the pipe's bytes, kept in TMPDIR
        corpus.close()
        assert copies() == []
        assert list(spool_dir.iterdir()) == []  # nothing left with a name either
    finally:
        corpus.close()
        release(fifo)


def test_a_fifo_nobody_writes_to_times_out_naming_it(tmp_path):
    fifo = make_fifo(tmp_path / "nobody.fifo")
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="nobody.fifo") as info:
        Word2Vec(PathCorpus(fifo, pipe_timeout=0.5), **PARAMS)
    assert time.monotonic() - started < 10
    assert "no writer" in str(info.value) and "pipe_timeout" in str(info.value)


def test_a_writer_that_never_writes_times_out_too(text, tmp_path):
    fifo = make_fifo(tmp_path / "silent.fifo")
    opened = threading.Event()
    done = threading.Event()

    def silent() -> None:
        with open(fifo, "wb"):
            opened.set()
            done.wait(30)

    threading.Thread(target=silent, daemon=True).start()
    try:
        with pytest.raises(TimeoutError, match="silent.fifo"):
            Word2Vec(PathCorpus(fifo, pipe_timeout=0.5), **PARAMS)
        assert opened.is_set()  # the writer was there; it only sent nothing
    finally:
        done.set()
        release(fifo)


def test_a_late_writer_is_waited_for_and_the_wait_said(text, tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(streams, "NOTICE_SECONDS", 0.2)
    fifo = make_fifo(tmp_path / "late.fifo")
    feed(fifo, text.read_bytes(), silence=1.0)
    try:
        with caplog.at_level(logging.WARNING, logger="w2v"):
            model = Word2Vec(str(fifo), **PARAMS).train()
    finally:
        release(fifo)
    notices = [r.getMessage() for r in caplog.records if "waiting for a writer" in r.getMessage()]
    assert notices and str(fifo) in notices[0]
    assert_same_model(model, reference_model(text))


def test_a_generator_is_still_refused_with_what_to_do_instead():
    with pytest.raises(TypeError, match="one-shot iterator") as info:
        as_corpus(line.split() for line in ["a b", "c"])
    message = str(info.value)
    assert "list" in message and "path" in message and "pipe" in message
    assert "__iter__" in message


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), "soon"])
def test_pipe_timeout_is_checked(text, bad):
    with pytest.raises((ValueError, TypeError), match="pipe_timeout must be"):
        PathCorpus(text, pipe_timeout=bad)


# ------------------------------------------------------------------ the command line
def test_cli_trains_from_a_fifo(text, tmp_path):
    fifo = make_fifo(tmp_path / "corpus.fifo")
    feed(fifo, text.read_bytes())
    out = tmp_path / "out.bin"
    try:
        run = cli("train", str(fifo), "-o", str(out), *CLI_PARAMS)
    finally:
        release(fifo)
    assert run.returncode == 0, run.stderr.decode()
    assert out.read_bytes() == reference_vectors(text, tmp_path)


def test_cli_trains_from_process_substitution(text, tmp_path):
    out = tmp_path / "out.bin"
    command = (f"{sys.executable} -m w2v train <(cat {text}) -o {out} "
               + " ".join(CLI_PARAMS))
    run = cli(command, shell=True)
    assert run.returncode == 0, run.stderr.decode()
    assert out.read_bytes() == reference_vectors(text, tmp_path)


@pytest.mark.parametrize("name", ["-", "/dev/stdin"])
@pytest.mark.parametrize("how", ["pipe", "file"])
def test_cli_trains_from_standard_input(text, tmp_path, name, how):
    out = tmp_path / "out.bin"
    args = ("train", name, "-o", str(out), *CLI_PARAMS)
    if how == "pipe":
        run = cli(*args, input=text.read_bytes())
    else:
        with open(text, "rb") as stdin:
            run = cli(*args, stdin=stdin)
    assert run.returncode == 0, run.stderr.decode()
    assert out.read_bytes() == reference_vectors(text, tmp_path)


def test_cli_leaves_no_temporary_file(text, tmp_path):
    spool_dir = tmp_path / "tmp"
    spool_dir.mkdir()
    out = tmp_path / "out.bin"
    run = cli("train", "-", "-o", str(out), *CLI_PARAMS, input=text.read_bytes(),
              env={"TMPDIR": str(spool_dir)})
    assert run.returncode == 0, run.stderr.decode()
    assert out.stat().st_size > 0
    assert list(spool_dir.iterdir()) == []


def test_cli_gives_up_on_a_fifo_nobody_writes_to(tmp_path):
    fifo = make_fifo(tmp_path / "nobody.fifo")
    started = time.monotonic()
    run = cli("train", str(fifo), "-o", str(tmp_path / "out.bin"), *CLI_PARAMS,
              "--pipe-timeout", "0.5")
    assert time.monotonic() - started < HANG_SECONDS / 4
    assert run.returncode == 2
    message = run.stderr.decode()
    assert "w2v: error:" in message and str(fifo) in message and "--pipe-timeout" in message
    assert not (tmp_path / "out.bin").exists()


def test_cli_says_it_waits_for_a_writer(text, tmp_path):
    """Without a timeout the command waits for a writer and says so (every 5 seconds); a
    writer that is there but silent is waited for the same way."""
    fifo = make_fifo(tmp_path / "late.fifo")
    # the silence is timed from the command's open of the pipe, however long it starts
    feed(fifo, text.read_bytes(), silence=streams.NOTICE_SECONDS + 1.5)
    out = tmp_path / "out.bin"
    try:
        run = cli("train", str(fifo), "-o", str(out), *CLI_PARAMS)
    finally:
        release(fifo)
    assert run.returncode == 0, run.stderr.decode()
    assert f"waiting for a writer on {fifo}" in run.stderr.decode()
    assert out.read_bytes() == reference_vectors(text, tmp_path)


def test_cli_waiting_for_a_writer_stops_at_ctrl_c(tmp_path):
    """The wait for a writer is interruptible: Ctrl-C ends it at once (exit status 130)."""
    fifo = make_fifo(tmp_path / "nobody.fifo")
    process = subprocess.Popen(
        [sys.executable, "-m", "w2v", "train", str(fifo), "-o", str(tmp_path / "out.bin"),
         *CLI_PARAMS], stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": SRC},
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # (see test_interrupt)
    try:
        time.sleep(2.0)  # started, and waiting in the pipe's open or poll
        assert process.poll() is None
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=HANG_SECONDS / 4)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, stderr.decode()
    assert b"interrupted" in stderr


@pytest.mark.parametrize("reader", ["LineSentence", "PathLineSentences", "Text8Corpus"])
def test_gensim_style_readers_read_a_fifo_once(text, tmp_path, reader):
    from w2v.compat.gensim import corpora

    make = getattr(corpora, reader)
    fifo = make_fifo(tmp_path / "corpus.fifo")
    feed(fifo, text.read_bytes())
    try:
        sentences = make(str(fifo))
        first, second = list(sentences), list(sentences)  # the second pass: the copy
    finally:
        release(fifo)
    assert first == second == list(make(str(text)))
    assert len(first) > 0


def test_a_terminal_is_read_to_its_end_of_file_and_the_wait_said(text, monkeypatch, caplog):
    """A terminal (a pseudo-terminal here) is a character device: read once, to Ctrl-D,
    with a notice that says to type the text and end it so."""
    import pty
    import termios

    monkeypatch.setattr(streams, "NOTICE_SECONDS", 0.2)
    master, slave = pty.openpty()
    try:
        attributes = termios.tcgetattr(slave)
        attributes[3] &= ~termios.ECHO  # no echo: the master reads nothing back
        termios.tcsetattr(slave, termios.TCSANOW, attributes)
        lines = text.read_bytes().splitlines(keepends=True)[:20]

        def type_in() -> None:
            time.sleep(0.6)
            for line in lines:
                os.write(master, line)
            os.write(master, b"\x04")  # Ctrl-D at the start of a line: end of file

        threading.Thread(target=type_in, daemon=True).start()
        corpus = PathCorpus(os.ttyname(slave), pipe_timeout=30)
        with caplog.at_level(logging.WARNING, logger="w2v"):
            first = list(corpus)
        assert list(corpus) == first == [line.decode().split() for line in lines]
        assert any("Ctrl-D" in r.getMessage() for r in caplog.records)
        corpus.close()
    finally:
        os.close(master)
        os.close(slave)
