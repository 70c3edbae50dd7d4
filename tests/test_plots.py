"""Plots, sensitivity indices and the HTML report (sim/plots.py, sim/report.py)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample
from typer.testing import CliRunner

from sim import plots, report
from sim.config import ScenarioError, parse_scenario
from sim.runner import derive_seeds, write_run_folder
from sim.store import write_json, write_table

TINY = {
    "start": "1995-01",
    "end": "1996-12",
    "population": {
        "cadres": 20,
        "technicians": 40,
        "workers": 300,
        "migrants": 60,
        "peasants": 80,
        "units": 6,
        "villages": 4,
    },
    "regimes": [{"type": "privatization", "start": "1995-07", "end": "1996-06"}],
}


def _run(tmp_path_factory, name: str, legitimacy: float):
    scn = parse_scenario({**TINY, "name": name, "seed": 7, "params": {"legitimacy": legitimacy}})
    out = tmp_path_factory.mktemp(name)
    write_run_folder(scn, out, derive_seeds(7, 3))
    return out


@pytest.fixture(scope="module")
def run_a(tmp_path_factory):
    return _run(tmp_path_factory, "tiny_high", 0.85)


@pytest.fixture(scope="module")
def run_b(tmp_path_factory):
    return _run(tmp_path_factory, "tiny_low", 0.35)


NAMES = ["params.legitimacy", "params.noise"]


def make_sweep(folder, method: str, replicates: int = 1):
    """A synthetic sweep folder in the sim/sweep.py layout with a known answer:
    protest_events_per_year = 5 * params.legitimacy + small noise; params.noise has no effect."""
    problem = {"num_vars": 2, "names": NAMES, "bounds": [[0.0, 1.0], [0.0, 1.0]]}
    if method == "sobol":
        X = sobol_sample.sample(problem, 128, calc_second_order=True, seed=1)
        design = {"method": "sobol", "samples": 128, "second_order": True, "levels": None}
    else:
        X = morris_sample.sample(problem, 30, num_levels=4, seed=1)
        design = {"method": "morris", "samples": 30, "levels": 4}
    rng = np.random.default_rng(0)
    rows, ts = [], []
    for point, x in enumerate(X):
        for rep in range(replicates):
            run_id = f"run-{len(rows):06d}"
            y = 5.0 * x[0] + rng.normal(0, 0.02)
            rows.append(
                {
                    "run_id": run_id,
                    "point": point,
                    "replicate": rep,
                    "seed": 1000 + len(rows),
                    NAMES[0]: x[0],
                    NAMES[1]: x[1],
                    "protest_events_total": 2 * y,
                    "protest_events_per_year": y,
                    "legitimacy_mean": 0.9 - 0.3 * x[0] + rng.normal(0, 0.01),
                    "legitimacy_final": 0.9 - 0.3 * x[0],
                }
            )
            if point < 12:
                steps = np.arange(24)
                ts.append(
                    pd.DataFrame(
                        {
                            "run_id": run_id,
                            "step": steps.astype(np.int32),
                            "date": [f"{1995 + s // 12}-{s % 12 + 1:02d}" for s in steps],
                            "protest_events": rng.poisson(1 + 3 * x[0], 24).astype(float),
                            "legitimacy": 0.9 - 0.01 * steps * x[0],
                        }
                    )
                )
    folder.mkdir(parents=True, exist_ok=True)
    write_table(pd.DataFrame(rows), folder / "summary.parquet")
    shards = folder / "timeseries.parquet"
    shards.mkdir()
    half = len(ts) // 2
    write_table(pd.concat(ts[:half]), shards / "batch-0.parquet")
    write_table(pd.concat(ts[half:]), shards / "batch-1.parquet")
    write_json(
        {
            "kind": "sweep",
            "name": f"synthetic_{method}",
            "sweep": {"design": design, "vary": {n: {"low": 0, "high": 1} for n in NAMES}},
            "base_scenario": {"name": "tiny", **TINY},
            "parameters": NAMES,
            "design": {"method": method, "points": len(X)},
        },
        folder / "manifest.json",
    )
    return folder


@pytest.fixture(scope="module")
def sobol_sweep(tmp_path_factory):
    return make_sweep(tmp_path_factory.mktemp("sobol"), "sobol")


@pytest.fixture(scope="module")
def morris_sweep(tmp_path_factory):
    return make_sweep(tmp_path_factory.mktemp("morris"), "morris")


def assert_image(fig, path):
    """Saved at the figure's size × DPI, and not blank."""
    p = plots.save(fig, path)
    img = imread(p)
    w, h = fig.get_size_inches() * plots.DPI
    assert img.shape[:2] == (round(h), round(w))
    assert img[..., :3].std() > 0.05  # drawn content, not a blank canvas
    return img


OUTS = ["protest_events", "legitimacy", "arrests"]


def test_run_folder_figures_render_at_expected_size(run_a, run_b, tmp_path):
    fig = plots.plot_distributions(run_a, OUTS)
    assert fig.get_size_inches() == pytest.approx(
        (3 * plots.PANEL_W, plots.PANEL_H + 0.7), abs=0.01
    )
    assert_image(fig, tmp_path / "dist")
    assert "tiny_high" in fig._suptitle.get_text() and "3 runs" in fig._suptitle.get_text()
    assert [ax.get_title() for ax in fig.axes[:2]] == ["Protest events", "Legitimacy"]
    assert fig.axes[0].get_xlabel() == "events per year"
    assert fig.axes[1].get_xlabel() == "run mean (share)"

    env = plots.plot_envelopes(run_a, OUTS)
    assert_image(env, tmp_path / "env")
    timeline = env.axes[-1]
    assert any("privatization" in t.get_text() for t in timeline.texts)
    assert "1995-07…1996-06" in " ".join(t.get_text() for t in timeline.texts)

    # the quiet city (L = 0.85) may hold no events at all; the tense one (L = 0.35) does
    sizes = plots.plot_size_distribution(run_b)
    assert_image(sizes, tmp_path / "sizes")
    ax = sizes.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_envelope_quantiles_are_ordered_and_dated(run_a):
    f = plots.open_folder(run_a)
    env = plots.envelope_table(f, plots.resolve_outcomes(["legitimacy"]))["legitimacy"]
    assert len(env) == 24
    assert str(env.index[0].date()) == "1995-01-01" and env["n"].eq(3).all()
    q = env[[0.05, 0.25, 0.5, 0.75, 0.95]].to_numpy()
    assert (np.diff(q, axis=1) >= -1e-12).all()


def test_ccdf_is_share_at_least_size():
    x, y = plots.ccdf(np.array([10, 10, 20, 40, 40, 40, 80.0]))
    assert x.tolist() == [10, 20, 40, 80]
    assert y.tolist() == pytest.approx([1.0, 5 / 7, 4 / 7, 1 / 7])


def test_compare_two_scenarios(run_a, run_b, tmp_path):
    fig = plots.plot_compare([run_a, run_b], OUTS)
    assert_image(fig, tmp_path / "cmp")
    title = fig._suptitle.get_text()
    assert "tiny_high (3 runs)" in title and "tiny_low (3 runs)" in title
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["tiny_high", "tiny_low"]
    assert_image(plots.plot_compare_envelopes([run_a, run_b], OUTS), tmp_path / "cmpenv")
    assert_image(plots.plot_size_distribution([run_a, run_b]), tmp_path / "cmpsize")
    with pytest.raises(ScenarioError, match="two or more"):
        plots.plot_compare([run_a])


def test_sweep_scatter_and_trend(sobol_sweep, tmp_path):
    fig = plots.plot_sweep_scatter(sobol_sweep, ["protest_events", "legitimacy"])
    assert_image(fig, tmp_path / "scatter")
    assert len(fig.axes) == 4  # 2 outcomes × 2 parameters
    assert fig.axes[2].get_xlabel() == "params.legitimacy"
    # the binned trend follows y = 5 x
    s = plots.open_folder(sobol_sweep).summary
    b = plots.binned_median(s["params.legitimacy"].to_numpy(), s["protest_events_per_year"])
    assert np.corrcoef(b["x"], b["median"])[0, 1] > 0.99
    assert (np.diff(b["median"]) > 0).all()
    # sweeps with timeseries shards in a directory get envelopes too
    assert_image(
        plots.plot_envelopes(sobol_sweep, ["protest_events", "legitimacy"]), tmp_path / "e"
    )


def test_sobol_indices_known_answer(sobol_sweep, tmp_path):
    t = plots.sensitivity_indices(sobol_sweep, ["protest_events"]).set_index("parameter")
    assert t.loc["params.legitimacy", "S1"] > 0.9
    assert t.loc["params.legitimacy", "ST"] > 0.9
    assert abs(t.loc["params.noise", "S1"]) < 0.05
    assert abs(t.loc["params.noise", "ST"]) < 0.05
    assert (t["S1_conf"] > 0).all() and (t["S1_conf"] < 0.3).all()
    fig = plots.plot_sensitivity(sobol_sweep, ["protest_events", "legitimacy"])
    assert_image(fig, tmp_path / "sobol")
    assert "Sobol" in fig._suptitle.get_text()


def test_morris_indices_known_answer(morris_sweep, tmp_path):
    t = plots.sensitivity_indices(morris_sweep, ["protest_events"]).set_index("parameter")
    # elementary effect of legitimacy on the unit cube is dy/dx = 5
    assert t.loc["params.legitimacy", "mu_star"] == pytest.approx(5.0, rel=0.05)
    assert t.loc["params.noise", "mu_star"] < 0.2
    assert t.loc["params.legitimacy", "sigma"] < 0.5  # linear, no interaction
    fig = plots.plot_sensitivity(morris_sweep, ["protest_events"])
    assert_image(fig, tmp_path / "morris")
    assert "Morris" in fig._suptitle.get_text()


def test_incomplete_design_is_refused(sobol_sweep, tmp_path):
    s = pd.read_parquet(sobol_sweep / "summary.parquet")
    broken = tmp_path / "broken"
    broken.mkdir()
    write_table(s[s["point"] != 3], broken / "summary.parquet")
    (broken / "manifest.json").write_text((sobol_sweep / "manifest.json").read_text())
    with pytest.raises(ScenarioError, match="design incomplete"):
        plots.sensitivity_indices(broken, ["protest_events"])


def test_report_contains_every_listed_figure(run_a, sobol_sweep, tmp_path):
    for folder, n_expected in ((run_a, 3), (sobol_sweep, 4)):
        html = report.build_report(folder, ["protest_events", "legitimacy"])
        listed = re.findall(r"href='#fig-([a-z_]+)'", html)
        assert len(listed) == n_expected
        assert html.count("<img") == len(listed)
        for name in listed:
            assert re.search(rf"<figure id='fig-{name}'>.*?<img [^>]*base64,", html)
        assert "http://" not in html and "https://" not in html  # readable offline
    assert "Sensitivity indices (sobol)" in html and "params.noise" in html


# ---------------------------------------------------------------------------- CLI


@pytest.fixture(scope="module")
def cli():
    from sim.cli import app

    return lambda *args: CliRunner().invoke(app, [str(a) for a in args])


def test_cli_plot_and_report(cli, run_a, run_b, sobol_sweep, tmp_path):
    r = cli("plot", run_a, "--out", tmp_path / "f", "--outcome", "legitimacy")
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == [
        "distributions.png",
        "envelopes.png",
        "event_sizes.png",
    ]
    r = cli(
        "plot",
        run_a,
        run_b,
        "--compare",
        "--out",
        tmp_path / "c",
        "--format",
        "svg",
        "--outcome",
        "arrests",
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "c" / "compare_distributions.svg").read_text().lstrip().startswith("<?xml")
    r = cli("plot", sobol_sweep, "--out", tmp_path / "s", "--outcome", "protest_events")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "s" / "sensitivity.png").exists()
    r = cli("report", run_a, "--out", tmp_path / "r.html", "--outcome", "gini")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.html").read_text().count("<img") == 3


def test_cli_bad_input_exits_2(cli, run_a, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    for cmd in ("plot", "report"):
        r = cli(cmd, empty)
        assert r.exit_code == 2 and "empty" in r.output
    nosum = tmp_path / "nosum"
    nosum.mkdir()
    (nosum / "manifest.json").write_text(json.dumps({"kind": "run"}))
    r = cli("plot", nosum)
    assert r.exit_code == 2 and "summary.parquet" in r.output and "missing" in r.output
    r = cli("plot", run_a, "--outcome", "protests")
    assert r.exit_code == 2
    assert "unknown outcome" in r.output and "protest_events" in r.output
    assert cli("report", run_a, "--outcome", "nope").exit_code == 2
    assert cli("plot", tmp_path / "missing").exit_code == 2
    assert cli("plot", run_a, "--compare").exit_code == 2
    assert cli("plot", run_a, "--format", "bmp").exit_code == 2
