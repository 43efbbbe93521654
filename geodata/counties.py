"""County-level boundaries (``admin_level=6``) of an OpenStreetMap file, assembled into polygons.

A Chinese county (县), county-level city (市) or city district (区) is an OSM boundary relation
with ``admin_level=6``. Only relations whose member ways are all in the file can be assembled:
a tile cut by bounding box holds the counties inside it whole and the ones on its edge broken,
and those are left out (pyosmium's area assembler drops them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import osmium
import shapely
from shapely import wkb
from shapely.geometry.base import BaseGeometry

from geodata.errors import InputError, ModelError
from geodata.places import Place, read_places

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
