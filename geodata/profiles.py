"""Travel profiles: the road network as a slower or restricted vehicle (a tricycle) sees it."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

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

    The graph keeps every node, so points snapped on the full network stay valid. Some may no
    longer reach each other: :func:`geodata.matrices.travel_matrices` with
    ``allow_unreachable=True`` marks such pairs, and the stops are reported unreachable.
    """
    avoid = set(avoid_roads)
    graph = network.graph.copy()
    if avoid:
        graph.remove_edges_from([(u, v, k) for u, v, k, data in graph.edges(keys=True, data=True)
                                 if data.get("highway") in avoid])
        if graph.number_of_edges() == 0:
            raise NetworkError(f"{network.source}: avoiding {sorted(avoid)} leaves no road")
    if max_speed_kmh is not None:
        top_mps = max_speed_kmh / 3.6
        for _, _, data in graph.edges(data=True):
            data["time_s"] = max(data["time_s"], data["length_m"] / top_mps)
    return replace(network, graph=graph)
