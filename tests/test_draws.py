"""Drawing only the rows a rule reads leaves the numbers and the stream as a full draw."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import draws


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 3 * draws.MIN_ROWS),
    st.floats(0, 1),
    st.floats(0, 1),
    st.integers(0, 2**32 - 1),
    st.integers(0, 3),
)
def test_span_draws_equal_a_full_draw(n, a, b, seed, before):
    lo, hi = sorted((int(a * n), int(b * n)))
    full, part = np.random.default_rng(seed), np.random.default_rng(seed)
    for g in (full, part):  # other draws first, of several kinds
        g.standard_normal(before)
        g.integers(0, 7, before)
    want = full.random(n)
    got = draws.uniform_rows(part, n, lo, hi)
    np.testing.assert_array_equal(got[lo:hi], want[lo:hi])
    # Rows outside the span are NaN (or the true draws, for small n): never a wrong number.
    outside = np.r_[got[:lo], got[hi:]]
    assert np.all(np.isnan(outside) | (outside == np.r_[want[:lo], want[hi:]]))
    assert part.bit_generator.state == full.bit_generator.state
    np.testing.assert_array_equal(part.random(5), full.random(5))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 3 * draws.MIN_ROWS), st.floats(0, 0.01), st.integers(0, 2**32 - 1))
def test_masked_comparisons_equal_a_full_draw(n, share, seed):
    mask_rng = np.random.default_rng(seed + 1)
    need = mask_rng.random(n) < share
    p = mask_rng.random(n)
    full, part = np.random.default_rng(seed), np.random.default_rng(seed)
    want = need & (full.random(n) < p)
    got = need & (draws.uniform_where(part, need) < p)
    np.testing.assert_array_equal(got, want)
    assert part.bit_generator.state == full.bit_generator.state


@pytest.mark.parametrize("buffer", ["float32", "integers"])
def test_a_buffered_half_draw_is_kept_as_a_full_draw_keeps_it(buffer):
    # A float32 draw, or integers over a small range, buffer half of a 64-bit step; a
    # jump drops it unless it is put back.
    full, part = np.random.default_rng(3), np.random.default_rng(3)
    for g in (full, part):
        if buffer == "float32":
            g.random(1, dtype=np.float32)
        else:
            g.integers(0, 10, 1)
        assert g.bit_generator.state["has_uint32"]
    n = 2 * draws.MIN_ROWS
    want = full.random(n)
    got = draws.uniform_span(part, n, 10, 20)
    np.testing.assert_array_equal(got, want[10:20])
    assert part.bit_generator.state == full.bit_generator.state
    np.testing.assert_array_equal(
        part.random(3, dtype=np.float32), full.random(3, dtype=np.float32)
    )


def test_a_spent_buffer_leaves_the_same_state():
    # Two 32-bit draws spend the buffered half; the stale bits stay in the state.
    full, part = np.random.default_rng(5), np.random.default_rng(5)
    for g in (full, part):
        g.integers(0, 10, 2)
    n = draws.MIN_ROWS
    full.random(n)
    draws.uniform_span(part, n, 0, 0)
    assert part.bit_generator.state == full.bit_generator.state


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 3 * draws.MIN_ROWS), st.floats(0, 0.05), st.integers(0, 2**32 - 1))
def test_draws_at_listed_rows_equal_a_full_draw(n, share, seed):
    rows = np.flatnonzero(np.random.default_rng(seed + 1).random(n) < share)
    full, part = np.random.default_rng(seed), np.random.default_rng(seed)
    want = full.random(n)[rows]
    got = draws.uniform_at(part, n, rows)
    np.testing.assert_array_equal(got, want)
    assert part.bit_generator.state == full.bit_generator.state


@settings(max_examples=40, deadline=None)
@given(
    st.integers(0, 3 * draws.MIN_ROWS),
    st.floats(0, 1),
    st.floats(0, 1),
    st.sampled_from([0.0, 1e-4, 0.01, 0.5, 1.0]),
    st.integers(0, 2**32 - 1),
)
def test_block_draws_equal_a_masked_full_draw(n, a, b, share, seed):
    """``uniform_block`` on one block of rows gives ``uniform_where``'s numbers on the
    block's needed rows (NaN or the true draw elsewhere) and leaves the same stream."""
    lo, hi = sorted((int(a * n), int(b * n)))
    need = np.random.default_rng(seed + 1).random(hi - lo) < share
    full_need = np.zeros(n, dtype=bool)
    full_need[lo:hi] = need
    full, part = np.random.default_rng(seed), np.random.default_rng(seed)
    want = full.random(n)[lo:hi]
    got = draws.uniform_block(part, n, slice(lo, hi), need)
    assert got.shape == (hi - lo,)
    np.testing.assert_array_equal(got[need], want[need])
    assert np.all(np.isnan(got[~need]) | (got[~need] == want[~need]))
    ref = np.random.default_rng(seed)
    np.testing.assert_array_equal(got[need], draws.uniform_where(ref, full_need)[lo:hi][need])
    assert part.bit_generator.state == full.bit_generator.state == ref.bit_generator.state


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 200), st.floats(0, 1), st.integers(0, 2**32 - 1))
def test_last_true_is_the_last_listed_row(n, share, seed):
    mask = np.random.default_rng(seed).random(n) < share
    mask[np.random.default_rng(seed).integers(n)] = True
    assert draws._last_true(mask) == np.flatnonzero(mask)[-1]
