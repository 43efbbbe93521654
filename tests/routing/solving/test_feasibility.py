"""The shared feasibility rules: load profiles, the latest-departure schedule, lone trips."""

from __future__ import annotations

from routing.core import Stop, VehicleType
from routing.solving import (
    Infeasible,
    Schedule,
    fits,
    insertion_fits,
    load_excess,
    lone_trip,
    schedule,
    servable_alone,
)
from tests.routing.solving.problems import line_problem

START = 8 * 3600


def _van(**kw: int) -> VehicleType:
    return VehicleType("van", capacity_parcels=kw.pop("parcels", 100),
                       capacity_kg=kw.pop("kg", 100), depot="d", **{"count": 1, **kw})


def test_fits_checks_delivery_and_pickup_in_every_dimension():
    van = _van(parcels=10, kg=50)
    assert fits(van, Stop("a", "A", 116, 33, parcels=10, weight_kg=50, produce_kg=50))
    assert not fits(van, Stop("a", "A", 116, 33, parcels=11, weight_kg=5))
    assert not fits(van, Stop("a", "A", 116, 33, parcels=1, weight_kg=5, produce_kg=51))


def test_load_excess_names_the_first_overloaded_point():
    van = _van(parcels=100, kg=30)
    heavy_back = [Stop("a", "A", 116, 33, parcels=1, weight_kg=10, produce_kg=25),
                  Stop("b", "B", 116, 33, parcels=1, weight_kg=10)]
    # leaves with 20 kg, after a: 20 - 10 + 25 = 35 kg > 30
    assert load_excess(van, heavy_back) == (1, "kg", 35)
    assert load_excess(van, heavy_back[::-1]) is None  # b first: 20 -> 10 -> 25


def test_schedule_leaves_as_late_as_the_windows_allow():
    stops = [Stop("a", "A", 116, 33, parcels=1, weight_kg=1, open_s=10 * 3600,
                  close_s=11 * 3600)]
    problem = line_problem({"a": 1000}, stops=stops)
    plan = schedule(problem, problem.vehicle_types[0], ["a"])
    assert isinstance(plan, Schedule)
    # 100 s to drive there: leave at 09:58:20 and arrive as the window opens, not at 08:00.
    assert plan.start_s == 10 * 3600 - 100
    assert plan.service_start_s == (10 * 3600,)
    assert plan.duration_s == 100 + 60 + 100


def test_a_shift_too_short_for_the_round_trip_is_infeasible_with_its_reason():
    problem = line_problem({"far": 30_000}, vehicle_types=[_van(max_duration_s=3600)])
    verdict = lone_trip(problem, problem.vehicle_types[0], "far")
    assert isinstance(verdict, Infeasible)
    assert verdict.reason == "the round trip from d takes 1.7 h, over the 1.0 h shift of van"
    assert not servable_alone(problem, "far")


def test_a_window_closed_before_arrival_is_infeasible():
    stops = [Stop("a", "A", 116, 33, parcels=1, weight_kg=1, close_s=START + 50)]
    problem = line_problem({"a": 1000}, stops=stops)
    verdict = schedule(problem, problem.vehicle_types[0], ["a"])
    assert isinstance(verdict, Infeasible) and "after its window closes at 08:00" in verdict.reason


def test_insertion_fits_respects_capacity_and_shift():
    stops = [Stop(s, s, 116, 33, parcels=40, weight_kg=1) for s in ("a", "b", "c")]
    problem = line_problem({"a": 1000, "b": 2000, "c": 3000}, stops=stops)
    van = problem.vehicle_types[0]
    assert insertion_fits(problem, van, ["a"], "b")
    assert not insertion_fits(problem, van, ["a", "b"], "c")  # 120 parcels > 100
    short = line_problem({"a": 1000, "b": 2000, "c": 3000},
                         vehicle_types=[_van(max_duration_s=500)])
    # a and c alone take 320 s and 720 s: c fits no route of a 500 s shift.
    assert insertion_fits(short, short.vehicle_types[0], [], "a")
    assert not insertion_fits(short, short.vehicle_types[0], ["a"], "c")
