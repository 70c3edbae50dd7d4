"""The state's response to protest events: concession, pacification, repression.

Rules from seed 003's repression and concession repertoire (§4.2 D1–D15):

- D1 (line 21, 93): scale and breadth bring concession; D2 (line 97): isolated protests
  get a small one-time payment. The chance of conceding is logistic in log size and in
  breadth (share of units protesting the same month), shifted by the regime's stance.
  Only events of class III and above (≥ 300 people: "thousands", lines 21, 93) win
  policy, and a concession answers the event's own claim in its own locality.
- D6 (lines 25, 100): leaders are targeted — enforcers arrest the most active
  participants, up to the locality's enforcement capacity, for 2–4 months (line 25).
  Capacity is rounded stochastically, so its expectation is the same share of people at
  any ``people_per_agent``.
- D7 (line 93): a protest that is crushed leaves fear behind in its locality, in
  proportion to the share of the locality's people it took (``fear_turnout``).
- D9 (line 100): rural protest is less visible, so repression there costs the state
  less legitimacy; visibility grows with size.
"""

from __future__ import annotations

import numpy as np

from sim.grouping import first_k_per_group
from sim.submodels.protest import CLAIM_STATUS, N_CLAIMS, Events, claim_of

POLICY_CONCESSION_SIZE = 300.0  # size class III and above wins policy, not only payment


def concession_probability(
    size: np.ndarray, breadth: float, base: float, w_size: float, w_breadth: float, bias: float
) -> np.ndarray:
    """Chance the state concedes, logistic in log10(size) and breadth (seed 003 D1–D2)."""
    logit = base + w_size * np.log10(np.maximum(size, 1.0)) + w_breadth * breadth + bias
    return 1.0 / (1.0 + np.exp(-logit))


def visibility(size: np.ndarray, urban: np.ndarray, scale: float, rural: float) -> np.ndarray:
    """How visible an event is, in [0, 1] (seed 003 D8–D9)."""
    return np.clip(size / scale, 0.0, 1.0) * np.where(urban, 1.0, rural)


def leaders_to_arrest(
    locality: np.ndarray, activism: np.ndarray, capacity: np.ndarray, tiebreak: np.ndarray
) -> np.ndarray:
    """Boolean mask over actives: the ``capacity[loc]`` most active in each locality.

    ``locality`` and ``activism`` describe the active people; ``capacity`` is indexed by
    locality; ``tiebreak`` orders equally active people.
    """
    return first_k_per_group(locality, capacity, (tiebreak, -activism))


def arrest_capacity(
    enforcers: np.ndarray,
    per_officer: float,
    repression: float,
    brutality: np.ndarray,
    u: np.ndarray,
) -> np.ndarray:
    """Arrests each locality's enforcers can make this month, in agents.

    ``enforcers`` is in agents, so the expected capacity is the same share of the
    locality's people at any ``people_per_agent``; it is rounded stochastically
    (``floor(x + u)``, ``u`` uniform) rather than to the nearest agent, which would
    give a small locality one arrest at 10 people per agent and three at 5.
    """
    return np.floor(enforcers * per_officer * repression * brutality + u)


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


def respond(model, events: Events) -> None:
    """Apply concessions, payments, arrests and deterrence to this month's events."""
    t, p, prm, lv, rng = model.tally, model.people, model.params, model.levers, model.rng
    t.update(
        arrests=0,
        concessions=0,
        pacifications=0,
        visible_arrests=0.0,
        conceded_people=0.0,
        unresolved_people=0.0,
    )
    if events.n == 0:
        return
    n_loc = model.n_localities
    vis = visibility(events.size, events.urban, prm.visibility_scale, prm.rural_visibility)
    # A worker seizure in the locality ("model", seed 003 E1, line 21) makes the
    # authorities concede pre-emptively.
    seizure_bonus = model.loc_model_seizure[events.locality] * 1.5
    p_c = concession_probability(
        events.size,
        events.breadth,
        prm.concession_base,
        prm.concession_size,
        prm.concession_breadth,
        lv.concession_bias + seizure_bonus,
    )
    p_c = p_c * model.mechanisms.gain("concessions")
    conceded = rng.random(events.n) < p_c
    # Policy needs scale (D1: thousands, line 21); isolated protests of a single factory
    # get a one-time payment at most (D2, line 97). Breadth raises the chance (above).
    policy = conceded & (events.size >= POLICY_CONCESSION_SIZE)
    payment = conceded & ~policy

    # A concession answers the group's claim, in its locality: arrears paid to those
    # pressing it, and the denied among them restored to a stipend (seed 003 L21, L93).
    claim = claim_of(p.kind, p.status)
    group = model.locality * N_CLAIMS + claim
    won = np.zeros(n_loc * N_CLAIMS, dtype=bool)
    won[events.locality[policy] * N_CLAIMS + events.claim[policy]] = True
    members_policy = won[group]
    p.arrears = np.where(members_policy, 0.0, p.arrears)
    restored = members_policy & (claim == CLAIM_STATUS) & (p.status == 4)
    p.status = np.where(restored, 2, p.status)
    # ... with a fresh stipend: protest defends "Xiagang payments" (C1, line 27).
    p.laid_off = np.where(restored, model.step_index, p.laid_off)
    p.stipend_months = np.where(restored, prm.restored_stipend_months, p.stipend_months)
    # Pacification: a one-time payment to the participants (seed 003 D2, line 97).
    row = events.rows(p.n)
    in_event = row >= 0
    paid = np.zeros(p.n, dtype=bool)
    paid[in_event] = payment[row[in_event]]
    p.relief = p.relief + np.where(paid, prm.pacification_payment, 0.0).astype(np.float32)

    # Arrests of leaders (D6), capacity from police and security cadres, harsher where
    # invisible for peasants (D9).
    loc_vis = np.zeros(n_loc)
    np.maximum.at(loc_vis, events.locality, vis)
    enforcers = prm.police_per_1000 / 1000.0 * model.loc_size + model.loc_security
    brutality = np.where(model.loc_urban, 1.0, 2.0 - loc_vis)
    # Hired proxies add hands (seed 003 D5, line 93: 500 peasants at Y50 a day).
    hands = enforcers * (1.0 + lv.proxy_enforcers)
    capacity = arrest_capacity(
        hands, prm.arrests_per_officer, lv.repression, brutality, rng.random(n_loc)
    )
    capacity = capacity * model.mechanisms.gain("arrests")
    members = np.flatnonzero(in_event)
    if members.size:
        loc_a = model.locality[members]
        pick = leaders_to_arrest(loc_a, p.activism[members], capacity, rng.random(members.size))
        jailed = members[pick]
        p.jail[jailed] = rng.integers(prm.jail_min, prm.jail_max + 1, size=jailed.size)
        p.active[jailed] = False
        p.dossier[jailed] += 1
        # Core activists "kept on fighting" after detention (seed 003 D7, line 25).
        p.activism[jailed] = np.minimum(p.activism[jailed] + 0.1, 1.0)
        t["arrests"] = int(jailed.size)
        # ... and their arrests escape "the public reaction" to police doing it (D5).
        t["visible_arrests"] = float(np.sum(vis[row[jailed]])) * (1.0 - lv.proxy_enforcers)
        t["proxy_arrests"] = float(jailed.size * lv.proxy_enforcers)

    # Deterrence after defeat (D7): fear settles on localities whose protest won nothing,
    # in proportion to how many of their people it took.
    defeated = np.bincount(
        events.locality[~conceded], weights=events.size[~conceded], minlength=n_loc
    )
    added = deterrence_fear(
        defeated,
        model.loc_size * prm.people_per_agent,
        prm.fear_after_defeat * lv.deterrence * model.mechanisms.gain("fear_deterrence"),
        prm.fear_turnout,
    )
    p.fear = np.minimum(p.fear + added[model.locality], 1.0).astype(np.float32)
    t["concessions"] = int(np.count_nonzero(policy))
    t["pacifications"] = int(np.count_nonzero(payment))
    # Legitimacy answers to visible outcomes: won policy, and protest left unresolved.
    t["conceded_people"] = float(np.sum(events.participants[policy] * vis[policy]))
    t["unresolved_people"] = float(np.sum(events.participants[~conceded] * vis[~conceded]))
    units = events.locality[events.locality < model.units.n]
    model.units.protest_months[np.unique(units)] += 1


def decay(model) -> None:
    """Jail terms run down; fear fades."""
    p, prm = model.people, model.params
    p.jail = np.maximum(p.jail - 1, 0)
    p.fear = p.fear * np.float32(1.0 - prm.fear_decay)
