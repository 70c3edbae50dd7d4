"""The regimes' fast paths agree bit for bit with the expressions they replace.

Each compiled kernel of :mod:`sim.kernels_regimes` and each rewritten numpy path of the
regimes, demography, the state's response and the recorded outcomes is checked here
against its reference (the code the model ran before) on hypothesis-drawn inputs,
including the awkward values: ties, −0.0, NaN, empty inputs.
"""

from __future__ import annotations

import functools

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


def _members(r, n, n_units, start):
    """Rows of people: units (−1 for none), activism, arrears, grievance, threshold in
    float32 with the awkward values mixed in (exact ties with the cut-offs, −0.0, NaN)."""
    unit = np.where(r.random(n) < 0.3, -1, r.integers(0, max(n_units, 1), n)).astype(np.int32)
    if n_units == 0:
        unit[:] = -1
    special = np.array([0.0, -0.0, 0.5, 1.0, np.nan, 0.25], dtype=np.float32)
    pick = r.random(n) < 0.3

    def col():
        x = r.random(n).astype(np.float32)
        x[pick] = special[r.integers(0, special.size, int(pick.sum()))]
        return x

    return unit, col(), np.where(r.random(n) < 0.5, 0, col()).astype(np.float32), col(), col()


@SETTINGS
@given(st.integers(0, 200), st.integers(0, 12), st.integers(0, 2**32 - 1))
def test_union_passes_match_their_numpy_references(n, n_units, seed):
    """The captured union's two compiled passes (tension by unit; betrayal, threshold
    shift, activists and members owed) equal ``union.tension_numpy`` and
    ``union.members_numpy``, including the in-place change of activism."""
    from sim.regimes import union

    r = np.random.default_rng(seed)
    start = int(r.integers(0, n + 1))
    unit, act, arrears, grievance, threshold = _members(r, n, n_units, start)
    total, count = kernels_regimes.union_tension(unit, grievance, threshold, start, n_units)
    want_t, want_c = union.tension_numpy(unit, grievance, threshold, start, n_units)
    assert total.tobytes() == want_t.astype(np.float64).tobytes()
    np.testing.assert_array_equal(count, want_c)
    broken = r.random(n_units) < 0.4
    holding = r.random(n_units) < 0.6
    offset = np.where(r.random(n_units) < 0.5, 0.08, -r.random(n_units))
    a1, a2 = act.copy(), act.copy()
    got = kernels_regimes.union_members(
        unit, a1, arrears, start, broken, offset, holding, 0.05, 0.5
    )
    want = union.members_numpy(unit, a2, arrears, start, broken, offset, holding, 0.05, 0.5)
    assert a1.tobytes() == a2.tobytes()
    for g, w in zip(got, want, strict=True):
        assert g.tobytes() == w.astype(g.dtype).tobytes() and g.shape == w.shape


def _town(r, n, n_units, n_villages):
    """A stand-in model for the danwei passes: people of every kind, residency and
    status, where they live (units, villages, the city), who was renewed."""
    from types import SimpleNamespace

    people = SimpleNamespace(
        party=r.random(n) < 0.4,
        status=r.integers(0, 5, n).astype(np.int8),
        residency=r.integers(0, 2, n).astype(np.int8),
        kind=r.integers(0, 5, n).astype(np.int8),
    )
    model = SimpleNamespace(
        people=people,
        renewed=r.random(n) < 0.2,
        units=SimpleNamespace(n=n_units),
        villages=SimpleNamespace(n=n_villages),
    )
    home = r.integers(0, n_units + n_villages + 1, n)
    return model, home


@SETTINGS
@given(st.integers(0, 200), st.integers(0, 6), st.integers(0, 6), st.integers(0, 2**32 - 1))
def test_danwei_passes_match_their_numpy_references(n, n_units, n_villages, seed):
    """The danwei programme's compiled passes (renewed rows cleared, the pool, the
    residents; problems solved, the hardship term, per-locality sums, the owed) equal
    ``danwei_reactivation.prepare_numpy`` and ``solve_numpy``, in-place changes too."""
    from sim.regimes import danwei_reactivation as dw

    r = np.random.default_rng(seed)
    model, home = _town(r, n, n_units, n_villages)
    solved = np.where(r.random(n) < 0.5, 0.0, r.random(n))
    enlisted = r.random(n) < 0.3
    s1, s2, e1, e2 = solved.copy(), solved.copy(), enlisted.copy(), enlisted.copy()
    pool, residents = kernels_regimes.danwei_prepare(model, s1, e1, home)
    want_pool, want_res = dw.prepare_numpy(model, s2, e2, home)
    np.testing.assert_array_equal(pool, want_pool)
    np.testing.assert_array_equal(residents, want_res)
    assert s1.tobytes() == s2.tobytes() and e1.tobytes() == e2.tobytes()
    u = np.where(r.random(n) < 0.2, np.nan, r.random(n))
    base = r.random(n).astype(np.float32)
    arrears = np.where(r.random(n) < 0.5, 0.0, r.random(n)).astype(np.float32)
    n_loc = n_units + n_villages + 1
    args = (residents, u, 0.4, None, 0.3, 0.6, 0.35, base, home, n_loc, arrears)
    got = kernels_regimes.danwei_solve(*args[:3], s1, *args[4:])
    want = dw.solve_numpy(*args[:3], s2, *args[4:])
    assert s1.tobytes() == s2.tobytes()
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.tobytes() == w.astype(g.dtype).tobytes()


@SETTINGS
@given(st.integers(0, 200), st.integers(0, 6), st.integers(0, 6), st.integers(0, 2**32 - 1))
def test_grassroots_passes_match_their_numpy_references(n, n_units, n_villages, seed):
    """The grassroots programme's compiled passes (renewed rows cleared and who the
    visits reach; problems solved, the hardship term, each community's legitimacy, how
    many were reached) equal ``grassroots.prepare_numpy`` and ``solve_numpy``."""
    from sim.regimes import grassroots as gr

    r = np.random.default_rng(seed)
    model, home = _town(r, n, n_units, n_villages)
    model.people.hardship_base = r.random(n).astype(np.float32)
    n_comm = n_villages + 1
    visited = r.random(n_comm) < 0.5
    solved = np.where(r.random(n) < 0.5, 0.0, r.random(n))
    s1, s2 = solved.copy(), solved.copy()
    near = kernels_regimes.grassroots_prepare(model, s1, home, visited)
    np.testing.assert_array_equal(near, gr.prepare_numpy(model, s2, home, visited))
    assert s1.tobytes() == s2.tobytes()
    u = np.where(r.random(n) < 0.2, np.nan, r.random(n))
    args = (model, near, u, 0.5, None, 0.3, 0.6, 0.35, home, n_comm, 0.1)
    got = kernels_regimes.grassroots_solve(*args[:4], s1, *args[5:])
    want = gr.solve_numpy(*args[:4], s2, *args[5:])
    assert s1.tobytes() == s2.tobytes()
    assert got[0].tobytes() == want[0].tobytes() and got[1].tobytes() == want[1].tobytes()
    assert got[2] == want[2]


SPECIAL = np.array([0.0, -0.0, 1.0, 0.5, np.nan, np.inf, -1.0, 2.0, 1e-40])


@functools.cache
def _pairwise():
    """The kernels' one-value helpers applied elementwise (compiled once per session)."""
    from numba import njit

    from sim import kernels_regimes_compiled as krc

    @njit
    def apply(a, b):
        out = np.empty((3, a.size), dtype=a.dtype)
        for i in range(a.size):
            out[0, i] = krc._maximum(a[i], b[i])
            out[1, i] = krc._minimum(a[i], b[i])
            out[2, i] = krc._clip(a[i], b[i], b[i] + 1.0)
        return out

    return apply


@SETTINGS
@given(st.integers(0, 2**32 - 1), st.sampled_from([np.float32, np.float64]))
def test_pairwise_min_max_clip_are_numpys(seed, dtype):
    """The kernels' one-value ``_maximum``, ``_minimum`` and ``_clip`` are numpy's, to
    the sign of zero and NaN: a tie returns the second operand; a value equal to a
    bound stays itself, as ``np.clip`` with scalar bounds (the rules' use) leaves it."""
    r = np.random.default_rng(seed)
    a = SPECIAL[r.integers(0, SPECIAL.size, 64)].astype(dtype)
    b = SPECIAL[r.integers(0, SPECIAL.size, 64)].astype(dtype)
    got = _pairwise()(a, b)
    assert got[0].tobytes() == np.maximum(a, b).tobytes()
    assert got[1].tobytes() == np.minimum(a, b).tobytes()
    # (scalar bounds, as the rules clip: numpy's array-bound loop breaks ties otherwise)
    for lo in (0, 0.0, -0.0, 0.5, 1.0):
        got = _pairwise()(a, np.full(a.size, lo, dtype=dtype))
        assert got[2].tobytes() == np.clip(a, lo, lo + 1.0).tobytes()


def _f32(r, n, special=0.3):
    x = r.random(n).astype(np.float32)
    pick = r.random(n) < special
    x[pick] = np.array([0.0, -0.0, 1.0, 0.5], dtype=np.float32)[r.integers(0, 4, int(pick.sum()))]
    return x


@SETTINGS
@given(st.integers(0, 300), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_cooperative_passes_match_their_numpy_references(n, n_v, seed):
    """The cooperatives' compiled passes over the peasants (join hazard and who can
    join; joins; pooling: relief, the safety-net term, solidarity, members per village)
    equal ``cooperatives.hazard_numpy``, ``join_numpy`` and ``pool_numpy``, dtype for
    dtype, in-place changes too."""
    from sim.regimes import cooperatives as co

    r = np.random.default_rng(seed)
    vil = r.integers(0, n_v, n)
    seen = np.where(r.random(n_v) < 0.3, 0.0, r.random(n_v))
    tie_w = np.where(r.random(n) < 0.4, 0.0, r.random(n) * 3)
    degree = np.where(r.random(n) < 0.2, 0.0, r.random(n) * 8).astype(np.float32)
    hardship = _f32(r, n)
    failed = r.random(n_v) < 0.3
    coop = r.random(n) < 0.4
    args = (vil, seen, tie_w, degree, hardship, failed, coop, 0.02, 0.5, 1.5)
    hz, can = kernels_regimes.coop_hazard(*args)
    want_hz, want_can = co.hazard_numpy(*args)
    assert hz.tobytes() == want_hz.tobytes()
    np.testing.assert_array_equal(can, want_can)
    u = np.where(r.random(n) < 0.2, np.nan, r.random(n) * 0.05)
    c1, c2 = coop.copy(), coop.copy()
    assert kernels_regimes.coop_join(u, hz, can, c1) == co.join_numpy(u, hz, can, c2)
    np.testing.assert_array_equal(c1, c2)
    collective = r.random(n_v) < 0.3
    c1[collective[vil]] = True  # (collectives' peasants are members)
    c2[:] = c1
    land, base = _f32(r, n) * 2, _f32(r, n)
    act1, rel1 = _f32(r, n), _f32(r, n) * 10
    act2, rel2 = act1.copy(), rel1.copy()
    params = (1.3, 0.9, 0.15, 0.25, -0.12, 0.05, n_v)
    net1, per1 = kernels_regimes.coop_pool(c1, collective, vil, land, base, act1, rel1, *params)
    net2, per2 = co.pool_numpy(c2, collective, vil, land, base, act2, rel2, *params)
    assert act1.tobytes() == act2.tobytes() and rel1.tobytes() == rel2.tobytes()
    assert net1.tobytes() == net2.astype(np.float64).tobytes()
    assert per1.tobytes() == per2.tobytes()


@SETTINGS
@given(st.integers(0, 300), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_layoff_passes_match_their_numpy_references(n, n_units, seed):
    """Privatization's compiled passes over the staff rows (laid-off and employed
    counts, laid-off and retirees per unit; the job-fear and dependency terms) equal
    ``privatization.layoff_counts_numpy`` and ``layoff_terms_numpy``."""
    from types import SimpleNamespace

    from sim.regimes import privatization as pv

    r = np.random.default_rng(seed)
    unit = np.where(r.random(n) < 0.3, -1, r.integers(0, n_units, n)).astype(np.int32)
    people = SimpleNamespace(
        status=r.integers(0, 6, n).astype(np.int8),
        unit=unit,
        laid_off=np.where(r.random(n) < 0.5, -1, r.integers(0, 50, n)).astype(np.int32),
    )
    a = int(r.integers(0, n + 1))
    rows = slice(a, int(r.integers(a, n + 1)))
    got = kernels_regimes.layoff_counts(people, rows, n_units)
    want = pv.layoff_counts_numpy(people, rows, n_units)
    assert got[:2] == want[:2]
    np.testing.assert_array_equal(got[2], want[2])
    np.testing.assert_array_equal(got[3], want[3])
    burden = r.random(n_units)
    got = kernels_regimes.layoff_terms(people, rows, 0.07, burden)
    want = pv.layoff_terms_numpy(people, rows, 0.07, burden)
    for g, w in zip(got, want, strict=True):
        assert g.tobytes() == w.tobytes()


@SETTINGS
@given(st.integers(0, 300), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_self_management_passes_match_their_numpy_references(n, n_units, seed):
    """Worker-run units' compiled passes (who is employed there, their wages per unit;
    levelled wages, arrears paid first into relief, everyone's relief and arrears in the
    same float32 arithmetic) equal ``cooperatives.self_managed_wages_numpy`` and
    ``self_pay_numpy``, to the bit."""
    from types import SimpleNamespace

    from sim.regimes import cooperatives as co

    r = np.random.default_rng(seed)

    def people():
        return SimpleNamespace(
            unit=np.where(r.random(n) < 0.3, -1, r.integers(0, n_units, n)).astype(np.int32),
            status=r.integers(0, 5, n).astype(np.int8),
            wage=_f32(r, n) * 2,
            relief=np.where(r.random(n) < 0.3, np.float32(-0.0), _f32(r, n)),
            arrears=np.where(r.random(n) < 0.5, 0, _f32(r, n)).astype(np.float32),
        )

    p1 = people()
    p2 = SimpleNamespace(**{k: v.copy() for k, v in vars(p1).items()})
    run = r.random(n_units) < 0.5
    got = kernels_regimes.self_managed_wages(p1, run)
    want = co.self_managed_wages_numpy(p2, run)
    for g, w in zip(got, want, strict=True):
        assert g.tobytes() == w.astype(g.dtype).tobytes()
    target = r.random(n_units) * 2
    kernels_regimes.self_managed_pay(p1, got[0], target, 0.3, 0.5)
    co.self_pay_numpy(p2, want[0], target, 0.3, 0.5)
    for name in ("wage", "relief", "arrears"):
        assert getattr(p1, name).tobytes() == getattr(p2, name).tobytes(), name


@SETTINGS
@given(st.integers(0, 300), st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_rural_tax_passes_match_their_numpy_references(n, n_v, seed):
    """The rural tax regime's compiled passes (the fear a village's killings leave; the
    chance of leaving the land, float32 land lost and float64 pushes) equal
    ``rural_taxes.lethal_fear_numpy`` and ``displacement_numpy`` to the bit, with land
    at 0 and −0.0, more land than at the start, and peasants in detention."""
    from sim.regimes import rural_taxes as rt

    r = np.random.default_rng(seed)
    first = int(r.integers(0, 5))
    village = np.where(r.random(n) < 0.3, -1, r.integers(0, n_v, n)).astype(np.int32)
    locality = r.integers(0, first + n_v + 2, n)
    idx = np.where(r.random(n_v) < 0.3, 0.0, r.random(n_v))
    got = kernels_regimes.lethal_fear_term(village, locality, first, n_v, idx, 0.2)
    assert got.tobytes() == rt.lethal_fear_numpy(village, locality, first, n_v, idx, 0.2).tobytes()
    vil = r.integers(0, n_v, n)
    land0 = np.where(r.random(n) < 0.2, 0, _f32(r, n) * 2).astype(np.float32)
    land = np.where(r.random(n) < 0.2, np.float32(-0.0), _f32(r, n) * 3)
    rates = r.random(n_v) * 0.3
    jail = np.where(r.random(n) < 0.2, r.integers(1, 5, n), 0).astype(np.int16)
    args = (vil, land, land0, rates, np.float32(0.7), idx, jail, 0.5, 0.3, 0.02)
    got = kernels_regimes.displacement(*args)
    assert got.tobytes() == rt.displacement_numpy(*args).tobytes()


@SETTINGS
@given(st.integers(1, 8), st.integers(0, 2**32 - 1))
def test_residency_passes_match_their_numpy_references(n_units, seed):
    """The residency regime's compiled passes (employed migrants per unit, active
    migrants and active people per locality; the laid-off workers' float32 resentment
    and the workers' division and migrants' tenure shifts) equal
    ``residency.counts_numpy`` and ``terms_numpy``."""
    from types import SimpleNamespace

    from sim.regimes import residency as rs
    from sim.state import Kind

    r = np.random.default_rng(seed)
    sizes = r.integers(0, 40, 5)
    stops = np.cumsum(sizes)
    blocks = {k: slice(int(a), int(b)) for k, a, b in zip(Kind, stops - sizes, stops, strict=True)}
    n = int(stops[-1])
    n_loc = n_units + 4
    people = SimpleNamespace(
        status=r.integers(0, 5, n).astype(np.int8),
        unit=np.where(r.random(n) < 0.3, -1, r.integers(0, n_units, n)).astype(np.int32),
        active=r.random(n) < 0.3,
        tenure=r.integers(0, 120, n).astype(np.int16),
        rows=lambda kind: blocks[kind],
    )
    model = SimpleNamespace(
        people=people,
        locality=r.integers(0, n_loc, n),
        n_localities=n_loc,
        units=SimpleNamespace(n=n_units),
    )
    got = kernels_regimes.residency_counts(model)
    want = rs.counts_numpy(model)
    for g, w in zip(got, want, strict=True):
        np.testing.assert_array_equal(g, w)
    unit_share = np.where(r.random(n_units) < 0.3, 0.0, r.random(n_units))
    division = r.random(n_loc) * 0.05
    args = (unit_share, 0.3, 0.4, division, 0.03, 60)
    got = kernels_regimes.residency_terms(model, *args)
    want = rs.terms_numpy(model, *args)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.tobytes() == w.tobytes()
