"""Sweeps: run a grid of what-if solves (scenarios x strategies x fleets x demand x seeds) on Dask.

A sweep file (TOML) names the grid::

    name = "anhui-example"
    scenarios = ["guoyang/scenario.toml"]       # scenario files, relative to this file
    strategies = ["independent", "consolidated"]
    cost_models = ["diesel", "electric"]         # shipped names or paths to cost model files
    seeds = [1, 2, 3]
    time_limit_s = 10                            # search budget of a consolidated-size problem
    demand_scales = [1.0, 2.0]                   # optional: multiply every village's demand
    fleets = [{}, { van = 6 }]                   # optional: vehicle type id -> count ({} = as is)
    engine = "ortools"                           # optional
    solution_limit = 200                         # optional: cap solver work for repeatability

    [counties]                                   # optional: scenarios built from OSM counties
    names = ["涡阳县", "蒙城县"]
    osm = "anhui/anhui.osm.pbf"

Each *cell* of the grid is one strategy run (one or more checked solves) on one scenario
variant; every cost model prices the same run, so cost models multiply columns, not solves.
``time_limit_s`` means what ``--time-limit`` means everywhere: the search budget of a problem
the size of the consolidated one (every village with demand); every routing problem of the
cell gets the same seconds per stop (:func:`routing.pipeline.settings.budget_s`), so an independent
cell takes about five times as long as a consolidated one. A cell that leaves villages
unserved also solves its gap plan (:func:`routing.strategies.gap.gap_plan`) and records its cost,
so the saving ``ruralroute results`` reports is like for like.
A cell's key is a hash of everything that determines its result (the scenario's content, the
files it reads, the strategy, fleet, demand scale, seed, limits, engine and cost models), so a
rerun of the same sweep skips exactly the cells already recorded in the results store.

The driver validates the whole sweep file before any work starts, submits the missing cells to
a Dask cluster (a local one by default), and records each finished cell in the
:class:`~routing.research.results.ResultsStore` as it arrives. Workers only compute: they return
the row and the plan document and never write into the results folder, so a killed worker or an
interrupted driver loses no recorded cell and a worker needs no access to the results folder
(it does need the scenario, OSM and cost model files at the same paths as the driver).
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from routing.core import COST_SEPARATOR, STRATEGIES, CostModel, InputError, ModelError
from routing.inputs import (
    Scenario,
    SweepSpec,
    county_id,
    load_cost_model,
    load_scenario,
)
from routing.research.results import FAILED, OK, ResultsStore
from routing.strategies import StrategyResult, gap_plan

if TYPE_CHECKING:
    from distributed import Client, Future


@dataclass(frozen=True)
class Cell:
    """One solve of the grid, with everything a worker needs to run it and the row's inputs."""

    key: str
    sweep: str
    scenario: str
    scenario_file: str
    county: str
    strategy: str
    fleet: Mapping[str, int]
    demand_scale: float
    seed: int
    time_limit_s: float
    engine: str
    cost_models: tuple[str, ...]
    solution_limit: int | None = None
    villages: int = 0
    area_km2: float | None = None
    cache_dir: str | None = None
    fleet_size: int = 0

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ModelError(f"cell {self.key}: strategy: unknown strategy {self.strategy!r}")
        if not self.demand_scale > 0 or not self.time_limit_s > 0:
            raise ModelError(f"cell {self.key}: demand_scale and time_limit_s must be > 0")
        if any(count < 1 for count in self.fleet.values()):
            raise ModelError(f"cell {self.key}: fleet: vehicle counts must be >= 1")
        object.__setattr__(self, "fleet", dict(sorted(self.fleet.items())))

    @property
    def fleet_label(self) -> str:
        """``"as-is"`` for the scenario's own fleet, else ``"tricycle=4,van=2"``."""
        return ",".join(f"{k}={v}" for k, v in self.fleet.items()) or "as-is"

    def inputs(self) -> dict[str, Any]:
        """The row's input columns (also all that a failed cell records besides its error)."""
        density = (self.villages / self.area_km2
                   if self.area_km2 and self.area_km2 > 0 else None)
        return {
            "cell": self.key, "sweep": self.sweep, "scenario": self.scenario,
            "scenario_file": self.scenario_file, "county": self.county,
            "strategy": self.strategy, "fleet": self.fleet_label,
            "fleet_size": int(self.fleet_size),
            "demand_scale": float(self.demand_scale), "seed": int(self.seed),
            "time_limit_s": float(self.time_limit_s), "solution_limit": self.solution_limit,
            "engine": self.engine,
            "cost_models": ",".join(Path(p).stem for p in self.cost_models),
            "villages": int(self.villages), "area_km2": self.area_km2,
            "villages_per_km2": density,
        }


@dataclass(frozen=True)
class CellOutcome:
    """What a worker sends back: the row to record and the plan document (None if failed)."""

    row: dict[str, Any]
    plan: dict[str, Any] | None


# --- expanding the grid ---------------------------------------------------------------------


@lru_cache(maxsize=256)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (memoised per path, size and modification time)."""
    st = path.stat()
    return _file_digest(str(path), st.st_size, st.st_mtime_ns)


def _canonical(value: Any) -> Any:
    """A JSON-ready form of a domain value in which files stand for their content."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _canonical(getattr(value, f.name)) for f in fields(value)
                if f.name not in ("path", "source")}
    if isinstance(value, Path):
        return file_digest(value) if value.is_file() else value.name
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_canonical(v) for v in value]
        return sorted(items, key=json.dumps) if isinstance(value, set | frozenset) else items
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    return value


def scenario_digest(scenario: Scenario) -> str:
    """A hash of a scenario's content and of every file it reads (roads, boundary)."""
    text = json.dumps(_canonical(scenario), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cell_key(*, scenario: str, strategy: str, fleet: Mapping[str, int], demand_scale: float,
             seed: int, time_limit_s: float, solution_limit: int | None, engine: str,
             cost_models: Sequence[str]) -> str:
    """A stable 16-hex-digit key for a cell from the digests and values of all its inputs."""
    payload = json.dumps({
        "scenario": scenario, "strategy": strategy, "fleet": dict(sorted(fleet.items())),
        "demand_scale": float(demand_scale), "seed": int(seed),
        "time_limit_s": float(time_limit_s), "solution_limit": solution_limit,
        "engine": engine, "cost_models": list(cost_models), "code": code_digest()},
        sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def boundary_area_km2(boundary: Path | None) -> float | None:
    """Area of a boundary polygon in km², measured in its local UTM projection."""
    if boundary is None:
        return None
    import geopandas as gpd

    from geodata import read_boundary

    shape = gpd.GeoSeries([read_boundary(boundary)], crs="EPSG:4326")
    return float(shape.to_crs(shape.estimate_utm_crs()).area.iloc[0] / 1e6)


def build_county_scenarios(spec: SweepSpec, out_dir: Path) -> list[tuple[str, Path]]:
    """Build a scenario folder for each county of the sweep under ``out_dir``.

    The builder is deterministic, so rebuilding on every run gives the same files (and the same
    cell keys) while a changed builder or OSM file yields new keys instead of stale results.
    """
    if not spec.counties:
        return []
    from routing.builder import build_county_scenario

    assert spec.county_osm is not None
    built = []
    for i, county in enumerate(spec.counties):
        relation = county_id(spec.path, f"counties.names[{i}]", spec.county_osm, county)
        folder = out_dir / f"county-{relation}"
        made = build_county_scenario(spec.county_osm, str(relation), folder)
        built.append((county, Path(made.scenario)))
    return built


def expand(spec: SweepSpec, *, scenarios_dir: Path, cache_dir: Path | None = None) -> list[Cell]:
    """Every cell of the grid in a stable order, with its key; checks fleets against scenarios.

    County scenarios are built into ``scenarios_dir`` first (kept there, reused by reruns).
    """
    sources = [("", p) for p in spec.scenario_files]
    sources += build_county_scenarios(spec, scenarios_dir)
    models = tuple(str(p) for p in spec.cost_models)
    model_digests = [file_digest(p) for p in spec.cost_models]
    cells = []
    for county, file in sources:
        scenario = load_scenario(file)
        types = {vt.id for vt in scenario.vehicle_types}
        for i, fleet in enumerate(spec.fleets):
            for type_id in fleet:
                if type_id not in types:
                    raise InputError(spec.path, f"fleets[{i}].{type_id}",
                                     f"scenario {file} has no vehicle type {type_id!r} "
                                     f"(it has {', '.join(sorted(types))})")
        digest = scenario_digest(scenario)
        area = boundary_area_km2(scenario.network.boundary)
        for strategy in spec.strategies:
            for fleet in spec.fleets:
                size = sum(fleet.get(vt.id, vt.count) for vt in scenario.vehicle_types)
                for scale in spec.demand_scales:
                    for seed in spec.seeds:
                        key = cell_key(scenario=digest, strategy=strategy, fleet=fleet,
                                       demand_scale=scale, seed=seed,
                                       time_limit_s=spec.time_limit_s,
                                       solution_limit=spec.solution_limit, engine=spec.engine,
                                       cost_models=model_digests)
                        cells.append(Cell(
                            key=key, sweep=spec.name, scenario=scenario.name,
                            scenario_file=str(file.resolve()), county=county, strategy=strategy,
                            fleet=fleet, demand_scale=scale, seed=seed,
                            time_limit_s=spec.time_limit_s, engine=spec.engine,
                            cost_models=models, solution_limit=spec.solution_limit,
                            villages=len(scenario.stops), area_km2=area,
                            cache_dir=str(cache_dir.resolve()) if cache_dir else None,
                            fleet_size=size))
    keys = [c.key for c in cells]
    if len(set(keys)) != len(keys):
        raise InputError(spec.path, "scenarios", "two grid cells are identical (the same "
                                                 "scenario listed twice?); list each once")
    return cells


# --- running one cell (on a worker) ---------------------------------------------------------


@cache
def code_digest() -> str:
    """A digest of ruralroute's own source: a rerun after the code changed recomputes cells
    instead of mixing results from two versions of the planner."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parents[2]
    for package in ("routing", "geodata"):
        for source in sorted((root / package).rglob("*.py")):
            digest.update(source.relative_to(root).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def versions() -> dict[str, str]:
    """Versions of Python, of the packages that can change a cell's result, and of our code."""
    out = {"python_version": platform.python_version(), "code_digest": code_digest()}
    for package in ("ruralroute", "ortools", "pyvrp"):
        try:
            out[f"{package}_version"] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[f"{package}_version"] = ""
    return out


def variant(scenario: Scenario, *, fleet: Mapping[str, int], demand_scale: float) -> Scenario:
    """The scenario with the cell's fleet counts and demand scale applied."""
    if not fleet and demand_scale == 1.0:
        return scenario
    from routing.strategies import scale_demand, with_fleet

    if fleet:
        scenario = with_fleet(scenario, fleet)
    if demand_scale != 1.0:
        scenario = scale_demand(scenario, demand_scale)
    return scenario


def plan_document(cell: Cell, result: StrategyResult,
                  costs: Mapping[str, Mapping[str, float]],
                  gap: StrategyResult | None = None) -> dict[str, Any]:
    """The cell's plan file: its inputs, every leg's routes by stop id and search budget, KPIs,
    costs and the gap plan (the carriers' vans serving what the strategy left unserved)."""
    return {
        "cell": cell.inputs(),
        "strategy": result.strategy,
        "legs": _legs_document(result),
        "feeders": [asdict(f) for f in result.feeders],
        "unserved": [{"stop": u.stop, "reason": u.reason} for u in result.unserved],
        "kpis": result.kpis(),
        "costs": {name: dict(figures) for name, figures in costs.items()},
        "solve_time_s": result.solve_time_s,
        "gap": None if gap is None else {"legs": _legs_document(gap), "kpis": gap.kpis(),
                                         "unserved": [u.stop for u in gap.unserved]},
    }


def _legs_document(result: StrategyResult) -> list[dict[str, Any]]:
    """Every leg of ``result``: engine, seed, check, search budget, routes and unserved stops."""
    return [{
        "label": leg.label, "echelon": leg.echelon, "engine": leg.plan.engine,
        "seed": leg.plan.seed, "check_ok": leg.check.ok,
        "budget_s": round(leg.budget_s, 3), "superseded_s": round(leg.superseded_s, 3),
        "routes": [{"vehicle": r.vehicle, "vehicle_type": r.vehicle_type, "depot": r.depot,
                    "stops": list(r.stops), "distance_m": r.distance_m,
                    "duration_s": r.duration_s} for r in leg.plan.routes],
        "unserved": [{"stop": u.stop, "reason": u.reason} for u in leg.plan.unserved],
    } for leg in result.legs]


def gap_columns(gap: StrategyResult | None, models: Sequence[CostModel]) -> dict[str, Any]:
    """A cell's gap columns: villages and parcels its gap plan serves, its cost per model."""
    parcels = gap.delivered()[0] if gap else 0
    row: dict[str, Any] = {"gap_villages": gap.kpis()["stops_served"] if gap else 0,
                           "gap_parcels": parcels,
                           "gap_solve_time_s": round(gap.solve_time_s, 3) if gap else 0.0}
    for model in models:
        row[f"gap_cost{COST_SEPARATOR}{model.name}"] = (
            round(gap.costs(model).total, 2) if gap else 0.0)
    return row


def run_cell(cell: Cell) -> CellOutcome:
    """Solve one cell and price it under every cost model; runs on a Dask worker.

    A domain error (a strategy the scenario cannot run, a plan that fails the checker) becomes
    a failed row with the one-line message; the sweep goes on with the other cells.
    """
    from routing.pipeline import settings_for
    from routing.strategies import run_strategy

    started = time.perf_counter()
    row: dict[str, Any] = {**cell.inputs(), **versions(), "status": OK, "error": "",
                           "worker": f"{platform.node()}:{os.getpid()}"}
    try:
        scenario = variant(load_scenario(cell.scenario_file), fleet=cell.fleet,
                           demand_scale=cell.demand_scale)
        settings = settings_for(scenario, time_limit_s=cell.time_limit_s, seed=cell.seed)
        if cell.solution_limit is not None:
            settings = replace(settings, solution_limit=cell.solution_limit)
        result = run_strategy(scenario, cell.strategy, settings, engine=cell.engine,
                              cache_dir=Path(cell.cache_dir) if cell.cache_dir else None)
        models = [load_cost_model(p) for p in cell.cost_models]
        costs = {m.name: result.costs(m).figures() for m in models}
        gap = gap_plan(result, settings, engine=cell.engine)
    except (ValueError, KeyError, RuntimeError) as exc:
        row.update(status=FAILED, error=one_line(exc),
                   wall_time_s=round(time.perf_counter() - started, 2),
                   finished_at=_now())
        return CellOutcome(row, None)
    kpis = result.kpis()
    row.update({k: v for k, v in kpis.items() if k != "solve_time_s"})
    for name, figures in costs.items():
        row.update({f"{k}{COST_SEPARATOR}{name}": v for k, v in figures.items()})
    row.update(gap_columns(gap, models))
    row.update(check_ok=all(leg.check.ok for leg in result.legs), legs=len(result.legs),
               solve_time_s=round(result.solve_time_s, 3),
               wall_time_s=round(time.perf_counter() - started, 2), finished_at=_now())
    if result.legs:
        row["engine"] = result.legs[0].plan.engine
    return CellOutcome(row, plan_document(cell, result, costs, gap))


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and message with whitespace collapsed."""
    message = " ".join(str(exc).split()) or repr(exc)
    return f"{type(exc).__name__}: {message}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# --- the driver: submit missing cells to Dask and record them as they finish ----------------


@dataclass
class Progress:
    """Counts the progress bar shows; ``skipped`` cells were already recorded before this run."""

    total: int
    skipped: int = 0
    done: int = 0
    failed: int = 0
    running: int = 0
    interrupted: bool = False
    errors: list[str] = field(default_factory=list)

    @property
    def finished(self) -> int:
        return self.done + self.failed


def default_workers() -> int:
    """Worker processes for a local cluster: one per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


@contextmanager
def dask_client(*, scheduler: str | None = None, workers: int | None = None,
                timeout_s: float = 30.0) -> Iterator[Client]:
    """A Dask client on ``scheduler``, or on a new local cluster of ``workers`` processes.

    The local cluster listens on loopback only, one single-threaded worker process per core
    (the solvers are single-threaded and hold the GIL); its status pages too use loopback.
    """
    import logging

    from distributed import Client, LocalCluster

    # distributed leaves these constructors and close() unannotated.
    if scheduler:
        client = Client(scheduler, timeout=f"{timeout_s}s")  # type: ignore[no-untyped-call]
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
        host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
    client = Client(cluster)  # type: ignore[no-untyped-call]
    try:
        yield client
    finally:
        client.close()  # type: ignore[no-untyped-call]
        cluster.close()


def task_key(cell: Cell) -> str:
    """The Dask key of a cell's task (the same for the same cell in every run)."""
    return f"ruralroute-cell-{cell.key}"


def execute(cells: Sequence[Cell], store: ResultsStore, client: Client | None, *,
            on_progress: Callable[[Progress], None] | None = None,
            poll_s: float = 0.25) -> Progress:
    """Run the cells not yet recorded as ok on ``client``; record each one as it finishes.

    A cell whose task raises (including a worker killed too often) is recorded as failed with
    its message. Ctrl-C stops submitting, cancels what is running and returns with
    ``interrupted`` set: every cell recorded so far stays recorded.
    """
    from distributed import as_completed

    done_before = store.done()
    todo = [c for c in cells if c.key not in done_before]
    progress = Progress(total=len(cells), skipped=len(cells) - len(todo))
    if on_progress:
        on_progress(progress)
    if not todo:
        return progress
    if client is None:
        raise ModelError(f"client: a Dask client is needed to run {len(todo)} cells")
    by_key = {task_key(c): c for c in todo}
    futures = [client.submit(run_cell, c, key=task_key(c), pure=False, retries=0) for c in todo]
    # distributed leaves as_completed's methods unannotated.
    pending = as_completed(futures)  # type: ignore[no-untyped-call]
    try:
        while not pending.is_empty():  # type: ignore[no-untyped-call]
            ready: list[Future[CellOutcome]] = (
                pending.next_batch(block=False)  # type: ignore[no-untyped-call]
                if pending.has_ready() else [])  # type: ignore[no-untyped-call]
            for future in ready:
                cell = by_key[str(future.key)]
                try:
                    outcome = future.result()
                except Exception as exc:  # a task error or a lost worker: record, go on
                    outcome = CellOutcome({**cell.inputs(), **versions(), "status": FAILED,
                                           "error": one_line(exc), "finished_at": _now()}, None)
                store.record(outcome.row, outcome.plan)
                if outcome.row["status"] == OK:
                    progress.done += 1
                else:
                    progress.failed += 1
                    progress.errors.append(f"{cell.scenario} {cell.strategy} seed {cell.seed}: "
                                           f"{outcome.row['error']}")
                future.release()  # type: ignore[no-untyped-call]
            progress.running = _running(client, by_key)
            if on_progress:
                on_progress(progress)
            if not ready:
                time.sleep(poll_s)
    except KeyboardInterrupt:
        progress.interrupted = True
        client.cancel(futures)  # type: ignore[no-untyped-call]
    return progress


def _running(client: Client, keys: Mapping[str, Cell]) -> int:
    """How many of ``keys`` workers are running now (0 if the scheduler cannot be asked).

    Workers may hold a few more tasks than they have threads (queued to start next), so the
    count of held tasks is capped at the number of worker threads.
    """
    try:  # distributed leaves these scheduler queries unannotated
        processing: dict[str, Iterable[object]] = client.processing()  # type: ignore[no-untyped-call]
        nthreads: dict[str, int] = client.nthreads()  # type: ignore[no-untyped-call]
        threads = sum(nthreads.values())
    except Exception:
        return 0
    return min(threads, sum(1 for tasks in processing.values() for k in tasks if k in keys))
