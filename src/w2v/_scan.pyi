"""Type stubs for the compiled corpus tokenizer (w2v/_scan.pyx)."""

from collections.abc import Mapping
from typing import Final, TypeVar, overload

import numpy as np
from numpy.typing import NDArray

__all__ = ["INVALID_UTF8", "SLOT_BYTES", "UNSUPPORTED", "CountScanner", "EncodeScanner",
           "Unsupported", "table_slots"]

_CountsT = TypeVar("_CountsT", bound=dict[str, int])

INVALID_UTF8: Final = 1
UNSUPPORTED: Final = 3
SLOT_BYTES: Final[int]

def table_slots(words: int) -> int: ...

class Unsupported(Exception): ...  # noqa: N818 (the runtime name)

class Scanner:
    max_token_bytes: int
    @property
    def words(self) -> int: ...
    @property
    def sentences(self) -> int: ...
    def window(self, block_size: int) -> memoryview: ...
    def process(self, n: int) -> int: ...
    def finish(self) -> int: ...

class CountScanner(Scanner):
    def __init__(self, max_len: int, max_vocab_size: int = -1) -> None: ...
    @overload
    def counts(self, into: None = None, min_count: int = 0) -> dict[str, int]: ...
    @overload
    def counts(self, into: _CountsT, min_count: int = 0) -> _CountsT: ...

class EncodeScanner(Scanner):
    def __init__(
        self, max_len: int, key_to_index: Mapping[str, int], expected_ids: int = 0
    ) -> None: ...
    @property
    def pending(self) -> int: ...
    def take_ids(self) -> NDArray[np.int32]: ...
    def result(self) -> tuple[NDArray[np.int32], NDArray[np.int64]]: ...
