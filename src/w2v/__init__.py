"""w2v: fast, safe word2vec for Python.

Example
-------
>>> from w2v import Word2Vec
>>> model = Word2Vec([["hello", "world"]] * 10, min_count=1, workers=1).train()
>>> "hello" in model.wv
True
"""

try:
    from . import _core  # noqa: F401  (the compiled training kernels)
except ImportError as error:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "w2v's compiled core (w2v._core) could not be imported, so w2v cannot train. "
        "Install a prebuilt wheel with `pip install w2v`, or build from source with a C "
        "compiler: `pip install .` in the source tree. There is no pure-Python fallback. "
        f"Cause: {error}"
    ) from error

from ._util.memory import InsufficientMemoryError
from ._util.validation import InvalidParameterError
from ._version import __version__
from .data.corpus import PathCorpus, as_corpus
from .data.phrases import FrozenPhrases, Phrases
from .data.vocab import Vocabulary
from .loading import load_vectors
from .model import Word2Vec, resume
from .train.params import TrainingParams
from .vectors.keyedvectors import KeyedVectors

__all__ = ["FrozenPhrases", "InsufficientMemoryError", "InvalidParameterError", "KeyedVectors",
           "PathCorpus", "Phrases", "TrainingParams", "Vocabulary", "Word2Vec", "__version__",
           "as_corpus", "load_vectors", "resume"]
