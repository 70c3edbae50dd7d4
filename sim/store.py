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
import sys
import tempfile
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

DEPENDENCIES = ("mesa", "numpy", "pandas", "pyarrow", "pydantic", "scipy", "networkx", "SALib")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_table(df: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame as Parquet atomically and deterministically (no index, no timestamps)."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="zstd")
    atomic_write_bytes(Path(path), sink.getvalue().to_pybytes())


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
