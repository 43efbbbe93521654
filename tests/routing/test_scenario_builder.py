"""The county/region scenario builder on a hand-made OSM extract with two county boundaries."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from geodata.places import read_places
from routing.demand import village_demand
from routing.errors import InputError
from routing.pipeline import plan_scenario, settings_for
from routing.scenario import load_scenario
from routing.scenario_builder import (
    CARRIER_SHARES,
    VanSpec,
    build_county_scenario,
    build_region_scenario,
    slug,
)

TWO = Path(__file__).resolve().parents[1] / "data" / "two_counties.osm"


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
    (depot,) = sc.depots
    # The seat is the city named like the county, not the other city (丙市) inside it.
    assert (depot.id, depot.lon, depot.lat) == ("jia-jdc", pytest.approx(116.05),
                                                pytest.approx(33.051))
    (van,) = sc.vehicle_types
    parcels = sum(s.parcels for s in sc.stops)
    assert van.count == math.ceil(parcels / 300 * 1.3) and van.capacity_parcels == 300
    assert [s.id for s in sc.stations] == [f"t{p.osm_id}" for p in read_places(
        TWO, classes=("town",)) if p.name == "甲镇"]
    assert sc.network.boundary is not None and sc.network.osm.name == "roads.osm.pbf"


def test_county_scenario_solves_on_roads_cut_to_the_county(jia: Path) -> None:
    sc = load_scenario(jia / "scenario.toml")
    result = plan_scenario(sc, settings_for(sc, time_limit_s=1))
    assert result.check.ok
    assert not result.plan.unserved
    assert sorted(s for r in result.plan.routes for s in r.stops) == sorted(
        s.id for s in sc.stops)
    # Jia spans 116.00-116.10 E. Ways with a node within 2 km stay whole (the east-west primary
    # crosses both counties); the north-south roads of Yi, from 116.14 E on, are cut away.
    side_roads = [d["lon"] for _, d in result.geography.network.graph.nodes(data=True)
                  if abs(d["lat"] - 33.05) > 1e-6]
    assert max(side_roads) == pytest.approx(116.12)


def test_county_without_a_city_falls_back_to_the_central_town(tmp_path: Path) -> None:
    built = build_county_scenario(TWO, "1002", tmp_path)
    (hub,) = built.hubs
    assert hub.name.startswith("乙镇") and hub.villages == built.villages == 3
    assert load_scenario(built.scenario).depots[0].id == "yi-jdc"


def test_demand_follows_the_seed(tmp_path: Path) -> None:
    a = build_county_scenario(TWO, "乙县", tmp_path / "a", seed=1)
    b = build_county_scenario(TWO, "乙县", tmp_path / "b", seed=2)
    assert _rows(a.scenario.parent / "villages.csv") != _rows(b.scenario.parent / "villages.csv")
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
    assert sc.stations == () and sc.solver.engine == "pyvrp"
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
