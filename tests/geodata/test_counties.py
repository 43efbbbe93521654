"""County boundaries from OSM: assembly, village counts and name lookup (two-county fixture);
county boundary files written, read back and used to place points."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import shapely

from geodata import (
    County,
    CountyBoundary,
    county_of,
    find_county,
    load_counties,
    read_counties,
    read_places,
    save_counties,
)
from routing.core import InputError, ModelError

TWO = Path(__file__).resolve().parents[1] / "data" / "two_counties.osm"


@pytest.fixture(scope="module")
def counties() -> list[County]:
    return read_counties(TWO)


def test_only_whole_county_level_boundaries_are_listed(counties: list[County]) -> None:
    # 1003 lacks its ring way and 1004 is admin_level 5: neither can be built.
    assert [c.osm_id for c in counties] == [1001, 1002]
    jia, yi = counties
    assert (jia.name, jia.name_zh, jia.name_en) == ("甲县 (Jia)", "甲县", "Jia County")
    assert (yi.name_zh, yi.label) == ("乙县", "乙县 (Yi County)")
    assert jia.polygon.bounds == pytest.approx((116.0, 33.0, 116.1, 33.1))
    # The village at 116.30 E lies in neither county; the hamlet is not a village.
    assert (jia.villages, yi.villages) == (4, 3)


@pytest.mark.parametrize("query", ["1002", "r1002", "乙县", "Yi County", "yi county", " YI "])
def test_find_county_by_id_or_any_spelling(counties: list[County], query: str) -> None:
    assert find_county(counties, query, path=TWO).osm_id == 1002


def test_find_county_by_the_name_in_parentheses(counties: list[County]) -> None:
    assert find_county(counties, "jia", path=TWO).osm_id == 1001
    assert find_county(counties, "甲县 (Jia)", path=TWO).osm_id == 1001


def test_unknown_county_is_a_one_line_error_naming_the_fix(counties: list[County]) -> None:
    with pytest.raises(InputError, match=r"two_counties.osm: county: no admin_level=6 boundary "
                                         r"named '丁县'.*scenario list") as info:
        find_county(counties, "丁县", path=TWO)
    assert "\n" not in str(info.value)
    with pytest.raises(InputError, match="no admin_level=6 boundary named '9999'"):
        find_county(counties, "9999", path=TWO)


def test_ambiguous_name_asks_for_the_relation_id(counties: list[County]) -> None:
    twin = County(osm_id=2001, name="乙县", name_zh="乙县", name_en="", villages=0,
                  polygon=shapely.box(117, 33, 117.1, 33.1))
    with pytest.raises(InputError, match=r"matches 2 boundaries.*relation 1002.*relation 2001"):
        find_county([*counties, twin], "乙县", path=TWO)


def test_bad_county_and_missing_file() -> None:
    with pytest.raises(ValueError, match="Polygon"):
        County(osm_id=1, name="x", name_zh="x", name_en="", villages=0,
               polygon=shapely.Point(0, 0))
    with pytest.raises(InputError, match="no such OSM file"):
        read_counties(TWO.with_name("missing.osm"))


# --- county boundary files --------------------------------------------------------------------


def test_saved_counties_load_back_with_names_ids_and_polygons(counties: list[County],
                                                              tmp_path: Path) -> None:
    path = save_counties(counties, tmp_path / "counties.geojson", attribution="(c) OSM")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["type"] == "FeatureCollection" and data["attribution"] == "(c) OSM"
    assert [f["properties"] for f in data["features"]] == [
        {"name": "甲县 (Jia)", "osm_id": 1001}, {"name": "乙县", "osm_id": 1002}]
    loaded = load_counties(path)
    assert [(c.name, c.osm_id) for c in loaded] == [("甲县 (Jia)", 1001), ("乙县", 1002)]
    for before, after in zip(counties, loaded, strict=True):
        assert after.polygon.equals(before.polygon)
    # a file of boundaries read back is written again byte for byte
    again = save_counties(loaded, tmp_path / "again.geojson", attribution="(c) OSM")
    assert again.read_bytes() == path.read_bytes()


def test_a_hand_drawn_county_needs_no_osm_id(tmp_path: Path) -> None:
    box = CountyBoundary(name="my county", polygon=shapely.box(116, 33, 116.1, 33.1))
    (loaded,) = load_counties(save_counties([box], tmp_path / "c.geojson"))
    assert (loaded.name, loaded.osm_id) == ("my county", None)
    assert loaded.polygon.equals(box.polygon)


def test_saving_two_counties_of_one_name_is_refused(tmp_path: Path) -> None:
    box = CountyBoundary(name="x", polygon=shapely.box(0, 0, 1, 1))
    with pytest.raises(ModelError, match="county x: named twice"):
        save_counties([box, box], tmp_path / "c.geojson")
    with pytest.raises(ModelError, match="not a \\(Multi\\)Polygon"):
        CountyBoundary(name="x", polygon=shapely.Point(0, 0))


def test_county_of_places_each_village_in_its_county_and_leaves_outsiders_out(
        counties: list[County]) -> None:
    villages = read_places(TWO, classes=("village",))
    found = county_of({v.name: (v.lon, v.lat) for v in villages}, counties)
    assert found == {"甲一": "甲县 (Jia)", "甲二": "甲县 (Jia)", "甲三": "甲县 (Jia)",
                     "甲四": "甲县 (Jia)", "乙一": "乙县", "乙二": "乙县",
                     "乙三": "乙县"}
    assert "外村" not in found and list(found) == [v.name for v in villages if v.name != "外村"]


def test_county_of_gives_a_border_point_to_the_first_county(counties: list[County]) -> None:
    border = {"on the shared edge": (116.1, 33.05), "far away": (0.0, 0.0)}
    assert county_of(border, counties) == {"on the shared edge": "甲县 (Jia)"}
    assert county_of(border, counties[::-1]) == {"on the shared edge": "乙县"}
    assert county_of({}, counties) == {} and county_of(border, []) == {}


def _feature(name: Any = "a", osm_id: Any = 1,
             geometry: Any = "box") -> dict[str, Any]:
    if geometry == "box":
        geometry = shapely.geometry.mapping(shapely.box(116, 33, 116.1, 33.1))
    return {"type": "Feature", "geometry": geometry,
            "properties": {"name": name, "osm_id": osm_id}}


BOWTIE = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}


@pytest.mark.parametrize(("features", "message"), [
    ([_feature(name=None)], r"features\[0\]\.properties\.name: must be a non-empty string"),
    ([_feature(name="  ")], r"features\[0\]\.properties\.name: must be a non-empty string"),
    ([_feature(), _feature(osm_id=2)],
     r"features\[1\]\.properties\.name: 'a' is also the name of features\[0\]"),
    ([_feature(osm_id="r1")], r"features\[0\]\.properties\.osm_id: must be a positive"),
    ([_feature(osm_id=True)], r"features\[0\]\.properties\.osm_id: must be a positive"),
    ([_feature(geometry={"type": "Point", "coordinates": [116, 33]})],
     r"features\[0\]\.geometry: must be a Polygon or MultiPolygon, got Point"),
    ([_feature(geometry=None)], r"features\[0\]\.geometry: is missing"),
    ([_feature(geometry={"type": "Polygon", "coordinates": "x"})],
     r"features\[0\]\.geometry: is not a GeoJSON geometry"),
    ([_feature(geometry=shapely.geometry.mapping(shapely.box(400000, 3600000, 410000, 3610000)))],
     r"features\[0\]\.geometry: coordinates are not lon/lat degrees"),
    ([_feature(geometry=BOWTIE)], r"features\[0\]\.geometry: is not a valid polygon"),
    ([{"type": "Feature", "geometry": None}], r"features\[0\]\.properties: must be an object"),
    ([], r"features: must be a non-empty list"),
])
def test_a_bad_county_file_names_the_feature_and_field(tmp_path: Path, features: list[Any],
                                                       message: str) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}),
                    encoding="utf-8")
    with pytest.raises(InputError, match=f"^{re.escape(str(path))}: {message}") as info:
        load_counties(path)
    assert "\n" not in str(info.value)


def test_a_county_file_that_is_not_a_feature_collection(tmp_path: Path) -> None:
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(_feature()), encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.geojson: type: must be a GeoJSON Feature"):
        load_counties(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.geojson: file: not valid GeoJSON"):
        load_counties(path)
    with pytest.raises(InputError, match=r"missing\.geojson: file: no such county boundary file"):
        load_counties(tmp_path / "missing.geojson")
