"""SOE restructuring: sale or shareholding conversion, selective layoffs, xiagang.

Seed 003 R1–R2 and rules A1–A3, A7, A8, C1 (``003_34c2b211615d9395.txt``):

- A share of the remaining state units is sold or converted each month (R1, lines
  12, 14, 21, 93): ``sale`` makes a unit private, ``shareholding`` a shareholding
  corporation, ``mixed`` draws one of the two per unit.
- At the sale a unit lays off ``layoff_share`` of its staff (A1, line 14: "70-80
  percent"; Siping's shareholding conversion kept 1,000 of 3,000, i.e. 2/3 laid off).
- Who goes is selective (A2, line 15): "only some of those with higher education and
  the younger workers are favored to be kept on". Of those laid off, the oldest are
  forced into early retirement, and the others become xiagang — or, where managers can
  avoid the obligation, are denied any status (A3, line 15). Xiagang stipends run "for
  a set number of years" (line 14), after which the person is simply unemployed.
- The young are offered a lump-sum buyout and mostly take it (A7, line 29): the money
  is "quickly used up" (``relief``, spent by ``sim.submodels.economy``), so the
  demobilization is temporary. Some younger laid-off workers find private jobs (line
  15: the 30s–40s "in private or sold-off firms").
- Asset stripping and cadre enrichment (lines 12, 19, 23, 93): the sold unit loses
  equipment, its cadres' corruption rises, and visible cadre privilege grows with the
  share sold, up to salaries "maybe three times as much as before" (line 19).
- Hiring freezes (lines 14, 86): while the programme runs, state units fill only
  (1 − ``hiring_freeze``) of their vacancies (``levers.hiring_freeze``, read by
  ``sim.submodels.demography.hire``); a sold unit runs with the staff it kept.
- Demands shift with the stage of privatization (C1, line 27): before its sale a unit's
  protest is about *blocking the sale* — a large enough protest postpones it (line 21:
  the textile workers "prevented the selloff"); after the sale protest is about
  *defending benefits*: pensions and stipends of sold units fall into arrears (lines
  15, 27), which a policy concession clears (``sim.submodels.state_response``).

Laid-off workers keep their ``unit`` (their former danwei), so they protest with it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim.grouping import first_k_per_group
from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind, Ownership, Status


class PrivatizationParams(RegimeParams):
    type: Literal["privatization"]
    sale_rate: float = Field(
        0.04, ge=0, le=1, description="monthly share of remaining state units sold (share/month)"
    )
    form: Literal["sale", "shareholding", "mixed"] = Field(
        "mixed", description="sale → private owner; shareholding → shareholding corporation"
    )
    shareholding_share: float = Field(
        0.3, ge=0, le=1, description="under form=mixed, chance a unit is converted (share)"
    )
    layoff_share: float = Field(
        0.75, ge=0, le=1, description="share of staff laid off at a sale (A1: 0.7–0.8) (share)"
    )
    shareholding_layoff_share: float = Field(
        2 / 3, ge=0, le=1, description="share laid off at a shareholding conversion (A1) (share)"
    )
    age_weight: float = Field(
        1.0, ge=0, le=10, description="retention score per unit of youth, 18→60 (A2) (score)"
    )
    education_weight: float = Field(
        1.0, ge=0, le=10, description="retention score per unit of skill/education (A2) (score)"
    )
    selection_noise: float = Field(
        0.2, ge=0, le=5, description="sd of the idiosyncratic part of retention (score)"
    )
    early_retirement_age: float = Field(
        55.0, ge=30, le=90, description="laid off at or above this age retire early (years)"
    )
    status_denial: float = Field(
        0.3, ge=0, le=1, description="share of laid off denied xiagang status (A3) (share)"
    )
    xiagang_years: float = Field(
        3.0, ge=0, le=50, description="years a xiagang stipend is paid before it ends (years)"
    )
    buyout_age: float = Field(
        35.0, ge=16, le=90, description="laid off below this age are offered a buyout (years)"
    )
    buyout_acceptance: float = Field(
        0.8, ge=0, le=1, description="chance a young laid-off worker takes the buyout (A7)"
    )
    buyout_months: float = Field(
        12.0, ge=0, le=120, description="lump-sum buyout, in months of the worker's wage"
    )
    reemployment_age: float = Field(
        45.0, ge=16, le=90, description="laid off below this age may find private jobs (years)"
    )
    reemployment_rate: float = Field(
        0.01, ge=0, le=1, description="monthly chance they find a private job (share/month)"
    )
    private_wage: float = Field(
        0.8, ge=0, le=10, description="private-job wage relative to the old wage (ratio)"
    )
    asset_stripping: float = Field(
        0.2, ge=0, le=1, description="share of a sold unit's capacity stripped (share)"
    )
    cadre_enrichment: float = Field(
        0.3, ge=0, le=1, description="corruption added to a sold unit's cadres (index)"
    )
    max_privilege: float = Field(
        1.0, ge=0, le=1, description="cadre privilege when all is sold; 1 = salary ×3 (L19)"
    )
    pension_arrears_rate: float = Field(
        0.08, ge=0, le=1, description="monthly chance a sold unit's pension/stipend is unpaid"
    )
    hiring_freeze: float = Field(
        0.9,
        ge=0,
        le=1,
        description="share of state units' replacement hiring suspended while it runs (share)",
    )
    sale_block_size: float = Field(
        1000.0, ge=1, le=1e7, description="protest size that surely blocks a sale (people)"
    )


def sale_quota(n_remaining: int, rate: float, carry: float) -> tuple[int, float]:
    """Units to sell this month and the fractional remainder carried to the next.

    ``rate × n_remaining`` units are due (R1: a share of the remaining state units);
    the fractional part accumulates so that, over the window, the number sold equals
    the sum of what was due.
    """
    due = rate * n_remaining + carry
    n = min(int(np.floor(due + 1e-9)), n_remaining)
    return n, due - n if n < n_remaining else 0.0


def layoff_quota(staff: np.ndarray, share: np.ndarray | float) -> np.ndarray:
    """People each unit lays off: ``share`` of its staff, rounded (A1, line 14)."""
    return np.floor(np.asarray(staff, dtype=np.float64) * share + 0.5).astype(np.int64)


def retention_score(
    age: np.ndarray, education: np.ndarray, w_age: float, w_edu: float
) -> np.ndarray:
    """Who the new owner keeps (A2, line 15): the young and the educated score higher."""
    youth = np.clip((60.0 - age) / 42.0, 0.0, 1.0)
    return w_age * youth + w_edu * education


def select_layoffs(unit: np.ndarray, score: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Mask over candidates: in each unit the ``quota[unit]`` with the lowest score."""
    return first_k_per_group(unit, quota, (score,))


def layoff_status(age: np.ndarray, denied: np.ndarray, early_retirement_age: float) -> np.ndarray:
    """Status after a layoff (A2–A3, line 15): old → retired, else xiagang or denied."""
    return np.where(
        age >= early_retirement_age,
        Status.RETIRED,
        np.where(denied, Status.UNEMPLOYED, Status.XIAGANG),
    ).astype(np.int8)


def block_probability(size: np.ndarray, block_size: float) -> np.ndarray:
    """Chance a protest blocks its unit's sale this month (C1, D1; lines 21, 27)."""
    return np.clip(np.asarray(size, dtype=np.float64) / block_size, 0.0, 1.0)


@register
class Privatization(Regime):
    name = "privatization"
    title = "SOE privatization and xiagang"
    summary = (
        "State units are sold or converted; most staff laid off, the old and uneducated "
        "first; status denial, buyouts for the young, asset stripping, pension arrears."
    )
    Params = PrivatizationParams
    sources = (
        Source("003_34c2b211615d9395.txt", "12", "privatization in corrupt arrangements"),
        Source("003_34c2b211615d9395.txt", "14", "70-80% laid off; 3,000 → 1,000; xiagang"),
        Source("003_34c2b211615d9395.txt", "15", "young/educated kept; status denied; by age"),
        Source("003_34c2b211615d9395.txt", "19", "cadre salaries maybe three times"),
        Source("003_34c2b211615d9395.txt", "21", "mass protest prevented the selloff"),
        Source("003_34c2b211615d9395.txt", "27", "after sale, protests defend pensions"),
        Source("003_34c2b211615d9395.txt", "29", "one-time payments quickly used up"),
        Source("003_34c2b211615d9395.txt", "86", "no more guaranteed posts: hiring frozen"),
        Source("003_34c2b211615d9395.txt", "93", "strip-down, land to a developer"),
    )

    def on_start(self, model) -> None:
        u, _p = model.units, model.people
        self.targets = u.ownership == Ownership.STATE
        self.sold = np.zeros(u.n, dtype=bool)
        self.carry = 0.0

    def apply(self, model, levers) -> None:
        # Restructuring freezes hiring in the state units still waiting for their turn:
        # even those still working "are afraid for their jobs" (line 14), and the state
        # no longer guarantees school-leavers a post (line 86).
        levers.hiring_freeze = max(levers.hiring_freeze, self.params.hiring_freeze)

    def on_step(self, model) -> None:
        prm, _p, u, rng, t = self.params, model.people, model.units, model.rng, model.tally
        # Some younger laid-off workers find private jobs (line 15).
        self._reemploy(model)

        # Sales this month; a protest last month can block its unit's sale (C1, line 21).
        remaining = np.flatnonzero(self.targets & ~self.sold)
        n_sell, self.carry = sale_quota(  # cadres implement with the elite's fidelity
            remaining.size, prm.sale_rate * model.elite.fidelity, self.carry
        )
        # A unit's protest is all its events together (its employed, laid-off, retired).
        size = model.events.people_by_locality(model.n_localities)[: u.n]
        blocked = np.zeros(u.n, dtype=bool)
        loc = np.flatnonzero(size > 0)
        if loc.size:
            blocked[loc] = rng.random(loc.size) < block_probability(size[loc], prm.sale_block_size)
        candidates = remaining[~blocked[remaining]]
        t["sales_blocked"] = int(np.count_nonzero(blocked[remaining]))
        n_sell = min(n_sell, candidates.size)
        t["units_sold"] = n_sell
        if n_sell == 0:
            return
        weights = 0.5 + model.unit_distress[candidates]
        chosen = rng.choice(candidates, size=n_sell, replace=False, p=weights / weights.sum())
        self._sell(model, chosen)

    def _reemploy(self, model) -> None:
        prm, p, u, rng = self.params, model.people, model.units, model.rng
        private = np.flatnonzero(
            (u.ownership == Ownership.PRIVATE) | (u.ownership == Ownership.SHAREHOLDING)
        )
        if private.size == 0 or prm.reemployment_rate == 0:
            return
        laid_off = (p.status == Status.XIAGANG) | (p.status == Status.UNEMPLOYED)
        hired = np.flatnonzero(
            laid_off
            & (p.kind == Kind.WORKER)
            & (p.age < prm.reemployment_age)
            & (rng.random(p.n) < prm.reemployment_rate)
        )
        if hired.size:
            p.unit[hired] = private[rng.integers(0, private.size, size=hired.size)]
            p.status[hired] = Status.EMPLOYED
            p.wage[hired] = p.wage[hired] * np.float32(prm.private_wage)
            p.laid_off[hired] = -1
            model.tally["reemployed"] = int(hired.size)

    def _sell(self, model, chosen: np.ndarray) -> None:
        prm, p, u, rng, t = self.params, model.people, model.units, model.rng, model.tally
        if prm.form == "sale":
            convert = np.zeros(chosen.size, dtype=bool)
        elif prm.form == "shareholding":
            convert = np.ones(chosen.size, dtype=bool)
        else:
            convert = rng.random(chosen.size) < prm.shareholding_share
        u.ownership[chosen] = np.where(convert, Ownership.SHAREHOLDING, Ownership.PRIVATE)
        u.restructured[chosen] = model.step_index
        self.sold[chosen] = True
        share = np.zeros(u.n)
        share[chosen] = np.where(convert, prm.shareholding_layoff_share, prm.layoff_share)

        # Selective layoffs (A1–A2) among the unit's employed workers and technicians.
        in_sale = np.zeros(u.n, dtype=bool)
        in_sale[chosen] = True
        staff_mask = (
            (p.unit >= 0)
            & in_sale[np.maximum(p.unit, 0)]
            & (p.status == Status.EMPLOYED)
            & ((p.kind == Kind.WORKER) | (p.kind == Kind.TECHNICIAN))
        )
        idx = np.flatnonzero(staff_mask)
        unit = p.unit[idx].astype(np.int64)
        staff = np.bincount(unit, minlength=u.n)
        quota = layoff_quota(staff, share)
        score = retention_score(
            p.age[idx], p.skill[idx], prm.age_weight, prm.education_weight
        ) + prm.selection_noise * rng.standard_normal(idx.size)
        out = idx[select_layoffs(unit, score, quota)]
        denied = rng.random(out.size) < prm.status_denial
        status = layoff_status(p.age[out], denied, prm.early_retirement_age)
        p.pension[out] = np.where(status == Status.RETIRED, model.params.pension, p.pension[out])
        # Lump-sum buyouts for the young (A7): accepted, they end the claim on the unit.
        young = (status != Status.RETIRED) & (p.age[out] < prm.buyout_age)
        takes = young & (rng.random(out.size) < prm.buyout_acceptance)
        status = np.where(takes, Status.UNEMPLOYED, status).astype(np.int8)
        p.relief[out] = p.relief[out] + np.where(takes, prm.buyout_months * p.wage[out], 0.0)
        p.status[out] = status
        # The terms of the layoff outlive the policy window: the economy ends stipends
        # after xiagang_years (line 14) and lets sold units' benefits fall into arrears
        # (C1, line 27) for as long as the model runs (sim/submodels/economy.benefits).
        p.laid_off[out] = model.step_index
        p.stipend_months[out] = int(round(12 * prm.xiagang_years))
        u.benefit_arrears[chosen] = prm.pension_arrears_rate
        # Cadre enrichment is visible and stays: salaries "maybe three times" (line 19).
        u.privilege[chosen] = prm.max_privilege
        t["layoffs"] = int(out.size)
        t["buyouts"] = int(np.count_nonzero(takes))

        # Asset stripping and cadre enrichment (lines 12, 19, 23, 93). The new owner
        # runs the stripped unit with the staff it kept.
        u.capacity[chosen] = u.capacity[chosen] * (1.0 - prm.asset_stripping)
        u.staff0[chosen] = np.maximum(model.unit_staff()[chosen], 1)
        cadres = (p.kind == Kind.CADRE) & (p.unit >= 0) & in_sale[np.maximum(p.unit, 0)]
        p.corruption[cadres] = np.minimum(p.corruption[cadres] + prm.cadre_enrichment, 1.0)
