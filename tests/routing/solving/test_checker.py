"""The independent checker accepts good plans and rejects each kind of bad one."""

from __future__ import annotations

import dataclasses

import pytest

from routing.core import Plan, PlanError, Route, Stop, Unserved, VehicleType, Why
from routing.solving import check_plan
from tests.routing.solving.problems import line_problem

START = 8 * 3600


def _route(stops: tuple[str, ...], *, distance_m: int, load: tuple[int, int],
           arrivals: tuple[int, ...], end_s: int, vehicle: str = "van-01") -> Route:
    return Route(vehicle=vehicle, vehicle_type="van", depot="d", stops=stops, arrival_s=arrivals,
                 start_s=START, end_s=end_s, distance_m=distance_m, load=load)


def _plan(*routes: Route, unserved: tuple[Unserved, ...] = ()) -> Plan:
    return Plan(problem="line", engine="hand", seed=0, routes=routes, unserved=unserved)


@pytest.fixture
def good_route() -> Route:
    # a, b, c at 1, 2, 3 km; 10 m/s; 60 s service per stop.
    return _route(("a", "b", "c"), distance_m=6000, load=(30, 30),
                  arrivals=(START + 100, START + 260, START + 420), end_s=START + 780)


def test_a_correct_plan_passes(three_stops, good_route):
    report = check_plan(three_stops, _plan(good_route))
    assert report.ok
    assert report.routes[0].load_profile == ((30, 30), (20, 20), (10, 10), (0, 0))


def test_a_stop_visited_twice_is_rejected(three_stops, good_route):
    twice = dataclasses.replace(good_route, stops=("a", "b", "c", "a"),
                                arrival_s=(*good_route.arrival_s, START + 700))
    with pytest.raises(PlanError, match="stop a is visited 2 times"):
        check_plan(three_stops, _plan(twice))


def test_a_forgotten_stop_is_rejected(three_stops):
    route = _route(("a", "b"), distance_m=4000, load=(20, 20),
                   arrivals=(START + 100, START + 260), end_s=START + 580)
    with pytest.raises(PlanError, match="stop c is neither served nor listed unserved"):
        check_plan(three_stops, _plan(route))


def test_unserved_needs_a_reason(three_stops):
    route = _route(("a", "b"), distance_m=4000, load=(20, 20),
                   arrivals=(START + 100, START + 260), end_s=START + 580)
    with pytest.raises(PlanError, match="unserved stop c has no reason"):
        check_plan(three_stops, _plan(route, unserved=(Unserved("c", " "),)))


def test_a_wrong_distance_is_rejected(three_stops, good_route):
    with pytest.raises(PlanError, match="distance_m is 5000 but the matrix gives 6000"):
        check_plan(three_stops, _plan(dataclasses.replace(good_route, distance_m=5000)))


def test_an_arrival_faster_than_the_roads_allow_is_rejected(three_stops, good_route):
    early = dataclasses.replace(good_route, arrival_s=(START + 50, START + 260, START + 420))
    with pytest.raises(PlanError, match="arrives at a at 28850 s, earlier than"):
        check_plan(three_stops, _plan(early))


def test_a_missed_time_window_is_rejected(good_route):
    stops = [Stop("a", "a", 116.0, 33.0, parcels=10, weight_kg=10, close_s=START + 60),
             *(Stop(s, s, 116.0, 33.0, parcels=10, weight_kg=10) for s in ("b", "c"))]
    problem = line_problem({"a": 1000, "b": 2000, "c": 3000}, stops=stops)
    with pytest.raises(PlanError, match="reaches a at 28900 s, after its window closes"):
        check_plan(problem, _plan(good_route))


def test_a_route_longer_than_the_shift_is_rejected(good_route):
    vans = [VehicleType("van", count=1, capacity_parcels=100, capacity_kg=100, depot="d",
                        max_duration_s=600)]
    problem = line_problem({"a": 1000, "b": 2000, "c": 3000}, vehicle_types=vans)
    with pytest.raises(PlanError, match="takes 780 s, over the 600 s shift"):
        check_plan(problem, _plan(good_route))


def test_overload_mid_route_is_rejected_although_start_and_end_fit():
    # A 70 kg van leaves with 60 kg of parcels (fits) and returns with 50 kg of produce (fits),
    # but after stop a it holds 60 - 30 + 50 = 80 kg.
    stops = [Stop("a", "a", 116.0, 33.0, parcels=1, weight_kg=30, produce_kg=50),
             Stop("b", "b", 116.0, 33.0, parcels=1, weight_kg=30)]
    vans = [VehicleType("van", count=1, capacity_parcels=10, capacity_kg=70, depot="d")]
    problem = line_problem({"a": 1000, "b": 2000}, stops=stops, vehicle_types=vans)
    route = _route(("a", "b"), distance_m=4000, load=(2, 60),
                   arrivals=(START + 100, START + 260), end_s=START + 520)
    with pytest.raises(PlanError, match="carries 80 kg after stop a, over the capacity of 70"):
        check_plan(problem, _plan(route))


def test_a_wrong_claimed_load_is_rejected(three_stops, good_route):
    with pytest.raises(PlanError, match=r"load is \(10, 30\) but its stops need \(30, 30\)"):
        check_plan(three_stops, _plan(dataclasses.replace(good_route, load=(10, 30))))


def test_one_vehicle_cannot_drive_two_routes_as_its_first_trip(three_stops):
    r1 = _route(("a",), distance_m=2000, load=(10, 10), arrivals=(START + 100,),
                end_s=START + 260)
    r2 = _route(("b", "c"), distance_m=6000, load=(20, 20),
                arrivals=(START + 200, START + 360), end_s=START + 720)
    with pytest.raises(PlanError, match=r"vehicle van-01: trips are numbered \[1, 1\]"):
        check_plan(three_stops, _plan(r1, r2))


def test_a_second_trip_needs_a_type_that_allows_it(three_stops):
    r1 = _route(("a",), distance_m=2000, load=(10, 10), arrivals=(START + 100,),
                end_s=START + 260)
    r2 = dataclasses.replace(_route(("b", "c"), distance_m=6000, load=(20, 20),
                                    arrivals=(START + 460, START + 620), end_s=START + 980),
                             start_s=START + 260, trip=2)
    with pytest.raises(PlanError, match="vehicle van-01 drives 2 trips, over the 1 its type"):
        check_plan(three_stops, _plan(r1, r2))


def test_non_strict_mode_lists_every_violation(three_stops, good_route):
    bad = dataclasses.replace(good_route, distance_m=1, load=(0, 0))
    report = check_plan(three_stops, _plan(bad), strict=False)
    assert not report.ok
    assert len(report.violations) == 2


def test_a_route_ending_after_the_shift_is_rejected(three_stops):
    # the van's shift is 08:00 + 9 h: leaving at 19:50 and back at 20:03 is outside it
    late = dataclasses.replace(
        _route(("a", "b", "c"), distance_m=6000, load=(30, 30),
               arrivals=(19 * 3600 + 3100, 19 * 3600 + 3260, 19 * 3600 + 3420),
               end_s=19 * 3600 + 3780), start_s=19 * 3600 + 3000)
    with pytest.raises(PlanError, match="after its shift ends at 61200 s"):
        check_plan(three_stops, _plan(late))


def test_a_false_fleet_too_small_is_rejected_when_a_van_is_idle(three_stops):
    route = _route(("a", "b"), distance_m=4000, load=(20, 20),
                   arrivals=(START + 100, START + 260), end_s=START + 580)
    claim = Unserved("c", "fleet too small", Why.FLEET_TOO_SMALL)
    with pytest.raises(PlanError, match="listed as fleet too small, but vehicle van-02 is unused"):
        check_plan(three_stops, _plan(route, unserved=(claim,)))


def test_a_false_too_big_and_a_false_unreachable_are_rejected(three_stops):
    route = _route(("a", "b"), distance_m=4000, load=(20, 20),
                   arrivals=(START + 100, START + 260), end_s=START + 580)
    for why, wrong in ((Why.TOO_BIG, "van can carry it"),
                       (Why.UNREACHABLE, "van can serve it on a trip of its own"),
                       (Why.NO_ROAD, "it was not excluded for want of a road"),
                       (Why.DROPPED, "the reason was never diagnosed")):
        with pytest.raises(PlanError, match=f"listed as {why}, but {wrong}"):
            check_plan(three_stops, _plan(route, unserved=(Unserved("c", "because", why),)))


def test_a_true_reason_passes():
    vans = [VehicleType("van", count=1, capacity_parcels=100, capacity_kg=100, depot="d",
                        max_duration_s=3600)]
    problem = line_problem({"a": 1000, "far": 30_000}, vehicle_types=vans)
    route = _route(("a",), distance_m=2000, load=(10, 10), arrivals=(START + 100,),
                   end_s=START + 260)
    claim = Unserved("far", "the round trip takes 1.7 h", Why.UNREACHABLE)
    assert check_plan(problem, _plan(route, unserved=(claim,))).ok
