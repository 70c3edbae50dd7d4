"""A self-contained HTML report of a run or sweep folder, readable offline.

One file: the scenario, the outcome definitions, summary tables across runs (and per
design point for sweeps, with sensitivity indices for Sobol/Morris designs), every figure
of :func:`sim.plots.figures_for` embedded as base64 PNG, and the manifest. No scripts,
fonts or stylesheets are fetched: it opens in any browser without a network.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from sim.config import ScenarioError
from sim.plots import (
    DPI,
    FigureSpec,
    Folder,
    _fmt,
    figures_for,
    open_folder,
    outcomes_of,
    param_label,
    summary_column,
    summary_label,
)

format_number = _fmt  # one number format everywhere: 1,377,000 · 1,753 · 12.3 · 0.512

# Laid out for a laptop screen (1366 px): the page never scrolls sideways; a table wider
# than the text column scrolls inside its own box and long headers wrap at underscores.
CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1200px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45;overflow-wrap:break-word}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
.tbl{max-width:100%;overflow-x:auto;margin:.5em 0}
table{border-collapse:collapse;font-size:.86em}
th,td{border:1px solid #ddd;padding:.25em .5em;text-align:left;vertical-align:top}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
th{background:#f3f3f3;max-width:10em;font-weight:600}
.question{font-size:1.08em;border-left:4px solid #0072B2;padding:.3em .8em;background:#f4f8fb}
figure{margin:1.5em 0} figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.9em;color:#444} .note{color:#666;font-style:italic}
pre{background:#f7f7f7;padding:1em;overflow:auto;font-size:.8em}
.meta td{text-align:left}
"""


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _table(df: pd.DataFrame, index: bool = True) -> str:
    """A table with every number in :func:`format_number`'s format (right-aligned, text
    left-aligned), in a box that scrolls by itself if it is wider than the page."""
    if index:
        df = df.reset_index()
    numeric = [
        pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c])
        for c in df.columns
    ]

    def cell(v, num: bool, tag: str = "td") -> str:
        text = (
            "–"
            if v is None or (isinstance(v, float) and v != v)
            else (format_number(v) if num else str(v))
        )
        return f"<{tag}{' class=num' if num else ''}>{html.escape(text)}</{tag}>"

    # header names may break at underscores rather than widen the table
    head = "".join(
        f"<th{' class=num' if n else ''}>{html.escape(str(c)).replace('_', '_<wbr>')}</th>"
        for c, n in zip(df.columns, numeric, strict=True)
    )
    rows = "".join(
        "<tr>" + "".join(cell(v, n) for v, n in zip(r, numeric, strict=True)) + "</tr>"
        for r in df.itertuples(index=False)
    )
    return (
        f"<div class='tbl'><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def outcome_table(outcomes) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "outcome": o.name,
                "meaning": o.description,
                "unit": o.unit,
                "kind": "flow (monthly count)" if o.flow else "level (end of month)",
                "per-run summary plotted": f"{summary_column(o)}: {summary_label(o)}",
            }
            for o in outcomes
        ]
    )


def run_statistics(f: Folder, outcomes) -> pd.DataFrame:
    """Across-run statistics of every summary column of the chosen outcomes."""
    rows = []
    for o in outcomes:
        for suffix in ("total", "per_year") if o.flow else ("mean", "final"):
            col = f"{o.name}_{suffix}"
            if col not in f.summary:
                continue
            v = pd.to_numeric(f.summary[col], errors="coerce").dropna()
            if v.empty:
                continue
            rows.append(
                {
                    "summary": col,
                    "unit": o.unit + (" / year" if suffix == "per_year" else ""),
                    "runs": len(v),
                    "mean": v.mean(),
                    "sd": v.std(ddof=1) if len(v) > 1 else float("nan"),
                    "min": v.min(),
                    "5%": v.quantile(0.05),
                    "median": v.median(),
                    "95%": v.quantile(0.95),
                    "max": v.max(),
                }
            )
    return pd.DataFrame(rows)


def point_table(f: Folder, outcomes, limit: int = 200) -> pd.DataFrame:
    """Sweeps: the varied parameters, runs, seeds and the replicate mean of each outcome
    that varies, one row per design point."""
    from sim.plots import varying_outcomes

    shown, _ = varying_outcomes(f, list(outcomes))
    cols = [summary_column(o) for o in shown if summary_column(o) in f.summary]
    g = f.summary.groupby("point", sort=True)
    table = g[f.params].first() if f.params else pd.DataFrame(index=g.size().index)
    table.columns = [param_label(c) for c in table.columns]
    table["runs"] = g.size()
    table = table.join(g[cols].mean())
    table.index.name = "point"
    return table.head(limit)


def seed_table(f: Folder) -> pd.DataFrame:
    """Every run with its design point, replicate and seed (seeds as text: exact)."""
    cols = [c for c in ("run_id", "point", "replicate", "seed") if c in f.summary]
    t = f.summary[cols].copy()
    if "seed" in t:
        t["seed"] = t["seed"].map(lambda v: str(int(v)))
    return t


def _vary_text(spec) -> str:
    if isinstance(spec, list):
        return ", ".join(map(str, spec))
    if isinstance(spec, dict):
        if "low" in spec and "high" in spec and not spec.get("dist"):
            log = " (log scale)" if spec.get("log") else ""
            return f"{format_number(spec['low'])} … {format_number(spec['high'])}{log}"
        return ", ".join(f"{k}={format_number(v)}" for k, v in spec.items() if v is not None)
    return str(spec)


def design_section(f: Folder) -> str:
    """A sweep's design as people read it: what varies over which values, how the
    points were drawn, how many runs, and where the seeds come from."""
    from sim.export import parameter_description

    sweep = f.manifest.get("sweep") or {}
    design = f.design
    rows = {
        "design": design.get("method", "–"),
        "design points": format_number(f.n_points),
        "replicates per point": format_number(
            sweep.get("replicates", f.manifest.get("replicates", 1))
        ),
        "runs finished": format_number(f.n_runs),
        "root seed": str(f.manifest.get("root_seed", sweep.get("seed", "–"))),
        "design seed": str(design.get("seed", "–")),
        "run seeds": "numpy SeedSequence(root seed).spawn(runs); each run's seed is listed below",
    }
    keys = {"sobol": ("samples", "second_order"), "morris": ("samples", "levels")}
    for k in keys.get(design.get("method"), ("samples", "levels")):
        if design.get(k) is not None:
            rows[k.replace("_", " ")] = str(design[k])
    meta = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows.items()
    )
    vary = sweep.get("vary") or {p: None for p in f.params}
    vt = pd.DataFrame(
        [
            {
                "parameter": p,
                "values": _vary_text(spec) if spec is not None else "–",
                "meaning": parameter_description(p) or "–",
            }
            for p, spec in vary.items()
        ]
    )
    seeds = seed_table(f)
    return (
        f"<div class='tbl'><table class='meta'>{meta}</table></div>"
        "<h3>Varied parameters</h3>"
        + _table(vt, False)
        + f"<details><summary>Seeds of all {len(seeds)} runs</summary>"
        + _table(seeds, False)
        + "</details>"
    )


def _scenario_section(f: Folder) -> str:
    sc = f.scenario
    parts = []
    meta = {
        "folder": str(f.path),
        "kind": f.kind,
        "status": f.manifest.get("status", "–"),
        "runs": format_number(f.n_runs),
        "period": f"{sc.get('start', '?')} … {sc.get('end', '?')}",
        "started": f.manifest.get("started", "–"),
        "finished": f.manifest.get("finished", "–"),
    }
    if f.kind == "sweep":
        meta["base scenario"] = sc.get("name", "–")
    else:
        seeds = f.manifest.get("seeds") or f.summary.get("seed", pd.Series([])).tolist()
        meta["seeds"] = ", ".join(str(int(x)) for x in seeds[:20]) + (
            " …" if len(seeds) > 20 else ""
        )
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in meta.items()
    )
    parts.append(f'<div class="tbl"><table class="meta">{rows}</table></div>')
    if f.kind == "sweep" and sc.get("description"):
        parts.append(
            f"<p><b>Base scenario {html.escape(str(sc.get('name', '')))}:</b> "
            f"{html.escape(str(sc['description']))}</p>"
        )
    if isinstance(sc.get("population"), dict):
        parts.append("<h3>Population</h3>" + _table(pd.DataFrame([sc["population"]]), False))
    regimes = sc.get("regimes") or []
    if regimes:
        reg = pd.DataFrame(
            [
                {
                    "type": r.get("type"),
                    "start": r.get("start") or sc.get("start"),
                    "end": r.get("end") or sc.get("end"),
                    "parameters": ", ".join(
                        f"{k}={format_number(v) if isinstance(v, int | float) else v}"
                        for k, v in r.items()
                        if k not in ("type", "start", "end")
                    ),
                }
                for r in regimes
                if isinstance(r, dict)
            ]
        )
        parts.append("<h3>Regimes</h3>" + _table(reg, False))
    else:
        parts.append("<p class='note'>No policy regimes: the scenario runs on the base rules.</p>")
    if isinstance(sc.get("params"), dict):
        prm = pd.DataFrame(sorted(sc["params"].items()), columns=["parameter", "value"])
        prm["value"] = prm["value"].map(format_number)
        parts.append(
            "<details><summary>Model parameters</summary>" + _table(prm, False) + "</details>"
        )
    return "\n".join(parts)


def _title(f: Folder) -> tuple[str, str, str]:
    """(name, description, question): the sweep's own for a sweep, else the scenario's."""
    own = (f.manifest.get("sweep") or {}) if f.kind == "sweep" else f.scenario
    name = own.get("name") or f.name
    return str(name), str(own.get("description") or ""), str(own.get("question") or "")


def build_report(
    folder: str | Path | Folder,
    outcomes: Iterable[str] | None = None,
    by: Iterable[str] | None = None,
) -> str:
    """The report as one HTML string (figures embedded as base64 PNG)."""
    f = open_folder(folder)
    outs = outcomes_of(f, outcomes)
    names = [o.name for o in outs]
    specs: list[FigureSpec] = figures_for(f, names, by)
    drawn = [s for s in specs if s.figure is not None]
    skipped = [s for s in specs if s.figure is None]
    name, description, question = _title(f)

    body = [f"<h1>{html.escape(name)}</h1>", f"<p>{html.escape(f.label)}</p>"]
    if question:
        body.append(f"<p class='question'><b>Question:</b> {html.escape(question)}</p>")
    if description:
        body.append(f"<p>{html.escape(description)}</p>")
    toc = ["<li><a href='#scenario'>Scenario</a></li>"]
    if f.kind == "sweep":
        toc.append("<li><a href='#design'>Design</a></li>")
    toc += [
        "<li><a href='#outcomes'>Outcomes</a></li>",
        "<li><a href='#summary'>Summary tables</a></li>",
    ]
    toc += [f"<li><a href='#fig-{s.name}'>Figure: {html.escape(s.title)}</a></li>" for s in drawn]
    toc.append("<li><a href='#manifest'>Manifest</a></li>")
    body.append("<h2>Contents</h2><ul id='figure-list'>" + "".join(toc) + "</ul>")
    body.append("<h2 id='scenario'>Scenario</h2>" + _scenario_section(f))
    if f.kind == "sweep":
        body.append("<h2 id='design'>Design</h2>" + design_section(f))
    body.append(
        "<h2 id='outcomes'>Outcomes</h2>"
        "<p>Levels are recorded at the end of each month and summarized per run by their "
        "mean over the run; flows are monthly counts summarized by their rate per year.</p>"
        + _table(outcome_table(outs), False)
    )
    summ = [
        "<h2 id='summary'>Summary tables</h2>",
        f"<h3>Across all {format_number(f.n_runs)} runs</h3>",
        _table(run_statistics(f, outs), False),
    ]
    if f.kind == "sweep" and "point" in f.summary:
        pt = point_table(f, outs)
        more = f" (first {len(pt)} of {f.n_points})" if len(pt) < f.n_points else ""
        summ += [f"<h3>Replicate means per design point{more}</h3>", _table(pt)]
    for s in specs:
        for tname, t in s.tables.items():
            summ += [f"<h3>{html.escape(tname.capitalize())} indices ({f.method})</h3>"]
            summ += [_table(t, False)]
    body.append("\n".join(summ))
    for s in drawn:
        body.append(
            f"<figure id='fig-{s.name}'><h2>{html.escape(s.title)}</h2>"
            f"<img alt='{html.escape(s.title)}' src='data:image/png;base64,{_png(s.figure)}'>"
            f"<figcaption>{html.escape(s.title)} — {html.escape(f.label)}</figcaption></figure>"
        )
    if skipped:
        items = "".join(f"<li>{html.escape(s.title)}: {html.escape(s.note)}</li>" for s in skipped)
        body.append(f"<h2>Figures not drawn</h2><ul class='note'>{items}</ul>")
    manifest = json.dumps(f.manifest, indent=2, default=str)
    body.append(
        "<h2 id='manifest'>Manifest</h2><details><summary>manifest.json</summary>"
        f"<pre>{html.escape(manifest)}</pre></details>"
    )
    stamp = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    body.append(f"<p class='note'>Generated by cadresim report at {stamp}.</p>")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(name)} — cadresim report</title><style>{CSS}</style>"
        "</head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_report(
    folder: str | Path | Folder, out: str | Path | None = None, outcomes=None, by=None
) -> Path:
    f = open_folder(folder)
    path = Path(out) if out else f.path / "report.html"
    text = build_report(f, outcomes, by)
    path.parent.mkdir(parents=True, exist_ok=True)
    from sim.store import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))
    return path


def command(
    folder: Path, out_file: Path | None, outcome: list[str] | None, by: list[str] | None
) -> None:
    """The body of ``cadresim report`` (see :mod:`sim.analysis_commands`)."""
    import typer

    from sim.cli import EXIT_FAILURE, err, invalid, out
    from sim.plots import resolve_factors

    try:
        f = open_folder(folder)
        outcomes_of(f, outcome)
        resolve_factors(f, by)
    except ScenarioError as e:
        raise invalid(e) from None
    try:
        path = write_report(f, out_file, outcome, by)
    except ScenarioError as e:
        raise invalid(e) from None
    except Exception as e:  # pragma: no cover - unexpected failure while drawing
        err.print(f"[bold red]report failed[/]: {type(e).__name__}: {e}")
        raise typer.Exit(EXIT_FAILURE) from None
    out.print(f"wrote {path}", highlight=False)


def register(app) -> None:
    """Add this module's command to the CLI (see :mod:`sim.analysis_commands`)."""
    from sim.analysis_commands import register_report

    register_report(app)
