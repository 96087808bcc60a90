"""An independent, deliberately plain numpy/Python implementation of word2vec training.

It follows the conventions documented in ``w2v/_core.pyx`` (the order of random
draws, the C tool's update order) in float64, one loop at a time, so the tests can
check the compiled kernel against it on the same inputs and the same random draws.
"""

from __future__ import annotations

import math

import numpy as np

MASK64 = (1 << 64) - 1
CLIP = 6.0
NOISE_GAP = 8  # batched training: positions between two that share noise words
NOISE_GROUP = 4  # batched training: positions sharing one draw of noise words


class XorShift64Star:
    """The kernel's generator, in Python integers."""

    def __init__(self, state: int) -> None:
        self.state = state

    def next(self) -> int:
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & MASK64
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & MASK64


def below(r: int, n: int) -> int:
    return ((r >> 32) * n) >> 32


def uniform(r: int) -> float:
    return (r >> 11) * 2.0**-53


def uniform_low(r: int) -> float:
    return (r & 0xFFFFFFFF) * 2.0**-32


def sigmoid(f: float) -> float:
    if f >= CLIP:
        return 1.0
    if f <= -CLIP:
        return 0.0
    return 1.0 / (1.0 + math.exp(-f))


def log_sigmoid(f: float) -> float:
    if f >= CLIP:
        return 0.0
    if f <= -CLIP:
        return f
    return -math.log1p(math.exp(-f))


class ReferenceNet:
    """Weights (float64 copies) and tables of a small model."""

    def __init__(self, vectors, out_words, out_nodes, keep_prob, alias_prob, alias_index,
                 codes, points, code_offsets, *, sg, cbow_mean, window, negative, hs,
                 softmax, subsample, batch=False):
        self.input = np.array(vectors, dtype=np.float64)
        self.out_words = None if out_words is None else np.array(out_words, dtype=np.float64)
        self.out_nodes = None if out_nodes is None else np.array(out_nodes, dtype=np.float64)
        self.keep_prob = keep_prob
        self.alias_prob = alias_prob
        self.alias_index = alias_index
        self.codes, self.points, self.code_offsets = codes, points, code_offsets
        self.sg, self.cbow_mean, self.window = sg, cbow_mean, window
        self.negative, self.hs, self.softmax, self.subsample = negative, hs, softmax, subsample
        # shared noise words: groups of positions with negative sampling (skip-gram's also
        # by window: negative sampling alone)
        self.batch = bool(batch and negative and not softmax and (not sg or not hs))
        self.loss = 0.0
        self.examples = 0

    # -- one objective at a time -------------------------------------------------
    def logistic(self, h, out, row, label, alpha, grad, skip_saturated=False):
        f = float(h @ out[row])
        self.loss -= log_sigmoid(f if label else -f)
        if skip_saturated and abs(f) >= CLIP:  # the loss counts, the weights stay
            return
        g = (label - sigmoid(f)) * alpha
        grad += g * out[row]
        out[row] += g * h

    def hs_update(self, h, target, alpha, grad):
        for k in range(self.code_offsets[target], self.code_offsets[target + 1]):
            self.logistic(h, self.out_nodes, self.points[k], 1 - int(self.codes[k]), alpha, grad,
                          skip_saturated=True)

    def draw_noise(self, rng):
        """``negative`` noise words by the alias method, one random number each."""
        words = []
        for _ in range(self.negative):
            r = rng.next()
            column = below(r, len(self.input))
            words.append(int(column if uniform_low(r) < self.alias_prob[column]
                             else self.alias_index[column]))
        return words

    def ns_update(self, h, target, alpha, grad, noise):
        self.logistic(h, self.out_words, target, 1, alpha, grad)
        for word in noise:
            if word != target:
                self.logistic(h, self.out_words, word, 0, alpha, grad)

    def softmax_update(self, h, target, alpha, grad):
        scores = self.out_words @ h
        p = np.exp(scores - scores.max())
        p /= p.sum()
        self.loss -= math.log(p[target])
        g = -p * alpha
        g[target] += alpha
        grad += g @ self.out_words
        self.out_words += np.outer(g, h)

    def example(self, h, target, alpha, rng, noise=None):
        """One example; ``noise``: its noise words when drawn already (batched CBOW)."""
        h = h.copy()  # the input is unchanged while the output layer learns
        grad = np.zeros_like(h)
        if self.hs:
            self.hs_update(h, target, alpha, grad)
        if self.negative:
            self.ns_update(h, target, alpha, grad,
                           self.draw_noise(rng) if noise is None else noise)
        if self.softmax:
            self.softmax_update(h, target, alpha, grad)
        self.examples += 1
        return grad

    # -- skip-gram windows as one batched update (HogBatch) ----------------------------
    def batch_logistic(self, x, out, rows, labels, alpha):
        """All contexts against all output rows in matrix form; returns the inputs' error."""
        y = out[rows]  # copies: every score and gradient uses the weights from before
        scores = x @ y.T
        labels = np.asarray(labels, dtype=np.float64)[None, :]
        sig = np.vectorize(sigmoid)(scores)
        self.loss -= float(np.sum(np.where(labels > 0, np.vectorize(log_sigmoid)(scores),
                                           np.vectorize(log_sigmoid)(-scores))))
        g = (labels - sig) * alpha
        np.add.at(out, rows, g.T @ x)
        return g @ y

    def batch_window(self, contexts, target, alpha, noise):
        x = self.input[contexts].copy()
        rows, labels = [target], [1]
        for word in noise:
            if word != target:
                rows.append(word)
                labels.append(0)
        np.add.at(self.input, contexts, self.batch_logistic(x, self.out_words, rows, labels, alpha))
        self.examples += len(contexts)

    # -- sentences -----------------------------------------------------------------
    def sentence(self, words, alpha, rng):
        n = len(words)
        drawn = {}  # batched training: each position's noise words
        for i in range(n):
            w = self.window - below(rng.next(), self.window)
            context = [j for j in range(max(0, i - w), min(n, i + w + 1)) if j != i]
            noise = None
            if self.batch and context:  # groups of NOISE_GROUP positions NOISE_GAP apart
                later = (i // NOISE_GAP) % NOISE_GROUP != 0  # share one draw
                noise = drawn[i - NOISE_GAP] if later else self.draw_noise(rng)
                drawn[i] = noise
            if self.sg and self.batch:
                if context:
                    self.batch_window([words[j] for j in context], words[i], alpha, noise)
            elif self.sg:
                for j in context:
                    self.input[words[j]] += self.example(self.input[words[j]], words[i], alpha, rng)
            elif context:
                hidden = sum(self.input[words[j]] for j in context)
                if self.cbow_mean:
                    hidden = hidden / len(context)
                grad = self.example(hidden, words[i], alpha, rng, noise)
                for j in context:
                    self.input[words[j]] += grad

    def train_chunk(self, ids, offsets, lo, hi, rng_state, done_before, total_words,
                    start_alpha, min_alpha):
        rng = XorShift64Star(rng_state)
        done = done_before
        for s in range(lo, hi):
            alpha = max(min_alpha, start_alpha - (start_alpha - min_alpha) * (done / total_words))
            alpha = float(np.float32(alpha))
            words = []
            for word in ids[offsets[s]:offsets[s + 1]]:
                if self.subsample and self.keep_prob[word] < 1.0:
                    if uniform(rng.next()) >= self.keep_prob[word]:
                        continue
                words.append(int(word))
            done += offsets[s + 1] - offsets[s]
            self.sentence(words, alpha, rng)
        return self.loss, self.examples
