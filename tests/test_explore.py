"""`cadresim explore` without a browser: controls from the pydantic models, the merge of
control values into a scenario ("save as scenario"), reproduction, and redraw cost."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from sim import explore
from sim.config import Params, ScenarioError, load_scenario, parse_scenario
from sim.outcomes import OUTCOME_NAMES
from sim.regimes import REGISTRY
from sim.runner import run_scenario

BASELINE = "scenarios/baseline.yaml"


def small(**extra):
    """A short, small scenario (seconds to run) with two regimes when they exist."""
    data = {
        "name": "small",
        "start": "1995-01",
        "end": "1995-12",
        "seed": 7,
        "population": {"cadres": 30, "technicians": 40, "workers": 600, "units": 6},
        "params": {"legitimacy": 0.7},
        "regimes": [],
    }
    data.update(extra)
    return parse_scenario(data)


def with_regimes():
    names = [n for n in ("union", "privatization") if n in REGISTRY]
    if not names:
        pytest.skip("no regimes registered yet")
    return small(regimes=[{"type": n, "start": "1995-03"} for n in names])


# --- controls from the models -----------------------------------------------------------
def test_param_controls_take_bounds_defaults_and_descriptions_from_pydantic():
    scn = load_scenario(BASELINE)
    specs = explore.param_controls(scn)
    assert set(specs) == {f"params.{n}" for n in explore.MAIN_PARAMS}
    for key, spec in specs.items():
        name = key.removeprefix("params.")
        field = Params.model_fields[name]
        lo, hi = explore.field_bounds(field)
        assert spec["value"] == getattr(scn.params, name)
        assert spec["description"] == field.description
        assert spec["min"] == lo, name  # never below what validation accepts
        assert lo <= spec["min"] < spec["max"] <= hi, name
        assert spec["min"] <= spec["value"] <= spec["max"], name
        k = (spec["value"] - spec["min"]) / spec["step"]
        assert abs(k - round(k)) < 1e-6, f"{name}: the scenario value is not on a step"
    leg = specs["params.legitimacy"]
    assert (leg["type"], leg["min"], leg["max"], leg["value"]) == ("SliderFloat", 0.0, 1.0, 0.8)
    assert specs["params.vision"]["type"] == "SliderInt"


def test_wide_ranges_are_cut_to_usable_sliders_but_signed_ranges_kept():
    # police_per_1000 may be 0..1000 but is 6: the slider covers 0..100 (10 x 6, rounded up)
    assert explore.slider_range(0, 1000, 6.0, 6.0) == (0.0, 100.0, 0.5)
    # a value above the cut still fits
    assert explore.slider_range(0, 1000, 300.0, 6.0)[1] >= 300.0
    # signed range: the whole range, not cut at the value
    lo, hi, _ = explore.slider_range(-0.1, 0.1, 0.004, 0.004)
    assert (lo, hi) == (-0.1, 0.1)
    # zero default: the whole range
    assert explore.slider_range(0, 0.99, 0.0, 0.0)[:2] == (0.0, 0.99)


def test_all_params_gives_a_control_for_every_bounded_number_and_choice():
    specs = explore.param_controls(load_scenario(BASELINE), None)
    assert specs["params.discretization"]["type"] == "Select"
    assert specs["params.discretization"]["values"] == ["floor", "round", "none"]
    numeric = [n for n, f in Params.model_fields.items() if f.annotation in (int, float)]
    assert all(f"params.{n}" in specs for n in numeric)
    with pytest.raises(ValueError, match="not parameters"):
        explore.param_controls(load_scenario(BASELINE), ("legitimacy", "legitimcy"))


def test_regime_controls_come_from_each_regimes_params_model():
    scn = with_regimes()
    specs = explore.regime_controls(scn)
    for i, reg in enumerate(scn.regimes):
        assert specs[f"regimes[{i}].enabled"] == {
            "type": "Checkbox",
            "label": f"{reg.type} on",
            "description": specs[f"regimes[{i}].enabled"]["description"],
            "value": True,
        }
        fields = type(reg).model_fields
        for fname, field in fields.items():
            key = f"regimes[{i}].{fname}"
            if fname in explore.REGIME_FIXED:
                assert key not in specs
                continue
            if field.annotation is float:
                lo, hi = explore.field_bounds(field)
                assert specs[key]["value"] == getattr(reg, fname)
                assert lo == specs[key]["min"] and specs[key]["max"] <= hi
    if "union" in REGISTRY:
        mode = specs["regimes[0].mode"]
        assert mode["type"] == "Select" and set(mode["values"]) == {"captured", "independent"}


# --- controls back into a scenario ----------------------------------------------------------
def test_unchanged_controls_reproduce_the_base_scenario():
    scn = load_scenario(BASELINE)
    values = explore.control_values(explore.controls(scn))
    data = explore.scenario_from_controls(scn, values)
    assert parse_scenario(data) == scn
    assert "Changed in cadresim explore" not in data.get("description", "")


def test_changed_controls_are_written_and_described():
    scn = with_regimes()
    values = explore.control_values(explore.controls(scn))
    values.update({"params.legitimacy": 0.55, "seed": "123", "regimes[0].enabled": False})
    data = explore.scenario_from_controls(scn, values)
    back = parse_scenario(data)
    assert back.params.legitimacy == 0.55
    assert back.seed == 123
    assert [r.type for r in back.regimes] == [r.type for r in scn.regimes[1:]]
    assert "legitimacy 0.7 → 0.55" in data["description"]
    assert f"{scn.regimes[0].type} off" in data["description"]


def test_bad_control_values_are_refused_with_the_reason():
    scn = small()
    with pytest.raises(ScenarioError, match="params.legitimacy"):
        explore.scenario_from_controls(scn, {"params.legitimacy": 1.5})
    with pytest.raises(ValueError, match="seed must be a whole number"):
        explore.scenario_from_controls(scn, {"seed": "abc"})
    with pytest.raises(ValueError, match="unknown control 'params.legitimcy'"):
        explore.scenario_from_controls(scn, {"params.legitimcy": 0.5})
    with pytest.raises(ValueError, match="the scenario has 0 regimes"):
        explore.scenario_from_controls(scn, {"regimes[0].enabled": False})


def test_saved_yaml_validates_and_reproduces_the_explored_run(tmp_path):
    from sim.explore_app import ExploreModel

    scn = with_regimes()
    values = explore.control_values(explore.controls(scn))
    values.update({"params.legitimacy": 0.5, "params.threshold": 0.05, "seed": "99"})
    if "union" in REGISTRY:
        values["regimes[0].mode"] = "independent"
    model = ExploreModel(base_scenario=scn, source=None, **values)
    while model.running:
        model.step()
    path = explore.save_scenario(model.scenario_data, tmp_path / "saved.yaml", "test")
    text = path.read_text()
    assert text.startswith("# Saved by `cadresim explore` from test")
    saved = load_scenario(path)
    assert saved.seed == 99 and saved.params.threshold == 0.05
    result = run_scenario(saved)
    np.testing.assert_array_equal(result.timeseries[list(OUTCOME_NAMES)].to_numpy(), model.records)
    # and the DataCollector the plots can use holds the same numbers
    df = model.datacollector.get_model_vars_dataframe()
    np.testing.assert_array_equal(
        df["protest_events"].to_numpy(), model.records[:, OUTCOME_NAMES.index("protest_events")]
    )
    # a different seed is a different run
    other = run_scenario(saved, seed=100)
    assert not np.array_equal(
        other.timeseries["active"].to_numpy(), model.records[:, OUTCOME_NAMES.index("active")]
    )


def test_save_refuses_other_suffixes_and_invalid_data(tmp_path):
    data = explore.scenario_from_controls(small(), {})
    with pytest.raises(ValueError, match=".yaml or .yml"):
        explore.save_scenario(data, tmp_path / "x.txt")
    bad = dict(data, end="1990-01")
    with pytest.raises(ScenarioError, match="end"):
        explore.save_scenario(bad, tmp_path / "bad.yaml")
    assert not (tmp_path / "bad.yaml").exists()
    yaml.safe_load(explore.scenario_yaml(data))  # the header is a comment


def test_reset_with_mesas_scenario_argument_builds_the_same_model():
    """SolaraViz's Reset passes Mesa's own `scenario` object; it must be ignored."""
    from mesa.experimental.scenarios import Scenario as MesaScenario

    from sim.explore_app import ExploreModel

    scn = small()
    values = explore.control_values(explore.controls(scn))
    a = ExploreModel(base_scenario=scn, **values)
    b = ExploreModel(base_scenario=scn, scenario=MesaScenario(), **values)
    for m in (a, b):
        for _ in range(3):
            m.step()
    np.testing.assert_array_equal(a.records[:3], b.records[:3])
    assert a.step_index == 3 and a.time == 3


# --- the page's pieces ------------------------------------------------------------------------
def test_locality_layout_has_one_distinct_position_per_locality():
    from sim.explore_app import locality_layout

    for u, v in ((40, 40), (7, 0), (1, 3)):
        xy = locality_layout(u, v)
        assert xy.shape == (u + v + 1, 2)
        assert len({tuple(p) for p in xy}) == u + v + 1
        if v:  # villages sit to the right of every unit
            assert xy[u : u + v, 0].min() > xy[:u, 0].max()


def test_locality_means_average_over_members():
    from sim.explore_app import ExploreModel, locality_means

    m = ExploreModel(base_scenario=small())
    values = np.arange(m.people.n, dtype=float)
    means = locality_means(m, values)
    j = int(m.locality[0])
    assert means[j] == pytest.approx(values[m.locality == j].mean())
