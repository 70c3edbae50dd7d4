"""Reactivating "work-unit people" for community management (seed 001).

With the danwei gone, urban officials lost "the foundational unit of urban governance"
(``001_7ea81781fc66c4d7.txt:24-26``) and worry about outsiders and the floating
population (``:28``). Since 2017 local governments recruit the remaining work-unit people
— party members in government, public institutions and SOEs, "highly educated" and
"disproportionately drawn from the ranks of the Communist Party" (``:30``) — through
residents' committees (``:18-20``) to report to the communities where they live
(717,300 party members in Beijing by 2018, ``:34``). They patrol, pick up trash, teach
classes and give medical, legal and financial advice (``:32``), and party membership
lists are shared with communities so members can be found (``:36``).

Mechanisms here:

* Enlistment: each month a share of employed party members not yet enlisted joins.
  The reach of the network is enlisted × residents each can cover / urban residents.
* Where it works: in urban work units and residential communities (``:18-20``, ``:48``):
  the residents are urban people and migrants who *live* (the ``residence`` column,
  ``sim/submodels/residence.py``) in a unit's housing or in the city's residential
  community — where the laid-off and retired move after ``community_delay`` months out
  of work — never villagers. Claims and arrears stay with the unit where they worked.
* Monitoring (``levers.monitoring`` = reach × ``monitoring``): more eyes at the grassroots
  (``:32``, ``:50``) — the core raises perceived enforcement in protest decisions.
  Whether being watched raises or lowers legitimacy the text leaves open ("the impact
  this power will have on the relationship between the people and the state remains to
  be seen", ``:50``): ``monitoring_legitimacy`` (default 0, either sign) is that
  assumption, a ``residence_legitimacy`` term × monitoring × the resident share of a
  place of residence.
* Problem solving: each month a share ``problem_solving`` × reach of urban residents
  have local problems solved (part of their idiosyncratic
  hardship relieved: the regime's own ``hardship`` term, ``sim.terms``, which fades toward
  ``persistence`` of its value at ``relapse_rate`` a month after the end).
  Wage disputes with employers are settled less often: work-unit people "keep a low
  profile" and are picked off by the other side through their workplaces
  (``:42-46``) — the ``conflict_of_interest`` discount.
* Legitimacy where problems are solved: each place of residence earns
  ``legitimacy_gain`` × the mean solved share of its residents (units and the
  residential community, not villages) as its ``residence_legitimacy`` term, which
  counts in the localities where those residents are counted (a unit's laid-off who
  live in the community bring the community's gain to their unit).
* The enlisted themselves keep a low profile (``:44``): their activism falls, and with
  it their readiness to protest (activism lowers the protest threshold).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim import kernels, kernels_regimes
from sim.draws import uniform_at, uniform_where
from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.regimes.grassroots import (
    Persistence,
    RelapseRate,
    relapse,
    relief_term,
    solve_problems,
)
from sim.state import Kind, Residency, Status
from sim.submodels import residence

if TYPE_CHECKING:
    from sim.levers import Levers
    from sim.model import CadreModel


def network_reach(n_enlisted: int, residents_each: float, n_residents: int) -> float:
    """Share of urban residents the enlisted network covers, in [0, 1]."""
    if n_residents <= 0:
        return 0.0
    return float(min(n_enlisted * residents_each / n_residents, 1.0))


def dispute_settlement(problem_solving: float, conflict_of_interest: float) -> float:
    """Monthly chance an owed wage is recovered through community management (L42–46)."""
    return float(np.clip(problem_solving * (1.0 - conflict_of_interest), 0.0, 1.0))


class DanweiParams(RegimeParams):
    type: Literal["danwei_reactivation"]
    enlist_rate: float = Field(
        0.1,
        ge=0,
        le=1,
        description="monthly share of unenlisted employed party members recruited (share/month)",
    )
    residents_each: float = Field(
        15.0, ge=0, le=10_000, description="urban residents one enlisted member can cover (people)"
    )
    monitoring: float = Field(
        0.5, ge=0, le=1, description="grassroots monitoring at full reach (levers.monitoring) (0–1)"
    )
    problem_solving: float = Field(
        0.15,
        ge=0,
        le=1,
        description="monthly share of covered residents whose local problems are solved (share/month)",
    )
    depth: float = Field(
        0.25,
        ge=0,
        le=1,
        description="share of a reached person's solvable hardship removed (share)",
    )
    solvable: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of idiosyncratic hardship local services can reach (share)",
    )
    conflict_of_interest: float = Field(
        0.6,
        ge=0,
        le=1,
        description="discount on settling disputes with employers (seed 001 lines 42-46) (share)",
    )
    low_profile: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of activism an enlisted member gives up (line 44) (share)",
    )
    persistence: Persistence = 0.5
    relapse_rate: RelapseRate = 0.2
    legitimacy_gain: float = Field(
        0.1,
        ge=0,
        le=1,
        description="local legitimacy an urban locality gains when all its residents' "
        "problems are solved (share of legitimacy; lines 32, 48)",
    )
    monitoring_legitimacy: float = Field(
        0.0,
        ge=-0.5,
        le=0.5,
        description="local legitimacy per unit of monitoring in urban localities; an "
        "assumption, the text leaves even the sign open (line 50) (legitimacy per unit monitoring)",
    )


def prepare_numpy(model, solved: np.ndarray, enlisted: np.ndarray, home: np.ndarray):
    """Before the month's draws: rows renewed since last month start unenlisted with
    nothing solved (``solved`` and ``enlisted`` in place); returns the rows of employed
    party members not enlisted (the pool) and the mask of urban residents of work units
    and residential communities, by where they live (``home``), who are not cadres."""
    p = model.people
    solved[model.renewed] = 0.0
    enlisted &= ~model.renewed
    pool = np.flatnonzero(p.party & (p.status == Status.EMPLOYED) & ~enlisted)
    urban = (p.residency == Residency.URBAN) | (p.kind == Kind.MIGRANT)
    # By where they live (sim/submodels/residence.py): a unit's housing, or the city's
    # residential community once out of work; never a village.
    n_u = model.units.n
    in_town = (home < n_u) | (home >= n_u + model.villages.n)
    return pool, urban & in_town & (p.kind != Kind.CADRE)


def solve_numpy(
    residents: np.ndarray,
    u: np.ndarray,
    share: float,
    solved: np.ndarray,
    depth: float,
    solvable: float,
    w_base: float,
    base: np.ndarray,
    home: np.ndarray,
    n_loc: int,
    arrears: np.ndarray,
):
    """After the draws ``u``: residents drawing under ``share`` have ``depth`` of their
    unsolved problems solved (``solved`` in place). Returns the hardship term
    (``grassroots.relief_term``), and per home locality the people, the residents and
    the residents' summed solved share; and the residents owed arrears."""
    at = np.flatnonzero(residents & (u < share))
    solved[at] = solve_problems(solved[at], True, depth)
    term = relief_term(solved, base, solvable, w_base)
    loc = home[residents]
    return (
        term,
        np.bincount(home, minlength=n_loc),
        np.bincount(loc, minlength=n_loc),
        np.bincount(loc, weights=solved[residents], minlength=n_loc),
        np.flatnonzero(residents & (arrears > 0)),
    )


@register
class DanweiReactivation(Regime):
    name = "danwei_reactivation"
    title = "Reactivating work-unit people in community management"
    summary = (
        "Employed party members are enlisted into residents' committees: more monitoring "
        "at the grassroots, local problems found and solved, but little help against "
        "employers because work-unit people keep a low profile."
    )
    Params = DanweiParams
    sources = (
        Source("001_7ea81781fc66c4d7.txt", "18-20", "residents' committees recruit danweiren"),
        Source("001_7ea81781fc66c4d7.txt", "22", "the danwei within strict geographic confines"),
        Source("001_7ea81781fc66c4d7.txt", "24-30", "danwei governance lost; elite remnant"),
        Source(
            "001_7ea81781fc66c4d7.txt",
            "32-36",
            "patrols, services; 717,300 members; membership lists shared",
        ),
        Source("001_7ea81781fc66c4d7.txt", "38-46", "conflicts of interest; low profile"),
        Source("001_7ea81781fc66c4d7.txt", "48-50", "work-unit-style governance, deep reach"),
    )

    def on_start(self, model: CadreModel) -> None:
        p = model.people
        self.solved = np.zeros(p.n)
        self.enlisted = np.zeros(p.n, dtype=bool)
        self.reach = 0.0

    def apply(self, model: CadreModel, levers: Levers) -> None:
        levers.monitoring = max(levers.monitoring, self.params.monitoring * self.reach)

    def on_step(self, model: CadreModel) -> None:
        prm, p, rng = self.params, model.people, model.rng
        # Two passes over everyone (compiled from 20,000 rows, sim/kernels_regimes.py):
        # before the draws, who can be enlisted and who is a resident; after them, whose
        # problems are solved and what that adds up to.
        compiled = kernels.wanted(p.n)
        home = residence.current(model)
        prepare = kernels_regimes.danwei_prepare if compiled else prepare_numpy
        # Rows recycled for newcomers start unenlisted, with nothing yet solved.
        pool, residents = prepare(model, self.solved, self.enlisted, home)
        # (the pool's rows: only their draws are read, sim/draws.py)
        new = pool[uniform_at(rng, p.n, pool) < prm.enlist_rate]
        self.enlisted[new] = True
        p.activism[new] *= np.float32(1.0 - prm.low_profile)
        self.reach = network_reach(
            int(np.count_nonzero(self.enlisted)),
            prm.residents_each,
            int(np.count_nonzero(residents)),
        )
        share = prm.problem_solving * self.reach
        u = uniform_where(rng, residents)
        # The residents reached have part of their problems solved (the others keep
        # their share); the hardship term; legitimacy in the units and communities
        # reached: solved problems, and monitoring by the assumption
        # ``monitoring_legitimacy`` (line 50). Both by where people live;
        # ``legitimacy.update_local`` carries the gain to the localities where they are
        # counted (a laid-off worker's unit).
        solve = kernels_regimes.danwei_solve if compiled else solve_numpy
        term, n_home, n_res, tot, owed = solve(
            residents,
            u,
            share,
            self.solved,
            prm.depth,
            prm.solvable,
            model.params.hardship_idiosyncratic,
            p.hardship_base,
            home,
            model.n_localities,
            p.arrears,
        )
        model.terms.add("hardship", self.key, term)
        n_home = n_home.astype(np.float64)
        n = n_res.astype(np.float64)
        solved_l, urban_l = tot / np.maximum(n, 1.0), n / np.maximum(n_home, 1.0)
        model.terms.add(
            "residence_legitimacy",
            self.key,
            prm.legitimacy_gain * solved_l
            + prm.monitoring_legitimacy * prm.monitoring * self.reach * urban_l,
        )
        settled = owed[
            uniform_at(rng, p.n, owed) < dispute_settlement(share, prm.conflict_of_interest)
        ]
        p.relief[settled] += (p.arrears[settled] * p.wage[settled]).astype(np.float32)
        p.arrears[settled] = 0.0
        model.tally["danwei_enlisted"] = int(self.enlisted.sum())

    def on_end(self, model: CadreModel) -> None:
        relapse(model, self.key, self.params)
        self.enlisted[:] = False
        self.reach = 0.0
