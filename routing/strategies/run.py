"""Run a strategy on a scenario: place it on its roads, plan every leg, check the whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from routing.core import STRATEGIES, ModelError, Strategy
from routing.inputs import Scenario
from routing.pipeline import Geography, StepHook, Timings, locate
from routing.solving import SolveSettings, make_engine
from routing.strategies.base import Runner, StrategyResult
from routing.strategies.check import check_strategy
from routing.strategies.consolidated import plan_consolidated
from routing.strategies.independent import plan_independent
from routing.strategies.relay import plan_township_relay


def run_strategy(
    scenario: Scenario,
    strategy: Strategy | str,
    settings: SolveSettings,
    *,
    engine: str | None = None,
    geography: Geography | None = None,
    cache_dir: Path | None = None,
    hook: StepHook | None = None,
) -> StrategyResult:
    """Plan ``scenario`` under ``strategy``; every leg's plan is checked before it is returned.

    ``settings.time_limit_s`` is the budget of a problem the size of the consolidated one;
    each leg's budget is scaled from it by its own stop count (:func:`budget_s`). A strategy
    given by name is parsed here; an unknown name is a :class:`ModelError`.
    """
    if strategy not in STRATEGIES:
        raise ModelError(f"strategy: unknown strategy {strategy!r}; choose one of "
                         f"{', '.join(STRATEGIES)}")
    strategy = Strategy(strategy)
    timings = Timings(hook=hook)
    if geography is None:
        geography = locate(scenario, timings=timings, cache_dir=cache_dir,
                           decompose=settings.decompose)
    runner = Runner(scenario, geography, settings, make_engine(engine or scenario.solver.engine),
                    timings)
    build: Callable[[Runner], StrategyResult] = {
        Strategy.INDEPENDENT: plan_independent, Strategy.CONSOLIDATED: plan_consolidated,
        Strategy.TOWNSHIP_RELAY: plan_township_relay}[strategy]
    with timings.step(f"solve {strategy}"):
        result = build(runner)
    check_strategy(result)  # raises PlanError: a strategy whose legs do not add up is no plan
    return result
