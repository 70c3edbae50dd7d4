"""Experiment designs for sweeps: which parameter values each design point gets.

A sweep varies a few scenario fields. Each field gets a *parameter spec*: a range
``{low, high}``, a list of values (categorical, or explicit levels), or a distribution
``{dist: uniform|normal|lognormal|loguniform, ...}``. A *design* picks the points:

- ``grid``: the full factorial (ranges and distributions at ``levels`` levels, lists at
  every value), as NetLogo BehaviorSpace or Mesa ``batch_run`` do.
- ``lhs``: a Latin hypercube of ``samples`` points (``scipy.stats.qmc.LatinHypercube``).
- ``sobol``: the Saltelli scheme for Sobol' sensitivity indices
  (``SALib.sample.sobol.sample``: ``samples * (2D + 2)`` points, or ``samples * (D + 2)``
  without second-order terms), analysable with ``SALib.analyze.sobol`` in point order;
  with ``saltelli: false`` plain scrambled Sobol' points (``scipy.stats.qmc.Sobol``).
- ``morris``: ``samples`` Morris trajectories of ``D + 1`` points on ``levels`` levels
  (``SALib.sample.morris.sample``), analysable with ``SALib.analyze.morris``.

No sampler is written here: the libraries draw points in the unit hypercube and each
parameter maps its unit coordinate to a value (the distribution's quantile function,
or an equal-width bin of the category list). All draws are seeded.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field, model_validator

from sim.schema import StrictModel, field_error

if TYPE_CHECKING:  # pandas and scipy are imported where used: `cadresim validate` needs neither
    import pandas as pd

METHODS = ("grid", "lhs", "sobol", "morris")
DISTRIBUTIONS = ("uniform", "normal", "lognormal", "loguniform")
# Unbounded distributions are cut at these quantiles where a design hits the unit
# cube's faces (Morris levels include 0 and 1, whose normal quantiles are infinite).
TAIL = 1e-3


class RangeSpec(StrictModel):
    """A closed interval; ``log: true`` spaces grid levels and maps samples geometrically."""

    low: float = Field(description="smallest value")
    high: float = Field(description="largest value")
    log: bool = Field(False, description="vary on a log scale (needs low > 0)")

    @model_validator(mode="after")
    def _order(self) -> RangeSpec:
        if not self.high > self.low:
            raise field_error("high", f"must be greater than low ({self.low}), got {self.high}")
        if self.log and self.low <= 0:
            raise field_error("low", "must be > 0 when log is true")
        return self


class DistSpec(StrictModel):
    """A distribution: ``uniform``/``loguniform`` need low, high; ``normal`` mean, sd
    (optionally truncated to low/high); ``lognormal`` mu, sigma of the log."""

    dist: Literal["uniform", "normal", "lognormal", "loguniform"]
    low: float | None = Field(None, description="lower bound (uniform, loguniform, truncation)")
    high: float | None = Field(None, description="upper bound (uniform, loguniform, truncation)")
    mean: float | None = Field(None, description="mean (normal)")
    sd: float | None = Field(None, gt=0, description="standard deviation (normal)")
    mu: float | None = Field(None, description="mean of log (lognormal)")
    sigma: float | None = Field(None, gt=0, description="sd of log (lognormal)")

    @model_validator(mode="after")
    def _needs(self) -> DistSpec:
        need = {
            "uniform": ("low", "high"),
            "loguniform": ("low", "high"),
            "normal": ("mean", "sd"),
            "lognormal": ("mu", "sigma"),
        }[self.dist]
        for name in need:
            if getattr(self, name) is None:
                raise field_error(name, f"required for dist {self.dist}")
        allowed = set(need) | ({"low", "high"} if self.dist == "normal" else set())
        for name in ("low", "high", "mean", "sd", "mu", "sigma"):
            if getattr(self, name) is not None and name not in allowed:
                raise field_error(
                    name, f"not used by dist {self.dist}; give {', '.join(sorted(allowed))}"
                )
        if self.low is not None and self.high is not None and not self.high > self.low:
            raise field_error("high", f"must be greater than low ({self.low}), got {self.high}")
        if self.dist == "loguniform" and self.low is not None and self.low <= 0:
            raise field_error("low", "must be > 0 for loguniform")
        return self

    def frozen(self) -> Any:
        """The scipy.stats frozen distribution."""
        from scipy import stats

        if self.dist == "uniform":
            return stats.uniform(self.low, self.high - self.low)
        if self.dist == "loguniform":
            return stats.loguniform(self.low, self.high)
        if self.dist == "lognormal":
            return stats.lognorm(s=self.sigma, scale=math.exp(self.mu))
        lo = -np.inf if self.low is None else (self.low - self.mean) / self.sd
        hi = np.inf if self.high is None else (self.high - self.mean) / self.sd
        return stats.truncnorm(lo, hi, loc=self.mean, scale=self.sd)


class DesignSpec(StrictModel):
    """How design points are chosen (see the module docstring)."""

    method: Literal["grid", "lhs", "sobol", "morris"] = Field(
        "grid", description="grid | lhs | sobol | morris"
    )
    samples: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="lhs: points; sobol: base sample N; morris: trajectories",
    )
    levels: int | None = Field(
        None, ge=2, le=1000, description="grid levels per range (default 3); morris levels (4)"
    )
    second_order: bool = Field(True, description="sobol: also sample for second-order indices")
    saltelli: bool = Field(
        True, description="sobol: Saltelli scheme for sensitivity (false: plain Sobol' points)"
    )
    seed: int | None = Field(
        None, ge=0, lt=2**63, description="seed of the design draw (default: from the root seed)"
    )

    @model_validator(mode="after")
    def _samples(self) -> DesignSpec:
        if self.method != "grid" and self.samples is None:
            raise field_error("samples", f"required for method {self.method}")
        if self.method == "grid" and self.samples is not None:
            raise field_error("samples", "not used by method grid; give levels instead")
        return self


@dataclass
class Parameter:
    """One varied field: its name (a dotted path) and how unit samples map to values."""

    name: str
    spec: RangeSpec | DistSpec | list
    integer: bool = False
    _dist: Any = field(default=None, repr=False)

    @property
    def categorical(self) -> bool:
        return isinstance(self.spec, list)

    def _cast(self, values: np.ndarray) -> list:
        if self.integer:
            return [int(v) for v in np.rint(values)]
        return [float(v) for v in values]

    def from_unit(self, u: np.ndarray) -> list:
        """Map unit-interval coordinates to values of this parameter."""
        u = np.asarray(u, dtype=float)
        if isinstance(self.spec, list):
            k = len(self.spec)
            idx = np.minimum((u * k).astype(int), k - 1)
            return [self.spec[i] for i in idx]
        if isinstance(self.spec, RangeSpec):
            lo, hi = self.spec.low, self.spec.high
            if self.spec.log:
                vals = np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
            else:
                vals = lo + u * (hi - lo)
            return self._cast(np.clip(vals, lo, hi))
        if self._dist is None:
            self._dist = self.spec.frozen()
        return self._cast(self._dist.ppf(np.clip(u, TAIL, 1 - TAIL)))

    def grid_values(self, levels: int) -> list:
        """The grid levels: every list value; ranges evenly spaced end to end;
        distributions at the mid-quantiles ``(i + 0.5) / levels``."""
        if isinstance(self.spec, list):
            return list(self.spec)
        if isinstance(self.spec, RangeSpec):
            lo, hi = self.spec.low, self.spec.high
            vals = np.geomspace(lo, hi, levels) if self.spec.log else np.linspace(lo, hi, levels)
            out = self._cast(vals)
            return list(dict.fromkeys(out)) if self.integer else out
        return self.from_unit((np.arange(levels) + 0.5) / levels)


def salib_problem(params: list[Parameter]) -> dict:
    """The SALib problem the unit-cube samples are drawn for (bounds [0, 1] per name)."""
    return {
        "num_vars": len(params),
        "names": [p.name for p in params],
        "bounds": [[0.0, 1.0]] * len(params),
    }


def unit_samples(design: DesignSpec, d: int, seed: int) -> np.ndarray:
    """Points in the unit hypercube ``[0, 1]^d`` for the non-grid methods (seeded)."""
    from scipy.stats import qmc

    rng = np.random.default_rng(seed)
    n = int(design.samples)
    if design.method == "lhs":
        return qmc.LatinHypercube(d, rng=rng).random(n)
    problem = {"num_vars": d, "names": [f"x{i}" for i in range(d)], "bounds": [[0.0, 1.0]] * d}
    if design.method == "sobol":
        if not design.saltelli:
            return qmc.Sobol(d, scramble=True, rng=rng).random(n)
        from SALib.sample import sobol

        return sobol.sample(problem, n, calc_second_order=design.second_order, seed=rng)
    if design.method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, n, num_levels=design.levels or 4, seed=rng)
    raise ValueError(f"unknown design method {design.method!r}")


def expected_size(design: DesignSpec, params: list[Parameter]) -> int:
    """How many points :func:`make_design` returns (before running anything)."""
    d = len(params)
    if design.method == "grid":
        return math.prod(len(p.grid_values(design.levels or 3)) for p in params)
    n = int(design.samples)
    if design.method == "lhs" or (design.method == "sobol" and not design.saltelli):
        return n
    if design.method == "sobol":
        return n * (2 * d + 2) if design.second_order else n * (d + 2)
    return n * (d + 1)


def make_design(design: DesignSpec, params: list[Parameter], seed: int) -> pd.DataFrame:
    """The design table: one row per point (index ``point``), one column per parameter."""
    import pandas as pd

    names = [p.name for p in params]
    if design.method == "grid":
        axes = [p.grid_values(design.levels or 3) for p in params]
        rows = list(itertools.product(*axes))
    else:
        u = unit_samples(design, len(params), seed)
        cols = [p.from_unit(u[:, j]) for j, p in enumerate(params)]
        rows = list(zip(*cols, strict=True))
    table = pd.DataFrame(rows, columns=names)
    for p in params:  # keep categorical columns as python objects, numbers as numbers
        if not p.categorical:
            table[p.name] = table[p.name].astype("int64" if p.integer else "float64")
    table.index.name = "point"
    return table
