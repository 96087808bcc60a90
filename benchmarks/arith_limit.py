"""The arithmetic a word2vec run costs per raw corpus word, and the speed the machine's
floating-point units would allow (issue 21's "limit").

Counted as the kernel computes (one fused multiply-add = 2 FLOP), with ``d = vector_size``:

* every training example touches ``O`` output rows: ``1 + negative`` with negative
  sampling, plus the mean Huffman code length with hierarchical softmax (the code lengths
  weighted by how often each word is a target after subsampling);
* each output row costs 3 vector operations of ``2 d`` FLOP: the score (a dot product), the
  gradient into the hidden error and the output row's own update (two axpys);
* a kept centre word has on average ``C = 2 * (window + 1) / 2 = window + 1`` context words
  (the reduced window is drawn uniformly in ``1 .. window`` on each side; sentence ends
  ignored);
* skip-gram trains one example per (centre, context) pair: ``C * O * 6 d`` per kept word;
  CBOW one example per centre, plus summing the ``C`` context rows and adding the error back
  to each: ``O * 6 d + 2 C d``;
* only a fraction of the raw words survive subsampling and ``min_count``:
  ``kept = sum(count * keep_probability) / raw corpus words``.

With the benchmark settings on wiki17m this gives about 15.9 kFLOP per raw word for
skip-gram with negative sampling, as the issue computed by hand.

The peak is ``--peak-gflops`` (default 166: the project's 2-core AMD EPYC Zen 4 machines,
2 FMA pipes of 8 float32 lanes at about 2.6 GHz, 2 x 2 x 8 x 2 x 2.6); give your machine's.
"""

from __future__ import annotations

import numpy as np

PEAK_GFLOPS = 166.0


def flop_per_word(counts: np.ndarray, keep: np.ndarray, corpus_words: int, *, sg: int, hs: int,
                  negative: int, vector_size: int, window: int) -> dict:
    """FLOP per raw corpus word of one epoch, with the terms it is made of.

    Parameters
    ----------
    counts : the vocabulary's counts, most frequent first (``Vocabulary.counts``).
    keep : each word's probability of surviving subsampling (``keep_probabilities``).
    corpus_words : raw tokens of the corpus, those under ``min_count`` included.
    sg, hs, negative, vector_size, window : the training settings.

    Example
    -------
    >>> out = flop_per_word(np.array([4, 4]), np.array([1.0, 1.0]), 8, sg=1, hs=0,
    ...                     negative=5, vector_size=100, window=5)
    >>> out["outputs"], out["contexts"], out["flop_per_word"]
    (6.0, 6.0, 21600.0)
    """
    counts = np.asarray(counts, dtype=np.float64)
    targets = counts * np.asarray(keep, dtype=np.float64)
    kept_fraction = float(targets.sum() / corpus_words)
    outputs = float(1 + negative) if negative > 0 else 0.0
    code_length = 0.0
    if hs:
        from w2v.train.huffman import build_huffman

        lengths = np.diff(build_huffman(counts.astype(np.int64)).offsets).astype(np.float64)
        code_length = float((lengths * targets).sum() / targets.sum())
        outputs += code_length
    contexts = float(window + 1)
    per_output = 6.0 * vector_size
    if sg:
        per_kept = contexts * outputs * per_output
    else:
        per_kept = outputs * per_output + 2.0 * contexts * vector_size
    return {"kept_fraction": kept_fraction, "outputs": outputs, "code_length": code_length,
            "contexts": contexts, "flop_per_kept_word": per_kept,
            "flop_per_word": per_kept * kept_fraction}


def limit_words_per_s(flop: float, peak_gflops: float = PEAK_GFLOPS) -> float:
    """Raw corpus words per second at the machine's peak.

    Example
    -------
    >>> round(limit_words_per_s(16_600.0, 166.0))
    10000000
    """
    return peak_gflops * 1e9 / flop
