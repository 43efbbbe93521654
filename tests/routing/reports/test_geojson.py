"""GeoJSON and CSV export of a hand-built plan: properties, coordinates, Chinese names, clocks."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from shapely.geometry import LineString

from routing.core import ModelError
from routing.reports import (
    STOP_COLUMNS,
    format_clock,
    route_colour,
    route_key,
    routes_geojson,
    stops_geojson,
    stops_table,
    vehicle_colours,
    visit_parts,
    write_csv,
    write_geojson,
)
from tests.routing.reports._plan_fixtures import (
    HOSTILE,
    STOPS,
    make_geometries,
    make_plan,
    make_problem,
    make_trips_plan,
)


@pytest.fixture
def case():
    problem = make_problem()
    plan = make_plan()
    return problem, plan, make_geometries(plan, problem)


def test_routes_geojson_has_one_feature_per_route_with_summary(case):
    _, plan, geometries = case
    data = routes_geojson(plan, geometries)
    assert data["type"] == "FeatureCollection" and "crs" not in data
    assert [f["properties"]["vehicle"] for f in data["features"]] == [
        "light-van-01", "light-van-02"]
    first = data["features"][0]
    assert first["geometry"] == {
        "type": "LineString",
        "coordinates": [[117.0, 34.0], [117.01, 34.01], [117.02, 34.02], [117.0, 34.0]],
    }
    assert first["properties"] == {
        "vehicle": "light-van-01", "trip": 1, "vehicle_type": "light-van", "depot": "hub",
        "stops": 2,
        "parcels": 17, "kg": 40, "distance_km": 84.3, "duration_h": 1.5, "start": "08:00",
        "end": "09:30", "colour": route_colour(0),
    }
    second = data["features"][1]["properties"]
    assert (second["start"], second["end"], second["colour"]) == ("23:00", "+1d 02:00",
                                                                  route_colour(1))
    json.dumps(data, allow_nan=False)


def test_routes_geojson_rounds_coordinates_to_six_decimals(case):
    _, plan, geometries = case
    geometries["light-van-01"] = LineString([(117.123456789, 34.987654321), (117.0, 34.0)])
    coords = routes_geojson(plan, geometries)["features"][0]["geometry"]["coordinates"]
    assert coords[0] == [117.123457, 34.987654]


def test_routes_geojson_names_the_route_without_geometry(case):
    _, plan, geometries = case
    del geometries["light-van-02"]
    with pytest.raises(ModelError, match="light-van-02"):
        routes_geojson(plan, geometries)


def test_stops_table_lists_every_stop_once_with_its_visit(case):
    problem, plan, _ = case
    rows = stops_table(plan, problem)
    assert [r["stop_id"] for r in rows] == ["s1", "s2", "s3", "s4", "s5"]
    assert all(tuple(r) == STOP_COLUMNS for r in rows)
    visits = {r["stop_id"]: (r["vehicle"], r["trip"], r["position"], r["arrival"])
              for r in rows}
    assert visits == {
        "s1": ("light-van-01", 1, 1, "08:05"),
        "s2": ("light-van-01", 1, 2, "08:40"),
        "s3": ("light-van-02", 1, 1, "23:50"),
        "s4": ("light-van-02", 1, 2, "+1d 01:10"),
        "s5": ("", None, None, ""),
    }
    assert all(r["visit"] == "" for r in rows)
    assert rows[4]["unserved_reason"] == "beyond max route duration"
    assert all(r["unserved_reason"] == "" for r in rows[:4])
    assert (rows[0]["name"], rows[0]["name_en"], rows[0]["produce_kg"]) == ("大许", "Daxu", 50)


def test_stops_table_takes_the_reason_of_stops_excluded_before_solving():
    problem = make_problem(excluded={"s5": "no road within 2 km"})
    plan = replace(make_plan(), unserved=())
    assert stops_table(plan, problem)[4]["unserved_reason"] == "no road within 2 km"


def test_stops_geojson_has_depots_and_stops_as_points(case):
    problem, plan, _ = case
    features = stops_geojson(plan, problem)["features"]
    kinds = [(f["properties"]["kind"], f["properties"]["stop_id"]) for f in features]
    assert kinds == [("depot", "hub"), ("stop", "s1"), ("stop", "s2"), ("stop", "s3"),
                     ("stop", "s4"), ("stop", "s5")]
    assert all(f["geometry"]["type"] == "Point" for f in features)
    assert features[1]["geometry"]["coordinates"] == [117.01, 34.01]
    keys = {tuple(f["properties"]) for f in features}
    assert keys == {("kind", *STOP_COLUMNS)}
    assert features[5]["properties"]["unserved_reason"] == "beyond max route duration"


def test_write_geojson_keeps_chinese_readable(case, tmp_path: Path):
    problem, plan, _ = case
    path = write_geojson(tmp_path / "out" / "stops.geojson", stops_geojson(plan, problem))
    text = path.read_text(encoding="utf-8")
    assert "大许" in text and "\\u" not in text
    assert json.loads(text) == stops_geojson(plan, problem)


def test_write_csv_round_trips_with_bom_and_stable_columns(case, tmp_path: Path):
    problem, plan, _ = case
    path = write_csv(tmp_path / "stops.csv", stops_table(plan, problem))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
    assert tuple(reader.fieldnames) == STOP_COLUMNS
    assert [r["name"] for r in rows] == ["大许", HOSTILE, "王庄", "李村", "张集"]
    assert rows[1]["name_en"] == "Bad`${x}\\"
    assert (rows[4]["vehicle"], rows[4]["position"], rows[4]["arrival"]) == ("", "", "")
    assert rows[3]["arrival"] == "+1d 01:10"


def test_write_csv_rejects_ragged_rows(tmp_path: Path):
    with pytest.raises(ValueError, match="row 2"):
        write_csv(tmp_path / "x.csv", [{"a": 1, "b": 2}, {"a": 1}])
    assert write_csv(tmp_path / "empty.csv", []).read_bytes() == b""


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "00:00"), (8 * 3600 + 5 * 60, "08:05"), (8 * 3600 + 5 * 60 + 59, "08:05"),
    (86_399, "23:59"), (86_400, "+1d 00:00"), (25 * 3600 + 10 * 60, "+1d 01:10"),
    (2 * 86_400 + 60, "+2d 00:01"),
])
def test_format_clock(seconds: int, text: str):
    assert format_clock(seconds) == text


def test_format_clock_rejects_negative_times():
    with pytest.raises(ValueError):
        format_clock(-1)


def test_route_colours_are_hex_deterministic_and_distinct():
    colours = [route_colour(i) for i in range(120)]
    assert all(re.fullmatch(r"#[0-9a-f]{6}", c) for c in colours)
    assert colours == [route_colour(i) for i in range(120)]
    assert len(set(colours[:20])) == 20
    assert len(set(colours)) > 110


def test_a_vehicles_trips_share_its_colour_and_vehicles_differ():
    problem, plan = make_problem(), make_trips_plan()
    features = routes_geojson(plan, make_geometries(plan, problem))["features"]
    seen = [(f["id"], f["properties"]["vehicle"], f["properties"]["trip"],
             f["properties"]["colour"]) for f in features]
    assert seen == [("light-van-01", "light-van-01", 1, route_colour(0)),
                    ("light-van-02", "light-van-02", 1, route_colour(1)),
                    ("light-van-01/2", "light-van-01", 2, route_colour(0))]
    assert route_colour(0) != route_colour(1)
    # the second trip is drawn on its own line, not on the first trip's
    assert features[2]["geometry"]["coordinates"] == [[117.0, 34.0], [117.08, 34.09],
                                                      [117.0, 34.0]]
    first, second, again = plan.routes
    assert vehicle_colours([second, again, first]) == {"light-van-01": route_colour(1),
                                                       "light-van-02": route_colour(0)}
    given = routes_geojson(plan, make_geometries(plan, problem),
                           colours={"light-van-01": "#000001", "light-van-02": "#000002"})
    assert [f["properties"]["colour"] for f in given["features"]] == [
        "#000001", "#000002", "#000001"]


def test_a_second_trip_without_its_own_line_is_named_by_trip():
    problem, plan = make_problem(), make_trips_plan()
    geometries = make_geometries(plan, problem)
    assert route_key(plan.routes[2]) == "light-van-01/2" and route_key(plan.routes[0]) == (
        "light-van-01")
    del geometries["light-van-01/2"]
    with pytest.raises(ModelError, match="light-van-01/2"):
        routes_geojson(plan, geometries)


def test_stops_table_says_which_trip_and_which_visit_of_a_split_village():
    halves = (replace(STOPS[0], id="s1#1", parcels=6, weight_kg=15),
              replace(STOPS[0], id="s1#2", parcels=6, weight_kg=15), *STOPS[1:])
    problem = make_problem(halves)
    where = {"s1#1": "s1", "s1#2": "s1"}
    assert visit_parts(problem.stops, where) == {"s1#1": (1, 2), "s1#2": (2, 2)}
    assert visit_parts(problem.stops, {}) == {}
    plan = replace(make_trips_plan(), routes=tuple(
        replace(r, stops=("s1#1", "s2") if r.trip == 1 and r.vehicle.endswith("01") else
                ("s1#2",) if r.trip == 2 else r.stops) for r in make_trips_plan().routes))
    rows = {r["stop_id"]: r for r in stops_table(plan, problem, location_of=where)}
    assert (rows["s1#1"]["name"], rows["s1#1"]["visit"], rows["s1#1"]["trip"]) == (
        "大许", "1/2", 1)
    assert (rows["s1#2"]["name"], rows["s1#2"]["visit"], rows["s1#2"]["trip"],
            rows["s1#2"]["position"]) == ("大许", "2/2", 2, 1)
    assert rows["s2"]["visit"] == ""
