"""Every recorded outcome, defined once: name, meaning, unit and how runs summarize it.

Levels (legitimacy, cohesion, counts of people in a state) are recorded as their value at
the end of the month and summarized per run by their mean and final value. Flows
(events, arrests, accidents) are the month's count and are summarized by their total
and their rate per year. docs/ODD.md ("Observation") lists the same definitions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np

from sim.state import Kind, Status
from sim.submodels import careers, protest
from sim.submodels.economy import gini
from sim.submodels.protest import BENEFIT_CLAIMS

if TYPE_CHECKING:
    from sim.model import CadreModel


@dataclass(frozen=True)
class Outcome:
    name: str
    description: str
    unit: str
    flow: bool
    compute: Callable[[CadreModel], float]


def _mean_of(kind: Kind, column: str) -> Callable[[CadreModel], float]:
    def f(m: CadreModel) -> float:
        rows = m.people.rows(kind)
        values = m.people.arrays[column][rows]
        return float(values.mean()) if values.size else float("nan")

    return f


def _status_count(status: Status) -> Callable[[CadreModel], float]:
    def f(m: CadreModel) -> float:
        # Cadres are the first block of rows (sim/state.py): everyone after them.
        p = m.people
        return float(np.count_nonzero(p.status[p.rows(Kind.CADRE).stop :] == status))

    return f


def _waiting(m: CadreModel) -> float:
    p = m.people
    urban = slice(p.rows(Kind.TECHNICIAN).start, p.rows(Kind.WORKER).stop)  # adjacent blocks
    return float(np.count_nonzero(p.status[urban] == Status.NONE))


def _tally(key: str) -> Callable[[CadreModel], float]:
    return lambda m: float(m.tally.get(key, 0))


def _people(count: Callable[[CadreModel], float]) -> Callable[[CadreModel], float]:
    """A count of agents as represented people (× ``people_per_agent``).

    Every reported count of persons is in people, so it does not change with the scale
    at which the same city is represented (``tests/test_outcome_units.py``).
    """
    return lambda m: count(m) * float(m.params.people_per_agent)


def _detained(p) -> np.ndarray:
    """Per agent, the share of its people in detention: ``detained`` set at arrest by the
    state's response, or the whole agent where another rule jailed it."""
    return np.where(p.jail > 0, np.where(p.detained > 0, p.detained, np.float32(1.0)), 0.0)


def exact_sum(values: np.ndarray) -> float | None:
    """The float64 sum of float32 ``values`` if it is exact, else None.

    Every float32 is a multiple of 2^(e−24) for its binary exponent e, so all values are
    multiples of that of the smallest; while their absolute sum stays below 2^52 such
    units, every partial sum is a float64 exactly, and so is the total in any order: the
    sum over the few nonzero values is the sum (pairwise, as ``np.sum``) over the whole
    column with its zeros.
    """
    a = np.abs(values.astype(np.float64))
    nonzero = a[a > 0]
    if nonzero.size == 0:
        return 0.0
    _, e = np.frexp(nonzero.min())
    if not np.isfinite(a.sum()) or a.sum() >= 2.0 ** (52 + int(e) - 24):
        return None
    return float(np.sum(values, dtype=np.float64))


def _sum_over(values: np.ndarray, column: Callable[[], np.ndarray]) -> float:
    """``np.sum(column(), dtype=float64)`` for a float32 column whose nonzero entries are
    all in ``values``, summed over those when that is exact."""
    total = exact_sum(values)
    if total is None:
        return float(np.sum(column(), dtype=np.float64))
    return total


def _active(m: CadreModel) -> float:
    """Active agents' shares summed (``protest.active_share``, 0 for inactive agents)."""
    p = m.people
    rows = np.flatnonzero(p.active)
    few = SimpleNamespace(active=p.active[rows], turnout=p.turnout[rows])
    return _sum_over(protest.active_share(few), lambda: protest.active_share(p))


def _jailed(m: CadreModel) -> float:
    """The detained shares summed (``_detained``, 0 for agents not in detention)."""
    p = m.people
    rows = np.flatnonzero(p.jail > 0)
    few = SimpleNamespace(jail=p.jail[rows], detained=p.detained[rows])
    return _sum_over(_detained(few), lambda: _detained(p))


def _pool_factions(m: CadreModel) -> np.ndarray:
    """Factions of the faction pool (cadres, technicians, workers): the first blocks of
    rows (sim/state.py), read as a slice rather than gathered through the mask."""
    p = m.people
    stop = p.rows(Kind.WORKER).stop
    if stop != m.faction_pool_size:  # (a pool other than those blocks: the mask)
        return p.faction[m.faction_pool]
    return p.faction[:stop]


def _benefit_events(m: CadreModel) -> np.ndarray:
    ev = m.events
    return (ev.locality < m.units.n) & np.isin(ev.claim, BENEFIT_CLAIMS)


def _size_class(k: int) -> Callable[[CadreModel], float]:
    return lambda m: float(np.count_nonzero(m.events.size_class == k))


OUTCOMES: tuple[Outcome, ...] = (
    Outcome(
        "legitimacy", "global regime legitimacy L in [0, 1]", "share", False, lambda m: m.legitimacy
    ),
    Outcome(
        "elite_cohesion",
        "mean cadre loyalty (co-optation) × (1 − fractionalization of cadres over "
        "factions and the new-cadre bloc, unaligned as one bloc) × (1 − policy division, 2 × sd of cadre loyalty) "
        "× (1 − defected share of security capacity); 1 = one undivided bloc of fully "
        "co-opted, loyal cadres (sim/submodels/elite.py)",
        "index 0–1",
        False,
        lambda m: m.elite.cohesion,
    ),
    Outcome(
        "cadre_cooptation",
        "mean cadre loyalty (co-optation) in [0, 1]",
        "index 0–1",
        False,
        _mean_of(Kind.CADRE, "loyalty"),
    ),
    Outcome(
        "factions",
        "factions with at least faction_min_share of the cadre, technician and "
        "worker population as members",
        "count",
        False,
        lambda m: float(
            careers.count_factions(
                _pool_factions(m), m.params.faction_min_share * m.faction_pool_size
            )
        ),
    ),
    Outcome(
        "faction_members",
        "people aligned with any faction",
        "people",
        False,
        _people(lambda m: float(np.count_nonzero(m.people.faction >= 0))),
    ),
    Outcome(
        "grievance_cadre",
        "mean grievance of cadres",
        "index 0–1",
        False,
        _mean_of(Kind.CADRE, "grievance"),
    ),
    Outcome(
        "grievance_technician",
        "mean grievance of technicians",
        "index 0–1",
        False,
        _mean_of(Kind.TECHNICIAN, "grievance"),
    ),
    Outcome(
        "grievance_worker",
        "mean grievance of urban workers (all statuses)",
        "index 0–1",
        False,
        _mean_of(Kind.WORKER, "grievance"),
    ),
    Outcome(
        "grievance_migrant",
        "mean grievance of migrants",
        "index 0–1",
        False,
        _mean_of(Kind.MIGRANT, "grievance"),
    ),
    Outcome(
        "grievance_peasant",
        "mean grievance of peasants",
        "index 0–1",
        False,
        _mean_of(Kind.PEASANT, "grievance"),
    ),
    Outcome(
        "alienation_technician",
        "mean alienation of technicians",
        "index 0–1",
        False,
        _mean_of(Kind.TECHNICIAN, "alienation"),
    ),
    Outcome(
        "active",
        "people publicly active in protest at the end of the month",
        "people",
        False,
        # Agents may be partly active (sim/submodels/protest.py): their active share.
        _people(_active),
    ),
    Outcome(
        "tension",
        "quiet, free people whose grievance alone exceeds their threshold "
        "(Epstein's latent actives)",
        "people",
        False,
        _people(_tally("tension")),
    ),
    Outcome(
        "protest_events",
        "protest events this month: groups of one locality pressing one claim whose "
        "represented people reach the class I floor (≥ 5 people)",
        "events",
        True,
        lambda m: float(m.events.n),
    ),
    Outcome(
        "protest_participants",
        "represented people taking part in protest events this month",
        "people",
        True,
        lambda m: float(m.events.size.sum()),
    ),
    Outcome(
        "benefit_events",
        "events of the laid-off and retired at their (former) work unit, defending "
        "stipends, status or pensions (seed 003 line 27)",
        "events",
        True,
        lambda m: float(np.count_nonzero(_benefit_events(m))),
    ),
    Outcome(
        "benefit_participants",
        "represented people in benefit_events this month",
        "people",
        True,
        lambda m: float(m.events.size[_benefit_events(m)].sum()),
    ),
    Outcome(
        "protest_max_size",
        "size of the month's largest event",
        "people",
        False,
        lambda m: float(m.events.size.max()) if m.events.n else 0.0,
    ),
    Outcome(
        "events_class_1", "events of size class I (5–30 people)", "events", True, _size_class(1)
    ),
    Outcome(
        "events_class_2", "events of size class II (30–300 people)", "events", True, _size_class(2)
    ),
    Outcome(
        "events_class_3",
        "events of size class III (300–1,000 people)",
        "events",
        True,
        _size_class(3),
    ),
    Outcome(
        "events_class_4", "events of size class IV (> 1,000 people)", "events", True, _size_class(4)
    ),
    Outcome(
        "arrests", "protesters detained this month", "people", True, _people(_tally("arrests"))
    ),
    Outcome(
        "jailed",
        "people in detention at the end of the month",
        "people",
        False,
        # The detained share of each agent in detention (all of it if jailed by a regime).
        _people(_jailed),
    ),
    Outcome(
        "concessions",
        "policy concessions (arrears paid, status restored)",
        "events",
        True,
        _tally("concessions"),
    ),
    Outcome(
        "pacifications",
        "one-time pacification payments to isolated protests",
        "events",
        True,
        _tally("pacifications"),
    ),
    Outcome(
        "violent_events",
        "village protest events that turned violent (rural_taxes regime, seed 003 A9)",
        "events",
        True,
        _tally("violent_events"),
    ),
    Outcome(
        "rural_relief",
        "1 in the month the centre enacted rural tax relief (rural_taxes regime, D10)",
        "events",
        True,
        _tally("rural_relief"),
    ),
    # The accident hazard is drawn per line agent, so counts are scaled to people.
    Outcome(
        "accidents",
        "workplace accidents this month, in represented people (hazard per line agent × "
        "people_per_agent)",
        "accidents",
        True,
        _people(_tally("accidents")),
    ),
    Outcome(
        "deaths",
        "accident deaths this month, in represented people",
        "people",
        True,
        _people(_tally("deaths")),
    ),
    Outcome(
        "mine_deaths",
        "accident deaths in mines this month, in represented people",
        "people",
        True,
        _people(_tally("mine_deaths")),
    ),
    Outcome(
        "output",
        "total output of all units (1 = initial unit capacity)",
        "index",
        False,
        lambda m: float(m.units.output.sum()),
    ),
    Outcome(
        "employed",
        "employed technicians, workers and migrants",
        "people",
        False,
        _people(_status_count(Status.EMPLOYED)),
    ),
    Outcome(
        "xiagang",
        "laid-off workers keeping a stipend and ties to the unit",
        "people",
        False,
        _people(_status_count(Status.XIAGANG)),
    ),
    Outcome(
        "unemployed",
        "laid-off workers denied any status",
        "people",
        False,
        _people(_status_count(Status.UNEMPLOYED)),
    ),
    Outcome(
        "retired",
        "retired workers and technicians",
        "people",
        False,
        _people(_status_count(Status.RETIRED)),
    ),
    Outcome(
        "waiting",
        "school-leavers in the city waiting for a first post",
        "people",
        False,
        _people(_waiting),
    ),
    Outcome(
        "hires",
        "people hired into vacant posts this month",
        "people",
        True,
        _people(_tally("hires")),
    ),
    Outcome(
        "migrant_departures",
        "migrants leaving city work this month (for good or for a spell at home)",
        "people",
        True,
        _people(_tally("migrant_departures")),
    ),
    Outcome(
        "gini",
        "Gini coefficient of monthly income over all people",
        "index 0–1",
        False,
        lambda m: gini(m.people.income),
    ),
    Outcome(
        "mean_income",
        "mean monthly income over all people",
        "wage units",
        False,
        lambda m: float(m.people.income.mean()) if m.people.n else 0.0,
    ),
    Outcome(
        "coop_members",
        "people in a cooperative or collective",
        "people",
        False,
        _people(lambda m: float(np.count_nonzero(m.people.coop))),
    ),
    Outcome(
        "promotions", "cadre promotions this month", "people", True, _people(_tally("promotions"))
    ),
    Outcome(
        "persecuted",
        "people targeted at least once by a campaign",
        "people",
        False,
        _people(lambda m: float(np.count_nonzero(m.people.persecuted > 0))),
    ),
    Outcome(
        "fear",
        "mean fear (added risk aversion) over people: their own, plus the climate a "
        "campaign leaves (its fading fear term)",
        "index 0–1",
        False,
        lambda m: float((m.people.fear + m.terms.total("fear")).mean()) if m.people.n else 0.0,
    ),
    # --- elite dynamics and layered legitimacy (sim/submodels/elite.py; helper elite) ---
    Outcome(
        "legitimacy_central",
        "legitimacy of the centre in [0, 1] (the global scalar, = legitimacy)",
        "share",
        False,
        lambda m: m.legitimacy,
    ),
    Outcome(
        "legitimacy_local",
        "legitimacy of local officials in [0, 1], mean over people of their locality's value",
        "share",
        False,
        lambda m: float(np.average(m.local_legitimacy, weights=np.maximum(m.loc_size, 1e-12))),
    ),
    Outcome(
        "defections",
        "security cadres who defected this month (refused to repress, sided with protest)",
        "people",
        True,
        _people(_tally("defections")),
    ),
    Outcome(
        "defected_share",
        "share of security capacity currently defected",
        "share",
        False,
        lambda m: m.elite.defected_share,
    ),
    Outcome(
        "implementation_fidelity",
        "how faithfully cadres implement regimes in [0, 1] (1 - fidelity_loss x split, "
        "the graded split of cohesion around its reference)",
        "share",
        False,
        lambda m: m.elite.fidelity,
    ),
    Outcome(
        "contradicted_concessions",
        "won policy the divided elite reneged on this month",
        "events",
        True,
        _tally("contradicted"),
    ),
    Outcome(
        "court_wins",
        "defeated unit protests that won in court",
        "events",
        True,
        _tally("court_wins"),
    ),
    # organized protest (helper protest; issue 13 point 6)
    Outcome(
        "protest_leaders",
        "active leaders this month: actives whose activism plus cohort bonus reaches "
        "leader_activism (seed 003 B1)",
        "people",
        False,
        _people(_tally("leaders")),
    ),
    Outcome(
        "protest_breadth",
        "share of work units holding a protest event this month",
        "share",
        False,
        lambda m: float(m.events.breadth),
    ),
    Outcome(
        "linked_breadth",
        "largest link-weighted share of work units pressing one claim together this month "
        "(0 when every struggle is isolated; seed 003 line 97)",
        "share",
        False,
        lambda m: m.events.linked_breadth,
    ),
    # --- factions that act, careers that remember (careers.contend, campaign, demography)
    Outcome(
        "factional_clashes",
        "people fighting in factional clashes this month (careers.contend)",
        "people",
        True,
        _tally("factional_clashes"),
    ),
    Outcome(
        "faction_casualties",
        "people injured or killed in factional clashes this month",
        "people",
        True,
        _tally("faction_casualties"),
    ),
    Outcome(
        "clash_deaths",
        "people killed in factional clashes this month",
        "people",
        True,
        _tally("clash_deaths"),
    ),
    Outcome(
        "persecution_deaths",
        "qingli targets who died under confinement and struggle this month (campaign)",
        "people",
        True,
        _tally("persecution_deaths"),
    ),
    Outcome(
        "cadres_overthrown",
        "share of the cadre corps overthrown and out of post (campaign)",
        "share",
        False,
        _tally("cadres_overthrown"),
    ),
    Outcome(
        "cadres_reinstated",
        "overthrown cadres liberated and restored to their former rank this month",
        "people",
        True,
        _tally("cadres_reinstated"),
    ),
    Outcome(
        "cadre_recruits",
        "workers and technicians recruited into vacant cadre posts this month",
        "people",
        True,
        lambda m: float(m.tally.get("cadre_recruits", 0)) * m.params.people_per_agent,
    ),
    Outcome(
        "new_cadres",
        "share of the cadre corps recruited by a campaign's activist criteria",
        "share",
        False,
        lambda m: (
            float(m.people.new_cadre[m.people.rows(Kind.CADRE)].mean())
            if m.people.count(Kind.CADRE)
            else 0.0
        ),
    ),
    Outcome(
        "cadres_purged",
        "new cadres demoted and struggled when their patrons fell (the CR purge month)",
        "people",
        True,
        _tally("cadres_purged"),
    ),
    # --- migration (helper `migration`, issue 18): land loss and the migrant stream
    Outcome(
        "peasants_displaced",
        "peasant household heads pushed off the land into the migrant stream this month "
        "(rural_taxes regime, seed 003 line 40), in represented people",
        "people",
        True,
        _people(_tally("peasants_displaced")),
    ),
    Outcome(
        "migrant_labour_supply",
        "migrants on the job plus the expected number at home looking for city work this "
        "month, in represented people",
        "people",
        False,
        _people(_tally("migrant_labour_supply")),
    ),
)

OUTCOME_NAMES: tuple[str, ...] = tuple(o.name for o in OUTCOMES)
BY_NAME: dict[str, Outcome] = {o.name: o for o in OUTCOMES}


def observe(model: CadreModel) -> None:
    """Step 7 of the month: record every built-in outcome in ``model.records`` and every
    user-defined one (the scenario's ``outcomes:``, :mod:`sim.reporters`) in
    ``model.user_records``, in the row of the current month."""
    model.records[model.step_index] = [o.compute(model) for o in OUTCOMES]
    if model.config.outcomes:
        from sim.reporters import measure_one

        model.user_records[model.step_index] = [
            measure_one(model, r) for r in model.config.outcomes
        ]


def did_you_mean(name: str, choices) -> str:
    """``" (did you mean 'x'?)"`` for the closest name in ``choices``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(str(name), sorted(map(str, choices)), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def summary_columns(outcome: Outcome) -> list[str]:
    """Names of the per-run summary columns an outcome produces."""
    if outcome.flow:
        return [f"{outcome.name}_total", f"{outcome.name}_per_year"]
    return [f"{outcome.name}_mean", f"{outcome.name}_final"]


def summarize(values: np.ndarray, n_months: int) -> dict[str, float]:
    """Per-run summaries from a (records × outcomes) array recorded every month."""
    out: dict[str, float] = {}
    years = max(n_months / 12.0, 1e-9)
    for j, o in enumerate(OUTCOMES):
        col = values[:, j]
        if o.flow:
            total = float(np.nansum(col))
            out[f"{o.name}_total"] = total
            out[f"{o.name}_per_year"] = total / years
        else:
            finite = col[np.isfinite(col)]
            out[f"{o.name}_mean"] = float(finite.mean()) if finite.size else float("nan")
            out[f"{o.name}_final"] = float(col[-1]) if col.size else float("nan")
    return out
