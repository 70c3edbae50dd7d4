"""Run folders on disk: atomic Parquet and JSON writes, and the manifest.

Layout (DESIGN.md "Output contract"): ``manifest.json``, ``timeseries.parquet`` (one row
per run per recorded month), ``summary.parquet`` (one row per run), and optionally
``events.parquet`` (one row per protest event). Writes go to a temporary file in the
same folder and are renamed into place, so a killed process never leaves a
half-written file that is read back.
"""

from __future__ import annotations

import json
import os
import platform
import secrets
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

DEPENDENCIES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "scipy", "networkx", "SALib")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    The temporary file is created with mode 0666 filtered by the umask, as ``open()``
    would (``tempfile.mkstemp`` forces 0600, which hid results from colleagues on a
    shared server: issue 15, case 6).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    while True:
        tmp = path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, flags, 0o666)
            break
        except FileExistsError:  # pragma: no cover - 48 random bits collided
            continue
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def table_bytes(df: pd.DataFrame) -> bytes:
    """A DataFrame as Parquet bytes, deterministically (no index, no timestamps)."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue().to_pybytes()


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame as Parquet atomically and deterministically (no index, no timestamps)."""
    atomic_write_bytes(Path(path), table_bytes(df))


def write_json(obj: Any, path: str | Path) -> None:
    text = json.dumps(obj, indent=2, sort_keys=False, default=str) + "\n"
    atomic_write_bytes(Path(path), text.encode("utf-8"))


def versions() -> dict[str, str]:
    """Package and dependency versions for the manifest."""
    out = {"cadresim": _version("cadresim"), "python": sys.version.split()[0]}
    for dep in DEPENDENCIES:
        out[dep] = _version(dep)
    out["platform"] = platform.platform()
    return out


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


# ---------------------------------------------------------------------------------------
# Output folders: what may be written where (issue 15, cases 1 and 12)

RUN_FILES = (
    "manifest.json",
    "timeseries.parquet",
    "summary.parquet",
    "events.parquet",
    "agents.parquet",
)


def out_path_problem(path: Path) -> str | None:
    """Why ``path`` cannot be an output folder (a file, under a file, not writable), or
    None. Nothing is created."""
    if path.exists() and not path.is_dir():
        return f"{path} is a file, not a folder; choose a folder for the results"
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        return f"{path} is under {probe}, which is a file, not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        what = "write into" if probe == path else f"create folders in {probe} for"
        return f"cannot {what} {path}: permission denied"
    return None


def make_out_dir(path: Path) -> str | None:
    """Create ``path`` (and parents) and check that files can be created in it; returns
    why not, or None. Only called once the folder has been accepted."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / f".write-test.{secrets.token_hex(4)}.tmp"
        os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        probe.unlink()
    except OSError as err:
        return f"cannot write into {path}: {err.strerror or err}"
    return None


def read_manifest(folder: Path) -> dict | None:
    """The folder's ``manifest.json`` as a dict, or None when missing or unreadable."""
    try:
        data = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def describe_folder(folder: Path) -> str:
    """What a non-empty folder holds, in words, for a refusal message."""
    manifest = read_manifest(folder)
    if manifest is not None and manifest.get("kind") == "sweep":
        done, total = manifest.get("finished_runs"), manifest.get("runs")
        runs = f"{done} of {total} runs finished" if done is not None else f"{total} runs"
        return f"sweep '{manifest.get('name')}' ({runs}, status {manifest.get('status')})"
    if manifest is not None and manifest.get("kind") == "run":
        scn = manifest.get("scenario") or {}
        name = scn.get("name") if isinstance(scn, dict) else None
        seeds = manifest.get("seeds")
        shown = seeds if not isinstance(seeds, list) or len(seeds) <= 4 else f"{len(seeds)} seeds"
        return f"a run of scenario '{name}' (seeds {shown}, status {manifest.get('status')})"
    names = sorted(e.name for e in folder.iterdir() if e.name != ".lock")
    listing = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    what = "an unreadable manifest.json and " if "manifest.json" in names else ""
    return f"{what}{len(names)} entries that are not cadresim results: {listing}"


def is_empty(folder: Path) -> bool:
    return not any(e.name != ".lock" for e in folder.iterdir())
