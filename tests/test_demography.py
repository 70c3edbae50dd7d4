"""A population that lives (docs/ODD.md 7.6.1): deaths and entrants, hiring, migrants.

The rule functions are tested on their own; the model-level tests check the targets of
issue 12: no employment drain without a policy shock, no cohort schedule in migrant
turnover or protest, hiring frozen by restructuring, invariants of row recycling.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim import population
from sim.agents import PERSON_CLASSES
from sim.config import ScenarioError, parse_scenario
from sim.model import CadreModel
from sim.outcomes import OUTCOME_NAMES
from sim.state import Kind, Ownership, Status
from sim.submodels import demography as dm

POP = dict(
    cadres=40, technicians=100, workers=1500, migrants=600, peasants=600, units=10, villages=6
)
PPA = 10  # people per agent of these runs


def scenario(regimes=(), end="2004-12", population=None, **params):
    return parse_scenario(
        dict(
            name="demography",
            start="1993-01",
            end=end,
            seed=11,
            population={**POP, **(population or {})},
            params={"legitimacy": 0.7, "people_per_agent": PPA, **params},
            regimes=[dict(r) for r in regimes],
        )
    )


@cache
def run(regimes: tuple = (), seed: int = 1, end: str = "2004-12", **params) -> CadreModel:
    m = CadreModel(scenario(tuple(dict(r) for r in regimes), end=end, **params), seed)
    m.run()
    return m


def series(m: CadreModel, name: str) -> np.ndarray:
    return m.records[:, OUTCOME_NAMES.index(name)]


def freeze(*regimes: dict) -> tuple:
    return tuple(tuple(sorted(r.items())) for r in regimes)


# --- rules ------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(a=st.floats(0, 100), b=st.floats(0, 100), mu=st.floats(1e-4, 0.5), slope=st.floats(0, 0.3))
def test_gompertz_hazard_rises_with_age_and_is_a_probability(a, b, mu, slope):
    lo, hi = min(a, b), max(a, b)
    assert dm.gompertz_hazard(lo, mu, slope) <= dm.gompertz_hazard(hi, mu, slope)
    p = dm.death_probability(np.array([lo, hi]), mu, slope)
    assert np.all((p >= 0) & (p <= 1)) and p[0] <= p[1]
    assert dm.gompertz_hazard(60.0, mu, slope) == pytest.approx(mu)


def test_life_table_defaults_near_china_2000():
    # Banister & Hill (2004): about 1 % a year at 60, rising to several % by 80.
    assert 0.005 < dm.death_probability(60.0, 0.012, 0.09) * 12 < 0.02
    assert 0.05 < dm.death_probability(80.0, 0.012, 0.09) * 12 < 0.12
    s = dm.survival(np.array([18.0, 40.0, 60.0, 80.0]), 18.0, 0.012, 0.09)
    assert s[0] == pytest.approx(1.0) and np.all(np.diff(s) < 0)
    # Most survive working age; retirees are roughly 0.4 per working-age person.
    assert 0.8 < s[2] < 0.95
    assert 0.3 < dm.retirees_per_worker(18.0, 60.0, 0.012, 0.09) < 0.6
    # A later retirement age leaves fewer retirees per worker.
    assert dm.retirees_per_worker(18.0, 65.0, 0.012, 0.09) < dm.retirees_per_worker(
        18.0, 60.0, 0.012, 0.09
    )


def test_stationary_ages_follow_survival():
    rng = np.random.default_rng(0)
    old = dm.stationary_ages(rng, 20_000, 60.0, dm.MAX_AGE, 18.0, 0.012, 0.09)
    assert old.min() >= 60.0 and old.max() <= dm.MAX_AGE
    # Survival falls, so the old are concentrated just above retirement age.
    assert np.mean(old < 70.0) > 0.4 and np.mean(old > 90.0) < 0.05
    work = dm.stationary_ages(rng, 20_000, 18.0, 60.0, 18.0, 0.012, 0.09)
    assert abs(np.mean(work < 39.0) - 0.5) < 0.05  # nearly flat at working ages
    assert dm.stationary_ages(rng, 0, 18, 60, 18, 0.012, 0.09).size == 0


@settings(max_examples=40, deadline=None)
@given(
    health=st.lists(st.floats(0, 1), min_size=1, max_size=30),
    exhaustion=st.floats(0, 1),
    ret=st.floats(0, 1),
    seed=st.integers(0, 2**16),
)
def test_migrants_leave_for_good_or_for_a_spell_never_both(health, exhaustion, ret, seed):
    rng = np.random.default_rng(seed)
    h = np.array(health)
    age = rng.uniform(16, 60, size=h.size)
    draw = rng.random(h.size)
    good, spell = dm.migrant_departures(h, age, draw, 0.3, exhaustion, ret, 45.0)
    assert not np.any(good & spell)
    assert np.all(good[age >= 45.0])  # too old for city work
    assert not np.any(good[(h >= 0.3) & (age < 45.0)])  # only the worn out leave for good
    assert np.all(good[(h < 0.3) & (draw < exhaustion)])


def test_health_wears_down_only_on_the_job():
    h = dm.deplete_health(
        np.array([1.0, 0.01, 0.5], np.float32), np.array([True, True, False]), 0.02
    )
    assert h.tolist() == pytest.approx([0.98, 0.0, 0.5])


def test_hiring_rate_frozen_in_state_units_and_lean_after_a_sale():
    state = np.array([True, True, False, False])
    restructured = np.array([False, False, False, True])
    rate = dm.unit_hiring_rate(0.5, state, restructured, 0.9, 0.5)
    assert rate.tolist() == pytest.approx([0.05, 0.05, 0.5, 0.25])
    assert dm.unit_hiring_rate(0.5, state, restructured, 0.0, 1.0).tolist() == [0.5] * 4


@settings(max_examples=30, deadline=None)
@given(
    slots=st.lists(st.integers(0, 5), max_size=40), n=st.integers(0, 40), seed=st.integers(0, 99)
)
def test_match_hires_each_candidate_once_into_the_posts_offered(slots, n, seed):
    rng = np.random.default_rng(seed)
    slot_units = np.array(slots, dtype=np.int64)
    cands = np.arange(100, 100 + n)
    hired, units, open_, rest = dm.match(slot_units, cands, rng)
    assert hired.size == min(len(slots), n) and np.unique(hired).size == hired.size
    assert np.sort(np.concatenate((hired, rest))).tolist() == cands.tolist()
    assert sorted(np.concatenate((units, open_)).tolist()) == sorted(slots)


def test_home_share_rises_with_returns_and_falls_with_comebacks():
    base = dm.migrant_home_share(0.02, 0.3, 0.3, 0.01, 0.2)
    assert 0.0 < base < 0.5
    assert dm.migrant_home_share(0.02, 0.3, 0.3, 0.05, 0.2) > base
    assert dm.migrant_home_share(0.02, 0.3, 0.3, 0.01, 0.5) < base


# --- initialization -----------------------------------------------------------------
def test_initial_population_is_spread_not_a_cohort():
    s = scenario(spinup_months=0)
    m = CadreModel(s, 3)
    p = m.people
    retired_w, retired_t = population.urban_counts(s)
    w = p.rows(Kind.WORKER)
    assert np.count_nonzero(p.status[w] == Status.RETIRED) == retired_w
    assert np.count_nonzero(p.status[w] == Status.EMPLOYED) == POP["workers"]
    assert p.age[w][p.status[w] == Status.RETIRED].min() >= 60.0
    mig = p.rows(Kind.MIGRANT)
    on_job = p.status[mig] == Status.EMPLOYED
    # Health and tenure spread as in a steady stream (not everyone fresh at 1.0).
    assert p.health[mig][on_job].std() > 0.15 and p.health[mig].min() >= 0.3
    assert p.tenure[mig][on_job].std() > 5
    assert 0 < np.count_nonzero(~on_job) < 0.5 * POP["migrants"]
    assert np.all(p.unit[mig][~on_job] == -1)


# --- the living population ----------------------------------------------------------------
def test_no_employment_drain_without_a_policy_shock():
    # Issue 12: retirement alone used to cut employment by a fifth over 1993–2004.
    for seed in (1, 2):
        emp = series(run(seed=seed), "employed")
        assert np.max(np.abs(emp / emp[0] - 1.0)) < 0.10, seed
    m = run(seed=1)
    # Outcomes count represented people (× people_per_agent), POP counts agents.
    assert series(m, "hires").sum() > 0.15 * POP["workers"] * PPA  # posts are refilled
    assert series(m, "retired")[-1] > 0.3 * POP["workers"] * PPA  # the retired stay


def test_migrants_leave_one_by_one_without_a_schedule():
    # Issue 12: with one starting health, the whole cohort left every ~26 months.
    m = run(freeze({"type": "residency"}))
    dep = series(m, "migrant_departures")
    dep = dep / PPA  # in agents, as POP
    assert dep.mean() > 5
    assert dep.max() < 0.1 * POP["migrants"]  # no month takes a cohort
    assert dep.std() / dep.mean() < 0.6  # about a Poisson count's variation
    x = dep - dep.mean()
    power = np.abs(np.fft.rfft(x))[1:] ** 2
    assert power.max() / power.sum() < 0.15  # no dominant period


def test_protest_has_no_peak_at_a_demographic_period():
    m = run(freeze({"type": "residency"}), legitimacy=0.45)
    part = series(m, "protest_participants")
    assert part.sum() > 0
    x = part - np.polyval(np.polyfit(np.arange(part.size), part, 1), np.arange(part.size))
    x = x - x.mean()

    def acf(lag: int) -> float:
        return float(np.dot(x[:-lag], x[lag:]) / np.dot(x, x))

    # No recurrence at the periods of a migrant's working life (2–4 years): the cohort
    # schedule of issue 12 gave an autocorrelation of 0.3–0.7 at a lag of 26 months.
    assert max(acf(lag) for lag in range(20, 49)) < 0.3
    # Nor does protest follow departures (0.45–0.7 with the cohort schedule).
    dep = series(m, "migrant_departures")
    assert abs(np.corrcoef(part, dep)[0, 1]) < 0.4


def test_restructuring_freezes_hiring_and_school_leavers_wait():
    priv = {"type": "privatization", "start": "1995-01", "end": "2000-12", "sale_rate": 0.02}

    def city(freeze_share: float) -> CadreModel:
        spec = {**priv, "hiring_freeze": freeze_share}
        m = CadreModel(scenario([spec], end="2000-12", population={"state_share": 0.7}), 1)
        m.run()
        return m

    on, off = city(0.9), city(0.0)
    assert series(on, "hires").sum() < series(off, "hires").sum()
    # State posts stay open while school-leavers wait or go to the non-state units.
    state = on.units.ownership == Ownership.STATE
    vacant = lambda m: np.maximum(m.units.staff0 - m.unit_staff(), 0)[state].sum()  # noqa: E731
    assert vacant(on) > vacant(off)
    # Migrants are hired only into non-state units (urban registration for state posts).
    p = on.people
    mig = (p.kind == Kind.MIGRANT) & (p.status == Status.EMPLOYED)
    assert not np.any(on.units.ownership[p.unit[mig]] == Ownership.STATE)


def test_mortality_drives_turnover():
    none = run(end="1996-12", mortality_60=0.0)
    high = run(end="1996-12", mortality_60=0.03)
    base = run(end="1996-12")
    assert np.count_nonzero(none.people.status == Status.NONE) <= np.count_nonzero(
        base.people.status == Status.NONE
    )
    for m in (none, high, base):  # rows are recycled, never added
        assert m.people.n == CadreModel(m.config, 1).people.n
    assert none.tally["natural_deaths"] == 0
    # A harsher life table leaves fewer retired per worker (stationary population).
    retired = [series(m, "retired")[-1] for m in (high, base, none)]
    assert retired[0] < retired[1] < retired[2]
    old = lambda m: np.mean(m.people.age[m.people.rows(Kind.WORKER)])  # noqa: E731
    assert old(high) < old(base) < old(none)


def test_row_recycling_keeps_the_population_consistent():
    m = run(freeze({"type": "residency"}, {"type": "privatization", "start": "1995-01"}))
    p = m.people
    for kind, cls in PERSON_CLASSES.items():
        rows = p.rows(kind)
        assert len(m.agents_by_type[cls]) == rows.stop - rows.start
        assert np.all(p.kind[rows] == kind)
    employed = p.status == Status.EMPLOYED
    assert np.all(p.unit[employed] >= 0)
    urban = (p.kind == Kind.WORKER) | (p.kind == Kind.TECHNICIAN)
    assert np.all(p.unit[urban & (p.status == Status.NONE)] == -1)
    assert np.all((p.health >= 0) & (p.health <= 1))
    q = p.rows(Kind.PEASANT)
    assert np.all(p.village[q] >= 0) and np.all(p.age[q] < dm.MAX_AGE)
    mig = p.rows(Kind.MIGRANT)
    assert np.all(p.village[mig] >= 0) and np.all(p.age[mig] < 50)


def test_newcomers_start_clean_and_keep_what_the_household_passes_on():
    m = CadreModel(scenario(end="1993-06", spinup_months=0), 5)
    p = m.people
    rows = np.arange(p.rows(Kind.PEASANT).start, p.rows(Kind.PEASANT).start + 20)
    p.arrears[rows], p.jail[rows], p.dossier[rows], p.faction[rows] = 3.0, 2, 4, 1
    land, village, label = p.land[rows].copy(), p.village[rows].copy(), p.class_label[rows].copy()
    dm.renew(m, rows, Kind.PEASANT, np.full(rows.size, 30.0))
    assert np.all(p.arrears[rows] == 0) and np.all(p.jail[rows] == 0)
    assert np.all(p.dossier[rows] == 0) and np.all(p.faction[rows] == -1)
    assert np.array_equal(p.land[rows], land) and np.array_equal(p.village[rows], village)
    assert np.array_equal(p.class_label[rows], label) and np.all(p.age[rows] == 30.0)


def test_same_seed_same_population():
    a = CadreModel(scenario(end="1995-12"), 9)
    b = CadreModel(scenario(end="1995-12"), 9)
    a.run()
    b.run()
    np.testing.assert_array_equal(a.records, b.records)
    for col in ("age", "status", "unit", "health", "hardship_base"):
        np.testing.assert_array_equal(a.people.arrays[col], b.people.arrays[col])


def test_entry_age_must_leave_a_working_life():
    with pytest.raises(ScenarioError) as err:
        scenario(entry_age=28, retirement_age=32)
    assert any(path == "params.entry_age" for path, _ in err.value.problems)
    with pytest.raises(ScenarioError) as err:
        scenario(migrant_entry_age=30, migrant_max_age=32)
    assert any(path == "params.migrant_entry_age" for path, _ in err.value.problems)


# --- displaced peasants trade places with migrants at home (issue 18, seed 003 line 40) ---
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 1.0))
def test_displacement_conserves_kinds_people_and_households(seed, share):
    m = CadreModel(scenario(end="1993-03", spinup_months=0), 3)
    p = m.people
    ps, ms = p.rows(Kind.PEASANT), p.rows(Kind.MIGRANT)
    # Tag each person by an identity carried in a personal column.
    p.hardship_base[:] = np.arange(p.n, dtype=np.float32) / p.n
    before_kind, before_village = p.kind.copy(), p.village.copy()
    land, people = p.land[ps].copy(), np.sort(p.hardship_base.copy())
    rng = np.random.default_rng(seed)
    leaving = np.flatnonzero(rng.random(ps.stop - ps.start) < share) + ps.start
    home = (p.status[ms] == Status.NONE) & (p.land[ms] > 0)
    moved = dm.displace_to_city(m, leaving)
    assert 0 <= moved <= min(leaving.size, int(home.sum()))
    # No row changes kind or village; every person is still somewhere, once.
    assert np.array_equal(p.kind, before_kind) and np.array_equal(p.village, before_village)
    np.testing.assert_array_equal(np.sort(p.hardship_base), people)
    # The household's plot stays with the peasant row.
    np.testing.assert_array_equal(p.land[ps], land)
    # Each displaced peasant is now a landless migrant at home in the same village.
    origin = np.rint(p.hardship_base.astype(np.float64) * p.n).astype(np.int64)
    gone = np.flatnonzero(np.isin(origin[ms], leaving)) + ms.start
    assert gone.size == moved
    assert np.array_equal(before_village[origin[gone]], p.village[gone])
    assert np.all(p.land[gone] == 0) and np.all(p.status[gone] == Status.NONE)
    assert np.all(p.unit[gone] == -1) and np.all(m.renewed[gone])
