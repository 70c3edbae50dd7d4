"""Grassroots work: "party secretary for a week" (seed 004, Nanjing, from October 2015).

Cadres — "older members in the party ranks, some of them retired" — rotate into villages
in groups of three for one-week terms, "meet with villagers every morning", follow up on
their complaints, and get money for roads, bridges and garbage (``004_c5bc666cf4e02d46.txt:21``,
``:24``, ``:26``). A diary, a ledger and a bulletin board let villagers follow up with the
village committee (``:30``), so problems found are solved: here a share of a visited
village's residents have part of their idiosyncratic hardship relieved (the regime's own
term of the composed ``hardship``, ``sim.terms``) and the wage arrears of migrants from
that village chased up. Closing "the last kilometre problem" (``:17``) earns legitimacy
only where it happens: each community's ``residence_legitimacy`` term is ``legitimacy_gain`` ×
the mean solved share of its residents, so communities never visited gain nothing. A
community's residents are the people who *live* there (``sim/submodels/residence.py``):
villagers, and in the city's residential community the school-leavers and the laid-off
and retired who have left the unit's housing; the gain counts in the localities where
they are counted (``sim.submodels.legitimacy.update_local``), so a laid-off worker's
unit shares in what the visits to the community earned.
Serving gives the older cadres "a sense of belonging" (``:32``): their loyalty rises.

Younger cadres (``:34``, ``:37``): the experiment could be "applied to younger cadres",
but "younger cadres seem to be looking more at promotion than policy", and officials
are "too focused on ... personal promotion" (``:17``). A share ``young_share`` of the
secretaries is drawn from the younger half of the corps; their visits solve problems at
``young_effort`` of the older cadres' rate, they gain no sense of belonging, and the
posting is a credential: ``service_merit`` is added to their promotion log-odds (the
composed ``merit`` term) in the month they serve.

When the programme stops, "policy as faucet" (``:19``): the share ``1 − persistence`` of
the solved problems comes back, at ``relapse_rate`` a month (the term fades toward
``persistence`` of its last value).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from sim import kernels, kernels_regimes
from sim.draws import uniform_block, uniform_where
from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind
from sim.submodels import residence

# "Policy as faucet" (seed 004 line 19): what a problem-solving programme leaves when it
# stops. Shared by this regime and ``danwei_reactivation`` (one definition, one meaning);
# each declares the fields in its own place so the ``cadresim regimes`` listing keeps
# its order.
Persistence = Annotated[
    float,
    Field(
        ge=0, le=1, description="share of solved problems that stay solved after the end (share)"
    ),
]
RelapseRate = Annotated[
    float,
    Field(
        ge=0,
        le=1,
        description="monthly rate at which the problems that do not stay solved come back "
        "after the end (1/month; assumption: most within a year)",
    ),
]


def relapse(model: CadreModel, key: str, prm) -> None:
    """Policy as faucet (line 19): the programme's hardship term fades toward
    ``persistence`` of its last value at ``relapse_rate`` a month."""
    model.terms.fade(key, "hardship", prm.relapse_rate, keep=prm.persistence)


if TYPE_CHECKING:
    from sim.levers import Levers
    from sim.model import CadreModel

WEEKS_PER_MONTH = 4
GROUP_SIZE = 3  # "divided into groups of three people" (seed 004 line 24)


def visit_probability(n_cadres_serving: float, n_communities: int) -> float:
    """Chance a community is visited this month: one-week terms by groups of three."""
    if n_communities <= 0:
        return 0.0
    visits = n_cadres_serving / GROUP_SIZE * WEEKS_PER_MONTH
    return float(min(visits / n_communities, 1.0))


def solve_problems(solved: np.ndarray, reached: np.ndarray, depth: float) -> np.ndarray:
    """Share of a person's solvable problems solved, after this month's visits.

    Each visit that reaches a person solves ``depth`` of what is still unsolved, so the
    share rises toward 1 and never past it.
    """
    return np.where(reached, solved + depth * (1.0 - solved), solved)


def relief_term(solved: np.ndarray, base: np.ndarray, solvable: float, w_base: float) -> np.ndarray:
    """The programme's hardship term (units of H): minus the solved share of the part of
    idiosyncratic hardship that local fixes can reach (``solvable``)."""
    return -w_base * solvable * solved * base


class GrassrootsParams(RegimeParams):
    type: Literal["grassroots"]
    serving_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="share of cadres serving a one-week term each month (Qixia: 39, then "
        "104 cadres; seed 004 line 24) (share/month)",
    )
    solve_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="share of a visited community whose problems are solved (share)",
    )
    depth: float = Field(
        0.3, ge=0, le=1, description="share of a reached person's solvable hardship removed (share)"
    )
    solvable: float = Field(
        0.6,
        ge=0,
        le=1,
        description="share of idiosyncratic hardship that local fixes can reach (share)",
    )
    arrears_follow_up: float = Field(
        0.5,
        ge=0,
        le=1,
        description="chance the arrears of a migrant from a visited village are settled (probability)",
    )
    loyalty_gain: float = Field(
        0.02,
        ge=0,
        le=1,
        description="loyalty a serving cadre gains per term (seed 004 line 32) (loyalty)",
    )
    persistence: Persistence = 0.5
    relapse_rate: RelapseRate = 0.2
    legitimacy_gain: float = Field(
        0.1,
        ge=0,
        le=1,
        description="local legitimacy a community gains when all its residents' problems "
        "are solved (share of legitimacy; line 17)",
    )
    young_share: float = Field(
        0.0,
        ge=0,
        le=1,
        description="share of secretaries drawn from the younger half of the cadres "
        "(0 = Nanjing's older cadres; line 34 proposes younger ones) (share)",
    )
    young_effort: float = Field(
        0.5,
        ge=0,
        le=1,
        description="problem solving of a young secretary relative to an older one "
        "(line 37: 'more at promotion than policy') (ratio)",
    )
    service_merit: float = Field(
        0.5,
        ge=0,
        le=5,
        description="promotion log-odds a young cadre gains in a month of service "
        "(a credential; lines 17, 37) (log-odds per month)",
    )


def serving_chance(age: np.ndarray, share: float, young_share: float) -> tuple:
    """Monthly chance each cadre serves, and whether they are drawn as a young secretary.

    Older cadres are weighted by age above the youngest (line 21); a share ``young_share``
    of the places goes to the younger half, weighted toward the youngest. Returns
    (chance of an older-cadre place, chance of a young place), each ≤ 1, mean ``share``
    × (1 − young_share) and ``share`` × young_share over all cadres.
    """
    age = age.astype(np.float64)
    if age.size == 0:
        return np.zeros(0), np.zeros(0)
    old_w = age - age.min() + 1.0
    young = age < np.median(age)
    young_w = np.where(young, age.max() - age + 1.0, 0.0)
    old_c = share * (1.0 - young_share) * old_w / old_w.mean()
    young_c = share * young_share * young_w / max(young_w.mean(), 1e-12)
    return np.clip(old_c, 0, 1), np.clip(young_c, 0, 1)


def community_legitimacy(
    solved: np.ndarray, comm: np.ndarray, resident: np.ndarray, n_comm: int, gain: float
) -> np.ndarray:
    """Per community: ``gain`` × mean solved share of its residents (0 where none live)."""
    c = comm[resident]
    n = np.bincount(c, minlength=n_comm).astype(np.float64)
    tot = np.bincount(c, weights=solved[resident], minlength=n_comm)
    return gain * tot / np.maximum(n, 1.0)


def prepare_numpy(model, solved: np.ndarray, home: np.ndarray, visited: np.ndarray):
    """Before the draws: renewed rows start with nothing solved (``solved`` in place);
    returns the mask of non-cadres living in a community (``home`` past the units) that
    this month's visits reach (``visited``, per community)."""
    p, n_u = model.people, model.units.n
    solved[model.renewed] = 0.0
    resident = (p.kind != Kind.CADRE) & (home >= n_u)
    comm = np.where(resident, home - n_u, 0)
    return resident & visited[comm]


def solve_numpy(model, near, u, chance, solved, depth, solvable, w_base, home, n_comm, gain):
    """After the draws ``u``: the ``near`` drawing under ``chance`` have ``depth`` of
    their unsolved problems solved (``solved`` in place). Returns the hardship term
    (:func:`relief_term`), each community's legitimacy gain (:func:`community_legitimacy`)
    and how many were reached."""
    p, n_u = model.people, model.units.n
    at = np.flatnonzero(near & (u < chance))
    solved[at] = solve_problems(solved[at], True, depth)
    resident = (p.kind != Kind.CADRE) & (home >= n_u)
    comm = np.where(resident, home - n_u, 0)
    return (
        relief_term(solved, p.hardship_base, solvable, w_base),
        community_legitimacy(solved, comm, resident, n_comm, gain),
        at.size,
    )


@register
class Grassroots(Regime):
    name = "grassroots"
    title = "Party secretary for a week (grassroots problem solving)"
    summary = (
        "Older cadres rotate into villages in groups of three for a week, solve local "
        "problems (hardship relieved, migrants' arrears chased up) and close the last "
        "kilometre between cadres and villagers."
    )
    Params = GrassrootsParams
    sources = (
        Source("004_c5bc666cf4e02d46.txt", "17", "the last kilometre problem"),
        Source("004_c5bc666cf4e02d46.txt", "19", "policy as faucet: experiments switched off"),
        Source(
            "004_c5bc666cf4e02d46.txt",
            "21-26",
            "one-week secretaries, groups of three, problems found and solved",
        ),
        Source("004_c5bc666cf4e02d46.txt", "30-32", "ledgers and follow-up; sense of belonging"),
        Source("004_c5bc666cf4e02d46.txt", "34", "the experiment applied to younger cadres"),
        Source("004_c5bc666cf4e02d46.txt", "37", "older cadres act; younger seek promotion"),
    )

    def on_start(self, model: CadreModel) -> None:
        self.solved = np.zeros(model.people.n)
        self.visit_p = 0.0
        self.helped = 0

    def _communities(self, model: CadreModel) -> int:
        return model.villages.n + 1  # the villages and the city at large

    def apply(self, model: CadreModel, levers: Levers) -> None:
        n_c = model.people.count(Kind.CADRE)
        serving = self.params.serving_share * n_c * model.elite.fidelity  # elite fidelity
        self.visit_p = visit_probability(serving, self._communities(model))

    def on_step(self, model: CadreModel) -> None:
        prm, p, rng = self.params, model.people, model.rng
        compiled = kernels.wanted(p.n)
        n_comm = self._communities(model)
        # Who serves: older cadres (line 21) and, if any, younger ones (lines 34, 37).
        rows = p.rows(Kind.CADRE)
        old_c, young_c = serving_chance(p.age[rows], prm.serving_share, prm.young_share)
        draw = rng.random(old_c.size)
        serving_old = draw < old_c
        serving_young = ~serving_old & (draw < old_c + young_c)
        # Young secretaries chase promotion more than policy: their visits solve less.
        effort = 1.0 - prm.young_share * (1.0 - prm.young_effort)
        visited = rng.random(n_comm) < self.visit_p
        # Community of a person: where they live (sim/submodels/residence.py) — their
        # village, or the city's residential community, home to school-leavers and to
        # the laid-off and retired once out of the unit's housing; staff on the job
        # live in their unit, which the visits do not reach.
        # (a newcomer's problems are not yet solved: renewed rows are cleared first)
        n_u = model.units.n
        home = residence.current(model)
        prepare = kernels_regimes.grassroots_prepare if compiled else prepare_numpy
        near = prepare(model, self.solved, home, visited)
        u = uniform_where(rng, near)
        # Those reached have part of their problems solved (the others keep their share):
        # the hardship term, and legitimacy only where problems were actually solved
        # (the communities visited), by residence: it counts where the residents are
        # counted (a village; the unit of a laid-off worker living in the city
        # community), ``legitimacy.update_local``. Both passes compiled from 20,000 rows.
        solve = kernels_regimes.grassroots_solve if compiled else solve_numpy
        term, legitimacy, n_at = solve(
            model,
            near,
            u,
            prm.solve_share * effort,
            self.solved,
            prm.depth,
            prm.solvable,
            model.params.hardship_idiosyncratic,
            home,
            n_comm,
            prm.legitimacy_gain,
        )
        model.terms.add("hardship", self.key, term)
        loc = np.zeros(model.n_localities)
        loc[n_u : n_u + n_comm] = legitimacy
        model.terms.add("residence_legitimacy", self.key, loc)
        # Migrants' unpaid wages, chased up through their home village's committee
        # (line 30), wherever they work.
        # (migrants are a block of rows: read and drawn there only, sim/draws.py)
        ms = p.rows(Kind.MIGRANT)
        vil_m = p.village[ms]
        home_v = np.where(vil_m >= 0, vil_m, n_comm - 1)
        owed = visited[home_v] & (p.arrears[ms] > 0)
        u = uniform_block(rng, p.n, ms, owed)
        settled = np.flatnonzero(owed & (u < prm.arrears_follow_up * effort)) + ms.start
        p.relief[settled] += (p.arrears[settled] * p.wage[settled]).astype(np.float32)
        p.arrears[settled] = 0.0
        # Serving gives older cadres a sense of belonging (line 32); for the young it is
        # a credential for promotion (lines 17, 37).
        p.loyalty[rows] = np.where(
            serving_old, np.minimum(p.loyalty[rows] + prm.loyalty_gain, 1.0), p.loyalty[rows]
        )
        merit = np.where(serving_young, prm.service_merit, 0.0)
        model.terms.add("merit", self.key, merit, rows=rows)  # (the cadres' rows only)
        self.helped += int(n_at) + int(settled.size)
        model.tally["grassroots_helped"] = int(n_at) + int(settled.size)

    def on_end(self, model: CadreModel) -> None:
        # Policy as faucet (line 19): part of what was solved comes back, over months.
        relapse(model, self.key, self.params)
