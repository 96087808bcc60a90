"""File formats that know nothing of w2v's classes: the native archive (a folder or zip of
``.npy`` arrays plus JSON, read without pickle), its checked fields, and the word2vec C
tool's text and binary formats. The components that save themselves (``KeyedVectors``, a
model's state) are built on these.

Example
-------
>>> import numpy as np
>>> from w2v.io import read_archive, write_archive
>>> write_archive("demo.zip", "demo", {"x": np.arange(3)}, {"note": "hi"})
>>> read_archive("demo.zip", kind="demo")[1]
{'note': 'hi'}
"""

from .archive import archive_kind, read_archive, read_meta
from .archive_write import write_archive
from .word2vec_format import load_word2vec_format, save_word2vec_format

__all__ = ["archive_kind", "load_word2vec_format", "read_archive", "read_meta",
           "save_word2vec_format", "write_archive"]
