"""Repair of a PyVRP solution: infeasible routes trimmed, left-out clients inserted again.

PyVRP returns its best solution even when the search found no feasible one; these functions
turn it into feasible routes (:func:`feasible_visits`) and put back every client that then has
a place in a route or an unused vehicle (:func:`insert_missing`). Routes are (vehicle type,
client indices) pairs in PyVRP's numbering.
"""

from __future__ import annotations

from collections import Counter

import pyvrp

#: Routes as (vehicle type index, client indices in visiting order).
Visits = list[tuple[int, list[int]]]


def feasible_visits(data: pyvrp.ProblemData, solution: pyvrp.Solution) -> Visits:
    """(vehicle type, client indices) per route of ``solution``, with every infeasible route
    repaired by dropping, one at a time, the client whose removal cuts the excess most.

    PyVRP returns its best solution even when the search found no feasible one (a fleet too
    small for the day); the dropped clients go back as unserved so the plan stays checkable.
    """
    routes = []
    for route in solution.routes():
        vt = route.vehicle_type()
        visits = [a.idx for a in route.schedule() if a.is_client()]
        while visits and not route.is_feasible():
            options = []
            for k in range(len(visits)):
                candidate = pyvrp.Route(data, visits[:k] + visits[k + 1:], vt)
                options.append((_excess(candidate), candidate.distance(), k))
            _, _, k = min(options)
            visits = visits[:k] + visits[k + 1:]
            route = pyvrp.Route(data, visits, vt)
        if visits:
            routes.append((vt, visits))
    return routes


def _excess(route: pyvrp.Route) -> int:
    return sum(route.excess_load()) + route.time_warp() + route.excess_distance()


def insert_missing(data: pyvrp.ProblemData, routes: Visits) -> Visits:
    """``routes`` with every client none of them visits put where it adds least cost and every
    route stays feasible: into a route, or alone into a vehicle no route uses. Largest loads go
    first. A client with no such place stays out (the plan lists it as left out)."""
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


def _cheapest_insertion(data: pyvrp.ProblemData, routes: Visits, client: int
                        ) -> tuple[int, list[int]] | None:
    """(route index, its new visits) of the cheapest feasible place for ``client``; an index
    ``len(routes) + t`` means a new route of vehicle type ``t``. None if there is no place."""
    best: tuple[int, int, list[int]] | None = None
    for r, (vt, visits) in enumerate(routes):
        base = _route_cost(pyvrp.Route(data, visits, vt))
        for k in range(len(visits) + 1):
            option = [*visits[:k], client, *visits[k:]]
            route = pyvrp.Route(data, option, vt)
            if route.is_feasible() and (best is None or _route_cost(route) - base < best[0]):
                best = (_route_cost(route) - base, r, option)
    used = Counter(vt for vt, _ in routes)
    for vt in range(data.num_vehicle_types):
        route = pyvrp.Route(data, [client], vt)
        if (used[vt] < data.vehicle_type(vt).num_available and route.is_feasible()
                and (best is None or _route_cost(route) < best[0])):
            best = (_route_cost(route), len(routes) + vt, [client])
    return None if best is None else (best[1], best[2])


def _route_cost(route: pyvrp.Route) -> int:
    return route.fixed_vehicle_cost() + route.distance_cost() + route.duration_cost()
