"""Refusing the files gensim's ``save()`` writes (pickles) with a message that says how to
convert them. Nothing here unpickles: the first two bytes identify the format."""

from __future__ import annotations

import os

#: What a file written by gensim's ``save()`` starts with (pickle protocols 2 to 5).
SAVE_STARTS = tuple(bytes([0x80, protocol]) for protocol in range(2, 6))


def refuse_gensim_save(path: str | os.PathLike) -> None:
    """ValueError if ``path`` is a pickle (what gensim's ``save()`` writes): w2v never
    unpickles, since loading a pickle can run any code. Anything else passes.

    Example
    -------
    >>> import pickle
    >>> _ = open("old.model", "wb").write(pickle.dumps({"gensim": 4}))
    >>> refuse_gensim_save("old.model")
    Traceback (most recent call last):
    ...
    ValueError: old.model is a pickle file (gensim's save() format)...save_word2vec_format...
    """
    if not os.path.isfile(path):
        return
    with open(path, "rb") as handle:
        start = handle.read(2)
    if start in SAVE_STARTS:
        raise ValueError(
            f"{os.fspath(path)} is a pickle file (gensim's save() format), which w2v does not "
            "load because unpickling can run arbitrary code. Convert it with gensim: "
            "model = gensim.models.Word2Vec.load(path); "
            "model.wv.save_word2vec_format('vectors.bin', binary=True); then load that with "
            "KeyedVectors.load_word2vec_format('vectors.bin', binary=True)")
