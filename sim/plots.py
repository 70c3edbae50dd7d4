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
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.dataset as ds
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


def _recorded_only(model: Any) -> float:  # pragma: no cover - never called
    raise RuntimeError("a user-defined outcome is read from the folder, not computed here")


def user_outcomes(f: Folder) -> list[Outcome]:
    """The folder's user-defined outcomes (its scenario's ``outcomes:`` section): levels
    recorded monthly under their name, summarized as ``<name>_mean`` and ``<name>_final``."""
    out = []
    for entry in f.scenario.get("outcomes") or []:
        if not isinstance(entry, dict) or not entry.get("name") or entry["name"] in BY_NAME:
            continue
        description, unit = user_outcome_text(entry)
        name = str(entry["name"])
        out.append(Outcome(name, description, unit or "value", False, _recorded_only))
    return out


def user_outcome_text(entry: dict) -> tuple[str, str]:
    """(meaning, unit) of a user-defined outcome, as its reporter describes itself."""
    try:
        from sim.reporters import Reporter

        r = Reporter.model_validate(entry)
        return f"user-defined: {r.describe()}", r.unit
    except Exception:  # older folders or another schema: say what the entry says
        what = entry.get("attribute") or entry.get("condition") or ""
        group = entry.get("group") or "everyone"
        return f"user-defined: {entry.get('statistic', '')} of {what} over {group}", ""


def outcomes_of(f: Folder, outcomes: Iterable[str] | None) -> list[Outcome]:
    """Outcomes for a folder: built-in ones and the folder's user-defined ones by name;
    by default the headline set plus every user-defined outcome."""
    users = {o.name: o for o in user_outcomes(f)}
    names = list(outcomes) if outcomes else None
    if names is None or names == ["all"]:
        return [*resolve_outcomes(names), *users.values()]
    builtin = resolve_outcomes([n for n in names if n not in users] or ["legitimacy"])
    by = {o.name: o for o in builtin}
    return [users.get(n) or by[n] for n in dict.fromkeys(names)]


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


def _suptitle(fig: Figure, text: str, fontsize: float = 12) -> None:
    """The figure's title, each line wrapped to the canvas width (never cut at the edge)."""
    import textwrap

    width = fig.get_size_inches()[0]
    chars = max(30, int(width / (0.0078 * fontsize)))  # average glyph ≈ 0.55 em
    lines = [w for line in text.split("\n") for w in textwrap.wrap(line, chars) or [""]]
    fig.suptitle("\n".join(lines), fontsize=fontsize)


def _note(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")


def _finite(series: pd.Series) -> np.ndarray:
    v = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    return v[np.isfinite(v)]


# --------------------------------------------------------------------------------------
# Factors: the design's parameters as groups
# --------------------------------------------------------------------------------------

MAX_LEVELS = 8  # a numeric parameter with at most this many values is drawn per value
BINS = 5  # otherwise it is cut into this many equal-width bins of its design range
MAX_COLOURS = 5  # a numeric colour factor with more values is cut into this many bins
FEW_RUNS = 20  # below this many runs per group, draw every run as a point


def param_label(path: str) -> str:
    """A short readable name for a dotted parameter path (``stance [repression_concession]``)."""
    parts = path.split(".")
    if parts[0] == "regimes" and len(parts) >= 3:
        return f"{'.'.join(parts[2:])} [{parts[1]}]"
    if parts[0] == "params" and len(parts) >= 2:
        return ".".join(parts[1:])
    return path


def resolve_factors(f: Folder, by: Iterable[str] | None) -> list[str]:
    """Varied parameters named by ``--by`` (a dotted path or a unique last part of one).

    Without ``--by``: the sweep's parameters when there are one or two, else none.
    """
    by = [b for b in (by or []) if b]
    if not by:
        if f.kind != "sweep" or not 1 <= len(f.params) <= 2:
            return []
        # the parameter with most values goes on the x axis, the other becomes colour
        return sorted(f.params, key=lambda p: (not _numeric(f.summary[p]), -f.summary[p].nunique()))
    if f.kind != "sweep" or not f.params:
        raise ScenarioError("--by", [("", "grouping needs a sweep folder with varied parameters")])
    if len(by) > 2:
        raise ScenarioError("--by", [("", f"give at most two factors, got {len(by)}")])
    out = []
    for b in by:
        hits = [p for p in f.params if p == b] or [
            p for p in f.params if p.split(".")[-1] == b or p.endswith("." + b)
        ]
        if len(hits) != 1:
            import difflib

            close = difflib.get_close_matches(b, f.params + [p.split(".")[-1] for p in f.params])
            why = "matches several parameters" if hits else "is not a varied parameter"
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ScenarioError("--by", [(b, f"{why} of this sweep ({', '.join(f.params)}){hint}")])
        out.append(hits[0])
    if len(set(out)) < len(out):
        raise ScenarioError("--by", [("", "give two different factors")])
    return out


@dataclass
class Groups:
    """Runs grouped by one factor: a label per run and the labels in axis order."""

    param: str
    labels: pd.Series  # per run (aligned with the summary)
    order: list[str]
    numeric: bool  # the factor is numeric
    binned: bool  # numeric values cut into bins
    centres: dict[str, float]  # numeric position of each label (bin centre or value)

    @property
    def title(self) -> str:
        return param_label(self.param) + (" (binned)" if self.binned else "")


def _category_order(f: Folder, param: str, values: Sequence[str]) -> list[str]:
    """Categories in the order the sweep file lists them (soft, mixed, hard), else sorted."""
    vary = (f.manifest.get("sweep") or {}).get("vary") or {}
    listed = vary.get(param)
    if isinstance(listed, list):
        order = [str(v) for v in listed if str(v) in set(values)]
        return order + sorted(set(values) - set(order))
    return sorted(set(values))


def factor_groups(f: Folder, param: str, max_groups: int = BINS) -> Groups:
    """Group the runs by ``param``: categories, each numeric value, or equal-width bins."""
    col = f.summary[param]
    if not _numeric(col):
        labels = col.astype(str)
        order = _category_order(f, param, labels.unique().tolist())
        return Groups(param, labels, order, False, False, {k: i for i, k in enumerate(order)})
    x = col.to_numpy(dtype=float)
    values = np.unique(x[np.isfinite(x)])
    if values.size <= min(MAX_LEVELS, max(max_groups, 2)):
        labels = col.map(_fmt).astype(str)
        order = [_fmt(v) for v in values]
        return Groups(param, labels, order, True, False, dict(zip(order, values, strict=True)))
    lo, hi = float(values.min()), float(values.max())
    spec = ((f.manifest.get("sweep") or {}).get("vary") or {}).get(param)
    if isinstance(spec, dict) and spec.get("low") is not None and spec.get("high") is not None:
        # bins of the design's own range, so labels read 0–0.1, 0.1–0.2, ...
        lo, hi = min(lo, float(spec["low"])), max(hi, float(spec["high"]))
    edges = np.linspace(lo, hi, max_groups + 1)
    k = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, max_groups - 1)
    names = [f"{_fmt(edges[i])}–{_fmt(edges[i + 1])}" for i in range(max_groups)]
    labels = pd.Series([names[i] for i in k], index=col.index)
    centres = {names[i]: 0.5 * (edges[i] + edges[i + 1]) for i in range(max_groups)}
    order = [n for n in names if (labels == n).any()]
    return Groups(param, labels, order, True, True, centres)


def varying_outcomes(
    f: Folder, outs: Sequence[Outcome], stat: str | None = None
) -> tuple[list[Outcome], list[str]]:
    """Outcomes whose per-run summary varies across runs, and a note for each that does not."""
    keep, notes = [], []
    for o in outs:
        col = summary_column(o, stat)
        v = _finite(f.summary[col]) if col in f.summary else np.array([])
        if v.size == 0:
            notes.append(f"{o.name}: no values")
        elif np.ptp(v) == 0:
            notes.append(f"{o.name}: the same in every run ({_fmt(v[0])} {o.unit})")
        else:
            keep.append(o)
    return keep, notes


def _require(outs: list[Outcome], notes: list[str], what: str) -> None:
    if not outs:
        raise ScenarioError(
            what,
            [("", "no chosen outcome varies, so there is nothing to draw: " + "; ".join(notes))],
        )


def _counts(o: Outcome) -> bool:
    """Counts (flows, people, events) get ECDFs; shares and indices get histograms."""
    return o.flow or o.unit in ("count", "agents", "people", "events", "cadres", "accidents")


def _fmt(x: Any) -> str:
    """A number as people read it: thousands separated, no exponent, 3 significant digits."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, int | float | np.integer | np.floating):
        return str(x)
    x = float(x)
    if not np.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    digits = max(0, 2 - int(math.floor(math.log10(abs(x)))))
    text = f"{x:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text  # 0.25, not 0.250


def _figure_legend(fig: Figure, axes: list, title: str | None = None, **kw) -> None:
    """One legend for the figure, below the panels, with as many columns as fit the width."""
    handles, labels = {}, []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in handles and not lab.startswith("_"):
                handles[lab] = h
                labels.append(lab)
    if not handles:
        return
    # about 0.075 in per character at 9 pt plus the marker: keep every entry on the canvas
    entry = max(len(lab) for lab in labels) * 0.075 + 0.55
    width = fig.get_size_inches()[0] - 0.3
    ncols = int(max(1, min(len(labels), width // entry)))
    fig.legend(
        [handles[k] for k in labels],
        labels,
        loc="outside lower center",
        ncols=ncols,
        frameon=False,
        fontsize=9,
        title=title,
        title_fontsize=9,
        markerscale=2,
        **kw,
    )


def _min_width(n_panels_wide: int) -> float:
    # a figure with one or two panels is still wide enough for its legend and title
    return max(PANEL_W * n_panels_wide, 7.2)


def _panel_grid(n: int, ncols: int = 3, extra: float = 0.9) -> tuple[Figure, list]:
    ncols = max(1, min(ncols, n))
    nrows = max(1, math.ceil(n / ncols))
    fig = new_figure(_min_width(ncols), PANEL_H * nrows + extra)
    gs = fig.add_gridspec(nrows, ncols)
    axes = [fig.add_subplot(gs[divmod(i, ncols)]) for i in range(n)]
    return fig, axes


# --------------------------------------------------------------------------------------
# Distributions of per-run summaries
# --------------------------------------------------------------------------------------


def plot_distributions(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    stat: str | None = None,
    by: Iterable[str] | None = None,
) -> Figure:
    """Each outcome's per-run summary, across runs or at each design value.

    Ungrouped (a run folder, or a sweep drawn without ``by``): every run as a point when
    there are fewer than :data:`FEW_RUNS`; otherwise a histogram for shares and indices and
    an empirical CDF for counts (no kernel density, which would spill below zero).
    Grouped by a factor: one box per design value (or bin of values) with every run drawn
    on it; a second factor splits each box by colour. Outcomes that do not vary are left
    out (raises when none varies, or when there is only one run to show).
    """
    f = open_folder(folder)
    factors = list(by) if by is not None else []
    factors = resolve_factors(f, factors) if factors else []
    outs, notes = varying_outcomes(f, outcomes_of(f, outcomes), stat)
    if f.n_runs < 2:
        raise ScenarioError(
            str(f.path), [("summary.parquet", "one run: no distribution across runs to draw")]
        )
    _require(outs, notes, str(f.path))
    fig, axes = _panel_grid(len(outs))
    if factors:
        g1 = factor_groups(f, factors[0])
        g2 = factor_groups(f, factors[1], MAX_COLOURS) if len(factors) > 1 else None
        for ax, o in zip(axes, outs, strict=True):
            _grouped_boxes(ax, f, summary_column(o, stat), g1, g2)
            ax.set_title(title_of(o), fontsize=10)
            ax.set_ylabel(summary_label(o, stat))
        _figure_legend(fig, axes, title=g2.title if g2 else None)
        what = param_label(factors[0]) + (f" and {param_label(factors[1])}" if g2 else "")
        _suptitle(
            fig, f"How do per-run outcomes spread at each value of {what}?\n{f.label}", fontsize=12
        )
        return fig
    for ax, o in zip(axes, outs, strict=True):
        v = _finite(f.summary[summary_column(o, stat)])
        ax.set_title(title_of(o), fontsize=10)
        ax.set_xlabel(summary_label(o, stat))
        if v.size < FEW_RUNS:
            rng = np.random.default_rng(0)  # fixed jitter: reproducible figures
            ax.plot(
                v,
                rng.uniform(-0.3, 0.3, v.size),
                "o",
                color=OKABE_ITO[0],
                ms=5,
                alpha=0.7,
                label="one run",
            )
            ax.set_ylim(-1, 1)
            ax.set_yticks([])
        elif _counts(o):
            # matplotlib's own ECDF: a step from 0 to 1, no smoothing below zero
            ax.ecdf(v, color=OKABE_ITO[0], lw=1.8, label="share of runs ≤ value (ECDF)")
            ax.set_ylim(0, 1.02)
            ax.set_ylabel("share of runs")
        else:
            bins = int(np.clip(np.ceil(np.sqrt(v.size)) + 2, 5, 30))
            ax.hist(v, bins=bins, color=OKABE_ITO[4], edgecolor="white", label="runs (histogram)")
            ax.set_ylabel("runs")
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.axvline(np.median(v), color=OKABE_ITO[5], ls="--", lw=1.3, label="median")
    _figure_legend(fig, axes)
    _suptitle(fig, f"How much do outcomes vary between seeded runs?\n{f.label}", fontsize=12)
    return fig


def _grouped_boxes(ax, f: Folder, col: str, g1: Groups, g2: Groups | None) -> None:
    """Boxes at each value of g1 (split by g2's colours), every run drawn on top."""
    y = pd.to_numeric(f.summary[col], errors="coerce").to_numpy(dtype=float)
    sub = g2.order if g2 else [None]
    width = 0.8 / len(sub)
    rng = np.random.default_rng(0)
    for j, s in enumerate(sub):
        colour = OKABE_ITO[j % 7] if g2 else OKABE_ITO[0]
        pos, data = [], []
        for i, lab in enumerate(g1.order):
            m = (g1.labels == lab).to_numpy().copy()
            if g2:
                m &= (g2.labels == s).to_numpy()
            d = y[m & np.isfinite(y)]
            if d.size:
                pos.append(i - 0.4 + width * (j + 0.5))
                data.append(d)
        if not data:
            continue
        if max(d.size for d in data) >= 5:
            ax.boxplot(
                data,
                positions=pos,
                widths=width * 0.8,
                patch_artist=True,
                manage_ticks=False,
                showfliers=False,
                boxprops={"facecolor": colour, "alpha": 0.25, "edgecolor": colour},
                medianprops={"color": colour, "lw": 2},
                whiskerprops={"color": colour},
                capprops={"color": colour},
            )
        for p, d in zip(pos, data, strict=True):
            ax.plot(
                p + rng.uniform(-0.3, 0.3, d.size) * width,
                d,
                "o",
                ms=3,
                color=colour,
                alpha=0.75,
                label=str(s) if g2 else "one run",
            )
    for i in range(1, len(g1.order)):  # thin separators: which boxes share a design value
        ax.axvline(i - 0.5, color="0.88", lw=0.8, zorder=0)
    ax.set_xticks(range(len(g1.order)), g1.order, rotation=30 if g1.binned else 0, fontsize=8)
    ax.set_xlim(-0.6, len(g1.order) - 0.4)
    ax.set_xlabel(g1.title)


# --------------------------------------------------------------------------------------
# Interaction: outcome against one factor, coloured by another
# --------------------------------------------------------------------------------------


def interaction_table(
    f: Folder, col: str, x_param: str, colour: Groups | None, bins: int = BINS
) -> pd.DataFrame:
    """Mean and 95 % interval of ``col`` per colour group and value (or bin) of ``x_param``.

    Runs are the unit: the interval is mean ± t(0.975, n−1) × sd / √n over the runs in
    the cell (replicates and design points alike), so it shows seed noise and the spread
    of the other parameters within the bin.
    """
    from scipy import stats

    gx = factor_groups(f, x_param, bins)
    y = pd.to_numeric(f.summary[col], errors="coerce")
    df = pd.DataFrame({"x": gx.labels, "c": colour.labels if colour else "all", "y": y}).dropna()
    rows = []
    for (c, x), d in df.groupby(["c", "x"], sort=False):
        n = len(d)
        sd = d["y"].std(ddof=1) if n > 1 else np.nan
        half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n) if n > 1 else np.nan
        rows.append(
            {
                "colour": c,
                "x": x,
                "x_pos": gx.centres[x] if gx.numeric else gx.order.index(x),
                "n": n,
                "mean": d["y"].mean(),
                "lo": d["y"].mean() - half,
                "hi": d["y"].mean() + half,
            }
        )
    return pd.DataFrame(rows).sort_values(["colour", "x_pos"], ignore_index=True)


def plot_interaction(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    by: Sequence[str] | None = None,
    stat: str | None = None,
) -> Figure:
    """Outcome against the first factor, one colour per value (or bin) of the second.

    Each design point's replicate mean is a small dot; the line is the mean over runs in
    each value or equal-width bin of the first factor with its 95 % interval (band).
    Parallel lines mean no interaction; diverging or crossing lines mean the first
    factor's effect depends on the second. A categorical first factor gets dodged means
    with interval bars and no line between categories.
    """
    f = open_folder(folder)
    factors = resolve_factors(f, by)
    if not factors:
        raise ScenarioError(
            str(f.path), [("--by", "an interaction plot needs a sweep and one or two factors")]
        )
    outs, notes = varying_outcomes(f, outcomes_of(f, outcomes), stat)
    _require(outs, notes, str(f.path))
    xp = factors[0]
    colour = factor_groups(f, factors[1], MAX_COLOURS) if len(factors) > 1 else None
    gx = factor_groups(f, xp)
    fig, axes = _panel_grid(len(outs))
    s = f.summary
    for ax, o in zip(axes, outs, strict=True):
        col = summary_column(o, stat)
        t = interaction_table(f, col, xp, colour)
        groups = colour.order if colour else ["all"]
        k = len(groups)
        for j, c in enumerate(groups):
            tc = t[t["colour"] == c]
            hue = OKABE_ITO[j % 7] if colour else OKABE_ITO[0]
            label = c if colour else "mean of runs (95% interval)"
            mask = (colour.labels == c).to_numpy() if colour else np.ones(len(s), bool)
            if gx.numeric:
                pts = s[mask].groupby("point" if "point" in s else "run_id")
                px = pts[xp].first().to_numpy(dtype=float)
                py = pts[col].mean().to_numpy(dtype=float)
                ax.plot(px, py, "o", ms=3, color=hue, alpha=0.45, label="_pt")
                ax.fill_between(tc["x_pos"], tc["lo"], tc["hi"], color=hue, alpha=0.18, lw=0)
                ax.plot(tc["x_pos"], tc["mean"], "-", color=hue, lw=2, label=label)
            else:
                off = (j - (k - 1) / 2) * 0.7 / max(k, 1)
                ax.errorbar(
                    tc["x_pos"] + off,
                    tc["mean"],
                    yerr=[tc["mean"] - tc["lo"], tc["hi"] - tc["mean"]],
                    fmt="o",
                    color=hue,
                    capsize=3,
                    label=label,
                )
        if not gx.numeric:
            ax.set_xticks(range(len(gx.order)), gx.order, fontsize=8)
            ax.set_xlim(-0.6, len(gx.order) - 0.4)
        ax.set_xlabel(param_label(xp))
        ax.set_title(title_of(o), fontsize=10)
        ax.set_ylabel(summary_label(o, stat))
    _figure_legend(fig, axes, title=colour.title if colour else None)
    if colour:
        q = f"Does the effect of {param_label(xp)} depend on {param_label(factors[1])}?"
        how = "line: mean of runs per bin with 95% interval; dot: one design point"
    else:
        q = f"How do outcomes change with {param_label(xp)}?"
        how = "line: mean of runs per bin with 95% interval"
    _suptitle(fig, f"{q}\n{f.label} — {how}", fontsize=11)
    return fig


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


def _read_timeseries(f: Folder, names: Sequence[str]) -> pd.DataFrame:
    source = f.file("timeseries.parquet")
    if not source.exists():
        raise ScenarioError(str(f.path), [("timeseries.parquet", "missing; no time series")])
    ts = read_columns(source, ["run_id", "step", "date", *names])
    if "date" in ts:
        dates = ts["date"].astype(str).str[:7]
    else:
        start = _month(f.scenario.get("start", "2000-01"))
        dates = pd.Series(start + ts["step"].to_numpy().astype("timedelta64[M]")).astype(str)
    ts["month"] = pd.to_datetime(dates.to_numpy(), format="%Y-%m")
    return ts


def envelope_table(
    f: Folder,
    outcomes: Sequence[Outcome],
    quantiles=(0.05, 0.25, 0.5, 0.75, 0.95),
    groups: Groups | None = None,
) -> dict[str, pd.DataFrame]:
    """Quantiles over runs at each recorded month, per outcome: {name: DataFrame(date × q)}.

    With ``groups``: {name: DataFrame indexed by (group, month)}, the quantiles over the
    runs of each group, so parameter spread is not mixed with seed noise.
    """
    names = [o.name for o in outcomes]
    ts = _read_timeseries(f, names)
    keys: list[Any] = ["month"]
    if groups is not None:
        label = dict(zip(f.summary["run_id"], groups.labels, strict=True))
        ts["group"] = ts["run_id"].map(label)
        keys = ["group", "month"]
    out = {}
    grouped = ts.groupby(keys, sort=True)
    for n in names:
        if n not in ts:
            continue
        q = grouped[n].quantile(list(quantiles)).unstack()
        q["n"] = grouped[n].count()
        out[n] = q
    return out


def _windows(periods, span) -> list:
    """Regimes that switch on or off inside the run; those active throughout are only
    named in the strip (shading every panel end to end would say nothing)."""
    a0, b0 = span
    return [p for p in periods if p[1] > a0 or p[2] < b0]


def _shade_regimes(ax, windows) -> None:
    # grey, so the colours in the panels stay those of the groups or bands
    for _name, a, b in windows:
        ax.axvspan(a, b, color="0.5", alpha=0.08, lw=0)
        for t in (a, b):
            ax.axvline(t, color="0.45", lw=0.8, ls=":")


def _timeline(ax, periods, windows, span) -> None:
    """One strip above all panels naming each regime over its period, on its own axis."""
    for i, (name, a, b) in enumerate(periods):
        inside = (name, a, b) in windows
        ax.barh(i, b - a, left=a, height=0.7, color="0.55" if inside else "0.82")
        ax.text(
            a,
            i,
            f" {name} {str(a)}…{str(b - np.timedelta64(1, 'M'))}",
            va="center",
            ha="left",
            fontsize=8,
            clip_on=False,
        )
    ax.set_xlim(*span)
    ax.set_ylim(len(periods) - 0.4, -0.6)
    ax.set_yticks([])
    loc = AutoDateLocator(minticks=4, maxticks=12)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(loc))
    ax.tick_params(labelsize=7)
    ax.set_title(
        "regimes (those switching on or off during the run are shaded grey in every panel)",
        fontsize=8,
        loc="left",
        color="0.3",
    )
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _constant_series(q: pd.DataFrame) -> bool:
    v = q[[c for c in q.columns if c != "n"]].to_numpy(dtype=float)
    v = v[np.isfinite(v)]
    return v.size == 0 or np.ptp(v) == 0


def plot_envelopes(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    by: Iterable[str] | None = None,
) -> Figure:
    """Outcomes over calendar months: median and bands over runs, per group with ``by``.

    Ungrouped: median, 50 % and 90 % of runs (a single run: its line). Grouped by the
    first factor: one colour per value or bin, median and 50 % band of that group's runs.
    Regime periods are shaded in every panel and named once in a strip above; outcomes
    that never change are left out.
    """
    f = open_folder(folder)
    factors = resolve_factors(f, by) if by else []
    groups = factor_groups(f, factors[0], MAX_COLOURS) if factors else None
    outs = outcomes_of(f, outcomes)
    env = envelope_table(f, outs, groups=groups)
    shown = [o for o in outs if o.name in env and not _constant_series(env[o.name])]
    if not shown:
        raise ScenarioError(
            str(f.path), [("timeseries.parquet", "no chosen outcome changes over time or runs")]
        )
    periods = regime_periods(f.scenario)
    any_q = next(iter(env.values()))
    months = any_q.index.get_level_values(-1)
    span = (
        np.datetime64(months.min(), "M"),
        np.datetime64(months.max(), "M") + np.timedelta64(1, "M"),
    )
    windows = _windows(periods, span)
    ncols = max(1, min(3, len(shown)))
    nrows = math.ceil(len(shown) / ncols)
    strip = 0.28 * len(periods) + 0.35 if periods else 0.0
    fig = new_figure(_min_width(ncols), PANEL_H * nrows + 1.0 + strip)
    ratios = ([strip / PANEL_H] if periods else []) + [1.0] * nrows
    gs = fig.add_gridspec(nrows + (1 if periods else 0), ncols, height_ratios=ratios)
    top = 1 if periods else 0
    axes = []
    for i in range(len(shown)):
        r, c = divmod(i, ncols)
        axes.append(fig.add_subplot(gs[r + top, c], sharex=axes[0] if axes else None))
    if periods:
        _timeline(fig.add_subplot(gs[0, :]), periods, windows, span)
    single = f.n_runs == 1
    for ax, o in zip(axes, shown, strict=True):
        ax.set_title(title_of(o), fontsize=10)
        ax.set_ylabel(o.unit + (" per month" if o.flow else ""))
        q = env[o.name]
        if groups is not None:
            for j, g in enumerate(groups.order):
                if g not in q.index.get_level_values(0):
                    continue
                qg = q.loc[g]
                x, hue = qg.index.to_numpy(), OKABE_ITO[j % 7]
                ax.fill_between(x, qg[0.25], qg[0.75], color=hue, alpha=0.2, lw=0)
                ax.plot(x, qg[0.5], color=hue, lw=1.6, label=g)
        elif single:
            ax.plot(q.index.to_numpy(), q[0.5], color=OKABE_ITO[0], lw=1.6, label="the run")
        else:
            x = q.index.to_numpy()
            ax.fill_between(
                x,
                q[0.05],
                q[0.95],
                color=OKABE_ITO[4],
                alpha=0.30,
                lw=0,
                label="90% of runs (5–95%)",
            )
            ax.fill_between(
                x,
                q[0.25],
                q[0.75],
                color=OKABE_ITO[0],
                alpha=0.35,
                lw=0,
                label="50% of runs (25–75%)",
            )
            ax.plot(x, q[0.5], color=OKABE_ITO[0], lw=1.6, label="median")
        _shade_regimes(ax, windows)
        ax.set_xlim(*span)
        loc = AutoDateLocator(minticks=3, maxticks=6)
        ax.xaxis.set_major_locator(loc)
        ax.xaxis.set_major_formatter(ConciseDateFormatter(loc))
    title = groups.title + ": median and 50% of runs" if groups else None
    _figure_legend(fig, axes, title=title)
    if groups is not None:
        q = f"When do outcomes diverge over time between values of {param_label(factors[0])}?"
    elif single:
        q = "How do outcomes evolve over time in this run?"
    else:
        q = "How do outcomes evolve over time, and how far apart are the runs?"
    _suptitle(fig, f"{q}\n{f.label}", fontsize=12)
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
    _suptitle(
        fig,
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
    _suptitle(
        fig,
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
    _suptitle(fig, f"Protest event sizes: complementary CDF (log–log)\n{title}", fontsize=12)
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


SCATTER_W, SCATTER_H = 3.5, 2.7  # inches per panel of the outcome × parameter grid
MAX_SCATTER_COLS = 6  # panels per row of that grid


def plot_sweep_scatter(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    params: Sequence[str] | None = None,
    stat: str | None = None,
) -> Figure:
    """Each outcome against each varied parameter: runs and a binned trend.

    One row per outcome (those that vary), one column per parameter, every panel labelled
    with its parameter. Numeric parameters: one dot per run with the median (line) and
    interquartile range (band) in quantile bins. Categorical parameters: runs jittered per
    category with the category median as a bar; categories are not joined by lines.
    """
    f = open_folder(folder)
    if f.kind != "sweep":
        raise ScenarioError(str(f.path), [("manifest.kind", "not a sweep folder")])
    params = list(params or f.params)
    if not params:
        raise ScenarioError(str(f.path), [("summary.parquet", "no varied parameter columns")])
    outs, notes = varying_outcomes(f, outcomes_of(f, outcomes), stat)
    _require(outs, notes, str(f.path))
    # Several outcomes share a row when there are few parameters, so a dozen outcomes
    # make a wide grid rather than a strip thousands of pixels tall.
    per_row = max(1, min(len(outs), MAX_SCATTER_COLS // len(params)))
    nr, nc = math.ceil(len(outs) / per_row), per_row * len(params)
    fig = new_figure(max(SCATTER_W * nc, 7.2), SCATTER_H * nr + 1.1)
    gs = fig.add_gridspec(nr, nc)
    rng = np.random.default_rng(0)
    s = f.summary
    for i, o in enumerate(outs):
        col = summary_column(o, stat)
        y = pd.to_numeric(s[col], errors="coerce").to_numpy(dtype=float)
        for j, p in enumerate(params):
            r, c = divmod(i, per_row)
            ax = fig.add_subplot(gs[r, c * len(params) + j])
            ax.set_title(f"{title_of(o)} vs {param_label(p)}", fontsize=9)
            ax.set_xlabel(param_label(p), fontsize=8)
            if j == 0:
                ax.set_ylabel(summary_label(o, stat), fontsize=8)
            xs = s[p]
            if _numeric(xs):
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
                cats = _category_order(f, p, xs.astype(str).unique().tolist())
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
                    range(len(cats)),
                    med,
                    "_",
                    ms=22,
                    mew=2.5,
                    color=OKABE_ITO[5],
                    ls="none",
                    label="median of the category",
                )
                ax.set_xticks(range(len(cats)), cats, fontsize=8)
                ax.set_xlim(-0.6, len(cats) - 0.4)
            ax.tick_params(labelsize=8)
    _figure_legend(fig, fig.axes)
    _suptitle(
        fig, f"How does each outcome depend on each varied parameter?\n{f.label}", fontsize=12
    )
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
    seed: int = 1,
) -> pd.DataFrame:
    """Sobol S1/ST (``SALib.analyze.sobol``) or Morris mu*/sigma (``SALib.analyze.morris``).

    The outcome of a design point is its per-run summary averaged over replicates. Rows:
    one per outcome and parameter. Sobol columns ``S1, S1_conf, ST, ST_conf``; Morris
    columns ``mu, mu_star, mu_star_conf, sigma``. Confidence intervals are bootstrap
    half-widths at ``conf_level`` (fixed ``seed``, so tables are reproducible; it must
    not be 0, which ``SALib.analyze.sobol`` treats as "no seed").
    """
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    if not seed:
        raise ValueError("seed must be a positive integer (SALib reads 0 as no seed)")

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
    for o in outcomes_of(f, outcomes):
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


MAX_SOBOL_CI = 0.25  # widest 95 % half-width (share of variance) a Sobol index is drawn with


def index_reliability(t: pd.DataFrame, f: Folder, max_ci: float = MAX_SOBOL_CI) -> pd.DataFrame:
    """Add ``reliable`` and ``reason`` per outcome to a :func:`sensitivity_indices` table.

    Sobol: every S1/ST of the outcome needs a 95 % half-width ≤ ``max_ci``; the interval
    shrinks like 1/√N, so the reason says how many base samples would do. Morris: the most
    influential parameter's mu* must be told apart from zero (mu* > its CI half-width).
    """
    t = t.copy()
    t["reliable"], t["reason"] = True, ""
    n = f.n_points
    base = f.design.get("samples")
    for _o, sub in t.groupby("outcome", sort=False):
        idx = sub.index
        if "S1" in t:
            if sub["S1"].isna().all():
                t.loc[idx, ["reliable", "reason"]] = [False, "does not vary across design points"]
                continue
            ci = float(np.nanmax(sub[["S1_conf", "ST_conf"]].to_numpy()))
            if not ci <= max_ci:
                need = (
                    f"; about N = {math.ceil(base * (ci / max_ci) ** 2)} would do" if base else ""
                )
                t.loc[idx, ["reliable", "reason"]] = [
                    False,
                    f"95% intervals up to ±{ci:.2f} (limit ±{max_ci:g}): {n} design points "
                    f"(N = {base or '?'} base samples) are too few{need}",
                ]
        else:
            top = sub.loc[sub["mu_star"].idxmax()] if sub["mu_star"].notna().any() else None
            if top is None or not top["mu_star"] > top["mu_star_conf"]:
                t.loc[idx, ["reliable", "reason"]] = [
                    False,
                    f"no parameter's mu* exceeds its 95% interval with {n} design points: "
                    "add trajectories (design.samples)",
                ]
    return t


def _refusal(t: pd.DataFrame, f: Folder) -> str:
    """One sentence on why no index is drawn (the table's ``reason`` column has each)."""
    by = t.drop_duplicates("outcome").set_index("outcome")["reason"]
    flat = [o for o, r in by.items() if r.startswith("does not vary")]
    wide = [o for o in by.index if o not in flat]
    parts = []
    if wide:
        if "S1" in t:
            sub = t[t["outcome"].isin(wide)]
            ci = sub[["S1_conf", "ST_conf"]].max(axis=1).groupby(sub["outcome"]).max()
            base = f.design.get("samples")
            need = max(math.ceil(base * (c / MAX_SOBOL_CI) ** 2) for c in ci) if base else None
            parts.append(
                f"95% intervals of {len(wide)} outcome(s) reach ±{ci.min():.2f}–±{ci.max():.2f} "
                f"(drawn up to ±{MAX_SOBOL_CI:g}) with N = {base or '?'} base samples"
                + (f"; N ≈ {need} would do for the widest" if need else "")
            )
        else:
            parts.append(f"no mu* of {len(wide)} outcome(s) exceeds its interval; add trajectories")
    if flat:
        parts.append(f"{', '.join(flat)} do(es) not vary across design points")
    return "no index drawn: " + "; ".join(parts) + " (each reason in sensitivity.csv)"


def plot_sensitivity(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    stat: str | None = None,
    table: pd.DataFrame | None = None,
) -> Figure:
    """Bar charts of sensitivity indices with 95 % intervals, one panel per outcome.

    Sobol designs: first-order S1 and total-order ST per parameter (share of the outcome's
    variance, 0–1). Morris designs: mu* (mean absolute elementary effect, in the outcome's
    unit, with its interval) and sigma (spread of effects: interaction or non-linearity).
    Outcomes whose intervals are too wide for the sample (:func:`index_reliability`) get
    no bars; when no outcome qualifies the figure is refused with the reason.
    """
    f = open_folder(folder)
    outs = outcomes_of(f, outcomes)
    t = table if table is not None else sensitivity_indices(f, [o.name for o in outs], stat)
    if "reliable" not in t:
        t = index_reliability(t, f)
    sobol = "S1" in t.columns
    drawn = [o for o in outs if t.loc[t["outcome"] == o.name, "reliable"].any()]
    if not drawn:
        raise ScenarioError(str(f.path), [("design", _refusal(t, f))])
    fig, axes = _panel_grid(len(drawn))
    for ax, o in zip(axes, drawn, strict=True):
        ax.set_title(title_of(o), fontsize=10)
        sub = t[t["outcome"] == o.name]
        x = np.arange(len(sub))
        w = 0.38
        err = {"ecolor": "0.3", "elinewidth": 1}
        if sobol:
            ax.bar(
                x - w / 2,
                sub["S1"],
                w,
                yerr=sub["S1_conf"],
                capsize=3,
                error_kw=err,
                color=OKABE_ITO[0],
                label="first order S1 (95% interval)",
            )
            ax.bar(
                x + w / 2,
                sub["ST"],
                w,
                yerr=sub["ST_conf"],
                capsize=3,
                error_kw=err,
                color=OKABE_ITO[1],
                label="total order ST (95% interval)",
            )
            ax.set_ylabel("share of variance")
            ax.axhline(0, color="0.3", lw=0.8)
            hi = np.nanmax(sub[["S1", "ST"]].to_numpy() + sub[["S1_conf", "ST_conf"]].to_numpy())
            lo = np.nanmin(sub[["S1", "ST"]].to_numpy() - sub[["S1_conf", "ST_conf"]].to_numpy())
            ax.set_ylim(min(-0.05, lo - 0.05), max(1.05, hi + 0.05))
        else:
            ax.bar(
                x - w / 2,
                sub["mu_star"],
                w,
                yerr=sub["mu_star_conf"],
                capsize=3,
                error_kw=err,
                color=OKABE_ITO[0],
                label="mu*: mean |elementary effect| (95%)",
            )
            ax.bar(x + w / 2, sub["sigma"], w, color=OKABE_ITO[1], label="sigma: spread of effects")
            ax.set_ylabel(summary_label(o, stat).replace("run ", "effect on run "))
        ax.set_xticks(x, [param_label(p) for p in sub["parameter"]], rotation=15, fontsize=8)
    _figure_legend(fig, axes)
    left_out = [o.name for o in outs if o not in drawn]
    design = f"{f.method or ''} design, {f.n_points} points"
    if sobol:
        q = "Which parameters drive the variance of each outcome? (Sobol indices)"
    else:
        q = "Which parameters matter at all? (Morris screening)"
    tail = f"; intervals too wide, not drawn: {', '.join(left_out)}" if left_out else ""
    _suptitle(fig, f"{q}\n{f.label} ({design}){tail}", fontsize=11)
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
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # written beside it


def figures_for(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    by: Iterable[str] | None = None,
) -> list[FigureSpec]:
    """Every figure that answers a question about the folder (skipped ones say why).

    A sweep with one or two varied parameters (or ``by``) gets, first, the interaction
    plot, then distributions at each design value and envelopes per group; a sweep with
    more parameters gets the outcome × parameter grid; Sobol/Morris designs add the
    sensitivity indices, whose table is attached to the spec.
    """
    f = open_folder(folder)
    outs = [o.name for o in outcomes_of(f, outcomes)]
    factors = resolve_factors(f, by)
    specs: list[FigureSpec] = []

    def add(name: str, title: str, fn, *args, **kw) -> None:
        try:
            specs.append(FigureSpec(name, title, fn(*args, **kw)))
        except ScenarioError as e:
            specs.append(FigureSpec(name, title, None, "; ".join(m for _, m in e.problems)))

    if factors:
        what = " × ".join(param_label(p) for p in factors)
        add("interaction", f"Outcomes against {what}", plot_interaction, f, outs, factors)
        add(
            "distributions",
            f"Per-run distributions by {what}",
            plot_distributions,
            f,
            outs,
            by=factors,
        )
        add(
            "envelopes",
            f"Outcomes over time by {param_label(factors[-1])}",
            plot_envelopes,
            f,
            outs,
            by=factors[-1:],
        )
    else:
        add("distributions", "Per-run outcome distributions", plot_distributions, f, outs)
        add("envelopes", "Outcomes over time", plot_envelopes, f, outs)
    if f.kind == "sweep" and (len(f.params) > 2 or not factors):
        add("sweep_scatter", "Outcomes against each varied parameter", plot_sweep_scatter, f, outs)
    if f.kind == "sweep" and f.method in ("sobol", "morris"):
        try:
            table = index_reliability(sensitivity_indices(f, outs), f)
        except ScenarioError as e:
            specs.append(
                FigureSpec(
                    "sensitivity", "Sensitivity indices", None, "; ".join(m for _, m in e.problems)
                )
            )
        else:
            add("sensitivity", "Sensitivity indices", plot_sensitivity, f, outs, table=table)
            specs[-1].tables["sensitivity"] = table
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


def write_tables(spec: FigureSpec, target: Path) -> list[Path]:
    """The spec's tables as CSV and Parquet beside its figure."""
    from sim.store import atomic_write_bytes, write_table

    paths = []
    for name, df in spec.tables.items():
        csv = target / f"{name}.csv"
        atomic_write_bytes(csv, df.to_csv(index=False).encode("utf-8"))
        write_table(df, target / f"{name}.parquet")
        paths += [csv, target / f"{name}.parquet"]
    return paths


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


def command(
    dirs: list[Path],
    by: list[str] | None,
    out_dir: Path | None,
    outcome: list[str] | None,
    fmt: str,
    compare: bool,
) -> None:
    """The body of ``cadresim plot`` (see :mod:`sim.analysis_commands`)."""
    import typer

    from sim.cli import EXIT_FAILURE, err, invalid, out

    try:
        if fmt not in ("png", "svg", "pdf"):
            raise ScenarioError("--format", [("", f"{fmt!r}; use png, svg or pdf")])
        folders = [open_folder(d) for d in dirs]
        for f in folders:
            outcomes_of(f, outcome)
        if compare and len(folders) < 2:
            raise ScenarioError("--compare", [("", "give two or more folders to compare")])
        if compare and by:
            raise ScenarioError(
                "--by", [("", "--by groups one sweep; it does not go with --compare")]
            )
        for f in folders:
            resolve_factors(f, by)
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
                jobs.append((target, figures_for(f, outcome, by)))
        for target, specs in jobs:
            for spec in specs:
                if spec.figure is None:
                    err.print(f"skipped {spec.name}: {spec.note}", highlight=False)
                else:
                    p = save(spec.figure, target / spec.name, fmt)
                    out.print(f"wrote {p}", highlight=False)
                # tables are written even when their figure is refused: they say why
                target.mkdir(parents=True, exist_ok=True)
                for t in write_tables(spec, target):
                    out.print(f"wrote {t}", highlight=False)
    except ScenarioError as e:
        raise invalid(e) from None
    except Exception as e:  # pragma: no cover - unexpected failure while drawing
        err.print(f"[bold red]plot failed[/]: {type(e).__name__}: {e}")
        raise typer.Exit(EXIT_FAILURE) from None


def register(app) -> None:
    """Add this module's command to the CLI (see :mod:`sim.analysis_commands`)."""
    from sim.analysis_commands import register_plot

    register_plot(app)
