"""Word vectors straight into a spaCy pipeline (needs the optional extra ``spacy``).

:func:`add_to_pipeline` fills ``nlp.vocab.vectors`` with a ``spacy.vectors.Vectors`` table
built from the matrix and the words, so that ``token.vector``, ``token.has_vector`` and
``doc.similarity`` use them; no file and no ``spacy init vectors`` run is needed. To go
through spaCy's command line instead, ``w2v export VECTORS --to spacy OUT/`` writes the
file ``spacy init vectors`` reads.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..vectors.keyedvectors import KeyedVectors

__all__ = ["SPACY_HINT", "add_to_pipeline"]

#: What to install when spaCy is missing.
SPACY_HINT = 'spaCy is needed for add_to_pipeline(); install it with pip install "w2v[spacy]"'


def add_to_pipeline(nlp: Any, wv: KeyedVectors, name: str | None = None) -> Any:
    """Replace the vectors of the spaCy pipeline ``nlp`` with ``wv``; returns ``nlp``.

    Parameters
    ----------
    nlp : a ``spacy.language.Language`` (e.g. ``spacy.blank("en")``).
    wv : the vectors; each word becomes a key of spaCy's table (its ``ORTH``, so lookups
        are case-sensitive as in w2v) and is added to the vocabulary.
    name : the table's name (spaCy's ``vectors.name``); by default ``w2v``.

    ``ImportError`` naming the ``spacy`` extra when spaCy is not installed.

    Example
    -------
    >>> import spacy
    >>> nlp = add_to_pipeline(spacy.blank("en"), model.wv)
    >>> doc = nlp("the king")
    >>> bool((doc[1].vector == model.wv["king"]).all()), doc[1].has_vector
    (True, True)
    """
    try:
        from spacy.vectors import Vectors
    except ImportError as error:
        raise ImportError(f"{SPACY_HINT} ({error})") from error
    data = np.array(wv.vectors, dtype=np.float32, copy=True)
    vocab = nlp.vocab  # spaCy's Vocab (not a w2v model's vocabulary)
    keys = [vocab.strings.add(word) for word in wv.index_to_key]
    vocab.vectors = Vectors(strings=vocab.strings, data=data, keys=keys, name=name or "w2v")
    for word in wv.index_to_key:  # the lexemes, so that the vocabulary lists the words
        vocab[word]
    return nlp
