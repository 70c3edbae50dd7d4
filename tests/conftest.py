"""Shared fixtures: small scenarios that run in well under a second."""

from __future__ import annotations

import pytest

from sim.config import parse_scenario


def small_scenario(**overrides):
    data = {
        "name": "small",
        "start": "1993-01",
        "end": "1994-12",
        "seed": 7,
        "population": {
            "cadres": 60,
            "technicians": 60,
            "workers": 900,
            "migrants": 200,
            "peasants": 400,
            "units": 8,
            "villages": 6,
        },
        "params": {"people_per_agent": 5},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return parse_scenario(data)


def hand_events(m, localities, participants: int = 100, size: float = 500.0) -> None:
    """Make ``m.events`` urban protest events of class 3, one in each of ``localities``,
    as if last month's: hand-made events for rules that read last month's events."""
    import numpy as np

    loc = np.asarray(localities)
    m.events = type(m.events)(
        locality=loc,
        participants=np.full(loc.size, participants),
        size=np.full(loc.size, size),
        size_class=np.full(loc.size, 3, dtype=np.int8),
        urban=np.ones(loc.size, dtype=bool),
        breadth=0.25,
    )


def worker_event(m, loc: int, size: float):
    """One urban event of all the free workers of locality ``loc``, pressing wages, with
    all of their people out (agents may be partly active, sim/submodels/protest.py): a
    hand-made event for ``state_response.respond``."""
    import numpy as np

    from sim.state import Kind
    from sim.submodels import protest

    p = m.people
    who = (m.locality == loc) & (p.kind == Kind.WORKER) & (p.jail == 0)
    p.active[who] = True
    p.turnout[who] = 1.0
    index = np.where(who, 0, -1).astype(np.int64)
    return protest.Events(
        locality=np.array([loc]),
        participants=np.array([float(who.sum())]),
        size=np.array([size]),
        size_class=np.array([3]),
        urban=np.array([True]),
        breadth=0.0,
        claim=np.array([0], dtype=np.int8),
        index=index,
    )


@pytest.fixture
def small():
    return small_scenario()
