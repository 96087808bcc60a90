"""``w2v.evaluate``, kept so that code written against the first layout keeps working: the code
lives in :mod:`w2v.vectors.evaluate`, whose public names this module re-exports."""

from .vectors.evaluate import *  # noqa: F403
from .vectors.evaluate import __all__  # noqa: F401
