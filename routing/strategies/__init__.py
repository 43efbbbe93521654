"""Delivery strategies: each turns a scenario into one or more routing problems and checked plans.

* ``independent``  — today's practice: every carrier serves only its own parcels from its own
  branch with its own fleet (one routing problem per carrier); the total is the sum.
* ``consolidated`` — carriers hand their parcels to the county joint distribution centre (a
  feeder trip each) and one shared fleet visits each village once with all its parcels.
* ``township-relay`` — two echelons: trunk vehicles carry pooled parcels from the centre to
  township stations; local vehicles (e.g. electric tricycles) serve each village from its
  nearest station. Both echelons are solved and reported together.

Farm produce rides back on the same routes (simultaneous pickup and delivery). Under
``independent`` each carrier collects its market share of a village's produce.

Every routing problem (a carrier's day, the shared fleet, the relay trunk, a township round, a
relay re-solve, a gap plan) gets its search budget from one rule,
:func:`~routing.pipeline.settings.budget_s`: the same seconds per stop for every strategy and
leg, so no strategy is searched harder than another.

Simplifications, stated so results are read honestly: the two relay echelons are solved one
after the other, not synchronised (local vehicles start at their own shift start, which should
leave time for the trunk run; produce collected locally returns on the trunk's next run); feeder
trips from carrier branches to the centre are priced as direct round trips, not routed.

Modules: :mod:`~routing.strategies.base` (legs, results, the runner), one module per strategy
(:mod:`~routing.strategies.independent`, :mod:`~routing.strategies.consolidated`,
:mod:`~routing.strategies.relay`), :mod:`~routing.strategies.run` (:func:`run_strategy`),
:mod:`~routing.strategies.check` (the strategy-level check), :mod:`~routing.strategies.gap`
(like for like), :mod:`~routing.strategies.compare` (the comparison) and
:mod:`~routing.strategies.variants` (what-if scenarios).
"""

from __future__ import annotations

from routing.strategies.base import (
    Leg,
    StrategyResult,
    carrier_stops,
    has_load,
    villages_with_demand,
)
from routing.strategies.check import RuleCheck, StrategyCheck, check_strategy
from routing.strategies.compare import (
    COLUMNS,
    CONVERGENCE_COLUMNS,
    Comparison,
    compare_strategies,
    doubled_settings,
)
from routing.strategies.gap import BASELINE, gap_plan
from routing.strategies.relay import RELAY_SETTLE_ROUNDS
from routing.strategies.run import run_strategy
from routing.strategies.variants import scale_demand, with_fleet

__all__ = [
    "BASELINE",
    "COLUMNS",
    "CONVERGENCE_COLUMNS",
    "RELAY_SETTLE_ROUNDS",
    "Comparison",
    "Leg",
    "RuleCheck",
    "StrategyCheck",
    "StrategyResult",
    "carrier_stops",
    "check_strategy",
    "compare_strategies",
    "doubled_settings",
    "gap_plan",
    "has_load",
    "run_strategy",
    "scale_demand",
    "villages_with_demand",
    "with_fleet",
]
