"""The tables of a scenario file (``[network]``, ``[[depots]]``, ``[solver]``, ...): what each
holds and its reader, which names the file and the field it rejects.

:mod:`routing.inputs.scenario` puts the tables together into a
:class:`~routing.inputs.scenario.Scenario` and writes them back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

from geodata import HIGHWAY_CLASSES
from routing.core import Carrier, CostModel, Depot, InputError, Objective, Stop, VehicleType
from routing.inputs.cost_file import load_cost_model, resolve_cost_model, shipped_cost_models
from routing.inputs.files import parse_clock
from routing.inputs.stops_csv import CARRIER_PREFIX, build, read_stations_csv, read_stops_csv
from routing.solving import ENGINES

#: First-solution strategies and metaheuristics the OR-Tools engine accepts by name.
FIRST_SOLUTION_STRATEGIES = (
    "AUTOMATIC", "PATH_CHEAPEST_ARC", "SAVINGS", "PARALLEL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION", "GLOBAL_CHEAPEST_ARC", "CHRISTOFIDES", "SWEEP",
)
METAHEURISTICS = ("GUIDED_LOCAL_SEARCH", "SIMULATED_ANNEALING", "TABU_SEARCH", "GREEDY_DESCENT")


@dataclass(frozen=True)
class NetworkSpec:
    """Where the roads come from, how fast vehicles drive on each class, and the county
    boundary file (:func:`geodata.load_counties`) that lets a multi-depot plan be split by
    county, if the scenario has one."""

    osm: Path
    boundary: Path | None = None
    speeds_kmh: Mapping[str, float] = field(default_factory=dict)
    max_access_m: float = 5_000.0
    counties: Path | None = None


@dataclass(frozen=True)
class ServiceSpec:
    """Time spent at a village service point (a fixed part plus a part per parcel) and at a
    depot at the start of each trip (``load_s``: unload the last trip's produce, load the
    parcels, which the depot's staff have sorted into the vehicle's cages)."""

    per_stop_s: int = 300
    per_parcel_s: int = 10
    load_s: int = 0


@dataclass(frozen=True)
class FeederSpec:
    """How the carriers' vans bring their parcels to the hub before the pooled fleet leaves:
    they leave their branches at ``depart_s`` (default: their type's shift start), and the
    pooled fleet may leave ``sort_s`` after the last of them has arrived (unload and sort)."""

    depart_s: int | None = None
    sort_s: int = 1800


@dataclass(frozen=True)
class SolverSpec:
    """Engine settings; ``solution_limit`` bounds search by work, not time, for reproducibility."""

    engine: str = "auto"
    time_limit_s: float = 30.0
    first_solution: str = "SAVINGS"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    objective: Objective = Objective.DISTANCE
    seed: int = 1
    solution_limit: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", Objective.parse(self.objective, "solver.objective"))


@dataclass(frozen=True)
class FleetSpec:
    """The shared fleet of the consolidated strategy: its depot and vehicle types."""

    depot: str
    vehicles: tuple[str, ...]


@dataclass(frozen=True)
class RelaySpec:
    """The township-relay (two-echelon) strategy: trunk vehicles from the hub to township
    stations, then local vehicles (one type, ``local_per_station`` of them) from each station."""

    hub: str
    trunk_vehicles: tuple[str, ...]
    local_vehicle: str
    local_per_station: int
    stations: tuple[str, ...] = ()
    transfer_s: int = 1200


# --- a typed reader for TOML tables; it names the field it rejects --------------------------

_T = TypeVar("_T")
_D = TypeVar("_D")


class Table:
    """A TOML table read field by field, so unknown and missing fields are reported by name."""

    def __init__(self, file: Path, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise InputError(file, where, f"must be a table, got {type(data).__name__}")
        self.file, self.where, self.data = file, where, data
        self.used: set[str] = set()

    def name(self, key: str) -> str:
        """The field's full name, e.g. ``solver.objective``."""
        return f"{self.where}.{key}" if self.where else key

    @overload
    def get(self, key: str, kind: type[_T]) -> _T: ...

    @overload
    def get(self, key: str, kind: type[_T], default: _D) -> _T | _D: ...

    def get(self, key: str, kind: type[_T], default: object = ...) -> object:
        """The value of ``key``, which must be a ``kind``; ``default`` when missing (if given)."""
        self.used.add(key)
        if key not in self.data:
            if default is ...:
                raise InputError(self.file, self.name(key), "is required but missing")
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            raise InputError(self.file, self.name(key), f"must be {kind.__name__}, got {value!r}")
        return value

    def one_of(self, key: str, allowed: Collection[str], default: str) -> str:
        """A string field that must be one of ``allowed``."""
        value = self.get(key, str, default)
        if value not in allowed:
            raise InputError(self.file, self.name(key),
                             f"{value!r} is not one of {', '.join(allowed)}")
        return value

    def clock(self, key: str, default: str) -> int:
        """A time of day as ``"HH:MM"`` -> seconds since midnight (``"24:00"`` allowed)."""
        return parse_clock(self.file, self.name(key), self.get(key, str, default), 0)

    def strings(self, key: str) -> list[str]:
        """A list of strings, empty when missing."""
        values = self.get(key, list, [])
        if not all(isinstance(v, str) for v in values):
            raise InputError(self.file, self.name(key),
                             f"must be a list of strings, got {values!r}")
        return values

    def done(self) -> None:
        """Reject any field this table's reader did not ask for."""
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            known = ", ".join(sorted(self.used))
            raise InputError(self.file, self.name(unknown[0]),
                             f"unknown field (known fields here: {known})")


def relative(base: Path, value: str) -> Path:
    """A path from a file, taken relative to the file's folder ``base`` unless absolute."""
    path = Path(value)
    return path if path.is_absolute() else (base / path)


def _existing(file: Path, where: str, path: Path) -> Path:
    if not path.is_file():
        raise InputError(file, where, f"file not found: {path}")
    return path


def _road_classes(t: Table, key: str) -> list[str]:
    values = t.strings(key)
    unknown = [v for v in values if v not in HIGHWAY_CLASSES]
    if unknown:
        raise InputError(t.file, t.name(key), f"unknown OSM highway class {unknown[0]!r} "
                         f"(known: {', '.join(HIGHWAY_CLASSES)})")
    return values


def _check_unique(file: Path, where: str, ids: list[str]) -> None:
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InputError(file, where, f"ids must be unique, repeated: {', '.join(repeated)}")


def _check_refs(file: Path, where: str, values: Iterable[str], known: Collection[str]) -> None:
    for value in values:
        if value not in known:
            raise InputError(file, where, f"unknown id {value!r}; known: "
                             f"{', '.join(sorted(known))}")


# --- the tables -------------------------------------------------------------------------------


def read_network(file: Path, base: Path, data: dict[str, Any]) -> NetworkSpec:
    """``[network]``: the OSM file (and optional boundary and county boundaries), road speeds and
    the access limit."""
    net = Table(file, "network", data)
    speeds = net.get("speeds_kmh", dict, {})
    for road_class, speed in speeds.items():
        if not isinstance(speed, int | float) or isinstance(speed, bool) or speed <= 0:
            raise InputError(file, f"network.speeds_kmh.{road_class}",
                             f"must be a speed > 0 in km/h, got {speed!r}")
    boundary = net.get("boundary", str, "")
    counties = net.get("counties", str, "")
    network = NetworkSpec(
        osm=_existing(file, "network.osm", relative(base, net.get("osm", str))),
        boundary=(_existing(file, "network.boundary", relative(base, boundary))
                  if boundary else None),
        speeds_kmh={k: float(v) for k, v in speeds.items()},
        max_access_m=net.get("max_access_m", float, 5_000.0),
        counties=(_existing(file, "network.counties", relative(base, counties))
                  if counties else None),
    )
    net.done()
    unknown_roads = sorted(set(speeds) - set(HIGHWAY_CLASSES))
    if unknown_roads:
        raise InputError(file, f"network.speeds_kmh.{unknown_roads[0]}",
                         f"unknown OSM highway class (known: {', '.join(HIGHWAY_CLASSES)})")
    if network.max_access_m <= 0:
        raise InputError(file, "network.max_access_m", "must be > 0 metres")
    return network


def _read_depot(file: Path, where: str, data: Any) -> Depot:
    t = Table(file, where, data)
    depot = build(file, where, Depot, id=t.get("id", str), name=t.get("name", str, ""),
                  lon=t.get("lon", float), lat=t.get("lat", float),
                  open_s=t.clock("open", "00:00"), close_s=t.clock("close", "48:00"))
    t.done()
    return depot


def read_depots(file: Path, data: list[Any]) -> tuple[Depot, ...]:
    """``[[depots]]``: at least one depot."""
    if not data:
        raise InputError(file, "depots", "at least one [[depots]] entry is needed")
    return tuple(_read_depot(file, f"depots[{i}]", d) for i, d in enumerate(data))


def read_stops_table(file: Path, base: Path, data: dict[str, Any]
                     ) -> tuple[Path, tuple[Stop, ...], tuple[Depot, ...]]:
    """``[stops]``: the stops CSV's path and its stops, and the township stations CSV's."""
    stops_table = Table(file, "stops", data)
    stops_path = relative(base, stops_table.get("file", str))
    stations_file = stops_table.get("stations", str, "")
    stops_table.done()
    stops = read_stops_csv(_existing(file, "stops.file", stops_path))
    stations: tuple[Depot, ...] = ()
    if stations_file:
        stations = read_stations_csv(_existing(file, "stops.stations",
                                               relative(base, stations_file)))
    return stops_path, stops, stations


def _read_vehicle_type(file: Path, where: str, data: Any, default_depot: str) -> VehicleType:
    t = Table(file, where, data)
    hours = t.get("max_shift_h", float, 9.0)
    if not 0 < hours <= 24:
        raise InputError(file, f"{where}.max_shift_h", f"must be within (0, 24] hours, got {hours}")
    vt = build(
        file, where, VehicleType,
        id=t.get("id", str), name=t.get("name", str, ""), depot=t.get("depot", str, default_depot),
        count=t.get("count", int), capacity_parcels=t.get("capacity_parcels", int),
        capacity_kg=t.get("capacity_kg", int), shift_start_s=t.clock("shift_start", "08:00"),
        max_duration_s=round(hours * 3600), kind=t.get("kind", str, "van"),
        max_speed_kmh=t.get("max_speed_kmh", float, None),
        avoid_roads=tuple(_road_classes(t, "avoid_roads")),
        max_trips=t.get("max_trips", int, 1),
    )
    t.done()
    return vt


def read_vehicle_types(file: Path, data: list[Any], default_depot: str
                       ) -> tuple[VehicleType, ...]:
    """``[[vehicle_types]]``: at least one vehicle type, by default at ``default_depot``."""
    if not data:
        raise InputError(file, "vehicle_types", "at least one [[vehicle_types]] entry is needed")
    return tuple(_read_vehicle_type(file, f"vehicle_types[{i}]", v, default_depot)
                 for i, v in enumerate(data))


def check_ids(file: Path, depots: tuple[Depot, ...], stations: tuple[Depot, ...],
              stops: tuple[Stop, ...], vehicle_types: tuple[VehicleType, ...]) -> None:
    """Ids are unique across depots, stations and stops, and vehicle types name known depots."""
    _check_unique(file, "vehicle_types.id", [vt.id for vt in vehicle_types])
    _check_unique(file, "depots.id", [d.id for d in depots])
    places = {d.id: "depots" for d in depots}
    items: tuple[Depot | Stop, ...]
    for kind, items in (("stations", stations), ("stops", stops)):
        for item in items:
            if item.id in places:
                raise InputError(file, f"{kind}.id", f"id {item.id!r} is used by both "
                                 f"{places[item.id]} and {kind}; ids must be unique")
            places[item.id] = kind
    depot_ids = {d.id for d in depots}
    for i, vt in enumerate(vehicle_types):
        if vt.depot not in depot_ids:
            raise InputError(file, f"vehicle_types[{i}].depot",
                             f"unknown depot {vt.depot!r}; known: {', '.join(sorted(depot_ids))}")


def check_fits(file: Path, stops_path: Path, stops: tuple[Stop, ...],
               vehicle_types: tuple[VehicleType, ...]) -> None:
    """Reject a stop no plan could serve even with its load split across visits: one of its
    parcels weighs, on average, more than any vehicle carries. Bigger loads are split
    (:func:`routing.core.split_stop`)."""
    max_kg = max(v.capacity_kg for v in vehicle_types)
    for stop in stops:
        if stop.parcels and stop.weight_kg > max_kg * stop.parcels:
            raise InputError(stops_path, f"stop {stop.id} weight_kg",
                             f"its {stop.parcels} parcels weigh {stop.weight_kg} kg, "
                             f"{stop.weight_kg / stop.parcels:.0f} kg each on average, more "
                             f"than any vehicle carries ({max_kg} kg), so no split of its load "
                             f"fits; check the weight or add a bigger vehicle type in "
                             f"{file.name}")


def read_service(file: Path, data: dict[str, Any]) -> ServiceSpec:
    """``[service]``: seconds per stop, per parcel and per trip's loading, all >= 0."""
    svc = Table(file, "service", data)
    service = ServiceSpec(per_stop_s=svc.get("per_stop_s", int, 300),
                          per_parcel_s=svc.get("per_parcel_s", int, 10),
                          load_s=svc.get("load_s", int, 0))
    svc.done()
    for name in ("per_stop_s", "per_parcel_s", "load_s"):
        value = getattr(service, name)
        if value < 0:
            raise InputError(file, f"service.{name}", f"must be >= 0 seconds, got {value}")
    return service


def read_feeders(file: Path, data: dict[str, Any]) -> FeederSpec:
    """``[feeders]``: when the carriers' vans leave for the hub, how long sorting takes there."""
    t = Table(file, "feeders", data)
    depart = t.clock("depart", "00:00") if "depart" in data else None
    spec = FeederSpec(depart_s=depart, sort_s=t.get("sort_s", int, 1800))
    t.done()
    if spec.sort_s < 0:
        raise InputError(file, "feeders.sort_s", f"must be >= 0 seconds, got {spec.sort_s}")
    return spec


def read_solver(file: Path, data: Any) -> SolverSpec:
    """``[solver]``: engine, time limit, OR-Tools search, objective, seed, solution limit."""
    t = Table(file, "solver", data)
    spec = SolverSpec(
        engine=t.one_of("engine", sorted(ENGINES), "auto"),
        time_limit_s=t.get("time_limit_s", float, 30.0),
        first_solution=t.one_of("first_solution", FIRST_SOLUTION_STRATEGIES, "SAVINGS"),
        metaheuristic=t.one_of("metaheuristic", METAHEURISTICS, "GUIDED_LOCAL_SEARCH"),
        objective=Objective(t.one_of("objective", Objective.values(), Objective.DISTANCE)),
        seed=t.get("seed", int, 1),
        solution_limit=t.get("solution_limit", int, None),
    )
    t.done()
    if spec.time_limit_s <= 0:
        raise InputError(file, "solver.time_limit_s", "must be > 0 seconds")
    if spec.solution_limit is not None and spec.solution_limit < 1:
        raise InputError(file, "solver.solution_limit", "must be >= 1 (or left out)")
    return spec


def read_consolidated(file: Path, data: dict[str, Any], depot_ids: set[str],
                      known_types: dict[str, VehicleType]) -> FleetSpec:
    """``[consolidated]``: the shared fleet, with a vehicle at the hub it names."""
    c = Table(file, "consolidated", data)
    consolidated = FleetSpec(depot=c.get("depot", str), vehicles=tuple(c.strings("vehicles")))
    c.done()
    _check_refs(file, "consolidated.depot", [consolidated.depot], depot_ids)
    _check_refs(file, "consolidated.vehicles", consolidated.vehicles, known_types)
    if all(known_types[v].depot != consolidated.depot for v in consolidated.vehicles):
        raise InputError(file, "consolidated.depot", f"no vehicle of the shared fleet is "
                         f"stationed at {consolidated.depot}, the hub carriers bring "
                         f"parcels to")
    return consolidated


def read_costs(file: Path, base: Path, data: dict[str, Any],
               vehicle_types: tuple[VehicleType, ...]) -> CostModel:
    """``[costs]``: the cost model, which must have rates for every vehicle kind."""
    c = Table(file, "costs", data)
    model_path = resolve_cost_model(c.get("model", str), base=base)
    if not model_path.is_file():
        raise InputError(file, "costs.model", f"cost model not found: {model_path} (shipped "
                         f"models: {', '.join(shipped_cost_models())})")
    c.done()
    cost_model = load_cost_model(model_path)
    for i, vt in enumerate(vehicle_types):
        if vt.kind not in cost_model.rates:
            raise InputError(file, f"vehicle_types[{i}].kind",
                             f"{vt.kind!r} has no rates in cost model {model_path.name}; "
                             f"known kinds: {', '.join(sorted(cost_model.rates))}")
    return cost_model


def _read_carrier(file: Path, where: str, entry: Any, depot_ids: set[str],
                  known_types: dict[str, VehicleType]) -> Carrier:
    t = Table(file, where, entry)
    carrier = build(file, where, Carrier, id=t.get("id", str), name=t.get("name", str, ""),
                    share=t.get("share", float), depot=t.get("depot", str),
                    vehicles=tuple(t.strings("vehicles")))
    t.done()
    _check_refs(file, f"{where}.depot", [carrier.depot], depot_ids)
    _check_refs(file, f"{where}.vehicles", carrier.vehicles, known_types)
    for vid in carrier.vehicles:
        if known_types[vid].depot != carrier.depot:
            raise InputError(file, f"{where}.vehicles",
                             f"vehicle type {vid} is stationed at {known_types[vid].depot}, "
                             f"not at the carrier's depot {carrier.depot}")
    return carrier


def read_carriers(file: Path, data: list[Any], depot_ids: set[str],
                  known_types: dict[str, VehicleType]) -> tuple[Carrier, ...]:
    """``[[carriers]]``: each with its depot and own vehicles; shares sum to 1."""
    carriers = tuple(_read_carrier(file, f"carriers[{i}]", entry, depot_ids, known_types)
                     for i, entry in enumerate(data))
    if carriers:
        total = sum(c.share for c in carriers)
        if abs(total - 1) > 1e-6:
            raise InputError(file, "carriers.share",
                             f"carrier shares sum to {total:g}; they must sum to 1")
    return carriers


def check_carrier_columns(stops_path: Path, stops: Sequence[Stop],
                          carriers: Sequence[Carrier]) -> None:
    """Every carrier needs its parcels column, so each carrier's own routes can be planned."""
    if not carriers:
        return
    for stop in stops:
        missing = [c.id for c in carriers if c.id not in stop.parcels_by_carrier]
        if missing:
            raise InputError(stops_path, f"{CARRIER_PREFIX}{missing[0]}",
                             f"column missing for carrier {missing[0]}: add a "
                             f"{CARRIER_PREFIX}<carrier> column per carrier")
        unknown = sorted(set(stop.parcels_by_carrier) - {c.id for c in carriers})
        if unknown:
            raise InputError(stops_path, f"{CARRIER_PREFIX}{unknown[0]}",
                             f"no carrier {unknown[0]!r} in the scenario's [[carriers]]")


def read_relay(file: Path, data: Any, depot_ids: set[str], known_types: dict[str, VehicleType],
               stations: tuple[Depot, ...]) -> RelaySpec:
    """``[relay]``: the hub with its trunk vehicles, the local vehicle, the stations used."""
    t = Table(file, "relay", data)
    relay = RelaySpec(hub=t.get("hub", str), trunk_vehicles=tuple(t.strings("trunk_vehicles")),
                      local_vehicle=t.get("local_vehicle", str),
                      local_per_station=t.get("local_per_station", int),
                      stations=tuple(t.strings("stations")),
                      transfer_s=t.get("transfer_s", int, 1200))
    t.done()
    _check_refs(file, "relay.hub", [relay.hub], depot_ids)
    _check_refs(file, "relay.trunk_vehicles", relay.trunk_vehicles, known_types)
    away = [v for v in relay.trunk_vehicles if known_types[v].depot != relay.hub]
    if away:
        raise InputError(file, "relay.trunk_vehicles", f"trunk vehicle type {away[0]} is "
                         f"stationed at {known_types[away[0]].depot}, not at the hub {relay.hub}")
    if relay.transfer_s < 0:
        raise InputError(file, "relay.transfer_s", "must be >= 0 seconds")
    _check_refs(file, "relay.local_vehicle", [relay.local_vehicle], known_types)
    if not stations:
        raise InputError(file, "relay", "needs township stations: set stops.stations to a CSV")
    _check_refs(file, "relay.stations", relay.stations, {s.id for s in stations})
    if relay.local_per_station < 1:
        raise InputError(file, "relay.local_per_station", "must be >= 1")
    return relay
