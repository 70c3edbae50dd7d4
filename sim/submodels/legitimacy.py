"""Legitimacy: a global scalar and a per-locality value derived from it.

Global legitimacy reverts to a target (the scenario's baseline, shifted by regimes) and
is moved each month by economic performance (the 12-month trend of output growth), visible cadre privilege (seed 003 A8,
line 19: cadre salaries "maybe three times"), campaign chaos (seed 002 E7–E8, lines
3871–3906), visible repression and concessions (seed 003 R5, D1–D8). A locality's
legitimacy adds the presence of cadres on the shop floor (seed 000 lines 24, 34) and
subtracts the corruption of its own cadres (seed 002 K11, lines 3146–3152). What
programmes earn where people *live* (``residence_legitimacy``, by residence locality,
``sim/submodels/residence.py``) counts in the localities where those people are counted.

Legitimacy in layers (O'Brien & Li 2006, "rightful resistance"; Li 2004, hierarchical
trust): the global scalar is trust in the *centre* (reported as ``legitimacy`` and
``legitimacy_central``); a locality's value is trust in its *local* officials (reported
people-weighted as ``legitimacy_local``). People blame local officials for repression
and appeal to the centre: a share ``local_blame`` of visible repression's cost falls on
the locality (a per-locality memory kept by ``state_response``, added through the
``local_legitimacy`` term ``local_repression``) instead of the centre, while the centre's
concessions still raise central legitimacy. So protest can grow locally for years while
the centre holds.
"""

from __future__ import annotations

import numpy as np

from sim.submodels.hardship import STATUS_LOSS
from sim.submodels.residence import counted_mean

# Cadres on the line one day a week (seed 000 line 8) counts as full presence.
FULL_PRESENCE_SHARE = 0.2
# Trend growth beyond ±2 % a month (±27 % a year) counts as ±2 %: legitimacy answers to
# sustained performance (Li & Zhou 2005: growth over tenure), not to rebounds.
MAX_TREND = 0.02


def presence(labour_share: np.ndarray) -> np.ndarray:
    """Cadre presence on the line in [0, 1] from the share of time spent there."""
    return np.minimum(labour_share / FULL_PRESENCE_SHARE, 1.0)


def global_change(
    legitimacy: float,
    target: float,
    reversion: float,
    growth: float,
    privilege: float,
    chaos: float,
    repression_share: float,
    concession_share: float,
    w_perf: float,
    w_priv: float,
    w_chaos: float,
    w_rep: float,
    w_conc: float,
    broken_share: float = 0.0,
    unrest_share: float = 0.0,
    w_broken: float = 0.0,
    w_unrest: float = 0.0,
) -> float:
    """Next month's global legitimacy, in [0, 1].

    ``broken_share`` is the share of people whose work unit broke its pledge (laid off,
    weighted by the status they lost) and ``unrest_share`` the visibility-weighted share
    of people in protest the state left unresolved this month.
    """
    delta = (
        reversion * (target - legitimacy)
        + w_perf * growth
        - w_priv * privilege
        - w_chaos * chaos
        - w_rep * repression_share
        + w_conc * concession_share
        - w_broken * broken_share
        - w_unrest * unrest_share
    )
    return float(np.clip(legitimacy + delta, 0.0, 1.0))


def broken_pledges(laid_off: np.ndarray, status_loss: np.ndarray) -> float:
    """Share of people laid off from their unit, weighted by the status they lost.

    The danwei's pledges — jobs, pensions, housing, "won through many decades of
    socialist revolution" (seed 003 line 21) — broken by a layoff count fully for those
    denied any status and in part for xiagang, who keep a stipend (``STATUS_LOSS``);
    re-employment (``laid_off`` reset to −1) ends it.
    """
    if laid_off.size == 0:
        return 0.0
    return float(np.sum(np.where(laid_off >= 0, status_loss, 0.0)) / laid_off.size)


def local(
    global_l: float,
    presence_: np.ndarray,
    corruption: np.ndarray,
    w_presence: float,
    w_corruption: float,
) -> np.ndarray:
    """Per-locality legitimacy: global value plus presence, minus local corruption."""
    return np.clip(global_l + w_presence * presence_ - w_corruption * corruption, 0.0, 1.0)


def update_local(model) -> None:
    """Recompute legitimacy for every unit, village and the city at large."""
    prm = model.params
    # Presence is composed: cadres on the line (their labour share), plus any other
    # source's term; together they cannot exceed full presence. Grassroots programmes
    # (seeds 001, 004) add their legitimacy as ``local_legitimacy`` terms only in the
    # localities they actually reach.
    terms = model.terms
    terms.set("presence", "cadre_labour_on_the_line", presence(model.loc_cadre_labour))
    pres = np.clip(terms.total("presence"), 0.0, 1.0)
    model.local_legitimacy = local(
        model.legitimacy,
        pres,
        model.loc_cadre_corruption,
        prm.legitimacy_presence * model.mechanisms.gain("cadre_presence"),
        prm.legitimacy_corruption * model.mechanisms.gain("local_corruption"),
    )
    # Other rules move a locality's legitimacy through named terms (accidents, local
    # repression, programmes in the communities they reach), each its own contribution.
    # Layered legitimacy (O'Brien & Li 2006; Li 2004): people blame local officials for
    # the repression they saw, so a locality's memory of it lowers its own legitimacy.
    blame = model.response.blame * prm.legitimacy_local_repression
    terms.set("local_legitimacy", "local_repression", -blame * model.mechanisms.gain("local_blame"))
    # Legitimacy earned where people live (programmes in the residential communities
    # and units they serve, seed 001 lines 18-20, 26) counts where they are counted: a
    # locality's residence term is the mean over its members of the value where each
    # lives (sim/submodels/residence.py), so a unit's laid-off who moved to a served
    # community bring its gain to their unit's legitimacy.
    by_residence = terms.total("residence_legitimacy")
    if by_residence.any():
        terms.set(
            "local_legitimacy",
            "residence",
            counted_mean(by_residence, model.people.residence, model.locality, model.loc_size),
        )
    extra = terms.total("local_legitimacy")
    if extra.any():
        model.local_legitimacy = np.clip(model.local_legitimacy + extra, 0.0, 1.0)


def update_global(model) -> None:
    """Move global legitimacy after this month's production and state response.

    Besides performance, privilege, chaos and visible repression, two rules tie it to the
    layoff chain of seed 003: broken pledges (line 29: "the party and state authorities
    break their pledges ... fueling mass protests"; the working classes are "too accepting
    of government promises, which are not kept") lower it for as long as the laid-off stay
    without their jobs, and visible protest the state leaves unresolved lowers it (line
    108: nightly singing "to show our opposition to the Communist Party—what it has
    become"), while only policy concessions raise it: one-time payments are "by no means
    sufficient" (line 97) and win no trust.
    """
    prm, lv, t, p = model.params, model.levers, model.tally, model.people
    on = model.mechanisms.gain
    n = max(p.n, 1)
    model.legitimacy = global_change(
        model.legitimacy,
        float(np.clip(prm.legitimacy + lv.legitimacy_target_shift, 0.0, 1.0)),
        prm.legitimacy_reversion,
        float(np.clip(model.growth_trend, -MAX_TREND, MAX_TREND)),
        model.visible_privilege,
        lv.campaign_intensity,
        t["visible_arrests"] / n,
        t["conceded_people"] / n,
        prm.legitimacy_performance * on("legitimacy_performance"),
        prm.legitimacy_privilege * on("legitimacy_privilege"),
        prm.legitimacy_chaos,
        # Rightful resistance: the share of repression blamed on locals spares the centre.
        prm.legitimacy_repression
        * on("legitimacy_repression")
        * (1.0 - prm.local_blame * on("local_blame")),
        prm.legitimacy_concession * on("legitimacy_concession"),
        broken_share=broken_pledges(p.laid_off, np.take(STATUS_LOSS, p.status)),
        unrest_share=t["unresolved_people"] / n,
        w_broken=prm.legitimacy_broken_pledges * on("legitimacy_broken_pledges"),
        w_unrest=prm.legitimacy_unrest * on("legitimacy_unrest"),
    )
