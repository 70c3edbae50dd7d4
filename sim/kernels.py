"""Compiled (numba) loops for the city model where numpy cannot fuse the work.

Each kernel has a plain numpy reference beside it (the ``*_reference`` function, the
expression the model used before) and ``tests/test_reference.py`` checks with hypothesis
that both give the same result, bit for bit. Nothing here draws random numbers.

The loops themselves are in :mod:`sim.kernels_compiled`, imported (with numba) on first
use, not at import time, so ``cadresim validate`` and ``--help`` stay fast
(``tests/test_cli_ux.py``); their machine code is cached on disk (``cache=True``), so a
new process loads it instead of compiling it again.
"""

from __future__ import annotations

import sys

import numpy as np

#: Below this many rows a model uses the numpy references unless numba is loaded already:
#: importing numba and loading the cached kernels costs about 0.4 s of CPU once per
#: process, more than the kernels save over a whole run of a small model (240 months at
#: 10^3 agents take about 1.3 s); a sweep or calibration worker pays it once for many runs.
KERNEL_MIN_ROWS = 20_000


def wanted(n_rows: int, compiled: bool | None = None) -> bool:
    """Whether to run a compiled kernel for ``n_rows`` rows: ``compiled`` if given, else
    for large models or once numba is imported. Both paths give the same values."""
    if compiled is not None:
        return compiled
    return n_rows >= KERNEL_MIN_ROWS or "numba" in sys.modules


def _compiled():
    from sim import kernels_compiled  # imports numba: only when a kernel runs

    return kernels_compiled


def sorted_nonnegative_reference(x: np.ndarray) -> np.ndarray:
    """``np.sort(np.clip(x, 0, None))`` as float64: what the Gini coefficient sorts."""
    return np.sort(np.clip(x, 0.0, None)).astype(np.float64)


def sorted_nonnegative(x: np.ndarray, compiled: bool | None = None) -> np.ndarray:
    """Sorted ``clip(x, 0)`` as float64, equal element for element to
    :func:`sorted_nonnegative_reference`.

    For float32 (the income column) a radix sort on the bit patterns, which order as the
    values do for non-negative floats (NaN, as in ``np.sort``, last); other dtypes use the
    reference. Equal values are interchangeable in a sorted array, so any correct sort
    gives the same array (up to the sign of zeros, which sort as one value).
    """
    return sorted_with_cumsum(x, compiled)[0]


def sorted_with_cumsum(x: np.ndarray, compiled: bool | None = None):
    """``(s, np.cumsum(s))`` for ``s`` = :func:`sorted_nonnegative` ``(x)``."""
    x = np.asarray(x)
    if x.dtype != np.float32 or x.ndim != 1 or x.size < 64 or not wanted(x.size, compiled):
        s = sorted_nonnegative_reference(x)
        return s, np.cumsum(s)
    keys = np.clip(x, 0.0, None).view(np.uint32)
    return _compiled().sorted_and_cumsum(keys)


def pay(model) -> None:
    """``sim.submodels.economy.pay_numpy`` as one compiled pass (same draws, same values)."""
    from sim.state import Kind

    p, prm, lv, rng = model.people, model.params, model.levers, model.rng
    # The reference draws these two in this order; nothing else draws in between. The
    # kernel reads the first for the employed only, the second for those who owed
    # arrears before this month (and were paid now), so only their spans are generated
    # (sim/draws.py: the same numbers there, the same stream after).
    from sim.draws import uniform_where
    from sim.state import Status

    employed = p.status == Status.EMPLOYED
    u_unpaid = uniform_where(rng, employed)
    u_repaid = uniform_where(rng, p.arrears > 0)
    b = p.blocks
    blocks = (
        b[Kind.CADRE].start,
        b[Kind.CADRE].stop,
        b[Kind.TECHNICIAN].start,
        b[Kind.WORKER].stop,
        b[Kind.MIGRANT].start,
        b[Kind.MIGRANT].stop,
        b[Kind.PEASANT].start,
        b[Kind.PEASANT].stop,
    )
    f32 = np.float32
    priv = model.unit_privilege
    if priv.size == 0:  # no units: a dummy the kernel never reads
        priv = np.zeros(1, dtype=np.float32)
    distress = model.unit_distress if model.unit_distress.size else np.zeros(1)
    _compiled().pay_rows(
        p.status,
        p.unit,
        p.residency,
        p.village,
        p.wage,
        p.pension,
        p.corruption,
        p.land,
        p.tax_burden,
        p.arrears,
        p.relief,
        p.health,
        p.tenure,
        p.income,
        p.remittance,
        distress,
        priv,
        u_unpaid,
        u_repaid,
        blocks,
        model.villages.n,
        float(lv.migrant_arrears_rate * (1.0 - lv.migrant_rights)),
        float(prm.stipend),
        float(prm.informal_income),
        priv.dtype.type(prm.cadre_wage),
        f32(prm.farm_income),
        f32(lv.grain_price),
        float(ARREARS_REPAY_RATE),
        float(REMITTANCE_SHARE),
        f32(RELIEF_SPEND_SHARE),
        f32(prm.health_recovery),
    )


def hardship(model, memory: float) -> None:
    """``sim.submodels.hardship.update_numpy`` as one compiled pass (same values)."""
    from sim.submodels.hardship import STATUS_LOSS
    from sim.submodels.hardship import weights as component_weights

    p, prm, f32 = model.people, model.params, np.float32
    weights = np.array(component_weights(prm), dtype=np.float32)
    _compiled().hardship_rows(
        p.kind,
        p.land,
        p.income,
        p.status,
        STATUS_LOSS,
        p.arrears,
        p.health,
        p.hardship_base,
        model.terms.total("hardship"),
        model.local_legitimacy,
        model.locality,
        p.grievance,
        p.hardship,
        weights,
        f32(prm.subsistence_income),
        f32(memory),
        float(memory),
    )


def unit_staff_reference(status: np.ndarray, unit: np.ndarray, n_units: int) -> np.ndarray:
    """Employed people per unit (float64): the bincount of the employed rows' units."""
    from sim.state import Status

    on = (status == Status.EMPLOYED) & (unit >= 0)
    return np.bincount(unit[on], minlength=n_units).astype(np.float64)


def unit_staff(
    status: np.ndarray, unit: np.ndarray, n_units: int, compiled: bool | None = None
) -> np.ndarray:
    """:func:`unit_staff_reference` in one pass (compiled), the same counts."""
    if not wanted(status.size, compiled):
        return unit_staff_reference(status, unit, n_units)
    return _compiled().unit_staff(status, unit, n_units)


def tie_count_reference(ties, mark: np.ndarray) -> np.ndarray:
    """Per row of the CSR matrix ``ties``, the weight of its ties to ``mark``ed rows: the
    sparse product with the 0/1 vector, in the ties' dtype."""
    return np.asarray(ties @ mark.astype(ties.dtype)).ravel()


def tie_count(ties, mark: np.ndarray, compiled: bool | None = None) -> np.ndarray:
    """:func:`tie_count_reference`, compiled: one pass over the ties reading ``mark`` (no
    cast of it), the same sums in the same order (finite weights)."""
    if not wanted(mark.size, compiled) or ties.nnz == 0:
        return tie_count_reference(ties, mark)
    out = np.zeros(ties.shape[0], dtype=ties.dtype)
    rows = np.flatnonzero(mark)
    if 8 * rows.size < mark.size and symmetric(ties):
        # few marks: read only their rows (row i's ties to them are their ties to i)
        return _compiled().tie_count_symmetric(ties.indptr, ties.indices, ties.data, rows, out)
    return _compiled().tie_count_of(ties.indptr, ties.indices, ties.data, mark, out)


def tie_count_wide_reference(ties, start: int, stop: int, mark: np.ndarray) -> np.ndarray:
    """For rows ``start:stop`` of the CSR matrix ``ties``, the weight of their ties to
    ``mark``ed rows as float64: the block's sparse product with the 0/1 vector as float64
    (scipy widens the weights)."""
    from sim.grouping import row_block

    return np.asarray(row_block(ties, start, stop) @ mark.astype(np.float64)).ravel()


def tie_count_wide(
    ties, start: int, stop: int, mark: np.ndarray, compiled: bool | None = None
) -> np.ndarray:
    """:func:`tie_count_wide_reference`; with symmetric ties and few marks (compiled) read
    only the marked rows' ties (row i's ties to them are their ties to i), each weight
    widened to float64 and added in the order of row i's sorted entries, as scipy's
    product adds them (a weight times 0 adds +0.0, which changes no sum that starts at
    +0.0). Otherwise scipy's product, which is faster than a pass reading every mark."""
    rows = np.flatnonzero(mark) if wanted(mark.size, compiled) else None
    if rows is None or ties.nnz == 0 or 8 * rows.size >= mark.size or not symmetric(ties):
        return tie_count_wide_reference(ties, start, stop, mark)
    out = np.zeros(ties.shape[0], dtype=np.float64)
    out = _compiled().tie_count_symmetric(ties.indptr, ties.indices, ties.data, rows, out)
    return out[start:stop]


def row_sums_reference(ties, start: int, stop: int) -> np.ndarray:
    """Rows ``start:stop`` of the CSR matrix ``ties`` summed, as scipy sums them
    (``sum(axis=1)``: np.add.reduceat over each row's stored values, in their dtype)."""
    from sim.grouping import row_block

    return np.asarray(row_block(ties, start, stop).sum(axis=1)).ravel()


def row_sums(ties, start: int, stop: int, compiled: bool | None = None) -> np.ndarray:
    """:func:`row_sums_reference` in one compiled pass: numpy's pairwise summation of each
    row (``sim.kernels_compiled.pairwise_sum``), bit for bit, without reduceat's cost per
    row (a tenth of the time for rows of a few ties)."""
    if not wanted(ties.shape[0], compiled) or ties.dtype not in (np.float32, np.float64):
        return row_sums_reference(ties, start, stop)
    return _compiled().row_sums(ties.indptr, ties.data, int(start), int(stop))


def symmetric(ties) -> bool:
    """Whether the CSR matrix is square, canonical (sorted, no duplicates) and equal to its
    transpose, value for value; checked once per matrix (the model's ties never change)."""
    known = getattr(ties, "_cadresim_symmetric", None)
    if known is None or known[0] != ties.nnz:
        ok = (
            ties.shape[0] == ties.shape[1]
            and ties.has_canonical_format
            and (ties != ties.T).nnz == 0
        )
        known = (ties.nnz, bool(ok))
        ties._cadresim_symmetric = known
    return known[1]


def locality(unit: np.ndarray, village: np.ndarray, n_units: int, n_villages: int) -> np.ndarray:
    """``sim.population.locality_of_numpy`` in one compiled pass (int64, the same values)."""
    return _compiled().locality_rows(unit, village, n_units, n_villages)


#: the constants of ``sim.submodels.economy`` (repeated: this module imports no submodel)
ARREARS_REPAY_RATE = 0.05
REMITTANCE_SHARE = 0.3
RELIEF_SPEND_SHARE = 1.0 / 3.0


def tie_faction_majority(ties, faction: np.ndarray, rows: np.ndarray, n_f: int) -> np.ndarray:
    """``sim.submodels.careers.tie_faction_majority_numpy`` for ``n_f ≥ 1`` factions, compiled."""
    return _compiled().tie_majority(
        ties.indptr, ties.indices, ties.data, faction, np.asarray(rows, dtype=np.int64), n_f
    )


#: Margin around a binomial quantile's decisive sums within which the compiled turnout
#: asks scipy (the sums' rounding errors are below 1e-12; see ``binom_ppf_checked``).
QUANTILE_BAND = 1e-9


def protest_decide(p, prm, view, u_agent):
    """``sim.submodels.protest.decide_numpy`` in two compiled passes and numpy's ``exp``
    between them (numba's ``exp`` may differ from numpy's in the last bit): the same
    turnout (float32) and tension, bit for bit. The binomial quantiles are summed in the
    pass; the rare one that lies too near a decisive sum is taken from scipy, as the
    reference takes every one."""
    from sim.state import Status
    from sim.submodels import protest
    from sim.submodels.hardship import STATUS_LOSS

    k = _compiled()
    ratio = k.arrest_ratio(
        view.loc,
        view.seen_quiet,
        view.act_rows,
        view.seen_active,
        view.ties_active,
        float(view.network_weight),
        view.enforcers,
    )
    p_arrest = arrest_probability_of(ratio, prm)
    ppa = float(prm.people_per_agent)
    u_rank, u_frac = turnout_uniforms(u_agent)
    turnout, grieved, fb_rows, fb_share, fb_others, fb_own = k.protest_decide_rows(
        p.kind,
        p.status,
        p.jail,
        p.detained,
        p.grievance,
        p.risk_aversion,
        p.fear,
        np.asarray(view.fear_terms, dtype=np.float64),
        p.threshold,
        p.activism,
        view.loc,
        p_arrest,
        view.led_loc,
        view.fix,
        view.led_fix,
        protest._CLAIM_FLAT,
        len(Status),
        protest.N_CLAIMS,
        view.linked,
        np.asarray(view.threshold_terms, dtype=np.float64),
        STATUS_LOSS,
        np.float32(prm.nothing_to_lose),
        np.float32(view.commitment),
        ppa,
        u_rank,
        u_frac,
        QUANTILE_BAND,
    )
    return finish_turnout(turnout, grieved, fb_rows, fb_share, fb_others, fb_own, ppa, u_agent)


def arrest_probability_of(ratio: np.ndarray, prm) -> np.ndarray:
    """``protest.arrest_probability`` on ratios already formed, in place:
    ``1 − exp(−k·d(C/A))`` with ``d`` the scenario's discretization."""
    if prm.discretization == "floor":
        np.floor(ratio, out=ratio)
    elif prm.discretization == "round":
        np.round(ratio, out=ratio)
    p_arrest = np.exp(np.multiply(-prm.arrest_k, ratio, out=ratio), out=ratio)
    return np.subtract(1.0, p_arrest, out=p_arrest)


def turnout_uniforms(u_agent: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The agents' rank and fractional-person uniforms a compiled decision reads (a
    one-element stand-in at one person per agent, where it reads none)."""
    from sim.submodels.protest import U_FRAC, U_RANK

    if u_agent is None:
        dummy = np.zeros(1)
        return dummy, dummy
    return u_agent[U_RANK], u_agent[U_FRAC]


def finish_turnout(turnout, grieved, fb_rows, fb_share, fb_others, fb_own, ppa, u_agent):
    """The end of a compiled decision: the rows whose binomial quantile fell outside the
    kernel's band get ``protest.represented_turnout``; returns the turnout and the
    tension (the quiet share of the grieved, in agents' worth)."""
    from sim.submodels import protest

    if fb_rows.size:
        u = u_agent[protest.U_RANK : protest.U_FRAC + 1, fb_rows]
        turnout[fb_rows] = protest.represented_turnout(fb_own, fb_share, ppa, u, fb_others)
    return turnout, float(np.sum(1.0 - turnout[grieved], dtype=np.float64))


def tie_weights(ties, rows, n: int, share=None, draw=None) -> np.ndarray:
    """``sim.submodels.protest.tie_counts`` compiled: the same sums in the same order."""
    rows = np.asarray(rows, dtype=np.int64)
    mode = 0 if share is None else (1 if draw is None else 2)
    none = np.zeros(0)
    share = none if share is None else np.asarray(share, dtype=np.float64)
    draw = none if draw is None else np.asarray(draw, dtype=np.float64)
    return _compiled().tie_weights(ties.indptr, ties.indices, ties.data, rows, share, draw, mode, n)


def claim_people(kind, status, loc, n_loc: int) -> np.ndarray:
    """``sim.submodels.protest.claim_people``'s bincount in one compiled pass."""
    from sim.state import Status
    from sim.submodels import protest

    return _compiled().claim_people(
        kind, status, loc, protest._CLAIM_FLAT, len(Status), n_loc, protest.N_CLAIMS
    )
