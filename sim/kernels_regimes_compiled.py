"""The numba-compiled loops behind :mod:`sim.kernels_regimes` (imported only when one runs).

Module-level functions, so ``cache=True`` stores their machine code next to this file.
Read :mod:`sim.kernels_regimes` for what each computes and for its numpy reference.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernels_compiled import pairwise_sum


@njit(cache=True)
def row_sums_short(indptr, data, start, stop):
    # ``sim.kernels_compiled.row_sums`` with the short rows (under 9 stored values, most
    # rows of the tie matrix) summed inline: the first value plus the others added in
    # order from -0.0, which is what numpy's pairwise summation does under 8 terms. The
    # recursive call per row cost more than the additions.
    out = np.zeros(stop - start, dtype=data.dtype)
    for r in range(start, stop):
        a, b = indptr[r], indptr[r + 1]
        if b - a > 8:
            out[r - start] = data[a] + pairwise_sum(data, a + 1, b - a - 1)
        elif b > a:
            res = data.dtype.type(-0.0)
            for i in range(a + 1, b):
                res += data[i]
            out[r - start] = data[a] + res
    return out


@njit(cache=True)
def _maximum(a, b):
    # np.maximum for one pair as numpy computes it: NaN propagates, a tie (−0.0 and
    # +0.0) returns the second
    return a if (a > b or a != a) else b


@njit(cache=True)
def _minimum(a, b):
    # np.minimum for one pair as numpy computes it: NaN propagates, a tie returns the
    # second
    return a if (a < b or a != a) else b


@njit(cache=True)
def _clip(x, lo, hi):
    # np.clip for one value as numpy computes it: NaN stays, a value equal to a bound
    # (−0.0 at 0.0) stays itself
    if x < lo:
        return lo
    if x > hi:
        return hi
    return x


@njit(cache=True)
def union_tension(unit, grievance, threshold, start, n_units):
    # Per unit over the members (rows from ``start`` with a unit), in row order: the sum
    # of max(grievance - threshold, 0) widened to float64 (np.bincount's order) and the
    # number of members.
    total = np.zeros(n_units)
    count = np.zeros(n_units, dtype=np.int64)
    zero = grievance.dtype.type(0.0)
    for i in range(start, unit.size):
        u = unit[i]
        if u >= 0:
            total[u] += np.float64(_maximum(grievance[i] - threshold[i], zero))
            count[u] += 1
    return total, count


@njit(cache=True)
def union_members(
    unit, activism, arrears, start, broken, any_broken, offset, holding, pledge, coopt
):
    # One pass over the members: activism raised by ``pledge`` (at most 1) where the
    # unit's agreement broke; the threshold shift (the unit's offset) on rows from
    # ``start``; the members of holding units more active than ``coopt``; the members
    # owed arrears (both lists in row order).
    n = unit.size
    shift = np.zeros(n - start)
    act = np.empty(n - start, dtype=np.int64)
    owed = np.empty(n - start, dtype=np.int64)
    k_act = 0
    k_owed = 0
    one = activism.dtype.type(1.0)
    for i in range(start, n):
        u = unit[i]
        if u < 0:
            continue
        if any_broken and broken[u]:
            activism[i] = _minimum(activism[i] + pledge, one)
        shift[i - start] = offset[u]
        if holding[u] and activism[i] > coopt:
            act[k_act] = i
            k_act += 1
        if arrears[i] > 0:
            owed[k_owed] = i
            k_owed += 1
    return shift, act[:k_act], owed[:k_owed]


@njit(cache=True)
def danwei_prepare(
    renewed,
    solved,
    enlisted,
    party,
    status,
    residency,
    kind,
    home,
    n_units,
    n_villages,
    employed,
    urban,
    migrant,
    cadre,
):
    # Renewed rows start unenlisted with nothing solved (in place); the rows of employed
    # party members not enlisted (the pool, in row order); the urban residents of units
    # and residential communities who are not cadres (a mask). Three branch-free loops
    # (they vectorize) rather than one with branches.
    n = renewed.size
    for i in range(n):
        if renewed[i]:
            solved[i] = 0.0
            enlisted[i] = False
    town_stop = n_units + n_villages
    residents = np.empty(n, dtype=np.bool_)
    for i in range(n):
        h, k = home[i], kind[i]
        residents[i] = (
            ((residency[i] == urban) | (k == migrant))
            & ((h < n_units) | (h >= town_stop))
            & (k != cadre)
        )
    in_pool = np.empty(n, dtype=np.bool_)
    for i in range(n):
        in_pool[i] = party[i] & (status[i] == employed) & ~enlisted[i]
    return np.flatnonzero(in_pool), residents


@njit(cache=True)
def danwei_solve(residents, u, share, solved, depth, c, base, home, n_loc, arrears):
    # Residents whose draw is under ``share`` have ``depth`` of their unsolved share
    # solved (in place); the hardship term c * solved * base for everyone; per home
    # locality the people, the residents and the residents' solved shares (summed in
    # row order, as np.bincount); the residents owed arrears (rows in order).
    n = residents.size
    term = np.empty(n)
    n_home = np.zeros(n_loc, dtype=np.int64)
    n_res = np.zeros(n_loc, dtype=np.int64)
    tot = np.zeros(n_loc)
    owed = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        h = home[i]
        n_home[h] += 1
        if residents[i]:
            if u[i] < share:
                s = solved[i]
                solved[i] = s + depth * (1.0 - s)
            tot[h] += solved[i]
            n_res[h] += 1
            if arrears[i] > 0:
                owed[k] = i
                k += 1
        term[i] = c * solved[i] * np.float64(base[i])
    return term, n_home, n_res, tot, owed[:k]


@njit(cache=True)
def grassroots_prepare(renewed, solved, kind, home, n_units, visited, cadre):
    # Renewed rows start with nothing solved (in place); the mask of non-cadres living
    # in a community (home past the units) that this month's visits reach.
    n = renewed.size
    for i in range(n):
        if renewed[i]:
            solved[i] = 0.0
    near = np.zeros(n, dtype=np.bool_)
    for i in range(n):
        h = home[i]
        if kind[i] != cadre and h >= n_units:
            near[i] = visited[h - n_units]
    return near


@njit(cache=True)
def grassroots_solve(near, u, chance, solved, depth, c, base, kind, home, n_units, n_comm, cadre):
    # The reached (near, draw under ``chance``) have ``depth`` of their unsolved share
    # solved (in place); the hardship term c * solved * base for everyone; per community
    # its resident non-cadres and their solved shares (summed in row order, as
    # np.bincount); the number reached.
    n = near.size
    term = np.empty(n)
    count = np.zeros(n_comm, dtype=np.int64)
    tot = np.zeros(n_comm)
    reached = 0
    for i in range(n):
        if near[i] and u[i] < chance:
            s = solved[i]
            solved[i] = s + depth * (1.0 - s)
            reached += 1
        h = home[i]
        if kind[i] != cadre and h >= n_units:
            count[h - n_units] += 1
            tot[h - n_units] += solved[i]
        term[i] = c * solved[i] * np.float64(base[i])
    return term, count, tot, reached


@njit(cache=True)
def coop_hazard(vil, seen, tie_w, degree, hardship, failed, coop, base_rate, support, diffusion):
    # Per peasant of the block: the coop presence they see, clip(seen[village] + their
    # coop ties' weight / max(degree, 1), 0, 1), and the join hazard from it, with the
    # dtypes of cooperatives.join_hazard (hardship × base_rate × (1 + support) in
    # float32, then float64); and who can join (not a member, their village's coop did
    # not fail this month).
    n = vil.size
    hz = np.empty(n)
    can = np.empty(n, dtype=np.bool_)
    one32 = degree.dtype.type(1.0)
    for i in range(n):
        d = _maximum(degree[i], one32)
        exposure = _clip(seen[vil[i]] + tie_w[i] / np.float64(d), 0.0, 1.0)
        h = hardship[i] * base_rate * support
        hz[i] = _clip(np.float64(h) * (1.0 + diffusion * exposure), 0.0, 1.0)
        can[i] = ~coop[i] & ~failed[vil[i]]
    return hz, can


@njit(cache=True)
def coop_join(u, hz, can, coop):
    # Those who can join and draw under their hazard join (``coop`` in place); the
    # numbers who joined and of members after.
    joins = 0
    members = 0
    for i in range(coop.size):
        if can[i] and u[i] < hz[i]:
            coop[i] = True
            joins += 1
        if coop[i]:
            members += 1
    return joins, members


@njit(cache=True)
def coop_pool(
    coop,
    collective,
    vil,
    land,
    base,
    activism,
    relief,
    farm_income,
    grain_price,
    premium,
    services,
    net_factor,
    solidarity,
    n_v,
):
    # Pooling for the members (cooperatives._villages' numpy, dtype for dtype): the
    # income premium on farm income (float32) outside collectives, collectives'
    # services (float64 on top), paid into ``relief`` as float32; the safety-net term
    # (float32 product, 0 for others, as float64); solidarity raises activism (at most
    # 1); the members per village (float64 sums, np.bincount's order).
    n = coop.size
    net = np.zeros(n)
    per_v = np.zeros(n_v)
    one = activism.dtype.type(1.0)
    for i in range(n):
        v = vil[i]
        gain = np.float32(0.0)
        if coop[i] and not collective[v]:
            farm = farm_income * land[i] * grain_price
            gain = premium * farm
        total = np.float64(gain) + (services if collective[v] else 0.0)
        relief[i] = relief[i] + np.float32(total)
        if coop[i]:
            net[i] = np.float64(net_factor * base[i])
            activism[i] = _minimum(activism[i] + solidarity, one)
            per_v[v] += 1.0
    return net, per_v


@njit(cache=True)
def layoff_counts(
    status, unit, laid_off, start, stop, n_units, xiagang, unemployed, employed, retired
):
    # Over rows start:stop: the laid-off (a layoff month, xiagang or unemployed) and
    # the employed, and per unit its laid-off and its retirees (with a unit).
    n_off = 0
    n_on = 0
    n_laid = np.zeros(n_units, dtype=np.int64)
    n_ret = np.zeros(n_units, dtype=np.int64)
    for i in range(start, stop):
        st = status[i]
        u = unit[i]
        if laid_off[i] >= 0 and (st == xiagang or st == unemployed):
            n_off += 1
            if u >= 0:
                n_laid[u] += 1
        elif st == employed:
            n_on += 1
        elif st == retired and u >= 0:
            n_ret[u] += 1
    return n_off, n_on, n_laid, n_ret


@njit(cache=True)
def layoff_terms(status, unit, start, stop, fear, burden, employed, retired):
    # Over rows start:stop: the employed's job fear and the retirees' dependency burden
    # (their unit's), 0 for everyone else.
    thr = np.zeros(stop - start)
    hard = np.zeros(stop - start)
    for i in range(start, stop):
        st = status[i]
        if st == employed:
            thr[i - start] = fear
        elif st == retired and unit[i] >= 0:
            hard[i - start] = burden[unit[i]]
    return thr, hard


@njit(cache=True)
def self_managed_wages(unit, status, wage, run, employed):
    # The people employed in a worker-run unit (a mask), and per unit their number and
    # their wages summed as float64 in row order (cooperatives.unit_mean_wage's parts).
    n = unit.size
    emp = np.zeros(n, dtype=np.bool_)
    count = np.zeros(run.size, dtype=np.int64)
    total = np.zeros(run.size)
    for i in range(n):
        u = unit[i]
        if u >= 0 and status[i] == employed and run[u]:
            emp[i] = True
            count[u] += 1
            total[u] += np.float64(wage[i])
    return emp, count, total


@njit(cache=True)
def self_managed_pay(unit, emp, wage, relief, arrears, target, rate, self_pay):
    # In place, for everyone, as cooperatives.self_pay_numpy: the employed of worker-run
    # units move ``rate`` of the way to their unit's target wage (float64, stored as
    # float32); their arrears are paid first (``self_pay`` of them, float32), into relief
    # at the new wage; everyone else's relief and arrears take the same float32
    # arithmetic with nothing paid.
    zero = arrears.dtype.type(0.0)
    for i in range(unit.size):
        paid = zero
        if emp[i]:
            w = np.float64(wage[i])
            wage[i] = w + rate * (target[unit[i]] - w)
            paid = arrears[i] * self_pay
        relief[i] = relief[i] + paid * wage[i]
        arrears[i] = arrears[i] - paid


@njit(cache=True)
def lethal_fear_term(village, locality, first, n_v, idx, fear):
    # Everyone counted in a village (locality first:first+n_v, with a village) fears
    # ``fear`` × their village's killed index; 0 for everyone else (float64).
    out = np.zeros(village.size)
    stop = first + n_v
    for i in range(village.size):
        v = village[i]
        if v >= 0 and locality[i] >= first and locality[i] < stop:
            out[i] = fear * idx[v]
    return out


@njit(cache=True)
def displacement_block(
    vil, land, land0, rates, factor, killed, jail, tax_push, repression_push, rate
):
    # Per peasant, rural_taxes.displacement_chance (the land lost in float32, the pushes
    # in float64) times the displacement rate for those not in detention.
    n = vil.size
    out = np.empty(n)
    eps = land0.dtype.type(1e-12)
    one = land.dtype.type(1.0)
    zero = land.dtype.type(0.0)
    for i in range(n):
        v = vil[i]
        lost = zero
        if land0[i] > 0:
            lost = one - land[i] / _maximum(land0[i], eps)
        burden = np.float64(rates[v]) * factor
        push = np.float64(_clip(lost, zero, one)) + tax_push * burden + repression_push * killed[v]
        out[i] = _clip(push, 0.0, 1.0) * (rate * (1.0 if jail[i] == 0 else 0.0))
    return out


@njit(cache=True)
def residency_counts(status, unit, active, loc, ms_start, ms_stop, n_units, n_loc, employed):
    # Per unit its employed migrants (rows ms_start:ms_stop with a unit); per locality
    # last month's active migrants and all its active people.
    mig_u = np.zeros(n_units, dtype=np.int64)
    mig_act = np.zeros(n_loc, dtype=np.int64)
    all_act = np.zeros(n_loc, dtype=np.int64)
    for i in range(active.size):
        if active[i]:
            all_act[loc[i]] += 1
    for i in range(ms_start, ms_stop):
        if status[i] == employed and unit[i] >= 0:
            mig_u[unit[i]] += 1
        if active[i]:
            mig_act[loc[i]] += 1
    return mig_u, mig_act, all_act


@njit(cache=True)
def residency_terms(
    status,
    unit,
    loc,
    tenure,
    ws_start,
    ws_stop,
    ms_start,
    ms_stop,
    unit_share,
    city_share,
    c,
    division,
    tenure_weight,
    months,
    xiagang,
    unemployed,
):
    # The laid-off workers' resentment (float32: c × (their unit's migrant share + the
    # city's)), and the threshold shift from the first worker to the last migrant: the
    # workers' division (their locality's) and the migrants' tenure term.
    added = np.zeros(ws_stop - ws_start, dtype=np.float32)
    shift = np.zeros(ms_stop - ws_start)
    for i in range(ws_start, ws_stop):
        u = unit[i]
        st = status[i]
        if st == xiagang or st == unemployed:
            s = unit_share[max(u, 0)] * (1.0 if u >= 0 else 0.0)
            added[i - ws_start] = np.float32(c * (s + city_share))
        shift[i - ws_start] = division[loc[i]]
    for i in range(ms_start, ms_stop):
        shift[i - ws_start] = -tenure_weight * _minimum(np.float64(tenure[i]) / months, 1.0)
    return added, shift
