"""How the OR-Tools engine searches: its tuned configuration, in one place.

The configuration was chosen by ``benchmarks/ortools_tuning.py`` on the *train* part of
``benchmarks/split.toml`` (CVRPLIB X and Solomon VRPTW instances) and is reported on the *test*
part in ``benchmarks/README.md``. A configuration is data: search-parameter fields in
protobuf text format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import text_format
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from routing.core import ModelError
from routing.solving.engines.base import SolveSettings


@dataclass(frozen=True)
class OrToolsTuning:
    """One configuration of the OR-Tools engine.

    ``search`` holds fields of OR-Tools' ``RoutingSearchParameters`` in protobuf text format
    (e.g. ``"guided_local_search_lambda_coefficient: 0.2"``), merged over OR-Tools' defaults.
    """

    search: str = ""

    def __post_init__(self) -> None:
        parameters(SolveSettings(), self)  # a bad field or value fails here, not in a search


def parameters(settings: SolveSettings, tuning: OrToolsTuning | None = None
               ) -> Any:  # pywrapcp's RoutingSearchParameters has no type stubs
    """OR-Tools' search parameters for ``settings`` under ``tuning``.

    ``settings`` gives the first solution strategy, the metaheuristic and the limits; ``tuning``
    sets everything else.
    """
    tuning = TUNED if tuning is None else tuning
    params = pywrapcp.DefaultRoutingSearchParameters()
    try:
        text_format.Merge(tuning.search, params)
    except text_format.ParseError as exc:
        raise ModelError(f"ortools search: {exc}") from exc
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, settings.first_solution)
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, settings.metaheuristic)
    params.time_limit.FromMilliseconds(int(settings.time_limit_s * 1000))
    if settings.solution_limit is not None:
        params.solution_limit = settings.solution_limit
    return params


#: The engine's configuration: OR-Tools' defaults plus the two cheapest-insertion LNS operators
#: that re-insert each node's 15 closest nodes (``close-lns15`` in benchmarks/ortools_tuning.py).
#: On the train part at 10 s it cut the mean gap from 6.16 % to 4.64 % on CVRP and from 2.64 % to
#: 2.30 % on VRPTW (measured 2026-12-01; benchmarks/README.md has every candidate tried).
TUNED = OrToolsTuning(search="""
local_search_operators {
  use_global_cheapest_insertion_close_nodes_lns: BOOL_TRUE
  use_local_cheapest_insertion_close_nodes_lns: BOOL_TRUE
}
heuristic_close_nodes_lns_num_nodes: 15
""")
