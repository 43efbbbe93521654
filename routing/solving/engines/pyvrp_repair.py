"""Repair of a PyVRP solution: infeasible routes trimmed, left-out clients inserted again.

PyVRP returns its best solution even when the search found no feasible one; these functions
turn it into feasible routes (:func:`feasible_visits`) and put back every client that then has
a place in a route or an unused vehicle (:func:`insert_missing`). Routes are (vehicle type,
visits) pairs in PyVRP's numbering: the visits are client indices in visiting order with
:data:`RELOAD` wherever the vehicle goes back to its depot to unload and reload before its next
trip (PyVRP's reload depot), so a single-trip route is just its clients.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence

import pyvrp
from pyvrp import Activity, ActivityType

#: Routes as (vehicle type index, client indices in visiting order with RELOAD between trips).
Visits = list[tuple[int, list[int]]]
#: In a route's visits: back to the vehicle's depot, which ends one trip and starts the next.
RELOAD = -1


def trips_of(visits: Sequence[int]) -> list[list[int]]:
    """The clients of each trip of ``visits``, in order; trips without clients left out."""
    trips: list[list[int]] = [[]]
    for visit in visits:
        if visit == RELOAD:
            trips.append([])
        else:
            trips[-1].append(visit)
    return [trip for trip in trips if trip]


def joined(trips: Sequence[Sequence[int]]) -> list[int]:
    """``trips`` (lists of clients) as one route's visits, a :data:`RELOAD` between trips."""
    out: list[int] = []
    for trip in (t for t in trips if t):
        out += [RELOAD, *trip] if out else list(trip)
    return out


def visits_of(route: pyvrp.Route) -> list[int]:
    """A PyVRP route's visits: its clients with a :data:`RELOAD` for each non-empty trip after
    the first (a trip without clients is dropped: it only costs a reload)."""
    trips: list[list[int]] = [[]]
    for activity in route.schedule()[1:-1]:
        if activity.is_depot():
            trips.append([])
        else:
            trips[-1].append(activity.idx)
    return joined(trips)


def pyvrp_route(data: pyvrp.ProblemData, vehicle_type: int, visits: Sequence[int]
                ) -> pyvrp.Route:
    """PyVRP's route of a vehicle of ``vehicle_type`` driving ``visits``, each
    :data:`RELOAD` a visit to its reload depot (the depot it starts from)."""
    depot = data.vehicle_type(vehicle_type).start_depot
    activities = [Activity(ActivityType.DEPOT, depot) if visit == RELOAD
                  else Activity(ActivityType.CLIENT, visit) for visit in visits]
    return pyvrp.Route(data, activities, vehicle_type)


def feasible_visits(data: pyvrp.ProblemData, solution: pyvrp.Solution) -> Visits:
    """(vehicle type, visits) per route of ``solution``, with every infeasible route repaired
    by dropping, one at a time and from any trip, the client whose removal cuts the excess most.

    PyVRP returns its best solution even when the search found no feasible one (a fleet too
    small for the day); the dropped clients go back as unserved so the plan stays checkable.
    Trips left without clients are dropped.
    """
    routes = []
    for found in solution.routes():
        vt = found.vehicle_type()
        visits = visits_of(found)
        route = pyvrp_route(data, vt, visits)
        while visits and not route.is_feasible():
            options = []
            for k in (k for k, visit in enumerate(visits) if visit != RELOAD):
                candidate = pyvrp_route(data, vt, _without(visits, k))
                options.append((_excess(candidate), candidate.distance(), k))
            _, _, k = min(options)
            visits = _without(visits, k)
            route = pyvrp_route(data, vt, visits)
        if visits:
            routes.append((vt, visits))
    return routes


def _without(visits: Sequence[int], k: int) -> list[int]:
    """``visits`` less its ``k``-th entry (a client), any trip left empty dropped."""
    return joined(trips_of([*visits[:k], *visits[k + 1:]]))


def _excess(route: pyvrp.Route) -> int:
    return sum(route.excess_load()) + route.time_warp() + route.excess_distance()


def insert_missing(data: pyvrp.ProblemData, routes: Visits) -> Visits:
    """``routes`` with every client none of them visits put where it adds least cost and every
    route stays feasible: into any trip of a route, as a new trip of a vehicle whose type allows
    one more, or alone into a vehicle no route uses. Largest loads go first. A client with no
    such place stays out (the plan lists it as left out)."""
    routes = [(vt, list(visits)) for vt, visits in routes]
    visited = {c for _, visits in routes for c in visits}
    missing = sorted((c for c in range(data.num_clients) if c not in visited),
                     key=lambda c: -sum(data.client(c).delivery) - sum(data.client(c).pickup))
    for client in missing:
        best = _cheapest_insertion(data, routes, client)
        if best is None:
            continue
        r, visits = best
        if r < len(routes):
            routes[r] = (routes[r][0], visits)
        else:
            routes.append((r - len(routes), visits))
    return routes


def _insertions(visits: Sequence[int], client: int, max_trips: int) -> Iterator[list[int]]:
    """Every way to add ``client`` to a route: at any place of any trip, or, if the route has
    fewer than ``max_trips`` trips, as a trip of its own before, between or after them."""
    for k in range(len(visits) + 1):
        yield [*visits[:k], client, *visits[k:]]
    if visits.count(RELOAD) + 1 < max_trips:
        ends = [k for k, visit in enumerate(visits) if visit == RELOAD]
        yield [client, RELOAD, *visits]
        yield from ([*visits[:k], RELOAD, client, *visits[k:]] for k in [*ends, len(visits)])


def _cheapest_insertion(data: pyvrp.ProblemData, routes: Visits, client: int
                        ) -> tuple[int, list[int]] | None:
    """(route index, its new visits) of the cheapest feasible place for ``client``; an index
    ``len(routes) + t`` means a new route of vehicle type ``t``. None if there is no place."""
    best: tuple[int, int, list[int]] | None = None
    for r, (vt, visits) in enumerate(routes):
        base = _route_cost(pyvrp_route(data, vt, visits))
        for option in _insertions(visits, client, data.vehicle_type(vt).max_trips):
            route = pyvrp_route(data, vt, option)
            if route.is_feasible() and (best is None or _route_cost(route) - base < best[0]):
                best = (_route_cost(route) - base, r, option)
    used = Counter(vt for vt, _ in routes)
    for vt in range(data.num_vehicle_types):
        route = pyvrp_route(data, vt, [client])
        if (used[vt] < data.vehicle_type(vt).num_available and route.is_feasible()
                and (best is None or _route_cost(route) < best[0])):
            best = (_route_cost(route), len(routes) + vt, [client])
    return None if best is None else (best[1], best[2])


def _route_cost(route: pyvrp.Route) -> int:
    return route.fixed_vehicle_cost() + route.distance_cost() + route.duration_cost()
