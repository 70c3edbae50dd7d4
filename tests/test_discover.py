"""Scenario discovery through EMA Workbench's PRIM (sim/discover.py, `cadresim discover`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim import discover
from sim.config import ScenarioError
from sim.store import write_json, write_table

NAMES = ["params.legitimacy", "regimes.repression_concession.stance"]


def synthetic_sweep(folder, n=240, seed=0):
    """Protest is high exactly where legitimacy < 0.6 under a soft stance (plus noise that
    never crosses the threshold of 50), so PRIM's box has a known answer."""
    rng = np.random.default_rng(seed)
    leg = rng.uniform(0.4, 1.0, n)
    stance = rng.choice(["soft", "mixed", "hard"], n)
    high = (leg < 0.6) & (stance == "soft")
    y = np.where(high, 80.0, 20.0) + rng.normal(0, 5, n)
    summary = pd.DataFrame(
        {
            "run_id": [f"run-{i:06d}" for i in range(n)],
            "point": np.arange(n),
            "replicate": 0,
            "seed": rng.integers(0, 2**62, n),
            NAMES[0]: leg,
            NAMES[1]: stance,
            "protest_events_total": 12 * y,
            "protest_events_per_year": y,
            "legitimacy_mean": leg - 0.1,
            "legitimacy_final": leg - 0.2,
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    write_table(summary, folder / "summary.parquet")
    write_json(
        {
            "kind": "sweep",
            "name": "synthetic",
            "parameters": NAMES,
            "sweep": {
                "vary": {NAMES[0]: {"low": 0.4, "high": 1.0}, NAMES[1]: ["soft", "mixed", "hard"]}
            },
            "design": {"method": "lhs", "points": n},
        },
        folder / "manifest.json",
    )
    return folder


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    return synthetic_sweep(tmp_path_factory.mktemp("disc"))


def test_prim_finds_the_planted_box(sweep):
    d = discover.discover(sweep, "protest_events", 50, above=True)
    assert d.column == "protest_events_per_year"
    lim = d.limits.set_index("parameter")
    assert set(lim.index) == set(NAMES)
    assert lim.loc[NAMES[1], "categories"] == "soft"
    assert lim.loc[NAMES[0], "high"] == pytest.approx(0.6, abs=0.05)
    assert d.stats["density"] >= 0.8 and d.stats["coverage"] >= 0.8
    # both parameters matter and the quasi-p values say so
    assert lim["qp_high"].fillna(lim["qp_low"]).max() < 0.01 or lim["qp_low"].min() < 0.01
    assert set(d.scores["parameter"]) == set(NAMES)
    assert d.scores["score"].sum() == pytest.approx(1.0)


def test_below_reverses_the_cases_of_interest(sweep):
    above = discover.discover(sweep, "protest_events_per_year", 50, above=True)
    below = discover.discover(sweep, "protest_events_per_year", 50, above=False)
    assert (above.y == ~below.y).all()


def test_same_sweep_same_answer(sweep):
    a = discover.discover(sweep, "protest_events", 50)
    b = discover.discover(sweep, "protest_events", 50)
    pd.testing.assert_frame_equal(a.limits, b.limits)
    pd.testing.assert_frame_equal(a.scores, b.scores)


def test_threshold_outside_the_range_is_refused_with_the_range(sweep):
    with pytest.raises(ScenarioError, match=r"0 of 240 runs lie above it.*ranges"):
        discover.discover(sweep, "protest_events", 1e6)
    with pytest.raises(ScenarioError, match="did you mean"):
        discover.discover(sweep, "protest_event", 50)


def test_cli_writes_tables_and_figures(sweep, tmp_path):
    from sim.cli import app

    out = tmp_path / "d"
    r = CliRunner().invoke(
        app,
        [
            "discover",
            str(sweep),
            "--outcome",
            "protest_events",
            "--threshold",
            "50",
            "--out",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "coverage" in r.output and "soft" in r.output
    for name in ("box", "trajectory", "feature_scores"):
        assert (out / f"{name}.csv").exists() and (out / f"{name}.parquet").exists()
    for name in ("box_runs", "tradeoff", "box_limits"):
        assert (out / f"{name}.png").stat().st_size > 5000
    traj = pd.read_parquet(out / "trajectory.parquet")
    assert traj["chosen"].sum() == 1
    # coverage never rises as PRIM peels (it only removes runs)
    peel = traj["coverage"].to_numpy()
    assert (np.diff(peel[: int(traj["chosen"].to_numpy().argmax()) + 1]) <= 1e-12).all()
    r = CliRunner().invoke(
        app, ["discover", str(sweep), "--outcome", "protest_events", "--threshold", "1e9"]
    )
    assert r.exit_code == 2 and "nothing to separate" in r.output
