"""Data-parallel training on Dask: the client's rounds and merges (``client``), the
workers' resident replicas (``replica``), and the corpus files cut into shards and pieces
read on the workers (``shards``). ``pip install "w2v[distributed]"``.

Example
-------
>>> from w2v.distributed import train
>>> callable(train)
True
"""

from .client import MERGES, RoundStats, train

__all__ = ["MERGES", "RoundStats", "train"]
