"""Unions: the captured official union, or independent organizing (seed 003 R4, D15).

Captured (``mode: captured``): leaders are appointed and "paid off to trick workers into
'agreements' for slow layoffs" (``003_34c2b211615d9395.txt:23``); "salaries and jobs are
used to divide and pay off workers and activists" and honest officials are "kicked out"
(``003_34c2b211615d9395.txt:25``). Workers lose the channel — only ``captured_voice``
of it is left, through which a little of their wage arrears is still settled — some
activists are co-opted (their activism, which lowers the protest threshold, is cut), and
the "agreement" keeps workers waiting: their protest threshold rises while it holds. The
grievance it keeps off the streets accumulates as a per-unit deferred stock; when the
agreement breaks the stock is released at once as a lowered threshold — fewer protests
early, larger and more disruptive ones later (D15; the last clause is the extraction's
inference, ``sources/seed003.md`` §4.2 D15). An agreement breaks when its unit is *sold*
(the sale is what the leaders "helped trick the workers" into, and workers then see that
the union is "selling our fate and lives", L23; ``break_on_sale``), or when the stock
passes ``breaking_point`` first. The release fades at ``release_decay`` a month; what
stays is awareness: a broken pledge "is raising worker awareness … and fueling mass
protests" (seed 003 A6, L29), so the members of a unit whose agreement broke gain
``pledge_awareness`` of activism (state, not a term: it outlives the union).

The agreement's content is "slow layoffs" (L23): a unit sold while its agreement held
lays off only (1 − ``slow_layoffs``) of what is due each month, through this regime's
term of the composed per-unit ``layoff_deferral`` (read by ``privatization``), for as
long as the union runs — fewer laid off at once, but the layoffs and the grievance they
bring stretch into the later years.

Paying off activists (L23, L25) acts through what rules read: a co-opted activist gives up
``coopt_loss`` of their activism, which lowers the protest threshold
(``sim.submodels.protest.effective_threshold``) and decides whom the police arrest as a
leader (``state_response``); the payoff is relief that eases their hardship while it lasts.

Independent (``mode: independent``): grievances are voiced early — each month a share of
members' wage arrears is settled through the union, ``voice`` × ``settle_rate`` in
proportion to the strength of the unit's organizers — but "those who want a real union will be
arrested" (``003_34c2b211615d9395.txt:23``): organizers face a monthly arrest hazard
(detention of 2–4 months, ``003_34c2b211615d9395.txt:25``), each arrest adds to their
dossier, and a unit whose organizers are in jail loses its voice.

The threshold shift is the union's own term of the composed ``threshold``
(``sim.terms``): nothing is saved or restored, and when the regime ends the shift fades
at ``release_decay`` a month.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from sim import kernels, kernels_regimes
from sim.draws import uniform_at, uniform_where
from sim.grouping import mean_by_group
from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind

if TYPE_CHECKING:
    from sim.model import CadreModel


def unit_mean(
    values: np.ndarray, unit: np.ndarray, members: np.ndarray, n_units: int
) -> np.ndarray:
    """Mean of ``values`` over the ``members`` of each unit (0 for empty units)."""
    return mean_by_group(unit[members], values[members], n_units)


def deferred_tension(grievance: np.ndarray, threshold0: np.ndarray) -> np.ndarray:
    """Grievance in excess of a person's own threshold: what an agreement keeps quiet."""
    return np.maximum(grievance - threshold0, 0.0)


def accumulate_stock(stock: np.ndarray, tension: np.ndarray, holding: np.ndarray) -> np.ndarray:
    """Add this month's per-unit mean suppressed tension to the stock where agreements hold."""
    return stock + np.where(holding, tension, 0.0)


def breaks(stock: np.ndarray, breaking_point: float) -> np.ndarray:
    """Agreements break once the deferred grievance passes the breaking point: the
    promised slow layoffs and equipment sales (seed 003 L23) are seen for what they are."""
    return stock >= breaking_point


def release_offset(stock: np.ndarray, gain: float, cap: float) -> np.ndarray:
    """Threshold change at the break: minus ``gain`` × stock, at most ``cap`` (D15)."""
    return -np.minimum(gain * stock, cap)


def settle_probability(voice: np.ndarray, settle_rate: float) -> np.ndarray:
    """Monthly chance a member's arrears are settled through an independent union."""
    return np.clip(voice * settle_rate, 0.0, 1.0)


def tension_numpy(
    unit: np.ndarray, grievance: np.ndarray, threshold: np.ndarray, start: int, n_units: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, the members' (rows from ``start`` with a unit) summed deferred tension
    (float64, in row order) and their number; their ratio is the unit's mean tension."""
    m_rows = np.flatnonzero(unit[start:] >= 0) + start
    m_unit = unit[m_rows]
    values = deferred_tension(grievance[m_rows], threshold[m_rows]).astype(np.float64)
    return (
        np.bincount(m_unit, weights=values, minlength=n_units),
        np.bincount(m_unit, minlength=n_units),
    )


def members_numpy(
    unit: np.ndarray,
    activism: np.ndarray,
    arrears: np.ndarray,
    start: int,
    broken: np.ndarray,
    offset: np.ndarray,
    holding: np.ndarray,
    pledge: float,
    coopt: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The captured union's month over its members (rows from ``start`` with a unit):
    members of units in ``broken`` gain ``pledge`` activism (at most 1, in place); returns
    the threshold shift on rows ``start:`` (the unit's ``offset``, 0 for non-members),
    the members of ``holding`` units more active than ``coopt`` and the members owed
    arrears (rows, sorted)."""
    m_rows = np.flatnonzero(unit[start:] >= 0) + start
    m_unit = unit[m_rows]
    if broken.any():
        betrayed = m_rows[np.take(broken, m_unit)]
        activism[betrayed] = np.minimum(activism[betrayed] + np.float32(pledge), 1.0)
    shift = np.zeros(unit.size - start)
    shift[m_rows - start] = np.take(offset, m_unit)
    held = m_rows[np.take(holding, m_unit)]
    activists = held[activism[held] > coopt]
    owed = m_rows[arrears[m_rows] > 0]
    return shift, activists, owed


class UnionParams(RegimeParams):
    type: Literal["union"]
    mode: Literal["captured", "independent"] = Field(
        "captured", description="captured official union (R4) or independent organizing"
    )
    # captured
    captured_voice: float = Field(
        0.0,
        ge=0,
        le=1,
        description="union voice left to workers under a captured union: arrears are "
        "settled at captured_voice × settle_rate a month (0–1)",
    )
    agreement_threshold: float = Field(
        0.08,
        ge=0,
        le=1,
        description="rise of members' protest threshold while an agreement holds (index)",
    )
    breaking_point: float = Field(
        2.0,
        ge=0.01,
        le=100,
        description="deferred grievance stock (sum of monthly mean tension) at which an "
        "agreement breaks (index-months)",
    )
    release_gain: float = Field(
        1.0, ge=0, le=10, description="threshold drop per unit of released stock (index)"
    )
    release_cap: float = Field(
        0.15, ge=0, le=1, description="largest threshold drop when an agreement breaks (index)"
    )
    release_decay: float = Field(
        0.02,
        ge=0,
        le=1,
        description="monthly decay of the post-break threshold drop: slow, since workers "
        "no longer 'believe what the labor officials say' (L23) (share/month)",
    )
    break_on_sale: bool = Field(
        True,
        description="an agreement breaks the month its unit is sold (L23), releasing the "
        "deferred grievance",
    )
    pledge_awareness: float = Field(
        0.15,
        ge=0,
        le=1,
        description="activism members of a unit gain when its agreement breaks (A6, L29) (index)",
    )
    slow_layoffs: float = Field(
        0.85,
        ge=0,
        le=1,
        description="share of a negotiated unit's due layoffs postponed each month, so "
        "(1 − slow_layoffs) are carried out a month (L23: 'slowly laid off') (share/month)",
    )
    coopt_rate: float = Field(
        0.05,
        ge=0,
        le=1,
        description="monthly chance an activist is paid off by the union (probability)",
    )
    coopt_activism: float = Field(
        0.3,
        ge=0,
        le=1,
        description="activism above which a member counts as an activist (activism)",
    )
    coopt_loss: float = Field(
        0.5, ge=0, le=1, description="share of activism a co-opted activist gives up (share)"
    )
    payoff: float = Field(
        1.0, ge=0, le=100, description="one-time payoff to a co-opted activist (months of wage)"
    )
    # independent
    voice: float = Field(
        0.6, ge=0, le=1, description="union voice at full organizer strength (0–1)"
    )
    settle_rate: float = Field(
        0.3,
        ge=0,
        le=1,
        description="monthly share of members' arrears settled at full voice (share)",
    )
    organizer_share: float = Field(
        0.03,
        ge=0,
        le=1,
        description="share of each unit's most active members who organize (share)",
    )
    arrest_risk: float = Field(
        0.04,
        ge=0,
        le=1,
        description="monthly arrest hazard of a free organizer at repression 1 (probability)",
    )


@register
class Union(Regime):
    name = "union"
    title = "Unions: captured official union or independent organizing"
    summary = (
        "Captured: no voice, co-opted activists, agreements for slow layoffs that defer "
        "grievance into a stock released when the unit is sold, as larger events and "
        "lasting awareness. Independent: arrears settled through the union, organizers "
        "arrested."
    )
    Params = UnionParams
    sources = (
        Source(
            "003_34c2b211615d9395.txt",
            "23",
            "captured union: appointed, paid-off leaders; "
            "agreements for slow layoffs; a real union means arrest",
        ),
        Source(
            "003_34c2b211615d9395.txt",
            "25",
            "activists divided and paid off; honest officials ousted; detentions of 2–4 months",
        ),
        Source("003_34c2b211615d9395.txt", "29", "broken pledges raise worker awareness (A6)"),
        Source("003_34c2b211615d9395.txt", "49", "migrants strike over the right to form a union"),
        Source(
            "seed003.md",
            "§3 R4, §4.2 D15",
            "co-opted channels defer conflict to later, more disruptive forms (inference)",
        ),
    )

    def on_start(self, model: CadreModel) -> None:
        p = model.people
        n_units = model.units.n
        self.stock = np.zeros(n_units)
        self.holding = np.ones(n_units, dtype=bool)
        self.offset = np.zeros(n_units)
        self.strength = np.ones(n_units)
        self.organizer = np.zeros(p.n, dtype=bool)
        if self.params.mode == "independent":
            # The most active members of each unit organize (rank within unit).
            idx = self._member_rows(p)
            u = p.unit[idx]
            order = np.lexsort((-p.activism[idx], u))
            su = u[order]
            rank = np.arange(su.size) - np.searchsorted(su, su, side="left")
            size = np.bincount(u, minlength=n_units)
            quota = np.ceil(self.params.organizer_share * size)
            self.organizer[idx[order[rank < quota[su]]]] = True
            self._organizers0 = np.maximum(
                np.bincount(p.unit[self.organizer], minlength=n_units), 1
            )
        self.released_units = 0
        # Units sold before the union started are not news; later sales break agreements.
        self._seen_sold = model.units.restructured >= 0
        self.negotiated = np.zeros(n_units, dtype=bool)

    def apply(self, model: CadreModel, levers) -> None:
        if self.params.mode != "captured":
            return
        # Slow layoffs where the agreement holds (a sale this month) or was the deal the
        # unit was sold under (L23): the union's share of the unit's layoff deferral.
        slow = self.holding | self.negotiated
        d = np.zeros(model.n_localities)
        d[: model.units.n] = np.where(slow, self.params.slow_layoffs, 0.0)
        model.terms.add("layoff_deferral", self.key, d)

    def on_step(self, model: CadreModel) -> None:
        # Rows recycled for newcomers are not the old organizers (model.renewed).
        self.organizer &= ~model.renewed
        if self.params.mode == "captured":
            self._captured(model)
        else:
            self._independent(model)

    def _captured(self, model: CadreModel) -> None:
        prm, p, rng = self.params, model.people, model.rng
        n_units = model.units.n
        # (the members' rows only: everyone after the cadres' block with a unit)
        start = p.rows(Kind.CADRE).stop
        compiled = kernels.wanted(p.n)
        tension_of = kernels_regimes.union_tension if compiled else tension_numpy
        total, count = tension_of(p.unit, p.grievance, p.threshold, start, n_units)
        tension = total / np.maximum(count, 1)  # (mean_by_group's division)
        self.stock = accumulate_stock(self.stock, tension, self.holding)
        sold = (model.units.restructured >= 0) & ~self._seen_sold
        self._seen_sold |= sold
        self.negotiated |= sold & self.holding
        broken = self.holding & (
            breaks(self.stock, prm.breaking_point) | (sold & prm.break_on_sale)
        )
        self.offset = self.offset * (1.0 - prm.release_decay)
        self.offset[broken] = release_offset(self.stock[broken], prm.release_gain, prm.release_cap)
        self.stock[broken] = 0.0
        self.holding &= ~broken
        self.released_units += int(broken.sum())
        model.tally["union_agreements_broken"] = int(broken.sum())
        model.tally["union_broken_by_sale"] = int((broken & sold).sum())
        # Betrayed members grow aware (A6); the threshold term (a term on the rows after
        # the cadres' block, where every member is); the activists of units whose
        # agreement holds; the members owed arrears: one pass over the members.
        unit_offset = np.where(self.holding, prm.agreement_threshold, self.offset)
        members_of = kernels_regimes.union_members if compiled else members_numpy
        shift, activists, owed = members_of(
            p.unit,
            p.activism,
            p.arrears,
            start,
            broken,
            unit_offset,
            self.holding,
            prm.pledge_awareness,
            prm.coopt_activism,
        )
        model.terms.add("threshold", self.key, shift, rows=slice(start, p.n))
        # Co-optation: activists in units whose agreement holds are paid off (L25).
        # (only the activists' draws are read: sim/draws.py, the same stream)
        coopted = activists[uniform_at(rng, p.n, activists) < prm.coopt_rate]
        p.activism[coopted] *= np.float32(1.0 - prm.coopt_loss)
        p.relief[coopted] += np.float32(prm.payoff * model.params.wage)
        model.tally["union_coopted"] = int(coopted.size)
        # What voice is left settles a little of the members' arrears.
        self._settle(model, prm.captured_voice, owed=owed)

    def _independent(self, model: CadreModel) -> None:
        prm, p, rng, mp = self.params, model.people, model.rng, model.params
        n_units = model.units.n
        # Organizers are arrested ("those who want a real union will be arrested", L23).
        free = self.organizer & (p.jail == 0)
        hazard = np.clip(prm.arrest_risk * model.levers.repression, 0.0, 1.0)
        caught = free & (uniform_where(rng, free) < hazard)
        p.jail[caught] = rng.integers(mp.jail_min, mp.jail_max + 1, size=int(caught.sum()))
        p.active[caught] = False
        p.dossier[caught] += 1
        p.activism[caught] = np.minimum(p.activism[caught] + 0.1, 1.0)
        model.tally["union_organizers_arrested"] = int(caught.sum())
        free_now = self.organizer & (p.jail == 0) & (p.unit >= 0)
        self.strength = np.bincount(p.unit[free_now], minlength=n_units) / self._organizers0
        self.strength = np.minimum(self.strength, 1.0)
        # Grievances voiced early: arrears settled through the union, paid back as relief.
        self._settle(model, prm.voice * self.strength)

    def _settle(self, model: CadreModel, voice: float | np.ndarray, owed=None) -> None:
        """Members' arrears settled through the union's voice (one for all, or per
        unit), paid back as relief. ``owed``: the members owed arrears, if known (no
        one has joined or left a unit, or been paid, since they were listed)."""
        p, rng = model.people, model.rng
        if owed is None:
            m_rows = self._member_rows(p)
            owed = m_rows[p.arrears[m_rows] > 0]
        u = uniform_at(rng, p.n, owed)
        v = voice[p.unit[owed]] if np.ndim(voice) else voice
        settled = owed[u < settle_probability(v, self.params.settle_rate)]
        p.relief[settled] += (p.arrears[settled] * p.wage[settled]).astype(np.float32)
        p.arrears[settled] = 0.0
        model.tally["union_settlements"] = int(settled.size)

    @staticmethod
    def _member_rows(p) -> np.ndarray:
        """Members this month, sorted rows: everyone but cadres attached to a unit
        (newcomers too); cadres are the first block, so the rest are read."""
        start = p.rows(Kind.CADRE).stop
        return np.flatnonzero(p.unit[start:] >= 0) + start

    def on_end(self, model: CadreModel) -> None:
        # The agreement (or the released anger) does not stop the day the union changes.
        model.terms.fade(self.key, "threshold", self.params.release_decay)
