"""Political campaigns in the enterprise: Sanfan, Anti-Rightist, Four Cleanups, Cultural Revolution.

Source: Meaney's monograph, ``002_683259ac5f475297.txt`` (extraction
``sources/seed002-part2.md`` R2, R4, R7–R10 and rules C1–C9, K1–K15, E1–E11).

Every campaign works through the same machinery, with targets and climate set by ``kind``:

- **Targeting by label and file.** Each month a campaign picks targets from a pool with
  probabilities proportional to a kind-specific score (``targeting_probability``):
  Sanfan hits cadres for corruption and as regime holdovers (2837–2850); Four Cleanups
  hits "political problems" (label, dossier) or "economic problems" (corruption), the
  work team deciding whether the spearhead points at cadres (Mao) or downward at
  workers (Liu) (K6, K7; 2935–2998). The Anti-Rightist campaign instead fills a *quota*:
  each unit must find ``quota`` (5 %) of its personnel to be rightists (K4; 2912–2918),
  drawn first from those who spoke up in the Hundred Flowers — the articulate and less
  enthusiastic (K5; 2898–2904) — and, where those are too few, from innocuous people.
- **Cultural Revolution phases** by months since the start (``cr_phase``; 3081–3090):
  bourgeois non-party targets first (3273–3275); then power-holders — cadres of rank
  ``power_rank`` or above — are overthrown and judged by the masses (K10, 3102–3141,
  3495–3497); then *qingli* ("purify the class ranks") targets "dead tigers" (labels,
  files) and "live tigers" (rebel activists) while cadres are liberated (K12, 3233–3249);
  then a long aftermath of liberation and factional jockeying (R10, 3040–3051, 3641–3655).
- **Struggle** (``struggle``): a target's ``persecuted`` count and dossier rise, the
  label sticks (``class_label`` goes up a step, rightists become bad-class; C4,
  2705–2706), fear rises; cadres lose loyalty and political capital (humiliation, E1,
  3597–3604); rightists lose a wage grade (2251–2252); technicians become alienated
  (E10, 3932–3940).
- **Labels stick to families.** The tie network ``model.ties`` stands for kin and close
  associates: each tie to a target carries a ``kin_risk`` chance of a dossier entry and
  some fear ("disastrous effects on her family for the next twenty years", 2893–2895).
- **Denunciation by activists** (C9, 3508–3512; "tiger-hunting units", 2851–2853): each
  target is denounced by a good-class activist of the same unit, whose activism and
  political capital rise; in the Four Cleanups some activists are inducted into the
  party (2290–2293).
- **Climate** (levers and terms): ``campaign_intensity`` (struggle meetings halting production,
  2853–2855; chaos lowering legitimacy, E7–E8, 3871–3906), fear (the campaign's
  ``fear`` term on everyone's risk aversion: preference falsification; it fades at
  ``fear_fade`` a month after the campaign ends while labels and files stay), ``mobilization`` and
  ``faction_hardening`` (factions form path-dependently in ``careers.update_factions``
  around earlier targets and ties, K2–K3, K15, 3008–3014, 3264–3303); in the CR
  technicians' autonomy is cut (three-in-one teams, E6, 3433–3463) and their alienation
  creeps up. CR phases also set ``faction_contention`` (factions fight, 3264–3267),
  ``military_control`` (the PLA and revolutionary committees, 3233–3242, 4246–4251) and
  ``activist_criteria`` (new cadres rise through activism, 3675–3678); the clashes and
  the demobilization themselves are ``careers.contend`` and ``careers.update_factions``.
- **Careers that remember.** Overthrown power-holders lose their posts and labour on the
  shop floor (3102–3108); liberated, they are transferred (E2, 3609–3621) or stay
  demoralized (E1, 3597–3604) and are reinstated at their former rank over the new cadres
  who replaced them (3242–3245, 3682–3683). Activists are promoted (``merit`` term); in the
  1975 crash new cadres are promoted over veterans (3776–3820); in October 1976 many new
  cadres are purged (3707–3716). Qingli targets may die under confinement (3246–3249).
- **Leniency** (E1, 3597–3604): cadres struggled face to face become "too lenient. This
  resulted in deterioration of labor discipline": each struggle adds ``leniency`` to a
  cadre's own leniency (decaying at ``leniency_decay``; none for a cadre transferred to a
  new unit, where "the cadres could still lead", E2, 3619–3621), and each unit loses
  ``discipline_loss`` × its cadres' rank-weighted mean leniency of output — this regime's
  term of the per-unit ``labour_discipline`` read by ``production``, fading after the end.
- **Dossier access** (O6, 3158–3165, 3180–3182): personnel and security cadres "had access
  to worker and cadre dossiers" and were "better situated to protect themselves from
  criticism": a cadre's targeting chance is × (1 − ``dossier_shield`` × access), access =
  security share × (1 + ``personnel_ratio``). In the CR's mass phases (initial, qingli)
  they leak the files "usually [to] the conservative faction ... against struggle targets
  or against members of the opposing faction": rebels with a file join the pool, and
  non-conservatives' scores gain ``leak_weight`` × dossier entries × the conservatives'
  share of the unit's aligned.
- **Grudges** (K1, 2776–2785): the struggled and their kin stay in the workplace and keep
  a grudge that weighs on hardship (``careers.grudges``). The Four Cleanups' Liu and Mao
  modes differ in mobilization and humiliation as well as in whom they target.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from sim.calendar import Month
from sim.draws import uniform_at, uniform_where
from sim.grouping import random_member
from sim.regimes.base import Regime, RegimeParams, Source, register
from sim.state import ClassLabel, Kind, Status
from sim.submodels.careers import CONSERVATIVE, N_RANKS, REBEL, rank_capacity, side_counts
from sim.submodels.demography import violent_deaths

if TYPE_CHECKING:
    from sim.levers import Levers
    from sim.model import CadreModel

SEED = "002_683259ac5f475297.txt"
Months = Annotated[int, Field(ge=0, le=600)]
CR_PHASES = ("initial", "power_holders", "qingli", "liberation")
#: Months after 1966-05 at which the 29 provincial-level revolutionary committees were set
#: up: Heilongjiang (1967-01); Shandong, Guizhou, Shanghai (1967-02); Shanxi (1967-03);
#: Beijing (1967-04); Qinghai (1967-08); Inner Mongolia (1967-11); Tianjin (1967-12);
#: Jiangxi, Gansu, Henan (1968-01); Hebei, Hubei, Guangdong (1968-02); Jilin, Jiangsu,
#: Zhejiang (1968-03); Hunan, Ningxia, Anhui (1968-04); Shaanxi, Liaoning, Sichuan (1968-05);
#: Yunnan, Fujian, Guangxi (1968-08); Tibet and Xinjiang (1968-09). MacFarquhar &
#: Schoenhals 2006, *Mao's Last Revolution*, ch. 13: "over 20 months ... accompanied by
#: bloodshed and disorder"; nine in 1967, twenty in 1968.
PROVINCIAL_COMMITTEES = (8, 9, 9, 9, 10, 11, 15, 18, 19, 20, 20, 20, 21, 21, 21)
PROVINCIAL_COMMITTEES += (22, 22, 22, 23, 23, 23, 24, 24, 24, 27, 27, 27, 28, 28)


@dataclass(frozen=True)
class Climate:
    """The rules a campaign (or a CR phase) sets while it runs."""

    intensity: float
    """campaign_intensity: share of working life consumed by struggle and disruption."""
    fear: float
    """added to everyone's risk aversion (preference falsification)."""
    mobilization: float
    """monthly chance an unaligned person takes sides."""
    hardening: float
    """faction_hardening."""
    target_rate: float
    """monthly share of the targeting pool struck (score-weighted)."""
    contention: float = 0.0
    """faction_contention: how far mobilized factions are set against each other."""
    control: float = 0.0
    """military_control: PLA work teams and revolutionary committees (3233-3242). In the
    CR it is the control a unit's committee holds once consolidated: each unit reaches it
    on its own schedule (``committee_control``), not at a phase date."""
    criteria: float = 0.0
    """activist_criteria: how far cadre recruitment rewards faction activism."""


# Magnitudes are free parameters the text only orders (see module docstring): Sanfan halted
# production "for half or whole days" (2853); the CR peaked in 1967 (3061-3063); the
# Anti-Rightist quota is a one-off draw (target_rate unused); power-holders were "uniformly
# overthrown" (3102-3105): 0.15 a month leaves ~9 % standing after 15 months.
CLIMATES: dict[str, Climate] = {
    "sanfan": Climate(intensity=0.5, fear=0.15, mobilization=0.0, hardening=0.0, target_rate=0.02),
    "anti_rightist": Climate(0.3, 0.3, 0.0, 0.0, 0.0),
    "four_cleanups": Climate(0.35, 0.15, 0.03, 0.02, 0.005),
    # Contention: factions fought "more against the opposing faction than against cadres"
    # from the power-holder phase (3264-3267) and went on fighting wherever the PLA had not
    # yet "put an end to factional fighting" (3233-3236): the qingli keeps the power-holder
    # contention, and the PLA and revolutionary committees end it unit by unit on the
    # committee schedule (control, from mid-1967 to late 1968; 3233-3242). The PLA left in
    # 1969-72 while the revolutionary committees stayed (4250-4251: control 0.5); jockeying
    # went on in the 1970s campaigns (3641-3655). Activist criteria: new cadres rose
    # through CR activism (3675-3678, 3471-3489).
    "initial": Climate(0.5, 0.2, 0.1, 0.02, 0.01, contention=0.2, control=0.8, criteria=0.5),
    "power_holders": Climate(
        0.9, 0.05, 0.35, 0.05, 0.15, contention=1.0, control=0.8, criteria=1.0
    ),
    "qingli": Climate(0.6, 0.35, 0.05, 0.05, 0.01, contention=1.0, control=0.8, criteria=0.5),
    "liberation": Climate(0.2, 0.15, 0.02, 0.05, 0.0, contention=0.3, control=0.5, criteria=0.5),
}


# --- pure rules ------------------------------------------------------------------------
def cr_phase(elapsed: int, phase_months: tuple[int, int, int]) -> str:
    """The Cultural Revolution phase ``elapsed`` months after its start (3081–3090).

    ``phase_months`` are the lengths of the initial (bourgeois targets), power-holder and
    qingli phases; everything after is the liberation aftermath.
    """
    bounds = np.cumsum(phase_months)
    return CR_PHASES[int(np.searchsorted(bounds, elapsed, side="right"))]


def committee_control(
    elapsed: int, committee: np.ndarray, consolidation: int, level: float
) -> np.ndarray:
    """Military control in each unit ``elapsed`` months after the CR's start.

    None before the unit's revolutionary committee is set up (month ``committee``); then
    it rises by ``level`` / ``consolidation`` a month to ``level``, as the PLA
    representatives "put an end to factional fighting" and "mass action" in the unit
    (seed 002 3233-3242): demobilization is gradual and unit by unit, not a phase switch.
    """
    months = max(int(consolidation), 1)
    return level * np.clip((elapsed - np.asarray(committee) + 1) / months, 0.0, 1.0)


def targeting_probability(score: np.ndarray, pool: np.ndarray, rate: float) -> np.ndarray:
    """Monthly chance each person is struck: ``rate`` × score / mean pool score, in [0, 1].

    Outside the pool the chance is 0; the expected number struck is about ``rate`` × pool
    size (less where the cap at 1 binds).
    """
    prob = np.zeros(score.size)
    if not pool.any() or rate <= 0:
        return prob
    s = np.maximum(score, 0.0)
    mean = float(s[pool].mean())
    if mean <= 0:
        prob[pool] = rate
        return prob
    prob[pool] = np.clip(rate * s[pool] / mean, 0.0, 1.0)
    return prob


def pool_probability(score: np.ndarray, rate: float) -> np.ndarray:
    """:func:`targeting_probability` on the pool's rows: ``score`` holds the pool's scores
    (in row order), the result their chances — the same numbers as
    ``targeting_probability(full_score, pool, rate)[pool]``."""
    if score.size == 0 or rate <= 0:
        return np.zeros(score.size)
    s = np.maximum(score, 0.0)
    mean = float(s.mean())
    if mean <= 0:
        return np.full(score.size, float(rate))
    return np.clip(rate * s / mean, 0.0, 1.0)


def strike(rng: np.random.Generator, pool: np.ndarray, chance: Callable) -> np.ndarray:
    """Who of the ``pool`` is struck this month: each with ``chance(rows)`` (the pool's
    rows, in order), on the month's draw of one uniform per person (only the pool's are
    generated, sim/draws.py); as ``rng.random(n) < prob`` with ``prob`` 0 off the pool."""
    rows = np.flatnonzero(pool)
    u = uniform_where(rng, pool)
    struck = np.zeros(pool.size, dtype=bool)
    struck[rows] = u[rows] < chance(rows)
    return struck


def quota_size(group_sizes: np.ndarray, share: float) -> np.ndarray:
    """Targets each group must deliver: ``share`` of its personnel, rounded half up (K4)."""
    return np.floor(share * group_sizes + 0.5).astype(np.int64)


def quota_select(group: np.ndarray, score: np.ndarray, share: float) -> np.ndarray:
    """Pick exactly ``quota_size`` highest-scoring members of each group; returns a mask.

    ``group`` holds a non-negative group id per candidate. "Factories were told to find 5
    percent of their personnel to be rightists" (2912–2914).
    """
    mask = np.zeros(group.size, dtype=bool)
    if group.size == 0:
        return mask
    sizes = np.bincount(group)
    order = np.lexsort((-score, group))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rank_in_group = np.arange(order.size) - starts[group[order]]
    chosen = rank_in_group < quota_size(sizes, share)[group[order]]
    mask[order[chosen]] = True
    return mask


def enthusiasm(kind: np.ndarray, loyalty: np.ndarray, party: np.ndarray) -> np.ndarray:
    """Enthusiasm for the party line: cadres' loyalty; for others, party members 0.7 else 0.3."""
    return np.where(kind == Kind.CADRE, loyalty, np.where(party, 0.7, 0.3))


def rightist_score(
    skill: np.ndarray, enthusiasm_: np.ndarray, spoke: np.ndarray, noise: np.ndarray
) -> np.ndarray:
    """Who the Anti-Rightist quota falls on: speakers first, the articulate and less
    enthusiastic among them most (K5, 2901–2904); innocuous people fill the rest (K4).

    ``noise`` (small, uniform) breaks ties among the innocuous.
    """
    return spoke * (1.0 + skill * (1.0 - enthusiasm_)) + 0.1 * noise


def sanfan_score(corruption: np.ndarray, label: np.ndarray) -> np.ndarray:
    """Sanfan targets among cadres: corruption, waste, and holdovers from the old regime
    (non-good labels stand for KMT-era officials and their bourgeois ties; 2837–2850)."""
    return corruption + 0.5 * (label > ClassLabel.GOOD)


def political_score(label: np.ndarray, dossier: np.ndarray) -> np.ndarray:
    """ "Political problems (poor class background or former KMT affiliation)" (2935–2938)."""
    return 0.1 + label.astype(np.float64) + 0.5 * np.minimum(dossier, 3)


def power_score(rank: np.ndarray, corruption: np.ndarray) -> np.ndarray:
    """Power raises CR targeting risk (K10); personal misconduct directs it (K11, 3146–3152)."""
    return 1.0 + rank.astype(np.float64) + 2.0 * corruption


def dossier_access(security: np.ndarray, kind: np.ndarray, personnel_ratio: float) -> np.ndarray:
    """Share of each person standing for cadres with dossier access (O6): the security
    share of a cadre (``security``) plus ``personnel_ratio`` personnel cadres per security
    cadre, in [0, 1]; 0 for everyone who is not a cadre. Personnel and security cadres
    "had access to worker and cadre dossiers" (3158-3160)."""
    access = np.clip(security.astype(np.float64) * (1.0 + personnel_ratio), 0.0, 1.0)
    return np.where(kind == Kind.CADRE, access, 0.0)


def shielded(prob: np.ndarray, access: np.ndarray, shield: float) -> np.ndarray:
    """Targeting chance after the dossier holders' shield: × (1 − shield × access).

    Security cadres were "better situated to protect themselves from criticism"
    (3180-3182): the part of a cadre that stands for dossier holders is struck less.
    """
    return prob * (1.0 - np.clip(shield * access, 0.0, 1.0))


def leak_share(
    unit: np.ndarray, faction: np.ndarray, members: np.ndarray, n_units: int
) -> np.ndarray:
    """Per unit: the conservatives' share of its aligned members — how far the dossier
    material leaked "usually [to] the conservative faction" (3160-3162) arms the side that
    chooses targets. 0 where no one is aligned."""
    cons, reb = side_counts(np.maximum(unit, 0), faction, members, n_units)
    return cons / np.maximum(cons + reb, 1.0)


def unit_leniency(
    leniency: np.ndarray,
    unit: np.ndarray,
    leading: np.ndarray,
    rank: np.ndarray,
    n_units: int,
) -> np.ndarray:
    """Per unit: leniency of its cadres (``leading`` marks those in post), each weighted
    by rank + 1 — discipline is kept by those who "play a leading role" (3597-3599) —
    in [0, 1]; 0 where the unit has no cadre in post."""
    u = unit[leading]
    w = rank[leading].astype(np.float64) + 1.0
    n = np.bincount(u, weights=w, minlength=n_units)
    tot = np.bincount(u, weights=w * leniency[leading], minlength=n_units)
    return tot / np.maximum(n, 1e-12)


def kin_exposure(ties, struck: np.ndarray) -> np.ndarray:
    """Number of each person's ties (kin, close associates) struck this month."""
    if ties.nnz == 0:
        return np.zeros(struck.size)
    if ties.dtype != np.float32:  # (the product with a float32 vector, as always)
        return np.asarray(ties @ struck.astype(np.float32)).ravel()
    from sim import kernels

    return kernels.tie_count(ties, struck)


def kin_probability(exposure: np.ndarray, kin_risk: float) -> np.ndarray:
    """Chance a person's file gains an entry because relatives were struck: 1 − (1 − r)^k."""
    return 1.0 - np.power(1.0 - kin_risk, exposure)


def pick_in_group(
    target_group: np.ndarray,
    cand: np.ndarray,
    cand_group: np.ndarray,
    n_groups: int,
    u: np.ndarray,
) -> np.ndarray:
    """For each target, a uniformly drawn candidate row of the same group (−1 if none).

    ``u`` are uniform draws in [0, 1), one per target.
    """
    return random_member(target_group, cand, cand_group, n_groups, u)


def reinstate(
    rank: np.ndarray,
    back: np.ndarray,
    former: np.ndarray,
    new_cadre: np.ndarray,
    capital: np.ndarray,
    restored: np.ndarray | None = None,
) -> np.ndarray:
    """Ranks after the cadres at positions ``back`` return to their ``former`` ranks.

    Where a rank then holds more than its posts (``careers.rank_capacity``), the excess
    steps down one rank, from the top: new cadres first, then those with the least
    political capital; the returning cadres, and those ``restored`` earlier, keep their
    posts. Ranks stay a pyramid.
    """
    rank = rank.copy()
    rank[back] = np.maximum(rank[back], former)
    cap = rank_capacity(rank.size)
    returning = np.zeros(rank.size, dtype=bool) if restored is None else restored.copy()
    returning[back] = True
    for r in range(N_RANKS - 1, 0, -1):
        holders = np.flatnonzero(rank == r)
        excess = holders.size - cap[r]
        if excess <= 0:
            continue
        # Order: non-returning new cadres, then non-returning veterans, by capital.
        key = np.lexsort((capital[holders], ~new_cadre[holders], returning[holders]))
        rank[holders[key[:excess]]] = r - 1
    return rank


def swap_up(
    rank: np.ndarray, up: np.ndarray, new_cadre: np.ndarray, capital: np.ndarray
) -> np.ndarray:
    """Promote the ``up`` cadres one rank; for each, a veteran at the rank above with the
    least political capital steps down to theirs (the corps' pyramid is unchanged)."""
    rank = rank.copy()
    for r in range(N_RANKS - 2, -1, -1):
        movers = np.flatnonzero(up & (rank == r))
        vets = np.flatnonzero((rank == r + 1) & ~new_cadre)
        k = min(movers.size, vets.size)
        if k == 0:
            continue
        down = vets[np.argsort(capital[vets], kind="stable")[:k]]
        rank[movers[:k]] = r + 1
        rank[down] = r
    return rank


class CampaignParams(RegimeParams):
    type: Literal["campaign"]
    kind: Literal["sanfan", "anti_rightist", "four_cleanups", "cultural_revolution"] = Field(
        "cultural_revolution", description="which campaign (seed 002 R2, R4, R7, R8–R10)"
    )
    strength: float = Field(
        1.0,
        ge=0,
        le=2,
        description="multiplier on the campaign's intensity, fear, mobilization and "
        "targeting rate (1 = the kind's defaults) (multiplier)",
    )
    target_rate: float | None = Field(
        None,
        ge=0,
        le=1,
        description="monthly share of the targeting pool struck (default: the kind's/phase's) (share/month)",
    )
    quota: float = Field(
        0.05,
        ge=0,
        le=1,
        description="anti_rightist: share of each unit's personnel labelled (share)",
    )
    focus: Literal["political", "economic", "mixed"] = Field(
        "mixed",
        description="four_cleanups: political problems (labels), economic (corruption) or both (K7)",
    )
    work_team: Literal["liu", "mao"] = Field(
        "liu",
        description="four_cleanups: Liu's inner-party mode protects cadres, Mao's turns the "
        "masses on them (K6)",
    )
    phase_months: tuple[Months, Months, Months] = Field(
        (3, 15, 24),
        description="cultural_revolution: months of the initial, power-holder and qingli "
        "phases; the rest is liberation (months)",
    )
    committee_schedule: tuple[Months, ...] = Field(
        PROVINCIAL_COMMITTEES,
        min_length=1,
        description="cultural_revolution: months from the start at which revolutionary "
        "committees were set up, one entry per province; each unit draws its committee "
        "month from them (default: the 29 provincial-level committees, 1967-01 to 1968-09, "
        "nine in 1967 and twenty in 1968; MacFarquhar & Schoenhals 2006) (months)",
    )
    pla_consolidation: int = Field(
        9,
        ge=1,
        le=60,
        description="cultural_revolution: months from a unit's revolutionary committee to "
        "full military control: the PLA 'put an end to factional fighting' progressively "
        "(3233-3242; assumption, chosen on seeds 0-3: a committee of early 1967 holds its "
        "unit by late 1967, the last, of September 1968, by mid-1969) (months)",
    )
    power_rank: int = Field(
        2,
        ge=0,
        le=4,
        description="cultural_revolution: lowest rank counted as a power-holder (rank)",
    )
    humiliation: float = Field(
        0.2, ge=0, le=1, description="loyalty a struggled cadre loses (E1) (loyalty)"
    )
    alienation_step: float = Field(
        0.25, ge=0, le=1, description="alienation a persecuted technician gains (E10) (alienation)"
    )
    target_fear: float = Field(0.3, ge=0, le=1, description="fear a target gains (fear)")
    kin_risk: float = Field(
        0.2,
        ge=0,
        le=1,
        description="chance per struck tie that a person's file gains an entry (probability per tie)",
    )
    kin_fear: float = Field(
        0.1, ge=0, le=1, description="fear gained per struck tie (max 1 tie) (fear per tie)"
    )
    activist_reward: float = Field(
        0.5,
        ge=0,
        le=5,
        description="political capital a denouncing activist gains (C9) (political capital)",
    )
    recruitment: float = Field(
        0.2,
        ge=0,
        le=1,
        description="four_cleanups: chance a non-party activist joins the party (probability)",
    )
    wage_penalty: float = Field(
        0.1,
        ge=0,
        le=1,
        description="anti_rightist: share of wage a rightist loses (one grade) (share)",
    )
    liberation_rate: float = Field(
        0.08,
        ge=0,
        le=1,
        description="cultural_revolution: monthly chance an overthrown cadre is liberated "
        "in the qingli and liberation phases (1/month)",
    )
    prestige_loss: float = Field(
        0.1,
        ge=0,
        le=1,
        description="cut in the legitimacy target at full intensity (E7) (legitimacy)",
    )
    fear_fade: float = Field(
        0.06,
        ge=0,
        le=1,
        description="monthly decay of the campaign's fear after it ends (1/month; assumption: "
        "a half-life of about a year — rightists stayed under surveillance and labels "
        "stuck for twenty years, 2893-2895, 2921-2928, so the chill outlasts the campaign)",
    )
    # --- careers that remember (helper `factions`) ------------------------------------
    struggle_grievance: float = Field(
        0.3,
        ge=0,
        le=1,
        description="grudge (added hardship) a struggled target gains; they stay in the "
        "workplace and grievances accumulate (K1, 2776-2785) (hardship)",
    )
    kin_grievance: float = Field(
        0.1, ge=0, le=1, description="grudge gained per struggled tie, at most one (K1) (hardship)"
    )
    liu_humiliation: float = Field(
        0.5,
        ge=0,
        le=1,
        description="four_cleanups: share of the humiliation a cadre suffers under Liu's "
        "inner-party work teams, relative to Mao's mass criticism (2975-2998) (share)",
    )
    transfer_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of liberated cadres transferred to another unit, where no one "
        "struggled them face to face and they recover their full loyalty (E2, 3609-3621) (share)",
    )
    displacement_loss: float = Field(
        0.15,
        ge=0,
        le=1,
        description="loyalty a cadre loses when pushed down a rank by a reinstated old "
        "cadre ('old and new cadres vied for power', 3683-3684) (loyalty)",
    )
    activist_merit: float = Field(
        1.5,
        ge=0,
        le=10,
        description="cultural_revolution: log-odds of promotion per unit of a faction "
        "activist's activism: new cadres rose through CR activism (3675-3678) (log-odds)",
    )
    purity_merit: float = Field(
        0.5,
        ge=0,
        le=10,
        description="cultural_revolution: extra log-odds lost per label step in qingli and "
        "after: class purity 'much more important' for reward (3346-3356) (log-odds)",
    )
    qingli_lethality: float = Field(
        0.03,
        ge=0,
        le=1,
        description="cultural_revolution: chance a qingli target dies under confinement and "
        "severe struggle ('suicides were common', 3246-3249); Walder 2014 counts about 1.1 "
        "million deaths among 24 million persecuted, Walder & Su 2003 0.75-1.5 million among "
        "36 million (share)",
    )
    crash_start: Months = Field(
        109,
        description="cultural_revolution: months from the start to the crash recruitment "
        "and promotion (109 from 1966-05 = 1975-06; 3819-3820) (months)",
    )
    crash_months: Months = Field(
        5,
        description="cultural_revolution: length of the crash recruitment (June-October 1975) (months)",
    )
    crash_promotion: float = Field(
        0.2,
        ge=0,
        le=1,
        description="cultural_revolution: monthly share of new cadres promoted a rank over a "
        "veteran during the crash ('veteran cadres ... placed behind as assistants', "
        "3776-3780) (share/month)",
    )
    purge_start: Months = Field(
        125,
        description="cultural_revolution: months from the start to the purge of new cadres "
        "(125 from 1966-05 = 1976-10, the fall of the Gang of Four; 3707-3716) (months)",
    )
    purge_share: float = Field(
        0.6,
        ge=0,
        le=1,
        description="cultural_revolution: share of new cadres demoted and struggled in the "
        "purge month ('demoted again after the Gang of Four fell', 3707-3716; weeded out, "
        "3822-3827) (share)",
    )
    tech_degradation: float = Field(
        0.01,
        ge=0,
        le=1,
        description="cultural_revolution: monthly alienation technicians gain from "
        "three-in-one teams and shop-floor postings (E6) (alienation per month)",
    )
    # --- issue 18: leniency (E1) and dossier access (O6), helper `regimes` --------------
    leniency: float = Field(
        0.6,
        ge=0,
        le=1,
        description="leniency a cadre gains when struggled face to face: 'if the cadres "
        "were too severe before ... afterward they were too lenient' (E1, 3601-3604); "
        "under Liu's work teams times liu_humiliation (index 0-1)",
    )
    leniency_decay: float = Field(
        0.02,
        ge=0,
        le=1,
        description="monthly decay of a struggled cadre's leniency, and of its weight on "
        "output after the campaign (assumption: a half-life of about three years, 'in the "
        "years after' liberation) (1/month)",
    )
    discipline_loss: float = Field(
        0.1,
        ge=0,
        le=0.9,
        description="share of a unit's output lost to slack labour discipline when all its "
        "leading cadres are fully lenient (E1, 3603-3604) (share of output)",
    )
    personnel_ratio: float = Field(
        1.0,
        ge=0,
        le=10,
        description="personnel cadres per security cadre, both holding the dossiers "
        "(2481-2486, 3158-3160; assumption: sections of equal size) (ratio)",
    )
    dossier_shield: float = Field(
        0.8,
        ge=0,
        le=1,
        description="share of the targeting risk a dossier holder escapes: 'better "
        "situated to protect themselves from criticism' (O6, 3180-3182) (share)",
    )
    leak_weight: float = Field(
        1.0,
        ge=0,
        le=5,
        description="cultural_revolution: targeting score per dossier entry (up to 3) in "
        "the mass phases where leaked files arm the conservatives, times their share of the "
        "unit's aligned (O6, 3158-3165) (score)",
    )


@register
class Campaign(Regime):
    name = "campaign"
    title = "Political campaign (Sanfan, Anti-Rightist, Four Cleanups, Cultural Revolution)"
    summary = (
        "Targets by label, file, corruption or power; activists denounce; labels stick to "
        "families; fear suppresses expression; factions form and harden; CR phases."
    )
    Params = CampaignParams
    sources = (
        Source(SEED, "2837-2867", "Sanfan: corruption and KMT holdovers, tiger-hunting units"),
        Source(
            SEED, "2898-2928", "Hundred Flowers then Anti-Rightist: articulate critics labelled"
        ),
        Source(SEED, "2912-2918", "quota: 5 percent of personnel; innocuous persons targeted"),
        Source(SEED, "2893-2895", "the rightist label's effects on the family for twenty years"),
        Source(SEED, "2251-2252", "a rightist one wage grade lower for 20 years"),
        Source(SEED, "2932-2998", "Four Cleanups: ambiguous targets, Liu vs Mao work teams"),
        Source(SEED, "3006-3014", "former targets become rebels (revenge cycle)"),
        Source(SEED, "3081-3141", "CR phases; power-holders overthrown and judged by the masses"),
        Source(SEED, "3156-3166", "dossier holders leak files to the conservatives (O6)"),
        Source(SEED, "3180-3182", "security cadres better placed to protect themselves (O6)"),
        Source(SEED, "3233-3249", "qingli: PLA, cadres liberated, dead and live tigers"),
        Source(SEED, "3264-3303", "how factions formed from earlier cliques and ties"),
        Source(SEED, "3433-3463", "technicians degraded by three-in-one teams"),
        Source(SEED, "3508-3512", "informing as a career path"),
        Source(SEED, "3597-3621", "humiliated cadres demoralized; liberation and transfer"),
        Source(SEED, "3871-3906", "party prestige collapses; exposure breeds disillusion"),
    )

    def __init__(self, params: CampaignParams):
        super().__init__(params)
        self.t0: Month | None = None
        self.quota_done = False
        self.overthrown: np.ndarray | None = None
        #: the rank each overthrown cadre held before losing the post
        self.former_rank: np.ndarray | None = None
        #: cadres this campaign has reinstated (they keep their posts when others return)
        self.restored: np.ndarray | None = None
        #: struggled cadres' leniency (E1), decaying
        self.leniency: np.ndarray | None = None
        #: CR: the month (from the start) each unit's revolutionary committee is set up
        self.committee: np.ndarray | None = None
        self.current_phase: str | None = None

    # --- helpers -------------------------------------------------------------------
    def phase(self, model: CadreModel) -> str:
        """The current phase: the kind itself, or the CR phase by months since start."""
        if self.params.kind != "cultural_revolution":
            return self.params.kind
        t0 = self.t0 or model.date
        return cr_phase(t0.months_until(model.date), self.params.phase_months)

    def climate(self, model: CadreModel) -> Climate:
        c = CLIMATES[self.phase(model)]
        k = self.params.strength
        rate = c.target_rate if self.params.target_rate is None else self.params.target_rate
        mobilization = c.mobilization
        if self.params.kind == "four_cleanups":
            # Mao's work teams called the masses to judge cadres, and the struck became
            # the core of later factions; Liu's kept the campaign inside the party
            # (2975-2998, 3008-3014).
            mobilization *= 2.0 if self.params.work_team == "mao" else 0.5
        criteria = c.criteria
        if self.crash_window(model):
            criteria = 1.0  # "bypassing the normal channels" (3776-3820)
        return Climate(
            intensity=min(c.intensity * k, 1.0),
            fear=min(c.fear * k, 1.0),
            mobilization=min(mobilization * k, 1.0),
            hardening=c.hardening,
            target_rate=min(rate * k, 1.0),
            contention=min(c.contention * k, 1.0),
            control=c.control,
            criteria=criteria,
        )

    def crash_window(self, model: CadreModel) -> bool:
        """Whether this month falls in the CR's crash recruitment and promotion (1975)."""
        if self.params.kind != "cultural_revolution" or self.params.crash_months == 0:
            return False
        t0 = self.t0 or model.date
        k = t0.months_until(model.date) - self.params.crash_start
        return 0 <= k < self.params.crash_months

    # --- hooks -----------------------------------------------------------------------
    def on_start(self, model: CadreModel) -> None:
        self.t0 = model.date
        self.quota_done = False
        self.overthrown = np.zeros(model.people.n, dtype=bool)
        self.former_rank = np.zeros(model.people.n, dtype=np.int8)
        self.restored = np.zeros(model.people.n, dtype=bool)
        self.leniency = np.zeros(model.people.n, dtype=np.float32)
        if self.params.kind == "cultural_revolution":
            # Each unit's committee is set up when its province's was (one draw per unit).
            schedule = np.asarray(self.params.committee_schedule, dtype=np.int64)
            self.committee = schedule[model.rng.integers(0, schedule.size, model.units.n)]

    def apply(self, model: CadreModel, levers: Levers) -> None:
        c = self.climate(model)
        levers.campaign_intensity = max(levers.campaign_intensity, c.intensity)
        # Fear is the campaign's own term on everyone's risk aversion; it fades after
        # the campaign ends (on_end) instead of vanishing with it.
        model.terms.add("fear", self.key, c.fear)
        levers.mobilization = max(levers.mobilization, c.mobilization)
        levers.faction_hardening = max(levers.faction_hardening, c.hardening)
        levers.legitimacy_target_shift -= self.params.prestige_loss * c.intensity
        levers.faction_contention = max(levers.faction_contention, c.contention)
        if self.params.kind == "cultural_revolution":
            self.control_term(model, c.control)
        else:
            levers.military_control = max(levers.military_control, c.control)
        levers.activist_criteria = max(levers.activist_criteria, c.criteria)
        phase = self.phase(model)
        if self.params.kind == "cultural_revolution":
            self.career_terms(model, phase)
        self.discipline_term(model)
        if phase in ("power_holders", "qingli"):
            levers.technician_autonomy = min(levers.technician_autonomy, 0.2)
        elif phase == "liberation":
            levers.technician_autonomy = min(levers.technician_autonomy, 0.35)
        self.current_phase = phase

    def control_term(self, model: CadreModel, level: float) -> None:
        """The CR's military control, unit by unit: this regime's ``military_control``
        term, ``level`` in units whose committee is consolidated (``committee_control``),
        read by ``careers.update_factions`` and ``careers.contend``."""
        n_u = model.units.n
        if n_u == 0 or self.committee is None:
            return
        elapsed = (self.t0 or model.date).months_until(model.date)
        loc = np.zeros(model.n_localities)
        loc[:n_u] = committee_control(elapsed, self.committee, self.params.pla_consolidation, level)
        model.terms.add("military_control", self.key, loc)

    def committee_set_up(self, model: CadreModel) -> np.ndarray:
        """Per unit, 1 from the month its revolutionary committee is set up, else 0 (all 1
        outside the CR)."""
        if self.committee is None:
            return np.ones(model.units.n)
        elapsed = (self.t0 or model.date).months_until(model.date)
        return committee_control(elapsed, self.committee, 1, 1.0)

    def career_terms(self, model: CadreModel, phase: str) -> None:
        """The CR's weight on careers (promotion, and recruitment into the corps), as this
        regime's own terms.

        Activists of either faction are promoted (3675-3678; in 1975 "rebels were given
        positions", 3776-3780); from qingli on, class purity weighs more (3346-3356); the
        overthrown are out of the running and "kicked aside" to labour on the shop floor
        (3106-3108), their time on the line a ``labour_share`` term.
        """
        p, prm = model.people, self.params
        c = p.rows(Kind.CADRE)  # merit is read for cadres only
        aligned = p.faction[c] >= 0
        activist = prm.activist_merit * p.activism[c] * aligned
        if phase in ("qingli", "liberation"):
            merit = np.zeros(p.n)
            merit[c] = activist
            # for everyone: recruitment into the corps reads merit too (demography)
            merit -= prm.purity_merit * p.class_label
            model.terms.add("merit", self.key, merit)
        else:  # (on the cadres' rows only)
            model.terms.add("merit", self.key, activist, rows=c)
        if self.overthrown is not None and self.overthrown.any():
            self.sideline(model, self.overthrown)

    def discipline_term(self, model: CadreModel) -> None:
        """E1: humiliated cadres are "too lenient" and labour discipline deteriorates
        (3601-3604). Each unit loses ``discipline_loss`` × the mean leniency of its
        cadres in post (employed, not overthrown) of its output: this regime's
        ``labour_discipline`` term, which fades at ``leniency_decay`` after the end.
        Leniency is weighted by rank + 1: the leaders set the discipline."""
        p, n_u = model.people, model.units.n
        loc = np.zeros(model.n_localities)
        if n_u and self.leniency is not None and self.leniency.any():
            c = p.rows(Kind.CADRE)  # (cadres are a block of rows: their slice)
            unit = p.unit[c]
            leading = (unit >= 0) & (p.status[c] == Status.EMPLOYED) & ~self.overthrown[c]
            lenient = unit_leniency(self.leniency[c], unit, leading, p.rank[c], n_u)
            g = model.mechanisms.gain("struggle_leniency")
            loc[:n_u] = -g * self.params.discipline_loss * lenient
        model.terms.add("labour_discipline", self.key, loc)

    def access(self, model: CadreModel) -> np.ndarray:
        """Per person: dossier access (O6) times the mechanism's gain."""
        p = model.people
        g = model.mechanisms.gain("dossier_leaks")
        return g * dossier_access(p.security, p.kind, self.params.personnel_ratio)

    def leaks(self, model: CadreModel, staff: np.ndarray) -> np.ndarray:
        """Per person: the conservatives' share of aligned members in their unit, where
        the dossier holders leak the files to them (O6; 0 outside units, or when off)."""
        p = model.people
        if not model.mechanisms.gain("dossier_leaks") or model.units.n == 0:
            return np.zeros(p.n)
        members = staff & (p.faction >= 0)
        share = leak_share(p.unit, p.faction, members, model.units.n)
        return np.where(p.unit >= 0, share[np.maximum(p.unit, 0)], 0.0)

    def sideline(self, model: CadreModel, rows: np.ndarray) -> None:
        """The overthrown cadres in the mask ``rows`` are out of the running for posts and
        labour on the shop floor (3106-3108): this regime's ``merit`` and ``labour_share``
        terms for them this month."""
        c = model.people.rows(Kind.CADRE)  # (the cadres' rows: the terms are there only)
        out = rows[c]
        model.terms.add("merit", self.key, -20.0 * out, rows=c)
        model.terms.add("labour_share", self.key, out.astype(np.float64), rows=c)

    def on_step(self, model: CadreModel) -> None:
        p, rng = model.people, model.rng
        prm = self.params
        c = self.climate(model)
        phase = self.phase(model)
        kind = p.kind
        in_unit = (p.unit >= 0) & (p.status == Status.EMPLOYED)
        cadre = kind == Kind.CADRE
        # Cadres, technicians and workers are the first three blocks of rows (sim/state.py):
        # staff are those in a unit before the migrants' block.
        staff = in_unit.copy()
        staff[p.rows(Kind.WORKER).stop :] = False
        free = p.jail == 0
        struck = np.zeros(p.n, dtype=bool)
        died = struck
        relabel = True
        # A row recycled for a newcomer (a recruit into a cadre post, an entrant) starts
        # with none of this campaign's per-row state.
        # (the renewed rows listed once: few, and four columns are reset there)
        renewed = np.flatnonzero(model.renewed)
        self.overthrown[renewed] = False
        self.former_rank[renewed] = 0
        self.restored[renewed] = False
        self.leniency[renewed] = 0.0
        self.leniency *= np.float32(1.0 - prm.leniency_decay)
        if phase == "anti_rightist":
            if not self.quota_done:
                struck = self.rightists(model, staff)
                self.quota_done = True
                p.wage[struck] = p.wage[struck] * np.float32(1.0 - prm.wage_penalty)
        elif phase == "sanfan":
            prob = targeting_probability(
                sanfan_score(p.corruption, p.class_label), cadre, c.target_rate
            )
            access = self.access(model)
            struck = uniform_where(rng, cadre) < shielded(prob, access, prm.dossier_shield)
            # The campaign "destroyed ... large-scale corruption" (2857-2862).
            p.corruption[struck] *= np.float32(0.5)
            relabel = False
        elif phase == "four_cleanups":
            struck = self.four_cleanups(model, staff, c.target_rate, self.access(model))
            p.corruption[struck & cadre] *= np.float32(0.7)
        elif phase == "initial":
            pool = staff & ~cadre & ~p.party & ((p.class_label > 0) | (p.dossier > 0)) & free
            # O6: leaked files arm the conservatives against targets and against the
            # opposing faction's members with anything in their files (3158-3165).
            leak = self.leaks(model, staff)
            pool |= staff & ~cadre & free & (p.faction >= REBEL) & (p.dossier > 0) & (leak > 0)
            # (scores of the pool only: a chance of 0 outside it)
            struck = strike(
                rng,
                pool,
                lambda r: pool_probability(
                    political_score(p.class_label[r], p.dossier[r])
                    + self.leaked_score(p.dossier[r], p.faction[r], leak[r]),
                    c.target_rate,
                ),
            )
        elif phase == "power_holders":
            pool = cadre & (p.rank >= prm.power_rank) & ~self.overthrown
            g = model.mechanisms.gain("dossier_leaks")
            struck = strike(
                rng,
                pool,
                lambda r: shielded(
                    pool_probability(power_score(p.rank[r], p.corruption[r]), c.target_rate),
                    g * dossier_access(p.security[r], p.kind[r], prm.personnel_ratio),
                    prm.dossier_shield,
                ),
            )
            # Overthrown power-holders lose their posts (3102-3108): the rank they held
            # is kept for their liberation; promotions fill the vacated posts.
            self.former_rank[struck] = p.rank[struck]
            p.rank[struck] = 0
            self.overthrown |= struck
            # The terms were set (``apply``) before this month's strikes: those struck
            # now are sidelined from this month's promotions too, not promoted back.
            self.sideline(model, struck)
            relabel = False
        elif phase == "qingli":
            dead = staff & ~cadre & ((p.class_label == ClassLabel.BAD) | (p.dossier >= 2))
            live = staff & ~cadre & (p.faction == REBEL) & (p.activism > 0.3)
            leak = self.leaks(model, staff)
            armed = staff & ~cadre & (p.faction >= REBEL) & (p.dossier > 0) & (leak > 0)
            pool = (dead | live | armed) & free
            # The PLA teams and the committees they set up "conduct[ed] the qingli"
            # (3233-3237): a unit's purge starts with its committee.
            held = self.committee_set_up(model)
            struck = strike(
                rng,
                pool,
                lambda r: (
                    held[p.unit[r]]
                    * pool_probability(
                        political_score(p.class_label[r], p.dossier[r])
                        + 2.0 * live[r]
                        + self.leaked_score(p.dossier[r], p.faction[r], leak[r]),
                        c.target_rate,
                    )
                ),
            )
            # Qingli targets "were confined and subject to severe struggle methods;
            # suicides were common" (3246-3249): most CR deaths came from this organized
            # repression, after the factional phase (Walder & Su 2003; Walder 2014).
            died = struck & (uniform_where(rng, struck) < prm.qingli_lethality)
            model.tally["persecution_deaths"] = float(died.sum()) * model.params.people_per_agent
        if phase in ("qingli", "liberation"):
            # (liberation reads the chance of the overthrown only)
            self.liberate(model, uniform_where(rng, self.overthrown) < prm.liberation_rate)
        if phase in ("power_holders", "qingli"):
            tech = kind == Kind.TECHNICIAN
            p.alienation[tech] = np.minimum(p.alienation[tech] + prm.tech_degradation, 1.0)
        if self.crash_window(model):
            self.crash_promote(model)
        if prm.kind == "cultural_revolution" and self.t0 is not None:
            if self.t0.months_until(model.date) == prm.purge_start:
                self.purge(model)
        if struck.any():
            self.struggle(model, struck, relabel=relabel, rightist=phase == "anti_rightist")
        if phase == "qingli" and died.any():
            violent_deaths(model, np.flatnonzero(died))
        n_cadres = max(model.people.count(Kind.CADRE), 1)
        model.tally["cadres_overthrown"] = float(self.overthrown.sum()) / n_cadres
        model.tally["campaign_targets"] = model.tally.get("campaign_targets", 0) + int(struck.sum())

    def on_end(self, model: CadreModel) -> None:
        # The movement is over: whoever is still overthrown is liberated (E2). Labels,
        # files and wage cuts stay (agent state); the climate of fear fades.
        if self.overthrown is not None:
            self.liberate(model, np.ones(model.people.n, dtype=bool))

        model.terms.fade(self.key, "fear", self.params.fear_fade)
        # E1: slack discipline outlasts the movement, fading with the cadres' leniency.
        model.terms.fade(self.key, "labour_discipline", self.params.leniency_decay)
        self.current_phase = None

    # --- targeting -----------------------------------------------------------------------
    def leaked_score(
        self, dossier: np.ndarray, faction: np.ndarray, leak: np.ndarray
    ) -> np.ndarray:
        """Extra targeting score from leaked files (O6): ``leak_weight`` × the unit's
        conservative share × dossier entries (up to 3), for all but the conservatives
        the files arm."""
        files = np.minimum(dossier, 3).astype(np.float64)
        return self.params.leak_weight * leak * files * (faction != CONSERVATIVE)

    def rightists(self, model: CadreModel, staff: np.ndarray) -> np.ndarray:
        """Hundred Flowers then the Anti-Rightist quota, unit by unit (K4, K5)."""
        p, rng = model.people, model.rng
        cand = np.flatnonzero(staff)
        enth = enthusiasm(p.kind[cand], p.loyalty[cand], p.party[cand])
        # "Workers and technical personnel both complied" (2898-2901): the articulate and
        # less enthusiastic were likelier to speak up.
        spoke = rng.random(cand.size) < np.clip(0.3 + 0.5 * p.skill[cand] * (1 - enth), 0, 1)
        score = rightist_score(p.skill[cand], enth, spoke, rng.random(cand.size))
        chosen = quota_select(p.unit[cand], score, self.params.quota)
        struck = np.zeros(p.n, dtype=bool)
        struck[cand[chosen]] = True
        model.tally["campaign_spoke"] = int(spoke.sum())
        return struck

    def four_cleanups(
        self, model: CadreModel, staff: np.ndarray, rate: float, access: np.ndarray
    ) -> np.ndarray:
        """Four Cleanups targets: political or economic problems; work-team mode (K6, K7)."""
        p, rng, prm = model.people, model.rng, self.params
        cadre = p.kind == Kind.CADRE
        # Liu turned "the spearhead downward" onto ordinary workers; Mao's work teams had
        # the masses criticize cadres (2975-2998).
        cadre_weight = 0.25 if prm.work_team == "liu" else 0.75
        score = np.zeros(p.n)
        if prm.focus in ("political", "mixed"):
            score += political_score(p.class_label, p.dossier)
        if prm.focus in ("economic", "mixed"):
            score += np.where(cadre, 1.0 + 4.0 * p.corruption, 0.0)
        struck = np.zeros(p.n, dtype=bool)
        for pool, share in ((staff & cadre, cadre_weight), (staff & ~cadre, 1.0 - cadre_weight)):
            prob = targeting_probability(score, pool, 2.0 * rate * share)
            struck |= uniform_where(rng, pool) < shielded(prob, access, prm.dossier_shield)
        return struck

    # --- consequences ---------------------------------------------------------------------
    def struggle(
        self, model: CadreModel, struck: np.ndarray, relabel: bool, rightist: bool
    ) -> None:
        """Apply a campaign's consequences to this month's targets, their kin and accusers."""
        p, prm, rng = model.people, self.params, model.rng
        idx = np.flatnonzero(struck)
        p.persecuted[idx] += 1
        p.dossier[idx] += 1
        if rightist:
            p.class_label[idx] = ClassLabel.BAD
        elif relabel:
            p.class_label[idx] = np.minimum(p.class_label[idx] + 1, ClassLabel.BAD)
        p.fear[idx] = np.minimum(p.fear[idx] + prm.target_fear, 1.0)
        cad = idx[p.kind[idx] == Kind.CADRE]
        humiliation = prm.humiliation
        if prm.kind == "four_cleanups" and prm.work_team == "liu":
            humiliation *= prm.liu_humiliation  # criticized inside the party, not by the masses
        p.loyalty[cad] = np.maximum(p.loyalty[cad] - humiliation, 0.0)
        # E1: struggled face to face, cadres become "too lenient" (3601-3604); Liu's
        # inner-party criticism was not face to face before the masses.
        lenient = prm.leniency * (humiliation / prm.humiliation if prm.humiliation else 1.0)
        self.leniency[cad] = np.minimum(self.leniency[cad] + lenient, 1.0)
        p.political_capital[cad] *= np.float32(0.5)
        tech = idx[p.kind[idx] == Kind.TECHNICIAN]
        p.alienation[tech] = np.minimum(p.alienation[tech] + prm.alienation_step, 1.0)
        # Labels stick to families: kin and close associates share the risk.
        # (the exposed are few: their rows are listed and only their draws generated)
        exposure = kin_exposure(model.ties, struck)
        touched = np.flatnonzero(exposure > 0)
        u_kin = uniform_at(rng, p.n, touched)
        kin = touched[~struck[touched] & (u_kin < kin_probability(exposure[touched], prm.kin_risk))]
        p.dossier[kin] += 1
        # K1: "remold, don't remove" — the struggled and their kin stay and hold a grudge.
        g = model.mechanisms.gain("struggle_grievance")
        p.grudge[idx] = np.minimum(p.grudge[idx] + g * prm.struggle_grievance, 1.0)
        p.grudge[touched] = np.minimum(
            p.grudge[touched] + g * prm.kin_grievance * np.minimum(exposure[touched], 1.0), 1.0
        )
        p.fear[touched] = np.minimum(
            p.fear[touched] + prm.kin_fear * np.minimum(exposure[touched], 1.0), 1.0
        )
        # Denunciation: a good-class activist of the same unit or village accuses each target.
        loc = model.locality
        cand = np.flatnonzero(
            (p.class_label == ClassLabel.GOOD) & ~struck & (p.jail == 0) & (p.persecuted == 0)
        )
        accusers = pick_in_group(
            loc[idx], cand, loc[cand], model.n_localities, rng.random(idx.size)
        )
        accusers = np.unique(accusers[accusers >= 0])
        p.activism[accusers] = np.minimum(p.activism[accusers] + 0.1, 1.0)
        p.political_capital[accusers] += np.float32(prm.activist_reward)
        if self.params.kind == "four_cleanups":
            join = accusers[~p.party[accusers] & (rng.random(accusers.size) < prm.recruitment)]
            p.party[join] = True
        model.tally["campaign_accusers"] = model.tally.get("campaign_accusers", 0) + int(
            accusers.size
        )

    def liberate(self, model: CadreModel, chosen: np.ndarray) -> None:
        """Overthrown cadres return, demoralized: half the humiliation is recovered (E1–E2)."""
        if self.overthrown is None:
            return
        back = self.overthrown & chosen
        if not back.any():
            return
        p, rng, prm = model.people, model.rng, self.params
        idx = np.flatnonzero(back)
        # E2: transferred "so that they would not be required to work with people who had
        # engaged in face-to-face struggle against them" (3609-3621); in a new unit they
        # can lead again, so they recover all the humiliation, the others half.
        u_move, u_unit = rng.random(idx.size), rng.random(idx.size)
        moved = (u_move < prm.transfer_share * model.mechanisms.gain("cadre_transfer")) & (
            model.units.n > 1
        )
        mv = idx[moved]
        if mv.size:
            shift = 1 + np.floor(u_unit[moved] * (model.units.n - 1)).astype(np.int64)
            p.unit[mv] = (np.maximum(p.unit[mv], 0) + shift) % model.units.n
        recover = np.where(moved, 1.0, 0.5) * prm.humiliation
        # ... and "the cadres could still lead" there (3619-3621): no leniency (E1).
        self.leniency[mv] = 0.0
        p.loyalty[idx] = np.minimum(p.loyalty[idx] + recover, 1.0)
        # Liberated cadres were "restored to their old or comparable positions" (3242-3245),
        # often over the new cadres who had replaced them, who became deputies (3682-3683).
        if "cadre_reinstatement" in model.mechanisms:
            rows = p.rows(Kind.CADRE)
            local = idx - rows.start
            before = p.rank[rows].copy()
            p.rank[rows] = reinstate(
                p.rank[rows],
                local,
                self.former_rank[idx],
                p.new_cadre[rows],
                p.political_capital[rows].astype(np.float64),
                self.restored[rows],
            )
            self.restored[idx] = True
            # Those pushed down to make room resent it: "old and new cadres vied for
            # power" (3683-3684).
            pushed = np.flatnonzero(p.rank[rows] < before) + rows.start
            pushed = pushed[~back[pushed]]
            p.loyalty[pushed] = np.maximum(p.loyalty[pushed] - prm.displacement_loss, 0.0)
            model.tally["cadres_reinstated"] = (
                model.tally.get("cadres_reinstated", 0)
                + float(np.count_nonzero(self.former_rank[idx] > 0)) * model.params.people_per_agent
            )
        self.former_rank[idx] = 0
        self.overthrown &= ~back

    def crash_promote(self, model: CadreModel) -> None:
        """1975: new cadres promoted a rank over veterans, who step down behind them
        ("rebels were given positions ... veteran cadres ... placed behind as assistants",
        3776-3780; about 1.2 million recruited or promoted irregularly, 3819-3820)."""
        p, rng = model.people, model.rng
        rows = p.rows(Kind.CADRE)
        rank = p.rank[rows]
        up = p.new_cadre[rows] & (rank < N_RANKS - 1)
        up &= rng.random(rank.size) < self.params.crash_promotion
        p.rank[rows] = swap_up(rank, up, p.new_cadre[rows], p.political_capital[rows])
        model.tally["crash_promotions"] = int(up.sum())

    def purge(self, model: CadreModel) -> None:
        """After 1976 the new cadres' patrons fell: many are demoted and struggled
        (3707-3716), their files marked; the old cadres' corps is restored."""
        p, rng, prm = model.people, model.rng, self.params
        rows = p.rows(Kind.CADRE)
        new = np.flatnonzero(p.new_cadre[rows]) + rows.start
        hit = new[rng.random(new.size) < prm.purge_share]
        p.rank[hit] = 0
        p.new_cadre[hit] = False
        p.political_capital[hit] = 0.0
        p.faction[hit] = -1
        p.dossier[hit] += 1
        p.persecuted[hit] += 1
        p.loyalty[hit] = np.maximum(p.loyalty[hit] - prm.humiliation, 0.0)
        model.tally["cadres_purged"] = float(hit.size) * model.params.people_per_agent
