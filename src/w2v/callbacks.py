"""``w2v.callbacks``, kept so that code written against the first layout keeps working: the code
lives in :mod:`w2v.train.callbacks`, whose public names this module re-exports."""

from .train.callbacks import *  # noqa: F403
from .train.callbacks import __all__  # noqa: F401
