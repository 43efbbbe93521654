"""Benchmark engines on published VRP instances: how far above the best-known cost do we land?

Reads VRPLIB instances with the ``vrplib`` package, at the edge, and turns them into ordinary
:class:`~routing.core.model.Problem` objects so the engines and the independent checker run exactly
as they do on county scenarios:

* **CVRPLIB** ``.vrp`` (``EDGE_WEIGHT_TYPE: EUC_2D``): distances are the nearest integer of the
  Euclidean distance (CVRPLIB's ``nint``: halves round up), in the problem's ``distance_m``. There
  is no time: durations are zero. The objective is distance. CVRPLIB leaves the number of routes
  free; we give the fleet the ``k`` of the instance name (else the demand's lower bound) plus
  10 % spare vehicles, at least 2, so every best-known solution fits.
* **Solomon** VRPTW text files: distances and times are Euclidean distances *truncated to one
  decimal* and scaled by 10 to stay integer (time windows and service times are scaled by 10 as
  well); costs are divided by 10 again for the table. The fleet is the file's vehicle number and
  the objective is distance only, not the literature's vehicles-then-distance hierarchy.

The best-known cost comes from a ``.sol`` file beside the instance (VRPLIB solution format,
``Cost`` line) or from a ``bks.csv`` (columns ``instance,bks``) in the same folder.

:func:`summary_rows` condenses a run per set (CVRP, VRPTW), time limit and engine: mean gap and
the geometric-mean cost ratio against a reference engine (PyVRP) measured in the same run.
:func:`read_split` reads the tuning/reporting split (``benchmarks/split.toml``).
"""

from __future__ import annotations

import csv
import math
import re
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import vrplib

from routing.core import DAY_S, Depot, InputError, Problem, SearchError, Stop, VehicleType
from routing.solving import Engine, SolveSettings, check_plan, explain_unserved, make_engine

#: Dummy coordinates: instance x/y are placed around this point, 1 unit = 1e-4 degree, so the
#: problem stays valid (and drawable) though the instance has no geography.
_ORIGIN_LON, _ORIGIN_LAT, _DEGREES_PER_UNIT = 116.0, 33.0, 1e-4

#: Solomon distances and times are truncated to one decimal and multiplied by this.
SOLOMON_SCALE = 10


@dataclass(frozen=True)
class BenchInstance:
    """A published instance converted to a problem, with its best-known cost (if known).

    ``scale`` is the number of problem distance units per instance cost unit (1 for CVRPLIB,
    :data:`SOLOMON_SCALE` for Solomon), ``convention`` names the rounding used.
    """

    name: str
    path: Path
    kind: str
    problem: Problem
    customers: int
    best_known: float | None
    scale: int
    convention: str

    def __post_init__(self) -> None:
        if self.scale < 1:
            raise ValueError(f"{self.path}: scale: must be >= 1, got {self.scale}")
        if self.best_known is not None and self.best_known <= 0:
            raise InputError(self.path, "best-known cost", f"must be > 0, got {self.best_known}")


@dataclass(frozen=True)
class BenchResult:
    """One engine run on one instance, as the table and CSV show it.

    ``kind`` is the instance set (``"CVRP"`` or ``"VRPTW"``); ``produced_by`` is the engine the
    plan names (for ``auto``, which of its searches won, e.g. ``auto(pyvrp)``).
    """

    instance: str
    kind: str
    customers: int
    engine: str
    seed: int
    time_limit_s: float
    best_known: float | None
    cost: float | None
    gap_pct: float | None
    time_s: float
    routes: int
    unserved: int
    feasible: bool
    violations: str
    produced_by: str = ""


def nint_euclidean(coords: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """CVRPLIB ``EUC_2D``: the nearest integer of each Euclidean distance (halves round up)."""
    return np.floor(_euclidean(coords) + 0.5).astype(np.int64)


def truncated_euclidean_x10(coords: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Solomon convention used here: Euclidean distance truncated to one decimal, times 10."""
    exact = _euclidean(coords) * SOLOMON_SCALE
    return np.floor(exact + 1e-9).astype(np.int64)


def _euclidean(coords: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The full matrix of Euclidean distances between the rows of ``coords``."""
    xy = np.asarray(coords, dtype=np.float64)
    diff = np.expand_dims(xy, 1) - np.expand_dims(xy, 0)
    squared: npt.NDArray[np.float64] = (diff**2).sum(axis=-1)  # numpy types axis sums as Any
    return np.sqrt(squared)


def gap_percent(cost: float, best_known: float) -> float:
    """How far ``cost`` lies above ``best_known``, in percent (negative: a new best)."""
    if best_known <= 0:
        raise ValueError(f"best_known: must be > 0, got {best_known}")
    return 100.0 * (cost - best_known) / best_known


def best_known_cost(path: Path) -> float | None:
    """The best-known cost of the instance at ``path``: from ``<stem>.sol`` beside it, else from
    ``bks.csv`` in its folder, else ``None``."""
    sol = path.with_suffix(".sol")
    if sol.is_file():
        try:
            cost = vrplib.read_solution(str(sol)).get("cost")
        except (ValueError, IndexError) as exc:
            raise InputError(sol, "Cost", f"cannot read the solution file ({exc})") from exc
        if cost is None:
            raise InputError(sol, "Cost", "no 'Cost' line; add one or list the instance in "
                             "bks.csv")
        return float(cost)
    table = path.parent / "bks.csv"
    if table.is_file():
        with table.open(newline="") as fh:
            for row in csv.DictReader(fh):
                if row.get("instance") == path.stem:
                    try:
                        return float(row["bks"])
                    except (KeyError, TypeError, ValueError) as exc:
                        raise InputError(table, "bks", f"{path.stem}: not a number "
                                         f"({row.get('bks')!r})") from exc
    return None


def _is_solomon(path: Path) -> bool:
    with path.open() as fh:
        head = [fh.readline() for _ in range(12)]
    return any("VEHICLE" in line for line in head[:4]) and any("CUST" in line for line in head)


def read_instance(path: Path) -> BenchInstance:
    """Read a CVRPLIB ``.vrp`` or Solomon VRPTW file into a :class:`BenchInstance`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "path", "no such file; give a CVRPLIB .vrp or Solomon .txt file")
    if _is_solomon(path):
        return _read_solomon(path)
    return _read_cvrplib(path)


def _place(xy: np.ndarray) -> tuple[float, float]:
    return (_ORIGIN_LON + float(xy[0]) * _DEGREES_PER_UNIT,
            _ORIGIN_LAT + float(xy[1]) * _DEGREES_PER_UNIT)


def _fleet_size(name: str, demand: int, capacity: int) -> int:
    match = re.search(r"-k(\d+)", name)
    k = int(match.group(1)) if match else math.ceil(demand / capacity)
    return k + max(2, math.ceil(k / 10))


def _read_cvrplib(path: Path) -> BenchInstance:
    try:
        data = vrplib.read_instance(str(path), compute_edge_weights=False)
    except (ValueError, IndexError, KeyError, RuntimeError) as exc:
        raise InputError(path, "format", f"not a readable VRPLIB instance ({exc})") from exc
    kind = str(data.get("edge_weight_type", "")).strip()
    if kind != "EUC_2D":
        raise InputError(path, "EDGE_WEIGHT_TYPE", f"{kind or 'missing'}: only EUC_2D instances "
                         "are supported")
    for key in ("node_coord", "demand", "capacity", "depot"):
        if key not in data:
            raise InputError(path, key.upper(), "missing section; a CVRP instance needs "
                             "NODE_COORD, DEMAND, DEPOT and CAPACITY")
    coords = np.asarray(data["node_coord"], dtype=float)
    demand = np.asarray(data["demand"], dtype=np.int64)
    depot_ids = [int(d) for d in np.atleast_1d(data["depot"])]
    if depot_ids != [0]:
        raise InputError(path, "DEPOT_SECTION", f"depots {depot_ids}: only a single depot at "
                         "node 1 is supported")
    capacity = int(data["capacity"])
    name = str(data.get("name", path.stem)).strip()
    distance = nint_euclidean(coords)
    depot = Depot("depot", "Depot", *_place(coords[0]))
    stops = tuple(Stop(f"c{i}", f"customer {i}", *_place(coords[i]), parcels=int(demand[i]),
                       weight_kg=0) for i in range(1, len(coords)))
    count = _fleet_size(name, int(demand.sum()), capacity)
    vehicle = VehicleType("vehicle", count=count, capacity_parcels=capacity, capacity_kg=1,
                          depot="depot", shift_start_s=0, max_duration_s=2 * DAY_S)
    problem = Problem(name=name, depots=(depot,), stops=stops, vehicle_types=(vehicle,),
                      distance_m=distance, duration_s=np.zeros_like(distance),
                      service_s=np.zeros(len(coords), dtype=np.int64))
    return BenchInstance(name=name, path=path, kind="CVRP", problem=problem,
                         customers=len(stops), best_known=best_known_cost(path), scale=1,
                         convention="nint(euclidean)")


def _read_solomon(path: Path) -> BenchInstance:
    try:
        data = vrplib.read_instance(str(path), instance_format="solomon",
                                    compute_edge_weights=False)
    except (ValueError, IndexError, KeyError, RuntimeError) as exc:
        raise InputError(path, "format", f"not a readable Solomon instance ({exc})") from exc
    name = str(data["name"]).strip()
    coords = np.asarray(data["node_coord"], dtype=float)
    demand = np.asarray(data["demand"], dtype=np.int64)
    windows = np.asarray(data["time_window"], dtype=np.int64) * SOLOMON_SCALE
    service = np.asarray(data["service_time"], dtype=np.int64) * SOLOMON_SCALE
    distance = truncated_euclidean_x10(coords)
    horizon = int(windows[0, 1])
    depot = Depot("depot", "Depot", *_place(coords[0]), open_s=int(windows[0, 0]),
                  close_s=horizon)
    stops = tuple(Stop(f"c{i}", f"customer {i}", *_place(coords[i]), parcels=int(demand[i]),
                       weight_kg=0, open_s=int(windows[i, 0]), close_s=int(windows[i, 1]))
                  for i in range(1, len(coords)))
    vehicle = VehicleType("vehicle", count=int(data["vehicles"]),
                          capacity_parcels=int(data["capacity"]), capacity_kg=1, depot="depot",
                          shift_start_s=int(windows[0, 0]), max_duration_s=horizon)
    service[0] = 0
    problem = Problem(name=name, depots=(depot,), stops=stops, vehicle_types=(vehicle,),
                      distance_m=distance, duration_s=distance, service_s=service)
    return BenchInstance(name=name, path=path, kind="VRPTW", problem=problem,
                         customers=len(stops), best_known=best_known_cost(path),
                         scale=SOLOMON_SCALE, convention="trunc1(euclidean) x10")


def run_instance(instance: BenchInstance, engine: str | Engine, settings: SolveSettings
                 ) -> BenchResult:
    """Solve ``instance`` with ``engine`` (a registered name or an engine), check the plan and
    compare it with the best known.

    ``feasible`` means the independent checker found no violation and every customer is served;
    the wall time includes building the engine's model. A search that finds no plan
    (:class:`~routing.core.errors.SearchError`) is an infeasible run, not the end of a suite.
    """
    solver = make_engine(engine) if isinstance(engine, str) else engine
    started = time.perf_counter()
    try:
        plan = explain_unserved(instance.problem, solver.solve(instance.problem, settings))
    except SearchError as exc:
        return BenchResult(
            instance=instance.name, kind=instance.kind, customers=instance.customers,
            engine=solver.name, seed=settings.seed, time_limit_s=settings.time_limit_s,
            best_known=instance.best_known, cost=None, gap_pct=None,
            time_s=round(time.perf_counter() - started, 2), routes=0,
            unserved=instance.customers, feasible=False, violations=str(exc))
    elapsed = time.perf_counter() - started
    report = check_plan(instance.problem, plan, strict=False)
    feasible = report.ok and not plan.unserved
    cost = plan.distance_m / instance.scale
    gap = (round(gap_percent(cost, instance.best_known), 3)
           if feasible and instance.best_known is not None else None)
    return BenchResult(
        instance=instance.name, kind=instance.kind, customers=instance.customers,
        engine=solver.name, seed=settings.seed, time_limit_s=settings.time_limit_s,
        best_known=instance.best_known, cost=cost if feasible else None, gap_pct=gap,
        time_s=round(elapsed, 2), routes=len(plan.routes), unserved=len(plan.unserved),
        feasible=feasible, violations="; ".join(report.violations[:3]), produced_by=plan.engine)


CSV_FIELDS = tuple(BenchResult.__dataclass_fields__)


def write_bench_csv(results: Sequence[BenchResult], path: Path) -> None:
    """Write one row per result, with :data:`CSV_FIELDS` as header."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=CSV_FIELDS)
        writer.writeheader()
        for result in results:
            writer.writerow(asdict(result))


def mean_gap(results: Sequence[BenchResult]) -> float | None:
    """Mean gap % over the results, ``None`` if any run was infeasible or lacks a best-known."""
    gaps = [r.gap_pct for r in results]
    if not gaps or any(g is None for g in gaps):
        return None
    return sum(gaps) / len(gaps)  # type: ignore[arg-type]


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def table_rows(results: Sequence[BenchResult]) -> list[list[str]]:
    """Rows of the results table: instance, set, customers, engine, best-known, cost, gap, time,
    feasible."""
    return [[r.instance, r.kind, str(r.customers), r.engine, _cost(r.best_known), _cost(r.cost),
             _fmt(r.gap_pct, ".2f"), f"{r.time_s:.1f}", "yes" if r.feasible else "NO"]
            for r in results]


def _cost(value: float | None) -> str:
    """A cost with one decimal if it has a fraction (Solomon), else as an integer (CVRPLIB)."""
    return _fmt(value, ",.1f" if value is not None and value % 1 else ",.0f")


TABLE_HEADER = ("instance", "set", "customers", "engine", "best known", "cost", "gap %",
                "time s", "feasible")


def _markdown(header: Sequence[str], rows: Iterable[Sequence[str]], left: Sequence[str]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---" if h in left else "---:" for h in header) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_table(results: Sequence[BenchResult]) -> str:
    """The results as a markdown table, one row per run (means: :func:`summary_markdown`)."""
    return _markdown(TABLE_HEADER, table_rows(results), ("instance", "set", "engine"))


@dataclass(frozen=True)
class SummaryRow:
    """One engine on one instance set at one time limit, condensed.

    ``mean_gap_pct`` is ``None`` if any run was infeasible or lacks a best-known cost.
    ``cost_ratio`` is the geometric mean of cost(engine) / cost(reference) over the ``compared``
    instances where both were feasible in the same run; ``None`` if there are none (for
    instance, the reference did not run).
    """

    kind: str
    time_limit_s: float
    engine: str
    instances: int
    feasible: int
    mean_gap_pct: float | None
    mean_time_s: float
    reference: str
    cost_ratio: float | None
    compared: int


def summary_rows(results: Sequence[BenchResult], reference: str = "pyvrp") -> list[SummaryRow]:
    """Per (set, time limit, engine), in order of appearance: counts, mean gap and the
    geometric-mean cost ratio against ``reference``.

    Runs are paired by (set, time limit, instance, seed). The ratio is only meaningful within
    one run, where the engines alternated instance by instance and so met the same machine load:
    the limits are wall-clock, so ratios from separate runs mix different machine conditions.
    """
    ref_cost = {(r.kind, r.time_limit_s, r.instance, r.seed): r.cost
                for r in results if r.engine == reference and r.cost is not None}
    groups: dict[tuple[str, float, str], list[BenchResult]] = {}
    for r in results:
        groups.setdefault((r.kind, r.time_limit_s, r.engine), []).append(r)
    rows = []
    for (kind, limit, engine), mine in groups.items():
        logs = [math.log(r.cost / ref) for r in mine if r.cost is not None
                and (ref := ref_cost.get((kind, limit, r.instance, r.seed))) is not None]
        rows.append(SummaryRow(
            kind=kind, time_limit_s=limit, engine=engine, instances=len(mine),
            feasible=sum(r.feasible for r in mine), mean_gap_pct=mean_gap(mine),
            mean_time_s=sum(r.time_s for r in mine) / len(mine), reference=reference,
            cost_ratio=math.exp(sum(logs) / len(logs)) if logs else None, compared=len(logs)))
    return rows


def summary_header(reference: str = "pyvrp") -> tuple[str, ...]:
    """Column names of :func:`summary_table_rows`."""
    return ("set", "limit s", "engine", "runs", "feasible", "mean gap %", "mean time s",
            f"cost / {reference}", "pairs")


def summary_table_rows(rows: Sequence[SummaryRow]) -> list[list[str]]:
    """The summary as table cells, in :func:`summary_header`'s order."""
    return [[r.kind, f"{r.time_limit_s:g}", r.engine, str(r.instances),
             f"{r.feasible}/{r.instances}", _fmt(r.mean_gap_pct, ".2f"), f"{r.mean_time_s:.1f}",
             _fmt(r.cost_ratio, ".4f"), str(r.compared)] for r in rows]


def summary_markdown(rows: Sequence[SummaryRow]) -> str:
    """The summary as a markdown table, with a line saying what the ratio compares."""
    reference = rows[0].reference if rows else "pyvrp"
    table = _markdown(summary_header(reference), summary_table_rows(rows),
                      ("set", "engine"))
    return (f"{table}\n\ncost / {reference}: geometric mean of the cost ratio over the `pairs` "
            f"of runs on the same instance that both the engine and {reference} solved feasibly "
            f"in this run (below 1: cheaper than {reference}); comparable within one run only.")


#: Suffixes of the files a directory contributes (``.txt`` only if it is a Solomon file).
INSTANCE_SUFFIXES = (".vrp", ".txt")


def instance_paths(paths: Iterable[Path]) -> list[Path]:
    """The instance files named by ``paths``: files as given, and each directory's CVRPLIB
    ``.vrp`` and Solomon ``.txt`` files, sorted by name (``.sol``, ``bks.csv`` and READMEs are
    skipped)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            found.append(path)
            continue
        inside = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in
                        INSTANCE_SUFFIXES and (p.suffix == ".vrp" or _is_solomon(p)))
        if not inside:
            raise InputError(path, "instances", "no CVRPLIB .vrp or Solomon .txt file in this "
                             "folder")
        found += inside
    return found


def read_split(path: Path, part: str) -> frozenset[str]:
    """The instance names (file stems) of ``part`` (e.g. ``train``) in a split file whose tables
    list them by set: ``[train] cvrp = [...] vrptw = [...]``."""
    try:
        data = tomllib.loads(Path(path).read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(path, "format", f"not a readable TOML split ({exc})") from exc
    table = data.get(part)
    if not isinstance(table, dict):
        raise InputError(path, part, f"no such part; the file has {', '.join(data) or 'none'}")
    names: set[str] = set()
    for key, value in table.items():
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(path, f"{part}.{key}", "must be a list of instance names")
        names.update(value)
    return frozenset(names)


def select_split(paths: Sequence[Path], names: frozenset[str]) -> tuple[list[Path], list[str]]:
    """The ``paths`` whose stem is in ``names``, and the names no path matched (sorted)."""
    chosen = [p for p in paths if p.stem in names]
    return chosen, sorted(names - {p.stem for p in chosen})
