"""Type stubs for the compiled training kernels (w2v/_core.pyx)."""

from typing import Final, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

SIGMOID_CLIP: Final = 6

def set_simd(
    path: bool | Literal["avx512", "avx2", "portable"] = ...,
) -> Literal["avx512", "avx2", "portable"]: ...
def simd_path() -> Literal["avx512", "avx2", "portable"]: ...
def sigmoid_lookup(x: NDArray[np.float64], exact: bool = False) -> NDArray[np.float64]: ...
def log_sigmoid_lookup(x: NDArray[np.float64], exact: bool = False) -> NDArray[np.float64]: ...
def alias_pick(kernel: Kernel, r: int) -> int: ...
def logistic_steps(
    scores: NDArray[np.float32],
    labels: NDArray[np.float32],
    alpha: float,
    one_by_one: bool = False,
) -> tuple[NDArray[np.float32], float]: ...
def dot_rows(
    x: NDArray[np.float32],
    rows: NDArray[np.float32],
    one_by_one: bool = False,
    y: NDArray[np.float32] | None = None,
) -> NDArray[np.float32]: ...
def axpy_scatter(
    c: NDArray[np.float32],
    x: NDArray[np.float32],
    matrix: NDArray[np.float32],
    index: NDArray[np.int32],
    one_by_one: bool = False,
    y: NDArray[np.float32] | None = None,
    add: bool = True,
) -> None: ...
def row_deltas(
    before: NDArray[np.float32], after: NDArray[np.float32]
) -> tuple[NDArray[np.int32], NDArray[np.float32]]: ...

class Kernel:
    def __init__(
        self,
        vectors: NDArray[np.float32],
        out_words: NDArray[np.float32] | None,
        out_nodes: NDArray[np.float32] | None,
        keep_prob: ArrayLike,
        alias_prob: ArrayLike | None,
        alias_index: ArrayLike | None,
        codes: ArrayLike | None,
        points: ArrayLike | None,
        code_offsets: ArrayLike | None,
        *,
        sg: int,
        cbow_mean: int,
        window: int,
        negative: int,
        hs: int,
        softmax: int,
        subsample: int,
        batch: bool = False,
        hot_rows: int = 0,
        exact: bool = False,
    ) -> None: ...
    @property
    def batch(self) -> bool: ...
    def thread_copies(self, sync_examples: int) -> HotCopies | None: ...
    def flush(self, copies: HotCopies) -> None: ...
    def train_chunk(
        self,
        ids: NDArray[np.int32],
        offsets: NDArray[np.int64],
        lo: int,
        hi: int,
        rng_state: int,
        progress: NDArray[np.int64],
        slot: int,
        total_words: int,
        start_alpha: float,
        min_alpha: float,
        copies: HotCopies | None = None,
        stop: NDArray[np.int32] | None = None,
    ) -> tuple[float, int]: ...

class HotCopies:
    def __init__(self, kernel: Kernel, sync_examples: int) -> None: ...
    @property
    def kernel(self) -> Kernel: ...
