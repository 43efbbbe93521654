"""Unserved stops get the reason that really holds, type by type; servable ones are no reason."""

from __future__ import annotations

from routing.core import Plan, Route, Stop, Unserved, VehicleType, Why
from routing.solving import explain_unserved, missed_stops, unserved_reason
from tests.routing.solving.problems import line_problem

START = 8 * 3600


def _dropped(problem, *routes: Route) -> Plan:
    served = {s for r in routes for s in r.stops}
    return Plan(problem="line", engine="hand", seed=0, routes=routes,
                unserved=tuple(Unserved(s.id, "left out by the solver") for s in problem.stops
                               if s.id not in served))


def _route(vehicle: str, vehicle_type: str, stops: tuple[str, ...]) -> Route:
    return Route(vehicle=vehicle, vehicle_type=vehicle_type, depot="d", stops=stops,
                 arrival_s=(START,) * len(stops), start_s=START, end_s=START + 1, distance_m=0,
                 load=(0, 0))


def test_a_type_that_fits_but_cannot_reach_and_one_that_reaches_but_is_too_small():
    # The truck carries the 150 parcels but its 1 h shift cannot reach 30 km out and back; the
    # van reaches but carries 100: no single type both fits and reaches, so: unreachable.
    stops = [Stop("far", "Far", 116, 33, parcels=150, weight_kg=10)]
    fleet = [VehicleType("truck", count=1, capacity_parcels=200, capacity_kg=900, depot="d",
                         max_duration_s=3600),
             VehicleType("van", count=3, capacity_parcels=100, capacity_kg=500, depot="d")]
    problem = line_problem({"far": 30_000}, stops=stops, vehicle_types=fleet)
    reason = unserved_reason(problem, _dropped(problem), "far")
    assert reason is not None and reason.why is Why.UNREACHABLE
    assert reason.reason == ("unreachable: the round trip from d takes 1.7 h, over the 1.0 h "
                             "shift of truck")


def test_too_big_only_when_no_type_fits():
    stops = [Stop("big", "Big", 116, 33, parcels=10, weight_kg=10, produce_kg=600)]
    problem = line_problem({"big": 1000}, stops=stops)
    reason = unserved_reason(problem, _dropped(problem), "big")
    assert reason is not None and reason.why is Why.TOO_BIG
    assert "600 kg back" in reason.reason and "van 100 parcels / 100 kg" in reason.reason


def test_an_idle_vehicle_that_could_serve_the_stop_means_the_search_fell_short():
    problem = line_problem({"a": 1000, "b": 2000})  # two vans of 100
    plan = _dropped(problem, _route("van-01", "van", ("a",)))
    assert unserved_reason(problem, plan, "b") is None
    assert missed_stops(problem, plan) == ("b",)
    assert explain_unserved(problem, plan).unserved[0].why is Why.DROPPED


def test_room_in_a_route_means_the_search_fell_short():
    vans = [VehicleType("van", count=1, capacity_parcels=100, capacity_kg=100, depot="d")]
    problem = line_problem({"a": 1000, "b": 2000}, vehicle_types=vans)
    plan = _dropped(problem, _route("van-01", "van", ("a",)))
    assert missed_stops(problem, plan) == ("b",)


def test_fleet_too_small_counts_produce_and_leaves_out_excluded_stops():
    # Each village sends 60 kg of produce; one van takes 100 kg back: one village is left.
    stops = [Stop(s, s, 116, 33, parcels=1, weight_kg=1, produce_kg=60) for s in ("a", "b")]
    stops.append(Stop("x", "X", 116, 33, parcels=90, weight_kg=90))
    vans = [VehicleType("van", count=1, capacity_parcels=100, capacity_kg=100, depot="d")]
    problem = line_problem({"a": 1000, "b": 2000, "x": 500}, stops=stops, vehicle_types=vans,
                           excluded={"x": "no drivable road within 2 km"})
    plan = _dropped(problem, _route("van-01", "van", ("a",)))
    reason = unserved_reason(problem, plan, "b")
    assert reason is not None and reason.why is Why.FLEET_TOO_SMALL
    # 60 + 60 kg would be brought back; the excluded village's 90 parcels count nowhere.
    assert reason.reason.startswith("fleet too small: the fleet carries 100 kg but the served "
                                    "stops and this one need 120 kg back")
    assert unserved_reason(problem, plan, "x") == Unserved("x", "no drivable road within 2 km",
                                                           Why.NO_ROAD)
