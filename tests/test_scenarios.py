"""Every shipped scenario validates and runs to its end, and says what question it answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.config import load_scenario
from sim.outcomes import OUTCOME_NAMES
from sim.runner import run_scenario

ROOT = Path(__file__).resolve().parents[1] / "scenarios"
SHIPPED = sorted(ROOT.glob("*.yaml"))


def test_the_library_covers_every_period():
    names = {p.stem for p in SHIPPED}
    for expected in (
        "baseline",
        "enterprise_1956_1966",
        "cultural_revolution_1966_1976",
        "early_reform_1978_1992",
        "reform_privatization",
        "mining_labour_2009_2016",
        "mining_no_labour_2009_2016",
        "danwei_reactivation_2009_2016",
        "privatization_with_coops",
        "privatization_without_coops",
        "epstein_model_i",
    ):
        assert expected in names


@pytest.mark.slow
@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_runs(path):
    scenario = load_scenario(path)
    assert scenario.description.strip() and scenario.question.strip()
    result = run_scenario(scenario)
    ts = result.timeseries
    assert len(ts) == scenario.n_steps
    assert ts["date"].iloc[-1] == str(scenario.end)
    if scenario.epstein is None:
        values = ts[list(OUTCOME_NAMES)].to_numpy()
        finite = values[:, [OUTCOME_NAMES.index(n) for n in ("legitimacy", "gini", "output")]]
        assert np.isfinite(finite).all()
