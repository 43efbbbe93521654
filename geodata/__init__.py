"""Geodata: OpenStreetMap roads, places and counties, snapping, travel matrices and route lines.

The bottom layer of ruralroute: it imports nothing from ``routing`` (its errors are its own,
:mod:`geodata.errors`, which :mod:`routing.core.errors` builds on).

* :mod:`~geodata.roads` — the drivable road graph of an OSM file;
* :mod:`~geodata.places` — settlements and administrative boundaries;
* :mod:`~geodata.counties` — county boundaries (``admin_level=6``) as polygons, and the county
  boundary files (GeoJSON) a scenario may name;
* :mod:`~geodata.snapping` — places snapped onto the nearest road;
* :mod:`~geodata.profiles` — the roads as a slower or restricted vehicle sees them;
* :mod:`~geodata.matrices` — all-pairs distance and travel-time matrices (cached);
* :mod:`~geodata.geometry` — road-following route lines;
* :mod:`~geodata.sheetmap` — static route maps for printed sheets (matplotlib).
"""

from __future__ import annotations

from geodata.counties import (
    County,
    CountyBoundary,
    county_of,
    find_county,
    load_counties,
    read_counties,
    save_counties,
)
from geodata.errors import InputError, ModelError, NetworkError, RuralRouteError
from geodata.geometry import road_lines, route_geometries, route_geometry, simplify_for_display
from geodata.matrices import UNREACHABLE, TravelMatrices, travel_matrices
from geodata.places import Place, read_boundary, read_places
from geodata.profiles import profile_network
from geodata.roads import (
    BOUNDARY_BUFFER_M,
    DEFAULT_SPEEDS_KMH,
    HIGHWAY_CLASSES,
    RoadNetwork,
    buffer_lonlat,
    read_road_network,
    utm_crs,
)
from geodata.sheetmap import figure_bytes, route_sheet_map
from geodata.snapping import NO_STOPPING_HIGHWAYS, Snap, snap_points

__all__ = [
    "BOUNDARY_BUFFER_M",
    "DEFAULT_SPEEDS_KMH",
    "HIGHWAY_CLASSES",
    "NO_STOPPING_HIGHWAYS",
    "UNREACHABLE",
    "County",
    "CountyBoundary",
    "InputError",
    "ModelError",
    "NetworkError",
    "Place",
    "RoadNetwork",
    "RuralRouteError",
    "Snap",
    "TravelMatrices",
    "buffer_lonlat",
    "county_of",
    "figure_bytes",
    "find_county",
    "load_counties",
    "profile_network",
    "read_boundary",
    "read_counties",
    "read_places",
    "read_road_network",
    "road_lines",
    "route_geometries",
    "route_geometry",
    "route_sheet_map",
    "save_counties",
    "simplify_for_display",
    "snap_points",
    "travel_matrices",
    "utm_crs",
]
