"""Drive cadresim from EMA Workbench: ``perform_experiments`` on a scenario.

EMA Workbench (Kwakkel 2017) samples *uncertainties* and *levers*, runs a model per
experiment and collects *outcomes*; its analysis (PRIM, feature scoring, dimensional
stacking) reads what it collected. :func:`cadresim_model` wraps one scenario as an EMA
:class:`~ema_workbench.Model` (or :class:`~ema_workbench.ReplicatorModel` with several
seeded replications per experiment):

>>> from ema_workbench import RealParameter, CategoricalParameter, perform_experiments
>>> from sim.ema import cadresim_model
>>> model = cadresim_model(
...     "scenarios/reform_privatization.yaml",
...     uncertainties=[RealParameter("legitimacy", 0.5, 0.95, variable_name="params.legitimacy")],
...     levers=[CategoricalParameter("stance", ["soft", "mixed", "hard"],
...                                  variable_name="regimes.repression_concession.stance")],
...     outcomes=["protest_events_per_year", "legitimacy_mean"],
... )
>>> experiments, outcomes = perform_experiments(model, scenarios=20, policies=3)

A parameter's ``variable_name`` is the dotted scenario path it sets (the same paths a
sweep file's ``vary:`` uses; without one, the parameter's name is the path). Every
experiment's scenario is validated like a scenario file, so an out-of-range value fails
with cadresim's message. Outcomes are per-run summary columns (``<outcome>_mean``,
``_final``, ``_total``, ``_per_year``); replications are averaged (EMA's ``function``).

Seeds: an experiment's runs are seeded from the model's root seed and the experiment's
parameter values (``SeedSequence([root, crc32(values)])``), so the same parameter values
always get the same seeds (common random numbers across policies), whatever the order or
evaluator, and a repeated ``perform_experiments`` reproduces its outcomes exactly.
:func:`model_from_sweep` builds the uncertainties from a sweep file's ``vary:`` section.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

DEFAULT_OUTCOMES = (
    "protest_events_per_year",
    "protest_participants_per_year",
    "arrests_per_year",
    "legitimacy_mean",
    "grievance_worker_mean",
    "xiagang_final",
    "gini_final",
)


def run_seeds(root: int, values: Mapping[str, Any], n: int) -> list[int]:
    """The seeds of an experiment's ``n`` runs: a pure function of the root seed and the
    parameter values (sorted by path), so equal values share seeds."""
    import numpy as np

    from sim.runner import derive_seeds

    key = json.dumps({k: values[k] for k in sorted(values)}, default=str, sort_keys=True)
    ss = np.random.SeedSequence([int(root), zlib.crc32(key.encode("utf-8"))])
    return derive_seeds(int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1)), n)


class ScenarioFunction:
    """The callable EMA runs: keyword arguments named by dotted paths → summary values.

    A plain class (not a closure) so EMA's ``MultiprocessingEvaluator`` can pickle it.
    """

    def __init__(
        self, base: dict, paths: Sequence[str], outcomes: Sequence[str], seed: int, n: int
    ):
        self.base = base
        self.paths = list(paths)
        self.outcomes = list(outcomes)
        self.seed = int(seed)
        self.n = int(n)

    def scenario(self, values: Mapping[str, Any]) -> Any:
        """The validated scenario for these parameter values (raises ScenarioError)."""
        from pydantic import ValidationError

        from sim.config import Scenario, ScenarioError, format_validation_error
        from sim.sweep import set_path

        data = self.base
        for path, value in values.items():
            try:
                data = set_path(data, path, _native(value))
            except KeyError:
                raise ScenarioError(
                    "ema", [(path, f"the base scenario has no '{path.split('.')[1]}' regime")]
                ) from None
        try:
            return Scenario.model_validate(data)
        except ValidationError as err:
            raise ScenarioError("ema experiment", format_validation_error(err)) from None

    def __call__(self, **kwargs: Any) -> dict[str, float]:
        from sim.runner import run_scenario

        values = {p: kwargs[p] for p in self.paths if p in kwargs}
        replicate = int(kwargs.get("replicate", 0))
        seed = run_seeds(self.seed, values, self.n)[replicate]
        result = run_scenario(self.scenario(values), seed, f"ema-{replicate}")
        missing = [o for o in self.outcomes if o not in result.summary]
        if missing:
            raise KeyError(f"no summary column {missing}; see sim.outcomes.summarize")
        return {o: float(result.summary[o]) for o in self.outcomes}


def _native(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def _base(scenario: str | Path | Mapping | Any) -> tuple[dict, str]:
    from sim.config import Scenario, load_scenario

    if isinstance(scenario, str | Path):
        scn = load_scenario(scenario)
    elif isinstance(scenario, Scenario):
        scn = scenario
    else:
        scn = Scenario.model_validate(dict(scenario))
    return scn.model_dump(mode="json"), scn.name


def _paths(params: Iterable[Any]) -> list[str]:
    out = []
    for p in params:
        out += list(p.variable_name)
    return out


def _check_paths(paths: Sequence[str], base: dict) -> None:
    from sim.config import ScenarioError
    from sim.sweep import _unknown_path_message, variable_fields

    valid = variable_fields()
    problems = [(p, _unknown_path_message(p, valid)) for p in paths if p not in valid]
    if problems:
        raise ScenarioError("ema parameters", problems)


def cadresim_model(
    scenario: str | Path | Mapping | Any,
    uncertainties: Iterable[Any] = (),
    levers: Iterable[Any] = (),
    outcomes: Iterable[str] = DEFAULT_OUTCOMES,
    replications: int = 1,
    seed: int | None = None,
    name: str | None = None,
) -> Any:
    """An EMA Workbench model that runs ``scenario`` with the sampled parameter values.

    ``uncertainties`` and ``levers`` are EMA parameters (``RealParameter``,
    ``IntegerParameter``, ``CategoricalParameter``, ``BooleanParameter``) whose
    ``variable_name`` is a dotted scenario path. ``outcomes`` are summary columns, each
    an EMA ``ScalarOutcome`` (the mean over ``replications`` seeded runs when > 1).
    ``seed`` defaults to the scenario's seed.
    """
    import numpy as np
    from ema_workbench import Model, ReplicatorModel, ScalarOutcome

    base, scn_name = _base(scenario)
    uncertainties, levers, outcomes = list(uncertainties), list(levers), list(outcomes)
    paths = _paths(uncertainties) + _paths(levers)
    _check_paths(paths, base)
    if replications < 1:
        raise ValueError("replications must be at least 1")
    root = base.get("seed", 0) if seed is None else seed
    fn = ScenarioFunction(base, paths, outcomes, root, replications)
    model_name = name or "".join(c if c.isalnum() else "_" for c in scn_name)
    if not model_name.isidentifier():
        model_name = f"m_{model_name}"
    if replications == 1:
        model = Model(model_name, function=fn)
        model.outcomes = [ScalarOutcome(o) for o in outcomes]
    else:
        model = ReplicatorModel(model_name, function=fn)
        model.replications = [{"replicate": r} for r in range(replications)]
        model.outcomes = [ScalarOutcome(o, function=np.mean) for o in outcomes]
    model.uncertainties = uncertainties
    model.levers = levers
    return model


def parameters_from_vary(vary: Mapping[str, Any]) -> list[Any]:
    """EMA parameters for a sweep's ``vary:`` mapping (ranges, lists; uniform dists)."""
    from ema_workbench import CategoricalParameter, IntegerParameter, RealParameter

    from sim.config import ScenarioError
    from sim.export import safe_name
    from sim.sweep import variable_fields

    kinds = variable_fields()
    out = []
    for path, spec in vary.items():
        name = safe_name(path, [path])
        if isinstance(spec, list):
            out.append(CategoricalParameter(name, [_native(v) for v in spec], variable_name=path))
            continue
        low, high = spec.get("low"), spec.get("high")
        dist = spec.get("dist", "uniform")
        if low is None or high is None or dist not in ("uniform", None):
            raise ScenarioError(
                "vary", [(path, "EMA needs a range {low, high} or a list of values")]
            )
        kind = kinds.get(path)
        if kind is not None and kind.integer:
            out.append(IntegerParameter(name, int(low), int(high), variable_name=path))
        else:
            out.append(RealParameter(name, float(low), float(high), variable_name=path))
    return out


def model_from_sweep(
    path: str | Path, outcomes: Iterable[str] = DEFAULT_OUTCOMES, replications: int | None = None
) -> Any:
    """An EMA model whose uncertainties are a sweep file's varied parameters, on the sweep's
    base scenario with its overrides (replications and seed from the sweep file)."""
    from sim.sweep import load_sweep

    plan = load_sweep(path)
    vary = {p.name: _spec_dict(p.spec) for p in plan.params}
    return cadresim_model(
        plan.base,
        uncertainties=parameters_from_vary(vary),
        outcomes=outcomes,
        replications=replications or plan.spec.replicates,
        seed=plan.spec.seed,
        name=plan.spec.name,
    )


def _spec_dict(spec: Any) -> Any:
    if isinstance(spec, list):
        return spec
    return spec.model_dump() if hasattr(spec, "model_dump") else dict(spec)
