"""Compiled (numba) inner loops of the synchronous Epstein lattice (``sim/epstein.py``).

Each function is the loop form of one numpy expression in :class:`~sim.epstein.EpsteinLattice`
(its ``kernel="numpy"`` methods are the plain reference, and ``tests/test_reference.py``
checks that both kernels give the same runs, bit for bit). Nothing here draws random
numbers: the lattice draws them with numpy's ``Generator`` in the same calls, sizes and
order as the reference and passes them in, so a seed gives the same run under either
kernel. What the loops save is numpy's per-call overhead and temporaries, which dominate
small lattices (40×40: about 1,200 agents, dozens of array operations a step).

Neighbourhoods are the folded torus offsets ``(dy, dx)`` of
:func:`sim.epstein.neighborhood_offsets` (non-negative, centre excluded, symmetric under
negation), so the site at offset ``j`` of ``s = y·w + x`` is
``((y + dy[j]) mod h)·w + (x + dx[j]) mod w``.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, inline="always")
def _around(site, j, dy, dx, height, width):
    y = site // width
    x = site - y * width
    yy = y + dy[j]
    if yy >= height:
        yy -= height
    xx = x + dx[j]
    if xx >= width:
        xx -= width
    return yy * width + xx


@njit(cache=True)
def scatter_count(marks, dy, dx, height, width, out):
    """``out[s]`` = number of ``marks`` within view of ``s`` (= sites ``s`` sees, by
    symmetry); what the FFT convolution of ``EpsteinLattice._count_within`` gives."""
    out[:] = 0
    for i in range(marks.size):
        m = marks[i]
        for j in range(dy.size):
            out[_around(m, j, dy, dx, height, width)] += 1


@njit(cache=True)
def first_try(origins, cols, dy, dx, height, width, empty, target):
    """Rejection step of ``_random_empty_site``: the first of each origin's drawn offsets
    ``cols`` whose site is empty goes to ``target``; returns the origins that drew none."""
    missed = np.empty(origins.size, dtype=np.int64)
    n_missed = 0
    for i in range(origins.size):
        hit = False
        for t in range(cols.shape[1]):
            s = _around(origins[i], cols[i, t], dy, dx, height, width)
            if empty[s]:
                target[i] = s
                hit = True
                break
        if not hit:
            missed[n_missed] = i
            n_missed += 1
    return missed[:n_missed]


@njit(cache=True)
def exhaustive(origins, missed, u, dy, dx, height, width, empty, target):
    """Exhaustive step of ``_random_empty_site``: the ``floor(u · n_empty) + 1``-th empty
    site of each missed origin's whole vision (in offset order), if it has one."""
    for m in range(missed.size):
        o = origins[missed[m]]
        n_empty = 0
        for j in range(dy.size):
            if empty[_around(o, j, dy, dx, height, width)]:
                n_empty += 1
        if n_empty == 0:
            continue
        pick = np.int64(u[m] * n_empty)
        seen = 0
        for j in range(dy.size):
            s = _around(o, j, dy, dx, height, width)
            if empty[s]:
                if seen == pick:
                    target[missed[m]] = s
                    break
                seen += 1


@njit(cache=True)
def claims(targets, perm, slot):
    """``_first_claims``: claimants (``targets >= 0``) taken in the order ``perm`` of
    their positions; the last writer of each site wins (numpy's fancy assignment), the
    winners' indices are returned sorted and ``slot`` is left all −1."""
    valid = np.empty(perm.size, dtype=np.int64)
    n = 0
    for i in range(targets.size):
        if targets[i] >= 0:
            valid[n] = i
            n += 1
    for i in range(n):
        o = valid[perm[i]]
        slot[targets[o]] = o
    won = np.empty(n, dtype=np.int64)
    n_won = 0
    for i in range(n):
        o = valid[perm[i]]
        if slot[targets[o]] == o:
            won[n_won] = o
            n_won += 1
    for i in range(n):
        slot[targets[valid[i]]] = -1
    return np.sort(won[:n_won])


@njit(cache=True)
def pick_suspects(hunting, cop_pos, keys, who, dy, dx, height, width):
    """Each hunting cop's suspect: the active in its view with the largest key (the
    first such offset on ties, as ``argmax``), −1 if none."""
    out = np.full(hunting.size, -1, dtype=np.int64)
    for i in range(hunting.size):
        c = cop_pos[hunting[i]]
        best = -1.0
        for j in range(dy.size):
            a = who[_around(c, j, dy, dx, height, width)]
            if a >= 0 and keys[i, j] > best:
                best = keys[i, j]
                out[i] = a
    return out


@njit(cache=True)
def still_hunting(hunting, won, cop_pos, who, dy, dx, height, width):
    """The cops of ``hunting`` that did not win (``won`` are positions in it), in order,
    that still have an unarrested active in view."""
    done = np.zeros(hunting.size, dtype=np.bool_)
    for i in range(won.size):
        done[won[i]] = True
    out = np.empty(hunting.size, dtype=np.int64)
    n = 0
    for i in range(hunting.size):
        if done[i]:
            continue
        c = cop_pos[hunting[i]]
        for j in range(dy.size):
            if who[_around(c, j, dy, dx, height, width)] >= 0:
                out[n] = hunting[i]
                n += 1
                break
    return out[:n]


@njit(cache=True)
def movers_and_empty(jail, pos, cop_pos, movement, n_sites):
    """``_move``'s set-up: the free citizens on the lattice who move (all, if
    ``movement``), the sites nobody occupies, and the movers' origins (cops first)."""
    empty = np.ones(n_sites, dtype=np.bool_)
    for c in range(cop_pos.size):
        empty[cop_pos[c]] = False
    movers = np.empty(pos.size, dtype=np.int64)
    n = 0
    for i in range(pos.size):
        if pos[i] >= 0:
            empty[pos[i]] = False
            if movement and jail[i] == 0:
                movers[n] = i
                n += 1
    origins = np.empty(cop_pos.size + n, dtype=np.int64)
    origins[: cop_pos.size] = cop_pos
    for i in range(n):
        origins[cop_pos.size + i] = pos[movers[i]]
    return movers[:n], empty, origins


@njit(cache=True)
def apply_moves(won, targets, cop_pos, pos, movers):
    """Winners take their targets: positions ``< n_cops`` of ``targets`` are cops, the
    rest the movers in order."""
    n_cops = cop_pos.size
    for i in range(won.size):
        o = won[i]
        if o < n_cops:
            cop_pos[o] = targets[o]
        else:
            pos[movers[o - n_cops]] = targets[o]


@njit(cache=True)
def perceive(jail, pos, active, cop_pos, dy, dx, height, width, grid):
    """``_decide``'s sensing: the free citizens, the cops ``C`` and ``A`` = 1 + the
    actives of the previous step each sees (float64, as the FFT counts)."""
    n = 0
    free = np.empty(pos.size, dtype=np.int64)
    for i in range(pos.size):
        if jail[i] == 0:
            free[n] = i
            n += 1
    free = free[:n]
    c = np.empty(n, dtype=np.float64)
    a = np.empty(n, dtype=np.float64)
    scatter_count(cop_pos, dy, dx, height, width, grid)
    for i in range(n):
        c[i] = grid[pos[free[i]]]
    n_was = 0
    was = np.empty(n, dtype=np.int64)
    for i in range(n):
        if active[free[i]]:
            was[n_was] = pos[free[i]]
            n_was += 1
    scatter_count(was[:n_was], dy, dx, height, width, grid)
    for i in range(n):
        a[i] = 1.0 + grid[pos[free[i]]]
    return free, c, a


@njit(cache=True)
def write_decisions(free, decided, c, a, active, cops_seen, actives_seen):
    """``active`` becomes ``decided`` for the free citizens and false for the jailed;
    ``cops_seen``/``actives_seen`` hold C and A (NaN for the jailed)."""
    active[:] = False
    cops_seen[:] = np.nan
    actives_seen[:] = np.nan
    for i in range(free.size):
        active[free[i]] = decided[i]
        cops_seen[free[i]] = c[i]
        actives_seen[free[i]] = a[i]
