"""The data layer: reading corpora (paths, compressed files, folders, token lists), counting
the vocabulary, and encoding a corpus into the int32 ids the training threads share. The
compiled tokenizer behind path corpora is ``w2v._scan``; paths that can be read only once
(pipes, ``/dev/stdin``) are kept by :mod:`w2v.data.streams`.

Example
-------
>>> from w2v.data import Vocabulary
>>> Vocabulary.build([["a", "b", "a"]], min_count=1).index_to_key
['a', 'b']
"""

from .corpus import PathCorpus, as_corpus
from .encoding import EncodedCorpus, encode_corpus
from .vocab import Vocabulary

__all__ = ["EncodedCorpus", "PathCorpus", "Vocabulary", "as_corpus", "encode_corpus"]
