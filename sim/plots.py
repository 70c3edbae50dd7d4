"""Figures of outcome distributions across seeded runs, sweeps and scenario comparisons.

Every plot function takes a run or sweep folder (or a :class:`Folder` already opened) and
returns a :class:`matplotlib.figure.Figure`; nothing goes through ``pyplot``, so the
functions are safe to call from other code and never open a window. The ``plot`` command
(:func:`register`) saves them to files.

What is plotted follows what users of ensemble tools expect (EMA Workbench's envelopes,
KDE over time and feature scoring, ``../shared/sources/tool-anchors.md`` §5.3, §5.9):

- :func:`plot_distributions` — each outcome's per-run summary across replicates
  (histogram with a kernel density, or box plots side by side per design point);
- :func:`plot_envelopes` — median, 50 % and 90 % bands over calendar time, regime periods
  shaded and labelled;
- :func:`plot_compare` / :func:`plot_compare_envelopes` — two or more run folders on one figure;
- :func:`plot_sweep_scatter` — each outcome against each varied parameter with a binned
  median trend;
- :func:`plot_sensitivity` — Sobol S1/ST or Morris mu*/sigma from SALib, with confidence
  intervals (:func:`sensitivity_indices` gives the numbers);
- :func:`plot_size_distribution` — complementary CDF of protest event sizes on log–log axes.

Parquet is read selectively with :mod:`pyarrow.dataset` (only the columns a figure
needs), so ``timeseries.parquet`` may be one file (run folder) or a directory of shards
(sweep folder) and a large sweep plots without loading every time-series row.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import typer
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.config import ScenarioError
from sim.outcomes import BY_NAME, OUTCOME_NAMES, Outcome, did_you_mean

# Okabe & Ito (2008) colour-blind-safe palette, black last.
OKABE_ITO = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#F0E442",  # yellow
    "#000000",
)
DPI = 110
PANEL_W, PANEL_H = 4.3, 3.1  # inches per panel

# Outcomes plotted when none are named: the CLI's headline set.
DEFAULT_OUTCOMES = (
    "protest_events",
    "protest_participants",
    "arrests",
    "concessions",
    "legitimacy",
    "elite_cohesion",
    "factions",
    "grievance_worker",
    "employed",
    "xiagang",
    "deaths",
    "gini",
)
# Event size class lower bounds in people (sim/outcomes.py events_class_1..4).
SIZE_CLASSES = ((5, "I"), (30, "II"), (300, "III"), (1000, "IV"))

ID_COLUMNS = ("run_id", "scenario", "replicate", "seed", "point")


# --------------------------------------------------------------------------------------
# Reading folders
# --------------------------------------------------------------------------------------


@dataclass
class Folder:
    """A run or sweep folder opened for plotting: manifest and per-run summary."""

    path: Path
    kind: str  # "run" or "sweep"
    manifest: dict
    summary: pd.DataFrame
    scenario: dict = field(default_factory=dict)
    params: list[str] = field(default_factory=list)  # varied parameters (dotted paths)

    @property
    def name(self) -> str:
        return str(
            self.manifest.get("name")
            or self.scenario.get("name")
            or (self.summary["scenario"].iloc[0] if "scenario" in self.summary else "")
            or self.path.name
        )

    @property
    def n_runs(self) -> int:
        return len(self.summary)

    @property
    def label(self) -> str:
        """Scenario name and number of runs, as shown in every figure."""
        what = f"{self.n_points} design points, " if self.kind == "sweep" else ""
        return f"{self.name} — {what}{self.n_runs} run{'s' if self.n_runs != 1 else ''}"

    @property
    def n_points(self) -> int:
        return int(self.summary["point"].nunique()) if "point" in self.summary else 1

    @property
    def design(self) -> dict:
        """The design spec (``sweep.design``: method, samples, levels, second_order, ...)
        overlaid with what the sweep recorded under ``design`` (method, points, table)."""
        spec = (self.manifest.get("sweep") or {}).get("design") or {}
        done = self.manifest.get("design")
        return {**spec, **(done if isinstance(done, dict) else {})}

    @property
    def method(self) -> str | None:
        return self.design.get("method")

    def file(self, name: str) -> Path:
        return self.path / name


def open_folder(path: str | Path) -> Folder:
    """Open a run or sweep folder, raising :class:`ScenarioError` when it cannot be plotted."""
    if isinstance(path, Folder):
        return path
    path = Path(path)
    src = str(path)
    if not path.exists():
        raise ScenarioError(src, [("", "no such folder")])
    if not path.is_dir():
        raise ScenarioError(src, [("", "not a folder; give a run or sweep folder")])
    if not any(path.iterdir()):
        raise ScenarioError(src, [("", "the folder is empty; run `cadresim run` or `sweep` first")])
    if not (path / "summary.parquet").exists():
        raise ScenarioError(
            src,
            [("summary.parquet", "missing; this is not a finished run or sweep folder")],
        )
    manifest: dict = {}
    if (path / "manifest.json").exists():
        try:
            manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ScenarioError(src, [("manifest.json", f"unreadable: {e}")]) from None
    summary = _read_summary(path)
    if summary.empty:
        raise ScenarioError(src, [("summary.parquet", "holds no runs")])
    kind = manifest.get("kind") or (
        "sweep" if (path / "timeseries.parquet").is_dir() or "point" in summary else "run"
    )
    scenario = manifest.get("scenario") or manifest.get("base_scenario") or {}
    if not isinstance(scenario, dict):
        scenario = {}
    params = varied_parameters(summary, manifest) if kind == "sweep" else []
    return Folder(path, kind, manifest, summary, scenario, params)


def _read_summary(path: Path) -> pd.DataFrame:
    try:
        return ds.dataset(path / "summary.parquet", format="parquet").to_table().to_pandas()
    except Exception as e:
        raise ScenarioError(str(path), [("summary.parquet", f"unreadable: {e}")]) from None


def varied_parameters(summary: pd.DataFrame, manifest: dict | None = None) -> list[str]:
    """The sweep's varied parameters: named in the manifest's design, else dotted columns."""
    manifest = manifest or {}
    design = manifest.get("design") if isinstance(manifest.get("design"), dict) else {}
    problem = design.get("problem") or manifest.get("problem") or {}
    for names in (
        manifest.get("parameters"),
        problem.get("names"),
        design.get("parameters"),
        design.get("names"),
        list(manifest.get("vary") or {}) or None,
        list((manifest.get("sweep") or {}).get("vary") or {}) or None,
    ):
        if names:
            names = [n["name"] if isinstance(n, dict) else str(n) for n in names]
            if all(n in summary.columns for n in names):
                return names
    return [c for c in summary.columns if "." in c]


def read_columns(source: str | Path, columns: Sequence[str], filter: Any = None) -> pd.DataFrame:
    """Read only ``columns`` (and matching rows) from a Parquet file or directory of shards."""
    dataset = ds.dataset(source, format="parquet")
    have = set(dataset.schema.names)
    cols = [c for c in dict.fromkeys(columns) if c in have]
    return dataset.to_table(columns=cols, filter=filter).to_pandas()


def resolve_outcomes(outcomes: Iterable[str] | None, source: str = "--outcome") -> list[Outcome]:
    """Outcome objects for names (default: :data:`DEFAULT_OUTCOMES`); unknown names raise."""
    names = list(outcomes) if outcomes else list(DEFAULT_OUTCOMES)
    if names == ["all"]:
        names = list(OUTCOME_NAMES)
    bad = [n for n in names if n not in BY_NAME]
    if bad:
        raise ScenarioError(
            source,
            [
                (
                    n,
                    f"unknown outcome{did_you_mean(n, OUTCOME_NAMES)}; valid outcomes: "
                    f"{', '.join(OUTCOME_NAMES)} (or 'all')",
                )
                for n in bad
            ],
        )
    return [BY_NAME[n] for n in dict.fromkeys(names)]


def summary_column(outcome: Outcome, stat: str | None = None) -> str:
    """Per-run summary column: levels default to the run mean, flows to the rate per year."""
    stat = stat or ("per_year" if outcome.flow else "mean")
    allowed = ("total", "per_year") if outcome.flow else ("mean", "final")
    if stat not in allowed:
        raise ScenarioError(
            "--stat", [(outcome.name, f"{stat!r} not available; use one of {allowed}")]
        )
    return f"{outcome.name}_{stat}"


def summary_label(outcome: Outcome, stat: str | None = None) -> str:
    """Axis label with unit for a per-run summary column."""
    col = summary_column(outcome, stat)
    stat = col[len(outcome.name) + 1 :]
    return {
        "mean": f"run mean ({outcome.unit})",
        "final": f"final value ({outcome.unit})",
        "total": f"run total ({outcome.unit})",
        "per_year": f"{outcome.unit} per year",
    }[stat]


def title_of(outcome: Outcome) -> str:
    return outcome.name.replace("_", " ").capitalize()


# --------------------------------------------------------------------------------------
# Layout helpers
# --------------------------------------------------------------------------------------


def new_figure(width: float, height: float) -> Figure:
    """A constrained-layout figure whose size is a whole number of pixels at :data:`DPI`."""
    size = (round(width * DPI) / DPI, round(height * DPI) / DPI)
    return Figure(figsize=size, dpi=DPI, layout="constrained")


def _grid(n: int, ncols: int = 3, extra_top: float = 0.0) -> tuple[Figure, list, int, int]:
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig = new_figure(PANEL_W * ncols, PANEL_H * nrows + 0.7 + extra_top)
    return fig, [], nrows, ncols


def _panels(fig: Figure, n: int, nrows: int, ncols: int, top: int = 0, **kw) -> list:
    ratios = ([0.1 * top + 0.08] if top else []) + [1.0] * nrows
    gs = fig.add_gridspec(nrows + (1 if top else 0), ncols, height_ratios=ratios)
    axes = []
    first = None
    for i in range(n):
        r, c = divmod(i, ncols)
        ax = fig.add_subplot(
            gs[r + (1 if top else 0), c], sharex=first if kw.get("sharex") else None
        )
        first = first or ax
        axes.append(ax)
    return axes, gs


def _note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


def _kde(values: np.ndarray, grid: np.ndarray) -> np.ndarray | None:
    """Gaussian kernel density of ``values`` on ``grid`` with Scott's bandwidth
    (n^(-1/5) × sd, as ``scipy.stats.gaussian_kde``); None when there is no spread."""
    values = np.asarray(values, dtype=float)
    if values.size < 2 or np.ptp(values) == 0:
        return None
    bw = values.std(ddof=1) * values.size ** (-1 / 5)
    z = (grid[:, None] - values[None, :]) / bw
    return np.exp(-0.5 * z**2).sum(axis=1) / (values.size * bw * np.sqrt(2 * np.pi))


def _finite(series: pd.Series) -> np.ndarray:
    v = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return v[np.isfinite(v)]


# --------------------------------------------------------------------------------------
# Distributions of per-run summaries
# --------------------------------------------------------------------------------------


def plot_distributions(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    stat: str | None = None,
    max_points: int = 16,
) -> Figure:
    """Each outcome's per-run summary across replicates.

    A run folder (or a sweep with many design points) gets a histogram of the runs with a
    Gaussian kernel density scaled to counts and a rug of the individual runs; a sweep with
    at most ``max_points`` design points gets box plots side by side, one per point.
    """
    f = open_folder(folder)
    outs = resolve_outcomes(outcomes)
    fig, _, nrows, ncols = _grid(len(outs))
    axes, _ = _panels(fig, len(outs), nrows, ncols)
    by_point = f.kind == "sweep" and "point" in f.summary and 1 < f.n_points <= max_points
    for ax, o in zip(axes, outs, strict=True):
        col = summary_column(o, stat)
        ax.set_title(title_of(o), fontsize=10)
        if col not in f.summary:
            _note(ax, f"{col} not in summary")
            continue
        if by_point:
            _boxes_by_point(ax, f, col)
            ax.set_ylabel(summary_label(o, stat))
            continue
        v = _finite(f.summary[col])
        ax.set_xlabel(summary_label(o, stat))
        ax.set_ylabel("runs")
        if v.size == 0:
            _note(ax, "no finite values")
            continue
        if np.ptp(v) == 0:
            ax.plot(v, np.zeros_like(v), "|", color="black", ms=12, mew=1.2, label="one run")
            ax.set_yticks([])
            ax.text(
                0.5,
                0.6,
                f"no variation:\nall {v.size} runs = {v[0]:.4g}",
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="0.3",
            )
            continue
        bins = int(np.clip(np.ceil(np.sqrt(v.size)) + 2, 5, 30))
        counts, edges, _ = ax.hist(
            v, bins=bins, color=OKABE_ITO[4], edgecolor="white", label="runs (histogram)"
        )
        grid = np.linspace(edges[0] - np.ptp(v) * 0.15, edges[-1] + np.ptp(v) * 0.15, 200)
        dens = _kde(v, grid)
        if dens is not None:
            ax.plot(
                grid,
                dens * v.size * (edges[1] - edges[0]),
                color=OKABE_ITO[0],
                lw=2,
                label="kernel density",
            )
        ax.plot(v, np.zeros_like(v), "|", color="black", ms=12, mew=1.2, label="one run")
        ax.axvline(np.median(v), color=OKABE_ITO[5], ls="--", lw=1.3, label="median")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if axes and not by_point:
        _figure_legend(fig, axes)
    what = "per design point" if by_point else "across runs"
    fig.suptitle(f"Per-run outcome distributions {what}\n{f.label}", fontsize=12)
    return fig


def _point_labels(f: Folder) -> tuple[list, list[str]]:
    points = sorted(f.summary["point"].unique())
    if len(f.params) == 1:
        p = f.params[0]
        first = f.summary.groupby("point")[p].first()
        return points, [_fmt(first[k]) for k in points]
    return points, [str(k) for k in points]


def _fmt(x: Any) -> str:
    if isinstance(x, float | np.floating):
        return f"{x:.3g}"
    return str(x)


def _boxes_by_point(ax, f: Folder, col: str) -> None:
    points, labels = _point_labels(f)
    data = [_finite(f.summary.loc[f.summary["point"] == k, col]) for k in points]
    ax.boxplot(
        data,
        positions=range(len(points)),
        widths=0.6,
        patch_artist=True,
        boxprops={"facecolor": OKABE_ITO[4], "alpha": 0.6},
        medianprops={"color": OKABE_ITO[5], "lw": 1.5},
        showfliers=False,
    )
    rng = np.random.default_rng(0)  # fixed jitter so figures are reproducible
    for i, d in enumerate(data):
        ax.plot(i + rng.uniform(-0.15, 0.15, d.size), d, ".", color=OKABE_ITO[0], ms=4)
    ax.set_xticks(range(len(points)), labels, rotation=45 if len(points) > 6 else 0, fontsize=8)
    ax.set_xlabel(f.params[0] if len(f.params) == 1 else "design point")


def _figure_legend(fig: Figure, axes: list, **kw) -> None:
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in handles:
                handles[lab] = h
                labels.append(lab)
    if handles:
        fig.legend(
            [handles[k] for k in labels],
            labels,
            loc="outside lower center",
            ncols=min(len(labels), 6),
            frameon=False,
            **kw,
        )


# --------------------------------------------------------------------------------------
# Time-series envelopes
# --------------------------------------------------------------------------------------


def _month(value: Any) -> np.datetime64:
    return np.datetime64(str(value)[:7], "M")


def regime_periods(scenario: dict) -> list[tuple[str, np.datetime64, np.datetime64]]:
    """(label, first month, month after the last) for every regime in a resolved scenario."""
    out = []
    start, end = scenario.get("start"), scenario.get("end")
    for reg in scenario.get("regimes") or []:
        if not isinstance(reg, dict):
            continue
        a = reg.get("start") or start
        b = reg.get("end") or end
        if a is None or b is None:
            continue
        out.append((str(reg.get("type", "regime")), _month(a), _month(b) + np.timedelta64(1, "M")))
    return out


def envelope_table(
    f: Folder, outcomes: Sequence[Outcome], quantiles=(0.05, 0.25, 0.5, 0.75, 0.95)
) -> dict[str, pd.DataFrame]:
    """Quantiles over runs at each recorded month, per outcome: {name: DataFrame(date × q)}."""
    source = f.file("timeseries.parquet")
    if not source.exists():
        raise ScenarioError(str(f.path), [("timeseries.parquet", "missing; no time series")])
    names = [o.name for o in outcomes]
    ts = read_columns(source, ["step", "date", *names])
    if "date" in ts:
        dates = ts["date"].astype(str).str[:7]
    else:
        start = _month(f.scenario.get("start", "2000-01"))
        dates = pd.Series(start + ts["step"].to_numpy().astype("timedelta64[M]")).astype(str)
    ts["month"] = pd.to_datetime(dates.to_numpy(), format="%Y-%m")
    out = {}
    grouped = ts.groupby("month", sort=True)
    for n in names:
        if n not in ts:
            continue
        q = grouped[n].quantile(list(quantiles)).unstack()
        q["n"] = grouped[n].count()
        out[n] = q
    return out


def _shade_regimes(ax, periods, colours, label: bool) -> None:
    for (_name, a, b), c in zip(periods, colours, strict=False):
        ax.axvspan(a, b, color=c, alpha=0.10, lw=0)
        ax.axvline(a, color=c, lw=0.8, alpha=0.7)


def _timeline(ax, periods, colours) -> None:
    """A strip above the panels naming each regime over its period."""
    for i, ((name, a, b), c) in enumerate(zip(periods, colours, strict=False)):
        ax.barh(i, b - a, left=a, height=0.7, color=c, alpha=0.55)
        ax.text(
            a,
            i,
            f" {name} {str(a)}…{str(b - np.timedelta64(1, 'M'))}",
            va="center",
            ha="left",
            fontsize=7.5,
            clip_on=False,
        )
    ax.set_ylim(len(periods) - 0.4, -0.6)
    ax.set_yticks([])
    ax.tick_params(labelbottom=False)
    ax.set_title("regimes (shaded below)", fontsize=8, loc="left", color="0.3")
    for s in ("top", "right", "left"):
        ax.spines[s].set_visible(False)


def plot_envelopes(folder: str | Path | Folder, outcomes: Iterable[str] | None = None) -> Figure:
    """Median and 50 %/90 % bands over runs for each outcome against calendar months.

    Regime periods from the manifest's scenario are shaded in every panel and named in a
    timeline strip above them (a regime without start/end runs over the whole scenario).
    """
    f = open_folder(folder)
    outs = resolve_outcomes(outcomes)
    env = envelope_table(f, outs)
    periods = regime_periods(f.scenario)
    colours = [OKABE_ITO[(i + 1) % 7] for i in range(len(periods))]
    fig, _, nrows, ncols = _grid(len(outs), extra_top=0.3 * len(periods) + (0.3 if periods else 0))
    axes, gs = _panels(fig, len(outs), nrows, ncols, top=len(periods), sharex=True)
    if periods:  # one strip above each column, on that column's time axis
        for c in range(min(ncols, len(axes))):
            _timeline(fig.add_subplot(gs[0, c], sharex=axes[c]), periods, colours)
    for ax, o in zip(axes, outs, strict=True):
        ax.set_title(title_of(o), fontsize=10)
        ax.set_ylabel(o.unit + (" per month" if o.flow else ""))
        q = env.get(o.name)
        if q is None or q.empty:
            _note(ax, "not in the time series")
            continue
        x = q.index.to_numpy()
        ax.fill_between(
            x, q[0.05], q[0.95], color=OKABE_ITO[4], alpha=0.30, lw=0, label="90% of runs (5–95%)"
        )
        ax.fill_between(
            x, q[0.25], q[0.75], color=OKABE_ITO[0], alpha=0.35, lw=0, label="50% of runs (25–75%)"
        )
        ax.plot(x, q[0.5], color=OKABE_ITO[0], lw=1.6, label="median")
        _shade_regimes(ax, periods, colours, label=False)
        loc = AutoDateLocator(minticks=3, maxticks=7)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(loc))
    _figure_legend(fig, axes)
    fig.suptitle(f"Outcomes over time: median and bands across runs\n{f.label}", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------
# Scenario comparison
# --------------------------------------------------------------------------------------


def plot_compare(
    folders: Sequence[str | Path | Folder],
    outcomes: Iterable[str] | None = None,
    stat: str | None = None,
) -> Figure:
    """Per-run summaries of two or more folders side by side: box plot and runs per folder."""
    fs = [open_folder(p) for p in folders]
    if len(fs) < 2:
        raise ScenarioError("--compare", [("", "give two or more run folders to compare")])
    outs = resolve_outcomes(outcomes)
    fig, _, nrows, ncols = _grid(len(outs))
    axes, _ = _panels(fig, len(outs), nrows, ncols)
    names = _unique_names(fs)
    rng = np.random.default_rng(0)
    for ax, o in zip(axes, outs, strict=True):
        col = summary_column(o, stat)
        ax.set_title(title_of(o), fontsize=10)
        ax.set_ylabel(summary_label(o, stat))
        data = [_finite(f.summary[col]) if col in f.summary else np.array([]) for f in fs]
        bp = ax.boxplot(
            data,
            positions=range(len(fs)),
            widths=0.55,
            patch_artist=True,
            showfliers=False,
            medianprops={"color": "black"},
        )
        for i, (box, d) in enumerate(zip(bp["boxes"], data, strict=True)):
            c = OKABE_ITO[i % 7]
            box.set(facecolor=c, alpha=0.35)
            ax.plot(
                i + rng.uniform(-0.14, 0.14, d.size),
                d,
                "o",
                color=c,
                ms=3.5,
                label=f"{names[i]} ({len(fs[i].summary)} runs)",
            )
        ax.set_xticks(range(len(fs)), names, rotation=20 if len(fs) > 3 else 0, fontsize=8)
    _figure_legend(fig, axes)
    fig.suptitle(
        "Scenario comparison: per-run summaries\n"
        + " vs ".join(f"{n} ({f.n_runs} runs)" for n, f in zip(names, fs, strict=True)),
        fontsize=12,
    )
    return fig


def _unique_names(fs: Sequence[Folder]) -> list[str]:
    names = [f.name for f in fs]
    if len(set(names)) < len(names):  # same scenario twice: tell them apart by folder
        names = [f"{n} [{f.path.name}]" for n, f in zip(names, fs, strict=True)]
    return names


def plot_compare_envelopes(
    folders: Sequence[str | Path | Folder], outcomes: Iterable[str] | None = None
) -> Figure:
    """Median and 50 % band over time for two or more folders, one colour each."""
    fs = [open_folder(p) for p in folders]
    if len(fs) < 2:
        raise ScenarioError("--compare", [("", "give two or more run folders to compare")])
    outs = resolve_outcomes(outcomes)
    envs = [envelope_table(f, outs) for f in fs]
    names = _unique_names(fs)
    fig, _, nrows, ncols = _grid(len(outs))
    axes, _ = _panels(fig, len(outs), nrows, ncols, sharex=True)
    for ax, o in zip(axes, outs, strict=True):
        ax.set_title(title_of(o), fontsize=10)
        ax.set_ylabel(o.unit + (" per month" if o.flow else ""))
        for i, env in enumerate(envs):
            q = env.get(o.name)
            if q is None or q.empty:
                continue
            c = OKABE_ITO[i % 7]
            x = q.index.to_numpy()
            ax.fill_between(x, q[0.25], q[0.75], color=c, alpha=0.25, lw=0)
            ax.plot(x, q[0.5], color=c, lw=1.5, label=f"{names[i]} ({fs[i].n_runs} runs)")
        loc = AutoDateLocator(minticks=3, maxticks=7)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(loc))
    _figure_legend(fig, axes)
    fig.suptitle(
        "Scenario comparison over time: median (line) and 50% of runs (band)\n"
        + " vs ".join(names),
        fontsize=12,
    )
    return fig


# --------------------------------------------------------------------------------------
# Protest size distribution
# --------------------------------------------------------------------------------------


def ccdf(sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct sizes s and the share of events with size >= s (complementary CDF)."""
    s = np.sort(np.asarray(sizes, dtype=float))
    s = s[np.isfinite(s) & (s > 0)]
    if s.size == 0:
        return s, s
    values, first = np.unique(s, return_index=True)
    return values, 1.0 - first / s.size


def plot_size_distribution(
    folders: str | Path | Folder | Sequence[str | Path | Folder],
) -> Figure:
    """Complementary CDF P(size ≥ s) of protest event sizes, log–log, pooled over runs.

    Thin lines are single runs (up to 30 shown); size class boundaries I–IV (5, 30, 300,
    1,000 people) are marked. Reads only ``run_id`` and ``size`` from ``events.parquet``.
    """
    if isinstance(folders, str | Path | Folder):
        folders = [folders]
    fs = [open_folder(p) for p in folders]
    names = _unique_names(fs) if len(fs) > 1 else [fs[0].name]
    fig = new_figure(7.5, 5.2)
    ax = fig.add_subplot()
    any_events = False
    for i, f in enumerate(fs):
        c = OKABE_ITO[i % 7]
        path = f.file("events.parquet")
        if not path.exists():
            raise ScenarioError(
                str(f.path), [("events.parquet", "missing; this folder recorded no events")]
            )
        ev = read_columns(path, ["run_id", "size"])
        x, y = ccdf(ev["size"].to_numpy()) if len(ev) else (np.array([]), np.array([]))
        if x.size == 0:
            continue
        any_events = True
        if len(fs) == 1:
            for k, (_, g) in enumerate(ev.groupby("run_id")):
                if k >= 30:
                    break
                rx, ry = ccdf(g["size"].to_numpy())
                ax.step(
                    rx,
                    ry,
                    where="pre",
                    color=c,
                    alpha=0.25,
                    lw=0.8,
                    label="single run" if k == 0 else None,
                )
        ax.step(
            x,
            y,
            where="pre",
            color=c,
            lw=2,
            label=f"{names[i]}: all {f.n_runs} runs pooled ({len(ev):,} events)",
        )
    if not any_events:
        _note(ax, "no protest events in these runs")
    else:
        ax.set_xscale("log")
        ax.set_yscale("log")
        lo, hi = ax.get_xlim()
        for bound, cls in SIZE_CLASSES:
            if lo <= bound <= hi:
                ax.axvline(bound, color="0.5", ls=":", lw=1)
                ax.text(
                    bound,
                    0.02,
                    f"class {cls} ≥ {bound:,} ",
                    rotation=90,
                    va="bottom",
                    ha="right",
                    fontsize=8,
                    color="0.35",
                    transform=ax.get_xaxis_transform(),
                )
        ax.legend(loc="lower left", fontsize=8, frameon=False)
    ax.set_xlabel("event size s (people)")
    ax.set_ylabel("share of events with size ≥ s")
    ax.grid(True, which="major", alpha=0.3)
    title = " vs ".join(f"{n} ({f.n_runs} runs)" for n, f in zip(names, fs, strict=True))
    fig.suptitle(f"Protest event sizes: complementary CDF (log–log)\n{title}", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------
# Sweeps: outcome against each varied parameter
# --------------------------------------------------------------------------------------


def binned_median(x: np.ndarray, y: np.ndarray, bins: int | None = None) -> pd.DataFrame:
    """Median and quartiles of y in quantile bins of x (one bin per value on a grid).

    By default about 8 runs per bin, between 3 and 12 bins, so the trend is not noise.
    """
    df = pd.DataFrame({"x": x, "y": y}).dropna()
    if df.empty:
        return pd.DataFrame(columns=["x", "q25", "median", "q75"])
    if bins is None:
        bins = int(np.clip(len(df) // 8, 3, 12))
    if df["x"].nunique() <= bins:
        key = df["x"]
    else:
        key = pd.qcut(df["x"], bins, duplicates="drop")
    g = df.groupby(key, observed=True)
    return pd.DataFrame(
        {
            "x": g["x"].median(),
            "q25": g["y"].quantile(0.25),
            "median": g["y"].median(),
            "q75": g["y"].quantile(0.75),
        }
    ).reset_index(drop=True)


def plot_sweep_scatter(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    params: Sequence[str] | None = None,
    stat: str | None = None,
) -> Figure:
    """Each outcome (rows) against each varied parameter (columns): runs and a binned trend.

    Numeric parameters: one dot per run with the median (line) and interquartile range
    (band) in quantile bins of the parameter. Categorical parameters: runs jittered per
    category with the category median.
    """
    f = open_folder(folder)
    if f.kind != "sweep":
        raise ScenarioError(str(f.path), [("manifest.kind", "not a sweep folder")])
    params = list(params or f.params)
    if not params:
        raise ScenarioError(str(f.path), [("summary.parquet", "no varied parameter columns")])
    outs = resolve_outcomes(outcomes)
    nr, nc = len(outs), len(params)
    fig = new_figure(min(4.2 * nc, 18) + 0.5, 2.8 * nr + 0.9)
    gs = fig.add_gridspec(nr, nc)
    rng = np.random.default_rng(0)
    s = f.summary
    for i, o in enumerate(outs):
        col = summary_column(o, stat)
        for j, p in enumerate(params):
            ax = fig.add_subplot(gs[i, j])
            if j == 0:
                ax.set_ylabel(f"{title_of(o)}\n{summary_label(o, stat)}", fontsize=9)
            if i == nr - 1:
                ax.set_xlabel(p, fontsize=9)
            if col not in s:
                _note(ax, f"{col} not in summary")
                continue
            y = pd.to_numeric(s[col], errors="coerce").to_numpy(dtype=float)
            xs = s[p]
            if pd.api.types.is_numeric_dtype(xs) and not pd.api.types.is_bool_dtype(xs):
                x = xs.to_numpy(dtype=float)
                ax.plot(x, y, ".", color=OKABE_ITO[0], alpha=0.35, ms=4, label="one run")
                b = binned_median(x, y)
                ax.fill_between(
                    b["x"],
                    b["q25"],
                    b["q75"],
                    color=OKABE_ITO[1],
                    alpha=0.3,
                    lw=0,
                    label="interquartile range (binned)",
                )
                ax.plot(b["x"], b["median"], color=OKABE_ITO[5], lw=2, label="median (binned)")
            else:
                cats = sorted(xs.astype(str).unique())
                pos = xs.astype(str).map({c: k for k, c in enumerate(cats)}).to_numpy()
                ax.plot(
                    pos + rng.uniform(-0.15, 0.15, pos.size),
                    y,
                    ".",
                    color=OKABE_ITO[0],
                    alpha=0.35,
                    ms=4,
                    label="one run",
                )
                med = [np.nanmedian(y[pos == k]) for k in range(len(cats))]
                ax.plot(
                    range(len(cats)), med, "D-", color=OKABE_ITO[5], lw=1.5, label="median (binned)"
                )
                ax.set_xticks(range(len(cats)), cats, fontsize=8)
            ax.tick_params(labelsize=8)
    _figure_legend(fig, fig.axes)
    fig.suptitle(f"Sweep: outcomes against varied parameters\n{f.label}", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------
# Sensitivity indices (SALib)
# --------------------------------------------------------------------------------------


def design_problem(f: Folder) -> dict:
    """SALib problem (``num_vars``, ``names``, ``bounds``) of a sweep's design.

    Read from the manifest's design (``design.problem`` as SALib writes it, or
    ``design.bounds``); bounds default to the observed range of each parameter.
    """
    design = f.design
    problem = dict(design.get("problem") or f.manifest.get("problem") or {})
    names = list(problem.get("names") or f.params)
    if not names:
        raise ScenarioError(str(f.path), [("design", "no varied parameters found")])
    missing = [n for n in names if n not in f.summary]
    if missing:
        raise ScenarioError(
            str(f.path), [(n, "varied parameter has no column in summary.parquet") for n in missing]
        )
    bounds = problem.get("bounds") or design.get("bounds")
    if isinstance(bounds, dict):
        bounds = [bounds[n] for n in names]
    if not bounds:
        bounds = [
            [float(f.summary[n].min()), float(f.summary[n].max())]
            if _numeric(f.summary[n])
            else [0.0, 1.0]
            for n in names
        ]
    return {"num_vars": len(names), "names": names, "bounds": [list(map(float, b)) for b in bounds]}


def _numeric(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)


def _design_matrix(f: Folder, names: Sequence[str], col: str) -> tuple[np.ndarray, np.ndarray]:
    """Parameter values (X) and replicate-mean outcome (Y) per design point, in point order."""
    s = f.summary
    if "point" not in s:
        raise ScenarioError(str(f.path), [("summary.parquet", "no 'point' column")])
    g = s.groupby("point", sort=True)
    points = np.asarray(sorted(s["point"].unique()))
    expected = np.arange(points.min(), points.min() + points.size)
    if not np.array_equal(points, expected) or points.min() != 0:
        missing = sorted(set(range(int(points.max()) + 1)) - set(points.tolist()))
        raise ScenarioError(
            str(f.path),
            [
                (
                    "point",
                    f"design incomplete: {len(missing)} design point(s) have no finished "
                    f"run (e.g. {missing[:5]}); finish or resume the sweep first",
                )
            ],
        )
    first = g[list(names)].first()
    X = np.column_stack(
        [
            first[n].to_numpy(dtype=float) if _numeric(first[n]) else np.full(len(first), np.nan)
            for n in names
        ]
    )
    Y = g[col].mean().to_numpy(dtype=float)
    return X, Y


def sensitivity_indices(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    stat: str | None = None,
    method: str | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 200,
    seed: int = 0,
) -> pd.DataFrame:
    """Sobol S1/ST (``SALib.analyze.sobol``) or Morris mu*/sigma (``SALib.analyze.morris``).

    The outcome of a design point is its per-run summary averaged over replicates. Rows:
    one per outcome and parameter. Sobol columns ``S1, S1_conf, ST, ST_conf``; Morris
    columns ``mu, mu_star, mu_star_conf, sigma``. Confidence intervals are bootstrap
    half-widths at ``conf_level`` (fixed ``seed``, so tables are reproducible).
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    f = open_folder(folder)
    method = method or f.method
    if method not in ("sobol", "morris"):
        raise ScenarioError(
            str(f.path),
            [
                (
                    "design.method",
                    f"sensitivity indices need a sobol or morris design, got {method!r}",
                )
            ],
        )
    problem = design_problem(f)
    names, d = problem["names"], problem["num_vars"]
    rows = []
    for o in resolve_outcomes(outcomes):
        col = summary_column(o, stat)
        if col not in f.summary:
            continue
        X, Y = _design_matrix(f, names, col)
        n = Y.size
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            if method == "sobol":
                if f.design.get("saltelli") is False:
                    raise ScenarioError(
                        str(f.path),
                        [("design.saltelli", "plain Sobol' points cannot give Sobol indices")],
                    )
                second = f.design.get("calc_second_order", f.design.get("second_order"))
                if second is None:
                    second = n % (2 * d + 2) == 0
                step = 2 * d + 2 if second else d + 2
                if n % step:
                    raise ScenarioError(
                        str(f.path),
                        [
                            (
                                "design",
                                f"{n} design points is not a Saltelli sample for {d} "
                                f"parameters (a multiple of {step})",
                            )
                        ],
                    )
                if np.ptp(Y) == 0:
                    res = {k: np.full(d, np.nan) for k in ("S1", "S1_conf", "ST", "ST_conf")}
                else:
                    res = sobol_analyze.analyze(
                        problem,
                        Y,
                        calc_second_order=bool(second),
                        num_resamples=num_resamples,
                        conf_level=conf_level,
                        seed=seed,
                    )
                keys = ("S1", "S1_conf", "ST", "ST_conf")
            else:
                if n % (d + 1):
                    raise ScenarioError(
                        str(f.path),
                        [
                            (
                                "design",
                                f"{n} design points is not a set of Morris trajectories "
                                f"for {d} parameters (a multiple of {d + 1})",
                            )
                        ],
                    )
                categorical = [nm for k, nm in enumerate(names) if np.isnan(X[:, k]).any()]
                if categorical:
                    raise ScenarioError(
                        str(f.path),
                        [(nm, "Morris effects need a numeric parameter") for nm in categorical],
                    )
                levels = int(f.design.get("num_levels") or f.design.get("levels") or 4)
                res = morris_analyze.analyze(
                    problem,
                    X,
                    Y,
                    num_resamples=num_resamples,
                    conf_level=conf_level,
                    num_levels=levels,
                    seed=seed,
                )
                keys = ("mu", "mu_star", "mu_star_conf", "sigma")
        for k, nm in enumerate(names):
            rows.append(
                {
                    "outcome": o.name,
                    "summary": col,
                    "parameter": nm,
                    **{key: float(np.asarray(res[key])[k]) for key in keys},
                }
            )
    return pd.DataFrame(rows)


def plot_sensitivity(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    stat: str | None = None,
    table: pd.DataFrame | None = None,
) -> Figure:
    """Bar charts of sensitivity indices with confidence intervals, one panel per outcome.

    Sobol designs: first-order S1 and total-order ST per parameter (share of the outcome's
    variance, 0–1). Morris designs: mu* (mean absolute elementary effect, in the outcome's
    unit, with its CI) and sigma (spread of effects: interaction or non-linearity).
    """
    f = open_folder(folder)
    outs = resolve_outcomes(outcomes)
    t = table if table is not None else sensitivity_indices(f, [o.name for o in outs], stat)
    sobol = "S1" in t.columns
    fig, _, nrows, ncols = _grid(len(outs))
    axes, _ = _panels(fig, len(outs), nrows, ncols)
    for ax, o in zip(axes, outs, strict=True):
        ax.set_title(title_of(o), fontsize=10)
        sub = t[t["outcome"] == o.name]
        if sub.empty:
            _note(ax, "no index")
            continue
        x = np.arange(len(sub))
        w = 0.38
        main = sub["S1" if sobol else "mu_star"]
        if main.isna().all():
            _note(ax, "outcome does not vary\nacross design points:\nno index")
            ax.set_xticks(x, [p.split(".")[-1] for p in sub["parameter"]], fontsize=8)
            ax.set_xlim(-0.6, len(sub) - 0.4)
            ax.set_yticks([])
            continue
        if sobol:
            ax.bar(
                x - w / 2,
                sub["S1"],
                w,
                yerr=sub["S1_conf"],
                capsize=3,
                error_kw={"ecolor": "0.3", "elinewidth": 1},
                color=OKABE_ITO[0],
                label="first order S1 (95% CI)",
            )
            ax.bar(
                x + w / 2,
                sub["ST"],
                w,
                yerr=sub["ST_conf"],
                capsize=3,
                error_kw={"ecolor": "0.3", "elinewidth": 1},
                color=OKABE_ITO[1],
                label="total order ST (95% CI)",
            )
            ax.set_ylabel("share of variance")
            ax.axhline(0, color="0.3", lw=0.8)
            # Indices are shares of variance; wider CIs (small samples) are cut and flagged.
            ax.set_ylim(-0.25, 1.25)
            hi = np.maximum(sub["S1"] + sub["S1_conf"], sub["ST"] + sub["ST_conf"])
            lo = np.minimum(sub["S1"] - sub["S1_conf"], sub["ST"] - sub["ST_conf"])
            if (hi > 1.25).any() or (lo < -0.25).any():
                ax.text(
                    0.98,
                    0.97,
                    "CI cut at the axis:\ntoo few samples",
                    ha="right",
                    va="top",
                    fontsize=7.5,
                    color=OKABE_ITO[5],
                    transform=ax.transAxes,
                )
        else:
            ax.bar(
                x - w / 2,
                sub["mu_star"],
                w,
                yerr=sub["mu_star_conf"],
                capsize=3,
                error_kw={"ecolor": "0.3", "elinewidth": 1},
                color=OKABE_ITO[0],
                label="mu* mean |elementary effect| (95% CI)",
            )
            ax.bar(x + w / 2, sub["sigma"], w, color=OKABE_ITO[1], label="sigma spread of effects")
            ax.set_ylabel(summary_label(o, stat).replace("run ", "effect on run "))
        ax.set_xticks(x, [p.split(".")[-1] for p in sub["parameter"]], rotation=20, fontsize=8)
    _figure_legend(fig, axes)
    kind = "Sobol indices" if sobol else "Morris screening"
    design = f"{f.method or ''} design, {f.n_points} points"
    fig.suptitle(f"Sensitivity: {kind} ({design})\n{f.label}", fontsize=12)
    return fig


# --------------------------------------------------------------------------------------
# All figures of a folder, saving, and the CLI
# --------------------------------------------------------------------------------------


@dataclass
class FigureSpec:
    name: str
    title: str
    figure: Figure | None
    note: str = ""


def figures_for(
    folder: str | Path | Folder, outcomes: Iterable[str] | None = None
) -> list[FigureSpec]:
    """Every figure that applies to a folder (skipped ones carry a note saying why)."""
    f = open_folder(folder)
    outs = [o.name for o in resolve_outcomes(outcomes)]
    specs: list[FigureSpec] = []

    def add(name: str, title: str, fn, *args) -> None:
        try:
            specs.append(FigureSpec(name, title, fn(*args)))
        except ScenarioError as e:
            specs.append(FigureSpec(name, title, None, "; ".join(m for _, m in e.problems)))

    add("distributions", "Per-run outcome distributions", plot_distributions, f, outs)
    add("envelopes", "Outcomes over time", plot_envelopes, f, outs)
    if f.kind == "sweep":
        add("sweep_scatter", "Outcomes against varied parameters", plot_sweep_scatter, f, outs)
        if f.method in ("sobol", "morris"):
            add("sensitivity", "Sensitivity indices", plot_sensitivity, f, outs)
    if f.file("events.parquet").exists():
        add("event_sizes", "Protest event size distribution", plot_size_distribution, f)
    return specs


def compare_figures(
    folders: Sequence[str | Path | Folder], outcomes: Iterable[str] | None = None
) -> list[FigureSpec]:
    fs = [open_folder(p) for p in folders]
    outs = [o.name for o in resolve_outcomes(outcomes)]
    specs = [
        FigureSpec(
            "compare_distributions", "Comparison: per-run summaries", plot_compare(fs, outs)
        ),
        FigureSpec("compare_envelopes", "Comparison over time", plot_compare_envelopes(fs, outs)),
    ]
    if all(f.file("events.parquet").exists() for f in fs):
        specs.append(
            FigureSpec("compare_event_sizes", "Comparison: event sizes", plot_size_distribution(fs))
        )
    return specs


def save(fig: Figure, path: str | Path, fmt: str = "png") -> Path:
    """Save a figure at :data:`DPI` (pixel size = figsize × DPI, no tight cropping)."""
    path = Path(path).with_suffix(f".{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=fmt, dpi=DPI, metadata=_metadata(fmt))
    return path


def _metadata(fmt: str) -> dict:
    # Reproducible files: no software version or creation date in the output.
    if fmt == "png":
        return {"Software": None}
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None, "Producer": None}
    return {}


def register(app) -> None:
    """Add the ``plot`` command to the CLI."""
    from sim.cli import EXIT_FAILURE, err, invalid, out

    @app.command()
    def plot(
        dirs: Annotated[list[Path], typer.Argument(help="run or sweep folder(s)")],
        out_dir: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="folder for the figures (default: DIR/figures)"),
        ] = None,
        outcome: Annotated[
            list[str] | None,
            typer.Option("--outcome", help="outcome to plot (repeatable; 'all' for every one)"),
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help="png, svg or pdf")] = "png",
        compare: Annotated[
            bool, typer.Option("--compare", help="put two or more folders on one figure")
        ] = False,
    ) -> None:
        """Plot outcome distributions, envelopes, sweeps, sensitivity and event sizes."""
        try:
            if fmt not in ("png", "svg", "pdf"):
                raise ScenarioError("--format", [("", f"{fmt!r}; use png, svg or pdf")])
            resolve_outcomes(outcome)
            folders = [open_folder(d) for d in dirs]
            if compare and len(folders) < 2:
                raise ScenarioError("--compare", [("", "give two or more folders to compare")])
        except ScenarioError as e:
            raise invalid(e) from None
        try:
            jobs: list[tuple[Path, list[FigureSpec]]] = []
            if compare:
                target = out_dir or folders[0].path / "figures" / "compare"
                jobs.append((target, compare_figures(folders, outcome)))
            else:
                for f in folders:
                    target = out_dir or f.path / "figures"
                    if out_dir and len(folders) > 1:
                        target = out_dir / f.path.name
                    jobs.append((target, figures_for(f, outcome)))
            for target, specs in jobs:
                for spec in specs:
                    if spec.figure is None:
                        err.print(f"skipped {spec.name}: {spec.note}", highlight=False)
                        continue
                    p = save(spec.figure, target / spec.name, fmt)
                    out.print(f"wrote {p}", highlight=False)
        except ScenarioError as e:
            raise invalid(e) from None
        except Exception as e:  # pragma: no cover - unexpected failure while drawing
            err.print(f"[bold red]plot failed[/]: {type(e).__name__}: {e}")
            raise typer.Exit(EXIT_FAILURE) from None
