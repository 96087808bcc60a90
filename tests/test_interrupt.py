"""Stopping training part-way: the kernel's stop flag, Ctrl-C in train(), and in the
``w2v train`` command (exit 130, the partial model saved)."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from planted import planted_corpus
from test_cli import child_env
from test_kernel import make_setup

from w2v import Word2Vec, _core
from w2v.train import trainer
from w2v.train.callbacks import Callback


@pytest.mark.parametrize("objective", ["ns", "softmax"])
def test_a_raised_stop_flag_ends_the_chunk_before_its_next_sentence(objective):
    arrays, options, ids, offsets = make_setup(objective, "sg")
    kernel = _core.Kernel(**arrays, **options, exact=True)
    before = {name: arrays[name].copy() for name in ("vectors", "out_words", "out_nodes")}
    progress = np.zeros(1, dtype=np.int64)
    stop = np.ones(1, dtype=np.int32)
    loss, examples = kernel.train_chunk(ids, offsets, 0, len(offsets) - 1, 7, progress, 0,
                                        len(ids), 0.025, 1e-4, None, stop)
    assert (loss, examples) == (0.0, 0) and progress[0] == 0
    for name, array in before.items():
        np.testing.assert_array_equal(arrays[name], array)
    stop[0] = 0  # lowered, the same call trains the whole chunk
    loss, examples = kernel.train_chunk(ids, offsets, 0, len(offsets) - 1, 7, progress, 0,
                                        len(ids), 0.025, 1e-4, None, stop)
    assert examples > 0 and progress[0] == len(ids)
    with pytest.raises(ValueError, match="one flag"):
        kernel.train_chunk(ids, offsets, 0, 1, 7, progress, 0, len(ids), 0.025, 1e-4, None,
                           np.zeros(2, dtype=np.int32))


class CtrlC(Callback):
    """Raises KeyboardInterrupt in the calling thread, as Ctrl-C would, at a report."""

    def __init__(self, at_epoch: int) -> None:
        self.at_epoch = at_epoch

    def on_batch_end(self, model, progress):
        if progress.epoch == self.at_epoch and progress.words_done > 0:
            raise KeyboardInterrupt


def test_ctrl_c_in_train_stops_the_threads_and_leaves_a_usable_model(tmp_path, caplog,
                                                                     monkeypatch):
    monkeypatch.setattr(trainer, "REPORT_SECONDS", 0.001)
    corpus = planted_corpus() * 20
    model = Word2Vec(corpus, vector_size=16, min_count=1, epochs=4, workers=2, seed=2,
                     sample=0, callbacks=[CtrlC(at_epoch=1)], progress=False)
    with caplog.at_level(logging.WARNING, logger="w2v"), pytest.raises(KeyboardInterrupt):
        model.train()
    assert not [t for t in threading.enumerate() if t.name.startswith("w2v-worker")]
    # the first epoch whole, the second one part-way, and a report saying so
    assert model.epochs_trained == 2 and len(model.loss_history) == 2
    assert 0 < model.examples_history[1] < model.examples_history[0]
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "interrupted" in warning and "of the way through" in warning
    assert "2 epochs trained" in warning
    assert np.isfinite(model.wv.vectors).all()
    model.save(tmp_path / "partial.zip")
    again = Word2Vec.load(tmp_path / "partial.zip")
    np.testing.assert_array_equal(again.wv.vectors, model.wv.vectors)
    model.callbacks = []
    model.train(epochs=1)  # trains further, from where it stopped
    assert model.epochs_trained == 3


def _corpus_file(path: Path) -> Path:
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(300)]
    lines = [" ".join(rng.choice(words, 20)) for _ in range(20_000)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def hear_ctrl_c() -> None:
    """In the child before it starts: SIGINT back to its default. A test run started in the
    background of a non-interactive shell (``cmd &``, nohup) ignores SIGINT, every child
    inherits that, and Python then never installs its Ctrl-C handler: the child would
    train its 1000 epochs."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child is POSIX")
def test_w2v_train_on_ctrl_c_exits_130_and_saves_the_partial_model(tmp_path):
    corpus = _corpus_file(tmp_path / "corpus.txt")
    model_out, vectors = tmp_path / "partial.zip", tmp_path / "vectors.bin"
    env = child_env()
    process = subprocess.Popen(
        [sys.executable, "-m", "w2v", "train", str(corpus), "-o", str(vectors),
         "--model-out", str(model_out), "--epochs", "1000", "--sg", "1", "--workers", "2",
         "--min-count", "1", "--no-progress"],
        stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path, preexec_fn=hear_ctrl_c)
    lines = []
    for line in process.stderr:  # wait until an epoch has been trained
        lines.append(line)
        if "epoch 2/1000" in line:
            break
    assert any("epoch 2/1000" in line for line in lines), "".join(lines)
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    rest = process.stderr.read()
    code = process.wait(timeout=60)
    assert code == 130, rest
    assert time.monotonic() - sent < 60
    assert "interrupted" in rest and f"saved in {model_out}" in rest
    assert "Traceback" not in rest and not vectors.exists()
    model = Word2Vec.load(model_out)
    assert 2 <= model.epochs_trained < 1000
    assert np.isfinite(model.wv.vectors).all()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp
