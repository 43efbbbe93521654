"""Hand-built problems and plans for the export and map tests (no solver, no network)."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
from shapely.geometry import LineString, Polygon

from routing.core import Depot, Plan, Problem, Route, Stop, Unserved, VehicleType
from routing.reports import route_key

HOSTILE = "<img src=x onerror=alert(1)>"

DEPOT = Depot(id="hub", name="县物流中心", lon=117.00, lat=34.00)

STOPS = (
    Stop(id="s1", name="大许", name_en="Daxu", lon=117.01, lat=34.01, parcels=12,
         weight_kg=30, produce_kg=50),
    Stop(id="s2", name=HOSTILE, name_en="Bad`${x}\\", lon=117.02, lat=34.02, parcels=5,
         weight_kg=10),
    Stop(id="s3", name="王庄", name_en="Wangzhuang", lon=117.03, lat=34.00, parcels=7,
         weight_kg=14, produce_kg=20),
    Stop(id="s4", name="李村", name_en="Licun", lon=116.99, lat=33.98, parcels=3, weight_kg=6),
    Stop(id="s5", name="张集", name_en="Zhangji", lon=117.08, lat=34.09, parcels=2, weight_kg=4),
)

#: Service time at every location of :func:`make_problem`, so also the depot's loading time at
#: the start of every trip (s).
LOAD_S = 120

VAN = VehicleType(id="light-van", count=2, capacity_parcels=100, capacity_kg=800, depot="hub")

BOUNDARY = Polygon([(116.95, 33.95), (117.10, 33.95), (117.10, 34.10), (116.95, 34.10)])

ROADS = (
    LineString([(116.95, 34.00), (117.10, 34.00)]),
    LineString([(117.00, 33.95), (117.00, 34.10)]),
)


def make_problem(
    stops: tuple[Stop, ...] = STOPS, *, excluded: dict[str, str] | None = None
) -> Problem:
    """Return a one-depot problem over ``stops`` with straight-line-ish integer matrices."""
    points = np.array([(DEPOT.lon, DEPOT.lat)] + [(s.lon, s.lat) for s in stops])
    metres = np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1)) * 100_000
    distance = metres.round().astype(np.int64)
    duration = (distance / 10).round().astype(np.int64)
    return Problem(
        name="test-county",
        depots=(DEPOT,),
        stops=stops,
        vehicle_types=(VAN,),
        distance_m=distance,
        duration_s=duration,
        service_s=np.full(len(points), LOAD_S, dtype=np.int64),
        excluded=excluded or {},
    )


def make_plan() -> Plan:
    """Two routes over s1..s4 and s5 unserved, the second route ending after midnight."""
    first = Route(vehicle="light-van-01", vehicle_type="light-van", depot="hub",
                  stops=("s1", "s2"), arrival_s=(8 * 3600 + 5 * 60, 8 * 3600 + 40 * 60),
                  start_s=8 * 3600, end_s=9 * 3600 + 30 * 60, distance_m=84_300,
                  load=(17, 40))
    second = Route(vehicle="light-van-02", vehicle_type="light-van", depot="hub",
                   stops=("s3", "s4"), arrival_s=(23 * 3600 + 50 * 60, 25 * 3600 + 10 * 60),
                   start_s=23 * 3600, end_s=26 * 3600, distance_m=9_500, load=(10, 20))
    return Plan(problem="test-county", engine="hand", seed=0, routes=(first, second),
                unserved=(Unserved(stop="s5", reason="beyond max route duration"),))


def make_trips_plan() -> Plan:
    """light-van-01 drives two trips (s1, s2 then s5), light-van-02 one (s3, s4); the plan
    lists van 01's second trip last. Van 01 is back from trip 1 at 09:30, loading for trip 2
    starts at 09:40 and takes :data:`LOAD_S`, so it leaves at 09:42."""
    first, second = make_plan().routes
    again = Route(vehicle="light-van-01", vehicle_type="light-van", depot="hub", stops=("s5",),
                  arrival_s=(9 * 3600 + 55 * 60,), start_s=9 * 3600 + 40 * 60,
                  end_s=10 * 3600 + 20 * 60, distance_m=27_000, load=(2, 4), trip=2)
    return Plan(problem="test-county", engine="hand", seed=0, routes=(first, second, again),
                unserved=())


def make_geometries(plan: Plan, problem: Problem) -> dict[str, LineString]:
    """Depot -> stops -> depot straight lines per route (by ``route_key``: the vehicle id for
    a first trip), standing in for road geometries."""
    depot = problem.depots[0]
    lines = {}
    for route in plan.routes:
        stops = [problem.stop_by_id[s] for s in route.stops]
        coords = [(depot.lon, depot.lat), *((s.lon, s.lat) for s in stops),
                  (depot.lon, depot.lat)]
        lines[route_key(route)] = LineString(coords)
    return lines


def make_big(
    num_stops: int = 200, per_route: int = 20
) -> tuple[Problem, Plan, dict[str, LineString]]:
    """A ``num_stops``-village plan in routes of ``per_route``, for size measurements."""
    rng = np.random.default_rng(7)
    stops = tuple(
        Stop(id=f"v{i:04d}", name=f"村{i}", name_en=f"Cun {i}",
             lon=float(117 + rng.uniform(-0.05, 0.1)), lat=float(34 + rng.uniform(-0.05, 0.1)),
             parcels=int(rng.integers(1, 20)), weight_kg=int(rng.integers(1, 40)))
        for i in range(num_stops)
    )
    problem = make_problem(stops)
    routes = []
    for r, start in enumerate(range(0, num_stops, per_route)):
        ids = tuple(s.id for s in stops[start:start + per_route])
        arrivals = tuple(8 * 3600 + 600 * k for k in range(1, len(ids) + 1))
        routes.append(Route(vehicle=f"light-van-{r + 1:02d}", vehicle_type="light-van",
                            depot="hub", stops=ids, arrival_s=arrivals, start_s=8 * 3600,
                            end_s=arrivals[-1] + 1800, distance_m=60_000, load=(50, 100)))
    plan = Plan(problem=problem.name, engine="hand", seed=0, routes=tuple(routes), unserved=())
    # Road-following lines have many vertices: 40 per stop-to-stop leg stands in for them.
    geometries = {v: densify(line, 40) for v, line in make_geometries(plan, problem).items()}
    return problem, plan, geometries


def densify(line: LineString, per_segment: int) -> LineString:
    """Return ``line`` with ``per_segment`` vertices on every segment (its start included)."""
    coords = np.asarray(line.coords)
    parts = [np.linspace(a, b, per_segment, endpoint=False) for a, b in pairwise(coords)]
    return LineString(np.vstack([*parts, coords[-1:]]))
