"""Build a scenario serving every village of an OSM extract from one hub per county seat.

A region scenario names the OSM file itself instead of a cut, since it needs the whole of it.
It has no carriers and no relay, so only the ``consolidated`` strategy runs on it. Beside it,
``counties.geojson`` holds the county boundaries whole in the file (``[network] counties``), so
a multi-depot solve can split the villages by county.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from geodata import County, Place, county_of, read_counties, read_places, save_counties
from geodata.counties import Bounded
from routing.builder.county import (
    CARRIER_SHARES,
    DEFAULT_SEED,
    FIELD_NOTES,
    MAX_ACCESS_M,
    SERVICE,
    BuiltScenario,
    Hub,
    village_stops,
)
from routing.builder.extract import ATTRIBUTION
from routing.builder.fleet import Located, VanSpec, nearest_of
from routing.core import InputError, Stop
from routing.inputs import NetworkSpec, Scenario, SolverSpec, write_scenario

#: The county boundary file the region builder writes beside the scenario.
COUNTIES_FILE = "counties.geojson"


def build_region_scenario(osm: str | Path, out_dir: str | Path, *, name: str, title: str,
                          seed: int = DEFAULT_SEED, van: VanSpec | None = None,
                          time_limit_s: float = 120.0, engine: str = "auto") -> BuiltScenario:
    """Write a scenario serving every village of ``osm`` from one hub per county seat.

    Township seats are not written: a region has hundreds, and as stations they would only
    enlarge the travel matrices.

    Hubs are the file's ``place=city|county`` nodes whose name ends in 县 or 市 (county seats
    and county-level cities; a seat mapped twice counts once). The county boundaries whole in
    the file are written to :data:`COUNTIES_FILE` and named by ``[network] counties``. Each
    village belongs to a hub (:func:`serving_hubs`): the seat in its county, else the nearest
    seat in a straight line; hubs without villages are left out, and each hub gets its own van
    type sized to its villages' parcels (:meth:`VanSpec.count_for`), though the solver may send
    any van to any village. The scenario names ``osm`` itself (by a path relative to
    ``out_dir``) rather than a cut, since the whole file is needed. The engine defaults to
    ``auto``, which runs PyVRP on both cores here: on the 1,780-village tile with ~250 vans from
    ~30 hubs, OR-Tools finds no first solution within minutes, PyVRP a full plan in 120 s (see
    ``scenarios/anhui/README.md``).

    Returns
    -------
    BuiltScenario
    """
    osm, out_dir = Path(osm), Path(out_dir)
    van = van or VanSpec()
    villages = read_places(osm, classes=("village",))
    if not villages:
        raise InputError(osm, "places", "holds no place=village node")
    seat_list = county_seats(osm)
    counties = _uniquely_named(read_counties(osm, villages=villages))
    stops = village_stops(villages, seed=seed, shares=CARRIER_SHARES)
    hubs = _hubs(seat_list, stops, counties, van)
    several = len(hubs) > 1
    out_dir.mkdir(parents=True, exist_ok=True)
    counties_file = (save_counties(counties, out_dir / COUNTIES_FILE,
                                   attribution=f"County boundaries: {ATTRIBUTION}")
                     if counties else None)
    scenario = Scenario(
        name=name, title=title, path=out_dir / "scenario.toml",
        network=NetworkSpec(osm=osm, max_access_m=MAX_ACCESS_M, counties=counties_file),
        depots=tuple(h.depot() for h in hubs), stops=stops,
        vehicle_types=tuple(van.vehicle_type(depot=h.id, count=h.vans,
                                             type_id=f"{van.id}-{h.id}" if several else None)
                            for h in hubs),
        service=SERVICE, solver=SolverSpec(engine=engine, time_limit_s=time_limit_s))
    header = [title,
              f"Every village of {osm.name}, each served from the county seat of its county,",
              "or from the nearest seat where its county has none or is not whole in the file",
              "(one hub and van type per seat; any van may serve any village).",
              f"Demand seed {seed}; demand is synthetic.",
              f"Roads, places: {ATTRIBUTION}. Built by `ruralroute scenario new --region`.", "",
              *_counties_lines(counties, stops, hubs),
              f"Hubs: the county seats' OSM nodes, each with its own {van.id} type, counted",
              f"for the parcels of the villages it serves: {van.rule(villages=False)}:",
              *(f"  {h.id} ({h.name}): OSM node {h.osm_id}, {h.villages} villages"
                for h in hubs),
              *FIELD_NOTES]
    written = write_scenario(scenario.path, scenario, header=header)
    files = (*written, counties_file) if counties_file else written
    return BuiltScenario(scenario.path, title, tuple(hubs), len(stops), 0,
                         sum(s.parcels for s in stops), files)


def county_seats(osm: Path) -> list[Place]:
    """The file's county seats: ``place=city|county`` nodes named ``*县`` or ``*市`` (a seat
    mapped twice counts once, as its city node), by OSM id."""
    seats: dict[str, Place] = {}
    candidates = read_places(osm, classes=("city", "county"))
    for p in sorted(candidates, key=lambda q: (q.place != "city", q.osm_id)):
        if p.name.endswith(("县", "市")):
            seats.setdefault(p.name, p)
    if not seats:
        raise InputError(osm, "places", "holds no county seat (place=city|county named *县/*市)")
    return sorted(seats.values(), key=lambda p: p.osm_id)


def serving_hubs(seats: Sequence[Located], villages: Sequence[Located],
                 counties: Sequence[Bounded]) -> list[int]:
    """Index into ``seats`` of the hub that serves each village, and so sizes its vans for it.

    A village in a county that holds a seat is served from that seat (from the nearest of them,
    in a straight line, if the county holds several: a prefecture city's district may); any
    other village, in a county without a seat or in none of ``counties`` (a county cut by the
    file's edge), from the nearest seat of all. County names must be unique.
    """
    def points(items: Sequence[Located]) -> dict[str, tuple[float, float]]:
        return {str(i): (p.lon, p.lat) for i, p in enumerate(items)}

    seat_county = county_of(points(seats), counties)
    village_county = county_of(points(villages), counties)
    seated = set(seat_county.values())
    groups: dict[str | None, list[int]] = {}
    for i in range(len(villages)):
        county = village_county.get(str(i))
        groups.setdefault(county if county in seated else None, []).append(i)
    owner = [0] * len(villages)
    for county, members in groups.items():
        candidates = [k for k in range(len(seats))
                      if county is None or seat_county.get(str(k)) == county]
        nearest = nearest_of([seats[k] for k in candidates], [villages[i] for i in members])
        for i, k in zip(members, nearest, strict=True):
            owner[i] = candidates[k]
    return owner


def _hubs(seats: list[Place], stops: tuple[Stop, ...], counties: Sequence[County],
          van: VanSpec) -> list[Hub]:
    """A hub per seat with villages to serve (:func:`serving_hubs`), with vans for their
    parcels."""
    owner = serving_hubs(seats, stops, counties)
    hubs = []
    for k, seat in enumerate(seats):
        mine = [s for s, o in zip(stops, owner, strict=True) if o == k]
        if not mine:
            continue
        hubs.append(Hub(id=f"hub-{seat.osm_id}", name=f"{seat.name} county hub", lon=seat.lon,
                        lat=seat.lat, osm_id=seat.osm_id,
                        vans=van.count_for(sum(s.parcels for s in mine)), villages=len(mine)))
    return hubs


def _uniquely_named(counties: Sequence[County]) -> list[County]:
    """``counties`` with a repeated OSM name made unique by its relation id (a boundary file
    names each county once)."""
    names = [c.name for c in counties]
    return [c if names.count(c.name) == 1 else replace(c, name=f"{c.name} (relation {c.osm_id})")
            for c in counties]


def _counties_lines(counties: Sequence[County], stops: Sequence[Stop],
                    hubs: Sequence[Hub]) -> list[str]:
    """The header's lines on ``counties.geojson``: how many counties, and villages in them."""
    if not counties:
        return ["No county boundary is whole in the file, so no counties file was written.", ""]
    located = county_of({s.id: (s.lon, s.lat) for s in stops}, counties)
    seated = set(county_of({h.id: (h.lon, h.lat) for h in hubs}, counties).values())
    with_hub = sum(1 for name in located.values() if name in seated)
    return [f"Counties: {COUNTIES_FILE}, the {len(counties)} county boundaries (OSM "
            f"admin_level=6) whole in the file",
            f"({ATTRIBUTION}). Villages in a county with a hub: {with_hub}; in a county",
            f"without one: {len(located) - with_hub}; in no whole county: "
            f"{len(stops) - len(located)}.", ""]
