"""SOE restructuring: sale or shareholding conversion, selective layoffs, xiagang.

Seed 003 R1–R2 and rules A1–A3, A7, A8, C1 (``003_34c2b211615d9395.txt``):

- A share of the remaining state units is sold or converted each month (R1, lines
  12, 14, 21, 93): ``sale`` makes a unit private, ``shareholding`` a shareholding
  corporation, ``mixed`` draws one of the two per unit.
- At the sale a unit lays off ``layoff_share`` of its staff (A1, line 14: "70-80
  percent"; Siping's shareholding conversion kept 1,000 of 3,000, i.e. 2/3 laid off).
- Who goes is selective (A2, line 15): "only some of those with higher education and
  the younger workers are favored to be kept on" — the managers' criteria: where a
  unit's workers choose (the composed per-unit ``worker_selection``, e.g. a worker-run
  unit under ``cooperatives``) that share of the age and education score gives way to
  equal chances. Of those laid off, the oldest are
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

- Cadres discarded by the new owners (B7, line 123): "many Communist Party cadre in former
  SOEs end up being kicked out after they have helped to sell them off"; at a sale each
  of the unit's cadres is let go with probability ``cadre_discard``: they lose their post
  (unemployed, rank 0) and their loyalty to the system falls by ``discard_loyalty_loss``
  ("it raises their consciousness"), a cost to the elite's co-optation and cohesion.
- Fear among the still-employed (A5, line 14): layoffs "so general" make "even those
  still working ... afraid for their jobs". Every employed worker and technician carries
  a job fear of ``job_fear`` × the city's laid-off share (laid off / (laid off +
  employed) among workers and technicians), added to their protest threshold: the
  employed are slower to act (the extraction marks this last step as inference, A5 [I]).
  It is not the fear a repressed protest leaves (D7), which raises risk aversion.
- Household dependency (A4, lines 15, 17): the laid-off "live ... off their parents",
  "supporting 8 family members on a single pension". Each retiree of a unit carries the
  unit's laid-off (xiagang or unemployed) shared over its retirees, at most
  ``max_dependants`` each: a hardship term of ``dependency_burden`` × dependants /
  ``max_dependants``.
- Layoffs may be postponed where a union agreement arranged for them to be slow (seed 003
  L23): each unit's due layoffs are carried out in the share (1 − ``layoff_deferral``) of
  the composed per-unit term ``layoff_deferral`` a month (zero without a union), the rest
  stays pending while the programme runs; the sold unit's posts are set at the sale to
  the staff it will keep, so pending layoffs are never refilled by hiring.

Laid-off workers keep their ``unit`` (their former danwei), so they protest with it.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim import kernels, kernels_regimes
from sim.draws import uniform_at
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
        0.8,
        ge=0,
        le=1,
        description="chance a young laid-off worker takes the buyout (A7) (probability)",
    )
    buyout_months: float = Field(
        12.0, ge=0, le=120, description="lump-sum buyout (months of the worker's wage)"
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
        1.0, ge=0, le=1, description="cadre privilege when all is sold; 1 = salary ×3 (L19) (index)"
    )
    pension_arrears_rate: float = Field(
        0.08,
        ge=0,
        le=1,
        description="monthly chance a sold unit's pension/stipend is unpaid (1/month)",
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
    cadre_discard: float = Field(
        0.3,
        ge=0,
        le=1,
        description="chance each cadre of a sold unit is let go by the new owner (B7) "
        "(probability)",
    )
    discard_loyalty_loss: float = Field(
        0.5, ge=0, le=1, description="loyalty a discarded cadre loses (B7, L123) (index)"
    )
    job_fear: float = Field(
        0.3,
        ge=0,
        le=1,
        description="fear of the employed per unit of the city's laid-off share (A5, L14) (index)",
    )
    dependency_burden: float = Field(
        0.2,
        ge=0,
        le=1,
        description="hardship of a retiree supporting max_dependants laid-off members "
        "(A4, L15) (index of H)",
    )
    max_dependants: float = Field(
        8.0, ge=1, le=20, description="most laid-off dependants on one pension (A4, L15) (people)"
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


def staff_block(people) -> slice:
    """The rows of technicians and workers: their blocks are adjacent (sim/state.py)."""
    return slice(people.rows(Kind.TECHNICIAN).start, people.rows(Kind.WORKER).stop)


def laid_off_share(laid_off: np.ndarray, employed: np.ndarray) -> float:
    """The city's laid-off share among workers and technicians (A5: "so general")."""
    n_off, n_on = int(np.count_nonzero(laid_off)), int(np.count_nonzero(employed))
    return n_off / (n_off + n_on) if n_off + n_on else 0.0


def dependants_per_pension(laid_off: np.ndarray, retired: np.ndarray, cap: float) -> np.ndarray:
    """Laid-off members each retiree of a unit supports, at most ``cap`` (A4, L15).

    ``laid_off`` and ``retired`` are per-unit counts; a unit without retirees has no
    pension to share (0).
    """
    per = laid_off / np.maximum(retired, 1)
    return np.where(retired > 0, np.minimum(per, cap), 0.0)


def carried_out(
    pending: np.ndarray, deferral: np.ndarray, rng: np.random.Generator | None = None
) -> np.ndarray:
    """Layoffs carried out this month: the share (1 − deferral) of those due.

    With ``rng`` the fraction is rounded at random (up with the probability of its
    fractional part), so the expected number carried out is exactly the share: rounding
    half up left a unit's last few layoffs pending forever (3 due at deferral 0.85 →
    0.45 → 0 every month). Without ``rng``, half up (for pure use).
    """
    x = np.asarray(pending) * (1.0 - np.clip(deferral, 0.0, 1.0))
    if rng is None:
        return np.floor(x + 0.5).astype(np.int64)
    whole = np.floor(x)
    frac = x - whole
    if not frac.any():  # no draw when nothing is fractional (e.g. no agreement defers)
        return whole.astype(np.int64)
    return (whole + (rng.random(x.shape) < frac)).astype(np.int64)


def block_probability(size: np.ndarray, block_size: float) -> np.ndarray:
    """Chance a protest blocks its unit's sale this month (C1, D1; lines 21, 27)."""
    return np.clip(np.asarray(size, dtype=np.float64) / block_size, 0.0, 1.0)


def layoff_counts_numpy(people, rows: slice, n_units: int):
    """Over ``rows``: the laid-off (a layoff on record, xiagang or unemployed) and the
    employed (A5's shares, :func:`laid_off_share`), and per unit its laid-off and its
    retirees (A4's dependants, :func:`dependants_per_pension`)."""
    status, unit = people.status[rows], people.unit[rows]
    laid = (people.laid_off[rows] >= 0) & (
        (status == Status.XIAGANG) | (status == Status.UNEMPLOYED)
    )
    employed = status == Status.EMPLOYED
    placed = unit >= 0
    retired = (status == Status.RETIRED) & placed
    return (
        int(np.count_nonzero(laid)),
        int(np.count_nonzero(employed)),
        np.bincount(unit[laid & placed], minlength=n_units),
        np.bincount(unit[retired], minlength=n_units),
    )


def layoff_terms_numpy(people, rows: slice, fear: float, burden: np.ndarray):
    """Over ``rows``: the employed's job fear (A5) and each retiree's dependency burden,
    their unit's (A4); 0 for everyone else."""
    status, unit = people.status[rows], people.unit[rows]
    retired = (status == Status.RETIRED) & (unit >= 0)
    return (
        np.where(status == Status.EMPLOYED, fear, 0.0),
        np.where(retired, burden[np.maximum(unit, 0)], 0.0),
    )


@register
class Privatization(Regime):
    name = "privatization"
    title = "SOE privatization and xiagang"
    summary = (
        "State units are sold or converted; most staff laid off, the old and uneducated "
        "first; status denial, buyouts for the young, asset stripping, pension arrears; "
        "cadres discarded by new owners, fear among the employed, dependants on pensions."
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
        # Layoffs due but postponed (a union's agreement for slow layoffs, L23).
        self.pending = np.zeros(u.n, dtype=np.int64)

    def apply(self, model, levers) -> None:
        # Restructuring freezes hiring in the state units still waiting for their turn:
        # even those still working "are afraid for their jobs" (line 14), and the state
        # no longer guarantees school-leavers a post (line 86).
        levers.hiring_freeze = max(levers.hiring_freeze, self.params.hiring_freeze)

    def on_step(self, model) -> None:
        prm, _p, u, rng, t = self.params, model.people, model.units, model.rng, model.tally
        # Some younger laid-off workers find private jobs (line 15).
        self._reemploy(model)
        self._fear_and_dependency(model)
        # Layoffs postponed by an agreement fall due again (L23: "slowly laid off").
        deferral = model.terms.total("layoff_deferral")[: u.n]
        if self.pending.any():
            now = np.minimum(carried_out(self.pending, deferral, rng), self.pending)
            self.pending -= now
            t["deferred_layoffs"] = int(self._lay_off(model, now).size)

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
        # (workers only: their block of rows; the draw is the full population's)
        w = p.rows(Kind.WORKER)
        st = p.status[w]
        laid_off = (st == Status.XIAGANG) | (st == Status.UNEMPLOYED)
        can = np.flatnonzero(laid_off & (p.age[w] < prm.reemployment_age)) + w.start
        hired = can[uniform_at(rng, p.n, can) < prm.reemployment_rate]
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
        in_sale = np.zeros(u.n, dtype=bool)
        in_sale[chosen] = True
        # Cadres the new owner does not keep (B7, line 123), decided before the unit's
        # posts are counted.
        c = p.rows(Kind.CADRE)
        c_unit = p.unit[c]
        cadres = np.flatnonzero(
            (c_unit >= 0) & in_sale[np.maximum(c_unit, 0)] & (p.status[c] == Status.EMPLOYED)
        )
        cadres += c.start
        discard = uniform_at(rng, p.n, cadres) < prm.cadre_discard
        gone = cadres[discard]
        p.status[gone] = Status.UNEMPLOYED
        p.rank[gone] = 0
        p.loyalty[gone] = np.maximum(p.loyalty[gone] - prm.discard_loyalty_loss, 0.0)
        t["cadres_discarded"] = int(gone.size)

        # Selective layoffs (A1–A2) among the unit's employed workers and technicians;
        # the part a union agreement postpones stays pending (L23).
        staff = np.bincount(p.unit[self._staff(model, in_sale)], minlength=u.n)
        quota = layoff_quota(staff, share)
        now = carried_out(quota, model.terms.total("layoff_deferral")[: u.n], model.rng)
        self.pending += quota - now
        t["layoffs_deferred_at_sale"] = int((quota - now)[chosen].sum())
        # The new owner's posts are the staff it keeps once every layoff is done.
        kept = model.unit_staff() - quota
        out, takes = self._lay_off(model, now, sale=True)
        u.benefit_arrears[chosen] = prm.pension_arrears_rate
        # Cadre enrichment is visible and stays: salaries "maybe three times" (line 19).
        u.privilege[chosen] = prm.max_privilege
        t["layoffs"] = int(out.size)
        t["buyouts"] = int(np.count_nonzero(takes))

        # Asset stripping and cadre enrichment (lines 12, 19, 23, 93). The new owner
        # runs the stripped unit with the staff it kept.
        u.capacity[chosen] = u.capacity[chosen] * (1.0 - prm.asset_stripping)
        u.staff0[chosen] = np.maximum(kept[chosen], 1)
        kept_cadres = cadres[~discard]
        p.corruption[kept_cadres] = np.minimum(
            p.corruption[kept_cadres] + prm.cadre_enrichment, 1.0
        )

    @staticmethod
    def _staff(model, units: np.ndarray) -> np.ndarray:
        """Employed workers and technicians of the units in the mask ``units`` (rows,
        sorted; read on their two adjacent blocks only)."""
        p = model.people
        s = staff_block(p)
        unit = p.unit[s]
        rows = np.flatnonzero(
            (unit >= 0) & units[np.maximum(unit, 0)] & (p.status[s] == Status.EMPLOYED)
        )
        return rows + s.start

    def _lay_off(self, model, quota: np.ndarray, sale: bool = False):
        """Selective layoffs (A1–A3, A7): ``quota[u]`` of each unit's staff, lowest
        retention score first. Returns the rows laid off (and buyouts, at a sale)."""
        prm, p, rng = self.params, model.people, model.rng
        idx = self._staff(model, quota > 0)
        unit = p.unit[idx].astype(np.int64)
        score = retention_score(p.age[idx], p.skill[idx], prm.age_weight, prm.education_weight)
        # Who decides: in a unit's share ``worker_selection`` (a composed per-unit term,
        # e.g. the workers of a worker-run unit, ``cooperatives``) the owner's criteria
        # give way to equal chances; the idiosyncratic part remains.
        chooser = model.terms.total("worker_selection")[: model.units.n]
        if chooser.any():
            score = score * (1.0 - np.clip(chooser, 0.0, 1.0))[unit]
        score = score + prm.selection_noise * rng.standard_normal(idx.size)
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
        return (out, takes) if sale else out

    def _fear_and_dependency(self, model) -> None:
        """A5: the employed fear for their jobs; A4: retirees carry the laid-off."""
        prm, p, u = self.params, model.people, model.units
        # Workers and technicians are two adjacent blocks of rows: read those only (two
        # compiled passes from 20,000 rows, the values of the numpy references).
        s = staff_block(p)
        compiled = kernels.wanted(p.n)
        counts = kernels_regimes.layoff_counts if compiled else layoff_counts_numpy
        n_off, n_on, n_laid, n_ret = counts(p, s, u.n)
        # Fear for one's job is not the fear a repressed protest leaves (D7, the
        # ``fear_deterrence`` mechanism): it makes the employed slower to act, a term of
        # their protest threshold.
        fear = prm.job_fear * (n_off / (n_off + n_on) if n_off + n_on else 0.0)  # (laid_off_share)
        dep = dependants_per_pension(n_laid, n_ret, prm.max_dependants)
        burden = prm.dependency_burden * dep / prm.max_dependants
        terms = kernels_regimes.layoff_terms if compiled else layoff_terms_numpy
        threshold, hardship = terms(p, s, fear, burden)
        if fear > 0:  # (terms on the two blocks' rows only)
            model.terms.add("threshold", self.key, threshold, rows=s)
        model.terms.add("hardship", self.key, hardship, rows=s)
