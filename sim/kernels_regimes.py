"""Compiled (numba) loops for the regimes, where numpy cannot fuse the work.

The counterpart of :mod:`sim.kernels` for ``sim/regimes/`` and the submodels the regimes
lean on: each kernel has its numpy reference (the expression the model used before) and
``tests/test_reference_regimes.py`` checks with hypothesis that both agree bit for bit.
Nothing here draws random numbers. The loops are in :mod:`sim.kernels_regimes_compiled`,
imported (with numba) on first use; the regimes run them when :func:`sim.kernels.wanted` says
so (from 20,000 rows, or once numba is loaded) and their numpy references otherwise.
"""

from __future__ import annotations

import numpy as np

from sim import kernels
from sim.kernels import row_sums_reference


def _compiled():
    from sim import kernels_regimes_compiled  # imports numba: only when a kernel runs

    return kernels_regimes_compiled


def row_sums(ties, start: int, stop: int, compiled: bool | None = None) -> np.ndarray:
    """:func:`sim.kernels.row_sums_reference` (scipy's ``sum(axis=1)`` of rows
    ``start:stop``) in one compiled pass, the short rows (most of the tie matrix) summed
    inline rather than through the recursive pairwise sum: a fifth less time for the
    peasants' tie degrees, read by the cooperatives every month."""
    # (through the module, so benchmarks.fingerprint's --reference/--compiled apply)
    if not kernels.wanted(ties.shape[0], compiled) or ties.dtype not in (np.float32, np.float64):
        return row_sums_reference(ties, start, stop)
    return _compiled().row_sums_short(ties.indptr, ties.data, int(start), int(stop))


def union_tension(unit, grievance, threshold, start: int, n_units: int):
    """:func:`sim.regimes.union.tension_numpy` in one compiled pass (same values)."""
    return _compiled().union_tension(unit, grievance, threshold, int(start), int(n_units))


def union_members(unit, activism, arrears, start: int, broken, offset, holding, pledge, coopt):
    """:func:`sim.regimes.union.members_numpy` in one compiled pass (same values and
    the same in-place change of ``activism``)."""
    dt = activism.dtype.type
    return _compiled().union_members(
        unit,
        activism,
        arrears,
        int(start),
        broken,
        bool(broken.any()),
        np.asarray(offset, dtype=np.float64),
        holding,
        dt(pledge),
        dt(coopt),
    )


def danwei_prepare(model, solved, enlisted, home):
    """:func:`sim.regimes.danwei_reactivation.prepare_numpy` in one compiled pass."""
    from sim.state import Kind, Residency, Status

    p = model.people
    return _compiled().danwei_prepare(
        model.renewed,
        solved,
        enlisted,
        p.party,
        p.status,
        p.residency,
        p.kind,
        home,
        int(model.units.n),
        int(model.villages.n),
        int(Status.EMPLOYED),
        int(Residency.URBAN),
        int(Kind.MIGRANT),
        int(Kind.CADRE),
    )


def danwei_solve(residents, u, share, solved, depth, solvable, w_base, base, home, n_loc, arrears):
    """:func:`sim.regimes.danwei_reactivation.solve_numpy` in one compiled pass."""
    c = -w_base * solvable  # (grassroots.relief_term's factor, in its order)
    return _compiled().danwei_solve(
        residents, u, float(share), solved, float(depth), float(c), base, home, int(n_loc), arrears
    )


def grassroots_prepare(model, solved, home, visited):
    """:func:`sim.regimes.grassroots.prepare_numpy` in one compiled pass."""
    from sim.state import Kind

    return _compiled().grassroots_prepare(
        model.renewed, solved, model.people.kind, home, int(model.units.n), visited, int(Kind.CADRE)
    )


def grassroots_solve(model, near, u, chance, solved, depth, solvable, w_base, home, n_comm, gain):
    """:func:`sim.regimes.grassroots.solve_numpy` in one compiled pass."""
    from sim.state import Kind

    p = model.people
    term, count, tot, reached = _compiled().grassroots_solve(
        near,
        u,
        float(chance),
        solved,
        float(depth),
        -w_base * solvable,  # (relief_term's factor, in its order)
        p.hardship_base,
        p.kind,
        home,
        int(model.units.n),
        int(n_comm),
        int(Kind.CADRE),
    )
    # (community_legitimacy's mean, in its order)
    return term, gain * tot / np.maximum(count.astype(np.float64), 1.0), reached


def coop_hazard(vil, seen, tie_w, degree, hardship, failed, coop, base_rate, support, diffusion):
    """:func:`sim.regimes.cooperatives.hazard_numpy` in one compiled pass."""
    f32 = np.float32
    return _compiled().coop_hazard(
        vil, seen, tie_w, degree, hardship, failed, coop,
        f32(base_rate), f32(1.0 + support), float(diffusion),
    )  # fmt: skip


def coop_join(u, hz, can, coop):
    """:func:`sim.regimes.cooperatives.join_numpy` in one compiled pass."""
    return _compiled().coop_join(u, hz, can, coop)


def coop_pool(
    coop, collective, vil, land, base, activism, relief, farm_income, grain_price, premium,
    services, net_factor, solidarity, n_v,
):  # fmt: skip
    """:func:`sim.regimes.cooperatives.pool_numpy` in one compiled pass."""
    f32 = np.float32
    return _compiled().coop_pool(
        coop, collective, vil, land, base, activism, relief, f32(farm_income), f32(grain_price),
        f32(premium), float(services), f32(net_factor), f32(solidarity), int(n_v),
    )  # fmt: skip


def layoff_counts(people, rows: slice, n_units: int):
    """:func:`sim.regimes.privatization.layoff_counts_numpy` in one compiled pass."""
    from sim.state import Status

    return _compiled().layoff_counts(
        people.status, people.unit, people.laid_off, rows.start, rows.stop, int(n_units),
        int(Status.XIAGANG), int(Status.UNEMPLOYED), int(Status.EMPLOYED), int(Status.RETIRED),
    )  # fmt: skip


def layoff_terms(people, rows: slice, fear: float, burden: np.ndarray):
    """:func:`sim.regimes.privatization.layoff_terms_numpy` in one compiled pass."""
    from sim.state import Status

    return _compiled().layoff_terms(
        people.status, people.unit, rows.start, rows.stop, float(fear),
        np.asarray(burden, dtype=np.float64), int(Status.EMPLOYED), int(Status.RETIRED),
    )  # fmt: skip


def self_managed_wages(people, run):
    """:func:`sim.regimes.cooperatives.self_managed_wages_numpy` in one compiled pass."""
    from sim.state import Status

    return _compiled().self_managed_wages(
        people.unit, people.status, people.wage, run, int(Status.EMPLOYED)
    )


def self_managed_pay(people, emp, target, rate, self_pay):
    """:func:`sim.regimes.cooperatives.self_pay_numpy` in one compiled pass (in place)."""
    p = people
    _compiled().self_managed_pay(
        p.unit, emp, p.wage, p.relief, p.arrears, np.asarray(target, dtype=np.float64),
        float(rate), p.arrears.dtype.type(self_pay),
    )  # fmt: skip


def lethal_fear_term(village, locality, first: int, n_v: int, idx, fear: float):
    """:func:`sim.regimes.rural_taxes.lethal_fear_numpy` in one compiled pass."""
    return _compiled().lethal_fear_term(
        village, locality, int(first), int(n_v), np.asarray(idx, dtype=np.float64), float(fear)
    )


def displacement(vil, land, land0, rates, factor, killed, jail, tax_push, repression_push, rate):
    """:func:`sim.regimes.rural_taxes.displacement_numpy` in one compiled pass."""
    return _compiled().displacement_block(
        vil, land, land0, rates, float(factor), np.asarray(killed, dtype=np.float64), jail,
        float(tax_push), float(repression_push), float(rate),
    )  # fmt: skip


def residency_counts(model):
    """:func:`sim.regimes.residency.counts_numpy` in one compiled pass."""
    from sim.state import Kind, Status

    p, ms = model.people, model.people.rows(Kind.MIGRANT)
    return _compiled().residency_counts(
        p.status, p.unit, p.active, model.locality, ms.start, ms.stop, int(model.units.n),
        int(model.n_localities), int(Status.EMPLOYED),
    )  # fmt: skip


def residency_terms(model, unit_share, city_share, weight, division, tenure_weight, months):
    """:func:`sim.regimes.residency.terms_numpy` in one compiled pass."""
    from sim.state import Kind, Status

    p = model.people
    ws, ms = p.rows(Kind.WORKER), p.rows(Kind.MIGRANT)
    return _compiled().residency_terms(
        p.status, p.unit, model.locality, p.tenure, ws.start, ws.stop, ms.start, ms.stop,
        np.asarray(unit_share, dtype=np.float64), float(city_share), weight * 0.5,
        np.asarray(division, dtype=np.float64), float(tenure_weight), int(months),
        int(Status.XIAGANG), int(Status.UNEMPLOYED),
    )  # fmt: skip
