"""Travel profiles: a slower or restricted vehicle's view of the roads, and its matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from geodata import UNREACHABLE, profile_network, read_road_network, snap_points, travel_matrices
from routing.core import NetworkError

ROADS = Path(__file__).parents[1] / "data" / "small_county" / "roads.osm.pbf"
POINTS = {"seat": (116.2157, 33.5059), "east": (116.2914, 33.4666), "west": (116.1700, 33.4900)}


@pytest.fixture(scope="module")
def snapped():
    return snap_points(read_road_network(ROADS), POINTS)


def test_a_speed_cap_slows_fast_roads_only(snapped):
    network, snaps = snapped
    original = {(u, v, k): t for u, v, k, t in network.graph.edges(keys=True, data="time_s")}
    capped = profile_network(network, max_speed_kmh=35)
    slowed = kept = 0
    for u, v, k, data in capped.graph.edges(keys=True, data=True):
        before = original[u, v, k]
        if network.speeds_kmh[data["highway"]] > 35:  # primary ... tertiary: now 35 km/h
            assert data["time_s"] == pytest.approx(data["length_m"] / (35 / 3.6))
            slowed += 1
        else:  # unclassified (30) and residential (25) roads were slower already
            assert data["time_s"] == before
            kept += 1
    assert slowed and kept
    assert {(u, v, k): t for u, v, k, t in network.graph.edges(keys=True, data="time_s")} == (
        original)  # the input network is not changed
    full = travel_matrices(network, snaps)
    slow = travel_matrices(capped, snaps)
    assert (slow.duration_s >= full.duration_s).all()
    assert slow.duration_s[0, 1] > full.duration_s[0, 1]
    # km and hours follow one path, on which nothing (access legs: 15 km/h) exceeds 35 km/h
    off = ~np.eye(len(slow.ids), dtype=bool)
    assert (slow.distance_m[off] <= slow.duration_s[off] * (35 / 3.6) + 10).all()


def test_avoided_roads_leave_unreachable_pairs_marked_or_raise(snapped):
    network, snaps = snapped
    # the road "east" joins (unclassified) meets the rest of the network only over primaries
    restricted = profile_network(network, avoid_roads=["primary"])
    with pytest.raises(NetworkError, match="no road path from"):
        travel_matrices(restricted, snaps)
    marked = travel_matrices(restricted, snaps, allow_unreachable=True)
    cut = marked.duration_s >= UNREACHABLE
    east = marked.ids.index("east")
    expected = np.zeros_like(cut)
    expected[east, :] = expected[:, east] = True
    expected[east, east] = False
    assert (cut == expected).all(), cut
    assert (marked.distance_m.diagonal() == 0).all()
    # seat and west still reach each other, no faster than with every road open
    full = travel_matrices(network, snaps)
    assert (marked.duration_s[~cut] >= full.duration_s[~cut]).all()
