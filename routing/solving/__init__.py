"""Solve a routing problem and trust the plan: engines, one registry, the checker and diagnosis.

* :mod:`~routing.solving.engines` — the engine protocol and the OR-Tools, PyVRP, ``auto`` and
  portfolio engines;
* :mod:`~routing.solving.registry` — the one engine registry (:data:`ENGINES`, :func:`make_engine`);
* :mod:`~routing.solving.solve` — solve, retry a search that falls short, check
  (:func:`solve_checked`);
* :mod:`~routing.solving.feasibility` — the feasibility rules every part shares;
* :mod:`~routing.solving.checker` — the independent plan checker;
* :mod:`~routing.solving.diagnose` — why a stop was left unserved;
* :mod:`~routing.solving.objective` — a plan's value under the problem's objective;
* :mod:`~routing.solving.decompose` — a big multi-depot problem solved by clusters, then whole.
"""

from __future__ import annotations

from routing.solving.checker import CheckReport, RouteCheck, check_plan
from routing.solving.decompose import (
    DECOMPOSE_MIN_STOPS,
    Cluster,
    assign,
    clusters,
    decomposes,
    decomposes_size,
    neighbour_pairs,
    solve_decomposed,
)
from routing.solving.diagnose import explain_unserved, missed_stops, unserved_reason
from routing.solving.engines import (
    DROPPED_BY_ENGINE,
    TUNED,
    AutoEngine,
    Checkpoints,
    Engine,
    OrToolsEngine,
    OrToolsParallelEngine,
    OrToolsTuning,
    PyVrpEngine,
    SolveSettings,
    pyvrp_unsupported,
)
from routing.solving.feasibility import (
    Infeasible,
    Schedule,
    all_servable,
    day_feasible,
    fits,
    fleet_capacity,
    has_room,
    insertion_fits,
    load_excess,
    load_fits,
    lone_trip,
    room_for,
    route_feasible,
    schedule,
    servable_alone,
)
from routing.solving.objective import plan_objective
from routing.solving.parallel import solve_all, workers_for
from routing.solving.registry import ENGINES, make_engine
from routing.solving.solve import solve_checked

__all__ = [
    "DECOMPOSE_MIN_STOPS",
    "DROPPED_BY_ENGINE",
    "ENGINES",
    "TUNED",
    "AutoEngine",
    "CheckReport",
    "Checkpoints",
    "Cluster",
    "Engine",
    "Infeasible",
    "OrToolsEngine",
    "OrToolsParallelEngine",
    "OrToolsTuning",
    "PyVrpEngine",
    "RouteCheck",
    "Schedule",
    "SolveSettings",
    "all_servable",
    "assign",
    "check_plan",
    "clusters",
    "day_feasible",
    "decomposes",
    "decomposes_size",
    "explain_unserved",
    "fits",
    "fleet_capacity",
    "has_room",
    "insertion_fits",
    "load_excess",
    "load_fits",
    "lone_trip",
    "make_engine",
    "missed_stops",
    "neighbour_pairs",
    "plan_objective",
    "pyvrp_unsupported",
    "room_for",
    "route_feasible",
    "schedule",
    "servable_alone",
    "solve_all",
    "solve_checked",
    "solve_decomposed",
    "unserved_reason",
    "workers_for",
]
