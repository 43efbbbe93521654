"""PyVRP adapter: iterated local search for the rich VRP the problem model describes.

PyVRP (https://pyvrp.org) finds routes within 0-2 % of the best known on CVRPLIB instances in
seconds. Its model covers everything :class:`~routing.core.model.Problem` holds today: capacities in
every load dimension, stop and depot time windows, simultaneous pickup and delivery (a vehicle
leaves with all deliveries of its route and the load at each stop is the deliveries still aboard
plus the pickups so far: PyVRP's own load semantics, the same the checker applies), a
heterogeneous fleet with fixed, per-distance and per-duration costs, several depots, per-type
travel profiles and shift limits, and vehicles that drive several trips a day (PyVRP's reload
depots: a type's own depot, ``max_trips - 1`` reloads; one PyVRP route is one vehicle's day, so
its fixed cost is charged once and its duration runs from the first trip's start to the last
trip's return, as in :func:`~routing.solving.objective.plan_objective`). Problems carrying
fields this adapter does not know (future model features such as breaks) are reported by
:func:`pyvrp_unsupported`, and the ``auto`` engine then keeps to OR-Tools.

PyVRP explores infeasible solutions and weighs their violations by penalties it adapts between
bounds; :mod:`~routing.solving.engines.pyvrp_scaling` derives those bounds, the prizes and the
cost scale from the problem, so that a violation always outweighs a vehicle's cost and every sum
stays within PyVRP's 64-bit integers. This module treats PyVRP's ``PenaltyBoundWarning`` as a
signal to change course (:func:`_search`), never as noise, and a search that ends infeasible is
repaired by :mod:`~routing.solving.engines.pyvrp_repair`. The public names of both modules are
re-exported here.
"""

from __future__ import annotations

import dataclasses
import itertools
import time
import warnings
from collections.abc import Sequence

import numpy as np
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, StoppingCriterion

from routing.core import (
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
from routing.solving.engines.base import DROPPED_BY_ENGINE, Checkpoints, SolveSettings
from routing.solving.engines.pyvrp_repair import (
    RELOAD,
    Visits,
    feasible_visits,
    insert_missing,
    joined,
    pyvrp_route,
    visits_of,
)
from routing.solving.engines.pyvrp_scaling import (
    COST_SCALES,
    COST_UNITS_PER_YUAN,
    PENALISED_COST_LIMIT,
    PENALTY_ROOM,
    PRIZE_FACTOR,
    Scaling,
    profile_names,
    pyvrp_matrices,
    scaling,
    unit_costs,
)
from routing.solving.engines.ranking import no_worse_than_start
from routing.solving.feasibility import all_servable, servable_alone
from routing.solving.objective import plan_objective

__all__ = [
    "COST_SCALES",
    "COST_UNITS_PER_YUAN",
    "PENALISED_COST_LIMIT",
    "PENALTY_ROOM",
    "PRIZE_FACTOR",
    "RELOAD",
    "PyVrpEngine",
    "Scaling",
    "Visits",
    "feasible_visits",
    "insert_missing",
    "pyvrp_matrices",
    "pyvrp_unsupported",
    "scaling",
    "to_problem_data",
]

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
                            "co2_g_per_km", "max_trips"}),
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
    repaired route by route and every client it then lacks is put back where a trip, a new trip of
    a vehicle whose type allows one more, or an unused vehicle has room (:func:`insert_missing`)
    before it is reported as left out. A PyVRP route of several trips becomes one of our routes
    per trip, all of one vehicle, numbered from 1.

    ``solution_limit`` caps the number of search iterations for bit-identical reruns; without it
    the result depends on how far the search gets within ``time_limit_s`` on this machine.
    """

    name = "pyvrp"

    def __init__(self, checkpoints: Checkpoints | None = None) -> None:
        self.checkpoints = checkpoints

    def solve(self, problem: Problem, settings: SolveSettings, *,
              initial: Plan | None = None) -> Plan:
        started = time.perf_counter()
        unsupported = pyvrp_unsupported(problem)
        if unsupported:
            raise ModelError(f"engine: pyvrp cannot model {', '.join(unsupported)}; use "
                             f"--engine ortools (or auto)")
        clients = [s for s in problem.stops
                   if s.id not in problem.excluded and servable_alone(problem, s.id)]
        if not clients:
            return _plan(problem, settings, started, [])
        watch = None if self.checkpoints is None else _Watch(
            self.checkpoints, problem, clients, settings, started)
        data, best = _search(problem, clients, settings, started, initial, watch)
        visits = insert_missing(data, feasible_visits(data, best))
        found = _plan(problem, settings, started, _read_routes(problem, data, clients, visits))
        return no_worse_than_start(problem, found, initial, settings.objective)


def _plan(problem: Problem, settings: SolveSettings, started: float, routes: Sequence[Route]
          ) -> Plan:
    """The plan of ``routes``: every stop they do not visit is unserved."""
    served = {s for r in routes for s in r.stops}
    unserved = tuple(Unserved(s.id, problem.excluded.get(s.id, DROPPED_BY_ENGINE))
                     for s in problem.stops if s.id not in served)
    plan = Plan(problem=problem.name, engine=PyVrpEngine.name, seed=settings.seed,
                routes=tuple(routes), unserved=unserved,
                solve_time_s=round(time.perf_counter() - started, 3))
    return dataclasses.replace(plan, objective=plan_objective(problem, plan, settings.objective))


@dataclasses.dataclass(frozen=True)
class _Watch:
    """Hands the search's best solution so far, as a plan, to ``checkpoints`` when they ask."""

    checkpoints: Checkpoints
    problem: Problem
    clients: Sequence[Stop]
    settings: SolveSettings
    started: float

    def __call__(self, data: pyvrp.ProblemData, iterations: int, best: pyvrp.Solution) -> None:
        if not self.checkpoints.due(iterations, time.perf_counter() - self.started):
            return
        routes = _read_routes(self.problem, data, self.clients, feasible_visits(data, best))
        self.checkpoints.post(_plan(self.problem, self.settings, self.started, routes))


class _Progress(pyvrp.IteratedLocalSearchCallbacks):
    """Follows a PyVRP search (its current and best solutions, its iterations) so that a run
    stopped by a :class:`~pyvrp.exceptions.PenaltyBoundWarning` can go on from where it was."""

    def __init__(self, data: pyvrp.ProblemData, watch: _Watch | None = None,
                 iterations: int = 0) -> None:
        self.data = data
        self.watch = watch
        self.best: pyvrp.Solution | None = None
        self.current: pyvrp.Solution | None = None
        self.iterations = iterations

    def on_start(self, ils: pyvrp.IteratedLocalSearch) -> None:
        self.best = self.current = ils.initial_solution

    def on_iteration(self, current: pyvrp.Solution, _candidate: pyvrp.Solution,
                     best: pyvrp.Solution, _cost_evaluator: pyvrp.CostEvaluator) -> None:
        self.best, self.current = best, current
        self.iterations += 1
        if self.watch is not None:
            self.watch(self.data, self.iterations, best)

    def resume_point(self) -> pyvrp.Solution | None:
        """The best solution if it is feasible, else the search's current one."""
        if self.best is not None and self.best.is_feasible():
            return self.best
        return self.current


def _search(problem: Problem, clients: Sequence[Stop], settings: SolveSettings,
            started: float, initial: Plan | None = None, watch: _Watch | None = None
            ) -> tuple[pyvrp.ProblemData, pyvrp.Solution]:
    """PyVRP's best solution for ``clients`` within the time and iteration budget, starting
    from ``initial``'s routes if given.

    A :class:`~pyvrp.exceptions.PenaltyBoundWarning` (penalties at their cap, still no feasible
    solution) is never ignored: with every client required
    (:func:`~routing.solving.feasibility.all_servable`) it means the
    clients do not pack into the fleet after all, so the search goes on, within what is left of
    the budget and from where it was, with optional clients, which may be dropped one by one.
    With optional clients it cannot happen unless the scaling is wrong: a
    :class:`~routing.core.errors.SearchError` then names the penalty cap.
    """
    scale = scaling(problem, clients, settings.objective)
    required = all_servable(problem, clients)
    data = to_problem_data(problem, clients, settings.objective, scale, required=required)
    progress = _Progress(data, watch)
    start = None if initial is None else _from_plan(problem, data, clients, initial)
    try:
        stop = _stopping(settings, started, 0) or MaxIterations(0)
        return data, _run(data, settings, scale, progress, stop, start)
    except PenaltyBoundWarning:
        if not required:
            raise _stuck(scale) from None
    optional = to_problem_data(problem, clients, settings.objective, scale, required=False)
    resume = _transfer(optional, progress.resume_point())
    rest = _stopping(settings, started, progress.iterations)
    if rest is None:
        return optional, resume
    try:
        return optional, _run(optional, settings, scale,
                              _Progress(optional, watch, progress.iterations), rest, resume)
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
    """``solution``'s routes (same vehicle types, same trips and client order) as a solution of
    ``data``."""
    routes = [pyvrp_route(data, r.vehicle_type(), visits_of(r))
              for r in (solution.routes() if solution is not None else [])]
    return pyvrp.Solution(data, [r for r in routes if r.num_clients()])


def _from_plan(problem: Problem, data: pyvrp.ProblemData, clients: Sequence[Stop], plan: Plan
               ) -> pyvrp.Solution:
    """``plan``'s routes as a solution of ``data`` (clients in ``clients`` order): a vehicle's
    trips, in trip order, become one PyVRP route with a reload between trips."""
    client = {stop.id: i for i, stop in enumerate(clients)}
    vehicle_type = {vt.id: i for i, vt in enumerate(problem.vehicle_types)}
    vehicles = {v.id: v.type for v in problem.vehicles}
    routes = []
    for vehicle, trips in plan.trips().items():
        vt = _checked_type(problem, vehicles.get(vehicle), trips)
        for route in trips:
            missing = [s for s in route.stops if s not in client]
            if missing:
                raise ModelError(f"initial: route {route.vehicle} visits {missing[0]!r}, which "
                                 f"problem {problem.name!r} does not let PyVRP route")
        visits = joined([[client[s] for s in route.stops] for route in trips])
        routes.append(pyvrp_route(data, vehicle_type[vt.id], visits))
    try:
        return pyvrp.Solution(data, routes)
    except RuntimeError as exc:  # e.g. a stop visited twice
        raise ModelError(f"initial: the routes of plan {plan.problem!r} are not a solution "
                         f"({exc})") from exc


def _checked_type(problem: Problem, vehicle_type: VehicleType | None, trips: Sequence[Route]
                  ) -> VehicleType:
    """The type of the vehicle driving ``trips`` (one vehicle's, in trip order), or a ModelError
    unless they can be one PyVRP route: a vehicle of the problem, of the type they claim, no
    trip number twice, within its ``max_trips``."""
    vehicle = trips[0].vehicle
    wrong = next((r for r in trips if vehicle_type is None or r.vehicle_type != vehicle_type.id),
                 None)
    if wrong is not None:
        raise ModelError(f"initial: vehicle {vehicle!r} of type {wrong.vehicle_type!r} is not "
                         f"in problem {problem.name!r}")
    assert vehicle_type is not None  # else ``wrong`` is the first trip
    twice = [a.trip for a, b in itertools.pairwise(trips) if a.trip == b.trip]
    if twice:
        raise ModelError(f"initial: vehicle {vehicle!r} has two routes numbered trip {twice[0]}")
    if len(trips) > vehicle_type.max_trips:
        raise ModelError(f"initial: vehicle {vehicle!r} drives {len(trips)} trips, over the "
                         f"{vehicle_type.max_trips} its type {vehicle_type.id!r} allows")
    return vehicle_type


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


def _load_dimensions(clients: Sequence[Stop]) -> list[int]:
    """Indices of the load dimensions any client uses (at least one): an all-zero dimension
    constrains nothing and only slows PyVRP's search."""
    used = [d for d in range(len(LOAD_DIMENSIONS))
            if any(s.delivery[d] or s.pickup[d] for s in clients)]
    return used or [0]


def to_problem_data(problem: Problem, clients: Sequence[Stop], objective: str,
                    scale: Scaling | None = None, *, required: bool | None = None
                    ) -> pyvrp.ProblemData:
    """Translate ``problem`` (without its excluded stops) into PyVRP's data.

    Locations are the problem's depots then stops, so the matrices pass unchanged (but for
    pairs with no road path, see :func:`pyvrp_matrices`); PyVRP's depots are the problem's
    depots in order and its clients are ``clients`` in order. ``scale`` defaults to
    :func:`scaling`'s, ``required`` to :func:`~routing.solving.feasibility.all_servable`'s
    verdict (required clients search markedly better than optional ones with prizes: 0.9 %
    vs 2.9 % above the best known on X-n200-k36 in 5 s); optional clients carry
    ``scale.prize``.
    """
    scale = scale or scaling(problem, clients, objective)
    if required is None:
        required = all_servable(problem, clients)
    locations = [pyvrp.Location(x=d.lon, y=d.lat, name=d.id) for d in problem.depots]
    locations += [pyvrp.Location(x=s.lon, y=s.lat, name=s.id) for s in problem.stops]
    depots = [pyvrp.Depot(location=i, tw_early=d.open_s, tw_late=d.close_s,
                          service_duration=int(problem.service_s[i]), name=d.id)
              for i, d in enumerate(problem.depots)]
    dims = _load_dimensions(clients)
    prize = 0 if required else scale.prize
    pyvrp_clients = []
    for stop in clients:
        i = problem.index[stop.id]
        pyvrp_clients.append(pyvrp.Client(
            location=i, delivery=[stop.delivery[d] for d in dims],
            pickup=[stop.pickup[d] for d in dims], service_duration=int(problem.service_s[i]),
            tw_early=stop.open_s, tw_late=stop.close_s, prize=prize, required=required,
            name=stop.id))
    profiles = profile_names(problem)
    depot_index = {d.id: i for i, d in enumerate(problem.depots)}
    vehicle_types = []
    for vt in problem.vehicle_types:
        depot = problem.depot_by_id[vt.depot]
        fixed, per_m, per_s = unit_costs(vt, objective, scale.units_per_yuan)
        vehicle_types.append(pyvrp.VehicleType(
            num_available=vt.count, capacity=[vt.capacity[d] for d in dims],
            start_depot=depot_index[vt.depot], end_depot=depot_index[vt.depot],
            fixed_cost=fixed, tw_early=max(vt.shift_start_s, depot.open_s),
            tw_late=min(depot.close_s, vt.shift_end_s), shift_duration=vt.max_duration_s,
            unit_distance_cost=per_m, unit_duration_cost=per_s,
            profile=profiles.index(vt.profile), name=vt.id,
            reload_depots=[depot_index[vt.depot]] if vt.max_trips > 1 else [],
            max_reloads=vt.max_trips - 1))
    matrices = pyvrp_matrices(problem)
    # pyvrp's stub annotates matrices as ``ndarray[int, ...]`` (an int where the shape goes),
    # which no real array type matches.
    return pyvrp.ProblemData(
        locations=locations, clients=pyvrp_clients, depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=[d for d, _ in matrices],  # type: ignore[misc]
        duration_matrices=[t for _, t in matrices])  # type: ignore[misc]


def _read_routes(problem: Problem, data: pyvrp.ProblemData, clients: Sequence[Stop],
                 visits: Visits) -> list[Route]:
    """Our routes from PyVRP's, one per trip: vehicles numbered in type order, a vehicle's trips
    numbered from 1, service start times as arrival times (the same convention as the OR-Tools
    engine)."""
    fleet: dict[str, list[str]] = {}
    for vehicle in problem.vehicles:
        fleet.setdefault(vehicle.type.id, []).append(vehicle.id)
    routes = []
    for vt_index, route_visits in visits:
        vt = problem.vehicle_types[vt_index]
        vehicle_id = fleet[vt.id].pop(0)
        trips = _trip_schedules(pyvrp_route(data, vt_index, route_visits))
        routes += [_trip(problem, vt, vehicle_id, clients, number, trip)
                   for number, trip in enumerate(trips, start=1)]
    return routes


#: One trip of a PyVRP route: (start, end, its client activities).
_TripSchedule = tuple[int, int, list[pyvrp.ScheduledActivity]]


def _trip_schedules(route: pyvrp.Route) -> list[_TripSchedule]:
    """The trips of ``route`` that visit clients. A trip starts when loading starts at the depot
    (the route's start, then each reload's start) and ends on arrival back there."""
    out = []
    start, stops = int(route.start_time()), []
    for activity in route.schedule()[1:]:
        if not activity.is_depot():
            stops.append(activity)
            continue
        if stops:
            out.append((start, int(activity.start_time), stops))
        start, stops = int(activity.start_time), []
    return out


def _trip(problem: Problem, vt: VehicleType, vehicle: str, clients: Sequence[Stop], number: int,
          trip: _TripSchedule) -> Route:
    """Trip ``number`` of ``vehicle``: its distance by the type's matrix from the depot through
    its stops and back (what the checker recomputes), its load the stops' deliveries."""
    start, end, activities = trip
    stops = [clients[a.idx] for a in activities]
    distance_m, _ = problem.matrices_for(vt)
    depot = problem.index[vt.depot]
    path = [depot, *(problem.index[s.id] for s in stops), depot]
    load = np.sum([s.delivery for s in stops], axis=0)
    return Route(vehicle=vehicle, vehicle_type=vt.id, depot=vt.depot,
                 stops=tuple(s.id for s in stops),
                 arrival_s=tuple(int(a.start_time) for a in activities), start_s=start,
                 end_s=end, distance_m=sum(int(distance_m[a, b]) for a, b in
                                           itertools.pairwise(path)),
                 load=tuple(int(x) for x in load[: len(LOAD_DIMENSIONS)]), trip=number)
