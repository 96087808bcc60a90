# cython: language_level=3
"""The word2vec training kernels: GIL-free loops over integer-encoded sentences.

Python hands a :class:`Kernel` the model's arrays once; :meth:`Kernel.train_chunk`
validates one chunk of the encoded corpus and trains on it without the GIL.
Nothing in the per-word loop touches a Python object.

Conventions (the reference implementation in the tests follows them exactly):

* random numbers come from xorshift64*, one state per chunk;
* per sentence: subsampling draws one number per word whose keep probability is
  below 1; then per position one number picks the reduced window
  ``window - below(r, window)``, and negative sampling draws one number per noise word
  (alias method: high 32 bits pick the column, low 32 bits the coin);
* skip-gram trains each (context, centre) pair with the context word's input
  vector predicting the centre word (the C tool's order). With ``batch`` (pWord2Vec's
  "HogBatch"; negative sampling without hierarchical softmax), a centre word's whole
  window is one update: its noise words are shared by all its contexts, and every
  score uses the weights from before the window's update (a sentence of one word has no
  window and draws no noise words). Without it, each pair is its own update with its own
  noise words, as in the C tool. With ``batch``, skip-gram and CBOW also share noise
  words between positions ``NOISE_GAP`` apart: in each run of
  ``NOISE_GAP * NOISE_GROUP`` positions of a sentence (counted from its first kept word)
  the first ``NOISE_GAP`` draw their noise words (after their window draw) and each later
  position takes those of the position ``NOISE_GAP`` before it, drawing only its window; the
  positions sharing are farther apart than most reduced windows reach, so their contexts
  rarely overlap (CBOW's neighbours, whose hidden layers are nearly the same, sharing
  cost half an analogy point). The order above is the numbers' order in the stream, not
  the time they are drawn: the batched step and CBOW draw the windows and noise words of
  ``DRAW_BLOCK`` positions at once, ahead of their use, so their table lookups and row
  loads overlap.
  CBOW predicts the centre from the mean (``cbow_mean=1``) or sum of its context, and
  adds the hidden-layer error to every context vector undivided, as the C tool does;
* per example the objectives run in the order hierarchical softmax, negative
  sampling, full softmax; sigmoid inputs beyond +-MAX_EXP are clipped to 0 or 1, and a
  Huffman node whose score lies beyond them is not updated (as in the C tool and
  gensim: near the root, such a node would otherwise take a full step of ``alpha``);
* the learning rate is recomputed at the start of every sentence from the
  words all threads have processed so far;
* with :class:`HotCopies` (used when several threads train at once), each thread
  trains private copies of the rows both threads would otherwise write all the time
  (the most frequent words' input and output rows, the Huffman nodes nearest the
  root) and adds its changes to the shared rows, under a lock, every
  ``sync_examples`` examples it trains and when flushed; so the threads do not fight over
  those cache lines. A single thread's results are the same either way up to rounding.
"""

import numpy as np

from libc.math cimport exp, log, log1p
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t, uintptr_t
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memset
from cpython.pythread cimport (PyThread_type_lock, PyThread_allocate_lock, PyThread_free_lock,
                               PyThread_acquire_lock, PyThread_release_lock, WAIT_LOCK)


from w2v._vecops cimport W2V_EXP_TABLE_SIZE as EXP_TABLE_SIZE, W2V_MAX_EXP as MAX_EXP
from w2v._vecops cimport (w2v_add_progress, w2v_axpy, w2v_axpy_rows, w2v_axpy_rows2,
                          w2v_axpy_rows_scatter, w2v_axpy_scatter, w2v_below, w2v_dot, w2v_dot_rows,
                          w2v_dot_rows2, w2v_logistic_steps, w2v_next, w2v_pick_row,
                          w2v_prefetch_row, w2v_scale, w2v_set_simd, w2v_sum_rows, w2v_sum_rows2,
                          w2v_stop_requested, w2v_sum_progress, w2v_uniform, w2v_simd, w2v_zero)


#: Inputs beyond +-MAX_EXP are clipped by the sigmoid tables.
SIGMOID_CLIP = MAX_EXP

cdef float SIGMOID_TABLE[EXP_TABLE_SIZE]
cdef float LOG_SIGMOID_TABLE[EXP_TABLE_SIZE]


cdef void _fill_tables() noexcept:
    """Tabulate sigmoid and log-sigmoid at the centres of EXP_TABLE_SIZE bins on
    [-MAX_EXP, MAX_EXP]."""
    cdef int i
    cdef double x
    for i in range(EXP_TABLE_SIZE):
        x = -MAX_EXP + (i + 0.5) * (2.0 * MAX_EXP / EXP_TABLE_SIZE)
        SIGMOID_TABLE[i] = <float>(1.0 / (1.0 + exp(-x)))
        LOG_SIGMOID_TABLE[i] = <float>(-log1p(exp(-x)))


_fill_tables()


_SIMD_PATHS = ("portable", "avx2", "avx512")


def set_simd(path=True):
    """Choose the kernels' vector path: ``True`` (the default at import) the fastest the
    CPU and OS support, ``False`` or ``"portable"`` the portable C one, ``"avx2"`` AVX2+FMA
    or ``"avx512"`` AVX-512F where supported (each falls back to the fastest slower path
    the CPU has). The environment variable ``W2V_SIMD`` sets the path at import: ``0`` or
    ``portable``, ``avx2`` or ``avx512``. Returns the name of the path now in use.

    The paths differ only in the rounding of sums (each is checked against the same
    reference); a run repeats bit for bit on one path.

    Example
    -------
    >>> before = simd_path()
    >>> set_simd(False)
    'portable'
    >>> set_simd(before) == before  # back to the path in use before
    True
    """
    if path is True or path is False:
        wanted = len(_SIMD_PATHS) - 1 if path else 0
    elif path in _SIMD_PATHS:
        wanted = _SIMD_PATHS.index(path)
    else:
        raise ValueError(f"set_simd: path must be True, False or one of {_SIMD_PATHS}, "
                         f"not {path!r}")
    return _SIMD_PATHS[w2v_set_simd(wanted)]


def simd_path():
    """The vector path in use: ``"avx512"`` (AVX-512F), ``"avx2"`` (AVX2+FMA), chosen at
    import as the fastest the CPU has unless the environment variable ``W2V_SIMD`` says
    otherwise, or ``"portable"``.

    Example
    -------
    >>> simd_path() in ("avx512", "avx2", "portable")
    True
    """
    return _SIMD_PATHS[w2v_simd]


import os as _os
_start = _os.environ.get("W2V_SIMD", "1").strip().lower()
set_simd(_start if _start in _SIMD_PATHS else _start != "0")


cdef uint64_t ALIAS_THRESHOLD = (<uint64_t>1 << 33) - 1  # the low 33 bits of an alias entry


cdef enum:  # batched skip-gram and CBOW: random draws taken ahead of the positions using them
    DRAW_BLOCK = 32       # positions drawn at once (their table lookups overlap)
    DRAW_RING = 64        # positions the buffers hold: two blocks
    PREFETCH_AHEAD = 2    # positions between a noise row's prefetch and its use
    NOISE_GAP = 8         # batched training: positions between two that share noise words
    NOISE_GROUP = 4       # batched training: positions sharing one draw of noise words


cdef enum:  # the matrices whose busiest rows threads copy (see HotCopies)
    HOT_NODES = 0         # inner Huffman nodes, the last ones (nearest the root)
    HOT_WORDS = 1         # output word rows, the first ones (most frequent words)
    HOT_INPUTS = 2        # input word rows, the first ones
    N_HOT = 3


ctypedef struct Net:
    float *input          # vocabulary x dim: the word vectors
    float *out_words      # vocabulary x dim: output vectors (negative sampling, softmax)
    float *out_nodes      # (vocabulary - 1) x dim: inner Huffman nodes (hierarchical softmax)
    const double *keep_prob
    const uint64_t *alias  # per column: ceil(prob * 2**32) | alias word << 33 (one load)
    const uint8_t *codes
    const int32_t *points
    const int64_t *code_offsets
    int dim
    int vocab_size
    int window
    int negative
    int hs
    int softmax
    int sg
    int cbow_mean
    int subsample
    int exact
    int batch             # shared noise words: per group of positions (and skip-gram window)
    int max_outputs       # most output rows of one batched update (noise words + 1)
    int hot_nodes         # Huffman nodes (the last ones: nearest the root) copied per thread
    int first_hot_node    # the first of them: vocab_size - 1 - hot_nodes
    int hot_words         # output word rows (the first ones: most frequent) copied per thread
    int hot_inputs        # input word rows (the first ones: most frequent) copied per thread
    float *hot_shared[N_HOT]   # per copied matrix (HOT_NODES, ...): its first copied row
    int64_t hot_floats[N_HOT]  # ... and how many floats are copied (0: none)
    PyThread_type_lock merge_lock  # one merge into the shared rows at a time


ctypedef struct Hot:
    float *copy[N_HOT]    # a thread's copies of each matrix's hot rows (or NULL)
    float *base[N_HOT]    # ... and their shared values when last merged
    int64_t sync_examples  # examples between merges into the shared rows
    int64_t since_sync    # examples since the last merge
    int loaded            # whether the copies hold the shared rows (plus own changes)


ctypedef struct Work:
    float *hidden         # CBOW's hidden layer
    float *grad           # error to add to the input vector(s)
    float *scores         # full softmax: one per vocabulary word
    int32_t *sentence     # the current sentence after subsampling
    int32_t *contexts     # batched skip-gram: the window's context words
    float *context_grad   # batched skip-gram: error of each context's input vector
    float *coeffs         # batched skip-gram: contexts x outputs gradient coefficients
    double *loss_terms    # ... and each one's loss term (summed by _sum_terms)
    float **out_rows      # batched skip-gram: output rows of one objective
    float **ctx_rows      # batched skip-gram: the contexts' input rows
    float *labels         # batched skip-gram: their targets (1 or 0)
    int32_t *noise        # the next example's noise words, drawn (and prefetched) early
    int32_t *ring_windows  # batched skip-gram, CBOW: reduced windows drawn ahead (DRAW_RING)
    int32_t *ring_noise   # ... and their noise words (DRAW_RING x negative)
    int noise_ready       # whether ``noise`` holds them
    Hot *hot              # this thread's copies of the busiest rows (or NULL)
    float *node_copy      # hot.copy[HOT_NODES], [HOT_WORDS], [HOT_INPUTS] (or NULL)
    float *word_copy
    float *input_copy
    int node_start        # nodes >= this are read from the copies (vocab_size: none)
    int hot_words         # output rows < this are read from the copies (0: none)
    int hot_inputs        # input rows < this are read from the copies (0: none)
    int64_t ticked        # ``examples`` when last added to ``hot.since_sync``
    uint64_t rng
    double loss
    int64_t examples


cdef inline int _table_index(float f) noexcept nogil:
    """The table bin of ``f``, always inside the table: a NaN (diverged training)
    compares false with both clipping bounds of the callers and would otherwise be
    cast to an int, undefined behaviour that gives INT_MIN on x86."""
    cdef double position = (f + MAX_EXP) * (EXP_TABLE_SIZE / (2.0 * MAX_EXP))
    if not position >= 0.0:  # NaN, or below the table
        return 0
    if position >= EXP_TABLE_SIZE - 1:
        return EXP_TABLE_SIZE - 1
    return <int>position


cdef inline float _sigmoid(const Net *net, float f) noexcept nogil:
    if f >= MAX_EXP:
        return 1.0
    if f <= -MAX_EXP:
        return 0.0
    if net.exact:
        return <float>(1.0 / (1.0 + exp(-f)))
    return SIGMOID_TABLE[_table_index(f)]


cdef inline double _log_sigmoid(const Net *net, float f) noexcept nogil:
    if f >= MAX_EXP:
        return 0.0
    if f <= -MAX_EXP:
        return f
    if net.exact:
        return -log1p(exp(-f))
    return LOG_SIGMOID_TABLE[_table_index(f)]


cdef inline int _alias_pick(const Net *net, uint64_t r) noexcept nogil:
    """Alias method: the high 32 bits of ``r`` pick the column, the low 32 bits toss its
    coin. ``low * 2**-32 < prob`` exactly when ``low < ceil(prob * 2**32)`` (``low`` is
    an integer), so the coin is an integer compare against the packed threshold, and one
    8-byte load per draw brings both the threshold and the alias. The coin picks between
    the two with a mask, not a branch: it comes up either way at random, so a branch
    would be mispredicted often, each time after waiting for the table load, and would
    keep a block's draws (``_draw_block``) from overlapping their loads."""
    cdef int column = <int>w2v_below(r, net.vocab_size)
    cdef uint64_t entry = net.alias[column]
    cdef uint64_t keep = <uint64_t>0 - <uint64_t>((r & 0xFFFFFFFFu) < (entry & ALIAS_THRESHOLD))
    return <int>((<uint64_t>column & keep) | ((entry >> 33) & ~keep))


cdef inline int _draw_noise(const Net *net, uint64_t *rng) noexcept nogil:
    return _alias_pick(net, w2v_next(rng))


cdef inline float *_node_row(const Net *net, Work *work, int node) noexcept nogil:
    return w2v_pick_row(net.out_nodes, work.node_copy, node, work.node_start,
                        net.vocab_size - 1, net.dim)


cdef inline float *_word_row(const Net *net, Work *work, int word) noexcept nogil:
    return w2v_pick_row(net.out_words, work.word_copy, word, 0, work.hot_words, net.dim)


cdef inline float *_input_row(const Net *net, Work *work, int word) noexcept nogil:
    return w2v_pick_row(net.input, work.input_copy, word, 0, work.hot_inputs, net.dim)


cdef void _merge_rows(float *shared, float *copy, float *base, int64_t n) noexcept nogil:
    """Add this thread's changes (copy - base) to the shared rows, then refresh the copy."""
    cdef int64_t i
    for i in range(n):
        shared[i] += copy[i] - base[i]
        copy[i] = shared[i]
        base[i] = shared[i]


cdef void _merge_hot(const Net *net, Hot *hot) noexcept nogil:
    """Add a thread's changes to the shared rows (one thread at a time) and refresh its copies."""
    cdef int m
    PyThread_acquire_lock(net.merge_lock, WAIT_LOCK)
    for m in range(N_HOT):
        if hot.copy[m] != NULL:
            _merge_rows(net.hot_shared[m], hot.copy[m], hot.base[m], net.hot_floats[m])
    PyThread_release_lock(net.merge_lock)
    hot.since_sync = 0


cdef void _copy_rows(float *copy, float *base, const float *shared, int64_t n) noexcept nogil:
    cdef int64_t i
    for i in range(n):
        copy[i] = shared[i]
        base[i] = shared[i]


cdef void _load_hot(const Net *net, Hot *hot) noexcept nogil:
    """Fill the copies (and bases) with the shared rows, unless they hold them already."""
    cdef int m
    if hot.loaded:
        return
    for m in range(N_HOT):
        if hot.copy[m] != NULL:
            _copy_rows(hot.copy[m], hot.base[m], net.hot_shared[m], net.hot_floats[m])
    hot.since_sync = 0
    hot.loaded = 1


cdef inline void _tick(const Net *net, Work *work) noexcept nogil:
    if work.hot != NULL:
        work.hot.since_sync += work.examples - work.ticked
        work.ticked = work.examples
        if work.hot.since_sync >= work.hot.sync_examples:
            _merge_hot(net, work.hot)


cdef inline float _logistic_gradient(const Net *net, double *loss, float f, float label,
                                     float alpha) noexcept nogil:
    """Binary logistic regression of score ``f`` against ``label`` (1 or 0): add the loss
    to ``loss[0]`` and return the step, ``(label - sigmoid(f)) * alpha``. The loss is
    ``-log sigmoid(f)`` for label 1 and ``-log sigmoid(-f)`` for 0: the sign is taken by
    multiplying by ``2 * label - 1`` (exactly +-1, so the same bits as ``-f``), not by a
    branch, because a Huffman path's labels come up 1 or 0 at random and such a branch is
    mispredicted about half the time."""
    loss[0] -= _log_sigmoid(net, f * (2.0 * label - 1.0))
    return (label - _sigmoid(net, f)) * alpha


cdef enum:
    ROW_BLOCK = 32        # most output rows of one _logistic_rows call


cdef void _logistic_rows(const Net *net, Work *work, const float *h, float **rows,
                         const float *labels, int k, float alpha, bint skip_saturated,
                         bint first) noexcept nogil:
    """Binary logistic regression steps of ``h`` against ``k`` (<= ROW_BLOCK) *distinct*
    output rows, with the bits of one step after the other: each row's score, then
    ``work.grad += g * row`` and ``row += g * h``. Because the rows are distinct and ``h``
    does not change, no score depends on an earlier row's update, so all ``k`` scores are
    taken first (independent dot products the CPU overlaps); then one pass over the rows
    (``w2v_axpy_rows_scatter``) sums the error in registers (the same order and roundings)
    and updates each row once. With ``skip_saturated``, a score beyond +-MAX_EXP counts
    its loss but changes nothing. ``first``: ``work.grad`` holds nothing yet, and this
    call sets it (the bits of zeroing it first, without the zeroing's stores and loads)."""
    cdef float score[ROW_BLOCK]
    cdef float step[ROW_BLOCK]
    cdef float *moved[ROW_BLOCK]
    cdef double loss = work.loss  # summed in a register (the same order), stored once
    cdef int j, n = 0
    cdef float f, g
    w2v_dot_rows(h, <const float **>rows, k, score, net.dim)
    for j in range(k):
        f = score[j]
        g = _logistic_gradient(net, &loss, f, labels[j], alpha)
        if skip_saturated and (f >= MAX_EXP or f <= -MAX_EXP):
            continue
        step[n] = g
        moved[n] = rows[j]
        n += 1
    work.loss = loss
    w2v_axpy_rows_scatter(step, 1, h, moved, n, work.grad, net.dim, not first)


ctypedef struct Path:
    float *rows[ROW_BLOCK]   # a word's Huffman nodes, root first (as this thread reads them)
    float labels[ROW_BLOCK]  # ... and their targets, 1 - code
    int n                    # how many; -1 when the path is longer than ROW_BLOCK


cdef inline void _fill_path(const Net *net, Work *work, int word, Path *path) noexcept nogil:
    """Look up ``word``'s path once for the pairs that share it (skip-gram trains every
    context of a window against the centre's path)."""
    cdef int64_t k, first = net.code_offsets[word], end = net.code_offsets[word + 1]
    path.n = -1
    if end - first > ROW_BLOCK:
        return
    for k in range(first, end):
        path.rows[k - first] = _node_row(net, work, net.points[k])
        path.labels[k - first] = 1.0 - net.codes[k]
    path.n = <int>(end - first)


cdef inline void _hs_update(const Net *net, Work *work, const float *h, int target,
                            float alpha, const Path *path) noexcept nogil:
    """The Huffman path of ``target`` (``path``, when given and not too long, holds it
    looked up): its nodes are distinct rows, taken ROW_BLOCK at a time (a path longer
    than that is a few blocks in order: the same steps)."""
    cdef float *rows[ROW_BLOCK]
    cdef float labels[ROW_BLOCK]
    cdef int n = 0
    cdef int64_t k
    if path != NULL and path.n >= 0:
        if path.n:
            _logistic_rows(net, work, h, <float **>path.rows, path.labels, path.n, alpha, 1,
                           0)
        return
    for k in range(net.code_offsets[target], net.code_offsets[target + 1]):
        rows[n] = _node_row(net, work, net.points[k])
        labels[n] = 1.0 - net.codes[k]
        n += 1
        if n == ROW_BLOCK:
            _logistic_rows(net, work, h, rows, labels, n, alpha, 1, 0)
            n = 0
    if n:
        _logistic_rows(net, work, h, rows, labels, n, alpha, 1, 0)


cdef inline void _draw_noises(const Net *net, Work *work) noexcept nogil:
    """Draw the next example's noise words now and start loading their rows, so the
    loads overlap other work; the draws stay in the same order in the random stream."""
    cdef int d
    for d in range(net.negative):
        work.noise[d] = _draw_noise(net, &work.rng)
        w2v_prefetch_row(_word_row(net, work, work.noise[d]), net.dim)
    work.noise_ready = 1


cdef inline void _ns_update(const Net *net, Work *work, const float *h, int target,
                            float alpha, bint first) noexcept nogil:
    """The target's row (label 1), then each noise word's that is not the target (label
    0), as one step after the other. A noise word drawn twice must see its row's first
    update, so the rows go to ``_logistic_rows`` in runs of distinct rows: a row already
    in the run (or a full run) ends it first. ``first``: the first run sets ``work.grad``
    (which holds nothing yet) instead of adding to it."""
    cdef float *rows[ROW_BLOCK]
    cdef float labels[ROW_BLOCK]
    cdef float *row
    cdef int d, j, n = 1
    if not work.noise_ready:
        _draw_noises(net, work)
    work.noise_ready = 0
    rows[0] = _word_row(net, work, target)
    labels[0] = 1.0
    for d in range(net.negative):
        if work.noise[d] == target:
            continue
        row = _word_row(net, work, work.noise[d])
        for j in range(n):
            if rows[j] == row:
                break
        else:
            j = n
        if j < n or n == ROW_BLOCK:
            _logistic_rows(net, work, h, rows, labels, n, alpha, 0, first)
            first = 0
            n = 0
        rows[n] = row
        labels[n] = 0.0
        n += 1
    _logistic_rows(net, work, h, rows, labels, n, alpha, 0, first)


cdef inline void _softmax_update(const Net *net, Work *work, const float *h, int target,
                                 float alpha) noexcept nogil:
    """Full softmax with cross-entropy over the whole vocabulary: O(vocabulary x dim)."""
    cdef int j
    cdef float *row
    cdef float best = -3.4e38
    cdef double total = 0.0
    cdef float target_score, g
    for j in range(net.vocab_size):
        work.scores[j] = w2v_dot(h, net.out_words + <int64_t>j * net.dim, net.dim)
        if work.scores[j] > best:
            best = work.scores[j]
    target_score = work.scores[target]
    for j in range(net.vocab_size):
        work.scores[j] = <float>exp(work.scores[j] - best)
        total += work.scores[j]
    work.loss -= (target_score - best) - log(total)
    for j in range(net.vocab_size):
        g = ((1.0 if j == target else 0.0) - <float>(work.scores[j] / total)) * alpha
        row = net.out_words + <int64_t>j * net.dim
        w2v_axpy(g, row, work.grad, net.dim)
        w2v_axpy(g, h, row, net.dim)


cdef inline void _train_example(const Net *net, Work *work, const float *h, int target,
                                float alpha, const Path *path) noexcept nogil:
    # negative sampling alone sets the error in its first pass over the output rows (each
    # run has rows, and none is skipped); the other objectives add to zeros
    cdef bint first = not net.hs and not net.softmax
    if not first:
        w2v_zero(work.grad, net.dim)
    if net.hs:
        _hs_update(net, work, h, target, alpha, path)
    if net.negative > 0:
        _ns_update(net, work, h, target, alpha, first)
    if net.softmax:
        _softmax_update(net, work, h, target, alpha)
    work.examples += 1


cdef inline int _reduced_window(const Net *net, Work *work) noexcept nogil:
    return net.window - <int>w2v_below(w2v_next(&work.rng), net.window)


cdef inline void _prefetch_ahead(const Net *net, Work *work, int i, int n) noexcept nogil:
    """Start loading rows the next positions need: the word entering the windows
    and the next centre's output row, each where this thread reads it (its private copy
    for the busiest words; pure hints: results do not change)."""
    if i + net.window + 1 < n:
        w2v_prefetch_row(_input_row(net, work, work.sentence[i + net.window + 1]), net.dim)
    if i + 1 < n and net.out_words != NULL:
        w2v_prefetch_row(_word_row(net, work, work.sentence[i + 1]), net.dim)


cdef inline void _start_position(const Net *net, Work *work, int i, int n, int w, int *lo,
                                 int *hi) noexcept nogil:
    """Per position, in every architecture: merge hot rows when due, prefetch, and give
    the positions the reduced window ``w`` covers as ``lo..hi-1`` (``i`` included)."""
    _tick(net, work)
    _prefetch_ahead(net, work, i, n)
    lo[0] = i - w if i >= w else 0
    hi[0] = i + w + 1 if i + w + 1 <= n else n


cdef void _sg_sentence(const Net *net, Work *work, int n, float alpha) noexcept nogil:
    cdef int i, j, lo, hi
    cdef float *h
    cdef Path path
    path.n = -1
    for i in range(n):
        _start_position(net, work, i, n, _reduced_window(net, work), &lo, &hi)
        if net.hs and hi - lo > 1:
            _fill_path(net, work, work.sentence[i], &path)
        for j in range(lo, hi):
            if j == i:
                continue
            h = _input_row(net, work, work.sentence[j])
            _train_example(net, work, h, work.sentence[i], alpha, &path)
            w2v_axpy(1.0, work.grad, h, net.dim)


cdef inline double _sum_terms(const double *t, int n) noexcept nogil:
    """``t[0] + ... + t[n-1]`` as four running sums (every fourth term each), then
    ``(s0 + s1) + (s2 + s3)``: four short chains of additions instead of one long one, which
    held the window's later instructions back from retiring until its last term was in.
    With the tables (not ``exact``) a window's terms are float32 values: table entries of
    magnitude 0.0025 to 6, zeros, and scores below -MAX_EXP. Unless a score is enormous,
    their sum in double is exact in any order, so only the loss's running total rounds."""
    cdef double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
    cdef int k = 0
    while k + 4 <= n:
        s0 += t[k]
        s1 += t[k + 1]
        s2 += t[k + 2]
        s3 += t[k + 3]
        k += 4
    if k < n:
        s0 += t[k]
    if k + 1 < n:
        s1 += t[k + 1]
    if k + 2 < n:
        s2 += t[k + 2]
    return (s0 + s1) + (s2 + s3)


cdef inline void _logistic_block(const Net *net, Work *work, float *c, int n_ctx, int n_out,
                                 float alpha) noexcept nogil:
    """``c[a * n_out + b] = _logistic_gradient(.., c[a * n_out + b], labels[b], ..)`` for
    every context ``a`` and output ``b``: 16 at a time on AVX-512, 8 on AVX2
    (``w2v_logistic_steps``: the same bins, clipping and bits), else one by one. Each pair's
    loss term goes to ``work.loss_terms``, and the window's sum (``_sum_terms``) is taken
    from ``work.loss`` once."""
    cdef int a, b, k, n = n_ctx * n_out
    cdef double term
    if not (n_out and not net.exact and w2v_logistic_steps(
            c, n, work.labels, n_out, alpha, SIGMOID_TABLE, LOG_SIGMOID_TABLE, c,
            work.loss_terms)):
        for a in range(n_ctx):
            for b in range(n_out):
                k = a * n_out + b
                term = 0.0
                c[k] = _logistic_gradient(net, &term, c[k], work.labels[b], alpha)
                work.loss_terms[k] = -term
    work.loss -= _sum_terms(work.loss_terms, n)


cdef void _batch_logistic(const Net *net, Work *work, int n_ctx, int n_out,
                          float alpha) noexcept nogil:
    """Logistic steps of every context of the window against every output row at once.

    Scores and both gradients use the weights from before this call: the contexts' errors
    are written to ``work.context_grad`` (added to the inputs by the caller), the output rows are
    updated here. All scores are taken first (independent dot products the CPU overlaps),
    then each error row and each output row is summed in registers and stored once; the
    terms are added in the order, and with the roundings, of one ``axpy`` per pair.
    """
    cdef int a, b
    cdef float *c = work.coeffs
    for a in range(n_ctx):
        work.ctx_rows[a] = _input_row(net, work, work.contexts[a])
    a = 0
    while a + 1 < n_ctx:  # two contexts' scores per pass over the output rows
        w2v_dot_rows2(work.ctx_rows[a], work.ctx_rows[a + 1], <const float **>work.out_rows,
                      n_out, c + a * n_out, c + (a + 1) * n_out, net.dim)
        a += 2
    if a < n_ctx:
        w2v_dot_rows(work.ctx_rows[a], <const float **>work.out_rows, n_out, c + a * n_out,
                     net.dim)
    _logistic_block(net, work, c, n_ctx, n_out, alpha)
    a = 0
    while a + 1 < n_ctx:  # two contexts' errors per pass over the output rows
        w2v_sum_rows2(c + a * n_out, 1, n_out, <const float **>work.out_rows, n_out,
                      work.context_grad + <int64_t>a * net.dim,
                      work.context_grad + <int64_t>(a + 1) * net.dim, net.dim)
        a += 2
    if a < n_ctx:
        w2v_sum_rows(c + a * n_out, 1, <const float **>work.out_rows, n_out,
                     work.context_grad + <int64_t>a * net.dim, net.dim)
    b = 0
    while b < n_out:  # two output rows per pass over the contexts, unless they are one row
        if b + 1 < n_out and work.out_rows[b] != work.out_rows[b + 1]:
            w2v_axpy_rows2(c + b, n_out, 1, <const float **>work.ctx_rows, n_ctx,
                           work.out_rows[b], work.out_rows[b + 1], net.dim)
            b += 2
        else:
            w2v_axpy_rows(c + b, n_out, <const float **>work.ctx_rows, n_ctx,
                          work.out_rows[b], net.dim)
            b += 1


cdef int _draw_block(const Net *net, Work *work, int first, int n) noexcept nogil:
    """Draw the reduced windows and noise words of positions ``first`` .. ``first +
    DRAW_BLOCK - 1`` (those below ``n``) into the ring buffers; return the next position
    to draw. The numbers come from the random stream in the order the positions use them
    (each position's window, then its noise words), as if each were drawn at its own
    position; a block's table lookups are independent, so the CPU overlaps their misses.
    A sentence of one word has no context and draws no noise words; in a longer one every
    position has a context and draws them, except that a batched group's later positions
    take the noise words of the position ``NOISE_GAP`` before (still in the ring:
    ``NOISE_GAP`` < ``DRAW_RING``)."""
    cdef int p, d, end = first + DRAW_BLOCK if first + DRAW_BLOCK < n else n
    cdef int32_t *noise
    cdef const int32_t *shared
    for p in range(first, end):
        work.ring_windows[p % DRAW_RING] = _reduced_window(net, work)
        if n >= 2:
            noise = work.ring_noise + (p % DRAW_RING) * net.negative
            if net.batch and (p // NOISE_GAP) % NOISE_GROUP != 0:
                shared = work.ring_noise + ((p - NOISE_GAP) % DRAW_RING) * net.negative
                for d in range(net.negative):
                    noise[d] = shared[d]
            else:
                for d in range(net.negative):
                    noise[d] = _draw_noise(net, &work.rng)
    return end


cdef inline int _drawn_position(const Net *net, Work *work, int i, int n,
                                int *drawn, int *lo, int *hi) noexcept nogil:
    """``_start_position`` for a sentence whose draws run ahead (batched skip-gram, CBOW):
    first make sure the draws reach ``PREFETCH_AHEAD`` positions past ``i`` and start
    loading that position's noise rows; ``i``'s window is the one drawn for it. Returns the
    offset of ``i``'s noise words in ``work.ring_noise``."""
    cdef int d
    cdef const int32_t *noise
    if drawn[0] <= i + PREFETCH_AHEAD and drawn[0] < n:
        drawn[0] = _draw_block(net, work, drawn[0], n)
    if i + PREFETCH_AHEAD < n:
        noise = work.ring_noise + ((i + PREFETCH_AHEAD) % DRAW_RING) * net.negative
        for d in range(net.negative):
            w2v_prefetch_row(_word_row(net, work, noise[d]), net.dim)
    _start_position(net, work, i, n, work.ring_windows[i % DRAW_RING], lo, hi)
    return (i % DRAW_RING) * net.negative


cdef void _sg_batch_sentence(const Net *net, Work *work, int n, float alpha) noexcept nogil:
    """Skip-gram with negative sampling, one update per window (noise words shared)."""
    cdef int i, j, lo, hi, a, d, n_ctx, n_out, target, drawn = 0
    cdef const int32_t *noise
    for i in range(n):
        noise = work.ring_noise + _drawn_position(net, work, i, n, &drawn, &lo, &hi)
        n_ctx = 0
        for j in range(lo, hi):
            if j != i:
                work.contexts[n_ctx] = work.sentence[j]
                n_ctx += 1
        if n_ctx == 0:
            continue
        target = work.sentence[i]
        work.out_rows[0] = _word_row(net, work, target)
        work.labels[0] = 1.0
        n_out = 1
        for d in range(net.negative):
            if noise[d] != target:
                work.out_rows[n_out] = _word_row(net, work, noise[d])
                work.labels[n_out] = 0.0
                n_out += 1
        _batch_logistic(net, work, n_ctx, n_out, alpha)
        for a in range(n_ctx):
            w2v_axpy(1.0, work.context_grad + <int64_t>a * net.dim,
                     _input_row(net, work, work.contexts[a]), net.dim)
        work.examples += n_ctx


cdef void _cbow_sentence(const Net *net, Work *work, int n, float alpha) noexcept nogil:
    """CBOW: the hidden layer is the sum (or mean) of the context rows, summed in
    registers (``w2v_sum_rows`` with coefficients 1: the bits of one add after the
    other, from zero); its error goes to every context row."""
    cdef int i, j, d, lo, hi, count, drawn = 0
    cdef const int32_t *noise
    cdef float one = 1.0
    for i in range(n):
        noise = work.ring_noise + _drawn_position(net, work, i, n, &drawn, &lo, &hi)
        if hi - lo < 2:
            continue
        for d in range(net.negative):
            work.noise[d] = noise[d]
        work.noise_ready = net.negative > 0
        count = 0
        for j in range(lo, hi):
            if j != i:
                work.ctx_rows[count] = _input_row(net, work, work.sentence[j])
                count += 1
        w2v_sum_rows(&one, 0, <const float **>work.ctx_rows, count, work.hidden, net.dim)
        if net.cbow_mean:
            w2v_scale(1.0 / count, work.hidden, net.dim)
        _train_example(net, work, work.hidden, work.sentence[i], alpha, NULL)
        w2v_axpy_scatter(&one, 0, work.grad, work.ctx_rows, count, net.dim)


cdef void _train_sentences(const Net *net, Work *work, const int32_t *ids,
                           const int64_t *offsets, int64_t lo, int64_t hi,
                           int64_t *progress, int n_slots, int slot, double total_words,
                           double start_alpha, double min_alpha,
                           const int32_t *stop) noexcept nogil:
    cdef int64_t s, k
    cdef int n
    cdef int32_t word
    cdef double done, alpha
    for s in range(lo, hi):
        if w2v_stop_requested(stop):  # Ctrl-C or a callback: end the chunk here
            return
        done = <double>w2v_sum_progress(progress, n_slots)
        alpha = start_alpha - (start_alpha - min_alpha) * (done / total_words)
        if alpha < min_alpha:
            alpha = min_alpha
        n = 0
        for k in range(offsets[s], offsets[s + 1]):
            word = ids[k]
            if net.subsample and net.keep_prob[word] < 1.0:
                if w2v_uniform(w2v_next(&work.rng)) >= net.keep_prob[word]:
                    continue
            work.sentence[n] = word
            n += 1
        w2v_add_progress(progress, slot, offsets[s + 1] - offsets[s])
        if net.sg and net.batch:
            _sg_batch_sentence(net, work, n, <float>alpha)
        elif net.sg:
            _sg_sentence(net, work, n, <float>alpha)
        else:
            _cbow_sentence(net, work, n, <float>alpha)


cdef void _hot_matrix(Net *net, int m, float *matrix, int first, int rows) noexcept:
    """Record that rows ``first..first+rows-1`` of ``matrix`` are copied per thread."""
    net.hot_floats[m] = <int64_t>rows * net.dim if matrix != NULL else 0
    net.hot_shared[m] = matrix + <int64_t>first * net.dim if net.hot_floats[m] else NULL


cdef float *_rows(object array, bint needed, Py_ssize_t rows, int dim, str name) except? NULL:
    """Pointer to a C-contiguous float32 (rows x dim) array, checked; NULL when not needed."""
    if not needed:
        return NULL
    if array is None:
        raise ValueError(f"{name} is required for the selected objective")
    cdef float[:, ::1] view = array
    if view.shape[0] != rows or view.shape[1] != dim:
        raise ValueError(f"{name} must have shape ({rows}, {dim}), got {array.shape}")
    return &view[0, 0]


cdef class Kernel:
    """Validated views of a model's arrays, for the GIL-free training loop.

    Parameters
    ----------
    vectors : float32 array (vocabulary, dim), C-contiguous: the input word vectors.
    out_words : float32 array (vocabulary, dim) or None: output vectors, required
        for negative sampling and the full softmax.
    out_nodes : float32 array (vocabulary - 1, dim) or None: inner Huffman nodes,
        required for hierarchical softmax.
    keep_prob : float64 array (vocabulary,): subsampling keep probabilities.
    alias_prob, alias_index : the noise distribution's alias table (vocabulary,).
    codes, points, code_offsets : the flattened Huffman tree; word ``w``'s path is
        ``points[code_offsets[w]:code_offsets[w + 1]]``.
    sg, cbow_mean, window, negative, hs, softmax, subsample : the training setup.
    batch : shared noise words. Skip-gram with negative sampling alone trains each window
        as one update whose contexts share its noise words; skip-gram and CBOW with
        negative sampling share each draw between ``NOISE_GROUP`` positions ``NOISE_GAP``
        apart (see the module's conventions). Ignored otherwise: skip-gram with
        hierarchical softmax and the full softmax train example by example.
    hot_rows : for several threads: how many of the busiest rows of each matrix (the
        most frequent words' input and output rows, the Huffman nodes nearest the root)
        each thread trains in private copies (see :meth:`thread_copies`); 0 turns it off,
        the full softmax never copies its output rows.
    exact : compute sigmoids exactly instead of by table (for tests).

    Example
    -------
    >>> kernel = Kernel(vectors, out_words, None, keep, prob, alias, None, None, None,
    ...                 sg=1, cbow_mean=1, window=5, negative=5, hs=0, softmax=0,
    ...                 subsample=1, batch=True)
    >>> kernel.batch
    True
    """

    cdef Net net
    cdef object _arrays     # keeps every array the Net points into alive

    def __cinit__(self, *args, **kwargs):
        self.net.merge_lock = PyThread_allocate_lock()
        if self.net.merge_lock == NULL:
            raise MemoryError("cannot allocate the merge lock")

    def __dealloc__(self):
        if self.net.merge_lock != NULL:
            PyThread_free_lock(self.net.merge_lock)

    def __init__(self, vectors, out_words, out_nodes, keep_prob, alias_prob, alias_index,
                 codes, points, code_offsets, *, int sg, int cbow_mean, int window,
                 int negative, int hs, int softmax, int subsample, bint batch=False,
                 int hot_rows=0, bint exact=False):
        cdef float[:, ::1] vec_view = vectors
        cdef int vocab = <int>vec_view.shape[0]
        cdef int dim = <int>vec_view.shape[1]
        if vocab < 1 or dim < 1:
            raise ValueError("vectors must be a non-empty (vocabulary, dim) array")
        if window < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        if negative < 0:
            raise ValueError(f"negative must be >= 0, got {negative}")
        if not (hs or negative > 0 or softmax):
            raise ValueError("no training objective selected")
        if hs and vocab < 2:
            raise ValueError("hierarchical softmax needs at least two words")
        self.net.input = &vec_view[0, 0]
        self.net.out_words = _rows(out_words, negative > 0 or softmax, vocab, dim, "out_words")
        self.net.out_nodes = _rows(out_nodes, hs, vocab - 1, dim, "out_nodes")

        keep = _vector(keep_prob, vocab, "keep_prob", np.float64)
        a_prob = _vector(alias_prob if negative else np.ones(vocab), vocab, "alias_prob",
                         np.float64)
        a_index = _vector(alias_index if negative else np.arange(vocab), vocab, "alias_index",
                          np.int32)
        if negative and ((a_index < 0) | (a_index >= vocab)).any():
            raise ValueError("alias_index holds word ids outside the vocabulary")
        if negative and not ((a_prob >= 0) & (a_prob <= 1)).all():
            raise ValueError("alias_prob must lie in [0, 1]")
        offsets = np.ascontiguousarray(code_offsets if hs else [0], dtype=np.int64)
        code_arr = np.ascontiguousarray(codes if hs else [], dtype=np.uint8)
        point_arr = np.ascontiguousarray(points if hs else [], dtype=np.int32)
        if hs:
            _check_huffman(code_arr, point_arr, offsets, vocab)
        packed = (np.ceil(a_prob * 4294967296.0).astype(np.uint64)
                  | (a_index.astype(np.uint64) << np.uint64(33)))
        self._arrays = (vectors, out_words, out_nodes, keep, packed, code_arr, point_arr,
                        offsets)
        self.net.keep_prob = _first[double](keep)
        self.net.alias = _first[uint64_t](packed)
        self.net.codes = _first[uint8_t](code_arr)
        self.net.points = _first[int32_t](point_arr)
        self.net.code_offsets = _first[int64_t](offsets)
        self.net.dim = dim
        self.net.vocab_size = vocab
        self.net.window = window
        self.net.negative = negative
        self.net.hs = 1 if hs else 0
        self.net.softmax = 1 if softmax else 0
        self.net.sg = 1 if sg else 0
        self.net.cbow_mean = 1 if cbow_mean else 0
        self.net.subsample = 1 if subsample else 0
        self.net.exact = 1 if exact else 0
        self.net.batch = 1 if (batch and negative > 0 and not softmax
                               and (not sg or not hs)) else 0
        self.net.max_outputs = negative + 1
        if hot_rows < 0:
            raise ValueError(f"hot_rows must be >= 0, got {hot_rows}")
        self.net.hot_nodes = min(hot_rows, vocab - 1) if hs else 0
        self.net.first_hot_node = vocab - 1 - self.net.hot_nodes
        self.net.hot_words = min(hot_rows, vocab) if negative > 0 and not softmax else 0
        self.net.hot_inputs = min(hot_rows, vocab)
        _hot_matrix(&self.net, HOT_NODES, self.net.out_nodes, self.net.first_hot_node,
                    self.net.hot_nodes)
        _hot_matrix(&self.net, HOT_WORDS, self.net.out_words, 0, self.net.hot_words)
        _hot_matrix(&self.net, HOT_INPUTS, self.net.input, 0, self.net.hot_inputs)

    @property
    def batch(self):
        """Whether noise words are shared (by a group of positions; skip-gram: by a window)."""
        return bool(self.net.batch)

    def thread_copies(self, int64_t sync_examples):
        """Private copies of the busiest rows for one training thread, or None when
        ``hot_rows`` is 0. Pass them to every :meth:`train_chunk` call of that thread and
        :meth:`flush` them before the weights are read.

        Parameters
        ----------
        sync_examples : the thread adds its changes to the shared rows (and takes the
            other threads' changes) after every ``sync_examples`` examples it trains
            (counted at the start of each position; an example is a (context, centre)
            pair in skip-gram, a centre in CBOW), so that the copies of the rows every
            example touches go stale by about as much whatever the architecture.

        Example
        -------
        >>> copies = kernel.thread_copies(sync_examples=4096)
        >>> copies.kernel is kernel
        True
        """
        if sync_examples < 1:
            raise ValueError(f"sync_examples must be >= 1, got {sync_examples}")
        if not (self.net.hot_nodes or self.net.hot_words or self.net.hot_inputs):
            return None
        return HotCopies(self, sync_examples)

    def flush(self, HotCopies copies not None):
        """Add ``copies``' changes to the shared rows; the next chunk reloads them.

        Example
        -------
        >>> kernel.flush(copies)
        """
        if copies.kernel is not self:
            raise ValueError("these copies belong to another kernel")
        with nogil:
            if copies.hot.loaded:
                _merge_hot(&self.net, &copies.hot)
            copies.hot.loaded = 0

    def train_chunk(self, const int32_t[::1] ids, const int64_t[::1] offsets,
                    int64_t lo, int64_t hi, uint64_t rng_state, int64_t[::1] progress,
                    int slot, int64_t total_words, double start_alpha, double min_alpha,
                    HotCopies copies=None, int32_t[::1] stop=None):
        """Train on sentences ``lo..hi-1`` of an encoded corpus, without the GIL.

        Parameters
        ----------
        ids : int32 word ids of the whole encoded corpus.
        offsets : int64, sentence ``s`` is ``ids[offsets[s]:offsets[s + 1]]``.
        lo, hi : the chunk's sentence range.
        rng_state : non-zero seed of this chunk's random generator.
        progress : int64 per-thread counters of words processed; this call adds
            to ``progress[slot]`` and reads their sum to decay the learning rate.
        total_words : words the whole run will process (for the decay).
        start_alpha, min_alpha : the learning rate at the start and the end of the run.
        copies : this thread's :meth:`thread_copies` (or None: train the shared rows);
            their changes reach the shared rows every ``sync_examples`` examples and
            at :meth:`flush`, not at the end of the call.
        stop : an int32 flag (array of one) checked before each sentence: once another
            thread sets it nonzero, the call returns after the sentence it is on, so
            training stops within a sentence whatever the chunk's size (or None).

        Returns
        -------
        (loss, examples) : summed loss and number of training examples.

        Example
        -------
        >>> loss, n = kernel.train_chunk(ids, offsets, 0, 10, 1, progress, 0,
        ...                              total, 0.025, 1e-4)
        >>> n > 0, int(progress[0]) == int(offsets[10])
        (True, True)
        """
        cdef Work work
        cdef int64_t longest
        cdef char *buffers
        cdef const int32_t *stop_flag = NULL
        cdef Py_ssize_t n_slots = progress.shape[0]
        if not 0 <= slot < n_slots:
            raise ValueError(f"slot {slot} outside progress counters (0..{n_slots - 1})")
        if not 0 <= lo <= hi < offsets.shape[0]:
            raise ValueError(f"sentence range [{lo}, {hi}) outside 0..{offsets.shape[0] - 1}")
        if total_words < 1:
            raise ValueError("total_words must be >= 1")
        if rng_state == 0:
            raise ValueError("rng_state must be non-zero")
        if copies is not None and copies.kernel is not self:
            raise ValueError("these copies belong to another kernel")
        if stop is not None and stop.shape[0] != 1:
            raise ValueError(f"stop must be an int32 array of one flag, got {stop.shape[0]}")
        if lo == hi:
            return 0.0, 0
        longest = _check_chunk(ids, offsets, lo, hi, self.net.vocab_size)
        if stop is not None:
            stop_flag = &stop[0]
        work.rng = rng_state
        work.loss = 0.0
        work.examples = 0
        work.noise_ready = 0
        work.hot = NULL
        work.node_copy = work.word_copy = work.input_copy = NULL
        work.node_start = self.net.vocab_size  # past the last node: nothing copied
        work.hot_words = work.hot_inputs = 0
        work.ticked = 0
        if copies is not None:
            work.hot = &copies.hot
            work.node_copy = copies.hot.copy[HOT_NODES]
            work.word_copy = copies.hot.copy[HOT_WORDS]
            work.input_copy = copies.hot.copy[HOT_INPUTS]
            work.node_start = self.net.first_hot_node
            work.hot_words = self.net.hot_words
            work.hot_inputs = self.net.hot_inputs
        buffers = _alloc_work(&self.net, &work, longest)
        if buffers == NULL:
            raise MemoryError("cannot allocate the training buffers")
        try:
            with nogil:
                if work.hot != NULL:
                    _load_hot(&self.net, work.hot)
                _train_sentences(&self.net, &work, &ids[0], &offsets[0], lo, hi,
                                 &progress[0], <int>n_slots, slot, <double>total_words,
                                 start_alpha, min_alpha, stop_flag)
        finally:
            free(buffers)
        return work.loss, work.examples


cdef class HotCopies:
    """One training thread's private copies of a :class:`Kernel`'s busiest rows, kept
    across that thread's chunks (made by :meth:`Kernel.thread_copies`)."""

    cdef Hot hot
    cdef readonly Kernel kernel

    def __cinit__(self, Kernel kernel not None, int64_t sync_examples):
        cdef int m
        self.kernel = kernel
        self.hot.sync_examples = max(sync_examples, 1)
        self.hot.since_sync = 0
        self.hot.loaded = 0
        for m in range(N_HOT):
            self.hot.copy[m] = _alloc_pair(kernel.net.hot_floats[m], &self.hot.base[m])
        for m in range(N_HOT):
            if kernel.net.hot_floats[m] and self.hot.base[m] == NULL:
                raise MemoryError("cannot allocate a thread's copies of the busiest rows")

    def __dealloc__(self):
        cdef int m
        for m in range(N_HOT):
            free(self.hot.copy[m])
            free(self.hot.base[m])


cdef inline size_t _take(size_t *used, size_t nbytes) noexcept:
    """Reserve ``nbytes`` of a block, rounded up to whole cache lines; return their offset."""
    cdef size_t at = used[0]
    used[0] += (nbytes + 63) & ~(<size_t>63)
    return at


cdef char *_alloc_work(const Net *net, Work *work, int64_t longest) noexcept:
    """Point a chunk's work buffers into one allocation, each on its own cache lines;
    return the allocation (for one ``free``), or NULL when out of memory."""
    cdef size_t used = 0
    cdef size_t dim = net.dim, slots = 2 * <size_t>net.window, outputs = net.max_outputs
    cdef size_t at_hidden = _take(&used, dim * sizeof(float))
    cdef size_t at_grad = _take(&used, dim * sizeof(float))
    cdef size_t at_sentence = _take(&used, <size_t>(longest + 1) * sizeof(int32_t))
    cdef size_t at_contexts = _take(&used, slots * sizeof(int32_t))
    cdef size_t at_context_grad = _take(&used, slots * dim * sizeof(float))
    cdef size_t at_coeffs = _take(&used, slots * outputs * sizeof(float))
    cdef size_t at_loss_terms = _take(&used, slots * outputs * sizeof(double))
    cdef size_t at_out_rows = _take(&used, outputs * sizeof(float *))
    cdef size_t at_ctx_rows = _take(&used, slots * sizeof(float *))
    cdef size_t at_labels = _take(&used, outputs * sizeof(float))
    cdef size_t at_noise = _take(&used, <size_t>(net.negative + 1) * sizeof(int32_t))
    cdef size_t at_ring_windows = _take(&used, DRAW_RING * sizeof(int32_t))
    cdef size_t at_ring_noise = _take(&used, DRAW_RING * <size_t>net.negative * sizeof(int32_t))
    cdef size_t at_scores = _take(&used, <size_t>(net.vocab_size if net.softmax else 0)
                                  * sizeof(float))
    cdef char *block = <char *>malloc(used + 64)
    cdef char *base
    if block == NULL:
        return NULL
    base = <char *>((<uintptr_t>block + 63) & ~(<uintptr_t>63))
    work.hidden = <float *>(base + at_hidden)
    work.grad = <float *>(base + at_grad)
    work.sentence = <int32_t *>(base + at_sentence)
    work.contexts = <int32_t *>(base + at_contexts)
    work.context_grad = <float *>(base + at_context_grad)
    work.coeffs = <float *>(base + at_coeffs)
    work.loss_terms = <double *>(base + at_loss_terms)
    work.out_rows = <float **>(base + at_out_rows)
    work.ctx_rows = <float **>(base + at_ctx_rows)
    work.labels = <float *>(base + at_labels)
    work.noise = <int32_t *>(base + at_noise)
    work.ring_windows = <int32_t *>(base + at_ring_windows)
    work.ring_noise = <int32_t *>(base + at_ring_noise)
    work.scores = <float *>(base + at_scores) if net.softmax else NULL
    return block


cdef float *_alloc_pair(int64_t n, float **base) noexcept:
    """Two float buffers of ``n`` (copy returned, base stored); NULL both when ``n`` is 0
    and, on failure, a NULL base (the copy freed)."""
    cdef float *copy
    base[0] = NULL
    if n <= 0:
        return NULL
    copy = <float *>malloc(n * sizeof(float))
    if copy != NULL:
        base[0] = <float *>malloc(n * sizeof(float))
        if base[0] == NULL:
            free(copy)
            copy = NULL
    return copy


cdef int64_t _check_chunk(const int32_t[::1] ids, const int64_t[::1] offsets,
                          int64_t lo, int64_t hi, int vocab) except -1:
    """Check a chunk's offsets and word ids; return its longest sentence length."""
    cdef int64_t s, k, longest = 0
    cdef int64_t n_ids = ids.shape[0]
    cdef int bad = 0
    if ((n_ids and (<uintptr_t>&ids[0]) % sizeof(int32_t))
            or (offsets.shape[0] and (<uintptr_t>&offsets[0]) % sizeof(int64_t))):
        raise ValueError("ids and offsets must be aligned arrays (np.require(a, "
                         "requirements='A') copies one that is not)")
    with nogil:
        for s in range(lo, hi):
            if offsets[s] < 0 or offsets[s] > offsets[s + 1] or offsets[s + 1] > n_ids:
                bad = 1
                break
            if offsets[s + 1] - offsets[s] > longest:
                longest = offsets[s + 1] - offsets[s]
            for k in range(offsets[s], offsets[s + 1]):
                if ids[k] < 0 or ids[k] >= vocab:
                    bad = 2
                    break
            if bad:
                break
    if bad == 1:
        raise ValueError(f"sentence offsets are not increasing within 0..{n_ids} at sentence {s}")
    if bad == 2:
        raise ValueError(f"word id {ids[k]} at position {k} is outside the vocabulary "
                         f"(0..{vocab - 1})")
    return longest


def _check_huffman(codes, points, offsets, int vocab):
    if offsets.shape != (vocab + 1,) or offsets[0] != 0 or (np.diff(offsets) < 1).any():
        raise ValueError("code_offsets must be increasing from 0, one more than the vocabulary")
    if codes.shape[0] != offsets[vocab] or points.shape[0] != offsets[vocab]:
        raise ValueError("codes and points must have code_offsets[-1] entries")
    if (codes > 1).any():
        raise ValueError("Huffman codes must be 0 or 1")
    if ((points < 0) | (points >= vocab - 1)).any():
        raise ValueError("Huffman points must index the vocabulary - 1 inner nodes")


def _vector(array, int n, str name, dtype):
    """``array`` as a C-contiguous vector of ``dtype`` and length ``n``, or ValueError."""
    out = np.ascontiguousarray(array, dtype=dtype)
    if out.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {out.shape}")
    return out


ctypedef fused _element:
    double
    int32_t
    int64_t
    uint8_t
    uint64_t


cdef const _element *_first(const _element[::1] a) except? NULL:
    """Address of a contiguous vector's first element (NULL when it is empty)."""
    return &a[0] if a.shape[0] else NULL


cdef object _table_lookup(const double[::1] x, bint exact, bint log_scale):
    """Apply the kernel's sigmoid (or log-sigmoid) to each ``x``."""
    cdef Net net
    net.exact = 1 if exact else 0
    out = np.empty(x.shape[0], dtype=np.float64)
    cdef double[::1] o = out
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        o[i] = _log_sigmoid(&net, <float>x[i]) if log_scale else _sigmoid(&net, <float>x[i])
    return out


def sigmoid_lookup(const double[::1] x, bint exact=False):
    """The kernel's sigmoid of each ``x`` (table or exact, both clipped at +-SIGMOID_CLIP).

    Example
    -------
    >>> sigmoid_lookup(np.array([0.0, 10.0]), exact=True)
    array([0.5, 1. ])
    >>> sigmoid_lookup(np.array([0.0])).round(3)  # the table's bin holding 0 is centred at 0.006
    array([0.502])
    """
    return _table_lookup(x, exact, False)


def log_sigmoid_lookup(const double[::1] x, bint exact=False):
    """The kernel's log-sigmoid of each ``x`` (used for the reported loss).

    Example
    -------
    >>> log_sigmoid_lookup(np.array([-10.0]))
    array([-10.])
    """
    return _table_lookup(x, exact, True)


def alias_pick(Kernel kernel not None, uint64_t r):
    """The noise word ``kernel`` draws from the 64-bit random number ``r`` (for tests): the
    high 32 bits pick a column, the low 32 bits toss its coin.

    Parameters
    ----------
    kernel : a kernel with negative sampling (``negative > 0``).
    r : the random number, 0 <= r < 2**64.

    Example
    -------
    >>> words = np.zeros((2, 4), np.float32)
    >>> kernel = Kernel(words, words.copy(), None, np.ones(2), [0.5, 1.0], [1, 1], None,
    ...                 None, None, sg=1, cbow_mean=1, window=1, negative=1, hs=0,
    ...                 softmax=0, subsample=0)
    >>> alias_pick(kernel, 2**31 - 1), alias_pick(kernel, 2**31)  # column 0, coin 0.5
    (0, 1)
    """
    if kernel.net.negative <= 0:
        raise ValueError("the kernel has no noise distribution (negative=0)")
    return _alias_pick(&kernel.net, r)


def logistic_steps(const float[::1] scores not None, const float[::1] labels not None,
                   float alpha, bint one_by_one=False):
    """The kernel's logistic steps on ``scores`` against ``labels`` repeated (a block of rows
    of scores, each against the same labels, as the batched skip-gram window takes them;
    for tests): ``w2v_logistic_steps`` (16 at a time on AVX-512, 8 on AVX2, else one by
    one), or with ``one_by_one`` ``_logistic_gradient`` per score. Returns the steps
    ``(label - sigmoid(score)) * alpha`` and the summed loss; every way must give the same
    bits.

    Parameters
    ----------
    scores : float32 vector.
    labels : float32 vector, each 1 or 0; score ``k``'s label is ``labels[k % len(labels)]``.
    alpha : the learning rate.
    one_by_one : take each step with the scalar routine.

    Example
    -------
    >>> steps, loss = logistic_steps(np.array([0.0, 7.0, 0.0], np.float32),
    ...                              np.array([1.0, 0.0], np.float32), 0.5)
    >>> [round(v, 3) for v in steps.tolist()], round(loss, 2)  # table bins, clipped at 6
    ([0.249, -0.5, 0.249], 8.38)
    """
    cdef Py_ssize_t n = scores.shape[0], n_lab = labels.shape[0]
    if n_lab == 0:
        raise ValueError("no labels")
    out = np.array(scores, dtype=np.float32)
    terms = np.zeros(n, dtype=np.float64)
    cdef float[::1] c = out
    cdef double[::1] t = terms
    cdef Net net
    cdef double loss = 0.0
    cdef Py_ssize_t k
    memset(&net, 0, sizeof(Net))
    if n == 0:
        return out, loss
    with nogil:
        if not one_by_one and w2v_logistic_steps(&c[0], <int>n, &labels[0], <int>n_lab, alpha,
                                                 SIGMOID_TABLE, LOG_SIGMOID_TABLE, &c[0],
                                                 &t[0]):
            for k in range(n):
                loss -= t[k]
        else:
            for k in range(n):
                c[k] = _logistic_gradient(&net, &loss, c[k], labels[k % n_lab], alpha)
    return out, loss


def dot_rows(const float[::1] x not None, const float[:, ::1] rows not None,
             bint one_by_one=False, const float[::1] y=None):
    """``rows @ x`` as the kernel takes a run of scores (for tests): ``w2v_dot_rows``, which
    takes a few rows at once on the vector paths, or with ``one_by_one`` a ``w2v_dot`` per
    row. With ``y``, the scores of ``x`` and of ``y`` in one pass (``w2v_dot_rows2``, as
    the batched skip-gram step scores two contexts), as rows 0 and 1 of the result. Every
    way must give the bits of one ``w2v_dot`` per row and vector, on every path.

    Parameters
    ----------
    x : float32 vector of the rows' length.
    rows : float32 (n, len(x)), C-contiguous; at most 64 rows.
    one_by_one : score each row with its own ``w2v_dot`` call.
    y : a second float32 vector of the rows' length, or None.

    Example
    -------
    >>> dot_rows(np.ones(3, np.float32), np.arange(6, dtype=np.float32).reshape(2, 3))
    array([ 3., 12.], dtype=float32)
    """
    cdef int n = _row_block_args(rows.shape[0], rows.shape[1], x.shape[0], "x")
    cdef int dim = <int>x.shape[0]
    cdef const float *ptrs[64]
    cdef int r, k, vectors = 1 if y is None else 2
    if y is not None:
        _row_block_args(n, rows.shape[1], y.shape[0], "y")
    out = np.zeros((vectors, n), dtype=np.float32)
    cdef float[:, ::1] o = out
    cdef const float *vecs[2]
    if n == 0 or dim == 0:
        return out[0] if y is None else out
    vecs[0] = &x[0]
    vecs[1] = &y[0] if y is not None else &x[0]
    for r in range(n):
        ptrs[r] = &rows[r, 0]
    with nogil:
        if one_by_one:
            for k in range(vectors):
                for r in range(n):
                    o[k, r] = w2v_dot(vecs[k], ptrs[r], dim)
        elif vectors == 2:
            w2v_dot_rows2(vecs[0], vecs[1], ptrs, n, &o[0, 0], &o[1, 0], dim)
        else:
            w2v_dot_rows(vecs[0], ptrs, n, &o[0, 0], dim)
    return out[0] if y is None else out


def axpy_scatter(const float[::1] c not None, const float[::1] x not None,
                 float[:, ::1] matrix not None, const int32_t[::1] index not None,
                 bint one_by_one=False, float[::1] y=None, bint add=True):
    """``matrix[index[r]] += c[r] * x`` for each ``r`` in order, in place, as the kernel
    steps a run of rows by one vector (for tests): ``w2v_axpy_scatter``, or with
    ``one_by_one`` a ``w2v_axpy`` per row. A row listed twice gets both steps, in order;
    the two must agree bit for bit on every path.

    With ``y``, first also ``y += c[r] * matrix[index[r]]`` for each ``r`` in order, from
    the rows as they were (the kernel's error sum over a run of output rows), in the same
    pass: ``w2v_axpy_rows_scatter``, which takes distinct rows only; ``one_by_one`` does
    it as a ``w2v_axpy`` per row into ``y``, then the steps. With ``add=False``, ``y``
    becomes that sum (its old contents unread; ``one_by_one`` zeroes it first).

    Parameters
    ----------
    c : float32 coefficient per listed row.
    x : float32 vector of the rows' length (not a row of ``matrix``).
    matrix : float32 (rows, len(x)), C-contiguous, changed in place.
    index : int32 rows of ``matrix`` (at most 64), each in range; distinct when ``y`` is
        given.
    y : float32 vector of the rows' length (not a row of ``matrix``), changed in place.
    add : add the sum to ``y`` (else set ``y`` to it).

    Example
    -------
    >>> m = np.zeros((2, 2), np.float32)
    >>> axpy_scatter(np.array([1, 2], np.float32), np.ones(2, np.float32), m,
    ...              np.array([1, 1], np.int32))
    >>> m
    array([[0., 0.],
           [3., 3.]], dtype=float32)
    >>> y = np.zeros(2, np.float32)
    >>> axpy_scatter(np.array([2], np.float32), np.ones(2, np.float32), m,
    ...              np.array([1], np.int32), y=y)
    >>> y, m[1]
    (array([6., 6.], dtype=float32), array([5., 5.], dtype=float32))
    """
    cdef int n = _row_block_args(index.shape[0], matrix.shape[1], x.shape[0], "x")
    cdef float *ptrs[64]
    cdef int r, dim = <int>x.shape[0]
    if c.shape[0] != n:
        raise ValueError(f"c has {c.shape[0]} coefficients for {n} rows")
    for r in range(n):
        if not 0 <= index[r] < matrix.shape[0]:
            raise ValueError(f"index[{r}] = {index[r]} is outside the matrix's "
                             f"{matrix.shape[0]} rows")
    if y is not None:
        _row_block_args(n, matrix.shape[1], y.shape[0], "y")
        if len(set(index)) != n:
            raise ValueError("with y, the rows must be distinct")
    if n == 0 or dim == 0:
        if y is not None and not add:
            y[:] = 0  # the sum of no rows
        return
    for r in range(n):
        ptrs[r] = &matrix[index[r], 0]
    with nogil:
        if y is not None and not one_by_one:
            w2v_axpy_rows_scatter(&c[0], 1, &x[0], ptrs, n, &y[0], dim, add)
        elif one_by_one:
            if y is not None:
                if not add:
                    w2v_zero(&y[0], dim)
                for r in range(n):
                    w2v_axpy(c[r], ptrs[r], &y[0], dim)
            for r in range(n):
                w2v_axpy(c[r], &x[0], ptrs[r], dim)
        else:
            w2v_axpy_scatter(&c[0], 1, &x[0], ptrs, n, dim)


cdef int _row_block_args(Py_ssize_t n, Py_ssize_t width, Py_ssize_t length,
                         str name) except -1:
    if n > 64:
        raise ValueError(f"at most 64 rows at once, got {n}")
    if width != length:
        raise ValueError(f"the rows hold {width} floats but {name} has {length}")
    return <int>n


def row_deltas(const float[:, ::1] before not None, const float[:, ::1] after not None):
    """The rows of ``after`` whose bits differ from ``before``'s, and ``after - before``
    on those rows: what a replica changed in a round of distributed training. One pass
    without the GIL finds the rows, a second computes their deltas.

    Returns
    -------
    (rows, deltas) : int32 row indices, ascending; float32 (len(rows), columns).

    Example
    -------
    >>> before = np.zeros((3, 2), np.float32); after = before.copy(); after[1, 0] = 0.5
    >>> row_deltas(before, after)
    (array([1], dtype=int32), array([[0.5, 0. ]], dtype=float32))
    """
    if before.shape[0] != after.shape[0] or before.shape[1] != after.shape[1]:
        raise ValueError(f"before ({before.shape[0]}, {before.shape[1]}) and after "
                         f"({after.shape[0]}, {after.shape[1]}) must have the same shape")
    if before.shape[0] >= 2**31:
        raise ValueError(f"{before.shape[0]} rows do not fit int32 row indices")
    cdef Py_ssize_t n = after.shape[0], d = after.shape[1], i, j, k = 0
    changed = np.zeros(n, dtype=np.uint8)
    cdef uint8_t[::1] mark = changed
    if d > 0:
        with nogil:
            for i in range(n):
                if memcmp(&before[i, 0], &after[i, 0], <size_t>d * sizeof(float)) != 0:
                    mark[i] = 1
                    k += 1
    rows = np.empty(k, dtype=np.int32)
    deltas = np.empty((k, d), dtype=np.float32)
    cdef int32_t[::1] r = rows
    cdef float[:, ::1] out = deltas
    k = 0
    with nogil:
        for i in range(n):
            if mark[i]:
                r[k] = <int32_t>i
                for j in range(d):
                    out[k, j] = after[i, j] - before[i, j]
                k += 1
    return rows, deltas
