"""Calibration runs on the executors sweeps use: a local process pool, or a Dask cluster."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.calibration import load_calibration, run_study

SYNTHETIC = Path(__file__).resolve().parents[1] / "calibration" / "synthetic_recovery.yaml"


def test_optuna_study_on_dask_matches_local_pool(tmp_path):
    """The same batches of trials give the same study on a Dask cluster as on the pool."""
    distributed = pytest.importorskip("dask.distributed")
    cal = load_calibration(SYNTHETIC)
    run_study(cal, tmp_path / "pool", trials=2, workers=2)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        run_study(cal, tmp_path / "dask", trials=2, dask=cluster.scheduler_address)
    cols = ["trial", "state", "distance", "params.legitimacy", "params.threshold"]
    pool = pd.read_parquet(tmp_path / "pool" / "trials.parquet")
    dask = pd.read_parquet(tmp_path / "dask" / "trials.parquet")
    assert len(dask) == 2 and (dask["state"] == "COMPLETE").all()
    pd.testing.assert_frame_equal(pool[cols], dask[cols])
