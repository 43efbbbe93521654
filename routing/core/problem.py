"""Build a solver-independent :class:`Problem` from a scenario and its travel matrices."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from routing.core.model import Depot, Problem, Stop, VehicleType


def build_problem(
    *,
    name: str,
    depots: Sequence[Depot],
    stops: Sequence[Stop],
    vehicle_types: Sequence[VehicleType],
    ids: Sequence[str],
    distance_m: np.ndarray,
    duration_s: np.ndarray,
    per_stop_s: int,
    per_parcel_s: int,
    load_s: int = 0,
    service_s: Mapping[str, int] | None = None,
    excluded: Mapping[str, str] | None = None,
    profiles: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> Problem:
    """Order the matrices as depots then stops and attach service times.

    ``ids`` labels the rows of the given matrices (any order, may hold extra locations such as
    stations); only the depots and stops named are kept, so one matrix serves several problems.
    ``profiles`` holds further (distance, duration) matrices with the same rows, per travel
    profile of slower or restricted vehicle types. ``load_s`` is the time a vehicle spends
    loading at its depot at the start of each trip (unloading the last trip's produce included).
    ``service_s`` sets the time at the stops it names instead (e.g. a relay station's transfer).
    """
    position = {loc_id: i for i, loc_id in enumerate(ids)}
    order = [position[d.id] for d in depots] + [position[s.id] for s in stops]
    grid = np.ix_(order, order)
    fixed = service_s or {}
    service = [load_s] * len(depots) + [fixed.get(s.id, per_stop_s + per_parcel_s * s.parcels)
                                        for s in stops]
    return Problem(name=name, depots=tuple(depots), stops=tuple(stops),
                   vehicle_types=tuple(vehicle_types), distance_m=distance_m[grid],
                   duration_s=duration_s[grid], service_s=np.array(service, dtype=np.int64),
                   excluded=dict(excluded or {}),
                   profiles={name: (dist[grid], dur[grid])
                             for name, (dist, dur) in (profiles or {}).items()})
