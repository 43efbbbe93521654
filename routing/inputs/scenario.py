"""Read a scenario file (TOML) and its stops CSV into a frozen, validated :class:`Scenario`.

This is the only module that parses scenario files. Every error names the file and the field,
so ``ruralroute`` can print one line and exit with code 2.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

from geodata import HIGHWAY_CLASSES
from routing.core import Carrier, CostModel, Depot, InputError, ModelError, Stop, VehicleType
from routing.inputs.cost_file import load_cost_model, resolve_cost_model, shipped_cost_models
from routing.inputs.files import read_toml
from routing.solving import fits

#: First-solution strategies and metaheuristics the OR-Tools engine accepts by name.
FIRST_SOLUTION_STRATEGIES = (
    "AUTOMATIC", "PATH_CHEAPEST_ARC", "SAVINGS", "PARALLEL_CHEAPEST_INSERTION",
    "LOCAL_CHEAPEST_INSERTION", "GLOBAL_CHEAPEST_ARC", "CHRISTOFIDES", "SWEEP",
)
METAHEURISTICS = ("GUIDED_LOCAL_SEARCH", "SIMULATED_ANNEALING", "TABU_SEARCH", "GREEDY_DESCENT")
OBJECTIVES = ("distance", "duration", "cost")
TOP_LEVEL_FIELDS = frozenset({"name", "title", "network", "stops", "depots", "vehicle_types",
                              "carriers", "consolidated", "relay", "costs", "service", "solver"})


@dataclass(frozen=True)
class NetworkSpec:
    """Where the roads come from and how fast vehicles drive on each class."""

    osm: Path
    boundary: Path | None = None
    speeds_kmh: Mapping[str, float] = field(default_factory=dict)
    max_access_m: float = 5_000.0


@dataclass(frozen=True)
class ServiceSpec:
    """Time spent at a village service point: a fixed part plus a part per parcel."""

    per_stop_s: int = 300
    per_parcel_s: int = 10


@dataclass(frozen=True)
class SolverSpec:
    """Engine settings; ``solution_limit`` bounds search by work, not time, for reproducibility."""

    engine: str = "ortools"
    time_limit_s: float = 30.0
    first_solution: str = "SAVINGS"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    objective: str = "distance"
    seed: int = 1
    solution_limit: int | None = None


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


@dataclass(frozen=True)
class Scenario:
    """Everything needed to plan one county day: roads, depots, stops, fleet and solver settings."""

    name: str
    title: str
    path: Path
    network: NetworkSpec
    depots: tuple[Depot, ...]
    stops: tuple[Stop, ...]
    vehicle_types: tuple[VehicleType, ...]
    stations: tuple[Depot, ...] = ()
    service: ServiceSpec = ServiceSpec()
    solver: SolverSpec = SolverSpec()
    carriers: tuple[Carrier, ...] = ()
    consolidated: FleetSpec | None = None
    relay: RelaySpec | None = None
    cost_model: CostModel | None = None

    @property
    def vehicle_type_by_id(self) -> dict[str, VehicleType]:
        return {vt.id: vt for vt in self.vehicle_types}

    def shared_fleet(self) -> FleetSpec:
        """The consolidated fleet: as configured, else every vehicle type (at any depot) that no
        carrier or relay echelon claims, with the first depot as the hub carriers feed."""
        if self.consolidated is not None:
            return self.consolidated
        claimed = {v for c in self.carriers for v in c.vehicles}
        if self.relay is not None:
            claimed |= {*self.relay.trunk_vehicles, self.relay.local_vehicle}
        return FleetSpec(self.depots[0].id, tuple(vt.id for vt in self.vehicle_types
                                                  if vt.id not in claimed))

    def depots_of(self, vehicle_ids: tuple[str, ...]) -> tuple[Depot, ...]:
        """The depots these vehicle types start from, in the scenario's depot order."""
        used = {self.vehicle_type_by_id[v].depot for v in vehicle_ids}
        return tuple(d for d in self.depots if d.id in used)


# --- small typed readers for TOML tables; each names the field it rejects -------------------

_T = TypeVar("_T")
_D = TypeVar("_D")


class _Table:
    """A TOML table read field by field, so unknown and missing fields are reported by name."""

    def __init__(self, file: Path, where: str, data: Any) -> None:
        if not isinstance(data, dict):
            raise InputError(file, where, f"must be a table, got {type(data).__name__}")
        self.file, self.where, self.data = file, where, data
        self.used: set[str] = set()

    def _name(self, key: str) -> str:
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
                raise InputError(self.file, self._name(key), "is required but missing")
            return default
        value = self.data[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
            raise InputError(self.file, self._name(key), f"must be {kind.__name__}, got {value!r}")
        return value

    def clock(self, key: str, default: str) -> int:
        """A time of day as ``"HH:MM"`` -> seconds since midnight (``"24:00"`` allowed)."""
        return _parse_clock(self.file, self._name(key), self.get(key, str, default), 0)

    def done(self) -> None:
        unknown = sorted(set(self.data) - self.used)
        if unknown:
            known = ", ".join(sorted(self.used))
            raise InputError(self.file, self._name(unknown[0]),
                             f"unknown field (known fields here: {known})")


def _relative(base: Path, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else (base / path)


def _existing(file: Path, where: str, path: Path) -> Path:
    if not path.is_file():
        raise InputError(file, where, f"file not found: {path}")
    return path


def _build(file: Path, where: str, factory: Callable[..., _T], **kwargs: object) -> _T:
    """Construct a domain object, turning its validation error into one naming the file."""
    try:
        return factory(**kwargs)
    except ModelError as exc:
        raise InputError(file, where, str(exc)) from None


def _read_depot(file: Path, where: str, data: Any) -> Depot:
    t = _Table(file, where, data)
    depot = _build(file, where, Depot, id=t.get("id", str), name=t.get("name", str, ""),
                   lon=t.get("lon", float), lat=t.get("lat", float),
                   open_s=t.clock("open", "00:00"), close_s=t.clock("close", "48:00"))
    t.done()
    return depot


def _read_vehicle_type(file: Path, where: str, data: Any, default_depot: str) -> VehicleType:
    t = _Table(file, where, data)
    hours = t.get("max_shift_h", float, 9.0)
    if not 0 < hours <= 24:
        raise InputError(file, f"{where}.max_shift_h", f"must be within (0, 24] hours, got {hours}")
    vt = _build(
        file, where, VehicleType,
        id=t.get("id", str), name=t.get("name", str, ""), depot=t.get("depot", str, default_depot),
        count=t.get("count", int), capacity_parcels=t.get("capacity_parcels", int),
        capacity_kg=t.get("capacity_kg", int), shift_start_s=t.clock("shift_start", "08:00"),
        max_duration_s=round(hours * 3600), kind=t.get("kind", str, "van"),
        max_speed_kmh=t.get("max_speed_kmh", float, None),
        avoid_roads=tuple(_road_classes(t, "avoid_roads")),
    )
    t.done()
    return vt


def _strings(t: _Table, key: str) -> list[str]:
    values = t.get(key, list, [])
    if not all(isinstance(v, str) for v in values):
        raise InputError(t.file, t._name(key), f"must be a list of strings, got {values!r}")
    return values


def _road_classes(t: _Table, key: str) -> list[str]:
    values = _strings(t, key)
    unknown = [v for v in values if v not in HIGHWAY_CLASSES]
    if unknown:
        raise InputError(t.file, t._name(key), f"unknown OSM highway class {unknown[0]!r} "
                         f"(known: {', '.join(HIGHWAY_CLASSES)})")
    return values


#: Characters ruralroute uses inside derived ids (``t123#2`` for a split load, ``v1@leg``).
RESERVED_ID_CHARACTERS = ("#", "@")

STOP_COLUMNS = ("id", "name", "name_en", "lon", "lat", "parcels", "weight_kg", "produce_kg",
                "open", "close")
_REQUIRED_STOP_COLUMNS = ("id", "lon", "lat", "parcels", "weight_kg")
CARRIER_PREFIX = "parcels_"


def _parse_clock(file: Path, field_name: str, text: str, default: int) -> int:
    """``"HH:MM"`` -> seconds since midnight (up to ``"48:00"``: the next day's hours)."""
    if not text:
        return default
    try:
        hours, minutes = (int(part) for part in text.split(":"))
    except ValueError:
        raise InputError(file, field_name, f"must be a time like \"08:30\", got {text!r}") from None
    if not (0 <= hours <= 48 and 0 <= minutes < 60):
        raise InputError(file, field_name, f"is not a time of day: {text!r}")
    return hours * 3600 + minutes * 60


def _parse_number(file: Path, field_name: str, text: str, *, whole: bool) -> float:
    if text is None or text.strip() == "":
        raise InputError(file, field_name, "is empty; fill in a value")
    try:
        value = float(text)
    except ValueError:
        raise InputError(file, field_name, f"is not a number: {text!r}") from None
    if not math.isfinite(value):
        raise InputError(file, field_name, f"is not a finite number: {text!r}")
    if whole and value != int(value):
        raise InputError(file, field_name, f"must be a whole number, got {text!r}")
    return value


def _read_csv(path: Path) -> tuple[tuple[str, ...], list[dict[str, str]]]:
    """The header and rows of a UTF-8 CSV file; a row with more values than the header is an
    error, not silently cut."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = tuple(reader.fieldnames or ())
            rows = list(reader)
    except FileNotFoundError:
        raise InputError(path, "file", "file not found") from None
    except UnicodeDecodeError:
        raise InputError(path, "file", "is not UTF-8 text; save the CSV as UTF-8") from None
    for line, row in enumerate(rows, start=2):
        if None in row:
            raise InputError(path, f"line {line}", f"has more values than the header's "
                             f"{len(header)} columns")
    return header, rows


def read_stops_csv(path: Path) -> tuple[Stop, ...]:
    """Read village service points from a CSV file (UTF-8, header row).

    Columns: ``id, lon, lat, parcels, weight_kg`` are required; ``name, name_en, produce_kg,
    open, close`` are optional; any ``parcels_<carrier>`` columns split the parcels by carrier.
    """
    header, rows = _read_csv(path)
    missing = [c for c in _REQUIRED_STOP_COLUMNS if c not in header]
    if missing:
        raise InputError(path, missing[0], "column is missing from the header row")
    carriers = [c for c in header if c.startswith(CARRIER_PREFIX)]
    unknown = [c for c in header if c not in STOP_COLUMNS and c not in carriers]
    if unknown:
        raise InputError(path, unknown[0],
                         f"unknown column (known: {', '.join(STOP_COLUMNS)}, parcels_<carrier>)")
    stops: list[Stop] = []
    for line, row in enumerate(rows, start=2):
        where = f"line {line}"
        for col in ("lon", "lat"):
            if not (row.get(col) or "").strip():
                raise InputError(path, f"{where} {col}",
                                 f"stop {row.get('id', '?')!r} has no coordinates; fill in {col}")

        def num(col: str, where: str = where, row: dict[str, str] = row) -> float:
            return _parse_number(path, f"{where} {col}", row[col], whole=col not in ("lon", "lat"))

        split = {c[len(CARRIER_PREFIX):]: int(num(c)) for c in carriers if (row[c] or "").strip()}
        stop = _build(
            path, where, Stop, id=(row["id"] or "").strip(), name=row.get("name") or "",
            name_en=row.get("name_en") or "", lon=num("lon"), lat=num("lat"),
            parcels=int(num("parcels")), weight_kg=int(num("weight_kg")),
            produce_kg=int(num("produce_kg")) if (row.get("produce_kg") or "").strip() else 0,
            open_s=_parse_clock(path, f"{where} open", row.get("open") or "", 0),
            close_s=_parse_clock(path, f"{where} close", row.get("close") or "", 48 * 3600),
            parcels_by_carrier=split,
        )
        stops.append(stop)
    ids = [s.id for s in stops]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise InputError(path, "id", f"stop ids must be unique, repeated: {', '.join(dupes)}")
    reserved = [s.id for s in stops if set(s.id) & set(RESERVED_ID_CHARACTERS)]
    if reserved:
        raise InputError(path, "id", f"stop id {reserved[0]!r} uses a reserved character "
                         f"({' '.join(RESERVED_ID_CHARACTERS)}); rename it")
    if not stops:
        raise InputError(path, "rows", "no stops; add at least one village")
    return tuple(stops)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML file and the files it names into a validated :class:`Scenario`.

    Relative paths in the file are taken relative to the file's folder.
    """
    file, data = read_toml(path, what="scenario")
    base = file.parent
    unknown = sorted(set(data) - TOP_LEVEL_FIELDS)
    if unknown:
        raise InputError(file, unknown[0], f"unknown field (known: "
                         f"{', '.join(sorted(TOP_LEVEL_FIELDS))})")
    top = _Table(file, "", data)
    name = top.get("name", str)
    title = top.get("title", str, name)
    network = _read_network(file, base, top.get("network", dict))
    depots = _read_depots(file, top.get("depots", list))
    stops_path, stops, stations = _read_stops_table(file, base, top.get("stops", dict))
    vehicle_types = _read_vehicle_types(file, top.get("vehicle_types", list), depots[0].id)
    _check_ids(file, depots, stations, stops, vehicle_types)
    _check_fits(file, stops_path, stops, vehicle_types)
    service = _read_service(file, top.get("service", dict, {}))
    solver = _read_solver(file, top.get("solver", dict, {}))
    depot_ids = {d.id for d in depots}
    known_types = {vt.id: vt for vt in vehicle_types}
    carriers = _read_carriers(file, top.get("carriers", list, []), depot_ids, known_types)
    _check_carrier_columns(stops_path, stops, carriers)
    consolidated = None
    if "consolidated" in data:
        consolidated = _read_consolidated(file, top.get("consolidated", dict), depot_ids,
                                          known_types)
    relay = None
    if "relay" in data:
        relay = _read_relay(file, top.get("relay", dict), depot_ids, known_types, stations)
    cost_model = None
    if "costs" in data:
        cost_model = _read_costs(file, base, top.get("costs", dict), vehicle_types)
    if solver.objective == "cost" and cost_model is None:
        raise InputError(file, "solver.objective",
                         "\"cost\" needs a [costs] model = \"...toml\" to price vehicles")
    top.done()
    return Scenario(name=name, title=title, path=file, network=network, depots=depots,
                    stops=stops, vehicle_types=vehicle_types, stations=stations,
                    service=service, solver=solver, carriers=carriers,
                    consolidated=consolidated, relay=relay, cost_model=cost_model)


def _read_network(file: Path, base: Path, data: dict[str, Any]) -> NetworkSpec:
    """``[network]``: the OSM file (and optional boundary), road speeds and the access limit."""
    net = _Table(file, "network", data)
    speeds = net.get("speeds_kmh", dict, {})
    for road_class, speed in speeds.items():
        if not isinstance(speed, int | float) or isinstance(speed, bool) or speed <= 0:
            raise InputError(file, f"network.speeds_kmh.{road_class}",
                             f"must be a speed > 0 in km/h, got {speed!r}")
    boundary = net.get("boundary", str, "")
    network = NetworkSpec(
        osm=_existing(file, "network.osm", _relative(base, net.get("osm", str))),
        boundary=(_existing(file, "network.boundary", _relative(base, boundary))
                  if boundary else None),
        speeds_kmh={k: float(v) for k, v in speeds.items()},
        max_access_m=net.get("max_access_m", float, 5_000.0),
    )
    net.done()
    unknown_roads = sorted(set(speeds) - set(HIGHWAY_CLASSES))
    if unknown_roads:
        raise InputError(file, f"network.speeds_kmh.{unknown_roads[0]}",
                         f"unknown OSM highway class (known: {', '.join(HIGHWAY_CLASSES)})")
    if network.max_access_m <= 0:
        raise InputError(file, "network.max_access_m", "must be > 0 metres")
    return network


def _read_depots(file: Path, data: list[Any]) -> tuple[Depot, ...]:
    """``[[depots]]``: at least one depot."""
    if not data:
        raise InputError(file, "depots", "at least one [[depots]] entry is needed")
    return tuple(_read_depot(file, f"depots[{i}]", d) for i, d in enumerate(data))


def _read_stops_table(file: Path, base: Path, data: dict[str, Any]
                      ) -> tuple[Path, tuple[Stop, ...], tuple[Depot, ...]]:
    """``[stops]``: the stops CSV's path and its stops, and the township stations CSV's."""
    stops_table = _Table(file, "stops", data)
    stops_path = _relative(base, stops_table.get("file", str))
    stations_file = stops_table.get("stations", str, "")
    stops_table.done()
    stops = read_stops_csv(_existing(file, "stops.file", stops_path))
    stations = _read_stations(file, _relative(base, stations_file)) if stations_file else ()
    return stops_path, stops, stations


def _read_vehicle_types(file: Path, data: list[Any], default_depot: str
                        ) -> tuple[VehicleType, ...]:
    """``[[vehicle_types]]``: at least one vehicle type, by default at ``default_depot``."""
    if not data:
        raise InputError(file, "vehicle_types", "at least one [[vehicle_types]] entry is needed")
    return tuple(_read_vehicle_type(file, f"vehicle_types[{i}]", v, default_depot)
                 for i, v in enumerate(data))


def _check_ids(file: Path, depots: tuple[Depot, ...], stations: tuple[Depot, ...],
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


def _read_service(file: Path, data: dict[str, Any]) -> ServiceSpec:
    """``[service]``: seconds per stop and per parcel, both >= 0."""
    svc = _Table(file, "service", data)
    service = ServiceSpec(per_stop_s=svc.get("per_stop_s", int, 300),
                          per_parcel_s=svc.get("per_parcel_s", int, 10))
    svc.done()
    if service.per_stop_s < 0 or service.per_parcel_s < 0:
        raise InputError(file, "service", "service times must be >= 0 seconds")
    return service


def _read_consolidated(file: Path, data: dict[str, Any], depot_ids: set[str],
                       known_types: dict[str, VehicleType]) -> FleetSpec:
    """``[consolidated]``: the shared fleet, with a vehicle at the hub it names."""
    c = _Table(file, "consolidated", data)
    consolidated = FleetSpec(depot=c.get("depot", str), vehicles=tuple(_strings(c, "vehicles")))
    c.done()
    _check_refs(file, "consolidated.depot", [consolidated.depot], depot_ids)
    _check_refs(file, "consolidated.vehicles", consolidated.vehicles, known_types)
    if all(known_types[v].depot != consolidated.depot for v in consolidated.vehicles):
        raise InputError(file, "consolidated.depot", f"no vehicle of the shared fleet is "
                         f"stationed at {consolidated.depot}, the hub carriers bring "
                         f"parcels to")
    return consolidated


def _read_costs(file: Path, base: Path, data: dict[str, Any],
                vehicle_types: tuple[VehicleType, ...]) -> CostModel:
    """``[costs]``: the cost model, which must have rates for every vehicle kind."""
    c = _Table(file, "costs", data)
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


def _check_unique(file: Path, where: str, ids: list[str]) -> None:
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InputError(file, where, f"ids must be unique, repeated: {', '.join(repeated)}")


def _check_refs(file: Path, where: str, values: Any, known: Any) -> None:
    for value in values:
        if value not in known:
            raise InputError(file, where, f"unknown id {value!r}; known: "
                             f"{', '.join(sorted(known))}")


def _read_carriers(file: Path, data: list[Any], depot_ids: set[str],
                   known_types: dict[str, VehicleType]) -> tuple[Carrier, ...]:
    carriers = []
    for i, entry in enumerate(data):
        where = f"carriers[{i}]"
        t = _Table(file, where, entry)
        carrier = _build(file, where, Carrier, id=t.get("id", str), name=t.get("name", str, ""),
                         share=t.get("share", float), depot=t.get("depot", str),
                         vehicles=tuple(_strings(t, "vehicles")))
        t.done()
        _check_refs(file, f"{where}.depot", [carrier.depot], depot_ids)
        _check_refs(file, f"{where}.vehicles", carrier.vehicles, known_types)
        for vid in carrier.vehicles:
            if known_types[vid].depot != carrier.depot:
                raise InputError(file, f"{where}.vehicles",
                                 f"vehicle type {vid} is stationed at {known_types[vid].depot}, "
                                 f"not at the carrier's depot {carrier.depot}")
        carriers.append(carrier)
    if carriers:
        total = sum(c.share for c in carriers)
        if abs(total - 1) > 1e-6:
            raise InputError(file, "carriers.share",
                             f"carrier shares sum to {total:g}; they must sum to 1")
    return tuple(carriers)


def _check_carrier_columns(stops_path: Path, stops: tuple[Stop, ...],
                           carriers: tuple[Carrier, ...]) -> None:
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


def _read_relay(file: Path, data: Any, depot_ids: set[str], known_types: dict[str, VehicleType],
                stations: tuple[Depot, ...]) -> RelaySpec:
    t = _Table(file, "relay", data)
    relay = RelaySpec(hub=t.get("hub", str), trunk_vehicles=tuple(_strings(t, "trunk_vehicles")),
                      local_vehicle=t.get("local_vehicle", str),
                      local_per_station=t.get("local_per_station", int),
                      stations=tuple(_strings(t, "stations")), transfer_s=t.get("transfer_s", int,
                                                                                  1200))
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


def _read_stations(file: Path, path: Path) -> tuple[Depot, ...]:
    """Township stations: a CSV with ``id, name, lon, lat`` (optional ``name_en``)."""
    _existing(file, "stops.stations", path)
    _, rows = _read_csv(path)
    stations = []
    for line, row in enumerate(rows, start=2):
        stations.append(_build(
            path, f"line {line}", Depot, id=(row.get("id") or "").strip(),
            name=row.get("name") or "",
            lon=_parse_number(path, f"line {line} lon", row.get("lon", ""), whole=False),
            lat=_parse_number(path, f"line {line} lat", row.get("lat", ""), whole=False)))
    return tuple(stations)


def _check_fits(file: Path, stops_path: Path, stops: tuple[Stop, ...],
                vehicle_types: tuple[VehicleType, ...]) -> None:
    """Reject a stop whose delivery or pickup no vehicle can carry: no plan could serve it."""
    max_parcels = max(v.capacity_parcels for v in vehicle_types)
    max_kg = max(v.capacity_kg for v in vehicle_types)
    for stop in stops:
        for col, value, cap in (("parcels", stop.parcels, max_parcels),
                                ("weight_kg", stop.weight_kg, max_kg),
                                ("produce_kg", stop.produce_kg, max_kg)):
            if value > cap:
                raise InputError(stops_path, f"stop {stop.id} {col}",
                                 f"{value} exceeds the largest vehicle capacity ({cap}); "
                                 f"split the stop or add a bigger vehicle type in {file.name}")
        if not any(fits(v, stop) for v in vehicle_types):
            raise InputError(stops_path, f"stop {stop.id}",
                             f"no single vehicle type carries both its {stop.parcels} parcels "
                             f"and {max(stop.weight_kg, stop.produce_kg)} kg; split the stop "
                             f"or add a vehicle type in {file.name}")


def _read_solver(file: Path, data: Any) -> SolverSpec:
    t = _Table(file, "solver", data)
    spec = SolverSpec(
        engine=t.get("engine", str, "ortools"),
        time_limit_s=t.get("time_limit_s", float, 30.0),
        first_solution=t.get("first_solution", str, "SAVINGS"),
        metaheuristic=t.get("metaheuristic", str, "GUIDED_LOCAL_SEARCH"),
        objective=t.get("objective", str, "distance"),
        seed=t.get("seed", int, 1),
        solution_limit=t.get("solution_limit", int, None),
    )
    t.done()
    checks = (("first_solution", spec.first_solution, FIRST_SOLUTION_STRATEGIES),
              ("metaheuristic", spec.metaheuristic, METAHEURISTICS),
              ("objective", spec.objective, OBJECTIVES))
    for key, value, allowed in checks:
        if value not in allowed:
            raise InputError(file, f"solver.{key}", f"{value!r} is not one of {', '.join(allowed)}")
    if spec.time_limit_s <= 0:
        raise InputError(file, "solver.time_limit_s", "must be > 0 seconds")
    if spec.solution_limit is not None and spec.solution_limit < 1:
        raise InputError(file, "solver.solution_limit", "must be >= 1 (or left out)")
    from routing.solving import ENGINES

    if spec.engine not in ENGINES:
        raise InputError(file, "solver.engine", f"{spec.engine!r} is not one of "
                         f"{', '.join(sorted(ENGINES))}")
    return spec
