"""The checker reads a vehicle's trips one by one: produce is unloaded at the depot between
trips, each trip leaves once the one before is back and has loaded, the day fits the shift, and
the vehicle's fixed cost is charged once."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from routing.core import Depot, Plan, PlanError, Problem, Route, Stop, VehicleType, build_problem
from routing.solving import check_plan, plan_objective

START = 8 * 3600
#: Loading at the depot at the start of every trip (unload the produce, load the parcels).
LOAD_S = 120
#: Service at a village, 10 m/s on a straight road from the depot at 0 m.
PER_STOP_S = 60

TRIKE = VehicleType("trike", count=1, capacity_parcels=10, capacity_kg=10, depot="d",
                    kind="tricycle", max_trips=2, max_duration_s=3600, fixed_cost=20,
                    cost_per_km=0.5, cost_per_hour=12)


def _problem(positions_m: dict[str, int], trike: VehicleType = TRIKE) -> Problem:
    """Villages at ``positions_m`` each sending 8 kg of produce and receiving one 1 kg parcel."""
    ids = ["d", *positions_m]
    x = np.array([0, *positions_m.values()])
    distance = np.abs(x[:, None] - x[None, :])
    stops = [Stop(s, s, 116.0, 33.0, parcels=1, weight_kg=1, produce_kg=8) for s in positions_m]
    return build_problem(name="trips", depots=[Depot("d", "Depot", 116.0, 33.0)], stops=stops,
                         vehicle_types=[trike], ids=ids, distance_m=distance,
                         duration_s=distance // 10, per_stop_s=PER_STOP_S, per_parcel_s=0,
                         load_s=LOAD_S)


def _trip(trip: int, stops: tuple[str, ...], start_s: int, problem: Problem) -> Route:
    """A trip leaving at ``start_s`` with the earliest times the matrices allow."""
    at, clock, distance, arrivals = "d", start_s, 0, []
    for sid in stops:
        clock += int(problem.service_s[problem.index[at]])
        clock += int(problem.duration_s[problem.index[at], problem.index[sid]])
        distance += int(problem.distance_m[problem.index[at], problem.index[sid]])
        arrivals.append(clock)
        at = sid
    clock += int(problem.service_s[problem.index[at]])
    clock += int(problem.duration_s[problem.index[at], problem.index["d"]])
    distance += int(problem.distance_m[problem.index[at], problem.index["d"]])
    load = (len(stops), len(stops))  # one 1 kg parcel per village
    return Route(vehicle="trike-01", vehicle_type="trike", depot="d", stops=stops,
                 arrival_s=tuple(arrivals), start_s=start_s, end_s=clock, distance_m=distance,
                 load=load, trip=trip)


def _plan(*routes: Route) -> Plan:
    return Plan(problem="trips", engine="hand", seed=0, routes=routes, unserved=())


@pytest.fixture
def two_villages() -> Problem:
    return _problem({"a": 1000, "b": 2000})


def _two_trips(problem: Problem) -> tuple[Route, Route]:
    first = _trip(1, ("a",), START, problem)
    return first, _trip(2, ("b",), first.end_s, problem)


def test_two_trips_unloading_the_produce_in_between_pass(two_villages):
    first, second = _two_trips(two_villages)
    # load 120 s, 100 s out, 60 s at a, 100 s back; then load 120 s, 200 s out, 60 s, 200 s back
    assert (first.arrival_s, first.end_s) == ((START + 220,), START + 380)
    assert (second.start_s, second.arrival_s, second.end_s) == (
        START + 380, (START + 700,), START + 960)
    report = check_plan(two_villages, _plan(first, second))
    assert report.ok
    # each trip's profile on its own: 1 kg out, 8 kg back; the 8 kg of trip 1 are not aboard
    assert [r.load_profile for r in report.routes] == [((1, 1), (0, 8))] * 2
    assert [r.trip for r in report.routes] == [1, 2]


def test_produce_carried_across_the_reload_it_should_have_been_unloaded_at_is_rejected(
        two_villages):
    # the same two villages claimed as one trip: 1 + 1 kg out, 9 kg after a, 16 kg after b
    one = _trip(1, ("a", "b"), START, two_villages)
    with pytest.raises(PlanError, match="carries 16 kg after stop b, over the capacity of 10"):
        check_plan(two_villages, _plan(one))
    report = check_plan(two_villages, _plan(one), strict=False)
    assert report.routes[0].load_profile == ((2, 2), (1, 9), (0, 16))


def test_a_second_trip_that_overloads_is_rejected():
    problem = _problem({"a": 1000, "b": 2000, "c": 3000})
    first = _trip(1, ("a",), START, problem)
    second = _trip(2, ("b", "c"), first.end_s, problem)
    report = check_plan(problem, _plan(first, second), strict=False)
    assert report.violations == (
        "route trike-01 trip 2: carries 16 kg after stop c, over the capacity of 10",)
    assert [r.max_load for r in report.routes] == [(1, 8), (2, 16)]


def test_a_second_trip_leaving_before_the_first_is_back_is_rejected(two_villages):
    first, _ = _two_trips(two_villages)
    early = _trip(2, ("b",), first.end_s - 80, two_villages)
    with pytest.raises(PlanError, match=r"vehicle trike-01: trip 2 starts at 29100 s, before "
                                        r"trip 1 is back at 29180 s"):
        check_plan(two_villages, _plan(first, early))


def test_a_second_trip_that_skips_its_loading_time_is_rejected(two_villages):
    first, second = _two_trips(two_villages)
    rushed = dataclasses.replace(second, arrival_s=(second.start_s + 200,))
    with pytest.raises(PlanError, match=r"arrives at b at 29380 s, earlier than the 29500 s"):
        check_plan(two_villages, _plan(first, rushed))


def test_a_day_over_the_shift_is_rejected_though_each_trip_fits():
    short = dataclasses.replace(TRIKE, max_duration_s=900)
    problem = _problem({"a": 1000, "b": 2000}, short)
    first, second = _two_trips(problem)
    assert first.duration_s <= 900 and second.duration_s <= 900
    # (a day over the shift's length also ends after the shift: both are said)
    assert check_plan(problem, _plan(first, second), strict=False).violations == (
        "route trike-01 trip 2: returns at 29760 s, after its shift ends at 29700 s",
        "vehicle trike-01: its day takes 960 s, over the 900 s shift")


def test_a_third_trip_over_max_trips_is_rejected():
    problem = _problem({"a": 1000, "b": 2000, "c": 3000})
    first = _trip(1, ("a",), START, problem)
    second = _trip(2, ("b",), first.end_s, problem)
    third = _trip(3, ("c",), second.end_s, problem)
    with pytest.raises(PlanError, match="vehicle trike-01 drives 3 trips, over the 2 its type "
                                        "trike allows"):
        check_plan(problem, _plan(first, second, third))


def test_the_fixed_cost_is_charged_once_per_vehicle_and_hours_run_over_the_working_day(
        two_villages):
    plan = _plan(*_two_trips(two_villages))
    (day,) = plan.days()
    assert (day.distance_m, day.duration_s) == (6000, 960)
    # 20 fixed (once), 6 km x 0.5, 960 s x 12 per hour, in cents
    assert plan_objective(two_villages, plan, "cost") == round(100 * (20 + 6 * 0.5
                                                                      + 12 * 960 / 3600)) == 2620
    assert plan_objective(two_villages, plan, "duration") == 960
    assert plan_objective(two_villages, plan, "distance") == 6000
