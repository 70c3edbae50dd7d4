"""The analysis commands: ``plot``, ``report``, ``discover`` and ``export``.

Registration must stay cheap (``cadresim --help`` starts in under a second), so this
module imports only typer; each command's body imports its heavy module (matplotlib,
pandas, EMA Workbench) when it runs. :func:`register` adds all four; ``register_plot``
and its siblings add one each, and ``sim.plots.register``, ``sim.report.register``,
``sim.discover.register`` and ``sim.export.register`` call them, so a CLI that loads a
command's own module on first use finds its ``register`` there too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``plot``, ``report``, ``discover`` and ``export`` to the CLI."""
    for add in (register_plot, register_report, register_discover, register_export):
        add(app)


def register_plot(app: typer.Typer) -> None:
    @app.command()
    def plot(
        dirs: Annotated[list[Path], typer.Argument(help="run or sweep folder(s)")],
        by: Annotated[
            list[str] | None,
            typer.Option(
                "--by",
                help="group by this varied parameter (repeat for a second one, drawn as "
                "colour); default: the sweep's parameters when there are one or two",
            ),
        ] = None,
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
        """Figures that answer the folder's question: distributions per design value, an
        interaction plot, envelopes per group, sensitivity indices (with tables)."""
        from sim.plots import command

        command(dirs, by, out_dir, outcome, fmt, compare)


def register_report(app: typer.Typer) -> None:
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
        by: Annotated[
            list[str] | None,
            typer.Option("--by", help="group the figures by this parameter (as in `plot`)"),
        ] = None,
    ) -> None:
        """Write one self-contained HTML report (question, design, tables, every figure)."""
        from sim.report import command

        command(folder, out_file, outcome, by)


def register_discover(app: typer.Typer) -> None:
    @app.command()
    def discover(
        folder: Annotated[Path, typer.Argument(help="sweep folder")],
        outcome: Annotated[
            str, typer.Option("--outcome", help="outcome or summary column, e.g. protest_events")
        ],
        threshold: Annotated[
            float, typer.Option("--threshold", help="runs beyond this value are of interest")
        ],
        above: Annotated[
            bool,
            typer.Option(
                "--above/--below", help="interest in runs above (default) or below the threshold"
            ),
        ] = True,
        stat: Annotated[
            str | None,
            typer.Option("--stat", help="summary: mean|final (levels), total|per_year (flows)"),
        ] = None,
        min_density: Annotated[
            float,
            typer.Option(
                "--density", min=0, max=1, help="box chosen: largest coverage at this density"
            ),
        ] = 0.8,
        peel_alpha: Annotated[
            float, typer.Option("--peel-alpha", min=0.01, max=0.5, help="PRIM peeling share")
        ] = 0.05,
        mass_min: Annotated[
            float, typer.Option("--mass-min", min=0.0, max=0.5, help="smallest box (share)")
        ] = 0.05,
        out_dir: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="folder for tables and figures (DIR/discover)"),
        ] = None,
    ) -> None:
        """Scenario discovery: PRIM boxes (EMA Workbench) of parameter space where the
        outcome is high (or low), and feature scores."""
        from sim.discover import command

        command(folder, outcome, threshold, above, stat, min_density, peel_alpha, mass_min, out_dir)


def register_export(app: typer.Typer) -> None:
    @app.command()
    def export(
        folder: Annotated[Path, typer.Argument(help="run or sweep folder")],
        fmt: Annotated[str, typer.Option("--format", help="csv, parquet or stata (.dta)")] = "csv",
        out_dir: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="folder to write (default: DIR/export)"),
        ] = None,
        table: Annotated[
            list[str] | None,
            typer.Option("--table", help="summary, timeseries, events or agents (repeatable; all)"),
        ] = None,
    ) -> None:
        """Export tables as CSV, Parquet or Stata with R/Stata-valid names and a codebook."""
        from sim.export import command

        command(folder, out_dir, fmt, table)
