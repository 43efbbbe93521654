"""What a driver's route sheet says: the stops in visiting order with load, time and distance.

A :class:`RouteSheet` is the content of one printed page for one vehicle, independent of how it
is printed (``routing.sheet_docs`` writes PDF and HTML, ``geodata.sheetmap`` draws its map).
Sheets are built either from a fresh :class:`~routing.pipeline.PlanResult` or from a folder
that ``ruralroute solve`` wrote (``plan.json`` names the scenario file it was planned from).

Cumulative kilometres come from the same distance matrix the solver and the checker used, so
the last stop's figure plus the way home equals the route's distance in ``plan.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from geodata.export import format_clock, route_colour
from geodata.geometry import road_lines, route_geometry
from geodata.places import read_boundary
from routing.errors import InputError, ModelError
from routing.model import Depot, Route, Stop
from routing.pipeline import Geography, PlanResult, Timings, locate
from routing.report import MAP_ROAD_CLASSES
from routing.scenario import Scenario, load_scenario

#: The strategy a plan without a ``strategy`` key was made with.
DEFAULT_STRATEGY = "consolidated"


@dataclass(frozen=True)
class SheetStop:
    """One line of a route sheet: a village in visiting order and what happens there."""

    position: int
    stop_id: str
    name: str
    name_en: str
    lon: float
    lat: float
    parcels: int
    produce_kg: int
    arrival_s: int
    cumulative_m: int
    parcels_by_carrier: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.position < 1:
            raise ModelError(f"sheet stop {self.stop_id}.position: must be >= 1, "
                             f"got {self.position}")
        for name in ("parcels", "produce_kg", "arrival_s", "cumulative_m"):
            if getattr(self, name) < 0:
                raise ModelError(f"sheet stop {self.stop_id}.{name}: must be >= 0")
        object.__setattr__(self, "parcels_by_carrier", dict(self.parcels_by_carrier))


@dataclass(frozen=True, eq=False)
class RouteSheet:
    """Everything printed on one vehicle's page: header, totals, map geometry and stop list.

    ``geometry`` is the road-following line in EPSG:4326 (lon, lat); ``colour`` is the route's
    colour on the web map and in GeoJSON, so paper and screen agree.
    """

    title: str
    strategy: str
    day: dt.date
    vehicle: str
    vehicle_type: str
    vehicle_name: str
    depot: Depot
    colour: str
    start_s: int
    end_s: int
    distance_m: int
    stops: tuple[SheetStop, ...]
    geometry: LineString

    def __post_init__(self) -> None:
        if not self.stops:
            raise ModelError(f"route sheet {self.vehicle}.stops: a sheet needs at least one stop")
        if self.end_s < self.start_s:
            raise ModelError(f"route sheet {self.vehicle}.end_s: ends before it starts")
        positions = [s.position for s in self.stops]
        if positions != list(range(1, len(self.stops) + 1)):
            raise ModelError(f"route sheet {self.vehicle}.stops: positions must be 1..n in order")

    @property
    def duration_s(self) -> int:
        """Time from leaving the depot to coming back."""
        return self.end_s - self.start_s

    @property
    def parcels(self) -> int:
        """Parcels dropped along the route."""
        return sum(s.parcels for s in self.stops)

    @property
    def produce_kg(self) -> int:
        """Farm produce collected along the route, kg."""
        return sum(s.produce_kg for s in self.stops)

    @property
    def carriers(self) -> tuple[str, ...]:
        """Courier companies with parcels on this route, sorted, for the per-carrier columns."""
        return tuple(sorted({c for s in self.stops for c in s.parcels_by_carrier}))


@dataclass(frozen=True, eq=False)
class SheetBook:
    """All route sheets of a plan and the county context their maps draw under the route."""

    sheets: tuple[RouteSheet, ...]
    boundary: BaseGeometry | None = None
    roads: tuple[LineString, ...] = ()


def cumulative_distances(
    sequence: Sequence[str], *, distance_m: np.ndarray, index: Mapping[str, int]
) -> list[int]:
    """Metres driven on arriving at each location of ``sequence`` (the first is 0).

    Parameters
    ----------
    sequence
        Location ids in visiting order, e.g. ``[depot, s1, s2, depot]``.
    distance_m
        Square integer matrix of road distances.
    index
        Location id -> row of ``distance_m``.

    Raises
    ------
    ModelError
        An id has no row in the matrix.
    """
    missing = [loc for loc in sequence if loc not in index]
    if missing:
        raise ModelError(f"distance matrix: no row for location {missing[0]!r}")
    legs = [int(distance_m[index[a], index[b]]) for a, b in pairwise(sequence)]
    return [0, *accumulate(legs)]


def build_sheets(
    routes: Sequence[Route],
    *,
    stops: Mapping[str, Stop],
    depots: Mapping[str, Depot],
    distance_m: np.ndarray,
    index: Mapping[str, int],
    geometries: Mapping[str, LineString],
    title: str,
    strategy: str,
    day: dt.date,
    vehicle_names: Mapping[str, str] | None = None,
) -> tuple[RouteSheet, ...]:
    """One :class:`RouteSheet` per route, in the plan's route order.

    Parameters
    ----------
    routes
        The plan's routes; their order gives the colours, as on the web map.
    stops, depots
        Stops and depots by id, with names and per-carrier parcels.
    distance_m, index
        The road distance matrix and its location index, for cumulative kilometres.
    geometries
        Road-following line per vehicle id, EPSG:4326.
    title, strategy, day
        Printed in every header.
    vehicle_names
        Vehicle type id -> readable name (e.g. "Light van"); the type id when missing.

    Raises
    ------
    ModelError
        A route names a stop, depot or geometry that is not given.
    """
    names = vehicle_names or {}
    sheets = []
    for i, route in enumerate(routes):
        if route.depot not in depots:
            raise ModelError(f"route {route.vehicle}.depot: unknown depot {route.depot!r}")
        unknown = [s for s in route.stops if s not in stops]
        if unknown:
            raise ModelError(f"route {route.vehicle}.stops: unknown stop {unknown[0]!r}")
        if route.vehicle not in geometries:
            raise ModelError(f"geometries: no road geometry for route {route.vehicle}")
        km = cumulative_distances([route.depot, *route.stops], distance_m=distance_m,
                                  index=index)
        lines = tuple(
            SheetStop(position=pos, stop_id=stop.id, name=stop.name, name_en=stop.name_en,
                      lon=stop.lon, lat=stop.lat, parcels=stop.parcels,
                      produce_kg=stop.produce_kg, arrival_s=arrival, cumulative_m=metres,
                      parcels_by_carrier=stop.parcels_by_carrier)
            for pos, (stop, arrival, metres) in enumerate(
                zip((stops[s] for s in route.stops), route.arrival_s, km[1:], strict=True),
                start=1)
        )
        sheets.append(RouteSheet(
            title=title, strategy=strategy, day=day, vehicle=route.vehicle,
            vehicle_type=route.vehicle_type,
            vehicle_name=names.get(route.vehicle_type) or route.vehicle_type,
            depot=depots[route.depot], colour=route_colour(i), start_s=route.start_s,
            end_s=route.end_s, distance_m=route.distance_m, stops=lines,
            geometry=geometries[route.vehicle]))
    return tuple(sheets)


def _context(scenario: Scenario, result_network: Any) -> tuple[BaseGeometry | None,
                                                                tuple[LineString, ...]]:
    boundary = (read_boundary(scenario.network.boundary)
                if scenario.network.boundary else None)
    return boundary, tuple(road_lines(result_network, classes=MAP_ROAD_CLASSES))


def _located(stop_id: str) -> str:
    """The location of a stop id: a relay load split in parts (``t123#2``) is at ``t123``."""
    return stop_id.split("#")[0]


def _geometries(geography: Geography, routes: Sequence[Route]) -> dict[str, LineString]:
    return {r.vehicle: route_geometry(geography.network, geography.snaps,
                                      [r.depot, *map(_located, r.stops), r.depot])
            for r in routes}


def _locations(scenario: Scenario) -> dict[str, Depot]:
    return {d.id: d for d in (*scenario.depots, *scenario.stations)}


def sheets_from_result(
    result: PlanResult, *, strategy: str = DEFAULT_STRATEGY, day: dt.date | None = None
) -> SheetBook:
    """Route sheets of a freshly solved plan; ``day`` defaults to today."""
    scenario, problem = result.scenario, result.problem
    sheets = build_sheets(
        result.plan.routes, stops=problem.stop_by_id,
        depots={**_locations(scenario), **problem.depot_by_id},
        distance_m=problem.distance_m, index=problem.index,
        geometries=_geometries(result.geography, result.plan.routes), title=scenario.title,
        strategy=strategy,
        day=day or dt.date.today(),
        vehicle_names={t.id: t.name for t in scenario.vehicle_types})
    boundary, roads = _context(scenario, result.geography.network)
    return SheetBook(sheets, boundary, roads)


def _plan_field(path: Path, data: Mapping[str, Any], key: str, kind: type) -> Any:
    if key not in data:
        raise InputError(path, key, "is missing; write the plan again with `ruralroute solve`")
    value = data[key]
    if not isinstance(value, kind):
        raise InputError(path, key, f"must be {kind.__name__}, got {value!r}")
    return value


def _read_routes(path: Path, data: Mapping[str, Any]) -> tuple[Route, ...]:
    routes = []
    for i, raw in enumerate(_plan_field(path, data, "routes", list)):
        where = f"routes[{i}]"
        if not isinstance(raw, dict):
            raise InputError(path, where, "must be an object")
        try:
            load = raw.get("load", {})
            routes.append(Route(
                vehicle=str(raw["vehicle"]), vehicle_type=str(raw["vehicle_type"]),
                depot=str(raw["depot"]), stops=tuple(str(s) for s in raw["stops"]),
                arrival_s=tuple(int(a) for a in raw["arrival_s"]), start_s=int(raw["start_s"]),
                end_s=int(raw["end_s"]), distance_m=int(raw["distance_m"]),
                load=(int(load.get("parcels", 0)), int(load.get("kg", 0)))))
        except KeyError as exc:
            raise InputError(path, f"{where}.{exc.args[0]}", "is missing") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise InputError(path, where, f"is not a valid route ({exc})") from None
    return tuple(routes)


def _read_day(path: Path, data: Mapping[str, Any]) -> dt.date:
    text = data.get("date")
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise InputError(path, "date", f"must be a date like \"2026-05-01\", got {text!r}") \
            from None


def sheets_from_plan_dir(plan_dir: str | Path, *, cache_dir: Path | None = None) -> SheetBook:
    """Route sheets of a plan folder written by ``ruralroute solve``.

    ``plan.json`` gives the routes, strategy and date (today when it has none) and names the
    scenario file, which is read again for names, per-carrier parcels, the boundary and roads;
    distances come from the scenario's (cached) travel matrices.

    Raises
    ------
    InputError
        ``plan.json`` is missing or malformed, its scenario file is gone, or a route names a
        stop or depot the scenario does not have.
    """
    path = Path(plan_dir) / "plan.json"
    if not path.is_file():
        raise InputError(path, "file", "not found; give a folder written by `ruralroute solve` "
                                       "or a scenario .toml file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, "file", f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(path, "file", "must hold a JSON object")
    scenario_file = Path(_plan_field(path, data, "scenario_file", str))
    if not scenario_file.is_file():
        raise InputError(path, "scenario_file",
                         f"{scenario_file} not found; solve the scenario again from here")
    scenario = load_scenario(scenario_file)
    routes = _read_routes(path, data)
    geography = locate(scenario, timings=Timings(), cache_dir=cache_dir)
    matrices = geography.matrices
    index = {loc: k for k, loc in enumerate(matrices.ids)}
    places = _locations(scenario)
    stops: dict[str, Stop] = {s.id: s for s in scenario.stops}
    for i, route in enumerate(routes):
        for loc in (route.depot, *route.stops):
            if _located(loc) not in index:
                raise InputError(path, f"routes[{i}]",
                                 f"{loc!r} is not a depot, station or stop of {scenario_file}")
            index[loc] = index[_located(loc)]
            if loc in route.stops and loc not in stops and _located(loc) in places:
                # a relay trunk unloads at a township station: no village parcels of its own
                station = places[_located(loc)]
                stops[loc] = Stop(id=loc, name=station.name or station.id, lon=station.lon,
                                  lat=station.lat, parcels=0, weight_kg=0)
    sheets = build_sheets(
        routes, stops=stops, depots=places, distance_m=matrices.distance_m, index=index,
        geometries=_geometries(geography, routes), title=str(data.get("title") or scenario.title),
        strategy=str(data.get("strategy", DEFAULT_STRATEGY)), day=_read_day(path, data),
        vehicle_names={t.id: t.name for t in scenario.vehicle_types})
    boundary, roads = _context(scenario, geography.network)
    return SheetBook(sheets, boundary, roads)


#: Column keys of :func:`stop_rows`, besides one ``carrier:<id>`` key per carrier.
ROW_KEYS: tuple[str, ...] = ("no", "name", "name_en", "parcels", "produce_kg", "arrival", "km")


def _km_text(metres: int) -> str:
    return f"{metres / 1000:.1f}"


def stop_rows(sheet: RouteSheet) -> list[dict[str, str]]:
    """The stop list as printed: one row of text per stop, then the way back to the depot.

    Keys are :data:`ROW_KEYS` plus ``carrier:<id>`` for each of ``sheet.carriers``; zero
    parcels or produce print as an en dash so the figures that matter stand out. The last row
    (``no`` empty) is the return to the depot with the route's total kilometres.
    """
    rows = []
    for stop in sheet.stops:
        row = {"no": str(stop.position), "name": stop.name, "name_en": stop.name_en,
               "parcels": str(stop.parcels) if stop.parcels else "–",
               "produce_kg": str(stop.produce_kg) if stop.produce_kg else "–",
               "arrival": format_clock(stop.arrival_s), "km": _km_text(stop.cumulative_m)}
        for carrier in sheet.carriers:
            count = stop.parcels_by_carrier.get(carrier, 0)
            row[f"carrier:{carrier}"] = str(count) if count else "–"
        rows.append(row)
    back = {"no": "", "name": sheet.depot.name or sheet.depot.id, "name_en": "(return)",
            "parcels": str(sheet.parcels), "produce_kg": str(sheet.produce_kg),
            "arrival": format_clock(sheet.end_s), "km": _km_text(sheet.distance_m)}
    back.update({f"carrier:{c}": str(sum(s.parcels_by_carrier.get(c, 0) for s in sheet.stops))
                 for c in sheet.carriers})
    rows.append(back)
    return rows


def sheet_facts(sheet: RouteSheet) -> list[tuple[str, str]]:
    """Header lines of a sheet as (label, value): who drives what, where from, and totals."""
    vehicle = sheet.vehicle if sheet.vehicle_name == sheet.vehicle_type else (
        f"{sheet.vehicle} ({sheet.vehicle_name})")
    return [
        ("Vehicle 车辆", vehicle),
        ("Strategy 模式", sheet.strategy),
        ("Date 日期", sheet.day.isoformat()),
        ("Depot 出发", f"{sheet.depot.name or sheet.depot.id} · "
                       f"{format_clock(sheet.start_s)}–{format_clock(sheet.end_s)}"),
        ("Totals 合计", f"{sheet.distance_m / 1000:.1f} km · {sheet.duration_s / 3600:.1f} h · "
                      f"{len(sheet.stops)} stops · {sheet.parcels} parcels · "
                      f"{sheet.produce_kg} kg produce"),
    ]
