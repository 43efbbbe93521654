"""County boundaries from OSM: assembly, village counts and name lookup (two-county fixture)."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely

from geodata import County, find_county, read_counties
from routing.core import InputError

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
