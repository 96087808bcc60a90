"""One way in and out of a model's state: ``Word2Vec.from_state`` and ``model.state()``."""

import dataclasses

import numpy as np
import pytest

from w2v import Vocabulary, Word2Vec
from w2v.train.state import ModelState, TrainingHistory

CORPUS = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "sat", "on", "a", "log"]] * 30


@pytest.fixture
def model():
    return Word2Vec(CORPUS, vector_size=8, min_count=1, hs=1, epochs=2, workers=1,
                    seed=3).train()


def test_state_round_trip_rebuilds_the_model_and_trains_on_identically(model):
    state = model.state()
    assert state.epochs_trained == 2 and state.vectors is model.wv.vectors
    rebuilt = Word2Vec.from_state(state)
    assert rebuilt.wv.index_to_key == model.wv.index_to_key
    assert rebuilt.loss_history == model.loss_history
    assert rebuilt.training_seconds == model.training_seconds
    # the same weights, trained on the same way, give the same weights (one thread)
    copies = [Word2Vec.from_state(dataclasses.replace(
        state, vectors=state.vectors.copy(), syn1neg=state.syn1neg.copy(),
        syn1=state.syn1.copy())) for _ in range(2)]
    for copy in copies:
        copy.train(CORPUS, epochs=1)
    np.testing.assert_array_equal(copies[0].wv.vectors, copies[1].wv.vectors)
    assert copies[0].epochs_trained == 3 and model.epochs_trained == 2


def test_state_refuses_arrays_that_do_not_fit(model):
    state = model.state()
    with pytest.raises(ValueError, match="vectors must have shape"):
        dataclasses.replace(state, vectors=state.vectors[:-1])
    with pytest.raises(ValueError, match="syn1 is missing"):
        dataclasses.replace(state, syn1=None)
    with pytest.raises(ValueError, match="one value per epoch"):
        dataclasses.replace(state, loss_history=(1.0,))


def test_history_is_what_training_adds_to():
    history = TrainingHistory([2.0], [10], seconds=1.5)
    history.add_epoch(1.0, 20)
    history.add_progress(1.5, 1.2)
    history.add_seconds(0.5)
    assert (history.epochs, history.loss, history.examples, history.seconds) == (
        2, [2.0, 1.0], [10, 20], 2.0)
    assert history.progress == [(1.5, 1.2)]
    with pytest.raises(ValueError, match="one loss per epoch"):
        TrainingHistory([1.0], [])


def test_use_vocabulary_starts_afresh_on_a_vocabulary_counted_elsewhere(model):
    vocab = Vocabulary.build(CORPUS, min_count=1)
    fresh = Word2Vec(vector_size=8, min_count=1, workers=1).use_vocabulary(vocab)
    assert fresh.epochs_trained == 0 and fresh.wv.index_to_key == vocab.index_to_key
    with pytest.raises(ValueError, match="no corpus"):
        fresh.train()
    fresh.train(CORPUS)
    assert fresh.epochs_trained == 5
    with pytest.raises(ValueError, match="vocabulary is empty"):
        Word2Vec().use_vocabulary(Vocabulary.build(CORPUS, min_count=1000))


def test_saved_state_loads_as_the_same_state(tmp_path, model):
    from w2v.train.model_files import load_state, save_state

    save_state(model.state(), tmp_path / "m.zip")
    loaded = load_state(tmp_path / "m.zip")
    assert isinstance(loaded, ModelState)
    assert loaded.params == model.params and loaded.loss_history == tuple(model.loss_history)
    np.testing.assert_array_equal(loaded.syn1, model.syn1)


def test_a_loaded_model_asks_for_its_corpus_by_name(tmp_path, model):
    model.save(tmp_path / "m.zip")
    loaded = Word2Vec.load(tmp_path / "m.zip")
    with pytest.raises(ValueError, match=r"pass it to train\(corpus\)"):
        loaded.train()
    assert loaded.train(CORPUS, epochs=1).epochs_trained == 3
