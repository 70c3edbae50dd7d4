"""User-defined outcomes (``outcomes:``) and agent snapshots (``output.snapshots``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import population, reporters
from sim.config import ScenarioError, parse_scenario
from sim.model import CadreModel
from sim.reporters import Group, Reporter
from sim.runner import run_scenario, write_run_folder

TINY = {
    "name": "tiny",
    "start": "1993-01",
    "end": "1993-12",
    "seed": 5,
    "population": {
        "cadres": 20,
        "technicians": 20,
        "workers": 400,
        "migrants": 60,
        "peasants": 100,
        "units": 5,
        "villages": 4,
        "mining_share": 0.4,
    },
}

LAID_OFF = {
    "name": "share_laid_off",
    "statistic": "share",
    "attribute": "laid_off",
    "group": {"type": "worker"},
}


def tiny(**extra) -> dict:
    return {**TINY, **extra}


def problems(data: dict) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as exc:
        parse_scenario(data, "t.yaml")
    return exc.value.problems


@pytest.fixture(scope="module")
def stepped_model() -> CadreModel:
    """A tiny model six months into a privatization (laid-off, retired, employed people)."""
    scn = parse_scenario(tiny(regimes=[{"type": "privatization", "layoff_share": 0.8}]))
    m = CadreModel(scn, seed=3)
    for _ in range(6):
        m.step()
    return m


# --- recorded and summarized like the built-in outcomes ------------------------------
def test_user_outcome_in_timeseries_and_summary():
    scn = parse_scenario(
        tiny(
            regimes=[{"type": "privatization", "layoff_share": 0.8}],
            outcomes=[
                LAID_OFF,
                {"name": "income_p90", "statistic": "quantile", "q": 0.9, "attribute": "income"},
            ],
        )
    )
    res = run_scenario(scn, seed=1)
    ts = res.timeseries
    assert {"share_laid_off", "income_p90"} <= set(ts.columns)
    assert list(ts.columns).index("share_laid_off") > list(ts.columns).index("fear")
    s = res.summary
    col = ts["share_laid_off"].to_numpy()
    assert s["share_laid_off_final"] == col[-1]
    assert s["share_laid_off_mean"] == pytest.approx(np.nanmean(col))
    # Nobody is laid off before the first sale; some are by the end.
    assert col[0] == 0 and col[-1] > 0


def test_user_outcome_changes_with_the_mechanism_it_measures():
    """Deeper layoffs at a sale show up as a larger share of workers ever laid off."""
    finals = []
    for share in (0.1, 0.9):
        scn = parse_scenario(
            tiny(
                regimes=[{"type": "privatization", "layoff_share": share, "form": "sale"}],
                outcomes=[LAID_OFF],
            )
        )
        finals.append(run_scenario(scn, seed=2).summary["share_laid_off_final"])
    assert finals[1] > finals[0]


def test_user_outcomes_do_not_change_the_run():
    base = run_scenario(parse_scenario(tiny()), seed=4)
    more = run_scenario(parse_scenario(tiny(outcomes=[LAID_OFF])), seed=4)
    pd.testing.assert_frame_equal(base.timeseries, more.timeseries.drop(columns="share_laid_off"))


def test_count_is_in_represented_people(stepped_model):
    m = stepped_model
    spec = Reporter(name="n", statistic="count", group=Group(type=["worker"]))
    agents = reporters.measure_one(m, spec)
    assert agents == m.people.count(reporters.TYPE_NAMES["worker"]) * m.params.people_per_agent
    # complementary groups add up to the whole group
    laid = Reporter(name="a", statistic="count", group={"type": "worker", "where": "laid_off"})
    kept = Reporter(name="b", statistic="count", group={"type": "worker", "where": "not laid_off"})
    assert reporters.measure_one(m, laid) + reporters.measure_one(m, kept) == agents


def test_measure_from_python_matches_recorded_value():
    scn = reporters.add_outcomes(parse_scenario(tiny()), [LAID_OFF])
    m = CadreModel(scn, seed=9)
    for _ in range(3):
        m.step()
    assert reporters.measure(m, [LAID_OFF]) == {"share_laid_off": m.user_records[2, 0]}


def test_empty_group_gives_nan_or_zero(stepped_model):
    group = {"type": "cadre", "status": "xiagang"}  # cadres are never laid off
    for stat, expect in (("mean", "nan"), ("sum", 0.0), ("count", 0.0), ("gini", "nan")):
        spec = {"name": "x", "statistic": stat, "group": group}
        if stat not in ("count",):
            spec["attribute"] = "income"
        value = reporters.measure(stepped_model, [spec])["x"]
        assert np.isnan(value) if expect == "nan" else value == expect


def test_unit_level_share(stepped_model):
    m = stepped_model
    mines = Reporter(
        name="m", of="units", statistic="share", condition="safety < 2", group={"sector": "mine"}
    )
    assert reporters.measure_one(m, mines) == 1.0  # safety is an index below 1
    restructured = Reporter(name="r", of="units", statistic="share", attribute="restructured")
    assert 0 <= reporters.measure_one(m, restructured) <= 1


# --- invariants over random reporters ------------------------------------------------
ATTRS = sorted(reporters.PEOPLE_ATTRIBUTES)
groups = st.fixed_dictionaries(
    {},
    optional={
        "type": st.lists(st.sampled_from(sorted(reporters.TYPE_NAMES)), min_size=1, max_size=3),
        "status": st.lists(st.sampled_from(sorted(reporters.STATUS_NAMES)), min_size=1),
        "unit": st.lists(st.integers(0, 4), min_size=1, max_size=3),
        "sector": st.lists(st.sampled_from(["factory", "mine"]), min_size=1),
        "where": st.lists(
            st.builds(
                lambda a, op, v: f"{a} {op} {v}",
                st.sampled_from(ATTRS),
                st.sampled_from([">", ">=", "<", "<=", "==", "!="]),
                st.floats(-1, 2, allow_nan=False).map(lambda x: round(x, 2)),
            ),
            max_size=2,
        ),
    },
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(attr=st.sampled_from(ATTRS), group=groups, q=st.floats(0, 1))
def test_statistics_are_consistent(stepped_model, attr, group, q):
    def value(stat, **kw):
        spec = {"name": "x", "statistic": stat, "attribute": attr, "group": group, **kw}
        return reporters.measure(stepped_model, [spec])["x"]

    lo, hi, mean, quant = value("min"), value("max"), value("mean"), value("quantile", q=q)
    share, gini = value("share"), value("gini")
    n = reporters.measure(stepped_model, [{"name": "x", "statistic": "count", "group": group}])
    if n["x"] == 0:
        assert all(np.isnan(v) for v in (lo, hi, mean, quant, share, gini))
        return
    tol = 1e-6 * max(1.0, abs(lo), abs(hi))
    assert lo - tol <= quant <= hi + tol and lo - tol <= mean <= hi + tol
    assert 0 <= share <= 1 and 0 <= gini <= 1


# --- validation ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "spec, path, words",
    [
        ({"name": "x", "statistic": "mean", "attribute": "grievence"}, "attribute", "grievance"),
        ({"name": "x", "statistic": "mean"}, "attribute", "needs an attribute"),
        ({"name": "x", "statistic": "quantile", "attribute": "income"}, "q", "quantile"),
        ({"name": "x", "statistic": "share"}, "condition", "exactly one"),
        ({"name": "x", "statistic": "median", "attribute": "income"}, "statistic", "quantile"),
        (
            {"name": "x", "statistic": "share", "condition": "grievance >> 1"},
            "condition",
            "op one of",
        ),
        (
            {"name": "x", "statistic": "count", "group": {"where": ["wealth > 1"]}},
            "group.where[0]",
            "unknown attribute 'wealth'",
        ),
        (
            {"name": "x", "of": "units", "statistic": "count", "group": {"type": "worker"}},
            "group.type",
            "does not apply to units",
        ),
        (
            {"name": "x", "statistic": "count", "group": {"type": "workers"}},
            "group.type",
            "worker",
        ),
        ({"name": "Bad Name", "statistic": "count"}, "name", "pattern"),
        ({"name": "x", "statistic": "count", "groupe": {}}, "groupe", "did you mean 'group'"),
    ],
)
def test_invalid_reporters_name_field_and_allowed(spec, path, words):
    found = problems(tiny(outcomes=[spec]))
    assert len(found) == 1
    where, msg = found[0]
    assert where.startswith("outcomes[0]") and path in where, found
    assert words in msg, msg


def test_names_clash_with_builtins_or_each_other():
    found = problems(tiny(outcomes=[{"name": "legitimacy", "statistic": "count"}]))
    assert found[0][0] == "outcomes[0].name" and "built-in" in found[0][1]
    found = problems(tiny(outcomes=[LAID_OFF, LAID_OFF]))
    assert found[0][0] == "outcomes[1].name" and "twice" in found[0][1]


def test_unit_index_must_exist():
    found = problems(tiny(outcomes=[{"name": "x", "statistic": "count", "group": {"unit": [7]}}]))
    assert found[0][0] == "outcomes[0].group.unit" and "0 … 4" in found[0][1]


def test_parse_condition_round_trip():
    assert reporters.parse_condition("age >= 50") == (False, "age", ">=", 50.0)
    assert reporters.parse_condition("not active") == (True, "active", None, 0.0)
    with pytest.raises(ValueError, match="'not' goes only before a flag"):
        reporters.parse_condition("not age > 3")


# --- snapshots -----------------------------------------------------------------------
def test_snapshots_every_k_months_and_last(tmp_path):
    scn = parse_scenario(
        tiny(
            output={
                "snapshots": {
                    "every": 5,
                    "attributes": ["grievance", "laid_off"],
                    "group": {"type": ["worker", "migrant"]},
                }
            }
        )
    )
    write_run_folder(scn, tmp_path / "a", [11])
    agents = pd.read_parquet(tmp_path / "a" / "agents.parquet")
    assert sorted(agents["step"].unique()) == [0, 5, 10, 11]
    assert set(agents["type"].astype(str)) == {"worker", "migrant"}
    # workers (with their retired, docs/ODD.md 5) and migrants: every row, every snapshot
    retired_w, _ = population.urban_counts(scn)
    n = scn.population.workers + retired_w + scn.population.migrants
    assert (agents.groupby("step").size() == n).all()
    assert {"agent", "status", "unit", "village", "grievance", "laid_off"} <= set(agents.columns)
    assert agents["date"].iloc[-1] == "1993-12"
    write_run_folder(scn, tmp_path / "b", [11])
    same = (tmp_path / "b" / "agents.parquet").read_bytes()
    assert (tmp_path / "a" / "agents.parquet").read_bytes() == same


def test_snapshot_attribute_checked():
    found = problems(tiny(output={"snapshots": {"attributes": ["grief"]}}))
    assert found[0][0].startswith("output.snapshots.attributes") and "allowed" in found[0][1]


def test_no_snapshots_no_file(tmp_path):
    write_run_folder(parse_scenario(tiny()), tmp_path / "r", [1])
    assert not (tmp_path / "r" / "agents.parquet").exists()


# --- sweeps --------------------------------------------------------------------------
def test_sweep_outcomes_reach_every_run(tmp_path):
    from sim.sweep import parse_sweep, run_sweep

    data = {
        "name": "s",
        "base": tiny(end="1993-06"),
        "vary": {"params.legitimacy": [0.6, 0.9]},
        "design": {"method": "grid"},
        "outcomes": [LAID_OFF],
    }
    plan = parse_sweep(data)
    assert all(s["outcomes"][0]["name"] == "share_laid_off" for s in plan.scenarios)
    run_sweep(plan, tmp_path / "sw", workers=1)
    summary = pd.read_parquet(tmp_path / "sw" / "summary.parquet")
    assert len(summary) == 2 and summary["share_laid_off_final"].notna().all()
    data["outcomes"] = [LAID_OFF, LAID_OFF]
    with pytest.raises(ScenarioError, match="twice"):
        parse_sweep(data)


def test_sweep_snapshots_per_run_survive_damage_and_export(tmp_path):
    """A sweep's ``snapshots:`` give every run its agent rows in agents.parquet shards,
    committed with the run record: a damaged agent shard is detected and its runs run
    again, a resume keeps the others, and results.load and export read them."""
    from sim.export import export_folder
    from sim.results import load
    from sim.sweep import parse_sweep, run_sweep

    data = {
        "name": "snap",
        "base": tiny(end="1993-06"),
        "vary": {"params.legitimacy": [0.6, 0.9]},
        "design": {"method": "grid"},
        "replicates": 2,
        "snapshots": {"every": 3, "attributes": ["grievance", "laid_off"]},
    }
    plan = parse_sweep(data)
    out = tmp_path / "sw"
    run_sweep(plan, out, workers=1, batch_size=2)
    shards = sorted((out / "agents.parquet").iterdir())
    assert len(shards) == 2  # one per batch, like the time-series shards
    agents = load(out).agents()
    ref = agents.copy()
    assert sorted(agents["run_id"].unique()) == [f"run-{i:06d}" for i in range(4)]
    assert sorted(agents["step"].unique()) == [0, 3, 5]  # month 0, every 3, the last
    # each run holds each person once per snapshot month
    assert not agents.duplicated(["run_id", "step", "agent"]).any()

    shards[1].write_bytes(shards[1].read_bytes()[:50])  # a crash left half a shard
    rep = run_sweep(plan, out, workers=1, batch_size=2)
    assert rep.ok == 2 and rep.skipped == 2
    assert any("agents.parquet" in note for note in rep.repaired), rep.repaired
    pd.testing.assert_frame_equal(load(out).agents(), ref)

    paths = export_folder(out, tmp_path / "x", "stata", ["agents"])
    dta = pd.read_stata(paths[0])
    assert len(dta) == len(ref) and {"run_id", "agent", "grievance", "date"} <= set(dta)
    book = pd.read_csv(paths[-1])
    meaning = book.set_index("name")["meaning"]
    assert "grievance" in meaning["grievance"] and "person" in meaning["agent"]
