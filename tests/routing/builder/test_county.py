"""The county/region scenario builder on a hand-made OSM extract with two county boundaries."""

from __future__ import annotations

import csv
import itertools
import math
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from geodata import Place, read_places, read_road_network
from routing.builder import (
    BRANCH_RING_M,
    CARRIER_SHARES,
    DEFAULT_CARRIERS,
    E_TRIKE,
    LIGHT_VAN,
    TRUNK_TRUCK,
    VanSpec,
    build_county_scenario,
    build_region_scenario,
    nearest_of,
    relay_fleet,
    slug,
    village_demand,
)
from routing.core import STRATEGIES, Echelon, InputError, Objective, Problem, Route, Stop
from routing.inputs import load_scenario, write_scenario
from routing.pipeline import settings_for
from routing.strategies import run_strategy

TWO = Path(__file__).resolve().parents[2] / "data" / "two_counties.osm"


def _driven_m(problem: Problem, route: Route) -> int:
    """The route's metres from the matrices of its vehicle type, summed here."""
    vehicle_type = next(vt for vt in problem.vehicle_types if vt.id == route.vehicle_type)
    distance_m, _ = problem.matrices_for(vehicle_type)
    path = [problem.index[x] for x in (route.depot, *route.stops, route.depot)]
    return sum(int(distance_m[a, b]) for a, b in itertools.pairwise(path))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="module")
def jia(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("jia")
    build_county_scenario(TWO, "Jia County", out, seed=7)
    return out


def test_county_scenario_holds_its_villages_towns_and_seat(jia: Path) -> None:
    villages = {p.name: p for p in read_places(TWO, classes=("village",))}
    rows = _rows(jia / "villages.csv")
    assert sorted(r["name"] for r in rows) == ["甲一", "甲三", "甲二", "甲四"]
    for row in rows:
        place = villages[row["name"]]
        day = village_demand(7, place.osm_id)
        assert row["id"] == f"v{place.osm_id}"
        assert (int(row["parcels"]), int(row["weight_kg"]), int(row["produce_kg"])) == (
            day.parcels, day.weight_kg, day.produce_kg)
        assert sum(int(row[f"parcels_{c}"]) for c in CARRIER_SHARES) == day.parcels
    assert [r["name"] for r in _rows(jia / "townships.csv")] == ["甲镇"]

    sc = load_scenario(jia / "scenario.toml")
    assert sc.name == "jia"
    depot = sc.depots[0]
    # The seat is the city named like the county, not the other city (丙市) inside it.
    assert (depot.id, depot.lon, depot.lat) == ("jia-jdc", pytest.approx(116.05),
                                                pytest.approx(33.051))
    assert sc.consolidated is not None and sc.consolidated.depot == "jia-jdc"
    (van,) = [sc.vehicle_type_by_id[v] for v in sc.consolidated.vehicles]
    parcels = sum(s.parcels for s in sc.stops)
    assert van.count == math.ceil(parcels / 300 * 1.3) and van.capacity_parcels == 300
    assert [s.id for s in sc.stations] == [f"t{p.osm_id}" for p in read_places(
        TWO, classes=("town",)) if p.name == "甲镇"]
    assert sc.network.boundary is not None and sc.network.osm.name == "roads.osm.pbf"


def test_county_scenario_solves_on_roads_cut_to_the_county(jia: Path) -> None:
    sc = load_scenario(jia / "scenario.toml")
    result = run_strategy(sc, "consolidated", settings_for(sc, time_limit_s=1))
    assert not result.unserved
    # the built default engine, for the carriers' feeders and the shared fleet alike
    assert {leg.plan.engine for leg in result.legs} == {"auto(pyvrp)"}
    (shared,) = [leg for leg in result.legs if leg.echelon == Echelon.DELIVERY]
    assert sorted(s for r in shared.plan.routes for s in r.stops) == sorted(
        s.id for s in sc.stops)
    for leg in result.legs:
        for route in leg.plan.routes:
            assert route.distance_m == _driven_m(leg.problem, route), route.vehicle
            assert route.load[0] == sum(leg.problem.stop_by_id[s].parcels for s in route.stops)
    # Jia spans 116.00-116.10 E. Ways with a node within 2 km stay whole (the east-west primary
    # crosses both counties); the north-south roads of Yi, from 116.14 E on, are cut away.
    side_roads = [d["lon"] for _, d in result.geography.network.graph.nodes(data=True)
                  if abs(d["lat"] - 33.05) > 1e-6]
    assert max(side_roads) == pytest.approx(116.12)


def test_county_scenario_has_carriers_relay_and_costs(jia: Path) -> None:
    sc = load_scenario(jia / "scenario.toml")
    stops = sc.stops
    assert [(c.id, c.share) for c in sc.carriers] == [(c.id, c.share) for c in DEFAULT_CARRIERS]
    assert [c.name for c in sc.carriers] == [c.name for c in DEFAULT_CARRIERS]
    for carrier in sc.carriers:
        (vt,) = [sc.vehicle_type_by_id[v] for v in carrier.vehicles]
        assert vt.depot == carrier.depot == f"{carrier.id}-branch" and vt.kind == "van"
        calls = sum(1 for s in stops if s.parcels_by_carrier[carrier.id] or s.produce_kg)
        carried = sum(s.parcels_by_carrier[carrier.id] for s in stops)
        assert vt.count == max(1, math.ceil(max(carried / 300, calls / 20) * 1.3))
    relay = sc.relay
    assert relay is not None and relay.hub == "jia-jdc"
    (trunk,) = [sc.vehicle_type_by_id[v] for v in relay.trunk_vehicles]
    parcels = sum(s.parcels for s in stops)
    assert (trunk.kind, trunk.capacity_parcels) == ("truck", 1200)
    assert trunk.count == max(2, math.ceil(parcels / 1200 * 1.3))
    trike = sc.vehicle_type_by_id[relay.local_vehicle]
    assert (trike.kind, trike.capacity_parcels, trike.max_speed_kmh) == ("tricycle", 120, 30)
    assert set(trike.avoid_roads) == {"motorway", "motorway_link", "trunk", "trunk_link"}
    # One station (甲镇) serves all four villages.
    assert relay.local_per_station == max(2, math.ceil(parcels / 120 * 1.3))
    assert sc.cost_model is not None and sc.cost_model.name == "diesel"
    assert (sc.solver.objective, sc.solver.first_solution) == ("cost", "SAVINGS")
    assert sc.solver.engine == "auto"


def test_branches_ring_the_seat_on_road_nodes(jia: Path) -> None:
    sc = load_scenario(jia / "scenario.toml")
    network = read_road_network(sc.network.osm)
    at_node = {(round(d["lon"], 7), round(d["lat"], 7)) for _, d in network.graph.nodes(data=True)}
    seat = sc.depots[0]
    branches = {d.id: d for d in sc.depots[1:]}
    assert list(branches) == [f"{c.id}-branch" for c in DEFAULT_CARRIERS]
    assert len({(d.lon, d.lat) for d in branches.values()}) == len(branches)
    km_per_deg = (111.3 * math.cos(math.radians(seat.lat)), 111.3)
    for d in branches.values():
        assert (round(d.lon, 7), round(d.lat, 7)) in at_node
        km = math.hypot((d.lon - seat.lon) * km_per_deg[0], (d.lat - seat.lat) * km_per_deg[1])
        # The ring is 2 km; the fixture's roads lie every 0.01-0.02 degrees (1-2 km) apart.
        assert BRANCH_RING_M / 1000 - 1.0 < km < BRANCH_RING_M / 1000 + 1.0
    # The first (EMS) is due north of the seat, the second (ZTO) east-north-east (72 degrees).
    assert branches["ems-branch"].lat > seat.lat
    assert branches["zto-branch"].lon > seat.lon


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_county_scenario_runs_every_strategy(jia: Path, strategy: str) -> None:
    sc = load_scenario(jia / "scenario.toml")
    settings = replace(settings_for(sc, time_limit_s=1), solution_limit=50)
    result = run_strategy(sc, strategy, settings)
    assert not result.unserved
    # every village's parcels and produce handed over, whatever the echelons in between
    assert result.delivered() == (sum(s.parcels for s in sc.stops),
                                  sum(s.weight_kg for s in sc.stops),
                                  sum(s.produce_kg for s in sc.stops))
    final = [s for leg in result.legs if leg.echelon not in ("trunk", "feeder")
             for r in leg.plan.routes for s in r.stops]
    assert set(final) == {s.id for s in sc.stops}
    # pooled: one visit per village; independent: at most one per carrier
    most = len(sc.carriers) if strategy == "independent" else 1
    assert max(Counter(final).values()) <= most
    if strategy != "independent":
        assert len(final) == len(sc.stops)
    for leg in result.legs:
        assert all(r.distance_m == _driven_m(leg.problem, r) for r in leg.plan.routes), leg.label


def test_fleet_rules_take_time_or_load_whichever_binds() -> None:
    # A carrier's van: 60 villages with 100 parcels in all is 3 shifts, not 1 load.
    assert LIGHT_VAN.count_for(100, stops=60) == math.ceil(60 / 20 * 1.3) == 4
    # The shared fleet: 3,000 parcels at 100 villages is 10 loads.
    assert LIGHT_VAN.count_for(3000, stops=100) == math.ceil(3000 / 300 * 1.3) == 13
    assert TRUNK_TRUCK.count_for(100) == 2 and TRUNK_TRUCK.count_for(5418) == 6
    assert E_TRIKE.count_for(10) == 2 and E_TRIKE.count_for(704) == 8


def test_relay_sized_for_the_busiest_nearest_station_catchment() -> None:
    towns = [Place(1, "town", "西镇", "", 116.00, 33.0), Place(2, "town", "东镇", "", 116.20, 33.0)]
    stops = [Stop(f"v{k}", "", 116.01 + 0.01 * k, 33.0, parcels=p, weight_kg=p)
             for k, p in enumerate((100, 100, 100, 50, 50))]
    assert nearest_of(towns, stops) == [0, 0, 0, 0, 0]
    far = [replace(s, lon=s.lon + 0.15) if k >= 3 else s for k, s in enumerate(stops)]
    relay = relay_fleet(towns, far)
    # 西镇 keeps 300 parcels (ceil(300 / 120 x 1.3) = 4), 东镇 gets 100.
    assert (relay.largest_catchment, relay.largest_catchment_parcels) == ("西镇", 300)
    assert relay.trikes_per_station == 4 and relay.trunk_trucks == 2


def test_county_without_a_city_falls_back_to_the_central_town(tmp_path: Path) -> None:
    built = build_county_scenario(TWO, "1002", tmp_path)
    (hub,) = built.hubs
    assert hub.name.startswith("乙镇") and hub.villages == built.villages == 3
    sc = load_scenario(built.scenario)
    assert sc.depots[0].id == "yi-jdc"
    # Its two towns are the relay's stations: 乙镇 (also the hub) and 远镇.
    assert sc.relay is not None and len(sc.stations) == 2


def test_demand_follows_the_seed(tmp_path: Path) -> None:
    a = build_county_scenario(TWO, "乙县", tmp_path / "a", seed=1)
    b = build_county_scenario(TWO, "乙县", tmp_path / "b", seed=2)
    assert _rows(a.scenario.parent / "villages.csv") != _rows(b.scenario.parent / "villages.csv")
    again = build_county_scenario(TWO, "乙县", tmp_path / "again", seed=1)
    assert _rows(again.scenario.parent / "villages.csv") == _rows(
        a.scenario.parent / "villages.csv")
    assert a.parcels == sum(int(r["parcels"]) for r in _rows(a.scenario.parent / "villages.csv"))


def test_unknown_county_raises(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no admin_level=6 boundary named 'Atlantis'"):
        build_county_scenario(TWO, "Atlantis", tmp_path)
    assert not (tmp_path / "scenario.toml").exists()


def test_region_serves_every_village_from_its_nearest_seat(tmp_path: Path) -> None:
    built = build_region_scenario(TWO, tmp_path, name="two", title="Two counties",
                                  van=VanSpec(slack=2.0))
    sc = load_scenario(built.scenario)
    assert len(sc.stops) == 8  # all villages of the file, also the one outside both counties
    # Hubs: the seats named *县/*市 (甲县 and 丙市); 外村 far east is nearest 甲县.
    by_name = {h.name: h for h in built.hubs}
    assert set(by_name) == {"甲县 county hub", "丙市 county hub"}
    assert sum(h.villages for h in built.hubs) == 8
    assert {vt.depot for vt in sc.vehicle_types} == {d.id for d in sc.depots}
    for hub in built.hubs:
        (vt,) = [v for v in sc.vehicle_types if v.depot == hub.id]
        assert vt.count == hub.vans >= 1
    assert sc.stations == () and sc.solver.engine == "auto"
    assert sc.network.osm.resolve() == TWO.resolve()


def test_slug() -> None:
    assert slug("Guoyang County", fallback="x") == "guoyang"
    assert slug("Tianjia'an District", fallback="x") == "tianjia-an"
    assert slug("", fallback="county-7") == "county-7"


def test_cli_list_new_and_bad_county(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["scenario", "list", "--osm", str(TWO)])
    assert listed.exit_code == 0, listed.output
    assert "甲县 (Jia County)" in listed.output and "1002" in listed.output
    made = runner.invoke(main, ["scenario", "new", "--osm", str(TWO), "--county", "jia",
                                "--out", str(tmp_path / "jia"), "--seed", "3"])
    assert made.exit_code == 0, made.output
    assert load_scenario(tmp_path / "jia" / "scenario.toml").name == "jia"
    bad = runner.invoke(main, ["scenario", "new", "--osm", str(TWO), "--county", "Nowhere",
                               "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2
    errors = [line for line in bad.output.splitlines() if line.strip()]
    assert len(errors) == 1 and errors[0].startswith("error: ") and "Nowhere" in errors[0]
    neither = runner.invoke(main, ["scenario", "new", "--osm", str(TWO), "--out", str(tmp_path)])
    assert neither.exit_code == 2 and "--county" in neither.output


def test_a_built_county_file_says_how_it_was_built_and_reads_back_unchanged(jia: Path,
                                                                          tmp_path: Path) -> None:
    text = (jia / "scenario.toml").read_text(encoding="utf-8")
    header = text.split("\nname = ")[0].splitlines()
    assert all(line.startswith("#") for line in header)
    assert header[0].startswith("# 甲县 (Jia County): one day of village delivery")
    # the comments a hand-written file had beside its fields are kept in the header
    assert ("#   e-trike: per station, as relay.local_per_station: ceil(parcels / 120 x 1.3), "
            "at least 2") in header
    assert any("service.per_parcel_s: scan and unload one parcel" in line for line in header)
    assert "#   ems-branch: " in text and "(c) OpenStreetMap contributors" in text
    sc = load_scenario(jia / "scenario.toml")
    assert sc.solver.objective is Objective.COST
    # the scenario written again from what was read is the same scenario, roads and all
    write_scenario(tmp_path / "again" / "scenario.toml", sc)
    again = load_scenario(tmp_path / "again" / "scenario.toml")
    assert replace(again, path=sc.path, network=sc.network) == sc
    assert again.network.osm.resolve() == sc.network.osm.resolve()


def test_built_files_are_listed_and_townships_keep_their_english_names(tmp_path: Path) -> None:
    built = build_county_scenario(TWO, "Jia County", tmp_path, seed=7)
    assert [p.name for p in built.files] == ["scenario.toml", "roads.osm.pbf", "boundary.geojson",
                                             "villages.csv", "townships.csv"]
    assert all(p.is_file() for p in built.files)
    (town,) = [p for p in read_places(TWO, classes=("town",)) if p.name == "甲镇"]
    (row,) = _rows(tmp_path / "townships.csv")
    assert (row["id"], row["name"], row["name_en"]) == (f"t{town.osm_id}", "甲镇", "Jiazhen")
    assert row["lon"] == f"{town.lon:.7f}"


def test_a_region_file_says_its_hubs_are_sized_by_parcels_alone(tmp_path: Path) -> None:
    built = build_region_scenario(TWO, tmp_path, name="two", title="Two counties")
    text = built.scenario.read_text(encoding="utf-8")
    assert "# for the parcels of the villages it serves: ceil(parcels / 300 x 1.3), at least 1:" \
        in text
    assert "villages / 20" not in text
    assert [p.name for p in built.files] == ["scenario.toml", "villages.csv", "counties.geojson"]
