"""The ``cadresim`` command line. Exit codes: 0 success, 2 invalid input, 1 failure in a run.

Start-up is kept fast (``cadresim --help`` and ``cadresim validate`` import neither Mesa,
pandas, scipy nor matplotlib): this module imports only typer and rich at the top, each
command imports what it needs, and the commands that live with their subsystem
(:data:`PLUGINS`) are imported only when they run or their own ``--help`` is asked for.
"""

from __future__ import annotations

import difflib
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import typer.core
from rich.console import Console
from typer.core import TyperGroup

# Recent typer vendors click as typer._click; older releases use click itself.
_click = getattr(typer.core, "_click", None) or typer.core.click
UsageError = _click.exceptions.UsageError

if TYPE_CHECKING:
    from rich.progress import Progress
    from rich.table import Table

#: Commands that live with their subsystem: command name -> (module, one-line help for
#: ``cadresim --help``). The module defines ``register(app)`` adding that command (it may
#: add more); it is imported only when the command runs, so keep heavy imports (pandas,
#: matplotlib, Mesa) at the module's top or inside the command, never in ``sim.cli``.
PLUGINS: dict[str, tuple[str, str]] = {
    "sweep": ("sim.sweep", "Run a parameter sweep (resumable: run the same command again)."),
    "plot": (
        "sim.analysis_commands",
        "Figures grouped by the design: distributions, interaction, envelopes, sensitivity.",
    ),
    "report": ("sim.analysis_commands", "Write one self-contained HTML report of a folder."),
    "discover": (
        "sim.analysis_commands",
        "Scenario discovery: PRIM boxes (EMA Workbench) where an outcome is high or low.",
    ),
    "export": (
        "sim.analysis_commands",
        "Export tables as CSV, Parquet or Stata, with valid names and a codebook.",
    ),
    "calibrate": ("sim.calibration", "Fit parameters to stylized-fact targets (resumable)."),
    "explore": ("sim.explore", "Watch one run in the browser: sliders, play, save as scenario."),
    "effects": (
        "sim.effects",
        "Paired effects of switching off each regime and each mechanism (resumable).",
    ),
}


def suggest(name: str, choices: Any) -> str:
    """``" (did you mean 'x'?)"`` for the closest of ``choices``, else ``""``."""
    close = difflib.get_close_matches(str(name), sorted(map(str, choices)), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class LazyGroup(TyperGroup):
    """The top-level command group; plugin commands are imported on first use."""

    _listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*self.commands, *(n for n in PLUGINS if n not in self.commands)]

    def _load(self, name: str) -> None:
        import importlib

        module_name = PLUGINS[name][0]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name != module_name:  # a real missing dependency inside the module
                raise
            return
        sub = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        sub.callback()(lambda: None)  # a group, so every registered command is listed
        module.register(sub)
        group = typer.main.get_command(sub)
        for cname, cmd in getattr(group, "commands", {}).items():
            self.commands.setdefault(cname, cmd)

    def get_command(self, ctx: Any, cmd_name: str) -> Any | None:
        if cmd_name in self.commands or cmd_name not in PLUGINS:
            return self.commands.get(cmd_name)
        if self._listing:  # `cadresim --help`: the one-line help, without importing
            return typer.core.TyperCommand(cmd_name, help=PLUGINS[cmd_name][1])
        self._load(cmd_name)
        return self.commands.get(cmd_name)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(self, ctx: Any, args: list[str]):
        try:
            return self._click_resolve_command(ctx, args)
        except UsageError as e:
            if args and "No such command" in e.message:
                e.message = e.message.rstrip(".") + suggest(args[0], self.list_commands(ctx))
            raise


app = typer.Typer(
    cls=LazyGroup,
    add_completion=False,
    no_args_is_help=True,
    help="cadresim: agent-based simulation of cadre and worker dynamics in China.",
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()

EXIT_OK, EXIT_FAILURE, EXIT_INVALID = 0, 1, 2


def package_version() -> str:
    from sim import __version__

    return __version__


def _show_version(value: bool) -> None:
    if value:
        import platform

        typer.echo(f"cadresim {package_version()} (Python {platform.python_version()})")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="show the version and exit"
        ),
    ] = False,
) -> None:
    """cadresim: agent-based simulation of cadre and worker dynamics in China."""


#: Rows of the run summary: (summary column, label). Units come from sim.outcomes.
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
    ("waiting_time_median", "waiting time between outbursts (median)"),
]

#: Units of summary columns that are not ``<outcome>_<stat>`` of a built-in outcome.
EXTRA_UNITS = {
    "active_max": "agents",
    "outbursts": "outbursts",
    "waiting_time_median": "ticks",
}


def readable(x: Any) -> str:
    """A number as a reader wants it: thousands separated, no exponent, 3–4 digits.

    ``9930.4`` → ``9,930``; ``12.345`` → ``12.3``; ``0.0697`` → ``0.0697``; ``3.0`` → ``3``;
    NaN → ``n/a``.
    """
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(x):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    ax = abs(x)
    if ax >= 1000 or (x == round(x) and ax < 1e15):
        return f"{x:,.0f}"
    if ax >= 100:
        return f"{x:,.1f}"
    if ax >= 1:
        return f"{x:.3g}" if ax < 10 else f"{x:.1f}"
    import numpy as np

    return np.format_float_positional(x, precision=3, unique=True, fractional=False, trim="-")


def summary_unit(column: str) -> str:
    """The unit of a per-run summary column, from the outcome that produced it."""
    from sim.outcomes import BY_NAME

    if column in EXTRA_UNITS:
        return EXTRA_UNITS[column]
    for stat in ("per_year", "total", "mean", "final"):
        name = column.removesuffix(f"_{stat}")
        if name != column and name in BY_NAME:
            unit = BY_NAME[name].unit
            return f"{unit} / year" if stat == "per_year" else unit
    return ""


def invalid(error: Exception) -> typer.Exit:
    err.print(f"[bold red]invalid input[/]: {error}", markup=True, highlight=False)
    return typer.Exit(EXIT_INVALID)


def progress_bar(total: int, label: str) -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

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


def summary_rows(summary, user_outcomes=()) -> list[tuple[str, str, str]]:
    """``(column, label, unit)`` of the run summary: the headline built-in outcomes found
    in ``summary``, then each user-defined outcome's mean and final value."""
    rows = [(c, label, summary_unit(c)) for c, label in HEADLINE if c in summary]
    for r in user_outcomes:
        for stat in ("mean", "final"):
            col = f"{r.name}_{stat}"
            if col in summary:
                rows.append((col, f"{r.name} ({stat})", r.unit))
    return rows


def summary_table(summary, title: str, user_outcomes=()) -> Table:
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    table.add_column("outcome")
    multi = len(summary) > 1
    table.add_column("mean over runs" if multi else "value", justify="right")
    if multi:
        table.add_column("min", justify="right")
        table.add_column("max", justify="right")
    table.add_column("unit")
    for col, label, unit in summary_rows(summary, user_outcomes):
        s = summary[col]
        row = [label, readable(s.mean())]
        if multi:
            row += [readable(s.min()), readable(s.max())]
        table.add_row(*row, unit)
    return table


#: Columns of the table that ends a sweep (those the sweep's summary holds).
SWEEP_COLUMNS = [
    ("protest_events_per_year", "events/yr"),
    ("legitimacy_final", "legitimacy (end)"),
    ("grievance_worker_mean", "grievance"),
]
SWEEP_MAX_ROWS = 40
SWEEP_MAX_USER = 3


def sweep_table(summary, parameters: list[str], user_outcomes=(), title: str = "") -> Table:
    """One row per design point: the varied values (labelled by the last part of their
    path), the runs, and the mean over replicates of three headline outcomes and of up to
    three user-defined outcomes (their run means). ``summary.parquet`` holds the rest."""
    from rich.table import Table

    cols = [(c, label) for c, label in SWEEP_COLUMNS if c in summary]
    users = [r for r in user_outcomes if f"{r.name}_mean" in summary][:SWEEP_MAX_USER]
    cols += [(f"{r.name}_mean", r.name) for r in users]
    table = Table(
        title=title or None,
        caption="means over each point's n replicates: events/yr = protest events per year, "
        "grievance = urban workers' mean; user outcomes: run means",
    )
    fold = {"justify": "right", "overflow": "fold"}  # wrap long headers, never cut them
    table.add_column("#", **fold)
    for p in parameters:  # names are identifiers: never broken
        name = p.rsplit(".", 1)[-1]
        table.add_column(name, min_width=len(name), **fold)
    table.add_column("n", justify="right")
    for c, label in cols:
        width = len(label) if c.startswith(tuple(f"{r.name}_" for r in users)) else None
        table.add_column(label, min_width=width, **fold)
    if len(summary) == 0:
        return table
    group = summary.groupby("point", sort=True)
    means = group[[c for c, _ in cols]].mean()
    firsts = group[parameters].first()
    counts = group.size()
    points = list(counts.index)
    for point in points[:SWEEP_MAX_ROWS]:
        values = [
            v if isinstance(v, str) else readable(v)
            for v in (firsts.at[point, p] for p in parameters)
        ]
        stats = [readable(means.at[point, c]) for c, _ in cols]
        table.add_row(str(point), *values, str(int(counts[point])), *stats)
    if len(points) > SWEEP_MAX_ROWS:
        table.add_row("…", f"{len(points) - SWEEP_MAX_ROWS} more points in summary.parquet")
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
    from sim.config import ScenarioError, load_scenario

    try:
        scn = load_scenario(scenario)
    except ScenarioError as e:
        raise invalid(e) from None
    root = scn.seed if seed is None else seed
    if not 0 <= root < 2**63:
        raise invalid(ValueError(f"--seed: must be in [0, 2**63), got {root}"))
    from sim.runner import check_run_out, derive_seeds, write_run_folder

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
    title = f"{scn.name}: {scn.start} … {scn.end}, {len(seeds)} run(s)"
    out.print(summary_table(summary, title, scn.outcomes))
    written = ["manifest.json", "timeseries.parquet", "summary.parquet"]
    written += ["agents.parquet"] if (out_dir / "agents.parquet").exists() else []
    out.print(f"wrote {out_dir}/{', '.join(written)}", highlight=False)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="scenario or sweep files")],
) -> None:
    """Check scenario (or sweep) files without running them; every file is reported."""
    from sim.config import ScenarioError

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
    from sim.config import ScenarioError, load_scenario, read_yaml

    data = read_yaml(path)
    if isinstance(data, dict) and "base" in data and "vary" in data:
        try:
            from sim.sweepfile import check_sweep  # no pandas/scipy/mesa: starts fast
        except ImportError:  # pragma: no cover - sweeps not installed
            raise ScenarioError(str(path), [("", "sweep files are not supported")]) from None
        check_sweep(path)
        return
    load_scenario(path)


def _literal_choices(annotation: Any) -> list[Any] | None:
    """The allowed values of a ``Literal[...]`` (or ``Literal[...] | None``) annotation."""
    import typing

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    if len(args) == 1 and typing.get_origin(args[0]) is typing.Literal:
        return list(typing.get_args(args[0]))
    return None


def _type_name(annotation) -> str:
    """A type as a user writes it in YAML: ``soft|mixed|hard``, ``month YYYY-MM or null``,
    ``list of int or null``, ``float``."""
    import types
    import typing

    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "|".join(map(str, typing.get_args(annotation)))
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(annotation))
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin in (list, tuple, set):
        inner = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        return f"list of {_type_name(inner[0])}" if inner else "list"
    if annotation is type(None):
        return "null"
    if getattr(annotation, "__name__", "") == "Month":
        return "month YYYY-MM"
    return getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")


def regime_entries() -> list[dict[str, Any]]:
    """Every registered regime with its parameters (JSON-ready, defaults typed)."""
    from pydantic_core import PydanticUndefined, to_jsonable_python

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
            default = None if field.default is PydanticUndefined else field.default
            entry = {
                "name": fname,
                "default": to_jsonable_python(default),
                "type": _type_name(field.annotation),
                "bounds": bounds,
                "description": field.description or "",
            }
            choices = _literal_choices(field.annotation)
            if choices is not None:
                entry["choices"] = choices
            params.append(entry)
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
    return entries


def _allowed(prm: dict[str, Any]) -> str:
    if "choices" in prm:
        return "|".join(map(str, prm["choices"]))
    b = prm["bounds"]
    lo = b.get("ge", b.get("gt"))
    hi = b.get("le", b.get("lt"))
    if lo is not None and hi is not None:
        left = "[" if "ge" in b else "("
        right = "]" if "le" in b else ")"
        return f"{prm['type']} in {left}{readable(lo)}, {readable(hi)}{right}"
    parts = [
        f"{'≥' if k == 'ge' else '>' if k == 'gt' else '≤' if k == 'le' else '<'} {readable(v)}"
        for k, v in b.items()
    ]
    return f"{prm['type']} {' '.join(parts)}".strip()


def _default_text(prm: dict[str, Any]) -> str:
    d = prm["default"]
    if d is None:
        return "—" if "month" in prm["type"] else "null"
    if isinstance(d, bool):
        return str(d).lower()
    return readable(d) if isinstance(d, int | float) else str(d)


@app.command()
def regimes(
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
) -> None:
    """List every regime with its parameters, defaults, allowed values and sources."""
    entries = regime_entries()
    if as_json:
        typer.echo(json.dumps(entries, indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    for e in entries:
        out.rule(f"[bold]{e['name']}[/] — {e['title']}")
        out.print(e["summary"])
        t = Table(show_header=True, header_style="bold", box=None)
        for c in ("parameter", "default", "allowed", "meaning"):
            t.add_column(c)
        for prm in e["parameters"]:
            t.add_row(prm["name"], _default_text(prm), _allowed(prm), prm["description"])
        out.print(t)
        for s in e["sources"]:
            out.print(f"  source: {s['file']}:{s['lines']} — {s['note']}", highlight=False)


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
