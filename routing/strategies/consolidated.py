"""The ``consolidated`` strategy: one shared fleet visits each village once with all its parcels.

Carriers hand their parcels to the county joint distribution centre (a feeder trip each, priced
as direct round trips).
"""

from __future__ import annotations

from routing.core import Echelon, InputError, Strategy
from routing.strategies.base import (
    Runner,
    StrategyResult,
    has_load,
    strategy_result,
    village_unserved,
)


def plan_consolidated(runner: Runner) -> StrategyResult:
    sc = runner.scenario
    fleet = sc.shared_fleet()
    if not fleet.vehicles:
        raise InputError(sc.path, "consolidated.vehicles",
                         "no shared vehicle type; add a [consolidated] table naming the fleet")
    problem = runner.problem("shared fleet", sc.depots_of(fleet.vehicles),
                             [s for s in sc.stops if has_load(s)],
                             runner.vehicle_types(fleet.vehicles))
    legs = runner.solve([("shared fleet", Echelon.DELIVERY, problem)])
    feeders = runner.feeders(fleet.depot)
    return strategy_result(runner, Strategy.CONSOLIDATED, legs, feeders,
                           sum(f.parcels for f in feeders), village_unserved(legs, prefix=False))
