"""Incomes, arrears, ageing and retirement (deaths, entry and hiring: ``demography``).

Who is paid what: wages for the employed (less arrears), a stipend for xiagang, a
pension for retirees, informal income for those denied any status (seed 003 R2, lines
14–15, 29), farm income net of taxes and fees for peasants (R7–R8, line 60), cadre
salaries with visible privilege (line 19), remittances from migrants to their villages
(line 51). Lump-sum payments (``relief``) are spent over a few months ("quickly used
up", line 29).
"""

from __future__ import annotations

import numpy as np

from sim.draws import uniform_at, uniform_span
from sim.state import Kind, Residency, Status

RELIEF_SPEND_SHARE = 1.0 / 3.0
REMITTANCE_SHARE = 0.3
ARREARS_REPAY_RATE = 0.05


def gini(x: np.ndarray) -> float:
    """Gini coefficient of non-negative values (0 = equal, → 1 = one holds all)."""
    # Sorting in the array's own dtype and widening after is exact (widening is monotone);
    # the float32 income column is radix-sorted (sim/kernels.py); the sums are in float64.
    from sim.kernels import sorted_with_cumsum

    x = np.asarray(x)
    x = x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)
    x, cum = sorted_with_cumsum(x)  # (np.cumsum of the sorted values)
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return 0.0
    return float((n + 1 - 2.0 * np.sum(cum) / total) / n)


def arrears_hazard(
    distress: np.ndarray, migrant: np.ndarray, migrant_rate: float, rights: float
) -> np.ndarray:
    """Monthly chance a wage goes unpaid: unit distress, plus migrants' missing rights."""
    return np.clip(0.1 * distress + np.where(migrant, migrant_rate * (1.0 - rights), 0.0), 0, 1)


def age_and_retire(model) -> None:
    """Everyone ages a month; workers and technicians past retirement age retire.

    A retiree keeps a pension and the tie to the former unit, whose post falls vacant
    for a new hire (``sim.submodels.demography.hire``). Cadres retire and die in
    ``demography.cadre_turnover``, which fills their posts by recruitment.
    """
    p, prm = model.people, model.params
    p.age += np.float32(1.0 / 12.0)
    # Technicians and workers are adjacent blocks of rows (sim/state.py).
    urban = slice(p.rows(Kind.TECHNICIAN).start, p.rows(Kind.WORKER).stop)
    retiring = urban.start + np.flatnonzero(
        (p.status[urban] == Status.EMPLOYED) & (p.age[urban] >= prm.retirement_age)
    )
    p.status[retiring] = Status.RETIRED
    p.pension[retiring] = prm.pension


def benefits(model) -> None:
    """What laid-off people and retirees of restructured units are owed, month by month.

    Stipends end after the months a layoff entitled to (xiagang "usually for a set number
    of years", seed 003 line 14), leaving the worker without status; pensions and stipends
    attached to a sold unit go unpaid with that unit's hazard — once the factories are
    gone, protest is about "pensions, Xiagang payments, medical care, housing" (C1, line
    27). Both are state left by a restructuring, so they continue after its window ends.
    """
    p, u, rng = model.people, model.units, model.rng
    status = p.status
    if "stipend_expiry" in model.mechanisms:  # off: stipends never run out
        expired = (
            (status == Status.XIAGANG)
            & (p.laid_off >= 0)
            & (model.step_index - p.laid_off >= p.stipend_months)
        )
        status[expired] = Status.UNEMPLOYED
    if not np.any(u.benefit_arrears > 0):  # no unit defaults: no one is owed this month
        uniform_span(rng, p.n, 0, 0)  # (the month's draw, as below: same random stream)
        return
    # The unit's hazard, read on the rows of retirees and the laid-off with a unit only.
    # (np.take: the same gather as fancy indexing, without converting the int32 index)
    cand = np.flatnonzero(((status == Status.RETIRED) | (status == Status.XIAGANG)) & (p.unit >= 0))
    hazard = np.take(u.benefit_arrears, p.unit[cand]) * model.mechanisms.gain("benefit_arrears")
    owed = hazard > 0
    # The draw is made every month whether or not anyone is owed (same random stream);
    # only the owed rows' numbers are generated (sim/draws.py).
    rows = cand[owed]
    unpaid = rows[uniform_at(rng, p.n, rows) < hazard[owed]]
    p.arrears[unpaid] += np.float32(1.0)


def pay(model, compiled: bool | None = None) -> None:
    """Set every person's income for this month (compiled: ``sim.kernels.pay``).

    The rules are those of :func:`pay_numpy`, the plain reference; the kernel makes the
    same draws and gives the same values bit for bit (``tests/test_reference.py``).
    ``compiled`` chooses; by default ``sim.kernels.wanted`` does (large models).
    """
    from sim import kernels

    if kernels.wanted(model.people.n, compiled):
        kernels.pay(model)
    else:
        pay_numpy(model)


def pay_numpy(model) -> None:
    """Set every person's income for this month (the numpy reference of :func:`pay`).

    People are stored in blocks by type (``sim.state``), so a rule for one type is
    computed on that type's rows only; each value is the same as computing it for
    everyone and selecting (elementwise arithmetic on a slice).
    """
    p, prm, lv, rng = model.people, model.params, model.levers, model.rng
    n, status = p.n, p.status
    cad, mig, pea = p.rows(Kind.CADRE), p.rows(Kind.MIGRANT), p.rows(Kind.PEASANT)
    urban = slice(p.rows(Kind.TECHNICIAN).start, p.rows(Kind.WORKER).stop)
    employed = status == Status.EMPLOYED
    # Rightless migrants: those who won urban registration (residency) have local rights.
    migrant = np.zeros(n, dtype=bool)
    migrant[mig] = p.residency[mig] != Residency.URBAN
    unit = p.unit
    has_unit = unit >= 0
    uidx = np.maximum(unit, 0)
    distress = np.take(model.unit_distress, uidx) * has_unit
    unpaid = employed & (
        rng.random(n)
        < arrears_hazard(distress, migrant, lv.migrant_arrears_rate, lv.migrant_rights)
    )
    arrears = p.arrears
    np.add(arrears, 1.0, out=arrears, where=unpaid)
    repaid = (arrears > 0) & ~unpaid & (rng.random(n) < ARREARS_REPAY_RATE)
    arrears[repaid] = 0.0

    # Statuses exclude each other, so each sets the income of its own people.
    income = np.zeros(n, dtype=np.float64)
    np.copyto(income, p.wage, where=employed & ~unpaid)
    np.copyto(income, prm.stipend, where=status == Status.XIAGANG)
    np.copyto(income, p.pension, where=status == Status.RETIRED)
    np.copyto(income, prm.informal_income, where=status == Status.UNEMPLOYED)
    # School-leavers waiting for a post live off casual work and street sales (seed 003
    # line 17: youth "in casual labor, or to do street sales").
    np.copyto(income[urban], prm.informal_income, where=status[urban] == Status.NONE)
    privilege = np.where(has_unit[cad], np.take(model.unit_privilege, uidx[cad]), 0.0)
    # "Cadre salaries are much higher now, maybe three times" (seed 003 line 19).
    income[cad] = prm.cadre_wage * (1.0 + 2.0 * privilege) + p.corruption[cad] * privilege

    def farm(rows: slice) -> np.ndarray:
        tax = np.clip(p.tax_burden[rows], 0, 1)
        return prm.farm_income * p.land[rows] * lv.grain_price * (1.0 - tax)

    income[pea] = farm(pea)
    # Migrants back home (status NONE) farm their household's plot (seed 003 line 62).
    at_home = migrant[mig] & (status[mig] == Status.NONE)
    if at_home.any():
        income[mig] = np.where(at_home, farm(mig), income[mig])
    # Migrants send part of their pay home; villages share it among their households.
    remit = np.zeros(n)
    remit[mig] = np.where(migrant[mig], REMITTANCE_SHARE * income[mig], 0.0)
    p.remittance = remit
    income[mig] -= remit[mig]
    if model.villages.n:
        vil = np.maximum(p.village, 0)
        vm = migrant[mig]
        pool = np.bincount(vil[mig][vm], weights=remit[mig][vm], minlength=model.villages.n)
        households = np.bincount(vil[pea], minlength=model.villages.n)
        per_house = pool / np.maximum(households, 1)
        income[pea] += np.take(per_house, vil[pea])
    spend = p.relief * RELIEF_SPEND_SHARE
    p.relief = p.relief - spend
    p.income = income + spend
    # Health recovers away from the line; regimes deplete it (seed 003 G4, line 43).
    idle = ~employed
    np.minimum(p.health + prm.health_recovery, 1.0, out=p.health, where=idle)
    np.add(p.tenure, 1, out=p.tenure, where=employed)
