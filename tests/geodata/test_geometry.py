"""Route lines along the roads, for maps."""

from __future__ import annotations

from itertools import pairwise, permutations

import networkx as nx
import pyproj
import pytest
import shapely

from geodata import (
    RoadNetwork,
    route_geometries,
    route_geometry,
    simplify_for_display,
    snap_points,
    travel_matrices,
)
from routing.core import ModelError

POINTS = {
    "depot": (116.2157, 33.5059),
    "v1": (116.20, 33.47),
    "v2": (116.25, 33.53),
    "v3": (116.17, 33.50),
}


def _metres(network: RoadNetwork, line: shapely.LineString) -> float:
    """Length of a lon/lat line in the network's metric CRS."""
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    return shapely.transform(line, to_xy.transform, interleaved=False).length


def test_route_follows_roads_from_first_to_last_point(small_network: RoadNetwork) -> None:
    snapped, snaps = snap_points(small_network, POINTS)
    sequence = ["depot", "v1", "v2", "v3", "depot"]
    line = route_geometry(snapped, snaps, sequence)
    assert line.coords[0] == POINTS["depot"] == line.coords[-1]
    assert POINTS["v2"] in line.coords
    assert len(line.coords) > 20, "the line follows the road vertices"

    distance = travel_matrices(snapped, snaps).distance_m
    index = {pid: k for k, pid in enumerate(snaps)}
    legs = sum(int(distance[index[a], index[b]]) for a, b in pairwise(sequence))
    assert _metres(snapped, line) == pytest.approx(legs, abs=len(sequence))


def test_every_leg_is_drawn_as_long_as_its_matrix_distance(small_network: RoadNetwork) -> None:
    points = {**POINTS, "v4": (116.26, 33.46), "v5": (116.28, 33.54)}
    snapped, snaps = snap_points(small_network, points)
    distance = travel_matrices(snapped, snaps).distance_m
    index = {pid: k for k, pid in enumerate(snaps)}
    pairs = list(permutations(snaps, 2))
    lines = route_geometries(snapped, snaps, {f"{a}>{b}": [a, b] for a, b in pairs})
    longer = 0
    for a, b in pairs:
        drawn = _metres(snapped, lines[f"{a}>{b}"])
        assert drawn == pytest.approx(distance[index[a], index[b]], abs=1.0), (a, b)
        shortest = nx.dijkstra_path_length(snapped.graph, snaps[a].node, snaps[b].node,
                                           weight="length_m")
        longer += drawn > shortest + snaps[a].access_m + snaps[b].access_m + 50
    # The fixture has legs whose fastest path is not the shortest, so the check has teeth.
    assert longer >= 10


def test_route_on_the_tiny_network_uses_the_virtual_nodes(tiny_network: RoadNetwork) -> None:
    points = {"a": (116.205, 33.5005), "b": (116.21, 33.5)}
    snapped, snaps = snap_points(tiny_network, points)
    line = route_geometry(snapped, snaps, ["a", "b"])
    a_node = snapped.graph.nodes[snaps["a"].node]
    assert list(line.coords) == [points["a"], (a_node["lon"], a_node["lat"]), points["b"]]


def test_degenerate_and_unknown_sequences(tiny_network: RoadNetwork) -> None:
    snapped, snaps = snap_points(tiny_network, {"a": (116.21, 33.5)})
    assert route_geometry(snapped, snaps, ["a", "a"]).length == 0
    with pytest.raises(ModelError, match="at least two"):
        route_geometry(snapped, snaps, ["a"])
    with pytest.raises(ModelError, match="'z'"):
        route_geometry(snapped, snaps, ["a", "z"])


def test_simplify_for_display_keeps_the_ends(small_network: RoadNetwork) -> None:
    snapped, snaps = snap_points(small_network, POINTS)
    line = route_geometry(snapped, snaps, ["depot", "v1", "v2"])
    light = simplify_for_display(line, tolerance_m=20.0)
    assert len(light.coords) < len(line.coords)
    assert light.coords[0] == line.coords[0] and light.coords[-1] == line.coords[-1]
