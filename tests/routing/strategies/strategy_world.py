"""A straight-road world for strategy tests: every location sits on one line, distance = |a - b|.

Depot ``jdc`` at 0 m; carrier branches ``a-branch`` at -100 m and ``b-branch`` at +100 m;
villages ``v1``..``v3`` at 1, 2 and 3 km; township station ``t1`` at 2 km (and ``t2`` at 4 km,
a station only where asked). Travel at 10 m/s.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from geodata import TravelMatrices
from routing.core import Carrier, CostModel, Depot, Rates, Stop, VehicleType
from routing.inputs import FleetSpec, NetworkSpec, RelaySpec, Scenario, ServiceSpec, SolverSpec
from routing.pipeline import Geography

POSITIONS_M = {"jdc": 0, "a-branch": -100, "b-branch": 100, "t1": 2000,
               "v1": 1000, "v2": 2000, "v3": 3000, "t2": 4000}

COSTS = CostModel(name="test", rates={
    "van": Rates(fixed_per_day=100, per_km=1.0, per_hour=0, co2_g_per_km=200),
    "tricycle": Rates(fixed_per_day=20, per_km=0.5, per_hour=0, co2_g_per_km=20),
    "truck": Rates(fixed_per_day=150, per_km=2.0, per_hour=0, co2_g_per_km=300),
}, transfer_per_parcel=0.1)


def _van(vid: str, depot: str, **kw: object) -> VehicleType:
    return VehicleType(vid, count=2, capacity_parcels=100, capacity_kg=400, depot=depot, **kw)


def world(*, produce_kg: int = 0,
          stations: tuple[str, ...] = ("t1",)) -> tuple[Scenario, Geography]:
    """The scenario and its (hand-made) geography: two carriers sharing three villages, with
    township ``stations``."""
    loc = {k: Depot(k, k, 116.0, 33.0) for k in ("jdc", "a-branch", "b-branch")}
    stops = tuple(Stop(v, v, 116.0, 33.0, parcels=10, weight_kg=20, produce_kg=produce_kg,
                       parcels_by_carrier={"a": 6, "b": 4}) for v in ("v1", "v2", "v3"))
    types = (_van("shared-van", "jdc"), _van("a-van", "a-branch"), _van("b-van", "b-branch"),
             VehicleType("truck", count=1, capacity_parcels=500, capacity_kg=2000, depot="jdc",
                         kind="truck"),
             VehicleType("trike", count=2, capacity_parcels=50, capacity_kg=200, depot="jdc",
                         kind="tricycle"))
    scenario = Scenario(
        name="line", title="line world", path=Path("line.toml"),
        network=NetworkSpec(osm=Path("none.osm.pbf")), depots=tuple(loc.values()), stops=stops,
        vehicle_types=types, stations=tuple(Depot(s, s, 116.0, 33.0) for s in stations),
        service=ServiceSpec(per_stop_s=60, per_parcel_s=0),
        solver=SolverSpec(engine="ortools", time_limit_s=1, objective="cost", solution_limit=300),
        carriers=(Carrier("a", "A", 0.6, "a-branch", ("a-van",)),
                  Carrier("b", "B", 0.4, "b-branch", ("b-van",))),
        consolidated=FleetSpec("jdc", ("shared-van",)),
        relay=RelaySpec(hub="jdc", trunk_vehicles=("truck",), local_vehicle="trike",
                        local_per_station=2, transfer_s=300),
        cost_model=COSTS)
    ids = tuple(POSITIONS_M)
    x = np.array([POSITIONS_M[i] for i in ids])
    distance = np.abs(x[:, None] - x[None, :])
    geography = Geography(network=None, snaps={}, too_far={}, notes=(),  # type: ignore[arg-type]
                          matrices=TravelMatrices(ids, distance, distance // 10))
    return scenario, geography


def with_types(scenario: Scenario, *types: VehicleType, shared: tuple[str, ...]) -> Scenario:
    """The scenario with more vehicle types and a different shared fleet."""
    return replace(scenario, vehicle_types=scenario.vehicle_types + types,
                   consolidated=FleetSpec("jdc", shared))
