"""The compiled kernel against the independent numpy reference, and its input checks."""

import numpy as np
import pytest
from w2v_reference import ReferenceNet, log_sigmoid, sigmoid

from w2v import _core
from w2v.train.huffman import build_huffman
from w2v.train.noise import AliasTable

VOCAB = 12
DIM = 45  # 32 + 8 + 5: exercises most loops of the vector kernels, tails included

OBJECTIVES = {
    "ns": dict(negative=3, hs=0, softmax=0),
    "hs": dict(negative=0, hs=1, softmax=0),
    "softmax": dict(negative=0, hs=0, softmax=1),
    "hs+ns": dict(negative=2, hs=1, softmax=0),
}
ARCHS = {
    "sg": dict(sg=1, cbow_mean=1),
    "sg-batch": dict(sg=1, cbow_mean=1, batch=True),
    "cbow-mean": dict(sg=0, cbow_mean=1),
    "cbow-sum": dict(sg=0, cbow_mean=0),
    "cbow-batch": dict(sg=0, cbow_mean=1, batch=True),
}


def make_setup(objective, arch, subsample=True, seed=0, dim=DIM):
    rng = np.random.default_rng(seed)
    counts = np.sort(rng.integers(1, 50, VOCAB))[::-1]
    tree = build_huffman(counts)
    noise = AliasTable.from_probabilities(counts**0.75 / (counts**0.75).sum())
    keep = np.where(np.arange(VOCAB) < 4, 0.5, 1.0)  # the frequent words are subsampled
    arrays = dict(
        vectors=rng.normal(0, 0.3, (VOCAB, dim)).astype(np.float32),
        out_words=rng.normal(0, 0.3, (VOCAB, dim)).astype(np.float32),
        out_nodes=rng.normal(0, 0.3, (VOCAB - 1, dim)).astype(np.float32),
        keep_prob=keep, alias_prob=noise.prob, alias_index=noise.alias,
        codes=tree.codes, points=tree.points, code_offsets=tree.offsets,
    )
    options = dict(window=3, subsample=int(subsample), **OBJECTIVES[objective], **ARCHS[arch])
    sentences = [rng.integers(0, VOCAB, n) for n in (7, 1, 5, 9, 2)]
    ids = np.concatenate(sentences).astype(np.int32)
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sentences]))).astype(np.int64)
    return arrays, options, ids, offsets


@pytest.fixture(params=["avx512", "avx2", "portable"])
def simd(request):
    """Run a test with each vector path (the SIMD ones only where the CPU has them)."""
    before = _core.simd_path()
    if _core.set_simd(request.param) != request.param:
        pytest.skip(f"this CPU has no {request.param}")
    yield request.param
    _core.set_simd(before)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_kernel_matches_reference(objective, arch, simd):
    arrays, options, ids, offsets = make_setup(objective, arch)
    reference = ReferenceNet(**arrays, **options)
    kernel = _core.Kernel(**arrays, **options, exact=True)
    progress = np.array([0, 40], dtype=np.int64)  # another thread has done 40 words
    total = 200
    loss, examples = kernel.train_chunk(ids, offsets, 0, len(offsets) - 1, 12345, progress, 0,
                                        total, 0.2, 0.01)
    ref_loss, ref_examples = reference.train_chunk(ids, offsets, 0, len(offsets) - 1, 12345,
                                                   40, total, 0.2, 0.01)
    assert examples == ref_examples > 0
    assert loss == pytest.approx(ref_loss, rel=1e-4)
    np.testing.assert_allclose(arrays["vectors"], reference.input, atol=2e-5)
    if options["negative"] or options["softmax"]:
        np.testing.assert_allclose(arrays["out_words"], reference.out_words, atol=2e-5)
    if options["hs"]:
        np.testing.assert_allclose(arrays["out_nodes"], reference.out_nodes, atol=2e-5)
    assert progress.tolist() == [len(ids), 40]
    # and the update really moved the weights
    assert not np.allclose(arrays["vectors"], make_setup(objective, arch)[0]["vectors"])


# below one vector of any path; exactly one AVX-512 vector; the benchmark's 100 (64 + 32
# + 4: every loop of the AVX-512 dot, a masked tail, a scalar AVX2 tail); 128 + 3
@pytest.mark.parametrize("dim", [7, 16, 100, 131])
@pytest.mark.parametrize(("objective", "arch"), [("ns", "sg-batch"), ("ns", "sg"),
                                                 ("hs+ns", "cbow-mean")])
def test_kernel_matches_reference_at_every_row_length(objective, arch, dim, simd):
    arrays, options, ids, offsets = make_setup(objective, arch, dim=dim)
    start = {name: array.copy() for name, array in arrays.items()}
    reference = ReferenceNet(**arrays, **options)
    kernel = _core.Kernel(**arrays, **options, exact=True)
    progress = np.array([0, 0], dtype=np.int64)
    loss, examples = kernel.train_chunk(ids, offsets, 0, len(offsets) - 1, 99, progress, 0,
                                        200, 0.2, 0.01)
    ref_loss, ref_examples = reference.train_chunk(ids, offsets, 0, len(offsets) - 1, 99,
                                                   0, 200, 0.2, 0.01)
    assert examples == ref_examples > 0
    assert loss == pytest.approx(ref_loss, rel=1e-4)
    for name, ours, theirs in [("vectors", arrays["vectors"], reference.input),
                               ("out_words", arrays["out_words"], reference.out_words),
                               ("out_nodes", arrays["out_nodes"], reference.out_nodes)]:
        np.testing.assert_allclose(ours, theirs, atol=2e-5, err_msg=name)
    # every element of a row is trained, the last (a vector tail) as much as the first
    moved = np.abs(arrays["vectors"] - start["vectors"]).max(axis=0)
    assert (moved > 0).all()


def deep_setup(objective, arch, seed=0):
    """Fibonacci counts (a Huffman tree of depth VOCAB - 1, so the rarest words' paths are
    longer than one block of output rows), one word far more frequent than the rest (noise
    words drawn twice in a window, and the target drawn as noise), and sentences longer
    than two blocks of the batched step's draws (its ring buffer wraps and refills)."""
    vocab, dim = 40, DIM
    rng = np.random.default_rng(seed)
    fib = [1, 1]
    while len(fib) < vocab:
        fib.append(fib[-1] + fib[-2])
    counts = np.array(fib[::-1], dtype=np.int64)
    tree = build_huffman(counts)
    noise = AliasTable.from_probabilities(counts**0.75 / (counts**0.75).sum())
    arrays = dict(
        vectors=rng.normal(0, 0.3, (vocab, dim)).astype(np.float32),
        out_words=rng.normal(0, 0.3, (vocab, dim)).astype(np.float32),
        out_nodes=rng.normal(0, 0.3, (vocab - 1, dim)).astype(np.float32),
        keep_prob=np.ones(vocab), alias_prob=noise.prob, alias_index=noise.alias,
        codes=tree.codes, points=tree.points, code_offsets=tree.offsets,
    )
    options = dict(window=4, subsample=0, **OBJECTIVES[objective], **ARCHS[arch])
    options["negative"] = 6 if options["negative"] else 0
    sentences = [rng.integers(0, vocab, n) for n in (150, 1, 65, 64, 33, 2)]
    ids = np.concatenate(sentences).astype(np.int32)
    offsets = np.concatenate(([0], np.cumsum([len(s) for s in sentences]))).astype(np.int64)
    return arrays, options, ids, offsets, tree


@pytest.mark.parametrize(("objective", "arch"), [("ns", "sg-batch"), ("ns", "cbow-mean"),
                                                 ("hs+ns", "sg"), ("hs", "cbow-sum"),
                                                 ("ns", "cbow-batch"), ("hs+ns", "cbow-batch")])
def test_kernel_matches_reference_on_long_sentences_and_deep_trees(objective, arch, simd):
    arrays, options, ids, offsets, tree = deep_setup(objective, arch)
    if options["hs"]:  # paths longer than a block of rows really occur
        assert np.diff(tree.offsets).max() > 32 and set(ids.tolist()) & {38, 39}
    reference = ReferenceNet(**arrays, **options)
    kernel = _core.Kernel(**arrays, **options, exact=True)
    progress = np.zeros(1, dtype=np.int64)
    loss, examples = kernel.train_chunk(ids, offsets, 0, len(offsets) - 1, 7, progress, 0,
                                        len(ids), 0.1, 0.001)
    ref_loss, ref_examples = reference.train_chunk(ids, offsets, 0, len(offsets) - 1, 7, 0,
                                                   len(ids), 0.1, 0.001)
    assert examples == ref_examples > 300
    assert loss == pytest.approx(ref_loss, rel=1e-4)
    np.testing.assert_allclose(arrays["vectors"], reference.input, atol=5e-5)
    np.testing.assert_allclose(arrays["out_words"], reference.out_words, atol=5e-5)
    np.testing.assert_allclose(arrays["out_nodes"], reference.out_nodes, atol=5e-5)


def one_sentence(length):
    """``ids, offsets`` of one sentence of ``length`` words that repeat every 40."""
    ids = (np.arange(length) * 7 % 40).astype(np.int32)
    return ids, np.array([0, length], dtype=np.int64)


def test_batched_cbow_shares_noise_words_only_between_positions_eight_apart(simd):
    """Batched CBOW draws the noise words of a sentence's first ``NOISE_GAP`` positions
    as the per-example update does, so a sentence that short trains the same bits either
    way; in a longer one the later positions reuse them and the weights part."""
    from w2v_reference import NOISE_GAP

    trained = {}
    for length in (NOISE_GAP, 3 * NOISE_GAP):
        for batch in (False, True):
            arrays, options, _, _, _ = deep_setup("ns", "cbow-mean")
            kernel = _core.Kernel(**arrays, **options, batch=batch, exact=True)
            assert kernel.batch == batch
            kernel.train_chunk(*one_sentence(length), 0, 1, 21, np.zeros(1, np.int64), 0,
                               length, 0.1, 0.1)
            trained[length, batch] = arrays["out_words"].copy()
    np.testing.assert_array_equal(trained[NOISE_GAP, False], trained[NOISE_GAP, True])
    assert not np.allclose(trained[3 * NOISE_GAP, False], trained[3 * NOISE_GAP, True])
    arrays, options, _, _, _ = deep_setup("hs", "cbow-mean")  # no noise words to share
    assert not _core.Kernel(**arrays, **options, batch=True).batch


def test_batched_skipgram_shares_noise_words_between_windows_eight_apart(simd, monkeypatch):
    """Batched skip-gram's windows share noise words in groups, as batched CBOW's
    positions do: a sentence of ``NOISE_GAP`` positions trains as if each window drew its
    own (the reference with groups of one), a longer one only as with the groups."""
    import w2v_reference
    from w2v_reference import NOISE_GAP

    def kernel(length):
        arrays, options, _, _, _ = deep_setup("ns", "sg-batch")
        _core.Kernel(**arrays, **options, exact=True).train_chunk(
            *one_sentence(length), 0, 1, 21, np.zeros(1, np.int64), 0, length, 0.1, 0.1)
        return arrays["out_words"]

    def reference(length):
        arrays, options, _, _, _ = deep_setup("ns", "sg-batch")
        net = ReferenceNet(**arrays, **options)
        net.train_chunk(*one_sentence(length), 0, 1, 21, 0, length, 0.1, 0.1)
        return net.out_words

    for length in (NOISE_GAP, 3 * NOISE_GAP):
        trained = kernel(length)
        grouped = reference(length)
        with monkeypatch.context() as m:
            m.setattr(w2v_reference, "NOISE_GROUP", 1)  # every window draws its own
            alone = reference(length)
        np.testing.assert_allclose(trained, grouped, atol=1e-5)
        if length == NOISE_GAP:
            np.testing.assert_allclose(trained, alone, atol=1e-5)
        else:
            assert not np.allclose(trained, alone, atol=1e-3)


@pytest.mark.parametrize("sync_examples", [4, 10**6])
@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_private_hot_rows_change_nothing_for_one_thread(objective, arch, sync_examples, simd):
    """A thread's copies of the busiest rows, merged every few examples, at a chunk
    boundary and at the flush, train like the shared rows."""
    arrays, options, ids, offsets = make_setup(objective, arch)
    before = {name: arrays[name].copy() for name in ("vectors", "out_words", "out_nodes")}
    reference = ReferenceNet(**arrays, **options)
    kernel = _core.Kernel(**arrays, **options, hot_rows=5, exact=True)
    copies = kernel.thread_copies(sync_examples)
    half = 3  # two calls: the copies stay loaded across them
    for lo, hi, seed, done in ((0, half, 11, 0), (half, len(offsets) - 1, 12, None)):
        done = offsets[half] if done is None else done
        kernel.train_chunk(ids, offsets, lo, hi, seed, np.array([done], np.int64), 0, 200,
                           0.2, 0.01, copies)
        reference.train_chunk(ids, offsets, lo, hi, seed, done, 200, 0.2, 0.01)
    if sync_examples > 10**5:  # never merged yet: the copied rows are untouched ...
        np.testing.assert_array_equal(arrays["vectors"][:5], before["vectors"][:5])
    # ... while the rows nobody copied are already the reference's
    np.testing.assert_allclose(arrays["vectors"][5:], reference.input[5:], atol=2e-5)
    kernel.flush(copies)
    np.testing.assert_allclose(arrays["vectors"], reference.input, atol=2e-5)
    if options["negative"] or options["softmax"]:
        np.testing.assert_allclose(arrays["out_words"], reference.out_words, atol=2e-5)
    if options["hs"]:
        np.testing.assert_allclose(arrays["out_nodes"], reference.out_nodes, atol=2e-5)
    assert not np.allclose(arrays["vectors"], before["vectors"])
    kernel.flush(copies)  # nothing left to add: flushing again changes nothing
    np.testing.assert_allclose(arrays["vectors"], reference.input, atol=2e-5)


def test_copies_merge_every_thread_s_changes():
    """Two threads' copies merged in turn: each one's changes reach the shared rows once."""
    arrays, options, ids, offsets = make_setup("ns", "cbow-mean", subsample=False)
    kernel = _core.Kernel(**arrays, **options, hot_rows=VOCAB, exact=True)
    first, second = kernel.thread_copies(100), kernel.thread_copies(100)
    start = arrays["vectors"].copy()
    progress = np.zeros(2, np.int64)
    # both load the same starting rows, then train different sentences privately
    kernel.train_chunk(ids, offsets, 0, 1, 3, progress, 0, 200, 0.2, 0.2, first)
    kernel.train_chunk(ids, offsets, 2, 3, 4, progress, 1, 200, 0.2, 0.2, second)
    np.testing.assert_array_equal(arrays["vectors"], start)  # nothing merged yet
    alone = {}
    for name, chunk in (("first", (0, 1, 3)), ("second", (2, 3, 4))):
        solo, _, _, _ = make_setup("ns", "cbow-mean", subsample=False)
        solo_kernel = _core.Kernel(**solo, **options, exact=True)
        solo_kernel.train_chunk(ids, offsets, *chunk, np.zeros(1, np.int64), 0, 200, 0.2, 0.2)
        alone[name] = solo["vectors"] - start
    kernel.flush(first)
    kernel.flush(second)
    np.testing.assert_allclose(arrays["vectors"], start + alone["first"] + alone["second"],
                               atol=1e-5)


def test_copies_belong_to_their_kernel():
    arrays, options, ids, offsets = make_setup("ns", "sg")
    kernel = _core.Kernel(**arrays, **options, hot_rows=3)
    other = _core.Kernel(**arrays, **options, hot_rows=3)
    assert _core.Kernel(**arrays, **options).thread_copies(10) is None  # hot_rows=0: none
    with pytest.raises(ValueError, match="another kernel"):
        kernel.train_chunk(ids, offsets, 0, 1, 1, np.zeros(1, np.int64), 0, 10, 0.1, 0.1,
                           other.thread_copies(10))
    with pytest.raises(ValueError, match="another kernel"):
        kernel.flush(other.thread_copies(10))
    with pytest.raises(ValueError, match="sync_examples"):
        kernel.thread_copies(0)


@pytest.mark.parametrize("arch", ["sg", "cbow-mean"])
def test_saturated_huffman_nodes_are_not_updated(arch, simd):
    """A Huffman node scored beyond +-6 keeps its weights and gives the input no error (the
    C tool's and gensim's rule); the clipped sigmoid alone would move a node that is
    confidently wrong by a full step of alpha."""
    arrays, options, ids, offsets = make_setup("hs", arch, subsample=False)
    root = VOCAB - 2  # the last inner node: on every word's path
    arrays["vectors"][:] = np.abs(arrays["vectors"]) + 0.2  # all in one orthant ...
    arrays["out_nodes"][root] = 2.0  # ... so every score at the root is far beyond +6
    assert (arrays["vectors"] @ arrays["out_nodes"][root]).min() > 12
    wrong = [w for w in range(VOCAB)  # words whose code at the root asks for sigmoid 0
             if arrays["codes"][arrays["code_offsets"][w + 1] - 1] == 1]
    assert wrong and set(wrong) & set(ids.tolist())  # the skipped updates would be real ones
    root_before = arrays["out_nodes"][root].copy()
    others_before = arrays["out_nodes"][:root].copy()
    reference = ReferenceNet(**arrays, **options)
    kernel = _core.Kernel(**arrays, **options, exact=True)
    loss, _ = kernel.train_chunk(ids, offsets, 0, len(offsets) - 1, 5, np.zeros(1, np.int64),
                                 0, 200, 0.2, 0.01)
    ref_loss, _ = reference.train_chunk(ids, offsets, 0, len(offsets) - 1, 5, 0, 200, 0.2,
                                        0.01)
    np.testing.assert_array_equal(arrays["out_nodes"][root], root_before)
    assert not np.allclose(arrays["out_nodes"][:root], others_before)  # the rest trained
    np.testing.assert_allclose(arrays["out_nodes"], reference.out_nodes, atol=2e-5)
    np.testing.assert_allclose(arrays["vectors"], reference.input, atol=2e-5)
    assert loss == pytest.approx(ref_loss, rel=1e-4) and loss > 12  # the loss still counts


def test_noise_draws_toss_the_alias_coin_exactly_as_the_reference():
    """The kernel packs each column's coin as an integer threshold, ceil(prob * 2**32):
    the same word as ``uniform_low(r) < prob`` for every r, at the exact boundaries too."""
    from w2v_reference import below, uniform_low

    vocab = 9
    prob = np.array([0.0, 0.5, 0.25, 1.0, 0.75, 1 / 3, 2.0**-32, 1 - 2.0**-32, 0.6])
    alias = np.array([3, 3, 0, 3, 8, 2, 5, 1, 3], dtype=np.int32)
    arrays, options, _, _ = make_setup("ns", "sg")
    arrays.update(vectors=arrays["vectors"][:vocab].copy(),
                  out_words=arrays["out_words"][:vocab].copy(), out_nodes=None,
                  keep_prob=np.ones(vocab), alias_prob=prob, alias_index=alias)
    kernel = _core.Kernel(**arrays, **options)
    rng = np.random.default_rng(3)
    draws = [int(x) for x in rng.integers(0, 2**64, 4000, dtype=np.uint64)]
    for column in range(vocab):  # r whose low half sits at, below and above the threshold
        high = ((column << 32) + vocab - 1) // vocab  # below(r, vocab) == column
        assert below(high << 32, vocab) == column
        edge = int(np.ceil(prob[column] * 2.0**32))
        draws += [(high << 32) | low for low in (edge - 1, edge, edge + 1, 0, 2**32 - 1)
                  if 0 <= low < 2**32]
    picked = [_core.alias_pick(kernel, r) for r in draws]
    expected = [c if uniform_low(r) < prob[c] else int(alias[c])
                for r, c in ((r, below(r, vocab)) for r in draws)]
    assert picked == expected
    for column in range(vocab):  # both sides of every coin were tossed
        outcomes = {p for r, p in zip(draws, picked, strict=True) if below(r, vocab) == column}
        sides = {column, int(alias[column])}
        if prob[column] == 0:
            sides = {int(alias[column])}
        elif prob[column] == 1:
            sides = {column}
        assert outcomes == sides


def test_table_kernel_is_close_to_exact():
    exact_arrays, options, ids, offsets = make_setup("hs+ns", "sg")
    table_arrays, _, _, _ = make_setup("hs+ns", "sg")
    for arrays, exact in ((exact_arrays, True), (table_arrays, False)):
        kernel = _core.Kernel(**arrays, **options, exact=exact)
        kernel.train_chunk(ids, offsets, 0, len(offsets) - 1, 7, np.zeros(1, np.int64), 0, 100,
                           0.05, 0.05)
    np.testing.assert_allclose(table_arrays["vectors"], exact_arrays["vectors"], atol=2e-3)


def test_sigmoid_table_accuracy_and_clipping():
    x = np.linspace(-8, 8, 2001)
    table = _core.sigmoid_lookup(x)
    exact = np.array([sigmoid(v) for v in x])
    half_bin = 6.0 / 1000  # 1000 bins on [-6, 6], tabulated at their centres
    assert np.abs(table - exact).max() <= 0.25 * half_bin + 1e-6  # sigmoid' <= 1/4
    assert (table[x >= 6] == 1.0).all() and (table[x <= -6] == 0.0).all()
    log_table = _core.log_sigmoid_lookup(x)
    log_exact = np.array([log_sigmoid(v) for v in x])
    assert np.abs(log_table - log_exact).max() <= half_bin + 1e-6  # log-sigmoid' <= 1
    np.testing.assert_allclose(_core.log_sigmoid_lookup(np.array([-20.0])), [-20.0])


def test_learning_rate_decays_with_global_progress():
    # Same chunk, but other threads have already done most of the run: smaller steps.
    moves = []
    for done in (0, 900):
        arrays, options, ids, offsets = make_setup("ns", "sg", subsample=False)
        before = arrays["vectors"].copy()
        kernel = _core.Kernel(**arrays, **options, exact=True)
        kernel.train_chunk(ids, offsets, 0, 1, 3, np.array([0, done], np.int64), 0, 1000,
                           0.1, 0.0)
        moves.append(np.abs(arrays["vectors"] - before).sum())
    assert moves[1] < 0.3 * moves[0]


def test_chunk_validation_names_the_problem():
    arrays, options, ids, offsets = make_setup("ns", "sg")
    kernel = _core.Kernel(**arrays, **options)
    progress = np.zeros(1, np.int64)
    bad_ids = ids.copy()
    bad_ids[3] = VOCAB
    with pytest.raises(ValueError, match="word id 12 at position 3"):
        kernel.train_chunk(bad_ids, offsets, 0, 2, 1, progress, 0, 10, 0.1, 0.0)
    bad_offsets = offsets.copy()
    bad_offsets[2] = 10**6
    with pytest.raises(ValueError, match="offsets"):
        kernel.train_chunk(ids, bad_offsets, 0, 3, 1, progress, 0, 10, 0.1, 0.0)
    with pytest.raises(ValueError, match="sentence range"):
        kernel.train_chunk(ids, offsets, 0, len(offsets), 1, progress, 0, 10, 0.1, 0.0)
    with pytest.raises(ValueError, match="slot"):
        kernel.train_chunk(ids, offsets, 0, 1, 1, progress, 1, 10, 0.1, 0.0)
    with pytest.raises(ValueError, match="rng_state"):
        kernel.train_chunk(ids, offsets, 0, 1, 0, progress, 0, 10, 0.1, 0.0)


def test_kernel_rejects_inconsistent_arrays():
    arrays, options, _, _ = make_setup("hs+ns", "sg")
    with pytest.raises(ValueError, match="out_words must have shape"):
        _core.Kernel(**{**arrays, "out_words": arrays["out_words"][:5]}, **options)
    bad_alias = arrays["alias_index"].copy()
    bad_alias[0] = -1
    with pytest.raises(ValueError, match="alias_index"):
        _core.Kernel(**{**arrays, "alias_index": bad_alias}, **options)
    bad_points = arrays["points"].copy()
    bad_points[0] = VOCAB
    with pytest.raises(ValueError, match="points"):
        _core.Kernel(**{**arrays, "points": bad_points}, **options)
    with pytest.raises(ValueError, match="objective"):
        _core.Kernel(**arrays, **{**options, "negative": 0, "hs": 0})


@pytest.mark.parametrize("exact", [False, True])
def test_nan_and_infinite_scores_stay_inside_the_tables(exact):
    # a NaN passes both clipping tests; it once indexed the table at INT_MIN (a crash)
    x = np.array([np.nan, -np.inf, np.inf, -1e30, 1e30])
    sig = _core.sigmoid_lookup(x, exact)
    log_sig = _core.log_sigmoid_lookup(x, exact)
    assert sig[1] == 0.0 and sig[2] == 1.0 and sig[3] == 0.0 and sig[4] == 1.0
    assert log_sig[2] == 0.0 and log_sig[4] == 0.0
    if not exact:  # the table path gives a value from inside the table
        assert 0.0 < sig[0] < 0.01 and np.isfinite(log_sig[0])


def test_misaligned_ids_are_refused_by_the_kernel_and_copied_by_the_trainer():
    """Arrays that come through Dask's serialisation can start at any byte: the kernel
    reads ids as C ints, so it refuses them, and the trainer hands it aligned copies."""
    from w2v.data.encoding import EncodedCorpus
    from w2v.train import trainer

    arrays, options, ids, offsets = make_setup("ns", "sg")
    kernel = _core.Kernel(**arrays, **options, exact=True)
    raw = np.zeros(ids.nbytes + 1, dtype=np.uint8)
    misaligned = raw[1:].view(np.int32)
    misaligned[:] = ids
    assert not misaligned.flags.aligned
    progress = np.zeros(1, dtype=np.int64)
    with pytest.raises(ValueError, match="aligned"):
        kernel.train_chunk(misaligned, offsets, 0, len(offsets) - 1, 7, progress, 0, len(ids),
                           0.025, 1e-4, None)
    corpus = EncodedCorpus(misaligned, offsets, len(ids))
    plan = trainer.RunPlan(epochs=1, first_epoch=0, workers=1, seed=1, start_alpha=0.025,
                           min_alpha=1e-4)
    loss, examples = trainer.run_epochs(kernel, corpus, plan)
    assert examples[0] > 0


def test_threads_merge_their_copies_of_the_busiest_rows_often():
    """Every 4,096 examples: at 32,768, two threads' skip-gram lost 0.010 of SimLex-999
    against one thread on documentation text (benchmarks/README.md, issue 16)."""
    from w2v.train import trainer

    assert trainer.sync_examples(10**9, 2) == trainer.SYNC_EXAMPLES == 4096
    for words in (20_000, 100_000, 10**6):  # small corpora: at least MIN_SYNCS per thread
        assert words // 2 // trainer.sync_examples(words, 2) >= trainer.MIN_SYNCS


# every loop of each path: under one AVX2 vector, one AVX-512 vector, the benchmark's 100
# (64 + 32 + a tail of 4), two 64-float blocks and a tail; AVX-512's tails of 8 + 4 and of
# 8 + 4 + 1 (unmasked pieces, then a mask)
@pytest.mark.parametrize("dim", [3, 12, 16, 29, 100, 131])
def test_row_block_operations_give_the_bits_of_one_call_per_row(dim, simd):
    """``w2v_dot_rows``, ``w2v_axpy_scatter`` and ``w2v_axpy_rows_scatter`` take several
    rows per pass (four at a time for AVX-512 scores, two for AVX2; ``w2v_dot_rows2`` two
    vectors against three rows on AVX-512) to load each slice of a shared vector or row
    once; the kernel's bit-for-bit claims rest on their giving exactly what one ``w2v_dot``
    or ``w2v_axpy`` per row gives, for every count of rows (full groups and remainders) and
    for a row listed twice (it must see its first step)."""
    rng = np.random.default_rng(dim)
    x = rng.normal(0, 1, dim).astype(np.float32)
    for n in range(0, 10):
        rows = rng.normal(0, 1, (n, dim)).astype(np.float32)
        grouped = _core.dot_rows(x, rows)
        single = _core.dot_rows(x, rows, one_by_one=True)
        assert grouped.tobytes() == single.tobytes()
        np.testing.assert_allclose(grouped, rows.astype(np.float64) @ x, rtol=1e-4, atol=1e-4)
        y = rng.normal(0, 1, dim).astype(np.float32)
        both = _core.dot_rows(x, rows, y=y)  # two vectors per pass (blocks of 3 on AVX-512)
        assert both.tobytes() == _core.dot_rows(x, rows, one_by_one=True, y=y).tobytes()
        assert both[0].tobytes() == single.tobytes()
        assert both[1].tobytes() == _core.dot_rows(y, rows, one_by_one=True).tobytes()
        matrix = rng.normal(0, 1, (6, dim)).astype(np.float32)
        index = rng.integers(0, 6, n).astype(np.int32)
        index[n // 2:] = index[: n - n // 2]  # repeats: each row listed twice
        c = rng.normal(0, 1, n).astype(np.float32)
        a, b = matrix.copy(), matrix.copy()
        _core.axpy_scatter(c, x, a, index)
        _core.axpy_scatter(c, x, b, index, one_by_one=True)
        assert a.tobytes() == b.tobytes()
        expected = matrix.astype(np.float64)
        for r in range(n):
            expected[index[r]] += float(c[r]) * x.astype(np.float64)
        np.testing.assert_allclose(a, expected, rtol=1e-5, atol=1e-5)
        # the error summed over distinct rows, from their values before their steps, in the
        # same pass as the steps (w2v_axpy_rows_scatter: CBOW, per-example and HS updates)
        distinct = rng.permutation(12)[:n].astype(np.int32)
        matrix = rng.normal(0, 1, (12, dim)).astype(np.float32)
        a, b = matrix.copy(), matrix.copy()
        y0 = rng.normal(0, 1, dim).astype(np.float32)
        ya, yb = y0.copy(), y0.copy()
        _core.axpy_scatter(c, x, a, distinct, y=ya)
        _core.axpy_scatter(c, x, b, distinct, one_by_one=True, y=yb)
        assert a.tobytes() == b.tobytes() and ya.tobytes() == yb.tobytes()
        old_rows = matrix[distinct].astype(np.float64)
        np.testing.assert_allclose(ya, y0 + c.astype(np.float64) @ old_rows, rtol=1e-5,
                                   atol=1e-5)
        expected = matrix.astype(np.float64)
        expected[distinct] += np.outer(c, x).astype(np.float64)
        np.testing.assert_allclose(a, expected, rtol=1e-5, atol=1e-5)
        # ... or set from nothing (negative sampling's first run): y's NaNs unread
        a, b = matrix.copy(), matrix.copy()
        ya, yb = np.full(dim, np.nan, np.float32), np.full(dim, np.nan, np.float32)
        _core.axpy_scatter(c, x, a, distinct, y=ya, add=False)
        _core.axpy_scatter(c, x, b, distinct, one_by_one=True, y=yb, add=False)
        assert a.tobytes() == b.tobytes() and ya.tobytes() == yb.tobytes()
        np.testing.assert_allclose(ya, c.astype(np.float64) @ old_rows, rtol=1e-5, atol=1e-5)


def test_logistic_steps_sixteen_at_a_time_give_the_bits_of_one_at_a_time(simd):
    """The batched skip-gram window (a block of contexts x outputs, each context against the
    same labels) takes its logistic steps 16 at a time on AVX-512, 8 on AVX2; the kernel's
    bit-for-bit claims rest on each step and the loss (summed in order) being exactly those
    of ``_logistic_gradient``: the same table bins (the 999th near +6), the clipping at
    exactly +-6, a NaN's bin 0, every tail length, and each score's label, for periods of
    labels shorter and longer than a vector."""
    rng = np.random.default_rng(5)
    edge = np.array([0.0, -0.0, 6.0, -6.0, np.nextafter(6, 0), np.nextafter(-6, 0), 5.99,
                     5.9999, -5.9999, 7.5, -7.5, np.inf, -np.inf, np.nan, 1e-30, -1e-30,
                     0.072, -0.072], np.float32)
    for n_lab in (1, 2, 3, 6, 15, 16, 17, 21, 32):
        labels = (rng.random(n_lab) < 0.4).astype(np.float32)
        labels[rng.integers(n_lab)] = 1.0
        for n in range(0, 41):
            scores = np.concatenate([edge, rng.normal(0, 4, 64).astype(np.float32)])
            scores = rng.permutation(scores)[:n]
            fast, fast_loss = _core.logistic_steps(scores, labels, 0.025)
            slow, slow_loss = _core.logistic_steps(scores, labels, 0.025, one_by_one=True)
            assert fast.tobytes() == slow.tobytes(), (n_lab, n)
            assert np.float64(fast_loss).tobytes() == np.float64(slow_loss).tobytes()
            ok = np.isfinite(scores)
            each = np.resize(labels, n)
            expected = (each - 1 / (1 + np.exp(-scores.astype(np.float64)))) * 0.025
            np.testing.assert_allclose(fast[ok], expected[ok], atol=0.025 * 0.0026)
            assert (fast[scores >= 6] == (each[scores >= 6] - 1) * np.float32(0.025)).all()
    with pytest.raises(ValueError, match="no labels"):
        _core.logistic_steps(np.zeros(3, np.float32), np.zeros(0, np.float32), 0.1)


def test_row_block_helpers_name_bad_arguments():
    x = np.ones(4, np.float32)
    with pytest.raises(ValueError, match="rows hold 3 floats but x has 4"):
        _core.dot_rows(x, np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="at most 64 rows"):
        _core.dot_rows(x, np.ones((65, 4), np.float32))
    with pytest.raises(ValueError, match="rows hold 4 floats but y has 3"):
        _core.dot_rows(x, np.ones((2, 4), np.float32), y=np.ones(3, np.float32))
    with pytest.raises(ValueError, match=r"index\[1\] = 5 is outside the matrix's 2 rows"):
        _core.axpy_scatter(np.ones(2, np.float32), x, np.ones((2, 4), np.float32),
                           np.array([0, 5], np.int32))
    with pytest.raises(ValueError, match="c has 1 coefficients for 2 rows"):
        _core.axpy_scatter(np.ones(1, np.float32), x, np.ones((2, 4), np.float32),
                           np.array([0, 1], np.int32))
    with pytest.raises(ValueError, match="with y, the rows must be distinct"):
        _core.axpy_scatter(np.ones(2, np.float32), x, np.ones((2, 4), np.float32),
                           np.array([1, 1], np.int32), y=np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="rows hold 4 floats but y has 3"):
        _core.axpy_scatter(np.ones(2, np.float32), x, np.ones((2, 4), np.float32),
                           np.array([0, 1], np.int32), y=np.zeros(3, np.float32))
