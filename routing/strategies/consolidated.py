"""The ``consolidated`` strategy: one shared fleet serves every village with all its parcels.

Carriers' vans first bring their parcels from their branches to the county joint distribution
centre (feeder legs, routed and scheduled); the shared fleet leaves once the last of them has
unloaded and the parcels are sorted (``[feeders] sort_s``). A village bigger than a van gets
several visits, and a van may drive several trips (``max_trips``).
"""

from __future__ import annotations

from routing.core import Echelon, InputError, Strategy, has_load
from routing.strategies.base import (
    Runner,
    StrategyResult,
    leave_after,
    ready_s,
    strategy_result,
    village_unserved,
)


def plan_consolidated(runner: Runner) -> StrategyResult:
    sc = runner.scenario
    fleet = sc.shared_fleet()
    if not fleet.vehicles:
        raise InputError(sc.path, "consolidated.vehicles",
                         "no shared vehicle type; add a [consolidated] table naming the fleet")
    feeders = runner.feeders(fleet.depot)
    ready = ready_s(feeders, sc.feeders.sort_s)
    types = [leave_after(vt, ready) for vt in runner.vehicle_types(fleet.vehicles)]
    problem = runner.problem("shared fleet", sc.depots_of(fleet.vehicles),
                             [s for s in sc.stops if has_load(s)], types)
    legs = runner.solve(Echelon.DELIVERY, [problem])
    transfers = sum(s.parcels for leg in feeders for s in leg.problem.stops)
    return strategy_result(runner, Strategy.CONSOLIDATED, [*feeders, *legs], transfers,
                           village_unserved(legs, prefix=False))
