"""The ``independent`` strategy, today's practice: every carrier serves its own parcels alone.

Each carrier serves its share of every village from its own branch with its own fleet (one
routing problem per carrier); the strategy's total is the sum. It is the baseline savings are
measured against.
"""

from __future__ import annotations

from routing.core import Echelon, InputError, Strategy
from routing.strategies.base import (
    Runner,
    StrategyResult,
    carrier_stops,
    strategy_result,
    village_unserved,
)


def plan_independent(runner: Runner) -> StrategyResult:
    sc = runner.scenario
    if not sc.carriers:
        raise InputError(sc.path, "carriers", "the independent strategy needs [[carriers]] "
                         "with their shares, depots and fleets")
    depots = {d.id: d for d in sc.depots}
    per_carrier = carrier_stops(sc)
    problems = [runner.problem(f"carrier {c.id}", [depots[c.depot]], per_carrier[c.id],
                               runner.vehicle_types(c.vehicles))
                for c in sc.carriers if per_carrier[c.id]]
    legs = runner.solve(Echelon.DELIVERY, problems)
    return strategy_result(runner, Strategy.INDEPENDENT, legs, 0,
                           village_unserved(legs, prefix=True))
