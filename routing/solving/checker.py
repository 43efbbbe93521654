"""Check a plan against its problem, independently of whichever engine produced it.

The checker recomputes every route from the matrices, stop by stop: distance, the schedule
(arrival, waiting, service, time windows, shift length) and the load profile of every capacity
dimension, with deliveries leaving the depot aboard and pickups joining them. It also checks that
every stop is served exactly once or listed as unserved, and that a vehicle's trips are numbered
1, 2, ... within its type's ``max_trips``, each leaving once the one before is back, the whole day
within the shift. Each trip's load is checked on its own: its parcels leave the depot aboard and
the produce it collects is unloaded when it is back, before the next trip loads.

Unserved stops are verified too: each kind of reason must hold by the shared feasibility rules
(:mod:`routing.solving.feasibility`), so a plan that calls a stop "fleet too small" while an idle
vehicle could have served it, or "too big" while some vehicle type carries it, is rejected.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

import numpy as np

from routing.core import (
    LOAD_DIMENSIONS,
    Plan,
    PlanError,
    Problem,
    Route,
    Unserved,
    VehicleType,
    Why,
)
from routing.solving.feasibility import Schedule, fits, has_room, lone_trip


@dataclass(frozen=True)
class RouteCheck:
    """What the checker recomputed for one route (one trip of ``vehicle``)."""

    vehicle: str
    distance_m: int
    end_s: int
    trip: int
    max_load: tuple[int, ...]
    load_profile: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class CheckReport:
    """The checker's verdict: ``violations`` is empty for a valid plan."""

    violations: tuple[str, ...]
    routes: tuple[RouteCheck, ...]

    @property
    def ok(self) -> bool:
        return not self.violations


def check_plan(problem: Problem, plan: Plan, *, strict: bool = True) -> CheckReport:
    """Check ``plan``; with ``strict`` raise :class:`PlanError` listing every violation."""
    violations = _coverage(problem, plan) + _reasons(problem, plan)
    checks = []
    for route in plan.routes:
        vehicle_type = _route_vehicle(problem, route, violations)
        if vehicle_type is not None:
            checks.append(_check_route(problem, route, vehicle_type, violations))
    types = {v.id: v.type for v in problem.vehicles}
    for vehicle, trips in plan.trips().items():
        if vehicle in types:
            violations += _check_day(trips, types[vehicle])
    report = CheckReport(tuple(violations), tuple(checks))
    if strict and violations:
        raise PlanError(violations)
    return report


def _coverage(problem: Problem, plan: Plan) -> list[str]:
    """Every stop served exactly once or listed unserved exactly once, and nothing else."""
    violations = []
    counts = Counter(stop for route in plan.routes for stop in route.stops)
    violations += [f"stop {s} is visited {n} times" for s, n in counts.items() if n > 1]
    unserved = Counter(u.stop for u in plan.unserved)
    for stop_id, n in unserved.items():
        if n > 1:
            violations.append(f"stop {stop_id} is listed unserved {n} times")
        if stop_id in counts:
            violations.append(f"stop {stop_id} is both served and listed unserved")
        if stop_id not in problem.stop_by_id:
            violations.append(f"unserved stop {stop_id} is not in the problem")
    violations += [f"stop {s.id} is neither served nor listed unserved" for s in problem.stops
                   if s.id not in counts and s.id not in unserved]
    return violations


def _reasons(problem: Problem, plan: Plan) -> list[str]:
    """Every unserved stop's reason is given and holds."""
    violations = []
    for u in plan.unserved:
        if not u.reason.strip():
            violations.append(f"unserved stop {u.stop} has no reason")
        elif u.stop in problem.stop_by_id:
            wrong = _false_reason(problem, plan, u)
            if wrong:
                violations.append(f"unserved stop {u.stop} is listed as {u.why}, but {wrong}")
    return violations


def _route_vehicle(problem: Problem, route: Route, violations: list[str]) -> VehicleType | None:
    """The vehicle type a route is driven by, if the route names a real vehicle and stops."""
    vehicle = next((v for v in problem.vehicles if v.id == route.vehicle), None)
    if vehicle is None:
        violations.append(f"route of unknown vehicle {route.vehicle}")
        return None
    unknown = [s for s in route.stops if s not in problem.stop_by_id]
    if unknown:
        violations.append(f"route {route.vehicle} visits unknown stops {unknown}")
        return None
    excluded = [s for s in route.stops if s in problem.excluded]
    if excluded:
        violations.append(f"route {route.vehicle} visits excluded stops {excluded}")
    if route.depot != vehicle.depot or route.vehicle_type != vehicle.type.id:
        violations.append(f"route {route.vehicle} claims depot {route.depot} / type "
                          f"{route.vehicle_type}, but the vehicle is {vehicle.type.id} "
                          f"at {vehicle.depot}")
    return vehicle.type


def _check_route(problem: Problem, route: Route, vehicle_type: VehicleType,
                 violations: list[str]) -> RouteCheck:
    name = f"route {route.vehicle}" + (f" trip {route.trip}" if route.trip > 1 else "")
    path = [problem.index[route.depot], *(problem.index[s] for s in route.stops),
            problem.index[route.depot]]
    distance = _check_distance(problem, route, vehicle_type, path, name, violations)
    end = _check_times(problem, route, vehicle_type, path, name, violations)
    peak, profile = _check_loads(problem, route, vehicle_type, name, violations)
    return RouteCheck(route.vehicle, distance, end, route.trip, peak, profile)


def _check_day(trips: tuple[Route, ...], vehicle_type: VehicleType) -> list[str]:
    """A vehicle's trips: numbered 1..n within ``max_trips``, each starting once the one before
    is back, the day (first start to last return) within the shift's length."""
    name = f"vehicle {trips[0].vehicle}"
    numbers = [r.trip for r in trips]
    if numbers != list(range(1, len(trips) + 1)):
        return [f"{name}: trips are numbered {numbers}, not 1 to {len(trips)}"]
    out = []
    if len(trips) > vehicle_type.max_trips:
        out.append(f"{name} drives {len(trips)} trips, over the {vehicle_type.max_trips} its "
                   f"type {vehicle_type.id} allows")
    for before, after in itertools.pairwise(trips):
        if after.start_s < before.end_s:
            out.append(f"{name}: trip {after.trip} starts at {after.start_s} s, before trip "
                       f"{before.trip} is back at {before.end_s} s")
    day = trips[-1].end_s - trips[0].start_s
    if len(trips) > 1 and day > vehicle_type.max_duration_s:
        out.append(f"{name}: its day takes {day} s, over the {vehicle_type.max_duration_s} s "
                   f"shift")
    return out


def _check_distance(problem: Problem, route: Route, vehicle_type: VehicleType, path: list[int],
                    name: str, violations: list[str]) -> int:
    """The route's length along ``path`` by the vehicle's matrix, checked against its claim."""
    distance_m, _ = problem.matrices_for(vehicle_type)
    distance = int(sum(int(distance_m[a, b]) for a, b in itertools.pairwise(path)))
    if distance != route.distance_m:
        violations.append(f"{name}: distance_m is {route.distance_m} but the matrix gives "
                          f"{distance}")
    return distance


def _check_times(problem: Problem, route: Route, vehicle_type: VehicleType, path: list[int],
                 name: str, violations: list[str]) -> int:
    """The earliest time the route can be back, checked against its claimed times, the stops'
    windows, the depot's hours and the shift; return the later of that and the claimed end."""
    max_duration_s, shift_start_s = vehicle_type.max_duration_s, vehicle_type.shift_start_s
    _, duration_s = problem.matrices_for(vehicle_type)
    depot = problem.depot_by_id[route.depot]
    if route.start_s < max(depot.open_s, shift_start_s):
        violations.append(f"{name}: leaves at {route.start_s} s, before the depot opens or the "
                          f"shift starts")
    clock = route.start_s
    legs = itertools.pairwise(path)
    for (a, b), stop_id, claimed in zip(legs, route.stops, route.arrival_s, strict=False):
        stop = problem.stop_by_id[stop_id]
        clock = max(clock + int(problem.service_s[a]) + int(duration_s[a, b]), stop.open_s)
        if claimed < clock:
            violations.append(f"{name}: arrives at {stop_id} at {claimed} s, earlier than the "
                              f"{clock} s the matrix allows")
        clock = max(clock, claimed)
        if clock > stop.close_s:
            violations.append(f"{name}: reaches {stop_id} at {clock} s, after its window closes "
                              f"at {stop.close_s} s")
    last = path[-2]
    end = clock + int(problem.service_s[last]) + int(duration_s[last, path[-1]])
    if route.end_s < end:
        violations.append(f"{name}: claims to return at {route.end_s} s but cannot before {end} s")
    end = max(end, route.end_s)
    if end - route.start_s > max_duration_s:
        violations.append(f"{name}: takes {end - route.start_s} s, over the {max_duration_s} s "
                          f"shift")
    if end > depot.close_s:
        violations.append(f"{name}: returns at {end} s, after depot {depot.id} closes")
    if end > vehicle_type.shift_end_s:
        violations.append(f"{name}: returns at {end} s, after its shift ends at "
                          f"{vehicle_type.shift_end_s} s")
    return end


def _check_loads(problem: Problem, route: Route, vehicle_type: VehicleType, name: str,
                 violations: list[str]) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """The load on board leaving the depot and after each stop, checked against the claimed
    start load and the capacity; return the peak per dimension and that profile."""
    capacity = vehicle_type.capacity
    delivery = np.array([problem.stop_by_id[s].delivery for s in route.stops], dtype=np.int64)
    pickup = np.array([problem.stop_by_id[s].pickup for s in route.stops], dtype=np.int64)
    start_load = delivery.sum(axis=0)
    if tuple(int(x) for x in start_load) != tuple(route.load):
        violations.append(f"{name}: load is {route.load} but its stops need "
                          f"{tuple(int(x) for x in start_load)}")
    profile = start_load + np.cumsum(pickup - delivery, axis=0)
    profile = np.vstack([start_load, profile])
    peak = profile.max(axis=0)
    for d, dim in enumerate(LOAD_DIMENSIONS):
        over = np.nonzero(profile[:, d] > capacity[d])[0]
        if over.size:
            where = ("leaving the depot" if over[0] == 0
                     else f"after stop {route.stops[over[0] - 1]}")
            violations.append(f"{name}: carries {int(profile[over[0], d])} {dim} {where}, over "
                              f"the capacity of {capacity[d]}")
    return (tuple(int(x) for x in peak),
            tuple(tuple(int(x) for x in row) for row in profile))


def _false_reason(problem: Problem, plan: Plan, unserved: Unserved) -> str | None:
    """What contradicts ``unserved``'s claimed kind of reason, or None if the claim holds."""
    stop = problem.stop_by_id[unserved.stop]
    types = problem.vehicle_types
    if unserved.why is Why.NO_ROAD:
        return None if stop.id in problem.excluded else "it was not excluded for want of a road"
    if stop.id in problem.excluded:
        return f"it was excluded before solving ({problem.excluded[stop.id]})"
    if unserved.why is Why.DROPPED:
        return "the reason was never diagnosed"
    carriers = [vt for vt in types if fits(vt, stop)]
    if unserved.why is Why.TOO_BIG:
        return f"{carriers[0].id} can carry it" if carriers else None
    if not carriers:
        return "no vehicle type can carry it (too big)"
    able = [vt for vt in carriers if isinstance(lone_trip(problem, vt, stop.id), Schedule)]
    if unserved.why is Why.UNREACHABLE:
        return f"{able[0].id} can serve it on a trip of its own" if able else None
    if not able:
        return "no vehicle type that carries it can reach it in its shift (unreachable)"
    if unserved.why is not Why.FLEET_TOO_SMALL:
        return f"{unserved.why} does not apply to a single echelon's plan"
    used = {r.vehicle for r in plan.routes}
    idle = [v.id for v in problem.vehicles if v.type in able and v.id not in used]
    if idle:
        return f"vehicle {idle[0]} is unused and could serve it alone"
    roomy = has_room(problem, plan, stop.id)
    return None if roomy is None else f"vehicle {roomy} has room for it"
