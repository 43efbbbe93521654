"""Independent legs solved side by side give the plans solving them in turn gives."""

from __future__ import annotations

import pickle
from dataclasses import replace

import pytest

from routing.core import PlanError, SearchError
from routing.solving import SolveSettings, solve_all, workers_for
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


def test_a_search_that_fails_in_a_worker_is_raised_with_its_message(monkeypatch):
    scenario, geography = world()
    monkeypatch.setattr("routing.solving.solve.make_engine", lambda _name: Failing())
    problems = [(p, replace(SETTINGS, jobs=2)) for p in _two_problems(scenario, geography)]
    with pytest.raises(SearchError, match=r"found no plan that serves every servable stop"):
        solve_all(problems, Failing())


def _two_problems(scenario, geography):
    result = run_strategy(scenario, "independent", replace(SETTINGS, jobs=1),
                          engine="ortools", geography=geography)
    return [leg.problem for leg in result.legs]


def test_a_plan_error_crosses_processes_with_its_violations():
    error = pickle.loads(pickle.dumps(PlanError(["stop a is visited 2 times", "b is late"])))
    assert error.violations == ["stop a is visited 2 times", "b is late"]
    assert str(error) == "plan failed the check: stop a is visited 2 times (and 1 more)"
