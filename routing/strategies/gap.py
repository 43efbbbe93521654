"""Like for like: the villages a strategy leaves unserved, planned by the baseline's means."""

from __future__ import annotations

from dataclasses import replace

from routing.core import Strategy, has_load
from routing.pipeline import Timings
from routing.solving import SolveSettings, make_engine
from routing.strategies.base import Runner, StrategyResult, villages_with_demand
from routing.strategies.check import check_strategy
from routing.strategies.independent import plan_independent

#: The strategy whose means price the villages another strategy leaves unserved.
BASELINE = Strategy.INDEPENDENT


def gap_plan(result: StrategyResult, settings: SolveSettings, *,
             engine: str | None = None) -> StrategyResult | None:
    """The villages ``result`` leaves unserved, served by the baseline's means: the independent
    strategy restricted to exactly those villages (each carrier its share, with its own vans
    from its own branch), solved within the usual budgets and checked like any plan.

    Adding its cost prices ``result`` like for like with the baseline
    (:class:`~routing.core.costs.LikeForLike`). Villages the carriers' vans cannot serve either (no
    road, too big) stay unserved in the gap plan too. The result is an ``independent`` result
    over a scenario holding only those villages. None for the baseline itself, for a scenario
    without carriers and when every village with demand is served.
    """
    sc = result.scenario
    missing = {u.stop for u in result.unserved}
    stops = tuple(s for s in sc.stops if s.id in missing and has_load(s))
    if result.strategy == BASELINE or not sc.carriers or not stops:
        return None
    runner = Runner(replace(sc, stops=stops), result.geography, settings,
                    make_engine(engine or sc.solver.engine), Timings(),
                    reference_stops=villages_with_demand(sc))
    gap = plan_independent(runner)
    check_strategy(gap)  # checked like the baseline's own plan
    return gap
