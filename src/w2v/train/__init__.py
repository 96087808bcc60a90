"""Training: the parameters, a model's state and history, the Huffman tree and noise table,
the weights, the threads that drive the compiled kernel (``w2v._core``), the progress
monitor and callbacks, model files and checkpoints, and the output layer's predictions.

Example
-------
>>> from w2v.train import TrainingParams
>>> TrainingParams(sg=1).start_alpha
0.025
"""

from .callbacks import Callback, TrainingProgress
from .checkpoint import CheckpointEvery, parse_every
from .params import TrainingParams
from .state import ModelState, TrainingHistory

__all__ = ["Callback", "CheckpointEvery", "ModelState", "TrainingHistory", "TrainingParams",
           "TrainingProgress", "parse_every"]
