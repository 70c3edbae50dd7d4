"""Calibration against stylized facts: a simulated-moments fit with optuna, ``cadresim calibrate``.

A calibration config (``calibration/*.yaml``) names a base scenario, the parameters to
estimate (dotted paths such as ``params.legitimacy`` or
``regimes.privatization.layoff_share``) with their bounds, and the targets to fit. Targets
live in ``calibration/targets/*.yaml``: each gives a value, its uncertainty (``sd``), its
source, and the simulated statistic it is compared with (``STATISTICS`` below).

Method (science-anchors §4.3; Grazzini & Richiardi 2015, simulated minimum distance):

* every trial runs the scenario ``replicates`` times with the *same* replicate seeds
  (common random numbers, so differences between trials are not seed noise);
* each statistic is computed per replicate and averaged over replicates (the simulated
  moment);
* the distance is the weighted mean of squared standardized deviations
  ``z_i = (sim_i − target_i) / sd_i`` (one-sided for ``floor``/``ceiling`` targets);
* optuna's ``TPESampler(seed=...)`` minimizes it; the study lives in
  ``sqlite:///OUT/study.db`` so a second invocation continues it.

Uncertainty is reported ABC-rejection style over the optuna trials: trials whose
distance is at most ``accept.tolerance`` (at least ``accept.min_accepted`` best trials)
are "accepted", and the spread of their parameters is reported. TPE concentrates its
samples near the optimum, so this spread is an approximate plausible region, *not* a
posterior under the prior (for that, sample uniformly: set ``startup_trials`` equal to
the number of trials, which makes every trial a draw from the uniform prior).

Because the model's population is a scaled-down city, only scale-free statistics
(growth rates, ratios, shares, signs) are compared with national figures.
"""

from __future__ import annotations

import copy
import datetime as _dt
import hashlib
import json
import math
import re
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import typer
import yaml
from pydantic import Field, ValidationError, model_validator

from sim import store
from sim.calendar import Month
from sim.config import (
    Scenario,
    ScenarioError,
    format_validation_error,
    parse_scenario,
    read_yaml,
)
from sim.outcomes import OUTCOME_NAMES, OUTCOMES, summary_columns
from sim.posterior import AbcSettings
from sim.runner import pool_context
from sim.schema import StrictModel, field_error
from sim.state import Kind

# --------------------------------------------------------------------------------------
# Dotted-path parameter overrides
# --------------------------------------------------------------------------------------
# sim/sweep.py has a ``set_path`` that creates missing keys; calibration needs the
# opposite (an unknown path must be a config error, exit 2), so this module has its own,
# with the same ``regimes.<type>.<field>`` convention. Paths address the *dumped* scenario
# (defaults filled in), so every field a scenario has can be set even if the YAML omits
# it. ``regimes.<type>.<field>`` addresses every regime of that type;
# ``regimes[<i>].<field>`` picks by position.

_TOKEN = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[\d+\])*)$")


def _tokens(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.split("."):
        m = _TOKEN.match(part)
        if not m:
            raise KeyError(f"'{path}': cannot parse segment '{part}'")
        out.append(m.group(1))
        out += [int(i) for i in re.findall(r"\[(\d+)\]", m.group(2))]
    return out


def _child(node: Any, tok: str | int, path: str) -> Any:
    if isinstance(node, list):
        if isinstance(tok, int):
            if tok >= len(node):
                raise KeyError(f"'{path}': index {tok} out of range (there are {len(node)})")
            return node[tok]
        for item in node:
            if isinstance(item, dict) and item.get("type") == tok:
                return item
        types = [i.get("type") for i in node if isinstance(i, dict)]
        raise KeyError(f"'{path}': no regime of type '{tok}' in the scenario (has: {types})")
    if isinstance(node, dict) and isinstance(tok, str) and tok in node:
        return node[tok]
    allowed = sorted(node) if isinstance(node, dict) else []
    raise KeyError(f"'{path}': unknown field '{tok}'; allowed: {', '.join(allowed)}")


def get_path(data: dict, path: str) -> Any:
    """The value at a dotted path in a (dumped) scenario dict; ``KeyError`` if absent."""
    node: Any = data
    for tok in _tokens(path):
        node = _child(node, tok, path)
    return node


def set_path(data: dict, path: str, value: Any) -> None:
    """Set an existing field at a dotted path in place; ``KeyError`` if it does not exist.

    ``regimes.<type>.<field>`` sets the field in every regime of that type (as
    ``sim.sweep.set_path`` does); unlike that helper, a path that names no existing field
    is an error rather than a new key.
    """
    toks = _tokens(path)
    nodes: list[Any] = [data]
    for tok in toks[:-1]:
        nxt: list[Any] = []
        for node in nodes:
            if isinstance(node, list) and isinstance(tok, str):
                hits = [i for i in node if isinstance(i, dict) and i.get("type") == tok]
                nxt += hits or [_child(node, tok, path)]  # _child raises when none match
            else:
                nxt.append(_child(node, tok, path))
        nodes = nxt
    last = toks[-1]
    for node in nodes:
        _child(node, last, path)  # raises with the allowed keys when absent
        node[last] = value


def scenario_with(base: dict, values: dict[str, Any], source: str = "<calibration>") -> Scenario:
    """Validate ``base`` (a dumped scenario) with ``values`` set at their dotted paths."""
    data = copy.deepcopy(base)
    for path, v in values.items():
        set_path(data, path, v)
    return parse_scenario(data, source)


# --------------------------------------------------------------------------------------
# Simulated statistics
# --------------------------------------------------------------------------------------

_IDX = {name: j for j, name in enumerate(OUTCOME_NAMES)}
_SUMMARY_COLUMNS = {c for o in OUTCOMES for c in summary_columns(o)}


@dataclass
class RunData:
    """What one replicate leaves for the statistics: monthly records and extra tallies."""

    records: np.ndarray  # months × outcomes (OUTCOME_NAMES order)
    start: Month
    n_people: int  # represented people (agents x people_per_agent)
    summary: dict[str, float]
    # promotion cells [tie, high performance] -> (promoted, at risk), pooled over months
    promo: np.ndarray = field(default_factory=lambda: np.zeros((2, 2, 2)))
    # per recorded month, the sizes (people) of that month's protest events
    event_sizes: list[np.ndarray] = field(default_factory=list)

    def col(self, name: str) -> np.ndarray:
        return self.records[:, _IDX[name]]


@dataclass(frozen=True)
class Statistic:
    name: str
    description: str
    compute: Callable[[RunData], float]
    needs_promotions: bool = False
    needs_events: bool = False


SPINUP_MONTHS = 12
"""Recorded months the protest statistics drop at the start of a run (onset transient).

A fresh population has no fear (``sim/state.py``), so its first months hold a burst of
protest that deterrence then suppresses. ``CadreModel`` runs ``params.spinup_months``
unrecorded months under neutral rules first, which shrinks the burst but does not remove
it: the scenario's regimes switch on in the first recorded month. Reform-era scenario,
default parameters, the calibration's two replicate seeds (``calibration/yearly.py``):
January 1993 has 46 and 47 events without model spin-up (1993: 61 and 54; 1994: 22 and
19), and 9 and 11 with the default 12 months (1993: 29 and 25; 1994: 24 and 21), against
about 1.5 a month later in 1993; observed: 8,700 (1993) and 10,000 (1994). The statistics
therefore always drop the first recorded year.
"""


def _settled(x: np.ndarray) -> np.ndarray:
    """``x`` without the first ``SPINUP_MONTHS`` recorded months."""
    return x[SPINUP_MONTHS:]


def protest_growth_rate(d: RunData) -> float:
    """Annual log growth of protest events after spin-up: first vs last 12 settled months.

    The first recorded year is dropped (onset transient, see ``SPINUP_MONTHS``); E_first,
    E_last are the events in the first and last 12 remaining months, and the rate is
    ln((E_last+1)/(E_first+1)) / years between them (the +1 keeps the ratio finite in a
    quiet small city). A 1993–2004 run compares 1994 with 2004: ln(74,000/10,000)/10 =
    0.200, within the target's sd of ln(74,000/8,700)/11 ≈ 0.195 (science-anchors §3.6).
    NaN if fewer than 24 months remain.
    """
    e = _settled(d.col("protest_events"))
    if e.size < 24:
        return float("nan")
    first, last = e[:12].sum(), e[-12:].sum()
    return float(math.log((last + 1.0) / (first + 1.0)) / ((e.size - 12) / 12.0))


def laid_off_peak_share(d: RunData) -> float:
    """Peak stock of laid-off people (xiagang + unemployed) over the initially employed."""
    laid = d.col("xiagang") + d.col("unemployed")
    emp0 = d.col("employed")[0]
    return float(laid.max() / emp0) if emp0 > 0 else float("nan")


def peak_active_share(d: RunData) -> float:
    """Largest monthly share of all people publicly active in protest (uprising check).

    Skips the first recorded year (the onset burst, see ``SPINUP_MONTHS``) when the run is
    longer than that; shorter runs use every month.
    """
    a = d.col("active")
    if a.size > SPINUP_MONTHS:
        a = _settled(a)
    return float(a.max() / max(d.n_people, 1))


def legitimacy_min(d: RunData) -> float:
    """Lowest monthly regime legitimacy over the run."""
    return float(np.nanmin(d.col("legitimacy")))


def mine_death_trend(d: RunData) -> float:
    """Annual log growth of mine deaths, last vs first window (36 months, or a third)."""
    x = d.col("mine_deaths")
    w = min(36, x.size // 3)
    if w < 12:
        return float("nan")
    first, last = x[:w].sum(), x[-w:].sum()
    return float(math.log((last + 1.0) / (first + 1.0)) / ((x.size - w) / 12.0))


DECENTRALIZATION = (Month(1998, 3), Month(2001, 2))  # Jia & Nie 2017


def decentralization_bump(d: RunData) -> float:
    """Log ratio of the monthly mine-death rate inside March 1998–February 2001 to outside.

    Jia & Nie (2017): supervision of key state mines was decentralized in that window and
    death rates rose about 25 % (science-anchors §3.9). NaN if the run does not cover both
    the window and at least 12 months outside it.
    """
    x = d.col("mine_deaths")
    lo = d.start.months_until(DECENTRALIZATION[0])
    hi = d.start.months_until(DECENTRALIZATION[1])
    k = np.arange(x.size)
    inside = (k >= lo) & (k <= hi)
    n_in, n_out = int(inside.sum()), int((~inside).sum())
    if n_in < 12 or n_out < 12:
        return float("nan")
    rate_in = (x[inside].sum() + 0.5) / n_in
    rate_out = (x[~inside].sum() + 0.5) / n_out
    return float(math.log(rate_in / rate_out))


def _promo_rate(promoted: float, at_risk: float) -> float:
    return (promoted + 0.5) / (at_risk + 1.0)


def promotion_performance_gradient(d: RunData) -> float:
    """Log ratio of promotion rates, cadres in above- vs below-median performing units.

    Pooled over cadre-months below the top rank (Li & Zhou 2005: promotion rises with
    performance; science-anchors §3.2).
    """
    c = d.promo.sum(axis=0)  # over tie
    return float(math.log(_promo_rate(*c[1]) / _promo_rate(*c[0])))


def promotion_tie_complementarity(d: RunData) -> float:
    """Performance gradient among cadres with a patron tie minus among those without.

    Jia, Kudamatsu & Seim: connections and performance are complements (β_gf > 0).
    """
    g = [math.log(_promo_rate(*d.promo[t, 1]) / _promo_rate(*d.promo[t, 0])) for t in (0, 1)]
    return float(g[1] - g[0])


def persecution_after_faction_peak(d: RunData) -> float:
    """Share of all persecution that happens after the month factional membership peaks.

    Walder & Su 2003, Walder 2014: most Cultural Revolution casualties came in 1968–71,
    after the factional phase, from organized repression (science-anchors §3.3).
    """
    pers, members = d.col("persecuted"), d.col("faction_members")
    total = pers[-1] - pers[0]
    if total <= 0 or not np.any(members > 0):
        return float("nan")
    k = int(np.argmax(members))
    return float((pers[-1] - pers[k]) / total)


def _years(d: RunData, n: int) -> np.ndarray:
    """Calendar year of each of ``n`` recorded months."""
    return d.start.year + (d.start.month - 1 + np.arange(n)) // 12


def yearly_total(d: RunData, outcome: str, year: int) -> float:
    """Sum of a monthly flow over one calendar year (NaN unless all 12 months are recorded)."""
    x = d.col(outcome)
    sel = _years(d, x.size) == year
    return float(x[sel].sum()) if np.count_nonzero(sel) == 12 else float("nan")


def yearly_log_ratio(d: RunData, outcome: str, year: int, base: int) -> float:
    """``ln((X_year + 1) / (X_base + 1))`` for a yearly flow X: scale-free growth between years.

    The +1 keeps the ratio finite in a quiet small city; observed ratios use the raw counts.
    """
    a, b = yearly_total(d, outcome, year), yearly_total(d, outcome, base)
    if not (np.isfinite(a) and np.isfinite(b)):
        return float("nan")
    return float(math.log((a + 1.0) / (b + 1.0)))


def event_share_over(d: RunData, size: float, year: int) -> float:
    """Share of one year's protest events larger than ``size`` people (NaN without events).

    Event sizes are in represented people (actives x people_per_agent), so the share does
    not depend on the agent scale; the national denominator is all mass incidents
    (science-anchors §3.6: in 2004, 120 of 74,000 over 1,000 people, 46 over 5,000, 17 over
    10,000).
    """
    years = _years(d, len(d.event_sizes))
    sizes = [s for s, y in zip(d.event_sizes, years, strict=True) if y == year]
    allv = np.concatenate(sizes) if sizes else np.zeros(0)
    return float(np.mean(allv > size)) if allv.size else float("nan")


def yearly_per_100k(d: RunData, outcome: str, year: int) -> float:
    """One year's total of a monthly flow per 100,000 represented people (a level, not a shape).

    ``RunData.n_people`` counts represented people. Unlike the growth ratios this is a
    level: it compares the simulated city's protest rate with a national rate, and the
    number of small (class I) events still moves with the agent scale (protest.py), so it
    is reported as a held-out check, never fitted.
    """
    total = yearly_total(d, outcome, year)
    people = d.n_people
    return float(total / people * 1e5) if people > 0 else float("nan")


def _yearly_statistics() -> list[Statistic]:
    """The yearly shape of protest growth, science-anchors §3.6 (issue 14, point 6)."""
    out = []
    for outcome, label, pairs in (
        ("protest_events", "protest", ((1994, 1993), (2000, 1994), (2003, 2000), (2004, 2000))),
        ("protest_participants", "participants", ((2004, 2003),)),
    ):
        for year, base in pairs:

            def f(d: RunData, outcome=outcome, year=year, base=base) -> float:
                return yearly_log_ratio(d, outcome, year, base)

            doc = f"ln(({outcome} in {year} + 1) / ({outcome} in {base} + 1)), yearly totals."
            out.append(Statistic(f"{label}_growth_{base}_{year}", doc, f))
    for size in (1000, 5000, 10000):

        def g(d: RunData, size=size) -> float:
            return event_share_over(d, size, 2004)

        doc = f"Share of 2004 protest events over {size:,} people (event_share_over)."
        out.append(Statistic(f"event_share_over_{size}_2004", doc, g, needs_events=True))
    # levels per capita, for the years with a national count (science-anchors §3.6)
    for outcome, label, year in (
        ("protest_events", "events", 2000),
        ("protest_events", "events", 2004),
        ("protest_participants", "participants", 2004),
    ):

        def h(d: RunData, outcome=outcome, year=year) -> float:
            return yearly_per_100k(d, outcome, year)

        doc = f"{outcome} in {year} per 100,000 represented people (yearly_per_100k)."
        out.append(Statistic(f"{label}_per_100k_{year}", doc, h))
    return out


STATISTICS: dict[str, Statistic] = {
    s.name: s
    for s in (
        Statistic("protest_growth_rate", protest_growth_rate.__doc__ or "", protest_growth_rate),
        Statistic("laid_off_peak_share", laid_off_peak_share.__doc__ or "", laid_off_peak_share),
        Statistic("peak_active_share", peak_active_share.__doc__ or "", peak_active_share),
        Statistic("legitimacy_min", legitimacy_min.__doc__ or "", legitimacy_min),
        Statistic("mine_death_trend", mine_death_trend.__doc__ or "", mine_death_trend),
        Statistic(
            "decentralization_bump", decentralization_bump.__doc__ or "", decentralization_bump
        ),
        Statistic(
            "promotion_performance_gradient",
            promotion_performance_gradient.__doc__ or "",
            promotion_performance_gradient,
            needs_promotions=True,
        ),
        Statistic(
            "promotion_tie_complementarity",
            promotion_tie_complementarity.__doc__ or "",
            promotion_tie_complementarity,
            needs_promotions=True,
        ),
        Statistic(
            "persecution_after_faction_peak",
            persecution_after_faction_peak.__doc__ or "",
            persecution_after_faction_peak,
        ),
        *_yearly_statistics(),
    )
}


_FLOWS = {o.name for o in OUTCOMES if o.flow}
_YEARLY_NAME = re.compile(r"^(?P<outcome>[a-z0-9_]+?)_in_(?P<year>\d{4})$")


def yearly_statistic(name: str) -> tuple[str, int] | None:
    """``<flow outcome>_in_<year>`` (e.g. ``protest_events_in_1997``): (outcome, year), else None.

    The total of a monthly flow over one calendar year (:func:`yearly_total`; NaN unless the
    run records all twelve months). Meant for ``report:`` statistics, such as the yearly
    protest series behind the shape figure of ``calibration/validate_all.py``: counts
    depend on the city's size, so they are not for fitting.
    """
    m = _YEARLY_NAME.match(name)
    if m and m["outcome"] in _FLOWS:
        return m["outcome"], int(m["year"])
    return None


def known_statistic(name: str) -> bool:
    """A statistic is a named one above, any per-run summary column (``<outcome>_mean``),
    or a yearly total ``<flow outcome>_in_<year>`` (:func:`yearly_statistic`)."""
    return name in STATISTICS or name in _SUMMARY_COLUMNS or yearly_statistic(name) is not None


def _compute(name: str, d: RunData) -> float:
    if name in STATISTICS:
        return STATISTICS[name].compute(d)
    if (yearly := yearly_statistic(name)) is not None:
        return yearly_total(d, *yearly)
    return float(d.summary[name])


def _promotion_snapshot(model: Any) -> tuple[np.ndarray, ...]:
    """Before a step: each cadre's rank, unit performance and patron tie (careers.promote)."""
    p = model.people
    rows = p.rows(Kind.CADRE)
    rank = p.rank[rows].copy()
    unit = p.unit[rows]
    perf = np.where(unit >= 0, model.unit_performance[np.maximum(unit, 0)], 0.0)
    patron = p.patron[rows]
    has = patron >= 0
    tie = has & (np.where(has, p.rank[np.maximum(patron, 0)], -1) > rank)
    return rank, perf, tie


def simulate(scenario: Scenario, seed: int, statistics: list[str]) -> dict[str, float]:
    """Run one replicate and return the requested statistics."""
    from sim.model import CadreModel
    from sim.outcomes import summarize
    from sim.submodels.careers import N_RANKS

    need_promo = any(STATISTICS[s].needs_promotions for s in statistics if s in STATISTICS)
    need_events = any(STATISTICS[s].needs_events for s in statistics if s in STATISTICS)
    model = CadreModel(scenario, seed=seed)
    promo = np.zeros((2, 2, 2))
    event_sizes: list[np.ndarray] = []
    while model.running and model.step_index < model.n_steps:
        snap = _promotion_snapshot(model) if need_promo else None
        model.step()
        if need_events:
            # only the events' sizes (people) are read, so a change in how events are
            # aggregated (sim/submodels/protest.py) does not break this
            size = getattr(getattr(model, "events", None), "size", None)
            event_sizes.append(np.asarray(size if size is not None else [], float).copy())
        if snap is not None:
            rank0, perf, tie = snap
            rank1 = model.people.rank[model.people.rows(Kind.CADRE)]
            at_risk = rank0 < N_RANKS - 1
            if at_risk.any():
                hi = perf > np.median(perf[at_risk])
                up = rank1 > rank0
                for t in (0, 1):
                    for h in (0, 1):
                        m = at_risk & (tie == bool(t)) & (hi == bool(h))
                        promo[t, h, 0] += np.count_nonzero(up & m)
                        promo[t, h, 1] += np.count_nonzero(m)
    records = model.records[: model.step_index]
    data = RunData(
        records=records,
        start=scenario.start,
        n_people=int(round(model.people.n * model.params.people_per_agent)),  # represented
        summary=summarize(records, model.step_index),
        promo=promo,
        event_sizes=event_sizes,
    )
    return {s: _compute(s, data) for s in statistics}


def evaluate(
    base: dict, values: dict[str, float], seeds: list[int], statistics: list[str]
) -> dict[str, list[float]]:
    """Statistics per replicate at one parameter point (top-level, so processes can run it)."""
    scn = scenario_with(base, values)
    per = [simulate(scn, s, statistics) for s in seeds]
    return {name: [r[name] for r in per] for name in statistics}


# --------------------------------------------------------------------------------------
# Targets and configs
# --------------------------------------------------------------------------------------

NAN_PENALTY = 100.0  # squared-z charged when a statistic cannot be computed


class Target(StrictModel):
    """A stylized fact, the statistic it is compared with, and how."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_]+$")]
    statistic: str = Field(description="simulated statistic (see STATISTICS or a summary column)")
    value: float | None = Field(None, description="target value (None: synthetic targets)")
    sd: float = Field(gt=0, description="uncertainty of the target, as one standard deviation")
    kind: Literal["point", "floor", "ceiling"] = Field(
        "point", description="point: two-sided; floor: only values below count; ceiling: above"
    )
    scale: Literal["linear", "log"] = Field(
        "linear", description="compare on this scale (log: sd is on the natural-log scale)"
    )
    description: str = ""
    pattern: str = Field("", description="POM pattern id (science-anchors §4.1)")
    source: str = Field("", description="citation of the empirical figure")
    anchor: str = Field("", description="where the figure is documented in the project")
    comparison: str = Field("", description="how the simulated statistic is compared")
    convention: bool = Field(
        False,
        description="a modelling convention (a plausibility bound chosen by the modellers), "
        "not an observed figure; reported separately from observations",
    )

    @model_validator(mode="after")
    def _known(self) -> Target:
        if not known_statistic(self.statistic):
            names = ", ".join(sorted(STATISTICS))
            raise field_error(
                "statistic",
                f"unknown statistic '{self.statistic}'; use one of {names} "
                "or a summary column such as grievance_worker_mean",
            )
        if self.scale == "log" and self.value is not None and self.value <= 0:
            raise field_error("value", "must be > 0 on a log scale")
        return self

    def z(self, simulated: float) -> float:
        """Standardized deviation of a simulated value from the target (0 inside a bound)."""
        if self.value is None or not np.isfinite(simulated):
            return float("nan")
        if self.scale == "log":
            if simulated <= 0:
                return float("nan")
            d = math.log(simulated) - math.log(self.value)
        else:
            d = simulated - self.value
        if self.kind == "floor":
            d = min(d, 0.0)
        elif self.kind == "ceiling":
            d = max(d, 0.0)
        return d / self.sd


class TargetFile(StrictModel):
    targets: list[Target] = Field(min_length=1)


class ParamSpec(StrictModel):
    """Search range of one estimated parameter (a uniform prior on it, or log-uniform)."""

    low: float
    high: float
    log: bool = Field(False, description="search on a log scale (both bounds > 0)")

    @model_validator(mode="after")
    def _order(self) -> ParamSpec:
        if not self.low < self.high:
            raise field_error("high", f"must be > low ({self.low}), got {self.high}")
        if self.log and self.low <= 0:
            raise field_error("low", "must be > 0 when log: true")
        return self


class Accept(StrictModel):
    """ABC-rejection over the trials: which trials count as fitting."""

    tolerance: float = Field(
        1.0, gt=0, description="accept trials with distance (mean squared z) at most this"
    )
    min_accepted: int = Field(5, ge=1, description="accept at least this many best trials")


class Synthetic(StrictModel):
    """Generate the target values from the model itself at known parameter values."""

    truth: dict[str, float] = Field(min_length=1, description="dotted path -> true value")
    replicates: int = Field(4, ge=1, le=1000, description="replicates averaged for the targets")
    seed: int = Field(0, ge=0, lt=2**63, description="root seed (differs from the fit's)")


class CalibrationConfig(StrictModel):
    """A calibration file (calibration/*.yaml)."""

    name: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.\-]+$")]
    description: str = ""
    scenario: str = Field(description="base scenario file, relative to this file")
    add_regimes: list[dict[str, Any]] = Field(
        default_factory=list, description="regimes appended to the base scenario's (YAML specs)"
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict, description="fixed values at dotted paths (e.g. population.workers)"
    )
    parameters: dict[str, ParamSpec] = Field(min_length=1, description="dotted path -> range")
    targets: list[str | Target] = Field(
        min_length=1, description="target names from target_dir, or inline targets"
    )
    target_dir: str = Field("targets", description="folder of target files, relative to this file")
    weights: dict[str, float] = Field(default_factory=dict, description="target name -> weight")
    replicates: int = Field(2, ge=1, le=1000, description="replicates per evaluation")
    seed: int = Field(0, ge=0, lt=2**63, description="root seed: sampler and replicate seeds")
    trials: int = Field(40, ge=1, le=100_000, description="trials per invocation (--trials)")
    startup_trials: int = Field(10, ge=1, le=100_000, description="random trials before TPE")
    accept: Accept = Accept()
    synthetic: Synthetic | None = None
    method: Literal["optuna", "abc"] = Field(
        "optuna",
        description="abc: a posterior by pyabc's ABC-SMC (sim/posterior.py); optuna: a "
        "point fit (simulated minimum distance), labelled as such",
    )
    abc: AbcSettings = AbcSettings()
    holdout: list[str | Target] = Field(
        default_factory=list,
        description="statistics the fit does not see, predicted by the posterior on fresh "
        "seeds (coverage of 50 % and 90 % predictive intervals)",
    )
    variants: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="structural variants for ABC model selection: name -> dotted-path "
        "overrides of the base scenario (e.g. a mechanism switched off)",
    )
    report: list[str] = Field(
        default_factory=list,
        description="statistics recorded in every posterior predictive draw, neither "
        "fitted nor checked (e.g. protest_events_in_1997 for the yearly shape figure)",
    )


@dataclass
class Calibration:
    """A validated calibration: config, base scenario (dumped) and resolved targets."""

    config: CalibrationConfig
    source: str
    base: dict
    targets: list[Target]
    holdout: list[Target] = field(default_factory=list)

    @property
    def statistics(self) -> list[str]:
        return sorted({t.statistic for t in self.targets})

    def weight(self, name: str) -> float:
        return float(self.config.weights.get(name, 1.0))

    def fingerprint(self) -> str:
        """A hash of what defines the study; resuming with a different one is refused."""
        c = self.config
        key = {
            "base": self.base,  # includes add_regimes and overrides
            "parameters": {k: v.model_dump() for k, v in c.parameters.items()},
            "targets": [t.model_dump() for t in self.targets],
            "weights": c.weights,
            "replicates": c.replicates,
            "seed": c.seed,
            "synthetic": c.synthetic.model_dump() if c.synthetic else None,
            "variants": c.variants,
        }
        return hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()


def load_targets(folder: Path) -> dict[str, Target]:
    """Every target in ``folder/*.yaml``, by name; raises :class:`ScenarioError`."""
    out: dict[str, Target] = {}
    for f in sorted(folder.glob("*.yaml")):
        data = read_yaml(f)
        try:
            tf = TargetFile.model_validate(data)
        except ValidationError as e:
            raise ScenarioError(str(f), format_validation_error(e)) from None
        for t in tf.targets:
            if t.name in out:
                raise ScenarioError(str(f), [(f"targets.{t.name}", "target name defined twice")])
            out[t.name] = t
    return out


def load_calibration(path: str | Path) -> Calibration:
    """Load and check a calibration file; every problem raises :class:`ScenarioError`."""
    path = Path(path)
    src = str(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ScenarioError(src, [("", "the file must hold a mapping of calibration fields")])
    try:
        cfg = CalibrationConfig.model_validate(data)
    except ValidationError as e:
        raise ScenarioError(src, format_validation_error(e)) from None
    here = path.parent
    scn_path = here / cfg.scenario
    if not scn_path.exists():
        raise ScenarioError(src, [("scenario", f"scenario file not found: {scn_path}")])
    scn_data = read_yaml(scn_path)
    base = parse_scenario(scn_data, str(scn_path)).model_dump(mode="json")
    problems: list[tuple[str, str]] = []
    if cfg.add_regimes:
        base["regimes"] = list(base["regimes"]) + copy.deepcopy(cfg.add_regimes)
    for p, v in cfg.overrides.items():
        try:
            set_path(base, p, v)
        except KeyError as e:
            problems.append((f"overrides.{p}", str(e.args[0])))
    if not problems:
        try:
            base = parse_scenario(base, f"{src} (scenario with overrides)").model_dump(mode="json")
        except ScenarioError as e:
            problems += [(f"overrides: {p}", m) for p, m in e.problems]

    if not problems:
        for p, spec in cfg.parameters.items():
            try:
                current = get_path(base, p)
            except KeyError as e:
                problems.append((f"parameters.{p}", str(e.args[0])))
                continue
            if isinstance(current, bool) or not isinstance(current, int | float):
                problems.append((f"parameters.{p}", f"not a numeric field (value {current!r})"))
                continue
            for bound in ("low", "high"):
                value = getattr(spec, bound)
                try:
                    scenario_with(base, {p: value})
                except ScenarioError as e:
                    msg = "; ".join(m for _, m in e.problems)
                    problems.append(
                        (f"parameters.{p}.{bound}", f"{value} is outside the allowed range: {msg}")
                    )

    library: dict[str, Target] = {}
    if any(isinstance(t, str) for t in cfg.targets):
        folder = here / cfg.target_dir
        if not folder.is_dir():
            problems.append(("target_dir", f"folder not found: {folder}"))
        else:
            library = load_targets(folder)
    if any(isinstance(t, str) for t in cfg.holdout) and not library:
        folder = here / cfg.target_dir
        if folder.is_dir():
            library = load_targets(folder)
    resolved: dict[str, list[Target]] = {"targets": [], "holdout": []}
    for part in ("targets", "holdout"):
        for i, t in enumerate(getattr(cfg, part)):
            if isinstance(t, str):
                if t not in library:
                    known = ", ".join(sorted(library)) or "(none)"
                    problems.append(
                        (f"{part}[{i}]", f"unknown target '{t}'; known targets: {known}")
                    )
                    continue
                t = library[t]
            if t.value is None and cfg.synthetic is None:
                problems.append(
                    (f"{part}[{i}] ({t.name})", "needs a value (or a synthetic: block)")
                )
            resolved[part].append(t)
    targets, holdout = resolved["targets"], resolved["holdout"]
    names = [t.name for t in targets]
    if len(set(names)) != len(names):
        problems.append(("targets", "a target is listed twice"))
    for t in holdout:
        if t.name in names:
            problems.append((f"holdout.{t.name}", "also a fitted target; held-out means unseen"))
    if cfg.variants and not problems:
        for v, overrides in cfg.variants.items():
            for p_, val in overrides.items():
                try:
                    get_path(base, p_)
                    scenario_with(base, {p_: val})
                except KeyError as e:
                    problems.append((f"variants.{v}.{p_}", str(e.args[0])))
                except ScenarioError as e:
                    msg = "; ".join(m for _, m in e.problems)
                    problems.append((f"variants.{v}.{p_}", f"{val!r} is not allowed: {msg}"))
    for i, r in enumerate(cfg.report):
        if not known_statistic(r):
            problems.append(
                (
                    f"report[{i}]",
                    f"unknown statistic '{r}'; use a statistic of STATISTICS, a summary "
                    "column or <flow outcome>_in_<year> (e.g. protest_events_in_1997)",
                )
            )
    for w, v in cfg.weights.items():
        if w not in names:
            problems.append((f"weights.{w}", f"not one of the targets: {', '.join(names)}"))
        elif v < 0:
            problems.append((f"weights.{w}", "must be >= 0"))
    if cfg.synthetic:
        for p, v in cfg.synthetic.truth.items():
            spec = cfg.parameters.get(p)
            if spec is None:
                problems.append((f"synthetic.truth.{p}", "not one of the estimated parameters"))
            elif not spec.low <= v <= spec.high:
                problems.append(
                    (f"synthetic.truth.{p}", f"{v} is outside [{spec.low}, {spec.high}]")
                )
    if problems:
        raise ScenarioError(src, problems)
    return Calibration(config=cfg, source=src, base=base, targets=targets, holdout=holdout)


# --------------------------------------------------------------------------------------
# The fit
# --------------------------------------------------------------------------------------


def with_abc_settings(cal: Calibration, items: list[str]) -> Calibration:
    """``cal`` with ``KEY=VALUE`` overrides of its ``abc:`` settings (``--abc``)."""
    values: dict[str, Any] = cal.config.abc.model_dump()
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or key not in values:
            allowed = ", ".join(values)
            raise ScenarioError(
                "--abc", [(f"--abc {item}", f"use KEY=VALUE with KEY in {allowed}")]
            )
        # a command-line value is text: read it as a YAML scalar, as the file would be
        # (config types are strict, so "2" would not be taken for the number 2)
        try:
            values[key] = yaml.safe_load(raw) if raw.strip() else raw
        except yaml.YAMLError:
            values[key] = raw
    try:
        abc = AbcSettings.model_validate(values)
    except ValidationError as e:
        raise ScenarioError("--abc", format_validation_error(e)) from None
    cal.config = cal.config.model_copy(update={"abc": abc})
    return cal


def replicate_seeds(root: int, n: int) -> list[int]:
    from sim.runner import derive_seeds

    return derive_seeds(root, n)


def distance(cal: Calibration, means: dict[str, float]) -> tuple[float, dict[str, float]]:
    """Weighted mean squared z over the targets; a statistic that is NaN costs NAN_PENALTY."""
    zs: dict[str, float] = {}
    num = den = 0.0
    for t in cal.targets:
        z = t.z(means[t.statistic])
        zs[t.name] = z
        w = cal.weight(t.name)
        num += w * (z * z if np.isfinite(z) else NAN_PENALTY)
        den += w
    return (num / den if den > 0 else 0.0), zs


def synthesize_targets(cal: Calibration) -> None:
    """Fill target values from the model at ``synthetic.truth`` (seeds differ from the fit's)."""
    syn = cal.config.synthetic
    if syn is None:
        return
    seeds = replicate_seeds(syn.seed, syn.replicates)
    stats = sorted({t.statistic for t in cal.targets + cal.holdout})
    per = evaluate(cal.base, dict(syn.truth), seeds, stats)
    means = {
        k: float(np.nanmean(v)) if np.isfinite(v).any() else float("nan") for k, v in per.items()
    }
    cal.targets = [t.model_copy(update={"value": means[t.statistic]}) for t in cal.targets]
    cal.holdout = [t.model_copy(update={"value": means[t.statistic]}) for t in cal.holdout]


def _nanmean(values: list[float]) -> float:
    a = np.asarray(values, dtype=float)
    return float(np.nanmean(a)) if np.isfinite(a).any() else float("nan")


def _nansd(values: list[float]) -> float:
    a = np.asarray(values, dtype=float)
    a = a[np.isfinite(a)]
    return float(a.std(ddof=1)) if a.size > 1 else 0.0


def run_study(
    cal: Calibration,
    out: str | Path,
    trials: int | None = None,
    workers: int = 1,
    progress: Callable[[int, float], None] | None = None,
    dask: str | Any | None = None,
) -> dict:
    """Run (or continue) the optuna study in ``out`` and write the estimates and plots.

    Trials are evaluated in batches of ``workers`` on a local process pool (as sweeps
    run), or, with ``dask`` (a scheduler address or a ``distributed.Client``), on that
    cluster in batches of its thread count.
    """
    import optuna

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = cal.config
    n_new = cfg.trials if trials is None else int(trials)
    synthesize_targets(cal)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{(out / 'study.db').resolve()}"
    study = optuna.create_study(
        study_name=cfg.name, storage=storage, direction="minimize", load_if_exists=True
    )
    fp = cal.fingerprint()
    stored = study.user_attrs.get("fingerprint")
    if stored is None:
        study.set_user_attr("fingerprint", fp)
        study.set_user_attr("config", cfg.model_dump(mode="json"))
    elif stored != fp:
        raise ScenarioError(
            str(out),
            [("--out", "holds a study made with a different calibration config; use a new folder")],
        )
    # Trials left RUNNING by an interrupted invocation will never finish.
    for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        study.tell(t.number, state=optuna.trial.TrialState.FAIL)
    n_before = len(study.trials)
    # Reseed by history length, so a resumed study does not redraw the same startup points.
    study.sampler = optuna.samplers.TPESampler(
        seed=(cfg.seed + n_before) % 2**32, n_startup_trials=cfg.startup_trials
    )
    dists = {
        p: optuna.distributions.FloatDistribution(s.low, s.high, log=s.log)
        for p, s in cfg.parameters.items()
    }
    seeds = replicate_seeds(cfg.seed, cfg.replicates)
    stats = cal.statistics
    client = None
    if dask is not None:  # the same executor as sweeps' --dask (sim.sweep._run_dask)
        from dask.distributed import Client

        client = dask if isinstance(dask, Client) else Client(dask)
        info = client.scheduler_info()["workers"].values()
        workers = max(sum(w.get("nthreads", 1) for w in info), 1)
        pool = client
    else:
        pool = (
            ProcessPoolExecutor(max_workers=workers, mp_context=pool_context())
            if workers > 1
            else None
        )
    failures = 0
    try:
        done = 0
        while done < n_new:
            batch = [study.ask(dists) for _ in range(min(workers, n_new - done))]
            args = [(cal.base, dict(tr.params), seeds, stats) for tr in batch]
            if pool is None:
                futures = None
                results = []
                for a in args:
                    try:
                        results.append(evaluate(*a))
                    except Exception as e:  # a failure inside the model
                        results.append(e)
            else:
                kw = {"pure": False} if client is not None else {}
                futures = [pool.submit(evaluate, *a, **kw) for a in args]
                results = []
                for f in futures:
                    try:
                        results.append(f.result())
                    except Exception as e:
                        results.append(e)
            for tr, res in zip(batch, results, strict=True):
                if isinstance(res, Exception):
                    failures += 1
                    tr.set_user_attr("error", f"{type(res).__name__}: {res}")
                    study.tell(tr, state=optuna.trial.TrialState.FAIL)
                    continue
                means = {k: _nanmean(v) for k, v in res.items()}
                dist, zs = distance(cal, means)
                for k, v in res.items():
                    tr.set_user_attr(f"sim:{k}", means[k])
                    tr.set_user_attr(f"sd:{k}", _nansd(v))
                study.tell(tr, dist)
            done += len(batch)
            if progress:
                best = study.best_value if _any_complete(study) else float("nan")
                progress(len(batch), best)
    finally:
        if client is not None:
            if client is not dask:
                client.close()
        elif pool is not None:
            pool.shutdown(cancel_futures=True)
    if not _any_complete(study):
        raise RuntimeError(f"no trial completed ({failures} failed)")
    return write_outputs(cal, study, out, n_before=n_before, failures=failures)


def _any_complete(study: Any) -> bool:
    import optuna

    return bool(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))


def trials_frame(cal: Calibration, study: Any) -> pd.DataFrame:
    """One row per trial: number, state, distance, parameters, simulated statistics, z."""
    rows = []
    for t in study.trials:
        row: dict[str, Any] = {
            "trial": t.number,
            "state": t.state.name,
            "distance": t.value if t.value is not None else float("nan"),
        }
        for p in cal.config.parameters:
            row[p] = t.params.get(p, float("nan"))
        for s in cal.statistics:
            row[f"sim:{s}"] = t.user_attrs.get(f"sim:{s}", float("nan"))
            row[f"sd:{s}"] = t.user_attrs.get(f"sd:{s}", float("nan"))
        for tg in cal.targets:
            sim = row[f"sim:{tg.statistic}"]
            row[f"z:{tg.name}"] = tg.z(sim) if np.isfinite(sim) else float("nan")
        row["error"] = t.user_attrs.get("error", "")
        rows.append(row)
    return pd.DataFrame(rows)


def accepted_trials(cal: Calibration, df: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Trials within tolerance, or the ``min_accepted`` best; and whether tolerance was met."""
    ok = df[df["state"] == "COMPLETE"].sort_values("distance", kind="stable")
    acc = ok[ok["distance"] <= cal.config.accept.tolerance]
    met = len(acc) >= cal.config.accept.min_accepted
    if not met:
        acc = ok.head(cal.config.accept.min_accepted)
    return acc, met


def write_outputs(cal: Calibration, study: Any, out: Path, n_before: int, failures: int) -> dict:
    cfg = cal.config
    df = trials_frame(cal, study)
    store.write_table(df, out / "trials.parquet")
    acc, met = accepted_trials(cal, df)
    best = df.loc[df[df["state"] == "COMPLETE"]["distance"].idxmin()]
    fit = {}
    for t in cal.targets:
        sim = float(best[f"sim:{t.statistic}"])
        z = t.z(sim)
        fit[t.name] = {
            "statistic": t.statistic,
            "target": t.value,
            "sd": t.sd,
            "kind": t.kind,
            "scale": t.scale,
            "simulated": sim,
            "sd_replicates": float(best[f"sd:{t.statistic}"]),
            "z": z,
            "reproduced": bool(np.isfinite(z) and abs(z) <= 2.0),
            "weight": cal.weight(t.name),
            "source": t.source,
        }
    spread = {}
    for p in cfg.parameters:
        v = acc[p].to_numpy(dtype=float)
        spread[p] = {
            "mean": float(v.mean()),
            "sd": float(v.std(ddof=1)) if v.size > 1 else 0.0,
            "q05": float(np.quantile(v, 0.05)),
            "q50": float(np.quantile(v, 0.5)),
            "q95": float(np.quantile(v, 0.95)),
        }
    estimates = {
        "kind": "calibration",
        "name": cfg.name,
        "config_file": cal.source,
        "method": (
            "simulated minimum distance: optuna TPESampler minimizing the weighted mean of "
            "squared standardized deviations between replicate-averaged simulated statistics "
            "and targets (common random numbers across trials); uncertainty = ABC-rejection "
            "over the optuna trials (accepted: distance <= tolerance, else the min_accepted "
            "best); TPE trials are not prior draws, so the accepted spread is an approximate "
            "plausible region, not a posterior"
        ),
        "n_trials": int(len(df)),
        "n_complete": int((df["state"] == "COMPLETE").sum()),
        "n_new_trials": int(len(df) - n_before),
        "n_failed_this_invocation": failures,
        "replicates": cfg.replicates,
        "seed": cfg.seed,
        "best": {
            "trial": int(best["trial"]),
            "distance": float(best["distance"]),
            "params": {p: float(best[p]) for p in cfg.parameters},
            "fit": fit,
        },
        "accepted": {
            "tolerance": cfg.accept.tolerance,
            "min_accepted": cfg.accept.min_accepted,
            "tolerance_met": met,
            "n": int(len(acc)),
            "trials": [int(x) for x in acc["trial"]],
            "params": spread,
        },
        "bounds": {p: [s.low, s.high] for p, s in cfg.parameters.items()},
        "truth": dict(cfg.synthetic.truth) if cfg.synthetic else None,
        "targets": [t.model_dump(mode="json") for t in cal.targets],
        "versions": store.versions(),
        "written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    store.write_json(estimates, out / "estimates.json")
    plot_fit(cal, df, acc, best, out / "fit.png")
    plot_marginals(cal, df, acc, best, out / "marginals.png")
    return estimates


def plot_fit(cal: Calibration, df: pd.DataFrame, acc: pd.DataFrame, best: Any, path: Path) -> None:
    """One panel per target: target ±1/2 sd, accepted trials' simulated values, the best."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(cal.targets)
    fig, axes = plt.subplots(n, 1, figsize=(7, 1.3 * n + 0.8), squeeze=False)
    rng = np.random.default_rng(0)  # jitter only, not model randomness
    for ax, t in zip(axes[:, 0], cal.targets, strict=True):
        v, sd = t.value, t.sd
        if v is not None:
            if t.scale == "log":
                lo1, hi1 = v * math.exp(-sd), v * math.exp(sd)
                lo2, hi2 = v * math.exp(-2 * sd), v * math.exp(2 * sd)
            else:
                lo1, hi1, lo2, hi2 = v - sd, v + sd, v - 2 * sd, v + 2 * sd
            if t.kind == "floor":
                hi1 = hi2 = max(hi2, float(np.nanmax(df[f"sim:{t.statistic}"].to_numpy())))
            if t.kind == "ceiling":
                lo1 = lo2 = min(lo2, float(np.nanmin(df[f"sim:{t.statistic}"].to_numpy())))
            ax.axvspan(lo2, hi2, color="tab:green", alpha=0.12)
            ax.axvspan(lo1, hi1, color="tab:green", alpha=0.25)
            ax.axvline(v, color="tab:green", lw=2, label="target")
        col = f"sim:{t.statistic}"
        allv = df[col].to_numpy(dtype=float)
        ax.scatter(allv, rng.uniform(-0.3, 0.3, allv.size), s=6, color="0.7", label="all trials")
        a = acc[col].to_numpy(dtype=float)
        ax.scatter(a, rng.uniform(-0.3, 0.3, a.size), s=14, color="tab:blue", label="accepted")
        ax.scatter([best[col]], [0], marker="D", s=60, color="tab:red", label="best", zorder=5)
        ax.set_yticks([])
        ax.set_ylim(-0.6, 0.6)
        ax.set_title(f"{t.name}  ({t.statistic}, {t.kind}, {t.scale})", fontsize=9, loc="left")
        if t.scale == "log":
            ax.set_xscale("log")
    axes[0, 0].legend(fontsize=7, loc="upper right", ncols=4)
    fig.suptitle(f"{cal.config.name}: simulated vs target", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_marginals(
    cal: Calibration, df: pd.DataFrame, acc: pd.DataFrame, best: Any, path: Path
) -> None:
    """Histogram per parameter: all trials, accepted trials, the best and the truth."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = list(cal.config.parameters.items())
    fig, axes = plt.subplots(1, len(params), figsize=(4 * len(params), 3), squeeze=False)
    truth = cal.config.synthetic.truth if cal.config.synthetic else {}
    for ax, (p, spec) in zip(axes[0], params, strict=True):
        bins = (
            np.geomspace(spec.low, spec.high, 21)
            if spec.log
            else np.linspace(spec.low, spec.high, 21)
        )
        ok = df[df["state"] == "COMPLETE"]
        ax.hist(ok[p], bins=bins, color="0.8", label="all trials")
        ax.hist(acc[p], bins=bins, color="tab:blue", alpha=0.8, label="accepted")
        ax.axvline(best[p], color="tab:red", lw=2, label="best")
        if p in truth:
            ax.axvline(truth[p], color="k", ls="--", label="truth")
        if spec.log:
            ax.set_xscale("log")
        ax.set_title(p, fontsize=9)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------


def register(app: Any) -> None:
    """Add ``cadresim calibrate`` to the typer app."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from sim.cli import EXIT_FAILURE, err, invalid, out

    @app.command("calibrate")
    def calibrate_command(
        config: Annotated[Path, typer.Argument(help="calibration YAML file")],
        out_dir: Annotated[Path, typer.Option("--out", "-o", help="calibration folder")] = Path(
            "results/calibration"
        ),
        trials: Annotated[
            int | None, typer.Option(min=1, help="trials to add now (default: the config's)")
        ] = None,
        workers: Annotated[int, typer.Option(min=1, help="parallel worker processes")] = 1,
        method: Annotated[
            str | None,
            typer.Option(
                help="abc (posterior, pyabc ABC-SMC) or optuna (point fit); "
                "default: the config's method"
            ),
        ] = None,
        dask: Annotated[
            str | None,
            typer.Option(
                help="address of a dask.distributed scheduler to run on (ABC: pyabc's "
                "Dask sampler; optuna: trials in batches of the cluster's threads)"
            ),
        ] = None,
        abc_set: Annotated[
            list[str] | None,
            typer.Option(
                "--abc",
                help="ABC only: override a setting of the config's abc: block, KEY=VALUE "
                "(e.g. --abc population_size=40 --abc max_populations=3); repeatable",
            ),
        ] = None,
    ) -> None:
        """Fit parameters to stylized-fact targets; resumable with the same --out.

        method abc: ABC-SMC posterior (abc.db, posterior.parquet, posterior.json with
        credible intervals, posterior predictive coverage on fresh seeds and held-out
        statistics, posterior_pairs.png, ppc.png). method optuna: a point fit by simulated
        minimum distance (study.db, trials.parquet, estimates.json, fit.png, marginals.png).
        """
        try:
            cal = load_calibration(config)
        except ScenarioError as e:
            raise invalid(e) from None
        if abc_set:
            try:
                cal = with_abc_settings(cal, abc_set)
            except ScenarioError as e:
                raise invalid(e) from None
        chosen = method or cal.config.method
        if chosen not in ("abc", "optuna"):
            raise invalid(
                ScenarioError("--method", [("--method", f"'{chosen}'; use abc or optuna")])
            ) from None
        if chosen == "abc":
            _calibrate_abc(cal, out_dir, workers, dask)
            return
        n = cal.config.trials if trials is None else trials
        bar = Progress(
            TextColumn(f"[bold]{cal.config.name}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("trials, best distance {task.fields[best]}"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
            disable=not err.is_terminal,
        )
        try:
            with bar:
                task = bar.add_task("fit", total=n, best="–")
                state = {"done": 0}

                def tick(k: int, best: float) -> None:
                    state["done"] += k
                    bar.update(task, advance=k, best=f"{best:.3g}")
                    if not err.is_terminal:
                        err.print(f"{state['done']}/{n} trials, best distance {best:.4g}")

                est = run_study(cal, out_dir, trials=n, workers=workers, progress=tick, dask=dask)
        except ScenarioError as e:
            raise invalid(e) from None
        except KeyboardInterrupt:
            err.print(f"interrupted; run again with --out {out_dir} to continue")
            raise typer.Exit(EXIT_FAILURE) from None
        except Exception as e:
            err.print(f"[bold red]calibration failed[/]: {type(e).__name__}: {e}")
            raise typer.Exit(EXIT_FAILURE) from None
        table = Table(title=f"{cal.config.name}: best of {est['n_complete']} trials")
        for c in ("target", "simulated", "target value", "z", "reproduced"):
            table.add_column(c, justify="right" if c != "target" else "left")
        for name, f in est["best"]["fit"].items():
            table.add_row(
                name,
                f"{f['simulated']:.4g}",
                f"{f['target']:.4g}" if f["target"] is not None else "–",
                f"{f['z']:.2f}",
                "yes" if f["reproduced"] else "no",
            )
        out.print(table)
        acc = est["accepted"]
        ptab = Table(title=f"parameters (accepted: {acc['n']} trials)")
        for c in ("parameter", "best", "mean", "sd", "q05", "q95"):
            ptab.add_column(c, justify="right" if c != "parameter" else "left")
        for p, s in acc["params"].items():
            ptab.add_row(
                p,
                f"{est['best']['params'][p]:.4g}",
                *(f"{s[k]:.4g}" for k in ("mean", "sd", "q05", "q95")),
            )
        out.print(ptab)
        out.print(f"wrote {out_dir}/estimates.json, trials.parquet, fit.png, marginals.png")

    def _calibrate_abc(cal: Calibration, out_dir: Path, workers: int, dask: str | None) -> None:
        from sim.posterior import run_abc

        try:
            res = run_abc(cal, out_dir, workers=workers, dask=dask, console=err)
        except ScenarioError as e:
            raise invalid(e) from None
        except KeyboardInterrupt:
            err.print(f"interrupted; run again with --out {out_dir} to continue")
            raise typer.Exit(EXIT_FAILURE) from None
        except Exception as e:
            err.print(f"[bold red]calibration failed[/]: {type(e).__name__}: {e}")
            raise typer.Exit(EXIT_FAILURE) from None
        eps = res["epsilon_schedule"]
        ptab = Table(
            title=f"{cal.config.name}: ABC-SMC posterior, {res['generations']} generations, "
            f"{res['simulations']} simulations, final epsilon {eps[-1]:.3g}"
        )
        for c in ("parameter", "median", "q05", "q25", "q75", "q95"):
            ptab.add_column(c, justify="right" if c != "parameter" else "left")
        for p, s in res["credible_intervals"].items():
            ptab.add_row(p, *(f"{s[k]:.4g}" for k in ("median", "q05", "q25", "q75", "q95")))
        out.print(ptab)
        if len(res["model_probabilities"]) > 1:
            out.print(
                "posterior model probabilities: "
                + ", ".join(f"{k} {v:.3f}" for k, v in res["model_probabilities"].items())
            )
        pc = res.get("predictive_checks")
        if pc:
            ctab = Table(title=f"posterior predictive checks, {pc['draws']} fresh seeds")
            cols = ("statistic", "observed", "median", "90 % interval", "in 50 %", "in 90 %")
            for c in (*cols, "in 90 % +error", "|z|<=2"):
                ctab.add_column(c, justify="right" if c != "statistic" else "left")

            def yn(v: bool | None) -> str:
                return "-" if v is None else ("yes" if v else "no")

            for name, r in pc["statistics"].items():
                label = name + (" (held out)" if r["held_out"] else "")
                if r["kind"] != "point":
                    label += f" ({r['kind']})"
                share = r.get("share_within_2sd")
                ctab.add_row(
                    label,
                    f"{r['observed']:.4g}" if r["observed"] is not None else "-",
                    f"{r['predictive_median']:.4g}",
                    f"[{r['q05']:.3g}, {r['q95']:.3g}]",
                    yn(r["in_50"]),
                    yn(r["in_90"]),
                    yn(r.get("in_90_with_error")),
                    "-" if share is None else f"{share:.0%}",
                )
            out.print(ctab)
            for part in ("fitted", "held_out"):
                c = pc[f"coverage_{part}"]
                out.print(
                    f"coverage, {part.replace('_', '-')} point statistics: 50 % "
                    f"{c['in_50_count']}, 90 % {c['in_90_count']}; with the targets' "
                    f"error: 50 % {c['in_50_with_error_count']}, "
                    f"90 % {c['in_90_with_error_count']}"
                )
        out.print(
            f"wrote {out_dir}/posterior.json, posterior.parquet, ppc.parquet, "
            "posterior_pairs.png, ppc.png (abc.db: run again to continue)"
        )
