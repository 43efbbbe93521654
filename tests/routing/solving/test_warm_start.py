"""A search started from given routes (a warm start) returns a plan no worse than those routes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest

from routing.core import ModelError, Objective, Plan, Problem, Route, Stop, VehicleType
from routing.solving import (
    AutoEngine,
    Engine,
    OrToolsEngine,
    PyVrpEngine,
    SolveSettings,
    check_plan,
    plan_objective,
)
from tests.routing.solving.problems import line_problem
from tests.routing.solving.test_auto_engine import _hand_plan, scattered

ENGINES: list[type[Engine]] = [OrToolsEngine, PyVrpEngine]
#: Six stops at 1 to 6 km east of the depot (d): one van out to g and back drives 12 km.
SIX = {stop: 1000 * km for km, stop in enumerate("abcefg", start=1)}
#: A van for each stop, each driving out and back: 2 x (1 + ... + 6) = 42 km.
POOR_M = 42_000


def _six_vans() -> Problem:
    vans = [VehicleType("van", count=6, capacity_parcels=100, capacity_kg=100, depot="d")]
    return line_problem(SIX, vehicle_types=vans)


def _one_stop_per_van(problem: Problem) -> Plan:
    """A poor but feasible plan: every stop on a van of its own."""
    return _hand_plan(problem, "poor", *((stop,) for stop in SIX))


def _good_start(problem: Problem, objective: Objective) -> Plan:
    """A plan hard to improve on: PyVRP's after 300 iterations (reproducible)."""
    settings = SolveSettings(time_limit_s=5, solution_limit=300, objective=objective)
    return PyVrpEngine().solve(problem, settings)


@pytest.mark.parametrize("engine", ENGINES)
def test_a_search_from_poor_routes_is_no_worse_at_once_and_better_with_time(
        engine: type[Engine]) -> None:
    problem = _six_vans()
    poor = _one_stop_per_van(problem)
    assert check_plan(problem, poor, strict=False).ok and poor.distance_m == POOR_M
    one = engine().solve(problem, SolveSettings(time_limit_s=2, solution_limit=1), initial=poor)
    assert one.unserved == () and check_plan(problem, one, strict=False).ok
    assert one.distance_m <= POOR_M
    timed = engine().solve(problem, SolveSettings(time_limit_s=0.5), initial=poor)
    assert check_plan(problem, timed, strict=False).ok
    assert timed.distance_m == 12_000


@pytest.mark.parametrize("engine", ENGINES)
def test_a_start_that_leaves_a_stop_out_does_not_win_over_a_search_that_serves_it(
        engine: type[Engine]) -> None:
    problem = _six_vans()
    short = _hand_plan(problem, "short", ("a", "b", "c", "e", "f"))  # g left out: 10 km
    assert short.distance_m == 10_000 and [u.stop for u in short.unserved] == ["g"]
    # the search serves g at more km; the shorter start must not win back (it leaves g out)
    plan = engine().solve(problem, SolveSettings(time_limit_s=0.5), initial=short)
    assert plan.unserved == () and check_plan(problem, plan, strict=False).ok


@pytest.mark.parametrize("objective", [Objective.DISTANCE, Objective.DURATION])
@pytest.mark.parametrize("engine", ENGINES)
def test_a_search_from_good_routes_keeps_at_least_their_quality(
        engine: type[Engine], objective: Objective) -> None:
    problem = scattered(30)
    good = _good_start(problem, objective)
    good_value = plan_objective(problem, good, objective)
    briefly = SolveSettings(time_limit_s=2, solution_limit=1, objective=objective)
    cold = engine().solve(problem, briefly)
    assert plan_objective(problem, cold, objective) > good_value  # so the start is what counts
    warm = engine().solve(problem, briefly, initial=good)
    assert warm.unserved == () and check_plan(problem, warm, strict=False).ok
    assert plan_objective(problem, warm, objective) <= good_value


def test_ortools_keeps_a_start_that_is_better_by_the_objective_than_by_its_own_costs() -> None:
    # OR-Tools' duration costs leave out waiting: it prefers one van that waits near an hour
    # at b (which opens at 9:00, after a closes) to two vans that never wait.
    shift_s = 8 * 3600
    stops = [Stop("a", "A", 116.0, 33.0, parcels=10, weight_kg=10, close_s=shift_s + 400),
             Stop("b", "B", 116.0, 33.0, parcels=10, weight_kg=10, open_s=shift_s + 3600)]
    problem = line_problem({"a": 1000, "b": 2000}, stops=stops)
    settings = SolveSettings(time_limit_s=0.5, objective=Objective.DURATION)
    cold = OrToolsEngine().solve(problem, settings)
    assert [r.stops for r in cold.routes] == [("a", "b")] and cold.duration_s > 3000
    start = PyVrpEngine().solve(problem, settings)
    assert [r.stops for r in start.routes] == [("a",), ("b",)] and start.duration_s == 720
    warm = OrToolsEngine().solve(problem, settings, initial=start)
    assert warm.routes == start.routes and warm.engine == "ortools"


def test_auto_from_a_plan_returns_one_no_worse() -> None:
    problem = scattered(30)
    good = _good_start(problem, Objective.DISTANCE)
    plan = AutoEngine().solve(problem, SolveSettings(time_limit_s=1, solution_limit=2),
                              initial=good)
    assert plan.distance_m <= good.distance_m and check_plan(problem, plan, strict=False).ok
    assert plan.engine.startswith("auto(")


def _first_route(change: Callable[[Route], Route]) -> Callable[[Plan], Plan]:
    def bad(plan: Plan) -> Plan:
        return dataclasses.replace(plan, routes=(change(plan.routes[0]), *plan.routes[1:]))
    return bad


def _twice(route: Route) -> Route:
    """The route with its first stop visited again at its end."""
    return dataclasses.replace(route, stops=(*route.stops, route.stops[0]),
                               arrival_s=(*route.arrival_s, route.end_s))


BAD_STARTS = {
    "unknown vehicle": _first_route(lambda r: dataclasses.replace(r, vehicle="truck-09")),
    "unknown stop": _first_route(lambda r: dataclasses.replace(r, stops=("zz", *r.stops[1:]))),
    "a stop twice": _first_route(_twice),
    "a vehicle twice": lambda plan: dataclasses.replace(plan, routes=(
        *plan.routes, dataclasses.replace(plan.routes[0], stops=plan.routes[0].stops[:1],
                                          arrival_s=plan.routes[0].arrival_s[:1]))),
    "a vehicle of another type": _first_route(
        lambda r: dataclasses.replace(r, vehicle_type="truck")),
}


def _bad_cases() -> list[object]:
    """Every (engine, bad start) pair."""
    return [pytest.param(engine, what, id=f"{engine.name}-{what}")
            for engine in ENGINES for what in BAD_STARTS]


@pytest.mark.parametrize(("engine", "what"), _bad_cases())
def test_a_start_that_is_not_a_plan_of_the_problem_is_a_model_error(
        three_stops: Problem, engine: type[Engine], what: str) -> None:
    start = BAD_STARTS[what](_hand_plan(three_stops, "hand", ("a", "b", "c")))
    briefly = SolveSettings(time_limit_s=0.2, solution_limit=1)
    with pytest.raises(ModelError, match=r"^initial: "):
        engine().solve(three_stops, briefly, initial=start)
