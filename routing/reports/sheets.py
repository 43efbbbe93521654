"""What a driver's route sheet says: the stops in visiting order with load, time and distance.

A :class:`RouteSheet` is the content of one printed page for one vehicle, independent of how it
is printed (``routing.reports.sheet_pdf`` writes PDF and HTML, ``geodata.sheetmap`` draws its map).
Sheets are built from a plan folder that ``ruralroute solve`` or ``ruralroute compare`` wrote:
``plan.json`` names the scenario file it was planned from, the strategy, and the leg and echelon
of every route, so each route prints with what its driver really carries:

* ``independent`` — a carrier's route lists only that carrier's parcels and its share of the
  produce: the per-carrier stops the strategy planned with
  (:func:`routing.strategies.base.carrier_stops`);
* ``consolidated`` — the shared fleet's routes carry every carrier's parcels;
* ``township-relay`` — local routes start at their township station; a trunk route's stops are
  stations, each with the parcels, kg and produce of the villages its local routes serve in the
  same plan (:func:`station_loads`).

Cumulative kilometres come from the distance matrix of the vehicle's own travel profile, the one
the solver and the checker used, so the last stop's figure plus the way home equals the route's
distance in ``plan.json``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from geodata import read_boundary, road_lines, route_geometry
from routing.core import DEFAULT_PROFILE, Depot, InputError, ModelError, Route, Stop, VehicleType
from routing.inputs import Scenario, load_scenario
from routing.pipeline import Geography, Timings, locate
from routing.reports.geojson import format_clock, route_colour
from routing.reports.plan_json import (
    ECHELONS,
    PlannedRoute,
    plan_field,
    read_plan_day,
    read_plan_json,
    read_planned_routes,
)
from routing.reports.write import MAP_ROAD_CLASSES
from routing.strategies import carrier_stops, trunk_loads

#: The strategy a plan without a ``strategy`` key was made with.
DEFAULT_STRATEGY = "consolidated"

#: Printed on trunk sheets: where the station figures come from.
TRUNK_NOTE = ("station figures = the villages its local routes serve in this plan; a station "
              "over several loads (#k) shows each load's even share")


@dataclass(frozen=True)
class SheetStop:
    """One line of a route sheet: a village (or relay station) in visiting order and what
    happens there: ``parcels`` (weighing ``weight_kg``) dropped, ``produce_kg`` collected."""

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
    weight_kg: int = 0

    def __post_init__(self) -> None:
        if self.position < 1:
            raise ModelError(f"sheet stop {self.stop_id}.position: must be >= 1, "
                             f"got {self.position}")
        for name in ("parcels", "produce_kg", "arrival_s", "cumulative_m", "weight_kg"):
            if getattr(self, name) < 0:
                raise ModelError(f"sheet stop {self.stop_id}.{name}: must be >= 0")
        object.__setattr__(self, "parcels_by_carrier", dict(self.parcels_by_carrier))


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


@dataclass(frozen=True, eq=False)
class SheetLeg:
    """How one route is read, when that differs from the plan as a whole.

    Attributes
    ----------
    label, echelon
        The strategy leg the route belongs to (``carrier zto``, ``trunk``, ``local 高炉镇``)
        and its echelon (one of :data:`ECHELONS`).
    stops
        The stops as this leg planned them (a carrier's share of each village, or relay
        stations with their loads) by id; the sheets' common ``stops`` when None.
    distance_m
        The distance matrix this route's vehicle type drives on (its travel profile), over the
        same locations as the common matrix; the common matrix when None.
    note
        Printed on the sheet: how its figures were derived.
    """

    label: str
    echelon: str = "delivery"
    stops: Mapping[str, Stop] | None = None
    distance_m: np.ndarray | None = None
    note: str = ""

    def __post_init__(self) -> None:
        _check_echelon(self.echelon, f"sheet leg {self.label}")


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
    legs: Mapping[str, SheetLeg] | None = None,
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
    legs
        Vehicle id -> the leg its route belongs to, with the leg's own stops and distances
        (see :class:`SheetLeg`); routes not named use ``stops`` and ``distance_m``.

    Raises
    ------
    ModelError
        A route names a stop, depot or geometry that is not given.
    """
    names = vehicle_names or {}
    by_vehicle = legs or {}
    sheets = []
    for i, route in enumerate(routes):
        leg = by_vehicle.get(route.vehicle, SheetLeg(""))
        known = stops if leg.stops is None else leg.stops
        if route.depot not in depots:
            raise ModelError(f"route {route.vehicle}.depot: unknown depot {route.depot!r}")
        unknown = [s for s in route.stops if s not in known]
        if unknown:
            raise ModelError(f"route {route.vehicle}.stops: unknown stop {unknown[0]!r}"
                             + (f" in leg {leg.label}" if leg.label else ""))
        if route.vehicle not in geometries:
            raise ModelError(f"geometries: no road geometry for route {route.vehicle}")
        km = cumulative_distances(
            [route.depot, *route.stops], index=index,
            distance_m=distance_m if leg.distance_m is None else leg.distance_m)
        lines = tuple(
            SheetStop(position=pos, stop_id=stop.id, name=stop.name, name_en=stop.name_en,
                      lon=stop.lon, lat=stop.lat, parcels=stop.parcels,
                      produce_kg=stop.produce_kg, arrival_s=arrival, cumulative_m=metres,
                      parcels_by_carrier=stop.parcels_by_carrier, weight_kg=stop.weight_kg)
            for pos, (stop, arrival, metres) in enumerate(
                zip((known[s] for s in route.stops), route.arrival_s, km[1:], strict=True),
                start=1)
        )
        sheets.append(RouteSheet(
            title=title, strategy=strategy, day=day, vehicle=route.vehicle,
            vehicle_type=route.vehicle_type,
            vehicle_name=names.get(route.vehicle_type) or route.vehicle_type,
            depot=depots[route.depot], colour=route_colour(i), start_s=route.start_s,
            end_s=route.end_s, distance_m=route.distance_m, stops=lines,
            geometry=geometries[route.vehicle], leg=leg.label, echelon=leg.echelon,
            note=leg.note))
    return tuple(sheets)


def station_loads(scenario: Scenario, local_routes: Sequence[Route]) -> dict[str, Stop]:
    """The township-relay trunk's stops, rebuilt from a plan's local routes, by trunk stop id.

    A station's load is the sum over the villages its local routes (those starting at it)
    serve: parcels and their kg to unload, produce kg to load. Where one trunk vehicle cannot
    carry it, the strategy split it into equal loads ``<station>#1`` … ``<station>#n``; the
    strategy's own :func:`routing.strategies.relay.trunk_loads` computes them here too, so the sheet
    shows each load's share as the trunk was planned with it. Split loads are named
    ``load k/n`` in the sheet's second name column.

    Raises
    ------
    ModelError
        The scenario has no relay, or a local route starts at no station of the scenario or
        visits no village of it.
    """
    relay = scenario.relay
    if relay is None:
        raise ModelError(f"{scenario.path}: relay: the scenario has no [relay] table, so it "
                         f"has no trunk loads")
    villages = {s.id: s for s in scenario.stops}
    served: dict[str, list[Stop]] = {s.id: [] for s in scenario.stations}
    for route in local_routes:
        if route.depot not in served:
            raise ModelError(f"route {route.vehicle}.depot: {route.depot!r} is no township "
                             f"station of {scenario.path}")
        unknown = [s for s in route.stops if s not in villages]
        if unknown:
            raise ModelError(f"route {route.vehicle}.stops: {unknown[0]!r} is no village of "
                             f"{scenario.path}")
        served[route.depot] += [villages[s] for s in route.stops]
    types = scenario.vehicle_type_by_id
    stops, location_of = trunk_loads(scenario.stations, served,
                                     [types[t] for t in relay.trunk_vehicles])
    count = Counter(location_of.values())
    loads = {}
    for stop in stops:
        station = location_of[stop.id]
        split = count[station] > 1
        loads[stop.id] = replace(
            stop, name=stop.name or station,
            name_en=f"load {stop.id.rpartition('#')[2]}/{count[station]}" if split else "")
    return loads


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


def _vehicle_type(scenario: Scenario, planned: PlannedRoute) -> VehicleType | None:
    """The scenario's vehicle type of a route; a relay's local vehicles are renamed per
    station (``trike@t123``), so a local route is of the relay's ``local_vehicle`` type."""
    types = scenario.vehicle_type_by_id
    if planned.route.vehicle_type in types:
        return types[planned.route.vehicle_type]
    if planned.echelon == "local" and scenario.relay is not None:
        return types.get(scenario.relay.local_vehicle)
    return None


def _profile_distances(geography: Geography, vehicle_type: VehicleType | None
                       ) -> np.ndarray | None:
    """The distance matrix of ``vehicle_type``'s travel profile; None for the default one."""
    if vehicle_type is None or vehicle_type.profile == DEFAULT_PROFILE:
        return None
    matrices = geography.profiles.get(vehicle_type.profile)
    if matrices is None:
        return None
    if matrices.ids != geography.matrices.ids:
        raise ModelError(f"travel profile {vehicle_type.profile}: its matrices cover other "
                         f"locations than the default ones")
    return matrices.distance_m


def _carrier_of(path: Path, i: int, scenario: Scenario, route: Route) -> str:
    """The carrier whose fleet (vehicle type and branch) drove ``route``."""
    owners = [c.id for c in scenario.carriers
              if route.vehicle_type in c.vehicles and c.depot == route.depot]
    if len(owners) != 1:
        raise InputError(path, f"routes[{i}].vehicle_type",
                         f"{route.vehicle_type!r} from {route.depot!r} is the fleet of "
                         f"{len(owners)} carriers of {scenario.path}, not one; write the plan "
                         f"again with `ruralroute solve --strategy independent`")
    return owners[0]


def _sheet_legs(path: Path, scenario: Scenario, planned: Sequence[PlannedRoute],
                strategy: str, geography: Geography) -> dict[str, SheetLeg]:
    """Each route's leg with the stops it was planned with and its vehicle's distances."""
    trunk: dict[str, Stop] = {}
    if any(p.echelon == "trunk" for p in planned):
        try:
            trunk = station_loads(scenario, [p.route for p in planned if p.echelon == "local"])
        except ModelError as exc:
            raise InputError(path, "routes", f"{exc}; write the plan again with "
                                             f"`ruralroute solve`") from None
    per_carrier = carrier_stops(scenario) if strategy == "independent" else {}
    legs = {}
    for i, p in enumerate(planned):
        stops: dict[str, Stop] | None = None
        note = ""
        if p.echelon == "trunk":
            odd = [s for s in p.route.stops if s not in trunk]
            if odd:
                raise InputError(path, f"routes[{i}].stops",
                                 f"trunk stop {odd[0]!r} is none of the station loads "
                                 f"({', '.join(trunk) or 'none'}) its local routes add up to; "
                                 f"write the plan again with `ruralroute solve`")
            stops, note = trunk, TRUNK_NOTE
        elif per_carrier:
            stops = {s.id: s for s in per_carrier[_carrier_of(path, i, scenario, p.route)]}
        legs[p.route.vehicle] = SheetLeg(
            p.leg, p.echelon, stops,
            _profile_distances(geography, _vehicle_type(scenario, p)), note)
    return legs


def sheets_from_plan_dir(plan_dir: str | Path, *, cache_dir: Path | None = None,
                         geography: Geography | None = None) -> SheetBook:
    """Route sheets of a plan folder written by ``ruralroute solve`` or ``compare``.

    ``plan.json`` gives the routes with their legs, the strategy and the date (today when it
    has none) and names the scenario file, which is read again for names, per-carrier parcels,
    stations, the boundary and roads; distances come from the scenario's (cached) travel
    matrices. Pass ``geography`` when the scenario is already placed on its roads (right after
    solving it) to skip reading the roads again.

    Raises
    ------
    InputError
        ``plan.json`` is missing or malformed, its scenario file is gone, or a route names a
        stop, depot, carrier fleet or trunk load the scenario and the plan do not have.
    """
    path, data = read_plan_json(Path(plan_dir))
    scenario_file = Path(plan_field(path, data, "scenario_file", str))
    if not scenario_file.is_file():
        raise InputError(path, "scenario_file",
                         f"{scenario_file} not found; solve the scenario again from here")
    scenario = load_scenario(scenario_file)
    strategy = str(data.get("strategy", DEFAULT_STRATEGY))
    planned = read_planned_routes(path, data)
    routes = [p.route for p in planned]
    if geography is None:
        geography = locate(scenario, timings=Timings(), cache_dir=cache_dir)
    matrices = geography.matrices
    index = {loc: k for k, loc in enumerate(matrices.ids)}
    for i, route in enumerate(routes):
        for loc in (route.depot, *route.stops):
            if _located(loc) not in index:
                raise InputError(path, f"routes[{i}]",
                                 f"{loc!r} is not a depot, station or stop of {scenario_file}")
            index[loc] = index[_located(loc)]
    legs = _sheet_legs(path, scenario, planned, strategy, geography)
    names = {t.id: t.name for t in scenario.vehicle_types}
    for p in planned:
        vt = _vehicle_type(scenario, p)
        if vt is not None and p.route.vehicle_type not in names:
            names[p.route.vehicle_type] = vt.name or vt.id
    try:
        sheets = build_sheets(
            routes, stops={s.id: s for s in scenario.stops}, depots=_locations(scenario),
            distance_m=matrices.distance_m, index=index, geometries=_geometries(geography, routes),
            title=str(data.get("title") or scenario.title), strategy=strategy,
            day=read_plan_day(path, data), vehicle_names=names, legs=legs)
    except ModelError as exc:
        raise InputError(path, "routes", f"{exc} of {scenario_file}; write the plan again with "
                                         f"`ruralroute solve`") from None
    boundary, roads = _context(scenario, geography.network)
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
