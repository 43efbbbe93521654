"""Open the route map and the route sheets in headless Chromium with no network, as a user would.

Each test asserts on what a person sees: the map drawn (Leaflet initialised, one line per route
painted on the map canvas), a popup naming the village after a click, hostile names shown as
text without any dialog, no JavaScript errors and no request leaving the machine.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli import main
from routing.core import RuralRouteError
from routing.reports import (
    SheetBook,
    build_sheets,
    find_cjk_font,
    route_colour,
    route_map,
    save_map,
    sheets_html,
)
from tests.routing.reports._plan_fixtures import (
    BOUNDARY,
    HOSTILE,
    ROADS,
    make_geometries,
    make_plan,
    make_problem,
    make_trips_plan,
)

SMALL = Path(__file__).parents[1] / "data" / "small_county"

#: Finds the folium map object and reports what it holds.
MAP_STATE = """() => {
  const maps = Object.keys(window)
    .filter(k => k.startsWith("map_") && window[k] instanceof L.Map).map(k => window[k]);
  if (maps.length !== 1) return {maps: maps.length};
  const map = maps[0];
  const routes = [];
  map.eachLayer(l => {
    if (l instanceof L.Polyline && !(l instanceof L.Polygon) && !l.feature)
      routes.push(l.options.color);
  });
  return {maps: 1, version: L.version, zoom: map.getZoom(), routes: routes};
}"""

#: Counts the pixels of each colour painted on the vector overlay canvas (routes, roads).
CANVAS_PIXELS = """(colours) => {
  const canvas = document.querySelector(".leaflet-overlay-pane canvas");
  if (!canvas) return null;
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const want = colours.map(c => [1, 3, 5].map(i => parseInt(c.slice(i, i + 2), 16)));
  const counts = want.map(() => 0);
  for (let p = 0; p < data.length; p += 4) {
    if (data[p + 3] < 128) continue;
    want.forEach((w, k) => {
      if (Math.abs(data[p] - w[0]) < 40 && Math.abs(data[p + 1] - w[1]) < 40 &&
          Math.abs(data[p + 2] - w[2]) < 40) counts[k]++;
    });
  }
  return counts;
}"""


def _marker(page: Any, colour: str, number: int) -> Any:
    """The numbered village marker of the route drawn in ``colour``."""
    return page.locator(f'.rr-num span[style*="{colour}"]').get_by_text(str(number), exact=True)


def _assert_clean(watched: Any) -> None:
    assert watched.page_errors == []
    assert watched.console_errors == []
    assert watched.dialogs == []
    assert watched.blocked == []


def _day_colours(vehicles: list[dict[str, Any]]) -> list[str]:
    """The colour of each line a map draws for ``plan.json``'s vehicles: a vehicle's trips in
    its colour, vehicle after vehicle, the vehicles coloured in order."""
    return [route_colour(k) for k, vehicle in enumerate(vehicles) for _ in vehicle["trips"]]


def _assert_map_drawn(watched: Any, colours: list[str], tmp_path: Path, name: str,
                      under: tuple[str, ...] = ()) -> None:
    """The map drew a line in each of ``colours``, in order, and painted each colour on its
    canvas; ``under`` may lie beneath later lines (the feeders' short runs to the hub share
    roads), so only together must they show."""
    page = watched.page
    page.wait_for_selector(".leaflet-container .leaflet-overlay-pane canvas")
    # fitBounds animates the first zoom; look once it has settled, as a person would
    page.wait_for_function("!document.querySelector('.leaflet-zoom-anim')")
    page.wait_for_timeout(300)
    state = page.evaluate(MAP_STATE)
    assert state["maps"] == 1 and state["version"] == "1.9.3"
    assert state["routes"] == colours
    shown = sorted(set(colours) - set(under))
    painted = page.evaluate(CANVAS_PIXELS, shown + sorted(under))
    assert painted is not None and all(n > 100 for n in painted[:len(shown)]), painted
    assert not under or sum(painted[len(shown):]) > 100, painted
    assert page.locator(".leaflet-control-layers").count() == 1
    page.screenshot(path=str(tmp_path / name))


@pytest.fixture
def hostile_map(tmp_path: Path) -> Path:
    problem, plan = make_problem(), make_plan()
    m = route_map(plan, problem, geometries=make_geometries(plan, problem), boundary=BOUNDARY,
                  roads=ROADS, title="Test county 测试县")
    return save_map(m, tmp_path / "map.html")


def test_map_draws_offline_and_a_click_opens_the_village_popup(open_page, hostile_map, tmp_path):
    watched = open_page(hostile_map)
    page = watched.page
    _assert_map_drawn(watched, [route_colour(0), route_colour(1)], tmp_path, "map.png")
    assert "Test county 测试县" in page.locator("#rr-legend").inner_text()
    _marker(page, route_colour(0), 1).click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "大许" in popup.inner_text() and "Daxu" in popup.inner_text()
    assert "stop 1/2" in popup.inner_text()
    page.wait_for_timeout(300)  # let the popup finish fading in before the picture
    page.screenshot(path=str(tmp_path / "map-popup.png"))
    _assert_clean(watched)


def test_a_vehicles_two_trips_draw_in_its_colour_and_name_the_trip(open_page, tmp_path):
    problem, plan = make_problem(), make_trips_plan()
    m = route_map(plan, problem, geometries=make_geometries(plan, problem), boundary=BOUNDARY,
                  roads=ROADS, title="Two trips")
    watched = open_page(save_map(m, tmp_path / "trips.html"))
    _assert_map_drawn(watched, [route_colour(0), route_colour(0), route_colour(1)], tmp_path,
                      "trips.png")
    page = watched.page
    _marker(page, route_colour(0), 3).click()  # van 01's third stop of the day: trip 2
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "张集" in popup.inner_text()
    assert "light-van-01, trip 2 · stop 3/3 · 09:55" in popup.inner_text()
    _assert_clean(watched)


def test_hostile_village_name_shows_as_text_in_the_map(open_page, hostile_map):
    watched = open_page(hostile_map)
    page = watched.page
    page.wait_for_selector(".rr-num")
    marker = _marker(page, route_colour(0), 2)
    marker.hover()
    assert HOSTILE in page.locator(".leaflet-tooltip").inner_text()
    marker.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert HOSTILE in popup.inner_text()
    assert "Bad`${x}\\" in popup.inner_text()
    assert popup.locator("img").count() == 0
    assert page.locator('img[src="x"]').count() == 0
    page.wait_for_timeout(100)
    _assert_clean(watched)


def test_hostile_name_in_sheets_html_is_text(open_page, tmp_path):
    problem, plan = make_problem(), make_plan()
    sheets = build_sheets(
        plan.routes, stops=problem.stop_by_id, depots=problem.depot_by_id,
        distance_m=problem.distance_m, index=problem.index,
        geometries=make_geometries(plan, problem), title="Test county 测试县",
        strategy="consolidated", day=dt.date(2026, 5, 1))
    path = tmp_path / "sheets.html"
    path.write_text(sheets_html(SheetBook(sheets, BOUNDARY, ROADS)), encoding="utf-8")
    watched = open_page(path)
    page = watched.page
    first = page.locator("section.sheet").first
    assert HOSTILE in first.locator("td.village").nth(1).inner_text()
    assert page.locator('img[src="x"]').count() == 0
    page.screenshot(path=str(tmp_path / "sheets.png"), full_page=True)
    _assert_clean(watched)


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ruralroute solve --sheets`` on the 9-village scenario; return the output folder."""
    try:
        find_cjk_font()
    except RuralRouteError:
        if not os.environ.get("CI"):
            pytest.skip("no CJK font installed (apt-get install fonts-wqy-microhei)")
    out = tmp_path_factory.mktemp("browser-solve") / "out"
    result = CliRunner().invoke(main, [
        "solve", str(SMALL / "scenario.toml"), "--out", str(out), "--time-limit", "1",
        "--seed", "3", "--cache-dir", str(out.parent / "cache"), "--sheets"])
    assert result.exit_code == 0, result.output
    return out


def test_solved_map_draws_every_route_offline(open_page, solved, tmp_path):
    plan = json.loads((solved / "plan.json").read_text(encoding="utf-8"))
    stops = json.loads((solved / "stops.geojson").read_text(encoding="utf-8"))
    names = {f["properties"]["stop_id"]: f["properties"]["name"] for f in stops["features"]}
    watched = open_page(solved / "map.html")
    feeders = tuple(route_colour(k) for k, v in enumerate(plan["vehicles"])
                    if v["echelon"] == "feeder")
    assert len(feeders) == sum(f["vehicles"] for f in plan["feeders"]) > 0
    _assert_map_drawn(watched, _day_colours(plan["vehicles"]), tmp_path, "solved-map.png",
                      under=feeders)
    page = watched.page
    # the first van delivering to villages (the feeders' markers stand on the hub's)
    k, van = next((k, v) for k, v in enumerate(plan["vehicles"]) if v["echelon"] == "delivery")
    first = next(r for r in plan["routes"] if r["vehicle"] == van["vehicle"] and r["trip"] == 1)
    _marker(page, route_colour(k), 1).click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert names[first["stops"][0]] in popup.inner_text()
    _assert_clean(watched)


def test_solved_sheets_html_shows_one_sheet_per_route_with_maps(open_page, solved, tmp_path):
    plan = json.loads((solved / "plan.json").read_text(encoding="utf-8"))
    watched = open_page(solved / "sheets.html")
    page = watched.page
    sheets = page.locator("section.sheet")
    vehicles = plan["vehicles"]
    assert sheets.count() == len(vehicles)
    widths = page.eval_on_selector_all("img.map", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == len(vehicles) and all(w > 500 for w in widths)
    rows = sheets.first.locator("tbody tr")
    # its stops, a reload line between two trips, the return
    assert rows.count() == vehicles[0]["stops"] + len(vehicles[0]["trips"]) - 1 + 1
    assert sheets.first.locator("tr.reload").count() == len(vehicles[0]["trips"]) - 1
    page.emulate_media(media="print")
    assert page.evaluate(
        "getComputedStyle(document.querySelector('section.sheet')).breakAfter") == "page"
    page.screenshot(path=str(tmp_path / "solved-sheets.png"), full_page=True)
    _assert_clean(watched)


def test_a_page_that_needs_the_internet_does_not_draw_here(open_page, tmp_path):
    """The harness really is offline: a map taking Leaflet from a CDN stays blank."""
    page_path = tmp_path / "cdn.html"
    page_path.write_text(
        '<html><head><script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js">'
        '</script></head><body><div id="m"></div></body></html>', encoding="utf-8")
    watched = open_page(page_path)
    assert watched.blocked == ["https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"]
    assert watched.page.evaluate("typeof window.L") == "undefined"
