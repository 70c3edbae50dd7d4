"""Sweep files: the :class:`SweepSpec` schema, the fields a sweep may vary, and
:func:`parse_sweep`, which turns a file into a validated :class:`SweepPlan`.

Split from :mod:`sim.sweep` so that ``cadresim validate`` and ``--help`` need no pandas,
scipy or mesa (issue 16: validate must start in under a second). The heavy parts (the
design draw, seeds) are imported inside :func:`parse_sweep`; :func:`check_sweep` validates
a file without drawing the design at all (see its docstring for what it checks).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from math import prod
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from pydantic import Field, ValidationError

from sim.calendar import Month
from sim.config import Scenario, ScenarioError, format_validation_error, read_yaml
from sim.design import DesignSpec, DistSpec, Parameter, RangeSpec, expected_size
from sim.reporters import Reporter, Snapshots
from sim.schema import StrictModel

if TYPE_CHECKING:
    import pandas as pd

RUN_ID = "run-{:06d}"
OWNED = ("manifest.json", "summary.parquet", "failures.parquet", "timeseries.parquet")
# folders of per-batch Parquet shards: time series, protest events, agent snapshots
SHARD_DIRS = ("timeseries.parquet", "events.parquet", "agents.parquet")
OWNED_DIRS = ("runs", *SHARD_DIRS)
MAX_POINTS = 1_000_000
MAX_VALUES = 10_000  # values in one `vary` list


class SweepSpec(StrictModel):
    """A sweep file."""

    name: Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.\-]+$")]
    description: str = ""
    question: str = Field("", description="the question this sweep answers")
    base: str | dict[str, Any] = Field(
        description="base scenario: a path relative to the sweep file, or an inline mapping"
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="deep-merged into the base before varying; 'regimes' may be a mapping "
        "by regime type",
    )
    vary: dict[str, Any] = Field(
        min_length=1,
        description="dotted path -> {low, high} | [values] | {dist: ..., ...}",
    )
    design: DesignSpec = DesignSpec()
    replicates: int = Field(1, ge=1, le=100_000, description="seeded runs per design point")
    seed: int = Field(0, ge=0, lt=2**63, description="root seed; run seeds are spawned from it")
    outcomes: list[Reporter] = Field(
        default_factory=list,
        description="user-defined outcomes added to the base scenario's (sim.reporters)",
    )
    snapshots: Snapshots | None = Field(
        None,
        description="agent-level rows every K months of every run, in agents.parquet "
        "(replaces the base scenario's output.snapshots)",
    )


# ---------------------------------------------------------------------------------------
# Which fields can be varied


@dataclass(frozen=True)
class FieldKind:
    """What a variable scenario field accepts."""

    path: str
    annotation: Any

    @property
    def numeric(self) -> bool:
        return self.annotation in (int, float)

    @property
    def integer(self) -> bool:
        return self.annotation is int


def _leaves(model: type[StrictModel], prefix: str, skip: tuple[str, ...] = ()) -> Iterator:
    for name, f in model.model_fields.items():
        if name in skip:
            continue
        ann = f.annotation
        if isinstance(ann, type) and issubclass(ann, StrictModel):
            yield from _leaves(ann, f"{prefix}{name}.")
        else:
            if typing.get_origin(ann) in (typing.Union, types.UnionType):
                args = [a for a in typing.get_args(ann) if a is not type(None)]
                ann = args[0] if len(args) == 1 else ann
            yield FieldKind(f"{prefix}{name}", ann)


def variable_fields() -> dict[str, FieldKind]:
    """Every dotted path a sweep may vary: ``start``, ``end``, ``population.*``,
    ``params.*`` and ``regimes.<type>.<param>`` for every registered regime."""
    from sim.regimes import REGISTRY

    out = {
        f.path: f
        for f in _leaves(
            Scenario, "", skip=("name", "description", "question", "seed", "regimes", "output")
        )
    }
    for rtype, cls in sorted(REGISTRY.items()):
        for f in _leaves(cls.Params, f"regimes.{rtype}.", skip=("type",)):
            out[f.path] = f
    return out


def _unknown_path_message(path: str, valid: dict[str, FieldKind]) -> str:
    import difflib

    close = difflib.get_close_matches(path, list(valid), n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    head = path.split(".")[0]
    if head == "regimes" and path.count(".") >= 1:
        rtype = path.split(".")[1]
        same = [p for p in valid if p.startswith(f"regimes.{rtype}.")]
        if same:
            listing = ", ".join(same)
        else:
            types = sorted({p.split(".")[1] for p in valid if p.startswith("regimes.")})
            listing = "regimes.<type>.<param> with type one of " + ", ".join(types)
    else:
        same = [p for p in valid if p.split(".")[0] == head] if "." in path else []
        groups = sorted(
            {p.split(".")[0] + (".*" if "." in p else "") for p in valid if p.split(".")[0]}
        )
        listing = ", ".join(same) if same else ", ".join(groups)
    return f"unknown field{hint}; valid paths: {listing}"


# ---------------------------------------------------------------------------------------
# Scenario dictionaries


def deep_merge(base: dict, over: dict) -> dict:
    """``over`` merged into a copy of ``base``: mappings recursively, anything else replaced.

    ``regimes`` in ``over`` may be a mapping from regime type to fields, merged into the
    base's regimes of that type (appended when the base has none).
    """
    out = copy.deepcopy(base)
    for key, val in over.items():
        if key == "regimes" and isinstance(val, dict) and isinstance(out.get("regimes"), list):
            regs = out["regimes"]
            for rtype, fields_ in val.items():
                hits = [r for r in regs if isinstance(r, dict) and r.get("type") == rtype]
                if not hits:
                    regs.append({"type": rtype, **(fields_ or {})})
                for r in hits:
                    r.update(copy.deepcopy(fields_ or {}))
        elif key == "regimes" and isinstance(val, dict):
            out["regimes"] = [{"type": t, **(f or {})} for t, f in val.items()]
        elif isinstance(val, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], val)
        else:
            out[key] = copy.deepcopy(val)
    return out


def set_path(data: dict, path: str, value: Any) -> dict:
    """A copy of scenario mapping ``data`` with the dotted ``path`` set to ``value``."""
    out = copy.deepcopy(data)
    parts = path.split(".")
    if parts[0] == "regimes":
        rtype, key = parts[1], parts[2]
        hits = [
            r for r in out.get("regimes") or [] if isinstance(r, dict) and r.get("type") == rtype
        ]
        if not hits:
            raise KeyError(rtype)
        for r in hits:
            r[key] = value
        return out
    node = out
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value
    return out


def _native(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    return v


# ---------------------------------------------------------------------------------------
# Loading a sweep


@dataclass
class SweepPlan:
    """A validated sweep: every design point resolved to a scenario, every run seeded."""

    spec: SweepSpec
    source: str
    file_hash: str
    base: dict
    params: list[Parameter]
    design: pd.DataFrame
    scenarios: list[dict]  # one validated scenario mapping (JSON-ready) per design point
    seeds: list[int]  # one per run; run i is point i // replicates, replicate i % replicates

    @property
    def n_runs(self) -> int:
        return len(self.scenarios) * self.spec.replicates

    @property
    def design_seed(self) -> int:
        return design_seed(self.spec)

    def run(self, i: int) -> dict:
        """The task for run ``i``."""
        point, rep = divmod(i, self.spec.replicates)
        values = {p.name: _native(self.design.iat[point, j]) for j, p in enumerate(self.params)}
        return {
            "index": i,
            "run_id": RUN_ID.format(i),
            "point": point,
            "replicate": rep,
            "seed": self.seeds[i],
            "params": values,
            "scenario": self.scenarios[point],
            "sweep": self.file_hash,
        }


def design_seed(spec: SweepSpec) -> int:
    """The seed of the design draw: ``design.seed`` or a stream of the root seed that
    no run seed uses (run seeds are the root's spawned children)."""
    if spec.design.seed is not None:
        return spec.design.seed
    return int(np.random.SeedSequence([spec.seed, 0x5EED]).generate_state(1, np.uint64)[0] >> 1)


def load_sweep(path: str | Path) -> SweepPlan:
    """Read and validate a sweep file; every design point is checked as a scenario."""
    path = Path(path)
    data = read_yaml(path)
    raw = path.read_bytes()
    return parse_sweep(data, str(path), path.parent, raw)


def check_sweep(path: str | Path) -> int:
    """Validate a sweep file without drawing its design; return the number of runs.

    Checks what :func:`load_sweep` checks before the draw (schema, base and overrides,
    each varied field and its extreme values, the design's size) and then every *corner*
    of the design box: each combination of the factors' extremes (a range's ends, every
    listed value, a distribution's bounds or its 0.1 % / 99.9 % quantiles, the values the
    design clips to). Every cross-field rule of a scenario is a linear inequality
    (``end >= start``, ``entry_age + 6 < retirement_age``, the agent total, villages when
    there are peasants), so when every corner is valid so is every point inside. When
    there are more corners than design points, the design itself is drawn and every
    point checked, as :func:`load_sweep` does. This is what keeps ``cadresim validate``
    free of pandas and scipy (it starts in well under a second); ``cadresim sweep``
    still checks every point before it runs anything.
    """
    path = Path(path)
    source = str(path)
    spec, merged, params = _parse_spec(read_yaml(path), source, path.parent)
    n = expected_size(spec.design, params)
    axes = [_extremes(p) for p in params]
    if any(a is None for a in axes) or prod(len(a) for a in axes) > n:
        return load_sweep(path).n_runs
    problems: list[tuple[str, str]] = []
    for corner in itertools.product(*axes):
        d = merged
        for p, v in zip(params, corner, strict=True):
            d = set_path(d, p.name, v)
        try:
            Scenario.model_validate(d)
        except ValidationError as err:
            vals = ", ".join(f"{p.name}={v!r}" for p, v in zip(params, corner, strict=True))
            for p, m in format_validation_error(err):
                problems.append((f"design corner ({vals}): {p}", m))
            if len(problems) >= 10:
                break
    if problems:
        raise ScenarioError(source, problems)
    return n * spec.replicates


def _extremes(p: Parameter) -> list | None:
    """The values of ``p`` at the corners of the design box (None: not known without
    scipy, which does not happen for the specs :class:`~sim.design.DistSpec` allows)."""
    from statistics import NormalDist

    from sim.design import TAIL

    spec = p.spec
    if isinstance(spec, list):
        return list(dict.fromkeys(spec)) if all(_hashable(v) for v in spec) else list(spec)
    if isinstance(spec, RangeSpec) or spec.dist in ("uniform", "loguniform"):
        ends = [spec.low, spec.high]
    elif spec.dist == "normal":  # possibly truncated: quantiles of the truncated law
        z = NormalDist()
        a = 0.0 if spec.low is None else z.cdf((spec.low - spec.mean) / spec.sd)
        b = 1.0 if spec.high is None else z.cdf((spec.high - spec.mean) / spec.sd)
        ends = [spec.mean + spec.sd * z.inv_cdf(a + q * (b - a)) for q in (TAIL, 1 - TAIL)]
    elif spec.dist == "lognormal":
        z = NormalDist()
        ends = [math.exp(spec.mu + spec.sigma * z.inv_cdf(q)) for q in (TAIL, 1 - TAIL)]
    else:  # pragma: no cover - DistSpec allows no other law
        return None
    return list(dict.fromkeys(int(round(v)) for v in ends)) if p.integer else ends


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def parse_sweep(
    data: Any, source: str = "<sweep>", base_dir: str | Path = ".", raw: bytes | None = None
) -> SweepPlan:
    """Validate a sweep mapping (see :func:`load_sweep`)."""
    spec, merged, params = _parse_spec(data, source, base_dir)
    from sim.design import make_design  # pandas and (for lhs, sobol, dist) scipy
    from sim.runner import derive_seeds

    problems: list[tuple[str, str]] = []
    design = make_design(spec.design, params, design_seed(spec))
    scenarios = []
    for point in range(len(design)):
        d = merged
        for j, p in enumerate(params):
            d = set_path(d, p.name, _native(design.iat[point, j]))
        try:
            scenarios.append(Scenario.model_validate(d).model_dump(mode="json"))
        except ValidationError as err:
            vals = ", ".join(
                f"{p.name}={_native(design.iat[point, j])!r}" for j, p in enumerate(params)
            )
            for p, m in format_validation_error(err):
                problems.append((f"design point {point} ({vals}): {p}", m))
            if len(problems) >= 10:
                break
    if problems:
        raise ScenarioError(source, problems)
    blob = raw if raw is not None else json.dumps(data, sort_keys=True, default=str).encode()
    digest = hashlib.sha256(blob + json.dumps(merged, sort_keys=True).encode()).hexdigest()
    seeds = derive_seeds(spec.seed, len(design) * spec.replicates)
    return SweepPlan(spec, source, digest, merged, params, design, scenarios, seeds)


def _parse_spec(
    data: Any, source: str, base_dir: str | Path
) -> tuple[SweepSpec, dict, list[Parameter]]:
    """Everything :func:`parse_sweep` checks before drawing the design: the schema, the
    base scenario with overrides, each varied field and its extreme values, the size."""
    if not isinstance(data, dict):
        raise ScenarioError(source, [("", "the file must hold a mapping of sweep fields")])
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(source, format_validation_error(err)) from None
    problems: list[tuple[str, str]] = []

    # the base scenario
    if isinstance(spec.base, str):
        base_path = Path(base_dir) / spec.base
        if not base_path.is_file():
            raise ScenarioError(source, [("base", f"no scenario file at {base_path}")])
        try:
            base = read_yaml(base_path)
        except ScenarioError as e:
            raise ScenarioError(source, [("base", m) for _, m in e.problems]) from None
        if not isinstance(base, dict):
            raise ScenarioError(source, [("base", f"{base_path} does not hold a mapping")])
    else:
        base = spec.base
    merged = deep_merge(base, spec.overrides)
    if spec.outcomes:
        merged["outcomes"] = list(merged.get("outcomes") or []) + [
            r.model_dump(mode="json", exclude_defaults=True) for r in spec.outcomes
        ]
    if spec.snapshots is not None:
        merged.setdefault("output", {})
        merged["output"] = dict(merged["output"] or {})
        merged["output"]["snapshots"] = spec.snapshots.model_dump(mode="json")
    try:
        merged = Scenario.model_validate(merged).model_dump(mode="json")
    except ValidationError as err:
        for p, m in format_validation_error(err):
            root = p.split(".")[0].split("[")[0]
            problems.append((f"{'overrides' if root in spec.overrides else 'base'}.{p}", m))
        raise ScenarioError(source, problems) from None

    # the varied fields
    valid = variable_fields()
    params: list[Parameter] = []
    for key, value in spec.vary.items():
        where = f"vary.{key}"
        kind = valid.get(key)
        if kind is None:
            problems.append((where, _unknown_path_message(key, valid)))
            continue
        if key.startswith("regimes."):
            rtype = key.split(".")[1]
            if not any(r.get("type") == rtype for r in merged.get("regimes", [])):
                problems.append(
                    (
                        where,
                        f"the base scenario has no '{rtype}' regime; add one to the base or "
                        f"in overrides: {{regimes: {{{rtype}: {{}}}}}}",
                    )
                )
                continue
        try:
            pspec = _parse_vary_value(value, kind)
        except ValidationError as err:
            for p, m in format_validation_error(err):
                problems.append((f"{where}.{p}" if p else where, m))
            continue
        except ValueError as err:
            problems.append((where, str(err)))
            continue
        params.append(Parameter(key, pspec, integer=kind.integer))
        problems += _check_values(merged, key, pspec, where, kind.integer)
    if problems:
        raise ScenarioError(source, problems)

    # the design and every point
    n = expected_size(spec.design, params)
    if n > MAX_POINTS:
        raise ScenarioError(source, [("design", f"{n} points exceed the limit {MAX_POINTS}")])
    if n * spec.replicates > 10 * MAX_POINTS:
        raise ScenarioError(source, [("replicates", f"{n * spec.replicates} runs are too many")])
    return spec, merged, params


def _parse_vary_value(value: Any, kind: FieldKind) -> RangeSpec | DistSpec | list:
    if isinstance(value, list):
        if not value:
            raise ValueError("the list of values is empty")
        if len(value) > MAX_VALUES:  # each value is validated as a scenario first
            raise ValueError(f"{len(value)} values; a list may hold at most {MAX_VALUES}")
        return list(value)
    if not isinstance(value, dict):
        raise ValueError(
            f"expected {{low, high}}, a list of values, or {{dist: ...}}; got {value!r}"
        )
    if not kind.numeric:
        name = getattr(kind.annotation, "__name__", str(kind.annotation))
        raise ValueError(
            f"a range or distribution needs a numeric field; {kind.path} is {name}, "
            "so give a list of values"
        )
    if "dist" in value:
        return DistSpec.model_validate(value)
    return RangeSpec.model_validate(value)


def _check_values(
    base: dict, path: str, pspec: Any, where: str, integer: bool = False
) -> list[tuple[str, str]]:
    """Validate the extreme values of a parameter on the base scenario, one at a time
    (a range's ends as the design would set them: rounded for an integer field)."""
    if isinstance(pspec, list):
        probes = [(f"{where}[{i}]", v) for i, v in enumerate(pspec)]
    else:
        probes = [(f"{where}.{b}", getattr(pspec, b)) for b in ("low", "high")]
        probes = [(w, v) for w, v in probes if v is not None]
        if integer:
            probes = [(w, int(round(v))) for w, v in probes]
    out = []
    for w, v in probes:
        if isinstance(v, Month):
            v = str(v)
        try:
            Scenario.model_validate(set_path(base, path, v))
        except ValidationError as err:
            msgs = [m for p, m in format_validation_error(err)]
            out.append((w, f"{v!r} is not a valid {path}: {'; '.join(msgs)}"))
    return out
