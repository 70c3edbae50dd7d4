"""``cadresim explore``: watch one run of a scenario in the browser and move its sliders.

The page is Mesa's SolaraViz (``sim/explore_app.py``) served by ``solara`` on localhost.
This module holds what does not need a browser: the controls, built from the pydantic
models of the scenario (:class:`sim.config.Params` and each regime's ``Params``), the
merge of control values back into a scenario (:func:`scenario_from_controls`), which is
what "save as scenario" writes, and the CLI command that starts the server.

Control keys are dotted paths into the scenario file, as in sweeps: ``seed``,
``params.legitimacy``, ``regimes[0].enabled`` (off drops the regime from the saved file),
``regimes[0].sale_rate``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import typer
import yaml
from pydantic.fields import FieldInfo

from sim.config import Params, Scenario, ScenarioError, load_scenario, parse_scenario
from sim.regimes import REGISTRY

ENV_SCENARIO = "CADRESIM_EXPLORE_SCENARIO"
ENV_ALL_PARAMS = "CADRESIM_EXPLORE_ALL_PARAMS"

#: The parameters shown by default: the Epstein core (legitimacy, threshold, the police
#: and what people see) and the state's response. ``--all-params`` shows every field.
MAIN_PARAMS: tuple[str, ...] = (
    "legitimacy",
    "threshold",
    "threshold_sd",
    "police_per_1000",
    "vision",
    "arrest_k",
    "network_weight",
    "grievance_memory",
    "concession_base",
    "fear_after_defeat",
    "subsistence_income",
    "wage",
    "output_growth",
    "promotion_rate",
)

#: Regime fields that are not offered as controls (the schedule stays as in the file).
REGIME_FIXED = ("type", "start", "end")

#: A slider whose allowed range is wider than this many times the current value is cut to
#: ``WIDE_RANGE_CAP`` times the value, so it can still be set with a mouse.
WIDE_RANGE = 20.0
WIDE_RANGE_CAP = 10.0
SLIDER_POSITIONS = 200

_REGIME_KEY = re.compile(r"^regimes\[(\d+)\]\.(\w+)$")


# --- bounds and steps -------------------------------------------------------------------
def field_bounds(field: FieldInfo) -> tuple[float | None, float | None]:
    """The ``(lower, upper)`` bounds pydantic enforces on a field (``ge``/``gt``, ``le``/``lt``)."""
    lo = hi = None
    for m in field.metadata:
        for attr in ("ge", "gt"):
            if getattr(m, attr, None) is not None:
                lo = getattr(m, attr)
        for attr in ("le", "lt"):
            if getattr(m, attr, None) is not None:
                hi = getattr(m, attr)
    return lo, hi


def _nice(x: float) -> float:
    """The smallest of 1, 2, 5 × 10^k that is >= ``x``."""
    if x <= 0:
        return 1.0
    k = math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * 10.0**k >= x * (1 - 1e-12):
            return m * 10.0**k
    return 10.0 ** (k + 1)  # pragma: no cover


def _aligned(x: float, step: float) -> bool:
    return abs(round(x / step) * step - x) <= 1e-9 * max(1.0, abs(x))


def slider_range(
    lo: float, hi: float, value: float, default: float, integer: bool = False
) -> tuple[float, float, float]:
    """``(min, max, step)`` of a slider for a field bounded by ``[lo, hi]``.

    The range is the field's own unless it is very wide relative to the values in use
    (``police_per_1000`` may be up to 1000 but is 6 by default): then the top is cut to
    ``WIDE_RANGE_CAP`` × the larger of the value and the default, rounded up (only for
    ranges that start at or above zero; signed ranges are kept whole). The step
    is about 1/200 of the range, made finer until both the lower bound and the current
    value lie on a step, so the slider starts exactly at the scenario's value.
    """
    ref = max(abs(value), abs(default))
    top = hi
    if lo >= 0 and ref > 0 and hi - lo > WIDE_RANGE * ref:
        top = min(hi, max(_nice(WIDE_RANGE_CAP * ref), value))
        if top <= lo:  # pragma: no cover - only for ranges starting far above zero
            top = hi
    step = _nice((top - lo) / SLIDER_POSITIONS)
    if integer:
        step = max(1.0, float(round(step)))
    for _ in range(12):
        if _aligned(lo, step) and _aligned(value, step):
            break
        if integer and step <= 1:
            break
        step = step / 10 if not integer else max(1.0, step / 10)
    if integer:
        return int(lo), int(top), int(step)
    return float(lo), float(top), float(step)


# --- controls from pydantic models ------------------------------------------------------
def _literal_values(annotation: Any) -> list[Any] | None:
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    return None


def field_control(label: str, field: FieldInfo, value: Any) -> dict[str, Any] | None:
    """A Mesa ``UserInputs`` spec for one pydantic field, or ``None`` if it has no control.

    Numbers with both bounds become sliders (see :func:`slider_range`), ``Literal`` choices
    a select, booleans a checkbox. The label is short (sidebars are narrow); the field's
    description goes in ``"description"``, which the page lists in its guide.
    """
    desc = field.description or ""
    annotation = field.annotation
    choices = _literal_values(annotation)
    if choices is not None:
        return {
            "type": "Select",
            "label": label,
            "description": desc,
            "value": value,
            "values": choices,
        }
    if annotation is bool:
        return {"type": "Checkbox", "label": label, "description": desc, "value": bool(value)}
    if annotation in (int, float):
        lo, hi = field_bounds(field)
        if lo is None or hi is None:
            return None
        default = field.default if isinstance(field.default, int | float) else value
        integer = annotation is int
        mn, mx, step = slider_range(lo, hi, value, default, integer)
        return {
            "type": "SliderInt" if integer else "SliderFloat",
            "label": label,
            "description": desc,
            "value": int(value) if integer else float(value),
            "min": mn,
            "max": mx,
            "step": step,
        }
    return None


def param_controls(
    scenario: Scenario, names: tuple[str, ...] | None = MAIN_PARAMS
) -> dict[str, dict[str, Any]]:
    """Controls ``params.<name>`` for the global parameters (``names=None``: all of them)."""
    fields = Params.model_fields
    if names is None:
        names = tuple(fields)
    unknown = [n for n in names if n not in fields]
    if unknown:
        raise ValueError(f"not parameters of sim.config.Params: {unknown}")
    out = {}
    for name in names:
        spec = field_control(name, fields[name], getattr(scenario.params, name))
        if spec is not None:
            out[f"params.{name}"] = spec
    return out


def regime_controls(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """For each regime in the scenario: an on/off checkbox and a control per parameter."""
    out: dict[str, dict[str, Any]] = {}
    for i, spec in enumerate(scenario.regimes):
        start, end = scenario.regime_window(spec)
        out[f"regimes[{i}].enabled"] = {
            "type": "Checkbox",
            "label": f"{spec.type} on",
            "description": f"regime {i}, {REGISTRY[spec.type].title}, active {start} … {end}",
            "value": True,
        }
        for fname, field in type(spec).model_fields.items():
            if fname in REGIME_FIXED:
                continue
            control = field_control(f"{spec.type}.{fname}", field, getattr(spec, fname))
            if control is not None:
                out[f"regimes[{i}].{fname}"] = control
    return out


def seed_control(scenario: Scenario) -> dict[str, Any]:
    return {
        "type": "InputText",
        "label": "seed",
        "description": "root seed of the run (a whole number): the same seed gives the same run",
        "value": str(scenario.seed),
    }


def controls(scenario: Scenario, all_params: bool = False) -> dict[str, dict[str, Any]]:
    """Every control of the page for ``scenario``, keyed by dotted path."""
    return {
        "seed": seed_control(scenario),
        **param_controls(scenario, None if all_params else MAIN_PARAMS),
        **regime_controls(scenario),
    }


def control_values(specs: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The values the controls start at (which reproduce the base scenario)."""
    return {k: v["value"] for k, v in specs.items()}


# --- how the page shows the controls ----------------------------------------------------
@dataclass
class ControlGroup:
    """A collapsible section of the control panel."""

    title: str
    keys: list[str]
    expanded: bool = False


def control_groups(
    scenario: Scenario, specs: Mapping[str, Mapping[str, Any]]
) -> list[ControlGroup]:
    """The controls in sections: the run (seed), the main parameters (open), every other
    parameter (with ``--all-params``), then one section per regime with its on/off switch
    and parameters. Every key of ``specs`` is in exactly one section."""
    run = [k for k in specs if k == "seed"]
    main = [k for k in specs if k.startswith("params.") and k[7:] in MAIN_PARAMS]
    other = [k for k in specs if k.startswith("params.") and k[7:] not in MAIN_PARAMS]
    groups = [ControlGroup("Run", run, True), ControlGroup("Main parameters", main, True)]
    if other:
        groups.append(ControlGroup(f"Other parameters ({len(other)})", other))
    for i, spec in enumerate(scenario.regimes):
        keys = [k for k in specs if k.startswith(f"regimes[{i}].")]
        start, end = scenario.regime_window(spec)
        title = f"Regime {spec.type} ({start} … {end}), {len(keys) - 1} parameters"
        groups.append(ControlGroup(title, keys))
    return [g for g in groups if g.keys]


def format_value(value: Any) -> str:
    """A control's value as the panel shows it (``0.8``, ``12``, ``mixed``, ``on``)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def control_caption(spec: Mapping[str, Any], value: Any) -> str:
    """The line above a control: its label, current value and range,
    e.g. ``legitimacy = 0.8  (0 … 1)`` or ``stance = mixed  (soft | mixed | hard)``."""
    text = f"{spec.get('label', '')} = {format_value(value)}"
    if "min" in spec:
        text += f"  ({spec['min']:g} … {spec['max']:g})"
    elif "values" in spec:
        text += f"  ({' | '.join(map(str, spec['values']))})"
    return text


# --- controls back into a scenario ------------------------------------------------------
def _as_scenario(base: Scenario | Mapping[str, Any]) -> Scenario:
    return base if isinstance(base, Scenario) else parse_scenario(dict(base))


def _parse_seed(value: Any) -> int:
    try:
        seed = int(str(value).strip())
    except ValueError:
        raise ValueError(f"seed must be a whole number, got {value!r}") from None
    if not 0 <= seed < 2**63:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    return seed


def scenario_from_controls(
    base_scenario: Scenario | Mapping[str, Any], values: Mapping[str, Any]
) -> dict[str, Any]:
    """The scenario the controls describe, as a mapping ready to write as YAML.

    ``values`` maps control keys to values: ``seed``, ``params.<name>``,
    ``regimes[i].enabled`` and ``regimes[i].<field>``. Keys not given keep the base
    scenario's value; a regime switched off is left out. The result is validated (so it
    raises :class:`~sim.config.ScenarioError` for values outside the allowed ranges) and
    holds only what differs from the schema defaults, like a hand-written file; the
    description gains one line listing what changed. Unknown keys raise ``ValueError``.
    """
    base = _as_scenario(base_scenario)
    data = base.model_dump(mode="json", exclude_defaults=True)
    data["seed"] = base.seed
    params = data.setdefault("params", {})
    regimes = [r.model_dump(mode="json", exclude_defaults=True) for r in base.regimes]
    enabled = [True] * len(regimes)
    for key, value in values.items():
        if key == "seed":
            data["seed"] = _parse_seed(value)
        elif key.startswith("params."):
            name = key.removeprefix("params.")
            if name not in Params.model_fields:
                raise ValueError(f"unknown control {key!r}: {name!r} is not a parameter")
            params[name] = value
        elif m := _REGIME_KEY.match(key):
            i, fname = int(m.group(1)), m.group(2)
            if i >= len(regimes):
                raise ValueError(
                    f"unknown control {key!r}: the scenario has {len(regimes)} regimes"
                )
            if fname == "enabled":
                enabled[i] = bool(value)
            elif fname in REGIME_FIXED or fname not in type(base.regimes[i]).model_fields:
                raise ValueError(
                    f"unknown control {key!r}: not a parameter of {regimes[i]['type']}"
                )
            else:
                regimes[i][fname] = value
        else:
            raise ValueError(f"unknown control {key!r}")
    data["regimes"] = [r for r, on in zip(regimes, enabled, strict=True) if on]
    if not params:
        data.pop("params")
    note = describe_changes(base, values)
    if note:
        desc = (base.description or "").rstrip()
        data["description"] = (desc + "\n" if desc else "") + "Changed in cadresim explore: " + note
    scn = parse_scenario(data, "<explore controls>")
    data["params"] = scn.params.model_dump(mode="json", exclude_defaults=True)
    if not data["params"]:
        data.pop("params")
    return data


def describe_changes(base: Scenario, values: Mapping[str, Any]) -> str:
    """A short list of the controls that differ from the base scenario, e.g.
    ``"legitimacy 0.8 → 0.6; union off"`` (empty when nothing changed)."""
    parts = []
    for key, value in values.items():
        if key == "seed":
            try:
                seed = _parse_seed(value)
            except ValueError:
                continue
            if seed != base.seed:
                parts.append(f"seed {base.seed} → {seed}")
        elif key.startswith("params."):
            name = key.removeprefix("params.")
            old = getattr(base.params, name, None)
            if old is not None and value != old:
                parts.append(f"{name} {_fmt(old)} → {_fmt(value)}")
        elif m := _REGIME_KEY.match(key):
            i, fname = int(m.group(1)), m.group(2)
            if i >= len(base.regimes):
                continue
            spec = base.regimes[i]
            if fname == "enabled":
                if not value:
                    parts.append(f"{spec.type} off")
            elif getattr(spec, fname, value) != value:
                parts.append(f"{spec.type}.{fname} {_fmt(getattr(spec, fname))} → {_fmt(value)}")
    return "; ".join(parts)


def _fmt(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, float) else str(x)


def scenario_yaml(data: Mapping[str, Any], source: str | None = None) -> str:
    """YAML text for a scenario mapping, with a header saying where it came from."""
    head = "# Saved by `cadresim explore`"
    head += f" from {source}" if source else ""
    head += ". Run it with: cadresim run <this file>\n"
    return head + yaml.safe_dump(dict(data), sort_keys=False, allow_unicode=True, width=88)


def save_scenario(data: Mapping[str, Any], path: str | Path, source: str | None = None) -> Path:
    """Validate ``data`` and write it to ``path`` as YAML (atomically); returns the path."""
    path = Path(path).expanduser()
    if path.suffix.lower() not in (".yaml", ".yml"):
        raise ValueError(f"{path}: a scenario file must end in .yaml or .yml")
    parse_scenario(dict(data), str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(scenario_yaml(data, source), encoding="utf-8")
    tmp.replace(path)
    return path


def default_save_path(source: str | Path) -> Path:
    """Where "save as scenario" proposes to write: ``<stem>_explore.yaml`` beside the source."""
    source = Path(source)
    return source.with_name(f"{source.stem}_explore.yaml")


# --- in a notebook ----------------------------------------------------------------------
def page(scenario: str | Path | Scenario, all_params: bool = False) -> Any:
    """The explore page for ``scenario`` (a file or a :class:`~sim.config.Scenario`) as a
    solara element. In Jupyter, a cell ending in ``page("scenarios/baseline.yaml")`` shows
    the same page ``cadresim explore`` serves. Raises :class:`~sim.config.ScenarioError`
    for an invalid file."""
    from sim.explore_app import ExplorePage

    if isinstance(scenario, Scenario):
        base, source = scenario, None
    else:
        base, source = load_scenario(scenario), str(scenario)
    return ExplorePage(base=base, source=source, all_params=all_params)


# --- serving ------------------------------------------------------------------------------
# The page's JavaScript (Vuetify app, grid layout, require.js, Font Awesome) is npm packages
# that solara's server proxies from a public CDN and caches. Where the CDN cannot be
# reached but the npm registry can (CI here), they are fetched once with ``npm pack`` into
# that cache, at the versions the installed solara names in its templates.
_NPM_SPEC = re.compile(r"((?:@[a-z0-9-]+/)?[a-z0-9][\w.-]*@\d+\.\d+\.\d+(?:-[\w.]+)?)/")
_ASSET_SOURCES = (
    "server/templates/*.j2",
    "widgets/vue/*.vue",
    "server/settings.py",
)


def frontend_packages() -> list[str]:
    """``name@version`` of every npm package the installed solara loads from its CDN."""
    spec = importlib.util.find_spec("solara")
    if spec is None or not spec.submodule_search_locations:
        return []
    root = Path(list(spec.submodule_search_locations)[0])
    found: set[str] = set()
    for pattern in _ASSET_SOURCES:
        for f in sorted(root.glob(pattern)):
            for line in f.read_text(encoding="utf-8", errors="ignore").splitlines():
                low = line.lower()
                if "cdn" in low or "fontawesome_path" in low:
                    found.update(_NPM_SPEC.findall(line))
    return sorted(found)


def asset_cache_dir() -> Path:
    """Solara's CDN proxy cache (``SOLARA_ASSETS_PROXY_CACHE_DIR``, else in the venv)."""
    env = os.environ.get("SOLARA_ASSETS_PROXY_CACHE_DIR")
    return Path(env) if env else Path(sys.prefix) / "share" / "solara" / "cdn"


def ensure_frontend_assets(cache_dir: Path | None = None, npm: str | None = None) -> list[str]:
    """Fetch the packages of :func:`frontend_packages` missing from the cache with
    ``npm pack``; returns those fetched. Without npm, or if npm fails, nothing is fetched
    and solara falls back to its CDN."""
    cache_dir = cache_dir or asset_cache_dir()
    missing = [p for p in frontend_packages() if not (cache_dir / p).is_dir()]
    npm = npm or shutil.which("npm")
    if not missing or npm is None:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            done = subprocess.run(
                [npm, "pack", *missing, "--silent", "--pack-destination", tmp],
                check=True,
                capture_output=True,
                text=True,
                timeout=600,
            )
        except (OSError, subprocess.SubprocessError):
            return []
        tarballs = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        for name, tgz in zip(missing, tarballs, strict=False):
            target = cache_dir / name
            staging = Path(tmp) / "unpacked" / name
            with tarfile.open(Path(tmp) / tgz) as tar:
                tar.extractall(staging, filter="data")
            inner = staging / "package"
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                shutil.move(str(inner if inner.is_dir() else staging), str(target))
    return missing


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def server_command(host: str, port: int) -> list[str]:
    """The ``solara run`` command line that serves the page."""
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "sim.explore_app",
        "--host",
        host,
        "--port",
        str(port),
        "--production",
        "--no-open",
        "--log-level",
        "warning",
    ]


def server_env(scenario_path: str | Path, all_params: bool = False) -> dict[str, str]:
    """The environment for the server: the scenario path, and no telemetry."""
    env = dict(os.environ)
    env[ENV_SCENARIO] = str(Path(scenario_path).resolve())
    env[ENV_ALL_PARAMS] = "1" if all_params else "0"
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(asset_cache_dir())
    env.setdefault("MPLBACKEND", "Agg")
    return env


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def register(app: typer.Typer) -> None:
    """Add the ``explore`` command to the CLI."""

    @app.command()
    def explore(
        scenario: Annotated[Path, typer.Argument(help="scenario YAML file")],
        port: Annotated[int, typer.Option(help="port to serve on (0: any free port)")] = 8765,
        host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
        all_params: Annotated[
            bool, typer.Option("--all-params", help="a slider for every parameter")
        ] = False,
    ) -> None:
        """Watch one run in the browser: sliders, step/play/reset, live plots, save as scenario."""
        from sim.cli import EXIT_FAILURE, err, invalid

        try:
            load_scenario(scenario)
        except ScenarioError as e:
            raise invalid(e) from None
        if not 0 <= port < 65536:
            raise invalid(ValueError(f"--port: must be in 0..65535, got {port}"))
        if port == 0:
            port = free_port(host)
        if fetched := ensure_frontend_assets():
            err.print(f"fetched the page's JavaScript packages with npm: {', '.join(fetched)}")
        err.print(
            f"serving {scenario} at [bold]http://{host}:{port}[/] — press Ctrl+C to stop",
            highlight=False,
        )
        proc = subprocess.Popen(server_command(host, port), env=server_env(scenario, all_params))
        signal.signal(signal.SIGTERM, _interrupt)  # stopping this command stops the server
        try:
            code = proc.wait()
        except KeyboardInterrupt:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
            return
        if code != 0:
            err.print(f"[bold red]the page server stopped[/] (exit code {code})")
            raise typer.Exit(EXIT_FAILURE)
