"""Export a run or sweep folder to files other tools read: CSV, Parquet or Stata ``.dta``.

``cadresim export DIR --format csv|parquet|stata`` writes ``summary``, ``timeseries`` and
(when recorded) ``events`` and ``agents`` (``output.snapshots``) tables plus ``codebook.csv``: one row per column with its name
in the export, its name in cadresim, its meaning and unit. Meanings come from the outcome
definitions (:data:`sim.outcomes.OUTCOMES`) and from the ``description`` of the pydantic
field a design parameter names (``params.legitimacy`` → :class:`sim.config.Params`).

Column names are valid in R, Stata and SAS: letters, digits and ``_``, starting with a
letter, at most 32 characters, unique, and no Stata reserved word. Dotted parameter paths
become ``par_<last parts>`` (``params.legitimacy`` → ``par_legitimacy``,
``regimes.repression_concession.stance`` → ``par_repression_concession_stance``), so they
cannot collide with an outcome. ``date`` becomes a real date (the first day of the
month; a Stata monthly date ``%tm``). Stata has no 64-bit integers, so run seeds are
written as text there (exact), never rounded through a double.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # heavy imports stay inside functions: the CLI imports this lazily
    import pandas as pd

FORMATS = ("csv", "parquet", "stata")
EXTENSION = {"csv": "csv", "parquet": "parquet", "stata": "dta"}
TABLES = ("summary", "timeseries", "events", "agents")
MAX_NAME = 32  # Stata's limit on variable names (R and SAS accept these too)
STATA_LABEL = 80  # Stata's limit on variable labels
# Stata's reserved names (Stata 18 manual [U] 11.3); none may be a variable name.
STATA_RESERVED = frozenset(
    "_all _b byte _coef _cons double float if in int long _n _N _pi _pred _rc _skip "
    "str strL using with".split()
)

# Columns that are not outcomes or parameters: (meaning, unit).
ID_COLUMNS: dict[str, tuple[str, str]] = {
    "run_id": ("run identifier (run-NNNNNN; a sweep's runs in design order)", "text"),
    "scenario": ("scenario name", "text"),
    "point": ("design point index (0-based, the row of the sweep's design)", "index"),
    "replicate": ("replicate index within the design point (0-based)", "index"),
    "seed": (
        "the run's seed (numpy SeedSequence entropy; text in Stata, which has no 64-bit integers)",
        "integer",
    ),
    "step": ("recorded month index (0 = the first recorded month)", "months"),
    "date": ("calendar month (first day of the month)", "date"),
    "locality": ("locality of the event (unit, then village, then the city)", "index"),
    "claim": (
        "what the event's group presses for: wages, stipend, status, pension, migrant, land",
        "text",
    ),
    "urban": ("event in the city (1) or in a village (0)", "0/1"),
    "participants": ("agents taking part in the event", "agents"),
    "size": ("represented people taking part (participants × people_per_agent)", "people"),
    "size_class": ("size class I–IV (5–30, 30–300, 300–1,000, >1,000 people); 0 below", "class"),
    "link": (
        "link weight of the event's locality: a unit's protest memory / link_memory "
        "(capped at 1), a village's village_linkage, 0 for the city at large",
        "share",
    ),
    "claim_breadth": (
        "share of work units holding an event of the same claim in the same month",
        "share",
    ),
}
# Identifier columns of agent snapshots (agents.parquet): (meaning, unit).
AGENT_COLUMNS: dict[str, tuple[str, str]] = {
    "step": ("month index of the snapshot (0 = the scenario's first month)", "months"),
    "agent": ("row of the person in the run's people table (reused after exit)", "index"),
    "type": ("kind of person: cadre, technician, worker, migrant, peasant", "text"),
    "status": ("employment or residence status in that month", "text"),
    "unit": ("work unit index (-1: none)", "index"),
    "village": ("village index (-1: none)", "index"),
}
SUMMARY_SUFFIXES = {
    "mean": ("run mean of {d}", "{u}"),
    "final": ("value in the last recorded month of {d}", "{u}"),
    "total": ("run total of {d}", "{u}"),
    "per_year": ("{d}, per year of the run (run total / years)", "{u} per year"),
}


@dataclass(frozen=True)
class Column:
    """One column of an exported table, as the codebook lists it."""

    table: str
    name: str  # in the export
    original: str  # in cadresim's Parquet
    meaning: str
    unit: str
    dtype: str


# --------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------


def safe_name(column: str, parameters: Iterable[str] = ()) -> str:
    """A name valid in R and Stata for one column (before making names unique).

    Design parameters (dotted paths) get ``par_`` and their path without the leading
    ``params.`` / ``regimes.``; other characters than letters, digits and ``_`` become
    ``_``; a leading digit or underscore gets a letter prefix; a reserved word gets ``_v``.
    """
    name = column
    if column in set(parameters) or "." in column:
        parts = column.split(".")
        if parts[0] in ("params", "regimes") and len(parts) > 1:
            parts = parts[1:]
        name = "par_" + "_".join(parts)
    name = re.sub(r"[^A-Za-z0-9_]", "_", name)
    name = re.sub(r"_+", "_", name).strip("_") or "v"
    if not name[0].isalpha():
        name = "v" + name
    if name in STATA_RESERVED or name.lower() in {r.lower() for r in STATA_RESERVED}:
        name = f"{name}_v"
    return name[:MAX_NAME]


def column_names(columns: Sequence[str], parameters: Iterable[str] = ()) -> dict[str, str]:
    """Original column → export name, valid and unique (case-insensitively, as Stata
    compares) within the table, at most :data:`MAX_NAME` characters."""
    parameters = list(parameters)
    out: dict[str, str] = {}
    taken: set[str] = set()
    for col in columns:
        base = safe_name(col, parameters)
        name, k = base, 1
        while name.lower() in taken:
            k += 1
            tail = f"_{k}"
            name = base[: MAX_NAME - len(tail)] + tail
        taken.add(name.lower())
        out[col] = name
    return out


# --------------------------------------------------------------------------------------
# Meanings
# --------------------------------------------------------------------------------------


def parameter_description(path: str) -> str:
    """The ``description`` of the pydantic field a dotted scenario path names ('' if none)."""
    from sim.config import Scenario
    from sim.regimes import REGISTRY
    from sim.schema import StrictModel

    parts = path.split(".")
    if parts[0] == "regimes":
        if len(parts) < 3 or parts[1] not in REGISTRY:
            return ""
        model, rest = REGISTRY[parts[1]].Params, parts[2:]
        prefix = f"{parts[1]} regime: "
    else:
        model, rest, prefix = Scenario, parts, ""
    field = None
    for name in rest:
        if model is None or name not in model.model_fields:
            return ""
        field = model.model_fields[name]
        ann = field.annotation
        model = ann if isinstance(ann, type) and issubclass(ann, StrictModel) else None
    return prefix + (field.description or "") if field is not None else ""


def describe(
    column: str,
    table: str,
    parameters: Iterable[str] = (),
    users: Mapping[str, tuple[str, str]] | None = None,
) -> tuple[str, str]:
    """(meaning, unit) of a column of a cadresim table; ``users`` gives the meaning and
    unit of the folder's user-defined outcomes by name."""
    from sim.outcomes import BY_NAME

    users = users or {}
    if column in users and table == "timeseries":
        meaning, unit = users[column]
        return f"{meaning} (end of month)", unit
    for suffix in ("mean", "final"):
        head = column[: -len(suffix) - 1]
        if column.endswith("_" + suffix) and head in users:
            meaning, unit = users[head]
            return SUMMARY_SUFFIXES[suffix][0].format(d=meaning), unit

    if table == "agents":
        from sim.reporters import PEOPLE_ATTRIBUTES

        if column in AGENT_COLUMNS:
            return AGENT_COLUMNS[column]
        if column in PEOPLE_ATTRIBUTES:
            a = PEOPLE_ATTRIBUTES[column]
            return f"{a.description} (in the snapshot month)", a.unit
    if column in ID_COLUMNS:
        return ID_COLUMNS[column]
    if column in set(parameters) or "." in column:
        desc = parameter_description(column)
        return (
            f"design parameter {column}" + (f": {desc}" if desc else ""),
            "as in the scenario file",
        )
    if table == "timeseries" and column in BY_NAME:
        o = BY_NAME[column]
        kind = "monthly count" if o.flow else "end of month"
        return f"{o.description} ({kind})", o.unit + (" per month" if o.flow else "")
    for suffix, (meaning, unit) in SUMMARY_SUFFIXES.items():
        head = column[: -len(suffix) - 1]
        if column.endswith("_" + suffix) and head in BY_NAME:
            o = BY_NAME[head]
            return meaning.format(d=o.description), unit.format(u=o.unit)
    if table in ("summary", "timeseries"):
        return (
            "outcome not among the built-in ones (user-defined or Epstein mode); see the "
            "folder's manifest.json",
            "",
        )
    return "", ""


# --------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------


def _read(path: Path) -> pd.DataFrame:
    import pyarrow.dataset as ds

    df = ds.dataset(path, format="parquet").to_table().to_pandas()
    sort = [c for c in ("run_id", "step", "agent") if c in df.columns]
    return df.sort_values(sort, kind="stable", ignore_index=True) if sort else df


def _month_dates(values: pd.Series) -> pd.Series:
    """'1995-03' (or a timestamp) → the first day of that month as datetime64."""
    import pandas as pd

    text = values.astype(str).str[:7]
    return pd.Series(pd.to_datetime(text, format="%Y-%m"), index=values.index, name=values.name)


def prepare(
    df: pd.DataFrame,
    table: str,
    fmt: str,
    parameters: Sequence[str] = (),
    users: Mapping[str, tuple[str, str]] | None = None,
) -> tuple:
    """(table renamed for export, its :class:`Column` list)."""
    import pandas as pd

    df = df.copy()
    if "date" in df:
        df["date"] = _month_dates(df["date"])
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(str)
        elif pd.api.types.is_bool_dtype(df[col]):
            df[col] = df[col].astype("int8")
    if fmt == "stata" and "seed" in df:
        df["seed"] = df["seed"].astype("int64").astype(str)
    names = column_names(list(df.columns), parameters)
    cols = []
    for original, name in names.items():
        meaning, unit = describe(original, table, parameters, users)
        cols.append(Column(table, name, original, meaning, unit, str(df[original].dtype)))
    return df.rename(columns=names), cols


def codebook(columns: Iterable[Column]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(
        [
            {
                "table": c.table,
                "name": c.name,
                "cadresim_name": c.original,
                "meaning": c.meaning,
                "unit": c.unit,
                "type": c.dtype,
            }
            for c in columns
        ]
    )


def _label(c: Column) -> str:
    text = c.meaning + (f" [{c.unit}]" if c.unit and c.unit != "text" else "")
    text = text.encode("latin-1", "replace").decode("latin-1")  # .dta labels: Latin-1 safe
    return text if len(text) <= STATA_LABEL else text[: STATA_LABEL - 1] + "~"


def _write(df: pd.DataFrame, cols: list[Column], path: Path, fmt: str, title: str) -> None:
    from sim.store import atomic_write_bytes, write_table

    if fmt == "parquet":
        write_table(df, path)
    elif fmt == "csv":
        text = df.to_csv(index=False, date_format="%Y-%m-%d", float_format="%.10g")
        atomic_write_bytes(path, text.encode("utf-8"))
    else:
        import io

        buf = io.BytesIO()
        df.to_stata(
            buf,
            write_index=False,
            version=118,
            convert_dates={"date": "tm"} if "date" in df else None,
            variable_labels={c.name: _label(c) for c in cols},
            data_label=title[:STATA_LABEL],
        )
        atomic_write_bytes(path, buf.getvalue())


def export_folder(
    folder: str | Path,
    out_dir: str | Path | None = None,
    fmt: str = "csv",
    tables: Sequence[str] = TABLES,
) -> list[Path]:
    """Write the folder's tables in ``fmt`` and ``codebook.csv`` into ``out_dir``
    (default ``DIR/export``); returns the written paths. Bad input raises
    :class:`sim.config.ScenarioError` before anything is written."""
    from sim.config import ScenarioError
    from sim.plots import open_folder, user_outcomes
    from sim.store import atomic_write_bytes

    if fmt not in FORMATS:
        raise ScenarioError("--format", [("", f"{fmt!r} is not a format; use one of {FORMATS}")])
    bad = [t for t in tables if t not in TABLES]
    if bad:
        raise ScenarioError("--table", [(t, f"unknown table; use one of {TABLES}") for t in bad])
    f = open_folder(folder)
    out = Path(out_dir) if out_dir else f.path / "export"
    title = f"cadresim {f.kind} {f.name}"
    users = {o.name: (o.description, o.unit) for o in user_outcomes(f)}
    prepared = []
    for t in tables:
        src = f.file(f"{t}.parquet")
        if not src.exists():
            continue
        df, cols = prepare(_read(src), t, fmt, f.params, users)
        prepared.append((t, df, cols))
    written = []
    for t, df, cols in prepared:
        path = out / f"{t}.{EXTENSION[fmt]}"
        _write(df, cols, path, fmt, f"{title}: {t}")
        written.append(path)
    book = codebook(c for _, _, cols in prepared for c in cols)
    path = out / "codebook.csv"
    atomic_write_bytes(path, book.to_csv(index=False).encode("utf-8"))
    written.append(path)
    return written


def command(folder: Path, out_dir: Path | None, fmt: str, tables: list[str] | None) -> Any:
    """The body of ``cadresim export`` (see :mod:`sim.analysis_commands`)."""
    import typer

    from sim.cli import EXIT_FAILURE, err, invalid, out
    from sim.config import ScenarioError

    try:
        paths = export_folder(folder, out_dir, fmt, tables or TABLES)
    except ScenarioError as e:
        raise invalid(e) from None
    except Exception as e:  # pragma: no cover - unexpected failure while writing
        err.print(f"[bold red]export failed[/]: {type(e).__name__}: {e}")
        raise typer.Exit(EXIT_FAILURE) from None
    for p in paths:
        out.print(f"wrote {p}", highlight=False)


def register(app) -> None:
    """Add this module's command to the CLI (see :mod:`sim.analysis_commands`)."""
    from sim.analysis_commands import register_export

    register_export(app)
