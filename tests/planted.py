"""A generated corpus with planted structure: clusters of words that share contexts."""

from __future__ import annotations

import numpy as np

CLUSTERS = 4
CLUSTER_SIZE = 8
FUNCTION_WORDS = ["the", "of", "and", "a"]


def cluster_words() -> list[list[str]]:
    return [[f"c{c}w{i}" for i in range(CLUSTER_SIZE)] for c in range(CLUSTERS)]


def planted_corpus(sentences: int = 1500, length: int = 12, seed: int = 0) -> list[list[str]]:
    """Each sentence draws its words from one cluster, with a few shared function words."""
    rng = np.random.default_rng(seed)
    clusters = cluster_words()
    corpus = []
    for _ in range(sentences):
        words = clusters[rng.integers(CLUSTERS)]
        sentence = [
            FUNCTION_WORDS[rng.integers(len(FUNCTION_WORDS))] if rng.random() < 0.25
            else words[rng.integers(CLUSTER_SIZE)]
            for _ in range(length)
        ]
        corpus.append(sentence)
    return corpus


def shuffled(corpus: list[list[str]], seed: int = 1) -> list[list[str]]:
    """The same tokens in random order: no word keeps its contexts."""
    rng = np.random.default_rng(seed)
    tokens = np.array([w for s in corpus for w in s])
    rng.shuffle(tokens)
    length = len(corpus[0])
    return [tokens[i : i + length].tolist() for i in range(0, len(tokens), length)]


def cluster_purity(wv) -> float:
    """Mean share of each cluster word's nearest neighbours that are in its own cluster."""
    scores = []
    for words in cluster_words():
        own = set(words)
        for word in words:
            neighbours = [w for w, _ in wv.most_similar(word, topn=CLUSTER_SIZE - 1)]
            scores.append(sum(n in own for n in neighbours) / len(neighbours))
    return float(np.mean(scores))


def full_softmax_loss(model, corpus: list[list[str]]) -> float:
    """Mean cross-entropy of a frozen softmax model over every pair of the corpus (numpy)."""
    index = model.wv.key_to_index
    vectors = model.wv.vectors.astype(np.float64)
    output = model.syn1neg.astype(np.float64)
    window = model.window
    total, pairs = 0.0, 0
    for sentence in corpus:
        ids = [index[w] for w in sentence]
        for i, centre in enumerate(ids):
            context = [ids[j] for j in range(max(0, i - window), min(len(ids), i + window + 1))
                       if j != i]
            if model.sg:
                scores = vectors[context] @ output.T
                targets = [centre] * len(context)
            else:
                scores = (vectors[context].mean(axis=0) @ output.T)[None, :]
                targets = [centre]
            scores -= scores.max(axis=1, keepdims=True)
            log_z = np.log(np.exp(scores).sum(axis=1))
            total += float((log_z - scores[np.arange(len(targets)), targets]).sum())
            pairs += len(targets)
    return total / pairs
