"""Decomposed solving: clusters by county and capacity, side-by-side cluster searches, and a
border step that moves a village to the hub that serves it better."""

from __future__ import annotations

import numpy as np
import pytest

from routing.core import Depot, Objective, Problem, Stop, VehicleType, build_problem
from routing.solving import (
    SolveSettings,
    check_plan,
    clusters,
    decomposes,
    make_engine,
    neighbour_pairs,
    solve_decomposed,
)
from routing.solving.decompose import assign

#: Two hubs 40 km apart on a plane, five villages around each, and a border village ``b`` that
#: lies in the east county but 4 km from the west hub.
HUBS = {"east": (0, 0), "west": (40_000, 0)}
VILLAGES = {**{f"e{k}": (2_000 * k, 3_000) for k in range(1, 6)},
            **{f"w{k}": (40_000 - 2_000 * k, -3_000) for k in range(1, 6)},
            "b": (36_000, 0)}
COUNTY = {"east": "甲县", "b": "甲县", **{f"e{k}": "甲县" for k in range(1, 6)},
          "west": "乙县", **{f"w{k}": "乙县" for k in range(1, 6)}}


def two_hubs(*, capacity: tuple[int, int] = (100, 100), east_shift_s: int = 8 * 3600
             ) -> Problem:
    """Each hub's two vans carry ``capacity`` (east, west) parcels and kg; east's work at most
    ``east_shift_s``."""
    ids = [*HUBS, *VILLAGES]
    xy = np.array([*HUBS.values(), *VILLAGES.values()], dtype=float)
    distance = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    distance = distance.astype(np.int64)
    depots = [Depot(h, h.title(), 116.0, 33.0) for h in HUBS]
    stops = [Stop(v, v.upper(), 116.0, 33.0, parcels=10, weight_kg=10) for v in VILLAGES]
    types = [VehicleType(f"van-{h}", count=1, capacity_parcels=cap, capacity_kg=cap, depot=h,
                         max_duration_s=east_shift_s if h == "east" else 8 * 3600)
             for h, cap in zip(HUBS, capacity, strict=True)]
    return build_problem(name="two hubs", depots=depots, stops=stops, vehicle_types=types,
                         ids=ids, distance_m=distance, duration_s=distance // 10,
                         per_stop_s=60, per_parcel_s=0)


def cluster_of(problem: Problem, **kwargs: dict[str, str]) -> dict[str, str]:
    return {s: c.depot for c in clusters(problem, **kwargs) for s in c.stops}


def test_clusters_follow_the_county_boundary_else_the_nearest_hub() -> None:
    problem = two_hubs()
    by_county = cluster_of(problem, regions=COUNTY)
    assert by_county["b"] == "east"
    assert {s for s, d in by_county.items() if d == "east"} == {"b", *(f"e{k}" for k in
                                                                    range(1, 6))}
    assert cluster_of(problem)["b"] == "west"


def test_a_full_hub_sends_its_farthest_villages_to_the_next_hub() -> None:
    # East's van carries 30 parcels a day (one trip): only its three nearest villages fit.
    problem = two_hubs(capacity=(30, 200))
    owner = cluster_of(problem, regions=COUNTY)
    assert sorted(s for s, d in owner.items() if d == "east") == ["e1", "e2", "e3"]
    assert owner["e5"] == "west" and owner["b"] == "west"


def test_a_stop_that_fits_nowhere_goes_to_its_first_choice() -> None:
    problem = two_hubs(capacity=(30, 30))
    owner = assign(problem.depots, problem.stops, problem.vehicle_types,
                   out_s=problem.duration_s[:2, 2:], back_s=problem.duration_s[2:, :2].T,
                   regions={})
    assert len(owner) == len(VILLAGES)
    assert owner["e5"] == "east" and owner["w5"] == "west"  # both full by then: the nearest


def test_decomposes_by_flag_and_size() -> None:
    problem = two_hubs()
    assert decomposes(problem, True)
    assert not decomposes(problem, None)  # 11 stops: one search does
    assert not decomposes(problem, False)
    one_hub = build_problem(
        name="one", depots=problem.depots[:1], stops=problem.stops,
        vehicle_types=problem.vehicle_types[:1], ids=[d.id for d in problem.depots]
        + [s.id for s in problem.stops], distance_m=problem.distance_m,
        duration_s=problem.duration_s, per_stop_s=60, per_parcel_s=0)
    assert not decomposes(one_hub, True)


def test_neighbour_pairs_hold_the_own_cluster_and_the_nearest_hubs_clusters() -> None:
    problem = two_hubs()
    owner = cluster_of(problem, regions=COUNTY)
    ids = [s.id for s in problem.stops]
    pairs = neighbour_pairs(owner, problem.duration_s[:2, 2:], problem.duration_s[2:, :2].T,
                            [d.id for d in problem.depots], ids)
    assert pairs["e1"] == set(ids) - {"e1"}  # two hubs: both clusters are neighbours
    assert "b" not in pairs["b"]


@pytest.mark.parametrize("engine", ["pyvrp", "ortools"])
def test_border_step_moves_a_village_to_the_hub_nearer_it(engine: str) -> None:
    problem = two_hubs()
    settings = SolveSettings(time_limit_s=2, objective=Objective.DISTANCE)
    plan, report = solve_decomposed(problem, make_engine(engine), settings, regions=COUNTY)
    served_from = {s: r.depot for r in plan.routes for s in r.stops}
    assert served_from["b"] == "west"  # its county's hub is 36 km away, the other 4 km
    assert not plan.unserved and not report.violations
    assert any(n.startswith("decomposed: 2 clusters") for n in plan.notes)
    check_plan(problem, plan)


def test_border_step_serves_a_village_its_own_hub_cannot_reach() -> None:
    # East's van works at most 1 h 40 min: b (1 h away each way) is unreachable from east, so
    # the east cluster leaves it out and the border step serves it from the west.
    problem = two_hubs(east_shift_s=6000)
    assert cluster_of(problem, regions=COUNTY)["b"] == "east"
    plan, _ = solve_decomposed(problem, make_engine("pyvrp"),
                               SolveSettings(time_limit_s=2, objective=Objective.DISTANCE),
                               regions=COUNTY)
    assert {s: r.depot for r in plan.routes for s in r.stops}["b"] == "west"
    assert not plan.unserved
