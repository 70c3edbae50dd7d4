"""Elite dynamics, layered legitimacy and the state's conditional response (sim/submodels/elite.py).

Pure functions are tested on their own (directions, bounds with hypothesis); the model
tests compare twin runs with the same seed that differ in one parameter or switch.
"""

from __future__ import annotations

import numpy as np
from conftest import small_scenario
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import CadreModel
from sim.regimes.repression_concession import STANCES, hardness_levers, indicated_hardness
from sim.runner import run_scenario
from sim.state import Kind
from sim.submodels import elite, state_response
from sim.submodels.protest import CLAIM_LAND, CLAIM_WAGES

CITY = {
    "end": "1996-12",
    "regimes": [
        {"type": "privatization", "start": "1993-03", "layoff_share": 0.75},
        {"type": "repression_concession", "stance": "hard"},
    ],
}


def test_cohesion_carries_division_and_defection_beyond_cooptation():
    factions = np.full(4, -1)
    even = np.array([0.6, 0.6, 0.6, 0.6])
    split = np.array([0.2, 1.0, 0.2, 1.0])  # same mean loyalty, divided elite
    assert even.mean() == split.mean()
    assert elite.cohesion(factions, even, 0.0, 1.0) > elite.cohesion(factions, split, 0.0, 1.0)
    assert elite.cohesion(factions, even, 0.5, 1.0) < elite.cohesion(factions, even, 0.0, 1.0)
    assert elite.cohesion(factions, split, 0.0, 0.0) == elite.cohesion(factions, even, 0.0, 0.0)


@given(
    st.lists(st.floats(0, 1), min_size=1, max_size=30),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_cohesion_is_a_share_and_never_exceeds_cooptation(loyalty, defected, w):
    loy = np.array(loyalty)
    c = elite.cohesion(np.full(loy.size, -1), loy, defected, w)
    assert 0.0 <= c <= loy.mean() + 1e-9


def test_defection_needs_a_split_protest_and_disloyalty():
    loy = np.array([0.2, 0.2, 0.9])
    facing = np.array([True, False, True])
    assert not elite.defection_hazard(loy, facing, 0.0, 0.5).any()
    h = elite.defection_hazard(loy, facing, 1.0, 0.5)
    assert h[0] > h[2] >= 0 and h[1] == 0
    # By degree: a half-split elite loses its disloyal cadres at half the rate.
    assert elite.defection_hazard(loy, facing, 0.5, 0.5)[0] == 0.5 * h[0]


@given(st.floats(0, 1), st.floats(0, 1), st.floats(0.01, 1), st.floats(0, 100))
def test_split_is_a_share_that_falls_as_cohesion_rises(c1, c2, reference, slope):
    lo, hi = sorted((c1, c2))
    s_lo, s_hi = elite.split(lo, reference, slope), elite.split(hi, reference, slope)
    assert 0.0 <= s_hi <= s_lo + 1e-12 and s_lo <= 1.0
    assert elite.split(1.0, reference, slope) < 1e-9
    assert abs(elite.split(0.0, reference, slope) - 1.0) < 1e-9


def test_split_is_graded_not_a_threshold():
    """A cohesive elite is already a little split, and every loss of cohesion counts
    (seed 002 H1-H2 ask for a degree); a flat slope is the linear 1 − cohesion."""
    ref, slope = 0.4, 12.0
    above = [elite.split(c, ref, slope) for c in (0.9, 0.75, 0.6, 0.5)]
    assert all(a < b for a, b in zip(above, above[1:], strict=False))  # above the reference
    assert 0.05 < elite.split(0.6, ref, slope) < 0.2
    assert 0.4 < elite.split(ref, ref, slope) < 0.6  # about half split at the reference
    assert elite.split(0.2, ref, slope) > 0.85
    assert abs(elite.split(0.3, ref, 0.0) - 0.7) < 1e-12
    assert abs(elite.split(0.3, ref, 2e-3) - 0.7) < 1e-4  # the limit is continuous
    assert elite.split(0.39, ref, 100.0) > 0.6 > 0.4 > elite.split(0.41, ref, 100.0)


def test_broad_protest_is_broader_than_an_isolated_one():
    one = state_response.event_breadth(np.array([0]), np.array([CLAIM_WAGES]), 20, 0.2)
    many = state_response.event_breadth(
        np.array([0, 1, 2, 3, 10]),
        np.array([CLAIM_WAGES] * 4 + [CLAIM_LAND]),
        20,
        0.2,
    )
    assert many[0] > one[0]
    # ... and broad protest is conceded to more often (D1).
    p = state_response.concession_probability(np.array([500.0]), many[:1], -3, 1, 2, 0)
    q = state_response.concession_probability(np.array([500.0]), one, -3, 1, 2, 0)
    assert p[0] > q[0]


@settings(max_examples=50)
@given(st.integers(1, 60), st.integers(1, 50))
def test_breadth_is_free_of_the_number_of_localities(k, copies):
    """The same pattern of protest over k times as many localities has the same breadth."""
    loc = np.array([0, 1, 2])
    claim = np.array([0, 0, 1])
    b1 = state_response.event_breadth(loc, claim, 10, 0.2)
    loc_k = np.concatenate([loc + 3 * i for i in range(k)])
    claim_k = np.tile(claim, k)
    bk = state_response.event_breadth(loc_k, claim_k, 10 * k, 0.2)
    assert np.allclose(bk[:3], b1)


def test_escalation_rises_only_after_a_win_in_a_sold_unit_and_fades():
    e = np.zeros(3)
    won = np.array([True, True, False])
    sold = np.array([True, False, True])
    e1 = state_response.next_escalation(e, won, sold, 0.5, 0.1)
    assert e1[0] == 0.5 and e1[1] == 0 and e1[2] == 0
    e2 = state_response.next_escalation(e1, ~won, sold, 0.5, 0.1)
    assert 0 < e2[0] < e1[0]


def test_police_comply_under_pressure_and_hold_back_without():
    assert state_response.police_compliance(0.4, 1.0) == 1.0
    assert state_response.police_compliance(0.4, 0.0) == 0.6


def test_hardness_interpolates_the_presets_and_answers_protest():
    assert hardness_levers(0.0) == STANCES["soft"] and hardness_levers(1.0) == STANCES["hard"]
    assert hardness_levers(0.5) == STANCES["mixed"]
    calm = indicated_hardness(0.5, 0.0, 0.0, 0.0, 0.5, 0.6, 0.5)
    big = indicated_hardness(0.5, 10.0, 0.0, 0.0, 0.5, 0.6, 0.5)
    broad = indicated_hardness(0.5, 10.0, 1.0, 0.0, 0.5, 0.6, 0.5)
    sold = indicated_hardness(0.5, 10.0, 0.0, 1.0, 0.5, 0.6, 0.5)
    assert calm == 0.5 and big > calm and broad < big and sold >= big


def _summary(seed=1, **params):
    kw = dict(CITY)
    kw["params"] = {"people_per_agent": 5, **params}
    return run_scenario(small_scenario(**kw), seed=seed).summary


COHESION_FEEDBACK = (
    "elite_repression_capacity",
    "concession_coherence",
    "implementation_fidelity",
    "elite_defection",
)


def _arrests_per_protester(rs):
    return sum(r["arrests_total"] for r in rs) / max(sum(r["active_mean"] for r in rs), 1e-9)


def test_lower_cohesion_means_less_effective_repression_and_more_defection():
    """With the reference cohesion above what the elite has, capacity falls (H1-H2)."""
    full = [_summary(s, cohesion_reference=0.01) for s in (1, 2)]
    short = [_summary(s, cohesion_reference=1.0) for s in (1, 2)]
    assert sum(r["defections_total"] for r in full) < sum(r["defections_total"] for r in short)
    assert np.mean([r["implementation_fidelity_mean"] for r in short]) < np.mean(
        [r["implementation_fidelity_mean"] for r in full]
    )
    assert _arrests_per_protester(short) < _arrests_per_protester(full)


def test_elite_at_cohesion_above_the_reference_is_already_below_full_capacity():
    """Graded, not a threshold: at cohesion 0.6 (above the reference 0.4) the elite is
    already split, fidelity below 1, and its enforcers below full effect."""
    m = CadreModel(small_scenario(**CITY), seed=1)
    rows = m.people.rows(Kind.CADRE)
    m.people.faction[rows] = -1
    m.people.loyalty[rows] = 0.6  # even and unaligned: cohesion = mean loyalty
    elite.update(m)
    assert abs(m.elite.cohesion - 0.6) < 1e-6 and m.params.cohesion_reference < 0.6
    assert 0.0 < m.elite.split < 0.5
    assert m.elite.fidelity < 1.0
    effect = 1.0 - m.params.repression_capacity_loss * m.elite.split
    assert effect < 1.0


def test_cohesion_feedback_acts_where_cohesion_stays_above_the_reference():
    """The reform city's elite stays above the reference cohesion, where a threshold rule
    was inert (validation: the no-feedback variant identical). Graded, its split still
    costs arrests per protester and brings defections, on the same seeds."""
    on = [_summary(s) for s in (1, 2)]
    kw = dict(CITY, params={"people_per_agent": 5})
    kw["mechanisms"] = dict.fromkeys(COHESION_FEEDBACK, False)
    off = [run_scenario(small_scenario(**kw), seed=s).summary for s in (1, 2)]
    assert min(r["elite_cohesion_mean"] for r in off) > 0.4  # above the reference
    assert sum(r["defections_total"] for r in on) > 0 == sum(r["defections_total"] for r in off)
    assert _arrests_per_protester(on) < _arrests_per_protester(off)


def test_cohesion_and_cooptation_diverge_in_the_reform_city():
    r = _summary()
    assert r["elite_cohesion_mean"] < r["cadre_cooptation_mean"] - 0.05


def test_reform_city_protest_grows_while_the_centre_outlasts_local_officials():
    kw = dict(CITY, end="2002-12")
    ts = run_scenario(small_scenario(**kw), seed=1).timeseries
    first, last = ts.iloc[:36], ts.iloc[-36:]
    assert last["active"].mean() > first["active"].mean()
    assert (ts["legitimacy_central"] >= ts["legitimacy_local"] - 1e-9).mean() > 0.5
    assert ts["legitimacy_central"].iloc[-1] > 0.0


def test_local_repression_lowers_local_legitimacy_not_the_centre():
    m = CadreModel(small_scenario(**CITY), seed=1)
    m.response.blame[:] = 0.0
    m.response.blame[0] = 1.0  # unit 0 remembers repression
    from sim.submodels import legitimacy

    m.terms.new_month()
    legitimacy.update_local(m)
    assert m.local_legitimacy[0] < m.local_legitimacy[1] - 0.2 or m.loc_size[0] == 0
