"""The ``ruralroute`` command line: plan, compare and report rural delivery routes.

Commands parse options, call the library and print; they do no maths of their own. Every
domain error (a bad scenario, stops file or plan) prints one line and exits with code 2.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from routing.errors import RuralRouteError
from routing.kpis import plan_kpis
from routing.pipeline import Timings, plan_scenario, settings_for
from routing.report import write_reports
from routing.scenario import load_scenario

console = Console(stderr=True)
out = Console()


class _Group(click.Group):
    """A click group that turns domain errors into one line and exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (RuralRouteError, ValueError) as exc:
            message = " ".join(str(exc).split())
            click.echo(f"error: {message}", err=True)
            sys.exit(2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ruralroute")
def main() -> None:
    """Plan last-mile delivery and pickup routes for rural counties on OpenStreetMap roads.

    A scenario file (TOML) names the road network, depots, village stops, fleet and solver
    settings; see scenarios/guoyang/scenario.toml for a worked example.
    """


def _step_printer(verbose: bool):
    def hook(name: str, elapsed: float | None) -> None:
        if elapsed is None:
            console.print(f"[dim]… {name}[/dim]")
        elif verbose:
            console.print(f"[dim]  {name}: {elapsed:.2f} s[/dim]")
    return hook


def _summary_table(title: str, kpis: dict[str, Any]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("vehicles", "km", "driver hours", "parcels", "produce kg", "served",
                   "unserved"):
        table.add_column(column, justify="right")
    table.add_row(str(kpis["vehicles"]), f"{kpis['distance_km']:,.1f}",
                  f"{kpis['driver_hours']:,.1f}", f"{kpis['parcels']:,}",
                  f"{kpis['produce_kg']:,}", str(kpis["stops_served"]),
                  str(kpis["stops_unserved"]))
    return table


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write plan.json, routes.geojson, stops.geojson, stops.csv and "
                   "map.html into (created if missing).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None,
              help="Solver time limit in seconds [default: the scenario's solver.time_limit_s].")
@click.option("--seed", type=int, default=None,
              help="Seed recorded in the plan and passed to engines that use one "
                   "[default: the scenario's solver.seed].")
@click.option("--engine", type=click.Choice(["ortools"]), default=None,
              help="Routing engine [default: the scenario's solver.engine].")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(".cache/ruralroute"), show_default=True,
              help="Where travel matrices are cached between runs.")
@click.option("--tiles/--no-tiles", default=False, show_default=True,
              help="Offer OpenStreetMap web tiles as a base layer on the map (needs internet "
                   "when the map is opened; the default map draws only shipped data).")
@click.option("-v", "--verbose", is_flag=True, help="Print the time each step took.")
def solve(scenario: Path, out_dir: Path, time_limit: float | None, seed: int | None,
          engine: str | None, cache_dir: Path, tiles: bool, verbose: bool) -> None:
    """Plan one day of deliveries for SCENARIO and write the plan, GeoJSON and map to --out."""
    hook = _step_printer(verbose)
    sc = load_scenario(scenario)
    settings = settings_for(sc, time_limit_s=time_limit, seed=seed)
    result = plan_scenario(sc, settings, engine=engine, cache_dir=cache_dir, hook=hook)
    with Timings(result.timings, hook).step("write reports"):
        paths = write_reports(result, out_dir, tiles=tiles)
    kpis = plan_kpis(result.problem, result.plan)
    out.print(_summary_table(f"{sc.title} — plan checked ✓ (seed {settings.seed})", kpis))
    for note in result.geography.notes:
        console.print(f"note: {note}")
    for u in result.plan.unserved:
        console.print(f"unserved {u.stop} ({result.problem.stop_by_id[u.stop].name}): {u.reason}")
    if verbose:
        steps = ", ".join(f"{k} {v:.2f} s" for k, v in result.timings.items())
        console.print(f"timings: {steps}")
    console.print(f"wrote {', '.join(p.name for p in paths)} to {out_dir}")

if __name__ == "__main__":
    main()
