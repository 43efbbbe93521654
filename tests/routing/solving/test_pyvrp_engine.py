"""The PyVRP engine on problems whose answers are known by hand, and its parity with OR-Tools."""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pytest
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning

from geodata import UNREACHABLE
from routing.core import Depot, ModelError, Problem, SearchError, Stop, VehicleType, travel_profile
from routing.research import read_instance
from routing.solving import (
    PyVrpEngine,
    SolveSettings,
    check_plan,
    make_engine,
    plan_objective,
    pyvrp_unsupported,
    solve_checked,
)
from routing.solving.engines import pyvrp as pyvrp_engine
from routing.solving.engines import pyvrp_scaling
from routing.solving.engines.pyvrp import (
    COST_UNITS_PER_YUAN,
    PENALISED_COST_LIMIT,
    insert_missing,
    pyvrp_matrices,
    scaling,
    to_problem_data,
)
from tests.routing.solving.problems import line_problem

DATA = Path(__file__).resolve().parents[2] / "data" / "cvrplib"
FAST = SolveSettings(time_limit_s=1, solution_limit=200)


def _solve(problem: Problem, settings: SolveSettings = FAST):
    return solve_checked(problem, make_engine("pyvrp"), settings)


def test_three_stops_on_a_line_take_one_6_km_route(three_stops):
    plan, report = _solve(three_stops)
    assert report.ok and plan.engine == "pyvrp" and plan.unserved == ()
    (route,) = plan.routes
    assert route.distance_m == 6000 and route.load == (30, 30)
    assert plan.objective == 6000


def test_schedule_counts_travel_and_service_time():
    problem = line_problem({"a": 1000})
    plan, _ = _solve(problem)
    (route,) = plan.routes
    # 10 m/s and 60 s service: leave at the 08:00 shift start, arrive 100 s later.
    assert (route.start_s, route.arrival_s, route.end_s) == (28_800, (28_900,), 29_060)


def test_capacity_in_either_dimension_splits_the_stops():
    heavy = [Stop(s, s, 116.0, 33.0, parcels=1, weight_kg=60) for s in ("a", "b")]
    plan, _ = _solve(line_problem({"a": 1000, "b": 2000}, stops=heavy))
    assert sorted(len(r.stops) for r in plan.routes) == [1, 1]
    assert plan.distance_m == 2000 + 4000


def test_time_window_forces_the_visiting_order():
    stops = [Stop("a", "a", 116.0, 33.0, parcels=1, weight_kg=1, open_s=9 * 3600),
             Stop("b", "b", 116.0, 33.0, parcels=1, weight_kg=1, close_s=8 * 3600 + 600)]
    vans = [VehicleType("van", count=1, capacity_parcels=10, capacity_kg=10, depot="d")]
    plan, report = _solve(line_problem({"a": 1000, "b": 2000}, stops=stops, vehicle_types=vans))
    assert report.ok
    assert plan.routes[0].stops == ("b", "a")
    assert plan.routes[0].arrival_s[1] >= 9 * 3600


def test_pickups_join_the_deliveries_aboard():
    # 50 kg of parcels out and 90 kg of produce back at each stop: one 100 kg van could carry
    # both deliveries, but after its first stop it would hold 50 + 90 = 140 kg.
    stops = [Stop(s, s, 116.0, 33.0, parcels=1, weight_kg=50, produce_kg=90) for s in ("a", "b")]
    vans = [VehicleType("van", count=2, capacity_parcels=10, capacity_kg=100, depot="d")]
    plan, report = _solve(line_problem({"a": 1000, "b": 2000}, stops=stops, vehicle_types=vans))
    assert len(plan.routes) == 2
    assert max(max(r.max_load) for r in report.routes) == 90


def test_a_stop_beyond_the_shift_is_unserved_with_its_reason():
    vans = [VehicleType("van", count=1, capacity_parcels=100, capacity_kg=100, depot="d",
                        max_duration_s=3600)]
    plan, report = _solve(line_problem({"near": 1000, "far": 30_000}, vehicle_types=vans))
    assert report.ok
    assert [r.stops for r in plan.routes] == [("near",)]
    assert plan.unserved[0].stop == "far" and "shift" in plan.unserved[0].reason


def test_a_fleet_too_small_drops_stops_yet_passes_the_checker():
    stops = [Stop(s, s, 116.0, 33.0, parcels=40, weight_kg=1) for s in "abce"]
    vans = [VehicleType("van", count=1, capacity_parcels=100, capacity_kg=100, depot="d")]
    plan, report = _solve(line_problem({"a": 1000, "b": 2000, "c": 3000, "e": 4000},
                                       stops=stops, vehicle_types=vans))
    assert report.ok
    assert len(plan.routes[0].stops) == 2 and len(plan.unserved) == 2
    assert all("fleet too small" in u.reason for u in plan.unserved)


def test_excluded_stop_is_never_routed_and_keeps_its_reason():
    problem = line_problem({"a": 1000, "b": 2000}, excluded={"b": "no drivable road within 5 km"})
    plan, _ = _solve(problem)
    assert [r.stops for r in plan.routes] == [("a",)]
    assert plan.unserved[0].reason == "no drivable road within 5 km"


def _two_depot_problem(vehicle_types: list[VehicleType], **problem_fields) -> Problem:
    """Depots w at 0 m and e at 10 km (e only if a vehicle is stationed there); stops a (1 km),
    b (9 km) on one road."""
    depots = [d for d in (Depot("w", "West", 116.0, 33.0), Depot("e", "East", 116.1, 33.0))
              if any(vt.depot == d.id for vt in vehicle_types)]
    x = np.array([{"w": 0, "e": 10_000}[d.id] for d in depots] + [1_000, 9_000])
    distance = np.abs(x[:, None] - x[None, :])
    profiles = {name: (dist[np.ix_(keep, keep)], dur[np.ix_(keep, keep)])
                for name, (dist, dur) in problem_fields.pop("profiles", {}).items()
                for keep in [[i for i, d in enumerate(("w", "e")) if d in {p.id for p in depots}]
                             + [2, 3]]}
    return Problem(
        name="two depots", depots=tuple(depots),
        stops=tuple(Stop(s, s, 116.0, 33.0, parcels=1, weight_kg=1) for s in ("a", "b")),
        vehicle_types=tuple(vehicle_types), distance_m=distance, duration_s=distance // 10,
        service_s=np.zeros(len(x), dtype=int), profiles=profiles, **problem_fields)


def test_each_depot_serves_its_nearby_stop():
    vans = [VehicleType(f"van-{d}", count=1, capacity_parcels=5, capacity_kg=5, depot=d)
            for d in ("w", "e")]
    plan, report = _solve(_two_depot_problem(vans))
    assert report.ok
    assert sorted((r.depot, r.stops) for r in plan.routes) == [("e", ("b",)), ("w", ("a",))]
    assert plan.distance_m == 4000


def test_cost_objective_prefers_the_cheaper_vehicle_type():
    cheap = VehicleType("trike", count=1, capacity_parcels=5, capacity_kg=5, depot="w",
                        fixed_cost=10, cost_per_km=1)
    dear = VehicleType("truck", count=1, capacity_parcels=5, capacity_kg=5, depot="w",
                       fixed_cost=100, cost_per_km=1)
    settings = dataclasses.replace(FAST, objective="cost")
    plan, _ = _solve(_two_depot_problem([dear, cheap]), settings)
    (route,) = plan.routes
    assert route.vehicle == "trike-01"
    # 10 yuan fixed + 18 km at 1 yuan/km, in cents
    assert plan.objective == plan_objective(_two_depot_problem([dear, cheap]), plan, "cost")
    assert plan.objective == 2800


def test_each_vehicle_type_travels_by_its_own_profile():
    slow = VehicleType("trike", count=1, capacity_parcels=5, capacity_kg=5, depot="w",
                       max_speed_kmh=25)
    x = np.array([0, 10_000, 1_000, 9_000])
    detour = np.abs(x[:, None] - x[None, :]) * 2
    problem = _two_depot_problem([slow], profiles={travel_profile(25, ()): (detour, detour // 10)})
    plan, report = _solve(problem)
    assert report.ok and plan.distance_m == 2 * 18_000


def test_unknown_model_fields_are_reported_and_refused():
    @dataclasses.dataclass(frozen=True)
    class StopWithBreak(Stop):
        break_s: int = 0

    plain = line_problem({"a": 1000})
    assert pyvrp_unsupported(plain) == ()
    unused = line_problem({"a": 1000}, stops=[StopWithBreak("a", "a", 116.0, 33.0, 1, 1)])
    assert pyvrp_unsupported(unused) == ()
    used = line_problem({"a": 1000},
                        stops=[StopWithBreak("a", "a", 116.0, 33.0, 1, 1, break_s=600)])
    assert pyvrp_unsupported(used) == ("stop a.break_s",)
    with pytest.raises(ValueError, match=r"pyvrp cannot model stop a\.break_s"):
        PyVrpEngine().solve(used, FAST)


def test_same_seed_same_plan_and_another_seed_is_allowed_to_differ():
    problem = read_instance(DATA / "A-n32-k5.vrp").problem
    settings = SolveSettings(time_limit_s=5, seed=7, solution_limit=300)
    first = PyVrpEngine().solve(problem, settings)
    again = PyVrpEngine().solve(problem, settings)
    assert first.routes == again.routes and first.seed == 7


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_both_engines_find_the_known_optimum_of_a_toy_instance(engine):
    problem = read_instance(DATA / "toy-n5-k2.vrp").problem
    plan, report = solve_checked(problem, make_engine(engine), FAST)
    assert report.ok and plan.unserved == ()
    assert plan.distance_m == 80


@pytest.mark.parametrize("engine", ["ortools", "pyvrp"])
def test_both_engines_pass_the_checker_on_a_cvrplib_instance(engine):
    inst = read_instance(DATA / "A-n32-k5.vrp")
    plan = make_engine(engine).solve(inst.problem, SolveSettings(time_limit_s=1))
    assert check_plan(inst.problem, plan, strict=False).ok
    assert plan.unserved == ()
    assert plan.distance_m >= inst.best_known


def _vans(stops: list[Stop], *, count: int = 2, fixed_cost: float = 120) -> Problem:
    """Stops 1, 2, 3 ... km east of the depot and ``count`` 100-parcel vans priced like the
    diesel cost model."""
    vans = [VehicleType("van", count=count, capacity_parcels=100, capacity_kg=100, depot="d",
                        fixed_cost=fixed_cost, cost_per_km=0.85, cost_per_hour=30)]
    positions = {s.id: 1000 * (k + 1) for k, s in enumerate(stops)}
    return line_problem(positions, stops=stops, vehicle_types=vans)


def _parcels(*counts: int) -> list[Stop]:
    return [Stop(sid, sid, 116.0, 33.0, parcels=n, weight_kg=1)
            for sid, n in zip("abcefg", counts, strict=False)]


def test_one_parcel_of_overload_costs_more_than_one_more_van():
    problem = _vans(_parcels(51, 50))
    scale = scaling(problem, problem.stops, "cost")
    data = to_problem_data(problem, problem.stops, "cost", scale)
    one_van = pyvrp.Solution(data, [pyvrp.Route(data, [0, 1], 0)])
    two_vans = pyvrp.Solution(data, [pyvrp.Route(data, [0], 0), pyvrp.Route(data, [1], 0)])
    assert sum(one_van.excess_load()) == 1 and two_vans.is_feasible()

    def penalised(weight: float, solution: pyvrp.Solution) -> int:
        dims = data.num_load_dimensions
        return pyvrp.CostEvaluator([weight] * dims, weight, weight).penalised_cost(solution)

    assert scale.violation_cost > 120 * scale.units_per_yuan  # the van's fixed cost
    assert penalised(scale.violation_cost, one_van) > penalised(scale.violation_cost, two_vans)
    # PyVRP's own cap, 1 yuan a unit at this scale, made the overloaded van look cheaper.
    default_cap = pyvrp.PenaltyParams().max_penalty
    assert penalised(default_cap, one_van) < penalised(default_cap, two_vans)


def test_penalties_stay_within_pyvrps_integers_and_coarsen_the_cost_scale_if_needed():
    for fixed_cost, units in [(120, COST_UNITS_PER_YUAN), (1e6, 10_000)]:
        problem = _vans(_parcels(10, 10), fixed_cost=fixed_cost)
        scale = scaling(problem, problem.stops, "cost")
        worst = pyvrp_scaling._worst_violation(problem, problem.stops)
        assert scale.units_per_yuan == units
        assert scale.max_penalty * worst <= PENALISED_COST_LIMIT
        assert scale.prize <= pyvrp.constants.MAX_VALUE // 4
    plan, report = _solve(problem, dataclasses.replace(FAST, objective="cost"))
    assert report.ok and plan.unserved == ()
    with pytest.raises(ModelError, match=r"^vehicle_types costs: too large for PyVRP"):
        scaling(_vans(_parcels(10, 10), fixed_cost=1e10), problem.stops, "cost")


def test_a_penalty_bound_warning_turns_required_clients_optional(monkeypatch):
    # 180 parcels fit two 100-parcel vans by the total, so every client starts out required,
    # but no packing serves three stops of 60: the search hits its penalty cap.
    problem = _vans(_parcels(60, 60, 60))
    monkeypatch.setattr(pyvrp_engine, "all_servable", lambda *_: True)
    required: list[bool] = []
    real_run = pyvrp_engine._run

    def run(data: pyvrp.ProblemData, *args: object) -> pyvrp.Solution:
        required.append(data.client(0).required)
        return real_run(data, *args)

    monkeypatch.setattr(pyvrp_engine, "_run", run)
    settings = SolveSettings(time_limit_s=5, solution_limit=3000, objective="cost")
    with warnings.catch_warnings():
        warnings.simplefilter("error", PenaltyBoundWarning)  # none may escape
        plan = PyVrpEngine().solve(problem, settings)
    assert required == [True, False]
    assert sorted(len(r.stops) for r in plan.routes) == [1, 1] and len(plan.unserved) == 1


def test_a_penalty_bound_warning_with_optional_clients_is_a_search_error(monkeypatch):
    def stuck(*_args: object, **_kwargs: object) -> None:
        warnings.warn("penalty at its maximum", PenaltyBoundWarning, stacklevel=1)

    monkeypatch.setattr(pyvrp_engine.pyvrp, "solve", stuck)
    problem = _vans(_parcels(40, 40, 40, 40), count=1)  # 160 parcels, one van: optional
    with pytest.raises(SearchError, match=r"^engine: pyvrp found no feasible routes"):
        PyVrpEngine().solve(problem, FAST)


def test_clients_a_search_left_out_go_where_a_route_or_an_idle_van_has_room():
    problem = _vans(_parcels(40, 40, 40))
    data = to_problem_data(problem, problem.stops, "distance")
    # b fits into a's route (80 parcels); c then needs the second van.
    routes = insert_missing(data, [(0, [0])])
    assert [(vt, sorted(visits)) for vt, visits in routes] == [(0, [0, 1]), (0, [2])]
    assert all(pyvrp.Route(data, visits, vt).is_feasible() for vt, visits in routes)
    alone = _vans(_parcels(40, 40, 40), count=1)
    data = to_problem_data(alone, alone.stops, "distance")
    assert [sorted(v) for _, v in insert_missing(data, [(0, [0])])] == [[0, 1]]


def test_a_pair_without_road_enters_pyvrp_longer_than_any_shift():
    van = VehicleType("van", count=1, capacity_parcels=5, capacity_kg=5, depot="w",
                      fixed_cost=120, cost_per_km=0.85, cost_per_hour=30)
    trike = VehicleType("trike", count=1, capacity_parcels=5, capacity_kg=5, depot="w",
                        max_speed_kmh=25, fixed_cost=25, cost_per_km=0.1, cost_per_hour=22)
    x = np.array([0, 10_000, 1_000, 9_000])
    barred = np.abs(x[:, None] - x[None, :])
    slow = barred // 5
    barred[3, :3] = barred[:3, 3] = slow[3, :3] = slow[:3, 3] = UNREACHABLE  # no road to b
    problem = _two_depot_problem([van, trike], profiles={travel_profile(25, ()): (barred, slow)})
    matrices = pyvrp_matrices(problem)
    assert max(int(m.max()) for pair in matrices for m in pair) < UNREACHABLE
    assert int(matrices[1][1][0, 2]) > van.max_duration_s
    assert scaling(problem, problem.stops, "cost").units_per_yuan == COST_UNITS_PER_YUAN
    plan, report = _solve(problem, dataclasses.replace(FAST, objective="cost"))
    assert report.ok and plan.unserved == ()
    assert "b" not in next((r.stops for r in plan.routes if r.vehicle_type == "trike"), ())
