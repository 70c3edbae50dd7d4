"""The regimes' fast paths agree bit for bit with the expressions they replace.

Each compiled kernel of :mod:`sim.kernels_regimes` and each rewritten numpy path of the
regimes, demography, the state's response and the recorded outcomes is checked here
against its reference (the code the model ran before) on hypothesis-drawn inputs,
including the awkward values: ties, −0.0, NaN, empty inputs.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import kernels, kernels_regimes
from sim.submodels import state_response

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(
    st.lists(st.integers(0, 300), min_size=1, max_size=40),
    st.sampled_from([np.float32, np.float64]),
    st.sampled_from([1.0, 1e-3, 1e4]),
    st.integers(0, 2**32 - 1),
)
def test_row_sums_with_short_rows_inline_match_scipys(lengths, dtype, scale, seed):
    """``kernels_regimes.row_sums`` equals scipy's ``sum(axis=1)`` bit for bit in the
    weights' dtype, for rows of 0 to 300 ties (inline under 9, pairwise above)."""
    from scipy import sparse

    r = np.random.default_rng(seed)
    n = len(lengths)
    indptr = np.r_[0, np.cumsum(lengths)]
    data = (r.standard_normal(indptr[-1]) * scale).astype(dtype)
    indices = r.integers(0, n, indptr[-1])
    ties = sparse.csr_matrix((data, indices, indptr), shape=(n, n))
    a = int(r.integers(0, n + 1))
    b = int(r.integers(a, n + 1))
    got = kernels_regimes.row_sums(ties, a, b, compiled=True)
    want = kernels.row_sums_reference(ties, a, b)
    assert got.dtype == want.dtype == dtype
    assert got.tobytes() == want.tobytes()  # (bit for bit: the sign of zeros too)


@SETTINGS
@given(
    st.integers(1, 300),
    st.sampled_from([1, 3, 50, 2**20, 2**31]),
    st.booleans(),
    st.sampled_from(["uniform", "few", "negative", "nan"]),
    st.integers(0, 2**32 - 1),
)
def test_arrest_order_is_lexsorts_permutation(m, n_loc, discrete, ties, seed):
    """``state_response.arrest_order`` is ``np.lexsort((tiebreak, -activism, locality))``,
    with repeated localities, activism and tiebreaks (runs of equal packed keys), −0.0
    beside +0.0, NaN and infinite activism, and negative or NaN tiebreaks."""
    r = np.random.default_rng(seed)
    loc = r.integers(0, n_loc, m)
    if discrete:
        pool = np.array([0.0, -0.0, 0.25, 1.0, 0.5, np.nan, 1e-30, np.inf], dtype=np.float32)
        act = pool[r.integers(0, pool.size, m)]
    else:
        act = r.random(m).astype(np.float32)
    tie = {
        "uniform": r.random(m),
        "few": r.integers(0, 3, m) / 4.0,
        "negative": r.standard_normal(m),
        "nan": np.where(r.random(m) < 0.2, np.nan, r.random(m)),
    }[ties]
    got = state_response.arrest_order(loc, act, tie)
    np.testing.assert_array_equal(got, np.lexsort((tie, -act, loc)))


def _leaders_reference(locality, activism, capacity, tiebreak, share, accept):
    """``leaders_to_arrest`` as it was (lexsort and searchsorted)."""
    order = np.lexsort((tiebreak, -activism, locality))
    g, w = locality[order], share[order].astype(np.float64)
    cum = np.cumsum(w)
    start = np.searchsorted(g, g, side="left")
    before = cum - w - (cum[start] - w[start])
    left = capacity[g] - before
    take = (left >= w - 1e-9) | ((left > 0) & (accept[order] * w < left))
    chosen = np.zeros(locality.size, dtype=bool)
    chosen[order] = take & (left > 0)
    return chosen


@SETTINGS
@given(st.integers(1, 400), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_leaders_to_arrest_by_share_matches_its_reference(m, n_loc, seed):
    """Arrests of partly active agents pick the same agents as the lexsort version."""
    r = np.random.default_rng(seed)
    loc = r.integers(0, n_loc, m)
    act = np.round(r.random(m), 1).astype(np.float32)  # (ties in activism)
    share = (r.integers(1, 11, m) / 10.0).astype(np.float32)
    capacity = np.floor(r.random(n_loc) * 4 * 10) / 10
    tie, accept = r.random(m), r.random(m)
    got = state_response.leaders_to_arrest(loc, act, capacity, tie, share, accept)
    np.testing.assert_array_equal(got, _leaders_reference(loc, act, capacity, tie, share, accept))
