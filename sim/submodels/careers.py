"""Careers and factions: promotion, co-optation, and path-dependent faction alignment.

Promotion follows the tournament-with-connections rule of science-anchors §3.2:
``logit P = logit(rate) + β_g·perf + β_f·tie + β_gf·perf·tie − β_label·label``
(Li & Zhou 2005; Jia, Kudamatsu & Seim 2015), with class labels gating reward
(seed 002 C1–C2, lines 2258–2277) and promotions filling vacancies in a rank pyramid.

Factions form path-dependently (seed 002 K2–K3, K15, lines 3008–3014, 3277–3302; Walder
2009): when a campaign mobilizes, unaligned people take the side most common among their
ties; cadres follow the patron who promoted them (C7, lines 3568–3572); with no aligned
tie, earlier labels decide — the good-class and promoted defend the incumbents (C6,
lines 3292–3293) and the labelled or previously targeted rebel (C5, K2). Time in a
faction hardens it; without mobilization factions slowly dissolve. The side is weighed
against a person's constituency (``factions.choose_sides``, 3283-3331: rebels from poor
class backgrounds, political problems and younger workers, conservatives from party
members, old workers and the leaders' clients), so two camps persist instead of the ties'
majority tipping the city to one.

Factions act (``contend``): where two sides face each other in a unit — and across units,
since whole enterprises and the bureaus above them split into the same two camps (seed
002 lines 3264–3270) — they clash; fighters are injured or killed (Walder & Su 2003), the
casualties' ties turn vengeful (K2, 3008–3014) and the unit's cadres lose face (E7–E8,
3871–3906). The PLA and the revolutionary committees (``levers.military_control``)
"put an end to factional fighting" and to mass action (3233–3242): clashes are suppressed,
mobilization damped and mass-organization members demobilized, while cadres keep their
alignments — the old-cadre/new-cadre cleavage that outlives the mass factions (3675–3684):
``cadre_blocs`` counts unaligned new cadres as a bloc of their own in elite cohesion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.draws import uniform_span
from sim.grouping import csr_row_entries
from sim.state import Kind, Status
from sim.submodels import demography, factions

if TYPE_CHECKING:  # only an annotation; importing scipy here would slow `cadresim validate`
    from scipy import sparse

N_RANKS = 5
RANK_SHARES = np.array([0.52, 0.25, 0.13, 0.07, 0.03])
CONSERVATIVE, REBEL = 0, 1
MAX_FACTIONS = 16
#: The bloc of unaligned new cadres in elite cohesion (beyond every faction id).
NEW_CADRE_BLOC = MAX_FACTIONS


def promotion_logit(
    perf: np.ndarray,
    tie: np.ndarray,
    label: np.ndarray,
    rate: float,
    b_perf: float,
    b_tie: float,
    b_inter: float,
    b_label: float,
    dossier: np.ndarray | float = 0.0,
    b_dossier: float = 0.0,
) -> np.ndarray:
    """Log-odds of promotion for each candidate: performance, ties, labels and the file
    (dossier entries, counted up to 3) compete with weights that are all parameters."""
    base = np.log(rate / (1.0 - rate)) if 0 < rate < 1 else (-50.0 if rate <= 0 else 50.0)
    return (
        base
        + b_perf * perf
        + b_tie * tie
        + b_inter * perf * tie
        - b_label * label
        - b_dossier * np.minimum(dossier, 3)
    )


def loyalty_target(
    rank: np.ndarray,
    privilege: np.ndarray,
    persecuted: np.ndarray,
    label: np.ndarray,
    base: float,
    w_rank: float,
    w_privilege: float,
    w_persecution: float,
    w_label: float,
) -> np.ndarray:
    """The loyalty a cadre's position pulls toward, in [0, 1] (seed 002 B1–B2, E1, E10):
    rank and privilege raise it, persecution (counted up to 3) and a bad label lower it."""
    target = (
        base
        + w_rank * rank
        + w_privilege * privilege
        - w_persecution * np.minimum(persecuted, 3)
        - w_label * label
    )
    return np.clip(target, 0.0, 1.0)


def rank_capacity(n_cadres: int) -> np.ndarray:
    """Posts at each rank: a pyramid over the cadre corps."""
    cap = np.maximum(np.floor(RANK_SHARES * n_cadres), 1).astype(int)
    cap[0] = n_cadres
    return cap


def fractionalization(labels: np.ndarray) -> float:
    """1 − Σ s_k² over groups (unaligned count as one bloc); 0 when all are in one bloc."""
    if labels.size == 0:
        return 0.0
    _, counts = np.unique(labels, return_counts=True)
    shares = counts / labels.size
    return float(1.0 - np.sum(shares**2))


def elite_cohesion(factions: np.ndarray, loyalty: np.ndarray) -> float:
    """Elite cohesion in [0, 1]: (1 − faction fractionalization among cadres) × mean loyalty."""
    if factions.size == 0:
        return 0.0
    return (1.0 - fractionalization(factions)) * float(np.mean(loyalty))


def cadre_blocs(factions: np.ndarray, new_cadre: np.ndarray) -> np.ndarray:
    """Cadres' blocs for elite cohesion: their faction, else the new-cadre bloc for those
    recruited by a campaign's activist criteria, else unaligned (−1).

    "Old and new cadres vied for power, drawing in their personal networks of followers"
    (seed 002 3683–3684): the cleavage divides the corps after the mass factions dissolve.
    """
    return np.where(factions >= 0, factions, np.where(new_cadre, NEW_CADRE_BLOC, -1))


def count_factions(factions: np.ndarray, min_members: float) -> int:
    """Number of factions with at least ``min_members`` members (unaligned excluded)."""
    # (members of faction k counted as bin k + 1: the unaligned, −1, fall in bin 0)
    counts = np.bincount(factions.astype(np.intp) + 1)[1:] if factions.size else factions
    if counts.size == 0:
        return 0
    return int(np.count_nonzero(counts >= max(min_members, 1)))


def promote(model) -> None:
    """Monthly promotions into vacancies, best-scoring lucky candidates first."""
    p, prm, rng, on = model.people, model.params, model.rng, model.mechanisms.gain
    rows = p.rows(Kind.CADRE)
    rank = p.rank[rows]
    unit = p.unit[rows]
    perf_u = model.unit_performance
    perf = np.where(unit >= 0, perf_u[np.maximum(unit, 0)], 0.0)
    patron = p.patron[rows]
    has_patron = patron >= 0
    patron_rank = np.where(has_patron, p.rank[np.maximum(patron, 0)], -1)
    tie = (has_patron & (patron_rank > rank)).astype(np.float64)
    logit = promotion_logit(
        perf,
        tie,
        p.class_label[rows].astype(np.float64),
        prm.promotion_rate,
        prm.promotion_performance * on("promotion_tournament"),
        prm.promotion_ties * on("promotion_patronage"),
        prm.promotion_interaction * on("promotion_tournament") * on("promotion_patronage"),
        prm.promotion_label * on("promotion_labels"),
        p.dossier[rows].astype(np.float64),
        prm.promotion_dossier * on("promotion_dossiers"),
    )
    # Authority over personnel: under party-committee leadership the party weighs
    # political capital; under one-man management the manager weighs performance
    # (seed 002 R1, R3; part 3 §4.1).
    party = (1.0 - model.levers.manager_authority) * prm.promotion_political_capital
    logit = logit + party * p.political_capital[rows]
    # Other rules weigh on careers through named terms (safety records, service in the
    # grassroots, dossiers ...): each adds its own contribution to the log-odds.
    logit = logit + model.terms.total("merit")[rows]
    draw = 1.0 / (1.0 + np.exp(-logit)) > rng.random(rank.size)
    cap = rank_capacity(rank.size)
    counts = np.bincount(rank, minlength=N_RANKS)
    promoted_total = 0
    # Top ranks first, so a vacancy opened by a promotion is filled next month, not twice.
    for r in range(N_RANKS - 2, -1, -1):
        vacancies = cap[r + 1] - counts[r + 1]
        cand = np.flatnonzero(draw & (rank == r))
        if vacancies <= 0 or cand.size == 0:
            continue
        if cand.size > vacancies:
            cand = cand[np.argsort(-logit[cand], kind="stable")[:vacancies]]
        rank[cand] = r + 1
        counts[r + 1] += cand.size
        counts[r] -= cand.size
        promoted_total += cand.size
        g = rows.start + cand
        p.loyalty[g] = np.minimum(p.loyalty[g] + prm.promotion_loyalty_gain, 1.0)
        p.political_capital[g] += prm.promotion_capital_gain
    p.rank[rows] = rank
    model.tally["promotions"] = promoted_total


def update_loyalty(model) -> None:
    """Co-optation relaxes toward what the system gives a cadre (seed 002 B1–B2, E1, E10).

    Rank and privilege pull loyalty up; persecution and labels (and humiliation in
    campaigns, recorded as ``persecuted``) pull it down.
    """
    if "loyalty_cooptation" not in model.mechanisms:
        return
    p, prm = model.people, model.params
    rows = p.rows(Kind.CADRE)
    target = loyalty_target(
        p.rank[rows],
        model.unit_privilege[p.unit[rows]],
        p.persecuted[rows],
        p.class_label[rows],
        prm.loyalty_base,
        prm.loyalty_rank,
        prm.loyalty_privilege,
        prm.loyalty_persecution,
        prm.loyalty_label,
    )
    p.loyalty[rows] = p.loyalty[rows] + prm.loyalty_adjustment * (target - p.loyalty[rows])


def tie_faction_majority(
    ties: sparse.csr_matrix,
    faction: np.ndarray,
    rows: np.ndarray | None = None,
    compiled: bool | None = None,
) -> np.ndarray:
    """The faction most common among each person's ties (−1 if none is aligned).

    With ``rows``, only those people are answered (in that order): the month's movers are
    few, and counting ties for everyone else would be wasted work. Compiled
    (``sim.kernels.tie_faction_majority``); :func:`tie_faction_majority_numpy` is the
    reference, with the same result (``tests/test_reference.py``); ``compiled`` chooses,
    by default ``sim.kernels.wanted`` does (large models).
    """
    from sim import kernels

    if not kernels.wanted(faction.size, compiled):
        return tie_faction_majority_numpy(ties, faction, rows)
    rows = np.arange(faction.size) if rows is None else rows
    n_f = int(faction.max()) + 1 if faction.size else 0
    if n_f <= 0 or ties.nnz == 0 or rows.size == 0:
        return np.full(rows.size, -1, dtype=np.int16)
    return kernels.tie_faction_majority(ties, faction, rows, n_f)


def tie_faction_majority_numpy(
    ties: sparse.csr_matrix, faction: np.ndarray, rows: np.ndarray | None = None
) -> np.ndarray:
    """The numpy reference of :func:`tie_faction_majority`."""
    rows = np.arange(faction.size) if rows is None else rows
    n_f = int(faction.max()) + 1 if faction.size else 0
    if n_f <= 0 or ties.nnz == 0 or rows.size == 0:
        return np.full(rows.size, -1, dtype=np.int16)
    owner, cols, data = csr_row_entries(ties, rows)  # the entries of ties[rows]
    their = faction[cols]
    keep = their >= 0
    counts = np.bincount(
        owner[keep] * n_f + their[keep], weights=data[keep], minlength=rows.size * n_f
    ).reshape(rows.size, n_f)
    best = counts.argmax(axis=1)
    return np.where(counts.max(axis=1) > 0, best, -1).astype(np.int16)


def label_side(
    label: np.ndarray, persecuted: np.ndarray, loyalty: np.ndarray, rebel_below: float = 0.3
) -> np.ndarray:
    """The side earlier labels push a person to: rebels if labelled, once targeted or with
    loyalty below ``rebel_below`` (``Params.rebel_loyalty``)."""
    return np.where((label > 0) | (persecuted > 0) | (loyalty < rebel_below), REBEL, CONSERVATIVE)


def unit_control(model) -> np.ndarray | None:
    """Military control in each unit this month, in [0, 1]: the city-wide lever plus the
    units' own ``military_control`` terms (the CR's revolutionary committees, set up unit
    by unit), times the mechanism's gain; ``None`` when there is none anywhere (before
    the gain: the draws of the demobilization are made whenever control is set)."""
    n_u = model.units.n
    local = model.terms.total("military_control")[:n_u]
    lever = model.levers.military_control
    if lever <= 0 and not local.any():
        return None
    raw = np.clip(lever + local, 0.0, 1.0) if n_u else np.full(1, min(lever, 1.0))
    return raw * model.mechanisms.gain("pla_demobilization")


def person_control(unit: np.ndarray, per_unit: np.ndarray | None) -> np.ndarray | float:
    """Each person's military control: their unit's; the city's mean for those outside
    units (the unemployed, school-leavers: the committees ruled the city too)."""
    if per_unit is None:
        return 0.0
    return np.where(unit >= 0, np.take(per_unit, np.maximum(unit, 0), mode="clip"), per_unit.mean())


def faction_ties(
    ties: sparse.csr_matrix,
    faction: np.ndarray,
    rows: np.ndarray,
    compiled: bool | None = None,
    top: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per person in ``rows``: the faction most common among their ties
    (:func:`tie_faction_majority`) and their tie weight on the rebel and the conservative
    side (``factions.tie_sides``), reading each person's ties once.

    Compiled (``sim.kernels_elite.faction_ties``) or, by default for small models
    (``sim.kernels.wanted``), the two numpy references, with the same values bit for bit
    (``tests/test_reference_elite.py``). ``top`` is ``faction.max()`` if known.
    """
    from sim import kernels

    rows = np.asarray(rows, dtype=np.int64)
    if not kernels.wanted(faction.size, compiled):
        reb, cons = factions.tie_sides(ties, faction, rows)
        return tie_faction_majority_numpy(ties, faction, rows), reb, cons
    from sim import kernels_elite

    if top is None:
        top = int(faction.max()) if faction.size else -1
    return kernels_elite.faction_ties(ties.indptr, ties.indices, ties.data, faction, rows, top + 1)


def _age_aligned(faction: np.ndarray, age: np.ndarray, moved: np.ndarray | None = None) -> None:
    """A month in a faction: the aligned age a month, ``moved`` rows (just joined) start
    at 0, as ``age[moved] = 0; age[(faction >= 0) & ~moved] += 1`` (in place; adding the
    0/1 of being aligned is adding 1 where aligned, in the ages' integer dtype)."""
    np.add(age, faction >= 0, out=age)
    if moved is not None:
        age[moved] = 0


def update_factions(model) -> None:
    """Align, switch or dissolve faction membership among urban people."""
    from sim import kernels

    p, lv, prm, rng = model.people, model.levers, model.params, model.rng
    faction = p.faction
    # The faction pool is the urban blocks (cadres, technicians, workers: the first rows),
    # so only their rows are read and only their draws (sim/draws.py: the same numbers,
    # the same stream); no one after them is in the pool.
    pool_stop = p.rows(Kind.WORKER).stop
    pool = model.faction_pool[:pool_stop]
    f_pool = faction[:pool_stop]
    # The PLA and the revolutionary committees end mass action (3233-3242): they damp
    # mobilization and disband mass organizations, but cadres keep their alignments.
    # Control is each unit's own: the committees were set up unit by unit.
    per_unit = unit_control(model)
    control = person_control(p.unit[:pool_stop], per_unit)
    m = lv.mobilization * (1.0 - control)
    if per_unit is not None:
        mass = np.flatnonzero(pool & (f_pool >= 0) & (p.kind[:pool_stop] != Kind.CADRE))
        demob = mass[rng.random(mass.size) < prm.pla_dissolution * np.take(control, mass)]
        faction[demob] = -1
        p.faction_age[demob] = 0
        model.tally["demobilized"] = int(demob.size)
    if np.max(m) <= 0:
        u_drift = uniform_span(rng, p.n, 0, pool_stop)
        drift = pool & (f_pool >= 0) & (u_drift < prm.faction_dissolution)
        f_pool[drift] = -1
        # (aligned a month older, everyone else at 0: the age plus 1, times the 0/1 of
        # being aligned, in the ages' integer dtype)
        age, aligned = p.faction_age, faction >= 0
        np.add(age, aligned, out=age)
        np.multiply(age, aligned, out=age)
        return
    # Draws first (same order as always), so only this month's candidates need their
    # ties counted.
    u_splinter, u_align, u_switch = (uniform_span(rng, p.n, 0, pool_stop) for _ in range(3))
    age = np.minimum(p.faction_age[:pool_stop], 60)
    base = 1.0 - lv.faction_hardening
    if age.size and age.min() >= 0:  # the same powers, from a table of the 61 possible
        hard = np.take(base ** np.arange(61, dtype=age.dtype), age)
    else:
        hard = base**age
    # Cliques among those "hit earlier" (K3): a few found splinter factions.
    splinter = pool & (p.persecuted[:pool_stop] > 0) & (u_splinter < prm.splinter_rate * m)
    unaligned = pool & (f_pool < 0) & (u_align < m)
    may_switch = pool & (f_pool >= 0) & (u_switch < prm.faction_switch_rate * m * hard)
    cand = np.flatnonzero(unaligned | may_switch)
    # (a candidate is unaligned or may switch, by whether they are aligned now)
    was_unaligned = faction[cand] < 0
    top = int(faction.max()) if faction.size else -1
    sides = None
    if kernels.wanted(faction.size):  # both tie counts in one pass over the ties
        majority, *sides = faction_ties(model.ties, faction, cand, compiled=True, top=top)
    else:
        majority = tie_faction_majority(model.ties, faction, cand, compiled=False)
    # Cadres follow the patron who promoted them.
    patron = p.patron[cand]
    patron_faction = faction[np.maximum(patron, 0)]
    majority = np.where((patron >= 0) & (patron_faction >= 0), patron_faction, majority)
    if "faction_alignment" not in model.mechanisms:  # sides by earlier labels alone
        majority[:] = -1
    # (only cadres' loyalty counts: the others stand at a neutral 0.5)
    fallback = label_side(
        p.class_label[cand],
        p.persecuted[cand],
        np.where(p.kind[cand] == 0, p.loyalty[cand], 0.5),
        prm.rebel_loyalty,
    )
    choice = np.where(majority >= 0, majority, fallback).astype(np.int16)
    # Camps with constituencies of their own (sim/submodels/factions.py, 3283-3331): the
    # side is a choice between constituency and ties, except a cadre's patron's side.
    u_side = rng.random(cand.size)  # (drawn whether or not the mechanism is on)
    if "faction_constituencies" in model.mechanisms:
        ties_on = "faction_alignment" in model.mechanisms
        chosen = factions.choose_sides(model, cand, majority, u_side, ties=ties_on, sides=sides)
        follows = (patron >= 0) & (patron_faction >= 0) & ties_on
        choice = np.where(follows, patron_faction, chosen).astype(np.int16)
    n_existing = top + 1 if top >= 0 else 2
    if n_existing < MAX_FACTIONS:
        choice[splinter[cand]] = min(max(n_existing, 2), MAX_FACTIONS - 1)
    switch = ~was_unaligned & (choice != faction[cand]) & (choice >= 0)
    moved = cand[was_unaligned | switch]
    faction[moved] = choice[was_unaligned | switch]
    _age_aligned(faction, p.faction_age, moved)


# --- factions that act --------------------------------------------------------------
def side_counts(
    unit: np.ndarray, faction: np.ndarray, members: np.ndarray, n_units: int
) -> tuple[np.ndarray, np.ndarray]:
    """Members per unit on each side: conservatives, and rebels with their splinters
    (splinters are cliques of the "hit earlier", who rebel; K3, 3290-3296)."""
    cons = np.bincount(unit[members & (faction == CONSERVATIVE)], minlength=n_units)
    reb = np.bincount(unit[members & (faction >= REBEL)], minlength=n_units)
    return cons.astype(np.float64), reb.astype(np.float64)


def balance(a: np.ndarray | float, b: np.ndarray | float) -> np.ndarray:
    """How evenly two sides face each other: 2·min/(sum) in [0, 1]; 0 if either is absent."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    total = a + b
    return np.where(total > 0, 2.0 * np.minimum(a, b) / np.maximum(total, 1e-12), 0.0)


def clash_hazard(
    unit_balance: np.ndarray,
    city_balance: float,
    aligned_share: np.ndarray,
    contention: float,
    rate: float,
    cross_unit: float,
) -> np.ndarray:
    """Monthly hazard of a factional clash in each unit.

    Two sides "struggling" (3300-3303) fight more the more of the unit they hold and the
    more evenly they are matched — in the unit and, with weight ``cross_unit``, in the
    city, since factions allied across enterprises (3268-3270).
    """
    mixed = (1.0 - cross_unit) * unit_balance + cross_unit * city_balance
    return rate * contention * mixed * np.clip(aligned_share, 0.0, 1.0)


def unit_sides_numpy(
    pool: np.ndarray,
    unit: np.ndarray,
    status: np.ndarray,
    faction: np.ndarray,
    age: np.ndarray,
    n_units: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per unit, over the faction pool's rows: conservative and rebel members
    (:func:`side_counts`), employed staff, the members' months in their factions
    (``factions.maturity`` sums them), and the members' rows; members are the employed
    staff of a unit who are aligned."""
    in_unit = pool & (unit >= 0) & (status == Status.EMPLOYED)
    members = in_unit & (faction >= 0)
    unit = np.maximum(unit, 0)
    cons, reb = side_counts(unit, faction, members, n_units)
    staff = np.bincount(unit[in_unit], minlength=n_units).astype(np.float64)
    age_total = np.bincount(unit[members], weights=age[members], minlength=n_units)
    return cons, reb, staff, age_total, np.flatnonzero(members)


def unit_sides(
    pool: np.ndarray,
    unit: np.ndarray,
    status: np.ndarray,
    faction: np.ndarray,
    age: np.ndarray,
    n_units: int,
    compiled: bool | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`unit_sides_numpy` in one compiled pass over the rows
    (``sim.kernels_elite.unit_sides``; ``compiled`` chooses, by default
    ``sim.kernels.wanted`` does), the same values bit for bit."""
    from sim import kernels

    if not kernels.wanted(pool.size, compiled):
        return unit_sides_numpy(pool, unit, status, faction, age, n_units)
    from sim import kernels_elite

    return kernels_elite.unit_sides(
        pool, unit, status, faction, age, int(n_units), int(Status.EMPLOYED)
    )


def contend(model) -> None:
    """Mobilized factions clash: fighters, casualties and deaths; revenge and lost face."""
    p, lv, prm, rng, t = model.people, model.levers, model.params, model.rng, model.tally
    for key in ("factional_clashes", "faction_casualties", "clash_deaths", "clash_units"):
        t[key] = 0
    if lv.faction_contention <= 0 or model.units.n == 0:
        return
    n_u = model.units.n
    # The faction pool is the first ``stop`` rows (cadres, technicians, workers): its
    # members' rules work on that prefix, the same rows in the same order. Members are
    # the employed staff of a unit who are aligned (``idx``, their rows).
    stop = p.rows(Kind.WORKER).stop
    cons, reb, staff, age_total, idx = unit_sides(
        model.faction_pool[:stop],
        p.unit[:stop],
        p.status[:stop],
        p.faction[:stop],
        p.faction_age[:stop],
        n_u,
    )
    # One draw per unit and one per member: fighting, injury and death are nested
    # thresholds on the member's draw.
    u_unit, u_member = rng.random(n_u), rng.random(idx.size)
    per_unit = unit_control(model)
    control = 0.0 if per_unit is None else per_unit[:n_u]
    hazard = clash_hazard(
        balance(cons, reb),
        float(balance(cons.sum(), reb.sum())),
        (cons + reb) / np.maximum(staff, 1.0),
        lv.faction_contention * (1.0 - control),
        prm.clash_rate * model.mechanisms.gain("factional_violence"),
        prm.clash_cross_unit,
    )
    # The camps turn on each other as they mature: mass organizations first struggled
    # cadres, and "much of their activity came to be directed more against the opposing
    # faction" as the groups "finally formed into two big groups struggling" (3266-3268,
    # 3299-3302; sim/submodels/factions.py).
    hazard = hazard * factions.maturity_of(age_total, cons + reb, prm.clash_maturation)
    clash = u_unit < 1.0 - np.exp(-hazard)
    if not clash.any():
        return
    turnout = np.clip(prm.clash_turnout * (0.5 + p.activism[idx]), 0.0, 1.0)
    # (members are in a unit: their unit column is the unit)
    fight = np.take(clash, p.unit[idx]) & (u_member < turnout)
    hurt_ = fight & (u_member < turnout * prm.clash_casualty)
    killed_ = hurt_ & (u_member < turnout * prm.clash_casualty * prm.clash_fatality)
    # (rows of the fighters, the hurt and the killed, in order)
    fighters, hurt_rows, killed = idx[fight], idx[hurt_], idx[killed_]
    ppa = prm.people_per_agent
    t["factional_clashes"] = float(fighters.size) * ppa
    t["faction_casualties"] = float(hurt_rows.size) * ppa
    t["clash_deaths"] = float(killed.size) * ppa
    t["clash_units"] = int(clash.sum())
    # Fighting hardens the fighters; the casualties' kin and friends want revenge (K2).
    p.activism[fighters] = np.minimum(p.activism[fighters] + prm.clash_hardening, 1.0)
    # Only the casualties and those tied to them get sore; everyone else's grudge stays
    # (at most 1), so the update is made on their rows alone.
    np.minimum(p.grudge, 1.0, out=p.grudge)
    if hurt_rows.size:
        sore_rows, sore = revenge(model.ties, hurt_rows)
        sore = sore * prm.clash_grievance
        p.grudge[sore_rows] = np.minimum(p.grudge[sore_rows] + sore, 1.0)
    # A unit at war with itself shames its party committee (E7-E8).
    cad = p.rows(Kind.CADRE)
    cad_unit = p.unit[cad]
    lost = cad.start + np.flatnonzero(np.take(clash, np.maximum(cad_unit, 0)) & (cad_unit >= 0))
    p.loyalty[lost] = np.maximum(p.loyalty[lost] - prm.clash_loyalty_loss, 0.0)
    if killed.size:
        demography.violent_deaths(model, killed)


def revenge_numpy(ties: sparse.csr_matrix, hurt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rows that want revenge for the casualties ``hurt`` (sorted rows) and how much,
    in [0, 1]: the casualties themselves and everyone tied to them (ties are symmetric:
    the casualties' rows list everyone exposed), by their tie weight to the casualties,
    plus 1 for a casualty. Rows in order; the weights as ``np.bincount`` over everyone
    sums them (the same entries, in order), on the rows tied to a casualty only."""
    near, exposure = hurt, np.zeros(hurt.size)
    if ties.nnz:
        _, cols, data = csr_row_entries(ties, hurt)
        tied, which = np.unique(cols, return_inverse=True)
        near = np.union1d(tied, hurt)
        exposure = np.zeros(near.size)
        exposure[np.searchsorted(near, tied)] = np.bincount(
            which, weights=data, minlength=tied.size
        )
    is_hurt = np.isin(near, hurt, assume_unique=True)
    keep = (exposure > 0) | is_hurt
    return near[keep], np.minimum(exposure[keep] + is_hurt[keep], 1.0)


def revenge(
    ties: sparse.csr_matrix, hurt: np.ndarray, compiled: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`revenge_numpy` in one compiled pass over the casualties' ties
    (``sim.kernels_elite.revenge``; ``compiled`` chooses, by default ``sim.kernels.wanted``
    does), the same rows and values bit for bit."""
    from sim import kernels

    n = ties.shape[0]
    if not kernels.wanted(n, compiled) or ties.nnz == 0:
        return revenge_numpy(ties, hurt)
    from sim import kernels_elite

    hurt = np.asarray(hurt, dtype=np.int64)
    return kernels_elite.revenge(ties.indptr, ties.indices, ties.data, hurt, n)


def grudges(model) -> None:
    """Grudges from struggle and factional violence weigh as hardship, fading slowly.

    Struggled targets "stayed in the workplace" and grievances accumulated (seed 002 K1,
    2776-2785); kin of the struggled and of faction casualties want revenge (K2,
    3008-3014). The grudge is a person's own state (it outlives the campaign) and enters
    perceived hardship as the named term ``grudges``.
    """
    p = model.people
    if not p.grudge.any():  # (most months of most scenarios: nothing to add)
        model.terms.set("hardship", "grudges", 0.0)
        return
    model.terms.set("hardship", "grudges", p.grudge.astype(np.float64))
    p.grudge *= np.float32(1.0 - model.params.grudge_decay)
