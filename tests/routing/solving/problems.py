"""Small routing problems whose right answers are known by hand."""

from __future__ import annotations

import numpy as np

from routing.core import Depot, Problem, Stop, VehicleType, build_problem


def line_problem(
    positions_m: dict[str, int],
    *,
    stops: list[Stop] | None = None,
    vehicle_types: list[VehicleType] | None = None,
    speed_mps: int = 10,
    per_stop_s: int = 60,
    per_parcel_s: int = 0,
    excluded: dict[str, str] | None = None,
) -> Problem:
    """Depot ``d`` at 0 m and stops at ``positions_m`` on a straight road: distance = |a - b|."""
    ids = ["d", *positions_m]
    x = np.array([0, *positions_m.values()])
    distance = np.abs(x[:, None] - x[None, :])
    if stops is None:
        stops = [Stop(sid, sid.upper(), 116.0, 33.0, parcels=10, weight_kg=10)
                 for sid in positions_m]
    if vehicle_types is None:
        vehicle_types = [VehicleType("van", count=2, capacity_parcels=100, capacity_kg=100,
                                     depot="d")]
    return build_problem(name="line", depots=[Depot("d", "Depot", 116.0, 33.0)], stops=stops,
                         vehicle_types=vehicle_types, ids=ids, distance_m=distance,
                         duration_s=distance // speed_mps, per_stop_s=per_stop_s,
                         per_parcel_s=per_parcel_s, excluded=excluded)
