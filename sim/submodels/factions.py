"""Who joins which camp: constituencies and ties in the Cultural Revolution's factions.

Factions form path-dependently around ties and earlier labels (``careers.update_factions``,
seed 002 K2-K3, K15; Walder 2009). Taken alone, "join the side most common among your
ties" is a majority rule, and a majority rule on a tie network converges on one side:
each unit, then the city, ends with one dominant camp, and two camps "struggling"
(``002_683259ac5f475297.txt:3300-3303``) cannot last. The texts give the reason they did:
the camps had constituencies of their own. This module makes a person's side a choice
between two pulls (:func:`rebel_probability`):

- **Constituency** (:func:`rebel_appeal`, log-odds toward the rebels). The rebel faction
  "consisted of 'people with poor class backgrounds or political problems and younger
  workers' while the conservative faction consisted of 'people with good class
  background, party members, old workers, and some cadres'" (3328-3331); people "who'd
  been hit earlier had common interests" (3296), and those "outside the locus of
  power" rebelled (3310-3312), while conservatives "often were people who had good guanxi
  with leaders; they had been promoted by them" (3291-3293). Political problems are a
  class label, a file entry or an earlier struggle — or, for a cadre, having fallen out
  with the leadership (low loyalty: the bureaucrats' rebellion against their superiors,
  Walder & Lu 2017, science-anchors §3.3).
- **Ties** (``conformity`` × the rebel-minus-conservative share of a person's aligned
  ties): friendship and clientelist ties and cliques "finally formed into two big groups"
  (3285-3302). The pull is a logistic choice, not a majority rule: below a conformity of
  2 (the critical slope of the mean-field logistic voter model, where the even split
  stops being stable) ties sway but do not unify, so two camps drawn from different
  constituencies can both persist, and "many individuals changed factions as events
  unfolded" (3283-3284) without the city tipping to one side. Walder's rival factions
  "from comparable socioeconomic backgrounds" (science-anchors §3.3) are the case of
  small constituency weights, where ties and early choices decide.

The draws are one per candidate a month, made whether or not the mechanism is on
(``faction_constituencies``; off: the tie-majority rule of ``careers``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.grouping import csr_row_entries

if TYPE_CHECKING:  # only an annotation; importing scipy here would slow `cadresim validate`
    from scipy import sparse

CONSERVATIVE, REBEL = 0, 1


def tie_sides(
    ties: sparse.csr_matrix, faction: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per person in ``rows``: tie weight on the rebel side (the rebels and their
    splinters, K3) and on the conservative side (unaligned ties count for neither)."""
    if rows.size == 0 or ties.nnz == 0:
        z = np.zeros(rows.size)
        return z, z.copy()
    owner, cols, data = csr_row_entries(ties, rows)
    their = faction[cols]
    reb = np.bincount(owner, weights=data * (their >= REBEL), minlength=rows.size)
    cons = np.bincount(owner, weights=data * (their == CONSERVATIVE), minlength=rows.size)
    return reb, cons


def rebel_appeal(
    troubled: np.ndarray,
    young: np.ndarray,
    party: np.ndarray,
    senior: np.ndarray,
    client: np.ndarray,
    w_trouble: float,
    w_young: float,
    w_party: float,
    w_senior: float,
    w_client: float,
    bias: float = 0.0,
) -> np.ndarray:
    """Log-odds toward the rebels from a person's constituency (3291-3331): poor class or
    political problems and youth pull to the rebels; party membership, seniority and a
    patron among the leaders pull to the conservatives."""
    return (
        bias
        + w_trouble * troubled
        + w_young * young
        - w_party * party
        - w_senior * senior
        - w_client * client
    )


def rebel_probability(
    appeal: np.ndarray, tie_rebel: np.ndarray, tie_cons: np.ndarray, conformity: float
) -> np.ndarray:
    """Chance of taking the rebels' side: logistic in constituency appeal plus
    ``conformity`` × (rebel − conservative) / (rebel + conservative) aligned tie weight
    (0 for a person with no aligned tie)."""
    total = tie_rebel + tie_cons
    lean = np.where(total > 0, (tie_rebel - tie_cons) / np.maximum(total, 1e-12), 0.0)
    return 1.0 / (1.0 + np.exp(-(appeal + conformity * lean)))


def choose_sides(
    model,
    cand: np.ndarray,
    majority: np.ndarray,
    u: np.ndarray,
    ties: bool = True,
    sides: tuple[np.ndarray, np.ndarray] | list[np.ndarray] | None = None,
) -> np.ndarray:
    """The faction each candidate (rows ``cand``) joins this month: a rebel draw joins
    the rebel faction most common among their ties (``majority`` if it is a rebel or
    splinter faction, else the main rebel faction), the others the conservatives.
    Without ``ties`` (``faction_alignment`` off) the constituency alone decides.
    ``sides`` is :func:`tie_sides` of the candidates if already counted (with the
    majority, ``careers.faction_ties``)."""
    p, prm = model.people, model.params
    age = p.age[cand]
    cadre = p.kind[cand] == 0
    troubled = (
        (p.class_label[cand] > 0)
        | (p.dossier[cand] > 0)
        | (p.persecuted[cand] > 0)
        | (cadre & (p.loyalty[cand] < prm.rebel_loyalty))
    )
    appeal = rebel_appeal(
        troubled.astype(np.float64),
        (age < prm.rebel_young_age).astype(np.float64),
        p.party[cand].astype(np.float64),
        (age >= prm.rebel_senior_age).astype(np.float64),
        (p.patron[cand] >= 0).astype(np.float64),
        prm.rebel_trouble,
        prm.rebel_youth,
        prm.conservative_party,
        prm.conservative_seniority,
        prm.conservative_client,
    )
    reb, cons = tie_sides(model.ties, p.faction, cand) if sides is None else sides
    conformity = prm.faction_conformity if ties else 0.0
    rebel = u < rebel_probability(appeal, reb, cons, conformity)
    return np.where(rebel, np.where(majority >= REBEL, majority, REBEL), CONSERVATIVE).astype(
        np.int16
    )


def maturity(
    unit: np.ndarray,
    age: np.ndarray,
    members: np.ndarray,
    n_members: np.ndarray,
    months: float,
) -> np.ndarray:
    """Per unit, how far its camps have formed, in [0, 1]: the mean months its members
    have been in their factions over ``months`` (1 when ``months`` is 0).

    Mass organizations first struggled the cadres; "much of their activity came to be
    directed more against the opposing faction than against cadres" (3266-3268) once the
    cliques had "finally formed into two big groups struggling" (3299-3302): the clash
    hazard grows with the camps' age, so factional fighting builds through 1967 and
    goes on in 1968 wherever no committee has yet stopped it.
    """
    if months <= 0:
        return np.ones(n_members.size)
    total = np.bincount(unit[members], weights=age[members], minlength=n_members.size)
    return maturity_of(total, n_members, months)


def maturity_of(total: np.ndarray, n_members: np.ndarray, months: float) -> np.ndarray:
    """:func:`maturity` from each unit's members' total months in their factions."""
    if months <= 0:
        return np.ones(n_members.size)
    mean = total[: n_members.size] / np.maximum(n_members, 1.0)
    return np.clip(mean / months, 0.0, 1.0)
