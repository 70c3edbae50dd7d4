"""Protest: Epstein's Model I decision sensed in represented people, aggregated into events.

Decision (Epstein 2002, PNAS 99 suppl. 3, Model I; rules verified against NetLogo
*Rebellion* and Mesa's example, science-anchors §1.2): a person turns active iff
``G − R·P > T`` with ``P = 1 − exp(−k·d(C/A))``. Instead of a lattice, a person "sees"
``vision`` *people* (not agents) of their own locality (work unit, village or the city at
large) and their network ties: ``C`` counts the enforcers among those people (police and
the locality's security cadres, each watching ``police_reach`` people) and ``A`` counts
the person plus the actives among them (the locality's active share of the people seen)
plus active network ties. Vision, enforcers and actives are all defined on represented
people and shares, so a person's perceived risk does not change with
``people_per_agent``: at 10 people per agent an agent still sees 40 people, not 400.
Active ties lower perceived risk, which is the threshold cascade of Granovetter (1978)
and the preference falsification of Kuran: private grievance shows only once others
show theirs (science-anchors §2).

"Nothing to lose" (seed 003 B6, ``003_34c2b211615d9395.txt:100``: laid-off workers are
"not afraid to die, since they have nothing"; line 99: "truly 'nothing to lose'"): a
person who lost their job sheds a share ``nothing_to_lose`` of their risk aversion in
proportion to the status they lost (``hardship.STATUS_LOSS``: xiagang 0.6, denied 1).

Updating is synchronous: everyone decides on last month's actives, so no one sees a
decision made in the same month (docs/ODD.md, "Process overview and scheduling").

Events are counted in represented people. An event is a group of people acting together
in one month: the actives of one locality who press the same claim. Claims follow who
the people are (seed 003 line 27: protests "to hold on to their pensions, Xiagang
payments, medical care, housing"; line 97: workers of a factory "confront their
employers ... on their own", the laid-off and the employed only "recently" meeting
together; line 100: worker and peasant protests are simultaneous but unlinked; line 49:
migrants strike over pay and rights): the employed over wages (``wages``), xiagang over
their stipends (``stipend``), the denied and those whose stipend ran out over status
(``status``), retirees over pensions (``pension``), migrants (``migrant``) and peasants
over taxes and land (``land``). So a large work unit can hold several events in one month
— its employed, its laid-off and its retirees, its migrants — and the number of events
grows with the people protesting, not with the number of localities. A group is an event
only if the people it represents reach the floor of size class I (five people,
science-anchors §3.6): one agent at two people per agent is not an event, one agent at
ten people per agent is (it stands for ten people acting alike). Size is people (agents ×
``people_per_agent``), the class is I (5–30), II (30–300), III (300–1,000) or IV
(> 1,000), the classes of the PAP study used for the 2004 counts (science-anchors §3.6:
120 incidents > 1,000 people, 46 > 5,000, 17 > 10,000).

Limit of any agent representation: the smallest resolvable group is ``people_per_agent``
people, so where most events are only a few agents the count of class I events and the
split between classes I and II still move with the scale; per-capita participants do
not (``benchmarks/scale_invariance.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.state import Kind, Status
from sim.submodels.hardship import STATUS_LOSS

SIZE_CLASS_BOUNDS = np.array([5.0, 30.0, 300.0, 1000.0])
MIN_EVENT_SIZE = 5.0

#: What a group of protesters presses for, from who they are (seed 003 lines 27, 49, 97, 100).
CLAIMS = ("wages", "stipend", "status", "pension", "migrant", "land")
CLAIM_WAGES, CLAIM_STIPEND, CLAIM_STATUS, CLAIM_PENSION, CLAIM_MIGRANT, CLAIM_LAND = range(6)
N_CLAIMS = len(CLAIMS)
# Claim of technicians and workers by employment status.
_STATUS_CLAIM = np.full(len(Status), CLAIM_STATUS, dtype=np.int8)
_STATUS_CLAIM[Status.EMPLOYED] = CLAIM_WAGES
_STATUS_CLAIM[Status.XIAGANG] = CLAIM_STIPEND
_STATUS_CLAIM[Status.RETIRED] = CLAIM_PENSION
#: Claims of the laid-off and retired at their (former) work unit: "defending benefits"
#: once the factories are sold (seed 003 C1, line 27).
BENEFIT_CLAIMS = (CLAIM_STIPEND, CLAIM_STATUS, CLAIM_PENSION)


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


def effective_risk(
    risk_aversion: np.ndarray,
    status_loss: np.ndarray,
    nothing_to_lose: float,
    fear: np.ndarray,
    lever_fear: float,
) -> np.ndarray:
    """Risk aversion net of what a person has left to lose, plus fear, in [0, 1] (B6)."""
    return np.clip(risk_aversion * (1.0 - nothing_to_lose * status_loss) + fear + lever_fear, 0, 1)


def people_in_view(loc_people: np.ndarray, vision: float) -> np.ndarray:
    """People a member of each locality sees: ``vision``, but no more than the others there."""
    return np.minimum(vision, np.maximum(loc_people - 1.0, 0.0))


def size_class(size: np.ndarray) -> np.ndarray:
    """Size class 1–4 (I–IV) of events of ``size`` people; 0 below the class I floor."""
    return np.searchsorted(SIZE_CLASS_BOUNDS, size, side="right").astype(np.int8)


def claim_of(kind: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Each person's claim (an index into ``CLAIMS``) from their type and status."""
    return np.select(
        [kind == Kind.MIGRANT, kind == Kind.PEASANT],
        [CLAIM_MIGRANT, CLAIM_LAND],
        _STATUS_CLAIM[status],
    ).astype(np.int8)


def group_events(
    locality: np.ndarray, claim: np.ndarray, n_localities: int, people_per_agent: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Events from the active people's localities and claims.

    Returns ``(locality, claim, agents, size)`` of every (locality, claim) group whose
    represented people reach the class I floor, ordered by locality then claim.
    """
    key = locality.astype(np.int64) * N_CLAIMS + claim
    counts = np.bincount(key, minlength=n_localities * N_CLAIMS)
    size = counts * float(people_per_agent)
    where = np.flatnonzero(size >= MIN_EVENT_SIZE)
    return where // N_CLAIMS, (where % N_CLAIMS).astype(np.int8), counts[where], size[where]


@dataclass
class Events:
    """This month's protest events, one row per (locality, claim) group that protested."""

    locality: np.ndarray
    participants: np.ndarray  # agents
    size: np.ndarray  # people
    size_class: np.ndarray
    urban: np.ndarray
    breadth: float  # share of work units holding an event this month
    claim: np.ndarray | None = None  # index into CLAIMS; wages if not given
    index: np.ndarray | None = None  # per person: row of their group's event, or −1

    def __post_init__(self) -> None:
        if self.claim is None:
            self.claim = np.zeros(len(self.locality), dtype=np.int8)
        if self.index is None:
            self.index = np.zeros(0, dtype=np.int64)

    @property
    def member(self) -> np.ndarray:
        """Per person: active and part of one of these events (empty if not known)."""
        return self.index >= 0

    def rows(self, n_people: int) -> np.ndarray:
        """Per person: the row of their event, or −1 (all −1 if not known)."""
        if self.index.size == n_people:
            return self.index
        return np.full(n_people, -1, dtype=np.int64)

    @property
    def n(self) -> int:
        return len(self.locality)

    def people_by_locality(self, n_localities: int) -> np.ndarray:
        """People in events per locality (all claims together)."""
        return np.bincount(self.locality, weights=self.size, minlength=n_localities)

    def agents_by_locality(self, n_localities: int) -> np.ndarray:
        """Agents in events per locality (all claims together)."""
        return np.bincount(self.locality, weights=self.participants, minlength=n_localities)


def perceived_enforcers(model) -> np.ndarray:
    """Enforcers each locality's members see: people in view × enforcer share × reach."""
    prm = model.params
    share = prm.police_per_1000 / 1000.0 + model.loc_security / np.maximum(model.loc_size, 1)
    watch = share * prm.police_reach * model.levers.repression
    # Monitoring through work-unit people and residents' committees adds eyes (seed 001).
    watch = watch * (1.0 + model.levers.monitoring)
    return watch * model.loc_vision


def update(model) -> None:
    """Every free non-cadre person decides whether to be active this month."""
    p, prm, lv = model.people, model.params, model.levers
    was_active = p.active.astype(np.float32)
    loc = model.locality
    active_in_loc = np.bincount(loc, weights=was_active, minlength=model.n_localities)
    # The active share among the others of one's locality, seen in `loc_vision` people.
    others = np.maximum(model.loc_size[loc] - 1, 1)
    share_seen = (active_in_loc[loc] - was_active) / others
    seen = np.rint(share_seen * model.loc_vision[loc])
    ties_active = model.ties @ was_active if model.ties.nnz else 0.0
    w_net = prm.network_weight * model.mechanisms.gain("network_influence")
    actives = 1.0 + seen + w_net * ties_active
    cops = perceived_enforcers(model)[loc]
    p_arrest = arrest_probability(cops, actives, prm.arrest_k, prm.discretization)
    risk = effective_risk(
        p.risk_aversion, STATUS_LOSS[p.status], prm.nothing_to_lose, p.fear, lv.fear
    )
    eligible = (p.jail == 0) & (p.kind != 0)
    p.active = eligible & decide(p.grievance, risk, p_arrest, p.threshold)
    # Tension (Epstein Fig. 8): quiet people whose grievance alone exceeds the threshold.
    model.tally["tension"] = int(
        np.count_nonzero(eligible & ~p.active & (p.grievance > p.threshold))
    )


def aggregate(model) -> Events:
    """Group this month's actives into events by locality and claim."""
    p, prm = model.people, model.params
    claim = claim_of(p.kind, p.status)
    act = np.flatnonzero(p.active)
    loc, cl, agents, size = group_events(
        model.locality[act], claim[act], model.n_localities, prm.people_per_agent
    )
    # Which actives belong to an event: their group reached the floor.
    row = np.full(model.n_localities * N_CLAIMS, -1, dtype=np.int64)
    row[loc * N_CLAIMS + cl] = np.arange(loc.size)
    index = np.full(p.n, -1, dtype=np.int64)
    index[act] = row[model.locality[act] * N_CLAIMS + claim[act]]
    urban = model.loc_urban[loc]
    n_units = max(model.units.n, 1)
    units_protesting = np.unique(loc[loc < model.units.n]).size
    return Events(
        locality=loc,
        claim=cl,
        participants=agents,
        size=size,
        size_class=size_class(size),
        urban=urban,
        breadth=units_protesting / n_units,
        index=index,
    )
