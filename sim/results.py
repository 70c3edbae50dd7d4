"""Loading run and sweep folders into pandas, reading time series lazily.

>>> from sim.results import load
>>> res = load("results/legitimacy_vs_repression")
>>> res.summary.groupby("params.legitimacy")["protest_events_per_year"].mean()
>>> res.timeseries(columns=["run_id", "step", "legitimacy"], filters=[("step", ">=", 12)])

``timeseries.parquet`` may be one file (a run folder) or a directory of shards (a sweep
folder); both are read with ``pyarrow.dataset``, so only the requested columns and the
row groups that pass the filters are loaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.dataset as ds
import pyarrow.parquet as pq


@dataclass
class Results:
    """A run or sweep folder on disk."""

    path: Path

    @cached_property
    def manifest(self) -> dict:
        return json.loads((self.path / "manifest.json").read_text(encoding="utf-8"))

    @property
    def kind(self) -> str:
        return self.manifest.get("kind", "run")

    @cached_property
    def summary(self) -> pd.DataFrame:
        """One row per finished run (design parameters, seed, outcome summaries)."""
        return _read(self.path / "summary.parquet")

    @cached_property
    def failures(self) -> pd.DataFrame:
        """Failed runs of a sweep (run id, parameters, seed, error); empty for a run folder."""
        return _read(self.path / "failures.parquet")

    @property
    def parameters(self) -> list[str]:
        """The varied parameters (summary columns named by dotted path)."""
        return list(self.manifest.get("parameters", []))

    def dataset(self, name: str = "timeseries") -> ds.Dataset:
        """The ``pyarrow.dataset`` over ``<name>.parquet`` (a file or a shard directory)."""
        target = self.path / f"{name}.parquet"
        if not target.exists():
            raise FileNotFoundError(f"{target} does not exist")
        return ds.dataset(str(target), format="parquet")

    def timeseries(self, columns: list[str] | None = None, filters: Any = None) -> pd.DataFrame:
        """Time series rows, reading only ``columns`` and rows passing ``filters``.

        ``filters`` is a ``pyarrow.compute`` expression or DNF tuples as in
        ``pyarrow.parquet`` (``[("run_id", "in", ["run-000001"]), ("step", ">=", 12)]``).
        """
        return self._read_dataset("timeseries", columns, filters)

    def events(self, columns: list[str] | None = None, filters: Any = None) -> pd.DataFrame:
        """Protest events (if the runs recorded them), read like :meth:`timeseries`."""
        return self._read_dataset("events", columns, filters)

    def agents(self, columns: list[str] | None = None, filters: Any = None) -> pd.DataFrame:
        """Agent-level snapshots (``output.snapshots``; one row per person and snapshot
        month, ``agents.parquet``), read like :meth:`timeseries`."""
        return self._read_dataset("agents", columns, filters)

    def _read_dataset(self, name: str, columns: list[str] | None, filters: Any) -> pd.DataFrame:
        dset = self.dataset(name)
        if filters is not None and not isinstance(filters, ds.Expression):
            filters = pq.filters_to_expression(filters)
        table = dset.to_table(columns=columns, filter=filters)
        df = table.to_pandas()
        sort = [c for c in ("run_id", "step", "agent") if c in df.columns]
        if sort:
            df = df.sort_values(sort, kind="stable", ignore_index=True)
        return df

    def by_run(self, run_id: str, columns: list[str] | None = None) -> pd.DataFrame:
        """The time series of one run."""
        return self.timeseries(columns, [("run_id", "==", run_id)])


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        return pd.DataFrame()
    return pq.read_table(path).to_pandas()


def load(path: str | Path) -> Results:
    """Open a run or sweep folder (raises ``FileNotFoundError`` if it has no manifest)."""
    path = Path(path)
    if not (path / "manifest.json").is_file():
        raise FileNotFoundError(f"{path} holds no manifest.json: not a run or sweep folder")
    return Results(path)
