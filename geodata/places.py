"""Read settlements (``place=*`` nodes) and administrative boundaries from OpenStreetMap files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import osmium
import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from geodata.errors import InputError

#: Place classes ruralroute knows, from the smallest settlement up.
PLACE_CLASSES: tuple[str, ...] = ("hamlet", "village", "town", "city", "county")


@dataclass(frozen=True)
class Place:
    """A named settlement node from OSM, in WGS84 (EPSG:4326)."""

    osm_id: int
    place: str
    name: str
    name_en: str
    lon: float
    lat: float


def read_places(
    path: str | Path,
    *,
    classes: tuple[str, ...] = PLACE_CLASSES,
    within: BaseGeometry | None = None,
) -> list[Place]:
    """Return the named ``place`` nodes of ``classes`` in an OSM file, optionally inside a polygon.

    Parameters
    ----------
    path
        An ``.osm.pbf`` or ``.osm`` file.
    classes
        The ``place=*`` values to keep.
    within
        A (Multi)Polygon in EPSG:4326; nodes outside it are left out.

    Returns
    -------
    list of Place
        Sorted by OSM node id, so the order is stable across runs.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "no such OSM file")
    wanted = set(classes)
    places: list[Place] = []
    prepared = within
    if prepared is not None:
        shapely.prepare(prepared)
    for obj in osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(
        osmium.filter.KeyFilter("place")
    ):
        if not isinstance(obj, osmium.osm.Node):
            continue
        tags = obj.tags
        kind = tags.get("place")
        name = tags.get("name") or tags.get("name:zh") or ""
        if kind is None or kind not in wanted or not name or not obj.location.valid():
            continue
        lon, lat = obj.location.lon, obj.location.lat
        if prepared is not None and not prepared.contains(shapely.Point(lon, lat)):
            continue
        name_en = (tags.get("name:en") or tags.get("name:zh_pinyin") or "").split(";")[0].strip()
        places.append(Place(obj.id, kind, name, name_en, lon, lat))
    places.sort(key=lambda p: p.osm_id)
    return places


def read_geojson(path: Path, what: str) -> Any:
    """The parsed JSON of the GeoJSON file ``path`` (a ``what``, e.g. "boundary file"), or an
    :class:`InputError` naming it when it is missing or not JSON."""
    if not path.is_file():
        raise InputError(path, "file", f"no such {what}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, "file", f"not valid GeoJSON ({exc})") from None


def read_boundary(path: str | Path) -> BaseGeometry:
    """Return the union of every polygon in a GeoJSON file (EPSG:4326/CRS84 expected)."""
    path = Path(path)
    data = read_geojson(path, "boundary file")
    features = data.get("features", [data] if data.get("type") == "Feature" else [])
    geoms = [shape(f["geometry"]) for f in features if f.get("geometry")]
    polygons = [g for g in geoms if g.geom_type in ("Polygon", "MultiPolygon")]
    if not polygons:
        raise InputError(path, "features", "holds no Polygon or MultiPolygon geometry")
    return shapely.union_all(polygons)
