"""OR-Tools drives a vehicle's several trips as linked trip slots: one Route per trip used."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from routing.core import Depot, ModelError, Plan, Problem, Route, Stop, VehicleType, build_problem
from routing.solving import (
    OrToolsEngine,
    SolveSettings,
    check_plan,
    explain_unserved,
    plan_objective,
)
from routing.solving.engines.ortools import trip_slots
from routing.solving.feasibility import Schedule, schedule
from tests.routing.solving.test_auto_engine import scattered

#: Loading at the depot before every trip.
LOAD_S = 300
BRIEFLY = SolveSettings(time_limit_s=1)


#: One trike of 10 parcels that may drive three trips a day.
TRIKE = VehicleType("trike", count=1, capacity_parcels=10, capacity_kg=100, depot="d",
                    max_trips=3)


def _trike(**fields: object) -> VehicleType:
    return dataclasses.replace(TRIKE, **fields)  # type: ignore[arg-type]


def _line(stops: list[Stop], positions_m: list[int], vehicle_type: VehicleType) -> Problem:
    """Depot d at 0 m, ``stops`` at ``positions_m`` on a road driven at 10 m/s, 60 s a stop."""
    x = np.array([0, *positions_m])
    distance = np.abs(x[:, None] - x[None, :])
    return build_problem(name="trips", depots=[Depot("d", "Depot", 116.0, 33.0)], stops=stops,
                         vehicle_types=[vehicle_type], ids=["d", *(s.id for s in stops)],
                         distance_m=distance, duration_s=distance // 10, per_stop_s=60,
                         per_parcel_s=0, load_s=LOAD_S)


def _parcels(n: int, **fields: int) -> list[Stop]:
    """Stops a, b, ... of ``fields`` (parcels, weight_kg, produce_kg) each."""
    spec = {"parcels": 5, "weight_kg": 5} | fields
    return [Stop(sid, sid.upper(), 116.0, 33.0, **spec) for sid in "abcdefg"[:n]]


def _three_stops(**fields: object) -> Problem:
    """a, b, c at 1, 2, 3 km, 5 parcels each: a 10-parcel trike needs two trips."""
    return _line(_parcels(3), [1000, 2000, 3000], _trike(**fields))


def _trips(plan: Plan, vehicle: str = "trike-01") -> tuple[Route, ...]:
    return plan.trips()[vehicle]


def test_one_vehicle_serves_more_than_its_capacity_in_two_trips() -> None:
    problem = _three_stops()
    plan = OrToolsEngine().solve(problem, BRIEFLY)
    assert plan.unserved == () and check_plan(problem, plan, strict=False).ok
    trips = _trips(plan)
    assert [r.trip for r in trips] == [1, 2] and len(plan.routes) == 2
    assert trips[1].start_s >= trips[0].end_s
    assert sorted(s for r in trips for s in r.stops) == ["a", "b", "c"]
    # each trip starts with its loading: the first arrival is at least loading + travel later
    for route in trips:
        first = problem.index[route.stops[0]]
        assert route.arrival_s[0] >= route.start_s + LOAD_S + problem.duration_s[0, first]


def test_unused_slots_take_no_time_a_day_that_fits_one_trip_only_is_still_served() -> None:
    big = _trike(capacity_parcels=100)
    # d-a-b-c-d: loading 300 s, driving 600 s, three stops of 60 s: exactly the shift
    problem = _line(_parcels(3), [1000, 2000, 3000],
                    dataclasses.replace(big, max_duration_s=1080))
    plan = OrToolsEngine().solve(problem, BRIEFLY)
    assert plan.unserved == () and check_plan(problem, plan, strict=False).ok
    (route,) = plan.routes
    assert route.trip == 1 and route.end_s - route.start_s == 1080


def test_the_shift_bounds_the_whole_day_not_each_trip() -> None:
    # a alone: 300 + 100 + 60 + 100 = 560 s; b alone 760 s; both trips 1320 s > 1000 s
    problem = _line(_parcels(2, parcels=10), [1000, 2000], _trike(max_duration_s=1000))
    plan = explain_unserved(problem, OrToolsEngine().solve(problem, BRIEFLY))
    assert check_plan(problem, plan, strict=False).ok
    assert len(plan.routes) == 1 and len(plan.unserved) == 1
    assert plan.unserved[0].why != "dropped", plan.unserved  # the diagnosis agrees it cannot fit
    # with room for the day, both are served, one trip each
    roomy = _line(_parcels(2, parcels=10), [1000, 2000], _trike(max_duration_s=1320))
    plan = OrToolsEngine().solve(roomy, BRIEFLY)
    assert plan.unserved == () and check_plan(roomy, plan, strict=False).ok
    assert [r.trip for r in _trips(plan)] == [1, 2]


def test_the_fixed_cost_is_charged_once_per_vehicle_day() -> None:
    # a and b fill a trike each trip; two trikes could take one each, at twice the fixed cost
    trike = _trike(count=2, max_trips=2, fixed_cost=100.0, cost_per_km=1.0)
    problem = _line(_parcels(2, parcels=10), [1000, 2000], trike)
    plan = OrToolsEngine().solve(problem, SolveSettings(time_limit_s=1, objective="cost"))
    assert plan.unserved == () and check_plan(problem, plan, strict=False).ok
    assert len(plan.days()) == 1 and [r.trip for r in _trips(plan)] == [1, 2]
    # 100 CNY once, plus 2 km + 4 km at 1 CNY/km, in fen
    expected = 100 * (100 + 2 + 4)
    assert plan_objective(problem, plan, "cost") == expected
    assert plan.objective == expected  # the search's own objective agrees


def test_produce_collected_beyond_the_kg_capacity_is_unloaded_between_two_trips() -> None:
    stops = _parcels(2, parcels=0, weight_kg=0, produce_kg=8)
    problem = _line(stops, [1000, 2000], _trike(capacity_kg=10, max_trips=2))
    plan = OrToolsEngine().solve(problem, BRIEFLY)
    assert plan.unserved == () and check_plan(problem, plan, strict=False).ok
    trips = _trips(plan)
    assert [r.trip for r in trips] == [1, 2] and [len(r.stops) for r in trips] == [1, 1]


def test_a_vehicle_goes_out_again_as_soon_as_it_is_back_when_nothing_makes_it_wait() -> None:
    # 40 stops, no time windows: two vans of four trips each. The search keeps the times of
    # routes it did not change, which left a 194 s wait at the depot before one van's second
    # trip (seed 1, 50 solutions); the plan's times are set afresh.
    base = scattered(40)
    vans = VehicleType("van", count=2, capacity_parcels=100, capacity_kg=100, depot="d",
                       max_trips=4, fixed_cost=200, cost_per_km=1.0, cost_per_hour=30.0)
    problem = dataclasses.replace(base, vehicle_types=(vans,),
                                  service_s=np.array([600, *base.service_s[1:]]))
    settings = SolveSettings(time_limit_s=2, objective="cost", solution_limit=50)
    plan = OrToolsEngine().solve(problem, settings)
    assert plan.unserved == () and check_plan(problem, plan, strict=False).ok
    assert len(plan.days()) == 2 and len(plan.routes) >= 5
    waits = [b.start_s - a.end_s for trips in plan.trips().values()
             for a, b in itertools.pairwise(trips)]
    assert waits == [0] * (len(plan.routes) - 2)


def test_a_single_trip_vehicle_is_one_slot() -> None:
    vans = _trike(count=3, max_trips=1)
    problem = _line(_parcels(2), [1000, 2000], vans)
    assert [(s.vehicle.id, s.trip) for s in trip_slots(problem)] == [
        ("trike-01", 1), ("trike-02", 1), ("trike-03", 1)]
    trikes = _line(_parcels(2), [1000, 2000], _trike(count=2, max_trips=2))
    assert [(s.vehicle.id, s.trip) for s in trip_slots(trikes)] == [
        ("trike-01", 1), ("trike-01", 2), ("trike-02", 1), ("trike-02", 2)]


def _hand_trips(problem: Problem, *trips: tuple[str, ...]) -> Plan:
    """One trike driving ``trips`` in order, each as early as the one before allows."""
    vehicle_type = problem.vehicle_types[0]
    routes, earliest = [], 0
    for number, stops in enumerate(trips, start=1):
        found = schedule(problem, vehicle_type, stops, earliest_s=earliest)
        assert isinstance(found, Schedule)
        distance = problem.distance_m
        path = [0, *(problem.index[s] for s in stops), 0]
        routes.append(Route(
            vehicle="trike-01", vehicle_type=vehicle_type.id, depot="d", stops=stops,
            arrival_s=found.service_start_s, start_s=found.start_s, end_s=found.end_s,
            distance_m=int(sum(distance[a, b] for a, b in itertools.pairwise(path))),
            load=(5 * len(stops), 5 * len(stops)), trip=number))
        earliest = found.end_s
    return Plan(problem=problem.name, engine="hand", seed=0, routes=tuple(routes), unserved=())


def test_a_search_from_two_trips_is_checked_and_no_worse() -> None:
    problem = _three_stops()
    # c alone, then a and b: out to 3 km, then to 2 km: 10 km; a search can do 8 km (a, b | c)
    start = _hand_trips(problem, ("c",), ("b", "a"))
    assert check_plan(problem, start, strict=False).ok and start.distance_m == 10_000
    plan = OrToolsEngine().solve(problem, BRIEFLY, initial=start)
    assert plan.unserved == () and check_plan(problem, plan, strict=False).ok
    assert plan.distance_m <= start.distance_m
    once = OrToolsEngine().solve(problem, SolveSettings(time_limit_s=1, solution_limit=1),
                                 initial=start)
    assert check_plan(problem, once, strict=False).ok and once.distance_m <= 10_000


def test_a_start_with_a_trip_number_twice_or_too_many_trips_is_a_model_error() -> None:
    problem = _three_stops()
    start = _hand_trips(problem, ("c",), ("b", "a"))
    twice = dataclasses.replace(start, routes=(
        start.routes[0], dataclasses.replace(start.routes[1], trip=1)))
    with pytest.raises(ModelError, match=r"^initial: vehicle 'trike-01' has two routes with "
                                         r"trip 1"):
        OrToolsEngine().solve(problem, BRIEFLY, initial=twice)
    three = _hand_trips(problem, ("c",), ("b",), ("a",))
    with pytest.raises(ModelError, match=r"^initial: vehicle 'trike-01' drives 3 trips, over "
                                         r"the 2"):
        OrToolsEngine().solve(_three_stops(max_trips=2), BRIEFLY, initial=three)
