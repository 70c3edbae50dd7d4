"""Plots, sensitivity indices and the HTML report (sim/plots.py, sim/report.py)."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
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


# Three outcomes that vary across the tiny runs (arrests do not: with arrest capacity in
# whole people, docs/ODD.md 7.4, this 500-person city's few protesters are never taken).
OUTS = ["protest_events", "legitimacy", "grievance_worker"]


def _legend_inside(fig):
    """Every legend lies within the canvas (none is cut off at an edge)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()
    r = fig.canvas.get_renderer()
    box = fig.bbox
    for leg in fig.legends + [ax.get_legend() for ax in fig.axes if ax.get_legend()]:
        b = leg.get_window_extent(r)
        assert b.x0 >= box.x0 - 1 and b.x1 <= box.x1 + 1 and b.y0 >= box.y0 - 1, (b, box)


def test_run_folder_figures_render_at_expected_size(run_a, run_b, tmp_path):
    fig = plots.plot_distributions(run_a, OUTS)
    assert fig.get_size_inches()[0] == pytest.approx(3 * plots.PANEL_W, abs=0.01)
    assert_image(fig, tmp_path / "dist")
    title = fig._suptitle.get_text()
    assert "tiny_high" in title and "3 runs" in title and "?" in title  # asks its question
    assert [ax.get_title() for ax in fig.axes[:2]] == ["Protest events", "Legitimacy"]
    assert fig.axes[0].get_xlabel() == "events per year"
    assert fig.axes[1].get_xlabel() == "run mean (share)"
    _legend_inside(fig)

    env = plots.plot_envelopes(run_a, OUTS)
    assert_image(env, tmp_path / "env")
    timeline = env.axes[-1]
    assert any("privatization" in t.get_text() for t in timeline.texts)
    assert "1995-07…1996-06" in " ".join(t.get_text() for t in timeline.texts)
    # the regime strip is drawn once, above all panels
    strips = [ax for ax in env.axes if ax.get_title(loc="left").startswith("regimes")]
    assert len(strips) == 1
    _legend_inside(env)

    # the quiet city (L = 0.85) may hold no events at all; the tense one (L = 0.35) does
    sizes = plots.plot_size_distribution(run_b)
    assert_image(sizes, tmp_path / "sizes")
    ax = sizes.axes[0]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_one_outcome_keeps_its_legend_on_the_canvas(run_a):
    fig = plots.plot_envelopes(run_a, ["protest_events"])
    assert fig.get_size_inches()[0] >= 7.0
    _legend_inside(fig)


def test_outcomes_that_do_not_vary_get_no_panel(run_a, tmp_path):
    s = pd.read_parquet(run_a / "summary.parquet")
    folder = tmp_path / "flat"
    folder.mkdir()
    s["gini_mean"] = 0.3  # the same in every run
    write_table(s, folder / "summary.parquet")
    (folder / "manifest.json").write_text((run_a / "manifest.json").read_text())
    fig = plots.plot_distributions(folder, ["gini", "legitimacy"], stat="mean")
    assert [ax.get_title() for ax in fig.axes] == ["Legitimacy"]
    with pytest.raises(ScenarioError, match="nothing to draw.*gini"):
        plots.plot_distributions(folder, ["gini"], stat="mean")


def test_single_run_gets_no_empty_panels(tmp_path):
    scn = parse_scenario({**TINY, "name": "one", "seed": 2})
    write_run_folder(scn, tmp_path / "one", [2])
    specs = {s.name: s for s in plots.figures_for(tmp_path / "one", OUTS)}
    assert specs["distributions"].figure is None and "one run" in specs["distributions"].note
    env = specs["envelopes"].figure
    assert "this run" in env._suptitle.get_text()


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
    # every panel names its parameter, not only the bottom row
    assert [ax.get_xlabel() for ax in fig.axes] == ["legitimacy", "noise"] * 2
    # two outcomes share a row: a wide grid, not a tall strip
    w, h = fig.get_size_inches()
    assert w > h
    # the binned trend follows y = 5 x
    s = plots.open_folder(sobol_sweep).summary
    b = plots.binned_median(s["params.legitimacy"].to_numpy(), s["protest_events_per_year"])
    assert np.corrcoef(b["x"], b["median"])[0, 1] > 0.99
    assert (np.diff(b["median"]) > 0).all()
    # sweeps with timeseries shards in a directory get envelopes too
    assert_image(
        plots.plot_envelopes(sobol_sweep, ["protest_events", "legitimacy"]), tmp_path / "e"
    )


def test_interaction_plot_shows_the_planted_interaction(tmp_path):
    """y = 10 x under 'soft', 0 under 'hard': the soft line rises, the hard one is flat."""
    rng = np.random.default_rng(1)
    n = 120
    x = rng.uniform(0, 1, n)
    stance = np.array(["soft", "hard"] * (n // 2))
    y = np.where(stance == "soft", 10 * x, 0.0) + rng.normal(0, 0.1, n)
    names = ["params.legitimacy", "regimes.repression_concession.stance"]
    folder = tmp_path / "inter"
    folder.mkdir()
    write_table(
        pd.DataFrame(
            {
                "run_id": [f"run-{i:06d}" for i in range(n)],
                "point": np.arange(n),
                "replicate": 0,
                "seed": np.arange(n),
                names[0]: x,
                names[1]: stance,
                "protest_events_total": y,
                "protest_events_per_year": y,
            }
        ),
        folder / "summary.parquet",
    )
    write_json(
        {
            "kind": "sweep",
            "name": "inter",
            "parameters": names,
            "sweep": {"vary": {names[0]: {"low": 0, "high": 1}, names[1]: ["soft", "hard"]}},
        },
        folder / "manifest.json",
    )
    f = plots.open_folder(folder)
    assert plots.resolve_factors(f, None) == names  # numeric on x, categories as colour
    assert plots.resolve_factors(f, ["stance"]) == [names[1]]
    with pytest.raises(ScenarioError, match="did you mean"):
        plots.resolve_factors(f, ["stanse"])
    colour = plots.factor_groups(f, names[1])
    assert colour.order == ["soft", "hard"]  # as the sweep file lists them
    t = plots.interaction_table(f, "protest_events_per_year", names[0], colour)
    soft = t[t["colour"] == "soft"].sort_values("x_pos")
    hard = t[t["colour"] == "hard"].sort_values("x_pos")
    assert (np.diff(soft["mean"]) > 0).all()
    assert np.ptp(hard["mean"]) < 0.3
    assert (soft["lo"] <= soft["mean"]).all() and (soft["mean"] <= soft["hi"]).all()
    fig = plots.plot_interaction(folder, ["protest_events"])
    assert_image(fig, tmp_path / "inter")
    assert "depend on" in fig._suptitle.get_text()
    _legend_inside(fig)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["soft", "hard"]
    # a categorical x axis gets no line between categories
    fig = plots.plot_interaction(folder, ["protest_events"], by=[names[1], names[0]])
    assert not [
        ln
        for ln in fig.axes[0].get_lines()
        if len(ln.get_xdata()) > 1 and ln.get_linestyle() == "-"
    ]
    dist = plots.plot_distributions(folder, ["protest_events"], by=names)
    assert [t.get_text() for t in dist.axes[0].get_xticklabels()][0].count("–") == 1  # bins


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
    # the bootstrap intervals are seeded: the same sweep gives the same table
    again = plots.sensitivity_indices(sobol_sweep, ["protest_events"]).set_index("parameter")
    pd.testing.assert_frame_equal(t, again)
    rel = plots.index_reliability(
        plots.sensitivity_indices(sobol_sweep, ["protest_events"]), plots.open_folder(sobol_sweep)
    )
    assert rel["reliable"].all()


def test_sobol_with_too_few_samples_is_refused_with_a_reason(tmp_path):
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 2, "names": NAMES, "bounds": [[0.0, 1.0], [0.0, 1.0]]}
    X = sobol_sample.sample(problem, 4, calc_second_order=True, seed=1)
    rng = np.random.default_rng(0)
    y = rng.normal(0, 1, len(X))  # pure noise: indices with huge intervals
    folder = tmp_path / "small"
    folder.mkdir()
    write_table(
        pd.DataFrame(
            {
                "run_id": [f"run-{i:06d}" for i in range(len(X))],
                "point": np.arange(len(X)),
                "replicate": 0,
                "seed": np.arange(len(X)),
                NAMES[0]: X[:, 0],
                NAMES[1]: X[:, 1],
                "protest_events_total": y,
                "protest_events_per_year": y,
            }
        ),
        folder / "summary.parquet",
    )
    write_json(
        {
            "kind": "sweep",
            "name": "small",
            "parameters": NAMES,
            "sweep": {"design": {"method": "sobol", "samples": 4, "second_order": True}},
            "design": {"method": "sobol", "points": len(X)},
        },
        folder / "manifest.json",
    )
    specs = {s.name: s for s in plots.figures_for(folder, ["protest_events"])}
    spec = specs["sensitivity"]
    assert spec.figure is None
    assert (
        "intervals" in spec.note and "N = 4 base samples" in spec.note and "would do" in spec.note
    )
    # the numbers are still written, each row saying why it is not drawn
    table = spec.tables["sensitivity"]
    assert not table["reliable"].any() and table["reason"].str.contains("too few").all()


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
    # the indices are a table beside their figure, in CSV and Parquet alike
    csv = pd.read_csv(tmp_path / "s" / "sensitivity.csv")
    pq = pd.read_parquet(tmp_path / "s" / "sensitivity.parquet")
    assert csv["parameter"].tolist() == pq["parameter"].tolist() == NAMES
    assert csv["S1"].to_numpy() == pytest.approx(pq["S1"].to_numpy())
    assert (tmp_path / "s" / "interaction.png").exists()
    r = cli(
        "plot",
        sobol_sweep,
        "--by",
        "legitimacy",
        "--out",
        tmp_path / "b",
        "--outcome",
        "legitimacy",
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "b" / "interaction.png").exists()
    r = cli("plot", sobol_sweep, "--by", "legitimacyy")
    assert r.exit_code == 2 and "did you mean" in r.output
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


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_numbers_are_read_without_exponents(x):
    """One format in figures and the report: no 1.377e+06, three significant digits."""
    text = plots._fmt(x)
    assert "e" not in text.lower()
    assert float(text.replace(",", "")) == pytest.approx(x, rel=0.006, abs=1e-9)
