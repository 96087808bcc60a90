"""``w2v.plot``, kept so that code written against the first layout keeps working: the code
lives in :mod:`w2v.vectors.plot`, whose public names this module re-exports."""

from .vectors.plot import *  # noqa: F403
from .vectors.plot import __all__  # noqa: F401
