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
