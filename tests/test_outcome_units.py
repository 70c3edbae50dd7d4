"""Reported counts are in represented people (issue 12 point 3; the outcome audit).

- No outcome counts agents: every count of persons is in people (× people_per_agent).
- Exact scaling: the same agents read at twice the people per agent give exactly twice
  every count of people and the same events, shares and indices.
- Invariance: the same represented city at 5 and 10 people per agent gives the same
  employment and demography counts (within 15 %, several seeds).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import small_scenario
from test_protest_scale import city

from sim.config import parse_scenario
from sim.model import CadreModel
from sim.outcomes import OUTCOMES, summary_columns
from sim.runner import run_scenario
from sim.submodels import protest

#: Units of counts that grow with the represented people (accidents happen to people).
PERSON_UNITS = {"people", "accidents"}


def test_no_outcome_is_a_count_of_agents():
    bad = [o.name for o in OUTCOMES if o.unit in ("agents", "cadres")]
    assert not bad, f"outcomes counted in agents, not people: {bad}"


def test_counts_of_people_scale_exactly_with_people_per_agent():
    s = small_scenario(
        regimes=[
            {"type": "privatization", "start": "1993-01"},
            {"type": "repression_concession", "start": "1993-01"},
        ]
    )
    m = CadreModel(s, seed=2)
    for _ in range(8):
        m.step()
    # Whole agents: with partly active agents (protest.py) a group of 3 active people at 5
    # per agent is below the floor but is 6 people, an event, read at 10.
    m.people.turnout[m.people.active] = 1.0
    # This month's events from the actives as they stand (the step's arrests removed some).
    memory = m.units.protest_memory.copy()  # aggregate adds the month to it
    m.events = protest.aggregate(m)
    before = {o.name: o.compute(m) for o in OUTCOMES}
    # The same agents, read as standing for twice the people (floor 5 ≤ 1 agent either way).
    m.params = m.params.model_copy(update={"people_per_agent": 2 * s.params.people_per_agent})
    m.units.protest_memory = memory
    m.events = protest.aggregate(m)
    after = {o.name: o.compute(m) for o in OUTCOMES}
    people = [o.name for o in OUTCOMES if o.unit in PERSON_UNITS]
    assert sum(before[n] > 0 for n in people) >= 8, "the test run must populate the counts"
    for o in OUTCOMES:
        b, a = before[o.name], after[o.name]
        if np.isnan(b):
            continue
        if o.unit in PERSON_UNITS:
            assert a == pytest.approx(2 * b), o.name
        elif o.name.startswith("events_class_"):
            # Twice the people per event moves events between size classes (25 → 50
            # people is class I → II); their total is the event count, which must stay.
            continue
        else:
            assert a == pytest.approx(b), o.name


# Counts large enough at this size for ±15 % to be more than noise (the denied,
# ``unemployed``, are a few dozen agents: their ratio moves ±20 % between seed sets).
STOCKS_AND_FLOWS = ("employed", "xiagang", "retired", "hires", "migrant_departures")


def test_employment_and_demography_counts_do_not_depend_on_people_per_agent():
    by_scale = {}
    for ppa in (5.0, 10.0):
        runs = [run_scenario(parse_scenario(city(ppa)), k).summary for k in range(3)]
        by_scale[ppa] = {
            o.name: np.mean([r[summary_columns(o)[0]] for r in runs])
            for o in OUTCOMES
            if o.name in STOCKS_AND_FLOWS
        }
    for name in STOCKS_AND_FLOWS:
        fine, coarse = by_scale[5.0][name], by_scale[10.0][name]
        assert fine > 0, name
        assert coarse / fine == pytest.approx(1.0, abs=0.15), name
