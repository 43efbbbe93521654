"""Build a ready-to-solve scenario folder for one county of an OSM extract.

A county scenario is built like the shipped Guoyang one (see ``scenarios/guoyang/README.md``)
and runs all three strategies of :mod:`routing.strategies`:

* ``roads.osm.pbf``: the file's ``highway`` ways with a node within
  :data:`geodata.roads.BOUNDARY_BUFFER_M` of the county, their nodes and the county's places,
  cut with pyosmium (~100 kB a county, so a scenario is self-contained and reads in a second;
  :mod:`routing.builder.extract`);
* ``boundary.geojson``: the county polygon (OSM ``admin_level=6`` relation);
* ``villages.csv``: the ``place=village`` nodes inside it, ids ``v<osm id>``, with the seeded
  demand of :mod:`routing.builder.demand` split among the carriers by their shares;
* ``townships.csv``: the ``place=town`` nodes inside it, ids ``t<osm id>`` (relay stations);
* ``scenario.toml``: the county seat as joint distribution centre with the shared light-van
  fleet (``[consolidated]``), the five carriers of :data:`DEFAULT_CARRIERS` with a branch depot
  each (:func:`branch_sites`) and their own vans (``[[carriers]]``), trunk trucks and
  electric tricycles for the township relay (``[relay]``), the diesel cost model and the cost
  objective. Fleet sizes follow :meth:`~routing.builder.fleet.VehicleSpec.count_for` (see
  :mod:`routing.builder.fleet`).

The scenario is assembled as a :class:`~routing.inputs.Scenario` and written by
:func:`routing.inputs.write_scenario`, with a header comment saying how it was built and sized.
A region scenario (every village of a file) is :mod:`routing.builder.region`'s.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyproj
import shapely

from geodata import (
    NO_STOPPING_HIGHWAYS,
    County,
    Place,
    RoadNetwork,
    find_county,
    read_counties,
    read_places,
    read_road_network,
)
from routing.builder.demand import split_by_share, village_demand
from routing.builder.extract import ATTRIBUTION, cut_roads, write_boundary
from routing.builder.fleet import (
    E_TRIKE,
    LIGHT_VAN,
    TRUNK_TRUCK,
    Located,
    Relay,
    VanSpec,
    VehicleSpec,
    relay_fleet,
)
from routing.core import Carrier, Depot, InputError, ModelError, Objective, Stop, VehicleType
from routing.inputs import (
    FeederSpec,
    FleetSpec,
    NetworkSpec,
    RelaySpec,
    Scenario,
    ServiceSpec,
    SolverSpec,
    load_cost_model,
    write_scenario,
)

#: Seed of the shipped scenarios' demand.
DEFAULT_SEED = 20261125

#: Straight-line distance of a carrier's branch depot from the county seat before it is moved
#: onto the nearest road node (see :func:`branch_sites`).
BRANCH_RING_M = 2_000.0

#: Opening hours of a hub (the county joint distribution centre), seconds since midnight.
HUB_HOURS_S = (6 * 3600, 21 * 3600)

#: Villages further than this from any mapped road are reported unserved.
MAX_ACCESS_M = 5_000.0

#: Service at a village: park, hand over to the village service point and sign (per stop);
#: scan and unload (per parcel); at the depot before every trip, unload produce and load the
#: sorted parcels (as in Guoyang's scenario).
SERVICE = ServiceSpec(per_stop_s=300, per_parcel_s=10, load_s=900)

#: The carriers' vans leave their branches for the hub at 06:30; the pooled fleet leaves half an
#: hour after the last has unloaded (as in Guoyang's scenario).
FEEDERS = FeederSpec(depart_s=6 * 3600 + 1800, sort_s=1800)

#: Seconds to unload and hand over at a township station.
TRANSFER_S = 1200

#: What the fields every built scenario has mean (comments a TOML writer cannot keep).
FIELD_NOTES = (
    "network.max_access_m: villages further than this from any mapped road are reported",
    "  unserved. service.per_stop_s: park, hand over to the village service point, sign;",
    "  service.per_parcel_s: scan and unload one parcel.",
    "solver.engine: auto runs PyVRP on both cores in rounds, sharing the best checked plan;",
    "  OR-Tools for what PyVRP cannot model.",
)


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
class Hub:
    """A depot the scenario plans from, with the van count its villages call for."""

    id: str
    name: str
    lon: float
    lat: float
    osm_id: int
    vans: int
    villages: int

    def depot(self, *, hours: bool = True) -> Depot:
        """The scenario's depot, at 7 decimals (~1 cm), open :data:`HUB_HOURS_S` if ``hours``."""
        open_s, close_s = HUB_HOURS_S if hours else (0, 48 * 3600)
        return Depot(id=self.id, name=self.name, lon=float(f"{self.lon:.7f}"),
                     lat=float(f"{self.lat:.7f}"), open_s=open_s, close_s=close_s)


@dataclass(frozen=True)
class Branch:
    """A carrier's county branch: where :func:`branch_sites` put it and its own vans."""

    carrier: CarrierSpec
    hub: Hub
    offset_m: float


@dataclass(frozen=True)
class BuiltScenario:
    """What :func:`build_county_scenario` or
    :func:`~routing.builder.region.build_region_scenario` wrote."""

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
    chosen, villages, seat, towns = _county_places(osm, county)
    stops = village_stops(villages, seed=seed, shares={c.id: c.share for c in carriers})
    parcels = sum(s.parcels for s in stops)
    name = slug(chosen.name_en, fallback=f"county-{chosen.osm_id}")
    hub = Hub(id=f"{name}-jdc", name=f"{seat.name} county joint distribution centre",
              lon=seat.lon, lat=seat.lat, osm_id=seat.osm_id,
              vans=van.count_for(parcels, stops=len(stops)), villages=len(stops))

    out_dir.mkdir(parents=True, exist_ok=True)
    roads = cut_roads(osm, chosen.polygon, out_dir / "roads.osm.pbf")
    branches = carrier_branches(carriers, stops, seat, read_road_network(
        roads, boundary=chosen.polygon), van)
    relay = relay_fleet(towns, stops, trunk=trunk, trike=trike) if towns else None
    boundary = write_boundary(out_dir / "boundary.geojson", chosen)
    fleet = CountyFleet(hub, tuple(branches), van, relay, trunk, trike)
    title = f"{chosen.label} — village delivery by carriers, consolidated or by township relay"
    scenario = county_scenario(
        name=name, title=title, path=out_dir / "scenario.toml",
        network=NetworkSpec(osm=roads, boundary=boundary, max_access_m=MAX_ACCESS_M),
        stops=stops, stations=town_stations(towns), fleet=fleet,
        solver=SolverSpec(engine="auto", time_limit_s=time_limit_s, objective=Objective.COST))
    header = [f"{chosen.label}: one day of village delivery, planned three ways: each carrier",
              "from its own branch (independent), one shared fleet from the county joint",
              "distribution centre (consolidated), or trucks to township stations and",
              "e-trikes on to the villages (township-relay).",
              f"Built by `ruralroute scenario new` from {osm.name} (relation {chosen.osm_id});",
              f"demand seed {seed}, synthetic. Roads, places: {ATTRIBUTION}.", "",
              *fleet.notes(parcels), *FIELD_NOTES]
    written = write_scenario(scenario.path, scenario, header=header,
                             station_names_en={f"t{t.osm_id}": t.name_en for t in towns})
    return BuiltScenario(scenario.path, title, (hub,), len(stops), len(towns), parcels,
                         (written[0], roads, boundary, *written[1:]),
                         branches=tuple(branches), relay=relay)


def _county_places(osm: Path, county: str) -> tuple[County, list[Place], Place, list[Place]]:
    """The county, its villages, its seat and its towns, read from ``osm``."""
    villages_all = read_places(osm, classes=("village",))
    chosen = find_county(read_counties(osm, villages=villages_all), county, path=osm)
    villages = [v for v in villages_all
                if chosen.polygon.contains(shapely.Point(v.lon, v.lat))]
    if not villages:
        raise InputError(osm, "county", f"{chosen.label} (relation {chosen.osm_id}) holds no "
                         f"place=village node; choose a county with villages "
                         f"(`ruralroute scenario list --osm {osm}`)")
    places = read_places(osm, classes=("town", "city", "county"))
    towns = [p for p in places if p.place == "town"
             and chosen.polygon.contains(shapely.Point(p.lon, p.lat))]
    return chosen, villages, county_seat(chosen, places), towns


def carrier_branches(carriers: Sequence[CarrierSpec], stops: Sequence[Stop], seat: Place,
                     network: RoadNetwork, van: VehicleSpec) -> list[Branch]:
    """Each carrier's branch at its :func:`branch_sites` site, with vans for the villages it
    calls at (its parcels or produce there) and the parcels it carries."""
    branches = []
    for carrier, (lon, lat, node, offset_m) in zip(
            carriers, branch_sites(seat, network, len(carriers)), strict=True):
        calls = [s for s in stops if s.parcels_by_carrier[carrier.id] > 0 or s.produce_kg > 0]
        carried = sum(s.parcels_by_carrier[carrier.id] for s in stops)
        branches.append(Branch(carrier, Hub(
            id=f"{carrier.id}-branch", name=f"{carrier.name} county branch", lon=lon, lat=lat,
            osm_id=node, vans=van.count_for(carried, stops=len(calls)), villages=len(calls)),
            offset_m))
    return branches


def town_stations(towns: Iterable[Place]) -> tuple[Depot, ...]:
    """Township seats as relay stations, ids ``t<osm id>``, at 7 decimals (~1 cm)."""
    return tuple(Depot(id=f"t{t.osm_id}", name=t.name, lon=float(f"{t.lon:.7f}"),
                       lat=float(f"{t.lat:.7f}")) for t in towns)


@dataclass(frozen=True)
class CountyFleet:
    """A county's fleets as sized: the shared vans at the hub, each carrier's at its branch and
    the relay's trucks and tricycles (when the county has towns)."""

    hub: Hub
    branches: tuple[Branch, ...]
    van: VehicleSpec
    relay: Relay | None
    trunk: VehicleSpec
    trike: VehicleSpec

    def vehicle_types(self) -> tuple[VehicleType, ...]:
        """The shared vans, the relay's trucks and tricycles, then each carrier's vans."""
        hub = self.hub.id
        types = [self.van.vehicle_type(depot=hub, count=self.hub.vans)]
        if self.relay is not None:
            types += [self.trunk.vehicle_type(depot=hub, count=self.relay.trunk_trucks),
                      self.trike.vehicle_type(depot=hub, count=self.relay.trikes_per_station)]
        types += [self.van.vehicle_type(depot=b.hub.id, count=b.hub.vans,
                                        type_id=f"{b.carrier.id}-van") for b in self.branches]
        return tuple(types)

    def relay_spec(self) -> RelaySpec | None:
        """The ``[relay]`` table: trucks from the hub, tricycles at every station."""
        if self.relay is None:
            return None
        return RelaySpec(hub=self.hub.id, trunk_vehicles=(self.trunk.id,),
                         local_vehicle=self.trike.id,
                         local_per_station=self.relay.trikes_per_station, transfer_s=TRANSFER_S)

    def notes(self, parcels: int) -> list[str]:
        """The header lines that say where the depots stand and how each fleet was sized."""
        h = self.hub
        lines = [f"Depots: {h.id} at the county seat (OSM node {h.osm_id}, {h.villages} "
                 f"villages).", "Each carrier's branch stands 2 km from the seat on a ring, "
                 "moved to the nearest", "road node (routing/builder/county.py branch_sites):"]
        lines += [f"  {b.hub.id}: {b.offset_m / 1000:.1f} km from the seat, OSM node "
                  f"{b.hub.osm_id}" for b in self.branches]
        lines += ["Vehicle counts (routing/builder/fleet.py):",
                  f"  {self.van.id}, the shared fleet: {self.van.rule()},",
                  f"    for {h.villages} villages and {parcels} parcels"]
        lines += [f"  {b.carrier.id}-van: the same rule, for {b.hub.villages} villages and "
                  f"{b.carrier.share:.0%} of the parcels" for b in self.branches]
        if self.relay is not None:
            lines += [f"  {self.trunk.id}: {self.trunk.rule()}",
                      f"  {self.trike.id}: per station, as relay.local_per_station: "
                      f"{self.trike.rule()}",
                      f"    for the busiest catchment, {self.relay.largest_catchment} "
                      f"({self.relay.largest_catchment_parcels} parcels)",
                      "Township relay: trucks to the township stations, then e-trikes to the "
                      "villages;", "  relay.transfer_s: unload and hand over at a station."]
        return [*lines, "Consolidated: one shared fleet from the joint distribution centre.",
                "costs.model: the cost model the solver minimises; `ruralroute compare "
                "--cost-model`", "  evaluates others."]


def county_scenario(*, name: str, title: str, path: Path, network: NetworkSpec,
                    stops: tuple[Stop, ...], stations: tuple[Depot, ...], fleet: CountyFleet,
                    solver: SolverSpec) -> Scenario:
    """A county's scenario: the hub and branches, every fleet, the carriers, the shared fleet
    (``[consolidated]``), the relay and the diesel cost model."""
    branches = fleet.branches
    carriers = tuple(Carrier(id=b.carrier.id, name=b.carrier.name, share=b.carrier.share,
                             depot=b.hub.id, vehicles=(f"{b.carrier.id}-van",))
                     for b in branches)
    return Scenario(
        name=name, title=title, path=path, network=network,
        depots=(fleet.hub.depot(), *(b.hub.depot(hours=False) for b in branches)),
        stops=stops, vehicle_types=fleet.vehicle_types(), stations=stations, service=SERVICE,
        feeders=FEEDERS, solver=solver, carriers=carriers,
        consolidated=FleetSpec(fleet.hub.id, (fleet.van.id,)) if branches else None,
        relay=fleet.relay_spec(), cost_model=load_cost_model("diesel"))


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


