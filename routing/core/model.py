"""Frozen, validated domain objects: depots, stops, vehicles, the routing problem and its plan.

Everything a solver sees is an integer in a named unit (metres, seconds, parcels, kilograms).
Objects validate themselves at construction and raise :class:`~routing.core.errors.ModelError`
naming the field at fault; the scenario loader adds the file name.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Self

import numpy as np

from routing.core.errors import ModelError

#: The capacity dimensions every load vector uses, in this order.
LOAD_DIMENSIONS: tuple[str, ...] = ("parcels", "kg")

#: Seconds in a day; time windows are seconds since the midnight the plan starts on.
DAY_S = 86_400


class Named(StrEnum):
    """A closed set of names read from files and options. A ``StrEnum``, so each member equals,
    hashes, formats and serialises (JSON, CSV) as its string value."""

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The names in declaration order, e.g. for ``click.Choice``."""
        return tuple(member.value for member in cls)

    @classmethod
    def parse(cls, value: str, field_name: str) -> Self:
        """The member named ``value``; any other value is a :class:`ModelError` naming
        ``field_name`` and the names allowed."""
        try:
            return cls(value)
        except ValueError:
            raise ModelError(f"{field_name}: {value!r} is not one of "
                             f"{', '.join(cls.values())}") from None


class Strategy(Named):
    """The delivery strategies ruralroute plans (:mod:`routing.strategies`). Named here, below
    the strategies, so scenario and sweep files can be checked against them."""

    #: Each carrier delivers its own parcels from its own branch.
    INDEPENDENT = "independent"
    #: One shared fleet from the county joint distribution centre delivers every parcel.
    CONSOLIDATED = "consolidated"
    #: Trunk vehicles to township stations, then local vehicles on to the villages.
    TOWNSHIP_RELAY = "township-relay"


class Objective(Named):
    """What a solve minimises: metres driven, seconds on the road, or the cost model's yuan."""

    DISTANCE = "distance"
    DURATION = "duration"
    COST = "cost"


class Echelon(Named):
    """What a leg's routes do: deliver to villages in one echelon, or a relay's trunk run to
    the township stations or its local round from one station."""

    DELIVERY = "delivery"
    TRUNK = "trunk"
    LOCAL = "local"
    #: A carrier's vans bringing its parcels from its branch to the hub before the shared
    #: fleet (or the relay trunk) leaves.
    FEEDER = "feeder"


#: The strategies by name, in the order they are compared.
STRATEGIES: tuple[Strategy, ...] = tuple(Strategy)


def _require(condition: bool, field_name: str, problem: str) -> None:
    if not condition:
        raise ModelError(f"{field_name}: {problem}")


def _check_id(value: str, field_name: str = "id") -> None:
    _require(isinstance(value, str) and value.strip() == value and value != "",
             field_name, f"must be a non-empty string without surrounding spaces, got {value!r}")


def _check_window(open_s: int, close_s: int, owner: str) -> None:
    _require(open_s >= 0, f"{owner}.open_s", f"must be >= 0, got {open_s}")
    _require(close_s > open_s, f"{owner}.close_s",
             f"time window closes ({close_s} s) before it opens ({open_s} s)")


def _check_lonlat(lon: float, lat: float, owner: str) -> None:
    _require(np.isfinite(lon) and -180 <= lon <= 180, f"{owner}.lon",
             f"must be a longitude in [-180, 180], got {lon}")
    _require(np.isfinite(lat) and -90 <= lat <= 90, f"{owner}.lat",
             f"must be a latitude in [-90, 90], got {lat}")


@dataclass(frozen=True)
class Depot:
    """A place vehicles start and end at: the county joint distribution centre, a branch or station.

    Coordinates are WGS84 longitude/latitude (EPSG:4326).
    """

    id: str
    name: str
    lon: float
    lat: float
    open_s: int = 0
    close_s: int = 2 * DAY_S

    def __post_init__(self) -> None:
        _check_id(self.id, "depot.id")
        _check_lonlat(self.lon, self.lat, f"depot {self.id}")
        _check_window(self.open_s, self.close_s, f"depot {self.id}")


@dataclass(frozen=True)
class Stop:
    """A village service point with its daily parcels to drop and produce to collect.

    ``parcels_by_carrier`` splits ``parcels`` among courier companies (empty when unknown).
    """

    id: str
    name: str
    lon: float
    lat: float
    parcels: int
    weight_kg: int
    produce_kg: int = 0
    name_en: str = ""
    open_s: int = 0
    close_s: int = 2 * DAY_S
    parcels_by_carrier: Mapping[str, int] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        _check_id(self.id, "stop.id")
        _check_lonlat(self.lon, self.lat, f"stop {self.id}")
        for name in ("parcels", "weight_kg", "produce_kg"):
            value = getattr(self, name)
            whole = isinstance(value, int | np.integer) and bool(value >= 0)
            _require(whole, f"stop {self.id}.{name}",
                     f"must be a whole number >= 0, got {value!r}")
        _check_window(self.open_s, self.close_s, f"stop {self.id}")
        if self.parcels_by_carrier:
            total = sum(self.parcels_by_carrier.values())
            _require(total == self.parcels, f"stop {self.id}.parcels_by_carrier",
                     f"carrier parcels sum to {total} but parcels is {self.parcels}")
        object.__setattr__(self, "parcels_by_carrier", dict(self.parcels_by_carrier))

    @property
    def delivery(self) -> tuple[int, ...]:
        """Load dropped here, one value per :data:`LOAD_DIMENSIONS`."""
        return (self.parcels, self.weight_kg)

    @property
    def pickup(self) -> tuple[int, ...]:
        """Load collected here (farm produce counts only against the kg capacity)."""
        return (0, self.produce_kg)


def has_load(stop: Stop) -> bool:
    """Whether a village has anything to drop or collect today (else no vehicle need call)."""
    return bool(stop.parcels or stop.weight_kg or stop.produce_kg)


@dataclass(frozen=True)
class VehicleType:
    """A kind of vehicle in the fleet and how many of it a depot has.

    ``max_trips`` is how many trips one vehicle may drive in its shift: after each trip it is
    back at its depot, unloads the produce it collected and loads the next trip's parcels (the
    depot's loading time, :attr:`Problem.service_s`, starts every trip). ``max_duration_s`` and
    the shift bound the whole day, from leaving on the first trip to returning from the last.
    """

    id: str
    count: int
    capacity_parcels: int
    capacity_kg: int
    depot: str
    max_duration_s: int = 9 * 3600
    shift_start_s: int = 8 * 3600
    name: str = ""
    kind: str = "van"
    max_speed_kmh: float | None = None
    avoid_roads: tuple[str, ...] = ()
    fixed_cost: float = 0.0
    cost_per_km: float = 0.0
    cost_per_hour: float = 0.0
    co2_g_per_km: float = 0.0
    max_trips: int = 1

    def __post_init__(self) -> None:
        _check_id(self.id, "vehicle_type.id")
        owner = f"vehicle_type {self.id}"
        _check_id(self.kind, f"{owner}.kind")
        _require(self.max_speed_kmh is None or self.max_speed_kmh > 0, f"{owner}.max_speed_kmh",
                 f"must be > 0 km/h, got {self.max_speed_kmh}")
        object.__setattr__(self, "avoid_roads", tuple(sorted(set(self.avoid_roads))))
        _require(self.count >= 1, f"{owner}.count", f"must be >= 1, got {self.count}")
        _require(self.max_trips >= 1, f"{owner}.max_trips",
                 f"must be >= 1, got {self.max_trips}")
        _require(self.capacity_parcels > 0, f"{owner}.capacity_parcels",
                 f"must be > 0, got {self.capacity_parcels}")
        _require(self.capacity_kg > 0, f"{owner}.capacity_kg",
                 f"must be > 0, got {self.capacity_kg}")
        _require(self.max_duration_s > 0, f"{owner}.max_duration_s",
                 f"must be > 0, got {self.max_duration_s}")
        _require(0 <= self.shift_start_s < DAY_S, f"{owner}.shift_start_s",
                 f"must be within a day, got {self.shift_start_s}")
        for name in ("fixed_cost", "cost_per_km", "cost_per_hour", "co2_g_per_km"):
            _require(getattr(self, name) >= 0, f"{owner}.{name}", "must be >= 0")

    @property
    def capacity(self) -> tuple[int, ...]:
        """Capacity per :data:`LOAD_DIMENSIONS`."""
        return (self.capacity_parcels, self.capacity_kg)

    def carries(self, stop: Stop) -> bool:
        """Whether one vehicle of this type can carry ``stop``'s delivery and its pickup."""
        return all(d <= c and p <= c for d, p, c in
                   zip(stop.delivery, stop.pickup, self.capacity, strict=True))

    @property
    def shift_end_s(self) -> int:
        """Latest return to the depot: the shift's start plus its length."""
        return self.shift_start_s + self.max_duration_s

    @property
    def profile(self) -> str:
        """Name of the travel profile (road access and top speed) this type's matrices follow."""
        return travel_profile(self.max_speed_kmh, self.avoid_roads)


#: The profile of vehicles that may use every drivable road at the road's own speed.
DEFAULT_PROFILE = "default"


def travel_profile(max_speed_kmh: float | None, avoid_roads: tuple[str, ...]) -> str:
    """A stable name for a travel profile, e.g. ``"max25-avoid:motorway,trunk"``."""
    parts = []
    if max_speed_kmh is not None:
        parts.append(f"max{max_speed_kmh:g}")
    if avoid_roads:
        parts.append("avoid:" + ",".join(sorted(avoid_roads)))
    return "-".join(parts) or DEFAULT_PROFILE


@dataclass(frozen=True)
class Carrier:
    """A courier company: its share of village parcels, its county branch and its own fleet."""

    id: str
    name: str
    share: float
    depot: str
    vehicles: tuple[str, ...]

    def __post_init__(self) -> None:
        _check_id(self.id, "carrier.id")
        _require(0 < self.share <= 1, f"carrier {self.id}.share",
                 f"must be in (0, 1], got {self.share}")
        _require(len(self.vehicles) >= 1, f"carrier {self.id}.vehicles",
                 "name at least one vehicle type of this carrier's own fleet")


@dataclass(frozen=True)
class Vehicle:
    """One vehicle of a type, with a stable id such as ``light-van-03``."""

    id: str
    type: VehicleType

    @property
    def depot(self) -> str:
        return self.type.depot


def expand_fleet(vehicle_types: tuple[VehicleType, ...]) -> tuple[Vehicle, ...]:
    """One :class:`Vehicle` per unit of each type, numbered from 1 within its type."""
    width = max(2, len(str(max((t.count for t in vehicle_types), default=1))))
    return tuple(
        Vehicle(id=f"{t.id}-{n:0{width}d}", type=t)
        for t in vehicle_types
        for n in range(1, t.count + 1)
    )


def _frozen_matrix(values: np.ndarray, name: str, size: int) -> np.ndarray:
    array = np.array(values, dtype=np.int64, copy=True)
    _require(array.shape == (size, size), name,
             f"must be a {size} x {size} matrix (depots then stops), got {array.shape}")
    _require(bool((array >= 0).all()), name, "must not hold negative values")
    _require(bool((np.diag(array) == 0).all()), name, "must be zero on the diagonal")
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Problem:
    """A solver-independent routing problem: who to visit, with what, at what travel cost.

    Locations are indexed depots first, then stops, in the order given; engines may use those
    indices internally but every result refers to stops and vehicles by id. ``distance_m`` and
    ``duration_s`` are integer matrices over those locations. ``service_s`` is the time spent at
    each location: at a stop, serving it; at a depot, loading a vehicle at the start of each
    trip. ``excluded`` lists stops left out before solving because no road reaches
    them (the geography's verdict, with the reason); a stop too big for every vehicle type stays
    in the problem and is diagnosed as such (:mod:`routing.solving.feasibility`).
    """

    name: str
    depots: tuple[Depot, ...]
    stops: tuple[Stop, ...]
    vehicle_types: tuple[VehicleType, ...]
    distance_m: np.ndarray
    duration_s: np.ndarray
    service_s: np.ndarray
    excluded: Mapping[str, str] = field(default_factory=dict)
    profiles: Mapping[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _require(len(self.depots) >= 1, "depots", "at least one depot is needed")
        _require(len(self.vehicle_types) >= 1, "vehicle_types",
                 "at least one vehicle type is needed")
        ids = [d.id for d in self.depots] + [s.id for s in self.stops]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        _require(not dupes, "id", f"ids must be unique across depots and stops, repeated: {dupes}")
        depot_ids = {d.id for d in self.depots}
        for t in self.vehicle_types:
            _require(t.depot in depot_ids, f"vehicle_type {t.id}.depot",
                     f"unknown depot {t.depot!r}; known: {sorted(depot_ids)}")
        size = len(ids)
        object.__setattr__(self, "distance_m", _frozen_matrix(self.distance_m, "distance_m", size))
        object.__setattr__(self, "duration_s", _frozen_matrix(self.duration_s, "duration_s", size))
        service = np.array(self.service_s, dtype=np.int64, copy=True)
        _require(service.shape == (size,), "service_s", f"must hold {size} values")
        _require(bool((service >= 0).all()), "service_s", "must not hold negative values")
        service.flags.writeable = False
        object.__setattr__(self, "service_s", service)
        object.__setattr__(self, "excluded", dict(self.excluded))
        profiles = {}
        for name, (dist, dur) in self.profiles.items():
            profiles[name] = (_frozen_matrix(dist, f"profiles[{name}].distance_m", size),
                              _frozen_matrix(dur, f"profiles[{name}].duration_s", size))
        for t in self.vehicle_types:
            _require(t.profile == DEFAULT_PROFILE or t.profile in profiles,
                     f"vehicle_type {t.id}.profile", f"no matrices for profile {t.profile!r}")
        object.__setattr__(self, "profiles", profiles)
        stationed = {t.depot for t in self.vehicle_types}
        for depot in self.depots:
            _require(depot.id in stationed, f"depot {depot.id}",
                     "has no vehicles; leave it out of the problem or station a vehicle type there")
        unknown = sorted(set(self.excluded) - {s.id for s in self.stops})
        _require(not unknown, "excluded", f"names stops not in the problem: {unknown}")

    @cached_property
    def vehicles(self) -> tuple[Vehicle, ...]:
        """The fleet, one entry per vehicle, in vehicle-type order."""
        return expand_fleet(self.vehicle_types)

    @cached_property
    def index(self) -> dict[str, int]:
        """Location index (row of the matrices) of every depot and stop id."""
        ids = [d.id for d in self.depots] + [s.id for s in self.stops]
        return {loc_id: i for i, loc_id in enumerate(ids)}

    @cached_property
    def stop_by_id(self) -> dict[str, Stop]:
        return {s.id: s for s in self.stops}

    @cached_property
    def depot_by_id(self) -> dict[str, Depot]:
        return {d.id: d for d in self.depots}

    def matrices_for(self, vehicle_type: VehicleType) -> tuple[np.ndarray, np.ndarray]:
        """The (distance_m, duration_s) matrices a vehicle of ``vehicle_type`` travels by."""
        if vehicle_type.profile == DEFAULT_PROFILE:
            return self.distance_m, self.duration_s
        return self.profiles[vehicle_type.profile]

    @property
    def num_locations(self) -> int:
        return len(self.depots) + len(self.stops)

    def delivery_matrix(self) -> np.ndarray:
        """Per-location delivery load, shape (locations, dimensions); depots carry zero."""
        rows = [(0,) * len(LOAD_DIMENSIONS)] * len(self.depots) + [s.delivery for s in self.stops]
        return np.array(rows, dtype=np.int64)

    def pickup_matrix(self) -> np.ndarray:
        """Per-location pickup load, shape (locations, dimensions); depots carry zero."""
        rows = [(0,) * len(LOAD_DIMENSIONS)] * len(self.depots) + [s.pickup for s in self.stops]
        return np.array(rows, dtype=np.int64)


@dataclass(frozen=True)
class Route:
    """One trip of a vehicle from its depot through stops (by id) and back, as the engine
    reported it.

    ``arrival_s`` holds the arrival time at each stop (seconds since midnight), ``start_s`` and
    ``end_s`` the start of loading at and the return to the depot. ``load`` is what the vehicle
    leaves the depot with per :data:`LOAD_DIMENSIONS`; the produce it collects is unloaded when
    it is back. ``trip`` numbers a vehicle's trips of the day from 1, in the order driven.
    """

    vehicle: str
    vehicle_type: str
    depot: str
    stops: tuple[str, ...]
    arrival_s: tuple[int, ...]
    start_s: int
    end_s: int
    distance_m: int
    load: tuple[int, ...]
    trip: int = 1

    def __post_init__(self) -> None:
        _require(len(self.stops) == len(self.arrival_s), f"route {self.vehicle}.arrival_s",
                 "needs one arrival time per stop")
        _require(self.trip >= 1, f"route {self.vehicle}.trip", f"must be >= 1, got {self.trip}")
        _require(len(self.stops) >= 1, f"route {self.vehicle}.stops",
                 "an empty route is not a route")

    @property
    def duration_s(self) -> int:
        """Time from leaving the depot to coming back, waiting and service included."""
        return self.end_s - self.start_s


class Why(StrEnum):
    """The kind of reason a stop is unserved; the checker verifies each kind independently."""

    #: No drivable road near the village (excluded before solving; the geography's verdict).
    NO_ROAD = "no road"
    #: No vehicle type of the leg can carry its delivery and pickup.
    TOO_BIG = "too big"
    #: No vehicle type that can carry it can reach it and be back within its shift and windows.
    UNREACHABLE = "unreachable"
    #: A lone vehicle could serve it, but every such vehicle is in use and no route has room.
    FLEET_TOO_SMALL = "fleet too small"
    #: Its load never reached the vehicle that would deliver it (an earlier echelon failed).
    UPSTREAM = "upstream"
    #: An engine left it out; not yet diagnosed (never in a checked plan).
    DROPPED = "dropped"


@dataclass(frozen=True)
class Unserved:
    """A stop no route visits, with the kind of reason and a sentence a planner can act on."""

    stop: str
    reason: str
    why: Why = Why.DROPPED


@dataclass(frozen=True)
class Plan:
    """An engine's answer to a :class:`Problem`: routes by vehicle id and unserved stops by id."""

    problem: str
    engine: str
    seed: int
    routes: tuple[Route, ...]
    unserved: tuple[Unserved, ...]
    solve_time_s: float = 0.0
    objective: int = 0
    #: What a planner should know about how the plan was found (e.g. a retried search).
    notes: tuple[str, ...] = ()

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.routes)

    @property
    def duration_s(self) -> int:
        """Working time of every vehicle used, between trips at the depot included."""
        return sum(day.duration_s for day in self.days())

    def trips(self) -> dict[str, tuple[Route, ...]]:
        """Each used vehicle's trips in trip order, by vehicle id (in route order)."""
        out: dict[str, list[Route]] = {}
        for route in self.routes:
            out.setdefault(route.vehicle, []).append(route)
        return {v: tuple(sorted(rs, key=lambda r: r.trip)) for v, rs in out.items()}

    def days(self) -> tuple[VehicleDay, ...]:
        """One entry per vehicle used: its trips and working day (:class:`VehicleDay`)."""
        return tuple(VehicleDay(trips) for trips in self.trips().values())

    def route_of(self) -> dict[str, tuple[Route, int]]:
        """Map each served stop id to its route and 1-based position in it."""
        return {stop: (route, pos) for route in self.routes
                for pos, stop in enumerate(route.stops, start=1)}


@dataclass(frozen=True)
class VehicleDay:
    """One vehicle's working day: its trips in order. A vehicle's fixed cost is charged once
    per day however many trips it drives; its driver works from the first trip's start to the
    last trip's return, time at the depot between trips included."""

    trips: tuple[Route, ...]

    def __post_init__(self) -> None:
        _require(len(self.trips) >= 1, "vehicle_day.trips", "a day needs at least one trip")

    @property
    def vehicle(self) -> str:
        return self.trips[0].vehicle

    @property
    def vehicle_type(self) -> str:
        return self.trips[0].vehicle_type

    @property
    def distance_m(self) -> int:
        return sum(r.distance_m for r in self.trips)

    @property
    def start_s(self) -> int:
        return self.trips[0].start_s

    @property
    def end_s(self) -> int:
        return self.trips[-1].end_s

    @property
    def duration_s(self) -> int:
        """Working time, from the first trip's start to the last trip's return."""
        return self.end_s - self.start_s
