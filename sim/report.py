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
from typing import Annotated

import pandas as pd
import typer

from sim.config import ScenarioError
from sim.plots import (
    DPI,
    FigureSpec,
    Folder,
    figures_for,
    open_folder,
    resolve_outcomes,
    sensitivity_indices,
    summary_column,
    summary_label,
)

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1200px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:.88em;margin:.5em 0}
th,td{border:1px solid #ddd;padding:.25em .55em;text-align:right}
th{background:#f3f3f3} td:first-child,th:first-child{text-align:left}
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
    return df.to_html(
        index=index, border=0, float_format=lambda x: f"{x:,.4g}", na_rep="–", escape=True
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
    """Sweeps: the varied parameters and the replicate mean of each outcome per point."""
    cols = [summary_column(o) for o in outcomes if summary_column(o) in f.summary]
    g = f.summary.groupby("point", sort=True)
    table = g[f.params].first() if f.params else pd.DataFrame(index=g.size().index)
    table["runs"] = g.size()
    table = table.join(g[cols].mean())
    return table.head(limit)


def _scenario_section(f: Folder) -> str:
    sc = f.scenario
    parts = []
    meta = {
        "folder": str(f.path),
        "kind": f.kind,
        "status": f.manifest.get("status", "–"),
        "runs": f.n_runs,
        "period": f"{sc.get('start', '?')} … {sc.get('end', '?')}",
        "seeds": ", ".join(map(str, (f.manifest.get("seeds") or [])[:20]))
        + (" …" if len(f.manifest.get("seeds") or []) > 20 else ""),
        "started": f.manifest.get("started", "–"),
        "finished": f.manifest.get("finished", "–"),
    }
    if f.kind == "sweep":
        meta["design"] = json.dumps(f.design) if f.design else "–"
        meta["design points"] = f.n_points
        meta["varied parameters"] = ", ".join(f.params) or "–"
    rows = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in meta.items()
    )
    parts.append(f'<table class="meta">{rows}</table>')
    if sc.get("description"):
        parts.append(f"<p>{html.escape(str(sc['description']))}</p>")
    if sc.get("question"):
        parts.append(f"<p><b>Question:</b> {html.escape(str(sc['question']))}</p>")
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
                        f"{k}={v}" for k, v in r.items() if k not in ("type", "start", "end")
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
        parts.append(
            "<details><summary>Model parameters</summary>" + _table(prm, False) + "</details>"
        )
    return "\n".join(parts)


def build_report(folder: str | Path | Folder, outcomes: Iterable[str] | None = None) -> str:
    """The report as one HTML string (figures embedded as base64 PNG)."""
    f = open_folder(folder)
    outs = resolve_outcomes(outcomes)
    names = [o.name for o in outs]
    specs: list[FigureSpec] = figures_for(f, names)
    drawn = [s for s in specs if s.figure is not None]
    skipped = [s for s in specs if s.figure is None]

    body = [f"<h1>{html.escape(f.name)}</h1>", f"<p>{html.escape(f.label)}</p>"]
    toc = [
        "<li><a href='#scenario'>Scenario</a></li>",
        "<li><a href='#outcomes'>Outcomes</a></li>",
        "<li><a href='#summary'>Summary tables</a></li>",
    ]
    toc += [f"<li><a href='#fig-{s.name}'>Figure: {html.escape(s.title)}</a></li>" for s in drawn]
    toc.append("<li><a href='#manifest'>Manifest</a></li>")
    body.append("<h2>Contents</h2><ul id='figure-list'>" + "".join(toc) + "</ul>")
    body.append("<h2 id='scenario'>Scenario</h2>" + _scenario_section(f))
    body.append(
        "<h2 id='outcomes'>Outcomes</h2>"
        "<p>Every figure shows these outcomes. Levels are recorded at the end of each month "
        "and summarized per run by their mean over the run; flows are monthly counts "
        "summarized by their rate per year.</p>" + _table(outcome_table(outs), False)
    )
    summ = [
        "<h2 id='summary'>Summary tables</h2>",
        f"<h3>Across all {f.n_runs} runs</h3>",
        _table(run_statistics(f, outs), False),
    ]
    if f.kind == "sweep" and "point" in f.summary:
        pt = point_table(f, outs)
        more = f" (first {len(pt)} of {f.n_points})" if len(pt) < f.n_points else ""
        summ += [f"<h3>Replicate means per design point{more}</h3>", _table(pt)]
        if f.method in ("sobol", "morris"):
            try:
                si = sensitivity_indices(f, names)
                summ += [f"<h3>Sensitivity indices ({f.method})</h3>", _table(si, False)]
            except ScenarioError as e:
                summ.append(f"<p class='note'>No sensitivity indices: {html.escape(str(e))}</p>")
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
        f"<title>{html.escape(f.name)} — cadresim report</title><style>{CSS}</style>"
        "</head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_report(folder: str | Path | Folder, out: str | Path | None = None, outcomes=None) -> Path:
    f = open_folder(folder)
    path = Path(out) if out else f.path / "report.html"
    text = build_report(f, outcomes)
    path.parent.mkdir(parents=True, exist_ok=True)
    from sim.store import atomic_write_bytes

    atomic_write_bytes(path, text.encode("utf-8"))
    return path


def register(app) -> None:
    """Add the ``report`` command to the CLI."""
    from sim.cli import EXIT_FAILURE, err, invalid, out

    @app.command()
    def report(
        folder: Annotated[Path, typer.Argument(help="run or sweep folder")],
        out_file: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="HTML file to write (default: DIR/report.html)"),
        ] = None,
        outcome: Annotated[
            list[str] | None,
            typer.Option("--outcome", help="outcome to include (repeatable; 'all' for every one)"),
        ] = None,
    ) -> None:
        """Write one self-contained HTML report (scenario, tables, every figure)."""
        try:
            resolve_outcomes(outcome)
            f = open_folder(folder)
        except ScenarioError as e:
            raise invalid(e) from None
        try:
            path = write_report(f, out_file, outcome)
        except ScenarioError as e:
            raise invalid(e) from None
        except Exception as e:  # pragma: no cover - unexpected failure while drawing
            err.print(f"[bold red]report failed[/]: {type(e).__name__}: {e}")
            raise typer.Exit(EXIT_FAILURE) from None
        out.print(f"wrote {path}", highlight=False)
