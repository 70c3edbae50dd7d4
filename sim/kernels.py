"""Compiled (numba) loops for the city model where numpy cannot fuse the work.

Each kernel has a plain numpy reference beside it (the ``*_reference`` function, the
expression the model used before) and ``tests/test_reference.py`` checks with hypothesis
that both give the same result, bit for bit. Nothing here draws random numbers.

numba is imported on first use, not at import time, so ``cadresim validate`` and
``--help`` stay fast (``tests/test_cli_ux.py``); the compiled code is cached on disk
(``cache=True``), so a new process loads it instead of compiling it again.
"""

from __future__ import annotations

from functools import cache

import numpy as np

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
        # LSD radix sort in three passes of 11 bits; a pass whose digit is the same for
        # every key leaves the order as it is and is skipped.
        n = keys.size
        a = keys.copy()
        for i in range(n):
            if a[i] == 0x80000000:
                a[i] = 0
        b = np.empty_like(a)
        for p in range(3):
            shift = 11 * p
            count = np.zeros(2049, dtype=np.int64)
            for i in range(n):
                count[((a[i] >> shift) & 0x7FF) + 1] += 1
            if count.max() == n:
                continue
            for k in range(2048):
                count[k + 1] += count[k]
            for i in range(n):
                d = (a[i] >> shift) & 0x7FF
                b[count[d]] = a[i]
                count[d] += 1
            a, b = b, a
        return a

    return radix_sort_u32


def sorted_nonnegative(x: np.ndarray) -> np.ndarray:
    """Sorted ``clip(x, 0)`` as float64, equal element for element to
    :func:`sorted_nonnegative_reference`.

    For float32 (the income column) a radix sort on the bit patterns, which order as the
    values do for non-negative floats (NaN, as in ``np.sort``, last); other dtypes use the
    reference. Equal values are interchangeable in a sorted array, so any correct sort
    gives the same array (up to the sign of zeros, which sort as one value).
    """
    x = np.asarray(x)
    if x.dtype != np.float32 or x.ndim != 1 or x.size < 64:
        return sorted_nonnegative_reference(x)
    keys = np.clip(x, 0.0, None).view(np.uint32)
    return _radix_kernel()(keys).view(np.float32).astype(np.float64)
