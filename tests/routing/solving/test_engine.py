"""The OR-Tools engine on problems whose optimum is known by hand."""

from __future__ import annotations

from routing.core import Stop, VehicleType, Why
from routing.solving import SolveSettings, make_engine, solve_checked
from tests.routing.solving.problems import line_problem

FAST = SolveSettings(time_limit_s=1, solution_limit=200)


def test_three_stops_on_a_line_take_one_6_km_route(three_stops):
    plan, report = solve_checked(three_stops, make_engine("ortools"), FAST)
    assert report.ok
    assert len(plan.routes) == 1
    route = plan.routes[0]
    assert route.stops in (("a", "b", "c"), ("c", "b", "a"))
    assert route.distance_m == 6000
    assert route.load == (30, 30)
    assert plan.unserved == ()


def test_capacity_splits_the_stops_over_two_vans():
    stops = [Stop(s, s, 116.0, 33.0, parcels=60, weight_kg=10) for s in ("a", "b")]
    problem = line_problem({"a": 1000, "b": 2000}, stops=stops)
    plan, _ = solve_checked(problem, make_engine("ortools"), FAST)
    assert sorted(len(r.stops) for r in plan.routes) == [1, 1]
    assert plan.distance_m == 2000 + 4000


def test_schedule_counts_travel_and_service_time(three_stops):
    plan, _ = solve_checked(three_stops, make_engine("ortools"), FAST)
    route = plan.routes[0]
    # 10 m/s and 60 s per stop: 600 s driving + 180 s service, leaving at the 08:00 shift start.
    assert route.start_s == 8 * 3600
    assert route.duration_s == 600 + 180
    assert route.arrival_s[0] == 8 * 3600 + 100


def test_time_window_forces_the_visiting_order():
    stops = [Stop("a", "a", 116.0, 33.0, parcels=1, weight_kg=1, open_s=9 * 3600),
             Stop("b", "b", 116.0, 33.0, parcels=1, weight_kg=1, close_s=8 * 3600 + 600)]
    vans = [VehicleType("van", count=1, capacity_parcels=10, capacity_kg=10, depot="d")]
    problem = line_problem({"a": 1000, "b": 2000}, stops=stops, vehicle_types=vans)
    plan, report = solve_checked(problem, make_engine("ortools"), FAST)
    assert report.ok
    assert plan.routes[0].stops == ("b", "a")
    assert plan.routes[0].arrival_s[1] >= 9 * 3600


def test_pickups_limit_the_load_mid_route():
    # Each stop takes 50 kg of parcels and gives 90 kg of produce. One 100 kg van could carry
    # both deliveries, but after its first stop it would hold 50 + 90 = 140 kg: two vans needed.
    stops = [Stop(s, s, 116.0, 33.0, parcels=1, weight_kg=50, produce_kg=90) for s in ("a", "b")]
    vans = [VehicleType("van", count=2, capacity_parcels=10, capacity_kg=100, depot="d")]
    problem = line_problem({"a": 1000, "b": 2000}, stops=stops, vehicle_types=vans)
    plan, report = solve_checked(problem, make_engine("ortools"), FAST)
    assert report.ok
    assert len(plan.routes) == 2
    assert max(max(r.max_load) for r in report.routes) <= 100


def test_a_stop_beyond_the_shift_is_unserved_with_its_reason():
    vans = [VehicleType("van", count=1, capacity_parcels=100, capacity_kg=100, depot="d",
                        max_duration_s=3600)]
    problem = line_problem({"near": 1000, "far": 30_000}, vehicle_types=vans)
    plan, report = solve_checked(problem, make_engine("ortools"), FAST)
    assert report.ok
    assert [r.stops for r in plan.routes] == [("near",)]
    (unserved,) = plan.unserved
    assert unserved.stop == "far"
    assert "round trip" in unserved.reason and "shift" in unserved.reason


def test_excluded_stop_is_never_routed_and_keeps_its_reason():
    problem = line_problem({"a": 1000, "b": 2000}, excluded={"b": "no drivable road within 5 km"})
    plan, _ = solve_checked(problem, make_engine("ortools"), FAST)
    assert [r.stops for r in plan.routes] == [("a",)]
    assert plan.unserved[0].reason == "no drivable road within 5 km"


def test_fleet_too_small_is_the_reason_when_capacity_runs_out():
    stops = [Stop(s, s, 116.0, 33.0, parcels=80, weight_kg=1) for s in ("a", "b", "c")]
    vans = [VehicleType("van", count=2, capacity_parcels=100, capacity_kg=100, depot="d")]
    problem = line_problem({"a": 1000, "b": 2000, "c": 3000}, stops=stops, vehicle_types=vans)
    plan, report = solve_checked(problem, make_engine("ortools"), FAST)
    assert report.ok
    assert len(plan.unserved) == 1
    assert plan.unserved[0].why is Why.FLEET_TOO_SMALL
    assert plan.unserved[0].reason.startswith(
        "fleet too small: the fleet carries 200 parcels but the served stops and this one need "
        "240 parcels out")


def test_same_settings_give_the_same_plan(three_stops):
    first, _ = solve_checked(three_stops, make_engine("ortools"), FAST)
    second, _ = solve_checked(three_stops, make_engine("ortools"), FAST)
    assert first.routes == second.routes


def test_a_stop_open_only_after_the_shift_is_unserved_not_served_late():
    stops = [Stop("a", "a", 116.0, 33.0, parcels=1, weight_kg=1, open_s=20 * 3600,
                  close_s=21 * 3600)]
    problem = line_problem({"a": 1000}, stops=stops)
    plan, report = solve_checked(problem, make_engine("ortools"), FAST)
    assert report.ok and plan.routes == ()
    assert "before its shift ends" in plan.unserved[0].reason


def test_waiting_for_a_stop_to_open_is_not_counted_as_a_long_round_trip():
    vans = [VehicleType("van", count=1, capacity_parcels=10, capacity_kg=10, depot="d",
                        max_duration_s=4 * 3600)]
    stops = [Stop("a", "a", 116.0, 33.0, parcels=1, weight_kg=1, open_s=11 * 3600)]
    problem = line_problem({"a": 1000}, stops=stops, vehicle_types=vans)
    plan, report = solve_checked(problem, make_engine("ortools"), FAST)
    assert report.ok and [r.stops for r in plan.routes] == [("a",)]
    assert plan.routes[0].start_s >= 11 * 3600 - 100 - 1
