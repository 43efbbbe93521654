"""Read ruralroute's input files into validated objects; every error is one line naming the field.

* :mod:`~routing.inputs.scenario` — a scenario file (TOML) and its stops CSV;
* :mod:`~routing.inputs.cost_file` — cost model files, shipped ones by name;
* :mod:`~routing.inputs.sweep_file` — sweep files, the axes of a grid of what-if solves;
* :mod:`~routing.inputs.files` — reading TOML with errors that name the file.
"""

from __future__ import annotations

from routing.inputs.cost_file import (
    COST_MODELS_DIR,
    load_cost_model,
    resolve_cost_model,
    shipped_cost_models,
)
from routing.inputs.files import read_toml
from routing.inputs.scenario import (
    FleetSpec,
    NetworkSpec,
    RelaySpec,
    Scenario,
    ServiceSpec,
    SolverSpec,
    load_scenario,
    read_stops_csv,
)
from routing.inputs.sweep_file import SweepSpec, county_id, load_sweep

__all__ = [
    "COST_MODELS_DIR",
    "FleetSpec",
    "NetworkSpec",
    "RelaySpec",
    "Scenario",
    "ServiceSpec",
    "SolverSpec",
    "SweepSpec",
    "county_id",
    "load_cost_model",
    "load_scenario",
    "load_sweep",
    "read_stops_csv",
    "read_toml",
    "resolve_cost_model",
    "shipped_cost_models",
]
