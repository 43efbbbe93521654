"""What a driver's route sheet says, and the sheets of a strategy's plan, in memory or on disk.

A :class:`RouteSheet` is the content of one printed page for one vehicle, independent of how it
is printed (``routing.reports.sheet_pdf`` writes PDF and HTML, ``geodata.sheetmap`` draws its map).
A vehicle driving several trips has one page listing them in order (:class:`SheetTrip`), with a
line between two trips saying when it is back at the depot, how long loading the next trip
takes and when it leaves again; its stops are numbered through the day. Its stop lines are
:mod:`routing.reports.sheet_rows`' (each route as its own leg planned it); this module adds
what the page shows around them: header, colour (its vehicle's, as on the web map) and the road
line of its whole day.

* :func:`sheets_from_result` — right after solving, from the in-memory strategy result and the
  route lines its reports drew (nothing is re-read or re-planned);
* :func:`sheets_from_plan_dir` — a plan folder on disk: ``plan.json``'s one reader gives back
  the same rows (:func:`routing.reports.plan_json.read_sheet_routes`), and the scenario it names
  gives the roads the lines are drawn on, so both make the same sheets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from itertools import groupby, pairwise
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from routing.core import Depot, InputError, ModelError, Route, Stop
from routing.inputs import load_scenario
from routing.pipeline import Geography, Timings, locate
from routing.reports.geojson import format_clock, route_key, vehicle_colours
from routing.reports.plan_json import (
    ECHELONS,
    plan_field,
    read_plan_day,
    read_plan_json,
    read_sheet_routes,
)
from routing.reports.sheet_rows import (
    LOAD_ECHELONS,
    SheetRoute,
    SheetStop,
    sheet_route,
    sheet_routes,
)
from routing.reports.write import leg_geometries, map_context, route_lines
from routing.strategies import StrategyResult

#: The strategy a plan without a ``strategy`` key was made with.
DEFAULT_STRATEGY = "consolidated"


def _check_echelon(echelon: str, owner: str) -> None:
    if echelon not in ECHELONS:
        raise ModelError(f"{owner}.echelon: must be one of {', '.join(ECHELONS)}, "
                         f"got {echelon!r}")


@dataclass(frozen=True)
class SheetTrip:
    """One trip on a vehicle's page: from the start of loading at the depot (``start_s``; it
    leaves ``load_s`` later) through its stops and back (``end_s``), ``distance_m`` driven.
    Its stops' positions number the vehicle's day, their ``cumulative_m`` the trip."""

    trip: int
    start_s: int
    end_s: int
    distance_m: int
    load_s: int
    stops: tuple[SheetStop, ...]

    @property
    def leave_s(self) -> int:
        """When the vehicle leaves the depot, loaded."""
        return self.start_s + self.load_s

    @property
    def parcels(self) -> int:
        return sum(s.parcels for s in self.stops)


def _check_trips(trips: Sequence[SheetTrip], vehicle: str) -> None:
    owner = f"route sheet {vehicle}"
    if not trips:
        raise ModelError(f"{owner}.trips: a sheet needs at least one trip")
    for trip in trips:
        if trip.end_s < trip.start_s:
            raise ModelError(f"{owner}.trips: trip {trip.trip} ends before it starts")
    for a, b in pairwise(trips):
        if b.trip <= a.trip or b.start_s < a.end_s:
            raise ModelError(f"{owner}.trips: trip {b.trip} must follow trip {a.trip}, after "
                             f"it is back")


@dataclass(frozen=True, eq=False)
class RouteSheet:
    """Everything printed on one vehicle's page: header, totals, map geometry and its trips'
    stop lists.

    ``trips`` are the vehicle's trips in order (:class:`SheetTrip`); ``geometry`` is the
    road-following line of its whole day, trip after trip, in EPSG:4326 (lon, lat); ``colour``
    is the vehicle's colour on the web map and in GeoJSON, so paper and screen agree. ``leg``
    names the part of the strategy the vehicle belongs to (``carrier zto``, ``trunk``,
    ``local 高炉镇``, ``feeder zto``; empty for a single-leg plan) and ``note`` says how its
    figures were derived, when that needs saying.
    """

    title: str
    strategy: str
    day: dt.date
    vehicle: str
    vehicle_type: str
    vehicle_name: str
    depot: Depot
    colour: str
    trips: tuple[SheetTrip, ...]
    geometry: LineString
    leg: str = ""
    echelon: str = "delivery"
    note: str = ""

    def __post_init__(self) -> None:
        _check_trips(self.trips, self.vehicle)
        if not self.stops:
            raise ModelError(f"route sheet {self.vehicle}.stops: a sheet needs at least one stop")
        positions = [s.position for s in self.stops]
        if positions != list(range(1, len(self.stops) + 1)):
            raise ModelError(f"route sheet {self.vehicle}.stops: positions must be 1..n in order")
        _check_echelon(self.echelon, f"route sheet {self.vehicle}")

    @property
    def stops(self) -> tuple[SheetStop, ...]:
        """Every stop of the day, trip after trip."""
        return tuple(s for trip in self.trips for s in trip.stops)

    @property
    def start_s(self) -> int:
        """When loading for the first trip starts."""
        return self.trips[0].start_s

    @property
    def end_s(self) -> int:
        """When the vehicle is back from its last trip."""
        return self.trips[-1].end_s

    @property
    def distance_m(self) -> int:
        """Metres driven in the day, every trip."""
        return sum(t.distance_m for t in self.trips)

    @property
    def duration_s(self) -> int:
        """Working time, from the first trip's loading to the return from the last."""
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

    @property
    def loads(self) -> bool:
        """Whether its stops are loads handed over at stations or the hub (a relay trunk, a
        feeder), whose weight the loader needs."""
        return self.echelon in LOAD_ECHELONS


@dataclass(frozen=True, eq=False)
class SheetBook:
    """All route sheets of a plan and the county context their maps draw under the route."""

    sheets: tuple[RouteSheet, ...]
    boundary: BaseGeometry | None = None
    roads: tuple[LineString, ...] = ()


def _vehicle_days(routes: Sequence[SheetRoute]) -> list[list[SheetRoute]]:
    """``routes`` by vehicle (within its leg), in the order the vehicles first appear, each
    vehicle's in trip order."""
    days: dict[tuple[str, str], list[SheetRoute]] = {}
    for row in routes:
        days.setdefault((row.leg, row.route.vehicle), []).append(row)
    return [sorted(rows, key=lambda r: r.route.trip) for rows in days.values()]


def _joined(lines: Sequence[LineString]) -> LineString:
    """The day's road line: each trip's line after the other (each starts and ends at the
    depot, so the joined line is unbroken)."""
    if len(lines) == 1:
        return lines[0]
    return LineString(np.vstack([shapely.get_coordinates(line) for line in lines]))


def _trips(rows: Sequence[SheetRoute]) -> tuple[SheetTrip, ...]:
    """A vehicle's trips with its stops numbered through the day."""
    trips, done = [], 0
    for row in rows:
        stops = tuple(replace(s, position=done + s.position) for s in row.stops)
        done += len(stops)
        trips.append(SheetTrip(row.route.trip, row.route.start_s, row.route.end_s,
                               row.route.distance_m, row.load_s, stops))
    return tuple(trips)


def _day_lines(rows: Sequence[SheetRoute], geometries: Mapping[str, LineString]
               ) -> LineString:
    for row in rows:
        route = row.route
        if route_key(route) not in geometries:
            raise ModelError(f"geometries: no road geometry for route {route_key(route)}")
    return _joined([geometries[route_key(row.route)] for row in rows])


def route_sheets(routes: Sequence[SheetRoute], *, depots: Mapping[str, Depot],
                 geometries: Mapping[str, LineString], title: str, strategy: str,
                 day: dt.date) -> tuple[RouteSheet, ...]:
    """One :class:`RouteSheet` per vehicle of ``routes`` (its trips in order), in the order
    the vehicles first appear; that order gives the colours, as on the web map
    (:func:`~routing.reports.geojson.vehicle_colours`). ``geometries`` holds each route's road
    line by :func:`~routing.reports.geojson.route_key`.

    Raises
    ------
    ModelError
        A route names a depot or has a geometry that is not given, or a vehicle's trips
        overlap.
    """
    colours = vehicle_colours(row.route for row in routes)
    sheets = []
    for rows in _vehicle_days(routes):
        first = rows[0]
        route = first.route
        if route.depot not in depots:
            raise ModelError(f"route {route.vehicle}.depot: unknown depot {route.depot!r}")
        sheets.append(RouteSheet(
            title=title, strategy=strategy, day=day, vehicle=route.vehicle,
            vehicle_type=route.vehicle_type, vehicle_name=first.vehicle_name,
            depot=depots[route.depot], colour=colours[route.vehicle], trips=_trips(rows),
            geometry=_day_lines(rows, geometries), leg=first.leg, echelon=first.echelon,
            note=first.note))
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
    load_s: int = 0,
) -> tuple[RouteSheet, ...]:
    """One :class:`RouteSheet` per vehicle of a single-leg plan (its trips in order), in the
    order the vehicles first appear in the plan's routes.

    Parameters
    ----------
    routes
        The plan's routes; their order gives the colours, as on the web map.
    stops, depots
        Stops and depots by id, with names and per-carrier parcels.
    distance_m, index
        The road distance matrix and its location index, for cumulative kilometres.
    geometries
        Road-following line per route, by :func:`~routing.reports.geojson.route_key`
        (the vehicle id for its first trip), EPSG:4326.
    title, strategy, day
        Printed in every header.
    vehicle_names
        Vehicle type id -> readable name (e.g. "Light van"); the type id when missing.
    load_s
        The depot's loading time at the start of every trip (``problem.service_s`` of the
        depot).

    Raises
    ------
    ModelError
        A route names a stop, depot or geometry that is not given.
    """
    names = vehicle_names or {}
    rows = [sheet_route(r, stops=stops, distance_m=distance_m, index=index,
                        vehicle_name=names.get(r.vehicle_type) or r.vehicle_type, load_s=load_s)
            for r in routes]
    return route_sheets(rows, depots=depots, geometries=geometries, title=title,
                        strategy=strategy, day=day)


def sheets_from_result(result: StrategyResult, *, day: dt.date | None = None) -> SheetBook:
    """Route sheets of a strategy's result, straight from memory: a page per vehicle of every
    leg (feeders included), each trip with the stops, loads and distances its own leg planned
    it with (:func:`~routing.reports.sheet_rows.sheet_routes`), the lines its reports draw
    (:func:`~routing.reports.write.leg_geometries`) and the county's boundary and main roads.
    ``day`` is today unless given.

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
    """The road line of each route of a plan on disk, leg by leg as its reports drew them,
    by :func:`~routing.reports.geojson.route_key`."""
    for i, row in enumerate(routes):
        for loc in (row.route.depot, *row.locations):
            if loc not in geography.snaps:
                raise InputError(path, f"routes[{i}]",
                                 f"{loc!r} is not a depot, station or stop of {scenario_file}")
    lines: dict[str, LineString] = {}
    for _, leg in groupby(routes, key=lambda row: row.leg):
        lines |= route_lines(geography, [
            (route_key(r.route), r.profile, [r.route.depot, *r.locations, r.route.depot])
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

#: What a row of :func:`stop_rows` is (its ``kind``): a stop, the reload between two trips, or
#: the return at the end of the day with the day's totals.
ROW_KINDS: tuple[str, ...] = ("stop", "reload", "back")


def _km_text(metres: int) -> str:
    return f"{metres / 1000:.1f}"


def _minutes(seconds: int) -> str:
    """``15`` for 900 s, ``1.5`` for 90 s."""
    return f"{seconds // 60}" if seconds % 60 == 0 else f"{seconds / 60:.1f}"


def reload_text(depot: Depot, back: SheetTrip, then: SheetTrip) -> str:
    """The line between two trips: back at the depot, loading the next trip, leaving again."""
    return (f"back at {depot.name or depot.id} {format_clock(back.end_s)}, load for trip "
            f"{then.trip} (load time {_minutes(then.load_s)} min), leave "
            f"{format_clock(then.leave_s)}")


def _stop_row(sheet: RouteSheet, stop: SheetStop, before_m: int) -> dict[str, str]:
    name_en = " · ".join(text for text in (stop.name_en, stop.visit) if text)
    row = {"kind": "stop", "no": str(stop.position), "name": stop.name, "name_en": name_en,
           "parcels": str(stop.parcels) if stop.parcels else "–",
           "weight_kg": str(stop.weight_kg) if stop.weight_kg else "–",
           "produce_kg": str(stop.produce_kg) if stop.produce_kg else "–",
           "arrival": format_clock(stop.arrival_s), "km": _km_text(before_m + stop.cumulative_m)}
    for carrier in sheet.carriers:
        count = stop.parcels_by_carrier.get(carrier, 0)
        row[f"carrier:{carrier}"] = str(count) if count else "–"
    return row


def stop_rows(sheet: RouteSheet) -> list[dict[str, str]]:
    """The stop list as printed: one row of text per stop, trip after trip, a reload row
    between two trips, then the way back to the depot.

    Keys are ``kind`` (:data:`ROW_KINDS`), :data:`ROW_KEYS` and ``carrier:<id>`` for each of
    ``sheet.carriers``; zero parcels, kg or produce print as an en dash so the figures that
    matter stand out. ``km`` counts the day's kilometres; ``name_en`` adds which visit of a
    village (or load of a station) a stop is. A reload row (``kind`` ``reload``) says in
    ``name`` when the vehicle is back, how long loading the next trip takes and when it leaves
    (:func:`reload_text`), its ``arrival`` and ``km`` at its return. The last row (``kind``
    ``back``, ``no`` empty) is the return to the depot with the day's totals.
    """
    rows: list[dict[str, str]] = []
    before = 0
    for trip, then in zip(sheet.trips, (*sheet.trips[1:], None), strict=True):
        rows += [_stop_row(sheet, stop, before) for stop in trip.stops]
        before += trip.distance_m
        if then is not None:
            rows.append({"kind": "reload", **dict.fromkeys(ROW_KEYS, ""),
                         **{f"carrier:{c}": "" for c in sheet.carriers},
                         "name": reload_text(sheet.depot, trip, then),
                         "arrival": format_clock(trip.end_s), "km": _km_text(before)})
    back = {"kind": "back", "no": "", "name": sheet.depot.name or sheet.depot.id,
            "name_en": "(return)", "parcels": str(sheet.parcels),
            "weight_kg": str(sheet.weight_kg), "produce_kg": str(sheet.produce_kg),
            "arrival": format_clock(sheet.end_s), "km": _km_text(sheet.distance_m)}
    back.update({f"carrier:{c}": str(sum(s.parcels_by_carrier.get(c, 0) for s in sheet.stops))
                 for c in sheet.carriers})
    rows.append(back)
    return rows


def _trips_text(sheet: RouteSheet) -> str:
    """``trip 1 08:00–10:30 · trip 2 10:45–13:10`` (loading to return)."""
    return " · ".join(f"trip {t.trip} {format_clock(t.start_s)}–{format_clock(t.end_s)}"
                      for t in sheet.trips)


def sheet_facts(sheet: RouteSheet) -> list[tuple[str, str]]:
    """Header lines of a sheet as (label, value): who drives what in which leg of which
    strategy, where from, the day's totals, its trips when it drives several and, when the
    sheet has one, its note."""
    vehicle = sheet.vehicle if sheet.vehicle_name == sheet.vehicle_type else (
        f"{sheet.vehicle} ({sheet.vehicle_name})")
    load = (f"{sheet.parcels} parcels ({sheet.weight_kg} kg)" if sheet.loads
            else f"{sheet.parcels} parcels")
    trips = f"{len(sheet.trips)} trips · " if len(sheet.trips) > 1 else ""
    facts = [
        ("Vehicle 车辆", vehicle),
        ("Strategy 模式", f"{sheet.strategy} · {sheet.leg}" if sheet.leg else sheet.strategy),
        ("Date 日期", sheet.day.isoformat()),
        ("Depot 出发", f"{sheet.depot.name or sheet.depot.id} · "
                       f"{format_clock(sheet.start_s)}–{format_clock(sheet.end_s)}"),
        ("Totals 合计", f"{sheet.distance_m / 1000:.1f} km · {sheet.duration_s / 3600:.1f} h · "
                      f"{trips}{len(sheet.stops)} stops · {load} · {sheet.produce_kg} kg "
                      f"produce"),
    ]
    if len(sheet.trips) > 1:
        facts.append(("Trips 趟次", _trips_text(sheet)))
    return [*facts, ("Note 说明", sheet.note)] if sheet.note else facts
