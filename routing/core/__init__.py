"""The domain every other part builds on: frozen, validated objects and the errors they raise.

* :mod:`~routing.core.model` — depots, stops, vehicle types, carriers, the routing problem and
  its plan, in integer units;
* :mod:`~routing.core.problem` — build a solver-independent problem from stops and matrices;
* :mod:`~routing.core.costs` — cost models, pricing a day's vehicle use, the one saving;
* :mod:`~routing.core.errors` — the domain errors (one-line messages naming the field).
"""

from __future__ import annotations

from routing.core.costs import (
    COST_SEPARATOR,
    CostBreakdown,
    CostModel,
    LikeForLike,
    Rates,
    Usage,
    price,
    priced,
    saving_pct,
)
from routing.core.errors import (
    InputError,
    ModelError,
    NetworkError,
    PlanError,
    RuralRouteError,
    SearchError,
)
from routing.core.model import (
    DAY_S,
    DEFAULT_PROFILE,
    LOAD_DIMENSIONS,
    STRATEGIES,
    Carrier,
    Depot,
    Echelon,
    Named,
    Objective,
    Plan,
    Problem,
    Route,
    Stop,
    Strategy,
    Unserved,
    Vehicle,
    VehicleDay,
    VehicleType,
    Why,
    expand_fleet,
    has_load,
    travel_profile,
)
from routing.core.problem import build_problem
from routing.core.splits import apportion, fits_whole, joined, split_stop

__all__ = [
    "COST_SEPARATOR",
    "DAY_S",
    "DEFAULT_PROFILE",
    "LOAD_DIMENSIONS",
    "STRATEGIES",
    "Carrier",
    "CostBreakdown",
    "CostModel",
    "Depot",
    "Echelon",
    "InputError",
    "LikeForLike",
    "ModelError",
    "Named",
    "NetworkError",
    "Objective",
    "Plan",
    "PlanError",
    "Problem",
    "Rates",
    "Route",
    "RuralRouteError",
    "SearchError",
    "Stop",
    "Strategy",
    "Unserved",
    "Usage",
    "Vehicle",
    "VehicleDay",
    "VehicleType",
    "Why",
    "apportion",
    "build_problem",
    "expand_fleet",
    "fits_whole",
    "has_load",
    "joined",
    "price",
    "priced",
    "saving_pct",
    "split_stop",
    "travel_profile",
]
