"""``python -m w2v``: the ``w2v`` command line (see :mod:`w2v.cli`)."""

import sys

from .cli.main import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
