"""A built-in demonstration: train on a small generated corpus, no download needed."""

from __future__ import annotations

import time

import numpy as np

from .model import Word2Vec

__all__ = ["demo_corpus", "run_demo"]

#: Topics of the generated corpus: subjects, verbs and objects that occur together.
TOPICS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "royalty": (["king", "queen", "prince", "princess", "monarch"],
                ["rules", "governs", "guards"], ["kingdom", "realm", "castle", "throne"]),
    "animals": (["cat", "dog", "mouse", "rabbit", "horse"],
                ["eats", "chases", "sniffs"], ["cheese", "grass", "bone", "carrot"]),
    "vehicles": (["car", "truck", "bus", "bicycle", "tram"],
                 ["drives", "travels", "parks"], ["road", "street", "highway", "garage"]),
    "films": (["troll2", "gymkata", "casablanca", "vertigo", "metropolis"],
              ["is", "seems", "remains"], ["great", "awesome", "classic", "memorable"]),
}
FILLERS = ["the", "a", "today", "often", "quietly"]


def demo_corpus(sentences: int = 4000, seed: int = 0) -> list[list[str]]:
    """Generate sentences like ``the queen rules the realm``: words of a topic share contexts.

    Parameters
    ----------
    sentences : how many sentences to generate.
    seed : random seed.

    Example
    -------
    >>> demo_corpus(2, seed=1)[0][:2]
    ['the', 'dog']
    """
    rng = np.random.default_rng(seed)
    topics = list(TOPICS.values())
    corpus = []
    for _ in range(sentences):
        subjects, verbs, objects = topics[rng.integers(len(topics))]
        sentence = ["the", subjects[rng.integers(len(subjects))],
                    verbs[rng.integers(len(verbs))]]
        if rng.random() < 0.3:
            sentence.append(FILLERS[rng.integers(len(FILLERS))])
        sentence += ["the", objects[rng.integers(len(objects))]]
        corpus.append(sentence)
    return corpus


def run_demo(workers: int | None = None, print_fn=print) -> Word2Vec:
    """Train skip-gram on :func:`demo_corpus` and print what the vectors learnt.

    Parameters
    ----------
    workers : training threads (default: all cores).
    print_fn : where the report goes.

    Example
    -------
    >>> model = run_demo(print_fn=lambda *a: None)
    >>> model.wv.most_similar("king", topn=1)[0][0] in TOPICS["royalty"][0]
    True
    """
    corpus = demo_corpus()
    started = time.perf_counter()
    model = Word2Vec(corpus, vector_size=32, window=3, min_count=1, sg=1, negative=5,
                     sample=0, epochs=15, workers=workers, seed=1).train()
    elapsed = time.perf_counter() - started
    words = sum(map(len, corpus))
    print_fn(f"w2v demo: {len(model.wv)} words, {words} tokens, skip-gram, 15 epochs "
             f"in {elapsed:.2f}s ({words * 15 / elapsed:,.0f} words/s)")
    print_fn("loss per epoch: " + " ".join(f"{x:.3f}" for x in model.loss_history))
    for word in ("king", "cat", "truck", "gymkata", "castle"):
        neighbours = ", ".join(f"{w} {s:.2f}" for w, s in model.wv.most_similar(word, topn=4))
        print_fn(f"  {word:>8} -> {neighbours}")
    return model
