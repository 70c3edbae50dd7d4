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


# --- issue 15: nothing accepted that should not be ------------------------------------


def test_duplicate_keys_rejected_with_lines(tmp_path):
    # case 7: the later value used to win silently
    ((path, msg),) = problems(tmp_path, GOOD.replace("name: t\n", "name: t\nseed: 42\nseed: 7\n"))
    assert "duplicate key 'seed'" in msg and "line 2" in msg and "line 3" in msg
    text = GOOD.replace("params: {legitimacy: 0.8}", "params: {legitimacy: 0.8, legitimacy: 0.2}")
    ((path, msg),) = problems(tmp_path, text)
    assert "duplicate key 'legitimacy'" in msg


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (("legitimacy: 0.8", 'legitimacy: "0.5"'), "params.legitimacy"),
        (("name: t\n", 'name: t\nseed: "12"\n'), "seed"),
        (("cadres: 10", "cadres: true"), "population.cadres"),
        (("units: 2", "units: yes"), "population.units"),
        (("legitimacy: 0.8", "legitimacy: false"), "params.legitimacy"),
        (("name: t\n", "name: t\noutput: {events: 1}\n"), "output.events"),
        (("name: t\n", "name: 1993\n"), "name"),
    ],
)
def test_no_silent_coercion(tmp_path, edit, field):
    # case 8: strings are not numbers and booleans are not counts
    found = dict(problems(tmp_path, GOOD.replace(*edit)))
    assert field in found, found


def test_ints_still_accepted_for_floats_and_lists_for_tuples(tmp_path):
    text = GOOD.replace("legitimacy: 0.8", "legitimacy: 1, threshold: 0").replace(
        "regimes: []",
        "regimes:\n  - {type: campaign, kind: cultural_revolution, phase_months: [3, 15, 24]}",
    )
    s = load_scenario(write(tmp_path, text))
    assert s.params.legitimacy == 1.0 and s.regimes[0].phase_months == (3, 15, 24)
    again = parse_scenario(s.model_dump(mode="json"))
    assert again == s


@pytest.mark.parametrize("day", ["1993-01-32", "1995-02-30", "1993-13-01"])
def test_impossible_days_name_the_field(tmp_path, day):
    # case 9: YAML reads 1993-01-32 as a timestamp and used to raise from the parser
    found = dict(problems(tmp_path, GOOD.replace("start: 1993-01", f"start: {day}")))
    assert "start" in found and day in found["start"]


def test_real_days_still_parse(tmp_path):
    s = load_scenario(write(tmp_path, GOOD.replace("start: 1993-01", "start: 1993-01-15")))
    assert s.start == Month(1993, 1)


@pytest.mark.parametrize(
    "blob",
    [bytes(range(256)), GOOD.encode("utf-16"), b"name: t\xff\xfe\nstart: 1993-01\n", b"\x00\x01"],
)
def test_files_that_are_not_utf8_text(tmp_path, blob):
    # case 9: binary and UTF-16 files used to end in a UnicodeDecodeError traceback
    p = tmp_path / "s.yaml"
    p.write_bytes(blob)
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    assert str(p) in str(info.value) and ("UTF-8" in str(info.value) or "YAML" in str(info.value))


REGIMES = GOOD.replace("end: 1995-12", "end: 1999-12")


@pytest.mark.parametrize(
    ("regimes", "field", "words"),
    [
        (
            "  - {type: privatization, start: 1994-01, end: 1996-12}\n"
            "  - {type: privatization, start: 1996-01, end: 1998-12}",
            "regimes[1] (privatization).start",
            "overlaps regimes[0]",
        ),
        (
            "  - {type: management, mode: one_man}\n  - {type: management, mode: party_committee}",
            "regimes[1] (management)",
            "one_man",
        ),
        (
            "  - {type: residency, convergence_start: 2050-01}",
            "regimes[0] (residency).convergence_start",
            "outside the scenario",
        ),
    ],
)
def test_conflicting_regimes(tmp_path, regimes, field, words):
    # case 10
    found = dict(problems(tmp_path, REGIMES.replace("regimes: []", "regimes:\n" + regimes)))
    hit = [m for p, m in found.items() if p.startswith(field)]
    assert hit and words in hit[0], found


def test_consecutive_windows_of_one_regime_are_fine(tmp_path):
    text = REGIMES.replace(
        "regimes: []",
        "regimes:\n  - {type: repression_concession, end: 1995-05, stance: soft}\n"
        "  - {type: repression_concession, start: 1995-06, stance: hard}",
    )
    assert len(load_scenario(write(tmp_path, text)).regimes) == 2


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("epstein: {max_jail_term: 1.0e+30}\n", "epstein.max_jail_term"),
        ("epstein: {max_jail_term: 100000}\n", "epstein.max_jail_term"),
        ("epstein: {arrest_k: 1.0e+30}\n", "epstein.arrest_k"),
        ("epstein: {legitimacy_schedule: [[10, .nan]]}\n", "epstein.legitimacy_schedule"),
        ("epstein: {legitimacy_schedule: [[100000000000, 0.5]]}\n", "epstein.legitimacy_schedule"),
        ("params: {concession_base: .inf}\n", "params.concession_base"),
    ],
)
def test_every_number_is_bounded(tmp_path, text, field):
    # case 11: max_jail_term 1e30 validated and then failed inside the run
    base = GOOD.replace("params: {legitimacy: 0.8}\n", "")
    found = dict(problems(tmp_path, base + text))
    assert any(p.startswith(field) for p in found), found


def test_every_numeric_scenario_field_is_bounded_above_and_below():
    """The generic rule: a number without explicit bounds is finite and within +-LIMIT."""
    from sim.config import Scenario
    from sim.epstein_params import EpsteinParams
    from sim.regimes import REGISTRY
    from sim.schema import LIMIT

    base = {"name": "t", "start": "1993-01", "end": "1995-12"}
    sections = [
        (k, Scenario.model_fields[k].annotation) for k in ("population", "params", "output")
    ]
    sections.append(("epstein", EpsteinParams))
    sections += [(f"regimes.{t}", c.Params) for t, c in sorted(REGISTRY.items())]
    checked = 0
    for where, model in sections:
        for name, f in model.model_fields.items():
            if f.annotation not in (int, float):
                continue
            for v in (LIMIT * 10, -LIMIT * 10):
                value = int(v) if f.annotation is int else v
                data = dict(base)
                if where.startswith("regimes."):
                    data["regimes"] = [{"type": where.split(".")[1], name: value}]
                else:
                    data[where] = {name: value}
                with pytest.raises(ScenarioError) as info:
                    parse_scenario(data)
                assert name in str(info.value), (where, name, str(info.value))
            checked += 1
    assert checked > 100


def test_exponents_without_a_decimal_point_are_numbers(tmp_path):
    # PyYAML reads 1e-3 as the string '1e-3'; under strict types that would be refused
    s = load_scenario(write(tmp_path, GOOD.replace("legitimacy: 0.8", "legitimacy: 8e-1")))
    assert s.params.legitimacy == 0.8


def test_alias_bombs_and_deep_nesting_are_refused(tmp_path):
    # found while fuzzing: aliases expand to billions of nodes, deep nesting overflows
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    ((_, msg),) = problems(tmp_path, "\n".join(lines) + "\nregimes: *a8\n")
    assert "expands" in msg
    ((_, msg),) = problems(tmp_path, "name: " + "[" * 3000 + "]" * 3000 + "\n")
    assert "malformed YAML" in msg
