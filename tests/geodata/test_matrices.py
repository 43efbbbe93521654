"""Distance and travel-time matrices, checked against networkx fastest paths."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely

import geodata.matrices as matrices
from geodata import (
    UNREACHABLE,
    RoadNetwork,
    Snap,
    TravelMatrices,
    route_geometry,
    snap_points,
    travel_matrices,
    utm_crs,
)
from geodata.matrices import ACCESS_SPEED_KMH, path_weight
from routing.core import ModelError, NetworkError

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
    """Access legs plus networkx shortest path costs by ``weight``, as floats."""
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


def _fastest_path_lengths(network: RoadNetwork, snaps: dict[str, Snap]) -> np.ndarray:
    """Access legs plus the length of networkx's fastest path (ties: the shorter), as floats."""
    graph = network.graph

    def best(u: int, v: int) -> dict[str, float]:
        return min(graph[u][v].values(), key=lambda d: path_weight(d["length_m"], d["time_s"]))

    def pick(u: int, v: int, _: object) -> float:
        edge = best(u, v)
        return float(path_weight(edge["length_m"], edge["time_s"]))

    ids = list(snaps)
    result = np.zeros((len(ids), len(ids)))
    for i, a in enumerate(ids):
        _, paths = nx.single_source_dijkstra(graph, snaps[a].node, weight=pick)
        for j, b in enumerate(ids):
            if i != j:
                road = sum(best(p, q)["length_m"] for p, q in pairwise(paths[snaps[b].node]))
                result[i, j] = snaps[a].access_m + road + snaps[b].access_m
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
    np.testing.assert_allclose(result.distance_m, _fastest_path_lengths(snapped, snaps), atol=0.51)
    np.testing.assert_allclose(result.duration_s, _expected(snapped, snaps, "time_s"), atol=0.51)
    # The fastest path is never shorter than the shortest one.
    assert (result.distance_m >= np.rint(_expected(snapped, snaps, "length_m")) - 1).all()
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

    def no_dijkstra(*_args: object, **_kwargs: object) -> None:
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


def _detour_network() -> tuple[RoadNetwork, dict[str, Snap]]:
    """A direct 1 km residential road from A to B, and a faster primary detour via C.

    Residential at 20 km/h takes 180 s; the 2 x 781 m primary at 60 km/h takes 94 s.
    """
    crs = utm_crs(116.2, 33.5)
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    origin = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(116.2, 33.5)
    graph = nx.MultiDiGraph()
    for node, (dx, dy) in {1: (0, 0), 2: (1000, 0), 3: (500, 600)}.items():
        x, y = origin[0] + dx, origin[1] + dy
        lon, lat = to_lonlat.transform(x, y)
        graph.add_node(node, x=x, y=y, lon=lon, lat=lat)
    for a, b, highway, kmh in [(1, 2, "residential", 20), (1, 3, "primary", 60),
                               (3, 2, "primary", 60)]:
        dx = graph.nodes[b]["x"] - graph.nodes[a]["x"]
        dy = graph.nodes[b]["y"] - graph.nodes[a]["y"]
        length = float(np.hypot(dx, dy))
        for p, q in ((a, b), (b, a)):
            graph.add_edge(p, q, length_m=length, time_s=length / (kmh / 3.6), highway=highway,
                           way_id=a * 10 + b)
    network = RoadNetwork(graph=graph, crs=crs, source=Path("detour.osm"), nodes_total=3,
                          edges_total=6, outside_nodes=frozenset(),
                          speeds_kmh={"residential": 20.0, "primary": 60.0})
    snaps = {name: Snap(name, graph.nodes[n]["lon"], graph.nodes[n]["lat"], n, 0.0, False)
             for name, n in (("A", 1), ("B", 2))}
    return network, snaps


def test_distance_is_the_length_of_the_fastest_path_not_the_shortest() -> None:
    network, snaps = _detour_network()
    result = travel_matrices(network, snaps)
    detour_m = 2 * float(np.hypot(500, 600))
    assert result.distance_m[0, 1] == round(detour_m) == 1562
    assert result.duration_s[0, 1] == round(detour_m / (60 / 3.6)) == 94
    assert result.distance_m[0, 1] > 1000, "not the 1 km shortest path"
    # The map draws that same path: through C, as long as the matrix says.
    line = route_geometry(network, snaps, ["A", "B"])
    c = network.graph.nodes[3]
    assert (c["lon"], c["lat"]) in line.coords
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    drawn = shapely.transform(line, to_xy.transform, interleaved=False).length
    assert drawn == pytest.approx(result.distance_m[0, 1], abs=0.5)


def test_equally_fast_paths_take_the_shorter() -> None:
    network, snaps = _detour_network()
    graph = network.graph.copy()
    # Make the direct road exactly as fast as the detour: the tie goes to the 1 km road.
    detour_s = sum(graph[p][q][0]["time_s"] for p, q in ((1, 3), (3, 2)))
    for p, q in ((1, 2), (2, 1)):
        graph[p][q][0]["time_s"] = detour_s
    result = travel_matrices(replace(network, graph=graph), snaps)
    assert result.distance_m[0, 1] == 1000
    assert result.duration_s[0, 1] == round(detour_s)


def test_parallel_edges_carry_the_length_of_the_fastest_one() -> None:
    network, snaps = _detour_network()
    graph = network.graph.copy()
    # A longer but faster parallel road from A to B (a bypass drawn as one edge).
    graph.add_edge(1, 2, length_m=1200.0, time_s=40.0, highway="primary", way_id=99)
    result = travel_matrices(replace(network, graph=graph), snaps)
    assert (result.distance_m[0, 1], result.duration_s[0, 1]) == (1200, 40)
    assert (result.distance_m[1, 0], result.duration_s[1, 0]) == (1562, 94)


def test_unreachable_pairs_get_the_sentinel_when_allowed() -> None:
    network, snaps = _detour_network()
    graph = network.graph.copy()
    graph.remove_edges_from([(2, 1, 0), (2, 3, 0)])
    cut = replace(network, graph=graph)
    with pytest.raises(NetworkError, match="no road path from B to A"):
        travel_matrices(cut, snaps)
    result = travel_matrices(cut, snaps, allow_unreachable=True)
    assert result.distance_m[1, 0] == result.duration_s[1, 0] == UNREACHABLE
    assert (result.distance_m[0, 1], result.duration_s[0, 1]) == (1562, 94)


def test_jobs_must_be_a_positive_count_and_default_to_one_in_a_daemon(
    tiny_network: RoadNetwork, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapped, snaps = snap_points(tiny_network, TINY_POINTS)
    for jobs in (0, -1, 1.5, True):
        with pytest.raises(ModelError, match=r"jobs: .* is not a positive number of cores"):
            travel_matrices(snapped, snaps, jobs=jobs)  # type: ignore[arg-type]
    assert matrices._worker_count(None) >= 1

    class Daemon:
        daemon = True

    monkeypatch.setattr("multiprocessing.current_process", lambda: Daemon())
    assert matrices._worker_count(None) == 1
    assert matrices._worker_count(2) == 2


def test_full_matrices_on_two_jobs_equal_one_and_keep_the_old_cache_key(
    small_network: RoadNetwork, tmp_path: Path
) -> None:
    snapped, snaps = snap_points(small_network, SMALL_POINTS)
    one = travel_matrices(snapped, snaps, jobs=1, cache_dir=tmp_path)
    two = travel_matrices(snapped, snaps, jobs=2)
    assert not one.restricted and not two.restricted
    np.testing.assert_array_equal(one.distance_m, two.distance_m)
    np.testing.assert_array_equal(one.duration_s, two.duration_s)
    # Full results are stored under the key they had before pairs existed.
    roads = snapped.arrays
    nodes, u, v, length, time = roads.node_id, roads.u, roads.v, roads.length_m, roads.time_s
    meta = {"version": matrices.CACHE_VERSION, "speeds": sorted(snapped.speeds_kmh.items()),
            "snaps": [[s.id, s.lon, s.lat, s.node, s.access_m] for s in snaps.values()],
            "ids": list(snaps), "access_speed_kmh": ACCESS_SPEED_KMH}
    digest = hashlib.sha256()
    order = np.lexsort((time, length, v, u))
    for array in (nodes, u[order], v[order], length[order], time[order]):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(json.dumps(meta, ensure_ascii=False).encode())
    assert [p.name for p in tmp_path.glob("*.npz")] == [
        f"travel-matrices-{digest.hexdigest()[:32]}.npz"
    ]
