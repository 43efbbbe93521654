"""PyVRP adapter: iterated local search for the rich VRP the problem model describes.

PyVRP (https://pyvrp.org) finds routes within 0-2 % of the best known on CVRPLIB instances in
seconds. Its model covers everything :class:`~routing.core.model.Problem` holds today: capacities in
every load dimension, stop and depot time windows, simultaneous pickup and delivery (a vehicle
leaves with all deliveries of its route and the load at each stop is the deliveries still aboard
plus the pickups so far: PyVRP's own load semantics, the same the checker applies), a
heterogeneous fleet with fixed, per-distance and per-duration costs, several depots, per-type
travel profiles and shift limits. Problems carrying fields this adapter does not know (future
model features such as breaks) are reported by :func:`pyvrp_unsupported`, and the ``auto`` engine
then keeps to OR-Tools.

PyVRP explores infeasible solutions and weighs their violations by penalties it adapts between
bounds; this adapter derives those bounds, the prizes and the cost scale from the problem
(:func:`scaling`), so that a violation always outweighs a vehicle's cost and every sum stays
within PyVRP's 64-bit integers, and it treats PyVRP's ``PenaltyBoundWarning`` as a signal to
change course (:func:`_search`), never as noise.
"""

from __future__ import annotations

import dataclasses
import time
import warnings
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from geodata import UNREACHABLE
from routing.core import (
    DEFAULT_PROFILE,
    LOAD_DIMENSIONS,
    Depot,
    ModelError,
    Plan,
    Problem,
    Route,
    SearchError,
    Stop,
    Unserved,
    VehicleType,
)
from routing.solving.engines.base import DROPPED_BY_ENGINE, SolveSettings
from routing.solving.feasibility import servable_alone
from routing.solving.objective import plan_objective

#: Money enters PyVRP in integer thousandths of a cent (fen), so that per-metre and per-second
#: rates stay integers: 1 yuan/km = 100 units per metre. :func:`scaling` falls back to the
#: coarser scales after it, down to whole fen, when a problem's penalties would not fit.
COST_UNITS_PER_YUAN = 100_000
COST_SCALES: tuple[int, ...] = (COST_UNITS_PER_YUAN, 10_000, 1_000, 100)

#: Bound on the penalised cost of any PyVRP solution. PyVRP adds costs in 64-bit integers and
#: weighs violations by doubles; 2**61 leaves a factor of four below 2**63 for the objective,
#: prizes and the differences its moves compute.
PENALISED_COST_LIMIT = 2**61
#: A client's prize (when clients are optional) is this many violation bounds.
PRIZE_FACTOR = 10
#: PyVRP's penalty manager may raise a penalty weight up to this many prizes per unit, so at
#: its cap dropping a client always beats keeping it with any violation.
PENALTY_ROOM = 10

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

    Stops are required clients when the fleet looks able to serve them all, else optional ones
    whose prize exceeds what leaving one out can save, so, as in the OR-Tools engine, a stop is
    dropped only when no vehicle can take it. A unit of excess load or a second of lateness
    costs more than a vehicle's fixed cost and working day (:class:`Scaling`), so PyVRP never
    prefers an overloaded route to one more vehicle; a search that ends infeasible anyway is
    repaired route by route and every client it then lacks is put back where a route or an unused
    vehicle has room (:func:`_insert_missing`) before it is reported as left out.

    ``solution_limit`` caps the number of search iterations for bit-identical reruns; without it
    the result depends on how far the search gets within ``time_limit_s`` on this machine.
    """

    name = "pyvrp"

    def solve(self, problem: Problem, settings: SolveSettings) -> Plan:
        started = time.perf_counter()
        unsupported = pyvrp_unsupported(problem)
        if unsupported:
            raise ModelError(f"engine: pyvrp cannot model {', '.join(unsupported)}; use "
                             f"--engine ortools (or auto)")
        clients = [s for s in problem.stops
                   if s.id not in problem.excluded and servable_alone(problem, s.id)]
        routes: list[Route] = []
        served: set[str] = set()
        if clients:
            data, best = _search(problem, clients, settings, started)
            visits = _insert_missing(data, _feasible_visits(data, best))
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


class _Progress(pyvrp.IteratedLocalSearchCallbacks):
    """Follows a PyVRP search (its current and best solutions, its iterations) so that a run
    stopped by a :class:`~pyvrp.exceptions.PenaltyBoundWarning` can go on from where it was."""

    def __init__(self) -> None:
        self.best: pyvrp.Solution | None = None
        self.current: pyvrp.Solution | None = None
        self.iterations = 0

    def on_start(self, ils: pyvrp.IteratedLocalSearch) -> None:
        self.best = self.current = ils.initial_solution

    def on_iteration(self, current: pyvrp.Solution, candidate: pyvrp.Solution,
                     best: pyvrp.Solution, cost_evaluator: pyvrp.CostEvaluator) -> None:
        self.best, self.current = best, current
        self.iterations += 1

    def resume_point(self) -> pyvrp.Solution | None:
        """The best solution if it is feasible, else the search's current one."""
        if self.best is not None and self.best.is_feasible():
            return self.best
        return self.current


def _search(problem: Problem, clients: Sequence[Stop], settings: SolveSettings,
            started: float) -> tuple[pyvrp.ProblemData, pyvrp.Solution]:
    """PyVRP's best solution for ``clients`` within the time and iteration budget.

    A :class:`~pyvrp.exceptions.PenaltyBoundWarning` (penalties at their cap, still no feasible
    solution) is never ignored: with every client required (:func:`_all_servable`) it means the
    clients do not pack into the fleet after all, so the search goes on, within what is left of
    the budget and from where it was, with optional clients, which may be dropped one by one.
    With optional clients it cannot happen unless the scaling is wrong: a
    :class:`~routing.core.errors.SearchError` then names the penalty cap.
    """
    scale = scaling(problem, clients, settings.objective)
    required = _all_servable(problem, clients)
    data = to_problem_data(problem, clients, settings.objective, scale, required=required)
    progress = _Progress()
    try:
        stop = _stopping(settings, started, 0) or MaxIterations(0)
        return data, _run(data, settings, scale, progress, stop)
    except PenaltyBoundWarning:
        if not required:
            raise _stuck(scale) from None
    optional = to_problem_data(problem, clients, settings.objective, scale, required=False)
    initial = _transfer(optional, progress.resume_point())
    rest = _stopping(settings, started, progress.iterations)
    if rest is None:
        return optional, initial
    try:
        return optional, _run(optional, settings, scale, _Progress(), rest, initial)
    except PenaltyBoundWarning:
        raise _stuck(scale) from None


def _run(data: pyvrp.ProblemData, settings: SolveSettings, scale: Scaling, progress: _Progress,
         stop: StoppingCriterion, initial: pyvrp.Solution | None = None) -> pyvrp.Solution:
    """One PyVRP search with ``scale``'s penalties; a PenaltyBoundWarning raises."""
    params = pyvrp.SolveParams(ils=pyvrp.IteratedLocalSearchParams(callbacks=progress),
                               penalty=scale.penalty_params())
    with warnings.catch_warnings():
        warnings.simplefilter("error", PenaltyBoundWarning)
        return pyvrp.solve(data, stop=stop, seed=settings.seed, collect_stats=False,
                           display=False, params=params, initial_solution=initial).best


def _stuck(scale: Scaling) -> SearchError:
    return SearchError(f"engine: pyvrp found no feasible routes with its penalties at their cap "
                       f"of {scale.max_penalty} per unit of excess load or second of lateness; "
                       f"use --engine ortools")


def _transfer(data: pyvrp.ProblemData, solution: pyvrp.Solution | None) -> pyvrp.Solution:
    """``solution``'s routes (same vehicle types, same client order) as a solution of ``data``."""
    routes = [pyvrp.Route(data, [a.idx for a in r.schedule() if a.is_client()], r.vehicle_type())
              for r in (solution.routes() if solution is not None else [])]
    return pyvrp.Solution(data, routes)


def _stopping(settings: SolveSettings, started: float, iterations_done: int
              ) -> StoppingCriterion | None:
    """What is left of the budget (time since ``started``, iterations), or None if nothing."""
    runtime = settings.time_limit_s - (time.perf_counter() - started)
    if runtime <= 0:
        return None
    if settings.solution_limit is None:
        return MaxRuntime(runtime)
    if iterations_done >= settings.solution_limit:
        return None
    return MultipleCriteria([MaxRuntime(runtime),
                             MaxIterations(settings.solution_limit - iterations_done)])


def _profile_names(problem: Problem) -> list[str]:
    return [DEFAULT_PROFILE, *sorted(p for p in problem.profiles if p != DEFAULT_PROFILE)]


def _unit_costs(vt: VehicleType, objective: str, units_per_yuan: int = COST_UNITS_PER_YUAN
                ) -> tuple[int, int, int]:
    """(fixed, per metre, per second) costs of ``vt`` in PyVRP's integer units."""
    if objective == "distance":
        return 0, 1, 0
    if objective == "duration":
        return 0, 0, 1
    return (round(vt.fixed_cost * units_per_yuan),
            round(vt.cost_per_km * units_per_yuan / 1000),
            round(vt.cost_per_hour * units_per_yuan / 3600))


@dataclasses.dataclass(frozen=True)
class Scaling:
    """How a problem's objective and constraints enter PyVRP's integer arithmetic.

    ``violation_cost`` is the least PyVRP charges for one unit of excess load or one second of
    time warp (lateness, or a shift overrun): more than the most a client can save by being
    left out or squeezed into a route that cannot take it, i.e. more than a vehicle's fixed
    cost plus a whole shift's time and a return trip to the farthest location. So an overloaded
    or late route never looks cheaper than one more vehicle, however the penalty manager adapts.
    """

    units_per_yuan: int
    violation_cost: int
    prize: int
    max_penalty: int

    def penalty_params(self) -> pyvrp.PenaltyParams:
        return pyvrp.PenaltyParams(min_penalty=self.violation_cost, max_penalty=self.max_penalty)


def scaling(problem: Problem, clients: Sequence[Stop], objective: str) -> Scaling:
    """The finest cost scale of :data:`COST_SCALES` (distance and duration: their own units) at
    which the penalties fit: the cap of ``PENALTY_ROOM`` prizes per unit, times the largest
    total violation a solution can have, stays within :data:`PENALISED_COST_LIMIT`."""
    ceiling = PENALISED_COST_LIMIT // _worst_violation(problem, clients)
    for units in COST_SCALES if objective == "cost" else (1,):
        bound = _violation_bound(problem, objective, units)
        prize = PRIZE_FACTOR * bound
        if PENALTY_ROOM * prize <= ceiling and prize <= pyvrp.constants.MAX_VALUE // 4:
            return Scaling(units, bound, prize, PENALTY_ROOM * prize)
    field = {"cost": "vehicle_types costs", "distance": "distance_m"}.get(objective, "duration_s")
    raise ModelError(f"{field}: too large for PyVRP's integer arithmetic (a unit of violation "
                     f"must cost {bound} and at most {ceiling // (PENALTY_ROOM * PRIZE_FACTOR)} "
                     f"fits); use --engine ortools")


def _violation_bound(problem: Problem, objective: str, units_per_yuan: int) -> int:
    """One more than the cost of a vehicle's day out to the farthest location and back: its
    fixed cost, twice the longest arc and a whole shift plus the longest service on top."""
    service = int(problem.service_s.max())
    worst = 0
    for vt, (distance, duration) in zip(problem.vehicle_types, _type_matrices(problem),
                                        strict=True):
        fixed, per_m, per_s = _unit_costs(vt, objective, units_per_yuan)
        day = vt.max_duration_s + 2 * int(duration.max()) + service
        worst = max(worst, fixed + per_m * 2 * int(distance.max()) + per_s * day)
    return worst + 1


def _worst_violation(problem: Problem, clients: Sequence[Stop]) -> int:
    """An upper bound on a PyVRP solution's total violation: all the load in excess, plus a
    time warp of at most, per route, its latest start and the time it drives and serves, twice
    (late arrivals and the shift overrun are both counted)."""
    load = sum(s.delivery[d] + s.pickup[d] for s in clients for d in range(len(LOAD_DIMENSIONS)))
    longest = max(int(duration.max()) for _, duration in _type_matrices(problem))
    horizon = max([d.close_s for d in problem.depots] + [s.close_s for s in clients]
                  + [vt.shift_end_s for vt in problem.vehicle_types])
    vehicles = len(problem.vehicles)
    work = sum(int(problem.service_s[problem.index[s.id]]) for s in clients)
    work += (len(clients) + vehicles) * longest
    return max(1, load + 2 * (vehicles * horizon + work))


def _capped(matrix: np.ndarray, floor: int) -> np.ndarray:
    """``matrix`` with geodata's no-road sentinel replaced by one more than any other entry and
    ``floor``: still unusable (longer than any shift) but far from PyVRP's integer limits."""
    matrix = np.asarray(matrix, dtype=np.int64)
    blocked = matrix >= UNREACHABLE
    if not blocked.any():
        return matrix
    legit = int(matrix[~blocked].max(initial=0))
    return np.where(blocked, max(legit, floor) + 1, matrix)


def _pyvrp_matrices(problem: Problem) -> list[tuple[np.ndarray, np.ndarray]]:
    """(distance, duration) per travel profile in :func:`_profile_names` order, as PyVRP gets
    them: a pair with no road path takes one second longer than any shift."""
    shift = max(vt.max_duration_s for vt in problem.vehicle_types)
    out = []
    for name in _profile_names(problem):
        distance, duration = ((problem.distance_m, problem.duration_s)
                              if name == DEFAULT_PROFILE else problem.profiles[name])
        out.append((_capped(distance, 0), _capped(duration, shift)))
    return out


def _type_matrices(problem: Problem) -> list[tuple[np.ndarray, np.ndarray]]:
    """PyVRP's (distance, duration) matrices of each vehicle type, in type order."""
    matrices = _pyvrp_matrices(problem)
    names = _profile_names(problem)
    return [matrices[names.index(vt.profile)] for vt in problem.vehicle_types]


def _load_dimensions(problem: Problem, clients: Sequence[Stop]) -> list[int]:
    """Indices of the load dimensions any client uses (at least one): an all-zero dimension
    constrains nothing and only slows PyVRP's search."""
    used = [d for d in range(len(LOAD_DIMENSIONS))
            if any(s.delivery[d] or s.pickup[d] for s in clients)]
    return used or [0]


def _all_servable(problem: Problem, clients: Sequence[Stop]) -> bool:
    """Whether every client can be served by some vehicle type on a trip of its own
    (:func:`routing.solving.feasibility.servable_alone`) and the fleet's capacity covers the day's
    deliveries and pickups.

    Then PyVRP gets every client as *required*, which searches markedly better than optional
    clients with prizes (measured: 0.9 % vs 2.9 % above the best known on X-n200-k36 in 5 s);
    otherwise the clients are optional so the impossible ones can be dropped.
    """
    for d in range(len(LOAD_DIMENSIONS)):
        capacity = sum(v.type.capacity[d] for v in problem.vehicles)
        if (sum(s.delivery[d] for s in clients) > capacity
                or sum(s.pickup[d] for s in clients) > capacity):
            return False
    return all(servable_alone(problem, stop.id) for stop in clients)


def to_problem_data(problem: Problem, clients: Sequence[Stop], objective: str,
                    scale: Scaling | None = None, *, required: bool | None = None
                    ) -> pyvrp.ProblemData:
    """Translate ``problem`` (without its excluded stops) into PyVRP's data.

    Locations are the problem's depots then stops, so the matrices pass unchanged (but for
    pairs with no road path, see :func:`_pyvrp_matrices`); PyVRP's depots are the problem's
    depots in order and its clients are ``clients`` in order. ``scale`` defaults to
    :func:`scaling`'s, ``required`` to :func:`_all_servable`'s verdict; optional clients carry
    ``scale.prize``.
    """
    scale = scale or scaling(problem, clients, objective)
    if required is None:
        required = _all_servable(problem, clients)
    locations = [pyvrp.Location(x=d.lon, y=d.lat, name=d.id) for d in problem.depots]
    locations += [pyvrp.Location(x=s.lon, y=s.lat, name=s.id) for s in problem.stops]
    depots = [pyvrp.Depot(location=i, tw_early=d.open_s, tw_late=d.close_s,
                          service_duration=int(problem.service_s[i]), name=d.id)
              for i, d in enumerate(problem.depots)]
    dims = _load_dimensions(problem, clients)
    prize = 0 if required else scale.prize
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
        fixed, per_m, per_s = _unit_costs(vt, objective, scale.units_per_yuan)
        vehicle_types.append(pyvrp.VehicleType(
            num_available=vt.count, capacity=[vt.capacity[d] for d in dims],
            start_depot=depot_index[vt.depot], end_depot=depot_index[vt.depot],
            fixed_cost=fixed, tw_early=max(vt.shift_start_s, depot.open_s),
            tw_late=min(depot.close_s, vt.shift_end_s), shift_duration=vt.max_duration_s,
            unit_distance_cost=per_m, unit_duration_cost=per_s,
            profile=profiles.index(vt.profile), name=vt.id))
    matrices = _pyvrp_matrices(problem)
    # pyvrp's stub annotates matrices as ``ndarray[int, ...]`` (an int where the shape goes),
    # which no real array type matches.
    return pyvrp.ProblemData(
        locations=locations, clients=pyvrp_clients, depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=[d for d, _ in matrices],  # type: ignore[misc]
        duration_matrices=[t for _, t in matrices])  # type: ignore[misc]


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


Visits = list[tuple[int, list[int]]]


def _insert_missing(data: pyvrp.ProblemData, routes: Visits) -> Visits:
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
