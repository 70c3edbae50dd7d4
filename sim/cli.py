"""The ``cadresim`` command line. Exit codes: 0 success, 2 invalid input, 1 failure in a run."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from sim.config import ScenarioError, load_scenario

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="cadresim: agent-based simulation of cadre and worker dynamics in China.",
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2

HEADLINE = [
    ("protest_events_per_year", "protest events / year"),
    ("protest_participants_total", "protest participants (total)"),
    ("arrests_total", "arrests (total)"),
    ("concessions_total", "concessions (total)"),
    ("legitimacy_final", "legitimacy (final)"),
    ("elite_cohesion_final", "elite cohesion (final)"),
    ("cadre_cooptation_final", "cadre co-optation (final)"),
    ("factions_final", "factions (final)"),
    ("grievance_worker_mean", "worker grievance (mean)"),
    ("employed_final", "employed (final)"),
    ("xiagang_final", "xiagang (final)"),
    ("deaths_total", "accident deaths (total)"),
    ("gini_final", "income Gini (final)"),
    # Epstein mode (scenario with an `epstein:` section)
    ("active_mean", "actives (mean)"),
    ("active_max", "actives (max)"),
    ("outbursts", "outbursts"),
    ("waiting_time_median", "waiting time between outbursts (median, ticks)"),
]


def invalid(error: Exception) -> typer.Exit:
    err.print(f"[bold red]invalid input[/]: {error}", markup=True, highlight=False)
    return typer.Exit(EXIT_INVALID)


def progress_bar(total: int, label: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("months"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def summary_table(summary, title: str) -> Table:
    table = Table(title=title, show_lines=False)
    table.add_column("outcome")
    multi = len(summary) > 1
    table.add_column("mean over runs" if multi else "value", justify="right")
    if multi:
        table.add_column("min", justify="right")
        table.add_column("max", justify="right")
    for col, label in HEADLINE:
        if col not in summary:
            continue
        s = summary[col]
        row = [label, f"{s.mean():,.3g}"]
        if multi:
            row += [f"{s.min():,.3g}", f"{s.max():,.3g}"]
        table.add_row(*row)
    return table


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="run folder to write")] = Path(
        "results/run"
    ),
    seed: Annotated[int | None, typer.Option(help="override the scenario's seed")] = None,
    replicates: Annotated[
        int, typer.Option(min=1, max=100_000, help="seeded runs to make (at most 100000)")
    ] = 1,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="replace another run in --out (a re-run of the same scenario and seeds "
            "replaces its own folder without it; a sweep folder is never replaced)",
        ),
    ] = False,
) -> None:
    """Run a scenario and write manifest.json, timeseries.parquet and summary.parquet."""
    from sim.runner import check_run_out, derive_seeds, write_run_folder

    try:
        scn = load_scenario(scenario)
    except ScenarioError as e:
        raise invalid(e) from None
    root = scn.seed if seed is None else seed
    if not 0 <= root < 2**63:
        raise invalid(ValueError(f"--seed: must be in [0, 2**63), got {root}"))
    seeds = [root] if replicates == 1 else derive_seeds(root, replicates)
    total = scn.n_steps * len(seeds)
    try:  # the folder is checked before anything runs or is written
        check_run_out(scn, out_dir, seeds, force)
    except ScenarioError as e:
        raise invalid(e) from None
    try:
        with progress_bar(total, scn.name) as bar:
            task = bar.add_task("run", total=total)
            summary, _ = write_run_folder(
                scn,
                out_dir,
                seeds,
                progress=lambda k: bar.advance(task, k),
                source=str(scenario),
                force=force,
            )
    except ScenarioError as e:  # the folder changed between the check and the write
        raise invalid(e) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(EXIT_FAILURE) from None
    except Exception as e:  # a failure inside the model
        err.print(f"[bold red]run failed[/]: {type(e).__name__}: {e}")
        raise typer.Exit(EXIT_FAILURE) from None
    out.print(summary_table(summary, f"{scn.name}: {scn.start} … {scn.end}, {len(seeds)} run(s)"))
    out.print(f"wrote {out_dir}/manifest.json, timeseries.parquet, summary.parquet")


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="scenario or sweep files")],
) -> None:
    """Check scenario (or sweep) files without running them; every file is reported."""
    bad = 0
    for f in files:
        try:
            _validate_any(f)
            out.print(f"[green]ok[/] {f}", highlight=False)
        except ScenarioError as e:
            bad += 1
            err.print(f"[bold red]invalid[/] {e}", highlight=False)
        except Exception as e:  # an unforeseen fault in one file must not hide the others
            bad += 1
            err.print(f"[bold red]invalid[/] {f}: {type(e).__name__}: {e}", highlight=False)
    if bad:
        err.print(f"{bad} of {len(files)} files invalid", highlight=False)
        raise typer.Exit(EXIT_INVALID)


def _validate_any(path: Path) -> None:
    """Validate a scenario, or a sweep file when the sweep module recognises it."""
    from sim.config import read_yaml

    data = read_yaml(path)
    if isinstance(data, dict) and "base" in data and "vary" in data:
        try:
            from sim.sweep import load_sweep
        except ImportError:  # pragma: no cover - sweeps not installed
            raise ScenarioError(str(path), [("", "sweep files are not supported")]) from None
        load_sweep(path)
        return
    load_scenario(path)


def _type_name(annotation) -> str:
    """A type as a user writes it in YAML (``month YYYY-MM``, not ``sim.calendar.Month``)."""
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("sim.calendar.Month", "month YYYY-MM").replace("typing.", "")


@app.command()
def regimes(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List every regime with its parameters, defaults and source passages."""
    from sim.regimes import REGISTRY

    entries = []
    for name, cls in sorted(REGISTRY.items()):
        params = []
        for fname, field in cls.Params.model_fields.items():
            if fname == "type":
                continue
            bounds = {}
            for m in field.metadata:
                for attr in ("ge", "gt", "le", "lt"):
                    if getattr(m, attr, None) is not None:
                        bounds[attr] = getattr(m, attr)
            default = field.default
            params.append(
                {
                    "name": fname,
                    "default": str(default) if default is not None else None,
                    "type": _type_name(field.annotation),
                    "bounds": bounds,
                    "description": field.description or "",
                }
            )
        entries.append(
            {
                "name": name,
                "title": cls.title,
                "summary": cls.summary,
                "parameters": params,
                "sources": [
                    {"file": s.file, "lines": s.lines, "note": s.note} for s in cls.sources
                ],
            }
        )
    if as_json:
        typer.echo(json.dumps(entries, indent=2))
        return
    for e in entries:
        out.rule(f"[bold]{e['name']}[/] — {e['title']}")
        out.print(e["summary"])
        t = Table(show_header=True, header_style="bold", box=None)
        for c in ("parameter", "default", "allowed", "meaning"):
            t.add_column(c)
        for prm in e["parameters"]:
            allowed = ", ".join(f"{k} {v}" for k, v in prm["bounds"].items()) or prm["type"]
            t.add_row(prm["name"], str(prm["default"]), allowed, prm["description"])
        out.print(t)
        for s in e["sources"]:
            out.print(f"  source: {s['file']}:{s['lines']} — {s['note']}", highlight=False)


# Commands that live with their subsystem: each module defines ``register(app)``.
# sim.analysis_commands registers plot, report, discover and export with cheap imports.
PLUGINS = ("sim.sweep", "sim.analysis_commands", "sim.calibration", "sim.explore")


def _register_plugins() -> None:
    import importlib

    for name in PLUGINS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name != name:  # a real missing dependency inside the module
                raise
            continue
        module.register(app)


_register_plugins()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except SystemExit as e:
        raise e
    except KeyboardInterrupt:
        sys.exit(EXIT_FAILURE)


if __name__ == "__main__":
    main()
