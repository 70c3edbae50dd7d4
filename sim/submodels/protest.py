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
only if its active people reach the floor of size class I (five people,
science-anchors §3.6). Size is active represented people, the class is I (5–30), II
(30–300), III (300–1,000) or IV
(> 1,000), the classes of the PAP study used for the 2004 counts (science-anchors §3.6:
120 incidents > 1,000 people, 46 > 5,000, 17 > 10,000).

Organized protest (issue 13 point 6). *Leaders* (seed 003 B1): "It is the older
generation, in particular, that today most often leads these struggles ... Most such
resistance is led by such activists from the Cultural Revolution period" (line 29); the
arrested leaders of the electrical equipment plant "kept on fighting and are still active
in the leadership of the city workers" (line 25). A person leads when their leadership
score — activism plus ``leader_cohort_bonus`` if born by ``leader_cohort_born`` — reaches
``leader_activism`` and they were active last month. Everyone who sees active leaders (in
view in their locality, as a share of the people seen, and among their ties) needs a
share ``leader_effect × (1 − exp(−leaders seen))`` less of their threshold. Arresting
leaders (``state_response``: the most active are taken first, D6) therefore decapitates
the next month's event: fewer follow, and it is smaller. *Linkage* (seed 003 E4, line 97:
after isolated struggles fail, "workers from the different enterprises ... are beginning
to link up", laid-off and employed together; line 100: worker and peasant protests are
simultaneous but unlinked): a work unit's link weight grows with its months of protest
(``Unit.protest_memory``, its organizational memory: the sum of its monthly active
shares) to 1 at ``link_memory``; a village's
is ``village_linkage``; the city at large has none. A person in a linked locality needs
``linkage_weight × link × S`` less threshold, where ``S`` is the active share of allied
claims in the *other* linked localities (the same claim 1, another urban claim
``claim_linkage``, across workers and peasants ``class_linkage``). Shares are of people
and exclude one's own locality, so neither ``people_per_agent`` nor the number of
localities moves them. Breadth — several units pressing the same claim in one month —
emerges from the links; each event carries its locality's ``link`` and its claim's
``claim_breadth`` (share of work units holding an event of that claim this month).

Within-agent variation (docs/ODD.md 7.3). An agent stands for ``people_per_agent``
people who share its circumstances but each have their own risk aversion ``R ~ U(0, 1)``,
as every citizen of Epstein's Model I does: its own person decides by the rule above, and
each of its others is active with the closed-form share of people for whom the rule holds
(``others_active_share``), drawn binomially (``represented_turnout``). So a group's people
come in single people, not in blocks of ``people_per_agent``; events, arrests, leaders,
links and memory all read the agents' active shares (``people.turnout``). As at one person
per agent, where risk aversion is a fixed trait, an agent's people are the same people
from month to month (``agent_uniforms``: the draws are read from uniforms kept per agent),
and those an arrest detains were its most willing, so its free people are the more
risk-averse rest (``free_active_share``). At one person per agent nothing is drawn and the
model is the one with whole agents.
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


def others_active_share(
    grievance: np.ndarray,
    risk_scale: np.ndarray,
    risk_shift: np.ndarray,
    p_arrest: np.ndarray,
    threshold: np.ndarray,
) -> np.ndarray:
    """Share of an agent's *other* represented people who turn active, in [0, 1].

    The agent's people share its circumstances (grievance, fear, the arrest risk they
    perceive, their threshold) but each has their own risk aversion ``R ~ U(0, 1)``, as
    every citizen of Epstein's Model I does (science-anchors §1.2). A person is active
    iff ``G − clip(a·R + b, 0, 1)·P > T`` (``a = risk_scale``: what is left to lose,
    ``b = risk_shift``: fear), i.e. iff their net risk is below ``r* = (G − T)/P``; the
    share of people for whom that holds is ``clip((r* − b)/a, 0, 1)`` (all or none when
    ``P = 0`` or ``a = 0``). Granovetter (1978): a crowd's members differ, so a crowd
    joins a little at a time rather than all at once.
    """
    g = grievance.astype(np.float64)
    t = threshold.astype(np.float64)
    pa = p_arrest.astype(np.float64)
    a = risk_scale.astype(np.float64)
    b = risk_shift.astype(np.float64)
    margin = g - t
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        r_star = np.where(pa > 0, margin / pa, np.where(margin > 0, np.inf, -np.inf))
        # r* ≤ 0: nobody (risk ≥ 0); r* > 1: everybody (risk ≤ 1); between: a·R + b < r*.
        share = np.where(a > 0, (r_star - b) / a, (b < r_star) * 1.0)
    share = np.where(r_star > 1.0, 1.0, np.where(r_star <= 0.0, 0.0, share))
    return np.clip(np.nan_to_num(share, nan=0.0), 0.0, 1.0)


def free_active_share(share: np.ndarray, held: np.ndarray) -> np.ndarray:
    """Share of an agent's *free* people who turn active while a share ``held`` of its
    people is detained, in [0, 1].

    ``share`` is the closed-form share of its people with ``R ~ U(0, 1)`` who would act
    (``others_active_share``): those whose risk aversion is below the quantile ``share``.
    An arrest takes the agent's active people, i.e. its least risk-averse, so the
    detained hold the quantiles ``[0, held)`` and the free ones ``[held, 1)``; of these,
    ``max(share − held, 0) / (1 − held)`` act. At one person per agent the arrested person
    is simply gone; without this, the free people of an agent would be drawn as if its
    most willing were still among them, and arrests would deter less at coarser scales.
    Nothing changes for an agent with no one detained (``held = 0``).
    """
    held = np.asarray(held, dtype=np.float64)
    free = 1.0 - held
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(free > 0, np.maximum(share - held, 0.0) / free, 0.0)
    return np.clip(out, 0.0, 1.0)


def represented_turnout(
    own: np.ndarray,
    share: np.ndarray,
    people_per_agent: float,
    u: np.ndarray | None,
    others: np.ndarray | None = None,
) -> np.ndarray:
    """Share of each agent's represented people active, in [0, 1]: its own person plus
    its other people.

    An agent stands for ``people_per_agent`` people: one whose traits it carries (its own
    decision ``own``) and ``people_per_agent − 1`` others, each active with probability
    ``share``, drawn binomially (a fractional last person counts its fraction). Each
    person's risk aversion is then uniform, as at one person per agent, and the agent's
    turnout runs from 0 to all its people in single people rather than all or none.
    ``u`` is a ``(2, len(own))`` array of uniforms per agent, read by inverse CDF: row 0
    places the agent's others in the binomial (how many of them are below the share),
    row 1 is the fractional last person's risk aversion (:func:`agent_uniforms` keeps them
    from month to month). ``others`` (per agent) overrides how many other people are free
    to act: fewer while some of the agent's people are detained (the arrested are taken,
    not the rest). At one person per agent (or less) there are no others, ``u`` is not
    read (it may be None) and the turnout is the own decision.
    """
    ppa = float(people_per_agent)
    if ppa <= 1.0:
        return own * 1.0
    out = own.astype(np.float64)
    # Inverse-CDF draws: a higher share never gives fewer active people (a rule that lowers
    # thresholds only adds actives, as with whole agents).
    u_rank, u_frac = u[0], u[1]
    rows = np.flatnonzero(share > 0)
    q = share[rows]
    n = np.full(rows.size, ppa - 1.0) if others is None else np.maximum(others[rows], 0.0)
    n_int = np.floor(n + 1e-9)
    frac = np.maximum(n - n_int, 0.0)
    from scipy.stats import binom  # here: `cadresim --help`/`validate` import no scipy

    k = np.maximum(binom.ppf(u_rank[rows], n_int, q), 0.0)
    k += frac * (u_frac[rows] < q)
    out[rows] += np.nan_to_num(k, nan=0.0)
    return np.minimum(out / ppa, 1.0)


#: Rows of :func:`agent_uniforms`: the others' place in the binomial, the fractional last
#: person's risk aversion, the person at the end of a tie to the agent.
U_RANK, U_FRAC, U_TIE = range(3)


def agent_uniforms(model) -> np.ndarray:
    """Per agent, three uniforms (``U_RANK``, ``U_FRAC``, ``U_TIE``) that stand for *who*
    its people are: drawn once from ``model.rng`` and kept from month to month.

    A person's risk aversion is fixed (Epstein 2002: R is a trait), so at one person per
    agent the same people act again while their circumstances hold and more join as the
    risk falls. Above one person per agent the agent's active people are read by inverse
    CDF from these uniforms, so they too are the same people from month to month: drawn
    afresh each month, a crowd reshuffled its members every month, which added noise at
    the coarse scale that 1 person per agent does not have (cascades then ran further and
    events were ~12 % larger at 10 people per agent; docs/ODD.md 7.3). A row recycled for
    a newcomer keeps its uniforms: they are independent of everything the newcomer is.
    """
    n = model.people.n
    u = getattr(model, "_agent_u", None)
    if u is None or u.shape[1] < n:
        old = 0 if u is None else u.shape[1]
        fresh = model.rng.random((3, n - old))
        u = model._agent_u = fresh if u is None else np.concatenate([u, fresh], axis=1)
    return u[:, :n]


def active_share(people) -> np.ndarray:
    """Per agent, the share of its represented people active this month, in [0, 1] (0
    unless the agent is active: a rule that stops an agent, e.g. an arrest, stops all its
    people; 1 for an agent a rule other than the decision made active without a turnout).
    Active people are this × ``people_per_agent``."""
    whole = np.where(people.turnout > 0, people.turnout, np.float32(1.0))
    return np.where(people.active, whole, np.float32(0.0))


def active_rows(people) -> tuple[np.ndarray, np.ndarray]:
    """The active agents' rows and their active shares (as :func:`active_share`, read on
    the few active rows only)."""
    rows = np.flatnonzero(people.active)
    t = people.turnout[rows]
    return rows, np.where(t > 0, t, np.float32(1.0)).astype(np.float64)


def effective_threshold(
    threshold: np.ndarray,
    activism: np.ndarray,
    weight: float,
    terms: np.ndarray | float,
    led: np.ndarray | float = 0.0,
    linked: np.ndarray | float = 0.0,
) -> np.ndarray:
    """A person's threshold this month, ≥ 0:
    ``T × (1 − weight × activism) × (1 − led) − linked + regime terms``.

    Committed activists need less to act ("core activists kept on fighting", seed 003
    line 25; the coop as a "big school", line 73); ``led`` is the share of the threshold
    active leaders in view take away (B1, line 29), ``linked`` the claim spill-over from
    linked localities (E4, line 97); regimes shift thresholds through terms (a union
    agreement that keeps workers waiting, seed 003 line 23).
    """
    return np.maximum(threshold * (1.0 - weight * activism) * (1.0 - led) - linked + terms, 0.0)


def leadership(
    activism: np.ndarray, born: np.ndarray, cohort_born: int, cohort_bonus: float
) -> np.ndarray:
    """Leadership score: activism, plus a bonus for the experienced cohort (seed 003 L29)."""
    return activism + cohort_bonus * (born <= cohort_born)


def self_seen(share: np.ndarray, people_per_agent: float) -> np.ndarray:
    """What an active agent's people leave out of the actives they see: one person, in
    agents' worth (``1 / people_per_agent``), or less if fewer of its people were active.

    A person sees the *other* actives of their locality. At one person per agent an
    active agent is one person and leaves out its whole share (1). Above, its people are
    ``people_per_agent`` people of the locality who see each other: each leaves out only
    themself, and the rest of its active people (and leaders) are in their view as anyone
    else's. Leaving out the agent's whole active share instead hid up to
    ``people_per_agent − 1`` fellow protesters from each of its people, so an active crowd
    saw itself smaller the coarser the scale (docs/ODD.md 7.3 gives what this did and did
    not change). The result is in agents' worth, as the counts it is taken from.
    """
    if people_per_agent <= 1.0:
        return share
    return np.minimum(share, 1.0 / float(people_per_agent))


def others_in_locality(loc_size: np.ndarray, people_per_agent: float) -> np.ndarray:
    """Per locality, the people other than oneself, in agents' worth (at least one person).

    "The others" are everyone but one person — ``1 / people_per_agent`` of an agent — so a
    person's own agent's other people are among them (:func:`self_seen`).
    """
    one = 1.0 / float(people_per_agent) if people_per_agent > 1.0 else 1.0
    return np.maximum(loc_size - one, one)


def actives_seen(
    active_in_loc: np.ndarray,
    loc_others: np.ndarray,
    loc_vision: np.ndarray,
    loc_act: np.ndarray,
    w_act: np.ndarray,
    people_per_agent: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Actives seen among the ``loc_vision`` people in view, whole people (rounded): per
    locality for a quiet person, and per active agent (locality ``loc_act``, active share
    ``w_act``) for its people, who leave out only themselves (:func:`self_seen`).

    Counts are in agents' worth of people; the result is in people, so the same crowd is
    seen alike at any ``people_per_agent``.
    """
    quiet = np.rint(active_in_loc / loc_others * loc_vision)
    own = self_seen(w_act, people_per_agent)
    active = np.rint((active_in_loc[loc_act] - own) / loc_others[loc_act] * loc_vision[loc_act])
    return quiet, active


def leader_lift(leaders_seen: np.ndarray) -> np.ndarray:
    """Share of the leader effect felt on seeing ``leaders_seen`` active leaders, in [0, 1].

    Saturating: the first leader one sees matters most (one organizer turns a crowd into
    a delegation); many more add little.
    """
    return 1.0 - np.exp(-np.maximum(leaders_seen, 0.0))


def unit_links(memory: np.ndarray, link_memory: float) -> np.ndarray:
    """A work unit's link weight in [0, 1] from its memory of protest (seed 003 E4, L97).

    The memory is a sum of monthly active shares (people, not agents, and not months
    with an *event*, whose floor is resolved differently at each ``people_per_agent``),
    and the weight is linear in it up to 1, so it is free of the agent scale.
    """
    return np.clip(memory / float(link_memory), 0.0, 1.0)


def remember(memory: np.ndarray, active_share: np.ndarray) -> np.ndarray:
    """Add a month of protest experience: each unit's share of members active."""
    return memory + active_share


def claim_affinity(claim_linkage: float, class_linkage: float) -> np.ndarray:
    """``N_CLAIMS × N_CLAIMS`` affinity between claims: 1 for the same claim, ``claim_linkage``
    between different urban claims, ``class_linkage`` between urban claims and land."""
    aff = np.full((N_CLAIMS, N_CLAIMS), claim_linkage)
    aff[CLAIM_LAND, :] = class_linkage
    aff[:, CLAIM_LAND] = class_linkage
    np.fill_diagonal(aff, 1.0)
    return aff


def spillover(
    active: np.ndarray, people: np.ndarray, link: np.ndarray, affinity: np.ndarray
) -> np.ndarray:
    """Per (locality, claim): the affinity-weighted mean, over the claims pressed there, of
    the active share in the *other* linked localities, in [0, 1].

    ``active`` and ``people`` are ``n_loc × N_CLAIMS`` counts (any unit: agents or
    people, the share is the same), ``link`` the localities' link weights. Excluding the
    own locality keeps a large unit from linking with itself, and makes the share an
    average over the others, free of how many localities there are.
    """
    wa, wp = link[:, None] * active, link[:, None] * people
    tot = wp.sum(axis=0)[None, :]
    num = wa.sum(axis=0)[None, :] - wa
    den = tot - wp
    # "Everyone else" is empty when the subtraction leaves only rounding error of the total
    # (counts may be fractional people); a share is also never above 1 or below 0.
    others = den > 1e-9 * np.maximum(tot, 1.0)
    share = np.divide(num, den, out=np.zeros_like(num, dtype=np.float64), where=others)
    np.clip(share, 0.0, 1.0, out=share)
    den = np.where(others, den, 0.0)
    # Average over the claims someone presses elsewhere: an absent claim dilutes nothing.
    norm = (den > 0).astype(np.float64) @ affinity.T
    weighted = share @ affinity.T
    return np.divide(weighted, norm, out=np.zeros_like(weighted), where=norm > 0)


def effective_risk(
    risk_aversion: np.ndarray,
    status_loss: np.ndarray,
    nothing_to_lose: float,
    fear: np.ndarray,
    lever_fear: np.ndarray | float,
) -> np.ndarray:
    """Risk aversion net of what a person has left to lose, plus fear, in [0, 1] (B6)."""
    return np.clip(risk_aversion * (1.0 - nothing_to_lose * status_loss) + fear + lever_fear, 0, 1)


def people_in_view(loc_people: np.ndarray, vision: float) -> np.ndarray:
    """People a member of each locality sees: ``vision``, but no more than the others there."""
    return np.minimum(vision, np.maximum(loc_people - 1.0, 0.0))


def size_class(size: np.ndarray) -> np.ndarray:
    """Size class 1–4 (I–IV) of events of ``size`` people; 0 below the class I floor."""
    return np.searchsorted(SIZE_CLASS_BOUNDS, size, side="right").astype(np.int8)


# Claim by (type, status): technicians and workers by status, migrants and peasants by type.
_CLAIM_TABLE = np.tile(_STATUS_CLAIM, (len(Kind), 1))
_CLAIM_TABLE[Kind.MIGRANT, :] = CLAIM_MIGRANT
_CLAIM_TABLE[Kind.PEASANT, :] = CLAIM_LAND


_CLAIM_FLAT = _CLAIM_TABLE.ravel()


def claim_of(kind: np.ndarray, status: np.ndarray) -> np.ndarray:
    """Each person's claim (an index into ``CLAIMS``) from their type and status."""
    # (= _CLAIM_TABLE[kind, status]: one flat gather, a third of the time of 2-d indexing)
    return np.take(_CLAIM_FLAT, np.asarray(kind) * np.int8(len(Status)) + status)


def group_events(
    locality: np.ndarray,
    claim: np.ndarray,
    n_localities: int,
    people_per_agent: float,
    turnout: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Events from the active agents' localities, claims and active represented people.

    ``turnout`` is each active agent's active people (all ``people_per_agent`` if not
    given). Returns ``(locality, claim, agents, size)`` of every (locality, claim) group
    whose active people reach the class I floor, ordered by locality then claim.
    """
    key = locality.astype(np.int64) * N_CLAIMS + claim
    counts = np.bincount(key, minlength=n_localities * N_CLAIMS)
    if turnout is None:
        size = counts * float(people_per_agent)
    else:
        # Shares are float32: round off their error so a group of 30 people is class II.
        size = np.round(np.bincount(key, weights=turnout, minlength=n_localities * N_CLAIMS), 6)
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
    #: per event: its locality's link weight in [0, 1] (units: protest memory, E4)
    link: np.ndarray | None = None
    #: per event: share of work units holding an event of the same claim this month
    claim_breadth: np.ndarray | None = None
    #: per event: its people in agents' worth (size / people_per_agent; agents may be
    #: partly active); the agent count ``participants`` if not given
    agents_worth: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.locality)
        if self.claim is None:
            self.claim = np.zeros(n, dtype=np.int8)
        if self.index is None:
            self.index = np.zeros(0, dtype=np.int64)
        if self.link is None:
            self.link = np.zeros(n)
        if self.claim_breadth is None:
            self.claim_breadth = np.zeros(n)
        if self.agents_worth is None:
            self.agents_worth = np.asarray(self.participants, dtype=np.float64)

    @property
    def linked_breadth(self) -> float:
        """Largest link-weighted share of work units pressing one claim together this month.

        Zero when no linked unit protests: isolated struggles are not broad however many
        there are (seed 003 line 97). The state's response can read it (D1, D2).
        """
        if self.n == 0:
            return 0.0
        return float(np.max(self.claim_breadth * self.link))

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
        """Agents' worth of people in events per locality (all claims together): a share
        of the locality's agents is then a share of its people."""
        return np.bincount(self.locality, weights=self.agents_worth, minlength=n_localities)


def perceived_enforcers(model) -> np.ndarray:
    """Enforcers each locality's members see: people in view × enforcer share × reach."""
    prm = model.params
    share = prm.police_per_1000 / 1000.0 + model.loc_security / np.maximum(model.loc_size, 1)
    watch = share * prm.police_reach * model.levers.repression
    # Monitoring through work-unit people and residents' committees adds eyes (seed 001).
    watch = watch * (1.0 + model.levers.monitoring)
    return watch * model.loc_vision


def tie_counts(
    ties,
    rows: np.ndarray,
    n: int,
    share: np.ndarray | None = None,
    rng: np.ndarray | None = None,
    compiled: bool = False,
) -> np.ndarray:
    """Per person, the (weighted) ties to ``rows``: ``ties @ mask(rows)`` for symmetric ties.

    ``share`` (per listed row) is the share of the row's represented people that count
    (the agent's active share); 1 if not given. A tie links one person to one person: with
    ``rng`` the tie counts iff the person at its end is among them (drawn, probability
    ``share``), so active ties are whole people as at one person per agent; without, it
    counts ``share`` (the expectation). Reads only the rows
    listed (the month's actives or leaders, a few per cent of everyone), so it costs far
    less than a full sparse product over all people. ``compiled``: the same sums in the
    same order in one compiled pass (``sim.kernels.tie_weights``).
    """
    if compiled:
        from sim import kernels

        return kernels.tie_weights(ties, rows, n, share, rng)
    start, stop = ties.indptr[rows], ties.indptr[rows + 1]
    lens = stop - start
    total = int(lens.sum())
    if total == 0:
        return np.zeros(n)
    offs = np.arange(total) + np.repeat(start - (np.cumsum(lens) - lens), lens)
    weights = ties.data[offs]
    if share is not None:
        end = np.repeat(share, lens)
        if rng is not None:
            # ``rng`` here is a uniform per listed row: the person at its ties' end.
            end = np.repeat(rng, lens) < end
        weights = weights * end
    return np.bincount(ties.indices[offs], weights=weights, minlength=n)


def locality_links(model) -> np.ndarray:
    """Link weight of every locality: units by protest memory, villages fixed, city none."""
    prm = model.params
    link = np.zeros(model.n_localities)
    n_u, n_v = model.units.n, model.villages.n
    link[:n_u] = unit_links(model.units.protest_memory, prm.link_memory)
    link[n_u : n_u + n_v] = prm.village_linkage
    return link * model.mechanisms.gain("protest_linkage")


def is_leader(model, rows: np.ndarray) -> np.ndarray:
    """Mask over ``rows`` (B1): leadership score at least ``leader_activism``."""
    p, prm = model.people, model.params
    year = getattr(model, "date", model.config.start).year
    score = leadership(
        p.activism[rows], year - p.age[rows], prm.leader_cohort_born, prm.leader_cohort_bonus
    )
    return score >= prm.leader_activism


def leaders_among(model, rows: np.ndarray) -> np.ndarray:
    """The leaders among ``rows`` (B1): leadership score at least ``leader_activism``."""
    return rows[is_leader(model, rows)]


def update(model, compiled: bool | None = None) -> None:
    """Every free non-cadre person decides whether to be active this month.

    What a person sees (actives and leaders in view and among their ties, enforcers, the
    claims of linked localities) is composed per locality and on the few active rows
    first; the per-person decision is then :func:`decide_numpy`, the plain reference, or
    the same rule compiled (``sim.kernels_elite.protest_decide``: a pass over everyone
    for thresholds, then the rule on those whose grievance exceeds theirs, the only ones
    who can act; bit for bit the same turnout and tension, ``tests/test_reference.py``
    and ``tests/test_reference_elite.py``). ``compiled`` chooses; by default
    ``sim.kernels.wanted`` does (large models).
    """
    from sim import kernels

    p, prm = model.people, model.params
    loc = model.locality
    n_loc = model.n_localities
    ppa = float(prm.people_per_agent)
    use_kernel = kernels.wanted(p.n, compiled)
    # Last month's actives, and the leaders among them (few: computed on their rows).
    # Each counts by its active share (active represented people / people_per_agent), so
    # an agent half of whose people protested counts half (1 at one person per agent).
    act_rows, w_act = active_rows(p)
    is_lead = is_leader(model, act_rows)
    lead_rows, w_lead = act_rows[is_lead], w_act[is_lead]
    active_in_loc = np.bincount(loc[act_rows], weights=w_act, minlength=n_loc)
    leaders_in_loc = np.bincount(loc[lead_rows], weights=w_lead, minlength=n_loc)
    # The active share among the others of one's locality, seen in `loc_vision` people:
    # per locality for a quiet person and for an active one (who is not among the others).
    loc_others = others_in_locality(model.loc_size, ppa)
    loc_act = loc[act_rows]
    seen_quiet, seen_active = actives_seen(
        active_in_loc, loc_others, model.loc_vision, loc_act, w_act, ppa
    )
    # Ties are symmetric (sim/population.py), so counting over the actives' rows is exact.
    u_agent = agent_uniforms(model) if ppa > 1.0 else None  # whole people at 1 per agent
    draw = u_agent[U_TIE][act_rows] if u_agent is not None else None
    ties_active = tie_counts(model.ties, act_rows, p.n, w_act, draw, compiled=use_kernel)
    w_net = prm.network_weight * model.mechanisms.gain("network_influence")
    # Leaders in view (B1): their share among the others of the locality, in the people
    # one sees, plus leaders among one's ties; a leader does not count themself. Per
    # locality first, then corrected on the few rows tied to or being a leader.
    gain = prm.leader_effect * model.mechanisms.gain("protest_leaders")
    lead_view = leaders_in_loc / loc_others * model.loc_vision
    extra = tie_counts(model.ties, lead_rows, p.n, w_lead, compiled=use_kernel)
    extra[lead_rows] -= (model.loc_vision / loc_others)[loc[lead_rows]] * self_seen(w_lead, ppa)
    fix = np.flatnonzero(extra)
    led_loc = (gain * leader_lift(lead_view)).astype(np.float32)
    led_fix = (gain * leader_lift(lead_view[loc[fix]] + extra[fix])).astype(np.float32)
    # Claim spill-over from the other linked localities (E4).
    ppl_lc = claim_people(p.kind, p.status, loc, n_loc, use_kernel)
    key_act = loc_act * N_CLAIMS + claim_of(p.kind[act_rows], p.status[act_rows])
    act_lc = np.bincount(key_act, weights=w_act, minlength=n_loc * N_CLAIMS)
    link = locality_links(model)
    spill = spillover(
        act_lc.reshape(n_loc, N_CLAIMS),
        ppl_lc.reshape(n_loc, N_CLAIMS),
        link,
        claim_affinity(prm.claim_linkage, prm.class_linkage),
    )
    # Per (locality, claim) first, then one gather per person.
    linked = (prm.linkage_weight * link[:, None] * spill).astype(np.float32).ravel()
    view = View(
        loc=loc,
        seen_quiet=seen_quiet,
        act_rows=act_rows,
        seen_active=seen_active,
        ties_active=ties_active,
        network_weight=w_net,
        enforcers=perceived_enforcers(model),
        led_loc=led_loc,
        fix=fix,
        led_fix=led_fix,
        linked=linked,
        commitment=prm.activism_threshold * model.mechanisms.gain("activist_commitment"),
        fear_terms=model.terms.total("fear"),
        threshold_terms=model.terms.total("threshold"),
    )
    if use_kernel:  # (compiled: the rule on those who can act only, sim/kernels_elite.py)
        from sim.kernels_elite import protest_decide as decide_rows
    else:
        decide_rows = decide_numpy
    turnout, tension = decide_rows(p, prm, view, u_agent)
    p.turnout = turnout
    p.active = p.turnout > 0
    # Tension (Epstein Fig. 8): quiet people whose grievance alone exceeds the threshold,
    # counted in agents' worth of people (the outcome multiplies by people_per_agent).
    model.tally["tension"] = tension
    leaders_now = leaders_among(model, np.flatnonzero(p.active))
    model.tally["leaders"] = float(np.sum(p.turnout[leaders_now], dtype=np.float64))


@dataclass
class View:
    """What the people of each locality see this month, composed in :func:`update` and
    read by the per-person decision (:func:`decide_numpy` or its compiled pass)."""

    loc: np.ndarray  # per person: locality
    seen_quiet: np.ndarray  # per locality: actives a quiet member sees
    act_rows: np.ndarray  # last month's active rows (sorted)
    seen_active: np.ndarray  # per active row: actives it sees (itself not among them)
    ties_active: np.ndarray  # per person: active ties (whole people or shares)
    network_weight: float
    enforcers: np.ndarray  # per locality: enforcers in view
    led_loc: np.ndarray  # per locality: share of the threshold leaders in view take (f32)
    fix: np.ndarray  # rows tied to or being a leader (sorted) ...
    led_fix: np.ndarray  # ... and their own share (f32)
    linked: np.ndarray  # per (locality, claim): spill-over threshold cut (f32)
    commitment: float
    fear_terms: np.ndarray  # per person (float64)
    threshold_terms: np.ndarray  # per person (float64)


def claim_people(kind, status, loc, n_loc: int, compiled: bool = False) -> np.ndarray:
    """People (agents) per (locality, claim), float64, ``n_loc × N_CLAIMS`` flattened."""
    if compiled:
        from sim import kernels

        return kernels.claim_people(kind, status, loc, n_loc)
    key = loc * N_CLAIMS + claim_of(kind, status)
    return np.bincount(key, minlength=n_loc * N_CLAIMS).astype(np.float64)


def decide_numpy(p, prm, view: View, u_agent: np.ndarray | None) -> tuple[np.ndarray, float]:
    """Each person's decision (Epstein's rule A with the thresholds, fear and leaders of
    this month) and their agent's represented turnout (float32), and the month's
    tension; the plain numpy reference of ``sim.kernels.protest_decide``."""
    loc = view.loc
    ppa = float(prm.people_per_agent)
    seen = view.seen_quiet[loc]
    seen[view.act_rows] = view.seen_active
    actives = 1.0 + seen + view.network_weight * view.ties_active
    cops = view.enforcers[loc]
    p_arrest = arrest_probability(cops, actives, prm.arrest_k, prm.discretization)
    # Fear and the threshold are composed: own fear and the regimes' terms (sim/terms.py).
    status_loss = np.take(STATUS_LOSS, p.status)
    lever_fear = view.fear_terms
    risk = effective_risk(p.risk_aversion, status_loss, prm.nothing_to_lose, p.fear, lever_fear)
    led = view.led_loc[loc]
    led[view.fix] = view.led_fix
    linked = view.linked[loc * N_CLAIMS + claim_of(p.kind, p.status)]
    threshold = effective_threshold(
        p.threshold, p.activism, view.commitment, view.threshold_terms, led, linked
    )
    eligible = (p.jail == 0) & (p.kind != 0)
    own = eligible & decide(p.grievance, risk, p_arrest, threshold)
    if ppa > 1.0:
        # The agent's other people: same circumstances, own risk aversion (docs/ODD.md 7.3).
        # Only where grievance exceeds the threshold can anyone act (a few per cent).
        cand = np.flatnonzero((p.kind != 0) & (p.grievance > threshold))
        lever_c = lever_fear[cand] if np.ndim(lever_fear) else lever_fear
        share = others_active_share(
            p.grievance[cand],
            1.0 - prm.nothing_to_lose * status_loss[cand],
            p.fear[cand] + lever_c,
            p_arrest[cand],
            threshold[cand],
        )
        # Detention takes the arrested people, not the agent's others: they may still act.
        # The detained were its most willing people (lowest risk aversion: the ones who
        # acted), so those left free are the more risk-averse (``free_active_share``).
        jailed = p.jail[cand] > 0
        held = np.where(p.detained[cand] > 0, p.detained[cand], np.float32(1.0))
        held = np.where(jailed, held, np.float32(0.0)).astype(np.float64)
        share = free_active_share(share, held)
        others = np.where(jailed, ppa * (1.0 - held), ppa - 1.0)
        turnout = np.zeros(p.n)
        u_c = u_agent[U_RANK : U_FRAC + 1, cand]
        turnout[cand] = represented_turnout(own[cand], share, ppa, u_c, others)
    else:
        turnout = represented_turnout(own, np.zeros(0), ppa, None)
    turnout = turnout.astype(np.float32)
    grieved = eligible & (p.grievance > threshold)
    return turnout, float(np.sum(1.0 - turnout[grieved], dtype=np.float64))


def aggregate(model) -> Events:
    """Group this month's actives into events by locality and claim, and add the month's
    turnout to each work unit's protest memory (read by next month's links)."""
    p, prm = model.people, model.params
    act, share = active_rows(p)
    claim = claim_of(p.kind[act], p.status[act])  # (the actives' claims only)
    ppa = float(prm.people_per_agent)
    loc, cl, agents, size = group_events(
        model.locality[act], claim, model.n_localities, ppa, share * ppa
    )
    # Which actives belong to an event: their group reached the floor.
    row = np.full(model.n_localities * N_CLAIMS, -1, dtype=np.int64)
    row[loc * N_CLAIMS + cl] = np.arange(loc.size)
    index = np.full(p.n, -1, dtype=np.int64)
    index[act] = row[model.locality[act] * N_CLAIMS + claim]
    urban = model.loc_urban[loc]
    n_units = max(model.units.n, 1)
    at_unit = loc < model.units.n
    units_protesting = np.unique(loc[at_unit]).size
    # Per claim: how many work units hold an event of it this month (one per unit).
    units_by_claim = np.bincount(cl[at_unit], minlength=N_CLAIMS) / n_units
    link = locality_links(model)  # the links this month's decisions were made under
    # This month's struggle enters each unit's memory (E4), for next month's links.
    n_u = model.units.n
    in_unit = model.locality[act] < n_u
    active_in_unit = np.bincount(
        model.locality[act][in_unit], weights=share[in_unit], minlength=n_u
    )
    model.units.protest_memory = remember(
        model.units.protest_memory, active_in_unit / np.maximum(model.loc_size[:n_u], 1)
    )
    return Events(
        locality=loc,
        claim=cl,
        participants=agents,
        size=size,
        size_class=size_class(size),
        urban=urban,
        breadth=units_protesting / n_units,
        index=index,
        link=link[loc],
        claim_breadth=units_by_claim[cl],
        agents_worth=size / ppa,
    )
