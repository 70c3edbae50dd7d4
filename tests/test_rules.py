"""The core rules in isolation: directions of effects and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sim.submodels import (
    careers,
    economy,
    hardship,
    legitimacy,
    production,
    protest,
    state_response,
)

unit = st.floats(0, 1, allow_nan=False)
vec = arrays(np.float64, st.integers(1, 50), elements=unit)


def test_arrest_probability_epstein_values():
    c, a = np.array([1.0]), np.array([1.0])
    assert protest.arrest_probability(c, a, 2.3, "none")[0] == pytest.approx(1 - math.exp(-2.3))
    # floor: once actives outnumber cops, perceived risk vanishes (NetLogo Rebellion)
    assert protest.arrest_probability(np.array([2.0]), np.array([3.0]), 2.3, "floor")[0] == 0.0
    assert protest.arrest_probability(np.array([2.0]), np.array([3.0]), 2.3, "round")[0] > 0.5


@given(vec, vec)
def test_arrest_probability_falls_with_actives(cops, extra):
    n = min(cops.size, extra.size)
    c = cops[:n] * 10
    p1 = protest.arrest_probability(c, np.ones(n), 2.3, "floor")
    p2 = protest.arrest_probability(c, 1 + extra[:n] * 10, 2.3, "floor")
    assert np.all(p2 <= p1) and np.all((p1 >= 0) & (p1 <= 1))


def test_decide_is_epsteins_rule():
    g = np.array([0.5, 0.5, 0.05])
    r = np.array([0.1, 0.9, 0.0])
    p = np.array([0.9, 0.9, 0.0])
    assert protest.decide(g, r, p, np.full(3, 0.1)).tolist() == [True, False, False]


def test_size_classes():
    sizes = np.array([4, 5, 29, 30, 299, 300, 999, 1000, 5000])
    assert protest.size_class(sizes).tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4]


def test_grievance_is_h_times_one_minus_l():
    h, legit = np.array([0.5, 1.0]), np.array([0.8, 0.0])
    g = hardship.grievance(h, legit, np.zeros(2), 0.0)
    assert np.allclose(g, [0.1, 1.0])
    # memory carries last month's grievance over
    assert hardship.grievance(h, legit, np.ones(2), 0.5)[0] == pytest.approx(0.55)


def test_hardship_rises_with_each_source():
    z = np.zeros(1)
    base = dict(
        base=z,
        regime_terms=z,
        deprivation_=z,
        status_loss=z,
        arrears=z,
        land_lost=z,
        health=np.ones(1),
        w_base=0.3,
        w_income=0.4,
        w_status=0.2,
        w_arrears=0.3,
        w_land=0.3,
        w_health=0.2,
    )
    h0 = hardship.material_hardship(**base)[0]
    for key, worse in [
        ("deprivation_", 0.5),
        ("status_loss", 1.0),
        ("arrears", 0.5),
        ("land_lost", 0.5),
        ("health", 0.3),
        ("base", 0.7),
        ("regime_terms", 0.2),
    ]:
        h = hardship.material_hardship(**{**base, key: np.array([worse])})[0]
        assert h > h0, key
    # A relieving term (a safety net, a solved problem) lowers H, never below 0.
    hurt = {**base, "base": np.ones(1)}
    relieved = hardship.material_hardship(**{**hurt, "regime_terms": np.array([-0.1])})[0]
    assert 0 <= relieved < hardship.material_hardship(**hurt)[0]


@given(vec)
def test_hardship_bounded(x):
    h = hardship.material_hardship(x, x - 0.5, x, x, x, x, x, 1, 1, 1, 1, 1, 1)
    assert np.all((h >= 0) & (h <= 1))


def test_deprivation_and_arrears_pressure():
    assert hardship.deprivation(np.array([0.0, 0.5, 2.0]), 1.0).tolist() == [1.0, 0.5, 0.0]
    assert hardship.arrears_pressure(np.array([0.0, 3.0, 12.0])).tolist() == [0.0, 0.5, 1.0]


def test_legitimacy_moves_in_the_texts_directions():
    kw = dict(
        legitimacy=0.7,
        target=0.7,
        reversion=0.05,
        growth=0.0,
        privilege=0.0,
        chaos=0.0,
        repression_share=0.0,
        concession_share=0.0,
        w_perf=0.5,
        w_priv=0.02,
        w_chaos=0.03,
        w_rep=0.5,
        w_conc=0.2,
    )
    same = legitimacy.global_change(**kw)
    assert same == pytest.approx(0.7)
    assert legitimacy.global_change(**{**kw, "growth": 0.01}) > same
    assert legitimacy.global_change(**{**kw, "privilege": 1.0}) < same
    assert legitimacy.global_change(**{**kw, "chaos": 1.0}) < same
    assert legitimacy.global_change(**{**kw, "repression_share": 0.01}) < same
    assert legitimacy.global_change(**{**kw, "concession_share": 0.01}) > same
    assert legitimacy.global_change(**{**kw, "target": 0.9}) > same


def test_local_legitimacy_presence_and_corruption():
    base = legitimacy.local(0.5, np.zeros(1), np.zeros(1), 0.15, 0.15)[0]
    assert legitimacy.local(0.5, np.ones(1), np.zeros(1), 0.15, 0.15)[0] > base
    assert legitimacy.local(0.5, np.zeros(1), np.ones(1), 0.15, 0.15)[0] < base
    assert legitimacy.presence(np.array([0.0, 0.1, 0.2, 0.5])).tolist() == [0.0, 0.5, 1.0, 1.0]


def test_concession_more_likely_for_large_broad_protests():
    small = state_response.concession_probability(np.array([10.0]), 0.0, -3, 0.8, 3, 0)[0]
    large = state_response.concession_probability(np.array([10000.0]), 0.0, -3, 0.8, 3, 0)[0]
    broad = state_response.concession_probability(np.array([10.0]), 0.5, -3, 0.8, 3, 0)[0]
    soft = state_response.concession_probability(np.array([10.0]), 0.0, -3, 0.8, 3, 1.0)[0]
    assert small < large and small < broad and small < soft


def test_rural_protest_less_visible():
    v = state_response.visibility(np.array([500.0, 500.0]), np.array([True, False]), 1000, 0.3)
    assert v[0] == pytest.approx(0.5) and v[1] == pytest.approx(0.15)


def test_leaders_arrested_first_and_capacity_respected():
    loc = np.array([0, 0, 0, 1, 1])
    act = np.array([0.1, 0.9, 0.5, 0.2, 0.3])
    cap = np.array([2, 0])
    chosen = state_response.leaders_to_arrest(loc, act, cap, np.zeros(5))
    assert chosen.tolist() == [False, True, True, False, False]


def test_accident_hazard_directions():
    args = dict(
        base=np.array([0.01]),
        collusion=np.array([0.0]),
        distance=np.array([0.0]),
        enforcement=0.5,
        safety=np.array([0.5]),
        g_collusion=1.5,
        g_distance=0.8,
        d_enforcement=0.6,
    )
    h0 = production.accident_hazard(**args)[0]
    assert production.accident_hazard(**{**args, "collusion": np.array([1.0])})[0] > h0
    assert production.accident_hazard(**{**args, "distance": np.array([1.0])})[0] > h0
    assert production.accident_hazard(**{**args, "enforcement": 1.0})[0] < h0
    assert production.accident_hazard(**{**args, "safety": np.array([1.0])})[0] < h0


def test_collusion_target_native_and_media():
    lo = production.collusion_target(np.array([0.5]), np.array([0.0]), 0.0, 0.0)[0]
    assert production.collusion_target(np.array([0.5]), np.array([1.0]), 0.0, 0.0)[0] > lo
    assert production.collusion_target(np.array([0.5]), np.array([0.0]), 0.0, 1.0)[0] < lo


def test_output_falls_with_cadre_time_on_the_line():
    kw = dict(
        capacity=np.ones(1),
        staffing=np.ones(1),
        labour_share=np.zeros(1),
        management_cost=0.5,
        autonomy=0.5,
        tech_alienation=np.zeros(1),
        disruption=np.zeros(1),
    )
    assert production.output(**kw)[0] == pytest.approx(1.0)
    assert production.output(**{**kw, "labour_share": np.array([0.2])})[0] < 1.0
    assert production.output(**{**kw, "disruption": np.array([0.3])})[0] < 1.0


def test_promotion_logit_directions():
    kw = dict(
        perf=np.zeros(1),
        tie=np.zeros(1),
        label=np.zeros(1),
        rate=0.01,
        b_perf=1.0,
        b_tie=1.0,
        b_inter=0.5,
        b_label=1.5,
    )
    base = careers.promotion_logit(**kw)[0]
    assert base == pytest.approx(math.log(0.01 / 0.99))
    assert careers.promotion_logit(**{**kw, "perf": np.ones(1)})[0] > base
    assert careers.promotion_logit(**{**kw, "tie": np.ones(1)})[0] > base
    assert careers.promotion_logit(**{**kw, "label": np.full(1, 2.0)})[0] < base
    # complementarity (Jia et al.): performance pays more for the connected
    gain_tied = (
        careers.promotion_logit(**{**kw, "perf": np.ones(1), "tie": np.ones(1)})[0]
        - careers.promotion_logit(**{**kw, "tie": np.ones(1)})[0]
    )
    gain_untied = careers.promotion_logit(**{**kw, "perf": np.ones(1)})[0] - base
    assert gain_tied > gain_untied


def test_fractionalization_and_cohesion():
    assert careers.fractionalization(np.array([-1, -1, -1])) == 0.0
    assert careers.fractionalization(np.array([0, 1])) == pytest.approx(0.5)
    assert careers.elite_cohesion(np.array([-1, -1]), np.array([0.8, 0.6])) == pytest.approx(0.7)
    assert careers.elite_cohesion(np.array([0, 1]), np.array([0.8, 0.6])) == pytest.approx(0.35)
    assert careers.count_factions(np.array([-1, 0, 0, 1, 2, 2, 2]), 2) == 2


def test_label_side_sends_labelled_to_rebels():
    side = careers.label_side(np.array([0, 2, 0]), np.array([0, 0, 1]), np.array([0.8, 0.8, 0.8]))
    assert side.tolist() == [careers.CONSERVATIVE, careers.REBEL, careers.REBEL]


def test_tie_majority():
    from scipy import sparse

    ties = sparse.csr_matrix(np.array([[0, 1, 1, 0], [1, 0, 0, 0], [1, 0, 0, 1], [0, 0, 1, 0]]))
    maj = careers.tie_faction_majority(ties, np.array([-1, 3, 3, -1], dtype=np.int16))
    assert maj.tolist() == [3, -1, -1, 3]


@given(arrays(np.float64, st.integers(1, 100), elements=st.floats(0, 1e6)))
def test_gini_bounds(x):
    g = economy.gini(x)
    assert -1e-9 <= g <= 1.0


def test_gini_known_values():
    assert economy.gini(np.ones(10)) == pytest.approx(0.0)
    assert economy.gini(np.array([0, 0, 0, 1.0])) == pytest.approx(0.75)


def test_arrears_hazard_migrants_without_rights():
    h = economy.arrears_hazard(np.zeros(2), np.array([False, True]), 0.2, 0.0)
    assert h[1] > h[0]
    assert economy.arrears_hazard(np.zeros(1), np.array([True]), 0.2, 1.0)[0] == 0.0


@given(
    autonomy=st.floats(0.0, 1.0),
    a=st.floats(0.0, 1.0),
    b=st.floats(0.0, 1.0),
)
def test_alienated_technicians_never_raise_output(autonomy, a, b):
    """Issue 12 point 6: below autonomy 0.5 the old rule let alienation raise output.

    Output must be non-increasing in technician alienation and non-decreasing in
    autonomy at every setting (seed 002 B2, E6, E10)."""
    kw = dict(
        capacity=np.ones(1),
        staffing=np.ones(1),
        labour_share=np.zeros(1),
        management_cost=0.0,
        disruption=np.zeros(1),
    )
    lo, hi = min(a, b), max(a, b)
    calm = production.output(autonomy=autonomy, tech_alienation=np.array([lo]), **kw)[0]
    alienated = production.output(autonomy=autonomy, tech_alienation=np.array([hi]), **kw)[0]
    assert alienated <= calm + 1e-12
    freer = production.output(autonomy=max(autonomy, a), tech_alienation=np.array([b]), **kw)[0]
    tighter = production.output(autonomy=min(autonomy, a), tech_alienation=np.array([b]), **kw)[0]
    assert freer >= tighter - 1e-12
