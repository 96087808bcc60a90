"""A built-in demonstration: train on a small generated corpus, no download needed."""

from __future__ import annotations

import time

import numpy as np

from ..model import Word2Vec

__all__ = ["TOY_CORPUS", "demo_corpus", "nearest_outside", "run_demo", "topic_of", "toy_demo"]

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
#: Subjects that share one taste in verbs and objects (the seed's two films).
SAME_TASTE = {"troll2": "gymkata"}


def demo_corpus(sentences: int = 4000, seed: int = 0) -> list[list[str]]:
    """Generate sentences like ``the queen rules the realm``: words of a topic share contexts.

    Each subject has its own taste: how often it takes each verb and object of its topic
    (random weights, the same for the subjects in ``SAME_TASTE``). So the words of a topic
    come out close but not identical, and a word's neighbours are graded; with one shared
    taste per topic they would collapse onto one vector.

    Parameters
    ----------
    sentences : how many sentences to generate.
    seed : random seed.

    Example
    -------
    >>> demo_corpus(2, seed=1)[0][:2]
    ['the', 'casablanca']
    """
    rng = np.random.default_rng(seed)
    topics = list(TOPICS.values())
    taste = {}
    for subjects, verbs, objects in topics:
        for subject in subjects:
            taste[subject] = (rng.dirichlet(np.ones(len(verbs))),
                              rng.dirichlet(np.ones(len(objects))))
    for subject, twin in SAME_TASTE.items():
        taste[subject] = taste[twin]
    corpus = []
    for _ in range(sentences):
        subjects, verbs, objects = topics[rng.integers(len(topics))]
        subject = subjects[rng.integers(len(subjects))]
        verb_weights, object_weights = taste[subject]
        sentence = ["the", subject, verbs[rng.choice(len(verbs), p=verb_weights)]]
        if rng.random() < 0.3:
            sentence.append(FILLERS[rng.integers(len(FILLERS))])
        sentence += ["the", objects[rng.choice(len(objects), p=object_weights)]]
        corpus.append(sentence)
    return corpus


def topic_of(word: str) -> str | None:
    """The topic of a word of :func:`demo_corpus` (None for fillers).

    Example
    -------
    >>> topic_of("queen"), topic_of("the")
    ('royalty', None)
    """
    for name, parts in TOPICS.items():
        if any(word in part for part in parts):
            return name
    return None


def nearest_outside(vectors, word: str) -> tuple[str, float]:
    """The word of another topic most similar to ``word``, and its cosine similarity.

    Parameters
    ----------
    vectors : trained vectors (``model.wv``) of :func:`demo_corpus`.
    word : a topic word.

    Example
    -------
    >>> model = Word2Vec(demo_corpus(500), min_count=1, epochs=1, seed=1,
    ...                  progress=False).train()
    >>> topic_of(nearest_outside(model.wv, "king")[0]) != "royalty"
    True
    """
    own = topic_of(word)
    others = [w for w in vectors.index_to_key if topic_of(w) not in (None, own)]
    scores = [float(vectors.similarity(word, other)) for other in others]
    best = int(np.argmax(scores))
    return others[best], scores[best]


#: The seed's toy corpus: two films that share their contexts.
TOY_CORPUS = [["Troll 2", "is", "great"], ["Gymkata", "is", "great"]]


def toy_demo(picture: str | None = None, print_fn=print) -> Word2Vec:
    """Train 2-D vectors on "Troll 2 is great" and "Gymkata is great", print the word
    predicted after "is", and draw the words before and after training side by side.

    Parameters
    ----------
    picture : where to write the PNG (None: no picture; needs ``w2v[plot]``).
    print_fn : where the report goes.

    Example
    -------
    >>> model = toy_demo(print_fn=lambda *a: None)
    >>> model.predict_next("is", topn=1)[0][0]
    'great'
    """
    model = Word2Vec(TOY_CORPUS * 50, vector_size=2, window=2, min_count=1, sg=1,
                     loss="softmax", sample=0, epochs=50, workers=1, seed=1, progress=False)
    words = list(model.wv.index_to_key)
    before = model.wv.vectors.copy()  # the rows of `words`, untrained: no warning
    model.train()
    after = model.wv[words]
    films = np.linalg.norm(model.wv["Troll 2"] - model.wv["Gymkata"])
    films_before = np.linalg.norm(before[words.index("Troll 2")] - before[words.index("Gymkata")])
    print_fn('toy corpus: "Troll 2 is great!" and "Gymkata is great!" (2-D vectors, softmax)')
    guesses = ", ".join(f"{w} {p:.2f}" for w, p in model.predict_next("is", topn=2))
    print_fn(f'  next word after "is": {guesses}')
    print_fn(f'  distance "Troll 2" - "Gymkata": {films:.2f} after training '
             f"(was {films_before:.2f})")
    if picture is not None:
        try:
            from ..vectors.plot import compare_words

            compare_words({"before training": before, "after training": after}, words,
                          path=picture)
            print_fn(f"  picture of the words before and after training: {picture}")
        except ImportError as error:
            print_fn(f"  (no picture: {error})")
    return model


def run_demo(workers: int | None = None, picture: str | None = "w2v-demo.png",
             print_fn=print) -> Word2Vec:
    """The toy demo (:func:`toy_demo`), then skip-gram on :func:`demo_corpus`, printing
    what the vectors learnt.

    Parameters
    ----------
    workers : training threads for the second part (default: all cores).
    picture : where the toy demo writes its picture (None: none).
    print_fn : where the report goes.

    Example
    -------
    >>> model = run_demo(picture=None, print_fn=lambda *a: None)
    >>> model.wv.most_similar("king", topn=1)[0][0] in TOPICS["royalty"][0]
    True
    """
    toy_demo(picture, print_fn)
    corpus = demo_corpus()
    started = time.perf_counter()
    model = Word2Vec(corpus, vector_size=32, window=3, min_count=1, sg=1, negative=5,
                     sample=0, epochs=15, workers=workers, seed=1, progress=False).train()
    elapsed = time.perf_counter() - started
    words = sum(map(len, corpus))
    print_fn(f"planted topics: {len(model.wv)} words, {words} tokens, skip-gram, 15 epochs "
             f"in {elapsed:.2f}s ({words * 15 / elapsed:,.0f} words/s)")
    print_fn("loss per epoch: " + " ".join(f"{x:.3f}" for x in model.loss_history))
    print_fn("nearest words (cosine), then the nearest word of another topic:")
    for word in ("king", "cat", "truck", "gymkata", "castle"):
        neighbours = ", ".join(f"{w} {s:.2f}" for w, s in model.wv.most_similar(word, topn=4))
        other, score = nearest_outside(model.wv, word)
        print_fn(f"  {word:>8} -> {neighbours}  | other topics: {other} {score:.2f}")
    return model
