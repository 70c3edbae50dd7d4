"""One progress bar for every command that runs many simulations (sweep, effects)."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def run_progress(label: str, total: int, console: Console) -> tuple[Progress, Callable]:
    """A bar of finished runs out of ``total`` and the ``progress(done, total)`` callback
    the executors call. The bar's display thread starts on the first call, after the
    worker processes are forked (a thread running at fork time is what makes pools hang).
    Hidden when ``console`` is not a terminal; the caller stops it in a ``finally``."""
    bar = Progress(
        TextColumn(f"[bold]{label}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("runs"),
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        disable=not console.is_terminal,
    )
    task = bar.add_task(label, total=total)
    started = [False]

    def progress(done: int, total: int) -> None:
        if not started[0]:
            started[0] = True
            bar.start()
        bar.update(task, completed=done)

    return bar, progress
