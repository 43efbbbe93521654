"""Write a ready-to-solve scenario folder for any county (or a whole region) of an OSM extract.

A county scenario is built like the shipped Guoyang one (see ``scenarios/guoyang/README.md``)
and runs all three strategies of :mod:`routing.strategies`:

* ``roads.osm.pbf``: the file's ``highway`` ways with a node within
  :data:`geodata.roads.BOUNDARY_BUFFER_M` of the county, their nodes and the county's places,
  cut with pyosmium (~100 kB a county, so a scenario is self-contained and reads in a second);
* ``boundary.geojson``: the county polygon (OSM ``admin_level=6`` relation);
* ``villages.csv``: the ``place=village`` nodes inside it, ids ``v<osm id>``, with the seeded
  demand of :mod:`routing.builder.demand` split among the carriers by their shares;
* ``townships.csv``: the ``place=town`` nodes inside it, ids ``t<osm id>`` (relay stations);
* ``scenario.toml``: the county seat as joint distribution centre with the shared light-van
  fleet (``[consolidated]``), the five carriers of :data:`DEFAULT_CARRIERS` with a branch depot
  each (:func:`branch_sites`) and their own vans (``[[carriers]]``), trunk trucks and
  electric tricycles for the township relay (``[relay]``), the diesel cost model and the cost
  objective. Fleet sizes follow :meth:`VehicleSpec.count_for` (see :data:`LIGHT_VAN`,
  :data:`TRUNK_TRUCK`, :data:`E_TRIKE`).

A region scenario serves every village of the file from one hub per county seat (each village
from its nearest seat, each hub with its own van type sized to its villages) and names the OSM
file itself instead of a cut, since it needs the whole of it. It has no carriers and no relay,
so only the ``consolidated`` strategy runs on it.
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

from geodata import (
    BOUNDARY_BUFFER_M,
    NO_STOPPING_HIGHWAYS,
    County,
    Place,
    RoadNetwork,
    buffer_lonlat,
    find_county,
    read_counties,
    read_places,
    read_road_network,
    utm_crs,
)
from routing.builder.demand import split_by_share, village_demand, write_stops_csv
from routing.core import InputError, ModelError, Stop

#: Seed of the shipped scenarios' demand.
DEFAULT_SEED = 20261125

#: Attribution every generated file carries.
ATTRIBUTION = "(c) OpenStreetMap contributors, ODbL 1.0"

#: Straight-line distance of a carrier's branch depot from the county seat before it is moved
#: onto the nearest road node (see :func:`branch_sites`).
BRANCH_RING_M = 2_000.0


class Located(Protocol):
    """Anything with a WGS84 position: a place, stop or depot."""

    @property
    def lon(self) -> float: ...

    @property
    def lat(self) -> float: ...


@dataclass(frozen=True)
class CarrierSpec:
    """A courier company the builder writes: its id (``parcels_<id>`` column) and parcel share."""

    id: str
    name: str
    share: float

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", self.id):
            raise ModelError(f"carrier {self.id!r}: id must be lower-case letters, digits, - or _")
        if not 0 < self.share <= 1:
            raise ModelError(f"carrier {self.id}: share must be in (0, 1], got {self.share}")


#: The five big carriers and their illustrative parcel market shares (as in the Guoyang
#: scenario; see ``scenarios/guoyang/README.md``).
DEFAULT_CARRIERS: tuple[CarrierSpec, ...] = (
    CarrierSpec("ems", "China Post / EMS", 0.30),
    CarrierSpec("zto", "ZTO Express", 0.22),
    CarrierSpec("yto", "YTO Express", 0.18),
    CarrierSpec("yunda", "Yunda Express", 0.16),
    CarrierSpec("jt", "J&T Express", 0.14),
)

#: The default carriers' shares by id.
CARRIER_SHARES: dict[str, float] = {c.id: c.share for c in DEFAULT_CARRIERS}


@dataclass(frozen=True)
class VehicleSpec:
    """A vehicle type the builder writes, and the rule that sizes its fleet.

    ``count_for`` takes whichever binds first, load or shift time: a fleet that visits ``stops``
    villages needs ``stops / stops_per_route`` routes even when the parcels would fit in fewer
    vehicles (a carrier's van calls at many villages with a few parcels each, so its shift ends
    long before it is full). Both are multiplied by ``slack`` (routes are rarely full) and
    rounded up, and at least ``minimum`` vehicles are written.
    """

    id: str
    name: str
    kind: str
    capacity_parcels: int
    capacity_kg: int
    shift_start: str = "08:00"
    max_shift_h: float = 9.0
    max_speed_kmh: float | None = None
    avoid_roads: tuple[str, ...] = ()
    #: Villages one vehicle can serve in a shift; None when only the load counts.
    stops_per_route: float | None = None
    #: Spare vehicles per vehicle of pure need: routes are rarely full and shifts end first.
    slack: float = 1.3
    minimum: int = 1

    def __post_init__(self) -> None:
        if self.capacity_parcels <= 0 or self.capacity_kg <= 0 or self.slack < 1:
            raise ModelError(f"vehicle {self.id}: capacities must be > 0 and slack >= 1")
        if self.minimum < 1 or (self.stops_per_route is not None and self.stops_per_route <= 0):
            raise ModelError(f"vehicle {self.id}: minimum must be >= 1, stops_per_route > 0")

    def count_for(self, parcels: int, *, stops: int = 0) -> int:
        """Vehicles for ``parcels`` a day at ``stops`` villages:
        ``ceil(max(parcels / capacity, stops / stops_per_route) * slack)``, at least ``minimum``.
        """
        need = parcels / self.capacity_parcels
        if self.stops_per_route is not None:
            need = max(need, stops / self.stops_per_route)
        return max(self.minimum, math.ceil(need * self.slack))


@dataclass(frozen=True)
class VanSpec(VehicleSpec):
    """The default vehicle: a light van, for the shared fleet and for every carrier's own.

    ``stops_per_route = 20``: a carrier's van carries only its share (a few parcels) to each
    village, so its 9-hour shift, not its 300 parcels, ends the route. On the Anhui tile its
    routes reached 26-33 villages on average (Guoyang, Yongcheng, Changfeng, Dingyuan, Panji;
    12-30 s solves); 20 leaves room for sparser counties and shorter solves. The shared
    fleet's vans carry ~25 parcels a village and fill up after ~12 villages, so for them the
    parcels rule binds and the count is ``ceil(parcels / 300 x 1.3)`` as before.
    """

    id: str = "light-van"
    name: str = "Light van (Wuling Rongguang class, ~5 m³)"
    kind: str = "van"
    capacity_parcels: int = 300
    capacity_kg: int = 800
    stops_per_route: float | None = 20.0


#: The light van of the shared fleet and of the carriers (:class:`VanSpec` defaults).
LIGHT_VAN = VanSpec()

#: The relay's trunk truck, sized to the county's parcels (at least two).
TRUNK_TRUCK = VehicleSpec(
    id="trunk-truck", name="4.2 m light truck (relay trunk)", kind="truck",
    capacity_parcels=1200, capacity_kg=2500, shift_start="06:30", minimum=2)

#: The relay's local vehicle, ``count_for`` the largest township catchment (at least two).
E_TRIKE = VehicleSpec(
    id="e-trike", name="Electric cargo tricycle (township station)", kind="tricycle",
    capacity_parcels=120, capacity_kg=400, shift_start="10:00", max_shift_h=8.0,
    max_speed_kmh=30.0, avoid_roads=("motorway", "motorway_link", "trunk", "trunk_link"),
    minimum=2)


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
class Branch:
    """A carrier's county branch: where :func:`branch_sites` put it and its own vans."""

    carrier: CarrierSpec
    hub: Hub
    offset_m: float


@dataclass(frozen=True)
class Relay:
    """The township relay as built: trucks from the hub, tricycles at every station."""

    trunk_trucks: int
    trikes_per_station: int
    largest_catchment: str
    largest_catchment_parcels: int


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
    branches: tuple[Branch, ...] = ()
    relay: Relay | None = None


def village_stops(villages: Iterable[Place], *, seed: int = DEFAULT_SEED,
                  shares: dict[str, float] | None = None) -> tuple[Stop, ...]:
    """Village service points with seeded demand, ids ``v<osm id>``
    (see :mod:`routing.builder.demand`)."""
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
                          carriers: Sequence[CarrierSpec] = DEFAULT_CARRIERS,
                          trunk: VehicleSpec = TRUNK_TRUCK, trike: VehicleSpec = E_TRIKE,
                          time_limit_s: float = 30.0) -> BuiltScenario:
    """Write a scenario folder for one county of an OSM extract, ready for every strategy.

    Fleets are sized by :meth:`VehicleSpec.count_for`: the shared fleet and each carrier's vans
    for the villages they call at and the parcels they carry, the trunk trucks for the county's
    parcels, and the tricycles of every township station for the largest catchment (villages
    assigned to their nearest township seat in a straight line, as the relay strategy assigns
    them to the nearest by tricycle travel time). A county without a ``place=town`` node gets
    no ``[relay]`` table (there is no station), so only the other two strategies run on it.

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
        The light van of the shared fleet and of the carriers (:data:`LIGHT_VAN` if not given).
    carriers
        The carriers, whose shares must sum to 1 (:data:`DEFAULT_CARRIERS`).
    trunk, trike
        The relay's trunk truck and station tricycle.
    time_limit_s
        The scenario's solver time limit.

    Returns
    -------
    BuiltScenario
    """
    osm, out_dir = Path(osm), Path(out_dir)
    van = van or LIGHT_VAN
    carriers = tuple(carriers)
    total_share = sum(c.share for c in carriers)
    if not carriers or abs(total_share - 1) > 1e-6 or len({c.id for c in carriers}) < len(
            carriers):
        raise ModelError(f"carriers: need distinct carriers whose shares sum to 1, got "
                         f"{len(carriers)} summing to {total_share:g}")
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
    stops = village_stops(villages, seed=seed, shares={c.id: c.share for c in carriers})
    parcels = sum(s.parcels for s in stops)
    name = slug(chosen.name_en, fallback=f"county-{chosen.osm_id}")
    hub = Hub(id=f"{name}-jdc", name=f"{seat.name} county joint distribution centre",
              lon=seat.lon, lat=seat.lat, osm_id=seat.osm_id,
              vans=van.count_for(parcels, stops=len(stops)), villages=len(stops))

    out_dir.mkdir(parents=True, exist_ok=True)
    roads = cut_roads(osm, chosen.polygon, out_dir / "roads.osm.pbf")
    network = read_road_network(roads, boundary=chosen.polygon)
    branches = []
    for carrier, (lon, lat, node, offset_m) in zip(
            carriers, branch_sites(seat, network, len(carriers)), strict=True):
        calls = [s for s in stops if s.parcels_by_carrier[carrier.id] > 0 or s.produce_kg > 0]
        carried = sum(s.parcels_by_carrier[carrier.id] for s in stops)
        branches.append(Branch(carrier, Hub(
            id=f"{carrier.id}-branch", name=f"{carrier.name} county branch", lon=lon, lat=lat,
            osm_id=node, vans=van.count_for(carried, stops=len(calls)), villages=len(calls)),
            offset_m))
    relay = relay_fleet(towns, stops, trunk=trunk, trike=trike) if towns else None

    boundary = _write_boundary(out_dir / "boundary.geojson", chosen)
    villages_csv = out_dir / "villages.csv"
    write_stops_csv(villages_csv, stops, carriers=[c.id for c in carriers])
    townships = write_townships_csv(out_dir / "townships.csv", towns)
    title = f"{chosen.label} — village delivery by carriers, consolidated or by township relay"
    scenario = out_dir / "scenario.toml"
    scenario.write_text(scenario_toml(
        name=name, title=title,
        header=[f"{chosen.label}: one day of village delivery, planned three ways: each carrier",
                "from its own branch (independent), one shared fleet from the county joint",
                "distribution centre (consolidated), or trucks to township stations and",
                "e-trikes on to the villages (township-relay).",
                f"Built by `ruralroute scenario new` from {osm.name} (relation {chosen.osm_id});",
                f"demand seed {seed}, synthetic; fleets sized as routing/builder/county.py says.",
                f"Roads, places: {ATTRIBUTION}."],
        osm="roads.osm.pbf", boundary="boundary.geojson", hubs=[hub], van=van,
        time_limit_s=time_limit_s, branches=branches, relay=relay, trunk=trunk, trike=trike,
        objective="cost", cost_model="diesel"), encoding="utf-8")
    return BuiltScenario(scenario, title, (hub,), len(stops), len(towns), parcels,
                         (scenario, roads, boundary, villages_csv, townships),
                         branches=tuple(branches), relay=relay)


def branch_sites(seat: Located, network: RoadNetwork, count: int, *,
                 radius_m: float = BRANCH_RING_M) -> list[tuple[float, float, int, float]]:
    """Where ``count`` carrier branches stand: ``(lon, lat, osm node, metres from the seat)``.

    Branch ``k`` is first put ``radius_m`` from the seat at bearing ``360° * k / count``
    (the first due north, the rest clockwise), then moved to the nearest OSM node of the
    network's main (strongly connected) component on a road a van may stop at (not a motorway
    or a slip road, see :data:`geodata.snapping.NO_STOPPING_HIGHWAYS`), each node used once.
    So branches ring the county town on its own streets, like real courier depots on its edge,
    and every branch reaches every village. Deterministic: the same roads give the same sites.
    """
    graph = network.graph
    stoppable = sorted({n for u, v, data in graph.edges(data=True)
                        if data.get("highway") not in NO_STOPPING_HIGHWAYS
                        for n in (u, v) if n > 0})
    if len(stoppable) < count:
        raise InputError(network.source, "roads", f"only {len(stoppable)} road nodes near the "
                                                  f"county seat; {count} carrier branches need "
                                                  f"one each")
    xy = np.array([(graph.nodes[n]["x"], graph.nodes[n]["y"]) for n in stoppable])
    to_xy = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    sx, sy = to_xy.transform(seat.lon, seat.lat)
    taken: set[int] = set()
    sites = []
    for k in range(count):
        bearing = 2 * math.pi * k / count
        px, py = sx + radius_m * math.sin(bearing), sy + radius_m * math.cos(bearing)
        order = np.argsort(np.hypot(xy[:, 0] - px, xy[:, 1] - py), kind="stable")
        i = next(int(i) for i in order if stoppable[int(i)] not in taken)
        node = stoppable[i]
        taken.add(node)
        data = graph.nodes[node]
        sites.append((float(data["lon"]), float(data["lat"]), node,
                      float(math.hypot(xy[i, 0] - sx, xy[i, 1] - sy))))
    return sites


def relay_fleet(towns: Sequence[Place], stops: Sequence[Stop], *,
                trunk: VehicleSpec = TRUNK_TRUCK, trike: VehicleSpec = E_TRIKE) -> Relay:
    """Size the township relay: trucks for all parcels, tricycles for the busiest station.

    Each village is given to its nearest township seat in a straight line (the strategy uses
    tricycle travel time, which mostly agrees); every station gets as many tricycles as the
    station with the most parcels needs.
    """
    nearest = nearest_of(towns, stops)
    load = [0] * len(towns)
    for stop, k in zip(stops, nearest, strict=True):
        load[k] += stop.parcels
    busiest = max(range(len(towns)), key=lambda k: (load[k], -k))
    return Relay(trunk_trucks=trunk.count_for(sum(s.parcels for s in stops)),
                 trikes_per_station=trike.count_for(load[busiest]),
                 largest_catchment=towns[busiest].name,
                 largest_catchment_parcels=load[busiest])


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
    return [int(k) for k in np.argmin(dist, axis=1)]


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


def scenario_toml(*, name: str, title: str, header: Sequence[str], osm: str,
                  boundary: str | None, hubs: Sequence[Hub], van: VehicleSpec,
                  time_limit_s: float, stations: bool = True, engine: str = "ortools",
                  branches: Sequence[Branch] = (), relay: Relay | None = None,
                  trunk: VehicleSpec = TRUNK_TRUCK, trike: VehicleSpec = E_TRIKE,
                  objective: str = "distance", cost_model: str | None = None) -> str:
    """The text of a ``scenario.toml`` in the format :func:`routing.inputs.load_scenario` reads.

    Each table is rendered by its own helper. With ``branches`` it writes the carriers, their
    depots and vans and (for one hub) the ``[consolidated]`` table; with ``relay`` the trunk
    and tricycle types and the ``[relay]`` table; with ``cost_model`` the ``[costs]`` table.
    """
    several = len(hubs) > 1
    sections = [
        "\n".join(f"# {line}" for line in header),
        f"name = {_q(name)}\ntitle = {_q(title)}",
        _network_table(osm, boundary),
        _stops_table(stations),
        *(_depot_table(h) for h in hubs),
    ]
    if branches:
        sections.append("# Each carrier's county branch: 2 km from the seat on a ring, moved to "
                        "the nearest road\n# node (see routing/builder/county.py branch_sites).")
        sections += [_depot_table(b.hub, note=f"{b.offset_m / 1000:.1f} km from the seat, "
                                              f"OSM node {b.hub.osm_id}", hours=False)
                     for b in branches]
    sections += [_vehicle_table(h, van, several=several, explicit=bool(branches)) for h in hubs]
    if relay is not None:
        sections += [
            _type_table(trunk, depot=hubs[0].id, count=relay.trunk_trucks,
                        note=f"ceil(parcels / {trunk.capacity_parcels} x {trunk.slack:g}), "
                             f"at least {trunk.minimum}"),
            _type_table(trike, depot=hubs[0].id, count=relay.trikes_per_station,
                        note="per station, as [relay] local_per_station")]
    sections += [_type_table(van, depot=b.hub.id, type_id=f"{b.carrier.id}-van",
                             count=b.hub.vans, note=f"{b.hub.villages} villages, "
                                  f"{b.carrier.share:.0%} of the parcels")
                 for b in branches]
    sections += [_carrier_table(b) for b in branches]
    if branches and len(hubs) == 1:
        sections.append(f"# Consolidated: one shared fleet from the joint distribution centre."
                        f"\n[consolidated]\ndepot = {_q(hubs[0].id)}\n"
                        f"vehicles = [{_q(van.id)}]")
    if relay is not None:
        sections.append("\n".join([
            "# Township relay: trucks to the township stations, then e-trikes to the villages.",
            "[relay]", f"hub = {_q(hubs[0].id)}", f"trunk_vehicles = [{_q(trunk.id)}]",
            f"local_vehicle = {_q(trike.id)}",
            f"local_per_station = {relay.trikes_per_station}     # busiest catchment: "
            f"{relay.largest_catchment}, {relay.largest_catchment_parcels} parcels",
            "transfer_s = 1200               # unload and hand over at a station"]))
    if cost_model is not None:
        sections.append(f"# The cost model the solver minimises; `ruralroute compare "
                        f"--cost-model` evaluates others.\n[costs]\nmodel = {_q(cost_model)}")
    sections += [
        ("[service]\nper_stop_s = 300     # park, hand over to the village service point, sign\n"
         "per_parcel_s = 10    # scan and unload one parcel"),
        (f'[solver]\nengine = {_q(engine)}\ntime_limit_s = {time_limit_s:g}\n'
         'first_solution = "SAVINGS"\nmetaheuristic = "GUIDED_LOCAL_SEARCH"\n'
         f'objective = {_q(objective)}\nseed = 1'),
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


def _depot_table(hub: Hub, *, note: str = "", hours: bool = True) -> str:
    note = note or f"OSM node {hub.osm_id}, {hub.villages} villages"
    lines = ["[[depots]]", f"id = {_q(hub.id)}", f"name = {_q(hub.name)}",
             f"lon = {hub.lon:.7f}            # {note}", f"lat = {hub.lat:.7f}"]
    if hours:
        lines += ['open = "06:00"', 'close = "21:00"']
    return "\n".join(lines)


def _vehicle_table(hub: Hub, van: VehicleSpec, *, several: bool, explicit: bool = False) -> str:
    lines = ["[[vehicle_types]]", f"id = {_q(f'{van.id}-{hub.id}' if several else van.id)}",
             f"name = {_q(van.name)}"]
    if explicit:
        lines.append(f"kind = {_q(van.kind)}")
    if several or explicit:
        lines.append(f"depot = {_q(hub.id)}")
    lines += [f"count = {hub.vans}", f"capacity_parcels = {van.capacity_parcels}",
              f"capacity_kg = {van.capacity_kg}", f"shift_start = {_q(van.shift_start)}",
              f"max_shift_h = {van.max_shift_h:g}"]
    return "\n".join(lines)


def _type_table(spec: VehicleSpec, *, depot: str, count: int, note: str,
                type_id: str | None = None) -> str:
    lines = ["[[vehicle_types]]", f"id = {_q(type_id or spec.id)}", f"name = {_q(spec.name)}",
             f"kind = {_q(spec.kind)}", f"depot = {_q(depot)}",
             f"count = {count}{' ' * max(1, 22 - len(str(count)))}# {note}",
             f"capacity_parcels = {spec.capacity_parcels}", f"capacity_kg = {spec.capacity_kg}"]
    if spec.max_speed_kmh is not None:
        lines.append(f"max_speed_kmh = {spec.max_speed_kmh:g}")
    if spec.avoid_roads:
        lines.append(f"avoid_roads = [{', '.join(_q(r) for r in spec.avoid_roads)}]")
    lines += [f"shift_start = {_q(spec.shift_start)}", f"max_shift_h = {spec.max_shift_h:g}"]
    return "\n".join(lines)


def _carrier_table(branch: Branch) -> str:
    c = branch.carrier
    return "\n".join(["[[carriers]]", f"id = {_q(c.id)}", f"name = {_q(c.name)}",
                      f"share = {c.share:g}", f"depot = {_q(branch.hub.id)}",
                      f"vehicles = [{_q(f'{c.id}-van')}]"])
