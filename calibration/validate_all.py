"""Regenerate every number of docs/validation.md on the current tree (issue 14).

Usage (from the repository root; ``make validation`` runs the budget docs/validation.md
quotes, ``make validation-tiny`` a dry run of every stage in minutes):

    nice -n 5 .venv/bin/python calibration/validate_all.py --workers 2 --variants full \\
        --abc population_size=75 --abc max_populations=4 --abc defensive_share=0.1 \\
        --abc max_simulations=1600 --abc max_walltime_minutes=25 --compare-draws 10

(one variant fitted: ABC model selection over two variants with 60 particles left each a
few dozen, and one heavy particle decided both the posterior and the model probability;
the variants are compared afterwards on the fitted particles, stage ``compare``)

Stages (``--stages``, default all, run in this order; each writes into ``--out``,
default ``results/validation``):

``docking``    Epstein's kernel against Mesa's example (both update orders, TOST), the
               NetLogo twin, the legitimacy experiment, and the city's protest path on the
               lattice (``benchmarks/dock_epstein.py``, ``benchmarks/dock_city.py``; runs
               cached in ``results/docking/``, keyed by the code they depend on).
``synthetic``  ABC-SMC recovery of known parameters (``calibration/synthetic_abc.yaml``,
               one process: bit-reproducible).
``posterior``  ABC-SMC of CONFIG (default ``calibration/reform_era.yaml``) with pyabc's
               adaptive tolerance, stopping rules and resumable database, then the
               posterior predictive checks on fresh seeds (fitted and held-out
               statistics) and the yearly shape figure (``shape.png``).
``compare``    the posterior's particles re-run on fresh seeds under every variant of
               CONFIG (the same particles and seeds in each arm: a paired predictive
               comparison of the structural variants).
``cr``         the Cultural Revolution point fit (``calibration/cultural_revolution.yaml``,
               optuna) and its check at the scenario's defaults.
``report``     ``validation_generated.md``: every table with the tree, date, CPU and wall
               time and the command that made it (pasted into docs/validation.md).

Each stage writes ``<stage>.json`` (results, ``cpu_s``, ``wall_s``, the command) next to
its outputs. A stage's model-dependent outputs carry the tree's model key (a hash of
``sim/``, ``scenarios/`` and ``calibration/**/*.yaml``; the docking runs have their own
code keys, ``benchmarks.dock_epstein.code_key``); the ABC stages resume their pyabc database only on the same key and otherwise refuse
(exit 2) unless ``--fresh`` is given. Bad arguments exit 2 and write nothing.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import hashlib
import json
import math
import platform
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `benchmarks` and `sim` importable
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sim import store  # noqa: E402
from sim.calibration import (  # noqa: E402
    load_calibration,
    synthesize_targets,
    with_abc_settings,
)
from sim.config import ScenarioError  # noqa: E402

STAGES = ("docking", "synthetic", "posterior", "compare", "cr", "report")

# National counts of "mass incidents" and participants (science-anchors §3.6; the same
# figures as calibration/targets/protest.yaml): the points of the yearly shape figure.
OBSERVED_EVENTS = {1993: 8_700, 1994: 10_000, 2000: 40_000, 2003: 58_000, 2004: 74_000}
OBSERVED_PARTICIPANTS = {1993: 0.86e6, 2003: 3.0e6, 2004: 3.7e6}

# The dry-run budget (--tiny): every stage, minutes instead of an hour.
TINY = {
    "abc": ["population_size=10", "max_populations=2", "max_simulations=30", "ppc_draws=10"],
    "docking_seeds": 3,
    "city_seeds": 3,
    "legitimacy_seeds": 2,
    "cr_trials": 4,
    "compare_draws": 10,
}


# --------------------------------------------------------------------------------------
# The tree
# --------------------------------------------------------------------------------------


def _git(*args: str) -> str:
    r = subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT, check=False)
    return r.stdout.strip()


def model_files() -> list[Path]:
    """The files whose content decides the model's numbers (code, scenarios, configs, targets)."""
    files = [*ROOT.glob("sim/**/*.py"), *ROOT.glob("scenarios/**/*.yaml")]
    files += [*ROOT.glob("calibration/**/*.yaml")]
    return sorted(f for f in files if "__pycache__" not in f.parts)


def model_key() -> str:
    """A hash of :func:`model_files` as they are in the working tree (edits included)."""
    h = hashlib.sha256()
    for f in model_files():
        h.update(str(f.relative_to(ROOT)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def tree_info() -> dict[str, Any]:
    """Commit, uncommitted changes to the model's files, model key, machine."""
    dirty = [
        line[3:]
        for line in _git("status", "--porcelain").splitlines()
        if line[3:].startswith(("sim/", "scenarios/", "calibration/", "benchmarks/"))
    ]
    return {
        "commit": _git("rev-parse", "--short=10", "HEAD"),
        "commit_date": _git("log", "-1", "--format=%cI"),
        "branch": _git("rev-parse", "--abbrev-ref", "HEAD"),
        "uncommitted_model_files": dirty,
        "model_key": model_key(),
        "machine": f"{platform.machine()}, {_cores()} cores, Python {platform.python_version()}",
        "versions": store.versions(),
    }


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _cpu() -> float:
    from sim.posterior import _cpu as cpu

    return cpu()


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


# --------------------------------------------------------------------------------------
# Stages
# --------------------------------------------------------------------------------------


def _fresh_folder(where: Path, key: str, fresh: bool) -> None:
    """An ABC folder may be resumed only on the model it was started on."""
    stamp = where / "model_key.txt"
    if where.exists() and any(where.iterdir()):
        old = stamp.read_text().strip() if stamp.exists() else "(none)"
        if old != key:
            if not fresh:
                raise ScenarioError(
                    str(where),
                    [
                        (
                            "--out",
                            f"holds a run on another model tree (key {old}; this tree "
                            f"{key}); pass --fresh to discard it, or use another --out",
                        )
                    ],
                )
            shutil.rmtree(where)
    where.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key)


def stage_docking(a: argparse.Namespace, out: Path, say) -> dict:
    from benchmarks import dock_city, dock_epstein

    res: dict[str, Any] = {}
    for name, fn, n in (
        ("mesa", dock_epstein.mesa_data, a.docking_seeds),
        ("netlogo", dock_epstein.netlogo_data, a.netlogo_seeds),
        ("legitimacy", dock_epstein.legitimacy_data, a.legitimacy_seeds),
        ("city", dock_city.city_data, a.city_seeds),
    ):
        say(f"docking: {name}, {n} seeds")
        t0, c0 = time.time(), _cpu()
        data = fn(n)
        res[name] = {"data": data, "seeds": n, "cpu_s": _cpu() - c0, "wall_s": time.time() - t0}
    res["code_keys"] = {k: dock_epstein.code_key(k) for k in ("mesa", "kernel", "city")}
    res["commands"] = {
        "mesa": f"python -m benchmarks.dock_epstein mesa {a.docking_seeds}",
        "netlogo": f"python -m benchmarks.dock_epstein netlogo {a.netlogo_seeds}",
        "legitimacy": f"python -m benchmarks.dock_epstein legitimacy {a.legitimacy_seeds}",
        "city": f"python -m benchmarks.dock_city {a.city_seeds}",
    }
    return res


def stage_synthetic(a: argparse.Namespace, out: Path, say) -> dict:
    from sim.posterior import run_abc

    where = out / "synthetic_abc"
    if where.exists():
        shutil.rmtree(where)  # seconds to redo, and bit-reproducible on one process
    cal = load_calibration(ROOT / "calibration" / "synthetic_abc.yaml")
    res = run_abc(cal, where, workers=1)
    (where / "model_key.txt").write_text(model_key())
    return {"folder": str(where), "posterior": _slim(res)}


def _reform(a: argparse.Namespace, variants: list[str] | None) -> Any:
    cal = load_calibration(a.config)
    if a.abc:
        cal = with_abc_settings(cal, a.abc)
    if variants:
        known = list(cal.config.variants)
        unknown = [v for v in variants if v not in known]
        if unknown:
            raise ScenarioError(
                "--variants", [("--variants", f"unknown {unknown}; the config has {known}")]
            )
        chosen = {v: cal.config.variants[v] for v in variants}
        cal.config = cal.config.model_copy(update={"variants": chosen})
    return cal


def stage_posterior(a: argparse.Namespace, out: Path, say) -> dict:
    from rich.console import Console

    from sim.posterior import run_abc

    where = out / "posterior"
    _fresh_folder(where, model_key(), a.fresh)
    cal = _reform(a, a.variants)
    res = run_abc(cal, where, workers=a.workers, console=Console(stderr=True))
    ppc = pd.read_parquet(where / "ppc.parquet")
    plot_shape(ppc, where / "shape.png", f"{cal.config.name}: {len(ppc)} posterior draws")
    return {"folder": str(where), "posterior": _slim(res), "shape": shape_table(ppc)}


def stage_compare(a: argparse.Namespace, out: Path, say) -> dict:
    from sim.posterior import recheck_posterior

    post_file = out / "posterior" / "posterior.parquet"
    if not post_file.exists():
        raise ScenarioError(str(post_file), [("posterior", "run the posterior stage first")])
    stamp = out / "posterior" / "model_key.txt"
    if stamp.read_text().strip() != model_key():
        raise ScenarioError(
            str(stamp), [("posterior", "was fitted on another model tree; run it again")]
        )
    cal = _reform(a, None)  # every variant of the config
    cal = with_abc_settings(cal, [f"ppc_draws={a.compare_draws}"])
    synthesize_targets(cal)  # a synthetic config's targets come from the model at its truth
    where = out / "compare"
    if where.exists():
        shutil.rmtree(where)
    post = pd.read_parquet(post_file)
    arms = list(cal.config.variants) or None  # none: each particle as fitted
    results = recheck_posterior(
        cal,
        post,
        where,
        arms=arms,
        workers=a.workers,
        posterior_from=str(post_file),
        tree=_git("rev-parse", "--short=10", "HEAD"),
        say=say,
    )
    # which arms produce identical draws (a switch that changes nothing cannot be tested)
    identical, paired = {}, {}
    if arms:
        frames = {arm: pd.read_parquet(where / arm / "ppc.parquet") for arm in arms}
        stats = [c for c in frames[arms[0]].columns if c not in ("draw", "model", "seed")]
        identical = {
            arm: bool(frames[arm][stats].equals(frames[arms[0]][stats])) for arm in arms[1:]
        }
        paired = {arm: paired_differences(cal, frames[arms[0]], frames[arm]) for arm in arms[1:]}
    return {
        "folder": str(where),
        "arms": {k: _slim_recheck(r) for k, r in results.items()},
        "identical_to_first_arm": identical,
        "paired_vs_first_arm": paired,
        "overrides": {k: v for k, v in cal.config.variants.items()},
    }


def paired_differences(cal: Any, base: pd.DataFrame, other: pd.DataFrame) -> dict:
    """Per checked statistic and for the squared-z scores: the arm minus the first arm.

    The arms share particles and seeds, so each draw is a pair; the median difference and
    the Wilcoxon signed-rank p (scipy; None when every pair is equal) say whether the
    structural switch moves the statistic at all, and whether it predicts better (a
    lower squared z) or worse.
    """
    from scipy.stats import wilcoxon

    def test(d: np.ndarray) -> dict:
        d = d[np.isfinite(d)]
        if not d.size:
            return {"n": 0, "median_difference": None, "p": None}
        p = None if np.all(d == 0) else float(wilcoxon(d, zero_method="zsplit").pvalue)
        return {"n": int(d.size), "median_difference": float(np.median(d)), "p": p}

    out: dict[str, Any] = {"statistics": {}, "z2": {}}
    checks = list(cal.targets) + list(cal.holdout)
    for t in checks:
        a, b = base[t.statistic].to_numpy(float), other[t.statistic].to_numpy(float)
        out["statistics"][t.name] = test(b - a)
    for part, targets in (("fitted", cal.targets), ("held_out", cal.holdout)):
        za = np.zeros(len(base))
        zb = np.zeros(len(base))
        for t in targets:
            # an undefined z (a zero share on a log scale) counts 0 in both arms here
            za += np.nan_to_num(np.array([t.z(x) ** 2 for x in base[t.statistic]]))
            zb += np.nan_to_num(np.array([t.z(x) ** 2 for x in other[t.statistic]]))
        out["z2"][part] = test(zb - za)
    return out


def stage_cr(a: argparse.Namespace, out: Path, say) -> dict:
    from sim.calibration import evaluate, replicate_seeds, run_study

    where = out / "cultural_revolution"
    if where.exists():
        shutil.rmtree(where)  # optuna's study is seeded; redone on every tree
    cal = load_calibration(ROOT / "calibration" / "cultural_revolution.yaml")
    est = run_study(cal, where, trials=a.cr_trials, workers=a.workers)
    seeds = replicate_seeds(cal.config.seed, cal.config.replicates)
    stats = cal.statistics
    defaults = evaluate(cal.base, {}, seeds, stats)
    return {
        "folder": str(where),
        "estimates": est,
        "defaults": {"seeds": seeds, "values": defaults},
    }


def _slim(res: dict) -> dict:
    """A posterior.json without its bulky parts (the targets' source texts)."""
    return {k: v for k, v in res.items() if k not in ("targets", "holdout", "versions")}


def _slim_recheck(res: dict) -> dict:
    return {k: v for k, v in res.items() if k != "versions"}


# --------------------------------------------------------------------------------------
# The yearly shape (issue 14, point 6)
# --------------------------------------------------------------------------------------


def _yearly(ppc: pd.DataFrame, outcome: str) -> dict[int, np.ndarray]:
    cols = {int(c.rsplit("_", 1)[1]): c for c in ppc.columns if c.startswith(f"{outcome}_in_")}
    return {y: ppc[c].to_numpy(float) for y, c in sorted(cols.items())}


def shape_table(ppc: pd.DataFrame) -> dict:
    """Per year: quantiles of ln((X_y + 1) / (X_ref + 1)) over the draws, and the data."""
    out = {}
    for outcome, ref, obs in (
        ("protest_events", 2000, OBSERVED_EVENTS),
        ("protest_participants", 2003, OBSERVED_PARTICIPANTS),
    ):
        years = _yearly(ppc, outcome)
        if ref not in years:
            continue
        base = years[ref]
        rows = {}
        for y, x in years.items():
            r = np.log((x + 1.0) / (base + 1.0))
            r = r[np.isfinite(r)]
            if not r.size:
                continue
            q = np.quantile(r, [0.05, 0.25, 0.5, 0.75, 0.95])
            row = {"q05": q[0], "q25": q[1], "median": q[2], "q75": q[3], "q95": q[4]}
            if y in obs:
                row["observed"] = math.log(obs[y] / obs[ref])
            rows[y] = {k: float(v) for k, v in row.items()}
        out[outcome] = {"reference_year": ref, "years": rows}
    return out


def plot_shape(ppc: pd.DataFrame, path: Path, title: str) -> None:
    """Yearly events (relative to 2000) and participants (relative to 2003): draws vs data."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = shape_table(ppc)
    if not table:
        return
    fig, axes = plt.subplots(1, len(table), figsize=(5.2 * len(table), 3.9), squeeze=False)
    roles = {
        "protest_events": {1993: "held out (onset)", 1994: "fitted", 2003: "held out"},
        "protest_participants": {2004: "held out", 1993: "not a target"},
    }
    style = {
        "fitted": ("tab:green", "o"),
        "held out": ("tab:red", "D"),
        "held out (onset)": ("tab:red", "s"),
        "reference": ("k", "x"),
        "not a target": ("0.5", "v"),
    }
    for ax, (outcome, t) in zip(axes[0], table.items(), strict=True):
        years = sorted(t["years"])
        q = {k: np.array([t["years"][y][k] for y in years]) for k in ("q05", "q25", "median")}
        q |= {k: np.array([t["years"][y][k] for y in years]) for k in ("q75", "q95")}
        ax.fill_between(years, q["q05"], q["q95"], color="tab:blue", alpha=0.15, label="90 %")
        ax.fill_between(years, q["q25"], q["q75"], color="tab:blue", alpha=0.3, label="50 %")
        ax.plot(years, q["median"], color="tab:blue", lw=1.5, label="predictive median")
        seen = set()
        for y in years:
            if "observed" not in t["years"][y]:
                continue
            if y == t["reference_year"]:
                role = "reference"
            else:
                role = roles[outcome].get(y, "held out" if y > 2000 else "fitted")
            color, marker = style[role]
            ax.scatter(
                [y],
                [t["years"][y]["observed"]],
                color=color,
                marker=marker,
                zorder=5,
                s=40,
                label=f"observed, {role}" if role not in seen else None,
            )
            seen.add(role)
        ax.axvspan(years[0] - 0.5, 2000.5, color="0.93", zorder=0)
        ax.text(years[0] - 0.3, ax.get_ylim()[1], "fit sees", fontsize=7, va="top")
        ax.set_title(f"{outcome.replace('_', ' ')}: ln(year / {t['reference_year']})", fontsize=9)
        ax.set_xlabel("year")
        ax.legend(fontsize=6, loc="lower right")
        ax.grid(alpha=0.3)
    fig.suptitle(f"{title} on fresh seeds; national counts (science-anchors §3.6)", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --------------------------------------------------------------------------------------
# The generated report
# --------------------------------------------------------------------------------------


def _f(x: Any, nd: int = 3) -> str:
    """A number for a table: ``nd`` significant digits, thousands separated, no float noise."""
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int | np.integer):
        return f"{x:,}"
    x = float(x)
    if not math.isfinite(x):
        return "nan"
    if x == 0:
        return "0"
    if abs(x) >= 10 ** (nd - 1):
        return f"{x:,.0f}"
    return f"{x:.{nd}g}"


def _stamp(st: dict) -> str:
    return (
        f"_{st['finished']}, tree `{st['tree']['commit']}`"
        + (" (uncommitted model changes)" if st["tree"]["uncommitted_model_files"] else "")
        + f", model key `{st['tree']['model_key']}`; {st['cpu_s']:.0f} CPU s "
        f"(this process and its workers), {st['wall_s'] / 60:.1f} min wall._"
    )


def _stage_head(st: dict) -> list[str]:
    return [f"`{st['command']}`", "", _stamp(st), ""]


def report_sections(out: Path) -> dict[str, str]:
    """The generated tables, one markdown block per section, from the stages' JSON files.

    Each block starts with the command and the stamp (time, tree, model key, CPU and wall
    time) of the stage that made it. ``--paste FILE`` puts each block between the markers
    ``<!-- generated:NAME -->`` and ``<!-- /generated:NAME -->`` of FILE.
    """
    from benchmarks.dock_city import city_table
    from benchmarks.dock_epstein import legitimacy_table, table

    st = {
        s: json.loads((out / f"{s}.json").read_text())
        for s in STAGES
        if (out / f"{s}.json").exists()
    }
    sec: dict[str, list[str]] = {}
    if "docking" in st:
        d = st["docking"]
        r = d["result"]
        m = r["mesa"]["data"]
        lines = _stage_head(d) + [
            f"Mesa's conventions against Mesa's example, seeds 0–{m['seeds'] - 1} "
            f"(`{r['commands']['mesa']}`; CPU s in this run: Mesa {m['cpu_s']['mesa']:.0f}, "
            f"kernel sequential {m['cpu_s']['sequential']:.0f}, synchronous "
            f"{m['cpu_s']['synchronous']:.0f}; near 0 when read from the cache of a run of "
            f"the same code, code keys {r['code_keys']}):",
            "",
            table(m["rows"]),
            "",
        ]
        for name, t in m["tost"].items():
            lines.append(
                f"- TOST, mean actives, kernel {name} vs Mesa, margin ±{m['tost_margin']:g}: "
                f"difference {t['difference']:+.2f}, p = {t['p']:.3g}"
                + (" (equivalent)" if t["p"] < 0.05 else " (equivalence not shown)")
            )
        sec["docking-mesa"] = lines
        n = r["netlogo"]["data"]
        sec["docking-netlogo"] = [
            f"NetLogo's conventions, seeds 0–{n['seeds'] - 1} (`{r['commands']['netlogo']}`, "
            f"in the run of `{d['command']}`, {_stamp_short(d)}):",
            "",
            table(n["rows"]),
            "",
            f"- TOST mean actives, margin ±{n['tost_margin']:g}: p = {n['tost_p']:.3g}",
            f"- reference behaviour, sequential port: {n['reference_sequential']}",
            f"- reference behaviour, synchronous kernel: {n['reference_synchronous']}",
        ]
        lg = r["legitimacy"]
        sec["docking-legitimacy"] = [
            f"Seeds 0–{lg['seeds'] - 1} (`{r['commands']['legitimacy']}`, "
            f"{lg['cpu_s']:.0f} CPU s in the run of `{d['command']}`, {_stamp_short(d)}):",
            "",
            legitimacy_table(lg["data"]),
        ]
        c = r["city"]
        sec["docking-city"] = [
            f"Seeds 0–{c['seeds'] - 1} (`{r['commands']['city']}`, {c['cpu_s']:.0f} CPU s in "
            f"the run of `{d['command']}`, {_stamp_short(d)}):",
            "",
            city_table(c["data"]),
        ]
    if "synthetic" in st:
        s_ = st["synthetic"]
        p = s_["result"]["posterior"]
        lines = _stage_head(s_) + [_abc_facts(p), "", _ci_table(p, truth=p.get("truth")), ""]
        if p.get("predictive_checks"):
            lines += [_ppc_table(p["predictive_checks"]), ""]
            lines += [_coverage_line(p["predictive_checks"])]
        sec["synthetic"] = lines
    if "posterior" in st:
        s_ = st["posterior"]
        p = s_["result"]["posterior"]
        folder = s_["result"]["folder"]
        sec["posterior"] = _stage_head(s_) + [
            _abc_facts(p),
            "",
            _ci_table(p),
            "",
            f"Figure: `{folder}/posterior_pairs.png`.",
        ]
        if len(p["model_probabilities"]) > 1:
            sec["models"] = [
                f"ABC model selection in the run of `{s_['command']}` ({_stamp_short(s_)}); "
                "uniform prior over the variants:",
                "",
                _model_table(p),
            ]
        else:
            # one variant fitted: say so, so the pasted section does not keep an older table
            (only,) = p["model_probabilities"]
            sec["models"] = [
                f"No ABC model selection in the run of `{s_['command']}` ({_stamp_short(s_)}): "
                f"the whole population fits one variant (`{only}`); the variants are "
                "compared on its particles in the paired check below."
            ]
        pc = p.get("predictive_checks")
        if pc:
            sec["ppc"] = [
                f"{pc['draws']} posterior draws resampled by weight, each on a fresh seed "
                f"(`derive_seeds({pc['seed_root']}, {pc['draws']})`), in the run of "
                f"`{s_['command']}` ({_stamp_short(s_)}); figure `{folder}/ppc.png`:",
                "",
                _ppc_table(pc),
                "",
                _coverage_line(pc),
            ]
        if s_["result"].get("shape"):
            sec["shape"] = [
                f"Figure `{folder}/shape.png` (the same draws): predictive quantiles of "
                "ln(X_year / X_ref) per calendar year against the national counts.",
                "",
                _shape_md(s_["result"]["shape"]),
            ]
    if "compare" in st:
        s_ = st["compare"]
        r = s_["result"]
        lines = _stage_head(s_) + [_compare_table(r), ""]
        same = [k for k, v in r["identical_to_first_arm"].items() if v]
        if same:
            lines.append(
                f"Identical draws to `{next(iter(r['arms']))}` in every statistic: "
                + ", ".join(f"`{k}`" for k in same)
                + " (the switch changes nothing here, so these patterns cannot test it)."
            )
        sec["compare"] = lines
    if "cr" in st:
        s_ = st["cr"]
        e, dflt = s_["result"]["estimates"], s_["result"]["defaults"]
        sec["cr"] = _stage_head(s_) + [_cr_md(e, dflt)]
    return {k: "\n".join(v).rstrip() for k, v in sec.items()}


def _stamp_short(st: dict) -> str:
    return f"tree `{st['tree']['commit']}`, model key `{st['tree']['model_key']}`"


def report(out: Path) -> str:
    """``validation_generated.md``: every section of :func:`report_sections`."""
    sections = report_sections(out)
    parts = ["# Generated validation tables (calibration/validate_all.py)", ""]
    if not sections:
        return "\n".join([*parts, "(no stage has run)"])
    any_st = json.loads(next(out.glob("*.json")).read_text())
    parts += [
        f"Machine: {any_st['tree']['machine']}. Times: CPU seconds of the driver and its "
        "worker processes (`resource.getrusage`, self + children); wall minutes. Every "
        "block starts with the command that made it. Sections (for `--paste`): "
        + ", ".join(sections)
        + ".",
        "",
    ]
    for name, text in sections.items():
        parts += [f"## {name}", "", text, ""]
    return "\n".join(parts)


_MARK = re.compile(
    r"(<!-- generated:(?P<name>[a-z-]+) -->\n)(?P<body>.*?)\n?(<!-- /generated:(?P=name) -->)",
    re.S,
)


def paste(doc: Path, sections: dict[str, str]) -> list[str]:
    """Replace each marked block of ``doc`` with its section; returns the names pasted."""
    text = doc.read_text()
    done: list[str] = []

    def sub(m: re.Match) -> str:
        name = m["name"]
        if name not in sections:
            return m.group(0)
        done.append(name)
        return m.group(1) + sections[name] + "\n" + m.group(4)

    new = _MARK.sub(sub, text)
    if new != text:
        store.atomic_write_bytes(doc, new.encode())
    return done


def _abc_facts(p: dict) -> str:
    eps = " → ".join(_f(e) for e in p["epsilon_schedule"])
    return (
        f"{p['generations']} generations, {p['simulations']:,} simulations "
        f"({p['population_size']} particles, {p['replicates_per_simulation']} replicate(s) "
        f"each), epsilon {eps}; effective sample size {p['effective_sample_size']:.1f}."
    )


def _ci_table(p: dict, truth: dict | None = None) -> str:
    head = "| parameter | " + ("truth | " if truth else "") + "median | 50 % | 90 % |"
    lines = [head, "|---|" + ("---|" if truth else "") + "---|---|---|"]
    for name, c in p["credible_intervals"].items():
        t = f"{_f(truth[name])} | " if truth else ""
        lines.append(
            f"| {name} | {t}{_f(c['median'])} | {_f(c['q25'])}–{_f(c['q75'])} "
            f"| {_f(c['q05'])}–{_f(c['q95'])} |"
        )
    return "\n".join(lines)


def _model_table(p: dict) -> str:
    lines = [
        "| variant | probability | by generation | particles | median distance | best |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in p["models"].items():
        path = " → ".join(f"{x:.2f}" for x in m["probability_by_generation"])
        lines.append(
            f"| {name} | {p['model_probabilities'][name]:.2f} | {path} | {m['particles']} "
            f"| {_f(m.get('distance_median'))} | {_f(m.get('distance_min'))} |"
        )
    return "\n".join(lines)


def _ppc_table(pc: dict) -> str:
    lines = [
        "| statistic | role | observed | median | 90 % interval | in 50 % | in 90 % "
        "| in 90 % + error | abs(z) ≤ 2 | median z |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in pc["statistics"].items():
        role = "held out" if r["held_out"] else "fitted"
        if r["kind"] != "point":
            role += f", {r['kind']}" + (", convention" if r.get("convention") else "")
            cover = f"– | – | meets bound in {_pct(r.get('share_meeting_bound'))}"
        else:
            cover = f"{_f(r['in_50'])} | {_f(r['in_90'])} | {_f(r['in_90_with_error'])}"
        fin = r.get("finite_draws")
        lines.append(
            f"| {name} | {role} | {_f(r['observed'])} | {_f(r['predictive_median'])} "
            f"| {_f(r['q05'])}–{_f(r['q95'])} | {cover} | {_pct(r.get('share_within_2sd'))}"
            + (f" of {fin} finite" if fin is not None and fin < pc["draws"] else "")
            + f" | {_f(r.get('median_z'), 2)} |"
        )
    return "\n".join(lines)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f} %"


def _coverage_line(pc: dict) -> str:
    out = []
    for part in ("fitted", "held_out"):
        c = pc[f"coverage_{part}"]
        out.append(
            f"{part.replace('_', '-')} point statistics: in 50 % {c['in_50_count']}, in 90 % "
            f"{c['in_90_count']}; with the targets' error: in 50 % "
            f"{c['in_50_with_error_count']}, in 90 % {c['in_90_with_error_count']}"
        )
    return "Coverage — " + "; ".join(out) + "."


def _shape_md(shape: dict) -> str:
    lines = []
    for outcome, t in shape.items():
        lines.append(f"{outcome} relative to {t['reference_year']}:")
        lines.append("")
        lines.append("| year | " + " | ".join(str(y) for y in t["years"]) + " |")
        lines.append("|---|" + "---|" * len(t["years"]) + "")
        for k, label in (("median", "median"), ("q05", "q05"), ("q95", "q95")):
            lines.append(
                f"| {label} | " + " | ".join(_f(v[k], 2) for v in t["years"].values()) + " |"
            )
        lines.append(
            "| observed | "
            + " | ".join(_f(v.get("observed"), 2) for v in t["years"].values())
            + " |"
        )
        lines.append("")
    return "\n".join(lines)


def _compare_table(r: dict) -> str:
    lines = [
        "| variant | overrides | fitted mean z² | held-out mean z² (defined) "
        "| fitted in 90 % + error | held out in 90 % + error | CPU s |",
        "|---|---|---|---|---|---|---|",
    ]
    for arm, a in r["arms"].items():
        sc = a["predictive_score"]
        ov = ", ".join(f"`{k}: {v}`" for k, v in r["overrides"].get(arm, {}).items()) or "–"
        lines.append(
            f"| {arm} | {ov} | {_f(sc['mean_z2_fitted'])} | "
            f"{_f(sc['mean_z2_held_out_defined'])} | "
            f"{a['coverage_fitted']['in_90_with_error_count']} | "
            f"{a['coverage_held_out']['in_90_with_error_count']} | {a['cpu_s']:.0f} |"
        )
    # the statistics that separate the arms: per statistic, median over draws per arm, and
    # the paired difference to the first arm with its Wilcoxon p
    arms = list(r["arms"])
    first = r["arms"][arms[0]]["statistics"]
    pv = r.get("paired_vs_first_arm", {})
    head = [arms[0]] + [f"{a} (paired diff., p)" for a in arms[1:]]
    lines += ["", "| statistic (median of draws) | " + " | ".join(head) + " |"]
    lines.append("|---|" + "---|" * len(arms))

    def cell(arm: str, key: str, name: str) -> str:
        d = pv.get(arm, {}).get(key, {}).get(name)
        if not d or d["median_difference"] is None:
            return "–"
        if d["p"] is None:
            return "identical"
        return f"{_f(d['median_difference'], 2)}, p {d['p']:.2g}"

    for name in first:
        vals = [_f(r["arms"][a]["statistics"][name]["predictive_median"]) for a in arms]
        vals = [vals[0]] + [
            f"{v} ({cell(a, 'statistics', name)})" for a, v in zip(arms[1:], vals[1:], strict=True)
        ]
        lines.append(f"| {name} | " + " | ".join(vals) + " |")
    for part in ("fitted", "held_out"):
        vals = ["0"] + [cell(a, "z2", part) for a in arms[1:]]
        lines.append(
            f"| sum of z², {part.replace('_', '-')} (paired diff.) | " + " | ".join(vals) + " |"
        )
    return "\n".join(lines)


def _cr_md(e: dict, dflt: dict) -> str:
    best = e["best"]
    fit = next(iter(best["fit"].values()))
    acc = e["accepted"]
    vals = next(iter(dflt["values"].values()))
    spread = "; ".join(
        f"{p} {_f(s['mean'])} ± {_f(s['sd'])} (q05–q95 {_f(s['q05'])}–{_f(s['q95'])})"
        for p, s in acc["params"].items()
    )
    return (
        f"{e['n_complete']} trials, {e['replicates']} replicates each, seed {e['seed']}. "
        f"Best trial {best['trial']}: "
        + ", ".join(f"{p} {_f(v)}" for p, v in best["params"].items())
        + f"; statistic {_f(fit['simulated'])} (replicate sd {_f(fit['sd_replicates'])}) "
        f"against the floor {_f(fit['target'])} ± {_f(fit['sd'])}, z = {fit['z']:.2f}, "
        f"D = {_f(best['distance'])}. Accepted ({'tolerance met' if acc['tolerance_met'] else 'tolerance not met: the best ' + str(acc['n'])}): "
        f"{spread}. At the scenario's defaults, on the config's {len(dflt['seeds'])} "
        f"replicate seeds (`replicate_seeds({e['seed']}, {len(dflt['seeds'])})`): "
        + ", ".join(_f(v) for v in vals)
        + f" (mean {_f(float(np.nanmean(vals)))})."
    )


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="calibration/validate_all.py",
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--config", default=str(ROOT / "calibration" / "reform_era.yaml"))
    ap.add_argument("--out", default="results/validation")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--stages", default=",".join(STAGES), help=f"comma list of {STAGES}")
    ap.add_argument(
        "--abc", action="append", default=[], metavar="KEY=VALUE", help="ABC setting (repeat)"
    )
    ap.add_argument(
        "--variants", default=None, help="comma list: the config's variants the ABC compares"
    )
    ap.add_argument("--compare-draws", type=int, default=20, help="paired draws per variant")
    ap.add_argument("--docking-seeds", type=int, default=30)
    ap.add_argument("--netlogo-seeds", type=int, default=20)
    ap.add_argument("--legitimacy-seeds", type=int, default=10)
    ap.add_argument("--city-seeds", type=int, default=20)
    ap.add_argument("--cr-trials", type=int, default=20)
    ap.add_argument("--fresh", action="store_true", help="discard an ABC run of another tree")
    ap.add_argument("--tiny", action="store_true", help="the dry-run budget (minutes)")
    ap.add_argument(
        "--paste",
        default=None,
        metavar="FILE",
        help="with the report stage: put the generated blocks between FILE's "
        "<!-- generated:NAME --> markers (e.g. docs/validation.md)",
    )
    a = ap.parse_args(argv)
    if a.tiny:
        a.abc = TINY["abc"] + a.abc
        a.docking_seeds = a.netlogo_seeds = TINY["docking_seeds"]
        a.city_seeds, a.legitimacy_seeds = TINY["city_seeds"], TINY["legitimacy_seeds"]
        a.cr_trials, a.compare_draws = TINY["cr_trials"], TINY["compare_draws"]
    a.stages = [s.strip() for s in a.stages.split(",") if s.strip()]
    a.variants = [v.strip() for v in a.variants.split(",")] if a.variants else None
    return a


def check(a: argparse.Namespace) -> None:
    """Every argument problem, before anything is written (exit 2)."""
    problems = []
    bad = [s for s in a.stages if s not in STAGES]
    if bad:
        problems.append(("--stages", f"unknown {bad}; use {', '.join(STAGES)}"))
    for name in ("workers", "docking_seeds", "netlogo_seeds", "legitimacy_seeds", "cr_trials"):
        if getattr(a, name) < 1:
            problems.append((f"--{name.replace('_', '-')}", "must be >= 1"))
    if a.city_seeds < 2:
        problems.append(("--city-seeds", "must be >= 2 (KS tests)"))
    if a.compare_draws < 10:
        problems.append(("--compare-draws", "must be >= 10"))
    if a.paste and not Path(a.paste).is_file():
        problems.append(("--paste", f"file not found: {a.paste}"))
    if problems:
        raise ScenarioError("calibration/validate_all.py", problems)
    _reform(a, a.variants)  # the config, --abc and --variants (raises ScenarioError)


def main(argv: list[str]) -> int:
    from rich.console import Console

    err = Console(stderr=True)
    a = parse(argv)
    try:
        check(a)
    except ScenarioError as e:
        for where, msg in e.problems:
            err.print(f"error: {e.source}: {where}: {msg}", highlight=False, markup=False)
        return 2
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    command = shlex.join(["python", "calibration/validate_all.py", *argv])
    fns = {
        "docking": stage_docking,
        "synthetic": stage_synthetic,
        "posterior": stage_posterior,
        "compare": stage_compare,
        "cr": stage_cr,
    }

    def say(msg: str) -> None:
        err.print(f"[{_dt.datetime.now(_dt.UTC):%H:%M:%S}] {msg}", highlight=False, markup=False)

    for stage in [s for s in STAGES if s in a.stages]:
        if stage == "report":
            continue
        say(f"stage {stage}")
        t0, c0, started = time.time(), _cpu(), _now()
        try:
            result = fns[stage](a, out, say)
        except ScenarioError as e:
            for where, msg in e.problems:
                err.print(f"error: {e.source}: {where}: {msg}", highlight=False, markup=False)
            return 2
        record = {
            "stage": stage,
            "command": command,
            "started": started,
            "finished": _now(),
            "cpu_s": _cpu() - c0,
            "wall_s": time.time() - t0,
            "tree": tree_info(),
            "result": result,
        }
        store.write_json(record, out / f"{stage}.json")
        say(f"stage {stage} done: {record['cpu_s']:.0f} CPU s, {record['wall_s']:.0f} s wall")
    if "report" in a.stages:
        text = report(out)
        store.atomic_write_bytes(out / "validation_generated.md", (text + "\n").encode())
        say(f"wrote {out / 'validation_generated.md'}")
        if a.paste:
            done = paste(Path(a.paste), report_sections(out))
            say(f"pasted into {a.paste}: {', '.join(done) or 'nothing (no markers)'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
