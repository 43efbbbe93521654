"""Reading drivable roads from OSM into a projected, strongly connected graph."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import networkx as nx
import numpy as np
import pyproj
import pytest
import shapely

from geodata import DEFAULT_SPEEDS_KMH, RoadNetwork, read_road_network
from geodata.roads import RoadArrays
from routing.core import InputError, ModelError, NetworkError

GEOD = pyproj.Geod(ellps="WGS84")


def test_counts_keep_only_the_largest_strongly_connected_component(
    tiny_network: RoadNetwork,
) -> None:
    graph = tiny_network.graph
    assert tiny_network.nodes_total == 12
    assert tiny_network.edges_total == 21
    assert sorted(graph.nodes) == list(range(1, 10))
    assert graph.number_of_edges() == 18
    assert tiny_network.outside_nodes == frozenset({20, 21, 22})
    assert len(tiny_network.fragment_lines) == 2
    assert nx.is_strongly_connected(graph)


def test_non_drivable_ways_and_boundaries_are_ignored(tiny_network: RoadNetwork) -> None:
    way_ids = {d["way_id"] for _, _, d in tiny_network.graph.edges(data=True)}
    assert way_ids == set(range(100, 109))
    assert not {10, 11, 12, 13, 30} & set(tiny_network.graph.nodes)


def test_nodes_carry_projected_and_geographic_coordinates(tiny_network: RoadNetwork) -> None:
    assert tiny_network.crs == pyproj.CRS.from_epsg(32650)
    node = tiny_network.graph.nodes[2]
    assert (node["lon"], node["lat"]) == (116.21, 33.5)
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", tiny_network.crs, always_xy=True)
    assert to_xy.transform(116.21, 33.5) == pytest.approx((node["x"], node["y"]))


def test_lengths_match_geodesic_distances_and_times_follow_speeds(
    tiny_network: RoadNetwork,
) -> None:
    graph = tiny_network.graph
    for u, v, data in graph.edges(data=True):
        a, b = graph.nodes[u], graph.nodes[v]
        geodesic = GEOD.inv(a["lon"], a["lat"], b["lon"], b["lat"])[2]
        assert data["length_m"] == pytest.approx(geodesic, rel=0.005)
        speed = DEFAULT_SPEEDS_KMH[data["highway"]]
        assert data["time_s"] == pytest.approx(data["length_m"] / speed * 3.6)


@pytest.mark.parametrize(
    ("u", "v", "why"),
    [(3, 5, "oneway=yes"), (1, 6, "oneway=-1 runs against the node order"),
     (3, 7, "roundabout"), (5, 9, "motorway")],
)
def test_one_way_roads_have_a_single_direction(
    tiny_network: RoadNetwork, u: int, v: int, why: str
) -> None:
    graph = tiny_network.graph
    forward = (v, u) if why.startswith("oneway=-1") else (u, v)
    assert graph.has_edge(*forward), why
    assert not graph.has_edge(*forward[::-1]), why


def test_two_way_roads_and_parallel_ways_give_edges_both_ways(tiny_network: RoadNetwork) -> None:
    graph = tiny_network.graph
    assert graph.has_edge(2, 4) and graph.has_edge(4, 2)
    assert {d["highway"] for d in graph.get_edge_data(1, 2).values()} == {"primary", "service"}
    assert {d["highway"] for d in graph.get_edge_data(2, 1).values()} == {"primary", "service"}


def test_custom_speeds_replace_the_defaults(tiny_path: Path) -> None:
    speeds = {k: v for k, v in DEFAULT_SPEEDS_KMH.items() if k != "service"} | {"primary": 30.0}
    network = read_road_network(tiny_path, speeds_kmh=speeds)
    assert "service" not in {d["highway"] for _, _, d in network.graph.edges(data=True)}
    data = network.graph.get_edge_data(1, 2)[0]
    assert data["time_s"] == pytest.approx(data["length_m"] / 30.0 * 3.6)
    assert dict(network.speeds_kmh) == speeds


def test_boundary_keeps_only_ways_near_it(tiny_path: Path) -> None:
    around_fragment = shapely.box(116.2399, 33.5299, 116.2451, 33.5301)
    network = read_road_network(tiny_path, boundary=around_fragment)
    assert set(network.graph.nodes) == {20, 21}
    assert network.nodes_total == 2


def test_errors_name_the_file(tiny_path: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file"):
        read_road_network(tmp_path / "missing.osm.pbf")
    with pytest.raises(NetworkError, match=r"tiny_roads\.osm"):
        read_road_network(tiny_path, speeds_kmh={"cycleway": 15.0})
    with pytest.raises(NetworkError, match="inside the boundary"):
        read_road_network(tiny_path, boundary=shapely.box(10.0, 10.0, 10.1, 10.1))
    with pytest.raises(ModelError, match="primary"):
        read_road_network(tiny_path, speeds_kmh={"primary": 0.0})


def test_real_extract_reads_into_a_strongly_connected_graph(small_network: RoadNetwork) -> None:
    graph = small_network.graph
    assert small_network.nodes_total == 1047
    assert (graph.number_of_nodes(), graph.number_of_edges()) == (1042, 2240)
    assert len(small_network.outside_nodes) == 5
    assert nx.is_strongly_connected(graph)
    assert min(d for _, _, d in graph.edges(data="length_m")) > 0


def _edges(arrays: RoadArrays) -> list[tuple[int, int, float, float, str, int]]:
    """The arrays' edges by node id, sorted, so two edge orders compare equal."""
    names = [arrays.highways[h] for h in arrays.highway.tolist()]
    return sorted(zip(arrays.node_id[arrays.u].tolist(), arrays.node_id[arrays.v].tolist(),
                      arrays.length_m.tolist(), arrays.time_s.tolist(), names,
                      arrays.way_id.tolist(), strict=True))


def test_roads_are_compact_arrays_with_a_networkx_view(small_network: RoadNetwork) -> None:
    arrays = small_network.arrays
    assert (np.diff(arrays.node_id) > 0).all(), "node ids sorted, each once"
    assert arrays.u.size == 2240 and arrays.highway.dtype == np.int16
    assert arrays.nbytes < 150_000, "about 60 bytes an edge, not a dict per edge"
    view = small_network.graph
    assert view is not small_network.graph, "a new view at each access"
    assert _edges(RoadArrays.from_graph(view)) == _edges(arrays)
    view.remove_edges_from(list(view.edges))
    assert small_network.graph.number_of_edges() == 2240, "changing a view changes nothing"
    # replace() reads the graph view back in: it must keep the arrays, not rebuild them.
    assert replace(small_network, nodes_total=0).arrays is arrays


def test_a_network_can_be_made_from_a_networkx_graph(tiny_network: RoadNetwork) -> None:
    graph = tiny_network.graph
    graph.remove_edge(2, 4)
    changed = replace(tiny_network, graph=graph.copy())
    assert changed.arrays is not tiny_network.arrays
    assert changed.graph.number_of_edges() == 17 and not changed.graph.has_edge(2, 4)
    assert changed.graph.has_edge(4, 2)
    assert RoadArrays.from_graph(nx.MultiDiGraph()).node_id.size == 0
