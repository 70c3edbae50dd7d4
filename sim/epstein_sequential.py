"""Epstein's Model I with sequential activation in random order (for docking).

NetLogo *Rebellion* (``ask turtles [...]``) and Mesa's ``EpsteinCivilViolence``
(``self.agents.shuffle_do("step")``) let every agent take its whole turn, one after
another, in a fresh random order each tick: a citizen deciding late in a tick sees the
moves, decisions and arrests made earlier in the same tick. The synchronous kernel in
``sim/epstein.py`` does not, and docking shows that this changes outburst sizes and
waiting times (``docs/epstein-docking.md`` §2-3; Huberman and Glance 1993).

This module is that sequential schedule, with the turn rules of either twin
(``EpsteinParams.turn_rules``), read from the sources:

* ``"mesa"`` (``mesa/examples/advanced/epstein_civil_violence/agents.py``, Mesa 3.5.1):
  a citizen with ``jail_sentence > 0`` counts it down by one and ends its turn; otherwise
  it counts cops and actives within its von Neumann vision (centre excluded, so
  ``A = 1 + others``), applies Rule A with ``round(C/A)`` and then moves to a random
  empty cell in view. A cop arrests a random active in view with
  ``jail_sentence = randint(0, max_jail_term)`` and then moves. The arrestee keeps its
  cell and is "ARRESTED" until its first turn with a sentence of zero.
* ``"netlogo"`` (``Rebellion.nlogo``, ``to go``): a free agent moves, then decides; a
  cop moves, then enforces, moving onto the arrestee's patch; ``jail-term`` is
  ``random max-jail-term`` (0..Jmax-1) and all terms are counted down at the end of the
  tick. ``neighborhood`` is ``patches in-radius vision``, which includes the agent's own
  patch, so an agent that is active from the previous tick counts itself in
  ``1 + count agents-on neighborhood with [active?]`` twice; patches holding only
  jailed agents are empty.

Occupancy (``jail_occupies_site``), the arresting cop's move
(``cop_moves_to_arrestee``), vision shape and ``discretization`` are the shared
``EpsteinParams`` fields. Sequential activation is serial by definition, so the turn
loop is a Python loop over agents; neighbourhood counts are kept as per-site arrays
rebuilt each tick and updated incrementally when a cop moves or a citizen changes state,
so a decision is a constant-time look-up. It runs at a few ms per 40x40 tick, several
times faster than Mesa's example, and is meant for docking, not for production runs.
"""

from __future__ import annotations

import math

import numpy as np

from sim.epstein import EpsteinLattice, EpsteinParams

__all__ = ["SequentialLattice"]

_BUFFER = 8192  # uniforms drawn from the run's Generator at a time


class SequentialLattice(EpsteinLattice):
    """:class:`~sim.epstein.EpsteinLattice` stepped in random sequential order.

    Same state arrays and records as the synchronous lattice. For ``turn_rules="mesa"``
    ``arrested`` marks citizens from arrest until their first turn with no sentence left
    (Mesa's ``CitizenState.ARRESTED``, which is what its ``arrested`` count reports).
    """

    def __init__(self, params: EpsteinParams, rng: np.random.Generator):
        super().__init__(params, rng)
        self.arrested = np.zeros(self.n_citizens, dtype=bool)
        self._uniforms: list[float] = []
        self._u_next = 0
        include_centre = params.turn_rules == "netlogo"
        self._cit_table = self._table(self.citizen_view, include_centre)
        self._cop_table = self._table(self.cop_view, include_centre)

    def _table(self, view, include_centre: bool) -> np.ndarray:
        table = (
            view.table
            if view.table is not None
            else self._sites_around(np.arange(self.n_sites), view)
        )
        if include_centre:
            table = np.concatenate([np.arange(self.n_sites)[:, None], table], axis=1)
        return np.ascontiguousarray(table, dtype=np.int64)

    @property
    def free(self) -> np.ndarray:
        arrested = getattr(self, "arrested", None)  # None while the base class sets up
        if self.params.turn_rules == "mesa" and arrested is not None:
            if arrested.size == self.jail.size:
                return ~arrested
        return self.jail == 0

    # -- randomness ------------------------------------------------------------

    def _u(self) -> float:
        """Next uniform on [0, 1) from the run's Generator (drawn in blocks for speed)."""
        if self._u_next >= len(self._uniforms):
            self._uniforms = self.rng.random(_BUFFER).tolist()
            self._u_next = 0
        u = self._uniforms[self._u_next]
        self._u_next += 1
        return u

    def _empty_site_in(self, row: np.ndarray, occ: np.ndarray) -> int:
        """A uniformly random site of ``row`` with ``occ == 0``, or -1.

        Rejection sampling (uniform over the empty sites), exhaustive after 16 misses.
        """
        k = row.size
        for _ in range(16):
            s = int(row[int(self._u() * k)])
            if occ[s] == 0:
                return s
        empties = row[occ[row] == 0]
        if empties.size == 0:
            return -1
        return int(empties[int(self._u() * empties.size)])

    # -- one tick --------------------------------------------------------------

    def step(self) -> None:
        """Advance one tick: schedules, then every agent's turn in a random order."""
        self.t += 1
        self._apply_schedules()
        self._tick()
        self._record()

    def _tick(self) -> None:
        prm = self.params
        mesa_rules = prm.turn_rules == "mesa"
        blocks_when_jailed = prm.jail_occupies_site
        n_cit, n_cop = self.n_citizens, self.cop_pos.size
        if self.arrested.size != n_cit:  # from_positions replaced the citizens
            self.arrested = np.zeros(n_cit, dtype=bool)
        # NetLogo keeps a jailed agent on its patch; the synchronous lattice takes it
        # off (pos -1) and remembers jail_site. Put such citizens back first.
        off = self.pos < 0
        if off.any():
            self.pos[off] = self.jail_site[off]
        pos, cop_pos, active, jail = self.pos, self.cop_pos, self.active, self.jail
        on_lattice = ~self.arrested if mesa_rules else jail == 0
        blocking = np.ones(n_cit, dtype=bool) if blocks_when_jailed else on_lattice
        occ = np.bincount(pos[blocking], minlength=self.n_sites).astype(np.int32)
        occ += np.bincount(cop_pos, minlength=self.n_sites).astype(np.int32)
        ct, pt = self._cit_table, self._cop_table
        # cops and actives within each site's (citizen) vision
        cops_near = np.bincount(ct[cop_pos].ravel(), minlength=self.n_sites).astype(np.int32)
        act_idx = np.flatnonzero(active)
        act_near = np.bincount(ct[pos[act_idx]].ravel(), minlength=self.n_sites).astype(np.int32)
        # cop vision differs from citizen vision only if the radii differ
        same_view = prm.cop_vision == prm.citizen_vision
        act_near_cop = (
            act_near
            if same_view
            else np.bincount(pt[pos[act_idx]].ravel(), minlength=self.n_sites).astype(np.int32)
        )
        grievance = (self.hardship * (1.0 - self.legitimacy)).tolist()
        risk = self.risk_aversion.tolist()
        thr = self.threshold.tolist()
        k, disc, jmax = prm.arrest_k, prm.discretization, prm.max_jail_term
        movement = prm.movement
        order = self.rng.permutation(n_cit + n_cop).tolist()
        arrests = 0
        self.cops_seen[:] = np.nan
        self.actives_seen[:] = np.nan

        def set_active(i: int, value: bool) -> None:
            rows = ct[pos[i]]
            act_near[rows] += 1 if value else -1
            if not same_view:
                act_near_cop[pt[pos[i]]] += 1 if value else -1
            active[i] = value

        def move_citizen(i: int) -> None:
            src = int(pos[i])
            dst = self._empty_site_in(ct[src], occ)
            if dst < 0:
                return
            occ[src] -= 1
            occ[dst] += 1
            if active[i]:
                act_near[ct[src]] -= 1
                act_near[ct[dst]] += 1
                if not same_view:
                    act_near_cop[pt[src]] -= 1
                    act_near_cop[pt[dst]] += 1
            pos[i] = dst

        def move_cop(j: int, dst: int = -1) -> None:
            src = int(cop_pos[j])
            if dst < 0:
                dst = self._empty_site_in(pt[src], occ)
                if dst < 0:
                    return
            occ[src] -= 1
            occ[dst] += 1
            cops_near[ct[src]] -= 1
            cops_near[ct[dst]] += 1
            cop_pos[j] = dst

        def decide(i: int) -> None:
            s = int(pos[i])
            c = int(cops_near[s])
            a = 1 + int(act_near[s])  # NetLogo: act_near includes an active self
            ratio = c / a
            if disc == "floor":
                ratio = math.floor(ratio)
            elif disc == "round":
                ratio = round(ratio)  # half-to-even, as in Mesa
            p = 1.0 - math.exp(-k * ratio)
            now = grievance[i] - risk[i] * p > thr[i]
            self.cops_seen[i] = c
            self.actives_seen[i] = a
            if now != bool(active[i]):
                set_active(i, now)

        def arrest(j: int) -> int:
            """Cop j arrests a random active in view; returns the arrestee or -1."""
            s = int(cop_pos[j])
            if act_near_cop[s] == 0:  # nobody active in view: the common case
                return -1
            act = np.flatnonzero(active)
            if act.size == 0:
                return -1
            in_view = act[np.isin(pos[act], pt[s])]
            if in_view.size == 0:
                return -1
            i = int(in_view[int(self._u() * in_view.size)])
            set_active(i, False)
            return i

        for agent in order:
            if agent < n_cit:
                i = agent
                if mesa_rules:
                    if jail[i] > 0:
                        jail[i] -= 1
                        continue
                    self.arrested[i] = False
                    decide(i)
                    if movement:
                        move_citizen(i)
                else:
                    if jail[i] > 0:
                        continue
                    if movement:
                        move_citizen(i)
                    decide(i)
            else:
                j = agent - n_cit
                if not mesa_rules:
                    move_cop(j)
                i = arrest(j)
                if i >= 0:
                    arrests += 1
                    if mesa_rules:
                        jail[i] = int(self._u() * (jmax + 1))  # randint(0, Jmax)
                        self.arrested[i] = True
                    else:
                        jail[i] = int(self._u() * jmax) if jmax > 0 else 0  # random Jmax
                        if jail[i] > 0 and not blocks_when_jailed:
                            occ[pos[i]] -= 1  # its patch now counts as empty
                        if prm.cop_moves_to_arrestee and not blocks_when_jailed:
                            move_cop(j, int(pos[i]))
                if mesa_rules and movement:
                    move_cop(j)
        if not mesa_rules:
            # "Jailed agents get their term reduced at the end of each clock tick"
            jail[jail > 0] -= 1
        self.arrests = arrests
        self.jail_site[:] = self.pos
