"""Travel profiles: the road network as a slower or restricted vehicle (a tricycle) sees it."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from geodata.errors import NetworkError
from geodata.roads import RoadNetwork


def profile_network(
    network: RoadNetwork,
    *,
    max_speed_kmh: float | None = None,
    avoid_roads: Collection[str] = (),
) -> RoadNetwork:
    """A copy of ``network`` without the ``avoid_roads`` classes and with travel times capped by
    the vehicle's top speed.

    The network keeps every node, so points snapped on the full network stay valid. Some may no
    longer reach each other: :func:`geodata.matrices.travel_matrices` with
    ``allow_unreachable=True`` marks such pairs, and the stops are reported unreachable.
    """
    avoid = set(avoid_roads)
    roads = network.arrays
    keep = ~roads.highway_in(avoid)
    if avoid and not keep.any():
        raise NetworkError(f"{network.source}: avoiding {sorted(avoid)} leaves no road")
    time_s = roads.time_s
    if max_speed_kmh is not None:
        time_s = np.maximum(time_s, roads.length_m / (max_speed_kmh / 3.6))
    return network.with_arrays(roads.edges_only(keep, time_s=time_s))
