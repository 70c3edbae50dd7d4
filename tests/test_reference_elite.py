"""The compiled loops of ``sim.kernels_elite`` agree with their numpy references, bit for bit.

Each test draws random inputs with hypothesis (including the edge cases the model meets:
no ties, no aligned person, empty row lists, zero and non-finite weights) and compares
the compiled result with the numpy reference byte for byte, so a kernel that adds in
another order or widens a weight differently fails here.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.state import Status
from sim.submodels import careers, factions

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal dtype, shape and bytes (so -0.0 ≠ +0.0 and NaN = NaN of the same bits)."""
    a, b = np.ascontiguousarray(a), np.ascontiguousarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def random_ties(r: np.random.Generator, n: int, degree: int, weights: str):
    from scipy import sparse

    i, j = r.integers(0, n, n * degree), r.integers(0, n, n * degree)
    if weights == "integer":  # equal weights make ties between factions common
        w = r.integers(1, 3, i.size).astype(np.float32)
    elif weights == "real":
        w = r.random(i.size).astype(np.float32)
    else:  # zeros, negatives and non-finite weights: the kernel must add what numpy adds
        w = r.choice(np.array([0.0, -1.5, 0.25, np.inf, np.nan], dtype=np.float32), i.size)
    ties = sparse.csr_matrix((w, (i, j)), shape=(n, n), dtype=np.float32)
    ties.sum_duplicates()
    return ties


@SETTINGS
@given(
    st.integers(1, 60),
    st.integers(0, 6),
    st.integers(-1, 16),
    st.sampled_from(["integer", "real", "odd"]),
    st.integers(0, 2**32 - 1),
)
def test_faction_ties_match_majority_and_sides_references(n, degree, top, weights, seed):
    r = np.random.default_rng(seed)
    ties = random_ties(r, n, degree, weights)
    faction = r.integers(-1, top + 1, n).astype(np.int16)  # top = -1: no one aligned
    rows = np.flatnonzero(r.random(n) < 0.6)
    if r.random() < 0.3:  # any order, repeats allowed
        rows = r.integers(0, n, r.integers(0, 2 * n))
    major, reb, cons = careers.faction_ties(ties, faction, rows, compiled=True)
    want_major = careers.tie_faction_majority_numpy(ties, faction, rows)
    want_reb, want_cons = factions.tie_sides(ties, faction, rows)
    assert same_bits(major, want_major)
    assert same_bits(reb, want_reb)
    assert same_bits(cons, want_cons)
    # the numpy path of the same function is the references themselves
    for got, want in zip(
        careers.faction_ties(ties, faction, rows, compiled=False), (major, reb, cons), strict=True
    ):
        assert same_bits(got, want)
    if rows.size and faction.max() >= 0 and ties.nnz:
        assert (major >= -1).all() and (major <= faction.max()).all()


def test_faction_ties_count_splinters_as_rebels_and_the_majority_by_weight():
    from scipy import sparse

    # person 0 is tied to 1 (conservative, weight 3), 2 and 3 (splinter 2, weight 2 each)
    ties = sparse.csr_matrix(
        (np.array([3, 2, 2], dtype=np.float32), ([0, 0, 0], [1, 2, 3])), shape=(4, 4)
    )
    faction = np.array([-1, 0, 2, 2], dtype=np.int16)
    major, reb, cons = careers.faction_ties(ties, faction, np.array([0, 1]), compiled=True)
    assert major.tolist() == [2, -1]  # 4 on the splinter beats 3 on the conservatives
    assert reb.tolist() == [4.0, 0.0] and cons.tolist() == [3.0, 0.0]


@SETTINGS
@given(
    st.integers(0, 200),
    st.integers(1, 12),
    st.integers(-1, 5),
    st.integers(0, 2**32 - 1),
)
def test_unit_sides_match_numpy_reference(n, n_units, top, seed):
    r = np.random.default_rng(seed)
    pool = r.random(n) < 0.8
    unit = r.integers(-1, n_units, n).astype(np.int32)
    status = r.integers(0, len(Status), n).astype(np.int8)
    faction = r.integers(-1, top + 1, n).astype(np.int16)
    age = r.integers(0, 400, n).astype(np.int16)
    got = careers.unit_sides(pool, unit, status, faction, age, n_units, compiled=True)
    want = careers.unit_sides_numpy(pool, unit, status, faction, age, n_units)
    # (np.bincount of no rows gives integer zeros even with weights; maturity divides them)
    want = (*want[:3], want[3].astype(np.float64), want[4])
    for g, w in zip(got, want, strict=True):
        assert same_bits(g, w)
    cons, reb, staff, _, members = got
    assert (cons + reb <= staff).all()  # members are staff
    assert members.size == int(cons.sum() + reb.sum())


def test_unit_sides_refuse_a_unit_beyond_the_units():
    import pytest

    one = np.ones(1, dtype=bool)
    with pytest.raises(ValueError, match="unit index"):
        careers.unit_sides(
            one,
            np.array([3], dtype=np.int32),
            np.array([Status.EMPLOYED], dtype=np.int8),
            np.array([0], dtype=np.int16),
            np.array([1], dtype=np.int16),
            2,
            compiled=True,
        )


@SETTINGS
@given(st.integers(1, 80), st.integers(0, 5), st.integers(0, 2**32 - 1))
def test_revenge_matches_the_exposure_over_everyone(n, degree, seed):
    """``careers.revenge`` (compiled and numpy) reads only the casualties' ties; the
    reference counts everyone's exposure and lists the rows with any, as the rule was
    first written."""
    r = np.random.default_rng(seed)
    ties = random_ties(r, n, degree, "real")
    ties = ties.maximum(ties.T).tocsr()  # symmetric, as the model's
    hurt = np.flatnonzero(r.random(n) < 0.2)
    if hurt.size == 0:
        return
    _, cols, data = careers.csr_row_entries(ties, hurt)
    exposure = np.bincount(cols, weights=data, minlength=n) if ties.nnz else np.zeros(n)
    is_hurt = np.zeros(n, dtype=bool)
    is_hurt[hurt] = True
    want_rows = np.flatnonzero((exposure > 0) | is_hurt)
    want = np.minimum(exposure[want_rows] + is_hurt[want_rows], 1.0)
    for compiled in (True, False):
        rows, sore = careers.revenge(ties, hurt, compiled=compiled)
        assert same_bits(rows, want_rows)
        assert same_bits(sore, want)
    assert set(hurt) <= set(rows)


def _scrambled_model(seed: int, months: int, scramble: int, ppa: float, disc: str):
    """A small model after ``months`` months, its people's states scrambled so every
    status, detention, fear and threshold term, leader and linked unit occurs."""
    from conftest import small_scenario

    from sim.model import CadreModel
    from sim.submodels import protest

    s = small_scenario(
        population={
            "cadres": 8,
            "technicians": 8,
            "workers": 70,
            "migrants": 30,
            "peasants": 40,
            "units": 3,
            "villages": 2,
        },
        params={"people_per_agent": ppa, "discretization": disc},
    )
    m = CadreModel(s, seed=seed)
    for _ in range(months):
        m.step()
    p, r = m.people, np.random.default_rng(scramble)
    p.status = r.integers(0, 5, p.n)
    p.grievance = r.uniform(0, 1, p.n).astype(np.float32)
    p.fear = r.uniform(-0.1, 0.5, p.n).astype(np.float32)
    p.activism = r.uniform(0, 1, p.n).astype(np.float32)
    p.jail = np.where(r.random(p.n) < 0.15, r.integers(1, 4, p.n), 0).astype(p.jail.dtype)
    p.detained = np.where(r.random(p.n) < 0.5, r.random(p.n), 0).astype(np.float32)
    p.turnout = np.where(r.random(p.n) < 0.3, r.random(p.n), 0).astype(np.float32)
    p.active = (p.turnout > 0) | (r.random(p.n) < 0.05)
    m.units.protest_memory = r.uniform(0, 5, m.units.n)
    m.terms.add("fear", "test", r.uniform(-0.2, 0.2, p.n))
    m.terms.add("threshold", "test", r.uniform(-0.3, 0.1, p.n))
    protest.agent_uniforms(m)
    return m


def _month_view(m):
    """The ``View`` of :func:`protest.update` this month, and the agents' uniforms."""
    from sim import kernels_elite
    from sim.submodels import protest

    seen = {}
    decide = kernels_elite.protest_decide

    def capture(p, prm, view, u):
        seen["view"], seen["u"] = view, u
        return decide(p, prm, view, u)

    kernels_elite.protest_decide = capture
    try:
        protest.update(m, compiled=True)
    finally:
        kernels_elite.protest_decide = decide
    return seen["view"], seen["u"]


@SETTINGS
@given(
    st.integers(0, 10_000),
    st.integers(0, 3),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1.0, 2.0, 3.5, 33.3]),
    st.sampled_from(["floor", "round", "none"]),
    st.booleans(),
)
def test_split_protest_decision_matches_reference_and_single_pass(
    seed, months, scramble, ppa, disc, negative_enforcers
):
    """``kernels_elite.protest_decide`` (thresholds for everyone, then the rule on those
    who can act) gives the turnout and tension of ``decide_numpy`` and of the single
    compiled pass, bit for bit. With negative enforcers (no valid parameters give them)
    the net risk can be negative, so people at or below their threshold could act: the
    split must then run the rule on everyone, and still agree."""
    from sim import kernels, kernels_elite
    from sim.submodels import protest

    m = _scrambled_model(seed, months, scramble, ppa, disc)
    view, u = _month_view(m)
    if negative_enforcers:
        view.enforcers = view.enforcers - 2.0 * view.enforcers.max() - 1.0
    p, prm = m.people, m.params
    want, want_t = protest.decide_numpy(p, prm, view, u)
    for decide in (kernels_elite.protest_decide, kernels.protest_decide):
        got, got_t = decide(p, prm, view, u)
        assert same_bits(got, want)
        assert got_t == want_t
    assert (want > 0).any()  # (the comparison is not vacuous)


def test_split_protest_decision_guard_is_needed_for_negative_enforcers():
    """Negative enforcers make people below their threshold act in the reference: the
    case the split's guard sends to the single pass is a real one."""
    from sim.submodels import protest

    m = _scrambled_model(3, 1, 5, 2.0, "none")
    view, u = _month_view(m)
    p = m.people
    want, _ = protest.decide_numpy(p, m.params, view, u)
    view.enforcers = view.enforcers - 2.0 * view.enforcers.max() - 1.0
    neg, _ = protest.decide_numpy(p, m.params, view, u)
    thr_free = np.flatnonzero((neg > 0) & ~(want > 0))
    assert thr_free.size > 0


@SETTINGS
@given(
    st.integers(0, 3000),
    st.integers(1, 30),
    st.integers(0, 3),
    st.booleans(),
    st.integers(0, 2**32 - 1),
)
def test_broken_tally_matches_numpy_reference(n, n_loc, beyond, by_locality, seed):
    """The share of broken pledges and their sums by locality (np.bincount, localities
    beyond ``n_loc`` dropped), compiled and in numpy, bit for bit."""
    from sim.submodels import legitimacy

    r = np.random.default_rng(seed)
    laid_off = np.where(r.random(n) < 0.4, r.integers(0, 200, n), -1).astype(np.int32)
    status = r.integers(0, len(Status), n).astype(np.int8)
    locality = r.integers(0, n_loc + beyond, n)
    got = legitimacy.broken_tally(laid_off, status, locality, n_loc, by_locality, compiled=True)
    want = legitimacy.broken_tally_numpy(laid_off, status, locality, n_loc, by_locality)
    assert same_bits(np.float64(got[0]), np.float64(want[0]))
    if by_locality:  # (np.bincount of no one gives integer zeros; the layer divides them)
        assert same_bits(got[1], want[1].astype(np.float64))
    else:
        assert got[1] is None and want[1] is None
    from sim.submodels.hardship import STATUS_LOSS

    expected = legitimacy.broken_pledges(laid_off, np.take(STATUS_LOSS, status))
    assert got[0] == expected


@SETTINGS
@given(st.integers(1, 500), st.integers(1, 20), st.integers(0, 2**32 - 1))
def test_residence_mean_matches_counted_mean(n, n_loc, seed):
    from sim.submodels import legitimacy
    from sim.submodels.residence import counted_mean

    r = np.random.default_rng(seed)
    by_residence = r.random(n_loc) * r.choice([0.0, 1.0], n_loc)
    residence = r.integers(-1, n_loc, n).astype(np.int32)  # (−1: the last, as numpy)
    locality = r.integers(0, n_loc, n)
    size = np.bincount(locality, minlength=n_loc).astype(np.float64)
    got = legitimacy.residence_mean(by_residence, residence, locality, size, compiled=True)
    want = counted_mean(by_residence, residence, locality, size)
    assert same_bits(got, want)
