"""Work and accidents: unit output, collusion and the accident hazard.

Output falls with the share of cadre time spent on the line instead of managing (the
cost side of the "two participations", science-anchors §3.5), rises with technicians'
autonomy, and is disrupted by protest and campaigns (seed 002 K9, lines 3059–3075).

The accident hazard is the rule of science-anchors §3.9,
``hazard = base × (1 + γ_c·collusion) × (1 + γ_d·distance) × (1 − δ·enforcement)``:
collusion between local officials and mine owners raises it, especially where the
supervising cadres are native (Jia & Nie 2017; Fisman & Wang 2015); cadres' distance
from the shop floor raises it (seed 000 lines 8, 10, 34); enforcement and media lower it.
"""

from __future__ import annotations

import numpy as np

from sim.state import Kind, Ownership, Sector, Status
from sim.submodels.legitimacy import presence
from sim.submodels.protest import active_rows

GROWTH_TREND_MONTHS = 12.0


def output(
    capacity: np.ndarray,
    staffing: np.ndarray,
    labour_share: np.ndarray,
    management_cost: float,
    autonomy: float,
    tech_alienation: np.ndarray,
    disruption: np.ndarray,
    accuracy: np.ndarray | float = 0.0,
    discipline: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Monthly output of each unit (index units).

    ``autonomy`` may be one value or one per unit (three-in-one teams subordinate the
    technicians of some units, seed 002 3445–3462). ``accuracy`` is the output gained from
    more accurate decisions where cadres work on the line (seed 000 lines 19, 34: "it
    added accuracy to the cadre's decision making", against the Great Leap's overstated
    production), already scaled by their presence. ``discipline`` is the share of output
    gained or lost with labour discipline (the composed ``labour_discipline``: humiliated
    cadres too lenient to keep it, seed 002 3601–3604), bounded to [−0.9, +1].

    Expertise counts only as far as technicians are both allowed to govern production
    (``autonomy``) and willing to (1 − ``tech_alienation``): the effective expertise is
    their product, and output moves ±10 % around its neutral level with it. So output
    never falls with autonomy and never rises with alienation (seed 002 B2, E6, E10:
    alienated, degraded technicians withdraw their expertise, 3433–3463, 3932–3940).
    """
    mgmt = 1.0 - management_cost * labour_share
    tech = 1.0 + 0.2 * (autonomy * (1.0 - tech_alienation) - 0.5)
    gain = 1.0 + np.asarray(accuracy, dtype=np.float64)
    order = 1.0 + np.clip(np.asarray(discipline, dtype=np.float64), -0.9, 1.0)
    return (
        capacity
        * np.power(np.clip(staffing, 0.0, 2.0), 0.7)
        * mgmt
        * tech
        * gain
        * order
        * (1.0 - disruption)
    )


def unit_autonomy(autonomy: float, authority_terms: np.ndarray) -> np.ndarray:
    """Technicians' autonomy in each unit: the month's rule plus the units' own terms."""
    return np.clip(autonomy + authority_terms, 0.0, 1.0)


def accident_hazard(
    base: np.ndarray,
    collusion: np.ndarray,
    distance: np.ndarray,
    enforcement: float,
    safety: np.ndarray,
    g_collusion: float,
    g_distance: float,
    d_enforcement: float,
) -> np.ndarray:
    """Expected accidents per worker-month in each unit."""
    h = (
        base
        * (1.0 + g_collusion * collusion)
        * (1.0 + g_distance * distance)
        * (1.0 - d_enforcement * enforcement)
        * (1.5 - safety)
    )
    return np.maximum(h, 0.0)


def collusion_target(
    corruption: np.ndarray, native_share: np.ndarray, shift: float, media: float
) -> np.ndarray:
    """Collusion the unit's officials drift toward, in [0, 1] (science-anchors §3.9)."""
    return np.clip(corruption * (0.5 + native_share) + shift - 0.3 * media, 0.0, 1.0)


def produce(model) -> None:
    """Compute unit output, performance and the economy's growth this month."""
    u, p, prm, lv = model.units, model.people, model.params, model.levers
    u.capacity = u.capacity * (1.0 + prm.output_growth)
    staff = model.unit_staff()
    staffing = staff / np.maximum(u.staff0, 1)
    # Agents may be partly active (sim/submodels/protest.py): weigh each by its share.
    rows, share = active_rows(p)
    on_strike = np.bincount(model.locality[rows], weights=share, minlength=model.n_localities)
    active_share = on_strike[: u.n] / np.maximum(staff, 1)
    active_share = active_share * model.mechanisms.gain("protest_disruption")
    disruption = np.clip(active_share + 0.3 * lv.campaign_intensity, 0.0, 0.9)
    u.output_prev = u.output.copy()
    on_line = presence(model.loc_cadre_labour[: u.n])
    u.output = output(
        u.capacity,
        staffing,
        model.loc_cadre_labour[: u.n],
        prm.management_cost,
        unit_autonomy(lv.technician_autonomy, model.terms.total("technician_authority")[: u.n]),
        model.unit_tech_alienation,
        disruption,
        model.terms.total("decision_accuracy")[: u.n] * on_line,
        model.terms.total("labour_discipline")[: u.n],
    )
    prev = u.output_prev
    growth = np.where(prev > 0, u.output / np.where(prev > 0, prev, 1.0) - 1.0, 0.0)
    # Performance for promotions: a smoothed, standardized growth rate (Li & Zhou 2005
    # find turnover responds to average growth over tenure).
    model.unit_growth_ema = 0.9 * model.unit_growth_ema + 0.1 * growth
    sd = float(np.std(model.unit_growth_ema))
    model.unit_performance = (model.unit_growth_ema - model.unit_growth_ema.mean()) / (
        sd if sd > 1e-12 else 1.0
    )
    total_prev, total = float(prev.sum()), float(u.output.sum())
    model.output_growth = total / total_prev - 1.0 if total_prev > 0 else 0.0
    # Legitimacy answers to the trend, not to one month's strike-driven dip and rebound.
    model.growth_trend += (model.output_growth - model.growth_trend) / GROWTH_TREND_MONTHS


def locally_supervised(ownership: np.ndarray, decentralized: bool) -> np.ndarray:
    """Units whose safety is supervised by local officials (per unit, bool).

    Only the key state mines were ever supervised from the centre; township, collective
    and private mines always answered to local governments (science-anchors §3.9). So
    state units are local only while supervision is decentralized (Jia & Nie 2017:
    March 1998 – February 2001); every other unit always is.
    """
    return (ownership != Ownership.STATE) | bool(decentralized)


def small_mine_factor(ownership: np.ndarray, sector: np.ndarray, factor: float) -> np.ndarray:
    """Base-hazard multiplier of small (non-state) mines; 1 for everything else.

    SAWS (science-anchors §3.9): small mines were a third of all mines and caused two
    thirds of the deaths; in 2009 they produced 35 % of output and 70 % of deaths.
    """
    small = (sector == Sector.MINE) & (ownership != Ownership.STATE)
    return np.where(small, factor, 1.0)


def death_memory(memory: np.ndarray, deaths: np.ndarray, workers: np.ndarray, fade: float):
    """Remembered deaths per 1,000 line workers: this month's rate added, the past fading.

    A rate, not a count, so it does not change with ``people_per_agent`` or unit size.
    """
    rate = 1000.0 * deaths / np.maximum(workers, 1)
    return (memory * (1.0 - fade) + rate).astype(np.float32)


def accident_legitimacy_term(memory: np.ndarray, media: float, weight: float) -> np.ndarray:
    """Local legitimacy lost to remembered deaths, in proportion to media exposure."""
    return -weight * media * memory


def accident_blame_term(memory: np.ndarray, collusion: np.ndarray, weight: float) -> np.ndarray:
    """Promotion log-odds a unit's cadres lose for its remembered deaths; collusion with
    the owners shields them (the accident is hushed up or blamed on others)."""
    return -weight * memory * (1.0 - np.clip(collusion, 0.0, 1.0))


def accident_consequences(model) -> None:
    """What remembered deaths cost (issue 13.5): legitimacy and careers.

    Runs before local legitimacy and promotions each month. Each consequence is a named
    core term: ``local_legitimacy`` of the unit's locality falls with its remembered
    deaths in proportion to ``levers.media_exposure``; the ``merit`` of the unit's
    cadres falls unless collusion shields them.
    """
    u, p, prm, on = model.units, model.people, model.params, model.mechanisms.gain
    loc = np.zeros(model.n_localities)
    loc[: u.n] = accident_legitimacy_term(
        u.death_memory, model.levers.media_exposure, prm.accident_legitimacy
    ) * on("accident_legitimacy")
    model.terms.set("local_legitimacy", "accident_deaths", loc)
    rows = p.rows(Kind.CADRE)
    unit = p.unit[rows]
    blame = accident_blame_term(u.death_memory, u.collusion, prm.accident_blame)
    merit = np.zeros(p.n)
    merit[rows] = np.where(unit >= 0, blame[np.maximum(unit, 0)], 0.0) * on("accident_blame")
    model.terms.set("merit", "accident_blame", merit)


def accidents(model) -> None:
    """Draw accidents and deaths in every unit, and remember the deaths."""
    u, prm, lv, rng = model.units, model.params, model.levers, model.rng
    loc_n = u.n
    # Collusion and the native supervisors' part in it matter only where supervision is
    # local (Nie & Jiang 2011; Jia & Nie 2017): central inspectors are not natives.
    local = locally_supervised(u.ownership, lv.supervision_decentralized)
    u.collusion = u.collusion + 0.1 * (
        collusion_target(
            model.loc_cadre_corruption[:loc_n],
            model.unit_native_share * local,
            lv.collusion_shift,
            lv.media_exposure,
        )
        - u.collusion
    )
    base = np.where(u.sector == Sector.MINE, prm.accident_rate, prm.accident_rate_factory)
    base = base * small_mine_factor(u.ownership, u.sector, prm.small_mine_hazard)
    distance = 1.0 - presence(model.loc_cadre_labour[:loc_n])
    hazard = accident_hazard(
        base,
        u.collusion * local,
        distance,
        lv.safety_enforcement,
        u.safety,
        prm.collusion_effect * model.mechanisms.gain("accident_collusion"),
        prm.distance_effect * model.mechanisms.gain("accident_distance"),
        prm.enforcement_effect,
    )
    workers = line_workers(model)
    n_acc = rng.poisson(hazard * workers)
    n_dead = rng.poisson(n_acc * prm.fatality_share)
    u.accidents = n_acc
    u.deaths = n_dead
    u.death_memory = death_memory(u.death_memory, n_dead, workers, prm.accident_memory_fade)
    model.tally["accidents"] = int(n_acc.sum())
    model.tally["deaths"] = int(n_dead.sum())
    model.tally["mine_deaths"] = int(n_dead[u.sector == Sector.MINE].sum())


def line_workers(model) -> np.ndarray:
    """Employed workers and migrants per unit (those exposed to accidents)."""
    p = model.people
    # Workers and migrants are adjacent blocks of rows (sim/state.py): their slice.
    b = slice(p.rows(Kind.WORKER).start, p.rows(Kind.MIGRANT).stop)
    on_line = p.status[b] == Status.EMPLOYED
    return np.bincount(p.unit[b][on_line], minlength=model.units.n)
