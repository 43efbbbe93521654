"""OR-Tools adapter: the capacitated VRP with time windows, shift limits and two-way loads."""

from __future__ import annotations

import time

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
)
from routing.solving.engines.base import DROPPED_BY_ENGINE, SolveSettings
from routing.solving.engines.ortools_search import TUNED, OrToolsTuning, parameters
from routing.solving.engines.ranking import no_worse_than_start
from routing.solving.feasibility import servable_alone

#: Upper bound of every time variable: two days in seconds.
HORIZON_S = 2 * 86_400
#: Money enters the solver in integer cents (fen).
CENTS = 100


def _let_other_threads_run() -> None:
    """Nothing to do: being called from the search is what releases the GIL for a moment."""


def _route_indices(problem: Problem, manager: pywrapcp.RoutingIndexManager, plan: Plan
                   ) -> list[list[int]]:
    """``plan``'s routes as OR-Tools' routing indices, one list per vehicle (empty: unused)."""
    vehicle = {v.id: i for i, v in enumerate(problem.vehicles)}
    routes: list[list[int]] = [[] for _ in problem.vehicles]
    for route in plan.routes:
        if route.vehicle not in vehicle or (
                problem.vehicles[vehicle[route.vehicle]].type.id != route.vehicle_type):
            raise ModelError(f"initial: vehicle {route.vehicle!r} of type "
                             f"{route.vehicle_type!r} is not in problem {problem.name!r}")
        if routes[vehicle[route.vehicle]]:
            raise ModelError(f"initial: vehicle {route.vehicle!r} has two routes")
        unknown = [s for s in route.stops if problem.index.get(s, 0) < len(problem.depots)]
        if unknown:
            raise ModelError(f"initial: stop {unknown[0]!r} is not a stop of problem "
                             f"{problem.name!r}")
        routes[vehicle[route.vehicle]] = [manager.NodeToIndex(problem.index[s])
                                          for s in route.stops]
    return routes


class OrToolsEngine:
    """Solve with OR-Tools' routing library: a first-solution heuristic, then a metaheuristic.

    Loads: a dimension without pickups is an ordinary capacity dimension. A dimension with
    pickups (farm produce) is modelled as simultaneous pickup and delivery: the vehicle leaves
    with every parcel of its route, so the load at each stop is the deliveries still aboard plus
    the pickups so far. The load dimension's start value is a free variable tied, per vehicle, to
    the route's total delivery (a second, delivered-so-far dimension), and the load must stay
    within capacity at every stop.
    """

    name = "ortools"

    def __init__(self, tuning: OrToolsTuning = TUNED) -> None:
        self.tuning = tuning

    def solve(self, problem: Problem, settings: SolveSettings, *,
              initial: Plan | None = None) -> Plan:
        started = time.perf_counter()
        vehicles = problem.vehicles
        starts = [problem.index[v.depot] for v in vehicles]
        manager = pywrapcp.RoutingIndexManager(problem.num_locations, len(vehicles), starts, starts)
        model = pywrapcp.RoutingModel(manager)

        _, time_cbs, arc_cbs = self._register_arcs(problem, model, settings.objective)
        for v, vehicle in enumerate(vehicles):
            model.SetArcCostEvaluatorOfVehicle(arc_cbs[vehicle.type.id], v)
            if settings.objective == "cost":
                model.SetFixedCostOfVehicle(round(vehicle.type.fixed_cost * CENTS), v)
        time_transits = [time_cbs[v.type.profile] for v in vehicles]

        self._add_loads(problem, model)
        time_dim = self._add_time(problem, model, manager, time_transits)

        self._add_drops(problem, model, manager)
        params = parameters(settings, self.tuning)
        # The search holds Python's GIL; a callback per solution found hands it back briefly, so
        # other threads (the CLI's progress display) keep running during a long solve.
        model.AddAtSolutionCallback(_let_other_threads_run)
        start = None
        if initial is not None:
            model.CloseModelWithParameters(params)
            start = model.ReadAssignmentFromRoutes(_route_indices(problem, manager, initial), True)
            if start is None:
                raise ModelError(f"initial: the routes of plan {initial.problem!r} break a "
                                 f"constraint of problem {problem.name!r}; start without them")
            solution = model.SolveFromAssignmentWithParameters(start, params)
        else:
            solution = model.SolveWithParameters(params)
        if solution is None:
            raise SearchError(f"ortools found no solution with first solution "
                              f"{settings.first_solution} in {settings.time_limit_s:g} s")
        plan = self._read_plan(problem, settings, manager, model, solution, time_dim,
                               time.perf_counter() - started)
        if start is None:
            return plan
        given = self._read_plan(problem, settings, manager, model, start, time_dim, 0.0)
        return no_worse_than_start(problem, plan, given, settings.objective)

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
    def _add_loads(problem: Problem, model: pywrapcp.RoutingModel) -> None:
        delivery = problem.delivery_matrix()
        pickup = problem.pickup_matrix()
        for d, dim_name in enumerate(LOAD_DIMENSIONS):
            if not delivery[:, d].any() and not pickup[:, d].any():
                continue  # a load no stop has constrains nothing and only slows the search
            capacity = [v.type.capacity[d] for v in problem.vehicles]
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
            for v in range(len(problem.vehicles)):
                solver.Add(load.CumulVar(model.Start(v)) == delivered.CumulVar(model.End(v)))

    @staticmethod
    def _add_time(problem: Problem, model: pywrapcp.RoutingModel,
                  manager: pywrapcp.RoutingIndexManager, time_transits: list[int]
                  ) -> pywrapcp.RoutingDimension:
        model.AddDimensionWithVehicleTransits(time_transits, HORIZON_S, HORIZON_S, False, "time")
        time_dim = model.GetDimensionOrDie("time")
        for v, vehicle in enumerate(problem.vehicles):
            depot = problem.depot_by_id[vehicle.depot]
            earliest = max(vehicle.type.shift_start_s, depot.open_s)
            latest = min(vehicle.type.shift_end_s, depot.close_s)
            time_dim.CumulVar(model.Start(v)).SetRange(earliest, latest)
            time_dim.CumulVar(model.End(v)).SetRange(earliest, latest)
            time_dim.SetSpanUpperBoundForVehicle(vehicle.type.max_duration_s, v)
        # Finalizers run in order: back as early as possible, then leave as late as that allows
        # (no idle wait at the depot), then serve each stop as early as possible.
        for v in range(len(problem.vehicles)):
            model.AddVariableMinimizedByFinalizer(time_dim.CumulVar(model.End(v)))
        for v in range(len(problem.vehicles)):
            model.AddVariableMaximizedByFinalizer(time_dim.CumulVar(model.Start(v)))
        first_depot = len(problem.depots)
        for offset, stop in enumerate(problem.stops):
            index = manager.NodeToIndex(first_depot + offset)
            time_dim.CumulVar(index).SetRange(stop.open_s, min(stop.close_s, HORIZON_S))
            model.AddVariableMinimizedByFinalizer(time_dim.CumulVar(index))
        return time_dim

    def _read_plan(self, problem: Problem, settings: SolveSettings,
                   manager: pywrapcp.RoutingIndexManager, model: pywrapcp.RoutingModel,
                   solution: pywrapcp.Assignment, time_dim: pywrapcp.RoutingDimension,
                   elapsed_s: float) -> Plan:
        ids = [d.id for d in problem.depots] + [s.id for s in problem.stops]
        distance = {vt.id: problem.matrices_for(vt)[0] for vt in problem.vehicle_types}
        delivery = problem.delivery_matrix()
        routes: list[Route] = []
        served: set[str] = set()
        for v, vehicle in enumerate(problem.vehicles):
            index = solution.Value(model.NextVar(model.Start(v)))
            if model.IsEnd(index):
                continue
            stops: list[str] = []
            arrivals: list[int] = []
            load = np.zeros(len(LOAD_DIMENSIONS), dtype=np.int64)
            previous = manager.IndexToNode(model.Start(v))
            metres = 0
            while not model.IsEnd(index):
                node = manager.IndexToNode(index)
                metres += int(distance[vehicle.type.id][previous, node])
                previous = node
                stops.append(ids[node])
                arrivals.append(solution.Min(time_dim.CumulVar(index)))
                load += delivery[node]
                index = solution.Value(model.NextVar(index))
            end = model.End(v)
            routes.append(Route(
                vehicle=vehicle.id, vehicle_type=vehicle.type.id, depot=vehicle.depot,
                stops=tuple(stops), arrival_s=tuple(arrivals),
                start_s=solution.Min(time_dim.CumulVar(model.Start(v))),
                end_s=solution.Min(time_dim.CumulVar(end)),
                distance_m=metres + int(distance[vehicle.type.id][previous,
                                                                  manager.IndexToNode(end)]),
                load=tuple(int(x) for x in load)))
            served.update(stops)
        unserved = tuple(Unserved(s.id, DROPPED_BY_ENGINE)
                         for s in problem.stops if s.id not in served)
        return Plan(problem=problem.name, engine=self.name, seed=settings.seed,
                    routes=tuple(routes), unserved=unserved, solve_time_s=round(elapsed_s, 3),
                    objective=solution.ObjectiveValue())
