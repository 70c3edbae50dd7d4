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
concessions still raise central legitimacy. The same layering holds for the reform era's
big terms: a share ``pledge_blame`` of the cost of a unit's broken pledges falls on that
unit's officials (term ``broken_pledges``), a share ``unrest_blame`` of the cost of unrest
left unresolved on the officials of the localities where it happened (term
``unresolved_unrest``), and a share ``privilege_blame`` of the cost of visible cadre
privilege on the cadres people see (term ``cadre_privilege``); only the rest falls on the
centre. A locality's blamed cost fades at the centre's own rate of reversion, so the
layering *moves* cost between the centre and its localities: for the same history, the
people-weighted mean of local legitimacy (before clipping) is what it would be were the
centre blamed for everything — exactly for pledges and unrest, and for privilege when
units' privilege is independent of their size. So protest can
grow locally for years while the centre holds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.submodels.hardship import STATUS_LOSS
from sim.submodels.residence import counted_mean

# Cadres on the line one day a week (seed 000 line 8) counts as full presence.
FULL_PRESENCE_SHARE = 0.2
# Trend growth beyond ±2 % a month (±27 % a year) counts as ±2 %: legitimacy answers to
# sustained performance (Li & Zhou 2005: growth over tenure), not to rebounds.
MAX_TREND = 0.02


@dataclass
class Layers:
    """Per-locality legitimacy cost blamed on local officials (``model.layers``), in
    legitimacy units (share); each fades at ``legitimacy_reversion`` a month."""

    pledges: np.ndarray
    """Cost of the unit's broken pledges blamed on its officials (seed 003 lines 15, 29)."""
    unrest: np.ndarray
    """Cost of unrest left unresolved, blamed on the locality's officials."""
    privilege: np.ndarray
    """Cost of visible cadre privilege blamed on the cadres people see (seed 003 line 19)."""


def init(n_localities: int) -> Layers:
    return Layers(np.zeros(n_localities), np.zeros(n_localities), np.zeros(n_localities))


def seen_privilege(unit_privilege: np.ndarray, visible: float, n_localities: int) -> np.ndarray:
    """Cadre privilege people see where they are counted, per locality.

    A unit's people see their own cadres' (seed 003 line 19: "the sharp division of
    classes extends down to the level of the individual factory"); everyone else sees the
    city's officials, the visible privilege the centre answers for ("corrupt officials",
    the mayor's relative, line 19).
    """
    out = np.full(n_localities, visible)
    out[: unit_privilege.size] = unit_privilege
    return out


def blamed(memory: np.ndarray, added: np.ndarray, reversion: float) -> np.ndarray:
    """Next month's blamed cost of a locality's officials.

    It fades at the rate the centre's legitimacy reverts to its target: the centre is
    spared what is added here and recovers it at that rate, so a cost moved to a locality
    must fade alike for the layering to move blame without creating or erasing any.
    """
    return memory * (1.0 - reversion) + added


def per_locality_share(
    weights: np.ndarray, locality: np.ndarray, loc_size: np.ndarray
) -> np.ndarray:
    """Sum of ``weights`` (agents' worth) by locality, as a share of its agents."""
    n_loc = loc_size.size
    total = np.bincount(locality, weights=weights, minlength=n_loc)[:n_loc]
    return total / np.maximum(loc_size, 1.0)


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


def broken_weights(laid_off: np.ndarray, status_loss: np.ndarray) -> np.ndarray:
    """Per person, the pledge their unit broke: the status they lost if laid off, else 0.

    The danwei's pledges — jobs, pensions, housing, "won through many decades of
    socialist revolution" (seed 003 line 21) — broken by a layoff count fully for those
    denied any status and in part for xiagang, who keep a stipend (``STATUS_LOSS``);
    re-employment (``laid_off`` reset to −1) ends it.
    """
    return np.where(laid_off >= 0, status_loss, 0.0)


def broken_share(broken: np.ndarray) -> float:
    """Share of people laid off from their unit, weighted by the status they lost, from
    :func:`broken_weights`."""
    if broken.size == 0:
        return 0.0
    return float(np.sum(broken) / broken.size)


def broken_pledges(laid_off: np.ndarray, status_loss: np.ndarray) -> float:
    """Share of people laid off from their unit, weighted by the status they lost."""
    return broken_share(broken_weights(laid_off, status_loss))


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
    # ... and for the pledges their unit broke and the unrest left unresolved where they
    # are (update_global keeps these costs; zero while ``local_blame`` is off).
    layers = model.layers
    if layers.pledges.any():
        terms.set("local_legitimacy", "broken_pledges", -layers.pledges)
    if layers.unrest.any():
        terms.set("local_legitimacy", "unresolved_unrest", -layers.unrest)
    if layers.privilege.any():
        terms.set("local_legitimacy", "cadre_privilege", -layers.privilege)
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

    Legitimacy in layers (O'Brien & Li 2006; Li 2004): of each cost, the share blamed on
    local officials spares the centre and is kept, per locality, in ``model.layers``.
    Pledges are broken where the worker was employed: by "enterprise managers and the
    party and state authorities with whom they are commonly closely aligned" (line 15),
    the union and the factory's "people's representatives" "selling our fate and lives"
    (line 23), so ``pledge_blame`` of their cost falls on the unit. Unresolved unrest is
    aimed higher — at "the Communist Party—what it has become" (line 108), a leaflet
    "blistering the Communist Party and government" (line 110) — so a smaller share
    ``unrest_blame`` falls on the locality. Visible cadre privilege is the privilege of
    the cadres people see — their unit's, "down to the level of the individual factory",
    or the city's (line 19) — so ``privilege_blame`` of its cost falls on them.
    ``local_blame`` off restores centre-only accounting.
    """
    prm, lv, t, p = model.params, model.levers, model.tally, model.people
    on = model.mechanisms.gain
    n = max(p.n, 1)
    layered = on("local_blame")
    # One pass over the people for both the centre's share and the units' memories.
    broken = broken_weights(p.laid_off, np.take(STATUS_LOSS, p.status))
    w_broken = prm.legitimacy_broken_pledges * on("legitimacy_broken_pledges")
    w_unrest = prm.legitimacy_unrest * on("legitimacy_unrest")
    s_pledge = prm.pledge_blame * layered
    s_unrest = prm.unrest_blame * layered
    w_priv = prm.legitimacy_privilege * on("legitimacy_privilege")
    s_priv = prm.privilege_blame * layered
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
        w_priv * (1.0 - s_priv),
        prm.legitimacy_chaos,
        # Rightful resistance: the share of repression blamed on locals spares the centre.
        prm.legitimacy_repression * on("legitimacy_repression") * (1.0 - prm.local_blame * layered),
        prm.legitimacy_concession * on("legitimacy_concession"),
        broken_share=broken_share(broken),
        unrest_share=t["unresolved_people"] / n,
        w_broken=w_broken * (1.0 - s_pledge),
        w_unrest=w_unrest * (1.0 - s_unrest),
    )
    update_layers(model, broken, w_broken * s_pledge, w_unrest * s_unrest, w_priv * s_priv)


def update_layers(
    model, broken: np.ndarray, w_pledge: float, w_unrest: float, w_priv: float = 0.0
) -> None:
    """Add this month's locally blamed costs to each locality's memory (``model.layers``).

    A locality's pledge cost is ``w_pledge`` times the share of its people laid off
    (``broken``, from :func:`broken_weights`: weighted by status lost; the laid-off keep
    their unit), its unrest cost ``w_unrest``
    times its share of the unresolved unrest: both shares of the locality's own people,
    so free of ``people_per_agent`` and of the number of localities; its privilege cost
    ``w_priv`` times the privilege its people see (``seen_privilege``).
    """
    prm, layers = model.params, model.layers
    r = prm.legitimacy_reversion
    n_loc = model.n_localities
    add = np.zeros(n_loc)
    if w_pledge > 0.0:
        add = w_pledge * per_locality_share(broken, model.locality, model.loc_size)
    layers.pledges = blamed(layers.pledges, add, r)
    add = np.zeros(n_loc)
    if w_unrest > 0.0:
        # Where the state's response left it unresolved (state_response.respond).
        add = w_unrest * model.response.unresolved / np.maximum(model.loc_size, 1.0)
    layers.unrest = blamed(layers.unrest, add, r)
    add = np.zeros(n_loc)
    if w_priv > 0.0:
        add = w_priv * seen_privilege(model.unit_privilege, model.visible_privilege, n_loc)
    layers.privilege = blamed(layers.privilege, add, r)
