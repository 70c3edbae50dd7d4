"""Vectorized selection within groups (units, villages, localities).

Several rules pick people group by group — the most active protesters of each locality,
the least-favoured workers of each unit, a random co-worker — and all do it the same way:
sort once by group, then rank or index within the sorted runs. No per-group Python loop.
"""

from __future__ import annotations

import numpy as np


def first_k_per_group(group: np.ndarray, k: np.ndarray, keys: tuple[np.ndarray, ...]) -> np.ndarray:
    """Mask: in each group ``g``, the first ``k[g]`` items in the order given by ``keys``.

    ``keys`` are sort keys as for ``np.lexsort`` (least significant first); within a group
    the smallest come first, so pass ``-x`` to prefer large ``x``. ``group`` holds ids in
    ``[0, k.size)``.
    """
    if group.size == 0:
        return np.zeros(0, dtype=bool)
    # The order of np.lexsort((*keys, group)), in two stable passes: by the keys, then by
    # group with a radix sort (a stable sort keeps the key order within each group).
    order = np.argsort(keys[0], kind="stable") if len(keys) == 1 else np.lexsort(keys)
    n_groups = k.size
    order = order[stable_group_order(group[order], n_groups)]
    sorted_group = group[order]
    sizes = np.bincount(group, minlength=n_groups)
    first = (np.cumsum(sizes) - sizes)[sorted_group]
    rank = np.arange(group.size) - first
    chosen = np.zeros(group.size, dtype=bool)
    chosen[order] = rank < k[sorted_group]
    return chosen


def first_k_per_group_reference(
    group: np.ndarray, k: np.ndarray, keys: tuple[np.ndarray, ...]
) -> np.ndarray:
    """:func:`first_k_per_group` the plain way: one lexsort, ranks by searchsorted."""
    if group.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((*keys, group))
    sorted_group = group[order]
    first = np.searchsorted(sorted_group, sorted_group, side="left")
    rank = np.arange(group.size) - first
    chosen = np.zeros(group.size, dtype=bool)
    chosen[order] = rank < k[sorted_group]
    return chosen


def stable_group_order(group: np.ndarray, n_groups: int) -> np.ndarray:
    """``np.argsort(group, kind="stable")`` for group ids in ``[0, n_groups)``, faster.

    A stable order is unique, so any stable sort gives the same permutation; numpy's is
    a radix sort for 16-bit keys (linear time) and a comparison sort for wider ones. Up
    to 2^16 groups the ids are sorted as 16-bit keys; beyond, as two 16-bit digits
    (least significant first, which a stable sort keeps).
    """
    if n_groups <= 1 << 16:
        return np.argsort(group.astype(np.uint16), kind="stable")
    if n_groups > 1 << 32:
        return np.argsort(group, kind="stable")
    g = group.astype(np.int64)
    order = np.argsort((g & 0xFFFF).astype(np.uint16), kind="stable")
    return order[np.argsort((g[order] >> 16).astype(np.uint16), kind="stable")]


def random_member(
    target_group: np.ndarray,
    members: np.ndarray,
    member_group: np.ndarray,
    n_groups: int,
    u: np.ndarray,
) -> np.ndarray:
    """For each target, a uniformly drawn member of the same group (−1 if it has none).

    ``members`` are the candidates' ids, ``member_group`` their groups, ``u`` one uniform
    draw in [0, 1) per target.
    """
    out = np.full(target_group.size, -1, dtype=np.int64)
    if members.size == 0 or target_group.size == 0:
        return out
    # Only the targets' groups need their members ordered: dropping the other groups'
    # members keeps each group's members, and their order, as they are.
    wanted = np.zeros(n_groups, dtype=bool)
    wanted[target_group] = True
    if 4 * np.count_nonzero(wanted) < n_groups:
        keep = np.take(wanted, member_group)
        members, member_group = members[keep], member_group[keep]
    order = stable_group_order(member_group, n_groups)
    sizes = np.bincount(member_group, minlength=n_groups)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    s = sizes[target_group]
    pos = starts[target_group] + np.floor(u * s).astype(np.int64)
    has = s > 0
    out[has] = members[order[pos[has]]]
    return out


def mean_by_group(group: np.ndarray, values: np.ndarray, n_groups: int) -> np.ndarray:
    """Mean of ``values`` per group (0 for an empty group)."""
    total = np.bincount(group, weights=np.asarray(values, dtype=np.float64), minlength=n_groups)
    return total / np.maximum(np.bincount(group, minlength=n_groups), 1)


def row_block(csr, start: int, stop: int):
    """Rows ``start:stop`` of a CSR matrix as a new CSR matrix sharing its data (no copy).

    Products with the block give exactly the rows of the full product (same summation
    order), at the cost of the block's ties only.
    """
    from scipy import sparse  # lazy: `cadresim validate` must not import scipy

    a, b = int(csr.indptr[start]), int(csr.indptr[stop])
    return sparse.csr_matrix(
        (csr.data[a:b], csr.indices[a:b], csr.indptr[start : stop + 1] - a),
        shape=(stop - start, csr.shape[1]),
        copy=False,
    )


def csr_row_entries(csr, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The stored entries of rows ``rows`` of a CSR matrix, as ``(owner, column, value)``.

    ``owner[k]`` is the position in ``rows`` of the row entry ``k`` belongs to; entries come
    row by row in ``rows``' order and, within a row, in stored order — the entries of
    ``csr[rows]`` (scipy's row indexing), without building a new matrix.
    """
    rows = np.asarray(rows, dtype=np.int64)
    start, stop = csr.indptr[rows], csr.indptr[rows + 1]
    lens = (stop - start).astype(np.int64)
    total = int(lens.sum())
    owner = np.repeat(np.arange(rows.size), lens)
    if total == 0:
        return owner, csr.indices[:0], csr.data[:0]
    offs = np.arange(total) + np.repeat(start - (np.cumsum(lens) - lens), lens)
    return owner, csr.indices[offs], csr.data[offs]
