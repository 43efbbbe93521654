"""The files a county scenario cuts from an OSM extract: its roads (``roads.osm.pbf``) and its
boundary polygon (``boundary.geojson``)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import osmium
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geodata import BOUNDARY_BUFFER_M, County, buffer_lonlat

#: Attribution every generated file carries.
ATTRIBUTION = "(c) OpenStreetMap contributors, ODbL 1.0"


def write_boundary(path: Path, county: County) -> Path:
    """Write the county polygon as a GeoJSON feature with its name, relation and attribution."""
    feature = {"type": "Feature", "geometry": mapping(county.polygon),
               "properties": {"name": county.name, "osm_relation": county.osm_id,
                              "admin_level": 6, "attribution": ATTRIBUTION}}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]},
                               ensure_ascii=False), encoding="utf-8")
    return path


def cut_roads(osm: Path, polygon: BaseGeometry, out: Path, *,
              buffer_m: float = BOUNDARY_BUFFER_M) -> Path:
    """Write the ``highway`` ways with a node near ``polygon``, their nodes and its places.

    Ways within ``buffer_m`` are kept whole (as :func:`geodata.roads.read_road_network` does
    with a boundary), so roads that leave the county and come back stay usable.
    """
    area = buffer_lonlat(polygon, buffer_m)
    shapely.prepare(area)
    ways: list[int] = []
    refs: list[np.ndarray] = []
    lons: list[float] = []
    lats: list[float] = []
    owner: list[int] = []
    processor = (osmium.FileProcessor(str(osm), osmium.osm.NODE | osmium.osm.WAY)
                 .with_locations()
                 .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
                 .with_filter(osmium.filter.KeyFilter("highway")))
    for way in processor:
        if not isinstance(way, osmium.osm.Way):
            continue
        k = len(ways)
        ways.append(way.id)
        ids = []
        for node in way.nodes:
            ok = node.location.valid()
            ids.append(node.ref)
            lons.append(node.location.lon if ok else math.nan)
            lats.append(node.location.lat if ok else math.nan)
            owner.append(k)
        refs.append(np.asarray(ids, dtype=np.int64))
    lon, lat = np.asarray(lons), np.asarray(lats)
    near = np.zeros(len(ways), dtype=bool)
    valid = np.isfinite(lon)
    hits = np.zeros(lon.size, dtype=bool)
    hits[valid] = shapely.contains_xy(area, lon[valid], lat[valid])
    near[np.asarray(owner, dtype=np.int64)[hits]] = True
    keep_ways = {ways[k] for k in np.flatnonzero(near).tolist()}
    keep_nodes = set(np.concatenate([refs[k] for k in np.flatnonzero(near)]).tolist()
                     if near.any() else [])
    if out.exists():
        out.unlink()
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(osm), osmium.osm.NODE | osmium.osm.WAY):
            if isinstance(obj, osmium.osm.Node):
                place = obj.tags.get("place")
                if obj.id in keep_nodes or (
                        place and obj.location.valid()
                        and area.contains(shapely.Point(obj.location.lon, obj.location.lat))):
                    writer.add_node(obj)
            elif isinstance(obj, osmium.osm.Way) and obj.id in keep_ways:
                writer.add_way(obj)
    return out
