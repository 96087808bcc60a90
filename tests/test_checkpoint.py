"""Checkpoints during training and resuming a run after a crash: a resumed run must end
with the weights of a run that never stopped (one thread), refuse a corpus that is not
the run's, and never overwrite an unfinished run's checkpoint."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from planted import cluster_words, planted_corpus
from test_cli import child_env, run

import w2v
from w2v import Word2Vec
from w2v.train import checkpoint, trainer
from w2v.train.callbacks import Callback
from w2v.train.checkpoint import CheckpointEvery, load_checkpoint, parse_every

PARAMS = dict(vector_size=16, min_count=1, epochs=3, workers=1, seed=3)


class Crash(Exception):  # noqa: N818 (it stands for a crash, not an error to handle)
    """Stands for the process dying: training ends at once, nothing more is saved."""


class CrashAfterCheckpoints(Callback):
    """Raises once a checkpoint in the middle of an epoch after the first has been
    written since it was made (``saved`` is filled by a wrapper of ``Checkpointer.save``)."""

    def __init__(self, saved: list) -> None:
        self.saved, self.start = saved, len(saved)

    def on_batch_end(self, model, progress):
        if any(p.epoch >= 1 and p.next_chunk > 0 for p in self.saved[self.start:]):
            raise Crash


@pytest.fixture
def saved_positions(monkeypatch):
    """Frequent reports, and the position of every checkpoint written, in order."""
    monkeypatch.setattr(trainer, "REPORT_SECONDS", 0.005)
    saved: list = []
    original = checkpoint.Checkpointer.save

    def save(self, position):
        original(self, position)
        saved.append(position)

    monkeypatch.setattr(checkpoint.Checkpointer, "save", save)
    return saved


def corpus_words() -> list[list[str]]:
    return planted_corpus(20_000)


@pytest.mark.parametrize("every", ["1ms", "1 epoch"])
def test_a_run_resumed_from_its_checkpoint_ends_with_the_weights_of_one_never_stopped(
        tmp_path, saved_positions, every):
    corpus = corpus_words()
    whole = Word2Vec(corpus, **PARAMS).train()
    path = tmp_path / "run.zip"
    crashing = Word2Vec(corpus, **PARAMS)
    crash = (CrashAfterCheckpoints(saved_positions) if every == "1ms"
             else CrashAfterEpochs(2))
    with pytest.raises(Crash):
        crashing.train(checkpoint=path, checkpoint_every=every, callbacks=[crash])
    _, record = load_checkpoint(path)
    assert not record.complete
    if every == "1ms":  # the checkpoint stands in the middle of an epoch
        assert record.position.next_chunk > 0 and record.position.epoch >= 1
    else:
        assert (record.position.epoch, record.position.next_chunk) == (2, 0)

    resumed = w2v.resume(path, corpus)
    np.testing.assert_array_equal(resumed.wv.vectors, whole.wv.vectors)
    np.testing.assert_array_equal(resumed.syn1neg, whole.syn1neg)
    assert resumed.loss_history == whole.loss_history
    assert resumed.examples_history == whole.examples_history
    assert resumed.epochs_trained == 3
    _, final = load_checkpoint(path)  # the run's last checkpoint says it is complete
    assert final.complete and final.position.words_done == 3 * record.trained_words


class CtrlCInEpoch(Callback):
    """Raises KeyboardInterrupt, as Ctrl-C would, at a report a quarter or more into
    ``epoch`` (of ``epochs``)."""

    def __init__(self, epoch: int, epochs: int) -> None:
        self.epoch, self.epochs = epoch, epochs

    def on_batch_end(self, model, progress):
        if progress.words_done > (self.epoch + 0.25) * progress.total_words / self.epochs:
            raise KeyboardInterrupt


def test_ctrl_c_writes_a_checkpoint_at_the_exact_chunk_and_the_run_resumes_from_it(
        tmp_path, monkeypatch):
    monkeypatch.setattr(trainer, "REPORT_SECONDS", 0.002)
    corpus = corpus_words()
    whole = Word2Vec(corpus, **PARAMS).train()
    path = tmp_path / "run.zip"
    saved: list = []
    original = checkpoint.Checkpointer.save
    monkeypatch.setattr(checkpoint.Checkpointer, "save",
                        lambda self, position: (original(self, position), saved.append(position)))
    interrupted = Word2Vec(corpus, **PARAMS)
    with pytest.raises(KeyboardInterrupt):
        interrupted.train(checkpoint=path, checkpoint_every="10 epochs",
                          callbacks=[CtrlCInEpoch(1, PARAMS["epochs"])])
    # no checkpoint was due: the only one is the interrupt's, in the middle of epoch 1
    assert len(saved) == 1
    # it records the time trained up to it (train() adds it to the model only at its end)
    assert 0 < Word2Vec.load(path).training_seconds <= interrupted.training_seconds
    _, record = load_checkpoint(path)
    assert not record.complete
    assert record.position.epoch == 1 and 0 < record.position.next_chunk
    epoch_words = interrupted.vocab.retained_words
    assert epoch_words < record.position.words_done < 2 * epoch_words
    resumed = w2v.resume(path, corpus)
    np.testing.assert_array_equal(resumed.wv.vectors, whole.wv.vectors)
    assert resumed.loss_history == whole.loss_history
    assert resumed.epochs_trained == 3


def test_ctrl_c_without_time_to_finish_the_chunks_writes_no_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setattr(trainer, "REPORT_SECONDS", 0.002)
    monkeypatch.setattr(trainer, "FINISH_SECONDS", 0.0)
    path = tmp_path / "run.zip"
    model = Word2Vec(corpus_words() * 3, **dict(PARAMS, workers=2))
    with pytest.raises(KeyboardInterrupt):
        model.train(checkpoint=path, checkpoint_every="10 epochs",
                    callbacks=[CtrlCInEpoch(1, PARAMS["epochs"])])
    assert not path.exists()  # cut mid-chunk: no exact position to record
    assert np.isfinite(model.wv.vectors).all()


class CrashAfterEpochs(Callback):
    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def on_batch_end(self, model, progress):
        if progress.epoch >= self.epochs:
            raise Crash


def test_a_run_can_crash_and_resume_twice(tmp_path, saved_positions):
    corpus = corpus_words()
    whole = Word2Vec(corpus, **PARAMS).train()
    path = tmp_path / "run"
    with pytest.raises(Crash):
        Word2Vec(corpus, **PARAMS).train(checkpoint=path, checkpoint_every=0.001,
                                         callbacks=[CrashAfterCheckpoints(saved_positions)])
    first = load_checkpoint(path)[1].position
    with pytest.raises(Crash):  # crashes again, further on
        w2v.resume(path, corpus, callbacks=[CrashAfterCheckpoints(saved_positions)])
    second = load_checkpoint(path)[1].position
    assert second.words_done > first.words_done
    resumed = Word2Vec.resume(path, corpus)
    np.testing.assert_array_equal(resumed.wv.vectors, whole.wv.vectors)


def test_a_process_killed_mid_run_resumes_from_its_file_corpus(tmp_path):
    corpus_file = tmp_path / "corpus.txt"
    corpus_file.write_text("\n".join(" ".join(s) for s in corpus_words()) + "\n")
    path = tmp_path / "run.zip"
    params = dict(PARAMS, epochs=4)
    script = textwrap.dedent(f"""
        import sys, time
        from w2v import Word2Vec
        from w2v.train import trainer
        from w2v.train.callbacks import Callback
        trainer.REPORT_SECONDS = 0.005

        class Hang(Callback):  # in the third epoch: wait to be killed
            def on_batch_end(self, model, progress):
                if progress.epoch == 2:
                    print("ready", flush=True)
                    time.sleep(600)

        model = Word2Vec({str(corpus_file)!r}, **{params!r})
        model.train(checkpoint={str(path)!r}, callbacks=[Hang()])
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                             text=True, env=child_env())
    try:
        assert child.stdout.readline().strip() == "ready"
    finally:
        child.kill()  # SIGKILL: no handler, no clean-up, as in a crash
        child.wait(timeout=60)
    _, record = load_checkpoint(path)
    assert (record.position.epoch, record.position.next_chunk) == (2, 0)
    assert record.corpus["path"] == str(corpus_file)

    resumed = w2v.resume(path)  # the corpus comes from the checkpoint
    whole = Word2Vec(str(corpus_file), **params).train()
    np.testing.assert_array_equal(resumed.wv.vectors, whole.wv.vectors)
    assert resumed.epochs_trained == 4


def test_several_threads_resume_to_a_model_that_learned_the_planted_structure(
        tmp_path, saved_positions):
    corpus = corpus_words()
    params = dict(PARAMS, workers=2, epochs=4)
    # an epoch takes milliseconds: now and then a run ends before a report has seen a
    # checkpoint written mid-epoch, and does not crash; the next run does
    for attempt in range(10):
        path = tmp_path / f"run-{attempt}.zip"
        try:
            Word2Vec(corpus, **params).train(
                checkpoint=path, checkpoint_every="1ms",
                callbacks=[CrashAfterCheckpoints(saved_positions)])
        except Crash:
            break
    else:
        pytest.fail("none of 10 runs wrote a checkpoint mid-epoch and reported after it")
    model = w2v.resume(path, corpus)
    assert model.epochs_trained == 4 and len(model.loss_history) == 4
    assert np.isfinite(model.wv.vectors).all()
    for cluster in cluster_words():  # each word's nearest neighbour is in its cluster
        for word in cluster[:3]:
            assert model.wv.most_similar(word, topn=1)[0][0] in cluster


def test_resume_refuses_a_corpus_that_is_not_the_runs(tmp_path, saved_positions):
    corpus = corpus_words()
    path = tmp_path / "run.zip"
    with pytest.raises(Crash):
        Word2Vec(corpus, **PARAMS).train(checkpoint=path, checkpoint_every="1 epoch",
                                         callbacks=[CrashAfterEpochs(1)])
    with pytest.raises(ValueError, match=r"not the one the run was trained on: \d+ tokens"):
        w2v.resume(path, corpus[:-5])
    reordered = corpus[1:] + corpus[:1]  # same words, same counts, other order
    with pytest.raises(ValueError, match="as many tokens, but other words"):
        w2v.resume(path, reordered)
    with pytest.raises(ValueError, match="sentences in memory: pass the same corpus"):
        w2v.resume(path)


def test_an_unfinished_runs_checkpoint_is_never_overwritten_by_a_new_run(tmp_path,
                                                                       saved_positions):
    corpus = corpus_words()
    path = tmp_path / "run.zip"
    with pytest.raises(Crash):
        Word2Vec(corpus, **PARAMS).train(checkpoint=path, callbacks=[CrashAfterEpochs(1)])
    before = path.read_bytes()
    with pytest.raises(FileExistsError, match="did not finish: resume it"):
        Word2Vec(corpus, **PARAMS).train(checkpoint=path)
    assert path.read_bytes() == before
    w2v.resume(path, corpus)  # now complete: a new run may replace it
    model = Word2Vec(corpus, **dict(PARAMS, epochs=1)).train(checkpoint=path)
    assert load_checkpoint(path)[0].epochs_trained == model.epochs_trained == 1


def test_a_checkpoint_is_a_model_file_and_a_model_file_is_not_a_checkpoint(tmp_path):
    corpus = planted_corpus()
    path = tmp_path / "run.zip"
    model = Word2Vec(corpus, **PARAMS).train(checkpoint=path)
    loaded = Word2Vec.load(path)
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    assert w2v.resume(path).epochs_trained == 3  # complete: returned as it is
    model.save(tmp_path / "model.zip")
    with pytest.raises(ValueError, match="not a checkpoint"):
        w2v.resume(tmp_path / "model.zip")


def test_a_second_train_call_checkpoints_its_own_run(tmp_path):
    corpus = planted_corpus()
    path = tmp_path / "run"
    model = Word2Vec(corpus, **PARAMS).train(epochs=2)
    model.train(epochs=1, checkpoint=path)
    _, record = load_checkpoint(path)
    assert (record.first_epoch, record.run_epochs, record.complete) == (2, 1, True)


@pytest.mark.parametrize("field, value", [
    (("position", "epoch"), 7), (("position", "words_done"), 10**12),
    (("position", "epoch_loss"), float("nan")), (("run_epochs",), "3"),
    (("first_epoch",), -1), (("corpus",), {"path": 1}), (("every",), []),
    (("every",), {"seconds": -5, "epochs": None}),
])
def test_a_tampered_checkpoint_is_refused_naming_the_field(tmp_path, field, value):
    path = tmp_path / "run"
    Word2Vec(planted_corpus(), **PARAMS).train(checkpoint=path)
    meta_file = path / "meta.json"
    meta = json.loads(meta_file.read_text())
    section = meta["meta"]["checkpoint"]
    for key in field[:-1]:
        section = section[key]
    section[field[-1]] = value
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="checkpoint"):
        w2v.resume(path)


@pytest.mark.parametrize("value, expected", [
    (600, CheckpointEvery(seconds=600.0)), (0.5, CheckpointEvery(seconds=0.5)),
    ("90s", CheckpointEvery(seconds=90.0)), ("10min", CheckpointEvery(seconds=600.0)),
    ("2 h", CheckpointEvery(seconds=7200.0)), ("1 epoch", CheckpointEvery(epochs=1)),
    ("3epochs", CheckpointEvery(epochs=3)), (None, CheckpointEvery(epochs=1)),
])
def test_checkpoint_every_reads_seconds_or_epochs(value, expected):
    assert parse_every(value) == expected


@pytest.mark.parametrize("value", [0, -1, True, "soon", "1.5 epochs", "0 epochs", "5 days",
                                   float("inf"), [600]])
def test_a_bad_checkpoint_every_is_refused(value):
    with pytest.raises(ValueError, match="checkpoint_every"):
        parse_every(value)


def test_checkpoint_every_without_a_checkpoint_path_is_refused():
    with pytest.raises(ValueError, match="needs a checkpoint path"):
        Word2Vec(planted_corpus(), **PARAMS).train(checkpoint_every="1 epoch")


def test_the_command_line_checkpoints_refuses_to_overwrite_and_resumes(tmp_path,
                                                                       saved_positions):
    corpus_file = tmp_path / "corpus.txt"
    corpus = corpus_words()
    corpus_file.write_text("\n".join(" ".join(s) for s in corpus) + "\n")
    ckpt = tmp_path / "run.zip"
    # an unfinished run's checkpoint, as a crash of `w2v train --checkpoint` leaves it
    with pytest.raises(Crash):
        Word2Vec(w2v.PathCorpus(corpus_file), **PARAMS).train(
            checkpoint=ckpt, callbacks=[CrashAfterEpochs(1)])
    out = tmp_path / "vectors.txt"
    args = ["train", corpus_file, "-o", out, "--checkpoint", ckpt, "--no-progress"]
    refused = run(*args)
    assert refused.returncode == 2 and "did not finish" in refused.stderr
    assert "--resume" in refused.stderr
    assert run(*args, "--resume", "--vector-size", "8").returncode == 2
    done = run(*args, "--resume", "--model-out", tmp_path / "model.zip")
    assert done.returncode == 0, done.stderr
    whole = Word2Vec(w2v.PathCorpus(corpus_file), **PARAMS).train()
    resumed = Word2Vec.load(tmp_path / "model.zip")
    np.testing.assert_array_equal(resumed.wv.vectors, whole.wv.vectors)
    assert w2v.load_vectors(out).vectors.shape == whole.wv.vectors.shape
    assert run(*args, "--checkpoint-every", "0").returncode == 2
