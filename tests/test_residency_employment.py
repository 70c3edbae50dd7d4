"""Why residency's employment effect depends on the urban queue (docs/ODD.md 7.8.10).

Migrants sent home by the residency regime leave posts in non-state units. The hiring rule
(``demography.hire``, seed 003 lines 86, 95) fills a post no migrant comes for with an urban
school-leaver still waiting. Alone, no one waits (state units hire every school-leaver),
so the posts stay empty and employment falls; under privatization the hiring freeze leaves
a queue of school-leavers who take them, so employment holds
(``benchmarks.residency_employment``). The test checks the rule on one month.
"""

from __future__ import annotations

import numpy as np
from conftest import small_scenario

from sim.model import CadreModel
from sim.state import Kind, Ownership, Status
from sim.submodels import demography


def _after_exits(queue: int) -> tuple[int, int, int, int]:
    """Send the non-state units' migrants home (no migrant looks for work this month),
    with ``queue`` school-leavers waiting; one month's hiring at a fill rate of 1.

    Returns (employed before the exits, after hiring, posts freed, urban hires into
    non-state units)."""
    m = CadreModel(
        small_scenario(
            population={"state_share": 0.5},
            params={"hiring_rate": 1.0, "migrant_remigration": 0.0, "landless_search": 0.0},
        ),
        seed=4,
    )
    m.step()
    p, u = m.people, m.units
    employed = lambda: int(np.count_nonzero(p.status == Status.EMPLOYED))  # noqa: E731
    # Fill every post first, so the only vacancies are those the exits leave.
    u.staff0[:] = m.unit_staff()
    before = employed()
    nonstate = u.ownership != Ownership.STATE
    ms = p.rows(Kind.MIGRANT)
    mig = np.flatnonzero(
        (p.status[ms] == Status.EMPLOYED) & (p.unit[ms] >= 0) & nonstate[np.maximum(p.unit[ms], 0)]
    )
    mig += ms.start
    p.status[mig] = Status.NONE
    p.unit[mig] = -1
    # School-leavers waiting in the city: retired workers' rows made young job-seekers.
    ws = p.rows(Kind.WORKER)
    waiting = np.flatnonzero(p.status[ws] == Status.RETIRED)[:queue] + ws.start
    p.status[waiting] = Status.NONE
    p.unit[waiting] = -1
    p.age[waiting] = 18.0
    demography.hire(m)
    urban = np.flatnonzero(
        (np.arange(p.n) >= ws.start) & (np.arange(p.n) < ws.stop) & (p.status == Status.EMPLOYED)
    )
    into = int(np.isin(urban, waiting).sum())
    return before, employed(), int(mig.size), into


def test_posts_migrants_leave_go_to_waiting_school_leavers_only_if_some_wait():
    before, after, freed, into = _after_exits(queue=0)
    assert freed > 10
    assert after == before - freed  # no one to take the posts: employment falls
    before, after, freed, into = _after_exits(queue=10_000)
    assert into == freed  # every freed post taken by a school-leaver from the queue
    assert after == before  # ... so employment holds
