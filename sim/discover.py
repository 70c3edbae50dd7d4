"""Scenario discovery on a sweep: where in parameter space is an outcome high (or low)?

``cadresim discover DIR --outcome X --threshold T [--above|--below]`` marks every run
whose per-run summary of X lies beyond T as a *case of interest* and runs the Patient
Rule Induction Method (Friedman & Fisher 1999) as adapted to scenario discovery by
Bryant & Lempert (2010), through EMA Workbench's own implementation
(:class:`ema_workbench.analysis.prim.Prim`), and its extra-trees feature scores
(:func:`ema_workbench.analysis.feature_scoring.get_ex_feature_scores`). No part of PRIM is
written here: this module prepares the experiments table (one row per run, one column
per varied parameter, categories as categories) and reports what EMA finds.

PRIM peels the box of all runs along one parameter at a time, keeping the peel that raises
the share of cases of interest inside (*density*) most, and records the trajectory; each
box also has a *coverage* (share of all cases of interest it holds) and *mass* (share of
runs inside). The box reported is the one of largest coverage whose density reaches
``min_density`` (the usual choice on EMA's coverage–density trade-off), or the densest
box when none does. Quasi-p values (EMA's one-sided binomial test per restricted
dimension, Bryant & Lempert 2010) say whether each limit matters.

Written beside the sweep in ``DIR/discover/``: ``box.csv``/``.parquet`` (the limits),
``trajectory.csv``/``.parquet`` (the peeling trajectory), ``feature_scores.csv``/
``.parquet``, and the figures ``tradeoff.png`` (EMA's coverage–density plot),
``box_limits.png`` (EMA's box-limit graph) and ``box_runs.png`` (the runs in the two
most important parameters with the box drawn).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

FEATURE_SEED = 0  # extra-trees seed: the same sweep gives the same scores


@dataclass
class Discovery:
    """What PRIM found on one sweep for one outcome and threshold."""

    folder: Path
    column: str  # the summary column thresholded
    threshold: float
    above: bool
    x: pd.DataFrame  # experiments: one row per run, one column per varied parameter
    y: Any  # bool array: run of interest
    values: Any  # the summary column per run
    trajectory: pd.DataFrame
    chosen: int  # index on the trajectory
    limits: pd.DataFrame  # parameter, kind, low, high, categories, qp_low, qp_high
    scores: pd.DataFrame  # parameter, score
    box: Any = field(repr=False, default=None)  # the EMA PrimBox
    note: str = ""

    @property
    def stats(self) -> dict:
        row = self.trajectory.iloc[self.chosen]
        return {k: row[k] for k in ("coverage", "density", "mass", "res_dim", "n", "k")}

    @property
    def condition(self) -> str:
        op = ">" if self.above else "<"
        return f"{self.column} {op} {self.threshold:g}"


def _fail(folder: Any, field_name: str, message: str) -> Exception:
    from sim.config import ScenarioError

    return ScenarioError(str(folder), [(field_name, message)])


def resolve_column(summary: pd.DataFrame, outcome: str, stat: str | None = None) -> str:
    """The summary column for ``outcome`` (an outcome name or a summary column)."""
    from sim.outcomes import BY_NAME
    from sim.plots import summary_column

    if stat is None and outcome in summary.columns and outcome not in BY_NAME:
        return outcome
    if outcome in BY_NAME:
        col = summary_column(BY_NAME[outcome], stat)
        if col in summary.columns:
            return col
    elif f"{outcome}_{stat or 'mean'}" in summary.columns:  # a user-defined outcome
        return f"{outcome}_{stat or 'mean'}"
    names = [c for c in summary.columns if summary[c].dtype.kind in "fiu"]
    close = difflib.get_close_matches(outcome, list(BY_NAME) + names, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise _fail("--outcome", outcome, f"not an outcome or summary column of this folder{hint}")


def experiments(summary: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """The experiments table EMA expects: numeric parameters as float/int, others as
    categories (PRIM peels categories by dropping them from the box)."""
    import pandas as pd

    x = pd.DataFrame(index=range(len(summary)))
    for p in params:
        col = summary[p].reset_index(drop=True)
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            x[p] = pd.Categorical(col.astype(str))
        elif pd.api.types.is_integer_dtype(col):
            x[p] = col.astype("int64")
        else:
            x[p] = col.astype("float64")
    return x


def discover(
    folder: str | Path,
    outcome: str,
    threshold: float,
    above: bool = True,
    stat: str | None = None,
    min_density: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
) -> Discovery:
    """Run EMA Workbench's PRIM and feature scoring on a sweep folder."""
    import logging
    import warnings

    import numpy as np
    import pandas as pd

    from sim.plots import open_folder

    f = open_folder(folder)
    if f.kind != "sweep" or not f.params:
        raise _fail(f.path, "manifest.kind", "scenario discovery needs a sweep folder")
    col = resolve_column(f.summary, outcome, stat)
    values = pd.to_numeric(f.summary[col], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(values)
    if ok.sum() < 10:
        raise _fail(f.path, col, f"{int(ok.sum())} runs with a value; PRIM needs at least 10")
    summary = f.summary.loc[ok].reset_index(drop=True)
    values = values[ok]
    y = values > threshold if above else values < threshold
    lo, med, hi = np.min(values), np.median(values), np.max(values)
    if y.all() or not y.any():
        side = "above" if above else "below"
        raise _fail(
            "--threshold",
            f"{threshold:g}",
            f"{int(y.sum())} of {y.size} runs lie {side} it, so there is nothing to "
            f"separate; {col} ranges {lo:.4g} … {hi:.4g} (median {med:.4g})",
        )
    x = experiments(summary, f.params)
    varying = [p for p in f.params if x[p].nunique() > 1]
    if not varying:
        raise _fail(f.path, "parameters", "no varied parameter takes more than one value")
    x = x[varying]

    # EMA logs and warns (pandas future warnings) at import and while peeling.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import feature_scoring, prim
        from ema_workbench.analysis.scenario_discovery_util import RuleInductionType

        logging.getLogger("EMA").setLevel(logging.WARNING)
        alg = prim.Prim(x, y, peel_alpha=peel_alpha, paste_alpha=paste_alpha, mass_min=mass_min)
        box = alg.find_box()
        traj = box.peeling_trajectory.reset_index(drop=True)
        dense = traj[traj["density"] >= min_density]
        note = ""
        if dense.empty:
            chosen = int(traj["density"].idxmax())
            note = (
                f"no box reaches density {min_density:g}; showing the densest "
                f"({traj.loc[chosen, 'density']:.2f})"
            )
        else:
            best = dense.sort_values(["coverage", "res_dim", "id"], ascending=[False, True, True])
            chosen = int(best.index[0])
        box.select(chosen)
        # box.inspect(style="data") trips over categorical limits under pandas 3, so
        # the limits are read from the box's own box_lims and quasi-p values.
        restricted = _restricted(box.box_lims[chosen], alg.box_init)
        scores, _ = feature_scoring.get_ex_feature_scores(
            x, y, mode=RuleInductionType.CLASSIFICATION, random_state=FEATURE_SEED
        )
    limits = _limits_table(x, box.box_lims[chosen], restricted, box.p_values[chosen])
    scores = scores.reset_index()
    scores.columns = ["parameter", "score"]
    return Discovery(
        f.path, col, threshold, above, x, y, values, traj, chosen, limits, scores, box, note
    )


def _restricted(box_lim: pd.DataFrame, box_init: pd.DataFrame) -> list[str]:
    """Parameters whose limits in the box differ from the initial box (all runs)."""
    out = []
    for p in box_init.columns:
        a, b = box_lim[p], box_init[p]
        if isinstance(b.iloc[0], set):
            if set(a.iloc[0]) != set(b.iloc[0]):
                out.append(p)
        elif float(a.iloc[0]) != float(b.iloc[0]) or float(a.iloc[1]) != float(b.iloc[1]):
            out.append(p)
    return out


def _limits_table(
    x: pd.DataFrame, box_lim: pd.DataFrame, restricted: list[str], p_values: dict
) -> pd.DataFrame:
    """One row per restricted parameter: its limits (or kept categories) and quasi-p values
    (EMA's one-sided binomial test of the lower and upper limit; -1 = not restricted)."""
    import numpy as np
    import pandas as pd

    rows = []
    for p in restricted:
        qp = [np.nan if v is None or v < 0 else float(v) for v in p_values.get(p, [-1, -1])]
        row: dict[str, Any] = {"parameter": p}
        if isinstance(x[p].dtype, pd.CategoricalDtype):
            kept = sorted(map(str, box_lim[p].iloc[0]))
            dropped = sorted(set(map(str, x[p].cat.categories)) - set(kept))
            row.update(kind="categorical", low=np.nan, high=np.nan, range="")
            row.update(categories=", ".join(kept), dropped=", ".join(dropped))
        else:
            row.update(
                kind="numeric",
                low=float(box_lim[p].iloc[0]),
                high=float(box_lim[p].iloc[1]),
                range=f"{float(x[p].min()):.4g} … {float(x[p].max()):.4g}",
                categories="",
                dropped="",
            )
        row.update(qp_low=qp[0], qp_high=qp[-1])
        rows.append(row)
    cols = ["parameter", "kind", "low", "high", "range", "categories", "dropped"]
    return pd.DataFrame(rows, columns=[*cols, "qp_low", "qp_high"])


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------


def plot_box_runs(d: Discovery) -> Figure:
    """The runs in the two most important parameters, cases of interest marked, the box
    drawn: where in the design the outcome crosses the threshold."""
    import numpy as np
    import pandas as pd

    from sim.plots import OKABE_ITO, new_figure

    order = [p for p in d.scores["parameter"] if p in d.x.columns]
    dims = order[:2]
    fig = new_figure(7.6, 5.4)
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)  # fixed jitter: reproducible figures

    def coords(p: str) -> tuple[np.ndarray, list[str] | None]:
        col = d.x[p]
        if isinstance(col.dtype, pd.CategoricalDtype):
            cats = [str(c) for c in col.cat.categories]
            return col.cat.codes.to_numpy() + rng.uniform(-0.18, 0.18, len(col)), cats
        return col.to_numpy(dtype=float), None

    xs, xcats = coords(dims[0])
    if len(dims) > 1:
        ys, ycats = coords(dims[1])
    else:
        ys, ycats = d.values, None
    yes = np.asarray(d.y, dtype=bool)
    ax.scatter(xs[~yes], ys[~yes], s=18, color="0.65", label="other runs", zorder=2)
    ax.scatter(
        xs[yes], ys[yes], s=22, color=OKABE_ITO[5], label=f"runs with {d.condition}", zorder=3
    )

    def span(p: str, cats: list[str] | None, values: np.ndarray) -> list[tuple[float, float]]:
        row = d.limits[d.limits["parameter"] == p]
        if row.empty:  # not restricted: the box spans the whole axis
            return [(float(np.min(values)), float(np.max(values)))]
        r = row.iloc[0]
        if cats is None:
            return [(r["low"], r["high"])]
        kept = [c.strip() for c in str(r["categories"]).split(",")]
        return [(cats.index(c) - 0.4, cats.index(c) + 0.4) for c in kept if c in cats]

    from matplotlib.patches import Rectangle

    xspans = span(dims[0], xcats, xs)
    yspans = span(dims[1], ycats, ys) if len(dims) > 1 else [(np.nan, np.nan)]
    first = True
    for x0, x1 in xspans:
        for y0, y1 in yspans:
            if len(dims) == 1:
                ax.axvspan(x0, x1, color=OKABE_ITO[0], alpha=0.12, label="PRIM box")
                continue
            ax.add_patch(
                Rectangle(
                    (x0, y0),
                    x1 - x0,
                    y1 - y0,
                    fill=False,
                    lw=2,
                    ec=OKABE_ITO[0],
                    label="PRIM box" if first else None,
                    zorder=4,
                )
            )
            first = False
    if xcats:
        ax.set_xticks(range(len(xcats)), xcats)
    if ycats:
        ax.set_yticks(range(len(ycats)), ycats)
    ax.set_xlabel(dims[0])
    ax.set_ylabel(dims[1] if len(dims) > 1 else d.column)
    if len(dims) == 1:
        ax.axhline(d.threshold, color="0.3", ls="--", lw=1, label="threshold")
    ax.legend(loc="best", fontsize=8, framealpha=0.9)
    s = d.stats
    fig.suptitle(
        f"Where in the design is {d.condition}?\n"
        f"PRIM box: coverage {s['coverage']:.2f}, density {s['density']:.2f}, "
        f"{int(s['n'])} of {len(d.y)} runs",
        fontsize=11,
    )
    return fig


def ema_figures(d: Discovery) -> dict[str, Any]:
    """EMA Workbench's own trade-off and box-limit figures (pyplot figures)."""
    import warnings

    import matplotlib.pyplot as plt

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tradeoff = d.box.show_tradeoff(annotated=True)
        ax = tradeoff.axes[0]
        row = d.trajectory.iloc[d.chosen]
        ax.scatter([row["coverage"]], [row["density"]], s=160, facecolors="none", edgecolors="red")
        ax.set_title(f"Coverage–density trade-off ({d.condition}); circled: box {d.chosen}")
        limits = d.box.inspect(d.chosen, style="graph")[0]
        if isinstance(limits, plt.Axes):
            limits = limits.figure
    for fig in (tradeoff, limits):
        fig.set_size_inches(9, 5.5)
        fig.set_dpi(110)
    # EMA leaves 10 % on the left for the parameter names; dotted paths need more
    limits.subplots_adjust(left=0.4, right=0.8, top=0.85)
    limits.suptitle(
        f"Which parameter limits make {d.condition}? Box {d.chosen} of the peeling "
        "trajectory\n(EMA Workbench; quasi-p value of each limit in brackets)",
        fontsize=10,
    )
    return {"tradeoff": tradeoff, "box_limits": limits}


# --------------------------------------------------------------------------------------
# Writing and the command
# --------------------------------------------------------------------------------------


def write(d: Discovery, out_dir: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    from sim.plots import save
    from sim.store import atomic_write_bytes, write_table

    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    traj = d.trajectory.copy()
    traj["chosen"] = traj.index == d.chosen
    for name, df in (("box", d.limits), ("trajectory", traj), ("feature_scores", d.scores)):
        atomic_write_bytes(out_dir / f"{name}.csv", df.to_csv(index=False).encode("utf-8"))
        write_table(df, out_dir / f"{name}.parquet")
        paths += [out_dir / f"{name}.csv", out_dir / f"{name}.parquet"]
    paths.append(save(plot_box_runs(d), out_dir / "box_runs"))
    for name, fig in ema_figures(d).items():
        paths.append(save(fig, out_dir / name))
        plt.close(fig)
    return paths


def print_discovery(d: Discovery, console: Any) -> None:
    from rich.table import Table

    s = d.stats
    console.print(
        f"[bold]PRIM[/] on {d.folder}: {int(d.y.sum())} of {len(d.y)} runs have {d.condition}"
    )
    console.print(
        f"box {d.chosen} of {len(d.trajectory)} on the peeling trajectory: coverage "
        f"{s['coverage']:.2f}, density {s['density']:.2f}, mass {s['mass']:.2f}, "
        f"{int(s['res_dim'])} restricted parameter(s), {int(s['n'])} runs inside",
        highlight=False,
    )
    if d.note:
        console.print(f"[yellow]note[/]: {d.note}")
    t = Table(title="box limits (quasi-p: chance the limit arose at random)")
    for c in ("parameter", "in the box", "all runs", "qp low", "qp high"):
        left = c in ("parameter", "in the box", "all runs")
        t.add_column(c, justify="left" if left else "right", overflow="fold")
    for _, r in d.limits.iterrows():
        if r["kind"] == "categorical":
            inside, full = r["categories"], f"{r['categories']}, {r['dropped']}".strip(", ")
        else:
            inside, full = f"{r['low']:.4g} … {r['high']:.4g}", r["range"]
        t.add_row(r["parameter"], inside, full, _qp(r["qp_low"]), _qp(r["qp_high"]))
    if d.limits.empty:
        t.add_row("(none)", "the box is the whole design", "", "", "")
    console.print(t)
    fs = Table(title="feature scores (extra trees, share of importance)")
    fs.add_column("parameter")
    fs.add_column("score", justify="right")
    for _, r in d.scores.iterrows():
        fs.add_row(r["parameter"], f"{r['score']:.3f}")
    console.print(fs)


def _qp(v: float) -> str:
    import math

    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.2g}"


def command(
    folder: Path,
    outcome: str,
    threshold: float,
    above: bool,
    stat: str | None,
    min_density: float,
    peel_alpha: float,
    mass_min: float,
    out_dir: Path | None,
) -> None:
    """The body of ``cadresim discover`` (see :mod:`sim.analysis_commands`)."""
    import matplotlib
    import typer

    from sim.cli import EXIT_FAILURE, err, invalid, out
    from sim.config import ScenarioError

    matplotlib.use("Agg")  # the CLI never opens a window
    try:
        d = discover(
            folder, outcome, threshold, above, stat, min_density, peel_alpha, mass_min=mass_min
        )
    except ScenarioError as e:
        raise invalid(e) from None
    try:
        print_discovery(d, out)
        for p in write(d, out_dir or d.folder / "discover"):
            out.print(f"wrote {p}", highlight=False)
    except Exception as e:  # pragma: no cover - unexpected failure while writing
        err.print(f"[bold red]discover failed[/]: {type(e).__name__}: {e}")
        raise typer.Exit(EXIT_FAILURE) from None


def register(app) -> None:
    """Add this module's command to the CLI (see :mod:`sim.analysis_commands`)."""
    from sim.analysis_commands import register_discover

    register_discover(app)
