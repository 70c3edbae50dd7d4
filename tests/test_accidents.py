"""Accidents with consequences (issue 13.5) and the mine-safety regime's conditions (issue 18).

Deaths lower local legitimacy in proportion to media exposure, cost the responsible cadres
promotion unless collusion shields them, and trigger central safety campaigns; collusion and
native supervisors raise the hazard of state mines only while supervision is decentralized;
small (non-state) mines are more dangerous.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import CadreModel
from sim.outcomes import OUTCOME_NAMES
from sim.regimes import mine_safety as ms
from sim.state import Kind, Ownership, Sector
from sim.submodels import production as prod
from tests.conftest import small_scenario

SEEDS = (0, 1, 2)
MINES = {"mining_share": 1.0, "migrants": 0, "peasants": 0, "villages": 0}


def run(regimes, seed, end="1995-12", population=None, **kw):
    scn = small_scenario(regimes=regimes, end=end, population={**MINES, **(population or {})}, **kw)
    m = CadreModel(scn, seed=seed)
    m.run()
    return m


def total(m, name):
    return float(m.records[:, OUTCOME_NAMES.index(name)].sum())


# --- pure rules ------------------------------------------------------------------------


def test_supervision_is_local_for_non_state_units_and_for_state_units_only_when_devolved():
    own = np.array([Ownership.STATE, Ownership.PRIVATE, Ownership.COLLECTIVE])
    assert prod.locally_supervised(own, False).tolist() == [False, True, True]
    assert prod.locally_supervised(own, True).tolist() == [True, True, True]


def test_small_mines_multiply_only_non_state_mine_hazard():
    own = np.array([Ownership.STATE, Ownership.PRIVATE, Ownership.PRIVATE])
    sec = np.array([Sector.MINE, Sector.MINE, Sector.FACTORY])
    assert prod.small_mine_factor(own, sec, 4.0).tolist() == [1.0, 4.0, 1.0]


@settings(max_examples=30, deadline=None)
@given(
    deaths=st.integers(0, 20),
    workers=st.integers(1, 500),
    scale=st.integers(1, 10),
    mem=st.floats(0, 50),
)
def test_death_memory_is_a_rate_so_scale_free_and_fading(deaths, workers, scale, mem):
    a = prod.death_memory(np.array([mem]), np.array([deaths]), np.array([workers]), 0.1)
    b = prod.death_memory(
        np.array([mem]), np.array([deaths * scale]), np.array([workers * scale]), 0.1
    )
    assert a[0] == pytest.approx(b[0], rel=1e-5)
    quiet = prod.death_memory(np.array([mem]), np.array([0]), np.array([workers]), 0.1)
    assert quiet[0] <= mem + 1e-6


def test_blame_is_shielded_by_collusion_and_legitimacy_scales_with_media():
    mem = np.array([5.0, 5.0, 0.0])
    blame = prod.accident_blame_term(mem, np.array([0.0, 1.0, 0.0]), 0.05)
    assert blame[0] < 0 and blame[1] == 0 and blame[2] == 0
    lo = prod.accident_legitimacy_term(mem, 0.1, 0.01)
    hi = prod.accident_legitimacy_term(mem, 0.9, 0.01)
    assert hi[0] < lo[0] < 0 and hi[2] == 0


def test_campaign_enforcement_and_mine_death_rate():
    assert ms.campaign_enforcement(0.5, 3, 0.3) == pytest.approx(0.8)
    assert ms.campaign_enforcement(0.5, 0, 0.3) == pytest.approx(0.5)
    assert ms.campaign_enforcement(0.9, 3, 0.3) == 1.0
    rate = ms.mine_death_rate(
        np.array([10.0, 100.0]), np.array([100, 100]), np.array([True, False]), 0.1
    )
    assert rate == pytest.approx(1.0)  # the factory's memory is not counted


# --- consequences in the model ----------------------------------------------------------


def _with_memory(media: float, collusion: float):
    m = CadreModel(small_scenario(population=MINES), seed=1)
    m.step()
    m.units.death_memory[:] = 0.0
    m.units.death_memory[0] = 20.0
    m.units.collusion[:] = collusion
    m.levers.media_exposure = media
    m.terms.new_month()
    prod.accident_consequences(m)
    return m


def test_remembered_deaths_lower_the_units_local_legitimacy_in_proportion_to_media():
    legit = [_with_memory(media, 0.0).terms.total("local_legitimacy") for media in (0.2, 0.8)]
    lo, hi = legit
    assert hi[0] < lo[0] < 0  # more media exposure, more legitimacy lost
    assert np.all(lo[1:] == 0) and np.all(hi[1:] == 0)  # only where the deaths were


def test_remembered_deaths_cost_the_units_cadres_promotion_unless_collusion_shields():
    def merit(collusion):
        m = _with_memory(0.5, collusion)
        rows = m.people.rows(Kind.CADRE)
        in0 = m.people.unit[rows] == 0
        return m.terms.total("merit")[rows], in0

    bare, in0 = merit(0.0)
    shielded, _ = merit(0.9)
    assert in0.any()
    assert np.all(bare[in0] < shielded[in0]) and np.all(shielded[in0] < 0)
    assert np.all(bare[~in0] == 0)


def test_deaths_lower_local_legitimacy_in_a_run():
    """Switching the consequence off raises the mines' local legitimacy (same seeds)."""
    gaps = []
    for s in SEEDS:
        on = CadreModel(small_scenario(population=MINES, end="1994-06"), seed=s)
        off = CadreModel(
            small_scenario(
                population=MINES, end="1994-06", mechanisms={"accident_legitimacy": False}
            ),
            seed=s,
        )
        on.run()
        off.run()
        n = on.units.n
        gaps.append(off.local_legitimacy[:n].mean() - on.local_legitimacy[:n].mean())
    assert min(gaps) > 0


# --- the mine-safety regime's conditions --------------------------------------------------


def _native_effect(decentralized: bool) -> float:
    out = []
    for s in SEEDS:
        acc = []
        for share in (0.0, 1.0):
            reg = {
                "type": "mine_safety",
                "decentralized": decentralized,
                "native_supervision": share,
                "campaign_trigger": 100.0,
            }
            acc.append(total(run([reg], s, population={"state_share": 1.0}), "accidents"))
        out.append(acc[1] - acc[0])
    return float(np.mean(out))


def test_native_supervisors_raise_accidents_only_while_supervision_is_decentralized():
    assert _native_effect(True) > 0
    assert _native_effect(False) == 0.0  # central inspectors: native flags change nothing


def test_small_private_mines_are_more_dangerous():
    reg = [{"type": "mine_safety", "decentralized": False, "campaign_trigger": 100.0}]
    state = [total(run(reg, s, population={"state_share": 1.0}), "deaths") for s in SEEDS]
    small = [total(run(reg, s, population={"state_share": 0.0}), "deaths") for s in SEEDS]
    assert np.mean(small) > 1.5 * np.mean(state)


def test_death_toll_triggers_central_safety_campaigns_that_cut_accidents():
    def acc(trigger):
        reg = [{"type": "mine_safety", "campaign_trigger": trigger}]
        return [total(run(reg, s), "accidents") for s in SEEDS]

    never, eager = acc(100.0), acc(0.0)
    assert np.mean(eager) < np.mean(never)


def test_safety_weighted_promotion_lowers_collusion_and_penalizes_mine_cadres():
    def model(weight):
        reg = {"type": "mine_safety", "safety_promotion": weight, "campaign_trigger": 100.0}
        return run([reg], 1, population={"state_share": 1.0})

    none, veto = model(0.0), model(1.0)
    assert veto.units.collusion.mean() < none.units.collusion.mean()
    src = next(k for k in veto.terms.breakdown("merit") if k.startswith("mine_safety"))
    rows = veto.people.rows(Kind.CADRE)
    assert veto.terms.breakdown("merit")[src][rows].min() < 0
