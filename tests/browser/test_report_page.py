"""Open ``report.html`` in headless Chromium with no network, as a planner would.

The page written by ``ruralroute compare`` on the 9-village scenario: it loads, its headline
shows comparison.csv's savings, the strategies map initialises inside the page with one layer
per strategy and paints its routes, every chart is drawn, it prints to PDF, and nothing fails or
leaves the machine. A report built with hostile village, carrier and cost model names shows
them as text, in the page and in its map.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from routing.reports import route_colour, route_map, save_map
from routing.reports.report_html import write_report_html
from routing.research.coalition_study import Bill, BlockingCoalition
from tests.routing.reports._plan_fixtures import (
    BOUNDARY,
    ROADS,
    make_geometries,
    make_plan,
    make_problem,
)
from tests.routing.reports.test_report_html import (
    HOSTILE,
    HOSTILE_CARRIER,
    MODEL_NAME,
    Study,
    hostile_comparison,
)

SMALL = Path(__file__).parents[1] / "data" / "small_county"
STRATEGIES = ("independent", "consolidated", "township-relay")

#: The folium map inside the report's iframe: how many, Leaflet's version, lines on the map.
MAP_STATE = """() => {
  const maps = Object.keys(window)
    .filter(k => k.startsWith("map_") && window[k] instanceof L.Map).map(k => window[k]);
  if (maps.length !== 1) return {maps: maps.length};
  let lines = 0;
  maps[0].eachLayer(l => {
    if (l instanceof L.Polyline && !(l instanceof L.Polygon) && !l.feature) lines++;
  });
  const size = maps[0].getSize();
  return {maps: 1, version: L.version, lines: lines, size: [size.x, size.y]};
}"""

#: Opaque pixels on the map's vector canvas (roads, boundary and routes).
PAINTED = """() => {
  const canvas = document.querySelector(".leaflet-overlay-pane canvas");
  if (!canvas) return -1;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let n = 0;
  for (let p = 3; p < data.length; p += 4) if (data[p] > 128) n++;
  return n;
}"""

#: Each inline chart's drawn size and how many shapes it holds.
CHARTS = """els => els.map(e => {
  const r = e.getBoundingClientRect();
  return {name: e.dataset.chart, width: r.width, height: r.height,
          shapes: e.querySelectorAll("path, rect, use").length};
})"""


def _assert_clean(watched: Any) -> None:
    assert watched.page_errors == []
    assert watched.console_errors == []
    assert watched.dialogs == []
    assert watched.blocked == []


def _map_frame(page: Any) -> Any:
    frame = page.locator("iframe.map").element_handle().content_frame()
    assert frame is not None
    frame.wait_for_selector(".leaflet-container .leaflet-overlay-pane canvas")
    frame.wait_for_function("!document.querySelector('.leaflet-zoom-anim')")
    page.wait_for_timeout(300)
    return frame


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ruralroute compare`` on the 9-village scenario under two cost models."""
    out = tmp_path_factory.mktemp("browser-compare") / "out"
    result = CliRunner().invoke(main, [
        "compare", str(SMALL / "scenario.toml"), "--out", str(out), "--cost-model", "diesel",
        "--cost-model", "electric", "--time-limit", "0.1", "--seed", "3",
        "--cache-dir", str(out.parent / "cache")])
    assert result.exit_code == 0, result.output
    assert "report.html" in result.output
    return out


def test_report_loads_offline_with_the_headline_map_and_charts(open_page, compared, tmp_path):
    rows = list(csv.DictReader((compared / "comparison.csv").open(encoding="utf-8")))
    watched = open_page(compared / "report.html")
    page = watched.page
    savings = [r for r in rows if r["saving_pct"]]
    assert len(savings) == 4  # two strategies against independent, two cost models
    for row in savings:
        cell = page.locator(f'tr[data-strategy="{row["strategy"]}"]'
                            f'[data-cost-model="{row["cost_model"]}"] td[data-key="saving_pct"]')
        assert cell.inner_text() == f"{float(row['saving_pct']):.1f} %"
    assert "Not checked" in page.locator("#convergence").inner_text()
    charts = page.eval_on_selector_all("svg.chart", CHARTS)
    assert [c["name"] for c in charts] == ["cost", "km-co2", "vehicles"]
    assert all(c["width"] > 300 and c["height"] > 150 and c["shapes"] > 10 for c in charts)
    frame = _map_frame(page)
    state = frame.evaluate(MAP_STATE)
    trips = {r["strategy"]: int(r["trips"]) for r in rows}
    # only the first strategy's layer is on at first: a line per trip
    assert state["maps"] == 1 and state["version"] == "1.9.3"
    assert state["lines"] == trips["independent"] and state["size"][0] > 600
    assert frame.evaluate(PAINTED) > 2000
    layers = frame.locator(".leaflet-control-layers-overlays label").all_inner_texts()
    assert [s for s in STRATEGIES if any(t.strip().startswith(f"{s} · ") for t in layers)] \
        == list(STRATEGIES)
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    page.emulate_media(media="print")
    assert page.pdf(format="A4", landscape=True)[:5] == b"%PDF-"
    _assert_clean(watched)


def test_hostile_names_show_as_text_in_the_report_and_its_map(open_page, tmp_path):
    problem, plan = make_problem(), make_plan()
    map_path = save_map(route_map(plan, problem, geometries=make_geometries(plan, problem),
                                  boundary=BOUNDARY, roads=ROADS, title="Test county 测试县"),
                        tmp_path / "map.html")
    study = Study(allocations=(Bill(MODEL_NAME, "shapley", "a", 60.0, 80.0, 25.0, False),
                               Bill(MODEL_NAME, "shapley", "b", 40.0, 50.0, 20.0, True)),
                  blocking=(BlockingCoalition(MODEL_NAME, "shapley", ("a",), 5.0),))
    path = write_report_html(tmp_path / "report.html", hostile_comparison(),
                             map_html=map_path.read_text(encoding="utf-8"), study=study)
    watched = open_page(path)
    page = watched.page
    assert HOSTILE in page.locator("table.unserved td.village").all_inner_texts()
    assert HOSTILE_CARRIER in page.locator("table.carriers td.carrier").all_inner_texts()
    assert HOSTILE_CARRIER in page.locator("table.bills td.carrier").all_inner_texts()
    assert f"{HOSTILE_CARRIER} would pay 5 less" in page.locator("#coalitions").inner_text()
    assert MODEL_NAME in page.locator("#strategies h3").all_inner_texts()
    chart_text = page.locator("svg.chart").first.text_content() or ""
    assert MODEL_NAME.replace(" ", "") in chart_text.replace(" ", "")
    assert page.locator('img[src="x"]').count() == page.locator("u").count() == 0
    frame = _map_frame(page)
    marker = frame.locator(f'.rr-num span[style*="{route_colour(0)}"]').get_by_text(
        "2", exact=True)
    marker.hover()
    assert HOSTILE in frame.locator(".leaflet-tooltip").inner_text()
    assert frame.locator('img[src="x"]').count() == 0
    page.wait_for_timeout(100)
    _assert_clean(watched)
