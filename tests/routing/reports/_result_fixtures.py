"""A hand-made strategy result with several trips per vehicle, a split village and a feeder leg,
on the straight-road world of the strategy tests (no solver, no roads to read).

The shared fleet is two vans of 20 parcels from ``jdc``, loading :data:`LOAD_S` at the start of
every trip. ``v3`` needs 30 parcels, so the leg splits it into two visits (``v3#1``, ``v3#2``,
15 parcels each). Van 01 drives two trips (v1, v2, then v3's first visit), van 02 one (v3's
second visit). Carrier ``a``'s van brings its parcels from ``a-branch`` to the hub first (the
feeder leg). Every route is timed from the matrices, so the checker passes the plan.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import numpy as np
from shapely.geometry import LineString

from routing.core import Echelon, Plan, Problem, Route, Stop, Strategy, VehicleType
from routing.reports import route_key
from routing.solving import check_plan
from routing.strategies import Leg, StrategyResult, carrier_stops
from routing.strategies.base import Runner
from tests.routing.strategies.strategy_world import POSITIONS_M, world

#: The depot's loading time at the start of every trip (s).
LOAD_S = 300

#: When van 01's second trip starts loading: ten minutes after it is back from its first.
WAIT_S = 600


def timed(problem: Problem, vehicle: str, vehicle_type: VehicleType, stops: tuple[str, ...],
          start_s: int, trip: int = 1) -> Route:
    """A trip through ``stops`` starting to load at ``start_s``, timed as the checker times it."""
    distance_m, duration_s = problem.matrices_for(vehicle_type)
    at = problem.index
    path = [at[vehicle_type.depot], *(at[s] for s in stops), at[vehicle_type.depot]]
    clock, arrivals = start_s, []
    for a, b in pairwise(path[:-1]):
        clock += int(problem.service_s[a]) + int(duration_s[a, b])
        arrivals.append(clock)
    end = clock + int(problem.service_s[path[-2]]) + int(duration_s[path[-2], path[-1]])
    load = np.sum([problem.stop_by_id[s].delivery for s in stops], axis=0)
    return Route(vehicle, vehicle_type.id, vehicle_type.depot, stops, tuple(arrivals), start_s,
                 end, int(sum(int(distance_m[a, b]) for a, b in pairwise(path))),
                 tuple(int(x) for x in load), trip)


def _leg(label: str, echelon: Echelon, problem: Problem, routes: list[Route],
         location_of: dict[str, str]) -> Leg:
    plan = Plan(problem.name, "hand", 0, tuple(routes), ())
    return Leg(label, echelon, problem, plan, check_plan(problem, plan),
               location_of=location_of)


def trips_result() -> StrategyResult:
    """The consolidated day described in the module docstring."""
    scenario, geography = world()
    van = VehicleType("shared-van", count=2, capacity_parcels=20, capacity_kg=400, depot="jdc",
                      max_trips=2)
    scenario = replace(
        scenario, service=replace(scenario.service, load_s=LOAD_S),
        vehicle_types=tuple(van if vt.id == "shared-van" else vt
                            for vt in scenario.vehicle_types),
        stops=tuple(replace(s, parcels=30, weight_kg=60, parcels_by_carrier={"a": 18, "b": 12})
                    if s.id == "v3" else s for s in scenario.stops))
    runner = Runner(scenario, geography, None, None, None)  # type: ignore[arg-type]
    depots = {d.id: d for d in scenario.depots}
    pooled = runner.problem("shared fleet", [depots["jdc"]], scenario.stops, [van])
    problem = pooled.problem
    first = timed(problem, "shared-van-01", van, ("v1", "v2"), 9 * 3600)
    again = timed(problem, "shared-van-01", van, ("v3#1",), first.end_s + WAIT_S, trip=2)
    other = timed(problem, "shared-van-02", van, ("v3#2",), 9 * 3600)
    delivery = _leg("shared fleet", Echelon.DELIVERY, problem, [first, other, again],
                    dict(pooled.location_of))
    mine = carrier_stops(scenario)["a"]
    hub = depots["jdc"]
    load = Stop("jdc", hub.name, hub.lon, hub.lat, parcels=sum(s.parcels for s in mine),
                weight_kg=sum(s.weight_kg for s in mine),
                parcels_by_carrier={"a": sum(s.parcels for s in mine)})
    a_van = scenario.vehicle_type_by_id["a-van"]
    fed = runner.problem("feeder a", [depots["a-branch"]], [load], [a_van],
                         location_of={"jdc": "jdc"},
                         service_at={"jdc": scenario.service.per_stop_s})
    feeder = _leg("feeder a", Echelon.FEEDER, fed.problem,
                  [timed(fed.problem, "a-van-01", a_van, ("jdc",), 8 * 3600)],
                  dict(fed.location_of))
    return StrategyResult(Strategy.CONSOLIDATED, scenario, geography, (feeder, delivery),
                          transferred_parcels=load.parcels, unserved=(), solve_time_s=0.0)


def line_geometries(result: StrategyResult) -> dict[str, LineString]:
    """A straight line per route (by ``route_key``) along the world's one road, standing in for
    road geometries: x is the location's position in km."""
    lines = {}
    for leg in result.legs:
        for route in leg.plan.routes:
            places = [route.depot, *map(leg.location, route.stops), route.depot]
            lines[route_key(route)] = LineString([(116 + POSITIONS_M[p] / 1e5, 33.0)
                                                  for p in places])
    return lines
