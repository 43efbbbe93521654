"""PyVRP adapter: iterated local search for the rich VRP the problem model describes.

PyVRP (https://pyvrp.org) finds routes within 0-2 % of the best known on CVRPLIB instances in
seconds. Its model covers everything :class:`~routing.model.Problem` holds today: capacities in
every load dimension, stop and depot time windows, simultaneous pickup and delivery (a vehicle
leaves with all deliveries of its route and the load at each stop is the deliveries still aboard
plus the pickups so far: PyVRP's own load semantics, the same the checker applies), a
heterogeneous fleet with fixed, per-distance and per-duration costs, several depots, per-type
travel profiles and shift limits. Problems carrying fields this adapter does not know (future
model features such as breaks) are reported by :func:`pyvrp_unsupported`, and the ``auto`` engine
then keeps to OR-Tools.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence

import numpy as np
import pyvrp
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from routing.engines.base import DROPPED_BY_ENGINE, SolveSettings
from routing.errors import ModelError
from routing.model import (
    DEFAULT_PROFILE,
    LOAD_DIMENSIONS,
    Depot,
    Plan,
    Problem,
    Route,
    Stop,
    Unserved,
    VehicleType,
)

#: Money enters PyVRP in integer thousandths of a cent (fen), so that per-metre and per-second
#: rates stay integers: 1 yuan/km = 100 units per metre.
COST_UNITS_PER_YUAN = 100_000

#: Fields of the model this adapter translates; anything else set to a non-default value is a
#: feature PyVRP is not told about, so :func:`pyvrp_unsupported` names it.
_KNOWN_FIELDS: dict[type, frozenset[str]] = {
    Problem: frozenset({"name", "depots", "stops", "vehicle_types", "distance_m", "duration_s",
                        "service_s", "excluded", "profiles"}),
    Stop: frozenset({"id", "name", "lon", "lat", "parcels", "weight_kg", "produce_kg", "name_en",
                     "open_s", "close_s", "parcels_by_carrier"}),
    Depot: frozenset({"id", "name", "lon", "lat", "open_s", "close_s"}),
    VehicleType: frozenset({"id", "count", "capacity_parcels", "capacity_kg", "depot",
                            "max_duration_s", "shift_start_s", "name", "kind", "max_speed_kmh",
                            "avoid_roads", "fixed_cost", "cost_per_km", "cost_per_hour",
                            "co2_g_per_km"}),
}


def _unknown_fields(obj: object) -> list[str]:
    known = next(_KNOWN_FIELDS[cls] for cls in type(obj).__mro__ if cls in _KNOWN_FIELDS)
    found = []
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        if f.name in known:
            continue
        value = getattr(obj, f.name)
        if f.default is not dataclasses.MISSING:
            default = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            found.append(f.name)
            continue
        if value != default:
            found.append(f.name)
    return found


def pyvrp_unsupported(problem: Problem) -> tuple[str, ...]:
    """The model features in ``problem`` this adapter cannot hand to PyVRP (empty: all fit).

    A field the adapter was not written for counts only when it holds a non-default value, so a
    new optional model feature that a problem does not use keeps PyVRP available.
    """
    found = [f"problem.{name}" for name in _unknown_fields(problem)]
    for obj, owner in [*((t, f"vehicle_type {t.id}") for t in problem.vehicle_types),
                       *((d, f"depot {d.id}") for d in problem.depots),
                       *((s, f"stop {s.id}") for s in problem.stops)]:
        found += [f"{owner}.{name}" for name in _unknown_fields(obj)]
    return tuple(found)


class PyVrpEngine:
    """Solve with PyVRP's iterated local search, seeded and bounded by time and/or iterations.

    Every stop is an optional client whose prize exceeds any detour's cost, so, as in the
    OR-Tools engine, a stop is dropped only when no vehicle can take it. ``solution_limit`` caps
    the number of search iterations for bit-identical reruns; without it the result depends on
    how far the search gets within ``time_limit_s`` on this machine.
    """

    name = "pyvrp"

    def solve(self, problem: Problem, settings: SolveSettings) -> Plan:
        started = time.perf_counter()
        unsupported = pyvrp_unsupported(problem)
        if unsupported:
            raise ModelError(f"engine: pyvrp cannot model {', '.join(unsupported)}; use "
                             f"--engine ortools (or auto)")
        clients = [s for s in problem.stops if s.id not in problem.excluded]
        data = to_problem_data(problem, clients, settings.objective)
        routes: list[Route] = []
        served: set[str] = set()
        if clients:
            result = pyvrp.solve(data, stop=_stopping(settings), seed=settings.seed,
                                 collect_stats=False, display=False)
            visits = _feasible_visits(data, result.best)
            routes = _read_routes(problem, data, clients, visits)
            served = {s for r in routes for s in r.stops}
        unserved = tuple(
            Unserved(s.id, problem.excluded.get(s.id, DROPPED_BY_ENGINE))
            for s in problem.stops if s.id not in served)
        plan = Plan(problem=problem.name, engine=self.name, seed=settings.seed,
                    routes=tuple(routes), unserved=unserved,
                    solve_time_s=round(time.perf_counter() - started, 3))
        return dataclasses.replace(plan, objective=plan_objective(problem, plan,
                                                                  settings.objective))


def _stopping(settings: SolveSettings) -> StoppingCriterion:
    runtime = MaxRuntime(settings.time_limit_s)
    if settings.solution_limit is None:
        return runtime
    return MultipleCriteria([runtime, MaxIterations(settings.solution_limit)])


def plan_objective(problem: Problem, plan: Plan, objective: str) -> int:
    """The plan's value under ``objective``, computed from its routes (engine-independent).

    ``distance`` in metres, ``duration`` in seconds, ``cost`` in cents (fixed cost of each used
    vehicle plus its per-km and per-hour rates).
    """
    if objective == "distance":
        return plan.distance_m
    if objective == "duration":
        return plan.duration_s
    types = {t.id: t for t in problem.vehicle_types}
    cents = 0.0
    for route in plan.routes:
        t = types[route.vehicle_type]
        cents += 100 * (t.fixed_cost + t.cost_per_km * route.distance_m / 1000
                        + t.cost_per_hour * route.duration_s / 3600)
    return round(cents)


def _profile_names(problem: Problem) -> list[str]:
    return [DEFAULT_PROFILE, *sorted(p for p in problem.profiles if p != DEFAULT_PROFILE)]


def _unit_costs(vt: VehicleType, objective: str) -> tuple[int, int, int]:
    """(fixed, per metre, per second) costs of ``vt`` in PyVRP's integer units."""
    if objective == "distance":
        return 0, 1, 0
    if objective == "duration":
        return 0, 0, 1
    return (round(vt.fixed_cost * COST_UNITS_PER_YUAN),
            round(vt.cost_per_km * COST_UNITS_PER_YUAN / 1000),
            round(vt.cost_per_hour * COST_UNITS_PER_YUAN / 3600))


def _prize(problem: Problem, objective: str) -> int:
    """A prize per stop above the cost of any route that could serve it, so stops are dropped
    only when infeasible, yet small enough to keep PyVRP's arithmetic exact."""
    worst = 1
    for vt in problem.vehicle_types:
        distance, duration = problem.matrices_for(vt)
        fixed, per_m, per_s = _unit_costs(vt, objective)
        longest = 2 * int(distance.max()) * len(problem.stops) + 1
        slowest = vt.max_duration_s + 2 * int(duration.max())
        worst = max(worst, fixed + per_m * longest + per_s * slowest)
    return min(10 * worst, pyvrp.constants.MAX_VALUE // 4)


def _load_dimensions(problem: Problem, clients: Sequence[Stop]) -> list[int]:
    """Indices of the load dimensions any client uses (at least one): an all-zero dimension
    constrains nothing and only slows PyVRP's search."""
    used = [d for d in range(len(LOAD_DIMENSIONS))
            if any(s.delivery[d] or s.pickup[d] for s in clients)]
    return used or [0]


def _all_servable(problem: Problem, clients: Sequence[Stop]) -> bool:
    """Whether every client can be reached within its window and shift by some vehicle type on
    its own, and the fleet's capacity covers the day's deliveries and pickups.

    Then PyVRP gets every client as *required*, which searches markedly better than optional
    clients with prizes (measured: 0.9 % vs 2.9 % above the best known on X-n200-k36 in 5 s);
    otherwise the clients are optional so the impossible ones can be dropped.
    """
    for d in range(len(LOAD_DIMENSIONS)):
        capacity = sum(v.type.capacity[d] for v in problem.vehicles)
        if (sum(s.delivery[d] for s in clients) > capacity
                or sum(s.pickup[d] for s in clients) > capacity):
            return False
    for stop in clients:
        s = problem.index[stop.id]
        reachable = False
        for vt in problem.vehicle_types:
            depot = problem.depot_by_id[vt.depot]
            d = problem.index[vt.depot]
            _, duration = problem.matrices_for(vt)
            start = max(vt.shift_start_s, depot.open_s) + int(problem.service_s[d])
            arrive = max(start + int(duration[d, s]), stop.open_s)
            back = arrive + int(problem.service_s[s]) + int(duration[s, d])
            fits = all(stop.delivery[k] <= vt.capacity[k] and stop.pickup[k] <= vt.capacity[k]
                       for k in range(len(LOAD_DIMENSIONS)))
            if (fits and arrive <= stop.close_s and back <= min(depot.close_s, vt.shift_end_s)
                    and back - start + int(problem.service_s[d]) <= vt.max_duration_s):
                reachable = True
                break
        if not reachable:
            return False
    return True


def to_problem_data(problem: Problem, clients: Sequence[Stop], objective: str
                    ) -> pyvrp.ProblemData:
    """Translate ``problem`` (without its excluded stops) into PyVRP's data.

    Locations are the problem's depots then stops, so the matrices pass unchanged; PyVRP's
    depots are the problem's depots in order and its clients are ``clients`` in order.
    """
    locations = [pyvrp.Location(x=d.lon, y=d.lat, name=d.id) for d in problem.depots]
    locations += [pyvrp.Location(x=s.lon, y=s.lat, name=s.id) for s in problem.stops]
    depots = [pyvrp.Depot(location=i, tw_early=d.open_s, tw_late=d.close_s,
                          service_duration=int(problem.service_s[i]), name=d.id)
              for i, d in enumerate(problem.depots)]
    dims = _load_dimensions(problem, clients)
    required = _all_servable(problem, clients)
    prize = 0 if required else _prize(problem, objective)
    pyvrp_clients = []
    for stop in clients:
        i = problem.index[stop.id]
        pyvrp_clients.append(pyvrp.Client(
            location=i, delivery=[stop.delivery[d] for d in dims],
            pickup=[stop.pickup[d] for d in dims], service_duration=int(problem.service_s[i]),
            tw_early=stop.open_s, tw_late=stop.close_s, prize=prize, required=required,
            name=stop.id))
    profiles = _profile_names(problem)
    depot_index = {d.id: i for i, d in enumerate(problem.depots)}
    vehicle_types = []
    for vt in problem.vehicle_types:
        depot = problem.depot_by_id[vt.depot]
        fixed, per_m, per_s = _unit_costs(vt, objective)
        vehicle_types.append(pyvrp.VehicleType(
            num_available=vt.count, capacity=[vt.capacity[d] for d in dims],
            start_depot=depot_index[vt.depot], end_depot=depot_index[vt.depot],
            fixed_cost=fixed, tw_early=max(vt.shift_start_s, depot.open_s),
            tw_late=min(depot.close_s, vt.shift_end_s), shift_duration=vt.max_duration_s,
            unit_distance_cost=per_m, unit_duration_cost=per_s,
            profile=profiles.index(vt.profile), name=vt.id))
    matrices = [(problem.distance_m, problem.duration_s)]
    matrices += [problem.profiles[name] for name in profiles[1:]]
    return pyvrp.ProblemData(
        locations=locations, clients=pyvrp_clients, depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=[np.asarray(d, dtype=np.int64) for d, _ in matrices],
        duration_matrices=[np.asarray(t, dtype=np.int64) for _, t in matrices])


def _feasible_visits(data: pyvrp.ProblemData, solution: pyvrp.Solution
                     ) -> list[tuple[int, list[int]]]:
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


def _read_routes(problem: Problem, data: pyvrp.ProblemData, clients: Sequence[Stop],
                 visits: list[tuple[int, list[int]]]) -> list[Route]:
    """Our routes from PyVRP's: vehicles numbered in type order, service start times as
    arrival times (the same convention as the OR-Tools engine)."""
    fleet: dict[str, list[str]] = {}
    for vehicle in problem.vehicles:
        fleet.setdefault(vehicle.type.id, []).append(vehicle.id)
    routes = []
    for vt_index, client_indices in visits:
        vt = problem.vehicle_types[vt_index]
        route = pyvrp.Route(data, client_indices, vt_index)
        schedule = [a for a in route.schedule() if a.is_client()]
        stops = tuple(clients[a.idx].id for a in schedule)
        load = np.sum([clients[i].delivery for i in client_indices], axis=0)
        routes.append(Route(
            vehicle=fleet[vt.id].pop(0), vehicle_type=vt.id, depot=vt.depot, stops=stops,
            arrival_s=tuple(int(a.start_time) for a in schedule),
            start_s=int(route.start_time()), end_s=int(route.end_time()),
            distance_m=int(route.distance()),
            load=tuple(int(x) for x in load[: len(LOAD_DIMENSIONS)])))
    return routes
