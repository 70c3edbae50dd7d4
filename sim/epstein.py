"""Epstein's civil-violence Model I as a vectorized numpy kernel.

Source model
------------
Epstein, J. M. (2002). "Modeling civil violence: an agent-based computational
approach." *PNAS* 99 (suppl. 3): 7243-7250, doi:10.1073/pnas.092080199.
Executable twins that fix the details the paper leaves open:

* NetLogo *Rebellion* (``models/Sample Models/Social Science/Rebellion.nlogo``);
* Mesa's example (``mesa/examples/advanced/epstein_civil_violence/``), exported
  as ``mesa.examples.EpsteinCivilViolence``.

Rules (``/work/shared/sources/science-anchors.md`` section 1.2)
----------------------------------------------------------------
* grievance ``G = H (1 - L)``, hardship ``H ~ U(0,1)``, legitimacy ``L`` global;
* estimated arrest probability ``P = 1 - exp(-k disc(C / A))``, ``C`` cops and
  ``A = 1 + actives`` within vision (the citizen counts itself), ``k = 2.3``;
* Rule A: a free citizen is active iff ``G - R P > T``, ``R ~ U(0,1)``;
* Rule C: each cop arrests one random active within its vision; the jail term
  is ``J ~ U{0, ..., Jmax}``;
* Rule M: each cop and each free citizen moves to a random empty site within
  its vision.

Synchronous update (the one modelling choice this kernel adds)
--------------------------------------------------------------
NetLogo (``ask turtles``) and Mesa (``agents.shuffle_do("step")``) update agents
*sequentially in random order*: an agent deciding late in a tick already sees
the states, positions and arrests produced earlier in the same tick. This
kernel updates in synchronous *phases* instead, each phase for everyone at
once from the state left by the previous phase:

1. jail countdown (released citizens re-enter the lattice);
2. movement: every mover picks a random empty site of the pre-move lattice;
   two movers picking the same site are resolved by random priority, losers
   stay where they are;
3. decision: every free citizen applies Rule A to the cops around it *now* and
   the actives of the *previous* step;
4. arrest: cops arrest in rounds; an active picked by several cops goes to one
   of them at random and the others pick again from the remaining actives, as
   they would have done had they moved later in a sequential tick.

Phases are what make the step a handful of array operations (neighbourhood
counts are FFT convolutions on the torus; vision look-ups are gathers over a
fixed offset table), but a synchronous model is a *different model* from a
sequential one (Huberman and Glance 1993; science-anchors sections 4.5 and
5.3). ``docs/epstein-docking.md`` measures the difference against Mesa.

Two implementations of the phases give the same run for a seed: the numpy one (FFT
counts, gathers) is the reference, ``kernel="numba"`` (the default when numba is
installed) runs the loops compiled from ``sim/epstein_kernels.py`` — counts scattered from
the few cops and actives instead of convolved, no temporaries — while drawing every random
number with numpy in the same calls and order (``tests/test_reference.py``). At 40×40 the
draws themselves are then about half of a step.

Conventions that differ between NetLogo and Mesa are parameters here; the
``preset`` field selects either set (see :class:`EpsteinParams`).
"""

from __future__ import annotations

import importlib.util
import warnings
from dataclasses import dataclass
from typing import Any, Literal

import mesa
import numpy as np
import pandas as pd
import scipy.fft as sfft

from sim.epstein_params import PRESETS, Discretization, EpsteinParams, Neighborhood

__all__ = [
    "PRESETS",
    "EpsteinLattice",
    "EpsteinModel",
    "DOCKING_METRICS",
    "EpsteinParams",
    "arrest_probability",
    "decide_active",
    "docking_metrics",
    "equivalence_test",
    "granovetter_cascade",
    "granovetter_mean_field",
    "gradual_schedule",
    "make_lattice",
    "grievance",
    "neighborhood_offsets",
    "outbursts",
    "run_epstein",
    "run_mesa_reference",
    "waiting_times",
]


def gradual_schedule(
    start_step: int, end_step: int, start: float, end: float
) -> list[tuple[int, float]]:
    """One (step, value) pair per step, linear from ``start`` to ``end``.

    The NetLogo "Things to try" protocol for Epstein's Fig. 9 lowers L from 0.9
    in small increments over 250 steps; ``gradual_schedule(1, 250, 0.9, 0.0)``.
    """
    if end_step < start_step:
        raise ValueError("end_step must be >= start_step")
    steps = np.arange(start_step, end_step + 1)
    values = np.linspace(start, end, len(steps))
    return [(int(s), float(v)) for s, v in zip(steps, values, strict=True)]


# ---------------------------------------------------------------------------
# Rules as pure functions
# ---------------------------------------------------------------------------


def grievance(hardship: np.ndarray, legitimacy: float) -> np.ndarray:
    """Epstein's ``G = H (1 - L)``."""
    return hardship * (1.0 - legitimacy)


def arrest_probability(
    cops: np.ndarray | float,
    actives: np.ndarray | float,
    k: float = 2.3,
    discretization: Discretization = "floor",
) -> np.ndarray:
    """Estimated arrest probability ``P = 1 - exp(-k disc(C / A))``.

    ``actives`` is ``A`` and must already count the citizen itself (A >= 1).
    ``round`` is half-to-even, exactly like Python's ``round`` in Mesa's example.
    """
    ratio = np.asarray(cops, dtype=float) / np.asarray(actives, dtype=float)
    if discretization == "floor":
        ratio = np.floor(ratio)
    elif discretization == "round":
        ratio = np.round(ratio)
    elif discretization != "none":
        raise ValueError(f"unknown discretization {discretization!r}")
    return 1.0 - np.exp(-k * ratio)


def decide_active(
    grievance_: np.ndarray,
    risk_aversion: np.ndarray,
    p_arrest: np.ndarray,
    threshold: np.ndarray | float,
) -> np.ndarray:
    """Rule A: active iff ``G - R P > T`` (net risk ``N = R P``, alpha = 0)."""
    return grievance_ - risk_aversion * p_arrest > threshold


def neighborhood_offsets(
    radius: int, shape: tuple[int, int], kind: Neighborhood
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct torus offsets ``(dy, dx)`` of the sites a vision radius covers.

    The centre is excluded. Offsets are folded onto the torus and deduplicated,
    so on a lattice narrower than the vision window a site is seen once, not
    once per wrap (Mesa's BFS neighbourhood behaves the same way).
    ``disc`` is NetLogo's ``in-radius``: site centres at Euclidean distance <= radius.
    """
    height, width = shape
    d = np.arange(-radius, radius + 1)
    dy, dx = (a.ravel() for a in np.meshgrid(d, d, indexing="ij"))
    if kind == "von_neumann":
        keep = np.abs(dy) + np.abs(dx) <= radius
    elif kind == "moore":
        keep = np.ones_like(dy, dtype=bool)
    elif kind == "disc":
        keep = dy * dy + dx * dx <= radius * radius
    else:
        raise ValueError(f"unknown neighborhood {kind!r}")
    folded = np.unique(np.stack([dy[keep] % height, dx[keep] % width], axis=1), axis=0)
    folded = folded[(folded[:, 0] != 0) | (folded[:, 1] != 0)]
    return folded[:, 0].astype(np.int64), folded[:, 1].astype(np.int64)


# ---------------------------------------------------------------------------
# Threshold cascades (Granovetter 1978; Kuran 1989, 1991)
# ---------------------------------------------------------------------------


def granovetter_cascade(thresholds: np.ndarray | list[float], relative: bool = False) -> int:
    """Final number of participants in Granovetter's threshold model.

    Person i joins once at least ``thresholds[i]`` others act (``relative``:
    once the acting share of the population reaches ``thresholds[i]``, the
    Kuran form) and never leaves. Starting from nobody, the process stops at
    the least fixed point of ``r = #{i : T_i <= r}``, which for sorted
    thresholds ``t_(0) <= t_(1) <= ...`` is the first ``k`` with ``t_(k) > k``.

    Granovetter's riot: thresholds 0, 1, ..., 99 give 100 rioters; replace
    the 1 by a 2 and only 1 person riots.
    """
    t = np.sort(np.asarray(thresholds, dtype=float).ravel())
    n = t.size
    if n == 0:
        return 0
    if relative:
        # compare shares as counts, with a tolerance for 0.3 * 10 != 3.0
        t = t * n - 1e-9
    stalled = np.flatnonzero(t > np.arange(n))
    return int(stalled[0]) if stalled.size else n


def granovetter_mean_field(mean: float, sd: float, n: int = 100) -> float:
    """Fixed point of ``r = n F(r)`` for normal thresholds (Granovetter's Fig. 2).

    With ``mean=25, n=100`` the equilibrium jumps from about 5.5 at ``sd=12.2``
    to 100 at ``sd=12.3`` (science-anchors 2.1).
    """
    from scipy.stats import norm

    r = 0.0
    for _ in range(100_000):
        nxt = n * float(norm.cdf(r, mean, sd))
        if abs(nxt - r) < 1e-10:
            return nxt
        r = nxt
    return r


# ---------------------------------------------------------------------------
# Summary statistics of a run
# ---------------------------------------------------------------------------


def outbursts(actives: np.ndarray, level: float, end_level: float | None = None) -> np.ndarray:
    """Start indices of outbursts: crossings from ``<= level`` to ``> level``.

    With ``end_level`` (< ``level``) an outburst lasts until the series falls to
    ``end_level`` or below, so a one-step dip under ``level`` inside a burst does
    not start a new one (a Schmitt trigger). An outburst in progress at index 0
    counts as starting there.
    """
    end = level if end_level is None else end_level
    if end > level:
        raise ValueError("end_level must not exceed level")
    starts, inside = [], False
    for i, a in enumerate(np.asarray(actives, dtype=float).tolist()):
        if not inside and a > level:
            starts.append(i)
            inside = True
        elif inside and a <= end:
            inside = False
    return np.array(starts, dtype=np.int64)


def waiting_times(actives: np.ndarray, level: float, end_level: float | None = None) -> np.ndarray:
    """Steps between the starts of successive outbursts (Epstein Fig. 5); see :func:`outbursts`."""
    return np.diff(outbursts(actives, level, end_level))


# ---------------------------------------------------------------------------
# The kernel
# ---------------------------------------------------------------------------


#: Which implementation of the lattice's inner loops runs by default: the compiled
#: ``sim/epstein_kernels.py`` when numba is installed, else the numpy reference. Both give
#: the same run for a seed (``tests/test_reference.py``).
Kernel = Literal["numba", "numpy"]
DEFAULT_KERNEL: Kernel = "numba" if importlib.util.find_spec("numba") else "numpy"

# Largest neighbour table (sites x offsets) kept in memory; beyond it the
# neighbour sites are computed from coordinates on every look-up.
_TABLE_LIMIT = 16_000_000


@dataclass
class _Vision:
    """Offsets, neighbour table and FFT of the counting kernel for one vision radius."""

    dy: np.ndarray
    dx: np.ndarray
    kernel_fft: np.ndarray  # rfft2 of the kernel
    kernel_fft_full: np.ndarray  # fft2 of the kernel; real because the kernel is symmetric
    table: np.ndarray | None  # table[site, j] = flat site at offset j, if small enough

    @classmethod
    def build(cls, radius: int, shape: tuple[int, int], kind: Neighborhood) -> _Vision:
        height, width = shape
        dy, dx = neighborhood_offsets(radius, shape, kind)
        kernel = np.zeros(shape)
        kernel[dy, dx] = 1.0
        table = None
        if height * width * dy.size <= _TABLE_LIMIT:
            y, x = np.divmod(np.arange(height * width), width)
            table = ((y[:, None] + dy) % height) * width + (x[:, None] + dx) % width
            table = table.astype(np.int32 if height * width < 2**31 else np.int64)
        return cls(dy, dx, sfft.rfft2(kernel), sfft.fft2(kernel).real, table)


class EpsteinLattice:
    """Struct-of-arrays state of Model I on a torus and its synchronous step.

    Citizens ``i = 0..n-1`` hold ``pos[i]`` (flat site index ``y * width + x``,
    ``-1`` while jailed off-lattice), ``hardship``, ``risk_aversion``,
    ``threshold``, ``active`` and ``jail`` (steps of jail left, counted down at
    the start of each step). Cops hold ``cop_pos``. All randomness comes from
    the ``numpy.random.Generator`` passed in.

    After each step ``cops_seen`` and ``actives_seen`` hold C and A as used in
    that step's decision (NaN for jailed citizens), for diagnostics such as
    deceptive behaviour.
    """

    def __init__(
        self, params: EpsteinParams, rng: np.random.Generator, kernel: Kernel | None = None
    ):
        self.params = params
        self.rng = rng
        self.kernel: Kernel = DEFAULT_KERNEL if kernel is None else kernel
        if self.kernel not in ("numba", "numpy"):
            raise ValueError(f"kernel must be 'numba' or 'numpy', got {self.kernel!r}")
        if self.kernel == "numba":
            from sim import epstein_kernels

            self._k = epstein_kernels
        self.shape = (params.height, params.width)
        self.n_sites = params.height * params.width
        shape = self.shape
        self.citizen_view = _Vision.build(params.citizen_vision, shape, params.neighborhood)
        self.cop_view = _Vision.build(params.cop_vision, shape, params.neighborhood)

        self._legitimacy_at = dict(params.legitimacy_schedule)
        self._cops_at = dict(params.cop_schedule or [])
        self.legitimacy = float(self._legitimacy_at.get(0, params.legitimacy))

        if params.placement == "per_site":
            # Mesa: each cell independently holds a citizen, a cop or nobody
            u = rng.random(self.n_sites)
            cd = params.citizen_density
            self.pos = np.flatnonzero(u < cd).astype(np.int64)
            self.cop_pos = np.flatnonzero((u >= cd) & (u < cd + params.cop_density)).astype(
                np.int64
            )
            n_citizens = self.pos.size
        else:
            n_cops = round(params.cop_density * self.n_sites)
            n_citizens = min(round(params.citizen_density * self.n_sites), self.n_sites - n_cops)
            sites = rng.permutation(self.n_sites)
            self.cop_pos = sites[:n_cops].astype(np.int64)
            self.pos = sites[n_cops : n_cops + n_citizens].astype(np.int64)
        self.hardship = rng.random(n_citizens)
        self.risk_aversion = rng.random(n_citizens)
        if params.threshold_sd > 0:
            t = rng.normal(params.threshold, params.threshold_sd, n_citizens)
            self.threshold = np.maximum(t, 0.0)
        else:
            self.threshold = np.full(n_citizens, params.threshold)
        self.active = np.zeros(n_citizens, dtype=bool)
        self.jail = np.zeros(n_citizens, dtype=np.int64)
        self.jail_site = np.full(n_citizens, -1, dtype=np.int64)
        self.cops_seen = np.full(n_citizens, np.nan)
        self.actives_seen = np.full(n_citizens, np.nan)
        self.t = 0
        self.arrests = 0
        if 0 in self._cops_at:
            self._set_cop_count(round(self._cops_at[0] * self.n_sites))
        self._slot = np.full(self.n_sites, -1, dtype=np.int64)  # scratch for claims
        self._grid = np.zeros(self.n_sites, dtype=np.int32)  # scratch for counts (numba)
        self.records: list[tuple] = []
        self._record()

    @classmethod
    def from_positions(
        cls,
        params: EpsteinParams,
        rng: np.random.Generator,
        citizens: list[tuple[int, int]],
        cops: list[tuple[int, int]],
        hardship: list[float] | None = None,
        risk_aversion: list[float] | None = None,
    ) -> EpsteinLattice:
        """A hand-built lattice: citizens and cops at ``(row, col)`` sites, for rule tests.

        The densities in ``params`` are ignored; ``hardship`` and
        ``risk_aversion`` default to random draws as usual.
        """
        lattice = cls(params.model_copy(update={"citizen_density": 0.0, "cop_density": 0.0}), rng)
        lattice.params = params
        width = params.width
        flat = np.array([r * width + c for r, c in citizens], dtype=np.int64)
        cop_flat = np.array([r * width + c for r, c in cops], dtype=np.int64)
        if np.unique(np.concatenate([flat, cop_flat])).size != flat.size + cop_flat.size:
            raise ValueError("two agents on one site")
        n = flat.size
        lattice.pos, lattice.cop_pos = flat, cop_flat
        lattice.hardship = np.asarray(hardship, float) if hardship else rng.random(n)
        lattice.risk_aversion = np.asarray(risk_aversion, float) if risk_aversion else rng.random(n)
        lattice.threshold = np.full(n, params.threshold)
        lattice.active = np.zeros(n, dtype=bool)
        lattice.jail = np.zeros(n, dtype=np.int64)
        lattice.jail_site = np.full(n, -1, dtype=np.int64)
        lattice.cops_seen = np.full(n, np.nan)
        lattice.actives_seen = np.full(n, np.nan)
        lattice.records = []
        lattice._record()
        return lattice

    # -- small helpers -------------------------------------------------------

    @property
    def n_citizens(self) -> int:
        return self.pos.size

    @property
    def free(self) -> np.ndarray:
        return self.jail == 0

    @property
    def grievance(self) -> np.ndarray:
        return grievance(self.hardship, self.legitimacy)

    def _count_within(self, sites: np.ndarray, view: _Vision) -> np.ndarray:
        """Per-site count of marked sites within ``view`` (circular FFT convolution)."""
        grid = np.zeros(self.n_sites)
        grid[sites] = 1.0  # sites are distinct: one agent per site
        counts = sfft.irfft2(sfft.rfft2(grid.reshape(self.shape)) * view.kernel_fft, s=self.shape)
        return np.rint(counts).ravel()

    def _count_two_within(
        self, sites_a: np.ndarray, sites_b: np.ndarray, view: _Vision
    ) -> tuple[np.ndarray, np.ndarray]:
        """Two neighbourhood counts for the price of one complex FFT.

        The kernel is symmetric, so its transform is real and the real and
        imaginary parts of the convolved grid do not mix.
        """
        grid = np.zeros(self.n_sites, dtype=complex)
        grid[sites_a] = 1.0
        grid[sites_b] += 1.0j
        conv = sfft.ifft2(sfft.fft2(grid.reshape(self.shape)) * view.kernel_fft_full)
        return np.rint(conv.real).ravel(), np.rint(conv.imag).ravel()

    def _sites_around(self, origins: np.ndarray, view: _Vision, cols=None) -> np.ndarray:
        """Flat sites around each origin: all offsets (n x k), or the offset columns ``cols``."""
        if view.table is not None:
            if cols is None:
                return view.table[origins]
            k = view.dy.size  # flat indexing is markedly faster than 2-D fancy indexing
            return view.table.ravel()[origins[:, None] * k + cols]
        height, width = self.shape
        dy, dx = (view.dy, view.dx) if cols is None else (view.dy[cols], view.dx[cols])
        y = (origins // width)[:, None]
        x = (origins % width)[:, None]
        return ((y + dy) % height) * width + (x + dx) % width

    def _occupied(self) -> np.ndarray:
        occ = np.zeros(self.n_sites, dtype=bool)
        occ[self.cop_pos] = True
        occ[self.pos[self.pos >= 0]] = True
        return occ

    def _random_empty_site(
        self, origins: np.ndarray, view: _Vision, empty: np.ndarray, tries: int = 8
    ) -> np.ndarray:
        """A uniformly random empty site in view of each origin, or -1 if none.

        Rejection sampling first (a few random offsets per origin, the first
        empty one wins), then an exhaustive pick for the origins it missed.
        Both are uniform over the empty sites, so their mixture is too.
        """
        n, k = origins.size, view.dy.size
        target = np.full(n, -1, dtype=np.int64)
        if n == 0 or k == 0:
            return target
        # int16 draws are markedly cheaper than int64 and k is at most a few hundred
        cols = self.rng.integers(0, k, size=(n, tries), dtype=np.int16 if k < 2**15 else np.int64)
        if self.kernel == "numba":
            h, w = self.shape
            missed = self._k.first_try(origins, cols, view.dy, view.dx, h, w, empty, target)
            if missed.size:
                u = self.rng.random(missed.size)
                self._k.exhaustive(origins, missed, u, view.dy, view.dx, h, w, empty, target)
            return target
        sites = self._sites_around(origins, view, cols)
        ok = empty[sites]
        first = ok.argmax(axis=1)
        rows = np.arange(n)
        hit = ok[rows, first]
        target[hit] = sites[rows, first][hit]
        missed = np.flatnonzero(~hit)
        if missed.size:
            # the (u+1)-th empty site of the whole vision, u uniform in [0, n_empty)
            sites = self._sites_around(origins[missed], view)
            ok = empty[sites]
            n_empty = ok.sum(axis=1)
            u = (self.rng.random(missed.size) * n_empty).astype(np.int64)
            col = (ok.cumsum(axis=1) > u[:, None]).argmax(axis=1)
            found = n_empty > 0
            target[missed[found]] = sites[found, col[found]]
        return target

    def _first_claims(self, targets: np.ndarray) -> np.ndarray:
        """Indices of the winners among claimants of equal targets (-1: no claim).

        Claimants write their index into a per-site slot in random order; the
        write that survives is a uniformly random claimant of that site,
        whichever duplicate numpy keeps, because the order is random.
        """
        if self.kernel == "numba":
            perm = self.rng.permutation(int(np.count_nonzero(targets >= 0)))
            return self._k.claims(targets, perm, self._slot)
        valid = np.flatnonzero(targets >= 0)
        order = valid[self.rng.permutation(valid.size)]
        slot = self._slot
        slot[targets[order]] = order
        won = order[slot[targets[order]] == order]
        slot[targets[order]] = -1  # leave the scratch array clean
        return np.sort(won)

    def _set_cop_count(self, n_target: int) -> None:
        """Remove random cops or add cops on random empty sites (cop reductions, Fig. 11)."""
        n_now = self.cop_pos.size
        if n_target < n_now:
            keep = self.rng.choice(n_now, size=n_target, replace=False)
            self.cop_pos = self.cop_pos[np.sort(keep)]
        elif n_target > n_now:
            empty_sites = np.flatnonzero(~self._occupied())
            n_add = min(n_target - n_now, empty_sites.size)
            new = self.rng.choice(empty_sites, size=n_add, replace=False)
            self.cop_pos = np.concatenate([self.cop_pos, new.astype(np.int64)])

    # -- the four phases -----------------------------------------------------

    def _jail_countdown(self) -> None:
        self.jail = np.maximum(self.jail - 1, 0)
        released = np.flatnonzero((self.jail == 0) & (self.pos < 0))
        # Released citizens re-enter at a random empty site in view of where
        # they were arrested (NetLogo: they are still on that patch and move
        # first thing in the tick). Conflicts go round again; after a few
        # rounds anyone left takes any empty site, so nobody is lost.
        for _ in range(20):
            if released.size == 0:
                return
            empty = ~self._occupied()
            target = self._random_empty_site(self.jail_site[released], self.citizen_view, empty)
            won = self._first_claims(target)
            self.pos[released[won]] = target[won]
            released = np.flatnonzero((self.jail == 0) & (self.pos < 0))
        empty_sites = np.flatnonzero(~self._occupied())
        self.pos[released] = self.rng.choice(empty_sites, size=released.size, replace=False)

    def _move(self) -> None:
        if self.kernel == "numba":
            return self._move_numba()
        free = self.free & (self.pos >= 0)
        movers_cit = np.flatnonzero(free) if self.params.movement else np.empty(0, np.int64)
        empty = ~self._occupied()
        if self.params.cop_vision == self.params.citizen_vision:  # one call: less overhead
            origins = np.concatenate([self.cop_pos, self.pos[movers_cit]])
            targets = self._random_empty_site(origins, self.citizen_view, empty)
            t_cit = targets[self.cop_pos.size :]
        else:
            t_cop = self._random_empty_site(self.cop_pos, self.cop_view, empty)
            t_cit = self._random_empty_site(self.pos[movers_cit], self.citizen_view, empty)
            targets = np.concatenate([t_cop, t_cit])
        won = self._first_claims(targets)  # losers keep their (occupied) site
        n_cops = self.cop_pos.size
        won_cop = won[won < n_cops]
        won_cit = won[won >= n_cops] - n_cops
        self.cop_pos[won_cop] = targets[won_cop]
        self.pos[movers_cit[won_cit]] = t_cit[won_cit]

    def _move_numba(self) -> None:
        """``_move`` with compiled loops: the same draws in the same order."""
        k = self._k
        movers, empty, origins = k.movers_and_empty(
            self.jail, self.pos, self.cop_pos, self.params.movement, self.n_sites
        )
        if self.params.cop_vision == self.params.citizen_vision:
            targets = self._random_empty_site(origins, self.citizen_view, empty)
        else:
            n_cops = self.cop_pos.size
            t_cop = self._random_empty_site(origins[:n_cops], self.cop_view, empty)
            t_cit = self._random_empty_site(origins[n_cops:], self.citizen_view, empty)
            targets = np.concatenate([t_cop, t_cit])
        won = self._first_claims(targets)  # losers keep their (occupied) site
        k.apply_moves(won, targets, self.cop_pos, self.pos, movers)

    def _decide(self) -> None:
        if self.kernel == "numba":
            # counts scattered from the few cops and actives, read where citizens stand
            view, (h, w) = self.citizen_view, self.shape
            free, c, a = self._k.perceive(
                self.jail, self.pos, self.active, self.cop_pos, view.dy, view.dx, h, w, self._grid
            )
            p = arrest_probability(c, a, self.params.arrest_k, self.params.discretization)
            decided = decide_active(
                grievance(self.hardship[free], self.legitimacy),
                self.risk_aversion[free],
                p,
                self.threshold[free],
            )
            self._k.write_decisions(
                free, decided, c, a, self.active, self.cops_seen, self.actives_seen
            )
            return
        free = np.flatnonzero(self.free)
        view = self.citizen_view
        was_active = self.pos[self.active & self.free]
        cops_near, actives_near = self._count_two_within(self.cop_pos, was_active, view)
        c = cops_near[self.pos[free]]
        a = 1.0 + actives_near[self.pos[free]]  # the citizen counts itself
        p = arrest_probability(c, a, self.params.arrest_k, self.params.discretization)
        self.active[:] = False
        self.active[free] = decide_active(
            self.grievance[free], self.risk_aversion[free], p, self.threshold[free]
        )
        self.cops_seen[:] = np.nan
        self.actives_seen[:] = np.nan
        self.cops_seen[free] = c
        self.actives_seen[free] = a

    def _arrest(self) -> None:
        actives = np.flatnonzero(self.active)
        self.arrests = 0
        if actives.size == 0 or self.cop_pos.size == 0:
            return
        if self.kernel == "numba":
            return self._arrest_numba(actives)
        # only cops with an active in view look around (an FFT count is cheaper
        # than gathering every cop's whole vision)
        in_view = self._count_within(self.pos[actives], self.cop_view)[self.cop_pos]
        looking = np.flatnonzero(in_view > 0)
        if looking.size == 0:
            return
        who = np.full(self.n_sites, -1, dtype=np.int64)
        who[self.pos[actives]] = actives
        sites = np.zeros((self.cop_pos.size, self.cop_view.dy.size), dtype=np.int64)
        sites[looking] = self._sites_around(self.cop_pos[looking], self.cop_view)
        candidate = np.zeros(sites.shape, dtype=bool)
        candidate[looking] = who[sites[looking]] >= 0
        hunting = looking
        jailed: list[np.ndarray] = []
        while hunting.size:
            cand = candidate[hunting]
            keys = np.where(cand, self.rng.random(cand.shape), -1.0)
            pick = keys.argmax(axis=1)
            suspect = who[sites[hunting, pick]]
            won = self._first_claims(suspect)
            cops, caught = hunting[won], suspect[won]
            jailed.append(caught)
            self.active[caught] = False
            if self.params.cop_moves_to_arrestee and not self.params.jail_occupies_site:
                self.cop_pos[cops] = self.pos[caught]
            # the other cops look again among the actives still free
            who[self.pos[caught]] = -1
            rest = np.setdiff1d(hunting, cops, assume_unique=True)
            candidate[rest] = who[sites[rest]] >= 0
            hunting = rest[candidate[rest].any(axis=1)]
        if not jailed:
            return
        self._jail(np.concatenate(jailed))

    def _arrest_numba(self, actives: np.ndarray) -> None:
        """``_arrest`` with compiled loops: the same rounds and the same draws."""
        k, view, (h, w) = self._k, self.cop_view, self.shape
        dy, dx = view.dy, view.dx
        k.scatter_count(self.pos[actives], dy, dx, h, w, self._grid)
        hunting = np.flatnonzero(self._grid[self.cop_pos] > 0)
        if hunting.size == 0:
            return
        who = np.full(self.n_sites, -1, dtype=np.int64)
        who[self.pos[actives]] = actives
        jailed: list[np.ndarray] = []
        moves = self.params.cop_moves_to_arrestee and not self.params.jail_occupies_site
        while hunting.size:
            keys = self.rng.random((hunting.size, dy.size))
            suspect = k.pick_suspects(hunting, self.cop_pos, keys, who, dy, dx, h, w)
            won = self._first_claims(suspect)
            cops, caught = hunting[won], suspect[won]
            jailed.append(caught)
            self.active[caught] = False
            if moves:
                self.cop_pos[cops] = self.pos[caught]
            who[self.pos[caught]] = -1
            hunting = k.still_hunting(hunting, won, self.cop_pos, who, dy, dx, h, w)
        self._jail(np.concatenate(jailed))

    def _jail(self, caught: np.ndarray) -> None:
        self.arrests = caught.size
        # J ~ U{0..Jmax} steps sat out (Mesa's randint); +1 because the
        # countdown runs at the start of the next step.
        self.jail[caught] = self.rng.integers(0, self.params.max_jail_term + 1, caught.size) + 1
        if not self.params.jail_occupies_site:
            self.jail_site[caught] = self.pos[caught]
            self.pos[caught] = -1

    # -- public API ----------------------------------------------------------

    def step(self) -> None:
        """Advance one step: schedules, jail countdown, move, decide, arrest, record."""
        self.t += 1
        self._apply_schedules()
        self._jail_countdown()
        self._move()
        self._decide()
        self._arrest()
        self._record()

    def _apply_schedules(self) -> None:
        if self.t in self._legitimacy_at:
            self.legitimacy = float(self._legitimacy_at[self.t])
        if self.t in self._cops_at:
            self._set_cop_count(round(self._cops_at[self.t] * self.n_sites))

    def run(self, steps: int) -> EpsteinLattice:
        for _ in range(steps):
            self.step()
        return self

    def counts(self) -> dict[str, float]:
        """Population counts now: actives, quiet, jailed, tension (Fig. 8)."""
        free = self.free
        quiet = free & ~self.active
        return {
            "step": self.t,
            "active": int(np.count_nonzero(self.active & free)),
            "quiet": int(np.count_nonzero(quiet)),
            "jailed": int(np.count_nonzero(~free)),
            # quiet citizens whose grievance alone clears the threshold
            "tension": int(np.count_nonzero(quiet & (self.grievance > self.threshold))),
            "legitimacy": self.legitimacy,
            "cops": int(self.cop_pos.size),
            "arrests": int(self.arrests),
        }

    def _record(self) -> None:
        self.records.append(tuple(self.counts().values()))

    def frame(self) -> pd.DataFrame:
        """Per-step records: step, active, quiet, jailed, tension, legitimacy, cops, arrests."""
        columns = ["step", "active", "quiet", "jailed", "tension", "legitimacy", "cops", "arrests"]
        return pd.DataFrame.from_records(self.records, columns=columns)

    def occupancy(self) -> np.ndarray:
        """Number of agents on each site (jailed off-lattice citizens excluded)."""
        on = self.pos[self.pos >= 0]
        both = np.concatenate([on, self.cop_pos])
        return np.bincount(both, minlength=self.n_sites).reshape(self.shape)


def run_epstein(params: EpsteinParams, rng: np.random.Generator) -> pd.DataFrame:
    """Run ``params.steps`` steps; one row per step from step 0 (the initial state).

    Columns: ``step, active, quiet, jailed, tension, legitimacy`` plus ``cops``
    and ``arrests`` (arrests made in that step).
    """
    return make_lattice(params, rng).run(params.steps).frame()


def make_lattice(params: EpsteinParams, rng: np.random.Generator) -> EpsteinLattice:
    """The lattice for ``params.update``: synchronous phases or sequential turns."""
    if params.update == "sequential":
        from sim.epstein_sequential import SequentialLattice

        return SequentialLattice(params, rng)
    return EpsteinLattice(params, rng)


class EpsteinModel(mesa.Model):
    """Mesa wrapper around :class:`EpsteinLattice`.

    The model owns the lattice and feeds it ``self.rng``, so seeding, stepping
    and ``run_for`` behave as in any Mesa model. It deliberately creates no
    Mesa ``Agent`` per citizen or cop: an object per agent costs about 50-100
    microseconds per agent-step in Mesa's own example against well under one
    in the arrays (science-anchors section 5.2; ``benchmarks/bench_epstein.py``).
    Agent state lives in the lattice's arrays.
    """

    def __init__(self, params: EpsteinParams | None = None, rng: Any = None):
        super().__init__(rng=rng)
        self.params = params if params is not None else EpsteinParams()
        self.lattice = make_lattice(self.params, self.rng)

    def step(self) -> None:
        self.lattice.step()
        if self.lattice.t >= self.params.steps:
            self.running = False

    def frame(self) -> pd.DataFrame:
        return self.lattice.frame()


# ---------------------------------------------------------------------------
# Mesa's own example, for docking
# ---------------------------------------------------------------------------


def mesa_reference_model(
    params: EpsteinParams, seed: int, max_iters: int, activation: str = "Random"
) -> Any:
    """Mesa's own ``EpsteinCivilViolence`` set up with the same parameters as ``params``."""
    from mesa.examples import EpsteinCivilViolence
    from mesa.examples.advanced.epstein_civil_violence.model import EpsteinScenario

    scenario = EpsteinScenario(
        rng=seed,
        citizen_density=params.citizen_density,
        cop_density=params.cop_density,
        citizen_vision=params.citizen_vision,
        cop_vision=params.cop_vision,
        legitimacy=params.legitimacy,
        max_jail_term=params.max_jail_term,
        active_threshold=params.threshold,
        arrest_prob_constant=params.arrest_k,
        movement=params.movement,
        max_iters=max_iters,
        activation_order=activation,
        grid_type="Von Neumann" if params.neighborhood == "von_neumann" else "Moore",
    )
    return EpsteinCivilViolence(width=params.width, height=params.height, scenario=scenario)


def run_mesa_reference(
    params: EpsteinParams, seed: int, steps: int | None = None, activation: str = "Random"
) -> pd.DataFrame:
    """Run Mesa's ``EpsteinCivilViolence`` on the same parameters; one row per step.

    Returns columns ``step, active, quiet, jailed`` from step 0.

    What Mesa's example cannot follow, and what it does differently:

    * it hard-codes ``round(C/A)``: other discretizations only warn;
    * it has no disc neighbourhood (raises), no threshold spread and no
      schedules (raise);
    * citizens use ``cop_vision``, not ``citizen_vision``
      (``EpsteinAgent.update_neighbors`` reads ``self.scenario.cop_vision``;
      tool-anchors 1.6 item 5), so a differing ``citizen_vision`` only warns;
    * jailed citizens keep their cell, arresting cops do not move onto it,
      and with ``movement=False`` cops stand still too;
    * it seeds the lattice per cell (``random.choices``), so the number of
      citizens and cops is random around the densities;
    * agents act in ``shuffle_do`` order: sequential, random each step.
    """
    if params.neighborhood == "disc":
        raise ValueError("Mesa's example has no disc neighbourhood")
    if params.threshold_sd > 0 or params.legitimacy_schedule or params.cop_schedule:
        raise ValueError("Mesa's example has no threshold spread or schedules")
    if params.discretization != "round":
        warnings.warn("Mesa's example always uses round(C/A)", stacklevel=2)
    if params.citizen_vision != params.cop_vision:
        warnings.warn("Mesa's example uses cop_vision for citizens too", stacklevel=2)
    steps = params.steps if steps is None else steps
    model = mesa_reference_model(params, seed, max(steps, 1), activation)
    for _ in range(steps):
        model.step()
    df = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    out = pd.DataFrame(
        {
            "step": np.arange(len(df)),
            "active": df["active"].to_numpy(),
            "quiet": df["quiet"].to_numpy(),
            "jailed": df["arrested"].to_numpy(),
        }
    )
    return out


# ---------------------------------------------------------------------------
# Docking statistics (one value per run, so runs are independent samples)
# ---------------------------------------------------------------------------

DOCKING_METRICS = (
    "mean_actives",
    "outbursts",
    "median_wait",
    "peak_actives",
    "outburst_peak",
    "mean_jailed",
)


def docking_metrics(
    frame: pd.DataFrame, drop: int = 50, level: float = 50, end_level: float = 10
) -> dict[str, float]:
    """The six run-level statistics of the docking (issue 14; Epstein Figs. 3-5).

    Steps ``0..drop`` are dropped as burn-in. An outburst starts when actives exceed
    ``level`` and ends when they fall to ``end_level`` or below (:func:`outbursts`).
    ``median_wait`` is the median of :func:`waiting_times` (NaN with fewer than two
    outbursts); ``outburst_peak`` is the median over outbursts of each one's peak
    (NaN without outbursts); ``mean_jailed`` counts citizens in jail.
    """
    a = frame["active"].to_numpy()[drop + 1 :]
    jailed = frame["jailed"].to_numpy()[drop + 1 :]
    starts = outbursts(a, level, end_level)
    ends = np.append(starts[1:], a.size)[: starts.size]
    peaks = [a[s:e].max() for s, e in zip(starts, ends, strict=True)]
    waits = np.diff(starts)
    return {
        "mean_actives": float(a.mean()),
        "outbursts": float(starts.size),
        "median_wait": float(np.median(waits)) if waits.size else float("nan"),
        "peak_actives": float(a.max()),
        "outburst_peak": float(np.median(peaks)) if peaks else float("nan"),
        "mean_jailed": float(jailed.mean()),
    }


def equivalence_test(a: np.ndarray, b: np.ndarray, margin: float) -> float:
    """Two one-sided Welch t-tests (TOST) that ``|mean(a) - mean(b)| < margin``.

    Returns the TOST p-value, the larger of the two one-sided p-values from
    ``scipy.stats.ttest_ind``: p < 0.05 shows equivalence within ``margin``
    (Schuirmann 1987), which a non-significant difference test does not.
    """
    from scipy import stats

    a, b = np.asarray(a, float), np.asarray(b, float)
    lower = stats.ttest_ind(a + margin, b, equal_var=False, alternative="greater").pvalue
    upper = stats.ttest_ind(a - margin, b, equal_var=False, alternative="less").pvalue
    return float(max(lower, upper))
