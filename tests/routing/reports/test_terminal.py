"""The step progress display: plain lines off a terminal, a live bar (against a limit) on one."""

from __future__ import annotations

import io

from rich.console import Console

from routing.reports.terminal import StepProgress, summary_table
from tests.routing.reports._result_fixtures import trips_result


def test_off_a_terminal_each_step_is_one_line_and_verbose_adds_its_time() -> None:
    buf = io.StringIO()
    hook = StepProgress(True, stream=Console(file=buf, force_terminal=False, width=100))
    hook("read roads", None)
    hook("read roads", 1.5)
    text = buf.getvalue()
    assert "… read roads" in text and "read roads: 1.50 s" in text
    quiet = io.StringIO()
    hook = StepProgress(False, stream=Console(file=quiet, force_terminal=False, width=100))
    hook("snap", None)
    hook("snap", 0.2)
    assert "… snap" in quiet.getvalue() and "0.20 s" not in quiet.getvalue()


def test_on_a_terminal_steps_run_live_and_solving_fills_against_its_limit() -> None:
    buf = io.StringIO()
    hook = StepProgress(False, stream=Console(file=buf, force_terminal=True, width=100))
    hook.expect("solve", 2.0)
    hook("matrices", None)
    assert hook._progress is not None
    (matrices,) = hook._progress.tasks
    assert matrices.total is None  # no known length: the bar pulses
    hook("solve consolidated", None)
    solving = hook._progress.tasks[-1]
    assert solving.total == 2.0 and solving.fields["limit"] == "limit 2 s"
    hook("solve consolidated", 0.1)
    hook("matrices", 0.3)
    assert hook._progress is None  # the live display stops with the last step
    assert "solve consolidated" in buf.getvalue()


def test_the_summary_counts_vehicles_and_the_trips_they_drive() -> None:
    kpis = trips_result().kpis()
    assert (kpis["vehicles"], kpis["trips"]) == (3, 4)  # van 01 drives twice; a feeder van
    buf = io.StringIO()
    Console(file=buf, width=120).print(summary_table("plan", kpis))
    lines = buf.getvalue().splitlines()
    header = next(line for line in lines if "┃" in line).strip("┃").split("┃")
    row = next(line for line in lines if "│" in line).strip("│").split("│")
    cells = dict(zip((c.strip() for c in header), (c.strip() for c in row), strict=True))
    assert (cells["vehicles"], cells["trips"], cells["km"]) == ("3", "4", "16.2")
