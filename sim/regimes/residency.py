"""The residency-permit (hukou) regime and migrant labour.

Seed 003 R6, R17 and rules A10, F1, G1, G3, G4 (``003_34c2b211615d9395.txt``):

- No local rights (R6, line 37): migrants are denied "urban residency permits, housing
  and education"; without a claim on their employers their wages go unpaid — arrears
  "in the billions of yuan" (line 34, A10). Sets ``levers.migrant_rights`` and
  ``levers.migrant_arrears_rate``, which ``sim.submodels.economy`` reads.
- Health depletion (G4, line 43): "even three years in such zones is frequently enough
  to destroy the health of young workers, who leave, only to be replaced by others".
  Each month on the job costs ``health_decay`` of a migrant's health; below
  ``exit_health`` the migrant goes home to the village (status NONE, unit −1) and a
  young newcomer from the same village takes the job — in the same row, so the
  population is conserved.
- Competition and resentment (F1, F3, line 91): laid-off urban workers resent migrants
  who take the jobs ("that one deserves to be Xiagang"); their perceived hardship rises
  with the migrant share of employment in their unit and in the city — the regime's own
  term of the composed ``hardship`` (``sim.terms``), rebuilt monthly and gone at the end.
- Exit when inland wages converge (G1, R17, lines 51, 62): as the minimum wage becomes
  "more or less equal across the entire country" and rural conditions improve, migrants
  "vote with their feet" and go home. Returnees "come out again" (G3, line 40) while
  the gap lasts. Migrants at home farm their household's plot.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from sim.calendar import Month
from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.schema import field_error
from sim.state import Kind, Ownership, Status


class ResidencyParams(RegimeParams):
    type: Literal["residency"]
    rights: float = Field(
        0.1, ge=0, le=1, description="migrants' local rights (residency, schooling) (0–1)"
    )
    arrears_rate: float = Field(
        0.1, ge=0, le=1, description="extra monthly chance a rightless migrant goes unpaid"
    )
    health_decay: float = Field(
        0.0278, ge=0, le=1, description="health lost per month on the job (G4: ~3 years) (1/month)"
    )
    exit_health: float = Field(
        0.3, ge=0, le=1, description="health below which a migrant goes home (0–1)"
    )
    newcomer_age: tuple[float, float] = Field(
        (16.0, 22.0), description="age range of the young migrants who replace them (years)"
    )
    competition: float = Field(
        0.2,
        ge=0,
        le=2,
        description="hardship H added to laid-off workers at full migrant share "
        "(units of H; the former 0.6 on the idiosyncratic part, weight 0.35)",
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
    remigration_rate: float = Field(
        0.03, ge=0, le=1, description="monthly chance a migrant at home comes out again (G3)"
    )
    home_land: float = Field(
        0.5, ge=0, le=2, description="land a returned migrant farms at home (household plots)"
    )

    @model_validator(mode="after")
    def _ages(self) -> ResidencyParams:
        lo, hi = self.newcomer_age
        if not 14 <= lo <= hi <= 60:
            raise field_error("newcomer_age", f"need 14 <= low <= high <= 60, got {lo}, {hi}")
        return self


def deplete_health(health: np.ndarray, on_job: np.ndarray, decay: float) -> np.ndarray:
    """Health after a month: ``decay`` lost on the job (G4, line 43), floored at 0."""
    return np.where(on_job, np.maximum(health - decay, 0.0), health).astype(np.float32)


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
        "Migrants without local rights: wage arrears, health worn out in ~3 years and "
        "replaced, resentment of laid-off workers, exit home when wages converge."
    )
    Params = ResidencyParams
    sources = (
        Source("003_34c2b211615d9395.txt", "34", "no benefits; unpaid wages in the billions"),
        Source("003_34c2b211615d9395.txt", "37", "denied residency permits, housing, schooling"),
        Source("003_34c2b211615d9395.txt", "40", "returnees come out again"),
        Source("003_34c2b211615d9395.txt", "43", "three years destroy health; replaced"),
        Source("003_34c2b211615d9395.txt", "51", "minimum wage equal across the country"),
        Source("003_34c2b211615d9395.txt", "62", "rural relief; migrants return home"),
        Source("003_34c2b211615d9395.txt", "91", "laid-off workers resent migrants"),
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

    def on_step(self, model) -> None:
        prm, p, u, rng, t = self.params, model.people, model.units, model.rng, model.tally
        migrant = p.kind == Kind.MIGRANT
        on_job = migrant & (p.status == Status.EMPLOYED) & (p.unit >= 0)
        p.health = deplete_health(p.health, on_job, prm.health_decay)

        # Worn out: go home; a young newcomer from the same village takes the job (G4).
        worn = np.flatnonzero(on_job & (p.health < prm.exit_health))
        t["migrants_worn_out"] = int(worn.size)
        if worn.size:
            lo, hi = prm.newcomer_age
            p.age[worn] = rng.uniform(lo, hi, size=worn.size)
            p.health[worn] = 1.0
            p.tenure[worn] = 0
            p.arrears[worn] = 0.0
            p.grievance[worn] = 0.0
            p.fear[worn] = 0.0
            p.relief[worn] = 0.0
            p.active[worn] = False
            p.activism[worn] = rng.beta(1.0, 8.0, size=worn.size)
            p.hardship_base[worn] = rng.random(worn.size)
            p.risk_aversion[worn] = rng.random(worn.size)

        # Exit home as inland wages converge (G1); returnees come out again (G3).
        conv = self.convergence(model)
        leaving = np.flatnonzero(on_job & (rng.random(p.n) < prm.return_rate * conv))
        p.status[leaving] = Status.NONE
        p.unit[leaving] = -1
        p.land[leaving] = prm.home_land
        t["migrants_returned"] = int(leaving.size)
        hosts = np.flatnonzero(u.ownership != Ownership.STATE)
        if hosts.size == 0:
            hosts = np.arange(u.n)
        at_home = migrant & (p.status == Status.NONE) & (p.unit < 0)
        at_home[leaving] = False
        out = np.flatnonzero(at_home & (rng.random(p.n) < prm.remigration_rate * (1.0 - conv)))
        p.unit[out] = hosts[rng.integers(0, hosts.size, size=out.size)]
        p.status[out] = Status.EMPLOYED
        p.land[out] = 0.0
        p.wage[out] = model.params.migrant_wage

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
        # The regime's own hardship term: recomputed every month, gone when it ends.
        added = resentment(unit_share[unit] * (p.unit >= 0), city_share, laid_off, prm.competition)
        model.terms.add("hardship", self.key, added)
