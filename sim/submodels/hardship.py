"""Hardship and grievance.

Epstein (2002) gives grievance as G = H·(1 − L) with H a fixed perceived hardship. Here
H is built from material conditions the source texts name — income below subsistence,
lost status, wage arrears, lost land, depleted health (seed 003 A1–A10, lines 14–15,
29, 49, 60, 100) — plus Epstein's fixed idiosyncratic component, and L is the
legitimacy of the agent's own locality (see ``sim.submodels.legitimacy``).

Regimes do not write hardship: each adds a named term to the composed quantity
``hardship`` (``model.terms``, in the units of H) — resentment of migrant competition,
a cooperative's safety net, problems solved by grassroots cadres — and H is the material
sum plus those terms, clipped to [0, 1]. Stacked regimes add up; one that ends takes only
its own term with it (docs/ODD.md, "Composition of regimes").
"""

from __future__ import annotations

import numpy as np

from sim.state import Status

# How much of a lost job weighs as lost status: xiagang keep a stipend and ties to the
# unit; those denied any status (seed 003 A3, line 15) lose both.
STATUS_LOSS = np.zeros(len(Status), dtype=np.float32)
STATUS_LOSS[Status.XIAGANG] = 0.6
STATUS_LOSS[Status.UNEMPLOYED] = 1.0


def deprivation(income: np.ndarray, subsistence: float) -> np.ndarray:
    """Share of basic needs that income fails to meet, in [0, 1]."""
    return np.clip(1.0 - income / subsistence, 0.0, 1.0)


def arrears_pressure(arrears_months: np.ndarray) -> np.ndarray:
    """Wage arrears as a hardship in [0, 1]: six months owed is the maximum."""
    return np.minimum(arrears_months / 6.0, 1.0)


def material_hardship(
    base: np.ndarray,
    regime_terms: np.ndarray | float,
    deprivation_: np.ndarray,
    status_loss: np.ndarray,
    arrears: np.ndarray,
    land_lost: np.ndarray,
    health: np.ndarray,
    w_base: float,
    w_income: float,
    w_status: float,
    w_arrears: float,
    w_land: float,
    w_health: float,
) -> np.ndarray:
    """Perceived hardship H in [0, 1], a weighted sum of its sources, clipped.

    Each argument is a per-person array in [0, 1]; ``health`` is a stock (1 = healthy);
    ``regime_terms`` is the sum of the regimes' hardship terms, already in units of H.
    """
    h = (
        regime_terms
        + w_base * base
        + w_income * deprivation_
        + w_status * status_loss
        + w_arrears * arrears
        + w_land * land_lost
        + w_health * (1.0 - health)
    )
    return np.clip(h, 0.0, 1.0)


def grievance(
    hardship: np.ndarray, legitimacy: np.ndarray, previous: np.ndarray, memory: float
) -> np.ndarray:
    """G = memory·G_prev + (1 − memory)·H·(1 − L); memory = 0 is Epstein's rule exactly.

    A memory above zero gives the "delayed reaction" of seed 003 G2 (line 49).
    """
    return memory * previous + (1.0 - memory) * hardship * (1.0 - legitimacy)


def weights(prm) -> tuple[float, float, float, float, float, float]:
    """The six component weights, in the order :func:`material_hardship` and the compiled
    pass (``sim.kernels.hardship``) take them: idiosyncratic, income, status, arrears,
    land, health."""
    return (
        prm.hardship_idiosyncratic,
        prm.hardship_income,
        prm.hardship_status,
        prm.hardship_arrears,
        prm.hardship_land,
        prm.hardship_health,
    )


def update(model, compiled: bool | None = None) -> None:
    """Recompute every person's hardship and grievance for this month.

    The rules are those of :func:`update_numpy`, the plain reference; the compiled pass
    (``sim.kernels.hardship``) gives the same values bit for bit
    (``tests/test_reference.py``). ``compiled`` chooses; by default ``sim.kernels.wanted``
    does (large models).
    """
    from sim import kernels

    # The weight of last month's grievance (0 with the mechanism off).
    memory = model.params.grievance_memory * model.mechanisms.gain("grievance_memory")
    if kernels.wanted(model.people.n, compiled):
        kernels.hardship(model, memory)
    else:
        update_numpy(model, memory)


def update_numpy(model, memory: float | None = None) -> None:
    """Recompute every person's hardship and grievance (the numpy reference of :func:`update`;
    ``memory`` is the weight of last month's grievance, by default as :func:`update` sets it)."""
    p, prm = model.people, model.params
    if memory is None:
        memory = prm.grievance_memory * model.mechanisms.gain("grievance_memory")
    land_lost = np.where(p.kind == 4, np.clip(1.0 - p.land, 0.0, 1.0), 0.0)
    h = material_hardship(
        p.hardship_base,
        model.terms.total("hardship"),
        deprivation(p.income, prm.subsistence_income),
        STATUS_LOSS[p.status],
        arrears_pressure(p.arrears),
        land_lost,
        p.health,
        *weights(prm),
    )
    p.hardship = h
    local_l = model.local_legitimacy[model.locality]
    p.grievance = grievance(h, local_l, p.grievance, memory)
