"""Compiled (numba) loops for the city model where numpy cannot fuse the work.

Each kernel has a plain numpy reference beside it (the ``*_reference`` function, the
expression the model used before) and ``tests/test_reference.py`` checks with hypothesis
that both give the same result, bit for bit. Nothing here draws random numbers.

numba is imported on first use, not at import time, so ``cadresim validate`` and
``--help`` stay fast (``tests/test_cli_ux.py``); the compiled code is cached on disk
(``cache=True``), so a new process loads it instead of compiling it again.
"""

from __future__ import annotations

import sys
from functools import cache

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


#: float32 −0.0 seen as an unsigned integer; it sorts as +0.0 (they compare equal)
_NEG_ZERO = np.uint32(0x80000000)


def sorted_nonnegative_reference(x: np.ndarray) -> np.ndarray:
    """``np.sort(np.clip(x, 0, None))`` as float64: what the Gini coefficient sorts."""
    return np.sort(np.clip(x, 0.0, None)).astype(np.float64)


@cache
def _radix_kernel():
    from numba import njit

    @njit(cache=True)
    def radix_sort_u32(keys):  # pragma: no cover - compiled
        # LSD radix sort in three passes of 11 bits (histograms of all three digits in one
        # pass); a digit that is the same for every key leaves the order as it is.
        n = keys.size
        a = keys.copy()
        count = np.zeros((3, 2049), dtype=np.int64)
        for i in range(n):
            k = a[i]
            if k == 0x80000000:  # -0.0 sorts as +0.0
                k = 0
                a[i] = 0
            count[0, (k & 0x7FF) + 1] += 1
            count[1, ((k >> 11) & 0x7FF) + 1] += 1
            count[2, (k >> 22) + 1] += 1
        b = np.empty_like(a)
        for p in range(3):
            c = count[p]
            if c.max() == n:
                continue
            for d in range(2048):
                c[d + 1] += c[d]
            shift = 11 * p
            for i in range(n):
                d = (a[i] >> shift) & 0x7FF
                b[c[d]] = a[i]
                c[d] += 1
            a, b = b, a
        return a

    @njit(cache=True)
    def sorted_and_cumsum(keys):  # pragma: no cover - compiled
        # The sorted values widened to float64 and their running sum, added in order as
        # np.cumsum (np.add.accumulate) does.
        x = radix_sort_u32(keys).view(np.float32)
        out = np.empty(x.size)
        cum = np.empty(x.size)
        run = 0.0
        for i in range(x.size):
            v = np.float64(x[i])
            out[i] = v
            run = v if i == 0 else run + v
            cum[i] = run
        return out, cum

    return radix_sort_u32, sorted_and_cumsum


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
    return _radix_kernel()[1](keys)


@cache
def _pay_kernel():
    from numba import njit

    @njit(cache=True)
    def pay_rows(  # pragma: no cover - compiled
        status,
        unit,
        residency,
        village,
        wage,
        pension,
        corruption,
        land,
        tax_burden,
        arrears,
        relief,
        health,
        tenure,
        income_out,
        remittance,
        unit_distress,
        unit_privilege,
        u_unpaid,
        u_repaid,
        blocks,
        n_villages,
        migrant_hazard,
        stipend,
        informal,
        cadre_wage,
        farm_income,
        grain_price,
        repay_rate,
        remit_share,
        spend_share,
        health_recovery,
    ):
        # One pass per person for what ``economy.pay_numpy`` does in some forty array
        # operations. Each expression keeps the reference's dtypes: float32 columns with
        # float32 constants (numpy's weak Python scalars), float64 income and hazards.
        c0, c1, u0, u1, m0, m1, p0, p1 = blocks
        n = status.size
        income = np.zeros(n)
        one32, two32, zero32 = np.float32(1.0), np.float32(2.0), np.float32(0.0)
        pool = np.zeros(max(n_villages, 1))
        for i in range(n):
            st = status[i]
            employed = st == 1
            migrant = i >= m0 and i < m1 and residency[i] != 1
            u = unit[i]
            ui = u if u > 0 else 0
            distress = unit_distress[ui] * (1.0 if u >= 0 else 0.0)
            h = 0.1 * distress + (migrant_hazard if migrant else 0.0)
            if h < 0.0:
                h = 0.0
            elif h > 1.0:
                h = 1.0
            unpaid = employed and u_unpaid[i] < h
            if unpaid:
                arrears[i] = arrears[i] + one32
            if arrears[i] > 0 and not unpaid and u_repaid[i] < repay_rate:
                arrears[i] = zero32
            inc = 0.0
            if employed and not unpaid:
                inc = np.float64(wage[i])
            elif st == 2:
                inc = stipend
            elif st == 3:
                inc = np.float64(pension[i])
            elif st == 4:
                inc = informal
            elif st == 0 and i >= u0 and i < u1:
                inc = informal
            if i >= c0 and i < c1:
                priv = unit_privilege[ui] if u >= 0 else zero32
                inc = np.float64(cadre_wage * (one32 + two32 * priv) + corruption[i] * priv)
            peasant = i >= p0 and i < p1
            if peasant or (migrant and st == 0):
                t = tax_burden[i]
                if t < zero32:
                    t = zero32
                elif t > one32:
                    t = one32
                inc = np.float64(farm_income * land[i] * grain_price * (one32 - t))
            r = 0.0
            if migrant:
                r = remit_share * inc
                inc = inc - r
                if n_villages > 0:
                    v = village[i]
                    pool[v if v > 0 else 0] += r
            remittance[i] = np.float32(r)
            income[i] = inc
            if employed:
                tenure[i] += 1
            else:
                hh = health[i] + health_recovery
                health[i] = one32 if hh > one32 else hh  # (NaN stays, as np.minimum)
        if n_villages > 0:
            households = np.zeros(n_villages, dtype=np.int64)
            for i in range(p0, p1):
                v = village[i]
                households[v if v > 0 else 0] += 1
            for i in range(p0, p1):
                v = village[i]
                v = v if v > 0 else 0
                income[i] = income[i] + pool[v] / max(households[v], 1)
        for i in range(n):
            spend = relief[i] * spend_share
            relief[i] = relief[i] - spend
            income_out[i] = np.float32(income[i] + np.float64(spend))

    return pay_rows


def pay(model) -> None:
    """``sim.submodels.economy.pay_numpy`` as one compiled pass (same draws, same values)."""
    from sim.state import Kind

    p, prm, lv, rng = model.people, model.params, model.levers, model.rng
    n = p.n
    # The reference draws these two in this order; nothing else draws in between.
    u_unpaid = rng.random(n)
    u_repaid = rng.random(n)
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
    _pay_kernel()(
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


#: the constants of ``sim.submodels.economy`` (repeated: this module imports no submodel)
ARREARS_REPAY_RATE = 0.05
REMITTANCE_SHARE = 0.3
RELIEF_SPEND_SHARE = 1.0 / 3.0


@cache
def _tie_majority_kernel():
    from numba import njit

    @njit(cache=True)
    def tie_majority(indptr, indices, data, faction, rows, n_f):  # pragma: no cover
        # Per row: weights of its ties by their faction, summed in stored order (as
        # np.bincount does), then the first faction with the largest weight, if > 0.
        out = np.empty(rows.size, dtype=np.int16)
        counts = np.zeros(n_f)
        for k in range(rows.size):
            r = rows[k]
            counts[:] = 0.0
            for e in range(indptr[r], indptr[r + 1]):
                f = faction[indices[e]]
                if f >= 0:
                    counts[f] += data[e]
            best = 0
            for f in range(1, n_f):
                if counts[f] > counts[best]:
                    best = f
            out[k] = best if counts[best] > 0 else -1
        return out

    return tie_majority


def tie_faction_majority(ties, faction: np.ndarray, rows: np.ndarray, n_f: int) -> np.ndarray:
    """``sim.submodels.careers.tie_faction_majority_numpy`` for ``n_f ≥ 1`` factions, compiled."""
    return _tie_majority_kernel()(
        ties.indptr, ties.indices, ties.data, faction, np.asarray(rows, dtype=np.int64), n_f
    )
