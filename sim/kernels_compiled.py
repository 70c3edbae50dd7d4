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


@njit(cache=True)
def tie_weights(indptr, indices, data, rows, share, draw, mode, n):
    # protest.tie_counts: per person, the weights of their ties to ``rows``, added in the
    # order np.bincount adds them (the rows in order, each row's ties as stored), each
    # weight as the reference forms it: the tie's float32 weight widened (mode 0), times
    # the row's share in float64 (mode 1), or kept iff the drawn person at its end is
    # among the share, as float32 · bool (mode 2).
    out = np.zeros(n)
    zero32 = np.float32(0.0)
    for k in range(rows.size):
        r = rows[k]
        for e in range(indptr[r], indptr[r + 1]):
            w = data[e]
            if mode == 0:
                x = np.float64(w)
            elif mode == 1:
                x = np.float64(w) * share[k]
            elif draw[k] < share[k]:
                x = np.float64(w)
            else:
                x = np.float64(w * zero32)
            out[indices[e]] += x
    return out


@njit(cache=True)
def claim_people(kind, status, loc, claim_flat, n_status, n_loc, n_claims):
    # protest.claim_people: people per (locality, claim), as the bincount of the keys.
    counts = np.zeros(n_loc * n_claims, dtype=np.int64)
    for i in range(kind.size):
        counts[loc[i] * n_claims + claim_flat[kind[i] * n_status + status[i]]] += 1
    return counts.astype(np.float64)


@njit(cache=True)
def arrest_ratio(loc, seen_quiet, act_rows, seen_active, ties_active, w_net, enforcers):
    # protest.decide_numpy up to Epstein's C/A: actives in view (the locality's for a
    # quiet person, its own count for an active row; ``act_rows`` sorted) plus weighted
    # active ties, then enforcers / max(actives, 1), in the reference's order of operations.
    n = loc.size
    out = np.empty(n)
    a, na = 0, act_rows.size
    for i in range(n):
        lc = loc[i]
        if a < na and act_rows[a] == i:
            seen = seen_active[a]
            a += 1
        else:
            seen = seen_quiet[lc]
        actives = (1.0 + seen) + w_net * ties_active[i]
        if actives < 1.0:  # np.maximum(actives, 1.0): NaN stays
            actives = 1.0
        out[i] = enforcers[lc] / actives
    if a != na:
        raise ValueError("act_rows must be sorted and within the people")
    return out


@njit(cache=True)
def binom_ppf_checked(u, n, q, band):
    # scipy.stats.binom.ppf(u, n, q) for 0 < u < 1, integral 0 ≤ n, 0 < q ≤ 1: the smallest
    # k with P(K ≤ k) ≥ u, by summing the pmf upwards. The answer is decided by two
    # comparisons, P(K ≤ k − 1) < u ≤ P(K ≤ k); when either sum lies within ``band`` of
    # u (far above the rounding error of both this sum and scipy's), or the pmf
    # underflows, the second value is False and the caller asks scipy instead, so the
    # result is scipy's in every case (tests/test_reference.py).
    if not (u > 0.0 and u < 1.0 and q > 0.0 and q <= 1.0 and n >= 0.0 and n <= 1e5):
        return np.nan, False
    if n != np.floor(n):
        return np.nan, False
    if q == 1.0:
        return n, True
    pmf = np.exp(n * np.log1p(-q))
    if pmf < 1e-280:
        return np.nan, False
    odds = q / (1.0 - q)
    cdf, prev, k, m = pmf, 0.0, 0, int(n)
    while cdf < u and k < m:
        pmf = pmf * ((n - k) / (k + 1.0)) * odds
        prev = cdf
        cdf += pmf
        k += 1
    if cdf < u + band or (k > 0 and prev > u - band):
        return np.nan, False
    return np.float64(k), True


@njit(cache=True)
def protest_decide_rows(
    kind,
    status,
    jail,
    detained,
    grievance,
    risk_aversion,
    fear,
    fear_terms,
    base_threshold,
    activism,
    loc,
    p_arrest,
    led_loc,
    fix,
    led_fix,
    claim_flat,
    n_status,
    n_claims,
    linked,
    threshold_terms,
    status_loss,
    ntl32,
    commit32,
    ppa,
    u_rank,
    u_frac,
    band,
):
    # protest.decide_numpy after the arrest probability, one pass per person: threshold,
    # net risk, own decision, the others' active share and the binomial turnout (cand
    # rows only), each expression in the reference's dtypes (float32 columns with float32
    # constants, float64 terms) and order. Rows whose binomial quantile needs scipy are
    # returned with their share, free others and own decision (turnout left 0).
    n = kind.size
    one32 = np.float32(1.0)
    turnout = np.zeros(n, dtype=np.float32)
    grieved = np.empty(n, dtype=np.int64)
    fb_rows = np.empty(n, dtype=np.int64)
    fb_share = np.empty(n)
    fb_others = np.empty(n)
    fb_own = np.empty(n, dtype=np.bool_)
    ng, nfb, f, nfix = 0, 0, 0, fix.size
    many = ppa > 1.0
    for i in range(n):
        lc = loc[i]
        if f < nfix and fix[f] == i:
            led = led_fix[f]
            f += 1
        else:
            led = led_loc[lc]
        key = lc * n_claims + claim_flat[kind[i] * n_status + status[i]]
        t32 = base_threshold[i] * (one32 - commit32 * activism[i]) * (one32 - led) - linked[key]
        thr = np.float64(t32) + threshold_terms[i]
        if thr < 0.0:  # np.maximum(x, 0.0): NaN stays
            thr = 0.0
        a32 = one32 - ntl32 * status_loss[status[i]]
        risk = np.float64(risk_aversion[i] * a32 + fear[i]) + fear_terms[i]
        if risk < 0.0:
            risk = 0.0
        elif risk > 1.0:
            risk = 1.0
        g = np.float64(grievance[i])
        pa = p_arrest[i]
        person = kind[i] != 0
        eligible = person and jail[i] == 0
        own = eligible and (g - risk * pa > thr)
        if eligible and g > thr:
            grieved[ng] = i
            ng += 1
        if not many:
            turnout[i] = one32 if own else np.float32(0.0)
            continue
        if not (person and g > thr):
            continue
        # others_active_share
        b = np.float64(fear[i]) + fear_terms[i]
        a = np.float64(a32)
        margin = g - thr
        if pa > 0:
            r_star = margin / pa
        elif margin > 0:
            r_star = np.inf
        else:
            r_star = -np.inf
        if r_star > 1.0:
            s = 1.0
        elif r_star <= 0.0:
            s = 0.0
        elif a > 0:
            s = (r_star - b) / a
        else:
            s = 1.0 if b < r_star else 0.0
        if s != s:
            s = 0.0
        if s < 0.0:
            s = 0.0
        elif s > 1.0:
            s = 1.0
        # free_active_share
        jailed = jail[i] > 0
        held = 0.0
        if jailed:
            d = detained[i]
            held = np.float64(d) if d > 0 else 1.0
        free = 1.0 - held
        if free > 0:
            x = s - held
            if x < 0.0:
                x = 0.0
            s = x / free
        else:
            s = 0.0
        if s < 0.0:
            s = 0.0
        elif s > 1.0:
            s = 1.0
        others = ppa * (1.0 - held) if jailed else ppa - 1.0
        # represented_turnout
        out = 1.0 if own else 0.0
        if s > 0:
            m = others if others > 0.0 else 0.0
            m_int = np.floor(m + 1e-9)
            frac = m - m_int
            if frac < 0.0:
                frac = 0.0
            k, ok = binom_ppf_checked(u_rank[i], m_int, s, band)
            if not ok:
                fb_rows[nfb] = i
                fb_share[nfb] = s
                fb_others[nfb] = others
                fb_own[nfb] = own
                nfb += 1
                continue
            if k < 0.0:
                k = 0.0
            k = k + frac * (1.0 if u_frac[i] < s else 0.0)
            out += k
        v = out / ppa
        if v > 1.0:
            v = 1.0
        turnout[i] = np.float32(v)
    if f != nfix:
        raise ValueError("fix must be sorted and within the people")
    return turnout, grieved[:ng], fb_rows[:nfb], fb_share[:nfb], fb_others[:nfb], fb_own[:nfb]


@njit(cache=True)
def pairwise_sum(a, lo, n):
    # numpy's pairwise summation of a[lo : lo + n] in a's dtype (np.add.reduce's inner
    # loop): under 8 terms in order from −0.0; up to 128 in eight running sums combined
    # as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)), the rest added in order; above, the two
    # halves (the first a multiple of 8) summed so and added.
    if n < 8:
        res = a.dtype.type(-0.0)
        for i in range(n):
            res += a[lo + i]
        return res
    elif n <= 128:
        r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        i = 8
        last = n - (n % 8)
        while i < last:
            r0 += a[lo + i]
            r1 += a[lo + i + 1]
            r2 += a[lo + i + 2]
            r3 += a[lo + i + 3]
            r4 += a[lo + i + 4]
            r5 += a[lo + i + 5]
            r6 += a[lo + i + 6]
            r7 += a[lo + i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[lo + i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a, lo, n2) + pairwise_sum(a, lo + n2, n - n2)


@njit(cache=True)
def row_sums(indptr, data, start, stop):
    # Per row of a CSR matrix, np.add.reduceat's sum of its stored values (what scipy's
    # sum(axis=1) takes): the first value plus the pairwise sum of the others, in the
    # data's dtype; 0 for an empty row.
    out = np.zeros(stop - start, dtype=data.dtype)
    for r in range(start, stop):
        a, b = indptr[r], indptr[r + 1]
        if b > a:
            out[r - start] = data[a] + pairwise_sum(data, a + 1, b - a - 1)
    return out
