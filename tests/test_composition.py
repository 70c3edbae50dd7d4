"""Regimes compose: each adds its own named terms, and ending one removes only its own.

Issue 12 point 1: ``cooperatives`` used to reset everyone's ``hardship_base`` to its own
snapshot each month, which erased ``residency``'s added hardship and turned its effect
on worker grievance negative. These tests would fail on that code.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.config import parse_scenario
from sim.model import CadreModel
from sim.outcomes import OUTCOME_NAMES
from sim.state import Kind, Status
from sim.terms import Terms

POP = {
    "cadres": 30,
    "technicians": 30,
    "workers": 500,
    "migrants": 200,
    "peasants": 300,
    "units": 6,
    "villages": 6,
}
PRIV = {"type": "privatization", "sale_rate": 0.15}
RES = {"type": "residency", "competition": 1.0}
COOPS = {"type": "cooperatives", "join_rate": 0.2}


def scenario(regimes, end="1995-12", **params):
    return parse_scenario(
        {
            "name": "composition",
            "start": "1993-01",
            "end": end,
            "population": POP,
            "params": {"people_per_agent": 10, **params},
            "regimes": regimes,
        }
    )


# --- the accumulator --------------------------------------------------------------------
def test_terms_sum_by_source_and_clear_each_month():
    t = Terms({"hardship": 3})
    t.add("hardship", "a", np.array([0.1, 0.2, 0.3]))
    t.add("hardship", "b", 0.5)
    t.add("hardship", "a", np.array([0.1, 0.0, 0.0]))
    np.testing.assert_allclose(t.total("hardship"), [0.7, 0.7, 0.8])
    assert t.sources("hardship") == ["a", "b"]
    t.new_month()
    assert t.breakdown("hardship") == {} and np.all(t.total("hardship") == 0)


def test_a_faded_term_shrinks_toward_what_it_keeps_then_stops_if_nothing():
    t = Terms({"fear": 2, "hardship": 2})
    t.add("fear", "campaign#0", 0.4)
    t.add("hardship", "grassroots#1", np.array([-0.2, 0.0]))
    t.new_month()  # the month the sources end
    t.fade("campaign#0", "fear", rate=0.5)
    t.fade("grassroots#1", "hardship", rate=0.5, keep=0.25)
    assert t.total("fear") == pytest.approx([0.2, 0.2])
    assert t.breakdown("hardship")["grassroots#1 (fading)"][0] == pytest.approx(-0.2 * 0.625)
    for _ in range(20):
        t.new_month()
    assert t.breakdown("fear") == {}  # faded out and dropped
    assert t.total("hardship")[0] == pytest.approx(-0.2 * 0.25, abs=1e-6)  # persistence


def test_terms_reject_unknown_quantities_and_wrong_shapes():
    t = Terms({"hardship": 3})
    with pytest.raises(KeyError, match="unknown composed quantity 'hardshp'; known: hardship"):
        t.add("hardshp", "x", 1.0)
    with pytest.raises(ValueError, match=r"shape \(2,\), expected \(3,\)"):
        t.add("hardship", "x", np.zeros(2))
    with pytest.raises(ValueError, match="fade rate and keep"):
        t.fade("x", "hardship", rate=1.5)


# --- in the model -----------------------------------------------------------------------
def test_ending_a_regime_removes_exactly_its_term():
    coops = {**COOPS, "end": "1994-06"}
    # No deaths, so no native row passes to a newcomer with a new H0 (docs/ODD.md 7.6.1).
    m = CadreModel(scenario([PRIV, RES, coops], mortality_60=0.0), seed=2)
    base0 = m.people.hardship_base.copy()
    while m.step_index < 18:  # through 1994-06, the coops' last month
        m.step()
    terms = m.terms.breakdown("hardship")
    assert {"residency#1", "cooperatives#2"} <= set(terms)
    assert terms["cooperatives#2"].min() < 0 and terms["residency#1"].max() > 0
    m.step()  # 1994-07: coops have ended
    after = m.terms.breakdown("hardship")
    assert "cooperatives#2" not in after and not any("cooperatives" in k for k in after)
    # residency's term is still this month's resentment, untouched by the coops' end
    p = m.people
    laid_off = (p.kind == Kind.WORKER) & np.isin(p.status, [Status.XIAGANG, Status.UNEMPLOYED])
    assert after["residency#1"][laid_off].mean() > 0
    assert np.all(after["residency#1"][~laid_off] == 0)
    # no regime writes anyone's own idiosyncratic hardship
    native = p.kind != Kind.MIGRANT
    np.testing.assert_array_equal(p.hardship_base[native], base0[native])


def worker_grievance(regimes, seeds):
    j = OUTCOME_NAMES.index("grievance_worker")
    out = []
    for s in seeds:
        m = CadreModel(scenario(regimes), seed=s)
        m.run()
        out.append(np.nanmean(m.records[:, j]))
    return np.array(out)


def test_residency_raises_worker_grievance_with_or_without_cooperatives():
    """Issue 12 point 1: the effect keeps its sign and rough size when a peasant regime
    is stacked on it (paired seeds). Sixteen seeds: with the cooperatives' worker-run units
    the effect is smaller (ratio 0.63 on seeds 1-16, 0.75 on seeds 7-16), and six seeds put
    the ratio anywhere from 0.46 to 1."""
    seeds = range(1, 17)
    alone = worker_grievance([PRIV, RES], seeds) - worker_grievance([PRIV], seeds)
    stacked = worker_grievance([PRIV, COOPS, RES], seeds) - worker_grievance([PRIV, COOPS], seeds)
    assert alone.mean() > 0 and stacked.mean() > 0
    assert 0.5 < stacked.mean() / alone.mean() < 2.0


def test_campaign_fear_fades_after_the_campaign_and_labels_stay():
    spec = {"type": "campaign", "kind": "anti_rightist", "end": "1993-06", "fear_fade": 0.2}
    m = CadreModel(scenario([spec], end="1994-06"), seed=1)
    for _ in range(6):
        m.step()
    fear = m.terms.total("fear")[0]
    labelled = m.people.class_label.copy()
    assert fear == pytest.approx(0.3)  # the Anti-Rightist climate
    m.step()
    assert m.terms.total("fear")[0] == pytest.approx(0.8 * fear)
    for _ in range(6):
        m.step()
    assert m.terms.total("fear")[0] == pytest.approx(0.8**7 * fear)
    np.testing.assert_array_equal(m.people.class_label, labelled)


def test_a_fading_campaign_does_not_release_a_burst_of_protest():
    """Issue 12 point 7: when fear vanished the month a campaign ended, protest burst."""
    j = OUTCOME_NAMES.index("protest_participants")

    def after_end(fade):
        total = 0.0
        for s in range(1, 4):
            spec = {"type": "campaign", "kind": "anti_rightist", "end": "1993-12"}
            m = CadreModel(scenario([{**spec, "fear_fade": fade}], end="1994-06"), seed=s)
            m.run()
            total += m.records[12:18, j].sum()
        return total

    assert after_end(0.06) < after_end(1.0)


def test_core_terms_are_replaced_not_added_when_recomputed():
    from sim.submodels import legitimacy

    m = CadreModel(scenario([{"type": "cadre_labour"}], end="1993-03"), seed=1)
    m.step()
    before = m.terms.total("presence")
    assert before[: m.units.n].max() > 0  # cadres on the line
    legitimacy.update_local(m)  # a second call in the same month
    np.testing.assert_array_equal(m.terms.total("presence"), before)
    t = Terms({"x": 1})
    t.set("x", "core", 1.0)
    t.set("x", "core", 2.0)
    assert t.total("x")[0] == 2.0
