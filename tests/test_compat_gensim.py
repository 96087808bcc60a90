"""w2v.compat.gensim: a gensim script runs with only its import changed; and the main
API's guards against the gensim trap (untrained vectors, gensim's train() keywords)."""

from __future__ import annotations

import logging
import pickle
import random
import warnings

import numpy as np
import pytest

import w2v
from w2v.compat.gensim import (
    RULE_DEFAULT,
    RULE_DISCARD,
    CallbackAny2Vec,
    KeyedVectors,
    LineSentence,
    PathLineSentences,
    Text8Corpus,
    Word2Vec,
)

ANIMALS = ["cat", "dog", "horse", "cow", "sheep", "goat"]
VEHICLES = ["car", "bus", "truck", "train", "bike", "tram"]


def topic_corpus(sentences: int = 600, seed: int = 0) -> list[list[str]]:
    """Two planted topics: each sentence mixes words of one topic with filler words."""
    rng = random.Random(seed)
    filler = ["the", "a", "and", "of"]
    corpus = []
    for _ in range(sentences):
        topic = ANIMALS if rng.random() < 0.5 else VEHICLES
        corpus.append([rng.choice(topic) if rng.random() < 0.75 else rng.choice(filler)
                       for _ in range(10)])
    return corpus


def gensim_tutorial(Word2Vec, corpus, path):  # noqa: N803 - the class, as a script names it
    """A script written the way gensim's documentation teaches (our own words)."""
    model = Word2Vec(sentences=corpus, vector_size=32, window=5, min_count=1, workers=1,
                     epochs=10, seed=7)
    model.save(str(path))
    model = Word2Vec.load(str(path))
    model.train([["cat", "dog"]], total_examples=1, epochs=1)
    vector = model.wv["cat"]
    sims = model.wv.most_similar("cat", topn=5)
    return vector, sims, model


@pytest.fixture(scope="module")
def corpus():
    return topic_corpus()


def topic_of(word):
    return "animal" if word in ANIMALS else "vehicle" if word in VEHICLES else "filler"


def test_a_gensim_script_runs_with_only_the_import_changed(corpus, tmp_path):
    vector, sims, model = gensim_tutorial(Word2Vec, corpus, tmp_path / "tutorial.model")
    assert vector.shape == (32,)
    neighbours = [w for w, _ in sims if topic_of(w) != "filler"]
    assert neighbours and all(topic_of(w) == "animal" for w in neighbours[:4]), sims
    bus = [w for w, _ in model.wv.most_similar("bus", topn=5) if topic_of(w) != "filler"]
    assert bus and all(topic_of(w) == "vehicle" for w in bus[:4])
    assert model.wv.similarity("cat", "dog") > model.wv.similarity("cat", "car")


def test_the_constructor_trains(corpus):
    model = Word2Vec(corpus, vector_size=16, min_count=1, workers=1, epochs=3)
    assert model.model.epochs_trained == 3
    assert model.corpus_count == len(corpus)
    assert model.corpus_total_words == sum(len(s) for s in corpus)
    untrained = Word2Vec(vector_size=16, min_count=1, workers=1)
    untrained.build_vocab(corpus)
    assert untrained.model.epochs_trained == 0


def test_train_needs_gensims_keywords(corpus):
    model = Word2Vec(vector_size=8, min_count=1, workers=1)
    model.build_vocab(corpus)
    with pytest.raises(ValueError, match="epochs"):
        model.train(corpus, total_examples=model.corpus_count)
    with pytest.raises(ValueError, match="total_examples or total_words"):
        model.train(corpus, epochs=1)
    model.train(corpus, total_words=model.corpus_total_words, epochs=2)
    assert model.model.epochs_trained == 2


def test_learning_rate_of_a_call_comes_from_start_and_end_alpha(corpus):
    model = Word2Vec(vector_size=8, min_count=1, workers=1)
    model.build_vocab(corpus)
    model.train(corpus, total_examples=model.corpus_count, epochs=1, start_alpha=0.01,
                end_alpha=0.005)
    assert (model.model.alpha, model.model.min_alpha) == (0.01, 0.005)


def test_save_and_load_round_trip_in_w2vs_format(corpus, tmp_path):
    model = Word2Vec(corpus, vector_size=8, min_count=1, workers=1, epochs=1)
    model.save(str(tmp_path / "m.zip"))
    loaded = Word2Vec.load(str(tmp_path / "m.zip"))
    assert loaded.wv.index_to_key == model.wv.index_to_key
    assert np.array_equal(loaded.wv.vectors, model.wv.vectors)
    assert np.array_equal(loaded.syn1neg, model.syn1neg)
    assert w2v.Word2Vec.load(tmp_path / "m.zip").wv.index_to_key == model.wv.index_to_key
    model.wv.save(str(tmp_path / "kv.zip"))
    assert np.array_equal(KeyedVectors.load(str(tmp_path / "kv.zip")).vectors, model.wv.vectors)


def test_a_gensim_pickle_is_refused_with_how_to_convert(tmp_path):
    path = tmp_path / "gensim.model"
    path.write_bytes(pickle.dumps({"__class__": "Word2Vec", "vectors": [1, 2]}, protocol=4))
    for load in (Word2Vec.load, KeyedVectors.load):
        with pytest.raises(ValueError, match="pickle") as caught:
            load(str(path))
        assert "save_word2vec_format" in str(caught.value)


def test_callbacks_fire_with_gensims_hook_names(corpus):
    calls = []

    class Recorder(CallbackAny2Vec):
        def on_train_begin(self, model):
            calls.append(("train_begin", model))

        def on_epoch_begin(self, model):
            calls.append(("epoch_begin", model))

        def on_epoch_end(self, model):
            calls.append(("epoch_end", model))

        def on_train_end(self, model):
            calls.append(("train_end", model))

    model = Word2Vec(corpus, vector_size=8, min_count=1, workers=1, epochs=2,
                     callbacks=[Recorder()])
    names = [name for name, _ in calls]
    assert names == ["train_begin", "epoch_begin", "epoch_end", "epoch_begin", "epoch_end",
                     "train_end"]
    assert all(seen is model for _, seen in calls)  # the compat model, as gensim passes it


def test_trim_rule_discards_and_keeps(corpus):
    def rule(word, count, min_count):
        return RULE_DISCARD if word == "cat" else RULE_DEFAULT

    model = Word2Vec(corpus, vector_size=8, min_count=1, workers=1, epochs=1, trim_rule=rule)
    assert "cat" not in model.wv and "dog" in model.wv


def test_keyedvectors_with_gensims_names(tmp_path):
    kv = KeyedVectors(3)
    kv.add_vectors(["a", "b"], [[1, 0, 0], [0, 1, 0]])
    kv["c"] = [1, 1, 0]
    assert kv.index_to_key == ["a", "b", "c"] and kv.has_index_for("c")
    assert kv.most_similar_to_given("c", ["a", "b"]) in ("a", "b")
    assert kv.rank("a", "a") == 1
    kv.set_vecattr("a", "count", 9)
    assert kv.get_vecattr("a", "count") == 9
    kv.save_word2vec_format(str(tmp_path / "v.txt"), binary=False)
    back = KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    assert back.index_to_key == kv.index_to_key and np.array_equal(back.vectors, kv.vectors)
    with pytest.raises(ZeroDivisionError):
        kv.n_similarity([], ["a"])


def test_readers_yield_gensims_sentences(tmp_path):
    (tmp_path / "lines.txt").write_text("a b c\nd e\n", encoding="utf-8")
    assert list(LineSentence(str(tmp_path / "lines.txt"), max_sentence_length=2)) == \
        [["a", "b"], ["c"], ["d", "e"]]
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "2.txt").write_text("y\n", encoding="utf-8")
    (tmp_path / "dir" / "1.txt").write_text("x\n", encoding="utf-8")
    assert list(PathLineSentences(str(tmp_path / "dir"))) == [["x"], ["y"]]
    (tmp_path / "text8").write_text(" ".join(str(i) for i in range(25)), encoding="utf-8")
    assert [len(s) for s in Text8Corpus(str(tmp_path / "text8"), 10)] == [10, 10, 5]


def test_frozen_rows_do_not_train(corpus):
    model = Word2Vec(vector_size=8, min_count=1, workers=1)
    model.build_vocab(corpus)
    model.wv.vectors_lockf = np.ones(len(model.wv), dtype=np.float32)
    model.wv.vectors_lockf[0] = 0.0
    first, second = model.wv.vectors[0].copy(), model.wv.vectors[1].copy()
    model.train(corpus, total_examples=model.corpus_count, epochs=1)
    assert np.array_equal(model.wv.vectors[0], first)
    assert not np.array_equal(model.wv.vectors[1], second)


# ------------------------------------------------ the main API guards the trap too
def test_querying_an_untrained_model_warns_once(corpus):
    model = w2v.Word2Vec(corpus, vector_size=8, min_count=1, workers=1)
    with pytest.warns(UserWarning, match=r"never trained.*train\(\)"):
        model.wv.most_similar("cat")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.wv.most_similar("cat")  # once only
        model.train()
        trained = w2v.Word2Vec(corpus, vector_size=8, min_count=1, workers=1).train()
        trained.wv.most_similar("cat")  # trained: no warning


def test_train_accepts_gensims_keywords_that_agree(corpus):
    model = w2v.Word2Vec(corpus, vector_size=8, min_count=1, workers=1)
    tokens = sum(len(s) for s in corpus)
    model.train(total_examples=len(corpus), total_words=tokens, epochs=1)
    assert model.epochs_trained == 1
    with pytest.raises(ValueError, match="total_words"):
        model.train(total_words=tokens + 1, epochs=1)
    with pytest.raises(ValueError, match="total_examples"):
        model.train(total_examples=len(corpus) - 1, epochs=1)
    assert model.epochs_trained == 1  # refused before training


def test_compat_logs_gensims_warning_for_hs_and_negative(corpus, caplog):
    with caplog.at_level(logging.WARNING, logger="w2v.compat.gensim"):
        Word2Vec(corpus[:50], vector_size=8, min_count=1, workers=1, hs=1, negative=5, epochs=1)
    assert "Both hierarchical softmax and negative sampling" in caplog.text


def test_set_params_changes_training_but_not_the_weights_layout(corpus):
    model = w2v.Word2Vec(corpus, vector_size=8, min_count=1, workers=1)
    model.set_params(alpha=0.01, window=2)
    assert (model.alpha, model.window) == (0.01, 2)
    with pytest.raises(ValueError, match="vector_size"):
        model.set_params(vector_size=16)
    with pytest.raises(TypeError, match="unknown"):
        model.set_params(windows=3)
    with pytest.raises(ValueError, match="min_alpha"):
        model.set_params(min_alpha=0.5)  # checked as the constructor checks it


def test_use_vocabulary_update_keeps_trained_rows(corpus):
    model = w2v.Word2Vec(corpus, vector_size=8, min_count=1, workers=1).train(epochs=1)
    cat = model.wv["cat"].copy()
    model.use_vocabulary(model.vocab.merged({"zebra": 1000}, 1000), update=True)
    assert model.wv.index_to_key[0] == "zebra" and np.array_equal(model.wv["cat"], cat)
    with pytest.raises(ValueError, match="drops"):
        model.use_vocabulary(w2v.Vocabulary({"zebra": 5}, 1), update=True)
