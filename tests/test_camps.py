"""Camps with constituencies, maturing clashes, who kills, and the new-cadre bloc in
elite cohesion (issue 13, sim/submodels/factions.py, sim/submodels/elite.py).

Pure rules first, then directional tests on the Cultural Revolution scenario (a run takes
about a second) and on a small CR city.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
from conftest import small_scenario
from hypothesis import given
from hypothesis import strategies as st
from scipy import sparse

from benchmarks.cr_timing import run as cr_timing_run
from sim.config import load_scenario
from sim.model import CadreModel
from sim.state import Kind
from sim.submodels import elite, factions

SCENARIO = (
    Path(__file__).resolve().parent.parent / "scenarios" / "cultural_revolution_1966_1976.yaml"
)
SEEDS = (11, 12, 13)


# --- pure rules ---------------------------------------------------------------------------


@given(st.floats(-5, 5), st.floats(0, 5), st.floats(0, 5), st.floats(0, 5), st.floats(0, 3))
def test_rebel_chance_is_a_share_rising_with_appeal_and_rebel_ties(a, reb, cons, more, k):
    p = factions.rebel_probability(np.array([a]), np.array([reb]), np.array([cons]), k)[0]
    assert 0.0 <= p <= 1.0
    up = factions.rebel_probability(np.array([a + 0.5]), np.array([reb]), np.array([cons]), k)
    assert up[0] >= p
    tied = factions.rebel_probability(np.array([a]), np.array([reb + more]), np.array([cons]), k)
    assert tied[0] >= p - 1e-12
    # No aligned tie: the constituency alone decides.
    alone = factions.rebel_probability(np.array([a]), np.zeros(1), np.zeros(1), k)[0]
    assert np.isclose(alone, 1.0 / (1.0 + np.exp(-a)))


def test_constituencies_pull_the_troubled_and_young_to_the_rebels_the_party_away():
    one, zero = np.ones(1), np.zeros(1)

    def appeal(troubled=zero, young=zero, party=zero, senior=zero, client=zero):
        return factions.rebel_appeal(troubled, young, party, senior, client, 1, 1, 1, 0.5, 1)[0]

    base = appeal()
    assert appeal(troubled=one) > base and appeal(young=one) > base
    assert appeal(party=one) < base and appeal(senior=one) < base and appeal(client=one) < base


def mean_field(conformity: float, start: float, months: int = 200) -> float:
    """The rebel share of a population with no constituency lean, everyone re-choosing by
    the share of rebels among ties (mean field)."""
    x = start
    for _ in range(months):
        x = float(
            factions.rebel_probability(np.zeros(1), np.array([x]), np.array([1 - x]), conformity)[0]
        )
    return x


def test_ties_sway_without_unifying_below_the_critical_conformity():
    # Below 2 the even split is stable: a 60/40 city drifts back to even; above 2 it tips
    # to one camp (the collapse of the majority rule).
    assert abs(mean_field(1.0, 0.6) - 0.5) < 0.01
    assert mean_field(4.0, 0.6) > 0.9


def test_tie_sides_count_splinters_as_rebels_and_skip_the_unaligned():
    faction = np.array([-1, 0, 1, 2, 0])
    ties = sparse.csr_matrix(
        (np.ones(4), (np.zeros(4, dtype=int), np.array([1, 2, 3, 4]))), shape=(5, 5)
    )
    ties = ties + ties.T
    reb, cons = factions.tie_sides(ties.tocsr(), faction, np.array([0, 1]))
    assert reb.tolist() == [2.0, 0.0] and cons.tolist() == [2.0, 0.0]


@given(
    st.lists(st.integers(0, 60), min_size=1, max_size=20),
    st.floats(0.5, 48),
)
def test_camps_mature_with_their_members_months_and_are_bounded(ages, months):
    ages_ = np.array(ages, dtype=np.int16)
    unit = np.zeros(ages_.size, dtype=np.intp)
    members = np.ones(ages_.size, dtype=bool)
    n = np.array([float(ages_.size)])
    m = factions.maturity(unit, ages_, members, n, months)[0]
    assert 0.0 <= m <= 1.0
    older = factions.maturity(unit, ages_ + 6, members, n, months)[0]
    assert older >= m
    assert factions.maturity(unit, ages_, members, n, 0.0)[0] == 1.0


# --- the Cultural Revolution scenario --------------------------------------------------------


@cache
def cr(off: tuple[str, ...] = ()):
    """Yearly sums and means over ``SEEDS`` of the CR scenario's runs (benchmarks.cr_timing)."""
    scn = load_scenario(SCENARIO)
    if off:
        scn = scn.model_copy(
            update={"mechanisms": scn.mechanisms.model_copy(update=dict.fromkeys(off, False))}
        )
    runs = [cr_timing_run(scn, s) for s in SEEDS]
    year = [ts["date"].astype(str).str[:4] for ts in runs]
    sums = sum(
        ts.groupby(y)[["factional_clashes", "clash_deaths", "persecution_deaths"]].sum()
        for ts, y in zip(runs, year, strict=True)
    )
    bal = sum(ts.groupby(y)["camp_balance"].mean() for ts, y in zip(runs, year, strict=True)) / len(
        runs
    )
    return sums, bal


def test_constituencies_keep_two_camps_where_the_majority_rule_leaves_one():
    _, on = cr()
    _, off = cr(("faction_constituencies",))
    assert on["1967"] > 0.8 and on["1968"] > 0.8
    assert off["1968"] < 0.5 * on["1968"]


def test_factional_fighting_goes_on_through_1968_until_the_committees():
    sums, _ = cr()
    clashes = sums["factional_clashes"]
    assert clashes["1968"] > 0.6 * clashes["1967"]  # the majority rule gave ~0.45
    assert clashes[["1969", "1970", "1971"]].sum() < 0.1 * clashes[["1967", "1968"]].sum()
    off, _ = cr(("faction_constituencies",))
    assert clashes["1968"] / clashes["1967"] > (
        off["factional_clashes"]["1968"] / off["factional_clashes"]["1967"]
    )


def test_organized_repression_kills_more_than_factional_battles():
    # Walder 2014: "the vast majority of casualties were due to organized repression".
    sums, _ = cr()
    assert sums["persecution_deaths"].sum() > 1.5 * sums["clash_deaths"].sum()
    assert sums["persecution_deaths"][["1966", "1967"]].sum() == 0  # after the committees


# --- elite cohesion reads the old-cadre/new-cadre cleavage -----------------------------------


def test_new_cadres_divide_the_elite_after_the_factions_dissolve():
    scn = small_scenario(start="1972-01", end="1972-12")
    cohesion = []
    for share in (0.0, 0.5):
        m = CadreModel(scn, seed=1)
        p = m.people
        rows = p.rows(Kind.CADRE)
        p.faction[rows] = -1
        p.new_cadre[rows] = np.arange(rows.stop - rows.start) < share * (rows.stop - rows.start)
        elite.update(m)
        cohesion.append(m.elite.cohesion)
    assert cohesion[1] < 0.6 * cohesion[0]
