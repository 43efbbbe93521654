"""Route sheets: stop rows and cumulative km, the offline sheet map, the PDF and HTML, the CLI."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader

from cli import main
from geodata.sheetmap import figure_bytes, nice_scale_km, route_sheet_map
from routing.errors import ModelError, RuralRouteError
from routing.sheet_docs import CJK_FONT_ENV, find_cjk_font, sheets_html, write_sheets
from routing.sheets import (
    SheetBook,
    build_sheets,
    cumulative_distances,
    sheet_facts,
    sheets_from_plan_dir,
    stop_rows,
)
from tests.geodata._plan_fixtures import (
    BOUNDARY,
    HOSTILE,
    ROADS,
    STOPS,
    make_geometries,
    make_plan,
    make_problem,
)

SMALL = Path(__file__).parent / "data" / "small_county"
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
    assert rows[0] == {"no": "1", "name": "大许", "name_en": "Daxu", "parcels": "12",
                       "produce_kg": "50", "arrival": "08:05",
                       "km": f"{legs[0] / 1000:.1f}", "carrier:ems": "7", "carrier:zto": "5"}
    assert rows[1]["name"] == HOSTILE and rows[1]["carrier:ems"] == "–"
    back = rows[-1]
    assert back["no"] == "" and back["name"] == "县物流中心"
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
    fonts = {str(f) for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert fonts  # the CJK font is embedded, not referenced
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
        "--seed", "3", "--cache-dir", str(out.parent / "cache"), "--sheets"])
    assert result.exit_code == 0, result.output
    return out


def test_solve_with_sheets_writes_a_page_per_route_naming_every_village(solved):
    plan = json.loads((solved / "plan.json").read_text(encoding="utf-8"))
    reader = PdfReader(solved / "sheets.pdf")
    assert len(reader.pages) == len(plan["routes"])
    names = {r["stops"][0] for r in plan["routes"]}
    text = "\n".join(p.extract_text() for p in reader.pages)
    villages = json.loads((solved / "stops.geojson").read_text(encoding="utf-8"))
    by_id = {f["properties"]["stop_id"]: f["properties"]["name"] for f in villages["features"]}
    assert names and all(by_id[n] in text for n in names)
    assert all(by_id[s] in text for r in plan["routes"] for s in r["stops"])
    html = (solved / "sheets.html").read_text(encoding="utf-8")
    assert html.count('<section class="sheet"') == len(plan["routes"])


def test_sheets_from_plan_dir_km_add_up_to_the_plan(solved):
    plan = json.loads((solved / "plan.json").read_text(encoding="utf-8"))
    book = sheets_from_plan_dir(solved, cache_dir=solved.parent / "cache")
    assert [s.vehicle for s in book.sheets] == [r["vehicle"] for r in plan["routes"]]
    for sheet, route in zip(book.sheets, plan["routes"], strict=True):
        km = [s.cumulative_m for s in sheet.stops]
        assert km == sorted(km) and 0 < km[-1] < route["distance_m"]
        assert [s.arrival_s for s in sheet.stops] == route["arrival_s"]
        assert sheet.strategy == plan.get("strategy", "consolidated")
    assert book.boundary is not None and len(book.roads) > 0


def test_sheets_command_reads_a_plan_folder_in_landscape(solved, tmp_path):
    result = CliRunner().invoke(main, ["sheets", str(solved), "--out", str(tmp_path / "s"),
                                       "--landscape", "--cache-dir",
                                       str(solved.parent / "cache")])
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
