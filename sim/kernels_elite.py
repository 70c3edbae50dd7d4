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
