"""Read ruralroute's input files into validated objects, and write them back; every reading error
is one line naming the file and the field.

* :mod:`~routing.inputs.scenario` — a scenario file (TOML) read and written (:func:`load_scenario`,
  :func:`write_scenario`);
* :mod:`~routing.inputs.scenario_tables` — what each table of a scenario file holds, and its reader;
* :mod:`~routing.inputs.stops_csv` — the stops and stations CSVs a scenario names, read and written;
* :mod:`~routing.inputs.cost_file` — cost model files, shipped ones by name;
* :mod:`~routing.inputs.sweep_file` — sweep files, the axes of a grid of what-if solves;
* :mod:`~routing.inputs.files` — the shared syntax: TOML with errors that name the file, times
  of day.
"""

from __future__ import annotations

from routing.inputs.cost_file import (
    COST_MODELS_DIR,
    load_cost_model,
    resolve_cost_model,
    shipped_cost_models,
)
from routing.inputs.files import format_clock, parse_clock, read_toml
from routing.inputs.scenario import (
    STATIONS_FILE,
    STOPS_FILE,
    Scenario,
    load_scenario,
    scenario_document,
    write_scenario,
)
from routing.inputs.scenario_tables import (
    FeederSpec,
    FleetSpec,
    NetworkSpec,
    RelaySpec,
    ServiceSpec,
    SolverSpec,
)
from routing.inputs.stops_csv import (
    read_stations_csv,
    read_stops_csv,
    write_stations_csv,
    write_stops_csv,
)
from routing.inputs.sweep_file import SweepSpec, county_id, load_sweep

__all__ = [
    "COST_MODELS_DIR",
    "STATIONS_FILE",
    "STOPS_FILE",
    "FeederSpec",
    "FleetSpec",
    "NetworkSpec",
    "RelaySpec",
    "Scenario",
    "ServiceSpec",
    "SolverSpec",
    "SweepSpec",
    "county_id",
    "format_clock",
    "load_cost_model",
    "load_scenario",
    "load_sweep",
    "parse_clock",
    "read_stations_csv",
    "read_stops_csv",
    "read_toml",
    "resolve_cost_model",
    "scenario_document",
    "shipped_cost_models",
    "write_scenario",
    "write_stations_csv",
    "write_stops_csv",
]
