"""The ``ruralroute`` command line: plan, compare and report rural delivery routes.

Commands parse options, call the library and print; they do no maths of their own. Every
domain error (a bad scenario, stops file or plan) prints one line and exits with code 2; a search
that fell short (:class:`~routing.core.errors.SearchError`) prints one line and exits with code 1.
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import Any

import click
from rich.console import Console, JustifyMethod
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from geodata import read_counties
from routing.builder import DEFAULT_SEED, build_county_scenario, build_region_scenario
from routing.core import (
    STRATEGIES,
    InputError,
    ModelError,
    RuralRouteError,
    SearchError,
    Strategy,
)
from routing.inputs import Scenario, load_cost_model, load_scenario, load_sweep
from routing.pipeline import Timings, locate, settings_document, settings_for
from routing.reports import (
    comparison_map_html,
    comparison_markdown,
    sheets_from_plan_dir,
    sheets_from_result,
    write_comparison_csv,
    write_comparison_map,
    write_convergence_csv,
    write_sheets,
    write_strategy_reports,
)
from routing.reports.report_html import write_report_html
from routing.reports.terminal import (
    StepProgress,
    bills_table,
    comparison_table,
    convergence_table,
    savings_table,
    strategy_table,
    summary_table,
    text_table,
)
from routing.research import (
    TABLE_HEADER,
    CoalitionRun,
    CoalitionStore,
    CoalitionStudy,
    ResultsStore,
    coalition_study,
    coalition_tasks,
    dask_client,
    default_workers,
    execute,
    expand,
    instance_paths,
    read_instance,
    run_instance,
    savings_summary,
    status_counts,
    strategy_summary,
    summary_header,
    summary_rows,
    summary_table_rows,
    table_rows,
    write_bench_csv,
    write_plots,
    write_results_csv,
    write_study_csvs,
)
from routing.research import Progress as SweepProgress
from routing.solving import DECOMPOSE_MIN_STOPS, ENGINES, SolveSettings
from routing.strategies import Comparison, compare_strategies, run_strategy, with_fleet

#: How many unserved villages ``solve`` lists on the terminal; plan.json lists them all.
UNSERVED_SHOWN = 20

console = Console(stderr=True)
out = Console()


#: Options several commands share, declared once.
_cache_dir_option = click.option(
    "--cache-dir", type=click.Path(file_okay=False, path_type=Path),
    default=Path(".cache/ruralroute"), show_default=True,
    help="Where travel matrices are cached between runs.")
_engine_option = click.option(
    "--engine", type=click.Choice(sorted(ENGINES)), default=None,
    help="Routing engine [default: the scenario's solver.engine].")

_jobs_option = click.option(
    "--jobs", type=click.IntRange(min=1), default=None,
    help="How many independent routing problems of a strategy (each carrier's day, the feeders, "
         "the relay's stations) to solve at once, each with its own budget [default: one per "
         "core]; --jobs 1 solves them in turn, letting the auto engine use every core for each.")
_decompose_option = click.option(
    "--decompose/--no-decompose", default=None,
    help="Solve a big multi-depot problem (a region) by parts: one cluster of villages per hub "
         "(by county where the scenario has county boundaries), side by side, then improved as "
         "a whole [default: when vehicles start from several depots and there are more than "
         f"{DECOMPOSE_MIN_STOPS} villages].")
_fleet_option = click.option(
    "--fleet", "fleet", multiple=True, metavar="TYPE=N",
    help="Own N vehicles of vehicle type TYPE instead of the scenario's count; repeatable, e.g. "
         "--fleet light-van=8 (with max_trips > 1 a vehicle may go out again to serve more).")


def _with_fleet(scenario: Scenario, fleet: tuple[str, ...]) -> Scenario:
    """``scenario`` with ``--fleet light-van=8`` applied; anything else is a bad --fleet."""
    counts = {}
    for item in fleet:
        name, sep, number = item.partition("=")
        if not sep or not number.strip().isdigit():
            raise click.BadParameter(f"{item!r} is not TYPE=N, e.g. light-van=8",
                                     param_hint="--fleet")
        counts[name.strip()] = int(number)
    try:
        return with_fleet(scenario, counts)
    except ModelError as exc:
        raise click.BadParameter(str(exc).removeprefix("fleets").lstrip(".:").strip(),
                                 param_hint="--fleet") from None


class _Group(click.Group):
    """A click group that turns domain errors into one line: exit code 1 for a search that fell
    short, 2 for bad input."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except RuralRouteError as exc:
            message = " ".join(str(exc).split())
            click.echo(f"error: {message}", err=True)
            sys.exit(1 if isinstance(exc, SearchError) else 2)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ruralroute")
def main() -> None:
    """Plan last-mile delivery and pickup routes for rural counties on OpenStreetMap roads.

    A scenario file (TOML) names the road network, depots, village stops, fleet and solver
    settings; see scenarios/guoyang/scenario.toml for a worked example.
    """


def _step_printer(verbose: bool) -> StepProgress:
    return StepProgress(verbose, stream=console)


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write plan.json, routes.geojson, stops.geojson, stops.csv and "
                   "map.html into (created if missing).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None,
              help="Search budget in seconds of a problem the size of the consolidated one (all "
                   "villages with demand); every routing problem of the strategy gets the same "
                   "seconds per stop [default: the scenario's solver.time_limit_s].")
@click.option("--seed", type=int, default=None,
              help="Seed recorded in the plan and passed to engines that use one "
                   "[default: the scenario's solver.seed].")
@_engine_option
@_cache_dir_option
@click.option("--tiles/--no-tiles", default=False, show_default=True,
              help="Offer OpenStreetMap web tiles as a base layer on the map (needs internet "
                   "when the map is opened; the default map draws only shipped data).")
@click.option("--strategy", type=click.Choice(Strategy.values()), default="consolidated",
              show_default=True,
              help="independent: each carrier alone from its branch; consolidated: one shared "
                   "fleet from the joint distribution centre; township-relay: trunk to township "
                   "stations, local vehicles to villages.")
@click.option("--sheets", "with_sheets", is_flag=True,
              help="Also write printable route sheets (sheets.pdf, sheets.html) into --out.")
@_fleet_option
@_jobs_option
@_decompose_option
@click.option("-v", "--verbose", is_flag=True, help="Print the time each step took.")
def solve(scenario: Path, out_dir: Path, time_limit: float | None, seed: int | None,
          engine: str | None, cache_dir: Path, tiles: bool, verbose: bool,
          strategy: str = "consolidated", with_sheets: bool = False,
          fleet: tuple[str, ...] = (), jobs: int | None = None,
          decompose: bool | None = None) -> None:
    """Plan one day of deliveries for SCENARIO and write the plan, GeoJSON and map to --out."""
    hook = _step_printer(verbose)
    sc = _with_fleet(load_scenario(scenario), fleet)
    settings = settings_for(sc, time_limit_s=time_limit, seed=seed, jobs=jobs,
                            decompose=decompose)
    hook.expect("solve", settings.time_limit_s)
    timings = Timings(hook=hook)
    geography = locate(sc, timings=timings, cache_dir=cache_dir, decompose=decompose)
    result = run_strategy(sc, strategy, settings, engine=engine, geography=geography, hook=hook)
    with timings.step("write reports"):
        paths = write_strategy_reports(result, out_dir, seed=settings.seed,
                                       engine=engine or sc.solver.engine,
                                       settings=settings_document(settings), tiles=tiles)
    if with_sheets:
        with timings.step("write sheets"):
            paths += write_sheets(sheets_from_result(result), out_dir)
    kpis = result.kpis()
    out.print(summary_table(f"{sc.title} — {strategy}, plan checked ✓ (seed {settings.seed})",
                             kpis))
    if sc.cost_model is not None:
        cost = result.costs(sc.cost_model)
        console.print(f"cost ({sc.cost_model.name}): {cost.total:,.0f} {sc.cost_model.currency}, "
                      f"{cost.per_parcel:.2f} per parcel, {cost.co2_kg:,.0f} kg CO2")
    for note in geography.notes:
        console.print(f"note: {note}")
    for leg in result.legs:
        for note in leg.plan.notes:
            console.print(f"note: {leg.label}: {note}")
    names = {s.id: s.name for s in sc.stops}
    for u in result.unserved[:UNSERVED_SHOWN]:
        console.print(f"unserved {u.stop} ({names.get(u.stop, '')}): {u.reason}")
    if len(result.unserved) > UNSERVED_SHOWN:
        console.print(f"… and {len(result.unserved) - UNSERVED_SHOWN} more unserved villages, "
                      f"each with its reason in {out_dir / 'plan.json'}")
    if verbose:
        steps = {**timings.seconds, "solve": result.solve_time_s}
        console.print("timings: " + ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))
    console.print(f"wrote {', '.join(p.name for p in paths)} to {out_dir}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for comparison.csv, comparison.md, map.html, report.html (the "
                   "planner's report, one self-contained page) and one plan folder per "
                   "strategy.")
@click.option("--strategies", "strategy_list", default=",".join(STRATEGIES), show_default=True,
              help="Comma-separated strategies to compare.")
@click.option("--cost-model", "cost_model_files", multiple=True,
              help="A cost model to price every strategy under: a shipped one by name "
                   "(diesel, electric) or a TOML file; repeatable "
                   "[default: the scenario's [costs] model].")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None,
              help="Search budget in seconds of a problem the size of the consolidated one (all "
                   "villages with demand); every other routing problem is scaled from it by its "
                   "stop count, so independent takes about five times as long "
                   "[default: solver.time_limit_s].")
@click.option("--check-convergence", is_flag=True,
              help="Solve every strategy again with twice the budget and report how many "
                   "points each saving moved (convergence.csv, comparison.md, report.html).")
@click.option("--seed", type=int, default=None, help="Seed [default: the scenario's solver.seed].")
@_engine_option
@_cache_dir_option
@click.option("--coalitions", "with_coalitions", is_flag=True,
              help="Also cost every coalition of the carriers (on a local Dask cluster, cached "
                   "in --out/coalitions/) and put their bills under each allocation rule into "
                   "report.html, with coalitions.csv, allocation.csv and blocking.csv.")
@click.option("--sheets", "with_sheets", is_flag=True,
              help="Also write printable route sheets (sheets.pdf, sheets.html) into each "
                   "strategy's folder.")
@_fleet_option
@_jobs_option
@_decompose_option
@click.option("-v", "--verbose", is_flag=True, help="Print the time each step took.")
def compare(scenario: Path, out_dir: Path, strategy_list: str, cost_model_files: tuple[str, ...],
            time_limit: float | None, seed: int | None, engine: str | None, cache_dir: Path,
            verbose: bool, with_sheets: bool = False, check_convergence: bool = False,
            with_coalitions: bool = False, fleet: tuple[str, ...] = (),
            jobs: int | None = None, decompose: bool | None = None) -> None:
    """Solve every strategy on SCENARIO and compare cost, distance, vehicles and CO2.

    Savings are in cost per parcel delivered, like for like: a strategy that leaves villages
    unserved is charged what the carriers' own vans would cost to serve them (gap cost).
    """
    strategies = [s.strip() for s in strategy_list.split(",") if s.strip()]
    unknown = [s for s in strategies if s not in STRATEGIES]
    if unknown or not strategies:
        raise click.BadParameter(f"unknown strategy {unknown[0] if unknown else '(none)'}; "
                                 f"choose from {', '.join(STRATEGIES)}", param_hint="--strategies")
    models = [load_cost_model(f) for f in cost_model_files]
    sc = _with_fleet(load_scenario(scenario), fleet)
    settings = settings_for(sc, time_limit_s=time_limit, seed=seed, jobs=jobs,
                            decompose=decompose)
    comparison = compare_strategies(sc, settings, strategies=strategies, cost_models=models,
                                    engine=engine, cache_dir=cache_dir,
                                    hook=_step_printer(verbose),
                                    check_convergence=check_convergence)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, result in comparison.results.items():
        write_strategy_reports(result, out_dir / name, seed=settings.seed,
                               engine=engine or sc.solver.engine,
                               settings=settings_document(settings),
                               cost_models=comparison.cost_models)
    for name, gap in comparison.gaps.items():
        if gap is not None:  # the checked plan behind the gap cost, for anyone to audit
            write_strategy_reports(gap, out_dir / f"{name}-gap", seed=settings.seed,
                                   engine=engine or sc.solver.engine,
                                   settings=settings_document(settings),
                                   cost_models=comparison.cost_models)
    if with_sheets:
        for name, result in comparison.results.items():
            write_sheets(sheets_from_result(result), out_dir / name)
    write_comparison_csv(out_dir / "comparison.csv", comparison)
    written = ["comparison.csv"]
    if check_convergence:
        write_convergence_csv(out_dir / "convergence.csv", comparison)
        written.append("convergence.csv")
    (out_dir / "comparison.md").write_text(comparison_markdown(comparison), encoding="utf-8")
    study = None
    if with_coalitions:
        study = _compare_study(sc, settings, comparison, engine=engine, cache_dir=cache_dir,
                               out_dir=out_dir)
        written += ["coalitions.csv", "allocation.csv", "blocking.csv"]
    map_page = comparison_map_html(comparison)
    write_comparison_map(out_dir / "map.html", map_page)
    write_report_html(out_dir / "report.html", comparison, study=study, map_html=map_page,
                      run={"engine": engine or sc.solver.engine, "seed": settings.seed,
                           **settings_document(settings)})
    screen = out if out.is_terminal else Console(width=200)  # files and pipes get whole tables
    screen.print(comparison_table(comparison, seed=settings.seed))
    if check_convergence:
        screen.print(convergence_table(comparison))
    for line in comparison.headline():
        console.print(line)
    folders = [*comparison.results, *(f"{n}-gap" for n, g in comparison.gaps.items() if g)]
    console.print(f"wrote {', '.join(written)}, comparison.md, map.html, report.html and "
                  f"{', '.join(folders)}/{' with sheets' if with_sheets else ''} "
                  f"to {out_dir}")


@main.command()
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write sheets.pdf and sheets.html into (created if missing).")
@click.option("--landscape", is_flag=True,
              help="A4 landscape pages, map beside the stop list [default: A4 portrait].")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None,
              help="When SOURCE is a scenario: search budget in seconds of a consolidated-size "
                   "problem (see solve --help).")
@click.option("--seed", type=int, default=None, help="When SOURCE is a scenario: solver seed.")
@click.option("--strategy", type=click.Choice(Strategy.values()),
              default="consolidated", show_default=True,
              help="When SOURCE is a scenario: the strategy to plan with.")
@_cache_dir_option
def sheets(source: Path, out_dir: Path, landscape: bool, time_limit: float | None,
           seed: int | None, cache_dir: Path, strategy: str = "consolidated") -> None:
    """Write printable route sheets: one PDF page per vehicle, and the same as HTML.

    SOURCE is a folder written by `ruralroute solve` or one strategy's folder of `ruralroute
    compare` (its plan.json), or a scenario .toml file, which is first planned with --strategy
    and its plan.json, GeoJSON and map written into --out.
    """
    if source.is_dir():
        book = sheets_from_plan_dir(source, cache_dir=cache_dir)
    else:
        sc = load_scenario(source)
        settings = settings_for(sc, time_limit_s=time_limit, seed=seed)
        result = run_strategy(sc, strategy, settings, cache_dir=cache_dir,
                              hook=_step_printer(False))
        write_strategy_reports(result, out_dir, seed=settings.seed, engine=sc.solver.engine,
                               settings=settings_document(settings))
        book = sheets_from_result(result)
    paths = write_sheets(book, out_dir, landscape=landscape)
    console.print(f"wrote {', '.join(p.name for p in paths)} ({len(book.sheets)} route sheets) "
                  f"to {out_dir}")


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, path_type=Path))
@click.option("--engine", "engines", multiple=True, default=("ortools", "pyvrp", "auto"),
              show_default=True, metavar="NAME",
              help=f"Engine to benchmark; repeat for several ({', '.join(sorted(ENGINES))}).")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=10.0, show_default=True,
              help="Solver time limit per instance and engine, in seconds.")
@click.option("--seed", type=int, default=1, show_default=True, help="Seed for the engines.")
@click.option("--out", "--out-csv", "out_csv", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write one row per run to this CSV file.")
def bench(paths: tuple[Path, ...], engines: tuple[str, ...], time_limit: float, seed: int,
          out_csv: Path | None) -> None:
    """Solve VRPLIB instances (CVRPLIB .vrp, Solomon VRPTW .txt) and compare with the best known.

    PATHS are instance files or folders (every .vrp and Solomon .txt inside, sorted). Each
    instance is solved by every --engine in turn, so the engines meet the same machine load.
    The best-known cost comes from a .sol file beside each instance or a bks.csv in its folder;
    every plan goes through the independent checker and the gap is shown only for feasible
    plans. The summary gives, per set (CVRP, VRPTW) and engine, the mean gap and the
    geometric-mean cost ratio against pyvrp in this run.
    """
    unknown = [name for name in engines if name not in ENGINES]
    if unknown:
        raise InputError("--engine", unknown[0], f"unknown engine; choose from "
                         f"{', '.join(sorted(ENGINES))}")
    instances = [read_instance(path) for path in instance_paths(paths)]
    settings = SolveSettings(time_limit_s=time_limit, seed=seed)
    results = []
    for instance in instances:
        for engine in dict.fromkeys(engines):
            console.print(f"[dim]… {instance.name} ({instance.kind}, {instance.customers} "
                          f"customers) with {engine}[/dim]")
            results.append(run_instance(instance, engine, settings))
    title = f"{time_limit:g} s per instance and engine, seed {seed}"
    out.print(text_table(title, TABLE_HEADER, table_rows(results)), crop=False)
    out.print(text_table(f"Summary: means per set and engine ({title})", summary_header(),
                         summary_table_rows(summary_rows(results))), crop=False)
    if out_csv is not None:
        write_bench_csv(results, out_csv)
        console.print(f"wrote {out_csv}")


@main.command()
@click.argument("sweep_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "results", required=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="Results folder: one Parquet row per cell in cells/, plans in plans/. "
                   "Rerunning into the same folder computes only missing or failed cells.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler to submit to, e.g. tcp://10.0.0.5:8786 [default: start a "
                   "local cluster].")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of the local cluster [default: one per core].")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(".cache/ruralroute"), show_default=True,
              help="Where workers cache travel matrices (shared by the cells of a county).")
@_decompose_option
def sweep(sweep_file: Path, results: Path, scheduler: str | None, workers: int | None,
          cache_dir: Path, decompose: bool | None = None) -> None:
    """Run the grid of solves SWEEP_FILE describes on Dask and record every cell in --out.

    The grid is scenarios (files or counties) x strategies x fleets x demand scales x seeds;
    every cost model prices each cell. See scenarios/sweep-example.toml.
    """
    if scheduler and workers:
        raise click.UsageError("give --scheduler or --workers, not both")
    started = time.perf_counter()
    spec = load_sweep(sweep_file)
    store = ResultsStore(results)
    if spec.counties and spec.county_osm is not None:
        console.print(f"building {len(spec.counties)} county scenarios from "
                      f"{spec.county_osm.name} into {results / 'scenarios'}", soft_wrap=True)
    cells = expand(spec, scenarios_dir=results / "scenarios", cache_dir=cache_dir,
                   decompose=decompose)
    results.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sweep_file, results / f"sweep-{spec.name}.toml")
    recorded = store.done() & {c.key for c in cells}
    where = scheduler or f"a local cluster of {workers or default_workers()} worker processes"
    console.print(f"sweep {spec.name}: {len(cells)} cells, {len(recorded)} already recorded, "
                  f"{len(cells) - len(recorded)} to run on {where}", soft_wrap=True)
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), console=console)
    with bar:
        task = bar.add_task("cells", total=len(cells), counts="")

        def show(p: SweepProgress) -> None:
            bar.update(task, completed=p.skipped + p.finished,
                       counts=f"done {p.skipped + p.done}  running {p.running}  "
                              f"failed {p.failed}")

        if len(recorded) == len(cells):
            show(execute(cells, store, None))
            progress = None
        else:
            with dask_client(scheduler=scheduler, workers=workers) as client:
                progress = execute(cells, store, client, on_progress=show)
    took = time.perf_counter() - started
    if progress is None:
        console.print(f"nothing to run: all {len(cells)} cells are recorded in {results}")
        return
    for error in progress.errors[:10]:
        console.print(f"failed: {error}", markup=False, soft_wrap=True)
    console.print(f"recorded {progress.done} ok and {progress.failed} failed cells in "
                  f"{took:.0f} s ({progress.skipped} were already recorded) in {results}",
                  soft_wrap=True)
    if progress.interrupted:
        console.print("interrupted: every recorded cell is kept; run the same command again "
                      "to compute the rest", soft_wrap=True)
        sys.exit(130)
    if progress.failed:
        sys.exit(1)


@main.command()
@click.argument("results", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--csv", "csv_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also export the whole table, one row per recorded cell, as CSV.")
@click.option("--baseline", default="independent", show_default=True,
              help="Strategy the savings are measured against.")
def results(results: Path, csv_file: Path | None, baseline: str) -> None:
    """Summarise a sweep's RESULTS folder: tables on screen, PNG plots into RESULTS."""
    df = ResultsStore(results).table()
    screen = out if out.is_terminal else Console(width=200)  # files and pipes get whole tables
    counts = status_counts(df)
    screen.print(f"{len(df)} cells recorded: {counts['ok']} ok, {counts['failed']} failed")
    screen.print(strategy_table(strategy_summary(df)))
    screen.print(savings_table(savings_summary(df, baseline=baseline), baseline))
    for error in df[df["status"] == "failed"]["error"].head(5):
        console.print(f"failed cell: {error}", markup=False, soft_wrap=True)
    paths = write_plots(df, results)
    console.print(f"wrote {', '.join(p.name for p in paths)} to {results}", soft_wrap=True)
    if csv_file:
        write_results_csv(df, csv_file)
        console.print(f"wrote {len(df)} rows to {csv_file}")


@main.group("scenario")
def scenario_group() -> None:
    """Build scenarios from an OpenStreetMap extract (county boundaries at admin_level 6)."""


@scenario_group.command("list")
@click.option("--osm", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="An .osm.pbf or .osm file with boundary relations and place nodes.")
def scenario_list(osm: Path) -> None:
    """List the counties of --osm a scenario can be built for, with their village counts."""
    counties = sorted(read_counties(osm), key=lambda c: (-c.villages, c.osm_id))
    table = Table(title=f"County-level boundaries (admin_level 6) in {osm.name}",
                  title_justify="left")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("relation", "right"), ("county", "left"), ("villages", "right"))
    for column, justify in columns:
        table.add_column(column, justify=justify)
    for c in counties:
        table.add_row(str(c.osm_id), c.label, f"{c.villages:,}")
    out.print(table)
    console.print(f"{len(counties)} counties, {sum(c.villages for c in counties):,} villages; "
                  f"build one with: ruralroute scenario new --osm {osm} --county NAME --out DIR")


@scenario_group.command("new")
@click.option("--osm", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="An .osm.pbf or .osm file with the county boundary, places and roads.")
@click.option("--county", default=None, metavar="NAME_OR_OSM_ID",
              help="The county: relation id, or a name as `scenario list` shows it "
                   "(涡阳县, Guoyang, Guoyang County).")
@click.option("--region", is_flag=True,
              help="Instead of one county: every village of --osm, one hub per county seat.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write the scenario into (created if missing).")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Seed of the synthetic village demand.")
def scenario_new(osm: Path, county: str | None, region: bool, out_dir: Path, seed: int) -> None:
    """Write a ready-to-solve scenario folder for one county (or a region) of --osm."""
    if (county is None) == (not region):
        raise click.UsageError("give exactly one of --county NAME_OR_OSM_ID and --region")
    if region:
        built = build_region_scenario(
            osm, out_dir, seed=seed, name=out_dir.resolve().name or "region",
            title=f"{out_dir.resolve().name} region — every village, one hub per county seat")
    else:
        built = build_county_scenario(osm, county or "", out_dir, seed=seed)
    hubs = ", ".join(h.name for h in built.hubs[:3]) + (", …" if len(built.hubs) > 3 else "")
    console.print(f"{built.title}: {built.villages:,} villages, {built.townships:,} townships, "
                  f"{built.parcels:,} parcels/day, {sum(h.vans for h in built.hubs)} vans "
                  f"from {len(built.hubs)} depot(s) ({hubs})")
    console.print(f"wrote {', '.join(p.name for p in built.files)} to {out_dir}")
    console.print(f"solve it with: ruralroute solve {built.scenario} --out OUT_DIR")


@main.command("coalitions")
@click.argument("scenario", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for coalitions.csv, allocation.csv and blocking.csv; solved "
                   "coalitions are kept in its coalitions/ folder, so a rerun solves nothing.")
@click.option("--time-limit", type=click.FloatRange(min=0.1), default=None,
              help="Search budget in seconds of a problem the size of the consolidated one; "
                   "every coalition's problems get the same seconds per stop "
                   "[default: solver.time_limit_s].")
@click.option("--cost-model", "cost_model_files", multiple=True,
              help="A cost model to price every coalition under (the game is per cost model): "
                   "a shipped one by name (diesel, electric) or a TOML file; repeatable "
                   "[default: the scenario's [costs] model].")
@click.option("--seed", type=int, default=None, help="Seed [default: the scenario's solver.seed].")
@_engine_option
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Dask scheduler to submit to, e.g. tcp://10.0.0.5:8786 [default: start a "
                   "local cluster].")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Worker processes of the local cluster [default: one per core].")
@_cache_dir_option
def coalitions_command(scenario: Path, out_dir: Path, time_limit: float | None,
                       cost_model_files: tuple[str, ...], seed: int | None, engine: str | None,
                       scheduler: str | None, workers: int | None, cache_dir: Path) -> None:
    """Cost every coalition of SCENARIO's carriers and split the pooled cost among them.

    Each coalition of two or more carriers pools its parcels at the joint centre on the shared
    fleet; a carrier alone uses its own vans. The grand coalition's cost is split by parcels, by
    stand-alone cost, by the Shapley value and by the nucleolus, and each split is checked
    against the core: would any group of carriers pay less on its own?
    """
    if scheduler and workers:
        raise click.UsageError("give --scheduler or --workers, not both")
    started = time.perf_counter()
    models = [load_cost_model(f) for f in cost_model_files]
    sc = load_scenario(scenario)
    settings = settings_for(sc, time_limit_s=time_limit, seed=seed)
    store = CoalitionStore(out_dir)
    tasks = coalition_tasks(sc, settings, engine=engine, cache_dir=cache_dir)
    todo = len(store.missing(tasks))
    where = scheduler or f"a local cluster of {workers or default_workers()} worker processes"
    console.print(f"{sc.title}: {len(tasks)} coalitions of {len(sc.carriers)} carriers, "
                  f"{len(tasks) - todo} already solved in {out_dir}"
                  + (f", {todo} to solve on {where}" if todo else ""), soft_wrap=True)

    def solved(run: CoalitionRun, done: int, total: int) -> None:
        console.print(f"[dim]solved {done}/{total}: {';'.join(run.members)} "
                      f"({run.solve_time_s:.1f} s)[/dim]", soft_wrap=True)

    kwargs: dict[str, Any] = {"cost_models": models, "engine": engine, "cache_dir": cache_dir,
                              "on_solved": solved}
    if todo:
        with dask_client(scheduler=scheduler, workers=workers) as client:
            study = coalition_study(sc, settings, store, client=client, **kwargs)
    else:
        study = coalition_study(sc, settings, store, **kwargs)
    write_study_csvs(study, out_dir)
    _print_study(study, out_dir)
    console.print(f"solved {study.solved} coalitions ({study.cached} from {out_dir / 'coalitions'})"
                  f" in {time.perf_counter() - started:.0f} s; wrote coalitions.csv, "
                  f"allocation.csv and blocking.csv to {out_dir}", soft_wrap=True)


def _compare_study(sc: Scenario, settings: SolveSettings, comparison: Comparison, *,
                   engine: str | None, cache_dir: Path, out_dir: Path) -> CoalitionStudy:
    """The coalition study of ``compare --coalitions``, priced under the comparison's models."""
    store = CoalitionStore(out_dir)
    tasks = coalition_tasks(sc, settings, engine=engine, cache_dir=cache_dir)
    kwargs: dict[str, Any] = {"cost_models": list(comparison.cost_models), "engine": engine,
                              "cache_dir": cache_dir}
    if store.missing(tasks):
        console.print(f"costing {len(tasks)} coalitions of {len(sc.carriers)} carriers on a "
                      f"local cluster of {default_workers()} worker processes", soft_wrap=True)
        with dask_client(scheduler=None, workers=None) as client:
            study = coalition_study(sc, settings, store, client=client, **kwargs)
    else:
        study = coalition_study(sc, settings, store, **kwargs)
    write_study_csvs(study, out_dir)
    _print_study(study, out_dir)
    return study


def _print_study(study: CoalitionStudy, out_dir: Path) -> None:
    """Each carrier's bill alone and under every rule, and the rules' stability."""
    screen = out if out.is_terminal else Console(width=160)  # files and pipes get whole tables
    for model in study.cost_models:
        screen.print(bills_table(study, model.name))
        for line in study.stability_lines(model.name):
            console.print(line, soft_wrap=True, markup=False)
    if study.stability_rows():
        console.print(f"every blocking coalition is in {out_dir / 'blocking.csv'}",
                      soft_wrap=True)


if __name__ == "__main__":
    main()
