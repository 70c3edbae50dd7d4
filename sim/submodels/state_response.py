"""The state's response to protest events: concession, pacification, repression.

Rules from seed 003's repression and concession repertoire (§4.2 D1–D15):

- D1 (line 21, 93): scale and breadth bring concession; D2 (line 97): isolated protests
  get a small one-time payment. The chance of conceding is logistic in log size and in
  breadth (share of units protesting the same month), shifted by the regime's stance.
  Only events of ``policy_concession_size`` people or more (300: class III and above;
  "thousands", lines 21, 93) win
  policy, and a concession answers the event's own claim in its own locality.
- D6 (lines 25, 100): leaders are targeted — enforcers arrest the most active
  participants, up to the locality's enforcement capacity, for 2–4 months (line 25).
  Capacity is rounded stochastically to whole people, so its expectation is the same
  share of people at any ``people_per_agent`` and small protests are taken as often.
- D7 (line 93): a protest that is crushed leaves fear behind in its locality, in
  proportion to the share of the locality's people it took (``fear_turnout``).
- D9 (line 100): rural protest is less visible, so repression there costs the state
  less legitimacy; visibility grows with size.

Conditions of the response (docs/ODD.md 7.4, 7.11):

- Breadth (D1–D2, lines 21, 93, 97) is read from this month's events: an event's breadth
  is how many localities press its claim (share, against ``broad_claim_share``) and how
  many claims (classes) are out at once. Broad protest gets concessions; an isolated
  event (breadth below ``narrow_breadth``) is paid off at most, never policy.
- The elite (``sim.submodels.elite``): the elite's split, graded in its cohesion, cuts
  arrests and deterrence, makes concessions liable to be contradicted, and defected security cadres are lost to
  enforcement and tilt their locality toward conceding.
- D4 (line 93): a temporary win (in the street or in court) in a sold unit — the buyer
  "put on pressure" — brings escalation there: more arrests "bypassing the courts", and
  concessions resisted, fading over months.
- D8 (line 100): repression is "particularly strong" where visible urban protest
  challenges privatization itself: an event in a unit sold within the last
  ``challenge_months`` months (line 93: "as the enterprise was being sold off"); after
  that the sold unit's protest defends residual benefits (C1, line 27) and is met by the
  ordinary repertoire.
- D13 (line 93): the courts are a partial ally: a defeated unit protest may win its claim
  in court ("our laws, Mao's laws were upheld"), unless escalation bypasses them.
- D14 (line 95): the police are reluctant agents against workers: their arrests in work
  units scale with ``1 − reluctance × (1 − pressure from superiors)``.
- Blame (O'Brien & Li 2006; Li 2004): arrests leave a per-locality memory of local
  repression that lowers that locality's legitimacy (``legitimacy.update_local``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.grouping import first_k_per_group
from sim.state import Kind
from sim.submodels import elite
from sim.submodels.hardship import STATUS_LOSS
from sim.submodels.protest import CLAIM_STATUS, N_CLAIMS, Events, claim_of


@dataclass
class Memory:
    """Per-locality memory of the state's response (``model.response``)."""

    escalation: np.ndarray
    """0..1: escalation after a temporary win in a sold unit (D4)."""
    blame: np.ndarray
    """0..1: memory of local repression, blamed on local officials."""
    unresolved: np.ndarray
    """This month's protest left unresolved, by the locality where it happened (agents'
    worth, visibility-weighted; rebuilt by every ``respond``, read by
    ``legitimacy.update_layers``). Sums to ``tally["unresolved_people"]``."""


def init(n_localities: int) -> Memory:
    return Memory(np.zeros(n_localities), np.zeros(n_localities), np.zeros(n_localities))


def unresolved_by_locality(
    locality: np.ndarray, weight: np.ndarray, unresolved: np.ndarray, n_localities: int
) -> np.ndarray:
    """Visibility-weighted people (``weight``) of the events left ``unresolved``, summed
    by the locality of each event: unrest is blamed where it went unanswered, not where
    a conceded or paid-off event happened the same month."""
    return np.bincount(locality[unresolved], weights=weight[unresolved], minlength=n_localities)[
        :n_localities
    ]


def event_breadth(
    locality: np.ndarray,
    claim: np.ndarray,
    n_localities: int,
    broad_share: float,
    linkage_weight: float = 0.5,
) -> np.ndarray:
    """Breadth of each event in [0, 1] from this month's events (D1–D2).

    A share ``linkage_weight`` (``Params.breadth_linkage_weight``, half by default) is
    cross-locality linkage — the share of localities pressing the same claim, full at
    ``broad_share`` — and the rest cross-class breadth — how many of the other claims
    (the employed, laid-off, retirees, migrants, peasants) are out the same month. Both
    are shares, so breadth is free of ``people_per_agent`` and of the number of
    localities.
    """
    if locality.size == 0:
        return np.zeros(0)
    pairs = np.unique(locality.astype(np.int64) * N_CLAIMS + claim)
    per_claim = np.bincount(pairs % N_CLAIMS, minlength=N_CLAIMS) / max(n_localities, 1)
    linkage = np.minimum(per_claim / max(broad_share, 1e-12), 1.0)
    classes = (np.count_nonzero(per_claim) - 1) / (N_CLAIMS - 1)
    return linkage_weight * linkage[claim] + (1.0 - linkage_weight) * classes


def challenging_units(restructured: np.ndarray, step_index: int, window: float) -> np.ndarray:
    """Per unit: is protest there a challenge to privatization itself (D8, C1)?

    A unit sold within the last ``window`` months is still being sold off and broken up
    — its staff fight the sale, the layoffs and the stripping (seed 003 line 93: "as the
    enterprise was being sold off", police night arrests, hired thugs). After that, the
    protest of its laid-off and retired is "to hold on to their pensions, Xiagang
    payments, medical care, housing ... rather than to prevent the loss of the factories
    themselves" (C1, line 27): a defence of residual benefits, which the ordinary
    repertoire meets with payments (D2, line 97), not the "particularly strong"
    repression of a challenge to "the very heart of the 'reforms'" (D8, line 100).
    """
    age = step_index - np.asarray(restructured, dtype=np.float64)
    return (np.asarray(restructured) >= 0) & (age < window)


def police_compliance(reluctance: float, pressure: float) -> float:
    """Share of police effort actually spent against workers (D14, line 95)."""
    return float(np.clip(1.0 - reluctance * (1.0 - pressure), 0.0, 1.0))


def next_escalation(
    escalation: np.ndarray, won: np.ndarray, sold: np.ndarray, gain: float, decay: float
) -> np.ndarray:
    """Escalation per locality after this month's wins (D4): up where a sold unit's
    workers won a round, fading elsewhere; in [0, 1]."""
    faded = escalation * (1.0 - decay)
    return np.clip(np.where(won & sold, faded + gain * (1.0 - faded), faded), 0.0, 1.0)


def next_blame(blame: np.ndarray, arrested_share: np.ndarray, gain: float, decay: float):
    """Memory of local repression per locality, in [0, 1]."""
    faded = blame * (1.0 - decay)
    return np.clip(faded + (1.0 - faded) * np.minimum(gain * arrested_share, 1.0), 0.0, 1.0)


def concession_probability(
    size: np.ndarray, breadth: float, base: float, w_size: float, w_breadth: float, bias: float
) -> np.ndarray:
    """Chance the state concedes, logistic in log10(size) and breadth (seed 003 D1–D2)."""
    logit = base + w_size * np.log10(np.maximum(size, 1.0)) + w_breadth * breadth + bias
    return 1.0 / (1.0 + np.exp(-logit))


def concession_bias(
    stance: float,
    seizure: np.ndarray,
    w_seizure: float,
    split: np.ndarray,
    w_split: float,
    harsh: np.ndarray,
    escalation: np.ndarray,
    w_escalation: float,
) -> np.ndarray:
    """Log-odds added to each event's concession: the regime's stance, plus
    ``w_seizure`` where the locality has a worker seizure that stands as a "model" (E1,
    seed 003 line 21: the authorities, "afraid that the workers would take militant
    action", concede pre-emptively), plus ``w_split`` × the locality's defected share of
    security (a split elite concedes), minus the harshness of a challenge to
    privatization (D8) and ``w_escalation`` × escalation after a win (D4)."""
    return stance + seizure * w_seizure + w_split * split - harsh - w_escalation * escalation


def rural_brutality(urban: np.ndarray, vis: np.ndarray, unseen: float) -> np.ndarray:
    """Arrest capacity multiplier per locality (D9, seed 003 line 100): 1 in the city;
    in the countryside ``unseen`` for invisible protest, falling linearly to 1 at full
    visibility ("can be even more brutal" where no one sees)."""
    return np.where(urban, 1.0, unseen - (unseen - 1.0) * vis)


def visibility(size: np.ndarray, urban: np.ndarray, scale: float, rural: float) -> np.ndarray:
    """How visible an event is, in [0, 1] (seed 003 D8–D9)."""
    return np.clip(size / scale, 0.0, 1.0) * np.where(urban, 1.0, rural)


def leaders_to_arrest(
    locality: np.ndarray,
    activism: np.ndarray,
    capacity: np.ndarray,
    tiebreak: np.ndarray,
    share: np.ndarray | None = None,
    accept: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask over actives: the ``capacity[loc]`` most active in each locality.

    ``locality`` and ``activism`` describe the active agents; ``capacity`` is indexed by
    locality, in agents' worth of people; ``tiebreak`` orders equally active agents.
    With ``share`` (each agent's active share of its people, sim/submodels/protest.py)
    agents are taken in that order while their active people fit the capacity; the one
    that overflows it is taken with probability (capacity left) / share, decided by
    ``accept`` (uniform), so arrests in people are unbiased. Whole agents (share 1) are
    the plain first ``capacity`` (nothing is read from ``accept``).
    """
    if share is None:
        return first_k_per_group(locality, capacity, (tiebreak, -activism))
    if locality.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((tiebreak, -activism, locality))
    g, w = locality[order], share[order].astype(np.float64)
    cum = np.cumsum(w)
    start = np.searchsorted(g, g, side="left")
    before = cum - w - (cum[start] - w[start])  # people taken in the locality before this one
    left = capacity[g] - before
    take = (left >= w - 1e-9) | ((left > 0) & (accept[order] * w < left))
    chosen = np.zeros(locality.size, dtype=bool)
    chosen[order] = take & (left > 0)
    return chosen


def arrest_capacity(
    enforcers: np.ndarray,
    per_officer: float,
    repression: float,
    brutality: np.ndarray,
    u: np.ndarray,
    people_per_agent: float = 1.0,
) -> np.ndarray:
    """Arrests each locality's enforcers can make this month, in agents' worth of people.

    ``enforcers`` is in agents, so the expected capacity is the same share of the
    locality's people at any ``people_per_agent``; it is rounded stochastically
    (``floor(x + u)``, ``u`` uniform) to whole *people*, not agents: rounded to whole
    agents, a unit whose enforcers can take 2.6 people a month took none in three months
    of four and ten in the fourth at 10 people per agent, so the small protests of the
    other months went free and arrests fell about a fifth short of 1 person per agent.
    """
    ppa = float(people_per_agent)
    return np.floor(enforcers * per_officer * repression * brutality * ppa + u) / ppa


def deterrence_fear(
    defeated_people: np.ndarray,
    loc_people: np.ndarray,
    fear_after_defeat: float,
    full_turnout: float,
) -> np.ndarray:
    """Fear a crushed protest leaves on its locality, growing with its turnout (D7).

    A defeat that took ``full_turnout`` of the locality's people or more frightens all of
    them by ``fear_after_defeat`` ("Now everyone is afraid to continue struggling", seed
    003 line 93, after thousands fought and lost); a handful crushed frightens in
    proportion. Turnout is a share of represented people, so it is free of
    ``people_per_agent``.
    """
    turnout = defeated_people / np.maximum(loc_people, 1.0)
    return fear_after_defeat * np.minimum(turnout / max(full_turnout, 1e-12), 1.0)


def fear_weight(status: np.ndarray, nothing_to_lose: float) -> np.ndarray:
    """Share of a defeat's fear (D7) that settles on a person, by what they have left to
    lose (B6, seed 003 line 100: "not afraid to die, since they have nothing"): 1 for the
    employed, ``1 − nothing_to_lose × STATUS_LOSS`` for the laid-off (the share of risk
    aversion they shed in the protest decision, ``protest.effective_risk``). The defeat
    still frightens them (line 93: "now everyone is afraid"), less than those with a job.
    """
    return (1.0 - nothing_to_lose * np.take(STATUS_LOSS, status)).astype(np.float32)


def _active_share_at(p, rows: np.ndarray) -> np.ndarray:
    """``protest.active_share(p)[rows]``, computed on those rows only (the same values)."""
    t = p.turnout[rows]
    whole = np.where(t > 0, t, np.float32(1.0))
    return np.where(p.active[rows], whole, np.float32(0.0))


def respond(model, events: Events) -> None:
    """Apply concessions, payments, arrests and deterrence to this month's events."""
    t, p, prm, lv, rng = model.tally, model.people, model.params, model.levers, model.rng
    on, mem, st = model.mechanisms.gain, model.response, model.elite
    t.update(
        arrests=0,
        concessions=0,
        pacifications=0,
        visible_arrests=0.0,
        conceded_people=0.0,
        unresolved_people=0.0,
        contradicted=0,
        court_wins=0,
    )
    n_loc, n_units = model.n_localities, model.units.n
    sold_loc = np.zeros(n_loc, dtype=bool)
    sold_loc[:n_units] = model.units.restructured >= 0
    if events.n == 0:
        # A quiet month: memories fade.
        mem.escalation = mem.escalation * (1.0 - prm.escalation_decay)
        mem.blame = mem.blame * (1.0 - prm.blame_decay)
        mem.unresolved = np.zeros(n_loc)
        return
    vis = visibility(events.size, events.urban, prm.visibility_scale, prm.rural_visibility)
    # Breadth read from the events (D1-D2): off, the protest module's share of units.
    b_on = "breadth_response" in model.mechanisms
    breadth = (
        event_breadth(
            events.locality,
            events.claim,
            n_loc - 1,
            prm.broad_claim_share,
            prm.breadth_linkage_weight,
        )
        if b_on
        else np.full(events.n, events.breadth)
    )
    narrow = breadth < prm.narrow_breadth * on("breadth_response")
    # D8: an event in a unit being sold challenges privatization itself (C1: later, the
    # sold unit's protest defends benefits).
    challenge_loc = np.zeros(n_loc, dtype=bool)
    challenge_loc[:n_units] = challenging_units(
        model.units.restructured, model.step_index, lv.challenge_months
    )
    challenge = challenge_loc[events.locality] * on("privatization_challenge")
    harsh = lv.privatization_harshness * challenge * vis
    esc = mem.escalation[events.locality] * on("repression_escalation")
    # Defected security cadres side with the protest (a split elite concedes).
    defected_loc = elite.locality_defection(model)
    split = defected_loc / np.maximum(model.loc_security, 1e-12)
    bias = concession_bias(
        lv.concession_bias,
        model.loc_model_seizure[events.locality],
        prm.model_seizure_concession,
        split[events.locality],
        prm.split_concession,
        harsh,
        esc,
        prm.escalation_concession,
    )
    p_c = concession_probability(
        events.size, breadth, prm.concession_base, prm.concession_size, prm.concession_breadth, bias
    )
    p_c = p_c * model.mechanisms.gain("concessions")
    conceded = rng.random(events.n) < p_c
    # Policy needs scale (D1: thousands, line 21) and is never won by an isolated event:
    # those of a single factory get a one-time payment at most (D2, line 97).
    policy = conceded & (events.size >= prm.policy_concession_size) & ~narrow
    # A divided elite concedes and reneges, on policy and payments alike (seed 002 line
    # 249, "vacillation"; seed 003 line 29, "government promises, which are not kept").
    p_contra = prm.contradiction_rate * st.split * on("concession_coherence")
    contradicted = conceded & (rng.random(events.n) < p_contra)
    policy = policy & ~contradicted
    payment = conceded & ~policy & ~contradicted
    # The courts (D13): a defeated unit protest may win its claim in court, unless
    # escalation bypasses them.
    in_unit = events.locality < n_units
    p_court = lv.court_access * (1.0 - esc) * in_unit * on("courts")
    court = ~conceded & (rng.random(events.n) < p_court)

    # A concession answers the group's claim, in its locality: arrears paid to those
    # pressing it, and the denied among them restored to a stipend (seed 003 L21, L93).
    wins = policy | court
    if wins.any():  # (no win: nothing below changes anyone's state)
        # Only the people of localities with a win can be members of a winning group.
        loc_won = np.zeros(n_loc, dtype=bool)
        loc_won[events.locality[wins]] = True
        there = np.flatnonzero(np.take(loc_won, model.locality))
        claim = claim_of(p.kind[there], p.status[there])
        won = np.zeros(n_loc * N_CLAIMS, dtype=bool)
        won[events.locality[wins] * N_CLAIMS + events.claim[wins]] = True
        hit = np.take(won, model.locality[there] * N_CLAIMS + claim)
        members_policy, claim = there[hit], claim[hit]
        p.arrears[members_policy] = 0.0
        # Only workers and technicians were laid off onto a stipend; a cadre the new
        # owners kicked out is "now also unemployed" (seed 003 L123) with no xiagang terms
        # to restore.
        kind = p.kind[members_policy]
        laid_off_staff = (kind == Kind.WORKER) | (kind == Kind.TECHNICIAN)
        status = p.status[members_policy]
        restored = members_policy[(claim == CLAIM_STATUS) & (status == 4) & laid_off_staff]
        p.status[restored] = 2
        # ... with a fresh stipend: protest defends "Xiagang payments" (C1, line 27).
        p.laid_off[restored] = model.step_index
        p.stipend_months[restored] = prm.restored_stipend_months
    # Pacification: a one-time payment to the participants (seed 003 D2, line 97).
    row = events.rows(p.n)
    in_event = row >= 0
    members = np.flatnonzero(in_event)
    if payment.any():
        paid = members[payment[row[members]]]
        # Paid to the people who protested: an agent's mean payment is its active share's.
        p.relief[paid] += prm.pacification_payment * _active_share_at(p, paid)

    # Arrests of leaders (D6), capacity from police and security cadres, harsher where
    # invisible for peasants (D9).
    loc_vis = np.zeros(n_loc)
    np.maximum.at(loc_vis, events.locality, vis)
    loc_harsh = np.zeros(n_loc)
    np.maximum.at(loc_harsh, events.locality, harsh)
    # D14: police in work units act against workers only as far as pressed from above.
    comply = police_compliance(lv.police_reluctance * on("police_reluctance"), lv.superior_pressure)
    police = prm.police_per_1000 / 1000.0 * model.loc_size
    police = np.where(np.arange(n_loc) < n_units, police * comply, police)
    security = model.loc_security - defected_loc
    enforcers = police + np.maximum(security, 0.0)
    brutality = rural_brutality(model.loc_urban, loc_vis, prm.rural_brutality)
    # Cohesion sets how effectively the enforcers repress, by degree (seed 002 H1-H2).
    effect = 1.0 - prm.repression_capacity_loss * st.split * on("elite_repression_capacity")
    brutality = (
        brutality
        * effect
        * (1.0 + loc_harsh)
        * (1.0 + prm.escalation_repression * mem.escalation * on("repression_escalation"))
    )
    # Hired proxies add hands (seed 003 D5, line 93: 500 peasants at Y50 a day).
    hands = enforcers * (1.0 + lv.proxy_enforcers)
    capacity = arrest_capacity(
        hands,
        prm.arrests_per_officer,
        lv.repression,
        brutality,
        rng.random(n_loc),
        max(float(prm.people_per_agent), 1.0),
    )
    capacity = capacity * model.mechanisms.gain("arrests")
    arrested = np.zeros(n_loc)
    if members.size:
        loc_a = model.locality[members]
        tiebreak = rng.random(members.size)
        # Agents stand for people of whom only a share may be active (protest.py): an
        # arrest takes the agent's active people; capacity is counted in people.
        whole = prm.people_per_agent <= 1.0
        share = None if whole else _active_share_at(p, members)
        accept = None if whole else rng.random(members.size)
        pick = leaders_to_arrest(loc_a, p.activism[members], capacity, tiebreak, share, accept)
        jailed = members[pick]
        taken = _active_share_at(p, jailed).astype(np.float64)
        term = rng.integers(prm.jail_min, prm.jail_max + 1, size=jailed.size)
        # Its active people are detained (added to any already held); its others stay free.
        held = np.where(p.jail[jailed] > 0, p.detained[jailed], np.float32(0.0))
        p.detained[jailed] = np.minimum(held + taken, 1.0)
        p.jail[jailed] = np.maximum(p.jail[jailed], term)
        p.active[jailed] = False
        p.turnout[jailed] = 0.0  # no stale share for a later, whole activation
        p.dossier[jailed] += 1
        # Core activists "kept on fighting" after detention (seed 003 D7, line 25).
        # (the agent's mean: only its detained share was arrested).
        gain = (prm.detention_activism * taken).astype(np.float32)
        p.activism[jailed] = np.minimum(p.activism[jailed] + gain, 1.0)
        t["arrests"] = float(taken.sum())  # agents' worth of people (outcome × ppa)
        # ... and their arrests escape "the public reaction" to police doing it (D5).
        t["visible_arrests"] = float(np.sum(vis[row[jailed]] * taken)) * (1.0 - lv.proxy_enforcers)
        t["proxy_arrests"] = float(taken.sum() * lv.proxy_enforcers)
        arrested = np.bincount(model.locality[jailed], weights=taken, minlength=n_loc)

    # Deterrence after defeat (D7): fear settles on localities whose protest won nothing,
    # in proportion to how many of their people it took.
    lost = ~conceded & ~court
    defeated = np.bincount(events.locality[lost], weights=events.size[lost], minlength=n_loc)
    added = deterrence_fear(
        defeated,
        model.loc_size * prm.people_per_agent,
        prm.fear_after_defeat * lv.deterrence * model.mechanisms.gain("fear_deterrence") * effect,
        prm.fear_turnout,
    )
    # Fear + added, at most 1; computed on the rows of the localities it settles on. It
    # weighs on each person by what they still have to lose (B6): the laid-off are "not
    # afraid to die, since they have nothing—and so will keep on struggling" (line 100).
    rows = np.flatnonzero(np.take(added != 0, model.locality) if added.any() else added[:0])
    lose = fear_weight(p.status[rows], prm.nothing_to_lose)
    frightened = np.minimum(p.fear[rows] + added[model.locality[rows]] * lose, 1.0)
    np.minimum(p.fear, 1.0, out=p.fear)
    p.fear[rows] = frightened
    t["concessions"] = int(np.count_nonzero(policy))
    t["pacifications"] = int(np.count_nonzero(payment))
    t["contradicted"] = int(np.count_nonzero(contradicted))
    t["court_wins"] = int(np.count_nonzero(court))
    # Legitimacy answers to visible outcomes: won policy, and protest left unresolved.
    # In agents' worth of people (size / people_per_agent: agents may be partly active).
    per_agent = events.size / float(prm.people_per_agent)
    t["conceded_people"] = float(np.sum(per_agent[policy] * vis[policy]))
    unresolved = ~policy & ~payment & ~court
    t["unresolved_people"] = float(np.sum(per_agent[unresolved] * vis[unresolved]))
    # ... and where it was left unresolved, for the officials blamed there (7.2).
    mem.unresolved = unresolved_by_locality(events.locality, per_agent * vis, unresolved, n_loc)
    units = events.locality[events.locality < n_units]
    model.units.protest_months[np.unique(units)] += 1
    # Memories: D4 escalation where a sold unit's workers won a round; local blame for
    # the arrests (a share of the locality's people, so free of people_per_agent).
    won_loc = np.zeros(n_loc, dtype=bool)
    won_loc[events.locality[wins]] = True
    mem.escalation = next_escalation(
        mem.escalation, won_loc, sold_loc, lv.escalation, prm.escalation_decay
    )
    mem.blame = next_blame(
        mem.blame, arrested / np.maximum(model.loc_size, 1.0), prm.blame_gain, prm.blame_decay
    )


def decay(model) -> None:
    """Jail terms run down; fear fades."""
    p, prm = model.people, model.params
    np.maximum(p.jail - 1, 0, out=p.jail)
    p.detained[p.jail <= 0] = 0.0
    p.fear *= np.float32(1.0 - prm.fear_decay)
