"""Snapping locations onto the road graph by splitting the nearest edge."""

from __future__ import annotations

from itertools import pairwise

import networkx as nx
import numpy as np
import pyproj
import pytest

from geodata import RoadNetwork, snap_points
from routing.core import ModelError, NetworkError

GEOD = pyproj.Geod(ellps="WGS84")

#: 55 m north of the middle of edge 1-2 (primary + parallel service, both two-way).
BESIDE_1_2 = (116.205, 33.5005)
#: 55 m south of edge 1-2, nearer node 2.
SOUTH_OF_1_2 = (116.207, 33.4995)
#: Next to the dropped fragment 20-21; the nearest usable road is kilometres away.
NEAR_FRAGMENT = (116.2425, 33.5301)
#: Beside the middle of the one-way motorway 5 -> 9.
BESIDE_MOTORWAY = (116.2252, 33.5075)


def _edge_sums(graph: nx.MultiDiGraph, path: list[int]) -> dict[str, tuple[float, float]]:
    """Sum length and time along ``path`` per highway class."""
    sums: dict[str, tuple[float, float]] = {}
    for p, q in pairwise(path):
        for data in graph.get_edge_data(p, q).values():
            length, time = sums.get(data["highway"], (0.0, 0.0))
            sums[data["highway"]] = (length + data["length_m"], time + data["time_s"])
    return sums


def test_point_beside_an_edge_splits_it_in_both_directions(tiny_network: RoadNetwork) -> None:
    snapped, snaps = snap_points(tiny_network, {"v": BESIDE_1_2})
    snap = snaps["v"]
    assert snap.node == -1 and not snap.outside_component
    assert (snap.lon, snap.lat) == BESIDE_1_2
    assert snap.access_m == pytest.approx(GEOD.inv(*BESIDE_1_2, 116.205, 33.5)[2], rel=0.005)

    graph, original = snapped.graph, tiny_network.graph
    assert not graph.has_edge(1, 2) and not graph.has_edge(2, 1)
    assert graph.nodes[-1]["lon"] == pytest.approx(116.205, abs=1e-6)
    for u, v in [(1, 2), (2, 1)]:
        sums = _edge_sums(graph, [u, -1, v])
        for data in original.get_edge_data(u, v).values():
            assert sums[data["highway"]] == pytest.approx((data["length_m"], data["time_s"]))
            assert graph.get_edge_data(u, -1)[0]["length_m"] == pytest.approx(
                data["length_m"] / 2, rel=1e-3
            )
    assert -1 not in original, "the input network must not change"


def test_two_points_on_one_edge_split_it_into_a_chain(tiny_network: RoadNetwork) -> None:
    snapped, snaps = snap_points(tiny_network, {"south": SOUTH_OF_1_2, "north": BESIDE_1_2})
    assert list(snaps) == ["south", "north"]
    assert (snaps["south"].node, snaps["north"].node) == (-1, -2)
    graph = snapped.graph
    assert sorted(graph.successors(-2)) == [-1, 1]
    assert sorted(graph.successors(-1)) == [-2, 2]
    for u, v, path in [(1, 2, [1, -2, -1, 2]), (2, 1, [2, -1, -2, 1])]:
        original = tiny_network.graph.get_edge_data(u, v)[0]
        assert _edge_sums(graph, path)["primary"] == pytest.approx(
            (original["length_m"], original["time_s"])
        )


def test_snapping_is_deterministic_and_stacks(tiny_network: RoadNetwork) -> None:
    points = {"a": BESIDE_1_2, "b": SOUTH_OF_1_2}
    first = snap_points(tiny_network, points)
    again = snap_points(tiny_network, points)
    assert first[1] == again[1]
    assert sorted(first[0].graph.edges) == sorted(again[0].graph.edges)
    stacked, snaps = snap_points(first[0], {"c": (116.215, 33.5003)})
    assert snaps["c"].node == -3
    assert stacked.graph.number_of_edges() == first[0].graph.number_of_edges() + 2


def test_points_near_a_node_or_each_other_share_a_node(tiny_network: RoadNetwork) -> None:
    nudged = (116.21 + 5e-6, 33.5)  # ~0.5 m east of node 2
    snapped, snaps = snap_points(tiny_network, {"n": nudged, "a": BESIDE_1_2, "b": BESIDE_1_2})
    assert snaps["n"].node == 2
    assert snaps["n"].access_m == pytest.approx(0.46, abs=0.05)
    assert snaps["a"].node == snaps["b"].node == -1
    assert snapped.graph.number_of_nodes() == tiny_network.graph.number_of_nodes() + 1


def test_point_nearest_a_dropped_fragment_is_flagged(tiny_network: RoadNetwork) -> None:
    snapped, snaps = snap_points(tiny_network, {"frag": NEAR_FRAGMENT, "ok": BESIDE_1_2})
    assert snaps["frag"].outside_component
    assert not snaps["ok"].outside_component
    assert snaps["frag"].node in snapped.graph
    assert snaps["frag"].access_m > 1_000


def test_locations_do_not_join_motorways_unless_asked(tiny_network: RoadNetwork) -> None:
    snapped, snaps = snap_points(tiny_network, {"m": BESIDE_MOTORWAY})
    edges = list(snapped.graph.out_edges(snaps["m"].node, data="highway"))
    assert "motorway" not in {h for _, _, h in edges}
    snapped, snaps = snap_points(tiny_network, {"m": BESIDE_MOTORWAY}, skip_highways=())
    assert list(snapped.graph.successors(snaps["m"].node)) == [9]
    assert snaps["m"].access_m < 50


def test_bad_points_and_far_points_are_rejected(tiny_network: RoadNetwork) -> None:
    with pytest.raises(ModelError, match="bad"):
        snap_points(tiny_network, {"bad": (200.0, 33.5)})
    with pytest.raises(NetworkError, match="frag"):
        snap_points(tiny_network, {"frag": NEAR_FRAGMENT}, max_access_m=1_000)


def test_real_villages_snap_with_short_access(small_network: RoadNetwork) -> None:
    points = {
        "county_seat": (116.2157, 33.5059),
        "v1": (116.20, 33.47),
        "v2": (116.25, 33.53),
    }
    snapped, snaps = snap_points(small_network, points)
    lons, lats = zip(*((d["lon"], d["lat"]) for _, d in small_network.graph.nodes(data=True)),
                     strict=True)
    for sid, (lon, lat) in points.items():
        snap = snaps[sid]
        joined = snapped.graph.nodes[snap.node]
        assert snap.access_m == pytest.approx(
            GEOD.inv(lon, lat, joined["lon"], joined["lat"])[2], rel=0.002), sid
        assert snap.access_m < 1_000, sid  # measured: 19, 153 and 590 m
        # the nearest road is no further than the nearest road node
        to_nodes = GEOD.inv([lon] * len(lons), [lat] * len(lats), lons, lats)[2]
        assert snap.access_m <= min(to_nodes) + 1, sid


def test_snapping_adds_rows_to_the_arrays_and_keeps_the_input(small_network: RoadNetwork) -> None:
    before = small_network.arrays
    lengths = before.length_m.copy()
    snapped, snaps = snap_points(small_network, {"v1": (116.20, 33.47), "v2": (116.25, 33.53)})
    after = snapped.arrays
    virtual = [s.node for s in snaps.values() if s.node < 0]
    assert virtual and after.node_id[: len(virtual)].tolist() == sorted(virtual)
    assert (np.diff(after.node_id) > 0).all()
    assert after.node_id.size == before.node_id.size + len(virtual)
    # Each split two-way edge becomes two pieces each way; lengths add up to the same total.
    assert after.u.size == before.u.size + 2 * len(virtual)
    assert after.length_m.sum() == pytest.approx(before.length_m.sum())
    assert max(after.u.max(), after.v.max()) < after.node_id.size
    assert np.array_equal(before.length_m, lengths) and before.node_id.min() > 0
