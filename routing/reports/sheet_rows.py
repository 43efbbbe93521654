"""What each line of a route sheet says, read off a strategy's legs: the stops in visiting order
with what is dropped and collected there, the arrival time and the kilometres driven.

A :class:`SheetRoute` is one route's (one trip's) lines before they are drawn; a vehicle's page
puts its trips together (:mod:`routing.reports.sheets`). :func:`sheet_routes` builds them from
the in-memory :class:`~routing.strategies.StrategyResult`, each from its own leg:

* ``independent`` — a carrier's route lists only that carrier's parcels and its share of the
  produce: the per-carrier stops its leg was planned with;
* ``consolidated`` — the shared fleet's routes carry every carrier's parcels;
* ``township-relay`` — local routes start at their township station; a trunk route's stops are
  the trunk leg's station loads (what the local rounds from each station hand over), a station
  over several loads reading ``load k/n`` (:func:`station_loads`);
* feeders — a carrier's van from its branch to the hub: its stops are the carrier's loads
  handed over at the hub, named after it.

A village served by several visits (its load bigger than any vehicle of the leg) is listed
under its own name at each visit, reading ``visit k of n`` (:func:`part_labels`). A route keeps
its trip number and the depot's loading time (``load_s``), which starts every trip.

Cumulative kilometres come from the leg's distance matrix of the vehicle's own travel profile,
the one the solver and the checker used, so the last stop's figure plus the way home equals the
route's distance. ``plan.json`` records these rows (:mod:`routing.reports.plan_json`), so a plan
folder on disk prints the same sheets.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate, pairwise

import numpy as np

from routing.core import DEFAULT_PROFILE, Echelon, ModelError, Route, Stop, VehicleType
from routing.inputs import Scenario
from routing.reports.geojson import part_label, visit_parts
from routing.strategies import Leg, StrategyResult

#: Printed on trunk sheets: where the station figures come from.
TRUNK_NOTE = ("station figures = the villages its local routes serve in this plan; a station "
              "over several loads (load k/n) shows each load's even share")

#: Printed on feeder sheets: what the van brings and where it goes.
FEEDER_NOTE = ("the carrier's parcels for the shared fleet, handed over at the hub before that "
               "fleet leaves; a load too big for one van goes in parts (load k/n)")

#: Echelons whose stops are loads handed over at a station or the hub, not village visits.
LOAD_ECHELONS: tuple[str, ...] = (Echelon.TRUNK.value, Echelon.FEEDER.value)


@dataclass(frozen=True)
class SheetStop:
    """One line of a route sheet: a village (or relay station) in visiting order and what
    happens there: ``parcels`` (weighing ``weight_kg``) dropped, ``produce_kg`` collected.
    ``visit`` says which part it is where a location has several (``visit 1 of 2``,
    ``load 1/2``), empty otherwise."""

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
    visit: str = ""

    def __post_init__(self) -> None:
        if self.position < 1:
            raise ModelError(f"sheet stop {self.stop_id}.position: must be >= 1, "
                             f"got {self.position}")
        for name in ("parcels", "produce_kg", "arrival_s", "cumulative_m", "weight_kg"):
            if getattr(self, name) < 0:
                raise ModelError(f"sheet stop {self.stop_id}.{name}: must be >= 0")
        object.__setattr__(self, "parcels_by_carrier", dict(self.parcels_by_carrier))


@dataclass(frozen=True)
class SheetRoute:
    """One route's (one trip's) sheet lines before they are drawn: the route as planned, its
    stop lines, and the leg it belongs to.

    Attributes
    ----------
    route
        The planned route (vehicle, trip, depot, stop ids, times, metres).
    stops
        One :class:`SheetStop` per stop of ``route``, in visiting order.
    locations
        The location each stop stands at (a relay trunk load split in parts stands at its
        station); with ``profile``, the vehicle's travel profile, they give the road line.
    vehicle_name
        The vehicle type's readable name (its id when it has none).
    leg, echelon, note
        The strategy leg (``carrier zto``, ``trunk``, ``local 高炉镇``; empty for a single-leg
        plan), its echelon, and how the figures were derived, when that needs saying.
    load_s
        The loading time at the depot that starts the trip (the leg's
        ``problem.service_s`` of the depot): the vehicle leaves at ``route.start_s + load_s``.
    """

    route: Route
    stops: tuple[SheetStop, ...]
    locations: tuple[str, ...]
    vehicle_name: str
    profile: str = DEFAULT_PROFILE
    leg: str = ""
    echelon: str = Echelon.DELIVERY.value
    note: str = ""
    load_s: int = 0

    def __post_init__(self) -> None:
        if tuple(s.stop_id for s in self.stops) != self.route.stops:
            raise ModelError(f"sheet route {self.route.vehicle}.stops: must be the route's stops "
                             f"in order")
        if len(self.locations) != len(self.stops):
            raise ModelError(f"sheet route {self.route.vehicle}.locations: needs one per stop")
        if self.load_s < 0:
            raise ModelError(f"sheet route {self.route.vehicle}.load_s: must be >= 0")


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


def sheet_route(route: Route, *, stops: Mapping[str, Stop], distance_m: np.ndarray,
                index: Mapping[str, int], vehicle_name: str, profile: str = DEFAULT_PROFILE,
                location_of: Mapping[str, str] | None = None, leg: str = "",
                echelon: str = Echelon.DELIVERY.value, note: str = "", load_s: int = 0,
                visits: Mapping[str, str] | None = None) -> SheetRoute:
    """The sheet lines of ``route``: each stop's loads from ``stops`` (by id), its arrival
    time, and the metres driven to it on ``distance_m`` (rows by ``index``). ``visits`` names
    the part a stop is of its location (:func:`part_labels`); ``load_s`` is the depot's loading
    time that starts the trip.

    Raises
    ------
    ModelError
        The route names a stop ``stops`` does not have, or a location without a matrix row.
    """
    unknown = [s for s in route.stops if s not in stops]
    if unknown:
        raise ModelError(f"route {route.vehicle}.stops: unknown stop {unknown[0]!r}"
                         + (f" in leg {leg}" if leg else ""))
    km = cumulative_distances([route.depot, *route.stops], distance_m=distance_m, index=index)
    parts = visits or {}
    lines = tuple(
        SheetStop(position=pos, stop_id=stop.id, name=stop.name, name_en=stop.name_en,
                  lon=stop.lon, lat=stop.lat, parcels=stop.parcels, produce_kg=stop.produce_kg,
                  arrival_s=arrival, cumulative_m=metres,
                  parcels_by_carrier=stop.parcels_by_carrier, weight_kg=stop.weight_kg,
                  visit=parts.get(stop.id, ""))
        for pos, (stop, arrival, metres) in enumerate(
            zip((stops[s] for s in route.stops), route.arrival_s, km[1:], strict=True), start=1))
    where = location_of or {}
    return SheetRoute(route, lines, tuple(where.get(s, s) for s in route.stops), vehicle_name,
                      profile, leg, echelon, note, load_s)


def station_loads(stops: Sequence[Stop], location_of: Mapping[str, str]) -> dict[str, Stop]:
    """A relay trunk leg's (or a feeder's) stops as its sheet lists them, by stop id: each
    named after the station (or hub) it stands at (``location_of``; its id where the stop has no
    name). Where one vehicle could not carry a station's load, the strategy split it into equal
    parts (:func:`routing.strategies.trunk_loads`), which :func:`part_labels` tells apart.
    """
    return {stop.id: replace(stop, name=stop.name or location_of.get(stop.id, stop.id))
            for stop in stops}


def part_labels(stops: Sequence[Stop], location_of: Mapping[str, str],
                villages: Collection[str]) -> dict[str, str]:
    """Which part of its location each stop is, where a location has several stops, by stop
    id: the k-th of n visits of a village (``villages``) reads ``visit k of n``, the k-th of n
    loads at a station or the hub ``load k/n``, in the order of ``stops``."""
    return {sid: part_label(k, n, load=location_of.get(sid, sid) not in villages)
            for sid, (k, n) in visit_parts(stops, location_of).items()}


def _vehicle_name(scenario: Scenario, leg: Leg, vehicle_type: VehicleType) -> str:
    """A vehicle type's readable name: its own, else the scenario type it stands for (a relay
    station's local fleet is a copy of the relay's ``local_vehicle`` under its own id)."""
    if vehicle_type.name:
        return vehicle_type.name
    relay = scenario.relay
    if (vehicle_type.id not in scenario.vehicle_type_by_id and relay is not None
            and leg.echelon == Echelon.LOCAL):
        return relay.local_vehicle
    return vehicle_type.id


def _notes() -> dict[str, str]:
    return {Echelon.TRUNK.value: TRUNK_NOTE, Echelon.FEEDER.value: FEEDER_NOTE}


def _leg_routes(scenario: Scenario, leg: Leg) -> list[SheetRoute]:
    problem = leg.problem
    loads = leg.echelon in LOAD_ECHELONS
    stops = station_loads(problem.stops, leg.location_of) if loads else problem.stop_by_id
    visits = part_labels(problem.stops, leg.location_of, {s.id for s in scenario.stops})
    types = {vt.id: vt for vt in problem.vehicle_types}
    routes = []
    for route in leg.plan.routes:
        vt = types[route.vehicle_type]
        distance_m, _ = problem.matrices_for(vt)
        routes.append(sheet_route(
            route, stops=stops, distance_m=distance_m, index=problem.index,
            vehicle_name=_vehicle_name(scenario, leg, vt), profile=vt.profile,
            location_of=leg.location_of, leg=leg.label, echelon=str(leg.echelon),
            note=_notes().get(str(leg.echelon), ""), visits=visits,
            load_s=int(problem.service_s[problem.index[route.depot]])))
    return routes


def sheet_routes(result: StrategyResult) -> tuple[SheetRoute, ...]:
    """Every route (every trip) of every leg of ``result``, feeders included, in plan order,
    as its sheet says it: the stops and distances its own leg planned it with.

    Raises
    ------
    ModelError
        A route names a stop its leg's problem does not have.
    """
    return tuple(r for leg in result.legs for r in _leg_routes(result.scenario, leg))
