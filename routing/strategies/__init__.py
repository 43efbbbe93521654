"""Delivery strategies: each turns a scenario into one or more routing problems and checked plans.

* ``independent``  — today's practice: every carrier serves only its own parcels from its own
  branch with its own fleet (one routing problem per carrier); the total is the sum.
* ``consolidated`` — the carriers' vans bring their parcels to the county joint distribution
  centre (feeder legs, routed and scheduled) and one shared fleet, leaving once they are sorted,
  serves every village with all its parcels.
* ``township-relay`` — feeders as above, then two echelons: trunk vehicles carry pooled parcels
  from the centre to township stations; local vehicles (e.g. electric tricycles) serve the
  villages from the stations, the solver choosing each village's station; a village no local
  vehicle can serve is served by the trunk directly.

Farm produce rides back on the same routes (simultaneous pickup and delivery). Under
``independent`` each carrier collects its market share of a village's produce. In every
strategy a vehicle may drive several trips (``max_trips``) and a village bigger than every
vehicle of its leg is served in several visits (:func:`routing.core.split_stop`).

Every routing problem (a carrier's day, the shared fleet, the relay trunk, a township round, a
relay re-solve, a gap plan) gets its search budget from one rule,
:func:`~routing.pipeline.settings.budget_s`: the same seconds per stop for every strategy and
leg, so no strategy is searched harder than another.

Simplifications, stated so results are read honestly: the legs are solved one after the other,
not jointly (feeders, then the pooled fleet leaving after them; the relay's local rounds leave a
station only after the trunk has unloaded there, and produce collected locally returns on the
trunk's next run).

Modules: :mod:`~routing.strategies.base` (legs, results, the runner), one module per strategy
(:mod:`~routing.strategies.independent`, :mod:`~routing.strategies.consolidated`,
:mod:`~routing.strategies.relay`), :mod:`~routing.strategies.run` (:func:`run_strategy`),
:mod:`~routing.strategies.check` (the strategy-level check), :mod:`~routing.strategies.gap`
(like for like), :mod:`~routing.strategies.compare` (the comparison) and
:mod:`~routing.strategies.variants` (what-if scenarios).
"""

from __future__ import annotations

from routing.core import has_load
from routing.strategies.base import (
    Leg,
    StrategyResult,
    carrier_stops,
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
