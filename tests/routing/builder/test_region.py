"""The region builder's county boundaries: counties.geojson, ``[network] counties`` and hubs sized
for the villages of their own county (two-county fixture)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import shapely

from geodata import CountyBoundary, county_of, load_counties, read_places
from routing.builder.region import COUNTIES_FILE, build_region_scenario, serving_hubs
from routing.inputs import load_scenario

TWO = Path(__file__).resolve().parents[2] / "data" / "two_counties.osm"

#: A seat for 乙县 in its north-east corner, farther from 乙一 (116.12 E) than 甲县's seat is.
YI_SEAT = ('  <node id="190" lat="33.0800" lon="116.1800"><tag k="place" v="city"/>'
           '<tag k="name" v="乙县"/></node>\n')


@dataclass(frozen=True)
class _At:
    lon: float
    lat: float


def _with_yi_seat(folder: Path) -> Path:
    """The fixture with a county seat in 乙县 as well."""
    text = TWO.read_text(encoding="utf-8")
    anchor = next(line for line in text.splitlines(keepends=True) if 'id="122"' in line)
    out = folder / "three_seats.osm"
    out.write_text(text.replace(anchor, anchor + YI_SEAT, 1), encoding="utf-8")
    return out


def test_the_region_names_its_whole_counties_in_a_boundary_file(tmp_path: Path) -> None:
    built = build_region_scenario(TWO, tmp_path, name="two", title="Two counties")
    assert [p.name for p in built.files] == ["scenario.toml", "villages.csv", COUNTIES_FILE]
    sc = load_scenario(built.scenario)
    assert sc.network.counties == tmp_path / COUNTIES_FILE
    assert 'counties = "counties.geojson"' in built.scenario.read_text(encoding="utf-8")
    counties = load_counties(tmp_path / COUNTIES_FILE)
    # 1003 cannot be assembled and 1004 is admin_level 5: only the two whole counties
    assert [(c.name, c.osm_id) for c in counties] == [("甲县 (Jia)", 1001), ("乙县", 1002)]
    assert counties[0].polygon.bounds == pytest.approx((116.0, 33.0, 116.1, 33.1))
    located = county_of({s.id: (s.lon, s.lat) for s in sc.stops}, counties)
    assert sorted(located.values()).count("乙县") == 3 and len(located) == 7
    text = built.scenario.read_text(encoding="utf-8")
    assert re.search(r"Villages in a county with a hub: 4; in a county\n# without one: 3; "
                     r"in no whole county: 1\.", text)


def test_a_hub_serves_the_villages_of_its_own_county_though_another_is_nearer(
        tmp_path: Path) -> None:
    built = build_region_scenario(_with_yi_seat(tmp_path), tmp_path / "out", name="three",
                                  title="Three seats")
    served = {h.name: h.villages for h in built.hubs}
    # 乙一 lies nearer 甲县's seat but in 乙县, so 乙县's hub serves all three of its villages,
    # and 外村 (in no county) too, being nearest it; 甲县's four are split by nearest seat.
    assert served["乙县 county hub"] == 4
    assert served["甲县 county hub"] + served["丙市 county hub"] == 4
    (yi,) = [vt for vt in load_scenario(built.scenario).vehicle_types if vt.depot == "hub-190"]
    assert yi.count == next(h.vans for h in built.hubs if h.id == "hub-190")


def test_serving_hubs_keeps_a_county_to_its_seats_and_the_rest_to_the_nearest() -> None:
    counties = [CountyBoundary("A", shapely.box(0, 0, 1, 1)),
                CountyBoundary("B", shapely.box(1, 0, 2, 1)),
                CountyBoundary("C", shapely.box(2, 0, 3, 1))]
    seats = [_At(0.2, 0.5), _At(0.8, 0.5), _At(1.9, 0.5)]  # two in A, one in B, none in C
    villages = [_At(0.1, 0.1),   # A, nearest seat 0
                _At(0.95, 0.5),  # A, nearest seat 1
                _At(1.05, 0.5),  # B, nearer seat 1 than B's own seat 2
                _At(2.5, 0.5),   # C has no seat: nearest of all, seat 2
                _At(-0.5, 0.5)]  # in no county: nearest of all, seat 0
    assert serving_hubs(seats, villages, counties) == [0, 1, 2, 2, 0]
    # without counties every village goes to its nearest seat
    assert serving_hubs(seats, villages, []) == [0, 1, 1, 2, 0]


def test_a_file_without_whole_counties_writes_no_counties_file(tmp_path: Path) -> None:
    text = TWO.read_text(encoding="utf-8")
    no_relations = tmp_path / "no_counties.osm"
    no_relations.write_text(re.sub(r"  <relation .*</relation>\n", "", text), encoding="utf-8")
    assert read_places(no_relations, classes=("village",))
    built = build_region_scenario(no_relations, tmp_path / "out", name="x", title="X")
    assert [p.name for p in built.files] == ["scenario.toml", "villages.csv"]
    assert not (tmp_path / "out" / COUNTIES_FILE).exists()
    assert load_scenario(built.scenario).network.counties is None
    assert "No county boundary is whole in the file" in built.scenario.read_text(encoding="utf-8")
