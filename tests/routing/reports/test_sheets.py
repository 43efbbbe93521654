"""Route sheets: stop rows and cumulative km, the offline sheet map, the PDF and HTML, the CLI,
and the sheets of every strategy's plan folder (carrier shares, relay trunk loads)."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import LineString

from cli import main
from geodata import figure_bytes, route_sheet_map
from geodata.sheetmap import nice_scale_km
from routing.core import STRATEGIES, ModelError, RuralRouteError, VehicleType, split_stop
from routing.inputs import load_scenario
from routing.pipeline import Timings, locate
from routing.reports import (
    CJK_FONT_ENV,
    TRUNK_NOTE,
    SheetBook,
    build_sheets,
    cumulative_distances,
    find_cjk_font,
    format_clock,
    part_labels,
    route_colour,
    sheet_facts,
    sheets_from_plan_dir,
    sheets_html,
    station_loads,
    stop_rows,
    write_sheets,
)
from routing.strategies import carrier_stops
from tests.routing.reports._plan_fixtures import (
    BOUNDARY,
    HOSTILE,
    LOAD_S,
    ROADS,
    STOPS,
    make_geometries,
    make_plan,
    make_problem,
    make_trips_plan,
)

SMALL = Path(__file__).parents[2] / "data" / "small_county"
DAY = dt.date(2026, 5, 1)


def _has_cjk_font() -> bool:
    try:
        find_cjk_font()
    except RuralRouteError:
        return False
    return True


needs_font = pytest.mark.skipif(
    not _has_cjk_font() and not os.environ.get("CI"),
    reason="no CJK font installed (apt-get install fonts-wqy-microhei); .ci/run installs it")


def _with_carriers():
    """The fixture stops, two of them with parcels split by carrier."""
    split = {"s1": {"ems": 7, "zto": 5}, "s3": {"ems": 7}}
    return tuple(replace(s, parcels_by_carrier=split.get(s.id, {})) for s in STOPS)


@pytest.fixture
def book() -> SheetBook:
    problem = make_problem(_with_carriers())
    plan = make_plan()
    sheets = build_sheets(
        plan.routes, stops=problem.stop_by_id, depots=problem.depot_by_id,
        distance_m=problem.distance_m, index=problem.index,
        geometries=make_geometries(plan, problem), title="Test county 测试县",
        strategy="consolidated", day=DAY, vehicle_names={"light-van": "Light van"})
    return SheetBook(sheets, BOUNDARY, ROADS)


def test_cumulative_distances_add_up_the_matrix_legs():
    matrix = np.array([[0, 5, 9], [4, 0, 2], [8, 3, 0]])
    index = {"d": 0, "a": 1, "b": 2}
    assert cumulative_distances(["d", "a", "b", "d"], distance_m=matrix, index=index) == [
        0, 5, 7, 15]
    with pytest.raises(ModelError, match="'x'"):
        cumulative_distances(["d", "x"], distance_m=matrix, index=index)


def test_sheet_rows_follow_the_route_with_carriers_time_and_km(book):
    first = book.sheets[0]
    problem = make_problem()
    legs = [problem.distance_m[problem.index[a], problem.index[b]]
            for a, b in (("hub", "s1"), ("s1", "s2"))]
    assert [s.stop_id for s in first.stops] == ["s1", "s2"]
    assert [s.cumulative_m for s in first.stops] == [legs[0], legs[0] + legs[1]]
    assert first.carriers == ("ems", "zto")
    rows = stop_rows(first)
    assert rows[0] == {"kind": "stop", "no": "1", "name": "大许", "name_en": "Daxu",
                       "parcels": "12",
                       "weight_kg": "30", "produce_kg": "50", "arrival": "08:05",
                       "km": f"{legs[0] / 1000:.1f}", "carrier:ems": "7", "carrier:zto": "5"}
    assert rows[1]["name"] == HOSTILE and rows[1]["carrier:ems"] == "–"
    back = rows[-1]
    assert back["no"] == "" and back["name"] == "县物流中心" and back["kind"] == "back"
    assert [r["kind"] for r in rows] == ["stop", "stop", "back"]
    assert (back["parcels"], back["km"], back["arrival"]) == ("17", "84.3", "09:30")
    facts = dict(sheet_facts(first))
    assert facts["Vehicle 车辆"] == "light-van-01 (Light van)"
    assert facts["Date 日期"] == "2026-05-01"
    assert facts["Totals 合计"] == ("84.3 km · 1.5 h · 2 stops · 17 parcels · "
                                   "50 kg produce")
    assert book.sheets[1].stops[1].arrival_s == 25 * 3600 + 600
    assert stop_rows(book.sheets[1])[1]["arrival"] == "+1d 01:10"


def test_build_sheets_rejects_unknown_stops():
    problem = make_problem()
    plan = make_plan()
    with pytest.raises(ModelError, match="light-van-01"):
        build_sheets(plan.routes, stops={}, depots=problem.depot_by_id,
                     distance_m=problem.distance_m, index=problem.index,
                     geometries=make_geometries(plan, problem), title="t", strategy="s", day=DAY)


@pytest.fixture
def trips_book() -> SheetBook:
    """light-van-01 drives two trips, light-van-02 one (:func:`make_trips_plan`)."""
    problem = make_problem(_with_carriers())
    plan = make_trips_plan()
    sheets = build_sheets(
        plan.routes, stops=problem.stop_by_id, depots=problem.depot_by_id,
        distance_m=problem.distance_m, index=problem.index,
        geometries=make_geometries(plan, problem), title="Test county 测试县",
        strategy="consolidated", day=DAY, vehicle_names={"light-van": "Light van"},
        load_s=LOAD_S)
    return SheetBook(sheets, BOUNDARY, ROADS)


def test_a_two_trip_vehicle_has_one_page_with_its_trips_in_order(trips_book):
    first, again = (r for r in make_trips_plan().routes if r.vehicle == "light-van-01")
    assert (first.trip, again.trip) == (1, 2)
    sheets = trips_book.sheets
    assert [s.vehicle for s in sheets] == ["light-van-01", "light-van-02"]
    sheet = sheets[0]
    assert [t.trip for t in sheet.trips] == [1, 2]
    assert [s.stop_id for s in sheet.stops] == ["s1", "s2", "s5"]
    assert [s.position for s in sheet.stops] == [1, 2, 3]  # numbered through the day
    assert (sheet.start_s, sheet.end_s) == (first.start_s, again.end_s)
    assert sheet.distance_m == first.distance_m + again.distance_m
    assert sheet.colour == route_colour(0) and sheets[1].colour == route_colour(1)
    # the day's line: the first trip's, then the second's
    assert list(sheet.geometry.coords) == [
        (117.0, 34.0), (117.01, 34.01), (117.02, 34.02), (117.0, 34.0), (117.0, 34.0),
        (117.08, 34.09), (117.0, 34.0)]
    rows = stop_rows(sheet)
    assert [r["kind"] for r in rows] == ["stop", "stop", "reload", "stop", "back"]
    leave = again.start_s + LOAD_S
    assert rows[2]["name"] == (f"back at 县物流中心 {format_clock(first.end_s)}, load for trip 2 "
                               f"(load time {LOAD_S // 60} min), leave {format_clock(leave)}")
    assert rows[2]["name"] == ("back at 县物流中心 09:30, load for trip 2 (load time 2 min), "
                               "leave 09:42")
    assert (rows[2]["arrival"], rows[2]["km"]) == ("09:30", "84.3")
    problem = make_problem()
    to_s5 = problem.distance_m[problem.index["hub"], problem.index["s5"]]
    assert rows[3]["no"] == "3" and rows[3]["arrival"] == "09:55"
    assert rows[3]["km"] == f"{(first.distance_m + to_s5) / 1000:.1f}"  # the day's km
    assert (rows[4]["parcels"], rows[4]["arrival"], rows[4]["km"]) == ("19", "10:20", "111.3")
    facts = dict(sheet_facts(sheet))
    assert facts["Totals 合计"] == ("111.3 km · 2.3 h · 2 trips · 3 stops · 19 parcels · "
                                   "50 kg produce")
    assert facts["Trips 趟次"] == "trip 1 08:00–09:30 · trip 2 09:40–10:20"
    assert "Trips 趟次" not in dict(sheet_facts(sheets[1]))


def test_trips_that_overlap_make_no_sheet():
    problem, plan = make_problem(), make_trips_plan()
    early = tuple(replace(r, start_s=9 * 3600) if r.trip == 2 else r for r in plan.routes)
    with pytest.raises(ModelError, match="trip 2 must follow trip 1"):
        build_sheets(early, stops=problem.stop_by_id, depots=problem.depot_by_id,
                     distance_m=problem.distance_m, index=problem.index,
                     geometries=make_geometries(plan, problem), title="t", strategy="s",
                     day=DAY)


def test_html_sheets_show_the_reload_between_trips(trips_book):
    page = sheets_html(trips_book)
    assert page.count('<section class="sheet"') == 2
    assert page.count('<tr class="reload">') == 1
    reload = page.split('<tr class="reload">')[1].split("</tr>")[0]
    assert "back at 县物流中心 09:30, load for trip 2 (load time 2 min), leave 09:42" in reload
    assert 'colspan="' in reload
    first = page.split('<section class="sheet"')[1]
    assert first.index("大许") < first.index("back at 县物流中心 09:30") < first.index("张集")


@needs_font
def test_pdf_of_a_two_trip_vehicle_is_one_page_with_both_trips(trips_book, tmp_path):
    pdf, _ = write_sheets(trips_book, tmp_path)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 2
    text = reader.pages[0].extract_text()
    assert "light-van-01" in text and "张集" in text and "大许" in text
    assert "leave 09:42" in text and "trip 2 09:40–10:20" in text
    assert "张集" not in reader.pages[1].extract_text()


def test_nice_scale_bar_lengths():
    assert nice_scale_km(30) == 5
    assert nice_scale_km(9) == 2
    assert nice_scale_km(0.6) == pytest.approx(0.1)
    with pytest.raises(ValueError):
        nice_scale_km(0)


def test_sheet_map_draws_the_route_in_its_colour(book):
    sheet = book.sheets[0]
    fig = route_sheet_map(sheet.geometry, [(s.lon, s.lat) for s in sheet.stops],
                          (sheet.depot.lon, sheet.depot.lat), colour="#ff0000",
                          boundary=BOUNDARY, roads=ROADS, width_mm=120, height_mm=80)
    data = figure_bytes(fig, dpi=100)
    image = Image.open(io.BytesIO(data)).convert("RGB")
    assert abs(image.size[0] - 472) <= 1 and abs(image.size[1] - 315) <= 1  # 120 x 80 mm
    pixels = np.asarray(image).reshape(-1, 3).astype(int)
    red = ((pixels[:, 0] > 200) & (pixels[:, 1] < 60) & (pixels[:, 2] < 60)).sum()
    grey = ((abs(pixels[:, 0] - 181) < 8) & (abs(pixels[:, 1] - 181) < 8)).sum()
    assert red > 500 and grey > 100
    assert figure_bytes(fig, fmt="svg").startswith(b"<?xml")


def test_sheet_map_numbers_stops_at_one_place_on_one_marker():
    """A relay station split over two trunk loads is one circle labelled "1,2"."""
    line = LineString([(117.0, 34.0), (117.02, 34.01), (117.03, 34.03), (117.0, 34.0)])
    fig = route_sheet_map(line, [(117.02, 34.01), (117.02, 34.01), (117.03, 34.03)],
                          (117.0, 34.0), colour="#1f77b4", width_mm=100, height_mm=60)
    labels = [t.get_text() for t in fig.axes[0].texts]
    assert "1,2" in labels and "3" in labels and "1" not in labels and "2" not in labels


@needs_font
def test_pdf_has_one_page_per_route_with_chinese_and_hostile_names_as_text(book, tmp_path):
    pdf, html_path = write_sheets(book, tmp_path)
    reader = PdfReader(pdf)
    assert len(reader.pages) == 2
    width, height = (float(v) for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 portrait in points
    first = reader.pages[0].extract_text()
    for text in ("Test county 测试县", "大许", "Daxu", HOSTILE, "light-van-01", "08:05",
                 "EMS", "ZTO", "84.3 km"):
        assert text in first, text
    second = reader.pages[1].extract_text()
    assert "王庄" in second and "李村" in second and "+1d 01:10" in second
    fonts = [f.get_object() for f in reader.pages[0]["/Resources"]["/Font"].values()]
    # a composite (CID) font, as CJK text needs, embedded as a subset rather than referenced
    assert any(f["/Subtype"] == "/Type0" and "+" in f["/BaseFont"] for f in fonts), fonts
    assert b"/FontFile2" in pdf.read_bytes()
    assert html_path.name == "sheets.html"


@needs_font
def test_landscape_pdf_pages_are_wider_than_tall(book, tmp_path):
    pdf, _ = write_sheets(book, tmp_path, landscape=True)
    page = PdfReader(pdf).pages[0]
    assert float(page.mediabox[2]) > float(page.mediabox[3])
    assert "大许" in page.extract_text()


def test_html_sheets_escape_names_and_break_pages_when_printed(book):
    page = sheets_html(book)
    assert page.count('<section class="sheet"') == 2
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page
    assert "大许" in page and "Daxu" in page and "Test county 测试县" in page
    assert "@media print" in page and "break-after: page" in page
    assert "@page { size: A4 portrait" in page
    assert page.count('src="data:image/png;base64,') == 2
    assert "http://" not in page and "https://" not in page
    assert "@page { size: A4 landscape" in sheets_html(book, landscape=True)


def test_missing_font_named_by_the_environment_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv(CJK_FONT_ENV, str(tmp_path / "nope.ttf"))
    with pytest.raises(RuralRouteError, match=CJK_FONT_ENV):
        find_cjk_font()


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ruralroute solve --sheets`` on the 9-village scenario; return the output folder."""
    if not _has_cjk_font() and not os.environ.get("CI"):
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    out = tmp_path_factory.mktemp("sheets") / "out"
    result = CliRunner().invoke(main, [
        "solve", str(SMALL / "scenario.toml"), "--out", str(out), "--time-limit", "1",
        "--seed", "3", "--cache-dir", str(_cache(tmp_path_factory)), "--sheets"])
    assert result.exit_code == 0, result.output
    return out


def _cache(factory: pytest.TempPathFactory) -> Path:
    """One matrix cache for the module's solves, so the roads are routed once."""
    return factory.getbasetemp() / "sheets-matrix-cache"


def test_solve_with_sheets_writes_a_page_per_vehicle_naming_every_village(solved):
    plan = json.loads((solved / "plan.json").read_text(encoding="utf-8"))
    reader = PdfReader(solved / "sheets.pdf")
    assert len(reader.pages) == len(plan["vehicles"])
    names = {r["stops"][0] for r in plan["routes"]}
    text = "\n".join(p.extract_text() for p in reader.pages)
    villages = json.loads((solved / "stops.geojson").read_text(encoding="utf-8"))
    by_id = {f["properties"]["stop_id"]: f["properties"]["name"] for f in villages["features"]}
    assert names and all(by_id[n] in text for n in names)
    assert all(by_id[s] in text for r in plan["routes"] for s in r["stops"])
    html = (solved / "sheets.html").read_text(encoding="utf-8")
    assert html.count('<section class="sheet"') == len(plan["vehicles"])


def _trips_of(plan: dict, vehicle: str) -> list[dict]:
    return sorted((r for r in plan["routes"] if r["vehicle"] == vehicle),
                  key=lambda r: r["trip"])


def test_sheets_from_plan_dir_km_add_up_to_the_plan(solved):
    plan = json.loads((solved / "plan.json").read_text(encoding="utf-8"))
    cache = solved.parent.parent / "sheets-matrix-cache"
    book = sheets_from_plan_dir(solved, cache_dir=cache)
    matrices = locate(load_scenario(SMALL / "scenario.toml"), timings=Timings(),
                      cache_dir=cache).matrices
    at = {loc: k for k, loc in enumerate(matrices.ids)}
    assert [s.vehicle for s in book.sheets] == [v["vehicle"] for v in plan["vehicles"]]
    for sheet in book.sheets:
        trips = _trips_of(plan, sheet.vehicle)
        assert [t.trip for t in sheet.trips] == [r["trip"] for r in trips]
        for trip, route in zip(sheet.trips, trips, strict=True):
            path = [route["depot"], *route["stops"], route["depot"]]
            legs = [int(matrices.distance_m[at[a], at[b]]) for a, b in itertools.pairwise(path)]
            # each stop's km is the road metres driven to it; home adds the last leg
            assert [s.cumulative_m for s in trip.stops] == list(
                itertools.accumulate(legs[:-1]))
            assert sum(legs) == route["distance_m"]
            assert [s.arrival_s for s in trip.stops] == route["arrival_s"]
        assert sheet.strategy == plan["strategy"] == "consolidated"
    assert book.boundary is not None and len(book.roads) > 0


def test_sheets_command_reads_a_plan_folder_in_landscape(solved, tmp_path):
    result = CliRunner().invoke(main, ["sheets", str(solved), "--out", str(tmp_path / "s"),
                                       "--landscape", "--cache-dir",
                                       str(solved.parent.parent / "sheets-matrix-cache")])
    assert result.exit_code == 0, result.output
    page = PdfReader(tmp_path / "s" / "sheets.pdf").pages[0]
    assert float(page.mediabox[2]) > float(page.mediabox[3])
    assert (tmp_path / "s" / "sheets.html").stat().st_size > 0


def test_sheets_command_without_a_plan_says_what_to_give(tmp_path):
    result = CliRunner().invoke(main, ["sheets", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "plan.json" in result.output and "ruralroute solve" in result.output


def test_sheets_command_reports_a_plan_without_scenario_file(tmp_path):
    (tmp_path / "plan.json").write_text(json.dumps({"routes": []}), encoding="utf-8")
    result = CliRunner().invoke(main, ["sheets", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "scenario_file" in result.output


def test_station_loads_and_split_visits_say_which_part_they_are():
    """A station's load too big for one truck goes in parts (load k/n, named after the
    station); a village too big for one vehicle gets visits under its own name (visit k of n)."""
    sc = load_scenario(SMALL / "scenario.toml")
    west = next(s for s in sc.stations if s.id == "t-test-west")
    village = sc.stops[0]
    truck = VehicleType("truck", count=2, capacity_parcels=60, capacity_kg=400, depot="hub")
    load = replace(village, id=west.id, name="", parcels=130, weight_kg=260, produce_kg=90,
                   parcels_by_carrier={}, lon=west.lon, lat=west.lat)
    parts = split_stop(load, [truck])
    visits = split_stop(replace(village, parcels=100, weight_kg=200, parcels_by_carrier={}),
                        [truck])
    assert [p.id for p in parts] == [f"{west.id}#{k}" for k in (1, 2, 3)]
    where = {**{p.id: west.id for p in parts}, **{v.id: village.id for v in visits}}
    loads = station_loads(parts, where)
    assert all(loads[p.id].name == west.id for p in parts)  # no name of its own: the station
    assert sum(loads[p.id].parcels for p in parts) == 130
    labels = part_labels([*parts, *visits, sc.stops[1]], where, {s.id for s in sc.stops})
    assert labels == {f"{west.id}#1": "load 1/3", f"{west.id}#2": "load 2/3",
                      f"{west.id}#3": "load 3/3", f"{village.id}#1": "visit 1 of 2",
                      f"{village.id}#2": "visit 2 of 2"}


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ruralroute compare --sheets`` on the 9-village scenario; return the output folder."""
    if not _has_cjk_font() and not os.environ.get("CI"):
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    out = tmp_path_factory.mktemp("compare") / "out"
    result = CliRunner().invoke(main, [
        "compare", str(SMALL / "scenario.toml"), "--out", str(out), "--time-limit", "1",
        "--seed", "3", "--cache-dir", str(_cache(tmp_path_factory)), "--sheets"])
    assert result.exit_code == 0, result.output
    return out


def _plan(folder: Path) -> dict:
    return json.loads((folder / "plan.json").read_text(encoding="utf-8"))


def _at(plan: dict, vehicle: str) -> list[str]:
    """Where each stop of ``vehicle``'s day stands, trip after trip, as plan.json records it."""
    sheets = sorted((r for r in plan["route_sheets"] if r["vehicle"] == vehicle),
                    key=lambda r: r["trip"])
    return [s["at"] for sheet in sheets for s in sheet["stops"]]


def test_compare_sheets_have_a_page_per_vehicle_of_every_strategy_with_its_leg(compared):
    for strategy in STRATEGIES:
        plan = _plan(compared / strategy)
        reader = PdfReader(compared / strategy / "sheets.pdf")
        assert len(reader.pages) == len(plan["vehicles"]) > 0, strategy
        for page, vehicle in zip(reader.pages, plan["vehicles"], strict=True):
            text = page.extract_text()
            assert vehicle["vehicle"] in text and f"{strategy} · {vehicle['leg']}" in text
        html = (compared / strategy / "sheets.html").read_text(encoding="utf-8")
        assert html.count('<section class="sheet"') == len(plan["vehicles"])
        assert html.count('<tr class="reload">') == len(plan["routes"]) - len(plan["vehicles"])
    relay = _plan(compared / "township-relay")
    assert {r["echelon"] for r in relay["routes"]} == {"trunk", "local", "feeder"}
    feeders = [s for s in sheets_from_plan_dir(
        compared / "township-relay", cache_dir=compared.parent.parent / "sheets-matrix-cache"
    ).sheets if s.echelon == "feeder"]
    hub = load_scenario(SMALL / "scenario.toml").relay.hub
    assert len(feeders) == sum(f["vehicles"] for f in relay["feeders"]) > 0
    assert all(s.depot.id != hub and s.leg.startswith("feeder") for s in feeders)
    assert all(_at(relay, s.vehicle) == [hub] * len(s.stops) for s in feeders)


def test_trunk_sheet_lists_stations_with_the_totals_of_the_villages_they_serve(compared):
    folder = compared / "township-relay"
    plan = _plan(folder)
    assert plan["unserved"] == []
    sc = load_scenario(SMALL / "scenario.toml")
    villages = {s.id: s for s in sc.stops}
    stations = {s.id: s for s in sc.stations}
    served: dict[str, list] = {}
    for route in plan["routes"]:
        if route["echelon"] == "local":
            served.setdefault(route["depot"], []).extend(villages[v] for v in route["stops"])
    book = sheets_from_plan_dir(folder, cache_dir=compared.parent.parent / "sheets-matrix-cache")
    trunk = [s for s in book.sheets if s.echelon == "trunk"]
    assert trunk and all(s.leg == "trunk" and s.depot.id == sc.relay.hub for s in trunk)
    totals: dict[str, list[int]] = {}
    for sheet in trunk:
        assert dict(sheet_facts(sheet))["Note 说明"] == TRUNK_NOTE
        for stop, station in zip(sheet.stops, _at(plan, sheet.vehicle), strict=True):
            assert stop.name == stations[station].name
            got = totals.setdefault(station, [0, 0, 0])
            for k, value in enumerate((stop.parcels, stop.weight_kg, stop.produce_kg)):
                got[k] += value
    assert set(totals) == set(served)
    for station, stops in served.items():
        assert totals[station] == [sum(s.parcels for s in stops),
                                   sum(s.weight_kg for s in stops),
                                   sum(s.produce_kg for s in stops)], station
    page = PdfReader(folder / "sheets.pdf").pages[book.sheets.index(trunk[0])].extract_text()
    assert "Station" in page and "Parcel kg" in page
    assert all(stations[at].name in page for at in _at(plan, trunk[0].vehicle))
    assert str(trunk[0].parcels) in page
    local = [s for s in book.sheets if s.echelon == "local"]
    labels = {leg["label"] for leg in plan["legs"] if leg["echelon"] == "local"}
    assert local and all(s.depot.id in stations and s.leg in labels for s in local)


def test_sheet_km_follow_each_vehicles_own_roads(compared):
    """The last stop's km plus the way home is the route's distance, trikes included (they
    drive on their own travel profile, avoiding motorways)."""
    sc = load_scenario(SMALL / "scenario.toml")
    geography = locate(sc, timings=Timings(),
                       cache_dir=compared.parent.parent / "sheets-matrix-cache")
    index = {loc: k for k, loc in enumerate(geography.matrices.ids)}
    for strategy in STRATEGIES:
        folder = compared / strategy
        book = sheets_from_plan_dir(folder, geography=geography)
        plan = _plan(folder)
        assert len(book.sheets) == len(plan["vehicles"]) > 0, strategy
        for sheet in book.sheets:
            for trip, route in zip(sheet.trips, _trips_of(plan, sheet.vehicle), strict=True):
                type_id = sc.relay.local_vehicle if route["echelon"] == "local" else \
                    route["vehicle_type"]
                profile = sc.vehicle_type_by_id[type_id].profile
                matrix = geography.profiles.get(profile, geography.matrices).distance_m
                k = plan["routes"].index(route)
                last = plan["route_sheets"][k]["stops"][-1]["at"]
                back = matrix[index[last], index[route["depot"]]]
                assert trip.stops[-1].cumulative_m + back == route["distance_m"], sheet.vehicle


def test_independent_carrier_sheet_shows_only_that_carriers_parcels(compared):
    folder = compared / "independent"
    sc = load_scenario(SMALL / "scenario.toml")
    shares = {cid: {s.id: s for s in stops} for cid, stops in carrier_stops(sc).items()}
    book = sheets_from_plan_dir(folder, cache_dir=compared.parent.parent / "sheets-matrix-cache")
    reader = PdfReader(folder / "sheets.pdf")
    carriers = {c.id for c in sc.carriers}
    plan = _plan(folder)
    assert [s.vehicle for s in book.sheets] == [v["vehicle"] for v in plan["vehicles"]]
    assert {s.leg for s in book.sheets} == {f"carrier {c}" for c in carriers}
    for sheet, page in zip(book.sheets, reader.pages, strict=True):
        cid = sheet.leg.removeprefix("carrier ")
        assert sheet.leg == f"carrier {cid}" and sheet.carriers == (cid,)
        for stop in sheet.stops:
            village = next(s for s in sc.stops if s.id == stop.stop_id)
            assert stop.parcels == village.parcels_by_carrier[cid] < village.parcels
            assert stop.produce_kg == shares[cid][stop.stop_id].produce_kg
        text = page.extract_text()
        assert cid.upper() in text
        assert not any(other.upper() in text for other in carriers - {cid}), cid
        visited = [v for v in sc.stops if v.id in {s.stop_id for s in sheet.stops}]
        assert stop_rows(sheet)[-1][f"carrier:{cid}"] == str(sum(
            v.parcels_by_carrier[cid] for v in visited))


def test_sheets_command_rejects_a_trunk_load_the_local_routes_do_not_make(compared, tmp_path):
    plan = _plan(compared / "township-relay")
    k, trunk = next((k, r) for k, r in enumerate(plan["routes"]) if r["echelon"] == "trunk")
    trunk["stops"][0] = plan["route_sheets"][k]["stops"][0]["at"] + "#7"
    (tmp_path / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    result = CliRunner().invoke(main, [
        "sheets", str(tmp_path), "--out", str(tmp_path / "o"),
        "--cache-dir", str(compared.parent.parent / "sheets-matrix-cache")])
    assert result.exit_code == 2
    assert f"routes[{k}].stops" in result.output and "#7" in result.output


def test_sheets_command_plans_a_scenario_with_the_strategy_given(compared, tmp_path):
    out = tmp_path / "relay"
    result = CliRunner().invoke(main, [
        "sheets", str(SMALL / "scenario.toml"), "--strategy", "township-relay", "--out",
        str(out), "--time-limit", "1", "--seed", "3",
        "--cache-dir", str(compared.parent.parent / "sheets-matrix-cache")])
    assert result.exit_code == 0, result.output
    plan = _plan(out)
    assert plan["strategy"] == "township-relay"
    reader = PdfReader(out / "sheets.pdf")
    assert len(reader.pages) == len(plan["vehicles"])
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "township-relay · trunk" in text and "township-relay · feeder" in text
    assert (out / "map.html").is_file()

