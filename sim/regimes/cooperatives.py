"""Cooperatives: rural coops, collective villages and worker seizure of factories.

Sources: seed 003 R12–R14 and §5 of the extraction (``sources/seed003.md``).

* Formation (§5.1): smallholders "left each to their own … will fail", overpowered by
  market forces (``003_34c2b211615d9395.txt:63``), so peasants join at a rate rising with
  their hardship and with outside support from activists, academics and regional
  governments (``003_34c2b211615d9395.txt:71``); coops are "like seedlings" hoping for the
  "rain" of policy support (``003_34c2b211615d9395.txt:73``).
* Pooling (§5.2–5.3): pooled purchase and marketing cut feed costs by 70 % and raise
  profit per pig by about 50 % (``003_34c2b211615d9395.txt:69``), and give "a small but
  critical 'safety net'" (``003_34c2b211615d9395.txt:67``): an income premium paid to
  members and a lower idiosyncratic hardship while they belong (the regime's own term of
  the composed ``hardship``, ``sim.terms``; it ends with the regime).
* Self-limiting premium (§5.6 item 4): "If 'everyone' does it, no single unit will be
  able to compete better" (``003_34c2b211615d9395.txt:77``): π(c) = π0·(1 − c).
* Solidarity (§5.7): the coop is a "big school" that raises consciousness
  (``003_34c2b211615d9395.txt:73``): members' activism rises, and activism lowers a
  person's protest threshold (``sim.submodels.protest.effective_threshold``).
* Failure: capture by the *village's own* corrupt cadres (seed 002 K11; dependence on
  "government, and its shifting policies", ``003_34c2b211615d9395.txt:77``; local
  officials who levy and sell land, ``:60``) and market pressure — a low grain price, WTO
  competition (``003_34c2b211615d9395.txt:65,77``) — dissolve a village's coop. The model
  has no cadre rows in villages, so at the start each village's cadres get a corruption
  drawn from the cadre corps' (``village_corruption``): capture strikes the villages with
  corrupt officials, not all villages alike.
* Diffusion by visits (E3): coops spread "like a prairie fire"
  (``003_34c2b211615d9395.txt:69``) and "can serve as a model for others"
  (``003_34c2b211615d9395.txt:73``): a peasant's join rate rises with the coop members
  among their ties and in the neighbouring villages.
* Collective villages (R14): about 1 % of villages never decollectivized and provide
  housing, health care and schooling (``003_34c2b211615d9395.txt:119``).
* Worker seizure (R13): a unit sold off whose workers protested in large numbers may be
  seized and run under worker control (``003_34c2b211615d9395.txt:21,110``); it becomes
  the "model" (E1, read by the state response) but struggles "not only in the market
  economy, but in the face of official attempts to undermine it economically"
  (``003_34c2b211615d9395.txt:21``): its capacity erodes and it may be lost again.
* Self-management (L21, L110: the workers "took over the factory and ran it
  themselves"): while a unit is worker-run its workers decide wages, layoffs and output.
  Every month wages are levelled toward the unit's mean by ``wage_levelling`` (no manager's
  premium), the cadres' visible privilege there is gone, and wages are paid before
  anything else (owed months cleared at ``self_pay`` a month); workers' effort raises
  capacity by ``self_management_effort`` a month against the erosion above.
* Self-managed layoffs: under workers' control the workers, not the new owner, decide
  whether the restructuring's layoffs go ahead. They share the work instead — "daigang ...
  in which what was once one job is shared out as part-time work among several people"
  (L14) — and hold the plant against being sold off "piecemeal" (L21, L110). A worker-run
  unit postpones ``self_deferral`` of the layoffs still due there (its term of the
  composed per-unit ``layoff_deferral``, read by ``privatization``; layoffs fall due only
  where a union agreement made them slow, L23), and everyone keeps a shared job: the
  unit's posts (``staff0``) are spread over its employed: where more are employed than
  there are posts and layoffs are still due by an agreement (another source's
  ``layoff_deferral``: a union's slow layoffs), wages level toward the mean wage at the seizure × (1 − ``work_sharing``
  × (1 − posts / employed)) — the same wage bill paid for shorter hours — instead of the
  unit's current mean.
* Whom a worker-run unit lets go, when layoffs do go ahead (``self_deferral`` < 1): the
  criteria "only some of those with higher education and the younger workers are
  favored to be kept on" are those of "enterprise managers and the party and state
  authorities" (L15); the paper-mill workers began by "forcing out the managers" and
  ran the plant on "the principles of the Paris Commune" (L110). So in a worker-run unit
  the share ``self_selection`` of the choice (its term of the composed per-unit
  ``worker_selection``, read by ``privatization``) gives equal chances to all: the
  owner's age and education score is scaled by (1 − ``self_selection``), leaving the
  idiosyncratic part. Selection by seniority or by need is *not* built: L14 (daigang,
  work sharing), L21 (the seizure, "rights, won through many decades") and L110 say
  nothing of whom the workers let go; L23 says only that under management "salaries
  and jobs are used to divide and pay off workers and activists".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim import kernels, kernels_regimes
from sim.draws import uniform_block
from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind, Ownership, Status
from sim.submodels.protest import CLAIM_LAND, CLAIM_MIGRANT

if TYPE_CHECKING:
    from sim.levers import Levers
    from sim.model import CadreModel


def coop_premium(premium0: float, coop_share: float, market_pressure: float) -> float:
    """Income premium of membership, π(c) = π0·(1 − c)·(1 − market pressure) (§5.6, L77)."""
    return max(premium0 * (1.0 - coop_share) * (1.0 - market_pressure), 0.0)


def join_hazard(
    hardship: np.ndarray,
    exposure: np.ndarray,
    base_rate: float,
    support: float,
    diffusion: float,
) -> np.ndarray:
    """Monthly chance a peasant joins: base × hardship × (1 + support) × (1 + diffusion × exposure).

    ``exposure`` in [0, 1] is the coop presence a peasant sees: members among their ties
    and in their own and neighbouring villages (E3, L69, L73).
    """
    return np.clip(base_rate * hardship * (1.0 + support) * (1.0 + diffusion * exposure), 0, 1)


def hazard_numpy(
    vil: np.ndarray,
    seen: np.ndarray,
    tie_w: np.ndarray,
    degree: np.ndarray,
    hardship: np.ndarray,
    failed: np.ndarray,
    coop: np.ndarray,
    base_rate: float,
    support: float,
    diffusion: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Per peasant: the join hazard (:func:`join_hazard`) at the coop presence they see,
    clip(``seen`` of their village + the weight of their ties to members / their tie
    degree, 0, 1) (E3, L69, L73), and who can join (not a member; their village's coop
    did not fail this month, ``failed`` per village)."""
    exposure = np.clip(seen[vil] + tie_w / np.maximum(degree, 1), 0, 1)
    hz = join_hazard(hardship, exposure, base_rate, support, diffusion)
    return hz, ~coop & ~failed[vil]


def join_numpy(u: np.ndarray, hz: np.ndarray, can: np.ndarray, coop: np.ndarray):
    """Those who can join and draw ``u`` under their hazard join (``coop`` in place);
    returns how many joined and how many are members after."""
    joins = can & (u < hz)
    coop[joins] = True
    return int(joins.sum()), int(coop.sum())


def pool_numpy(
    coop: np.ndarray,
    collective: np.ndarray,
    vil: np.ndarray,
    land: np.ndarray,
    base: np.ndarray,
    activism: np.ndarray,
    relief: np.ndarray,
    farm_income: float,
    grain_price: float,
    premium: float,
    services: float,
    net_factor: float,
    solidarity: float,
    n_v: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Pooling for the members ``coop`` (L69-L77): the income ``premium`` on farm income
    outside collectives and collectives' ``services``, paid into ``relief`` (in place);
    returns the safety-net hardship term (``net_factor`` × idiosyncratic hardship
    ``base`` of members) and the members per village. Solidarity raises members'
    ``activism`` (in place), at most 1."""
    members = coop.copy()
    collective = collective[vil]
    farm = farm_income * land * grain_price
    gain = np.where(members & ~collective, premium * farm, 0.0)
    gain = gain + np.where(collective, services, 0.0)
    relief += gain.astype(np.float32)
    net = np.where(members, net_factor * base, 0.0)
    activism[...] = np.where(members, np.minimum(activism + solidarity, 1.0), activism).astype(
        np.float32
    )
    return net, np.bincount(vil, weights=members.astype(np.float64), minlength=n_v)


def dissolution_hazard(
    corruption: float | np.ndarray,
    capture_rate: float,
    support: float,
    grain_price: float,
    market_pressure: float,
    market_rate: float,
):
    """Monthly chance a village coop fails: capture by the village's cadres (scalar or per
    village) plus market pressure (§5.6)."""
    capture = capture_rate * np.asarray(corruption, dtype=np.float64) * (1.0 - 0.5 * support)
    squeeze = market_rate * (max(1.0 - grain_price, 0.0) + market_pressure)
    out = np.clip(capture + squeeze, 0.0, 1.0)
    return float(out) if out.ndim == 0 else out


def unit_mean_wage(wage: np.ndarray, unit: np.ndarray, run: np.ndarray, n_units: int):
    """Per unit: the mean wage of the people in the mask ``run`` (0 where none)."""
    n = np.bincount(unit[run], minlength=n_units).astype(np.float64)
    tot = np.bincount(unit[run], weights=wage[run].astype(np.float64), minlength=n_units)
    return tot / np.maximum(n, 1.0)


def level_wages(
    wage: np.ndarray,
    unit: np.ndarray,
    run: np.ndarray,
    n_units: int,
    rate: float,
    target: np.ndarray | None = None,
):
    """Wages in worker-run units moved ``rate`` of the way to their unit's mean (or to a
    per-unit ``target`` wage, e.g. the shared wage).

    ``run`` marks the people employed in a worker-run unit; others are unchanged.
    """
    per_unit = unit_mean_wage(wage, unit, run, n_units) if target is None else target
    target = per_unit[np.maximum(unit, 0)]
    return np.where(run, wage + rate * (target - wage), wage).astype(wage.dtype)


def self_managed_wages_numpy(people, run: np.ndarray):
    """The people employed in a unit of ``run`` (worker-run units): a mask, and per unit
    their number and summed wages (float64), whose ratio is :func:`unit_mean_wage`."""
    p = people
    emp = (p.unit >= 0) & (p.status == Status.EMPLOYED) & run[np.maximum(p.unit, 0)]
    unit = p.unit[emp]
    return (
        emp,
        np.bincount(unit, minlength=run.size),
        np.bincount(unit, weights=p.wage[emp].astype(np.float64), minlength=run.size),
    )


def self_pay_numpy(people, emp: np.ndarray, target: np.ndarray, rate: float, self_pay: float):
    """Self-management (L21, L110), in place: the ``emp`` (employed in worker-run units)
    level their wages ``rate`` of the way to their unit's ``target`` (:func:`level_wages`)
    and are paid ``self_pay`` of their arrears first, into relief at the new wage."""
    p = people
    p.wage = level_wages(p.wage, p.unit, emp, target.size, rate, target)
    paid = np.where(emp, p.arrears * self_pay, 0.0)
    p.relief = (p.relief + paid * p.wage).astype(np.float32)
    p.arrears = (p.arrears - paid).astype(np.float32)


def shared_wage(
    ref: np.ndarray, posts: np.ndarray, staff: np.ndarray, sharing: float
) -> np.ndarray:
    """Per unit: the wage its employed level toward when the posts are shared (daigang,
    L14): the mean wage at the seizure ``ref`` × (1 − ``sharing`` × (1 − posts/staff)).

    With no more staff than posts the wage is ``ref``; with twice as many and full
    sharing, half of it (the same wage bill for half the hours each).
    """
    fill = np.clip(posts / np.maximum(staff, 1.0), 0.0, 1.0)
    return ref * (1.0 - sharing * (1.0 - fill))


def seizure_candidates(
    sold: np.ndarray, ownership: np.ndarray, protest_size: np.ndarray, min_size: float
) -> np.ndarray:
    """Units that can be seized: sold or restructured, not yet worker-run, with a large
    protest last month (the Zhengzhou paper mill, L21, L110)."""
    return sold & (ownership != Ownership.WORKER_CONTROLLED) & (protest_size >= min_size)


def worker_claim_size(events, n_localities: int) -> np.ndarray:
    """People per locality in events over the workers' own claims (not migrants', land)."""
    own = (events.claim != CLAIM_MIGRANT) & (events.claim != CLAIM_LAND)
    return np.bincount(
        events.locality[own], weights=events.size[own], minlength=n_localities
    ).astype(np.float64)


class CooperativesParams(RegimeParams):
    type: Literal["cooperatives"]
    join_rate: float = Field(
        0.02, ge=0, le=1, description="monthly join chance of a peasant at hardship 1 (prob.)"
    )
    support: float = Field(
        0.5, ge=0, le=1, description="state, academic and NGO support for coops (0–1; L71)"
    )
    diffusion: float = Field(
        4.0,
        ge=0,
        le=100,
        description="join-rate multiplier per unit of coop exposure (E3) (multiplier per unit exposure)",
    )
    premium: float = Field(
        0.5,
        ge=0,
        le=5,
        description="income premium of a member when coops are rare "
        "(share of farm income; L69: +50 % profit per pig)",
    )
    safety_net: float = Field(
        0.3,
        ge=0,
        le=1,
        description="share of idiosyncratic hardship a coop pools away (L67) (share)",
    )
    solidarity: float = Field(
        0.01, ge=0, le=1, description="monthly rise of members' activism (L73) (activism per month)"
    )
    capture_rate: float = Field(
        0.02,
        ge=0,
        le=1,
        description="monthly coop failure hazard at full cadre corruption (1/month)",
    )
    market_pressure: float = Field(
        0.0, ge=0, le=1, description="global market/WTO competition on coops (0–1; L65, L77)"
    )
    market_rate: float = Field(
        0.02,
        ge=0,
        le=1,
        description="monthly coop failure hazard per unit market squeeze (1/month per unit squeeze)",
    )
    collective_share: float = Field(
        0.01,
        ge=0,
        le=1,
        description="share of villages that stayed collective (L119: ~1 %) (share)",
    )
    collective_services: float = Field(
        0.3,
        ge=0,
        le=5,
        description="monthly services of a collective village per household "
        "(housing, health, schooling; wage units; L119) (wage units per household per month)",
    )
    seizure_rate: float = Field(
        0.1,
        ge=0,
        le=1,
        description="monthly chance a sold unit with a large protest is seized (1/month)",
    )
    seizure_min_size: float = Field(
        300.0,
        ge=5,
        le=1e6,
        description="protest size (people) that makes a seizure possible (people)",
    )
    seized_capacity_loss: float = Field(
        0.01,
        ge=0,
        le=1,
        description="monthly capacity lost by a worker-run unit (market and "
        "official undermining; L21) (share/month)",
    )
    seized_failure_rate: float = Field(
        0.01, ge=0, le=1, description="monthly chance a worker-run unit is lost (L21) (1/month)"
    )
    wage_levelling: float = Field(
        0.2,
        ge=0,
        le=1,
        description="monthly share of the gap to the unit's mean wage closed in a "
        "worker-run unit (self-management, L21, L110) (share/month)",
    )
    self_pay: float = Field(
        0.5,
        ge=0,
        le=1,
        description="monthly share of owed wage months a worker-run unit pays its own "
        "workers first (L21) (share/month)",
    )
    self_management_effort: float = Field(
        0.005,
        ge=0,
        le=0.1,
        description="monthly capacity gained from workers' own effort in a worker-run unit "
        "(share of capacity; L21)",
    )
    # --- self-managed layoffs (issue 18, helper `regimes`) -------------------------------
    self_deferral: float = Field(
        1.0,
        ge=0,
        le=1,
        description="share of the layoffs still due in a worker-run unit that its workers "
        "postpone, sharing the work instead (daigang, L14; worker control, L21, L110) (share)",
    )
    work_sharing: float = Field(
        1.0,
        ge=0,
        le=1,
        description="how far a worker-run unit with more employed than posts shares the "
        "posts' hours and wage bill among them (1: wages × posts/employed; daigang, L14) "
        "(share)",
    )
    # --- whom a worker-run unit lets go (issue 18, helper `residence`) --------------------
    self_selection: float = Field(
        1.0,
        ge=0,
        le=1,
        description="share of a worker-run unit's choice of whom to lay off that its workers "
        "make, by equal chances instead of the managers' youth and education criteria "
        "(L15 the managers' criteria; L110 managers forced out, Paris Commune) (share)",
    )


@register
class Cooperatives(Regime):
    name = "cooperatives"
    title = "Cooperatives, collective villages and worker-run factories"
    summary = (
        "Peasants join village coops as hardship and support rise; coops pool income and "
        "risk, spread through ties and neighbouring villages, and fail by capture or market "
        "pressure. A few villages stay collective; sold factories may be seized by workers."
    )
    Params = CooperativesParams
    sources = (
        Source("003_34c2b211615d9395.txt", "63-65", "smallholders fail alone; WTO competition"),
        Source("003_34c2b211615d9395.txt", "67-69", "pooling, safety net, prairie fire"),
        Source("003_34c2b211615d9395.txt", "71-73", "support, governance, coop as a model"),
        Source("003_34c2b211615d9395.txt", "77", "premium erodes as coops spread; dependence"),
        Source("003_34c2b211615d9395.txt", "119-121", "collective villages; daily delegations"),
        Source("003_34c2b211615d9395.txt", "21,110", "worker seizure of the paper mill"),
        Source("003_34c2b211615d9395.txt", "14", "daigang: one job shared as part-time work"),
        Source("003_34c2b211615d9395.txt", "15", "managers keep the young and educated"),
    )

    def on_start(self, model: CadreModel) -> None:
        p, v = model.people, model.villages
        n_v = v.n
        if n_v:
            n_coll = int(round(self.params.collective_share * n_v))
            chosen = model.rng.permutation(n_v)[:n_coll]
            v.collective[chosen] = True
        # The village's own cadres: a corruption drawn from the cadre corps (K11).
        corps = p.corruption[p.rows(Kind.CADRE)]
        self.village_corruption = (
            model.rng.choice(corps, size=n_v) if corps.size and n_v else np.zeros(n_v)
        )
        self.dissolved = 0
        self.seized = 0
        #: per unit: the mean wage of its employed at the seizure (the shared wage's base)
        self.seized_wage = np.zeros(model.units.n)

    def apply(self, model: CadreModel, levers: Levers) -> None:
        levers.coop_support = max(levers.coop_support, self.params.support)
        # Self-managed layoffs: worker-run units postpone the layoffs due there (L14, L21).
        u = model.units
        d = np.zeros(model.n_localities)
        d[: u.n] = np.where(
            u.ownership == Ownership.WORKER_CONTROLLED, self.params.self_deferral, 0
        )
        model.terms.add("layoff_deferral", self.key, d)
        # Whom a worker-run unit lets go when it does: its workers choose, by equal
        # chances, not by the managers' youth and education (L15, L110).
        s = np.zeros(model.n_localities)
        s[: u.n] = np.where(
            u.ownership == Ownership.WORKER_CONTROLLED, self.params.self_selection, 0
        )
        model.terms.add("worker_selection", self.key, s)

    # --- the month -------------------------------------------------------------------
    def on_step(self, model: CadreModel) -> None:
        peasants = model.people.rows(Kind.PEASANT)
        if model.villages.n and peasants.stop > peasants.start:
            self._villages(model)
        self._seizures(model)

    def _villages(self, model: CadreModel) -> None:
        prm, p, v, rng, lv = self.params, model.people, model.villages, model.rng, model.levers
        n_v = v.n
        # Peasants are one contiguous block of rows (kinds never change): every rule
        # below reads and writes that block only (the full-population version cost a
        # tenth of a month at 10^5 agents); ``coop_b`` is a view, so writes land in p.coop.
        rows = p.rows(Kind.PEASANT)
        sl = slice(rows.start, rows.stop)
        vil = np.maximum(p.village[sl], 0)
        coop_b = p.coop[sl]
        collective = v.collective[vil]
        coop_b[collective] = True
        # Failure: capture by the village's own cadres or market pressure dissolves a coop.
        h = dissolution_hazard(
            self.village_corruption,
            prm.capture_rate,
            lv.coop_support,
            lv.grain_price,
            prm.market_pressure,
            prm.market_rate,
        )
        has_coop = np.bincount(vil[coop_b], minlength=n_v) > 0
        fail = has_coop & ~v.collective & (rng.random(n_v) < h)
        if fail.any():
            coop_b[fail[vil]] = False
        self.dissolved += int(fail.sum())
        model.tally["coops_dissolved"] = int(fail.sum())
        # Formation and diffusion: hardship, support, members among ties and nearby.
        # Villagers see last month's coops in their own and the neighbouring villages
        # (visits take time, E3) and this month's members among their ties.
        coop_f = np.zeros(p.n, dtype=bool)
        coop_f[sl] = coop_b
        n_peas_v = np.maximum(np.bincount(vil, minlength=n_v), 1)
        share_v = v.coop_share.astype(np.float64)
        # (np.roll's values, shifted by slicing: the ring of villages)
        neighbours = 0.5 * (
            np.concatenate((share_v[-1:], share_v[:-1]))
            + np.concatenate((share_v[1:], share_v[:1]))
        )
        # Only peasants' exposure is read; their rows are one contiguous block of the CSR
        # tie matrix, taken as a view (no copy), so the month costs a third of a full product.
        # (the weights change: repression_concession's hostility; the degrees are summed)
        degree = kernels_regimes.row_sums(model.ties, rows.start, rows.stop)
        tie_w = kernels.tie_count_wide(model.ties, sl.start, sl.stop, coop_f)
        # (the larger of the two per village, read per peasant in the pass)
        seen = np.maximum(share_v, neighbours)
        # The passes below over the peasants' rows are compiled from 20,000 rows
        # (sim/kernels_regimes.py), the same values as their numpy references here.
        compiled = kernels.wanted(p.n)
        hazard = kernels_regimes.coop_hazard if compiled else hazard_numpy
        hz, can = hazard(
            vil,
            seen,
            tie_w,
            degree,
            p.hardship[sl],
            fail,
            coop_b,
            prm.join_rate,
            lv.coop_support,
            prm.diffusion,
        )
        # The draw spans the whole population (the stream does not depend on who can join);
        # only the peasants' numbers are generated (sim/draws.py: same numbers there).
        u = uniform_block(rng, p.n, sl, can)
        n_joins, n_members = (kernels_regimes.coop_join if compiled else join_numpy)(
            u, hz, can, coop_b
        )
        model.tally["coop_joins"] = int(n_joins)
        # Pooling: income premium (paid as relief, spent by pay()), safety net, services.
        c = float(n_members) / max(rows.stop - rows.start, 1)
        pi = coop_premium(prm.premium, c, prm.market_pressure)
        # The safety net is this regime's own hardship term: it pools away a share of
        # the members' idiosyncratic hardship while they belong. Solidarity: the coop as
        # a "big school" (L73).
        w_base = model.params.hardship_idiosyncratic
        pool = kernels_regimes.coop_pool if compiled else pool_numpy
        net, members_v = pool(
            coop_b,
            v.collective,
            vil,
            p.land[sl],
            p.hardship_base[sl],
            p.activism[sl],  # (views: relief and activism are written in place)
            p.relief[sl],
            model.params.farm_income,
            lv.grain_price,
            pi,
            prm.collective_services,
            -prm.safety_net * w_base,
            prm.solidarity,
            n_v,
        )
        model.terms.add("hardship", self.key, net, rows=sl)  # (the peasants' rows only)
        v.coop_share = members_v / n_peas_v

    def _seizures(self, model: CadreModel) -> None:
        prm, u, p, rng = self.params, model.units, model.people, model.rng
        n_u = u.n
        # Only the unit's own workers seize it (the paper mill, L21, L110): the size that
        # counts is that of the workers' claims (wages, stipends, status, pensions), not
        # migrants' arrears protests, whose claim is on a contractor, not the plant.
        size = worker_claim_size(model.events, model.n_localities)[:n_u]
        cand = seizure_candidates(u.restructured >= 0, u.ownership, size, prm.seizure_min_size)
        seize = cand & (rng.random(n_u) < prm.seizure_rate)
        if seize.any():
            emp_all = (p.unit >= 0) & (p.status == Status.EMPLOYED)
            mean = unit_mean_wage(p.wage, p.unit, emp_all, n_u)
            self.seized_wage[seize] = mean[seize]
            u.ownership[seize] = Ownership.WORKER_CONTROLLED
            u.model_seizure[seize] = True
            # The leader is jailed (L25, L110): the most active member of each seized unit.
            idx = np.flatnonzero(seize[np.maximum(p.unit, 0)] & (p.unit >= 0) & (p.kind != 0))
            if idx.size:
                order = np.lexsort((-p.activism[idx], p.unit[idx]))
                first = np.r_[True, np.diff(p.unit[idx][order]) != 0]
                leaders = idx[order[first]]
                p.jail[leaders] = model.params.jail_max
                p.dossier[leaders] += 1
        self.seized += int(seize.sum())
        model.tally["seizures"] = int(seize.sum())
        # Worker-run units struggle under market pressure and official hostility (L21).
        run = u.ownership == Ownership.WORKER_CONTROLLED
        u.capacity[run] *= (1.0 - prm.seized_capacity_loss) * (1.0 + prm.self_management_effort)
        # Self-management: levelled wages paid first, no cadre privilege (L21, L110).
        if run.any():
            # (two passes over everyone, compiled from 20,000 rows: sim/kernels_regimes.py)
            compiled = kernels.wanted(p.n)
            wages_of = kernels_regimes.self_managed_wages if compiled else self_managed_wages_numpy
            emp, count, total = wages_of(p, run)
            # The posts (staff0) shared among everyone employed: daigang (L14), where
            # layoffs are still due by an agreement (another source's deferral: a union's
            # slow layoffs) — elsewhere more staff than posts are hires of the new owner
            # (private re-employment), not layoffs held back. Else wages level to the mean.
            staff = model.unit_staff()
            others = np.zeros(model.n_localities)
            for source, value in model.terms.breakdown("layoff_deferral").items():
                if source != self.key:
                    others = others + value
            due = others[:n_u] > 0
            target = np.where(
                (staff > u.staff0) & due,
                shared_wage(self.seized_wage, u.staff0, staff, prm.work_sharing),
                total / np.maximum(count.astype(np.float64), 1.0),  # (unit_mean_wage)
            )
            pay = kernels_regimes.self_managed_pay if compiled else self_pay_numpy
            pay(p, emp, target, prm.wage_levelling, prm.self_pay)
            u.privilege[run] = 0.0
        lost = run & ~seize & (rng.random(n_u) < prm.seized_failure_rate)
        u.ownership[lost] = Ownership.PRIVATE  # the "model" memory (model_seizure) remains
