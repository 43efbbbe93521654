"""OR-Tools adapter: the capacitated VRP with time windows, shift limits and two-way loads.

A vehicle whose type allows ``max_trips = K`` trips is K OR-Tools vehicles, its *trip slots*
(:func:`trip_slots`), all at its depot with its type's capacities and matrices, linked in time:
each slot leaves once the one before is back and the day, from the first slot's start to any
slot's return, fits the shift's length. A slot is used only if the one before is, so the vehicle's
fixed cost, set on its first slot, is charged once per vehicle-day. With ``max_trips = 1`` each
vehicle is one slot and the model is the single-trip one.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp

from routing.core import (
    LOAD_DIMENSIONS,
    ModelError,
    Plan,
    Problem,
    Route,
    SearchError,
    Unserved,
    Vehicle,
)
from routing.solving.engines.base import DROPPED_BY_ENGINE, SolveSettings
from routing.solving.engines.ortools_search import TUNED, OrToolsTuning, parameters
from routing.solving.engines.ranking import no_worse_than_start
from routing.solving.feasibility import servable_alone

#: Upper bound of every time variable: two days in seconds.
HORIZON_S = 2 * 86_400
#: Money enters the solver in integer cents (fen).
CENTS = 100


@dataclass(frozen=True)
class Slot:
    """One OR-Tools vehicle: the ``trip``-th (1-based) trip a real ``vehicle`` may drive."""

    vehicle: Vehicle
    trip: int


def trip_slots(problem: Problem) -> tuple[Slot, ...]:
    """The model's vehicles: each vehicle's ``max_trips`` slots, consecutive, in trip order."""
    return tuple(Slot(v, trip) for v in problem.vehicles
                 for trip in range(1, v.type.max_trips + 1))


def _let_other_threads_run() -> None:
    """Nothing to do: being called from the search is what releases the GIL for a moment."""


def _trips_by_vehicle(problem: Problem, plan: Plan) -> dict[str, list[Route]]:
    """``plan``'s routes per vehicle id, each checked to be a trip of ``problem``'s fleet."""
    vehicle = {v.id: v for v in problem.vehicles}
    trips: dict[str, list[Route]] = {}
    for route in plan.routes:
        if route.vehicle not in vehicle or vehicle[route.vehicle].type.id != route.vehicle_type:
            raise ModelError(f"initial: vehicle {route.vehicle!r} of type "
                             f"{route.vehicle_type!r} is not in problem {problem.name!r}")
        unknown = [s for s in route.stops if problem.index.get(s, 0) < len(problem.depots)]
        if unknown:
            raise ModelError(f"initial: stop {unknown[0]!r} is not a stop of problem "
                             f"{problem.name!r}")
        trips.setdefault(route.vehicle, []).append(route)
    for vehicle_id, routes in trips.items():
        twice = [n for n, k in Counter(r.trip for r in routes).items() if k > 1]
        if twice:
            raise ModelError(f"initial: vehicle {vehicle_id!r} has two routes with trip "
                             f"{twice[0]}")
        allowed = vehicle[vehicle_id].type.max_trips
        if len(routes) > allowed:
            raise ModelError(f"initial: vehicle {vehicle_id!r} drives {len(routes)} trips, over "
                             f"the {allowed} its type allows")
    return trips


def _route_indices(problem: Problem, manager: pywrapcp.RoutingIndexManager, plan: Plan,
                   slots: tuple[Slot, ...]) -> list[list[int]]:
    """``plan``'s routes as OR-Tools' routing indices, one list per slot (empty: unused); a
    vehicle's trips fill its slots in trip order."""
    first: dict[str, int] = {}
    for s, slot in enumerate(slots):
        first.setdefault(slot.vehicle.id, s)
    routes: list[list[int]] = [[] for _ in slots]
    for vehicle_id, trips in _trips_by_vehicle(problem, plan).items():
        for k, route in enumerate(sorted(trips, key=lambda r: r.trip)):
            routes[first[vehicle_id] + k] = [manager.NodeToIndex(problem.index[s])
                                             for s in route.stops]
    return routes


class OrToolsEngine:
    """Solve with OR-Tools' routing library: a first-solution heuristic, then a metaheuristic.

    Loads: a dimension without pickups is an ordinary capacity dimension. A dimension with
    pickups (farm produce) is modelled as simultaneous pickup and delivery: the vehicle leaves
    with every parcel of its route, so the load at each stop is the deliveries still aboard plus
    the pickups so far. The load dimension's start value is a free variable tied, per vehicle, to
    the route's total delivery (a second, delivered-so-far dimension), and the load must stay
    within capacity at every stop. Each trip slot loads and unloads on its own.

    Costs: per km and per hour on every arc (travel, service and each trip's loading time), the
    fixed cost on a vehicle's first slot. Waiting is not charged: neither at a stop before its
    window opens nor at the depot between trips, so where a vehicle waits the search's cost is a
    little under the plan's (:func:`~routing.solving.objective.plan_objective` charges a
    vehicle's day from its first start to its last return); the warm start and the portfolio
    compare plans by the plan's value. (A span cost per slot would charge waits within a trip,
    but OR-Tools takes integer coefficients per second, too coarse at a few fen a minute.)
    """

    name = "ortools"

    def __init__(self, tuning: OrToolsTuning = TUNED) -> None:
        self.tuning = tuning

    def solve(self, problem: Problem, settings: SolveSettings, *,
              initial: Plan | None = None) -> Plan:
        started = time.perf_counter()
        built = self._build(problem, settings.objective)
        model = built.model
        params = parameters(settings, self.tuning)
        # The search holds Python's GIL; a callback per solution found hands it back briefly, so
        # other threads (the CLI's progress display) keep running during a long solve.
        model.AddAtSolutionCallback(_let_other_threads_run)
        start = None
        if initial is not None:
            model.CloseModelWithParameters(params)
            start = model.ReadAssignmentFromRoutes(
                _route_indices(problem, built.manager, initial, built.slots), True)
            if start is None:
                raise ModelError(f"initial: the routes of plan {initial.problem!r} break a "
                                 f"constraint of problem {problem.name!r}; start without them")
            solution = model.SolveFromAssignmentWithParameters(start, params)
        else:
            solution = model.SolveWithParameters(params)
        if solution is None:
            raise SearchError(f"ortools found no solution with first solution "
                              f"{settings.first_solution} in {settings.time_limit_s:g} s")
        retimed, solution = self._retimed(problem, settings, built, solution)
        plan = self._read_plan(problem, settings, retimed, solution,
                               time.perf_counter() - started)
        if start is None:
            return plan
        given = self._read_plan(problem, settings, built, start, 0.0)
        return no_worse_than_start(problem, plan, given, settings.objective)

    def _build(self, problem: Problem, objective: str) -> _Model:
        """The routing model of ``problem``: one OR-Tools vehicle per trip slot."""
        slots = trip_slots(problem)
        starts = [problem.index[slot.vehicle.depot] for slot in slots]
        manager = pywrapcp.RoutingIndexManager(problem.num_locations, len(slots), starts, starts)
        model = pywrapcp.RoutingModel(manager)

        _, time_cbs, arc_cbs = self._register_arcs(problem, model, objective)
        for v, slot in enumerate(slots):
            model.SetArcCostEvaluatorOfVehicle(arc_cbs[slot.vehicle.type.id], v)
            if objective == "cost" and slot.trip == 1:
                model.SetFixedCostOfVehicle(round(slot.vehicle.type.fixed_cost * CENTS), v)
        time_transits = [time_cbs[slot.vehicle.type.profile] for slot in slots]

        self._add_loads(problem, model, slots)
        time_dim = self._add_time(problem, model, manager, slots, time_transits)
        self._link_trips(model, slots, time_dim)
        self._add_drops(problem, model, manager)
        return _Model(slots, manager, model, time_dim)

    @staticmethod
    def _register_arcs(problem: Problem, model: pywrapcp.RoutingModel, objective: str
                       ) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
        """Transit callbacks per travel profile and the arc-cost callback per vehicle type."""
        distance_cbs: dict[str, int] = {}
        time_cbs: dict[str, int] = {}
        arc_cbs: dict[str, int] = {}
        for vt in problem.vehicle_types:
            distance, duration = problem.matrices_for(vt)
            travel = duration + problem.service_s[:, None]
            # only an unused slot goes from its depot straight back: it loads nothing, takes no
            # time, and so cannot push the vehicle's later slots or its day
            depots = np.arange(len(problem.depots))
            travel[depots, depots] = 0
            if vt.profile not in distance_cbs:
                distance_cbs[vt.profile] = model.RegisterTransitMatrix(distance.tolist())
                time_cbs[vt.profile] = model.RegisterTransitMatrix(travel.tolist())
            if objective == "distance":
                arc_cbs[vt.id] = distance_cbs[vt.profile]
            elif objective == "duration":
                arc_cbs[vt.id] = time_cbs[vt.profile]
            else:
                cents = np.rint(CENTS * (vt.cost_per_km * distance / 1000
                                         + vt.cost_per_hour * travel / 3600)).astype(np.int64)
                arc_cbs[vt.id] = model.RegisterTransitMatrix(cents.tolist())
        return distance_cbs, time_cbs, arc_cbs

    def _add_drops(self, problem: Problem, model: pywrapcp.RoutingModel,
                   manager: pywrapcp.RoutingIndexManager) -> None:
        """Any stop may be left out, at a penalty; excluded and unservable stops are left out.

        (Making the stops mandatory when the fleet can serve them all measured no different on
        the train instances: the penalty already keeps every stop in: benchmarks/README.md.)
        """
        penalty = self._drop_penalty(problem)
        first_depot = len(problem.depots)
        for offset, stop in enumerate(problem.stops):
            index = manager.NodeToIndex(first_depot + offset)
            model.AddDisjunction([index], penalty)
            if stop.id in problem.excluded or not servable_alone(problem, stop.id):
                model.ActiveVar(index).SetValue(0)

    @staticmethod
    def _drop_penalty(problem: Problem) -> int:
        """A penalty per dropped stop above any detour's cost, so stops are dropped only when
        no vehicle can take them (or the search ran out of time)."""
        worst = 1
        for vt in problem.vehicle_types:
            distance, duration = problem.matrices_for(vt)
            per_km, per_h = max(vt.cost_per_km, 1.0), max(vt.cost_per_hour, 1.0)
            worst = max(worst, int(distance.max() + duration.max()),
                        int(CENTS * (per_km * distance.max() / 1000 + per_h * duration.max() / 3600
                                     + vt.fixed_cost)))
        return 100 * (worst + 1)

    @staticmethod
    def _add_loads(problem: Problem, model: pywrapcp.RoutingModel,
                   slots: tuple[Slot, ...]) -> None:
        delivery = problem.delivery_matrix()
        pickup = problem.pickup_matrix()
        for d, dim_name in enumerate(LOAD_DIMENSIONS):
            if not delivery[:, d].any() and not pickup[:, d].any():
                continue  # a load no stop has constrains nothing and only slows the search
            capacity = [slot.vehicle.type.capacity[d] for slot in slots]
            if not pickup[:, d].any():
                cb = model.RegisterUnaryTransitVector(delivery[:, d].tolist())
                model.AddDimensionWithVehicleCapacity(cb, 0, capacity, True, dim_name)
                continue
            delivered_cb = model.RegisterUnaryTransitVector(delivery[:, d].tolist())
            model.AddDimensionWithVehicleCapacity(
                delivered_cb, 0, capacity, True, f"{dim_name}_delivered")
            net_cb = model.RegisterUnaryTransitVector((pickup[:, d] - delivery[:, d]).tolist())
            model.AddDimensionWithVehicleCapacity(net_cb, 0, capacity, False, dim_name)
            load = model.GetDimensionOrDie(dim_name)
            delivered = model.GetDimensionOrDie(f"{dim_name}_delivered")
            solver = model.solver()
            for v in range(len(slots)):
                solver.Add(load.CumulVar(model.Start(v)) == delivered.CumulVar(model.End(v)))

    @staticmethod
    def _add_time(problem: Problem, model: pywrapcp.RoutingModel,
                  manager: pywrapcp.RoutingIndexManager, slots: tuple[Slot, ...],
                  time_transits: list[int]) -> pywrapcp.RoutingDimension:
        model.AddDimensionWithVehicleTransits(time_transits, HORIZON_S, HORIZON_S, False, "time")
        time_dim = model.GetDimensionOrDie("time")
        for v, slot in enumerate(slots):
            vehicle_type = slot.vehicle.type
            depot = problem.depot_by_id[slot.vehicle.depot]
            earliest = max(vehicle_type.shift_start_s, depot.open_s)
            latest = min(vehicle_type.shift_end_s, depot.close_s)
            time_dim.CumulVar(model.Start(v)).SetRange(earliest, latest)
            time_dim.CumulVar(model.End(v)).SetRange(earliest, latest)
            time_dim.SetSpanUpperBoundForVehicle(vehicle_type.max_duration_s, v)
        # Finalizers run in order: back as early as possible, then leave as late as that allows
        # (no idle wait at the depot), then serve each stop as early as possible.
        for v in range(len(slots)):
            model.AddVariableMinimizedByFinalizer(time_dim.CumulVar(model.End(v)))
        for v in range(len(slots)):
            model.AddVariableMaximizedByFinalizer(time_dim.CumulVar(model.Start(v)))
        first_depot = len(problem.depots)
        for offset, stop in enumerate(problem.stops):
            index = manager.NodeToIndex(first_depot + offset)
            time_dim.CumulVar(index).SetRange(stop.open_s, min(stop.close_s, HORIZON_S))
            model.AddVariableMinimizedByFinalizer(time_dim.CumulVar(index))
        return time_dim

    @staticmethod
    def _link_trips(model: pywrapcp.RoutingModel, slots: tuple[Slot, ...],
                    time_dim: pywrapcp.RoutingDimension) -> None:
        """A vehicle's slots in order: each used only if the one before is, leaving once it is
        back, every return within the shift's length of the first slot's start.

        An unused slot goes straight from its depot back in no time (see
        :meth:`_register_arcs`), so it can start and end when the slot before it ends: then
        the bounds on it hold whenever they hold on the last used slot, and it constrains
        nothing. (The day's bound is implied today by every slot's window, shift start to shift
        end, which is ``max_duration_s`` long; it is stated so it keeps holding if shifts start
        more freely.)
        """
        solver = model.solver()
        cumul = time_dim.CumulVar
        first = 0
        for s, slot in enumerate(slots):
            if slot.trip == 1:
                first = s
                continue
            solver.Add(model.ActiveVehicleVar(s) <= model.ActiveVehicleVar(s - 1))
            solver.Add(cumul(model.End(s - 1)) <= cumul(model.Start(s)))
            solver.Add(cumul(model.End(s)) - cumul(model.Start(first))
                       <= slot.vehicle.type.max_duration_s)

    def _retimed(self, problem: Problem, settings: SolveSettings, built: _Model,
                 solution: pywrapcp.Assignment) -> tuple[_Model, pywrapcp.Assignment]:
        """``solution``'s routes in a fresh model, every vehicle's day packed again.

        The search keeps the times of a route it did not change (OR-Tools restores them to
        save work), also when reading routes back into the model it searched. So when it
        shortens a vehicle's trip, the later trips keep their old, later start and the vehicle
        waits at its depot for nothing. A fresh model sets every time afresh. A model of single
        trips has nothing to pack and is left as found.
        """
        if all(slot.trip == 1 for slot in built.slots):
            return built, solution
        fresh = self._build(problem, settings.objective)
        fresh.model.CloseModelWithParameters(parameters(settings, self.tuning))
        again = fresh.model.ReadAssignmentFromRoutes(_routes_of(built, solution), True)
        return (built, solution) if again is None else (fresh, again)

    def _read_plan(self, problem: Problem, settings: SolveSettings, built: _Model,
                   solution: pywrapcp.Assignment, elapsed_s: float) -> Plan:
        """One route per used slot; a vehicle's trips numbered 1, 2, ... in slot order."""
        routes: list[Route] = []
        trips: Counter[str] = Counter()
        for v, slot in enumerate(built.slots):
            if built.model.IsEnd(solution.Value(built.model.NextVar(built.model.Start(v)))):
                continue
            trips[slot.vehicle.id] += 1
            routes.append(_read_route(problem, built, solution, v, trips[slot.vehicle.id]))
        served = {stop for route in routes for stop in route.stops}
        unserved = tuple(Unserved(s.id, DROPPED_BY_ENGINE)
                         for s in problem.stops if s.id not in served)
        return Plan(problem=problem.name, engine=self.name, seed=settings.seed,
                    routes=tuple(routes), unserved=unserved, solve_time_s=round(elapsed_s, 3),
                    objective=solution.ObjectiveValue())


@dataclass(frozen=True)
class _Model:
    """An OR-Tools model of a problem and what reading its solutions needs."""

    slots: tuple[Slot, ...]
    manager: pywrapcp.RoutingIndexManager
    model: pywrapcp.RoutingModel
    time_dim: pywrapcp.RoutingDimension


def _routes_of(built: _Model, solution: pywrapcp.Assignment) -> list[list[int]]:
    """``solution``'s routes as routing indices, one list per slot."""
    model = built.model
    routes: list[list[int]] = []
    for v in range(len(built.slots)):
        route, index = [], solution.Value(model.NextVar(model.Start(v)))
        while not model.IsEnd(index):
            route.append(index)
            index = solution.Value(model.NextVar(index))
        routes.append(route)
    return routes


def _read_route(problem: Problem, built: _Model, solution: pywrapcp.Assignment, v: int,
                trip: int) -> Route:
    """Slot ``v``'s route in ``solution`` (a used slot), as trip ``trip`` of its vehicle."""
    model, manager, cumul = built.model, built.manager, built.time_dim.CumulVar
    vehicle = built.slots[v].vehicle
    ids = [d.id for d in problem.depots] + [s.id for s in problem.stops]
    distance = problem.matrices_for(vehicle.type)[0]
    delivery = problem.delivery_matrix()
    stops: list[str] = []
    arrivals: list[int] = []
    load = np.zeros(len(LOAD_DIMENSIONS), dtype=np.int64)
    previous = manager.IndexToNode(model.Start(v))
    metres = 0
    index = solution.Value(model.NextVar(model.Start(v)))
    while not model.IsEnd(index):
        node = manager.IndexToNode(index)
        metres += int(distance[previous, node])
        previous = node
        stops.append(ids[node])
        arrivals.append(solution.Min(cumul(index)))
        load += delivery[node]
        index = solution.Value(model.NextVar(index))
    end = model.End(v)
    return Route(vehicle=vehicle.id, vehicle_type=vehicle.type.id, depot=vehicle.depot,
                 stops=tuple(stops), arrival_s=tuple(arrivals),
                 start_s=solution.Min(cumul(model.Start(v))), end_s=solution.Min(cumul(end)),
                 distance_m=metres + int(distance[previous, manager.IndexToNode(end)]),
                 load=tuple(int(x) for x in load), trip=trip)
