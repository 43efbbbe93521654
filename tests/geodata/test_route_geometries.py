"""Batch route lines for regions: the same lines as one-by-one ``route_geometry``."""

from __future__ import annotations

import pyproj
import pytest
import shapely

from geodata import (
    RoadNetwork,
    road_lines,
    route_geometries,
    route_geometry,
    simplify_for_display,
    snap_points,
)
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


def test_road_lines_draw_each_segment_once(small_network: RoadNetwork) -> None:
    classes = ("primary", "secondary", "tertiary")
    lines = road_lines(small_network, classes=classes)
    graph = small_network.graph
    segments = {frozenset((u, v)): d["length_m"] for u, v, d in graph.edges(data=True)
                if d["highway"] in classes}
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", small_network.crs, always_xy=True)
    drawn = sum(shapely.transform(line, to_xy.transform, interleaved=False).length
                for line in lines)
    assert len(lines) < len(segments) / 2, "touching segments are merged"
    assert drawn == pytest.approx(sum(segments.values()), rel=1e-6)
    assert road_lines(small_network, classes=("living_street",)) == ()
