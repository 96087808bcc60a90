"""Drop-in layers for code written against other word2vec libraries.

:mod:`w2v.compat.gensim` gives gensim 4's ``Word2Vec``, ``KeyedVectors``, corpus readers
and callback base class on w2v's training core: a gensim script switches by changing its
import line.
"""
