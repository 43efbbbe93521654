"""Distance and travel-time matrices, checked against networkx shortest paths."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

import geodata.matrices as matrices
from geodata.matrices import ACCESS_SPEED_KMH, TravelMatrices, travel_matrices
from geodata.roads import RoadNetwork
from geodata.snapping import Snap, snap_points
from routing.errors import ModelError, NetworkError

TINY_POINTS = {
    "depot": (116.205, 33.5005),
    "south": (116.207, 33.4995),
    "node2": (116.21, 33.5),
    "east": (116.2205, 33.5052),
    "north": (116.207, 33.513),
    "twin": (116.205, 33.5005),
}
SMALL_POINTS = {
    "county_seat": (116.2157, 33.5059),
    "v1": (116.20, 33.47),
    "v2": (116.25, 33.53),
    "v3": (116.17, 33.50),
    "v4": (116.26, 33.46),
}


def _expected(network: RoadNetwork, snaps: dict[str, Snap], weight: str) -> np.ndarray:
    """Access legs plus networkx shortest path lengths, as floats."""
    speed = ACCESS_SPEED_KMH / 3.6
    ids = list(snaps)
    result = np.zeros((len(ids), len(ids)))
    for i, a in enumerate(ids):
        lengths = nx.single_source_dijkstra_path_length(network.graph, snaps[a].node, weight=weight)
        for j, b in enumerate(ids):
            if i == j:
                continue
            access = snaps[a].access_m + snaps[b].access_m
            if weight == "time_s":
                access /= speed
            result[i, j] = lengths[snaps[b].node] + access
    return result


@pytest.mark.parametrize("which", ["tiny", "small"])
def test_matrices_match_networkx(
    which: str, tiny_network: RoadNetwork, small_network: RoadNetwork
) -> None:
    network, points = (
        (tiny_network, TINY_POINTS) if which == "tiny" else (small_network, SMALL_POINTS)
    )
    snapped, snaps = snap_points(network, points)
    result = travel_matrices(snapped, snaps)
    assert result.ids == tuple(points)
    assert result.distance_m.dtype == result.duration_s.dtype == np.int64
    np.testing.assert_allclose(result.distance_m, _expected(snapped, snaps, "length_m"), atol=0.51)
    np.testing.assert_allclose(result.duration_s, _expected(snapped, snaps, "time_s"), atol=0.51)
    assert not np.diag(result.distance_m).any() and not np.diag(result.duration_s).any()


def test_parallel_edges_take_the_fastest_and_two_way_roads_are_symmetric(
    tiny_network: RoadNetwork,
) -> None:
    ids = ["depot", "south", "node2"]
    snapped, snaps = snap_points(tiny_network, {i: TINY_POINTS[i] for i in ids})
    result = travel_matrices(snapped, snaps)
    assert (result.distance_m == result.distance_m.T).all()
    assert (result.duration_s == result.duration_s.T).all()
    primary = tiny_network.graph.get_edge_data(1, 2)[0]
    assert primary["highway"] == "primary"
    access_s = snaps["depot"].access_m / (ACCESS_SPEED_KMH / 3.6)
    assert result.duration_s[0, 2] == round(primary["time_s"] / 2 + access_s)


def test_points_on_one_node_cost_only_their_access_legs(tiny_network: RoadNetwork) -> None:
    snapped, snaps = snap_points(tiny_network, TINY_POINTS)
    i, j = list(snaps).index("depot"), list(snaps).index("twin")
    assert snaps["depot"].node == snaps["twin"].node
    result = travel_matrices(snapped, snaps, access_speed_kmh=10.0)
    assert result.distance_m[i, j] == round(2 * snaps["depot"].access_m)
    assert result.duration_s[i, j] == round(2 * snaps["depot"].access_m / (10 / 3.6))


def test_one_way_roads_make_the_matrix_asymmetric(tiny_network: RoadNetwork) -> None:
    snapped, snaps = snap_points(tiny_network, TINY_POINTS)
    result = travel_matrices(snapped, snaps)
    i, j = list(snaps).index("east"), list(snaps).index("north")
    assert result.distance_m[i, j] != result.distance_m[j, i]


def test_second_call_reads_the_cache(
    tiny_network: RoadNetwork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapped, snaps = snap_points(tiny_network, TINY_POINTS)
    first = travel_matrices(snapped, snaps, cache_dir=tmp_path / "cache")
    assert len(list((tmp_path / "cache").glob("*.npz"))) == 1

    def no_dijkstra(*args: object, **kwargs: object) -> None:
        raise AssertionError("dijkstra ran although the cache should have answered")

    monkeypatch.setattr(matrices, "dijkstra", no_dijkstra)
    second = travel_matrices(snapped, snaps, cache_dir=tmp_path / "cache")
    assert isinstance(second, TravelMatrices) and second.ids == first.ids
    np.testing.assert_array_equal(second.distance_m, first.distance_m)
    np.testing.assert_array_equal(second.duration_s, first.duration_s)
    with pytest.raises(AssertionError, match="dijkstra ran"):
        travel_matrices(snapped, snaps, access_speed_kmh=10.0, cache_dir=tmp_path / "cache")


def test_errors(tiny_network: RoadNetwork) -> None:
    snapped, snaps = snap_points(tiny_network, TINY_POINTS)
    with pytest.raises(ModelError, match="access_speed_kmh"):
        travel_matrices(snapped, snaps, access_speed_kmh=0.0)
    with pytest.raises(NetworkError, match="not in the road graph"):
        travel_matrices(tiny_network, snaps)
    cut = snapped.graph.copy()
    cut.remove_edges_from(list(cut.in_edges(snaps["north"].node)))
    with pytest.raises(NetworkError, match="no road path"):
        travel_matrices(replace(snapped, graph=cut), snaps)
