"""Play speed of ``cadresim explore`` against a headless run of the same scenario (CPU).

    python -m benchmarks.explore_play [scenario.yaml] [--months N]
    python -m benchmarks.explore_play --browser [--cold] [--repeat K]

Headless: ``CadreModel.step`` only, in this process. Issue 16 asks for play within 3× of
the headless step time. CPU time (``time.process_time``, ``/proc``), so other jobs on a
shared machine do not count.

Without ``--browser`` (quick, no browser): what the page's play loop does on the server —
``ExploreModel.step`` and, whenever its frame clock asks for a frame, the map and the four
outcome plots redrawn and encoded as SVG in the stepping thread. Solara's own work (diffing
the widgets, sending the frames) is not included.

``--browser``: the real thing. Starts ``cadresim explore`` in a session of its own (as
``tests/test_explore_browser.py`` does), opens the page in headless Chromium (Playwright),
presses ▶ at full speed and reads the month counter until the run ends; the server's CPU is
that of every process and thread of its session (``/proc/*/stat``) from the click to the
end, against a headless run of the whole scenario. ``--cold`` starts the server as a fresh
clone would: a new, empty matplotlib cache and ``HOME`` (fonts not yet indexed). Per-thread
CPU of the page server is listed (``/proc/<pid>/task``).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from sim import explore
from sim.config import load_scenario
from sim.model import CadreModel

ROOT = Path(__file__).resolve().parents[1]
REFORM = "scenarios/reform_privatization.yaml"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP = 240  # seconds: imports are slow on a loaded 2-core machine
_MONTH = re.compile(r"month (\d+) of (\d+)")


def headless_cpu(path: str | Path, months: int | None = None) -> tuple[float, int]:
    """CPU seconds of ``months`` (all, by default) of a headless run, and the months."""
    scn = load_scenario(path)
    months = scn.n_steps if months is None else min(months, scn.n_steps)
    model = CadreModel(scn)
    t0 = time.process_time()
    for _ in range(months):
        model.step()
    return time.process_time() - t0, months


def measure(path: str, months: int) -> dict:
    """The play loop in this process, frames drawn in the stepping thread (no browser)."""
    from sim.explore_app import PLOTS, ExploreModel, LocalityFigure, OutcomeFigure

    scn = load_scenario(path)
    step_cpu, months = headless_cpu(path, months)
    step_cpu /= months

    m = ExploreModel(base_scenario=scn, **explore.control_values(explore.controls(scn)))
    figures = [LocalityFigure(m), *(OutcomeFigure(m, s) for s in PLOTS)]

    def draw() -> None:
        for f in figures:
            f.update().savefig(io.BytesIO(), format="svg")

    def frame() -> None:  # drawn in the stepping thread; the page renders in Solara's
        t = time.perf_counter()
        draw()
        m.clock.rendered(t, time.perf_counter())

    m.on_frame = frame
    t0 = time.process_time()
    while m.step_index < months and m.running:  # play batches months per call
        m.step()
    play_cpu = (time.process_time() - t0) / m.step_index
    return {
        "scenario": path,
        "agents": m.people.n,
        "months": m.step_index,
        "frames": m.frame,
        "draw_ms": 1000 * m.clock.draw_seconds,
        "headless_ms_per_month": 1000 * step_cpu,
        "play_ms_per_month": 1000 * play_cpu,
        "ratio": play_cpu / step_cpu,
    }


# --- the browser mode ---------------------------------------------------------------------------
def _stat(path: str) -> list[str] | None:
    try:
        return Path(path).read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def session_cpu(session: int) -> float:
    """CPU seconds (user + system) of every process in a session: the ``cadresim explore``
    command, its solara server and anything they started."""
    total = 0
    for d in os.listdir("/proc"):
        if d.isdigit() and (f := _stat(f"/proc/{d}/stat")) and int(f[3]) == session:
            total += int(f[11]) + int(f[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def session_pids(session: int) -> list[int]:
    return [
        int(d)
        for d in os.listdir("/proc")
        if d.isdigit() and (f := _stat(f"/proc/{d}/stat")) and int(f[3]) == session
    ]


def thread_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of each live thread of ``pid``."""
    out = {}
    tick = os.sysconf("SC_CLK_TCK")
    for tid in os.listdir(f"/proc/{pid}/task"):
        if f := _stat(f"/proc/{pid}/task/{tid}/stat"):
            out[int(tid)] = (int(f[11]) + int(f[12])) / tick
    return out


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def start_server(scenario: str, env: dict[str, str] | None = None, log=None):
    """``cadresim explore SCENARIO`` on a free port in a new session; ``(url, proc)``."""
    port = explore.free_port()
    cli = str(Path(sys.executable).with_name("cadresim"))
    proc = subprocess.Popen(
        [cli, "explore", scenario, "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # so the solara child is in it and stops with it
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_http(url, proc, STARTUP)
    except BaseException:
        stop_server(proc)
        raise
    return url, proc


def stop_server(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def open_page(pw, url: str):
    """Headless Chromium on the page at ``url`` once it shows "Not started" (its first
    render); ``(browser, page)``. ``pw``: a running ``sync_playwright()``."""
    from playwright.sync_api import expect

    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1600, "height": 1300})
    page.set_default_timeout(120_000)
    page.goto(url, timeout=STARTUP * 1000)
    expect(page.get_by_text("Not started")).to_be_visible(timeout=STARTUP * 1000)
    return browser, page


def play_in_browser(
    url: str, session: int, timeout: float = 300, profile: Path | None = None
) -> dict:
    """Open the page, press ▶ and read the month counter until the run ends. Returns the
    months the page showed and the session's CPU from the click to the end. ``profile``:
    a file for py-spy's raw samples of the page server during play (py-spy must be
    installed; it is not a dependency of the project)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser, page = open_page(pw, url)
        time.sleep(1.0)  # let the first render settle: only play is measured
        pids = [p for p in session_pids(session) if p != session]
        threads0 = {p: thread_cpu(p) for p in pids}
        spy = None
        if profile is not None:
            spy = subprocess.Popen(
                [str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(pids[-1])]
                + ["--format", "raw", "--threads", "--nonblocking", "-o", str(profile)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(1.0)
        cpu0, wall0 = session_cpu(session), time.perf_counter()
        page.get_by_role("button", name="▶").click()
        seen: list[int] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = _MONTH.search(page.locator("body").inner_text())
            if m and (not seen or int(m.group(1)) != seen[-1]):
                seen.append(int(m.group(1)))
            if m and m.group(1) == m.group(2):
                break
            time.sleep(0.1)
        wall = time.perf_counter() - wall0
        time.sleep(0.5)  # the last frame's sending and the trailing checks
        cpu = session_cpu(session) - cpu0
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        threads = {}
        for p in pids:
            try:
                now = thread_cpu(p)
            except OSError:
                continue
            before = threads0.get(p, {})
            threads[p] = {t: c - before.get(t, 0.0) for t, c in now.items()}
        browser.close()
    return {"seen": seen, "cpu": cpu, "wall": wall, "threads": threads}


def cold_env(home: Path) -> dict[str, str]:
    """The environment of a first start: a new HOME and an empty matplotlib cache."""
    env = dict(os.environ)
    env["HOME"] = str(home)
    env["MPLCONFIGDIR"] = str(home / "mpl")
    env.pop("XDG_CACHE_HOME", None)
    return env


def profile_summary(path: Path, top: int = 25) -> str:
    """py-spy's raw samples: samples per thread, then the functions most often on the
    stack (inclusive), as shares of all samples."""
    threads: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        total += n
        threads[frames[0]] = threads.get(frames[0], 0) + n
        for f in set(frames[1:]):
            name = re.sub(r":\d+\)$", ")", f)  # one entry per function, not per line
            inclusive[name] = inclusive.get(name, 0) + n
    if not total:
        return "no samples"
    lines = [f"{total} samples; by thread:"]
    lines += [f"  {n / total:6.1%}  {t}" for t, n in sorted(threads.items(), key=lambda x: -x[1])]
    lines.append("most often on the stack:")
    best = sorted(inclusive.items(), key=lambda x: -x[1])[:top]
    lines += [f"  {n / total:6.1%}  {f}" for f, n in best]
    return "\n".join(lines)


def browser_run(scenario: str, cold: bool, profile: Path | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="explore-play-") as tmp:
        env = cold_env(Path(tmp)) if cold else None
        with open(Path(tmp) / "server.log", "w") as log:
            url, proc = start_server(scenario, env, log)
            try:
                result = play_in_browser(url, proc.pid, profile=profile)
            finally:
                stop_server(proc)
    head, months = headless_cpu(ROOT / scenario)
    result.update(headless=head, months=months, ratio=result["cpu"] / head)
    return result


def report_browser(r: dict, scenario: str, cold: bool) -> str:
    busiest = sorted(
        ((c, t) for th in r["threads"].values() for t, c in th.items() if c >= 0.05),
        reverse=True,
    )
    per_thread = ", ".join(f"{c:.2f}" for c, _ in busiest[:6])
    return (
        f"{scenario} ({'cold' if cold else 'warm'} server): months shown {r['seen']}; "
        f"server session {r['cpu']:.2f} s CPU over {r['wall']:.1f} s wall vs headless "
        f"{r['headless']:.2f} s for {r['months']} months: {r['ratio']:.2f}× headless (CPU); "
        f"busiest server threads (s CPU): {per_thread}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("scenario", nargs="?", default=REFORM)
    ap.add_argument("--months", type=int, default=48, help="without --browser")
    ap.add_argument("--browser", action="store_true", help="serve the page and play it")
    ap.add_argument("--cold", action="store_true", help="with --browser: a first start")
    ap.add_argument("--repeat", type=int, default=1, help="with --browser: runs (new servers)")
    ap.add_argument("--profile", type=Path, help="with --browser: py-spy samples to this file")
    args = ap.parse_args()
    if args.browser:
        if not CHROMIUM.exists():
            sys.exit(f"{CHROMIUM} is missing: run scripts/install-browser.sh")
        for _ in range(args.repeat):
            r = browser_run(args.scenario, args.cold, args.profile)
            print(report_browser(r, args.scenario, args.cold), flush=True)
            if args.profile:
                print(profile_summary(args.profile), flush=True)
        return
    r = measure(args.scenario, args.months)
    print(
        f"{r['scenario']}: {r['agents']:,} agents, {r['months']} months; headless "
        f"{r['headless_ms_per_month']:.1f} ms/month, play {r['play_ms_per_month']:.1f} ms/month "
        f"({r['frames']} frames of {r['draw_ms']:.0f} ms wall): "
        f"{r['ratio']:.2f}× headless (CPU)"
    )


if __name__ == "__main__":
    main()
