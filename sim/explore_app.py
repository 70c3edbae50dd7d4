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

import io
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import reacton.ipywidgets as rw
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


@dataclass
class ControlState:
    """The values of the page's controls, shared by the control panel (which writes them)
    and every model Reset creates (which reads them)."""

    values: dict[str, Any]


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
        controls: ControlState | None = None,
        **values: Any,
    ):
        del scenario
        self.base_scenario = base_scenario
        self.source = source
        # The page's control panel writes into `controls`; Mesa's Reset re-creates the
        # model with the same holder, so the run starts from the values shown.
        self.control_values = {**(controls.values if controls else {}), **values}
        self.scenario_data = explore.scenario_from_controls(base_scenario, self.control_values)
        super().__init__(parse_scenario(self.scenario_data, "<explore controls>"))
        self.latest = np.full(len(OUTCOME_NAMES), np.nan)
        self.datacollector = DataCollector(
            model_reporters={name: partial(_latest, j) for j, name in enumerate(OUTCOME_NAMES)}
        )
        self.clock = FrameClock()
        # The process's CPU since the last frame, against the model's own months since
        # then: while playing, frames are drawn only as far as PLAY_CPU_BUDGET allows.
        self._cpu0 = time.process_time()
        self._step_cpu = 0.0
        self._call_end: float | None = None  # when the last call of step returned
        self._streak = 0  # calls in a row that came quickly after the previous one
        self.playing = False  # the current (or last) call of step came from a play loop

    @property
    def frame(self) -> int:
        """The figures' frame: it advances when they should be redrawn (see FrameClock)."""
        return self.clock.frame

    def step(self) -> None:
        """One month, or while playing a batch of months.

        Mesa's play loop updates its sidebar after every call (about 30 ms of CPU on the
        project's machine, more than a month of the reform scenario), so one call per
        month played at several times the headless pace. A call from Mesa's play loop
        (:func:`mesa_play_interval`), or the ``PLAY_STREAK``-th of calls coming back to back
        (each less than ``IDLE_REDRAW`` after the last: another driver's loop), steps
        months for up to ``PLAY_BATCH_SECONDS`` of the thread's CPU time and draws frames
        within the CPU budget only; a Step by hand is one month, always drawn.
        """
        now = time.perf_counter()
        quick = self._call_end is not None and now - self._call_end < IDLE_REDRAW
        self._streak = self._streak + 1 if quick else 0
        # Mesa's play loop is recognised by its frame on the stack, not by how quickly calls
        # follow each other: on a loaded machine the play loop's own gaps exceed any
        # threshold, and every month taken for a Step by hand was drawn beyond the budget.
        # A Play Interval of IDLE_REDRAW or more is watching month by month: drawn, as Mesa.
        interval = mesa_play_interval()
        if interval is None:
            self.playing = self._streak >= PLAY_STREAK
        else:
            self.playing = interval < IDLE_REDRAW
        budget = PLAY_BATCH_SECONDS if self.playing else 0.0
        cpu0 = time.thread_time()  # this thread's CPU: other jobs on the machine do not count
        while self.running:
            self.step_month()
            if not self.running or time.thread_time() - cpu0 >= budget:
                break
        self._call_end = time.perf_counter()

    def step_month(self) -> None:
        """One month and, if due, a frame (what a Step by hand does)."""
        t0 = time.perf_counter()
        c0 = time.thread_time()
        super().step()
        self._step_cpu += time.thread_time() - c0
        self.latest = self.records[self.step_index - 1]
        self.datacollector.collect(self)
        t1 = time.perf_counter()
        spent = time.process_time() - self._cpu0
        within = spent <= PLAY_CPU_BUDGET * self._step_cpu
        if self.clock.stepped(t0, t1, not self.running, self.step_index, within, self.playing):
            # The budget runs from one frame to the next: the months after a frame pay
            # for it (its rendering falls in the new window) before another is drawn.
            self._cpu0, self._step_cpu = time.process_time(), 0.0
            self.on_frame()
            # time spent asking for the frame (Solara may render right away, in this
            # thread) is not time the model waited for the next month
            self.clock.resume(time.perf_counter())

    def on_frame(self) -> None:
        """Ask for a redraw of the figures. On the page this tells the live view of this
        browser tab (see LiveView), which renders in Solara's own thread and reports the
        cost to ``clock.rendered``; code that draws here itself must report it too."""
        frames.value += 1


#: Calls of ``ExploreModel.step`` in a row, each quickly after the last, that mean a loop
#: other than Mesa's is playing (a person clicking Step is slower); then, as in Mesa's
#: play, one call steps a batch of months for up to ``PLAY_BATCH_SECONDS`` of CPU (the
#: sidebar's month counter updates that often).
PLAY_STREAK = 3
PLAY_BATCH_SECONDS = 0.25
#: Mesa's play loop: the function of ``mesa.visualization.solara_viz.ModelController`` that
#: calls ``step`` while ▶ is on (its Step button calls ``do_step`` directly).
MESA_PLAY_LOOP = "ModelController.<locals>.step"
_STACK_DEPTH = 24  # frames between that loop and ExploreModel.step (about 10 in Mesa 3.5)
#: While playing, a frame is drawn once the server process's CPU since the last frame (the
#: model, the figures, Solara's diffing and sending: every thread) is within this multiple
#: of the model's own stepping CPU since then (issue 16: play within 3× of a headless run;
#: ``python -m benchmarks.explore_play --browser`` measures the whole server session, about
#: 2× on the reform scenario). Drawing time alone underestimates a frame's cost.
PLAY_CPU_BUDGET = 2.1

#: After play, the last month is drawn once the model has been still this long (seconds):
#: longer than ``IDLE_REDRAW``, since a loaded machine can pause the play loop that long.
PLAY_PAUSE = 1.0

#: Advanced when a model's figures are due for redrawing; :func:`LiveView` follows it
#: instead of Mesa's per-month update counter (a solara reactive, so per browser tab).
frames = solara.reactive(0)

#: A model that waited this long before a month was not playing at full speed (a Step
#: by hand, or play with a Play Interval this long or longer): draw every such month.
#: Well above the play loop's own gaps (1 ms of sleep plus waits for the interpreter
#: lock while the page renders, tens of ms on a loaded machine).
IDLE_REDRAW = 0.25


def mesa_play_interval() -> float | None:
    """If the caller runs inside Mesa's play loop (:data:`MESA_PLAY_LOOP`), the seconds
    that loop sleeps between calls (its Play Interval slider; 0 if unreadable), else None."""
    frame = sys._getframe(1)
    for _ in range(_STACK_DEPTH):
        if frame is None:
            return None
        name = frame.f_code.co_qualname
        if name == MESA_PLAY_LOOP or name.endswith("." + MESA_PLAY_LOOP):
            interval = frame.f_locals.get("play_interval")  # a solara reactive, in ms
            try:
                return max(float(getattr(interval, "value", interval)) / 1000, 0.0)
            except (TypeError, ValueError):
                return 0.0
        frame = frame.f_back
    return None


def frame_due(
    step_seconds: float, idle_seconds: float, draw_seconds: float, finished: bool
) -> bool:
    """Whether the figures should be redrawn after this month.

    Drawing the map and four plots costs far more than a month of the model (0.2–0.3 s
    against 5–10 ms of CPU on the shipped scenarios), so redrawing every month while
    playing would make play 20–50× slower than a headless run. The figures are redrawn
    once the months stepped since the last drawing took at least as long as that drawing
    (``step_seconds >= draw_seconds``), which keeps drawing to at most half of the time
    and play within about 2× of headless; and always when the model had waited
    (``idle_seconds >= IDLE_REDRAW``: a Step by hand, a slow play interval) or the run
    has finished. (While playing, :class:`FrameClock` uses the CPU budget instead.)
    """
    return finished or step_seconds >= 2 * draw_seconds or idle_seconds >= IDLE_REDRAW


@dataclass
class FrameClock:
    """Times the model's months and the figures' drawing; :meth:`stepped` says (and counts
    in ``frame``) when :func:`frame_due` asks for a redraw, :meth:`rendered` records
    what that redraw cost."""

    frame: int = 0
    draw_seconds: float = 0.0  # what the last redraw cost
    pending: bool = False  # a frame was asked for and is not drawn yet
    _missed: bool = False  # a frame fell due while one was pending (draw it next)
    _month: int = -1  # the last month stepped
    _steps: float = 0.0  # seconds stepped since the last redraw
    _last_end: float | None = None  # when the last month (or a redraw in this thread) ended
    _playing: bool = False  # the last month was stepped while playing
    history: list[int] = field(default_factory=list)  # months at which frames were drawn

    def stepped(
        self,
        start: float,
        end: float,
        finished: bool,
        month: int = -1,
        within_budget: bool = True,
        playing: bool = False,
    ) -> bool:
        """Record a month; True when a frame is due and none is pending (then ask for it).
        While ``playing``, a frame is drawn only ``within_budget`` (but the first and the
        last month always are).

        A due frame is never asked for while the previous one is still being drawn: on
        the page the figures render in Solara's thread while play goes on in Mesa's, and
        Solara sends nothing to the browser until a render pass sees no new change, so
        asking for frames faster than they render showed nothing until the run ended.
        """
        first = self._last_end is None  # it has waited since the page was built: drawn
        idle = float("inf") if first else start - self._last_end
        self._steps += end - start
        self._last_end = end
        self._month = month
        self._playing = playing
        if playing:
            # The CPU budget alone decides: it counts the rendering and Solara's diffing and
            # sending, which the drawing time does not see, and in CPU time, so a loaded
            # machine (long waits, slow drawing) neither adds frames nor removes them.
            due = first or finished or within_budget
        else:
            due = frame_due(self._steps, idle, self.draw_seconds, finished)
        if due and self.pending:
            # Playing, a frame that falls due while another is drawn is not kept for later
            # (the next month's budget sees what the drawing cost), except the last month's.
            self._missed = self._missed or not playing or finished
            return False
        if due:
            self._ask()
        return due

    def _ask(self) -> None:
        self.frame += 1
        self._steps = 0.0
        self.pending = True
        self.history.append(self._month)

    def trailing(self, now: float) -> bool:
        """After a pause of ``IDLE_REDRAW`` (``PLAY_PAUSE`` after playing): True (and a
        frame asked for) when the last month stepped is not drawn yet, so a quick second
        Step by hand or pausing play never leaves the figures behind the month counter."""
        pause = PLAY_PAUSE if self._playing else IDLE_REDRAW
        if self._last_end is None or now - self._last_end < pause:
            return False
        if self.history and self.history[-1] == self._month:
            return False
        if self.pending:
            self._missed = True  # drawn when the pending frame is
            return False
        self._ask()
        return True

    def resume(self, now: float) -> None:
        """The stepping thread goes on at ``now`` (after asking for a frame)."""
        self._last_end = now

    def rendered(self, start: float, end: float, same_thread: bool = True) -> bool:
        """Record a finished redraw; True when another frame fell due meanwhile and has
        been asked for (so the last month is always drawn). ``same_thread``: the redraw
        ran between two months in the stepping thread, so its time is not idle time."""
        self.draw_seconds = end - start
        self.pending = False
        if same_thread:
            self._last_end = end
        if self._missed:
            self._missed = False
            self._ask()
            return True
        return False


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
    """The figure as SVG, re-encoded only when the model's frame advanced (see
    :class:`FrameClock`)."""

    def encode() -> bytes:
        buf = io.BytesIO()
        fig.savefig(buf, format="svg")
        return buf.getvalue()

    frame = getattr(model, "frame", model.step_index)
    return rw.Image(value=solara.use_memo(encode, [model, frame]), format="svg+xml")


@solara.component
def OutcomePlot(model: CadreModel, spec: PlotSpec, month: int = 0):
    """One plot; re-rendered by its parent (:func:`LiveView`) every month."""
    figure = solara.use_memo(lambda: OutcomeFigure(model, spec), [model, spec])
    figure.update()
    _svg(figure.fig, model)


def outcome_plot(spec: PlotSpec):
    """A SolaraViz component (a function of the model) drawing one :class:`PlotSpec`."""

    def component(model: CadreModel):
        update_counter.get()  # standalone in SolaraViz's grid: follow Mesa's counter
        return OutcomePlot(model, spec, model.step_index)

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
def LocalityView(model: CadreModel, month: int = 0):
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
def RunPanel(model: ExploreModel, month: int = 0):
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
            "Settings take effect when you press **Reset** (a new run from the start "
            "month). ▶ plays at full speed (Play Interval 1 ms) and redraws the figures "
            "every few months, as often as keeps the page within about twice the model's "
            "own CPU; at a Play Interval of 250 ms or more every month is drawn."
        )
        solara.InputText("save to (.yaml)", value=path, on_value=set_path, continuous_update=True)
        solara.Button("Save as scenario", on_click=save, color="primary")
        text, kind = message
        if text:
            (solara.Error if kind == "error" else solara.Success)(text)


# --- the control panel -------------------------------------------------------------------
@solara.component
def Control(key: str, spec: dict[str, Any], value: Any, on_value):
    """One control: a caption with its label, value and range on its own line (so a long
    label never squeezes the slider's track), then the input (the value also shows on the
    thumb while dragging). (Solara's ``tick_labels="end_points"`` builds one label per step, which
    runs out of memory on fine steps, so the range is in the caption.)"""
    kind = spec["type"]
    if kind not in ("Checkbox", "InputText"):  # those show their value themselves
        solara.Text(explore.control_caption(spec, value), style={"font-size": "0.9em"})
    if spec.get("description"):
        solara.Text(spec["description"], style={"font-size": "0.75em", "color": "#666"})
    if kind in ("SliderFloat", "SliderInt"):
        slider = solara.SliderFloat if kind == "SliderFloat" else solara.SliderInt
        slider(
            "",
            value=value,
            min=spec["min"],
            max=spec["max"],
            step=spec["step"],
            on_value=on_value,
            thumb_label=True,
        )
    elif kind == "Select":
        solara.Select(spec["label"], values=spec["values"], value=value, on_value=on_value)
    elif kind == "Checkbox":
        solara.Checkbox(label=spec["label"], value=bool(value), on_value=on_value)
    else:
        solara.InputText(spec["label"], value=str(value), on_value=on_value)


@solara.component
def Section(title: str, expanded: bool, render):
    """A collapsible section whose content is built only while it is open, so a scenario
    with many regimes does not keep hundreds of hidden widgets on the page."""
    from solara.alias import rv
    from solara.util import IPYVUETIFY_V3

    is_open, set_open = solara.use_state(expanded)
    with rv.ExpansionPanels(v_model=0 if is_open else None, on_v_model=lambda v: set_open(v == 0)):
        with rv.ExpansionPanel():
            if IPYVUETIFY_V3:
                from ipyvuetify.components import ExpansionPanelText, ExpansionPanelTitle

                head, body = ExpansionPanelTitle, ExpansionPanelText
            else:
                head, body = rv.ExpansionPanelHeader, rv.ExpansionPanelContent
            head(children=[title])
            with body():
                if is_open:
                    render()


@solara.component
def ControlPanel(base: Scenario, specs: dict[str, dict[str, Any]], state: ControlState):
    """Every control, grouped (the run, main parameters, then one section per regime) in
    collapsible sections. Values go to ``state``; **Reset** starts a run from them."""
    values, set_values = solara.use_state(dict(state.values))

    def setter(key: str):
        def on_value(value: Any) -> None:
            new = {**state.values, key: value}
            state.values = new
            set_values(new)

        return on_value

    def section(keys: list[str]):
        def render() -> None:
            with solara.Column(gap="4px"):
                for key in keys:
                    Control(key, specs[key], values.get(key, specs[key]["value"]), setter(key))

        return render

    with solara.Card("Settings"):
        solara.Markdown("Press **Reset** to start a run from these settings.")
        for group in explore.control_groups(base, specs):
            Section(group.title, group.expanded, section(group.keys))


# --- the page ---------------------------------------------------------------------------
#: Mesa's play loop sleeps this long between calls of ``step`` (its Play Interval slider
#: starts here): full speed. FrameClock paces the figures and ``ExploreModel.step``
#: batches months, so play runs within 3× of a headless run and the page shows a new
#: frame every few seconds (``benchmarks/explore_play.py --browser`` measures both in
#: Chromium; tests/test_explore_browser.py checks the frames).
#: With a Play Interval of IDLE_REDRAW or more every month is drawn, as in Mesa.
PLAY_INTERVAL_MS = 1


def page_parts(base: Scenario, source: str | None, all_params: bool = False):
    """The first model, the ``model_params`` of the SolaraViz page (fixed: the scenario,
    its source and the shared control state) and the control specs for ``base``."""
    specs = explore.controls(base, all_params=all_params)
    state = ControlState(explore.control_values(specs))
    model = ExploreModel(base_scenario=base, source=source, controls=state)
    return model, {"base_scenario": base, "source": source, "controls": state}, specs


def _settings() -> tuple[str | None, bool]:
    return os.environ.get(explore.ENV_SCENARIO), os.environ.get(explore.ENV_ALL_PARAMS) == "1"


@solara.component
def LiveView(model: ExploreModel):
    """What the run shows: the run panel, the map and the four plots, rendered once per
    frame of :class:`FrameClock` (one render pass over these, not one per figure, and
    never over the settings); Mesa's own month counter in the sidebar follows every
    month."""
    frames.get()  # not Mesa's update_counter: between frames nothing here is rendered
    month = model.frame
    started = time.perf_counter()

    def drawn() -> None:  # after the pass has rendered the figures: report its cost
        if model.clock.rendered(started, time.perf_counter(), same_thread=False):
            frames.value += 1

    solara.use_effect(drawn, [model, month])
    with solara.Columns([1, 1]):
        RunPanel(model, month)
        LocalityView(model, month)
    with solara.Columns([1, 1]):
        OutcomePlot(model, PLOTS[0], month)
        OutcomePlot(model, PLOTS[1], month)
    with solara.Columns([1, 1]):
        OutcomePlot(model, PLOTS[2], month)
        OutcomePlot(model, PLOTS[3], month)


@solara.component
def TrailingFrame(model: ExploreModel):
    """One watcher thread per model: once the model has paused (``FrameClock.trailing``),
    it asks for a frame of an undrawn last month.

    Not a thread per sidebar update, and without Solara's intrusive cancelling: that
    traces every line the thread runs (``sys.settrace``), and the frames it asked for
    were rendered under the trace at about twice their cost."""

    def watch(cancel: threading.Event) -> None:
        while not cancel.wait(IDLE_REDRAW / 2):
            if model.clock.trailing(time.perf_counter()):
                frames.value += 1

    solara.use_thread(watch, dependencies=[model], intrusive_cancel=False)


@solara.component
def Dashboard(model: ExploreModel, base: Scenario, specs: dict[str, Any], state: ControlState):
    """The main area: the settings on the left, the live view of the run on the right."""
    with solara.Columns([1, 2]):
        ControlPanel(base, specs, state)
        with solara.Column():
            LiveView(model)
            TrailingFrame(model)


@solara.component
def ExplorePage(base: Scenario | None, source: str | None, all_params: bool = False, problem=""):
    """The page for one scenario. SolaraViz supplies the app bar and the sidebar (play,
    step, reset); the main area is :func:`Dashboard`, laid out here rather than in
    SolaraViz's draggable grid, whose script does not render in Solara's Vue 3 app."""
    parts = solara.use_memo(
        lambda: page_parts(base, source, all_params) if base is not None else None,
        [base, source, all_params],
    )
    model = solara.use_reactive(parts[0] if parts else None)
    if parts is None:
        solara.Error(problem or "No scenario given.")
        return
    _, model_params, specs = parts
    SolaraViz(
        model,
        components=[],
        model_params=model_params,
        name=f"cadresim explore: {base.name}",
        play_interval=PLAY_INTERVAL_MS,
        # Mesa's sidebar updates in the play loop's thread: its own update thread is a
        # Solara thread that traces every line (``sys.settrace``, for cancelling), and the
        # frames rendered in its render passes cost about twice as much CPU.
        use_threads=False,
    )
    Dashboard(model.value, base, specs, model_params["controls"])


@solara.component
def Page():
    """What ``solara run sim.explore_app`` serves: the scenario named by the environment
    (``cadresim explore`` sets it)."""
    source, all_params = _settings()
    base, problem = solara.use_memo(lambda: _load(source), [source])
    ExplorePage(base, source, all_params, problem)


def _load(source: str | None) -> tuple[Scenario | None, str]:
    if not source:
        return None, (
            "No scenario: start this page with `cadresim explore SCENARIO.yaml` "
            f"(or set {explore.ENV_SCENARIO}), or in a notebook with "
            "sim.explore.page('SCENARIO.yaml')."
        )
    try:
        return load_scenario(source), ""
    except ScenarioError as e:
        return None, str(e)
