"""The state's response to protest events: concession, pacification, repression.

Rules from seed 003's repression and concession repertoire (§4.2 D1–D15):

- D1 (line 21, 93): scale and breadth bring concession; D2 (line 97): isolated protests
  get a small one-time payment. The chance of conceding is logistic in log size and in
  breadth (share of units protesting the same month), shifted by the regime's stance.
- D6 (lines 25, 100): leaders are targeted — enforcers arrest the most active
  participants, up to the locality's enforcement capacity, for 2–4 months (line 25).
- D7 (line 93): a protest that is crushed leaves fear behind in its locality.
- D9 (line 100): rural protest is less visible, so repression there costs the state
  less legitimacy; visibility grows with size.
"""

from __future__ import annotations

import numpy as np

from sim.grouping import first_k_per_group
from sim.submodels.protest import Events

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


def respond(model, events: Events) -> None:
    """Apply concessions, payments, arrests and deterrence to this month's events."""
    t, p, prm, lv, rng = model.tally, model.people, model.params, model.levers, model.rng
    t.update(arrests=0, concessions=0, pacifications=0, visible_arrests=0.0, conceded_people=0.0)
    if events.n == 0:
        return
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
    policy = conceded & ((events.size >= POLICY_CONCESSION_SIZE) | (events.breadth > 0.1))
    payment = conceded & ~policy

    loc_policy = np.zeros(model.n_localities, dtype=bool)
    loc_policy[events.locality[policy]] = True
    loc_payment = np.zeros(model.n_localities, dtype=bool)
    loc_payment[events.locality[payment]] = True
    members_policy = loc_policy[model.locality]
    # Policy concession: arrears paid, denied status restored to a stipend (seed 003 L21, L93).
    p.arrears = np.where(members_policy, 0.0, p.arrears)
    restored = members_policy & (p.status == 4)
    p.status = np.where(restored, 2, p.status)
    # ... with a fresh stipend: protest defends "Xiagang payments" (C1, line 27).
    p.laid_off = np.where(restored, model.step_index, p.laid_off)
    p.stipend_months = np.where(restored, prm.restored_stipend_months, p.stipend_months)
    # Pacification: a one-time payment to participants (seed 003 D2, line 97).
    paid = loc_payment[model.locality] & p.active
    p.relief = p.relief + np.where(paid, prm.pacification_payment, 0.0).astype(np.float32)

    # Arrests of leaders (D6), capacity from police and security cadres, harsher where
    # invisible for peasants (D9).
    loc_vis = np.zeros(model.n_localities)
    loc_vis[events.locality] = vis
    enforcers = prm.police_per_1000 / 1000.0 * model.loc_size + model.loc_security
    brutality = np.where(model.loc_urban, 1.0, 2.0 - loc_vis)
    # Hired proxies add hands (seed 003 D5, line 93: 500 peasants at Y50 a day).
    hands = enforcers * (1.0 + lv.proxy_enforcers)
    capacity = np.floor(hands * prm.arrests_per_officer * lv.repression * brutality + 0.5)
    capacity = capacity * model.mechanisms.gain("arrests")
    active_idx = np.flatnonzero(p.active)
    if active_idx.size:
        loc_a = model.locality[active_idx]
        protesting = np.zeros(model.n_localities, dtype=bool)
        protesting[events.locality] = True
        keep = protesting[loc_a]
        active_idx, loc_a = active_idx[keep], loc_a[keep]
        pick = leaders_to_arrest(
            loc_a, p.activism[active_idx], capacity, rng.random(active_idx.size)
        )
        jailed = active_idx[pick]
        p.jail[jailed] = rng.integers(prm.jail_min, prm.jail_max + 1, size=jailed.size)
        p.active[jailed] = False
        p.dossier[jailed] += 1
        # Core activists "kept on fighting" after detention (seed 003 D7, line 25).
        p.activism[jailed] = np.minimum(p.activism[jailed] + 0.1, 1.0)
        t["arrests"] = int(jailed.size)
        # ... and their arrests escape "the public reaction" to police doing it (D5).
        t["visible_arrests"] = float(np.sum(loc_vis[model.locality[jailed]])) * (
            1.0 - lv.proxy_enforcers
        )
        t["proxy_arrests"] = float(jailed.size * lv.proxy_enforcers)

    # Deterrence after defeat (D7): fear settles on localities that won nothing.
    fear_added = prm.fear_after_defeat * lv.deterrence * model.mechanisms.gain("fear_deterrence")
    defeated = np.zeros(model.n_localities, dtype=bool)
    defeated[events.locality[~conceded]] = True
    p.fear = np.where(
        defeated[model.locality],
        np.minimum(p.fear + fear_added, 1.0),
        p.fear,
    ).astype(np.float32)
    t["concessions"] = int(np.count_nonzero(policy))
    t["pacifications"] = int(np.count_nonzero(payment))
    t["conceded_people"] = float(np.sum(events.participants[conceded] * vis[conceded]))
    model.units.protest_months[events.locality[events.locality < model.units.n]] += 1


def decay(model) -> None:
    """Jail terms run down; fear fades."""
    p, prm = model.people, model.params
    p.jail = np.maximum(p.jail - 1, 0)
    p.fear = p.fear * np.float32(1.0 - prm.fear_decay)
