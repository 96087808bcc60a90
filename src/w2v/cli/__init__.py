"""The ``w2v`` command (``main``) and the built-in demo (``w2v demo``).

Example
-------
>>> from w2v.cli import main
>>> main(["--version"]) == 0  # doctest: +ELLIPSIS
w2v ...
True
"""

from .main import main

__all__ = ["main"]
