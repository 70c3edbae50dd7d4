"""The page ``cadresim explore`` serves: Mesa's SolaraViz on one scenario file.

Served with ``solara run sim.explore_app`` (see :func:`sim.explore.server_command`); the
scenario path comes from the ``CADRESIM_EXPLORE_SCENARIO`` environment variable. Each
browser tab gets its own model. The sidebar holds Mesa's controls (play/step/reset) and
one input per control of :func:`sim.explore.controls`; the main area holds the outcome
plots (Mesa's ``make_plot_component`` over a ``DataCollector`` that reads the latest row
of ``model.records``), a map of work units and villages coloured by grievance, and the
run panel with "save as scenario".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import solara
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa import DataCollector
from mesa.visualization import SolaraViz
from mesa.visualization.utils import update_counter

from sim import explore
from sim.config import Scenario, ScenarioError, load_scenario, parse_scenario
from sim.model import CadreModel
from sim.outcomes import OUTCOME_NAMES
from sim.state import Sector


def _latest(j: int, model: ExploreModel) -> float:
    return float(model.latest[j])


class ExploreModel(CadreModel):
    """A :class:`CadreModel` built from a base scenario and control values.

    SolaraViz re-creates the model on Reset by calling the class with keyword arguments
    only; this wrapper takes them (see :func:`sim.explore.scenario_from_controls` for the
    keys) and keeps the settings needed to save the run as a scenario file. Mesa passes
    its own ``scenario`` object on Reset, which is ignored: the scenario is ours.
    """

    def __init__(
        self,
        base_scenario: Scenario,
        source: str | None = None,
        scenario: Any = None,
        **values: Any,
    ):
        del scenario
        self.base_scenario = base_scenario
        self.source = source
        self.control_values = dict(values)
        self.scenario_data = explore.scenario_from_controls(base_scenario, values)
        super().__init__(parse_scenario(self.scenario_data, "<explore controls>"))
        self.latest = np.full(len(OUTCOME_NAMES), np.nan)
        self.datacollector = DataCollector(
            model_reporters={name: partial(_latest, j) for j, name in enumerate(OUTCOME_NAMES)}
        )

    def step(self) -> None:
        super().step()
        self.latest = self.records[self.step_index - 1]
        self.datacollector.collect(self)


# --- outcome plots ----------------------------------------------------------------------
# Mesa's ``make_plot_component`` builds a new figure and a tight-bbox PNG for every plot on
# every step (about 150 ms of CPU each here). These components keep one figure per model
# and move the lines' data, and send SVG with text as text: about 50 ms per plot, so a
# step with four plots and the map redraws in well under a second (tests/test_explore.py).
# ``ExploreModel.datacollector`` still lets ``make_plot_component("<outcome>")`` work.
@dataclass(frozen=True)
class PlotSpec:
    title: str
    ylabel: str
    series: tuple[tuple[str, str, str], ...]  # (outcome, legend label, colour)
    unit_interval: bool = False  # y axis fixed to 0..1
    min_top: float = 1.0  # the y axis reaches at least this high (else: data max × 1.15)
    max_top: float = np.inf  # ... and at most this high


PLOTS: tuple[PlotSpec, ...] = (
    PlotSpec(
        "Protest and the state's answer",
        "events per month",
        (
            ("protest_events", "protest events", "tab:red"),
            ("concessions", "concessions", "tab:green"),
            ("pacifications", "pacification payments", "tab:olive"),
        ),
    ),
    PlotSpec(
        "Legitimacy and the elite",
        "index (0–1)",
        (
            ("legitimacy", "legitimacy", "tab:blue"),
            ("elite_cohesion", "elite cohesion", "tab:purple"),
            ("cadre_cooptation", "cadre co-optation", "tab:gray"),
        ),
        unit_interval=True,
    ),
    PlotSpec(
        "Grievance by group",
        "mean grievance (0–1)",
        (
            ("grievance_cadre", "cadres", "tab:gray"),
            ("grievance_technician", "technicians", "tab:cyan"),
            ("grievance_worker", "urban workers", "tab:red"),
            ("grievance_migrant", "migrants", "tab:orange"),
            ("grievance_peasant", "peasants", "tab:green"),
        ),
        min_top=0.2,
        max_top=1.0,
    ),
    PlotSpec(
        "Employment",
        "agents",
        (
            ("employed", "employed", "tab:blue"),
            ("xiagang", "xiagang (laid off, stipend)", "tab:orange"),
            ("unemployed", "unemployed (no status)", "tab:red"),
            ("retired", "retired", "tab:gray"),
        ),
    ),
)

_COLUMN = {name: j for j, name in enumerate(OUTCOME_NAMES)}
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text in the SVG: fast, sharp


def month_axis(model: CadreModel) -> np.ndarray:
    """Decimal years of every month of the run (1993.0 = January 1993)."""
    start = model.config.start
    return start.year + (start.month - 1 + np.arange(model.n_steps)) / 12.0


class OutcomeFigure:
    """One plot of :data:`PLOTS` for one model, redrawn by moving its lines' data."""

    def __init__(self, model: CadreModel, spec: PlotSpec):
        self.model, self.spec = model, spec
        self.x = month_axis(model)
        self.fig = Figure(figsize=(6.0, 3.8), dpi=72)
        ax = self.ax = self.fig.subplots()
        self.lines = [
            ax.plot([], [], color=colour, label=label, lw=1.6)[0]
            for _, label, colour in spec.series
        ]
        ax.set_title(spec.title)
        ax.set_ylabel(spec.ylabel)
        ax.set_xlabel("year")
        ax.set_xlim(self.x[0], self.x[-1] + 1 / 12)
        ax.grid(alpha=0.3)
        if spec.unit_interval:
            ax.set_ylim(0, 1)
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.16),
            fontsize="small",
            ncol=3,
            frameon=False,
        )
        self.fig.subplots_adjust(left=0.12, right=0.97, top=0.92, bottom=0.3)

    def update(self) -> Figure:
        k = self.model.step_index
        for line, (name, _, _) in zip(self.lines, self.spec.series, strict=True):
            line.set_data(self.x[:k], self.model.records[:k, _COLUMN[name]])
        if not self.spec.unit_interval:
            top = (
                np.nanmax(
                    self.model.records[:k, [_COLUMN[n] for n, _, _ in self.spec.series]],
                    initial=0.0,
                )
                if k
                else 0.0
            )
            top = min(max(self.spec.min_top, 1.15 * float(top)), self.spec.max_top)
            self.ax.set_ylim(0, top)
        return self.fig


def _svg(fig: Figure, model: CadreModel):
    """The figure as SVG, re-encoded only when the model or its month changed."""
    return solara.FigureMatplotlib(fig, format="svg", dependencies=[model, model.step_index])


@solara.component
def OutcomePlot(model: CadreModel, spec: PlotSpec):
    update_counter.get()
    figure = solara.use_memo(lambda: OutcomeFigure(model, spec), [model, spec])
    figure.update()
    _svg(figure.fig, model)


def outcome_plot(spec: PlotSpec):
    """A SolaraViz component (a function of the model) drawing one :class:`PlotSpec`."""

    def component(model: CadreModel):
        return OutcomePlot(model, spec)

    component.__name__ = f"OutcomePlot_{spec.series[0][0]}"
    return component


# --- the map of units and villages -----------------------------------------------------
def locality_layout(n_units: int, n_villages: int) -> np.ndarray:
    """``(n_units + n_villages + 1, 2)`` positions: units on a square grid at the left,
    villages on a grid at the right, the city (people outside any unit or village) last,
    centred below."""
    cols_u = max(1, int(np.ceil(np.sqrt(n_units))))
    iu = np.arange(n_units)
    units = np.column_stack([iu % cols_u, -(iu // cols_u)]).astype(float)
    cols_v = max(1, int(np.ceil(np.sqrt(n_villages)))) if n_villages else 0
    iv = np.arange(n_villages)
    villages = np.column_stack([cols_u + 1.5 + iv % max(cols_v, 1), -(iv // max(cols_v, 1))])
    rows = max(int(np.ceil(n_units / cols_u)), int(np.ceil(n_villages / cols_v)) if cols_v else 0)
    city = np.array([[(cols_u + 1.5 + cols_v) / 2 - 0.5, -rows - 0.5]])
    return np.vstack([units, villages.astype(float), city])


def locality_means(model: CadreModel, values: np.ndarray) -> np.ndarray:
    """Mean of a per-person array over each locality (0 where nobody lives)."""
    total = np.bincount(model.locality, weights=values, minlength=model.n_localities)
    return total / np.maximum(model.loc_size, 1)


PROTEST_EDGE = "blue"
#: Fixed colour scale, so colours compare across months and runs; the square-root scale
#: spreads the low grievance levels of quiet times over more of the colour range.
GRIEVANCE_NORM = PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0)


class LocalityFigure:
    """Units (squares; mines triangles) and villages (circles) coloured by mean grievance,
    sized by population, ringed in blue where a protest event happened this month."""

    def __init__(self, model: CadreModel):
        self.model = model
        u, v = model.units.n, model.villages.n
        xy = locality_layout(u, v)
        self.groups = [
            (np.flatnonzero(model.units.sector == Sector.FACTORY), "s", "work unit (factory)"),
            (np.flatnonzero(model.units.sector == Sector.MINE), "^", "work unit (mine)"),
            (u + np.arange(v), "o", "village"),
            (np.array([model.n_localities - 1]), "D", "city (no unit or village)"),
        ]
        self.groups = [g for g in self.groups if g[0].size]
        self.fig = Figure(figsize=(6.0, 4.6), dpi=72)
        ax = self.ax = self.fig.subplots()
        self.scatters = [
            ax.scatter(
                xy[idx, 0],
                xy[idx, 1],
                c=np.zeros(idx.size),
                cmap="YlOrRd",
                norm=GRIEVANCE_NORM,
                marker=marker,
                edgecolors="0.6",
                linewidths=0.5,
            )
            for idx, marker, _ in self.groups
        ]
        self.fig.colorbar(self.scatters[0], ax=ax, label="mean grievance (0–1)", shrink=0.8)
        proxies = [
            Line2D([], [], ls="", marker=m, mfc="0.85", mec="0.5", ms=8, label=label)
            for _, m, label in self.groups
        ]
        proxies.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                mfc="white",
                mec=PROTEST_EDGE,
                mew=2.5,
                ms=8,
                label="protest this month",
            )
        )
        ax.legend(
            handles=proxies,
            loc="upper center",
            bbox_to_anchor=(0.5, 0.0),
            ncol=2,
            fontsize="small",
            frameon=False,
        )
        ax.set_axis_off()
        ax.margins(0.08)
        self.fig.subplots_adjust(left=0.02, right=0.98, top=0.92, bottom=0.2)

    def update(self) -> Figure:
        m = self.model
        grievance = locality_means(m, m.people.grievance)
        protest = np.zeros(m.n_localities, dtype=bool)
        protest[m.events.locality] = True
        size = m.loc_size
        biggest = max(float(size[:-1].max(initial=1.0)), 1.0)
        area = np.minimum(15 + 250 * np.sqrt(size / biggest), 400)
        for sc, (idx, _, _) in zip(self.scatters, self.groups, strict=True):
            sc.set_array(grievance[idx])
            sc.set_sizes(area[idx])
            sc.set_edgecolors(np.where(protest[idx], PROTEST_EDGE, "0.6").tolist())
            sc.set_linewidths(np.where(protest[idx], 2.5, 0.5))
        when = str(m.config.start.plus(m.step_index - 1)) if m.step_index else "before the start"
        self.ax.set_title(f"Units and villages, {when}: {m.events.n} protest event(s)")
        return self.fig


def draw_localities(model: CadreModel) -> Figure:
    """The map of units and villages for the model's current month."""
    return LocalityFigure(model).update()


@solara.component
def LocalityView(model: CadreModel):
    update_counter.get()
    figure = solara.use_memo(lambda: LocalityFigure(model), [model])
    figure.update()
    _svg(figure.fig, model)


# --- run panel: where the run is, what differs from the file, save --------------------
def step_text(model: CadreModel) -> str:
    """``"1993-03: month 3 of 144"``, or what to do before the first step."""
    n = model.n_steps
    if model.step_index == 0:
        return (
            f"Not started ({model.config.start} … {model.config.end}, {n} months): press Step or ▶"
        )
    done = "" if model.running else " (finished)"
    return f"{model.config.start.plus(model.step_index - 1)}: month {model.step_index} of {n}{done}"


@solara.component
def RunPanel(model: ExploreModel):
    update_counter.get()
    default = explore.default_save_path(model.source) if model.source else Path("explore.yaml")
    path, set_path = solara.use_state(str(default))
    message, set_message = solara.use_state(("", "info"))

    def save() -> None:
        try:
            out = explore.save_scenario(model.scenario_data, path, model.source)
        except (OSError, ValueError, ScenarioError) as e:
            set_message((f"not saved: {e}", "error"))
            return
        set_message((f"Saved {out}. Reproduce this run with: cadresim run {out}", "success"))

    changes = explore.describe_changes(model.base_scenario, model.control_values)
    regimes = ", ".join(model.active_regimes()) or "none"
    with solara.Card("This run"):
        solara.Markdown(f"**{step_text(model)}**")
        solara.Markdown(
            f"Scenario `{model.config.name}` from `{model.source or 'memory'}`, "
            f"seed {model.config.seed}. Active regimes: {regimes}.\n\n"
            f"Changed from the file: {changes or 'nothing'}.\n\n"
            "Sliders take effect when you press **Reset** (a new run from the start month)."
        )
        solara.InputText("save to (.yaml)", value=path, on_value=set_path, continuous_update=True)
        solara.Button("Save as scenario", on_click=save, color="primary")
        text, kind = message
        if text:
            (solara.Error if kind == "error" else solara.Success)(text)


# --- the page ---------------------------------------------------------------------------
def page_parts(base: Scenario, source: str | None, all_params: bool = False):
    """The first model and the ``model_params`` of the SolaraViz page for ``base``."""
    specs = explore.controls(base, all_params=all_params)
    model = ExploreModel(base_scenario=base, source=source, **explore.control_values(specs))
    return model, {"base_scenario": base, "source": source, **specs}


def _settings() -> tuple[str | None, bool]:
    return os.environ.get(explore.ENV_SCENARIO), os.environ.get(explore.ENV_ALL_PARAMS) == "1"


def guide_rows(model_params: dict[str, Any], values: dict[str, Any]) -> list[str]:
    """Markdown table rows: each control, its value in the run shown, meaning and range."""
    rows = ["| control | this run | meaning | range |", "|---|---|---|---|"]
    for key, spec in model_params.items():
        if not isinstance(spec, dict):
            continue
        meaning = spec.get("description") or spec.get("label", key)
        if "min" in spec:
            allowed = f"{spec['min']:g} … {spec['max']:g}"
        elif "values" in spec:
            allowed = " / ".join(map(str, spec["values"]))
        else:
            allowed = ""
        value = values.get(key, spec.get("value"))
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        rows.append(f"| `{key}` | {shown} | {meaning} | {allowed} |")
    return rows


@solara.component
def ParameterGuide(model: ExploreModel, model_params: dict[str, Any]):
    """The sliders show no numbers: this lists each control's value in the run shown."""
    with solara.Details("Settings of this run, and what each control means"):
        solara.Markdown("\n".join(guide_rows(model_params, model.control_values)))


@solara.component
def Dashboard(model: ExploreModel, model_params: dict[str, Any]):
    """The main area: the run panel and the map, then the four outcome plots."""
    update_counter.get()
    with solara.Columns([1, 1]):
        with solara.Column():
            RunPanel(model)
            ParameterGuide(model, model_params)
        LocalityView(model)
    with solara.Columns([1, 1]):
        OutcomePlot(model, PLOTS[0])
        OutcomePlot(model, PLOTS[1])
    with solara.Columns([1, 1]):
        OutcomePlot(model, PLOTS[2])
        OutcomePlot(model, PLOTS[3])


@solara.component
def Page():
    """SolaraViz supplies the app bar and the sidebar (controls, parameters); the main area
    is :func:`Dashboard`, laid out here rather than in SolaraViz's draggable grid, whose
    script does not render in Solara's Vue 3 app (the page stayed empty)."""
    source, all_params = _settings()
    base, problem = solara.use_memo(lambda: _load(source), [source])
    parts = solara.use_memo(
        lambda: page_parts(base, source, all_params) if base is not None else None, [source]
    )
    model = solara.use_reactive(parts[0] if parts else None)
    if parts is None:
        solara.Error(problem)
        return
    model_params = parts[1]
    SolaraViz(
        model, components=[], model_params=model_params, name=f"cadresim explore: {base.name}"
    )
    Dashboard(model.value, model_params)


def _load(source: str | None) -> tuple[Scenario | None, str]:
    if not source:
        return None, (
            "No scenario: start this page with `cadresim explore SCENARIO.yaml` "
            f"(or set {explore.ENV_SCENARIO})."
        )
    try:
        return load_scenario(source), ""
    except ScenarioError as e:
        return None, str(e)
