"""The numba-compiled loops behind :mod:`sim.kernels` (imported only when one runs).

Module-level functions, so ``cache=True`` stores their machine code next to this file
and a new process loads it instead of compiling again. Read :mod:`sim.kernels` for what
each one computes and for its numpy reference.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def radix_sort_u32(keys):
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
def sorted_and_cumsum(keys):
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


@njit(cache=True)
def pay_rows(
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


@njit(cache=True)
def tie_majority(indptr, indices, data, faction, rows, n_f):
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


@njit(cache=True)
def unit_staff(status, unit, n_units):
    # Employed people (status 1) per unit, as np.bincount of the employed rows' units.
    out = np.zeros(n_units)
    for i in range(status.size):
        u = unit[i]
        if status[i] == 1 and u >= 0:
            out[u] += 1.0
    return out


@njit(cache=True)
def hardship_rows(
    kind,
    land,
    income,
    status,
    status_loss,
    arrears,
    health,
    base,
    terms,
    local_legitimacy,
    locality,
    grievance,
    hardship_out,
    w,
    subsistence,
    memory32,
    memory,
):
    # ``hardship.update_numpy`` in one pass: the material terms in float32 (numpy's weak
    # Python scalars become float32 constants, passed in as such), summed onto the
    # float64 regime terms left to right, clipped as np.clip does (x < lo → lo, x > hi →
    # hi, otherwise x: -0.0 and NaN pass); grievance in float64 from the unrounded H.
    one, zero, six = np.float32(1.0), np.float32(0.0), np.float32(6.0)
    w_base, w_income, w_status, w_arrears, w_land, w_health = w[0], w[1], w[2], w[3], w[4], w[5]
    for i in range(kind.size):
        dep = one - income[i] / subsistence
        if dep < zero:
            dep = zero
        elif dep > one:
            dep = one
        arr = arrears[i] / six
        if not arr <= one:  # np.minimum: the smaller, NaN propagated
            arr = one if arr > one else arr
        lost = zero
        if kind[i] == 4:
            lost = one - land[i]
            if lost < zero:
                lost = zero
            elif lost > one:
                lost = one
        h = terms[i] + np.float64(w_base * base[i])
        h = h + np.float64(w_income * dep)
        h = h + np.float64(w_status * status_loss[status[i]])
        h = h + np.float64(w_arrears * arr)
        h = h + np.float64(w_land * lost)
        h = h + np.float64(w_health * (one - health[i]))
        if h < 0.0:
            h = 0.0
        elif h > 1.0:
            h = 1.0
        hardship_out[i] = np.float32(h)
        g = np.float64(memory32 * grievance[i]) + (1.0 - memory) * h * (
            1.0 - local_legitimacy[locality[i]]
        )
        grievance[i] = np.float32(g)


@njit(cache=True)
def tie_count_of(indptr, indices, data, mark, out):
    # out[i] = Σ_j data[i, j] · mark[j], summed in stored order in out's dtype, as scipy's
    # csr_matvec does with a 0/1 vector: a term w·0 adds nothing (x + 0 = x), w·1 = w.
    for i in range(indptr.size - 1):
        s = out[i]
        for e in range(indptr[i], indptr[i + 1]):
            if mark[indices[e]]:
                s += data[e]
        out[i] = s
    return out


@njit(cache=True)
def locality_rows(unit, village, n_units, n_villages):
    # Each person's locality: unit, else n_units + village, else the city (the last).
    out = np.empty(unit.size, dtype=np.int64)
    for i in range(unit.size):
        if unit[i] >= 0:
            out[i] = unit[i]
        elif village[i] >= 0:
            out[i] = n_units + village[i]
        else:
            out[i] = n_units + n_villages
    return out


@njit(cache=True)
def tie_count_symmetric(indptr, indices, data, rows, out):
    # For a symmetric matrix with sorted indices: the marked rows' entries, added to their
    # columns in the order of the marked rows — for each column i, the order of row i's
    # own sorted entries, which tie_count_of sums.
    for k in range(rows.size):
        j = rows[k]
        for e in range(indptr[j], indptr[j + 1]):
            out[indices[e]] += data[e]
    return out
