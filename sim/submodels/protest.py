"""Protest: Epstein's Model I decision with local sensing, aggregated into events.

Decision (Epstein 2002, PNAS 99 suppl. 3, Model I; rules verified against NetLogo
*Rebellion* and Mesa's example, science-anchors §1.2): a person turns active iff
``G − R·P > T`` with ``P = 1 − exp(−k·⌊C/A⌋)``. Instead of a lattice, a person "sees"
``vision`` people of its own locality (work unit, village or the city at large) and its
network ties: ``C`` counts enforcers in that view (police and the unit's security
cadres, scaled by their reach) and ``A`` counts the person plus actives in view
(co-members, in proportion, plus active network ties). Active ties lower perceived risk,
which is the threshold cascade of Granovetter (1978) and the preference falsification
of Kuran: private grievance shows only once others show theirs (science-anchors §2).

Updating is synchronous: everyone decides on last month's actives, so no one sees a
decision made in the same month (docs/ODD.md, "Process overview and scheduling").

Events: a locality whose actives represent at least five people (the floor of size
class I, science-anchors §3.6) holds a protest event that month; its size in people is
actives × ``people_per_agent`` and its class is I (5–30), II (30–300), III (300–1,000)
or IV (>1,000).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIZE_CLASS_BOUNDS = np.array([5.0, 30.0, 300.0, 1000.0])
MIN_EVENT_SIZE = 5.0


def arrest_probability(
    cops: np.ndarray, actives: np.ndarray, k: float, discretization: str
) -> np.ndarray:
    """Epstein's estimated arrest probability ``1 − exp(−k·d(C/A))``.

    ``d`` is ``floor`` (NetLogo *Rebellion*: P is zero once actives outnumber cops,
    which is what produces punctuated equilibrium), ``round`` (Mesa's example) or the
    identity (``none``, the paper's formula as printed).
    """
    ratio = cops / np.maximum(actives, 1.0)
    if discretization == "floor":
        ratio = np.floor(ratio)
    elif discretization == "round":
        ratio = np.round(ratio)
    return 1.0 - np.exp(-k * ratio)


def decide(
    grievance: np.ndarray, risk_aversion: np.ndarray, p_arrest: np.ndarray, threshold: np.ndarray
) -> np.ndarray:
    """Epstein's rule A: active iff grievance minus net risk exceeds the threshold."""
    return grievance - risk_aversion * p_arrest > threshold


def effective_threshold(
    threshold: np.ndarray, activism: np.ndarray, weight: float, terms: np.ndarray | float
) -> np.ndarray:
    """A person's threshold this month: T × (1 − weight × activism) + regime terms, ≥ 0.

    Committed activists need less to act ("core activists kept on fighting", seed 003
    line 25; the coop as a "big school", line 73); regimes shift thresholds through
    terms (a union agreement that keeps workers waiting, seed 003 line 23).
    """
    return np.maximum(threshold * (1.0 - weight * activism) + terms, 0.0)


def size_class(size: np.ndarray) -> np.ndarray:
    """Size class 1–4 (I–IV) of events of ``size`` people; 0 below the class I floor."""
    return np.searchsorted(SIZE_CLASS_BOUNDS, size, side="right").astype(np.int8)


@dataclass
class Events:
    """This month's protest events, one row per locality that protested."""

    locality: np.ndarray
    participants: np.ndarray  # agents
    size: np.ndarray  # people
    size_class: np.ndarray
    urban: np.ndarray
    breadth: float

    @property
    def n(self) -> int:
        return len(self.locality)


def perceived_enforcers(model) -> np.ndarray:
    """Enforcers each locality's members see: vision × enforcer share × reach."""
    prm = model.params
    share = prm.police_per_1000 / 1000.0 + model.loc_security / np.maximum(model.loc_size, 1)
    watch = share * prm.police_reach * model.levers.repression
    # Monitoring through work-unit people and residents' committees adds eyes (seed 001).
    watch = watch * (1.0 + model.levers.monitoring)
    return watch * model.loc_vision


def update(model) -> None:
    """Every free non-cadre person decides whether to be active this month."""
    p, prm = model.people, model.params
    was_active = p.active.astype(np.float32)
    loc = model.locality
    active_in_loc = np.bincount(loc, weights=was_active, minlength=model.n_localities)
    others = np.maximum(model.loc_size[loc] - 1, 1)
    share_seen = (active_in_loc[loc] - was_active) / others
    seen = np.rint(share_seen * model.loc_vision[loc])
    ties_active = model.ties @ was_active if model.ties.nnz else 0.0
    actives = 1.0 + seen + prm.network_weight * ties_active
    cops = perceived_enforcers(model)[loc]
    p_arrest = arrest_probability(cops, actives, prm.arrest_k, prm.discretization)
    # Fear and the threshold are composed: own fear and the regimes' terms (sim/terms.py).
    risk = np.clip(p.risk_aversion + p.fear + model.terms.total("fear"), 0.0, 1.0)
    threshold = effective_threshold(
        p.threshold, p.activism, prm.activism_threshold, model.terms.total("threshold")
    )
    eligible = (p.jail == 0) & (p.kind != 0)
    p.active = eligible & decide(p.grievance, risk, p_arrest, threshold)
    # Tension (Epstein Fig. 8): quiet people whose grievance alone exceeds the threshold.
    model.tally["tension"] = int(np.count_nonzero(eligible & ~p.active & (p.grievance > threshold)))


def aggregate(model) -> Events:
    """Group this month's actives into events by locality."""
    p, prm = model.people, model.params
    counts = np.bincount(model.locality[p.active], minlength=model.n_localities)
    size = counts * prm.people_per_agent
    where = np.flatnonzero(size >= MIN_EVENT_SIZE)
    urban = model.loc_urban[where]
    n_units = max(model.units.n, 1)
    breadth = float(np.count_nonzero(urban)) / n_units
    return Events(
        locality=where,
        participants=counts[where],
        size=size[where],
        size_class=size_class(size[where]),
        urban=urban,
        breadth=breadth,
    )
