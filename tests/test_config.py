"""Scenario validation: every class of bad input is rejected with field path and allowed values."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.calendar import Month
from sim.config import ScenarioError, load_scenario, parse_scenario

GOOD = """\
name: t
start: 1993-01
end: 1995-12
population: {cadres: 10, technicians: 10, workers: 100, migrants: 10, peasants: 10, units: 2, villages: 2}
params: {legitimacy: 0.8}
regimes: []
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


def problems(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert str(path) in str(info.value), "the message names the file"
    return info.value.problems


def test_good_file_loads(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    assert s.start == Month(1993, 1) and s.n_steps == 36


def test_malformed_yaml_names_line(tmp_path):
    ((path, msg),) = problems(tmp_path, "name: t\nstart: [1993-01\n")
    assert "malformed YAML" in msg and "line" in msg


def test_unknown_key_suggests_and_lists_allowed(tmp_path):
    ((path, msg),) = problems(tmp_path, GOOD.replace("params: {legitimacy", "params: {legitimcy"))
    assert path == "params.legitimcy"
    assert "did you mean 'legitimacy'" in msg and "allowed keys" in msg


def test_unknown_top_level_key(tmp_path):
    ((path, msg),) = problems(tmp_path, GOOD + "colour: red\n")
    assert path == "colour" and "allowed keys" in msg and "population" in msg


def test_wrong_type(tmp_path):
    ((path, msg),) = problems(tmp_path, GOOD.replace("workers: 100", "workers: many"))
    assert path == "population.workers" and "integer" in msg and "'many'" in msg


def test_out_of_range(tmp_path):
    ((path, msg),) = problems(tmp_path, GOOD.replace("legitimacy: 0.8", "legitimacy: 1.5"))
    assert path == "params.legitimacy" and "less than or equal to 1" in msg


def test_impossible_date(tmp_path):
    ((path, msg),) = problems(tmp_path, GOOD.replace("start: 1993-01", "start: 1993-13"))
    assert path == "start" and "month must be 1..12" in msg


def test_end_before_start(tmp_path):
    ((path, msg),) = problems(tmp_path, GOOD.replace("end: 1995-12", "end: 1990-01"))
    assert path == "end" and "before start" in msg


def test_unknown_regime_lists_allowed(tmp_path):
    text = GOOD.replace("regimes: []", "regimes:\n  - {type: perestroika}")
    ((path, msg),) = problems(tmp_path, text)
    assert path == "regimes[0]" and "perestroika" in msg and "allowed" in msg


def test_regime_outside_scenario_dates(tmp_path):
    from sim.regimes import REGISTRY

    if not REGISTRY:
        pytest.skip("no regimes registered")
    name = sorted(REGISTRY)[0]
    text = GOOD.replace("regimes: []", f"regimes:\n  - {{type: {name}, start: 1990-01}}")
    ((path, msg),) = problems(tmp_path, text)
    assert path == f"regimes[0] ({name}).start" and "outside the scenario" in msg


def test_missing_required_field(tmp_path):
    ((path, msg),) = problems(tmp_path, GOOD.replace("start: 1993-01\n", ""))
    assert path == "start" and "required" in msg.lower()


def test_villages_needed_for_peasants(tmp_path):
    ((path, msg),) = problems(tmp_path, GOOD.replace("villages: 2", "villages: 0"))
    assert path == "population.villages"


def test_not_a_mapping(tmp_path):
    ((path, msg),) = problems(tmp_path, "- just\n- a list\n")
    assert "mapping" in msg


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read file"):
        load_scenario(tmp_path / "nope.yaml")


def test_several_problems_reported_at_once(tmp_path):
    text = GOOD.replace("legitimacy: 0.8", "legitimacy: 2").replace("workers: 100", "workers: -1")
    found = {p for p, _ in problems(tmp_path, text)}
    assert {"params.legitimacy", "population.workers"} <= found


@given(st.integers(1900, 1999), st.integers(1, 12), st.integers(0, 1200))
def test_month_arithmetic_round_trips(year, month, k):
    m = Month(year, month)
    assert Month.parse(str(m)) == m
    later = Month.from_index(m.index + k)
    assert m.months_until(later) == k and later >= m


def test_scenario_round_trips_through_json():
    s = parse_scenario({"name": "x", "start": "2000-01", "end": "2000-06"})
    again = parse_scenario(s.model_dump(mode="json"))
    assert again == s and again.model_dump(mode="json")["start"] == "2000-01"
