"""What each line of a route sheet says, read off a strategy's legs: the stops in visiting order
with what is dropped and collected there, the arrival time and the kilometres driven.

A :class:`SheetRoute` is one route's sheet before it is drawn. :func:`sheet_routes` builds them
from the in-memory :class:`~routing.strategies.StrategyResult`, each from its own leg:

* ``independent`` — a carrier's route lists only that carrier's parcels and its share of the
  produce: the per-carrier stops its leg was planned with;
* ``consolidated`` — the shared fleet's routes carry every carrier's parcels;
* ``township-relay`` — local routes start at their township station; a trunk route's stops are
  the trunk leg's station loads (what the local rounds from each station hand over), a station
  over several loads named ``load k/n`` (:func:`station_loads`).

Cumulative kilometres come from the leg's distance matrix of the vehicle's own travel profile,
the one the solver and the checker used, so the last stop's figure plus the way home equals the
route's distance. ``plan.json`` records these rows (:mod:`routing.reports.plan_json`), so a plan
folder on disk prints the same sheets.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate, pairwise

import numpy as np

from routing.core import DEFAULT_PROFILE, Echelon, ModelError, Route, Stop, VehicleType
from routing.inputs import Scenario
from routing.strategies import Leg, StrategyResult

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


@dataclass(frozen=True)
class SheetRoute:
    """One route's sheet before it is drawn: the route as planned, its stop lines, and the leg
    it belongs to.

    Attributes
    ----------
    route
        The planned route (vehicle, depot, stop ids, times, metres).
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
    """

    route: Route
    stops: tuple[SheetStop, ...]
    locations: tuple[str, ...]
    vehicle_name: str
    profile: str = DEFAULT_PROFILE
    leg: str = ""
    echelon: str = Echelon.DELIVERY.value
    note: str = ""

    def __post_init__(self) -> None:
        if tuple(s.stop_id for s in self.stops) != self.route.stops:
            raise ModelError(f"sheet route {self.route.vehicle}.stops: must be the route's stops "
                             f"in order")
        if len(self.locations) != len(self.stops):
            raise ModelError(f"sheet route {self.route.vehicle}.locations: needs one per stop")


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
                echelon: str = Echelon.DELIVERY.value, note: str = "") -> SheetRoute:
    """The sheet lines of ``route``: each stop's loads from ``stops`` (by id), its arrival
    time, and the metres driven to it on ``distance_m`` (rows by ``index``).

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
    lines = tuple(
        SheetStop(position=pos, stop_id=stop.id, name=stop.name, name_en=stop.name_en,
                  lon=stop.lon, lat=stop.lat, parcels=stop.parcels, produce_kg=stop.produce_kg,
                  arrival_s=arrival, cumulative_m=metres,
                  parcels_by_carrier=stop.parcels_by_carrier, weight_kg=stop.weight_kg)
        for pos, (stop, arrival, metres) in enumerate(
            zip((stops[s] for s in route.stops), route.arrival_s, km[1:], strict=True), start=1))
    where = location_of or {}
    return SheetRoute(route, lines, tuple(where.get(s, s) for s in route.stops), vehicle_name,
                      profile, leg, echelon, note)


def station_loads(stops: Sequence[Stop], location_of: Mapping[str, str]) -> dict[str, Stop]:
    """A relay trunk leg's stops as its sheet lists them, by stop id.

    Each is named after the station it stands at (``location_of``; its id where the station
    has no name). Where one trunk vehicle could not carry a station's load, the strategy split
    it into equal parts (:func:`routing.strategies.trunk_loads`); the k-th of n parts, in the
    order of ``stops``, reads ``load k/n`` in the sheet's second name column.
    """
    count = Counter(location_of.get(s.id, s.id) for s in stops)
    seen: Counter[str] = Counter()
    loads = {}
    for stop in stops:
        station = location_of.get(stop.id, stop.id)
        seen[station] += 1
        part = f"load {seen[station]}/{count[station]}" if count[station] > 1 else ""
        loads[stop.id] = replace(stop, name=stop.name or station, name_en=part)
    return loads


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


def _leg_routes(scenario: Scenario, leg: Leg) -> list[SheetRoute]:
    trunk = leg.echelon == Echelon.TRUNK
    stops = station_loads(leg.problem.stops, leg.location_of) if trunk else leg.problem.stop_by_id
    types = {vt.id: vt for vt in leg.problem.vehicle_types}
    routes = []
    for route in leg.plan.routes:
        vt = types[route.vehicle_type]
        distance_m, _ = leg.problem.matrices_for(vt)
        routes.append(sheet_route(
            route, stops=stops, distance_m=distance_m, index=leg.problem.index,
            vehicle_name=_vehicle_name(scenario, leg, vt), profile=vt.profile,
            location_of=leg.location_of, leg=leg.label, echelon=str(leg.echelon),
            note=TRUNK_NOTE if trunk else ""))
    return routes


def sheet_routes(result: StrategyResult) -> tuple[SheetRoute, ...]:
    """Every route of every leg of ``result``, in plan order, as its sheet says it: the stops
    and distances its own leg planned it with.

    Raises
    ------
    ModelError
        A route names a stop its leg's problem does not have.
    """
    return tuple(r for leg in result.legs for r in _leg_routes(result.scenario, leg))
