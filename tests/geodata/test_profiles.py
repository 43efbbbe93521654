"""Travel profiles: a slower or restricted vehicle's view of the roads, and its matrices."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata.matrices import UNREACHABLE, travel_matrices
from geodata.profiles import profile_network
from geodata.roads import read_road_network
from geodata.snapping import snap_points
from routing.errors import NetworkError

ROADS = Path(__file__).parents[1] / "data" / "small_county" / "roads.osm.pbf"
POINTS = {"seat": (116.2157, 33.5059), "east": (116.2914, 33.4666), "west": (116.1700, 33.4900)}


@pytest.fixture(scope="module")
def snapped():
    return snap_points(read_road_network(ROADS), POINTS)


def test_a_speed_cap_slows_fast_roads_only(snapped):
    network, snaps = snapped
    full = travel_matrices(network, snaps)
    slow = travel_matrices(profile_network(network, max_speed_kmh=20), snaps)
    assert (slow.duration_s >= full.duration_s).all()
    assert slow.duration_s[0, 1] > full.duration_s[0, 1]
    # a 20 km/h cap: no leg can be faster than its shortest distance at 20 km/h (minus access)
    assert slow.duration_s[0, 1] >= full.distance_m[0, 1] / (20 / 3.6) * 0.95


def test_avoided_roads_leave_unreachable_pairs_marked_or_raise(snapped):
    network, snaps = snapped
    classes = {hw for _, _, hw in network.graph.edges(data="highway")}
    restricted = profile_network(network, avoid_roads=classes - {"residential"})
    with pytest.raises(NetworkError, match="no road path from"):
        travel_matrices(restricted, snaps)
    marked = travel_matrices(restricted, snaps, allow_unreachable=True)
    assert (marked.duration_s >= UNREACHABLE).any()
    assert (marked.distance_m.diagonal() == 0).all()
