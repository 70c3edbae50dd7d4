"""The residency-permit (hukou) regime and migrant labour.

Seed 003 R6, R17 and rules A10, F1, G1, G3, G4 (``003_34c2b211615d9395.txt``):

- No local rights (R6, line 37): migrants are denied "urban residency permits, housing
  and education"; without a claim on their employers their wages go unpaid — arrears
  "in the billions of yuan" (line 34, A10). Sets ``levers.migrant_rights`` and
  ``levers.migrant_arrears_rate``, which ``sim.submodels.economy`` reads.
- Health depletion and turnover (G4, line 43) are the migrants' working conditions, not
  this policy: they live in the core demography (``sim.submodels.demography``), which
  also brings migrants back from the villages when units hire.
- Competition and resentment (F1, F3, line 91): laid-off urban workers resent migrants
  who take the jobs ("that one deserves to be Xiagang"); their perceived hardship rises
  with the migrant share of employment in their unit and in the city — the regime's own
  term of the composed ``hardship`` (``sim.terms``), rebuilt monthly and gone at the end.
- Exit when inland wages converge (G1, R17, lines 51, 62): as the minimum wage becomes
  "more or less equal across the entire country" and rural conditions improve, migrants
  "vote with their feet" and go home. Returnees "come out again" (G3, line 40) only
  while the gap lasts: convergence lowers ``levers.migrant_supply``, the willingness the
  demography's hiring reads. Migrants at home farm their household's plot.

Conditions (issue 18):

- Exit versus voice (G1, lines 49, 51, 62): leaving is also a response to conditions,
  not only to convergence — a migrant on the job leaves with monthly chance
  ``exit_rate`` × grievance × (1 + ``arrears_push`` × owed months / 6, owed months capped
  at 6), so the aggrieved and the unpaid exit rather than voice.
- Older migrants' blocked return (G3, lines 38, 40): from ``blocked_age`` the way home
  is mostly closed ("no family, no career, no son, no daughter"; returnees "come out
  again") — both kinds of exit are cut by ``blocked_return``, and they stay to voice.
- Tenure raises consciousness (B5, line 49): "those who have been in the urban centers
  longer are now refusing to accept the brutal working and living conditions", while
  newcomers hold "dreams and illusions" — the regime's ``threshold`` term lowers a
  migrant's protest threshold by ``tenure_consciousness`` × min(tenure /
  ``tenure_months``, 1), reading the ``tenure`` column.
- Residency status that can change (line 37: the oscillation between keeping
  migrants out and "plans to grant them amnesty", the text's analogy with the US): a
  migrant with full tenure (``tenure_months``) on the job wins urban registration with
  monthly chance ``hukou_conversion`` (default 0: the permit stayed closed to most). A
  registered migrant has local rights — the economy's rightless-migrant arrears no
  longer apply — and is settled: the exit rules above no longer take them home.
- Division of ties (F5, F6, lines 99–100: worker and migrant/peasant protests run
  "almost simultaneously" with "no link"; differential conditions and treatment "work
  against such higher levels of unification"): an urban worker does not take migrants'
  protest as a call to his own — the regime's ``threshold`` term raises workers'
  thresholds by ``division`` × the migrants' share of last month's actives in their
  locality, so migrants' unrest does not spill into the workers' own claims.

Employment (``benchmarks.residency_employment``, docs/ODD.md 7.8.10): the posts migrants
leave are refilled by the demography's hiring, which gives a post no migrant came for to
an urban school-leaver still waiting. Alone no one waits, so employment falls; under
privatization the hiring freeze leaves a queue of school-leavers (line 86) who take the
posts, so employment holds. The laid-off are not in that queue (line 95: they "cannot even
get service jobs"); their competition with migrants (line 91) is the resentment term.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim.calendar import Month
from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind, Status
from sim.state import Residency as Hukou


class ResidencyParams(RegimeParams):
    type: Literal["residency"]
    rights: float = Field(
        0.1, ge=0, le=1, description="migrants' local rights (residency, schooling) (0–1)"
    )
    arrears_rate: float = Field(
        0.1,
        ge=0,
        le=1,
        description="extra monthly chance a rightless migrant goes unpaid (1/month)",
    )
    competition: float = Field(
        0.2,
        ge=0,
        le=2,
        description="hardship H added to laid-off workers at full migrant share "
        "(units of H; the former 0.6 on the idiosyncratic part, weight 0.35)",
    )
    wage_convergence: float = Field(
        0.0,
        ge=0,
        le=1,
        description="inland/coastal wage convergence reached (0 = none, 1 = equal) (share)",
    )
    convergence_start: Month | None = Field(
        None, description="month convergence begins (default: regime start)"
    )
    convergence_months: int = Field(
        24, ge=1, le=600, description="months over which convergence ramps up to its level (months)"
    )
    return_rate: float = Field(
        0.05, ge=0, le=1, description="monthly chance of going home at full convergence (1/month)"
    )
    exit_rate: float = Field(
        0.02,
        ge=0,
        le=1,
        description="monthly chance of leaving the city at grievance 1 (exit, not voice; "
        "lines 49, 51, 62) (prob./month)",
    )
    arrears_push: float = Field(
        1.0,
        ge=0,
        le=10,
        description="exit pressure added by six or more owed months (multiplier of the "
        "grievance-driven exit)",
    )
    blocked_age: float = Field(
        45.0, ge=15, le=90, description="age from which the way home is mostly closed (G3) (years)"
    )
    blocked_return: float = Field(
        0.8,
        ge=0,
        le=1,
        description="share of exit cut for migrants at or past blocked_age (G3) (share)",
    )
    tenure_consciousness: float = Field(
        0.03,
        ge=0,
        le=1,
        description="protest threshold lowered at full urban tenure (units of T; B5, line 49)",
    )
    tenure_months: int = Field(
        60, ge=1, le=600, description="urban tenure at which consciousness is full (months)"
    )
    hukou_conversion: float = Field(
        0.0,
        ge=0,
        le=0.1,
        description="monthly chance a migrant with full tenure wins urban registration "
        "(line 37) (prob./month)",
    )
    division: float = Field(
        0.05,
        ge=0,
        le=1,
        description="threshold added to urban workers when all of their locality's actives "
        "are migrants (units of T; F5, F6, lines 99-100)",
    )


def convergence_at(step: int, start_step: int, level: float, ramp: int) -> float:
    """Wage convergence this month: 0 before ``start_step``, rising linearly to ``level``."""
    if step < start_step:
        return 0.0
    return level * min((step - start_step + 1) / ramp, 1.0)


def exit_chance(
    grievance: np.ndarray,
    arrears: np.ndarray,
    age: np.ndarray,
    conv: float,
    prm: ResidencyParams,
) -> np.ndarray:
    """Monthly chance a migrant on the job leaves: convergence pull plus grievance and
    arrears push (G1), cut for the older migrants whose way home is closed (G3)."""
    push = prm.exit_rate * grievance * (1.0 + prm.arrears_push * np.minimum(arrears, 6.0) / 6.0)
    chance = prm.return_rate * conv + push
    blocked = np.where(age >= prm.blocked_age, 1.0 - prm.blocked_return, 1.0)
    return np.clip(chance * blocked, 0.0, 1.0)


def tenure_term(tenure: np.ndarray, weight: float, months: int) -> np.ndarray:
    """Threshold shift of a migrant with ``tenure`` months in the city (B5): ≤ 0."""
    return -weight * np.minimum(tenure / months, 1.0)


def division_term(migrant_active: np.ndarray, all_active: np.ndarray, weight: float) -> np.ndarray:
    """Threshold added to workers per locality: ``weight`` × migrants' share of actives."""
    return weight * migrant_active / np.maximum(all_active, 1.0)


def resentment(
    unit_share: np.ndarray, city_share: float, laid_off: np.ndarray, weight: float
) -> np.ndarray:
    """Added hardship of laid-off workers from migrant competition (F1, line 91)."""
    return np.where(laid_off, weight * 0.5 * (unit_share + city_share), 0.0).astype(np.float32)


@register
class Residency(Regime):
    name = "residency"
    title = "Residency permits (hukou) and migrant labour"
    summary = (
        "Migrants without local rights: wage arrears, resentment of laid-off workers, "
        "exit home and fewer comebacks when inland wages converge."
    )
    Params = ResidencyParams
    sources = (
        Source("003_34c2b211615d9395.txt", "34", "no benefits; unpaid wages in the billions"),
        Source("003_34c2b211615d9395.txt", "37", "keep out or grant amnesty (US analogy)"),
        Source("003_34c2b211615d9395.txt", "37", "denied residency permits, housing, schooling"),
        Source("003_34c2b211615d9395.txt", "40", "older migrants: the 4 No's"),
        Source("003_34c2b211615d9395.txt", "40", "returnees come out again"),
        Source("003_34c2b211615d9395.txt", "49", "longer in the city, refusing the conditions"),
        Source("003_34c2b211615d9395.txt", "51", "minimum wage equal across the country"),
        Source("003_34c2b211615d9395.txt", "62", "rural relief; migrants return home"),
        Source("003_34c2b211615d9395.txt", "91", "laid-off workers resent migrants"),
        Source("003_34c2b211615d9395.txt", "99-100", "conditions and treatment block unity"),
    )

    def on_start(self, model) -> None:
        start = self.params.convergence_start
        self.conv_start_step = (
            model.config.start.months_until(start) if start is not None else model.step_index
        )

    def convergence(self, model) -> float:
        prm = self.params
        return convergence_at(
            model.step_index, self.conv_start_step, prm.wage_convergence, prm.convergence_months
        )

    def apply(self, model, levers) -> None:
        levers.migrant_rights = min(levers.migrant_rights, self.params.rights)
        levers.migrant_arrears_rate = max(levers.migrant_arrears_rate, self.params.arrears_rate)
        levers.migrant_supply = min(levers.migrant_supply, 1.0 - self.convergence(model))

    def on_step(self, model) -> None:
        prm, p, u, rng, t = self.params, model.people, model.units, model.rng, model.tally
        # Migrants are a block of rows (sim/state.py): their rules work on that slice.
        ms = p.rows(Kind.MIGRANT)
        on_job = (p.status[ms] == Status.EMPLOYED) & (p.unit[ms] >= 0)
        # Urban registration for long-settled migrants (line 37), if the city opens it.
        if prm.hukou_conversion > 0:
            settled = on_job & (p.tenure[ms] >= prm.tenure_months)
            settled &= p.residency[ms] != Hukou.URBAN
            won = np.flatnonzero(settled & (rng.random(ms.stop - ms.start) < prm.hukou_conversion))
            p.residency[won + ms.start] = Hukou.URBAN
            t["hukou_converted"] = int(won.size)
        on_job &= p.residency[ms] != Hukou.URBAN

        # Exit home as inland wages converge, or as grievance and arrears push (G1),
        # unless age has closed the way home (G3); coming out again is the demography's
        # hiring, which reads the lower migrant supply this regime sets (G3).
        conv = self.convergence(model)
        chance = exit_chance(p.grievance[ms], p.arrears[ms], p.age[ms], conv, prm)
        draw = rng.random(ms.stop - ms.start)
        leaving = np.flatnonzero(on_job & (draw < chance)) + ms.start
        p.status[leaving] = Status.NONE
        p.unit[leaving] = -1  # home to the household's plot, if it still has one
        t["migrants_returned"] = int(leaving.size)

        # Resentment of laid-off workers at migrant competition (F1).
        emp_u = model.unit_staff()  # the employed (all types) per unit
        m_unit = p.unit[ms]
        m_employed = (p.status[ms] == Status.EMPLOYED) & (m_unit >= 0)
        mig_u = np.bincount(m_unit[m_employed], minlength=u.n)
        unit_share = mig_u / np.maximum(emp_u, 1.0)
        city_share = float(mig_u.sum() / max(emp_u.sum(), 1.0))
        ws = p.rows(Kind.WORKER)  # only laid-off workers resent (0 for everyone else)
        w_status, w_unit = p.status[ws], p.unit[ws]
        laid_off = (w_status == Status.XIAGANG) | (w_status == Status.UNEMPLOYED)
        # The regime's own hardship term: recomputed every month, gone when it ends.
        # (on the workers' rows only; float32, as the term has always been stored)
        added = resentment(
            np.take(unit_share, np.maximum(w_unit, 0)) * (w_unit >= 0),
            city_share,
            laid_off,
            prm.competition,
        ).astype(np.float32)
        model.terms.add("hardship", self.key, added, rows=ws)

        # Thresholds: tenure-driven consciousness of migrants (B5) and the division that
        # keeps workers from joining migrants' unrest (F5, F6). Last month's actives.
        loc, n_loc = model.locality, model.n_localities
        act = p.active
        mig_act = np.bincount(loc[ms][act[ms]], minlength=n_loc).astype(np.float64)
        all_act = np.bincount(loc[act], minlength=n_loc).astype(np.float64)
        ws = p.rows(Kind.WORKER)
        # (on the workers' and migrants' rows only: one block from the first worker on)
        both = slice(ws.start, ms.stop)
        shift = np.zeros(ms.stop - ws.start)
        shift[: ws.stop - ws.start] = division_term(mig_act, all_act, prm.division)[loc[ws]]
        shift[ms.start - ws.start :] = tenure_term(
            p.tenure[ms].astype(np.float64), prm.tenure_consciousness, prm.tenure_months
        )
        model.terms.add("threshold", self.key, shift, rows=both)
