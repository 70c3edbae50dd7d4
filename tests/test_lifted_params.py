"""Constants of the state response and careers lifted to parameters (docs audit): each
parameter moves its rule in the direction its source gives, at the pure-function level
and in the model, and keeps the bounds users are told about."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.config import Params
from sim.model import CadreModel
from sim.state import Kind
from sim.submodels import careers, state_response
from tests.conftest import small_scenario, worker_event

LIFTED = {
    "model_seizure_concession": 1.5,
    "detention_activism": 0.1,
    "promotion_political_capital": 0.5,
    "promotion_loyalty_gain": 0.1,
    "promotion_capital_gain": 0.5,
    "loyalty_base": 0.55,
    "loyalty_rank": 0.08,
    "loyalty_privilege": 0.2,
    "loyalty_persecution": 0.15,
    "loyalty_label": 0.05,
    "loyalty_adjustment": 0.05,
    "faction_switch_rate": 0.2,
    "splinter_rate": 0.02,
    "rebel_loyalty": 0.3,
    "clash_hardening": 0.05,
    "policy_concession_size": 300.0,
    "rural_brutality": 2.0,
    "breadth_linkage_weight": 0.5,
}


def test_defaults_are_the_former_constants():
    # The fingerprints of the shipped scenarios rest on these values (docs/validation.md).
    prm = Params()
    assert {name: getattr(prm, name) for name in LIFTED} == LIFTED


@pytest.mark.parametrize("name", sorted(LIFTED))
def test_out_of_range_values_are_refused_by_name(name):
    with pytest.raises(ValidationError, match=name):
        Params(**{name: -1.0})


# --- the "model" seizure (seed 003 E1, line 21) -----------------------------------------
def _bias(seizure, w_seizure):
    n = np.asarray(seizure).size
    z = np.zeros(n)
    return state_response.concession_bias(
        0.0, np.asarray(seizure, float), w_seizure, z, 3.0, z, z, 2.0
    )


@given(st.floats(0, 20), st.floats(0, 20))
def test_a_model_seizure_raises_the_chance_of_concession_only_where_it_stands(w1, w2):
    lo, hi = sorted((w1, w2))
    size = np.array([500.0, 500.0])
    seizure = np.array([1.0, 0.0])  # a model seizure in the first locality, none in the second
    p_lo = state_response.concession_probability(size, 0.2, -3.0, 0.8, 3.0, _bias(seizure, lo))
    p_hi = state_response.concession_probability(size, 0.2, -3.0, 0.8, 3.0, _bias(seizure, hi))
    assert p_hi[0] >= p_lo[0]
    assert p_hi[1] == p_lo[1]  # no model there: no effect


def test_concession_bias_terms_and_signs():
    one = np.ones(1)
    base = state_response.concession_bias(0.5, 0 * one, 1.5, 0 * one, 3.0, 0 * one, 0 * one, 2.0)
    assert base[0] == 0.5
    terms = dict(
        seizure=(dict(seizure=one), 1.5),
        split=(dict(split=0.5 * one), 1.5),
        harsh=(dict(harsh=0.25 * one), -0.25),
        escalation=(dict(escalation=0.5 * one), -1.0),
    )
    for name, (changed, shift) in terms.items():
        kw = dict(seizure=0 * one, split=0 * one, harsh=0 * one, escalation=0 * one, **{})
        kw.update(changed)
        got = state_response.concession_bias(
            0.5, kw["seizure"], 1.5, kw["split"], 3.0, kw["harsh"], kw["escalation"], 2.0
        )
        assert got[0] - base[0] == pytest.approx(shift), name


def _conceded(weight: float, seizure: bool) -> int:
    # A hopeless event (log-odds about −8 before the seizure term) in unit 0.
    m = CadreModel(
        small_scenario(params={"concession_base": -10.0, "model_seizure_concession": weight}),
        seed=3,
    )
    m.step()
    m.loc_model_seizure[:] = 0.0
    m.loc_model_seizure[0] = float(seizure)
    state_response.respond(m, worker_event(m, 0, 1000.0))
    t = m.tally
    return int(t["concessions"] + t["pacifications"] + t["contradicted"])


def test_the_model_seizure_parameter_is_what_makes_the_state_concede():
    assert _conceded(20.0, seizure=True) == 1
    assert _conceded(20.0, seizure=False) == 0
    assert _conceded(0.0, seizure=True) == 0


HARSH = {"concession_base": -20.0, "police_per_1000": 100.0, "arrests_per_officer": 10.0}


def test_detention_activism_hardens_the_arrested():
    def arrested_activism(gain: float) -> float:
        m = CadreModel(
            small_scenario(params={**HARSH, "detention_activism": gain}),
            seed=5,
        )
        m.step()
        before, files = m.people.activism.copy(), m.people.dossier.copy()
        state_response.respond(m, worker_event(m, 0, 1000.0))
        jailed = m.people.dossier > files  # arrested this month
        assert jailed.any()
        return float(np.mean(m.people.activism[jailed] - before[jailed]))

    assert arrested_activism(0.0) == 0.0
    assert arrested_activism(0.5) > arrested_activism(0.1) > 0.0


def test_rural_brutality_is_harsher_where_unseen():
    urban = np.array([True, False, False, False])
    vis = np.array([0.0, 0.0, 0.5, 1.0])
    assert state_response.rural_brutality(urban, vis, 2.0).tolist() == [1.0, 2.0, 1.5, 1.0]
    assert state_response.rural_brutality(urban, vis, 1.0).tolist() == [1.0] * 4
    assert state_response.rural_brutality(urban, vis, 4.0)[1] == 4.0


def test_breadth_linkage_weight_trades_linkage_for_class_breadth():
    # one claim out in 5 of 10 localities (linkage full at 0.2 share), no other class out
    loc, claim = np.arange(5), np.zeros(5, dtype=np.int64)
    args = (loc, claim, 10, 0.2)
    assert np.allclose(state_response.event_breadth(*args), 0.5)
    assert np.allclose(state_response.event_breadth(*args, 1.0), 1.0)
    assert np.allclose(state_response.event_breadth(*args, 0.0), 0.0)


def _policy_wins(min_size: float, size: float) -> int:
    m = CadreModel(
        small_scenario(
            params={
                "concession_base": 20.0,
                "narrow_breadth": 0.0,
                "policy_concession_size": min_size,
            }
        ),
        seed=3,
    )
    m.step()
    state_response.respond(m, worker_event(m, 0, size))
    return int(m.tally["concessions"])


def test_policy_needs_policy_concession_size_people():
    assert _policy_wins(300.0, 1000.0) == 1
    assert _policy_wins(2000.0, 1000.0) == 0  # conceded, but only paid off


# --- careers (science-anchors §3.2; seed 002 B1–B2, C5–C6, E1, E10, R1, R3) ------------
def test_loyalty_target_weights_move_it_their_way():
    z = np.zeros(1)
    one = np.ones(1)
    w = dict(base=0.5, w_rank=0.08, w_privilege=0.2, w_persecution=0.15, w_label=0.05)
    base = careers.loyalty_target(z, z, z, z, **w)[0]
    assert base == pytest.approx(0.5)
    assert careers.loyalty_target(2 * one, z, z, z, **w)[0] == pytest.approx(0.66)
    assert careers.loyalty_target(z, one, z, z, **w)[0] == pytest.approx(0.7)
    # persecution counts up to 3 times
    assert careers.loyalty_target(z, z, 5 * one, z, **w)[0] == pytest.approx(0.05)
    assert careers.loyalty_target(z, z, z, 2 * one, **w)[0] == pytest.approx(0.4)
    # bounded
    assert careers.loyalty_target(4 * one, 3 * one, z, z, **{**w, "base": 0.9})[0] == 1.0
    assert careers.loyalty_target(z, z, 3 * one, 4 * one, **{**w, "base": 0.0})[0] == 0.0


def test_rebel_loyalty_decides_the_disloyal_side():
    z = np.zeros(3, int)
    loyalty = np.array([0.2, 0.4, 0.6])
    assert careers.label_side(z, z, loyalty).tolist() == [1, 0, 0]  # default 0.3
    assert careers.label_side(z, z, loyalty, 0.5).tolist() == [1, 1, 0]
    assert careers.label_side(z, z, loyalty, 0.0).tolist() == [0, 0, 0]


def _promoted_capital(weight: float) -> tuple[float, float]:
    """Share of promotions going to high-capital cadres (capital 1 against 0, competing
    with class labels: β_label 1.5 a step), and how many were promoted."""
    m = CadreModel(
        small_scenario(
            params={"promotion_rate": 0.6, "promotion_political_capital": weight},
            population={"cadres": 400},
        ),
        seed=11,
    )
    p = m.people
    rows = p.rows(Kind.CADRE)
    n = rows.stop - rows.start
    p.rank[rows] = 0  # every post above rank 0 vacant
    p.patron[rows] = -1
    high = np.arange(n) % 2 == 0
    p.political_capital[rows] = np.where(high, 1.0, 0.0).astype(np.float32)
    m.levers.manager_authority = 0.0  # party-committee leadership: capital counts fully
    careers.promote(m)
    up = p.rank[rows] > 0
    assert 0 < up.sum() < n  # vacancies ration the candidates
    return float(high[up].mean()), float(up.sum())


def test_political_capital_weight_ranks_candidates():
    share_none, n_none = _promoted_capital(0.0)
    share_some, _ = _promoted_capital(0.5)
    share_much, n_much = _promoted_capital(2.0)
    assert share_none < share_some < share_much
    assert share_much > 0.9
    assert n_none == n_much  # the same vacancies are filled, by other people


def test_promotion_gains_and_loyalty_adjustment_are_read():
    def after_promotion(**params):
        m = CadreModel(
            small_scenario(params={"promotion_rate": 0.6, **params}, population={"cadres": 400}),
            seed=11,
        )
        p = m.people
        rows = p.rows(Kind.CADRE)
        p.rank[rows] = 0
        p.loyalty[rows] = 0.5
        p.political_capital[rows] = 0.0
        careers.promote(m)
        up = rows.start + np.flatnonzero(p.rank[rows] > 0)
        return p.loyalty[up], p.political_capital[up]

    loyalty, capital = after_promotion()
    assert np.allclose(loyalty, 0.6) and np.allclose(capital, 0.5)
    loyalty, capital = after_promotion(promotion_loyalty_gain=0.3, promotion_capital_gain=2.0)
    assert np.allclose(loyalty, 0.8) and np.allclose(capital, 2.0)


def test_loyalty_adjustment_sets_the_pace_of_cooptation():
    def moved(rate: float) -> float:
        m = CadreModel(small_scenario(params={"loyalty_adjustment": rate}), seed=2)
        p = m.people
        rows = p.rows(Kind.CADRE)
        p.loyalty[rows] = 0.0
        careers.update_loyalty(m)
        return float(np.mean(p.loyalty[rows]))

    assert moved(0.0) == 0.0
    assert 0.0 < moved(0.05) < moved(0.5)
