"""Shared fixtures for the geodata tests: the hand-written and the real OSM test networks."""

from __future__ import annotations

from pathlib import Path

import pytest

from geodata import RoadNetwork, read_road_network

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def tiny_path() -> Path:
    """The hand-written network described in ``tests/data/README.md``."""
    return DATA / "tiny_roads.osm"


@pytest.fixture
def small_path() -> Path:
    """A real OSM extract around the Guoyang county seat (~1,000 drivable nodes)."""
    return DATA / "small_county" / "roads.osm.pbf"


@pytest.fixture
def tiny_network(tiny_path: Path) -> RoadNetwork:
    """The tiny network read with the default speeds."""
    return read_road_network(tiny_path)


@pytest.fixture
def small_network(small_path: Path) -> RoadNetwork:
    """The real extract read with the default speeds."""
    return read_road_network(small_path)
