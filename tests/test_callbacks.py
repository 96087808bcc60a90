"""Callbacks, early stopping, the progress bar and the in-memory progress records."""

import logging
import re
import threading

import numpy as np
import pytest
from planted import cluster_purity, planted_corpus

from w2v import Word2Vec
from w2v.train import trainer
from w2v.train.callbacks import Callback, TrainingProgress
from w2v.train.monitor import show_progress

FAST = dict(vector_size=16, window=4, min_count=1, sample=0, epochs=4, workers=2, seed=3,
            progress=False)


@pytest.fixture(scope="module")
def corpus():
    return planted_corpus() * 6  # enough chunks for reports within an epoch


@pytest.fixture(autouse=True)
def frequent_reports(monkeypatch):
    monkeypatch.setattr(trainer, "REPORT_SECONDS", 0.001)


class Recorder(Callback):
    def __init__(self):
        self.events = []
        self.threads = set()
        self.progress = []

    def _note(self, *event):
        self.events.append(event)
        self.threads.add(threading.current_thread())

    def on_train_begin(self, model):
        self._note("train_begin")

    def on_epoch_begin(self, model, epoch):
        self._note("epoch_begin", epoch)

    def on_batch_end(self, model, progress):
        self._note("batch")
        self.progress.append(progress)

    def on_epoch_end(self, model, epoch):
        self._note("epoch_end", epoch, len(model.loss_history))

    def on_train_end(self, model):
        self._note("train_end")


def test_hooks_run_in_order_in_the_calling_thread(corpus):
    recorder = Recorder()
    model = Word2Vec(corpus, callbacks=[recorder], **FAST).train()
    names = [e for e in recorder.events if e[0] != "batch"]
    assert names == [("train_begin",)] + [
        event for epoch in range(4) for event in (("epoch_begin", epoch),
                                                  ("epoch_end", epoch, epoch + 1))
    ] + [("train_end",)]
    assert recorder.threads == {threading.main_thread()}
    assert len(recorder.progress) >= 4  # a final report per epoch at least
    assert all(isinstance(p, TrainingProgress) for p in recorder.progress)
    done = [p.words_done for p in recorder.progress]
    assert done == sorted(done) and recorder.progress[-1].fraction == pytest.approx(1.0)
    alphas = [p.alpha for p in recorder.progress]
    assert alphas == sorted(alphas, reverse=True)  # the learning rate only decays
    # the loss is NaN until the epoch's first chunk ends (a slow machine, such as the
    # sanitized build, can report before that), then finite and positive to the end
    for epoch in range(4):
        losses = [p.loss for p in recorder.progress if p.epoch == epoch]
        finite = [np.isfinite(loss) for loss in losses]
        assert finite[-1] and finite == sorted(finite), (epoch, losses)
        assert all(loss > 0 for loss in losses if np.isfinite(loss))
    assert cluster_purity(model.wv) >= 0.85


def test_a_callback_returning_false_stops_mid_epoch_leaving_a_valid_model(corpus):
    class StopHalfway(Callback):
        def on_batch_end(self, model, progress):
            return progress.fraction < 0.3

    full = Word2Vec(corpus, **FAST).train()
    model = Word2Vec(corpus, callbacks=[StopHalfway()], **FAST).train()
    assert 1 <= model.epochs_trained < 4
    assert sum(model.examples_history) < sum(full.examples_history)
    assert np.isfinite(model.wv.vectors).all() and np.isfinite(model.syn1neg).all()
    assert model.wv.most_similar("c0w1", topn=1)  # queryable
    model.callbacks.clear()
    model.train(epochs=2)  # and trainable further
    assert model.epochs_trained == len(model.loss_history) == len(model.examples_history)


def test_model_stop_after_the_first_epoch(corpus):
    class Once(Callback):
        def on_epoch_end(self, model, epoch):
            model.stop()

    model = Word2Vec(corpus, **FAST).train(callbacks=[Once()])
    assert model.epochs_trained == 1 and len(model.loss_history) == 1
    model.train(epochs=1)  # the stop belonged to that call: this one runs
    assert model.epochs_trained == 2


def test_gensim_style_hooks_and_constructor_callbacks_persist(corpus, tmp_path):
    class GensimStyle:
        def __init__(self):
            self.epochs = 0

        def on_epoch_end(self, model):  # gensim's signature: the model alone
            self.epochs += 1

    counter = GensimStyle()
    model = Word2Vec(corpus, callbacks=[counter], **FAST).train()
    model.train(epochs=2)
    assert counter.epochs == 6  # kept for the later call
    model.save(tmp_path / "m.zip")
    loaded = Word2Vec.load(tmp_path / "m.zip")
    assert loaded.callbacks == []  # callbacks are never written to files


def test_a_callback_error_stops_the_threads_and_propagates(corpus):
    class Broken(Callback):
        def on_batch_end(self, model, progress):
            raise RuntimeError("callback failed")

    from tqdm import tqdm

    last_resort = logging.lastResort
    model = Word2Vec(corpus, callbacks=[Broken()], **{**FAST, "progress": True})
    with pytest.raises(RuntimeError, match="callback failed"):
        model.train()
    assert not [t for t in threading.enumerate() if t.name.startswith("w2v-worker")]
    assert np.isfinite(model.wv.vectors).all()
    # the bar is closed and logging put back, though training ended with an error
    assert not [bar for bar in tqdm._instances if bar.desc == "w2v"]
    assert logging.lastResort is last_resort


def test_progress_history_and_bar(corpus, capsys):
    model = Word2Vec(corpus, **{**FAST, "progress": True}).train()
    err = capsys.readouterr().err
    assert "epoch 4/4" in err and "word" in err and "100%" in err
    epochs_done = [e for e, _ in model.progress_history]
    assert epochs_done == sorted(epochs_done) and epochs_done[-1] == pytest.approx(4.0)
    assert all(np.isfinite(loss) for _, loss in model.progress_history)
    Word2Vec(corpus, **{**FAST, "progress": None}).train()  # stderr is not a terminal here
    assert capsys.readouterr().err == ""


def test_show_progress_follows_the_terminal():
    class Stream:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

    assert show_progress(None, Stream(True)) and not show_progress(None, Stream(False))
    assert show_progress(True, Stream(False)) and not show_progress(False, Stream(True))


def test_show_progress_in_a_jupyter_kernel(monkeypatch):
    import sys
    import types

    class Stream:
        def isatty(self):
            return False  # a kernel's stderr is not a terminal

    class ZMQInteractiveShell:  # what a notebook's get_ipython() returns
        pass

    class TerminalInteractiveShell:  # plain IPython in a terminal
        pass

    shell = ZMQInteractiveShell()
    ipython = types.SimpleNamespace(get_ipython=lambda: shell)
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert not show_progress(None, Stream())  # IPython imported, but no kernel
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    assert show_progress(None, Stream()) and not show_progress(False, Stream())
    shell = TerminalInteractiveShell()
    assert not show_progress(None, Stream())
    ipython.get_ipython = lambda: None  # IPython present, no shell running
    assert not show_progress(None, Stream())


def test_estimate_memory_matches_the_arrays(corpus, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="w2v"):
        model = Word2Vec(corpus, hs=1, **FAST)
    estimate = model.estimate_memory()
    assert estimate["vectors"] == model.wv.vectors.nbytes
    assert estimate["syn1neg"] == model.syn1neg.nbytes and estimate["syn1"] == model.syn1.nbytes
    assert estimate["encoded_corpus"] >= 4 * sum(map(len, corpus))
    assert estimate["total"] == sum(v for k, v in estimate.items() if k != "total")
    assert "training will need about" in caplog.text
    with pytest.raises(ValueError, match="build_vocab"):
        Word2Vec().estimate_memory()


def _lines(text):
    """What a terminal would show on separate lines or overwrites: split at \\r and \\n."""
    return [part.strip() for part in re.split(r"[\r\n]", text)]


def test_log_lines_print_above_the_bar_and_the_handlers_come_back(corpus, capsys, tmp_path):
    import sys

    logger = logging.getLogger("w2v")
    console = logging.StreamHandler(sys.stderr)  # captured by capsys
    console.setFormatter(logging.Formatter("LOG %(message)s"))
    in_file = logging.FileHandler(tmp_path / "w2v.log")
    handlers_before, level_before = logger.handlers, logger.level
    logger.addHandler(console)
    logger.addHandler(in_file)
    logger.setLevel(logging.INFO)
    attached = list(logger.handlers)
    last_resort = logging.lastResort
    try:
        Word2Vec(corpus, **{**FAST, "progress": True}).train()
        assert logger.handlers == attached and logging.lastResort is last_resort
    finally:
        logger.handlers, logger.level = handlers_before, level_before
        in_file.close()
    err = capsys.readouterr().err
    epoch_lines = [line for line in _lines(err) if "epoch " in line and "loss" in line
                   and "LOG" in line]
    # each log line stands alone: nothing of the bar before it, its whole text after
    assert len(epoch_lines) == 4 and all(line.startswith("LOG epoch ") for line in epoch_lines)
    assert "%|" in err  # the bar was drawn
    logged = (tmp_path / "w2v.log").read_text()
    assert logged.count("epoch ") == 4 and "%|" not in logged  # the file handler untouched


def test_log_above_bar_swaps_only_console_handlers_and_adds_none(tmp_path):
    import io
    import sys

    from w2v.train.monitor import log_above_bar

    parent = logging.getLogger("w2v_test_parent")
    child = logging.getLogger("w2v_test_parent.child")
    console = logging.StreamHandler(sys.stderr)
    in_file = logging.FileHandler(tmp_path / "x.log")
    parent.addHandler(console)
    parent.addHandler(in_file)
    written = []
    try:
        with log_above_bar(lambda text, file: written.append((text, file)), child):
            assert child.handlers == [] and in_file in parent.handlers
            assert console not in parent.handlers
            child.warning("hello")
        assert parent.handlers == [console, in_file]
        assert written == [("hello", sys.stderr)]
        quiet = logging.getLogger("w2v_test_quiet")  # nothing configured: nothing added
        quiet.propagate = False
        with log_above_bar(lambda text, file: written.append(text), quiet):
            assert quiet.handlers == []
            quiet.warning("to the last resort")
        assert written[-1] == "to the last resort"
        stream = io.StringIO()  # not a console: left alone
        other = logging.getLogger("w2v_test_stringio")
        own = logging.StreamHandler(stream)
        other.addHandler(own)
        with log_above_bar(lambda text, file: written.append(text), other):
            assert other.handlers == [own]
    finally:
        parent.handlers = []
        in_file.close()
