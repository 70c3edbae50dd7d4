"""``cadresim effects``: what each regime and each mechanism does in a scenario.

The scenario is run in *arms*: the full scenario, then the scenario with one of its
regimes removed, then with one registered mechanism (:mod:`sim.mechanisms`) switched off,
each in turn. Every arm uses the same seeds (common random numbers), so the replicate-r
runs of two arms differ only by the switched element and by how its consequences move
the random stream; the paired difference removes the between-seed variation that an
unpaired comparison would carry.

For each arm and each per-run summary of every outcome (:data:`sim.outcomes.OUTCOMES`),

    effect = mean_r (full_r − without_r),   se = sd_r(full_r − without_r) / √n,

with a 95 % interval from Student's t with n − 1 degrees of freedom. A positive effect
means the regime or mechanism *raises* the outcome in this scenario. This is the
ablation of issue 13 (points 8–9); the runs are a sweep over the categorical
parameter ``arm``, so they go through :func:`sim.sweep.run_sweep` — the same local
process pool or Dask cluster, the same crash-safe, resumable folder (``runs/``,
``timeseries.parquet/``, ``summary.parquet``) — and ``effects.parquet`` plus
``effects.png`` are written (atomically) from the committed runs at the end.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    import pandas as pd

    from sim.config import Scenario
    from sim.sweep import SweepPlan, SweepReport

FULL = "full"
MAX_SEEDS = 10_000
# Printed by default (the Parquet table holds every outcome summary).
PRINTED = (
    "protest_events_per_year",
    "arrests_total",
    "legitimacy_final",
    "elite_cohesion_final",
    "grievance_worker_mean",
    "deaths_total",
)
# Panels of effects.png: the headline outcomes of `cadresim run`.
FIGURE = (
    "protest_events_per_year",
    "protest_participants_total",
    "arrests_total",
    "concessions_total",
    "legitimacy_final",
    "elite_cohesion_final",
    "cadre_cooptation_final",
    "factions_final",
    "grievance_worker_mean",
    "employed_final",
    "xiagang_final",
    "deaths_total",
)
EFFECT_COLUMNS = (
    "arm",
    "kind",
    "name",
    "outcome",
    "summary",
    "column",
    "n",
    "full_mean",
    "without_mean",
    "effect",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
)


@dataclass(frozen=True)
class Arm:
    """One arm: the full scenario, or the scenario with one regime or mechanism off."""

    id: str  # "full", "regime:<type>" (or "regime:<type>[i]"), "mechanism:<name>"
    kind: str  # "full" | "regime" | "mechanism"
    name: str  # regime type or mechanism name; "" for the full scenario
    scenario: dict  # the arm's scenario as a JSON-ready mapping


def arms(scenario: Scenario) -> list[Arm]:
    """The full scenario, each regime removed, each enabled mechanism switched off.

    A regime type that occurs more than once (e.g. two campaigns) is named by its
    position in the scenario's ``regimes`` list. Mechanisms the scenario already
    switches off have no arm.
    """
    from sim.mechanisms import NAMES

    base = scenario.model_dump(mode="json")
    out = [Arm(FULL, "full", "", base)]
    types = [r["type"] for r in base["regimes"]]
    for i, rtype in enumerate(types):
        rid = f"regime:{rtype}" if types.count(rtype) == 1 else f"regime:{rtype}[{i}]"
        data = dict(base, regimes=[r for j, r in enumerate(base["regimes"]) if j != i])
        out.append(Arm(rid, "regime", rtype, data))
    for name in NAMES:
        if not base["mechanisms"][name]:
            continue
        data = dict(base, mechanisms={**base["mechanisms"], name: False})
        out.append(Arm(f"mechanism:{name}", "mechanism", name, data))
    return out


def plan(
    scenario: Scenario, seeds: int, root_seed: int | None = None, source: str = "<scenario>"
) -> tuple[SweepPlan, list[Arm]]:
    """A sweep plan over the arms with the same ``seeds`` run seeds in every arm."""
    import pandas as pd

    from sim.config import ScenarioError, parse_scenario
    from sim.design import Parameter
    from sim.runner import derive_seeds
    from sim.sweep import SweepPlan, SweepSpec

    if scenario.epstein is not None:
        raise ScenarioError(
            source,
            [
                (
                    "epstein",
                    "effects needs a city scenario; Epstein mode has no regimes or mechanisms",
                )
            ],
        )
    if not 2 <= seeds <= MAX_SEEDS:
        raise ScenarioError(
            "--seeds",
            [("", f"must be in [2, {MAX_SEEDS}] (a standard error needs 2), got {seeds}")],
        )
    root = scenario.seed if root_seed is None else int(root_seed)
    arm_list = arms(scenario)
    if len(arm_list) == 1:
        raise ScenarioError(
            source, [("mechanisms", "nothing to switch off: no regimes and every mechanism off")]
        )
    ids = [a.id for a in arm_list]
    common = derive_seeds(root, seeds)
    spec = SweepSpec(
        name=f"{scenario.name}-effects",
        description=f"cadresim effects of {scenario.name}",
        base=arm_list[0].scenario,
        vary={"arm": ids},
        replicates=seeds,
        seed=root,
    )
    # Validate every arm as a scenario (a removed regime cannot make one invalid today,
    # but a future cross-field rule might) and store it in the form workers expect.
    scenarios = [parse_scenario(a.scenario, source).model_dump(mode="json") for a in arm_list]
    digest = hashlib.sha256(
        json.dumps({"arms": ids, "scenarios": scenarios, "seeds": common}, sort_keys=True).encode()
    ).hexdigest()
    sweep_plan = SweepPlan(
        spec=spec,
        source=source,
        file_hash=digest,
        base=arm_list[0].scenario,
        params=[Parameter("arm", ids)],
        design=pd.DataFrame({"arm": ids}),
        scenarios=scenarios,
        seeds=common * len(arm_list),  # run i is arm i // seeds, replicate i % seeds
    )
    return sweep_plan, arm_list


def paired_effects(summary: pd.DataFrame, arm_list: list[Arm]) -> pd.DataFrame:
    """One row per arm (except the full one) and outcome summary: the paired effect.

    ``summary`` has one row per run with ``arm``, ``replicate`` and the summary columns
    of :func:`sim.outcomes.summarize`. Replicates missing from either arm (failed runs)
    and non-finite values are left out of that arm's pairs; ``n`` says how many remain.
    """
    import numpy as np
    import pandas as pd
    from scipy import stats

    from sim.outcomes import OUTCOMES, summary_columns

    names = [(o.name, c) for o in OUTCOMES for c in summary_columns(o)]
    cols = [c for _, c in names]
    full = summary[summary["arm"] == FULL].set_index("replicate").sort_index()
    frames = []
    for arm in arm_list:
        if arm.kind == "full":
            continue
        other = summary[summary["arm"] == arm.id].set_index("replicate").sort_index()
        common = full.index.intersection(other.index)
        a = full.loc[common, cols].to_numpy(dtype=float)
        b = other.loc[common, cols].to_numpy(dtype=float)
        ok = np.isfinite(a) & np.isfinite(b)
        n = ok.sum(axis=0)
        d = np.where(ok, a - b, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            effect = np.where(n > 0, d.sum(axis=0) / n, np.nan)
            dev = np.where(ok, d - effect, 0.0)
            se = np.where(n >= 2, np.sqrt((dev**2).sum(axis=0) / (n - 1) / n), np.nan)
            df = np.maximum(n - 1, 1)
            half = np.where(se > 0, stats.t.ppf(0.975, df) * se, 0.0)
            p = np.where(se > 0, 2.0 * stats.t.sf(np.abs(effect) / se, df), 0.0)
            # Every pair differing by the same amount (often 0): exact, no spread.
            p = np.where((se == 0) & (effect == 0), 1.0, p)
            half = np.where(n >= 2, half, np.nan)
            p = np.where(n >= 2, p, np.nan)
            full_mean = np.where(n > 0, np.where(ok, a, 0.0).sum(axis=0) / n, np.nan)
            without_mean = np.where(n > 0, np.where(ok, b, 0.0).sum(axis=0) / n, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "arm": arm.id,
                    "kind": arm.kind,
                    "name": arm.name,
                    "outcome": [o for o, _ in names],
                    "summary": [c[len(o) + 1 :] for o, c in names],
                    "column": cols,
                    "n": n.astype("int64"),
                    "full_mean": full_mean,
                    "without_mean": without_mean,
                    "effect": effect,
                    "se": se,
                    "ci_low": effect - half,
                    "ci_high": effect + half,
                    "p_value": p,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=list(EFFECT_COLUMNS))
    return pd.concat(frames, ignore_index=True)[list(EFFECT_COLUMNS)]


def run_effects(
    scenario: Scenario,
    out: str | Path,
    seeds: int = 10,
    workers: int | None = None,
    dask: str | Any | None = None,
    root_seed: int | None = None,
    force: bool = False,
    source: str = "<scenario>",
    progress: Any = None,
) -> tuple[pd.DataFrame, SweepReport]:
    """Run (or resume) every arm into ``out``; write and return the effects table."""
    import pandas as pd

    from sim import store
    from sim.sweep import run_sweep

    sweep_plan, arm_list = plan(scenario, seeds, root_seed, source)
    out = Path(out)
    report = run_sweep(sweep_plan, out, workers, dask, force, 1, False, progress)
    summary = pd.read_parquet(out / "summary.parquet")
    table = paired_effects(summary, arm_list)
    store.write_table(table, out / "effects.parquet")
    manifest_path = out / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["effects"] = {
        "scenario": scenario.name,
        "scenario_file": source,
        "arms": [{"id": a.id, "kind": a.kind, "name": a.name} for a in arm_list],
        "seeds": sweep_plan.seeds[:seeds],
        "definition": "effect = mean over seeds of (full - without); se of the paired "
        "differences; 95% interval from Student's t with n - 1 df",
    }
    store.write_json(manifest, manifest_path)
    figure = plot_effects(table, _headline(table), title=f"{scenario.name}, {seeds} seeds")
    from sim.plots import save

    save(figure, out / "effects.png")
    return table, report


def _headline(table: pd.DataFrame) -> list[str]:
    have = set(table["column"])
    return [col for col in FIGURE if col in have]


def plot_effects(table: pd.DataFrame, columns: list[str], title: str = ""):
    """A dot-and-whisker (forest) panel per outcome summary: effect and 95 % interval."""
    import numpy as np

    from sim.plots import PANEL_W, new_figure

    arm_ids = list(dict.fromkeys(table["arm"]))
    ncols = min(4, max(1, len(columns)))
    nrows = max(1, math.ceil(len(columns) / ncols))
    height = max(2.5, 0.17 * len(arm_ids) + 1.0)
    fig = new_figure(PANEL_W * 0.85 * ncols + 1.6, height * nrows + 0.4)
    if title:
        fig.suptitle(
            f"{title}: full − without (dot: mean paired effect, filled if the 95 % interval "
            "excludes 0; bar: 95 % interval; blue: regime removed, orange: mechanism off)",
            fontsize=10,
        )
    y = np.arange(len(arm_ids))[::-1]
    colours = {"regime": "tab:blue", "mechanism": "tab:orange"}
    kinds = dict(zip(table["arm"], table["kind"], strict=False))
    for k, col in enumerate(columns):
        ax = fig.add_subplot(nrows, ncols, k + 1)
        sub = table[table["column"] == col].set_index("arm").reindex(arm_ids)
        eff, lo, hi = (sub[key].to_numpy(dtype=float) for key in ("effect", "ci_low", "ci_high"))
        sig = np.isfinite(lo) & ((lo > 0) | (hi < 0))
        kind = np.array([kinds.get(a, "") for a in arm_ids])
        # One call per colour and fill: hundreds of single-point errorbars are slow.
        for k_name, c in colours.items():
            for filled in (True, False):
                m = (kind == k_name) & (sig == filled) & np.isfinite(eff)
                if not m.any():
                    continue
                ax.errorbar(
                    eff[m],
                    y[m],
                    xerr=[
                        eff[m] - np.where(np.isfinite(lo[m]), lo[m], eff[m]),
                        np.where(np.isfinite(hi[m]), hi[m], eff[m]) - eff[m],
                    ],
                    fmt="o",
                    ms=3.5,
                    color=c,
                    mfc=c if filled else "white",
                    elinewidth=1.0,
                    capsize=0,
                )
        ax.axvline(0.0, color="0.5", lw=0.8, zorder=0)
        ax.set_title(col, fontsize=9)
        ax.set_yticks(y)
        ax.set_yticklabels(arm_ids if k % ncols == 0 else [], fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(axis="y", color="0.92", lw=0.5)
        ax.set_ylim(-0.7, len(arm_ids) - 0.3)
    return fig


def _cell(row: Any) -> tuple[str, bool]:
    effect, lo, hi = row["effect"], row["ci_low"], row["ci_high"]
    if not math.isfinite(effect):
        return "–", False
    if effect == 0 and lo == hi:
        return "0", False
    half = (hi - lo) / 2.0 if math.isfinite(lo) else math.nan
    sig = math.isfinite(lo) and (lo > 0 or hi < 0)
    return f"{effect:+.3g} ±{half:.2g}", sig


def rich_table(table: pd.DataFrame, columns: list[str], title: str):
    """Arms as rows, chosen outcome summaries as columns; bold where the 95 % CI excludes 0."""
    from rich.table import Table

    t = Table(title=title, caption="effect = full − without, ± half-width of the 95 % interval")
    t.add_column("switched off", no_wrap=True)
    for col in columns:
        t.add_column(col.replace("_", " "), justify="right")
    index = table.set_index(["arm", "column"])
    for arm in dict.fromkeys(table["arm"]):
        cells = []
        for col in columns:
            text, sig = _cell(index.loc[(arm, col)])
            cells.append(f"[bold]{text}[/]" if sig else f"[dim]{text}[/]")
        t.add_row(arm.replace("mechanism:", "").replace("regime:", "regime "), *cells)
    return t


def register(app: Any) -> None:
    """Add ``cadresim effects`` to the CLI."""

    @app.command("effects")
    def effects(
        scenario_file: Annotated[Path, typer.Argument(help="scenario YAML file")],
        seeds: Annotated[
            int,
            typer.Option(min=2, max=MAX_SEEDS, help="seeds per arm (the same in every arm)"),
        ] = 10,
        workers: Annotated[
            int | None, typer.Option(min=1, help="local worker processes (default: CPUs)")
        ] = None,
        dask: Annotated[
            str | None, typer.Option("--dask", help="Dask scheduler address, e.g. tcp://host:8786")
        ] = None,
        out_dir: Annotated[
            Path | None,
            typer.Option("--out", "-o", help="folder to write (default results/<name>-effects)"),
        ] = None,
        seed: Annotated[
            int | None, typer.Option(help="root seed of the common seeds (default: scenario's)")
        ] = None,
        outcome: Annotated[
            list[str] | None,
            typer.Option(
                "--outcome",
                help="summary column to print (repeatable, e.g. arrests_total); "
                "effects.parquet holds all",
            ),
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="discard results in --out and start afresh")
        ] = False,
    ) -> None:
        """Paired effects of switching off each regime and each mechanism (resumable)."""
        from sim.cli import EXIT_FAILURE, err, invalid, out
        from sim.config import ScenarioError, load_scenario
        from sim.outcomes import OUTCOMES, summary_columns
        from sim.progress import run_progress

        try:
            scn = load_scenario(scenario_file)
            if seed is not None and not 0 <= seed < 2**63:
                raise ScenarioError("--seed", [("", f"must be in [0, 2**63), got {seed}")])
            valid = [c for o in OUTCOMES for c in summary_columns(o)]
            bad = [c for c in outcome or [] if c not in valid]
            if bad:
                raise ScenarioError(
                    "--outcome",
                    [(c, f"unknown summary column; allowed: {', '.join(valid)}") for c in bad],
                )
            sweep_plan, arm_list = plan(scn, seeds, seed, str(scenario_file))
        except ScenarioError as e:
            raise invalid(e) from None
        target = out_dir or Path("results") / f"{scn.name}-effects"
        bar, progress = run_progress(f"{scn.name} effects", sweep_plan.n_runs, err)

        err.print(
            f"effects {scn.name}: {len(arm_list)} arms x {seeds} seeds = "
            f"{sweep_plan.n_runs} runs -> {target}",
            highlight=False,
        )
        try:
            table, report = run_effects(
                scn, target, seeds, workers, dask, seed, force, str(scenario_file), progress
            )
        except ScenarioError as e:
            raise invalid(e) from None
        except KeyboardInterrupt:
            err.print("interrupted; run the same command again to resume")
            raise typer.Exit(EXIT_FAILURE) from None
        finally:
            bar.stop()
        shown = list(outcome) if outcome else [c for c in PRINTED if c in set(table["column"])]
        out.print(rich_table(table, shown, f"{scn.name}: {seeds} common seeds per arm"))
        out.print(
            f"{report.n_runs} runs ({report.skipped} already done, {report.failed} failed); "
            f"wrote {target}/effects.parquet, effects.png, summary.parquet",
            highlight=False,
        )
        if report.failed:
            err.print(f"[bold red]{report.failed} run(s) failed[/]: see {target}/failures.parquet")
            raise typer.Exit(EXIT_FAILURE)
