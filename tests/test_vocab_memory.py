"""``max_vocab_size`` bounds the memory of the vocabulary scan by the bound, not by the corpus.

A generated corpus of 3 million distinct tokens (plus a few planted frequent words) is
scanned in child processes, and each child's peak resident memory, less that of a child
that only imports the same modules, is held to the formula of docs/guide/training.rst ("Memory of
the vocabulary scan"), while the unbounded scan would need hundreds of megabytes by the same
formula. The pruning is the C tool's: a word's count is never above its true count, and it
is exact for a word whose running count exceeds the threshold at every prune (the planted
words here, by construction).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_cli import child_env

from w2v import _scan

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux"),
        reason="peak memory from /proc/self/status; the formula's allocator slack is glibc's"),
    pytest.mark.skipif(
        "ASAN_OPTIONS" in os.environ,  # tools/sanitize.sh
        reason="under AddressSanitizer peak memory holds its shadow memory and quarantine"),
]

PER_LINE = 10  # unique tokens per line, after the planted word that leads every line
PLANTED = 8  # line i starts with planted word min(ctz(i + 1), 7): 1/2, 1/4, ... of lines
WIDTH = 8  # bytes per token
BOUND = 10_000  # max_vocab_size under test (a multiple of PER_LINE: see assert_exact)

# The formula, in bytes (docs/guide/training.rst: "Memory of the vocabulary scan")
ORDER_BYTES = 8  # its insertion-order entry
VOCAB_BYTES = 160  # Python objects per word while Vocabulary is built, besides the str
VOCAB_BYTES_MAX = 300  # ... at most (dict and list sizes step by powers of two)
COUNTER_BYTES_MAX = 3 * 44  # the Counter's dict slot, up to three dicts while pruning
SLACK = 4 << 20  # the 1 MiB read buffer, small tables, allocator rounding, import noise

CHILD = r"""
import json, resource, sys
import numpy
import w2v
from w2v import _scan
from w2v.data.corpus import PathCorpus
from w2v.data.vocab import Vocabulary

def peak_kb():
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

class Lines:
    # an iterable of token lists read line by line: counted by the Python Counter loop
    def __init__(self, path):
        self.path = path
    def __iter__(self):
        with open(self.path, encoding="utf-8") as handle:
            for line in handle:
                yield line.split()

spec = json.loads(sys.argv[1])
out = {}
if spec["mode"] != "baseline":
    corpus = PathCorpus(spec["path"]) if spec["mode"] == "compiled" else Lines(spec["path"])
    vocab = Vocabulary.build(corpus, min_count=1, max_vocab_size=spec["max_vocab_size"])
    out["peak_kb"] = peak_kb()
    counts = dict(zip(vocab.index_to_key, vocab.counts.tolist()))
    out["kept"] = len(vocab)
    out["words"] = vocab.corpus_words
    out["planted"] = {w: counts.pop(w, 0) for w in spec["planted"]}
    out["other_counts"] = sorted(set(counts.values()))
out.setdefault("peak_kb", peak_kb())
print(json.dumps(out))
"""


def str_bytes(length: int) -> int:
    """An ASCII str of ``length`` characters, as the allocator rounds it (16 bytes)."""
    return 16 * math.ceil(sys.getsizeof("a" * length) / 16)


def compiled_bound(held: int, kept: int) -> int:
    """The scan (1.5 slot arrays while growing or pruning, the words' bytes and order)
    plus the Vocabulary of the words kept: their sum, as glibc keeps slot arrays under
    32 MiB resident after the scan."""
    table = _scan.SLOT_BYTES * _scan.table_slots(held)
    return int(1.5 * table + (ORDER_BYTES + WIDTH) * held
            + kept * (VOCAB_BYTES_MAX + str_bytes(WIDTH)) + SLACK)


def python_bound(held: int, kept: int) -> int:
    """The Counter (str objects and dict slots), then the Vocabulary of the words kept."""
    return (held * (str_bytes(WIDTH) + COUNTER_BYTES_MAX)
            + kept * (VOCAB_BYTES_MAX + str_bytes(WIDTH)) + SLACK)


def unbounded_estimate(distinct: int) -> int:
    """The formula with every distinct word held and kept: what no bound would need."""
    table = _scan.SLOT_BYTES * _scan.table_slots(distinct)
    scan = 1.5 * table + (ORDER_BYTES + WIDTH) * distinct
    return int(max(scan, distinct * (VOCAB_BYTES + str_bytes(WIDTH))))


def planted_word(k: int) -> str:
    return f"zz{k:06d}"


def write_corpus(path: Path, lines: int) -> dict[str, int]:
    """Write ``lines`` lines (a planted word, then PER_LINE unique hex tokens); return the
    planted words' true counts."""
    digits = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
    ids = np.arange(lines * PER_LINE, dtype=np.uint32).reshape(lines, PER_LINE)
    value = ids * np.uint32(0x9E3779B1)  # mod 2**32: a bijection, so all tokens differ
    grid = np.empty((lines, PER_LINE + 1, WIDTH + 1), dtype=np.uint8)
    for d in range(WIDTH):  # hex digits, most significant first
        grid[:, 1:, d] = digits[(value >> np.uint32(4 * (WIDTH - 1 - d))) & np.uint32(15)]
    number = np.arange(1, lines + 1)
    which = np.zeros(lines, dtype=np.intp)
    for k in range(1, PLANTED):
        which[number % (1 << k) == 0] = k
    plant = np.array([list(planted_word(k).encode()) for k in range(PLANTED)], dtype=np.uint8)
    grid[:, 0, :WIDTH] = plant[which]
    grid[:, :, WIDTH] = ord(" ")
    grid[:, -1, WIDTH] = ord("\n")
    path.write_bytes(grid.tobytes())
    return {planted_word(k): int(c) for k, c in enumerate(np.bincount(which, minlength=PLANTED))}


@pytest.fixture(scope="module")
def corpora(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict, int]]:
    """A large corpus (2,999,998 distinct tokens) and one a third its size. Both end one
    line short of a prune (for the bounds used here, whose prunes come every bound / 10
    lines): the scan ends holding about max_vocab_size words, and all of them become
    Python objects, the worst case."""
    root = tmp_path_factory.mktemp("vocab_memory")
    made = {}
    for name, lines in (("large", 299_999), ("small", 99_999)):
        path = root / f"{name}.txt"
        made[name] = (path, write_corpus(path, lines), lines)
    return made


def run_child(spec: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, json.dumps(spec)], capture_output=True,
                          text=True, env=child_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def baseline_kb() -> int:
    """Peak resident memory of a child that imports w2v, numpy and w2v._scan and stops."""
    return run_child({"mode": "baseline"})["peak_kb"]


def scan(mode: str, corpus: tuple[Path, dict, int], bound: int | None) -> dict:
    path, planted, _ = corpus
    return run_child({"mode": mode, "path": str(path), "max_vocab_size": bound,
                      "planted": sorted(planted)})


def assert_exact(result: dict, corpus: tuple[Path, dict, int], bound: int) -> None:
    """At most ``bound`` words; every count at most the true one (the unique tokens: 1);
    the planted words' counts exact.

    Exactness is what the C tool's pruning guarantees for a word whose running count is
    above ``min_reduce`` at every prune: each line adds PER_LINE new words and a prune
    drops every unique token, so the j-th prune (threshold j) ends line j * bound / PER_LINE,
    by when each planted word (one line in 2**(k+1), the last in 128) has been seen more
    than j times; checked here from the true positions.
    """
    _, planted, lines = corpus
    number = np.arange(1, lines + 1)
    which = np.minimum(np.log2(number & -number).astype(int), PLANTED - 1)
    cycle = bound // PER_LINE
    prunes = np.arange(1, lines // cycle + 1)
    for k in range(PLANTED):
        seen = np.cumsum(which == k)[prunes * cycle - 1]  # by the end of each prune's line
        assert (seen > prunes).all(), "the corpus no longer guarantees exact planted counts"
    assert result["kept"] <= bound
    assert result["words"] == lines * (PER_LINE + 1)
    assert result["planted"] == planted
    assert result["other_counts"] in ([], [1])


def test_compiled_scan_memory_is_bounded_by_max_vocab_size(corpora, baseline_kb):
    large = scan("compiled", corpora["large"], BOUND)
    small = scan("compiled", corpora["small"], BOUND)
    tenfold = scan("compiled", corpora["large"], 10 * BOUND)
    for result, corpus, bound in ((large, corpora["large"], BOUND),
                                  (small, corpora["small"], BOUND),
                                  (tenfold, corpora["large"], 10 * BOUND)):
        assert_exact(result, corpus, bound)
        growth = (result["peak_kb"] - baseline_kb) * 1024
        held = bound + PER_LINE + 1  # a prune waits for the end of the line
        assert growth <= compiled_bound(held, result["kept"]), (growth, bound)
    distinct = corpora["large"][2] * PER_LINE + PLANTED
    growth = (large["peak_kb"] - baseline_kb) * 1024
    assert growth < unbounded_estimate(distinct) / 50
    # three times the distinct words, the same memory: it follows the bound, not the corpus
    assert abs(large["peak_kb"] - small["peak_kb"]) < 1024
    # ... and grows with the bound
    assert tenfold["peak_kb"] - baseline_kb > 4 * (large["peak_kb"] - baseline_kb)


def test_python_counter_memory_is_bounded_by_max_vocab_size(corpora, baseline_kb):
    result = scan("python", corpora["large"], BOUND)
    assert_exact(result, corpora["large"], BOUND)
    growth = (result["peak_kb"] - baseline_kb) * 1024
    assert growth <= python_bound(BOUND + PER_LINE + 1, result["kept"])
    distinct = corpora["large"][2] * PER_LINE + PLANTED
    assert growth < unbounded_estimate(distinct) / 50

