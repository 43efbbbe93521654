"""County-level boundaries (``admin_level=6``) of an OpenStreetMap file, assembled into polygons,
and the county boundary file a scenario may name (GeoJSON), written, read and used to place points.

A Chinese county (县), county-level city (市) or city district (区) is an OSM boundary relation
with ``admin_level=6``. Only relations whose member ways are all in the file can be assembled:
a tile cut by bounding box holds the counties inside it whole and the ones on its edge broken,
and those are left out (pyosmium's area assembler drops them).

A county boundary file is a GeoJSON FeatureCollection (EPSG:4326) with one Polygon or
MultiPolygon feature per county and the properties ``name`` (a unique string) and ``osm_id``
(the relation id, or null): :func:`save_counties` writes it, :func:`load_counties` reads it back
as :class:`CountyBoundary` values and :func:`county_of` tells which county each point lies in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import osmium
import shapely
from shapely import wkb
from shapely.errors import GEOSException
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from geodata.errors import InputError, ModelError
from geodata.places import Place, read_geojson, read_places

#: OSM ``admin_level`` of Chinese county-level divisions.
COUNTY_ADMIN_LEVEL = "6"

_PARENTHESIS = re.compile(r"\s*[(（][^)）]*[)）]\s*")
_RELATION_ID = re.compile(r"^r?(\d+)$", re.IGNORECASE)


@dataclass(frozen=True, eq=False)
class County:
    """A county-level boundary from OSM and the villages inside it.

    Attributes
    ----------
    osm_id
        The boundary relation's OSM id.
    name
        The OSM ``name`` (often ``"涡阳县 (Guoyang)"``).
    name_zh, name_en
        ``name:zh`` (else ``name`` without its parenthesis) and ``name:en`` (may be empty).
    polygon
        The assembled (Multi)Polygon, EPSG:4326.
    villages
        Number of named ``place=village`` nodes inside ``polygon``.
    """

    osm_id: int
    name: str
    name_zh: str
    name_en: str
    polygon: BaseGeometry
    villages: int

    def __post_init__(self) -> None:
        if self.osm_id <= 0 or not self.name:
            raise ModelError(f"county: needs a positive relation id and a name, got "
                             f"{self.osm_id!r}, {self.name!r}")
        if self.polygon.geom_type not in ("Polygon", "MultiPolygon") or self.polygon.is_empty:
            raise ModelError(f"county {self.name}: boundary is not a (Multi)Polygon")

    @property
    def label(self) -> str:
        """Short display name: the Chinese name, with the English one when OSM has it."""
        return f"{self.name_zh} ({self.name_en})" if self.name_en else self.name_zh

    def names(self) -> set[str]:
        """Every spelling a user may type for this county, lower-cased."""
        spelled = {self.name, self.name_zh, self.name_en, _PARENTHESIS.sub("", self.name)}
        spelled |= set(re.findall(r"[(（]([^)）]+)[)）]", self.name))
        for suffix in (" County", " City", " District"):
            if self.name_en.endswith(suffix):
                spelled.add(self.name_en[: -len(suffix)])
        return {s.strip().lower() for s in spelled if s and s.strip()}


def read_county_boundaries(
    path: str | Path, *, admin_level: str = COUNTY_ADMIN_LEVEL
) -> list[tuple[int, dict[str, str], BaseGeometry]]:
    """Return ``(relation id, tags, polygon)`` of every assembled boundary at ``admin_level``.

    Parameters
    ----------
    path
        An ``.osm.pbf`` or ``.osm`` file.
    admin_level
        The OSM ``admin_level`` to keep.

    Returns
    -------
    list of tuple
        Sorted by relation id. Relations with missing member ways are left out.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file", "no such OSM file")
    factory = osmium.geom.WKBFactory()
    found: list[tuple[int, dict[str, str], BaseGeometry]] = []
    processor = (
        osmium.FileProcessor(str(path))
        .with_areas(osmium.filter.TagFilter(("boundary", "administrative")))
        .with_filter(osmium.filter.EntityFilter(osmium.osm.AREA))
    )
    try:
        for area in processor:
            if not isinstance(area, osmium.osm.Area):
                continue
            if area.from_way() or area.tags.get("admin_level") != admin_level:
                continue
            try:
                polygon = wkb.loads(factory.create_multipolygon(area), hex=True)
            except RuntimeError:
                continue
            if polygon.is_empty:
                continue
            found.append((area.orig_id(), dict(area.tags), polygon))
    except RuntimeError as exc:
        raise InputError(path, "file", f"cannot read OSM data ({exc})") from exc
    found.sort(key=lambda item: item[0])
    return found


def read_counties(path: str | Path, *, villages: list[Place] | None = None) -> list[County]:
    """Return the county-level boundaries of an OSM file with their village counts.

    Parameters
    ----------
    path
        An ``.osm.pbf`` or ``.osm`` file holding boundary relations and ``place`` nodes.
    villages
        The file's ``place=village`` nodes, if already read (they are read otherwise).

    Returns
    -------
    list of County
        Sorted by relation id, so the order is stable across runs.
    """
    boundaries = read_county_boundaries(path)
    if villages is None:
        villages = read_places(path, classes=("village",))
    lon = np.array([v.lon for v in villages], dtype=float)
    lat = np.array([v.lat for v in villages], dtype=float)
    counties = []
    for osm_id, tags, polygon in boundaries:
        name = tags.get("name", "") or tags.get("name:zh", "") or f"relation {osm_id}"
        inside = int(shapely.contains_xy(polygon, lon, lat).sum()) if lon.size else 0
        counties.append(County(
            osm_id=osm_id, name=name,
            name_zh=tags.get("name:zh", "") or _PARENTHESIS.sub("", name).strip(),
            name_en=tags.get("name:en", ""), polygon=polygon, villages=inside))
    return counties


def find_county(counties: list[County], query: str, *, path: str | Path) -> County:
    """Return the one county whose relation id or name matches ``query``.

    ``query`` may be the relation id (``3245946`` or ``r3245946``), the OSM name, the Chinese
    name (``涡阳县``), the English name (``Guoyang County``) or its first word (``guoyang``);
    case does not matter.

    Raises
    ------
    InputError
        No county matches, or several do (the message lists them).
    """
    text = query.strip()
    by_id = _RELATION_ID.match(text)
    if by_id:
        matches = [c for c in counties if c.osm_id == int(by_id.group(1))]
    else:
        matches = [c for c in counties if text.lower() in c.names()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(f"{c.label} (relation {c.osm_id})" for c in matches)
        raise InputError(path, "county", f"{query!r} matches {len(matches)} boundaries: "
                         f"{listed}; pass the relation id instead")
    raise InputError(path, "county", f"no admin_level={COUNTY_ADMIN_LEVEL} boundary named "
                     f"{query!r} among the file's {len(counties)}; run `ruralroute scenario "
                     f"list --osm {path}` to see them")


# --- county boundary files (GeoJSON) ----------------------------------------------------------


class Bounded(Protocol):
    """Anything with a county's name, relation id and polygon (:class:`County`,
    :class:`CountyBoundary`)."""

    @property
    def name(self) -> str: ...

    @property
    def osm_id(self) -> int | None: ...

    @property
    def polygon(self) -> BaseGeometry: ...


@dataclass(frozen=True, eq=False)
class CountyBoundary:
    """One county of a county boundary file: its name, polygon (EPSG:4326) and OSM relation id
    (``None`` for a boundary not taken from OSM)."""

    name: str
    polygon: BaseGeometry
    osm_id: int | None = None

    def __post_init__(self) -> None:
        if not self.name:
            raise ModelError("county boundary: needs a name")
        if self.polygon.geom_type not in ("Polygon", "MultiPolygon") or self.polygon.is_empty:
            raise ModelError(f"county {self.name}: boundary is not a (Multi)Polygon")


def save_counties(counties: Iterable[Bounded], path: str | Path, *,
                  attribution: str = "") -> Path:
    """Write ``counties`` as a county boundary file that :func:`load_counties` reads back.

    ``attribution`` (e.g. OSM's licence line), if given, is written as a top-level member of the
    FeatureCollection, which readers ignore. Names must be unique (:class:`ModelError`).
    """
    features: list[dict[str, Any]] = []
    seen: set[str] = set()
    for county in counties:
        if county.name in seen:
            raise ModelError(f"county {county.name}: named twice; county names must be unique")
        seen.add(county.name)
        features.append({"type": "Feature", "geometry": mapping(county.polygon),
                         "properties": {"name": county.name, "osm_id": county.osm_id}})
    collection: dict[str, Any] = {"type": "FeatureCollection"}
    if attribution:
        collection["attribution"] = attribution
    collection["features"] = features
    path = Path(path)
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def load_counties(path: str | Path) -> list[CountyBoundary]:
    """Read a county boundary file written by :func:`save_counties` (or by hand), in file order.

    Raises
    ------
    InputError
        The file is missing or not GeoJSON, or a feature has no unique ``name``, a bad
        ``osm_id`` or a geometry that is not a valid (Multi)Polygon in degrees; the message
        names the feature's field (``features[3].properties.name``).
    """
    path = Path(path)
    data = read_geojson(path, "county boundary file")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputError(path, "type", "must be a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise InputError(path, "features", "must be a non-empty list of county features")
    counties: list[CountyBoundary] = []
    first: dict[str, int] = {}
    for i, feature in enumerate(features):
        county = _county_feature(path, f"features[{i}]", feature)
        if county.name in first:
            raise InputError(path, f"features[{i}].properties.name",
                             f"{county.name!r} is also the name of features[{first[county.name]}]"
                             f"; county names must be unique")
        first[county.name] = i
        counties.append(county)
    return counties


def _county_feature(path: Path, where: str, feature: Any) -> CountyBoundary:
    """One feature of a county boundary file, checked field by field."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InputError(path, where, "must be a GeoJSON Feature")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise InputError(path, f"{where}.properties", "must be an object with a name")
    name = properties.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(path, f"{where}.properties.name",
                         f"must be a non-empty string, got {name!r}")
    osm_id = properties.get("osm_id")
    if osm_id is not None and (isinstance(osm_id, bool) or not isinstance(osm_id, int)
                               or osm_id <= 0):
        raise InputError(path, f"{where}.properties.osm_id",
                         f"must be a positive relation id or null, got {osm_id!r}")
    return CountyBoundary(name=name, osm_id=osm_id,
                          polygon=_county_polygon(path, f"{where}.geometry", feature))


def _county_polygon(path: Path, where: str, feature: dict[str, Any]) -> BaseGeometry:
    """A feature's geometry: a valid, non-empty (Multi)Polygon in lon/lat degrees."""
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict):
        raise InputError(path, where, "is missing: each county needs a (Multi)Polygon")
    try:
        polygon = shape(geometry)
    except (AttributeError, TypeError, ValueError, IndexError, KeyError, GEOSException) as exc:
        raise InputError(path, where, f"is not a GeoJSON geometry ({exc})") from None
    if polygon.geom_type not in ("Polygon", "MultiPolygon") or polygon.is_empty:
        raise InputError(path, where, f"must be a Polygon or MultiPolygon, got "
                         f"{'an empty ' if polygon.is_empty else ''}{polygon.geom_type}")
    west, south, east, north = polygon.bounds
    if not (west >= -180 and east <= 180 and south >= -90 and north <= 90):
        raise InputError(path, where, "coordinates are not lon/lat degrees (EPSG:4326)")
    if not polygon.is_valid:
        raise InputError(path, where, f"is not a valid polygon "
                         f"({explain_validity(polygon)})")
    return polygon


def county_of(points: Mapping[str, tuple[float, float]],
              counties: Sequence[Bounded]) -> dict[str, str]:
    """The name of the county each ``(lon, lat)`` point lies in, by point id, in point order.

    A point on a shared border (or in two overlapping polygons) belongs to the first of those
    counties in ``counties``; points in no county are left out. One spatial-index query places
    every point, so thousands of points and dozens of counties take milliseconds.
    """
    ids = list(points)
    if not ids or not counties:
        return {}
    xy = np.asarray([points[i] for i in ids], dtype=float).reshape(-1, 2)
    tree = shapely.STRtree([c.polygon for c in counties])
    point_index, county_index = tree.query(shapely.points(xy), predicate="intersects")
    order = np.lexsort((county_index, point_index))
    found: dict[str, str] = {}
    for p, c in zip(point_index[order].tolist(), county_index[order].tolist(), strict=True):
        found.setdefault(ids[p], counties[c].name)
    return found
