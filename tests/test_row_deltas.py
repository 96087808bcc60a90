"""w2v._core.row_deltas (the rows a replica changed in a round, and by how much)
against a numpy reference."""

from __future__ import annotations

import numpy as np
import pytest

from w2v._core import row_deltas


def reference(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    differs = (before.view(np.uint32) != after.view(np.uint32)).any(axis=1)
    rows = np.flatnonzero(differs).astype(np.int32)
    return rows, after[rows] - before[rows]


@pytest.mark.parametrize("shape, share", [((500, 16), 0.3), ((500, 16), 0.0),
                                          ((500, 16), 1.0), ((1, 1), 1.0), ((0, 8), 0.0),
                                          ((7, 0), 0.0)])
def test_row_deltas_match_the_numpy_reference(shape, share):
    rng = np.random.default_rng(5)
    before = rng.standard_normal(shape).astype(np.float32)
    after = before.copy()
    changed = rng.random(shape[0]) < share
    if shape[1]:
        columns = rng.integers(0, shape[1], shape[0])
        after[changed, columns[changed]] += 0.25  # one value per changed row
    rows, deltas = row_deltas(before, after)
    expected_rows, expected_deltas = reference(before, after)
    assert rows.dtype == np.int32 and deltas.dtype == np.float32
    np.testing.assert_array_equal(rows, expected_rows)
    np.testing.assert_array_equal(deltas, expected_deltas)
    if shape[1]:
        np.testing.assert_array_equal(rows, np.flatnonzero(changed))
    # adding the deltas back gives the rows' new values (up to float rounding)
    restored = before.copy()
    restored[rows] += deltas
    np.testing.assert_allclose(restored, after, rtol=0, atol=1e-6)


def test_a_change_of_bits_counts_even_where_the_values_compare_equal():
    before = np.zeros((3, 2), np.float32)
    after = before.copy()
    after[1, 1] = -0.0  # equal to 0.0, other bits
    rows, deltas = row_deltas(before, after)
    np.testing.assert_array_equal(rows, [1])
    assert (deltas == 0).all()


def test_shapes_must_agree():
    with pytest.raises(ValueError, match=r"before \(3, 2\) and after \(3, 3\)"):
        row_deltas(np.zeros((3, 2), np.float32), np.zeros((3, 3), np.float32))
    with pytest.raises(ValueError):  # not C-contiguous float32: refused, not misread
        row_deltas(np.zeros((3, 2), np.float64), np.zeros((3, 2), np.float64))
    with pytest.raises(ValueError):
        row_deltas(np.zeros((2, 3), np.float32).T, np.zeros((3, 2), np.float32))
