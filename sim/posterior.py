"""A posterior for ``cadresim calibrate``: pyabc's ABC-SMC, held-out checks, model choice.

Method (science-anchors §4.3-4.4; Beaumont et al. 2009, Toni et al. 2009; pyabc,
Schaelte et al. 2022, doi:10.21105/joss.04304):

* priors: uniform (or log-uniform, ``log: true``) on each ``parameters`` range of the
  calibration config;
* distance: the calibration's weighted mean of squared standardized deviations
  ``z = (sim - target) / sd`` (one-sided for floor/ceiling targets), the same distance the
  optuna point fit minimizes (``sim.calibration.distance``);
* ABC-SMC (``pyabc.ABCSMC``): populations of ``population_size`` accepted particles,
  each proposed from the previous population with a kernel (``transition``: pyabc's
  multivariate normal, one covariance, or its local kernel, each particle's nearest
  neighbours; covariance times ``transition_scaling``), optionally mixed with the prior
  (``defensive_share`` of the proposals, :mod:`sim.posterior_kernels`: defensive importance
  sampling, Hesterberg 1995, which bounds every importance weight prior / proposal by
  ``1 / defensive_share``; the reform-era run with the plain kernel ended with one
  particle holding 68 % of the weight, docs/validation.md §4); the
  tolerance of each generation is the ``epsilon_quantile`` quantile of the previous
  generation's distances (``pyabc.QuantileEpsilon``: adaptive); the run stops at
  ``min_epsilon``, ``max_populations``, ``min_acceptance_rate`` or ``max_simulations``,
  whichever comes first (pyabc's own stopping rules);
* the history lives in ``OUT/abc.db`` (pyabc's SQL database): running the command again
  continues the same ABC run from its last population;
* each simulation's replicate seeds are derived from the config's root seed and the
  parameter values, so a particle is reproducible; the proposal order depends on the
  sampler (a multicore or dask sampler is not bit-reproducible, pyabc's own limitation);
* posterior predictive checks: ``ppc_draws`` (>= 10) particles resampled by weight, each
  run on a *fresh* seed (``derive_seeds(ppc_seed, ppc_draws)``, never used in fitting),
  on every target statistic and every ``holdout`` statistic (which the fit never sees);
  for each, the 50 % and 90 % central predictive intervals and whether the observed value
  lies inside (coverage);
* model selection: ``variants`` (name -> dotted-path overrides of the base scenario) are
  the competing structural models of one ABC-SMC run (pyabc's model jumps; uniform model
  prior); the output reports each variant's posterior probability. Each variant gets only
  its share of the ``population_size`` particles, and its probability is the sum of its
  particles' importance weights, so with few particles one heavy particle decides it
  (the reform-era run: 0.65 -> 0.93 in the last generation from one particle). With one
  variant the whole population fits it; the variants can then be compared afterwards on
  its particles (``calibration/validate_all.py`` stage ``compare``, paired seeds).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from sim import store
from sim.config import ScenarioError
from sim.schema import StrictModel

__all__ = ["AbcSettings", "run_abc", "weighted_quantile", "coverage"]


class AbcSettings(StrictModel):
    """The ``abc:`` block of a calibration config."""

    population_size: int = Field(
        200, ge=10, le=100_000, description="accepted particles per ABC-SMC generation"
    )
    max_populations: int = Field(
        8, ge=1, le=200, description="stop after this many generations (pyabc)"
    )
    min_epsilon: float = Field(
        0.5, ge=0.0, description="stop once the tolerance (distance: mean squared z) is this low"
    )
    epsilon_quantile: float = Field(
        0.5, gt=0.0, lt=1.0, description="next tolerance = this quantile of the last distances"
    )
    min_acceptance_rate: float = Field(
        0.01, ge=0.0, le=1.0, description="stop when a generation accepts fewer proposals"
    )
    max_simulations: int = Field(
        50_000, ge=1, description="stop after this many simulations in total (all generations)"
    )
    ppc_draws: int = Field(
        20, ge=10, le=100_000, description="posterior draws re-run on fresh seeds (>= 10)"
    )
    ppc_seed: int = Field(
        20_240_101, ge=0, lt=2**63, description="root of the fresh posterior-predictive seeds"
    )
    max_walltime_minutes: float | None = Field(
        None,
        gt=0,
        le=100_000,
        description="stop starting generations after this much wall time in this invocation "
        "(pyabc's max_walltime; a generation already running finishes) (minutes)",
    )
    # Proposal kernel (issue: the reform-era run's ESS fell to 2.1; docs/validation.md §4).
    # Importance weights are prior / proposal density, so a proposal landing in a thin part
    # of the kernel mixture (the tail of one light particle, or near a prior edge, where
    # part of the kernel's mass falls outside the prior) gets a huge weight.
    transition: Literal["multivariate_normal", "local"] = Field(
        "multivariate_normal",
        description="proposal kernel: one covariance for all particles "
        "(pyabc.MultivariateNormalTransition) or each particle's k nearest neighbours "
        "(pyabc.LocalTransition, Filippi et al. 2013) (kernel name)",
    )
    transition_scaling: float = Field(
        1.0,
        ge=0.1,
        le=10.0,
        description="multiplies the kernel covariance after Silverman's rule (pyabc's "
        "scaling; above 1 a smoother, wider proposal) (factor)",
    )
    defensive_share: float = Field(
        0.0,
        ge=0.0,
        le=0.5,
        description="share of proposals drawn from the prior instead of the kernel "
        "(defensive importance sampling, Hesterberg 1995): the proposal density is never "
        "below this share of the prior's, so no particle's weight exceeds 1/share times "
        "the prior-draw weight (probability)",
    )


# --------------------------------------------------------------------------------------
# Small pure helpers
# --------------------------------------------------------------------------------------


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float | np.ndarray):
    """Quantile of a weighted sample (pyabc's particles carry importance weights)."""
    from pyabc.weighted_statistics import weighted_quantile as wq

    v = np.asarray(values, float)
    w = np.asarray(weights, float)
    qs = np.atleast_1d(q)
    out = np.array([wq(v, w, alpha=float(a)) for a in qs])
    return out if np.ndim(q) else float(out[0])


def coverage(observed: float, draws: np.ndarray, level: float) -> bool | None:
    """Is ``observed`` inside the central ``level`` interval of the predictive ``draws``?"""
    d = np.asarray(draws, float)
    d = d[np.isfinite(d)]
    if d.size == 0 or observed is None or not np.isfinite(observed):
        return None
    lo, hi = np.quantile(d, [(1 - level) / 2, (1 + level) / 2])
    return bool(lo <= observed <= hi)


def with_observation_error(
    draws: np.ndarray, sd: float, scale: str, rng: np.random.Generator, k: int = 200
) -> np.ndarray:
    """Replicated observations: each predictive draw plus ``k`` draws of the target's error.

    A target's ``sd`` is the uncertainty of the observed figure (and the scale on which the
    distance compares it), so the posterior predictive distribution of *the observation* is
    the model's draw plus that error: Gaussian on the linear scale, or on the log scale
    (a multiplicative error) for ``scale: log``. A draw of 0 on the log scale stays 0.
    """
    d = np.asarray(draws, float)
    d = d[np.isfinite(d)]
    noise = rng.normal(0.0, sd, size=(d.size, k))
    if scale == "log":
        return np.where(d[:, None] > 0, d[:, None] * np.exp(noise), 0.0).ravel()
    return (d[:, None] + noise).ravel()


def bound_summary(target: Any, draws: np.ndarray) -> dict[str, float | None]:
    """For a floor or ceiling: the share of draws that meet the bound and with z <= 2."""
    d = np.asarray(draws, float)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return {"share_meeting_bound": None, "share_within_2sd": None}
    z = np.array([target.z(x) for x in d])
    z = z[np.isfinite(z)]
    if z.size == 0:
        return {"share_meeting_bound": None, "share_within_2sd": None}
    return {
        "share_meeting_bound": float(np.mean(z == 0.0)),
        "share_within_2sd": float(np.mean(np.abs(z) <= 2.0)),
    }


def _safe(path: str) -> str:
    """pyabc parameter names: dotted paths with the dots replaced (and back)."""
    return path.replace(".", "__").replace("[", "_I").replace("]", "_")


def particle_seed(root: int, model: int, values: dict[str, float], replicate: int) -> int:
    """A simulation's seed from the root seed, the model index and the parameter values."""
    key = json.dumps([root, model, replicate, sorted((k, repr(v)) for k, v in values.items())])
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "little") % 2**63


# --------------------------------------------------------------------------------------
# What pyabc calls (module level, so worker processes can unpickle it)
# --------------------------------------------------------------------------------------


@dataclass
class _Simulator:
    base: dict
    paths: list[str]
    statistics: list[str]
    replicates: int
    root: int
    model_index: int

    def __call__(self, pars: Any) -> dict[str, float]:
        from sim.calibration import _nanmean, evaluate

        values = {p: float(pars[_safe(p)]) for p in self.paths}
        seeds = [
            particle_seed(self.root, self.model_index, values, r) for r in range(self.replicates)
        ]
        per = evaluate(self.base, values, seeds, self.statistics)
        return {k: _nanmean(v) for k, v in per.items()}


@dataclass
class _Distance:
    cal: Any

    def __call__(self, x: dict, x0: dict) -> float:
        from sim.calibration import distance

        return float(distance(self.cal, x)[0])


def _prior(cal: Any):
    import pyabc

    rvs = {}
    for p, spec in cal.config.parameters.items():
        if spec.log:
            rvs[_safe(p)] = pyabc.RV("loguniform", spec.low, spec.high)
        else:
            rvs[_safe(p)] = pyabc.RV("uniform", spec.low, spec.high - spec.low)
    return pyabc.Distribution(**rvs)


def _variant_bases(cal: Any) -> list[tuple[str, dict]]:
    """(name, dumped scenario) per structural variant; the base alone if none."""
    from sim.calibration import scenario_with

    variants = getattr(cal.config, "variants", None) or {}
    if not variants:
        return [("base", cal.base)]
    out = []
    for name, overrides in variants.items():
        out.append((name, scenario_with(cal.base, overrides).model_dump(mode="json")))
    return out


def _sampler(workers: int, client: Any = None):
    from pyabc import sampler

    if client is not None:
        return sampler.DaskDistributedSampler(dask_client=client)
    if workers > 1:
        return sampler.MulticoreEvalParallelSampler(n_procs=workers)
    return sampler.SingleCoreSampler()


class AbcProgress(logging.Handler):
    """A rich bar of ABC-SMC generations, fed by pyabc's own log (logger ``ABC``).

    pyabc reports each generation's tolerance, acceptance and ESS on the ``ABC`` logger;
    in a terminal this shows them as one bar (generations done of ``max_populations``)
    instead of pyabc's log lines, which are muted meanwhile and restored afterwards.
    Outside a terminal (a log file, a test) it does nothing and pyabc's lines stay. The
    bar refreshes only from the log calls (``auto_refresh=False``): no display thread
    runs while pyabc forks its worker processes.
    """

    _START = re.compile(r"t: (\d+), eps: (\S+)\.$")
    _DONE = re.compile(r"Accepted: (\d+) / (\d+) = \S+, ESS: (\S+)\.$")

    def __init__(self, console: Any, label: str, done: int, total: int) -> None:
        super().__init__(level=logging.INFO)
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.active = bool(console is not None and console.is_terminal)
        self.bar = Progress(
            TextColumn(f"[bold]{label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("generations  {task.fields[note]}"),
            TimeElapsedColumn(),
            console=console,
            auto_refresh=False,
            disable=not self.active,
        )
        self.task = self.bar.add_task(label, total=total, completed=done, note="")
        self.t0 = time.time()
        self._muted: list[logging.Handler] = []

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if m := self._START.search(msg):
            note = f"generation {int(m.group(1)) + 1}: sampling at epsilon {float(m.group(2)):.3g}"
        elif m := self._DONE.search(msg):
            acc, n, ess = int(m.group(1)), int(m.group(2)), float(m.group(3))
            note = f"last: accepted {acc}/{n} ({acc / n:.0%}), ESS {ess:.0f}"
            self.bar.advance(self.task)
        elif msg.startswith("Calibration sample"):
            note = "calibration sample from the prior"
        elif msg.startswith("Stop"):
            note = msg
        else:
            return
        self.bar.update(self.task, note=note)
        self.bar.refresh()

    def __enter__(self) -> AbcProgress:
        if self.active:
            log = logging.getLogger("ABC")
            self._muted = [h for h in log.handlers if isinstance(h, logging.StreamHandler)]
            for h in self._muted:
                log.removeHandler(h)
            log.addHandler(self)
            self.bar.start()
            self.bar.refresh()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.active:
            log = logging.getLogger("ABC")
            log.removeHandler(self)
            self.bar.stop()
            for h in self._muted:
                log.addHandler(h)


# --------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------


def run_abc(
    cal: Any,
    out: str | Path,
    workers: int = 1,
    dask: str | None = None,
    ppc: bool = True,
    console: Any = None,
) -> dict:
    """Run (or continue) ABC-SMC for ``cal`` in ``out``; write the posterior and checks.

    ``console``: a rich console for the generation bar (:class:`AbcProgress`).
    """
    import pyabc

    from sim.calibration import synthesize_targets
    from sim.posterior_kernels import make_transition

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    settings: AbcSettings = cal.config.abc
    synthesize_targets(cal)
    fp = cal.fingerprint()
    fp_file = out / "abc_fingerprint.txt"
    db = out / "abc.db"
    if db.exists():
        if not fp_file.exists() or fp_file.read_text().strip() != fp:
            raise ScenarioError(
                str(out),
                [("--out", "holds an ABC run made with a different config; use a new folder")],
            )
    bases = _variant_bases(cal)
    paths = list(cal.config.parameters)
    stats = cal.statistics
    models = [
        _Simulator(b, paths, stats, cal.config.replicates, cal.config.seed, i)
        for i, (_, b) in enumerate(bases)
    ]
    priors = [_prior(cal) for _ in models]
    # pyabc draws its proposals from numpy's global generator; seed it from the config
    np.random.seed(cal.config.seed % 2**32)  # noqa: NPY002
    # a dask client made here is closed here, so its connection does not outlive the run
    client = None
    if dask:
        from distributed import Client

        client = Client(dask)
    try:
        abc = pyabc.ABCSMC(
            models,
            priors,
            _Distance(cal),
            population_size=settings.population_size,
            transitions=[make_transition(settings, pr) for pr in priors],
            eps=pyabc.QuantileEpsilon(alpha=settings.epsilon_quantile),
            sampler=_sampler(workers, client),
        )
        observed = {t.statistic: float(t.value) for t in cal.targets}
        storage = f"sqlite:///{db.resolve()}"
        if db.exists():
            abc.load(storage, 1)
            done = abc.history.max_t + 1
        else:
            abc.new(storage, observed)
            fp_file.write_text(fp)
            done = 0
        left = max(settings.max_populations - done, 0)
        if left:
            walltime = (
                _dt.timedelta(minutes=settings.max_walltime_minutes)
                if settings.max_walltime_minutes
                else None
            )
            label = cal.config.name
            with AbcProgress(console, label, done, settings.max_populations):
                abc.run(
                    minimum_epsilon=settings.min_epsilon,
                    max_nr_populations=left,
                    min_acceptance_rate=settings.min_acceptance_rate,
                    max_total_nr_simulations=settings.max_simulations,
                    max_walltime=walltime,
                )
        history = abc.history
    finally:
        if client is not None:
            client.close()
    return write_posterior(
        cal, history, [n for n, _ in bases], bases, out, ppc=ppc, workers=workers
    )


def posterior_frame(history: Any, names: list[str], paths: list[str]) -> pd.DataFrame:
    """Last generation's particles: model, parameters (dotted names), weight."""
    t = history.max_t
    probs = model_probabilities(history, len(names))
    frames = []
    for m, name in enumerate(names):
        if probs[m] <= 0:
            continue
        df, w = history.get_distribution(m=m, t=t)
        f = pd.DataFrame({p: df[_safe(p)].to_numpy() for p in paths})
        f.insert(0, "model", name)
        f["weight"] = w * probs[m]
        frames.append(f)
    out = pd.concat(frames, ignore_index=True)
    out["weight"] = out["weight"] / out["weight"].sum()
    out.insert(1, "generation", t)
    return out


def model_probabilities(history: Any, n_models: int) -> list[float]:
    """Posterior probability of each model index in the last generation (0 if extinct)."""
    probs = history.get_model_probabilities(history.max_t)
    col = probs["p"] if "p" in probs.columns else probs.iloc[0]
    return [float(col.get(m, 0.0)) for m in range(n_models)]


def model_summary(history: Any, names: list[str]) -> dict[str, dict[str, Any]]:
    """Per structural variant: probability by generation, last generation's distances.

    The probabilities' path shows whether model selection settled or is still moving; the
    distances (accepted particles of the last generation) show how close each variant
    gets to the targets, which a probability alone does not.
    """
    out: dict[str, dict[str, Any]] = {}
    t_last = history.max_t
    path = []
    for t in range(t_last + 1):
        pr = history.get_model_probabilities(t)
        col = pr["p"] if "p" in pr.columns else pr.iloc[0]
        path.append({names[m]: float(col.get(m, 0.0)) for m in range(len(names))})
    for m, name in enumerate(names):
        entry: dict[str, Any] = {"probability_by_generation": [p[name] for p in path]}
        if path[-1][name] > 0:
            pop = history.get_population(t=t_last)
            d = np.array([p.distance for p in pop.particles if p.m == m], float)
            entry["particles"] = int(d.size)
            entry["distance_median"] = float(np.median(d)) if d.size else None
            entry["distance_min"] = float(d.min()) if d.size else None
        else:
            entry["particles"] = 0
        out[name] = entry
    return out


def _resample(post: pd.DataFrame, n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(post), size=n, replace=True, p=post["weight"].to_numpy())
    return post.iloc[idx].reset_index(drop=True)


def predictive_checks(
    cal: Any,
    post: pd.DataFrame,
    bases: list[tuple[str, dict]],
    settings: AbcSettings,
    workers: int = 1,
) -> tuple[pd.DataFrame, dict]:
    """Re-run ``ppc_draws`` posterior particles on fresh seeds; coverage of the observed values."""
    from sim.calibration import evaluate
    from sim.runner import derive_seeds

    checks = list(cal.targets) + list(getattr(cal, "holdout", []))
    # report: statistics recorded in each draw for figures (the yearly series), not checked
    report_stats = list(getattr(cal.config, "report", []) or [])
    stats = sorted({t.statistic for t in checks} | set(report_stats))
    draws = _resample(post, settings.ppc_draws, settings.ppc_seed)
    seeds = derive_seeds(settings.ppc_seed, settings.ppc_draws)
    base_of = dict(bases)
    jobs = []
    for i, row in draws.iterrows():
        values = {p: float(row[p]) for p in cal.config.parameters}
        jobs.append((i, row["model"], values))
    args = [(base_of[m], v, [seeds[i]], stats) for i, m, v in jobs]
    if workers > 1:
        # each draw has its own seed, so the pool changes only the wall time
        from concurrent.futures import ProcessPoolExecutor

        from sim.runner import pool_context

        with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
            results = list(pool.map(evaluate, *zip(*args, strict=True)))
    else:
        results = [evaluate(*a) for a in args]
    rows = [
        {"draw": i, "model": m, "seed": seeds[i], **v} | {s: res[s][0] for s in stats}
        for (i, m, v), res in zip(jobs, results, strict=True)
    ]
    frame = pd.DataFrame(rows)
    held = {t.name for t in getattr(cal, "holdout", [])}
    # the observation-error draws come from their own stream of the PPC seed
    noise_rng = np.random.default_rng([settings.ppc_seed, 1])
    report = {}
    for t in checks:
        sim = frame[t.statistic].to_numpy(float)
        fin = sim[np.isfinite(sim)]
        zs = np.array([t.z(x) for x in fin])
        zs = zs[np.isfinite(zs)]

        def q(a: np.ndarray, p: float) -> float:
            return float(np.quantile(a, p)) if a.size else float("nan")

        r: dict[str, Any] = {
            "statistic": t.statistic,
            "held_out": t.name in held,
            "observed": t.value,
            "sd": t.sd,
            "kind": t.kind,
            "scale": t.scale,
            "convention": bool(getattr(t, "convention", False)),
            "predictive_median": q(fin, 0.5),
            "q05": q(fin, 0.05),
            "q25": q(fin, 0.25),
            "q75": q(fin, 0.75),
            "q95": q(fin, 0.95),
            "finite_draws": int(fin.size),
            # share of fresh-seed draws the project's own rule calls reproduced (|z| <= 2)
            "share_within_2sd": float(np.mean(np.abs(zs) <= 2.0)) if zs.size else None,
            "median_z": float(np.median(zs)) if zs.size else None,
        }
        if t.kind == "point":
            # model only: is the observation a plausible single run of the model?
            r["in_50"] = coverage(t.value, sim, 0.5)
            r["in_90"] = coverage(t.value, sim, 0.9)
            # with the target's own error: is it a plausible observation of the model?
            rep = with_observation_error(sim, t.sd, t.scale, noise_rng)
            r["obs_q05"], r["obs_q95"] = q(rep, 0.05), q(rep, 0.95)
            r["in_50_with_error"] = coverage(t.value, rep, 0.5)
            r["in_90_with_error"] = coverage(t.value, rep, 0.9)
        else:
            # a bound is not an observed value, so an interval cannot "cover" it
            r["in_50"] = r["in_90"] = r["in_50_with_error"] = r["in_90_with_error"] = None
            r |= bound_summary(t, sim)
        report[t.name] = r
    return frame, report


def _coverage_summary(report: dict, held_out: bool) -> dict:
    """Shares of point statistics whose observation lies inside the 50 % and 90 % intervals.

    Bounds (floor/ceiling) are summarized apart: the share of draws meeting them.
    """
    sel = [r for r in report.values() if r["held_out"] == held_out]
    points = [r for r in sel if r["kind"] == "point"]
    out: dict[str, Any] = {"n": len(sel), "n_point": len(points)}
    for lv in ("in_50", "in_90", "in_50_with_error", "in_90_with_error"):
        known = [r[lv] for r in points if r[lv] is not None]
        out[lv] = (sum(known) / len(known)) if known else None
        out[f"{lv}_count"] = f"{sum(known)}/{len(known)}"
    bounds = {
        n: r.get("share_meeting_bound")
        for n, r in report.items()
        if r["held_out"] == held_out and r["kind"] != "point"
    }
    if bounds:
        out["bounds_share_of_draws_meeting"] = bounds
    return out


def predictive_score(cal: Any, frame: pd.DataFrame) -> dict[str, float]:
    """Mean squared z over draws, fitted and held-out targets apart (lower predicts better).

    A statistic a draw cannot compute (NaN, or 0 on a log scale) costs the calibration's
    ``NAN_PENALTY``, as in the fit's distance; ``*_defined`` is the mean over the cells
    where z is defined, and ``undefined_*`` counts the others.
    """
    from sim.calibration import NAN_PENALTY

    out: dict[str, float] = {}
    for part, targets in (("fitted", cal.targets), ("held_out", cal.holdout)):
        cells, defined = [], []
        for t in targets:
            for x in frame[t.statistic].to_numpy(float):
                z = t.z(x)
                cells.append(z * z if np.isfinite(z) else NAN_PENALTY)
                if np.isfinite(z):
                    defined.append(z * z)
        out[f"mean_z2_{part}"] = float(np.mean(cells)) if cells else float("nan")
        out[f"mean_z2_{part}_defined"] = float(np.mean(defined)) if defined else float("nan")
        out[f"undefined_{part}"] = len(cells) - len(defined)
    return out


def recheck_posterior(
    cal: Any,
    post: pd.DataFrame,
    out: Path,
    arms: list[str] | None = None,
    workers: int = 1,
    posterior_from: str = "",
    tree: str = "",
    say: Any = print,
) -> dict[str, dict]:
    """Predictive checks of a posterior's particles on fresh seeds, per structural arm.

    With ``arms``, every particle is re-run under each named variant of ``cal`` (the same
    particles and seeds in every arm: a paired predictive comparison); without, each runs
    under the variant it was fitted with. Writes ``ppc.parquet``, ``recheck.json`` and
    ``ppc.png`` per arm (in ``out/<arm>``, or ``out``) and, for several arms,
    ``comparison.json``. Returns the per-arm results.
    """
    bases = _variant_bases(cal)
    results: dict[str, dict] = {}
    for arm in arms or [None]:
        where = out / arm if arm else out
        where.mkdir(parents=True, exist_ok=True)
        p = post.assign(model=arm) if arm else post
        t0, c0 = time.time(), _cpu()
        frame, report = predictive_checks(cal, p, bases, cal.config.abc, workers=workers)
        result = {
            "kind": "posterior_recheck",
            "posterior_from": posterior_from,
            "as_variant": arm,
            "tree": tree,
            "draws": cal.config.abc.ppc_draws,
            "seed_root": cal.config.abc.ppc_seed,
            "statistics": report,
            "coverage_fitted": _coverage_summary(report, held_out=False),
            "coverage_held_out": _coverage_summary(report, held_out=True),
            "predictive_score": predictive_score(cal, frame),
            "wall_s": time.time() - t0,
            "cpu_s": _cpu() - c0,
            "versions": store.versions(),
        }
        results[arm or "as fitted"] = result
        store.write_table(frame, where / "ppc.parquet")
        store.write_json(result, where / "recheck.json")
        plot_ppc(cal, frame, report, where / "ppc.png")
        say(f"== {arm or 'as fitted'} (tree {tree}, {result['wall_s']:.0f} s wall)")
        for name, r in report.items():
            tag = " (held out)" if r["held_out"] else ""
            say(
                f"{name}{tag}: observed {r['observed']:.4g}, median "
                f"{r['predictive_median']:.4g}, 90 % [{r['q05']:.3g}, {r['q95']:.3g}], "
                f"in 90 % {r['in_90']}, +error {r['in_90_with_error']}, "
                f"|z|<=2 {r['share_within_2sd']}"
            )
    if len(results) > 1:
        store.write_json(
            {k: r["predictive_score"] for k, r in results.items()}, out / "comparison.json"
        )
    return results


def _cpu() -> float:
    """CPU seconds of this process and of its finished (waited-for) child processes."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def write_posterior(
    cal: Any,
    history: Any,
    names: list[str],
    bases: list[tuple[str, dict]],
    out: Path,
    ppc: bool = True,
    workers: int = 1,
) -> dict:
    settings: AbcSettings = cal.config.abc
    paths = list(cal.config.parameters)
    post = posterior_frame(history, names, paths)
    store.write_table(post, out / "posterior.parquet")
    pops = history.get_all_populations()
    pops = pops[pops["t"] >= 0]
    intervals = {}
    for p in paths:
        q = weighted_quantile(post[p], post["weight"], np.array([0.05, 0.25, 0.5, 0.75, 0.95]))
        q = [float(x) for x in q]
        mean = float(np.average(post[p], weights=post["weight"]))
        intervals[p] = {
            "mean": mean,
            "q05": q[0],
            "q25": q[1],
            "median": q[2],
            "q75": q[3],
            "q95": q[4],
        }
    model_prob = dict(zip(names, model_probabilities(history, len(names)), strict=True))
    per_model = model_summary(history, names)
    result: dict[str, Any] = {
        "kind": "posterior",
        "method": "ABC-SMC (pyabc.ABCSMC, QuantileEpsilon, "
        f"{settings.transition.replace('_', ' ')} transitions x {settings.transition_scaling:g}"
        + (
            f", {settings.defensive_share:g} of proposals from the prior"
            if settings.defensive_share
            else ""
        )
        + ")",
        "transition": {
            "kernel": settings.transition,
            "scaling": settings.transition_scaling,
            "defensive_share": settings.defensive_share,
        },
        "name": cal.config.name,
        "config_file": cal.source,
        "generations": int(history.max_t + 1),
        "epsilon_schedule": [float(e) for e in pops["epsilon"]],
        "simulations": int(pops["samples"].sum()),
        "population_size": settings.population_size,
        "replicates_per_simulation": cal.config.replicates,
        "credible_intervals": intervals,
        "model_probabilities": model_prob,
        "models": per_model,
        # Kish's effective sample size of the weighted particles: how many equally
        # weighted draws the posterior is worth (pyabc logs the same per generation)
        "effective_sample_size": float(1.0 / np.sum(post["weight"].to_numpy() ** 2)),
        "truth": dict(cal.config.synthetic.truth) if cal.config.synthetic else None,
        "targets": [t.model_dump(mode="json") for t in cal.targets],
        "holdout": [t.model_dump(mode="json") for t in getattr(cal, "holdout", [])],
        "versions": store.versions(),
        "written": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    if ppc:
        frame, report = predictive_checks(cal, post, bases, settings, workers=workers)
        store.write_table(frame, out / "ppc.parquet")
        result["predictive_checks"] = {
            "draws": settings.ppc_draws,
            "seed_root": settings.ppc_seed,
            "statistics": report,
            "coverage_fitted": _coverage_summary(report, held_out=False),
            "coverage_held_out": _coverage_summary(report, held_out=True),
            "note": "in_50/in_90: the observed value inside the central interval of the "
            "model's fresh-seed draws; *_with_error: of those draws plus the target's own "
            "error (sd, on its scale); bounds are not covered but met (share of draws)",
        }
        plot_ppc(cal, frame, report, out / "ppc.png")
    store.write_json(result, out / "posterior.json")
    plot_posterior(cal, post, out / "posterior_pairs.png")
    return result


# --------------------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------------------


def plot_posterior(cal: Any, post: pd.DataFrame, path: Path) -> None:
    """Pair plot: weighted marginal histograms on the diagonal, particles below it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    params = list(cal.config.parameters.items())
    n = len(params)
    truth = cal.config.synthetic.truth if cal.config.synthetic else {}
    fig, axes = plt.subplots(n, n, figsize=(2.6 * n + 0.6, 2.6 * n + 0.6), squeeze=False)
    w = post["weight"].to_numpy()
    palette = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:pink"]
    colors = {m: palette[k % len(palette)] for k, m in enumerate(sorted(post["model"].unique()))}
    for i, (pi, si) in enumerate(params):
        for j, (pj, sj) in enumerate(params):
            ax = axes[i, j]
            if j > i:
                ax.axis("off")
                continue
            if i == j:
                bins = (
                    np.geomspace(si.low, si.high, 25)
                    if si.log
                    else np.linspace(si.low, si.high, 25)
                )
                # stacked by structural variant, so model choice shows in the marginals
                groups = [(m, g) for m, g in post.groupby("model", sort=True)]
                ax.hist(
                    [g[pi] for _, g in groups],
                    bins=bins,
                    weights=[g["weight"].to_numpy() for _, g in groups],
                    color=[colors[m] for m, _ in groups],
                    stacked=True,
                    alpha=0.8,
                    label=[str(m) for m, _ in groups],
                )
                if i == 0 and len(groups) > 1:
                    ax.legend(fontsize=6)
                q = weighted_quantile(post[pi], w, np.array([0.05, 0.95]))
                for x in q:
                    ax.axvline(x, color="tab:blue", ls=":")
                if pi in truth:
                    ax.axvline(truth[pi], color="k", ls="--")
                ax.set_yticks([])
                ax.set_xlim(si.low, si.high)
            else:
                ax.scatter(
                    post[pj],
                    post[pi],
                    s=4 + 400 * w,
                    alpha=0.4,
                    color=[colors[m] for m in post["model"]],
                )
                if pi in truth and pj in truth:
                    ax.scatter([truth[pj]], [truth[pi]], marker="x", color="k", s=60)
                ax.set_xlim(sj.low, sj.high)
                ax.set_ylim(si.low, si.high)
            if i == n - 1:
                ax.set_xlabel(pj, fontsize=8)
            if j == 0 and i > 0:
                ax.set_ylabel(pi, fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(
        f"{cal.config.name}: ABC-SMC posterior (dotted: 90 % interval; dashed/x: truth)",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_ppc(cal: Any, frame: pd.DataFrame, report: dict, path: Path) -> None:
    """One row per checked statistic: predictive draws, 50/90 % intervals, the observed value.

    Rows share an axis in units of each target's sd; draws further than ``CLIP`` sd away
    are drawn at the edge (triangles), and the median z is printed on the right, so a
    statistic that misses by orders of magnitude does not squeeze the others.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clip = 8.0
    names = list(report)
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(names) + 1.5))
    every = list(cal.targets) + list(getattr(cal, "holdout", []))
    for k, name in enumerate(names):
        r = report[name]
        tgt = next(t for t in every if t.name == name)
        obs = r["observed"]
        sim = frame[r["statistic"]].to_numpy(float)
        fin = sim[np.isfinite(sim)]
        if tgt.scale == "log":
            fin = fin[fin > 0]  # no log of a zero share; counted in the label
            zz = (np.log(fin) - math.log(obs)) / tgt.sd
        else:
            zz = (fin - obs) / tgt.sd
        if zz.size:
            lo90, lo50, hi50, hi90 = np.clip(np.quantile(zz, [0.05, 0.25, 0.75, 0.95]), -clip, clip)
            ax.plot([lo90, hi90], [k, k], color="tab:blue", lw=1.5)
            ax.plot([lo50, hi50], [k, k], color="tab:blue", lw=5, alpha=0.6)
            inside = np.abs(zz) <= clip
            ax.scatter(zz[inside], np.full(inside.sum(), k) + 0.2, s=5, color="0.45")
            for side, marker in ((1, ">"), (-1, "<")):
                n_out = int(np.sum(zz * side > clip))
                if n_out:
                    ax.scatter([side * clip], [k + 0.2], marker=marker, s=18, color="0.45")
        zero = int(sim.size - fin.size)
        note = f"median z {np.median(zz):+.2g}" if zz.size else "no finite draw"
        if zero:
            note += f"; {zero} draw(s) 0 or NaN"
        ax.text(clip + 0.3, k, note, fontsize=7, va="center")
        color = "tab:red" if r["held_out"] else "tab:green"
        marker = "D" if tgt.kind == "point" else ("<" if tgt.kind == "ceiling" else ">")
        ax.scatter([0], [k], marker=marker, color=color, zorder=5)
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(
        [
            f"{n}{' (held out)' if report[n]['held_out'] else ''}"
            f"{'' if report[n]['kind'] == 'point' else ' [' + report[n]['kind'] + ']'}"
            for n in names
        ],
        fontsize=8,
    )
    ax.set_xlim(-clip - 0.5, clip + 0.5)
    ax.axvline(0, color="0.7", lw=0.8)
    for x in (-2, 2):
        ax.axvline(x, color="0.85", lw=0.8, ls=":")
    ax.set_xlabel("(simulated - observed) / target sd (log targets on the log scale)")
    ax.set_title(
        f"{cal.config.name}: posterior predictive checks, {len(frame)} draws on fresh seeds\n"
        "bars: 50 % and 90 % intervals; diamond: observed (green fitted, red held out); "
        "triangles: a bound",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
