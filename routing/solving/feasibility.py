"""The feasibility rules every part of ruralroute shares: does a load fit, can a route be driven.

One rule, one place: the problem builder, the engines' pre-checks, the diagnosis of unserved
stops and the checker all ask these functions, so "too big", "unreachable" and "no room" mean the
same thing everywhere.

Timing follows the engines and the checker: a vehicle may leave its depot at any time from
``max(shift start, depot opens)``; it arrives at each stop, waits for the stop's window to open if
early, serves it, and drives on; its working time runs from leaving to returning, waiting included,
and must stay within ``max_duration_s``; it must be back by ``min(shift end, depot closes)``.
Because leaving later never shortens the day's end, the best departure is the latest one that
still keeps every window: :func:`schedule` finds it with one backward pass.

A stop no vehicle can serve on a trip of its own cannot be served on any longer route either:
the travel times are fastest road paths plus the access legs at both ends, so they obey the
triangle inequality, and service times only add. That is what lets the engines leave such stops
out and the checker call them "unreachable" from a lone trip alone.

Loads follow simultaneous pickup and delivery: a vehicle leaves with every parcel of its route
aboard; at each stop it drops the stop's delivery and takes its pickup, and the load must fit the
capacity in every dimension when leaving the depot and after every stop.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geodata import UNREACHABLE
from routing.core import LOAD_DIMENSIONS, Plan, Problem, Stop, VehicleType


def fits(vehicle_type: VehicleType, stop: Stop) -> bool:
    """Whether one vehicle of ``vehicle_type`` can carry ``stop``'s delivery and its pickup."""
    return vehicle_type.carries(stop)


def load_fits(vehicle_type: VehicleType, stops: Sequence[Stop]) -> bool:
    """Whether one vehicle of ``vehicle_type`` can drive ``stops`` in this order, load-wise."""
    return load_excess(vehicle_type, stops) is None


def load_excess(vehicle_type: VehicleType, stops: Sequence[Stop]
                ) -> tuple[int, str, int] | None:
    """The first point where the load exceeds capacity: (position, dimension, load), or None.

    Position 0 is leaving the depot, ``k`` is after the ``k``-th stop.
    """
    if not stops:
        return None
    delivery = np.array([s.delivery for s in stops], dtype=np.int64)
    pickup = np.array([s.pickup for s in stops], dtype=np.int64)
    start = delivery.sum(axis=0)
    profile = np.vstack([start, start + np.cumsum(pickup - delivery, axis=0)])
    over = profile > np.array(vehicle_type.capacity, dtype=np.int64)
    if not over.any():
        return None
    position, dim = (int(x) for x in np.argwhere(over)[0])
    return position, LOAD_DIMENSIONS[dim], int(profile[position, dim])


@dataclass(frozen=True)
class Schedule:
    """When a vehicle leaves, serves each stop (service start) and returns, driving a sequence."""

    start_s: int
    service_start_s: tuple[int, ...]
    end_s: int

    @property
    def duration_s(self) -> int:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class Infeasible:
    """Why a sequence cannot be driven by a vehicle type: a sentence naming the binding limit."""

    reason: str


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def schedule(problem: Problem, vehicle_type: VehicleType, stop_ids: Sequence[str], *,
             earliest_s: int = 0) -> Schedule | Infeasible:
    """The shortest-duration schedule of one vehicle of ``vehicle_type`` visiting ``stop_ids``
    on one trip that starts no earlier than ``earliest_s`` (a later trip of the same vehicle).

    Returns :class:`Infeasible` when no departure time keeps every stop's window, the return
    deadline and the shift length, or when a leg has no road path for the type's profile.
    """
    _, duration = problem.matrices_for(vehicle_type)
    depot = problem.depot_by_id[vehicle_type.depot]
    path = [problem.index[vehicle_type.depot], *(problem.index[s] for s in stop_ids),
            problem.index[vehicle_type.depot]]
    service = problem.service_s
    legs = [int(duration[a, b]) for a, b in itertools.pairwise(path)]
    if max(legs) >= UNREACHABLE:
        return Infeasible(f"no road path for {vehicle_type.id} (travel profile "
                          f"{vehicle_type.profile}) between {vehicle_type.depot} and the stops")
    earliest = max(vehicle_type.shift_start_s, depot.open_s, earliest_s)
    back_by = min(vehicle_type.shift_end_s, depot.close_s)
    stops = [problem.stop_by_id[s] for s in stop_ids]
    latest = back_by - int(service[path[-2]]) - legs[-1]
    for k in range(len(stops) - 1, -1, -1):
        latest = min(latest, stops[k].close_s)
        latest -= int(service[path[k]]) + legs[k]
    # Leaving later by up to the total wait keeps the end and shortens the day; no later.
    _, _, waited = _forward(earliest, stops, legs, service, path)
    start = earliest + max(0, min(waited, latest - earliest))
    clock, starts, _ = _forward(start, stops, legs, service, path)
    for stop, begin in zip(stops, starts, strict=True):
        if begin > stop.close_s:
            return Infeasible(f"{vehicle_type.id} from {vehicle_type.depot} reaches "
                              f"{stop.id} at {_clock(begin)} at the earliest, after its window "
                              f"closes at {_clock(stop.close_s)}")
    end = clock + int(service[path[-2]]) + legs[-1]
    if end - start > vehicle_type.max_duration_s:
        return Infeasible(f"the round trip from {vehicle_type.depot} takes "
                          f"{(end - start) / 3600:.1f} h, over the "
                          f"{vehicle_type.max_duration_s / 3600:.1f} h shift of {vehicle_type.id}")
    if end > back_by:
        return Infeasible(f"{vehicle_type.id} cannot be back at {vehicle_type.depot} before its "
                          f"shift ends or the depot closes at {_clock(back_by)}")
    return Schedule(start, tuple(starts), end)


def _forward(start: int, stops: Sequence[Stop], legs: Sequence[int], service: np.ndarray,
             path: Sequence[int]) -> tuple[int, list[int], int]:
    """Leaving at ``start``: the service start at the last stop, at each stop, and time waited."""
    clock, starts, waited = start, [], 0
    for k, stop in enumerate(stops):
        reach = clock + int(service[path[k]]) + legs[k]
        waited += max(0, stop.open_s - reach)
        clock = max(reach, stop.open_s)
        starts.append(clock)
    return clock, starts, waited


def route_feasible(problem: Problem, vehicle_type: VehicleType, stop_ids: Sequence[str]) -> bool:
    """Whether one vehicle of ``vehicle_type`` can drive ``stop_ids`` in order: load and time."""
    stops = [problem.stop_by_id[s] for s in stop_ids]
    return (load_fits(vehicle_type, stops)
            and isinstance(schedule(problem, vehicle_type, stop_ids), Schedule))


def lone_trip(problem: Problem, vehicle_type: VehicleType, stop_id: str) -> Schedule | Infeasible:
    """Can a vehicle of ``vehicle_type`` serve ``stop_id`` alone (out and back) in its shift?"""
    stop = problem.stop_by_id[stop_id]
    if not fits(vehicle_type, stop):
        return Infeasible(f"{vehicle_type.id} carries {vehicle_type.capacity_parcels} parcels / "
                          f"{vehicle_type.capacity_kg} kg")
    return schedule(problem, vehicle_type, [stop_id])


def servable_alone(problem: Problem, stop_id: str) -> bool:
    """Whether some vehicle type of ``problem`` can serve ``stop_id`` on a trip of its own."""
    return any(isinstance(lone_trip(problem, vt, stop_id), Schedule)
               for vt in problem.vehicle_types)


def insertion_fits(problem: Problem, vehicle_type: VehicleType, stop_ids: Sequence[str],
                   new_stop: str) -> bool:
    """Whether ``new_stop`` can join the route ``stop_ids`` somewhere, load and time kept."""
    return any(route_feasible(problem, vehicle_type,
                              [*stop_ids[:k], new_stop, *stop_ids[k:]])
               for k in range(len(stop_ids) + 1))


def day_feasible(problem: Problem, vehicle_type: VehicleType,
                 trips: Sequence[Sequence[str]]) -> bool:
    """Whether one vehicle of ``vehicle_type`` can drive ``trips`` in this order in one shift:
    each trip's load fits, each trip leaves once the one before is back (earliest returns
    first, which leaves the most time for the rest), and the day fits the shift's length."""
    if not trips or len(trips) > vehicle_type.max_trips:
        return False
    earliest, first_start = 0, None
    for stop_ids in trips:
        if not load_fits(vehicle_type, [problem.stop_by_id[s] for s in stop_ids]):
            return False
        found = schedule(problem, vehicle_type, stop_ids, earliest_s=earliest)
        if isinstance(found, Infeasible):
            return False
        first_start = found.start_s if first_start is None else first_start
        earliest = found.end_s
    assert first_start is not None
    return earliest - first_start <= vehicle_type.max_duration_s


def room_for(problem: Problem, vehicle_type: VehicleType, trips: Sequence[Sequence[str]],
             new_stop: str) -> bool:
    """Whether ``new_stop`` fits into the day of a vehicle driving ``trips``: inserted into one
    of its trips, or as a trip of its own before or after them, the day still feasible."""
    options = [[*trips[:k], [*trip[:p], new_stop, *trip[p:]], *trips[k + 1:]]
               for k, trip in enumerate(trips) for p in range(len(trip) + 1)]
    if len(trips) < vehicle_type.max_trips:
        options += [[[new_stop], *trips], [*trips, [new_stop]]]
    return any(day_feasible(problem, vehicle_type, option) for option in options)


def has_room(problem: Problem, plan: Plan, stop_id: str) -> str | None:
    """The first used vehicle whose day has room for ``stop_id`` (:func:`room_for`), or None."""
    types = {v.id: v.type for v in problem.vehicles}
    for vehicle, trips in plan.trips().items():
        if vehicle in types and room_for(problem, types[vehicle],
                                         [r.stops for r in trips], stop_id):
            return vehicle
    return None


def fleet_capacity(problem: Problem, dimension: int) -> int:
    """What the whole fleet can carry out (or back) in a day in one load dimension: each
    vehicle's capacity once per trip it may drive."""
    return sum(v.type.capacity[dimension] * v.type.max_trips for v in problem.vehicles)


def all_servable(problem: Problem, stops: Sequence[Stop]) -> bool:
    """Whether every one of ``stops`` can be served by some vehicle type on a trip of its own
    (:func:`servable_alone`) and the fleet's capacity (:func:`fleet_capacity`) covers their
    deliveries and pickups.

    The PyVRP engine then makes every stop a required client instead of an optional one with a
    prize, which searches markedly better.
    """
    for d in range(len(LOAD_DIMENSIONS)):
        capacity = fleet_capacity(problem, d)
        if (sum(s.delivery[d] for s in stops) > capacity
                or sum(s.pickup[d] for s in stops) > capacity):
            return False
    return all(servable_alone(problem, stop.id) for stop in stops)
