"""The PyVRP engine with vehicles that drive several trips a day (PyVRP's reload depots)."""

from __future__ import annotations

import dataclasses
import itertools
import pickle

import numpy as np
import pytest
import pyvrp

from routing.core import (
    Depot,
    ModelError,
    Objective,
    Plan,
    Problem,
    Route,
    Stop,
    Unserved,
    VehicleType,
    Why,
    build_problem,
)
from routing.solving import (
    DROPPED_BY_ENGINE,
    AutoEngine,
    PyVrpEngine,
    Schedule,
    SolveSettings,
    check_plan,
    explain_unserved,
    plan_objective,
    pyvrp_unsupported,
    schedule,
)
from routing.solving.engines.pyvrp import scaling, to_problem_data
from routing.solving.engines.pyvrp_repair import (
    RELOAD,
    feasible_visits,
    insert_missing,
    pyvrp_route,
    trips_of,
    visits_of,
)

FAST = SolveSettings(time_limit_s=2, solution_limit=200)
#: Loading at the depot at the start of every trip.
LOAD_S = 300
#: Stops every kilometre east of the depot; the road is driven at 10 m/s.
POSITIONS_M = {"a": 1000, "b": 2000, "c": 3000, "e": 4000}


def _van(max_trips: int = 3) -> VehicleType:
    return VehicleType("van", count=1, capacity_parcels=10, capacity_kg=100, depot="d",
                       max_trips=max_trips)


def _problem(stops: list[Stop], vehicle: VehicleType) -> Problem:
    """``stops`` on a straight road east of depot ``d`` (at :data:`POSITIONS_M`)."""
    ids = ["d", *(s.id for s in stops)]
    x = np.array([0, *(POSITIONS_M[s.id] for s in stops)])
    distance = np.abs(x[:, None] - x[None, :])
    return build_problem(name="trips", depots=[Depot("d", "Depot", 116.0, 33.0)], stops=stops,
                         vehicle_types=[vehicle], ids=ids, distance_m=distance,
                         duration_s=distance // 10, per_stop_s=60, per_parcel_s=0,
                         load_s=LOAD_S)


def _parcels(n: int, ids: str = "abc") -> list[Stop]:
    return [Stop(sid, sid.upper(), 116.0, 33.0, parcels=n, weight_kg=n) for sid in ids]


def _produce(kg: int) -> list[Stop]:
    return [Stop(sid, sid.upper(), 116.0, 33.0, parcels=0, weight_kg=0, produce_kg=kg)
            for sid in "ab"]


def _day_plan(problem: Problem, *trips: tuple[str, ...], numbers: tuple[int, ...] = ()) -> Plan:
    """A hand-made plan: the one vehicle drives ``trips`` in order, each as early as it can."""
    vehicle = problem.vehicles[0]
    distance_m, _ = problem.matrices_for(vehicle.type)
    routes, earliest = [], 0
    for number, stops in zip(numbers or itertools.count(1), trips, strict=False):
        found = schedule(problem, vehicle.type, stops, earliest_s=earliest)
        assert isinstance(found, Schedule)
        path = [0, *(problem.index[s] for s in stops), 0]
        load = np.sum([problem.stop_by_id[s].delivery for s in stops], axis=0)
        routes.append(Route(vehicle.id, vehicle.type.id, "d", stops, found.service_start_s,
                            found.start_s, found.end_s,
                            sum(int(distance_m[a, b]) for a, b in itertools.pairwise(path)),
                            tuple(int(x) for x in load), trip=number))
        earliest = found.end_s
    served = {s for stops in trips for s in stops}
    return Plan(problem=problem.name, engine="hand", seed=0, routes=tuple(routes),
                unserved=tuple(Unserved(s.id, DROPPED_BY_ENGINE) for s in problem.stops
                               if s.id not in served))


def test_a_multi_trip_type_enters_pyvrp_with_its_depot_as_reload_depot() -> None:
    problem = _problem(_parcels(5), _van(max_trips=3))
    assert pyvrp_unsupported(problem) == ()
    data = to_problem_data(problem, problem.stops, "distance")
    vt = data.vehicle_type(0)
    assert (vt.reload_depots, vt.max_trips) == ([0], 3)
    assert data.depots()[0].service_duration == LOAD_S
    single = to_problem_data(_problem(_parcels(5), _van(max_trips=1)), problem.stops, "distance")
    assert (single.vehicle_type(0).reload_depots, single.vehicle_type(0).max_trips) == ([], 1)


def test_one_van_serves_three_stops_of_half_a_load_in_two_trips() -> None:
    problem = _problem(_parcels(5), _van(max_trips=3))
    plan = PyVrpEngine().solve(problem, FAST)
    assert check_plan(problem, plan, strict=False).ok and plan.unserved == ()
    assert {r.vehicle for r in plan.routes} == {"van-01"}
    first, second = plan.trips()["van-01"]
    assert (first.trip, second.trip) == (1, 2)
    assert second.start_s >= first.end_s
    travel = int(problem.duration_s[0, problem.index[second.stops[0]]])
    assert second.arrival_s[0] >= second.start_s + LOAD_S + travel
    # a (2 km) alone and c, b together (6 km): the shortest two trips
    assert plan.distance_m == plan.objective == 8000
    assert sorted(r.load for r in plan.routes) == [(5, 5), (10, 10)]


def test_a_trike_unloads_its_produce_between_two_trips() -> None:
    trike = VehicleType("trike", count=1, capacity_parcels=10, capacity_kg=10, depot="d",
                        max_trips=2)
    problem = _problem(_produce(8), trike)
    plan = PyVrpEngine().solve(problem, FAST)
    assert check_plan(problem, plan, strict=False).ok and plan.unserved == ()
    assert [len(r.stops) for r in plan.trips()["trike-01"]] == [1, 1]


def test_a_single_trip_trike_leaves_the_second_load_of_produce_unserved() -> None:
    trike = VehicleType("trike", count=1, capacity_parcels=10, capacity_kg=10, depot="d")
    problem = _problem(_produce(8), trike)
    plan = explain_unserved(problem, PyVrpEngine().solve(problem, FAST))
    assert check_plan(problem, plan, strict=False).ok
    assert len(plan.routes) == 1 and [u.why for u in plan.unserved] == [Why.FLEET_TOO_SMALL]


def test_a_search_from_two_poor_trips_is_checked_and_no_worse() -> None:
    problem = _problem(_parcels(5), _van(max_trips=2))
    poor = _day_plan(problem, ("c",), ("a", "b"))
    assert check_plan(problem, poor, strict=False).ok and poor.distance_m == 10_000
    at_once = PyVrpEngine().solve(problem, SolveSettings(time_limit_s=1, solution_limit=1),
                                  initial=poor)
    assert check_plan(problem, at_once, strict=False).ok and at_once.distance_m <= 10_000
    searched = PyVrpEngine().solve(problem, FAST, initial=poor)
    assert check_plan(problem, searched, strict=False).ok and searched.distance_m == 8000


@pytest.mark.parametrize(("numbers", "trips", "match"), [
    ((1, 1), (("a",), ("b", "c")), r"^initial: vehicle 'van-01' has two routes numbered trip 1"),
    ((), (("a",), ("b",), ("c",)), r"^initial: vehicle 'van-01' drives 3 trips, over the 2"),
])
def test_a_start_with_a_trip_twice_or_too_many_trips_is_a_model_error(
        numbers: tuple[int, ...], trips: tuple[tuple[str, ...], ...], match: str) -> None:
    problem = _problem(_parcels(5), _van(max_trips=2))
    start = _day_plan(problem, *trips, numbers=numbers)
    with pytest.raises(ModelError, match=match):
        PyVrpEngine().solve(problem, SolveSettings(time_limit_s=1, solution_limit=1),
                            initial=start)


def test_repair_drops_from_the_overloaded_trip_and_reinsertion_uses_any_trip() -> None:
    problem = _problem(_parcels(5, "abce"), _van(max_trips=3))
    data = to_problem_data(problem, problem.stops, "distance")
    overloaded = pyvrp.Solution(data, [pyvrp_route(data, 0, [0, 1, 2, RELOAD, 3])])
    (repaired,) = feasible_visits(data, overloaded)
    vt, visits = repaired
    trips = trips_of(visits)
    assert [len(t) for t in trips] == [2, 1] and trips[1] == [3]
    # the dropped stop goes back into the second trip, which has room for it
    ((_, full),) = insert_missing(data, [repaired])
    assert [len(t) for t in trips_of(full)] == [2, 2] and 3 in trips_of(full)[1]
    assert pyvrp_route(data, vt, full).is_feasible()


def test_a_stop_no_trip_has_room_for_gets_a_trip_of_its_own_if_the_type_allows() -> None:
    problem = _problem(_parcels(5), _van(max_trips=3))
    data = to_problem_data(problem, problem.stops, "distance")
    ((_, visits),) = insert_missing(data, [(0, [0, 1])])
    assert visits.count(RELOAD) == 1 and sorted(len(t) for t in trips_of(visits)) == [1, 2]
    assert pyvrp_route(data, 0, visits).is_feasible()
    single = _problem(_parcels(5), _van(max_trips=1))
    data = to_problem_data(single, single.stops, "distance")
    assert insert_missing(data, [(0, [0, 1])]) == [(0, [0, 1])]


def test_a_trip_without_clients_is_no_trip_of_ours() -> None:
    problem = _problem(_parcels(5), _van(max_trips=3))
    data = to_problem_data(problem, problem.stops, "distance")
    depot = pyvrp.Activity(pyvrp.ActivityType.DEPOT, 0)
    route = pyvrp.Route(data, [pyvrp.Activity(pyvrp.ActivityType.CLIENT, 0), depot, depot,
                               pyvrp.Activity(pyvrp.ActivityType.CLIENT, 2)], 0)
    assert route.num_trips() == 3 and visits_of(route) == [0, RELOAD, 2]


def test_a_vehicle_pays_its_fixed_cost_and_hours_once_a_day_in_pyvrp_as_in_the_plan() -> None:
    van = dataclasses.replace(_van(max_trips=2), fixed_cost=100.0, cost_per_km=2.0,
                              cost_per_hour=36.0)
    problem = _problem(_parcels(5), van)
    plan = _day_plan(problem, ("a",), ("b", "c"))
    (day,) = plan.days()
    cents = plan_objective(problem, plan, Objective.COST)
    assert cents == round(100 * (100 + 2 * day.distance_m / 1000 + 36 * day.duration_s / 3600))
    data = to_problem_data(problem, problem.stops, "cost")
    route = pyvrp_route(data, 0, [0, RELOAD, 1, 2])
    assert (route.start_time(), route.end_time()) == (day.start_s, day.end_s)
    units = route.fixed_vehicle_cost() + route.distance_cost() + route.duration_cost()
    per_cent = scaling(problem, problem.stops, "cost").units_per_yuan // 100
    assert units / per_cent == pytest.approx(cents, abs=1)
    solved = PyVrpEngine().solve(problem, dataclasses.replace(FAST, objective=Objective.COST))
    assert solved.objective == plan_objective(problem, solved, Objective.COST) <= cents


def test_auto_returns_a_multi_trip_plan_and_such_plans_pickle() -> None:
    problem = _problem(_parcels(5), _van(max_trips=3))
    plan = AutoEngine().solve(problem, SolveSettings(time_limit_s=1, solution_limit=50))
    assert plan.engine.startswith("auto(pyvrp")
    assert check_plan(problem, plan, strict=False).ok and plan.unserved == ()
    assert [r.trip for r in plan.trips()["van-01"]] == [1, 2]
    assert pickle.loads(pickle.dumps(plan)) == plan
