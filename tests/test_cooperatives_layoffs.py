"""Self-managed layoffs in worker-run units (issue 18; seed 003 L14, L21, L110).

Under workers' control the workers decide the restructuring's layoffs: they share one
job among several as part-time work (daigang, L14) instead of cutting people. A
worker-run unit postpones the layoffs still due there (its ``layoff_deferral`` term) and
its wages level toward the shared wage (posts spread over everyone employed).
"""

from __future__ import annotations

import numpy as np
from conftest import hand_events, small_scenario

from sim.model import CadreModel
from sim.regimes import cooperatives as coop
from sim.state import Kind, Ownership, Status


def test_shared_wage_spreads_the_posts_over_everyone_employed():
    ref = np.array([1.0, 1.0, 2.0])
    out = coop.shared_wage(ref, np.array([10.0, 5.0, 5.0]), np.array([8.0, 10.0, 20.0]), 1.0)
    assert np.allclose(out, [1.0, 0.5, 0.5])  # no excess: full wage; twice the staff: half
    assert np.allclose(coop.shared_wage(ref, np.array([5.0]), np.array([10.0]), 0.0), ref)


def _seized_unit(self_deferral: float, work_sharing: float = 1.0, months: int = 6):
    """A unit sold under a captured union's slow layoffs (most due layoffs pending), then
    seized by its workers: employed staff and mean wage of its workers after ``months``."""
    regimes = [
        {"type": "privatization", "sale_rate": 0.0},
        {"type": "union", "mode": "captured"},
        {
            "type": "cooperatives",
            "seizure_rate": 1.0,
            "seizure_min_size": 5.0,
            "self_deferral": self_deferral,
            "work_sharing": work_sharing,
            "seized_failure_rate": 0.0,
        },
    ]
    m = CadreModel(small_scenario(end="1994-12", regimes=regimes), seed=4)
    m.step()
    priv, union = m.regimes[0], m.regimes[1]
    union.holding[:] = True
    priv._sell(m, np.array([2]))  # the sale lays off 15 % now, the rest stays pending
    hand_events(m, [2])
    m.step()  # (15 % more of the pending layoffs go before the seizure, this month)
    assert m.units.ownership[2] == Ownership.WORKER_CONTROLLED
    pending0 = int(priv.pending[2])
    for _ in range(months):
        m.step()
    p = m.people
    w = (p.unit == 2) & (p.status == Status.EMPLOYED) & (p.kind == Kind.WORKER)
    return pending0, int(priv.pending[2]), int(w.sum()), float(p.wage[w].mean())


def test_worker_run_unit_shares_work_instead_of_laying_off():
    pending0, held, staff_on, wage_on = _seized_unit(1.0)
    _, left, staff_off, wage_off = _seized_unit(0.0)
    assert pending0 > 0
    assert held == pending0  # the workers postpone every layoff still due
    assert left < pending0 // 2  # without self-management the union's slow pace resumes
    assert staff_on > staff_off
    # ... and the posts are shared: the same wage bill over more people
    assert wage_on < wage_off
    _, _, staff_full, wage_full = _seized_unit(1.0, work_sharing=0.0)
    assert abs(staff_full - staff_on) <= 0.05 * staff_on and wage_full > wage_on
