"""Docking the city's protest path: its rules, run on Epstein's lattice.

The city model (``sim/submodels/protest.py``, ``sim/submodels/state_response.py``) has no
lattice: a person "sees" a share of its locality (work unit, village, city) and its
network ties; enforcers arrest up to a capacity per protesting locality. To dock it
against the Epstein kernel (``sim/epstein.py``) and, through the kernel, against Mesa's
example, this module runs the city's *own functions* on the kernel's synchronous lattice
and swaps the kernel's rules for the city's one at a time (Axtell et al. 1996: dock by
reduction, measuring what each difference does):

1. ``decision="city"`` — Rule A through ``protest.arrest_probability`` and
   ``protest.decide`` instead of the kernel's functions, on the kernel's counts. This is
   an exact reduction: the trajectories are identical to the kernel's, seed for seed
   (``tests/test_docking.py``).
2. ``perception="locality"`` — the city's sensing: the lattice is cut into square
   localities of ``block`` x ``block`` sites; a citizen sees ``A = 1 + rint(share of the
   other members active last step x vision)`` and ``C = vision x cops per member``, with
   ``vision`` the expected number of citizens in an Epstein vision (density x sites in
   view), as ``protest.update`` and ``protest.perceived_enforcers`` do with
   ``loc_vision`` (police_reach = 1, no ties, no fear). Not exact: a mean field over a
   partition instead of a count over an overlapping neighbourhood.
3. ``arrest="capacity"`` — the city's Rule C: in each locality whose actives reach the
   event floor (``event_floor`` people; five in the city, science-anchors §3.6),
   ``state_response.leaders_to_arrest`` takes up to ``floor(cops x arrests_per_cop +
   0.5)`` actives (all equally active here, so at random), instead of each cop taking one
   random active within its vision. Not exact.
4. the city's jail clock: a term ``U{jail_min..jail_max}`` counted down before the next
   decision (``state_response.decay``). ``jail_min = 1, jail_max = Jmax + 1`` is exactly
   the kernel's ``U{0..Jmax}`` steps sat out; the city's defaults (2-4 months) are not.
5. movement: the city's people do not move; ``EpsteinParams.movement = False`` stops
   citizens (cops still move, as in NetLogo).

Only the pure functions named above are called, so the reduction keeps working when the
city's event aggregation changes (``protest.aggregate`` is not used).
``benchmarks/dock_city.py`` measures each step against the kernel and Mesa's example.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from sim.epstein import EpsteinLattice, EpsteinParams
from sim.schema import StrictModel
from sim.submodels import protest, state_response

__all__ = ["CityDockingParams", "CityLattice", "run_city_docking"]


class CityDockingParams(StrictModel):
    """Which of the city's rules replace the kernel's (see the module docstring)."""

    decision: Literal["kernel", "city"] = Field(
        "city", description="Rule A from sim.epstein (kernel) or sim.submodels.protest (city)"
    )
    perception: Literal["lattice", "locality"] = Field(
        "lattice", description="C and A counted within vision (lattice) or the city's mean field"
    )
    block: int = Field(10, ge=1, le=2000, description="side of a square locality (sites)")
    arrest: Literal["cops", "capacity"] = Field(
        "cops", description="each cop arrests one active in view (cops) or city capacity"
    )
    arrests_per_cop: float = Field(
        1.0, ge=0.0, le=100.0, description="arrests per cop per step, capacity mode (arrests)"
    )
    event_floor: float = Field(
        5.0, ge=0.0, le=1e6, description="actives a locality needs before arrests (people)"
    )
    jail_min: int | None = Field(
        None, ge=0, le=100_000, description="shortest term (steps); None: 1 (the kernel's)"
    )
    jail_max: int | None = Field(
        None, ge=0, le=100_000, description="longest term (steps); None: Jmax + 1 (the kernel's)"
    )

    @model_validator(mode="after")
    def _order(self) -> CityDockingParams:
        if self.jail_min is not None and self.jail_max is not None:
            if self.jail_max < self.jail_min:
                raise ValueError("jail_max must be >= jail_min")
        return self


class CityLattice(EpsteinLattice):
    """The synchronous Epstein lattice with the city's rules swapped in."""

    def __init__(
        self,
        params: EpsteinParams,
        rng: np.random.Generator,
        city: CityDockingParams | None = None,
    ) -> None:
        city = city if city is not None else CityDockingParams()
        if params.update != "synchronous":
            raise ValueError("the city's protest path is synchronous; use update='synchronous'")
        self.city = city
        super().__init__(params, rng)
        height, width = self.shape
        y, x = np.divmod(np.arange(self.n_sites), width)
        nx = -(-width // city.block)
        self.locality_of_site = (y // city.block) * nx + x // city.block
        self.n_localities = int(self.locality_of_site.max()) + 1
        # expected citizens within an Epstein vision: the city's loc_vision
        self.vision_people = params.citizen_density * self.citizen_view.dy.size

    # -- Rule A ----------------------------------------------------------------

    def _perceived(self, free: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """C and A for the free citizens ``free``, by the configured sensing."""
        if self.city.perception == "lattice":
            was_active = self.pos[self.active & self.free]
            cops_near, actives_near = self._count_two_within(
                self.cop_pos, was_active, self.citizen_view
            )
            return cops_near[self.pos[free]], 1.0 + actives_near[self.pos[free]]
        n = self.n_localities
        loc = self.locality_of_site[self.pos[free]]
        members = np.bincount(loc, minlength=n)
        was = self.active[free].astype(float)
        active_in = np.bincount(loc, weights=was, minlength=n)
        others = np.maximum(members[loc] - 1, 1)
        seen = np.rint((active_in[loc] - was) / others * self.vision_people)
        cops_in = np.bincount(self.locality_of_site[self.cop_pos], minlength=n)
        cops = cops_in[loc] / np.maximum(members[loc], 1) * self.vision_people
        return cops, 1.0 + seen

    def _decide(self) -> None:
        if self.city.decision == "kernel" and self.city.perception == "lattice":
            return super()._decide()
        prm = self.params
        free = np.flatnonzero(self.free)
        c, a = self._perceived(free)
        if self.city.decision == "city":
            p = protest.arrest_probability(c, a, prm.arrest_k, prm.discretization)
            now = protest.decide(
                self.grievance[free], self.risk_aversion[free], p, self.threshold[free]
            )
        else:
            from sim.epstein import arrest_probability, decide_active

            p = arrest_probability(c, a, prm.arrest_k, prm.discretization)
            now = decide_active(
                self.grievance[free], self.risk_aversion[free], p, self.threshold[free]
            )
        self.active[:] = False
        self.active[free] = now
        self.cops_seen[:] = np.nan
        self.actives_seen[:] = np.nan
        self.cops_seen[free] = c
        self.actives_seen[free] = a

    # -- Rule C ----------------------------------------------------------------

    def _jail_terms(self, n: int) -> np.ndarray:
        lo = 1 if self.city.jail_min is None else self.city.jail_min
        hi = self.params.max_jail_term + 1 if self.city.jail_max is None else self.city.jail_max
        return self.rng.integers(lo, hi + 1, n)

    def _arrest(self) -> None:
        city = self.city
        if city.arrest == "cops":
            before = self.jail > 0
            super()._arrest()
            if city.jail_min is not None or city.jail_max is not None:
                # the kernel's Rule C, with the terms re-drawn on the city's clock
                just = np.flatnonzero((self.jail > 0) & ~before)
                self.jail[just] = self._jail_terms(just.size)
            return
        self.arrests = 0
        actives = np.flatnonzero(self.active)
        if actives.size == 0:
            return
        n = self.n_localities
        loc_a = self.locality_of_site[self.pos[actives]]
        protesting = np.bincount(loc_a, minlength=n) >= city.event_floor
        keep = protesting[loc_a]
        actives, loc_a = actives[keep], loc_a[keep]
        if actives.size == 0:
            return
        cops_in = np.bincount(self.locality_of_site[self.cop_pos], minlength=n)
        capacity = np.floor(cops_in * city.arrests_per_cop + 0.5).astype(np.int64)
        pick = state_response.leaders_to_arrest(
            loc_a, np.zeros(actives.size), capacity, self.rng.random(actives.size)
        )
        caught = actives[pick]
        self.arrests = caught.size
        self.active[caught] = False
        self.jail[caught] = self._jail_terms(caught.size)
        if not self.params.jail_occupies_site:
            self.jail_site[caught] = self.pos[caught]
            self.pos[caught] = -1


def run_city_docking(params: EpsteinParams, city: CityDockingParams, rng: np.random.Generator):
    """Run ``params.steps`` steps of the city-rules lattice; one row per step (as run_epstein)."""
    return CityLattice(params, rng, city).run(params.steps).frame()
