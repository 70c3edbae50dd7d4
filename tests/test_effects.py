"""``cadresim effects``: arms, common random numbers, paired effects, the folder, the CLI."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import small_scenario
from typer.testing import CliRunner

from sim.cli import app
from sim.config import ScenarioError, load_scenario
from sim.effects import FULL, Arm, arms, paired_effects, plan, run_effects
from sim.mechanisms import NAMES
from sim.outcomes import OUTCOMES, summary_columns

TINY = """\
name: tiny_effects
start: 1993-01
end: 1993-12
seed: 11
population: {cadres: 20, technicians: 20, workers: 300, migrants: 60, peasants: 100, units: 4, villages: 3}
params: {people_per_agent: 5, spinup_months: 3}
output: {events: false}
regimes:
  - {type: privatization, start: 1993-02, layoff_share: 0.75}
  - {type: repression_concession, stance: hard}
mechanisms: {grievance_memory: false}
"""
SEEDS = 3
N_SUMMARIES = sum(len(summary_columns(o)) for o in OUTCOMES)
runner = CliRunner()


@pytest.fixture(scope="module")
def tiny_file(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("effects") / "tiny.yaml"
    p.write_text(TINY)
    return p


@pytest.fixture(scope="module")
def done(tiny_file, tmp_path_factory):
    out = tmp_path_factory.mktemp("effects") / "api"
    table, report = run_effects(load_scenario(tiny_file), out, seeds=SEEDS, workers=1)
    return out, table, report


def test_arms_remove_one_regime_or_one_mechanism_each(tiny_file):
    scn = load_scenario(tiny_file)
    got = arms(scn)
    ids = [a.id for a in got]
    assert ids[0] == FULL
    assert ids[1:3] == ["regime:privatization", "regime:repression_concession"]
    assert [a.scenario["regimes"][0]["type"] for a in got[1:3]] == [
        "repression_concession",
        "privatization",
    ]
    # one arm per mechanism still on; the scenario already has grievance_memory off
    assert ids[3:] == [f"mechanism:{n}" for n in NAMES if n != "grievance_memory"]
    for a in got[3:]:
        off = [k for k, v in a.scenario["mechanisms"].items() if not v]
        assert sorted(off) == sorted(["grievance_memory", a.name])


def test_a_repeated_regime_type_is_named_by_position():
    scn = small_scenario(
        start="1957-01",
        end="1965-12",
        regimes=[
            {"type": "campaign", "kind": "anti_rightist", "start": "1957-06", "end": "1958-05"},
            {"type": "cadre_labour"},
            {"type": "campaign", "kind": "four_cleanups", "start": "1964-01"},
        ],
    )
    ids = [a.id for a in arms(scn) if a.kind == "regime"]
    assert ids == ["regime:campaign[0]", "regime:cadre_labour", "regime:campaign[2]"]


def test_every_arm_uses_the_same_seeds(tiny_file):
    sweep_plan, got = plan(load_scenario(tiny_file), SEEDS)
    assert sweep_plan.n_runs == len(got) * SEEDS
    seeds = [sweep_plan.run(i)["seed"] for i in range(sweep_plan.n_runs)]
    assert len(set(seeds)) == SEEDS
    assert seeds == seeds[:SEEDS] * len(got)


@pytest.mark.parametrize("bad", [1, 0, 10_001])
def test_seeds_out_of_bounds_are_invalid(tiny_file, tmp_path, bad):
    with pytest.raises(ScenarioError, match="--seeds"):
        plan(load_scenario(tiny_file), bad)
    out = tmp_path / "never"
    res = runner.invoke(app, ["effects", str(tiny_file), "--seeds", str(bad), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "--seeds" in res.output and not out.exists()


def test_epstein_scenarios_and_unknown_outcomes_are_invalid(tiny_file, tmp_path):
    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "never"
    res = runner.invoke(
        app, ["effects", str(root / "scenarios" / "epstein_model_i.yaml"), "--out", str(out)]
    )
    assert res.exit_code == 2 and "epstein" in res.output
    res = runner.invoke(
        app, ["effects", str(tiny_file), "--outcome", "arrests_totl", "--out", str(out)]
    )
    assert res.exit_code == 2 and "arrests_totl" in res.output and "arrests_total" in res.output
    assert not out.exists()


def test_nothing_to_switch_off_is_invalid():
    scn = small_scenario(mechanisms=dict.fromkeys(NAMES, False))
    with pytest.raises(ScenarioError, match="nothing to switch off"):
        plan(scn, 2)


def test_one_row_per_arm_and_outcome_summary(done, tiny_file):
    out, table, report = done
    n_arms = len(arms(load_scenario(tiny_file)))
    assert report.failed == 0 and report.n_runs == n_arms * SEEDS
    assert len(table) == (n_arms - 1) * N_SUMMARIES
    assert not table.duplicated(["arm", "column"]).any()
    assert set(table["column"]) == {c for o in OUTCOMES for c in summary_columns(o)}
    assert (table["n"] == SEEDS).all()
    written = pd.read_parquet(out / "effects.parquet")
    pd.testing.assert_frame_equal(written, table)
    assert (out / "effects.png").stat().st_size > 10_000
    assert "effects" in __import__("json").loads((out / "manifest.json").read_text())


def test_effects_are_paired_differences_with_t_intervals(done):
    out, table, _ = done
    summary = pd.read_parquet(out / "summary.parquet")
    full = summary[summary["arm"] == FULL].set_index("replicate").sort_index()
    arm = summary[summary["arm"] == "mechanism:arrests"].set_index("replicate").sort_index()
    assert (full["seed"] == arm["seed"]).all()  # common random numbers
    d = full["arrests_total"] - arm["arrests_total"]
    row = table[(table["arm"] == "mechanism:arrests") & (table["column"] == "arrests_total")]
    row = row.iloc[0]
    assert row["effect"] == pytest.approx(d.mean())
    assert row["se"] == pytest.approx(d.std(ddof=1) / math.sqrt(SEEDS))
    assert row["ci_high"] - row["effect"] == pytest.approx(4.302653 * row["se"], rel=1e-5)


def test_known_signs(done):
    out, table, _ = done
    eff = table.set_index(["arm", "column"])
    summary = pd.read_parquet(out / "summary.parquet")
    by_arm = {a: g.set_index("replicate").sort_index() for a, g in summary.groupby("arm")}
    # Privatization lays people off: without it there are no xiagang, in every seed.
    d = by_arm[FULL]["xiagang_mean"] - by_arm["regime:privatization"]["xiagang_mean"]
    assert (d > 0).all() and eff.loc[("regime:privatization", "xiagang_mean"), "effect"] > 0
    # Local cadres' corruption costs local legitimacy and so raises grievance (K11).
    # (the mean effect: with the city's retirees, ODD 7.6.1, the paired CI touches 0)
    assert eff.loc[("mechanism:local_corruption", "grievance_worker_mean"), "effect"] > 0
    # A mechanism that acts nowhere in this city (no campaign) changes nothing.
    quiet = table[table["arm"] == "mechanism:faction_alignment"]
    assert (quiet["effect"].fillna(0) == 0).all()


def test_paired_effects_by_hand():
    arm_list = [
        Arm(FULL, "full", "", {}),
        Arm("mechanism:arrests", "mechanism", "arrests", {}),
    ]
    cols = {c: 0.0 for o in OUTCOMES for c in summary_columns(o)}
    rows = []
    for r, (a, b) in enumerate([(3.0, 1.0), (5.0, 2.0), (4.0, 4.0), (9.0, 0.0)]):
        rows.append({"arm": FULL, "replicate": r, **cols, "arrests_total": a})
        if r < 3:  # replicate 3 of the arm failed: it drops out of the pairs
            rows.append({"arm": "mechanism:arrests", "replicate": r, **cols, "arrests_total": b})
    table = paired_effects(pd.DataFrame(rows), arm_list).set_index("column")
    row = table.loc["arrests_total"]
    d = np.array([2.0, 3.0, 0.0])
    assert row["n"] == 3 and row["effect"] == pytest.approx(d.mean())
    assert row["full_mean"] == pytest.approx(4.0) and row["without_mean"] == pytest.approx(7 / 3)
    assert row["ci_low"] < 0 < row["ci_high"]  # t with 2 df is wide
    flat = table.loc["legitimacy_mean"]
    assert flat["effect"] == 0 and flat["se"] == 0 and flat["p_value"] == 1.0


def test_cli_is_deterministic_and_resumes(done, tiny_file, tmp_path):
    api_out, _, _ = done
    out = tmp_path / "cli"
    args = ["effects", str(tiny_file), "--seeds", str(SEEDS), "--workers", "1", "--out", str(out)]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "fear_deterrence" in res.output and "common seeds" in res.output
    same = (out / "effects.parquet").read_bytes() == (api_out / "effects.parquet").read_bytes()
    assert same, "same scenario and seeds must give byte-identical effects"
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and f"{res.output}".count("already done") == 1
    assert f"({len(arms(load_scenario(tiny_file))) * SEEDS} already done" in res.output
