"""Compiled (numba) loops for the elite's and the crowd's rules: factions, clashes, protest.

Each loop here has a plain numpy reference in the submodule that calls it (named in its
comment), and ``tests/test_reference_elite.py`` checks with hypothesis that both give the
same result, bit for bit. Nothing here draws random numbers: draws are made by the
caller, in the reference's order, and passed in.

Imported (with numba) only when a kernel runs, as :mod:`sim.kernels_compiled` is, so
``cadresim validate`` and ``--help`` stay fast; the dispatch (``sim.kernels.wanted``) is in
the calling submodule. Machine code is cached on disk (``cache=True``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernels_compiled import binom_ppf_checked


@njit(cache=True)
def faction_ties(indptr, indices, data, faction, rows, n_f):
    # careers.faction_ties: per row of ``rows``, in one pass over its ties (stored order),
    # the faction with the largest tie weight (first of equals; -1 if none is > 0), as
    # careers.tie_faction_majority_numpy sums it (np.bincount: weights widened to float64,
    # added in order), and the rebel-side and conservative-side weights as
    # factions.tie_sides forms them (each weight times the 0/1 of its side, in the ties'
    # dtype, widened and added in order: a weight times 0 adds what the reference adds).
    m = rows.size
    major = np.empty(m, dtype=np.int16)
    reb = np.zeros(m)
    cons = np.zeros(m)
    counts = np.zeros(max(n_f, 1))
    one, zero = data.dtype.type(1.0), data.dtype.type(0.0)
    for k in range(m):
        r = rows[k]
        counts[:] = 0.0
        s_reb, s_cons = 0.0, 0.0
        for e in range(indptr[r], indptr[r + 1]):
            f = faction[indices[e]]
            w = data[e]
            if f >= 0:
                counts[f] += np.float64(w)
            s_reb += np.float64(w * (one if f >= 1 else zero))
            s_cons += np.float64(w * (one if f == 0 else zero))
        reb[k] = s_reb
        cons[k] = s_cons
        # (np.argmax and max: a NaN weight is the largest, and NaN > 0 is False)
        best, nan = 0, counts[0] != counts[0]
        for f in range(1, n_f):
            c = counts[f]
            if c != c:
                nan = True
            elif c > counts[best]:
                best = f
        major[k] = best if counts[best] > 0 and not nan else -1
    return major, reb, cons


@njit(cache=True)
def unit_sides(pool, unit, status, faction, age, n_units, employed):
    # careers.unit_sides_numpy: over the faction pool's rows, per unit, the employed staff
    # (in_unit), conservative and rebel members (aligned staff) and the members' months in
    # their factions (widened and added in row order, as np.bincount's weights), and the
    # members' rows in order.
    n = pool.size
    staff = np.zeros(n_units, dtype=np.int64)
    cons = np.zeros(n_units, dtype=np.int64)
    reb = np.zeros(n_units, dtype=np.int64)
    age_total = np.zeros(n_units)
    members = np.empty(n, dtype=np.int64)
    k = 0
    for i in range(n):
        u = unit[i]
        if not (pool[i] and u >= 0 and status[i] == employed):
            continue
        if u >= n_units:
            raise ValueError("unit index beyond the number of units")
        staff[u] += 1
        f = faction[i]
        if f < 0:
            continue
        if f == 0:
            cons[u] += 1
        else:
            reb[u] += 1
        age_total[u] += np.float64(age[i])
        members[k] = i
        k += 1
    return (
        cons.astype(np.float64),
        reb.astype(np.float64),
        staff.astype(np.float64),
        age_total,
        members[:k],
    )


# --- protest: the month's decisions ------------------------------------------------------
@njit(cache=True)
def protest_candidates(
    kind,
    grievance,
    base_threshold,
    activism,
    status,
    loc,
    led_loc,
    fix,
    led_fix,
    claim_flat,
    n_status,
    n_claims,
    linked,
    threshold_terms,
    commit32,
    act_rows,
    seen_active,
    seen_quiet,
    ties_active,
    w_net,
    enforcers,
):
    # The first pass of protest.decide_numpy, split (sim.kernels_elite.protest_decide):
    # each person's threshold, in the reference's dtypes and order; the rows whose
    # grievance exceeds it and who are not cadres (only they can act) with their threshold
    # and Epstein's C/A (actives in view as sim.kernels_compiled.arrest_ratio counts them).
    n = kind.size
    one32 = np.float32(1.0)
    rows = np.empty(n, dtype=np.int64)
    thr_out = np.empty(n)
    ratio = np.empty(n)
    k, f, nfix, a, na = 0, 0, fix.size, 0, act_rows.size
    for i in range(n):
        lc = loc[i]
        active_row = a < na and act_rows[a] == i
        if active_row:
            a += 1
        if f < nfix and fix[f] == i:
            led = led_fix[f]
            f += 1
        else:
            led = led_loc[lc]
        if kind[i] == 0:
            continue
        key = lc * n_claims + claim_flat[kind[i] * n_status + status[i]]
        t32 = base_threshold[i] * (one32 - commit32 * activism[i]) * (one32 - led) - linked[key]
        thr = np.float64(t32) + threshold_terms[i]
        if thr < 0.0:  # np.maximum(x, 0.0): NaN stays
            thr = 0.0
        if not np.float64(grievance[i]) > thr:
            continue
        seen = seen_active[a - 1] if active_row else seen_quiet[lc]
        actives = (1.0 + seen) + w_net * ties_active[i]
        if actives < 1.0:  # np.maximum(actives, 1.0): NaN stays
            actives = 1.0
        rows[k] = i
        thr_out[k] = thr
        ratio[k] = enforcers[lc] / actives
        k += 1
    if f != nfix or a != na:
        raise ValueError("fix and act_rows must be sorted and within the people")
    return rows[:k], thr_out[:k], ratio[:k]


@njit(cache=True, error_model="numpy")
def protest_turnout(
    rows,
    thr_rows,
    p_arrest,
    status,
    jail,
    detained,
    grievance,
    risk_aversion,
    fear,
    fear_terms,
    status_loss,
    ntl32,
    ppa,
    u_rank,
    u_frac,
    band,
    n,
):
    # The second pass (sim.kernels_compiled.protest_decide_rows on the candidates only):
    # net risk, own decision, the others' active share and the binomial turnout, in the
    # reference's dtypes and order; the grieved (free candidates); rows whose binomial
    # quantile needs scipy come back with their share, free others and own decision.
    m = rows.size
    one32 = np.float32(1.0)
    turnout = np.zeros(n, dtype=np.float32)
    grieved = np.empty(m, dtype=np.int64)
    fb_rows = np.empty(m, dtype=np.int64)
    fb_share = np.empty(m)
    fb_others = np.empty(m)
    fb_own = np.empty(m, dtype=np.bool_)
    ng, nfb = 0, 0
    many = ppa > 1.0
    for c in range(m):
        i = rows[c]
        thr = thr_rows[c]
        a32 = one32 - ntl32 * status_loss[status[i]]
        risk = np.float64(risk_aversion[i] * a32 + fear[i]) + fear_terms[i]
        if risk < 0.0:
            risk = 0.0
        elif risk > 1.0:
            risk = 1.0
        g = np.float64(grievance[i])
        pa = p_arrest[c]
        eligible = jail[i] == 0
        own = eligible and (g - risk * pa > thr)
        if eligible:
            grieved[ng] = i
            ng += 1
        if not many:
            turnout[i] = one32 if own else np.float32(0.0)
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
        if r_star <= 1.0 and not b < r_star:
            # No one else acts (most candidates): the share is (r* − b)/a ≤ 0, or 0 for
            # a ≤ 0 or NaN, so ± 0 whatever the detention, and the turnout is the own
            # decision alone, as the full path below would give it.
            if own:
                v = 1.0 / ppa
                turnout[i] = np.float32(1.0 if v > 1.0 else v)
            continue
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
            mm = others if others > 0.0 else 0.0
            m_int = np.floor(mm + 1e-9)
            frac = mm - m_int
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
    return turnout, grieved[:ng], fb_rows[:nfb], fb_share[:nfb], fb_others[:nfb], fb_own[:nfb]


def protest_decide(p, prm, view, u_agent):
    """``sim.submodels.protest.decide_numpy`` in two compiled passes, the second on the
    people who can act only: the same turnout (float32) and tension, bit for bit.

    Only a person whose grievance exceeds their threshold can act (``G − R·P > T`` with
    net risk ``R·P ≥ 0``), so the first pass finds them (a third of the people or fewer)
    and the arrest probability, numpy's ``exp`` as the reference takes it, and the rest of
    the rule are worked out for them alone. ``R·P ≥ 0`` needs ``k ≥ 0`` and no negative
    enforcers; otherwise (never at valid parameters) ``sim.kernels.protest_decide`` runs
    the rule on everyone.
    """
    from sim import kernels
    from sim.state import Status
    from sim.submodels import protest
    from sim.submodels.hardship import STATUS_LOSS

    if not (prm.arrest_k >= 0 and (view.enforcers.size == 0 or view.enforcers.min() >= 0)):
        return kernels.protest_decide(p, prm, view, u_agent)
    rows, thr, ratio = protest_candidates(
        p.kind,
        p.grievance,
        p.threshold,
        p.activism,
        p.status,
        view.loc,
        view.led_loc,
        view.fix,
        view.led_fix,
        protest._CLAIM_FLAT,
        len(Status),
        protest.N_CLAIMS,
        view.linked,
        np.asarray(view.threshold_terms, dtype=np.float64),
        np.float32(view.commitment),
        view.act_rows,
        view.seen_active,
        view.seen_quiet,
        view.ties_active,
        float(view.network_weight),
        view.enforcers,
    )
    p_arrest = kernels.arrest_probability_of(ratio, prm)  # on the candidates' ratios
    ppa = float(prm.people_per_agent)
    u_rank, u_frac = kernels.turnout_uniforms(u_agent)
    turnout, grieved, fb_rows, fb_share, fb_others, fb_own = protest_turnout(
        rows,
        thr,
        p_arrest,
        p.status,
        p.jail,
        p.detained,
        p.grievance,
        p.risk_aversion,
        p.fear,
        np.asarray(view.fear_terms, dtype=np.float64),
        STATUS_LOSS,
        np.float32(prm.nothing_to_lose),
        ppa,
        u_rank,
        u_frac,
        kernels.QUANTILE_BAND,
        p.kind.size,
    )
    return kernels.finish_turnout(
        turnout, grieved, fb_rows, fb_share, fb_others, fb_own, ppa, u_agent
    )


# --- legitimacy ------------------------------------------------------------------------
@njit(cache=True)
def broken_tally(laid_off, status, status_loss, locality, n_loc):
    # legitimacy.broken_tally_numpy: each person's broken pledge (the status they lost if
    # laid off, in status_loss's dtype, as legitimacy.broken_weights) and their sum by
    # locality, widened and added in row order (np.bincount; localities from n_loc on
    # are dropped, as the reference's slice drops them).
    n = laid_off.size
    broken = np.zeros(n, dtype=status_loss.dtype)
    by_loc = np.zeros(n_loc)
    m = status_loss.size
    for i in range(n):
        lc = locality[i]
        if lc < 0:
            raise ValueError("negative locality")
        if laid_off[i] >= 0:
            st = status[i]
            if st < 0 or st >= m:
                raise ValueError("status beyond the status table")
            broken[i] = status_loss[st]
        if lc < n_loc:
            by_loc[lc] += np.float64(broken[i])
    return broken, by_loc


@njit(cache=True)
def counted_total(by_residence, residence, locality, n_loc):
    # residence.counted_mean's numerator: per counting locality, the values at the
    # members' places of residence, widened and added in row order (np.bincount of the
    # gathered values; a negative residence counts from the end, as numpy indexing does).
    tot = np.zeros(n_loc)
    m = by_residence.size
    for i in range(locality.size):
        r = residence[i]
        if r < 0:
            r += m
        if r < 0 or r >= m:
            raise IndexError("residence beyond the localities")
        lc = locality[i]
        if lc < 0 or lc >= n_loc:
            raise ValueError("locality beyond the localities")
        tot[lc] += np.float64(by_residence[r])
    return tot


# --- factional violence ------------------------------------------------------------------
@njit(cache=True)
def revenge(indptr, indices, data, hurt, n):
    # careers.revenge_numpy: the casualties' (``hurt``, sorted) rows and everyone tied to
    # them, in order, with their exposure as np.bincount over the casualties' ties sums
    # it (widened, added in the order of the casualties and their stored ties), kept
    # where it is > 0 or the row is a casualty, and min(exposure + casualty, 1).
    exposure = np.zeros(n)
    seen = np.zeros(n, dtype=np.bool_)
    is_hurt = np.zeros(n, dtype=np.bool_)
    total = 0
    for k in range(hurt.size):
        total += indptr[hurt[k] + 1] - indptr[hurt[k]]
    touched = np.empty(total + hurt.size, dtype=np.int64)
    m = 0
    for k in range(hurt.size):
        h = hurt[k]
        is_hurt[h] = True
        if not seen[h]:
            seen[h] = True
            touched[m] = h
            m += 1
        for e in range(indptr[h], indptr[h + 1]):
            c = indices[e]
            exposure[c] += np.float64(data[e])
            if not seen[c]:
                seen[c] = True
                touched[m] = c
                m += 1
    near = np.sort(touched[:m])
    rows = np.empty(m, dtype=np.int64)
    sore = np.empty(m)
    j = 0
    for k in range(m):
        r = near[k]
        if exposure[r] > 0 or is_hurt[r]:
            rows[j] = r
            x = exposure[r] + (1.0 if is_hurt[r] else 0.0)
            sore[j] = x if not x > 1.0 else 1.0
            j += 1
    return rows[:j], sore[:j]
