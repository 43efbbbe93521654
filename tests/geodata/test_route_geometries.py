"""Batch route lines for regions: the same lines as one-by-one ``route_geometry``."""

from __future__ import annotations

import pytest
import shapely

from geodata import RoadNetwork, route_geometries, route_geometry, simplify_for_display, snap_points
from routing.core import ModelError

POINTS = {"d": (116.2157, 33.5059), "a": (116.17, 33.47), "b": (116.28, 33.54),
          "c": (116.25, 33.46)}


def test_route_geometries_match_route_geometry_one_by_one(small_network: RoadNetwork) -> None:
    network, snaps = snap_points(small_network, POINTS)
    sequences = {"r1": ["d", "a", "b", "d"], "r2": ["d", "c", "d"], "r3": ["a", "a"]}
    # A tiny first radius forces the bounded search to widen before it reaches each leg's end.
    batch = route_geometries(network, snaps, sequences, first_radius_s=5.0)
    assert list(batch) == ["r1", "r2", "r3"]
    for key, sequence in sequences.items():
        assert batch[key].equals_exact(route_geometry(network, snaps, sequence), 1e-12)
    light = simplify_for_display(batch["r1"], tolerance_m=10.0)
    assert len(light.coords) < len(batch["r1"].coords)
    assert shapely.hausdorff_distance(light, batch["r1"]) < 10.0 / 111_320 * 1.5


def test_route_geometries_reject_bad_sequences(small_network: RoadNetwork) -> None:
    network, snaps = snap_points(small_network, POINTS)
    with pytest.raises(ModelError, match="r1: sequence"):
        route_geometries(network, snaps, {"r1": ["d"]})
    with pytest.raises(ModelError, match="no snapped location 'x'"):
        route_geometries(network, snaps, {"r1": ["d", "x"]})
