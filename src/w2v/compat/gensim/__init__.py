"""gensim 4's word2vec API on w2v's training core: change one import line.

``from gensim.models import Word2Vec`` becomes ``from w2v.compat.gensim import Word2Vec``
(and likewise ``KeyedVectors``, ``LineSentence``, ``Text8Corpus``, ``PathLineSentences``,
``CallbackAny2Vec``). gensim itself is never imported. Models save in w2v's own format
(no pickle); a gensim pickle file is refused with the way to convert it.

Example
-------
>>> from w2v.compat.gensim import Word2Vec
>>> model = Word2Vec([["a", "b", "c"]] * 20, vector_size=8, min_count=1, workers=1)
>>> model.corpus_count, len(model.wv)
(20, 3)
"""

from .callbacks import CallbackAny2Vec
from .corpora import LineSentence, PathLineSentences, Text8Corpus
from .keyedvectors import REAL, KeyedVectors
from .model import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Word2Vec

__all__ = ["REAL", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "CallbackAny2Vec",
           "KeyedVectors", "LineSentence", "PathLineSentences", "Text8Corpus", "Word2Vec"]
