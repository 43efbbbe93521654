"""What ruralroute prints on a terminal: step progress, summary tables of plans, comparisons,
coalition bills and sweep results (rich renderables; the command line only prints them)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress_bar import ProgressBar
from rich.table import Table

from routing.research import RULES, CoalitionStudy
from routing.strategies import CONVERGENCE_COLUMNS, Comparison


class LimitBar(BarColumn):
    """A bar that fills with elapsed time against the task's total (a time limit, seconds)."""

    def render(self, task: Task) -> ProgressBar:
        if task.total is None:
            return super().render(task)
        return ProgressBar(total=task.total, completed=min(task.elapsed or 0.0, task.total),
                           width=self.bar_width, style=self.style,
                           complete_style=self.complete_style,
                           finished_style=self.finished_style)


class StepProgress:
    """The CLI's step hook: a live progress line per running step on a terminal.

    Steps with a known time limit (see :meth:`expect`) fill a bar against it; others pulse.
    Off a terminal (pipes, CI) each step prints one ``… step`` line instead. With ``verbose``,
    every step's duration is printed when it ends.
    """

    def __init__(self, verbose: bool, *, stream: Console | None = None) -> None:
        self.verbose = verbose
        self.console = stream or Console(stderr=True)
        self.limits: dict[str, float] = {}
        self._progress: Progress | None = None
        self._tasks: dict[str, TaskID] = {}

    def expect(self, prefix: str, seconds: float) -> None:
        """Show steps whose name starts with ``prefix`` against a limit of ``seconds``."""
        self.limits[prefix] = seconds

    def __call__(self, name: str, elapsed: float | None) -> None:
        if elapsed is None:
            self._start(name)
            return
        self._finish(name)
        if self.verbose:
            self.console.print(f"[dim]  {name}: {elapsed:.2f} s[/dim]")

    def _start(self, name: str) -> None:
        if not self.console.is_terminal:
            self.console.print(f"[dim]… {name}[/dim]")
            return
        if self._progress is None:
            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), LimitBar(bar_width=30),
                TimeElapsedColumn(), TextColumn("[dim]{task.fields[limit]}"),
                console=self.console, transient=True)
            self._progress.start()
        limit = next((s for p, s in self.limits.items() if name.startswith(p)), None)
        self._tasks[name] = self._progress.add_task(
            name, total=limit, limit=f"limit {limit:g} s" if limit else "")

    def _finish(self, name: str) -> None:
        task = self._tasks.pop(name, None)
        if self._progress is None or task is None:
            return
        self._progress.remove_task(task)
        if not self._tasks:
            self._progress.stop()
            self._progress = None


def text_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """Rows of text under ``header``, no cell ever cut short: on a narrow terminal headers wrap
    at spaces and lines run past its width (print with ``crop=False``). Names (instance, set,
    engine) align left, figures right."""
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(header):
        widest = max([len(word) for word in column.split()] + [len(row[i]) for row in rows])
        table.add_column(column, min_width=widest, justify="left" if column in (
            "instance", "set", "engine") else "right")
    for row in rows:
        table.add_row(*row)
    return table


def summary_table(title: str, kpis: Mapping[str, int | float]) -> Table:
    """A plan's KPIs on one row: vehicles (vehicle-days, feeders included) and the trips they
    drive, km, hours, parcels, produce, villages served and unserved."""
    table = Table(title=title, title_justify="left")
    for column in ("vehicles", "trips", "km", "driver hours", "parcels", "produce kg", "served",
                   "unserved"):
        table.add_column(column, justify="right")
    table.add_row(str(kpis["vehicles"]), str(kpis["trips"]), f"{kpis['distance_km']:,.1f}",
                  f"{kpis['driver_hours']:,.1f}", f"{kpis['parcels']:,}",
                  f"{kpis['produce_kg']:,}", str(kpis["stops_served"]),
                  str(kpis["stops_unserved"]))
    return table


def comparison_table(comparison: Comparison, *, seed: int) -> Table:
    """The comparison rows on screen: served villages, gap cost and like-for-like saving."""
    table = Table(title=f"{comparison.scenario.title}: strategies compared (seed {seed})",
                  title_justify="left")
    shown = {"strategy": "strategy", "cost_model": "cost model", "vehicles": "veh",
             "trips": "trips", "feeder_vehicles": "feeders", "km": "km",
             "driver_hours": "hours", "served": "served", "unserved": "unserved",
             "cost": "cost", "gap_cost": "gap cost", "like_for_like_per_parcel": "/parcel*",
             "co2_kg": "CO2 kg", "budget_s": "budget s", "saving_pct": "saving %"}
    for column, heading in shown.items():
        table.add_column(heading, justify="left" if column in ("strategy", "cost_model")
                         else "right", no_wrap=True)
    for row in comparison.rows():
        table.add_row(*(f"{row[c]:,}" if isinstance(row[c], int | float) and c != "saving_pct"
                        else str(row[c]) for c in shown))
    table.caption = ("veh: vehicles a day (feeders included), each driving one or more trips; "
                     "* cost per parcel like for like: with the gap cost of serving the "
                     "villages a strategy leaves unserved by the carriers' own vans")
    return table


def convergence_table(comparison: Comparison) -> Table:
    """How far each saving moved with twice the search budget."""
    table = Table(title="With twice the search budget", title_justify="left")
    for column in CONVERGENCE_COLUMNS:
        table.add_column(column.replace("_", " "), no_wrap=True,
                         justify="left" if column in ("strategy", "cost_model") else "right")
    for row in comparison.convergence_rows():
        table.add_row(*(str(row[c]) for c in CONVERGENCE_COLUMNS))
    return table


def number(value: object) -> float:
    """A numeric cell of a results summary as a float (NaN where it has no figure)."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"results summary: expected a number, got {value!r}")
    return float(value)


def fixed(value: object, digits: int) -> str:
    """A numeric summary cell with ``digits`` decimals, or empty where it has no figure."""
    figure = number(value)
    return "" if math.isnan(figure) else f"{figure:.{digits}f}"


def bills_table(study: CoalitionStudy, model: str) -> Table:
    """Each carrier's daily bill alone and under every allocation rule, with its saving."""
    analysis = study.analyses[model]
    alone = analysis.game.standalone()
    table = Table(title=f"{study.title}: each carrier's daily bill ({model} cost model, "
                        f"{study.currency}; saving vs alone)", title_justify="left")
    table.add_column("carrier", no_wrap=True)
    table.add_column("parcels", justify="right")
    table.add_column("alone", justify="right")
    for rule in RULES:
        table.add_column(rule, justify="right", no_wrap=True)
    for carrier in study.carriers:
        cells = []
        for rule in RULES:
            bill = analysis.allocation(rule).shares[carrier]
            pct = 100 * (alone[carrier] - bill) / alone[carrier] if alone[carrier] else 0.0
            cells.append(f"{bill:,.0f} {pct:+.0f}%")
        table.add_row(carrier, f"{study.parcels[carrier]:,}", f"{alone[carrier]:,.0f}", *cells)
    table.add_row("all", f"{sum(study.parcels.values()):,}", f"{sum(alone.values()):,.0f}",
                  *(f"{analysis.game.grand:,.0f}" for _ in RULES), end_section=True)
    table.add_row("in the core", "", "", *("yes" if analysis.allocation(r).in_core else "no"
                                           for r in RULES))
    return table



def strategy_table(by_strategy: pd.DataFrame) -> Table:
    """A sweep's means per strategy and cost model (:func:`routing.research.strategy_summary`)."""
    table = Table(title="Per strategy and cost model (means over cells)", title_justify="left")
    for column in ("cost model", "strategy", "cells", "cost/parcel", "cost", "gap cost",
                   "CO2 kg", "km", "vehicles", "unserved", "solve s"):
        table.add_column(column, justify="left" if column in ("cost model", "strategy")
                         else "right")
    for r in by_strategy.itertuples():
        table.add_row(str(r.cost_model), str(r.strategy), str(r.cells),
                      f"{r.cost_per_parcel:.2f}", f"{r.cost:,.0f}", f"{r.gap_cost:,.0f}",
                      f"{r.co2_kg:,.1f}", f"{r.distance_km:,.1f}", f"{r.vehicles:.1f}",
                      str(int(number(r.stops_unserved))), f"{r.solve_time_s:.1f}")
    return table


def savings_table(saving: pd.DataFrame, baseline: str) -> Table:
    """A sweep's savings by county (:func:`routing.research.savings_summary`)."""
    table = Table(title=f"Saving vs {baseline} by county (mean ± spread over seeds; cost per "
                        f"parcel, like for like)", title_justify="left")
    for column in ("cost model", "strategy", "county", "villages/km²", "fleet", "demand",
                   "saving %", "± sd", "seeds", "unserved", f"unserved ({baseline})",
                   "gap villages"):
        table.add_column(column, justify="left" if column in ("cost model", "strategy",
                                                              "county", "fleet") else "right")
    for r in saving.itertuples():
        table.add_row(str(r.cost_model), str(r.strategy), str(r.scenario),
                      fixed(r.villages_per_km2, 3), str(r.fleet), f"{r.demand_scale:g}",
                      fixed(r.mean_pct, 1), fixed(r.std_pct, 1), str(r.seeds),
                      str(int(number(r.unserved))), str(int(number(r.baseline_unserved))),
                      str(int(number(r.gap_villages))))
    return table
