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
  with the migrant share of employment in their unit and in the city.
- Exit when inland wages converge (G1, R17, lines 51, 62): as the minimum wage becomes
  "more or less equal across the entire country" and rural conditions improve, migrants
  "vote with their feet" and go home. Returnees "come out again" (G3, line 40) only
  while the gap lasts: convergence lowers ``levers.migrant_supply``, the willingness the
  demography's hiring reads. Migrants at home farm their household's plot.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field

from sim.calendar import Month
from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import Kind, Status


class ResidencyParams(RegimeParams):
    type: Literal["residency"]
    rights: float = Field(
        0.1, ge=0, le=1, description="migrants' local rights (residency, schooling) (0–1)"
    )
    arrears_rate: float = Field(
        0.1, ge=0, le=1, description="extra monthly chance a rightless migrant goes unpaid"
    )
    competition: float = Field(
        0.6, ge=0, le=2, description="laid-off workers' added hardship at full migrant share"
    )
    wage_convergence: float = Field(
        0.0, ge=0, le=1, description="inland/coastal wage convergence reached (0 = none, 1 = equal)"
    )
    convergence_start: Month | None = Field(
        None, description="month convergence begins (default: regime start)"
    )
    convergence_months: int = Field(
        24, ge=1, le=600, description="months over which convergence ramps up to its level"
    )
    return_rate: float = Field(
        0.05, ge=0, le=1, description="monthly chance of going home at full convergence"
    )


def convergence_at(step: int, start_step: int, level: float, ramp: int) -> float:
    """Wage convergence this month: 0 before ``start_step``, rising linearly to ``level``."""
    if step < start_step:
        return 0.0
    return level * min((step - start_step + 1) / ramp, 1.0)


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
        Source("003_34c2b211615d9395.txt", "37", "denied residency permits, housing, schooling"),
        Source("003_34c2b211615d9395.txt", "40", "returnees come out again"),
        Source("003_34c2b211615d9395.txt", "51", "minimum wage equal across the country"),
        Source("003_34c2b211615d9395.txt", "62", "rural relief; migrants return home"),
        Source("003_34c2b211615d9395.txt", "91", "laid-off workers resent migrants"),
    )

    def on_start(self, model) -> None:
        self.added = np.zeros(model.people.n, dtype=np.float32)
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
        conv = self.convergence(model)
        levers.extra["wage_convergence"] = conv
        levers.migrant_supply = min(levers.migrant_supply, 1.0 - conv)

    def on_step(self, model) -> None:
        prm, p, u, rng, t = self.params, model.people, model.units, model.rng, model.tally
        migrant = p.kind == Kind.MIGRANT
        on_job = migrant & (p.status == Status.EMPLOYED) & (p.unit >= 0)

        # Exit home as inland wages converge (G1); coming out again is the demography's
        # hiring, which reads the lower migrant supply this regime sets (G3).
        conv = self.convergence(model)
        leaving = np.flatnonzero(on_job & (rng.random(p.n) < prm.return_rate * conv))
        p.status[leaving] = Status.NONE
        p.unit[leaving] = -1
        p.land[leaving] = model.params.migrant_home_land
        t["migrants_returned"] = int(leaving.size)

        # Resentment of laid-off workers at migrant competition (F1).
        employed = (p.status == Status.EMPLOYED) & (p.unit >= 0)
        unit = np.maximum(p.unit, 0)
        emp_u = np.bincount(p.unit[employed], minlength=u.n).astype(np.float64)
        mig_u = np.bincount(p.unit[employed & migrant], minlength=u.n)
        unit_share = mig_u / np.maximum(emp_u, 1.0)
        city_share = float(mig_u.sum() / max(emp_u.sum(), 1.0))
        laid_off = (p.kind == Kind.WORKER) & (
            (p.status == Status.XIAGANG) | (p.status == Status.UNEMPLOYED)
        )
        added = resentment(unit_share[unit] * (p.unit >= 0), city_share, laid_off, prm.competition)
        self._set_added(p, added)

    def _set_added(self, p, added: np.ndarray) -> None:
        p.hardship_base = np.clip(p.hardship_base + added - self.added, 0.0, None)
        self.added = added

    def on_end(self, model) -> None:
        self._set_added(model.people, np.zeros(model.people.n, dtype=np.float32))
