"""Reform-era regimes (seed 003): privatization, residency, rural taxes, repression.

Each regime is run on and off with the same seeds and its main outcomes must move in
the direction the source describes; the rule functions are tested directly.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from sim.calendar import Month
from sim.config import ScenarioError, parse_scenario
from sim.levers import Levers
from sim.model import CadreModel
from sim.outcomes import OUTCOME_NAMES
from sim.regimes import privatization as priv
from sim.regimes import repression_concession as rc
from sim.regimes import residency as res
from sim.regimes import rural_taxes as rt
from sim.runner import run_scenario
from sim.state import Kind, Status
from sim.submodels import demography

SEEDS = (1, 2, 3)
POP = dict(
    cadres=60, technicians=120, workers=1500, migrants=600, peasants=1500, units=12, villages=12
)


def scenario(regimes: tuple = (), end: str = "1998-12", **params):
    return parse_scenario(
        dict(
            name="t",
            start="1993-01",
            end=end,
            seed=7,
            population=POP,
            params={"legitimacy": 0.8, "people_per_agent": 10, **params},
            regimes=[dict(r) for r in regimes],
        )
    )


@cache
def mean_summary(regimes: tuple, *keys: str) -> dict[str, float]:
    s = scenario(tuple(dict(r) for r in regimes))
    runs = [run_scenario(s, seed).summary for seed in SEEDS]
    return {k: float(np.mean([r[k] for r in runs])) for k in keys}


def freeze(*regimes: dict) -> tuple:
    return tuple(tuple(sorted(r.items())) for r in regimes)


# --- privatization -------------------------------------------------------------------
def test_retention_keeps_young_and_educated():
    age = np.array([25.0, 55.0, 40.0, 40.0])
    edu = np.array([0.5, 0.5, 0.9, 0.1])
    score = priv.retention_score(age, edu, 1.0, 1.0)
    assert score[0] > score[1]  # younger kept
    assert score[2] > score[3]  # more educated kept
    unit = np.array([0, 0, 1, 1])
    out = priv.select_layoffs(unit, score, np.array([1, 1]))
    assert out.tolist() == [False, True, False, True]


def test_layoff_quota_and_status():
    assert priv.layoff_quota(np.array([3000, 4, 0]), 0.75).tolist() == [2250, 3, 0]
    assert priv.layoff_quota(np.array([3000]), 2 / 3).tolist() == [2000]  # Siping, L14
    status = priv.layoff_status(np.array([58.0, 50.0, 30.0]), np.array([False, True, False]), 55)
    assert status.tolist() == [Status.RETIRED, Status.UNEMPLOYED, Status.XIAGANG]


def test_sale_quota_sums_what_is_due():
    carry, sold, remaining = 0.0, 0, 36
    for _ in range(96):
        n, carry = priv.sale_quota(remaining, 0.04, carry)
        sold += n
        remaining -= n
    assert 30 <= sold <= 36 and remaining >= 0
    assert priv.sale_quota(5, 1.0, 0.0) == (5, 0.0)
    assert priv.block_probability(np.array([10.0, 5000.0]), 1000.0).tolist() == [0.01, 1.0]


def test_privatization_directions():
    keys = (
        "xiagang_final",
        "employed_final",
        "grievance_worker_mean",
        "protest_events_total",
        "gini_mean",
    )
    off = mean_summary((), *keys)
    on = mean_summary(freeze({"type": "privatization", "start": "1994-01"}), *keys)
    assert on["xiagang_final"] > 100 > off["xiagang_final"]
    assert on["employed_final"] < off["employed_final"] - 300
    assert on["grievance_worker_mean"] > off["grievance_worker_mean"]
    assert on["protest_events_total"] > off["protest_events_total"]
    assert on["gini_mean"] > off["gini_mean"]


def test_privatization_is_selective_and_keeps_units():
    m = CadreModel(scenario(({"type": "privatization", "sale_rate": 0.2},), end="1994-12"), 3)
    p = m.people
    unit0 = p.unit.copy()
    m.run()
    w = p.rows(Kind.WORKER)
    laid = np.isin(p.status[w], (Status.XIAGANG, Status.UNEMPLOYED))
    sold_w = m.units.restructured[np.maximum(p.unit[w], 0)] >= 0
    kept = (p.status[w] == Status.EMPLOYED) & sold_w
    assert laid.sum() > 100
    # A2: those kept are younger and more educated than those laid off.
    assert p.age[w][kept].mean() < p.age[w][laid].mean()
    assert p.skill[w][kept].mean() > p.skill[w][laid].mean()
    # Laid-off workers stay attached to their former danwei unless re-employed.
    assert np.mean(p.unit[w][laid] == unit0[w][laid]) > 0.95
    # Enrichment stays with the sold units' cadres (line 19), and so do the layoff's terms.
    sold = m.units.restructured >= 0
    assert np.all(m.units.privilege[sold] > 0) and np.all(m.units.privilege[~sold] == 0)
    assert m.visible_privilege > 0
    assert np.all(p.laid_off[w][laid] >= 0)
    assert set(np.unique(p.stipend_months[w][laid])) <= {36, m.params.restored_stipend_months}


def test_consequences_of_restructuring_outlive_the_policy_window():
    """Stipends keep expiring, benefits keep going unpaid and privilege stays visible after
    the sales stop (seed 003 C1–C2, lines 14, 19, 27)."""
    reg = {"type": "privatization", "sale_rate": 0.3, "xiagang_years": 1, "end": "1993-12"}
    # no concessions, so no stipend is restored and every one must lapse
    m = CadreModel(scenario((reg,), end="1996-12", concession_base=-20.0), 3)
    for _ in range(12):
        m.step()
    p, w = m.people, m.people.rows(Kind.WORKER)
    xiagang_at_end = int(np.count_nonzero(p.status[w] == Status.XIAGANG))
    privilege_at_end = m.visible_privilege
    m.run()
    assert not m.regimes[0].active
    assert xiagang_at_end > 0 and np.count_nonzero(p.status[w] == Status.XIAGANG) == 0
    assert m.visible_privilege == pytest.approx(privilege_at_end, rel=1e-6)
    owed = m.units.benefit_arrears[np.maximum(p.unit, 0)] > 0
    assert p.arrears[owed & (p.status == Status.RETIRED)].mean() > 0


# --- residency -------------------------------------------------------------------------
def test_residency_rules():
    h = demography.deplete_health(np.array([1.0, 0.01], np.float32), np.array([True, True]), 1 / 36)
    assert h[0] == pytest.approx(1 - 1 / 36) and h[1] == 0.0
    assert res.convergence_at(5, 10, 0.5, 10) == 0.0
    assert res.convergence_at(14, 10, 0.5, 10) == pytest.approx(0.25)
    assert res.convergence_at(40, 10, 0.5, 10) == 0.5
    r = res.resentment(np.array([0.5, 0.5]), 0.3, np.array([True, False]), 1.0)
    assert r[0] == pytest.approx(0.4) and r[1] == 0.0


def test_residency_directions_and_turnover():
    keys = ("grievance_migrant_mean", "employed_final")
    off = mean_summary((), *keys)
    reg = {"type": "residency", "wage_convergence": 0.8, "convergence_start": "1996-01"}
    on = mean_summary(freeze(reg), *keys)
    assert on["grievance_migrant_mean"] > off["grievance_migrant_mean"]
    assert on["employed_final"] < off["employed_final"]  # exit home as wages converge
    m = CadreModel(scenario(({"type": "residency"},), end="1997-12"), 2)
    n0, mig = m.people.n, m.people.rows(Kind.MIGRANT)
    worn = 0
    while m.running:
        m.step()
        worn += m.tally.get("migrants_exhausted", 0)  # core demography (G4)
    assert m.people.n == n0 and m.people.count(Kind.MIGRANT) == POP["migrants"]
    assert worn > POP["migrants"] // 2  # G4: health gone in ~3 years, replaced
    assert m.people.health[mig].min() >= 0.0
    assert m.levers.migrant_rights == pytest.approx(0.1)


def test_residency_resentment_is_its_own_term_and_ends_with_it():
    s = scenario(
        (
            {"type": "privatization", "sale_rate": 0.3, "end": "1994-06"},
            {"type": "residency", "competition": 1.0, "end": "1995-06"},
        ),
        end="1995-12",
        mortality_60=0.0,  # no one dies, so no row passes to a newcomer with a new H0
        retirement_age=90.0,  # nor does a retiring cadre's post pass to a recruit (7.6.1)
    )
    m = CadreModel(s, 4)
    base0 = m.people.hardship_base.copy()
    for _ in range(20):
        m.step()
    term = m.terms.breakdown("hardship")["residency#1"]
    laid_off = (m.people.kind == Kind.WORKER) & (m.people.status != 1)
    assert term[laid_off].max() > 0 and np.all(term[~laid_off] == 0)  # F1 resentment
    m.run()
    assert "residency#1" not in m.terms.breakdown("hardship")
    mig = m.people.kind == Kind.MIGRANT
    np.testing.assert_array_equal(m.people.hardship_base[~mig], base0[~mig])


# --- rural taxes ---------------------------------------------------------------------------
def test_rural_rules():
    land, taken = rt.seize_land(np.array([1.0, 1.0]), np.array([True, False]), 0.4)
    assert land.tolist() == [0.6, 1.0] and taken.tolist() == [0.4, 0.0]
    hist = np.array([[1, 0, 0, 0], [0, 2, 0, 0]])
    assert rt.unrest_share(hist) == 0.5
    assert rt.unrest_share(hist, violence_weight=1.0) == 0.75  # one of four was violent
    assert rt.relief_due(hist, 0.4) and not rt.relief_due(hist, 0.5)
    assert rt.relief_due(hist, 0.5, violence_weight=0.5)
    # Relief is phased in: a share of the package each month, then all of it.
    phases = [rt.relief_phase(k, 4) for k in range(-1, 6)]
    assert phases == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0, 1.0]
    rates = rt.village_tax_rates(0.2, 0.0, np.zeros(3))
    np.testing.assert_allclose(rates, 0.2)
    assert rt.violent(
        np.array([0.1, 0.01, 0.01]), np.array([False, True, False]), 0.05
    ).tolist() == [
        True,
        True,
        False,
    ]


def test_rural_taxes_directions():
    keys = ("grievance_peasant_mean", "protest_events_total", "violent_events_total")
    off = mean_summary((), *keys)
    on = mean_summary(freeze({"type": "rural_taxes", "relief_trigger": 1.0}), *keys)
    assert on["grievance_peasant_mean"] > off["grievance_peasant_mean"]
    assert on["protest_events_total"] > off["protest_events_total"]
    assert on["violent_events_total"] > 0 == off["violent_events_total"]


def test_rural_relief_enacted_when_unrest_widespread():
    reg = {
        "type": "rural_taxes",
        "tax_rate": 0.4,
        "relief_trigger": 0.2,
        "burn_in": 6,
        "relief_not_before": None,
        "relief_months": 3,
    }
    # Legitimacy 0.7 makes village unrest widespread enough in every seed tried (1–8).
    m = CadreModel(scenario((reg,), legitimacy=0.7), 1)
    taxes_before = None
    while m.running:
        m.step()
        regime = m.regimes[0]
        if regime.relief_step is None:
            taxes_before = m.people.tax_burden[m.people.rows(Kind.PEASANT)].mean()
    assert regime.relief_step is not None
    rec = m.records[:, OUTCOME_NAMES.index("rural_relief")]
    assert rec.sum() == 1 and int(np.flatnonzero(rec)[0]) == regime.relief_step
    assert m.people.tax_burden[m.people.rows(Kind.PEASANT)].mean() < taxes_before
    assert m.levers.grain_price > 1.0
    never = CadreModel(scenario(({**reg, "relief_trigger": 1.0},), end="1995-12"), 1)
    never.run()
    assert never.regimes[0].relief_step is None
    # The centre concedes only once a conceding leadership is in office (line 60).
    # (without the regimes_b lethal repression and scissors, which damp the unrest)
    later = CadreModel(
        scenario(({**reg, "relief_not_before": "1995-01", "lethal_share": 0.0, "scissors": 0.0},)),
        1,
    )
    later.run()
    assert later.regimes[0].relief_step >= Month(1993, 1).months_until(Month(1995, 1))
    assert later.regimes[0].relief_step > regime.relief_step


# --- repression and concession ---------------------------------------------------------
def test_stance_levers_order_and_overrides():
    soft, hard = rc.stance_levers("soft"), rc.stance_levers("hard")
    assert hard[0] > soft[0] and hard[1] < soft[1] and hard[2] > soft[2] and hard[3] > soft[3]
    assert rc.stance_levers("hard", repression=0.1)[0] == 0.1
    assert rc.next_hostility(0.0, 0.4, 3, 0.5) == pytest.approx(0.2)
    assert rc.next_hostility(0.3, 0.4, 0, 0.5) == 0.3  # no urban protest, no proxies used


def test_hard_stance_arrests_more_concedes_less():
    keys = ("arrests_total", "concessions_total", "pacifications_total", "protest_events_total")
    # Stances differ only where there is contention: both arms restructure (seed 003 R1).
    priv_ = {"type": "privatization"}
    soft = mean_summary(freeze(priv_, {"type": "repression_concession", "stance": "soft"}), *keys)
    hard = mean_summary(freeze(priv_, {"type": "repression_concession", "stance": "hard"}), *keys)
    ev_s, ev_h = soft["protest_events_total"], hard["protest_events_total"]
    assert hard["arrests_total"] / ev_h > soft["arrests_total"] / ev_s
    conc = ("concessions_total", "pacifications_total")
    assert sum(hard[k] for k in conc) / ev_h < sum(soft[k] for k in conc) / ev_s
    assert ev_h < ev_s  # deterrence (D7) suppresses protest


def test_proxies_breed_hostility_and_model_seizure():
    # stance_adapt 0: the hard preset throughout (the stance is otherwise a response)
    reg = {
        "type": "repression_concession",
        "stance": "hard",
        "model_seizures": 2,
        "stance_adapt": 0,
    }
    m = CadreModel(scenario(({"type": "privatization"}, reg), end="1995-12"), 1)
    m.run()
    r = m.regimes[1]
    assert m.units.model_seizure.sum() == 2
    assert r.hostility > 0
    assert np.all(m.ties.data[r.cross] < 1.0) and r.cross.any()
    assert m.levers.proxy_enforcers == pytest.approx(0.4)


# --- invariants ------------------------------------------------------------------------------
ALL = (
    {"type": "privatization", "start": "1993-06", "end": "1994-12", "sale_rate": 0.2},
    {"type": "residency", "end": "1994-12", "wage_convergence": 1.0},
    {"type": "rural_taxes", "end": "1994-12"},
    {"type": "repression_concession", "end": "1994-12", "stance": "hard"},
)


def test_switching_off_restores_levers_and_conserves_population():
    m = CadreModel(scenario(ALL, end="1995-06"), 5)
    counts = {k: m.people.count(k) for k in Kind}
    n_status = []
    while m.running:
        m.step()
        n_status.append(np.bincount(m.people.status, minlength=5).sum())
        if m.date.year == 1994:
            assert m.levers.repression > 1.0 and m.people.tax_burden.max() > 0
    assert m.levers == Levers()
    assert all(n == m.people.n for n in n_status)
    assert {k: m.people.count(k) for k in Kind} == counts
    assert np.all(m.people.tax_burden == 0.0)
    assert np.all(m.people.land >= 0) and np.all(m.people.arrears >= 0)


def test_same_seed_same_result():
    s = scenario(ALL, end="1995-01")
    a, b = run_scenario(s, 11), run_scenario(s, 11)
    assert a.timeseries.equals(b.timeseries)


def test_bad_params_rejected():
    with pytest.raises(ScenarioError, match="stance"):
        scenario(({"type": "repression_concession", "stance": "brutal"},))
    with pytest.raises(ScenarioError, match="layoff_share"):
        scenario(({"type": "privatization", "layoff_share": 1.5},))


# --- issue 18: privatization's conditions and the captured union's agreements ----------------
def test_privatization_fear_dependency_and_deferral_rules():
    off = np.array([True, True, False, False])
    on = np.array([False, False, True, True])
    assert priv.laid_off_share(off, on) == pytest.approx(0.5)
    assert priv.laid_off_share(np.zeros(2, bool), np.zeros(2, bool)) == 0.0
    dep = priv.dependants_per_pension(np.array([10, 2, 40, 3]), np.array([5, 4, 2, 0]), 8.0)
    assert dep.tolist() == [2.0, 0.5, 8.0, 0.0]  # at most 8 on one pension (L15)
    assert priv.carried_out(np.array([10, 10, 10]), np.array([0.0, 0.85, 1.0])).tolist() == [
        10,
        2,
        0,
    ]
    # At random rounding the expected count is the share, so a unit's last few layoffs
    # (3 due at deferral 0.85: 0.45 a month) are carried out in time, not never.
    rng = np.random.default_rng(0)
    draws = priv.carried_out(np.full(20_000, 3), np.full(20_000, 0.85), rng)
    assert set(draws.tolist()) == {0, 1} and draws.mean() == pytest.approx(0.45, abs=0.02)
    whole = priv.carried_out(np.array([10, 4]), np.array([0.0, 0.5]), rng)
    assert whole.tolist() == [10, 2]


def _sold_run(regimes, end="1994-06", seed=3, **params):
    m = CadreModel(scenario(tuple(regimes), end=end, **params), seed)
    m.run()
    return m


def test_new_owners_discard_cadres_and_cooptation_falls():
    """B7 (L123): cadres of sold units are let go, lose rank and loyalty."""
    base = {"type": "privatization", "sale_rate": 0.3}
    keys = ("cadre_cooptation_final",)
    kept = [_sold_run([{**base, "cadre_discard": 0.0}], seed=s) for s in SEEDS]
    gone = [_sold_run([{**base, "cadre_discard": 1.0}], seed=s) for s in SEEDS]

    def sold_cadres(m):
        c = m.people.rows(Kind.CADRE)
        u = m.people.unit[c]
        return c.start + np.flatnonzero((u >= 0) & (m.units.restructured[np.maximum(u, 0)] >= 0))

    for m in gone:
        idx = sold_cadres(m)
        assert idx.size and np.all(m.people.status[idx] == Status.UNEMPLOYED)
    for m in kept:
        assert np.all(m.people.status[sold_cadres(m)] == Status.EMPLOYED)
    k = OUTCOME_NAMES.index(keys[0].removesuffix("_final"))
    assert np.mean([m.records[-1, k] for m in gone]) < np.mean([m.records[-1, k] for m in kept])


def test_layoffs_make_the_employed_afraid_and_retirees_carry_the_laid_off():
    """A5 (L14): fear of the still-employed grows with the laid-off share; A4 (L15):
    retirees of a unit carry its laid-off on their pensions."""
    m = CadreModel(scenario(({"type": "privatization", "sale_rate": 0.3},), end="1994-12"), 3)
    for _ in range(8):
        m.step()
    p = m.people
    fear = m.terms.breakdown("threshold")["privatization#0"]
    employed = p.status == Status.EMPLOYED
    # (a row recycled this month, e.g. a worker recruited into a cadre post, was employed
    # when the term was set)
    vacated = m.renewed | (p.kind == Kind.CADRE)  # a cadre post may stand vacant
    assert fear[employed].max() > 0 and np.all(fear[~employed & ~vacated] == 0)
    burden = m.terms.breakdown("hardship")["privatization#0"]
    retired = p.status == Status.RETIRED
    # (the term was set before this month's retirements and deaths)
    assert burden[retired].max() > 0 and np.mean(retired[burden > 0]) > 0.95
    assert burden.max() <= m.regimes[0].params.dependency_burden + 1e-12

    # The fear grows with the laid-off share: all employed carry job_fear × that share.
    share = fear[employed].max() / m.regimes[0].params.job_fear
    assert 0.05 < share < 1.0 and np.allclose(fear[employed & (fear > 0)], fear[employed].max())


UNION = {"type": "union", "mode": "captured", "breaking_point": 100.0}
FAST = {"type": "privatization", "sale_rate": 0.3}


def test_a_sale_breaks_the_captured_agreement():
    """L23: the agreement breaks the month its unit is sold (not only on the stock)."""
    on = _sold_run([FAST, UNION])
    off = _sold_run([FAST, {**UNION, "break_on_sale": False}])
    sold = on.units.restructured >= 0
    assert sold.any()
    union_on, union_off = on.regimes[1], off.regimes[1]
    assert not union_on.holding[sold].any() and union_on.offset[sold].max() < 0
    assert union_off.holding.all()  # the stock alone never reaches 100


def test_the_captured_union_negotiates_slow_layoffs():
    """L23: 'arranging for them to be slowly laid off' — fewer laid off at the sale, the
    rest over the following months, the same in the end."""

    def laid_off_by_month(regimes):
        m = CadreModel(scenario(tuple(regimes), end="1995-12"), 3)
        out = []
        while m.running:
            m.step()
            p = m.people
            out.append(int(np.count_nonzero(p.laid_off >= 0)))
        return np.array(out)

    plain = laid_off_by_month([FAST])
    slow = laid_off_by_month([FAST, {**UNION, "slow_layoffs": 0.9}])
    assert slow[2] < 0.7 * plain[2]
    assert slow[-1] > 0.8 * plain[-1]


def test_a_broken_pledge_raises_awareness():
    """A6 (L29): members of units whose agreement broke gain activism, which stays."""

    def activism(aware):
        m = _sold_run([FAST, {**UNION, "pledge_awareness": aware}])
        p = m.people
        members = (p.kind != Kind.CADRE) & (p.unit >= 0)
        return float(p.activism[members].mean())

    assert activism(0.5) > activism(0.0) + 0.05
