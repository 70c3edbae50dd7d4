"""User-defined outcomes: a statistic of an agent attribute over a group of agents.

The built-in outcomes (:mod:`sim.outcomes`) are fixed. A scenario or sweep file adds its
own in an ``outcomes:`` section, the equivalent of NetLogo BehaviorSpace reporters,
Mesa's ``DataCollector(model_reporters=...)`` and EMA Workbench's ``ScalarOutcome``::

    outcomes:
      - name: grievance_laid_off
        statistic: mean            # mean | share | sum | count | quantile | gini | min | max
        attribute: grievance
        group: {type: worker, status: [xiagang, unemployed]}
      - name: aggrieved_migrants
        statistic: share
        condition: grievance > 0.5
        group: {type: migrant}
      - name: income_p90
        statistic: quantile
        q: 0.9
        attribute: income
      - name: unsafe_mines
        of: units                  # people (default) | units | villages
        statistic: share
        condition: safety < 0.4
        group: {sector: mine}

Each is recorded every month, like a built-in level outcome, as a column of
``timeseries.parquet`` named ``name``, and summarized per run in ``summary.parquet`` as
``<name>_mean`` (over the recorded months) and ``<name>_final``. An empty group gives
NaN (``mean``, ``share``, ``quantile``, ``gini``, ``min``, ``max``) or 0 (``sum``,
``count``). ``sum`` and ``count`` over people are in represented people (agents ×
``params.people_per_agent``), so they do not change with the agent scale; ``mean``,
``share``, ``quantile`` and ``gini`` do not depend on it at all.

``output.snapshots`` (:class:`Snapshots`) writes agent-level rows every K months to
``agents.parquet``. From Python: :func:`add_outcomes` returns a scenario with more
reporters, :func:`measure` evaluates reporters on a live model.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, field_validator, model_validator

from sim.schema import StrictModel, field_error
from sim.state import Kind, Ownership, Residency, Sector, Status

if TYPE_CHECKING:
    import pandas as pd

    from sim.config import Scenario
    from sim.model import CadreModel

# --- vocabularies ------------------------------------------------------------------------
TYPE_NAMES: dict[str, Kind] = {k.name.lower(): k for k in Kind}
STATUS_NAMES: dict[str, Status] = {s.name.lower(): s for s in Status}
SECTOR_NAMES: dict[str, Sector] = {s.name.lower(): s for s in Sector}
OWNERSHIP_NAMES: dict[str, Ownership] = {o.name.lower(): o for o in Ownership}
RESIDENCY_NAMES: dict[str, Residency] = {r.name.lower(): r for r in Residency}

TypeName = Literal["cadre", "technician", "worker", "migrant", "peasant"]
StatusName = Literal["none", "employed", "xiagang", "retired", "unemployed"]
SectorName = Literal["factory", "mine"]
OwnershipName = Literal[
    "state", "collective", "private", "shareholding", "cooperative", "worker_controlled"
]
Statistic = Literal["mean", "share", "sum", "count", "quantile", "gini", "min", "max"]
Level = Literal["people", "units", "villages"]


@dataclass(frozen=True)
class Attribute:
    """An agent attribute a reporter may use: how to read it and what it means."""

    description: str
    unit: str
    read: Callable[[Any], np.ndarray]  # the Columns object -> one value per row


def _col(name: str) -> Callable[[Any], np.ndarray]:
    return lambda cols: cols.arrays[name]


def _attr(description: str, unit: str, read: Callable | None = None, col: str = "") -> Attribute:
    return Attribute(description, unit, read or _col(col))


#: Attributes of people (``of: people``), from ``sim.state.PEOPLE_COLUMNS`` plus a few
#: derived flags. Identifiers (``unit``, ``village``, ``patron``, ``faction``) are group
#: keys, not attributes.
PEOPLE_ATTRIBUTES: dict[str, Attribute] = {
    "grievance": _attr("grievance G = H(1 - L)", "index 0–1", col="grievance"),
    "hardship": _attr("material hardship H", "index 0–1", col="hardship"),
    "income": _attr("monthly income", "wage units", col="income"),
    "wage": _attr("monthly wage of the job held", "wage units", col="wage"),
    "arrears": _attr("wages owed", "months of wage", col="arrears"),
    "pension": _attr("monthly pension", "wage units", col="pension"),
    "age": _attr("age", "years", col="age"),
    "skill": _attr("skill", "index 0–1", col="skill"),
    "risk_aversion": _attr("risk aversion R", "index 0–1", col="risk_aversion"),
    "threshold": _attr("protest threshold T", "index 0–1", col="threshold"),
    "activism": _attr("activism (activist propensity)", "index 0–1", col="activism"),
    "fear": _attr("fear (added risk aversion)", "index 0–1", col="fear"),
    "relief": _attr("relief received this month", "wage units", col="relief"),
    "alienation": _attr("alienation (technicians)", "index 0–1", col="alienation"),
    "health": _attr("health (migrants)", "index 0–1", col="health"),
    "land": _attr("land held (peasants)", "share of a full holding", col="land"),
    "tax_burden": _attr("tax and fee burden (peasants)", "share of income", col="tax_burden"),
    "remittance": _attr("monthly remittance (migrants)", "wage units", col="remittance"),
    "tenure": _attr("months in the current job or place", "months", col="tenure"),
    "dossier": _attr("dossier items", "items", col="dossier"),
    "persecuted": _attr("times targeted by a campaign", "times", col="persecuted"),
    "jail": _attr("months of detention left", "months", col="jail"),
    "rank": _attr("cadre rank", "rank 0–4", col="rank"),
    "loyalty": _attr("cadre loyalty (co-optation)", "index 0–1", col="loyalty"),
    "political_capital": _attr("cadre political capital", "index", col="political_capital"),
    "corruption": _attr("cadre corruption propensity", "index 0–1", col="corruption"),
    "labour_share": _attr("cadre time on the shop floor", "share", col="labour_share"),
    # flags (0/1)
    "active": _attr("publicly active in protest", "0/1", col="active"),
    "party": _attr("party member", "0/1", col="party"),
    "coop": _attr("member of a cooperative or collective", "0/1", col="coop"),
    "native": _attr("cadre native to the locality", "0/1", col="native"),
    "security": _attr("cadre in a security role", "0/1", col="security"),
    "laid_off": _attr("ever laid off", "0/1", lambda c: c.arrays["laid_off"] >= 0),
    "jailed": _attr("in detention", "0/1", lambda c: c.arrays["jail"] > 0),
    "in_faction": _attr("aligned with a faction", "0/1", lambda c: c.arrays["faction"] >= 0),
    "employed": _attr("employed", "0/1", lambda c: c.arrays["status"] == int(Status.EMPLOYED)),
}

UNIT_ATTRIBUTES: dict[str, Attribute] = {
    "output": _attr("output (1 = initial capacity)", "index", col="output"),
    "capacity": _attr("productive capacity", "index", col="capacity"),
    "safety": _attr("safety investment", "index 0–1", col="safety"),
    "collusion": _attr("cadre–owner collusion", "index 0–1", col="collusion"),
    "accidents": _attr("accidents so far", "accidents", col="accidents"),
    "deaths": _attr("accident deaths so far", "people", col="deaths"),
    "protest_months": _attr("months with a protest so far", "months", col="protest_months"),
    "benefit_arrears": _attr(
        "monthly chance its pensions and stipends go unpaid", "probability", col="benefit_arrears"
    ),
    "privilege": _attr("visible enrichment of its cadres", "index 0–1", col="privilege"),
    "restructured": _attr(
        "restructured (sold) at some point", "0/1", lambda c: c.restructured >= 0
    ),
    "model_seizure": _attr("a model worker seizure", "0/1", col="model_seizure"),
}

VILLAGE_ATTRIBUTES: dict[str, Attribute] = {
    "tax_rate": _attr("tax and fee rate", "share of income", col="tax_rate"),
    "collective": _attr("a collective village", "0/1", col="collective"),
    "coop_share": _attr("share of households in the cooperative", "share", col="coop_share"),
    "land_lost": _attr("share of land seized", "share", col="land_lost"),
}

ATTRIBUTES: dict[str, dict[str, Attribute]] = {
    "people": PEOPLE_ATTRIBUTES,
    "units": UNIT_ATTRIBUTES,
    "villages": VILLAGE_ATTRIBUTES,
}

#: Which group keys apply at each level.
GROUP_KEYS: dict[str, tuple[str, ...]] = {
    "people": (
        "type",
        "status",
        "unit",
        "village",
        "sector",
        "ownership",
        "residency",
        "where",
    ),
    "units": ("unit", "sector", "ownership", "where"),
    "villages": ("village", "where"),
}

_CONDITION = re.compile(
    r"^\s*(?:(?P<neg>not)\s+)?(?P<attr>[A-Za-z_][A-Za-z0-9_]*)\s*"
    r"(?:(?P<op>>=|<=|==|!=|>|<)\s*(?P<value>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))?\s*$"
)
_OPS: dict[str, Callable[[np.ndarray, float], np.ndarray]] = {
    ">": np.greater,
    ">=": np.greater_equal,
    "<": np.less,
    "<=": np.less_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


def _suggest(name: str, choices: Iterable[str]) -> str:
    import difflib

    close = difflib.get_close_matches(name, sorted(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def parse_condition(text: str, level: Level = "people") -> tuple[bool, str, str | None, float]:
    """``"grievance > 0.5"`` → ``(negated, attribute, op, value)``; a bare flag such as
    ``"laid_off"`` or ``"not active"`` has ``op`` ``None``. Raises ``ValueError``."""
    m = _CONDITION.match(str(text))
    if not m:
        raise ValueError(
            f"cannot read condition {text!r}: write '<attribute> <op> <number>' with op one "
            "of > >= < <= == !=, or a flag such as 'laid_off' or 'not active'"
        )
    attr = m["attr"]
    allowed = ATTRIBUTES[level]
    if attr not in allowed:
        raise ValueError(
            f"unknown attribute {attr!r} of {level}{_suggest(attr, allowed)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    if m["neg"] and m["op"]:
        raise ValueError(f"{text!r}: 'not' goes only before a flag (write the opposite op)")
    return bool(m["neg"]), attr, m["op"], float(m["value"]) if m["value"] else 0.0


def _as_list(v: Any) -> Any:
    return [v] if v is not None and not isinstance(v, list) else v


class Group(StrictModel):
    """Which agents a reporter covers; every key given must hold (all by default)."""

    type: list[TypeName] | None = Field(None, description="people of these types")
    status: list[StatusName] | None = Field(None, description="people in these statuses")
    unit: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, description="work units by index (0 … population.units − 1)"
    )
    village: list[Annotated[int, Field(ge=0)]] | None = Field(
        None, description="villages by index (0 … population.villages − 1)"
    )
    sector: list[SectorName] | None = Field(
        None, description="work units of this sector, or people working in one"
    )
    ownership: list[OwnershipName] | None = Field(
        None, description="work units of this ownership, or people working in one"
    )
    residency: list[Literal["rural", "urban"]] | None = Field(
        None, description="people with this residency (hukou)"
    )
    where: list[str] = Field(
        default_factory=list,
        description="conditions, e.g. 'age >= 50', 'laid_off', 'not active'",
    )

    _listify = field_validator(
        "type", "status", "unit", "village", "sector", "ownership", "residency", mode="before"
    )(classmethod(lambda cls, v: _as_list(v)))

    @field_validator("where", mode="before")
    @classmethod
    def _where_list(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    def given(self) -> list[str]:
        return [k for k in type(self).model_fields if getattr(self, k)]


class Reporter(StrictModel):
    """One user-defined outcome: ``statistic`` of ``attribute`` over ``group``."""

    name: Annotated[
        str,
        Field(
            pattern=r"^[a-z][a-z0-9_]*$",
            max_length=26,
            description="column name: lower case, digits, '_'; at most 26 characters so "
            "'<name>_final' is a valid Stata and R name",
        ),
    ]
    description: str = Field("", description="what the outcome measures (for the codebook)")
    statistic: Statistic = Field(description="how agents' values are combined")
    attribute: str | None = Field(
        None, description="the agent attribute (not needed for count, or share with condition)"
    )
    condition: str | None = Field(
        None, description="for share: the share of the group for which this holds"
    )
    q: float | None = Field(None, ge=0, le=1, description="for quantile: which (0.5 = median)")
    of: Level = Field("people", description="agents summarized: people, units or villages")
    group: Group = Field(default_factory=Group, description="which agents (all by default)")

    @model_validator(mode="after")
    def _consistent(self) -> Reporter:
        allowed = ATTRIBUTES[self.of]
        if self.attribute is not None and self.attribute not in allowed:
            raise field_error(
                "attribute",
                f"unknown attribute {self.attribute!r} of {self.of}"
                f"{_suggest(self.attribute, allowed)}; allowed: {', '.join(sorted(allowed))}",
            )
        needs_attr = self.statistic not in ("count", "share")
        if needs_attr and self.attribute is None:
            raise field_error("attribute", f"statistic {self.statistic} needs an attribute")
        if self.statistic == "count" and (self.attribute or self.condition):
            raise field_error("statistic", "count counts the group; put conditions in group.where")
        if self.statistic == "share" and (self.attribute is None) == (self.condition is None):
            raise field_error(
                "condition",
                "share needs exactly one of condition ('grievance > 0.5') or a 0/1 attribute",
            )
        if self.statistic != "share" and self.condition is not None:
            raise field_error("condition", "only statistic share takes a condition")
        if (self.statistic == "quantile") != (self.q is not None):
            raise field_error("q", "q (0–1) is needed for quantile and only for quantile")
        conds = [("condition", self.condition)] if self.condition else []
        conds += [(f"group.where[{i}]", c) for i, c in enumerate(self.group.where)]
        for path, text in conds:
            try:
                parse_condition(text, self.of)
            except ValueError as e:
                raise field_error(path, str(e)) from None
        keys = GROUP_KEYS[self.of]
        for k in self.group.given():
            if k not in keys:
                raise field_error(
                    f"group.{k}", f"does not apply to {self.of}; allowed: {', '.join(keys)}"
                )
        return self

    @property
    def unit(self) -> str:
        """The unit of the recorded value (for tables and the codebook)."""
        if self.statistic in ("share",):
            return "share 0–1"
        if self.statistic == "gini":
            return "index 0–1"
        if self.statistic == "count":
            return "people" if self.of == "people" else self.of
        attr = ATTRIBUTES[self.of][self.attribute or ""]
        if self.statistic == "sum" and self.of == "people" and attr.unit == "0/1":
            return "people"
        return attr.unit

    def describe(self) -> str:
        """The description, or one made from the definition."""
        if self.description:
            return self.description
        what = self.condition or self.attribute or ""
        stat = f"quantile {self.q:g} of" if self.statistic == "quantile" else self.statistic
        stat = "share with" if self.statistic == "share" and self.condition else stat
        group = ", ".join(f"{k} {getattr(self.group, k)}" for k in self.group.given())
        return f"{stat} {what} over {self.of}{f' ({group})' if group else ''}".replace("  ", " ")


def outcome_problems(
    reporters: Iterable[Reporter], population: Any = None, reserved: Iterable[str] = ()
) -> list[tuple[str, str]]:
    """``(path, message)`` for reporter names that repeat or clash with built-in columns,
    and for unit or village indices the ``population`` does not have."""
    from sim.outcomes import OUTCOMES, summary_columns

    taken = {o.name for o in OUTCOMES} | {c for o in OUTCOMES for c in summary_columns(o)}
    taken |= {"run_id", "step", "date", "seed", "scenario", "replicate", "point", *reserved}
    seen: set[str] = set()
    problems = []
    for i, r in enumerate(reporters):
        mine = {r.name, f"{r.name}_mean", f"{r.name}_final"}
        if r.name in seen:
            problems.append((f"outcomes[{i}].name", f"{r.name!r} is defined twice"))
        elif clash := sorted(mine & taken):
            problems.append(
                (
                    f"outcomes[{i}].name",
                    f"{r.name!r} would give column {clash[0]!r}, which a built-in outcome "
                    "already uses; choose another name",
                )
            )
        seen.add(r.name)
        if population is None:
            continue
        for key, n in (("unit", population.units), ("village", population.villages)):
            ids = getattr(r.group, key)
            if ids and max(ids) >= n:
                problems.append(
                    (
                        f"outcomes[{i}].group.{key}",
                        f"index {max(ids)} does not exist: population.{key}s is {n} "
                        f"(indices 0 … {n - 1})",
                    )
                )
    return problems


class Snapshots(StrictModel):
    """Agent-level rows every K months, written to ``agents.parquet`` by ``cadresim run``."""

    every: int = Field(12, ge=1, le=1200, description="months between snapshots (months)")
    attributes: list[str] = Field(
        default_factory=lambda: ["grievance", "income", "active", "laid_off"],
        min_length=1,
        description="attributes of people to write (see sim.reporters.PEOPLE_ATTRIBUTES)",
    )
    group: Group = Field(default_factory=Group, description="which people (all by default)")

    @field_validator("attributes")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        for a in v:
            if a not in PEOPLE_ATTRIBUTES:
                raise ValueError(
                    f"unknown attribute {a!r}{_suggest(a, PEOPLE_ATTRIBUTES)}; allowed: "
                    f"{', '.join(sorted(PEOPLE_ATTRIBUTES))}"
                )
        return v

    @model_validator(mode="after")
    def _conditions(self) -> Snapshots:
        for i, text in enumerate(self.group.where):
            try:
                parse_condition(text, "people")
            except ValueError as e:
                raise field_error(f"group.where[{i}]", str(e)) from None
        return self

    def due(self, step: int, n_steps: int) -> bool:
        """Snapshots are taken in month 0, every ``every`` months, and in the last month."""
        return step % self.every == 0 or step == n_steps - 1


# --- computing ---------------------------------------------------------------------------
def _columns(model: CadreModel, level: Level) -> Any:
    return {"people": model.people, "units": model.units, "villages": model.villages}[level]


def _condition_mask(cols: Any, text: str, level: Level) -> np.ndarray:
    neg, attr, op, value = parse_condition(text, level)
    x = np.asarray(ATTRIBUTES[level][attr].read(cols))
    mask = (x != 0) if op is None else _OPS[op](x, value)
    return ~mask if neg else mask


def group_mask(model: CadreModel, group: Group, level: Level = "people") -> np.ndarray:
    """Boolean mask over the rows of ``level`` for the agents in ``group``."""
    cols = _columns(model, level)
    mask = np.ones(cols.n, dtype=bool)
    if level == "people":
        p = cols
        if group.type:
            mask &= np.isin(p.kind, [int(TYPE_NAMES[t]) for t in group.type])
        if group.status:
            mask &= np.isin(p.status, [int(STATUS_NAMES[s]) for s in group.status])
        if group.residency:
            mask &= np.isin(p.residency, [int(RESIDENCY_NAMES[r]) for r in group.residency])
        if group.unit is not None:
            mask &= np.isin(p.unit, group.unit)
        if group.village is not None:
            mask &= np.isin(p.village, group.village)
        if group.sector or group.ownership:
            in_unit = p.unit >= 0
            unit = np.where(in_unit, p.unit, 0)
            if group.sector:
                sect = np.isin(model.units.sector, [int(SECTOR_NAMES[s]) for s in group.sector])
                mask &= in_unit & sect[unit]
            if group.ownership:
                own = np.isin(
                    model.units.ownership, [int(OWNERSHIP_NAMES[o]) for o in group.ownership]
                )
                mask &= in_unit & own[unit]
    else:
        index = np.arange(cols.n)
        ids = group.unit if level == "units" else group.village
        if ids is not None:
            mask &= np.isin(index, ids)
        if level == "units":
            if group.sector:
                mask &= np.isin(cols.sector, [int(SECTOR_NAMES[s]) for s in group.sector])
            if group.ownership:
                mask &= np.isin(cols.ownership, [int(OWNERSHIP_NAMES[o]) for o in group.ownership])
    for text in group.where:
        mask &= _condition_mask(cols, text, level)
    return mask


def _gini(x: np.ndarray) -> float:
    from sim.submodels.economy import gini

    return gini(x) if x.size else float("nan")


def measure_one(model: CadreModel, reporter: Reporter) -> float:
    """The reporter's value for the model's current state."""
    cols = _columns(model, reporter.of)
    mask = group_mask(model, reporter.group, reporter.of)
    scale = float(model.params.people_per_agent) if reporter.of == "people" else 1.0
    stat = reporter.statistic
    if stat == "count":
        return float(np.count_nonzero(mask)) * scale
    if stat == "share":
        if reporter.condition is not None:
            hit = _condition_mask(cols, reporter.condition, reporter.of)
        else:
            hit = np.asarray(ATTRIBUTES[reporter.of][reporter.attribute].read(cols)) != 0
        n = np.count_nonzero(mask)
        return float(np.count_nonzero(hit & mask)) / n if n else float("nan")
    x = np.asarray(ATTRIBUTES[reporter.of][reporter.attribute].read(cols))[mask]
    x = x.astype(np.float64, copy=False)
    if stat == "sum":
        return float(x.sum()) * scale
    if x.size == 0:
        return float("nan")
    if stat == "mean":
        return float(x.mean())
    if stat == "quantile":
        return float(np.quantile(x, reporter.q))
    if stat == "min":
        return float(x.min())
    if stat == "max":
        return float(x.max())
    return _gini(x)


def measure(model: CadreModel, reporters: Iterable[Reporter | Mapping[str, Any]]) -> dict:
    """``{name: value}`` of each reporter (models or mappings) on a live model, like
    Mesa's ``DataCollector`` model reporters."""
    specs = [r if isinstance(r, Reporter) else Reporter.model_validate(r) for r in reporters]
    return {r.name: measure_one(model, r) for r in specs}


def summarize(values: np.ndarray, reporters: list[Reporter]) -> dict[str, float]:
    """Per-run summaries (``<name>_mean``, ``<name>_final``) of a (months × reporters) array."""
    out: dict[str, float] = {}
    for j, r in enumerate(reporters):
        col = values[:, j] if values.size else np.array([])
        finite = col[np.isfinite(col)]
        out[f"{r.name}_mean"] = float(finite.mean()) if finite.size else float("nan")
        out[f"{r.name}_final"] = float(col[-1]) if col.size else float("nan")
    return out


def add_outcomes(scenario: Scenario, reporters: Iterable[Reporter | Mapping[str, Any]]) -> Scenario:
    """A copy of ``scenario`` with more reporters, validated like a scenario file
    (raises :class:`~sim.config.ScenarioError`)."""
    from sim.config import parse_scenario

    data = scenario.model_dump(mode="json")
    data["outcomes"] = [*data.get("outcomes", [])] + [
        r.model_dump(mode="json") if isinstance(r, Reporter) else dict(r) for r in reporters
    ]
    return parse_scenario(data, f"<{scenario.name} with outcomes>")


def snapshot_frame(model: CadreModel, spec: Snapshots, run_id: str) -> pd.DataFrame:
    """One row per person in ``spec.group`` for the model's last month."""
    import pandas as pd

    p = model.people
    rows = np.flatnonzero(group_mask(model, spec.group))
    step = model.step_index - 1
    kinds = np.array([k.name.lower() for k in Kind])
    statuses = np.array([s.name.lower() for s in Status])
    df = pd.DataFrame(
        {
            "run_id": run_id,
            "step": np.full(rows.size, step, dtype=np.int32),
            "date": str(model.config.start.plus(step)),
            "agent": rows.astype(np.int32),
            "type": pd.Categorical(kinds[p.kind[rows]], categories=list(kinds)),
            "status": pd.Categorical(statuses[p.status[rows]], categories=list(statuses)),
            "unit": p.unit[rows],
            "village": p.village[rows],
        }
    )
    for a in spec.attributes:
        df[a] = np.asarray(PEOPLE_ATTRIBUTES[a].read(p))[rows]
    return df


__all__ = [
    "ATTRIBUTES",
    "Group",
    "Reporter",
    "Snapshots",
    "add_outcomes",
    "group_mask",
    "measure",
    "measure_one",
    "outcome_problems",
    "parse_condition",
    "snapshot_frame",
    "summarize",
]
