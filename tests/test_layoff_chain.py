"""Seed 003's central chain: more layoffs → more protest at the former work units and
lower legitimacy (issue 12 point 4), and the rules that carry it (C1, D2, D7/B6, D8)."""

from __future__ import annotations

import numpy as np

from sim.config import parse_scenario
from sim.regimes.repression_concession import protest_to_harden
from sim.runner import run_scenario
from sim.state import Status
from sim.submodels.protest import CLAIM_LAND, CLAIM_STATUS, CLAIM_STIPEND, CLAIM_WAGES
from sim.submodels.state_response import challenging_units, fear_weight


def test_a_unit_challenges_privatization_only_while_it_is_being_sold():
    restructured = np.array([-1, 100, 95, 80])  # never sold; sold now, 5 and 20 months ago
    assert challenging_units(restructured, 100, 12.0).tolist() == [False, True, True, False]
    assert challenging_units(restructured, 100, 0.0).tolist() == [False] * 4
    assert challenging_units(restructured, 100, 1e9).tolist() == [False, True, True, True]


def test_benefit_defence_does_not_harden_the_stance():
    # Units: 0 sold 20 months ago, 1 sold this month, 2 never sold; locality 3 a village.
    restructured = np.array([80, 100, -1])
    locality = np.array([0, 0, 1, 2, 3])
    claim = np.array([CLAIM_STIPEND, CLAIM_WAGES, CLAIM_STATUS, CLAIM_STATUS, CLAIM_LAND])
    size = np.array([100.0, 10.0, 50.0, 7.0, 30.0])
    hard, challenging = protest_to_harden(locality, claim, size, restructured, 100, 12.0)
    # The old sold unit's stipend claim (100 people) is benefit defence (C1): left out;
    # its employed's wage claim, the unit being sold, the unsold unit and peasants count.
    assert hard == 10.0 + 50.0 + 7.0 + 30.0
    assert challenging == 50.0  # only the unit being sold challenges privatization (D8)
    # With an unbounded window (the old rule) every sold unit challenges it.
    hard_all, chall_all = protest_to_harden(locality, claim, size, restructured, 100, 1e9)
    assert (hard_all, chall_all) == (197.0, 160.0)


def test_a_defeat_frightens_the_laid_off_less():
    status = np.array([Status.EMPLOYED, Status.XIAGANG, Status.UNEMPLOYED, Status.RETIRED])
    w = fear_weight(status, 0.5)
    assert w.tolist() == [1.0, np.float32(0.7), 0.5, 1.0]  # B6: what is left to lose
    assert np.all(fear_weight(status, 0.0) == 1.0)


def _reform(layoff_share: float):
    """A small reform city: the shipped scenario's regimes, 1994–2000."""
    return parse_scenario(
        dict(
            name="chain",
            start="1994-01",
            end="2000-12",
            seed=1,
            population=dict(
                cadres=100,
                technicians=200,
                workers=3000,
                migrants=1300,
                peasants=5000,
                units=15,
                villages=20,
            ),
            params=dict(legitimacy=0.8, people_per_agent=10),
            regimes=[
                dict(
                    type="privatization",
                    start="1995-01",
                    end="1999-12",
                    layoff_share=layoff_share,
                    sale_rate=0.06,
                ),
                dict(type="residency", start="1994-01"),
                dict(type="repression_concession", start="1994-01", stance="mixed"),
                dict(type="rural_taxes", start="1994-01"),
            ],
        )
    )


def test_more_layoffs_more_protest_at_former_units_and_lower_legitimacy():
    # Paired seeds, pooled. Before the fix (any sold unit's protest hardened the city's
    # stance and was repressed as a challenge, and a defeat frightened the laid-off as
    # much as the employed) the benefit events at 0.9 fell to ~0.83 of those at 0.25
    # and participants rose only ~1.4×; now participants rise ~3× and events do not fall.
    keys = ("benefit_events_total", "benefit_participants_total", "legitimacy_mean")
    out = {
        share: np.array(
            [[run_scenario(_reform(share), s).summary[k] for k in keys] for s in (0, 1, 2)]
        )
        for share in (0.25, 0.9)
    }
    low, high = out[0.25].sum(axis=0), out[0.9].sum(axis=0)
    assert high[1] > 2.0 * low[1]  # people in the laid-off's and retirees' events
    assert high[0] >= 0.95 * low[0]  # their events: not fewer (before: −17 %)
    assert np.all(out[0.9][:, 2] < out[0.25][:, 2])  # legitimacy lower on every seed
