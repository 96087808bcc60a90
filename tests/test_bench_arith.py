"""The arithmetic count behind bench_train.py's '% of arith. limit' row (issue 21), and
the kernel path its results record."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
if not (BENCH / "arith_limit.py").exists():  # the suite copied out of the tree (wheels)
    pytest.skip("benchmarks/ is not beside the tests", allow_module_level=True)
sys.path.insert(0, str(BENCH))
from arith_limit import flop_per_word, limit_words_per_s  # noqa: E402

SETTINGS = {"negative": 5, "vector_size": 100, "window": 5}


def test_skip_gram_counts_pairs_times_outputs_times_three_vector_operations():
    # 10 raw words, 8 in the vocabulary, half of them kept: 0.4 kept per raw word
    out = flop_per_word(np.array([6, 2]), np.array([0.5, 0.5]), 10, sg=1, hs=0, **SETTINGS)
    assert out["kept_fraction"] == pytest.approx(0.4)
    assert out["flop_per_kept_word"] == 6 * 6 * 3 * 2 * 100  # contexts x rows x ops x 2d
    assert out["flop_per_word"] == pytest.approx(0.4 * 21_600)


def test_cbow_counts_one_example_per_centre_plus_the_context_sums():
    out = flop_per_word(np.array([5, 5]), np.ones(2), 10, sg=0, hs=0, **SETTINGS)
    assert out["flop_per_word"] == 6 * 3 * 2 * 100 + 2 * 6 * 100


def test_hierarchical_softmax_adds_the_target_weighted_code_length():
    # counts 4, 2, 1, 1: Huffman code lengths 1, 2, 3, 3; every occurrence kept
    counts = np.array([4, 2, 1, 1])
    out = flop_per_word(counts, np.ones(4), 8, sg=1, hs=1, negative=0, vector_size=10, window=1)
    assert out["code_length"] == pytest.approx((4 * 1 + 2 * 2 + 3 + 3) / 8)
    assert out["outputs"] == out["code_length"]
    # subsampling the frequent word away leaves the rare words' longer codes
    rare = flop_per_word(counts, np.array([0.0, 1, 1, 1]), 8, sg=1, hs=1, negative=0,
                         vector_size=10, window=1)
    assert rare["code_length"] == pytest.approx((2 * 2 + 3 + 3) / 4)
    both = flop_per_word(counts, np.ones(4), 8, sg=1, hs=1, negative=5, vector_size=10,
                         window=1)
    assert both["outputs"] == pytest.approx(6 + out["code_length"])


def test_the_limit_is_peak_over_flop_per_word():
    assert limit_words_per_s(15_900.0, 166.0) == pytest.approx(166e9 / 15_900)


@pytest.mark.parametrize("wanted", ["0", "avx2"])
def test_bench_train_records_the_kernel_path_its_children_take(wanted):
    """A figure measured on the AVX2 or portable path must say so: the results' environment
    names the path ``W2V_SIMD`` gives (capped by what this CPU has)."""
    code = ("import bench_train, w2v._core as c; "
            "print(bench_train.environment()['w2v_simd'], c.simd_path())")
    env = dict(os.environ, W2V_SIMD=wanted,
               PYTHONPATH=os.pathsep.join([str(BENCH), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out[0] == out[1]
    if wanted == "0":
        assert out[0] == "portable"
    else:
        assert out[0] in ("avx2", "portable")
