"""Write a ready-to-solve scenario folder for any county (or a whole region) of an OSM extract.

A county scenario is built like the shipped Guoyang one (see ``scenarios/guoyang/README.md``):

* ``roads.osm.pbf``: the file's ``highway`` ways with a node within
  :data:`geodata.roads.BOUNDARY_BUFFER_M` of the county, their nodes and the county's places,
  cut with pyosmium (~100 kB a county, so a scenario is self-contained and reads in a second);
* ``boundary.geojson``: the county polygon (OSM ``admin_level=6`` relation);
* ``villages.csv``: the ``place=village`` nodes inside it, ids ``v<osm id>``, with the seeded
  demand of :mod:`routing.demand` split among carriers by :data:`CARRIER_SHARES`;
* ``townships.csv``: the ``place=town`` nodes inside it, ids ``t<osm id>`` (relay stations);
* ``scenario.toml``: the county seat as depot and the default fleet scaled to the demand.

A region scenario serves every village of the file from one hub per county seat (each village
from its nearest seat, each hub with its own van type sized to its villages) and names the OSM
file itself instead of a cut, since it needs the whole of it.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import osmium
import pyproj
import shapely
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from geodata.counties import County, find_county, read_counties
from geodata.places import Place, read_places
from geodata.roads import BOUNDARY_BUFFER_M, utm_crs
from routing.demand import split_by_share, village_demand, write_stops_csv
from routing.errors import InputError
from routing.model import Stop

#: Seed of the shipped scenarios' demand.
DEFAULT_SEED = 20261125

#: Illustrative parcel market shares of the five big carriers (as in the Guoyang scenario).
CARRIER_SHARES: dict[str, float] = {"ems": 0.30, "zto": 0.22, "yto": 0.18, "yunda": 0.16,
                                    "jt": 0.14}

#: Attribution every generated file carries.
ATTRIBUTION = "(c) OpenStreetMap contributors, ODbL 1.0"


class Located(Protocol):
    """Anything with a WGS84 position: a place, stop or depot."""

    @property
    def lon(self) -> float: ...

    @property
    def lat(self) -> float: ...


@dataclass(frozen=True)
class VanSpec:
    """The default vehicle: a light van, and how many of them a day's parcels call for."""

    id: str = "light-van"
    name: str = "Light van (Wuling Rongguang class, ~5 m³)"
    capacity_parcels: int = 300
    capacity_kg: int = 800
    shift_start: str = "08:00"
    max_shift_h: float = 9.0
    #: Spare vans per van of pure parcel load: routes are rarely full and shifts end first.
    slack: float = 1.3

    def __post_init__(self) -> None:
        if self.capacity_parcels <= 0 or self.capacity_kg <= 0 or self.slack < 1:
            raise ValueError(f"van {self.id}: capacities must be > 0 and slack >= 1")

    def count_for(self, parcels: int) -> int:
        """Vans needed for ``parcels`` a day: ``ceil(parcels / capacity * slack)``, at least 1."""
        return max(1, math.ceil(parcels / self.capacity_parcels * self.slack))


@dataclass(frozen=True)
class Hub:
    """A depot the scenario plans from, with the van count its villages call for."""

    id: str
    name: str
    lon: float
    lat: float
    osm_id: int
    vans: int
    villages: int


@dataclass(frozen=True)
class BuiltScenario:
    """What :func:`build_county_scenario` or :func:`build_region_scenario` wrote."""

    scenario: Path
    title: str
    hubs: tuple[Hub, ...]
    villages: int
    townships: int
    parcels: int
    files: tuple[Path, ...]


def village_stops(villages: Iterable[Place], *, seed: int = DEFAULT_SEED,
                  shares: dict[str, float] | None = None) -> tuple[Stop, ...]:
    """Village service points with seeded demand, ids ``v<osm id>`` (see :mod:`routing.demand`)."""
    shares = CARRIER_SHARES if shares is None else shares
    stops = []
    for v in villages:
        day = village_demand(seed, v.osm_id)
        stops.append(Stop(
            id=f"v{v.osm_id}", name=v.name, name_en=v.name_en, lon=v.lon, lat=v.lat,
            parcels=day.parcels, weight_kg=day.weight_kg, produce_kg=day.produce_kg,
            parcels_by_carrier=split_by_share(day.parcels, shares, seed=seed, key=v.osm_id)))
    return tuple(stops)


def county_seat(county: County, places: Sequence[Place]) -> Place:
    """The county seat: the ``place=city|county`` node inside the county named like it.

    Falls back to any city/county node inside, then to the town nearest the polygon's centre
    (OSM seldom tags population, so "largest" cannot be read from the data).

    Raises
    ------
    InputError
        The county holds no city, county or town node at all.
    """
    inside = [p for p in places if county.polygon.contains(shapely.Point(p.lon, p.lat))]
    seats = [p for p in inside if p.place in ("city", "county")]
    wanted = {county.name_zh, county.name}
    for candidates in ([p for p in seats if p.name in wanted],
                       [p for p in seats if county.name_zh and county.name_zh in p.name]):
        if candidates:
            # A seat is often mapped twice (place=county and place=city): prefer city.
            return min(candidates, key=lambda p: (p.place != "city", p.osm_id))
    if seats:
        return min(seats, key=lambda p: (p.place != "city", p.osm_id))
    towns = [p for p in inside if p.place == "town"]
    if not towns:
        raise InputError(county.name, "depot",
                         "no place=city, county or town node inside the boundary to use as "
                         "the county seat; add one to the scenario's [[depots]] by hand")
    centre = county.polygon.representative_point()
    return min(towns, key=lambda p: (math.hypot(p.lon - centre.x, p.lat - centre.y), p.osm_id))


def slug(text: str, *, fallback: str) -> str:
    """A lower-case ASCII name for files and ids, e.g. ``"Guoyang County"`` -> ``guoyang``."""
    words = re.sub(r"\b(county|city|district)\b", "", text.lower())
    cleaned = re.sub(r"[^a-z0-9]+", "-", words).strip("-")
    return cleaned or fallback


def build_county_scenario(osm: str | Path, county: str, out_dir: str | Path, *,
                          seed: int = DEFAULT_SEED, van: VanSpec | None = None,
                          time_limit_s: float = 30.0) -> BuiltScenario:
    """Write a scenario folder for one county of an OSM extract.

    Parameters
    ----------
    osm
        An ``.osm.pbf``/``.osm`` file with the county's boundary relation, places and roads.
    county
        The county's relation id or name (see :func:`geodata.counties.find_county`).
    out_dir
        The folder to write (created if missing; files of the same name are replaced).
    seed
        Seed of the synthetic demand.
    van
        The default vehicle (:class:`VanSpec` if not given).
    time_limit_s
        The scenario's solver time limit.

    Returns
    -------
    BuiltScenario
    """
    osm, out_dir = Path(osm), Path(out_dir)
    van = van or VanSpec()
    villages_all = read_places(osm, classes=("village",))
    chosen = find_county(read_counties(osm, villages=villages_all), county, path=osm)
    villages = [v for v in villages_all
                if chosen.polygon.contains(shapely.Point(v.lon, v.lat))]
    if not villages:
        raise InputError(osm, "county", f"{chosen.label} (relation {chosen.osm_id}) holds no "
                         f"place=village node; choose a county with villages "
                         f"(`ruralroute scenario list --osm {osm}`)")
    places = read_places(osm, classes=("town", "city", "county"))
    seat = county_seat(chosen, places)
    towns = [p for p in places if p.place == "town"
             and chosen.polygon.contains(shapely.Point(p.lon, p.lat))]
    stops = village_stops(villages, seed=seed)
    parcels = sum(s.parcels for s in stops)
    name = slug(chosen.name_en, fallback=f"county-{chosen.osm_id}")
    hub = Hub(id=f"{name}-jdc", name=f"{seat.name} county joint distribution centre",
              lon=seat.lon, lat=seat.lat, osm_id=seat.osm_id, vans=van.count_for(parcels),
              villages=len(stops))

    out_dir.mkdir(parents=True, exist_ok=True)
    roads = cut_roads(osm, chosen.polygon, out_dir / "roads.osm.pbf")
    boundary = _write_boundary(out_dir / "boundary.geojson", chosen)
    villages_csv = out_dir / "villages.csv"
    write_stops_csv(villages_csv, stops, carriers=list(CARRIER_SHARES))
    townships = write_townships_csv(out_dir / "townships.csv", towns)
    title = f"{chosen.label} — consolidated delivery"
    scenario = out_dir / "scenario.toml"
    scenario.write_text(scenario_toml(
        name=name, title=title,
        header=[f"{chosen.label}: one day of consolidated village delivery from the county",
                f"seat. Built by `ruralroute scenario new` from {osm.name} (relation",
                f"{chosen.osm_id}); demand seed {seed}, synthetic. Roads, places: {ATTRIBUTION}."],
        osm="roads.osm.pbf", boundary="boundary.geojson", hubs=[hub], van=van,
        time_limit_s=time_limit_s), encoding="utf-8")
    return BuiltScenario(scenario, title, (hub,), len(stops), len(towns), parcels,
                         (scenario, roads, boundary, villages_csv, townships))


def build_region_scenario(osm: str | Path, out_dir: str | Path, *, name: str, title: str,
                          seed: int = DEFAULT_SEED, van: VanSpec | None = None,
                          time_limit_s: float = 120.0, engine: str = "pyvrp") -> BuiltScenario:
    """Write a scenario serving every village of ``osm`` from one hub per county seat.

    Township seats are not written: a region has hundreds, and as stations they would only
    enlarge the travel matrices.

    Hubs are the file's ``place=city|county`` nodes whose name ends in 县 or 市 (county seats
    and county-level cities; a seat mapped twice counts once). Each village belongs to its
    nearest hub in a straight line; hubs without villages are left out, and each hub gets its
    own van type sized to its villages' parcels (:meth:`VanSpec.count_for`), though the solver
    may send any van to any village. The scenario names ``osm`` itself (by a path relative to
    ``out_dir``) rather than a cut, since the whole file is needed. The engine defaults to
    PyVRP: on the 1,780-village tile with 253 vans from 30 hubs, OR-Tools finds no first solution
    within minutes, PyVRP a full plan in 120 s (see ``scenarios/anhui/README.md``).

    Returns
    -------
    BuiltScenario
    """
    osm, out_dir = Path(osm), Path(out_dir)
    van = van or VanSpec()
    villages = read_places(osm, classes=("village",))
    if not villages:
        raise InputError(osm, "places", "holds no place=village node")
    seats: dict[str, Place] = {}
    candidates = read_places(osm, classes=("city", "county"))
    for p in sorted(candidates, key=lambda q: (q.place != "city", q.osm_id)):
        if p.name.endswith(("县", "市")):
            seats.setdefault(p.name, p)
    if not seats:
        raise InputError(osm, "places", "holds no county seat (place=city|county named *县/*市)")
    seat_list = sorted(seats.values(), key=lambda p: p.osm_id)
    stops = village_stops(villages, seed=seed)
    nearest = nearest_of(seat_list, villages)
    hubs = []
    for k, seat in enumerate(seat_list):
        mine = [s for s, owner in zip(stops, nearest, strict=True) if owner == k]
        if not mine:
            continue
        hubs.append(Hub(id=f"hub-{seat.osm_id}", name=f"{seat.name} county hub", lon=seat.lon,
                        lat=seat.lat, osm_id=seat.osm_id,
                        vans=van.count_for(sum(s.parcels for s in mine)), villages=len(mine)))
    out_dir.mkdir(parents=True, exist_ok=True)
    villages_csv = out_dir / "villages.csv"
    write_stops_csv(villages_csv, stops, carriers=list(CARRIER_SHARES))
    scenario = out_dir / "scenario.toml"
    scenario.write_text(scenario_toml(
        name=name, title=title,
        header=[title,
                f"Every village of {osm.name}, each served from its nearest county seat",
                "(one hub and van type per seat; any van may serve any village).",
                f"Demand seed {seed}; demand is synthetic. Roads, places: {ATTRIBUTION}.",
                "Built by `ruralroute scenario new --region`."],
        osm=Path(os.path.relpath(osm.resolve(), out_dir.resolve())).as_posix(), boundary=None,
        hubs=hubs, van=van, time_limit_s=time_limit_s, stations=False, engine=engine),
        encoding="utf-8")
    return BuiltScenario(scenario, title, tuple(hubs), len(stops), 0,
                         sum(s.parcels for s in stops), (scenario, villages_csv))


def nearest_of(candidates: Sequence[Located], points: Sequence[Located]) -> list[int]:
    """Index into ``candidates`` of the nearest one (straight line, metres) to every point.

    Distances are taken in the UTM zone of the points' mean, so they are metric to < 0.1 %.
    """
    crs = utm_crs(float(np.mean([v.lon for v in points])),
                  float(np.mean([v.lat for v in points])))
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    sx, sy = to_xy.transform([s.lon for s in candidates], [s.lat for s in candidates])
    vx, vy = to_xy.transform([v.lon for v in points], [v.lat for v in points])
    dist = np.hypot(np.asarray(vx)[:, None] - np.asarray(sx)[None, :],
                    np.asarray(vy)[:, None] - np.asarray(sy)[None, :])
    return np.argmin(dist, axis=1).tolist()


def write_townships_csv(path: Path, towns: Iterable[Place]) -> Path:
    """Write township seats (relay station candidates), ids ``t<osm id>``."""
    lines = ["id,name,name_en,lon,lat"]
    lines += [",".join((f"t{t.osm_id}", _csv_text(t.name), _csv_text(t.name_en),
                        f"{t.lon:.7f}", f"{t.lat:.7f}")) for t in towns]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _csv_text(value: str) -> str:
    return f'"{value.replace(chr(34), chr(34) * 2)}"' if re.search(r'[",\n]', value) else value


def _write_boundary(path: Path, county: County) -> Path:
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
    centre = polygon.centroid
    local = utm_crs(centre.x, centre.y)
    forward = pyproj.Transformer.from_crs("EPSG:4326", local, always_xy=True).transform
    backward = pyproj.Transformer.from_crs(local, "EPSG:4326", always_xy=True).transform
    area = shapely.transform(
        shapely.transform(polygon, forward, interleaved=False).buffer(buffer_m),
        backward, interleaved=False)
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
            if obj.is_node():
                place = obj.tags.get("place")
                if obj.id in keep_nodes or (
                        place and obj.location.valid()
                        and area.contains(shapely.Point(obj.location.lon, obj.location.lat))):
                    writer.add_node(obj)
            elif obj.id in keep_ways:
                writer.add_way(obj)
    return out


def scenario_toml(*, name: str, title: str, header: Sequence[str], osm: str,
                  boundary: str | None, hubs: Sequence[Hub], van: VanSpec,
                  time_limit_s: float, stations: bool = True, engine: str = "ortools") -> str:
    """The text of a ``scenario.toml`` in the format :func:`routing.scenario.load_scenario` reads.

    Each table is rendered by its own helper, so a new table (e.g. ``[[carriers]]``) is one more
    entry in the list below.
    """
    sections = [
        "\n".join(f"# {line}" for line in header),
        f"name = {_q(name)}\ntitle = {_q(title)}",
        _network_table(osm, boundary),
        _stops_table(stations),
        *(_depot_table(h) for h in hubs),
        *(_vehicle_table(h, van, several=len(hubs) > 1) for h in hubs),
        ("[service]\nper_stop_s = 300     # park, hand over to the village service point, sign\n"
         "per_parcel_s = 10    # scan and unload one parcel"),
        (f'[solver]\nengine = {_q(engine)}\ntime_limit_s = {time_limit_s:g}\n'
         'first_solution = "SAVINGS"\nmetaheuristic = "GUIDED_LOCAL_SEARCH"\n'
         'objective = "distance"\nseed = 1'),
    ]
    return "\n\n".join(sections) + "\n"


def _q(text: str) -> str:
    """A TOML basic string (JSON escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def _stops_table(stations: bool) -> str:
    lines = ["[stops]",
             'file = "villages.csv"        # village service points: parcels, kg, produce']
    if stations:
        lines.append('stations = "townships.csv"   # township seats, candidate relay stations')
    return "\n".join(lines)


def _network_table(osm: str, boundary: str | None) -> str:
    lines = ["[network]", f"osm = {_q(osm)}"]
    if boundary:
        lines.append(f"boundary = {_q(boundary)}")
    lines += ["# Villages further than this from any mapped road are reported unserved.",
              "max_access_m = 5000"]
    return "\n".join(lines)


def _depot_table(hub: Hub) -> str:
    return "\n".join([
        "[[depots]]", f"id = {_q(hub.id)}", f"name = {_q(hub.name)}",
        f"lon = {hub.lon:.7f}            # OSM node {hub.osm_id}, {hub.villages} villages",
        f"lat = {hub.lat:.7f}", 'open = "06:00"', 'close = "21:00"'])


def _vehicle_table(hub: Hub, van: VanSpec, *, several: bool) -> str:
    lines = ["[[vehicle_types]]", f"id = {_q(f'{van.id}-{hub.id}' if several else van.id)}",
             f"name = {_q(van.name)}"]
    if several:
        lines.append(f"depot = {_q(hub.id)}")
    lines += [f"count = {hub.vans}", f"capacity_parcels = {van.capacity_parcels}",
              f"capacity_kg = {van.capacity_kg}", f"shift_start = {_q(van.shift_start)}",
              f"max_shift_h = {van.max_shift_h:g}"]
    return "\n".join(lines)
