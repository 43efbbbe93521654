"""Build a scenario serving every village of an OSM extract from one hub per county seat.

A region scenario names the OSM file itself instead of a cut, since it needs the whole of it.
It has no carriers and no relay, so only the ``consolidated`` strategy runs on it.
"""

from __future__ import annotations

from pathlib import Path

from geodata import Place, read_places
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
from routing.builder.fleet import VanSpec, nearest_of
from routing.core import InputError, Stop
from routing.inputs import NetworkSpec, Scenario, SolverSpec, write_scenario


def build_region_scenario(osm: str | Path, out_dir: str | Path, *, name: str, title: str,
                          seed: int = DEFAULT_SEED, van: VanSpec | None = None,
                          time_limit_s: float = 120.0, engine: str = "auto") -> BuiltScenario:
    """Write a scenario serving every village of ``osm`` from one hub per county seat.

    Township seats are not written: a region has hundreds, and as stations they would only
    enlarge the travel matrices.

    Hubs are the file's ``place=city|county`` nodes whose name ends in 县 or 市 (county seats
    and county-level cities; a seat mapped twice counts once). Each village belongs to its
    nearest hub in a straight line; hubs without villages are left out, and each hub gets its
    own van type sized to its villages' parcels (:meth:`VanSpec.count_for`), though the solver
    may send any van to any village. The scenario names ``osm`` itself (by a path relative to
    ``out_dir``) rather than a cut, since the whole file is needed. The engine defaults to
    ``auto``, which runs PyVRP on both cores here: on the 1,780-village tile with 253 vans from
    30 hubs, OR-Tools finds no first solution within minutes, PyVRP a full plan in 120 s (see
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
    stops = village_stops(villages, seed=seed, shares=CARRIER_SHARES)
    hubs = _hubs(seat_list, villages, stops, van)
    several = len(hubs) > 1
    scenario = Scenario(
        name=name, title=title, path=out_dir / "scenario.toml",
        network=NetworkSpec(osm=osm, max_access_m=MAX_ACCESS_M),
        depots=tuple(h.depot() for h in hubs), stops=stops,
        vehicle_types=tuple(van.vehicle_type(depot=h.id, count=h.vans,
                                             type_id=f"{van.id}-{h.id}" if several else None)
                            for h in hubs),
        service=SERVICE, solver=SolverSpec(engine=engine, time_limit_s=time_limit_s))
    header = [title,
              f"Every village of {osm.name}, each served from its nearest county seat",
              "(one hub and van type per seat; any van may serve any village).",
              f"Demand seed {seed}; demand is synthetic.",
              f"Roads, places: {ATTRIBUTION}. Built by `ruralroute scenario new --region`.", "",
              f"Hubs: the county seats' OSM nodes, each with its own {van.id} type, counted",
              f"for the parcels of the villages nearest it: {van.rule(villages=False)}:",
              *(f"  {h.id} ({h.name}): OSM node {h.osm_id}, {h.villages} villages"
                for h in hubs),
              *FIELD_NOTES]
    written = write_scenario(scenario.path, scenario, header=header)
    return BuiltScenario(scenario.path, title, tuple(hubs), len(stops), 0,
                         sum(s.parcels for s in stops), written)


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


def _hubs(seats: list[Place], villages: list[Place], stops: tuple[Stop, ...],
          van: VanSpec) -> list[Hub]:
    """A hub per seat with villages nearest it, with vans for their parcels."""
    nearest = nearest_of(seats, villages)
    hubs = []
    for k, seat in enumerate(seats):
        mine = [s for s, owner in zip(stops, nearest, strict=True) if owner == k]
        if not mine:
            continue
        hubs.append(Hub(id=f"hub-{seat.osm_id}", name=f"{seat.name} county hub", lon=seat.lon,
                        lat=seat.lat, osm_id=seat.osm_id,
                        vans=van.count_for(sum(s.parcels for s in mine)), villages=len(mine)))
    return hubs


