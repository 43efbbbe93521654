"""What a driver's route sheet says, and the sheets of a strategy's plan, in memory or on disk.

A :class:`RouteSheet` is the content of one printed page for one vehicle, independent of how it
is printed (``routing.reports.sheet_pdf`` writes PDF and HTML, ``geodata.sheetmap`` draws its map).
Its stop lines are :mod:`routing.reports.sheet_rows`' (each route as its own leg planned it);
this module adds what the page shows around them: header, colour and the road line.

* :func:`sheets_from_result` — right after solving, from the in-memory strategy result and the
  route lines its reports drew (nothing is re-read or re-planned);
* :func:`sheets_from_plan_dir` — a plan folder on disk: ``plan.json``'s one reader gives back
  the same rows (:func:`routing.reports.plan_json.read_sheet_routes`), and the scenario it names
  gives the roads the lines are drawn on, so both make the same sheets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import numpy as np
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from routing.core import Depot, InputError, ModelError, Route, Stop
from routing.inputs import load_scenario
from routing.pipeline import Geography, Timings, locate
from routing.reports.geojson import format_clock, route_colour
from routing.reports.plan_json import (
    ECHELONS,
    plan_field,
    read_plan_day,
    read_plan_json,
    read_sheet_routes,
)
from routing.reports.sheet_rows import SheetRoute, SheetStop, sheet_route, sheet_routes
from routing.reports.write import leg_geometries, map_context, route_lines
from routing.strategies import StrategyResult

#: The strategy a plan without a ``strategy`` key was made with.
DEFAULT_STRATEGY = "consolidated"


def _check_echelon(echelon: str, owner: str) -> None:
    if echelon not in ECHELONS:
        raise ModelError(f"{owner}.echelon: must be one of {', '.join(ECHELONS)}, "
                         f"got {echelon!r}")


@dataclass(frozen=True, eq=False)
class RouteSheet:
    """Everything printed on one vehicle's page: header, totals, map geometry and stop list.

    ``geometry`` is the road-following line in EPSG:4326 (lon, lat); ``colour`` is the route's
    colour on the web map and in GeoJSON, so paper and screen agree. ``leg`` names the part of
    the strategy the route belongs to (``carrier zto``, ``trunk``, ``local 高炉镇``; empty for a
    single-leg plan) and ``note`` says how its figures were derived, when that needs saying.
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
    leg: str = ""
    echelon: str = "delivery"
    note: str = ""

    def __post_init__(self) -> None:
        if not self.stops:
            raise ModelError(f"route sheet {self.vehicle}.stops: a sheet needs at least one stop")
        if self.end_s < self.start_s:
            raise ModelError(f"route sheet {self.vehicle}.end_s: ends before it starts")
        positions = [s.position for s in self.stops]
        if positions != list(range(1, len(self.stops) + 1)):
            raise ModelError(f"route sheet {self.vehicle}.stops: positions must be 1..n in order")
        _check_echelon(self.echelon, f"route sheet {self.vehicle}")

    @property
    def duration_s(self) -> int:
        """Time from leaving the depot to coming back."""
        return self.end_s - self.start_s

    @property
    def parcels(self) -> int:
        """Parcels dropped along the route."""
        return sum(s.parcels for s in self.stops)

    @property
    def weight_kg(self) -> int:
        """Weight of the parcels dropped along the route, kg."""
        return sum(s.weight_kg for s in self.stops)

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


def route_sheets(routes: Sequence[SheetRoute], *, depots: Mapping[str, Depot],
                 geometries: Mapping[str, LineString], title: str, strategy: str,
                 day: dt.date) -> tuple[RouteSheet, ...]:
    """One :class:`RouteSheet` per row of ``routes``, in order; the order gives the colours,
    as on the web map.

    Raises
    ------
    ModelError
        A route names a depot or has a geometry that is not given.
    """
    sheets = []
    for i, row in enumerate(routes):
        route = row.route
        if route.depot not in depots:
            raise ModelError(f"route {route.vehicle}.depot: unknown depot {route.depot!r}")
        if route.vehicle not in geometries:
            raise ModelError(f"geometries: no road geometry for route {route.vehicle}")
        sheets.append(RouteSheet(
            title=title, strategy=strategy, day=day, vehicle=route.vehicle,
            vehicle_type=route.vehicle_type, vehicle_name=row.vehicle_name,
            depot=depots[route.depot], colour=route_colour(i), start_s=route.start_s,
            end_s=route.end_s, distance_m=route.distance_m, stops=row.stops,
            geometry=geometries[route.vehicle], leg=row.leg, echelon=row.echelon,
            note=row.note))
    return tuple(sheets)


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
    """One :class:`RouteSheet` per route of a single-leg plan, in the plan's route order.

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
    rows = [sheet_route(r, stops=stops, distance_m=distance_m, index=index,
                        vehicle_name=names.get(r.vehicle_type) or r.vehicle_type)
            for r in routes]
    return route_sheets(rows, depots=depots, geometries=geometries, title=title,
                        strategy=strategy, day=day)


def sheets_from_result(result: StrategyResult, *, day: dt.date | None = None) -> SheetBook:
    """Route sheets of a strategy's result, straight from memory: each route with the stops,
    loads and distances its own leg planned it with (:func:`~routing.reports.sheet_rows.
    sheet_routes`), the lines its reports draw (:func:`~routing.reports.write.leg_geometries`)
    and the county's boundary and main roads. ``day`` is today unless given.

    Raises
    ------
    ModelError
        A route names a stop or depot its leg does not have.
    """
    geometries = {v: g for leg in result.legs for v, g in leg_geometries(result, leg).items()}
    depots = {d.id: d for leg in result.legs for d in leg.problem.depots}
    sheets = route_sheets(sheet_routes(result), depots=depots, geometries=geometries,
                          title=result.scenario.title, strategy=str(result.strategy),
                          day=day or dt.date.today())
    boundary, roads = map_context(result.scenario, result.geography)
    return SheetBook(sheets, boundary, roads)


def _drawn(path: Path, routes: Sequence[SheetRoute], geography: Geography,
           scenario_file: Path) -> dict[str, LineString]:
    """The road line of each route of a plan on disk, leg by leg as its reports drew them."""
    for i, row in enumerate(routes):
        for loc in (row.route.depot, *row.locations):
            if loc not in geography.snaps:
                raise InputError(path, f"routes[{i}]",
                                 f"{loc!r} is not a depot, station or stop of {scenario_file}")
    lines: dict[str, LineString] = {}
    for _, leg in groupby(routes, key=lambda row: row.leg):
        lines |= route_lines(geography, [
            (r.route.vehicle, r.profile, [r.route.depot, *r.locations, r.route.depot])
            for r in leg])
    return lines


def sheets_from_plan_dir(plan_dir: str | Path, *, cache_dir: Path | None = None,
                         geography: Geography | None = None) -> SheetBook:
    """Route sheets of a plan folder written by ``ruralroute solve`` or ``compare``.

    ``plan.json`` gives every route's sheet rows (:func:`~routing.reports.plan_json.
    read_sheet_routes`), the strategy and the date (today when it has none), and names the
    scenario file, which gives the depots, the boundary and the roads the lines are drawn on.
    Pass ``geography`` when the scenario is already placed on its roads to skip reading them.

    Raises
    ------
    InputError
        ``plan.json`` is missing or malformed, its scenario file is gone, or a route names a
        depot or location the scenario does not have.
    """
    path, data = read_plan_json(Path(plan_dir))
    scenario_file = Path(plan_field(path, data, "scenario_file", str))
    if not scenario_file.is_file():
        raise InputError(path, "scenario_file",
                         f"{scenario_file} not found; solve the scenario again from here")
    routes = read_sheet_routes(path, data)
    scenario = load_scenario(scenario_file)
    if geography is None:
        geography = locate(scenario, timings=Timings(), cache_dir=cache_dir)
    geometries = _drawn(path, routes, geography, scenario_file)
    try:
        sheets = route_sheets(
            routes, depots={d.id: d for d in (*scenario.depots, *scenario.stations)},
            geometries=geometries, title=str(data.get("title") or scenario.title),
            strategy=str(data.get("strategy", DEFAULT_STRATEGY)), day=read_plan_day(path, data))
    except ModelError as exc:
        raise InputError(path, "routes", f"{exc} of {scenario_file}; write the plan again with "
                                         f"`ruralroute solve`") from None
    boundary, roads = map_context(scenario, geography)
    return SheetBook(sheets, boundary, roads)


#: Column keys of :func:`stop_rows`, besides one ``carrier:<id>`` key per carrier.
ROW_KEYS: tuple[str, ...] = ("no", "name", "name_en", "parcels", "weight_kg", "produce_kg",
                             "arrival", "km")


def _km_text(metres: int) -> str:
    return f"{metres / 1000:.1f}"


def stop_rows(sheet: RouteSheet) -> list[dict[str, str]]:
    """The stop list as printed: one row of text per stop, then the way back to the depot.

    Keys are :data:`ROW_KEYS` plus ``carrier:<id>`` for each of ``sheet.carriers``; zero
    parcels, kg or produce print as an en dash so the figures that matter stand out. The last row
    (``no`` empty) is the return to the depot with the route's total kilometres.
    """
    rows = []
    for stop in sheet.stops:
        row = {"no": str(stop.position), "name": stop.name, "name_en": stop.name_en,
               "parcels": str(stop.parcels) if stop.parcels else "–",
               "weight_kg": str(stop.weight_kg) if stop.weight_kg else "–",
               "produce_kg": str(stop.produce_kg) if stop.produce_kg else "–",
               "arrival": format_clock(stop.arrival_s), "km": _km_text(stop.cumulative_m)}
        for carrier in sheet.carriers:
            count = stop.parcels_by_carrier.get(carrier, 0)
            row[f"carrier:{carrier}"] = str(count) if count else "–"
        rows.append(row)
    back = {"no": "", "name": sheet.depot.name or sheet.depot.id, "name_en": "(return)",
            "parcels": str(sheet.parcels), "weight_kg": str(sheet.weight_kg),
            "produce_kg": str(sheet.produce_kg),
            "arrival": format_clock(sheet.end_s), "km": _km_text(sheet.distance_m)}
    back.update({f"carrier:{c}": str(sum(s.parcels_by_carrier.get(c, 0) for s in sheet.stops))
                 for c in sheet.carriers})
    rows.append(back)
    return rows


def sheet_facts(sheet: RouteSheet) -> list[tuple[str, str]]:
    """Header lines of a sheet as (label, value): who drives what in which leg of which
    strategy, where from, the totals and, when the sheet has one, its note."""
    vehicle = sheet.vehicle if sheet.vehicle_name == sheet.vehicle_type else (
        f"{sheet.vehicle} ({sheet.vehicle_name})")
    load = (f"{sheet.parcels} parcels ({sheet.weight_kg} kg)" if sheet.echelon == "trunk"
            else f"{sheet.parcels} parcels")
    facts = [
        ("Vehicle 车辆", vehicle),
        ("Strategy 模式", f"{sheet.strategy} · {sheet.leg}" if sheet.leg else sheet.strategy),
        ("Date 日期", sheet.day.isoformat()),
        ("Depot 出发", f"{sheet.depot.name or sheet.depot.id} · "
                       f"{format_clock(sheet.start_s)}–{format_clock(sheet.end_s)}"),
        ("Totals 合计", f"{sheet.distance_m / 1000:.1f} km · {sheet.duration_s / 3600:.1f} h · "
                      f"{len(sheet.stops)} stops · {load} · {sheet.produce_kg} kg produce"),
    ]
    return [*facts, ("Note 说明", sheet.note)] if sheet.note else facts
