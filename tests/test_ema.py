"""EMA Workbench drives cadresim (sim/ema.py): perform_experiments on a tiny scenario."""

from __future__ import annotations

import warnings

import pytest

from sim.config import ScenarioError, parse_scenario
from sim.runner import run_scenario

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from ema_workbench import (
        CategoricalParameter,
        RealParameter,
        SequentialEvaluator,
        perform_experiments,
    )

from sim.ema import cadresim_model, model_from_sweep, run_seeds

TINY = {
    "name": "tiny-ema",
    "start": "1995-01",
    "end": "1995-12",
    "seed": 3,
    "population": {
        "cadres": 10,
        "technicians": 10,
        "workers": 120,
        "migrants": 20,
        "peasants": 20,
        "units": 3,
        "villages": 2,
    },
    "regimes": [{"type": "repression_concession", "stance": "mixed"}],
}
OUTS = ["protest_events_per_year", "legitimacy_mean"]


def _model(replications=1):
    return cadresim_model(
        TINY,
        uncertainties=[RealParameter("legitimacy", 0.4, 0.9, variable_name="params.legitimacy")],
        levers=[
            CategoricalParameter(
                "stance", ["soft", "hard"], variable_name="regimes.repression_concession.stance"
            )
        ],
        outcomes=OUTS,
        replications=replications,
    )


def _perform(model, n=2):
    with SequentialEvaluator(model) as ev:
        return perform_experiments(
            model,
            scenarios=n,
            policies=2,
            evaluator=ev,
            uncertainty_sampling_kwargs={"rng": 42},
            lever_sampling_kwargs={"rng": 43},
        )


def test_outcomes_are_the_runs_summaries():
    model = _model()
    experiments, outcomes = _perform(model)
    assert len(experiments) == 4 and set(outcomes) == set(OUTS)
    for i, row in experiments.iterrows():
        values = {
            "params.legitimacy": row["legitimacy"],
            "regimes.repression_concession.stance": row["stance"],
        }
        scn = parse_scenario(
            {
                **TINY,
                "params": {"legitimacy": row["legitimacy"]},
                "regimes": [{"type": "repression_concession", "stance": row["stance"]}],
            }
        )
        seed = run_seeds(3, values, 1)[0]
        direct = run_scenario(scn, seed).summary
        for o in OUTS:
            assert outcomes[o][i] == direct[o]
    # legitimacy set by EMA reaches the model: its run mean rises with the sampled value
    order = experiments["legitimacy"].argsort().to_numpy()
    assert outcomes["legitimacy_mean"][order[0]] < outcomes["legitimacy_mean"][order[-1]]


def test_replications_average_and_repeat_exactly():
    model = _model(replications=2)
    e1, o1 = _perform(model, n=1)
    e2, o2 = _perform(model, n=1)
    assert (e1["legitimacy"] == e2["legitimacy"]).all()
    for o in OUTS:
        assert (o1[o] == o2[o]).all()
    assert run_seeds(3, {"a": 1}, 2) != run_seeds(3, {"a": 2}, 2)
    assert run_seeds(3, {"a": 1}, 2) == run_seeds(3, {"a": 1}, 2)


def test_unknown_path_and_invalid_value_are_refused():
    with pytest.raises(ScenarioError, match="params.legitimcy"):
        cadresim_model(
            TINY, uncertainties=[RealParameter("x", 0, 1, variable_name="params.legitimcy")]
        )
    model = cadresim_model(
        TINY, uncertainties=[RealParameter("x", 2, 3, variable_name="params.legitimacy")]
    )
    with pytest.raises(ScenarioError, match="legitimacy"):
        model.function.scenario({"params.legitimacy": 2.5})


def test_model_from_sweep_file():
    model = model_from_sweep("scenarios/sweeps/legitimacy_vs_repression.yaml", OUTS)
    names = {p.name: list(p.variable_name) for p in model.uncertainties}
    assert names == {
        "par_legitimacy": ["params.legitimacy"],
        "par_repression_concession_stance": ["regimes.repression_concession.stance"],
    }
    assert model.nreplications == 5
