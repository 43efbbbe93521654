"""Independent legs solved side by side give the plans solving them in turn gives."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import threading
import time
from concurrent.futures import CancelledError
from dataclasses import replace

import pytest

from routing.core import PlanError, SearchError
from routing.solving import PyVrpEngine, SolveSettings, solve_all, workers_for
from routing.solving.parallel import concurrently, shared_pool, solve_one
from routing.strategies import check_strategy, run_strategy
from tests.routing.strategies.strategy_world import world

SETTINGS = SolveSettings(time_limit_s=5, objective="cost", solution_limit=200)


def _plans(result):
    return [(leg.label, leg.plan.routes, leg.plan.unserved) for leg in result.legs]


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_parallel_legs_give_the_same_plans_as_sequential_ones(engine):
    scenario, geography = world()
    sequential = run_strategy(scenario, "independent", replace(SETTINGS, jobs=1),
                              engine=engine, geography=geography)
    parallel = run_strategy(scenario, "independent", replace(SETTINGS, jobs=2), engine=engine,
                            geography=geography)
    assert [leg.label for leg in parallel.legs] == ["carrier a", "carrier b"]
    assert _plans(parallel) == _plans(sequential)
    assert [leg.budget_s for leg in parallel.legs] == [leg.budget_s for leg in sequential.legs]
    assert check_strategy(parallel).ok


def test_workers_follow_the_jobs_setting_and_the_number_of_problems():
    assert workers_for(5, SolveSettings(jobs=1)) == 1
    assert workers_for(5, SolveSettings(jobs=3)) == 3
    assert workers_for(2, SolveSettings(jobs=8)) == 2
    with pytest.raises(ValueError, match=r"^jobs: must be >= 1, got 0$"):
        SolveSettings(jobs=0)


class Failing:
    """An engine whose search always falls short."""

    name = "failing"

    def solve(self, problem, _settings, **_options):
        raise SearchError(f"{problem.name}: nothing found")


@pytest.mark.parametrize("shared", [False, True])
def test_a_search_that_fails_in_a_worker_is_raised_with_its_message(monkeypatch, shared):
    scenario, geography = world()
    monkeypatch.setattr("routing.solving.solve.make_engine", lambda _name: Failing())
    problems = [(p, replace(SETTINGS, jobs=2)) for p in _two_problems(scenario, geography)]
    with (shared_pool(2 if shared else 1),
          pytest.raises(SearchError, match=r"^line:carrier [ab]: failing found no plan ")):
        solve_all(problems, Failing())


def _two_problems(scenario, geography):
    result = run_strategy(scenario, "independent", replace(SETTINGS, jobs=1),
                          engine="ortools", geography=geography)
    return [leg.problem for leg in result.legs]


def test_a_plan_error_crosses_processes_with_its_violations():
    error = pickle.loads(pickle.dumps(PlanError(["stop a is visited 2 times", "b is late"])))
    assert error.violations == ["stop a is visited 2 times", "b is late"]
    assert str(error) == "plan failed the check: stop a is visited 2 times (and 1 more)"


def _span(seconds: float) -> tuple[float, float]:
    """When a call that takes ``seconds`` started and ended (the clock every process shares)."""
    started = time.monotonic()
    time.sleep(seconds)
    return started, time.monotonic()


def test_a_shared_pool_runs_at_most_its_workers_at_once_the_longest_budget_first():
    with shared_pool(2) as pool:
        assert pool is not None
        first = pool.submit(_span, [(9.0, (0.3,)), (9.0, (0.5,))])  # both workers busy
        waiting = pool.submit(_span, [(b, (0.3,)) for b in (1.0, 5.0, 3.0, 4.0)])
        spans = [f.result() for f in first + waiting]
    # one worker frees up at 0.3 s, the other at 0.5 s, then every 0.3 s: starts 0.1 s apart
    starts = sorted(zip((start for start, _ in spans), (9, 9, 1, 5, 3, 4), strict=True))
    assert [budget for _, budget in starts] == [9, 9, 5, 4, 3, 1]
    for start, _ in spans:
        assert sum(s <= start < e for s, e in spans) <= 2


def test_threads_share_one_pool_and_get_the_plans_of_searches_in_turn():
    scenario, geography = world()
    problems = _two_problems(scenario, geography)
    settings = replace(SETTINGS, jobs=1)
    alone = [solve_all([(p, settings)], PyVrpEngine())[0][0].routes for p in problems]
    with shared_pool(2) as pool:
        assert pool is not None
        found = concurrently(pool, [lambda p=p: solve_one(p, PyVrpEngine(), settings)
                                    for p in problems])
    assert [plan.routes for plan, _ in found] == alone
    assert all(report.ok for _, report in found)


def _die(code: int) -> None:
    os._exit(code)


def test_a_worker_that_dies_is_an_error_not_a_hang():
    with shared_pool(2) as pool:
        assert pool is not None
        (dying,) = pool.submit(_die, [(2.0, (3,))])
        (waiting,) = pool.submit(_span, [(1.0, (5.0,))])
        with pytest.raises(RuntimeError, match=r"^a solver process ended during the search "
                                               r"\(exit code 3\)$"):
            dying.result(timeout=10)
        with pytest.raises(CancelledError, match="given up"):
            waiting.result(timeout=10)


def _in_a_daemon(_: object) -> tuple[bool, bool]:
    with shared_pool(2) as pool:
        return pool is None, multiprocessing.current_process().daemon


def test_no_shared_pool_with_one_worker_inside_another_or_in_a_daemonic_process():
    with shared_pool(1) as none:
        assert none is None
    with shared_pool(2) as outer, shared_pool(2) as inner:
        assert outer is not None and inner is None
        assert threading.active_count() > 1  # the pool's own threads, not ours
    with multiprocessing.get_context("fork").Pool(1) as daemons:
        assert daemons.map(_in_a_daemon, [0]) == [(True, True)]
