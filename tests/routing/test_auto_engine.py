"""The ``auto`` engine's choice and the portfolio that keeps the best checked plan."""

from __future__ import annotations

import dataclasses

from routing.engines.auto import AutoEngine, choose_jobs
from routing.engines.base import SolveSettings
from routing.engines.portfolio import OrToolsParallelEngine, best_plan, plan_rank, run_jobs
from routing.model import Plan, Route, Stop, Unserved
from routing.solve import ENGINES, make_engine, solve_checked
from tests.routing.problems import line_problem

FAST = SolveSettings(time_limit_s=1, seed=4, solution_limit=100)


@dataclasses.dataclass(frozen=True)
class StopWithBreak(Stop):
    """A stop with a model feature PyVRP's adapter does not know (stands in for e.g. breaks)."""

    break_s: int = 0


def test_auto_ortools_and_pyvrp_are_registered():
    assert {"ortools", "pyvrp", "auto"} <= set(ENGINES)


def test_auto_runs_pyvrp_with_two_seeds_when_pyvrp_models_the_problem(three_stops):
    jobs = choose_jobs(three_stops, FAST)
    assert [(engine, s.seed) for engine, s in jobs] == [("pyvrp", 4), ("pyvrp", 5)]
    plan, report = solve_checked(three_stops, make_engine("auto"), FAST)
    assert report.ok and plan.engine == "auto(pyvrp)" and plan.seed == 4
    assert plan.distance_m == 6000


def test_auto_falls_back_to_ortools_for_what_pyvrp_cannot_model():
    stops = [StopWithBreak(s, s, 116.0, 33.0, 1, 1, break_s=600) for s in ("a", "b")]
    problem = line_problem({"a": 1000, "b": 2000}, stops=stops)
    assert choose_jobs(problem, FAST) == []
    plan, report = solve_checked(problem, AutoEngine(), FAST)
    assert report.ok and plan.engine == "auto(ortools)"
    assert plan.distance_m == 4000


def test_ortools_parallel_runs_two_differently_started_searches(three_stops):
    plan, report = solve_checked(three_stops, OrToolsParallelEngine(), FAST)
    assert report.ok and plan.engine == "ortools-parallel(ortools)" and plan.distance_m == 6000


def test_run_jobs_returns_each_jobs_plan_in_order(three_stops):
    plans = run_jobs(three_stops, [("pyvrp", FAST), ("ortools", FAST)])
    assert [p.engine for p in plans] == ["pyvrp", "ortools"]


def _plan(distance_m: int, *, unserved: tuple[Unserved, ...] = (), load: int = 20,
          name: str = "x") -> Plan:
    route = Route(vehicle="van-01", vehicle_type="van", depot="d", stops=("a", "b"),
                  arrival_s=(28_900, 29_060), start_s=28_800, end_s=29_420,
                  distance_m=distance_m, load=(load, load))
    return Plan(problem="line", engine=name, seed=0, routes=(route,), unserved=unserved)


def test_best_plan_prefers_checked_then_fewest_unserved_then_lowest_objective():
    problem = line_problem({"a": 1000, "b": 2000})
    good = _plan(4000, name="good")
    # claims a shorter distance than the matrix gives: fails the checker despite the lower cost
    lying = _plan(3000, name="lying")
    assert plan_rank(problem, lying, "distance")[0] == 1
    assert best_plan(problem, [lying, good], "distance").engine == "good"
    assert best_plan(problem, [good, dataclasses.replace(good, engine="twin")],
                     "distance").engine == "good"


def test_auto_is_reproducible_with_a_seed_and_a_solution_limit(three_stops):
    problem = line_problem({f"s{i}": 700 * i for i in range(1, 9)})
    first, _ = solve_checked(problem, make_engine("auto"), FAST)
    again, _ = solve_checked(problem, make_engine("auto"), FAST)
    assert first.routes == again.routes
