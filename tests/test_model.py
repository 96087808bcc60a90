"""The Word2Vec model end to end: it learns planted structure, reproducibly, and says no clearly."""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from planted import cluster_purity, full_softmax_loss, planted_corpus, shuffled

import w2v
from w2v import Word2Vec

OBJECTIVES = {
    "ns": dict(negative=5),
    "hs": dict(hs=1, negative=0),
    "softmax": dict(loss="softmax"),
}
FAST = dict(vector_size=24, window=4, min_count=1, sample=0, epochs=8, workers=1, seed=3)


@pytest.fixture(scope="module")
def corpus():
    return planted_corpus()


@pytest.mark.parametrize("sg", [1, 0], ids=["sg", "cbow"])
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_learns_planted_clusters_and_loss_falls(corpus, objective, sg):
    model = Word2Vec(corpus, sg=sg, **FAST, **OBJECTIVES[objective]).train()
    assert cluster_purity(model.wv) >= 0.85
    assert len(model.loss_history) == FAST["epochs"]
    assert model.loss_history[-1] < model.loss_history[0]
    assert all(np.isfinite(model.loss_history))


@pytest.mark.parametrize("sg", [1, 0], ids=["sg", "cbow"])
def test_more_epochs_give_lower_corpus_loss(corpus, sg):
    # loss_history is the online loss, measured before each update; the loss of the
    # frozen model over the whole corpus must fall as training goes on.
    losses = [
        full_softmax_loss(Word2Vec(corpus, sg=sg, loss="softmax", **{**FAST, "epochs": e}).train(),
                          corpus)
        for e in (1, 2, 4)
    ]
    assert losses[0] > losses[1] > losses[2]
    assert losses[2] < 0.85 * np.log(36)  # well below an untrained model's log(vocabulary)


@pytest.mark.parametrize("objective", ["ns", "hs"])
def test_no_structure_is_found_where_none_is_planted(corpus, objective):
    model = Word2Vec(shuffled(corpus), sg=1, **FAST, **OBJECTIVES[objective]).train()
    assert cluster_purity(model.wv) < 0.5  # chance is 7/35 = 0.2


def test_two_threads_learn_and_count_examples_exactly(corpus):
    one = Word2Vec(corpus, sg=1, **{**FAST, "workers": 1, "sample": 1e-2}).train()
    two = Word2Vec(corpus, sg=1, **{**FAST, "workers": 2, "sample": 1e-2}).train()
    assert cluster_purity(two.wv) >= 0.85
    # random streams belong to chunks, not threads: the same examples are trained
    assert two.examples_history == one.examples_history
    np.testing.assert_allclose(two.loss_history, one.loss_history, rtol=0.05)


def test_cbow_sum_and_subsampling_learn(corpus):
    model = Word2Vec(corpus, sg=0, cbow_mean=0, **{**FAST, "sample": 1e-2, "alpha": 0.01}).train()
    assert cluster_purity(model.wv) >= 0.85


def test_train_returns_the_model_and_gensim_style_access(corpus):
    model = Word2Vec(corpus, **FAST)
    assert model.train() is model
    assert model.window == 4 and model.sg == 0 and model.vector_size == 24
    assert model.wv.vectors.dtype == np.float32
    assert model.wv.vectors.shape == (len(model.wv.index_to_key), 24)
    assert model.wv.key_to_index["the"] == model.wv.index_to_key.index("the")
    assert "c0w1" in model.wv and "zebra" not in model.wv
    assert model.wv[["c0w1", "c1w1"]].shape == (2, 24)
    with pytest.raises(KeyError, match="zebra"):
        model.wv["zebra"]
    before = model.wv["c0w1"].copy()
    model.train(epochs=2)  # continues training
    assert len(model.loss_history) == FAST["epochs"] + 2
    assert not np.array_equal(before, model.wv["c0w1"])


def test_train_builds_vocab_from_its_corpus(corpus):
    model = Word2Vec(**FAST).train(corpus)
    assert len(model.wv) == 36


def test_default_alpha_follows_the_c_tool():
    assert Word2Vec(sg=1).params.start_alpha == 0.025
    assert Word2Vec(sg=0).params.start_alpha == 0.05
    assert Word2Vec(sg=0, alpha=0.01).params.start_alpha == 0.01


SCRIPT = """
import hashlib, sys
from w2v import Word2Vec
model = Word2Vec(sys.argv[1], vector_size=16, min_count=1, workers=1, epochs=2, seed=7,
                 sample=1e-2, sg=int(sys.argv[2]), hs=1).train()
print(hashlib.sha256(model.wv.vectors.tobytes()).hexdigest(), model.wv.index_to_key[:5])
"""


@pytest.mark.parametrize("sg", [1, 0])
def test_bit_identical_across_processes_and_hash_seeds(tmp_path, corpus, sg):
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus))
    outputs = set()
    for hash_seed in ("1", "2", "random"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = subprocess.run([sys.executable, "-c", SCRIPT, str(path), str(sg)], env=env,
                                capture_output=True, text=True, check=True)
        outputs.add(result.stdout)
    assert len(outputs) == 1
    other_seed = Word2Vec(str(path), vector_size=16, min_count=1, workers=1, epochs=2, seed=8,
                          sample=1e-2, sg=sg, hs=1).train()
    digest = hashlib.sha256(other_seed.wv.vectors.tobytes()).hexdigest()
    assert digest not in outputs.pop()


@pytest.mark.parametrize(
    "name, value",
    [("vector_size", 0), ("vector_size", 2.5), ("window", 0), ("negative", -1), ("sample", -0.1),
     ("epochs", 0), ("alpha", 0.0), ("min_alpha", -1.0), ("workers", 0), ("seed", -1),
     ("sg", 2), ("hs", 3), ("cbow_mean", 2), ("ns_exponent", float("nan")),
     ("max_vocab_size", 0), ("max_final_vocab", 0), ("min_count", -1), ("loss", "hinge"),
     # past these the kernel's buffer sizes once overflowed (a crash in train())
     ("window", 65_536), ("negative", 32_767), ("vector_size", 10**7)],
)
def test_bad_parameters_name_themselves(name, value):
    with pytest.raises(ValueError, match=name):
        Word2Vec(**{name: value})


def test_objective_errors():
    with pytest.raises(ValueError, match="no training objective"):
        Word2Vec(negative=0, hs=0)
    with pytest.raises(ValueError, match="hs=0"):
        Word2Vec(loss="softmax", hs=1)
    with pytest.raises(ValueError, match="min_alpha"):
        Word2Vec(alpha=0.01, min_alpha=0.1)


def test_one_shot_iterators_are_refused(corpus):
    with pytest.raises(TypeError, match="one-shot"):
        Word2Vec(s for s in corpus)
    with pytest.raises(TypeError, match="one-shot"):
        Word2Vec(min_count=1).train(iter(corpus))


def test_strings_instead_of_token_lists_are_refused():
    with pytest.raises(TypeError, match="split"):
        Word2Vec(["the cat sat", "the dog ran"], min_count=1)


def test_never_trains_on_nothing(corpus):
    with pytest.raises(ValueError, match="min_count=5"):
        Word2Vec([["rare", "words"]] * 2)
    with pytest.raises(ValueError, match="no corpus"):
        Word2Vec().train()
    model = Word2Vec(corpus, **FAST)
    with pytest.raises(ValueError, match="nothing to train on"):
        model.train([["unknown", "tokens"]])
    with pytest.raises(ValueError, match="epochs"):
        model.train(epochs=0)


def test_reads_paths_and_compressed_files(tmp_path, corpus):
    import gzip

    text = "\n".join(" ".join(s) for s in corpus)
    (tmp_path / "c.txt.gz").write_bytes(gzip.compress(text.encode()))
    model = Word2Vec(tmp_path / "c.txt.gz", **FAST).train()
    assert model.vocab.corpus_words == sum(map(len, corpus))
    assert cluster_purity(model.wv) >= 0.85


def test_a_path_corpus_is_read_once_for_the_vocabulary_and_the_first_training(
        tmp_path, corpus, monkeypatch):
    """The vocabulary's scan keeps the encoding; train() uses it once, with the bits of a
    second scan; a changed file or a second train() scans again."""
    import w2v.model as model_module

    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n", encoding="utf-8")
    settings = dict(FAST, workers=1)
    copy = shutil.copy(path, tmp_path / "copy.txt")
    rescanned = Word2Vec(**settings).build_vocab(path).train(copy)  # another file: scanned
    scans = []
    encode = model_module.encode_corpus
    monkeypatch.setattr(model_module, "encode_corpus",
                        lambda *args, **kwargs: scans.append(1) or encode(*args, **kwargs))
    model = Word2Vec(**settings).build_vocab(path)
    model.train()
    assert scans == [] and np.array_equal(model.wv.vectors, rescanned.wv.vectors)
    model.train()  # given once: the second call reads the file
    assert scans == [1]
    Word2Vec(**settings).build_vocab(str(path)).train(str(path))  # the same file, by name
    assert scans == [1]
    model = Word2Vec(**settings).build_vocab(path)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("w0 w1 w2\n")  # changed after the vocabulary's scan
    with pytest.warns(RuntimeWarning, match="the corpus changed between passes"):
        model.train()
    assert scans == [1, 1]


def test_import_without_compiled_core_fails_clearly(tmp_path):
    package = Path(w2v.__file__).parent
    copy = tmp_path / "w2v"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("_core*.so", "_core*.pyd"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "import w2v"], env=env, cwd=tmp_path,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "compiled core" in result.stderr and "no pure-Python fallback" in result.stderr


@pytest.mark.parametrize("as_path", [True, False], ids=["path", "list"])
def test_corpus_larger_than_the_spill_bound_streams_from_disk(tmp_path, corpus, monkeypatch,
                                                               as_path):
    from w2v.data import encoding

    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(s) for s in corpus) + "\n", encoding="utf-8")
    source = str(path) if as_path else corpus
    in_memory = Word2Vec(source, **FAST).train(epochs=2)
    keys = in_memory.vocab.key_to_index
    whole = encoding.encode_corpus(w2v.as_corpus(source), keys)
    monkeypatch.setattr(encoding, "SPILL_WORDS", 1000)  # several spills, mid-sentence too
    spilled = encoding.encode_corpus(w2v.as_corpus(source), keys)
    assert isinstance(spilled.ids, np.memmap)
    assert np.array_equal(spilled.ids, whole.ids)
    assert np.array_equal(spilled.offsets, whole.offsets)
    assert spilled.corpus_words == whole.corpus_words
    streamed = Word2Vec(source, **FAST).train(epochs=2)
    assert np.array_equal(streamed.wv.vectors, in_memory.wv.vectors)


@pytest.mark.parametrize("sg", [0, 1])
def test_diverged_training_is_an_error_not_nan_vectors_or_a_crash(sg):
    rng = np.random.default_rng(0)
    corpus = [[f"w{i}" for i in rng.integers(0, 50, 12)] for _ in range(300)]
    model = Word2Vec(corpus, vector_size=16, min_count=1, workers=2, sg=sg, alpha=1000.0,
                     epochs=3, progress=False)
    with pytest.raises(ValueError, match=r"diverged in epoch 1.*lower alpha \(it was 1000\)"):
        model.train()
    assert model.epochs_trained == 1  # stopped at the first epoch's check


def test_a_window_and_size_whose_buffers_would_overflow_are_refused():
    with pytest.raises(ValueError, match="too large to train"):
        Word2Vec(window=5000, vector_size=300_000)
    Word2Vec(window=5000, vector_size=200_000)  # 2 * 5000 * 200,000 < 2**31: fine


def test_weights_misaligned_in_memory_are_refused_for_training():
    model = Word2Vec([["a", "b", "c"]] * 20, min_count=1, vector_size=4, workers=1)
    raw = np.zeros(model.syn1neg.nbytes + 1, dtype=np.uint8)
    misaligned = raw[1:].view(np.float32).reshape(model.syn1neg.shape)
    assert not misaligned.flags.aligned
    model.syn1neg = misaligned
    with pytest.raises(ValueError, match="syn1neg are not aligned"):
        model.train()
