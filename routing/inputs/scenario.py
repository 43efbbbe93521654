"""Scenario files: a scenario TOML file and the CSVs it names, read into a frozen, validated
:class:`Scenario` and written back from one.

:func:`load_scenario` is the only reader of scenario files and :func:`write_scenario` the only
writer (the county builder uses it). Every reading error names the file and the field, so
``ruralroute`` can print one line and exit with code 2. The tables' readers are in
:mod:`routing.inputs.scenario_tables`, the CSVs' in :mod:`routing.inputs.stops_csv`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from routing.core import (
    Carrier,
    CostModel,
    Depot,
    InputError,
    ModelError,
    Objective,
    Stop,
    VehicleType,
)
from routing.inputs.cost_file import resolve_cost_model
from routing.inputs.files import LATEST_CLOCK_S, format_clock, read_toml
from routing.inputs.scenario_tables import (
    FeederSpec,
    FleetSpec,
    NetworkSpec,
    RelaySpec,
    ServiceSpec,
    SolverSpec,
    Table,
    check_carrier_columns,
    check_fits,
    check_ids,
    read_carriers,
    read_consolidated,
    read_costs,
    read_depots,
    read_feeders,
    read_network,
    read_relay,
    read_service,
    read_solver,
    read_stops_table,
    read_vehicle_types,
)
from routing.inputs.stops_csv import write_stations_csv, write_stops_csv

TOP_LEVEL_FIELDS = frozenset({"name", "title", "network", "stops", "depots", "vehicle_types",
                              "carriers", "consolidated", "relay", "costs", "service", "solver",
                              "feeders"})

#: The CSV files :func:`write_scenario` writes beside the scenario file, by default.
STOPS_FILE = "villages.csv"
STATIONS_FILE = "townships.csv"


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
    service: ServiceSpec = field(default_factory=ServiceSpec)
    feeders: FeederSpec = field(default_factory=FeederSpec)
    solver: SolverSpec = field(default_factory=SolverSpec)
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
    top = Table(file, "", data)
    name = top.get("name", str)
    title = top.get("title", str, name)
    network = read_network(file, base, top.get("network", dict))
    depots = read_depots(file, top.get("depots", list))
    stops_path, stops, stations = read_stops_table(file, base, top.get("stops", dict))
    vehicle_types = read_vehicle_types(file, top.get("vehicle_types", list), depots[0].id)
    check_ids(file, depots, stations, stops, vehicle_types)
    check_fits(file, stops_path, stops, vehicle_types)
    service = read_service(file, top.get("service", dict, {}))
    feeders = read_feeders(file, top.get("feeders", dict, {}))
    solver = read_solver(file, top.get("solver", dict, {}))
    depot_ids = {d.id for d in depots}
    known_types = {vt.id: vt for vt in vehicle_types}
    carriers = read_carriers(file, top.get("carriers", list, []), depot_ids, known_types)
    check_carrier_columns(stops_path, stops, carriers)
    consolidated = None
    if "consolidated" in data:
        consolidated = read_consolidated(file, top.get("consolidated", dict), depot_ids,
                                         known_types)
    relay = None
    if "relay" in data:
        relay = read_relay(file, top.get("relay", dict), depot_ids, known_types, stations)
    cost_model = None
    if "costs" in data:
        cost_model = read_costs(file, base, top.get("costs", dict), vehicle_types)
    if solver.objective == Objective.COST and cost_model is None:
        raise InputError(file, "solver.objective",
                         "\"cost\" needs a [costs] model = \"...toml\" to price vehicles")
    top.done()
    return Scenario(name=name, title=title, path=file, network=network, depots=depots,
                    stops=stops, vehicle_types=vehicle_types, stations=stations,
                    service=service, feeders=feeders, solver=solver, carriers=carriers,
                    consolidated=consolidated, relay=relay, cost_model=cost_model)


# --- writing ----------------------------------------------------------------------------------


def write_scenario(path: str | Path, scenario: Scenario, *, header: Sequence[str] = (),
                   station_names_en: Mapping[str, str] | None = None) -> tuple[Path, ...]:
    """Write ``scenario`` as a scenario file at ``path`` that :func:`load_scenario` reads back
    to an equal :class:`Scenario` (up to the paths, which name the same files).

    The stops go to :data:`STOPS_FILE` beside it and the stations, if any, to
    :data:`STATIONS_FILE` (with their English names, by id, where given); the road, boundary
    and county boundary files (which it does not write) and a cost model that is not a shipped
    one are named by paths relative to the file's folder. ``header`` lines are written first
    as ``#`` comments: TOML writers keep no comments, so what a reader of the file should know
    goes there. Returns the files written.
    """
    file = Path(path)
    folder = file.parent
    folder.mkdir(parents=True, exist_ok=True)
    written = [file, write_stops_csv(folder / STOPS_FILE, scenario.stops)]
    if scenario.stations:
        written.append(write_stations_csv(folder / STATIONS_FILE, scenario.stations,
                                          names_en=station_names_en))
    comments = "".join(f"# {line}".rstrip() + "\n" for text in header
                       for line in text.splitlines() or [""])
    file.write_text(comments + _toml(scenario_document(scenario, folder)), encoding="utf-8")
    return tuple(written)


def scenario_document(scenario: Scenario, folder: Path) -> dict[str, Any]:
    """The tables of a scenario file for ``scenario``, with paths relative to ``folder``."""
    sc = scenario
    doc: dict[str, Any] = {"name": sc.name, "title": sc.title,
                           "network": _network_table(sc.network, folder),
                           "stops": {"file": STOPS_FILE}}
    if sc.stations:
        doc["stops"]["stations"] = STATIONS_FILE
    doc["depots"] = [_depot_table(d) for d in sc.depots]
    doc["vehicle_types"] = [_vehicle_type_table(vt) for vt in sc.vehicle_types]
    if sc.carriers:
        doc["carriers"] = [{"id": c.id, "name": c.name, "share": c.share, "depot": c.depot,
                            "vehicles": list(c.vehicles)} for c in sc.carriers]
    if sc.consolidated is not None:
        doc["consolidated"] = {"depot": sc.consolidated.depot,
                               "vehicles": list(sc.consolidated.vehicles)}
    if sc.relay is not None:
        doc["relay"] = _relay_table(sc.relay)
    if sc.cost_model is not None:
        doc["costs"] = {"model": _cost_model_reference(sc.cost_model, folder)}
    doc["service"] = {"per_stop_s": sc.service.per_stop_s,
                      "per_parcel_s": sc.service.per_parcel_s}
    if sc.service.load_s:
        doc["service"]["load_s"] = sc.service.load_s
    if sc.feeders != FeederSpec():
        doc["feeders"] = {"sort_s": sc.feeders.sort_s}
        if sc.feeders.depart_s is not None:
            doc["feeders"]["depart"] = format_clock(sc.feeders.depart_s, "feeders.depart_s")
    doc["solver"] = _solver_table(sc.solver)
    return doc


def _toml(doc: Mapping[str, Any]) -> str:
    """TOML text of ``doc`` in its key order, each array of tables as ``[[name]]`` sections
    (tomli-w alone would write short ones inline, before every table)."""
    chunks: list[str] = []
    simple: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            chunks += [f"[[{key}]]\n{tomli_w.dumps(entry)}" for entry in value]
        elif isinstance(value, dict):
            chunks.append(tomli_w.dumps({key: value}))
        else:
            simple[key] = value
    return "\n".join([tomli_w.dumps(simple), *chunks]) if simple else "\n".join(chunks)


def _relative_to(path: Path, folder: Path) -> str:
    return Path(os.path.relpath(path.resolve(), folder.resolve())).as_posix()


def _network_table(network: NetworkSpec, folder: Path) -> dict[str, Any]:
    table: dict[str, Any] = {"osm": _relative_to(network.osm, folder)}
    if network.boundary is not None:
        table["boundary"] = _relative_to(network.boundary, folder)
    if network.counties is not None:
        table["counties"] = _relative_to(network.counties, folder)
    table["max_access_m"] = network.max_access_m
    if network.speeds_kmh:
        table["speeds_kmh"] = dict(network.speeds_kmh)
    return table


def _depot_table(depot: Depot) -> dict[str, Any]:
    table: dict[str, Any] = {"id": depot.id}
    if depot.name:
        table["name"] = depot.name
    table |= {"lon": depot.lon, "lat": depot.lat}
    if (depot.open_s, depot.close_s) != (0, LATEST_CLOCK_S):
        table |= {"open": format_clock(depot.open_s, f"depot {depot.id}.open_s"),
                  "close": format_clock(depot.close_s, f"depot {depot.id}.close_s")}
    return table


def _vehicle_type_table(vt: VehicleType) -> dict[str, Any]:
    if any((vt.fixed_cost, vt.cost_per_km, vt.cost_per_hour, vt.co2_g_per_km)):
        raise ModelError(f"vehicle_type {vt.id}: its rates come from the scenario's [costs] "
                         f"model; write the scenario from the unpriced vehicle types")
    table: dict[str, Any] = {"id": vt.id}
    if vt.name:
        table["name"] = vt.name
    table |= {"kind": vt.kind, "depot": vt.depot, "count": vt.count,
              "capacity_parcels": vt.capacity_parcels, "capacity_kg": vt.capacity_kg}
    if vt.max_speed_kmh is not None:
        table["max_speed_kmh"] = vt.max_speed_kmh
    if vt.avoid_roads:
        table["avoid_roads"] = list(vt.avoid_roads)
    table |= {"shift_start": format_clock(vt.shift_start_s, f"vehicle_type {vt.id}.shift_start_s"),
              "max_shift_h": vt.max_duration_s / 3600}
    if vt.max_trips > 1:
        table["max_trips"] = vt.max_trips
    return table


def _relay_table(relay: RelaySpec) -> dict[str, Any]:
    table: dict[str, Any] = {"hub": relay.hub, "trunk_vehicles": list(relay.trunk_vehicles),
                             "local_vehicle": relay.local_vehicle,
                             "local_per_station": relay.local_per_station}
    if relay.stations:
        table["stations"] = list(relay.stations)
    table["transfer_s"] = relay.transfer_s
    return table


def _cost_model_reference(model: CostModel, folder: Path) -> str:
    """A shipped cost model by name (``"diesel"``), any other by its file's relative path."""
    if model.source is None:
        raise ModelError(f"costs.model: cost model {model.name} was not read from a file, so "
                         f"a scenario file cannot name it")
    if resolve_cost_model(model.source.stem) == model.source.resolve():
        return model.source.stem
    return _relative_to(model.source, folder)


def _solver_table(solver: SolverSpec) -> dict[str, Any]:
    table: dict[str, Any] = {"engine": solver.engine, "time_limit_s": solver.time_limit_s,
                             "first_solution": solver.first_solution,
                             "metaheuristic": solver.metaheuristic,
                             "objective": solver.objective.value, "seed": solver.seed}
    if solver.solution_limit is not None:
        table["solution_limit"] = solver.solution_limit
    return table
