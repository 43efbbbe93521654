"""The folium route map: one layer per route, legend, attribution, escaping, no tiles, size."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from routing.core import ModelError, Plan, Route
from routing.reports import (
    OSM_TILES_URL,
    MapPart,
    PlanLayer,
    plans_map,
    route_colour,
    route_map,
    save_map,
    strategies_map,
)
from routing.reports.leaflet import html_text, leaflet_assets
from tests.routing.reports._plan_fixtures import (
    BOUNDARY,
    HOSTILE,
    ROADS,
    STOPS,
    make_big,
    make_geometries,
    make_plan,
    make_problem,
    make_trips_plan,
)

ESCAPED_HOSTILE = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def case():
    problem = make_problem()
    plan = make_plan()
    return problem, plan, make_geometries(plan, problem)


def render(problem, plan, geometries, **options) -> str:
    options.setdefault("title", "Test county")
    m = route_map(plan, problem, geometries=geometries, boundary=BOUNDARY, roads=ROADS,
                  **options)
    return m.get_root().render()


def overlay_names(page: str) -> list[str]:
    block = re.search(r"overlays\s*:\s*\{(.*?)\}", page, re.S).group(1)
    return [json.loads(name) for name in re.findall(r'^\s*("(?:[^"\\]|\\.)*")\s*:', block, re.M)]


def test_one_polyline_and_one_layer_per_route(case):
    problem, plan, geometries = case
    page = render(problem, plan, geometries)
    assert page.count("L.polyline(") == 2
    assert overlay_names(page) == [
        "County boundary", "Main roads", "light-van-01 · 2 stops · 84 km",
        "light-van-02 · 2 stops · 9.5 km", "Unserved · 1 village", "Depots",
    ]
    assert "L.control.layers(" in page
    assert "[[34.0, 117.0], [34.01, 117.01], [34.02, 117.02], [34.0, 117.0]]" in page


def test_map_fits_the_boundary_and_draws_it_and_the_roads(case):
    problem, plan, geometries = case
    page = render(problem, plan, geometries)
    assert re.search(r"fitBounds\(\s*\[\[33\.95, 116\.95\], \[34\.1, 117\.1\]\]", page)
    assert page.count("L.geoJson(") == 2
    assert '"type": "Polygon"' in page and '"type": "MultiLineString"' in page


def test_without_boundary_the_map_fits_the_stops(case):
    problem, plan, geometries = case
    m = route_map(plan, problem, geometries=geometries, title="t")
    page = m.get_root().render()
    assert re.search(r"fitBounds\(\s*\[\[33\.98, 116\.99\], \[34\.09, 117\.08\]\]", page)
    assert "L.geoJson(" not in page


def test_legend_lists_every_route_with_colour_and_km(case):
    problem, plan, geometries = case
    page = render(problem, plan, geometries, title="Xiaoxian 萧县 <b>")
    legend = re.search(r'<div class="rr-legend".*?</div></div>', page, re.S).group(0)
    assert "Xiaoxian 萧县 &lt;b&gt;" in legend
    assert "#1f77b4" in legend and "light-van-01 · 2 stops · 84.3 km" in legend
    assert "#ff7f0e" in legend and "light-van-02 · 2 stops · 9.5 km" in legend
    assert "1 unserved" in legend
    assert "<title>Xiaoxian 萧县 &lt;b&gt;</title>" in page


def test_attribution_is_always_there_and_no_tiles_by_default(case):
    problem, plan, geometries = case
    page = render(problem, plan, geometries)
    assert "OpenStreetMap contributors, ODbL" in page
    assert "attributionControl.addAttribution(" in page
    assert "tile.openstreetmap.org" not in page and "L.tileLayer" not in page


def test_leaflet_is_inline_and_nothing_is_fetched(case):
    problem, plan, geometries = case
    page = render(problem, plan, geometries)
    css, js = leaflet_assets()
    assert js in page and css in page
    assert "Leaflet 1.9.3" in js
    assert "url(data:image/png;base64," in css and "url(images/" not in css
    assert "sourceMappingURL" not in page
    # no external script, stylesheet or image: nothing folium would take from a CDN
    assert not re.search(r"<(script|link|img)\b[^>]*(src|href)=", page, re.I)
    for cdn in ("cdn.jsdelivr", "code.jquery", "cdnjs", "bootstrapcdn", "jquery", "bootstrap"):
        assert cdn not in page.lower(), cdn
    assert page.index(js) < page.index("L.map(")


def test_tiles_option_adds_an_osm_base_layer(case):
    problem, plan, geometries = case
    page = render(problem, plan, geometries, tiles=True)
    assert OSM_TILES_URL in page and page.count("L.tileLayer(") == 1
    assert '"OpenStreetMap" :' in page.split("base_layers")[1].split("overlays")[0]
    assert "OpenStreetMap contributors, ODbL" in page


def test_popups_show_names_load_route_order_and_time(case):
    problem, plan, geometries = case
    page = render(problem, plan, geometries)
    assert ("<b>大许\\u003c/b> Daxu<br>12 parcels · 30 kg · produce 50 kg"
            "<br>Route light-van-01 · stop 1/2 · 08:05") in page
    assert "Route light-van-02 · stop 2/2 · +1d 01:10" in page
    assert "<b>Unserved\\u003c/b>: beyond max route duration" in page
    assert "县物流中心" in page and "rr-depot" in page


def test_hostile_names_are_shown_as_text(case):
    problem, plan, geometries = case
    page = render(problem, plan, geometries)
    assert ESCAPED_HOSTILE in page
    assert HOSTILE not in page and "<img src=x" not in page.lower()
    assert "Bad&#96;&#36;{x}&#92;" in page
    assert "${x}" not in page


def test_template_syntax_in_names_is_shown_not_evaluated():
    # branca renders each element's text as a Jinja template: a name must stay text.
    stops = tuple(replace(s, name="{{ 7*7 }}村") if s.id == "s1" else s for s in STOPS)
    problem, plan = make_problem(stops), make_plan()
    page = render(problem, plan, make_geometries(plan, problem))
    assert "49村" not in page
    assert "&#123;{ 7*7 }}村" in page


def test_hostile_vehicle_ids_are_escaped_in_layers_legend_and_tooltips(case):
    problem, plan, geometries = case
    evil = "<script>alert(1)</script>"
    plan = replace(plan, routes=(replace(plan.routes[0], vehicle=evil), plan.routes[1]))
    geometries[evil] = geometries.pop("light-van-01")
    page = render(problem, plan, geometries)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; · 2 stops · 84 km" in overlay_names(page)


def test_html_text_escapes_for_html_and_js_templates():
    assert html_text('<a href="x">`${y}`\\</a>') == (
        "&lt;a href=&quot;x&quot;&gt;&#96;&#36;{y}&#96;&#92;&lt;/a&gt;")


def test_several_plans_draw_as_one_each_route_with_its_own_villages(case):
    """Like the legs of ``independent``: a second plan visits 大许 (s1) with its own share."""
    problem, plan, geometries = case
    share = make_problem((replace(STOPS[0], parcels=1, weight_kg=3, produce_kg=0), STOPS[4]))
    other = Plan(problem="share", engine="hand", seed=0, unserved=(), routes=(
        Route(vehicle="yto-van-01", vehicle_type="light-van", depot="hub", stops=("s1", "s5"),
              arrival_s=(30_000, 31_000), start_s=29_000, end_s=33_000, distance_m=31_000,
              load=(3, 7)),))
    m = plans_map([MapPart(plan, problem), MapPart(other, share)],
                  geometries={**geometries, **make_geometries(other, share)},
                  boundary=BOUNDARY, roads=ROADS, title="t")
    page = m.get_root().render()
    assert page.count("L.polyline(") == 3
    assert overlay_names(page) == [
        "County boundary", "Main roads", "light-van-01 · 2 stops · 84 km",
        "light-van-02 · 2 stops · 9.5 km", "yto-van-01 · 2 stops · 31 km",
        "Unserved · 1 village", "Depots"]
    assert "Daxu<br>12 parcels · 30 kg · produce 50 kg<br>Route light-van-01 · stop 1/2" in page
    assert "Daxu<br>1 parcels · 3 kg · produce 0 kg<br>Route yto-van-01 · stop 1/2" in page
    assert "Depot · 3 vehicles, 3 trips · 30 parcels out" in page
    assert "#2ca02c" in page  # the third vehicle's colour, counted across the plans
    with pytest.raises(ModelError, match="at least one plan"):
        plans_map([], geometries={}, title="t")


def polylines(page: str) -> list[str]:
    """The colour of each route line, in the order drawn."""
    return re.findall(r'L\.polyline\(.*?"color": "(#[0-9a-f]{6})"', page, re.S)


def test_a_vehicles_trips_are_one_layer_in_one_colour_and_popups_name_the_trip():
    problem, plan = make_problem(), make_trips_plan()
    page = render(problem, plan, make_geometries(plan, problem))
    assert polylines(page) == [route_colour(0), route_colour(0), route_colour(1)]
    assert overlay_names(page) == [
        "County boundary", "Main roads", "light-van-01 · 2 trips · 3 stops · 111 km",
        "light-van-02 · 2 stops · 9.5 km", "Depots"]
    # stops are numbered through the vehicle's day, as on its route sheet
    assert "Route light-van-01, trip 1 · stop 1/3 · 08:05" in page
    assert "Route light-van-01, trip 2 · stop 3/3 · 09:55" in page
    assert "Route light-van-02 · stop 1/2 · 23:50" in page  # one trip: no trip named
    assert "light-van-01, trip 2 · 1 stop · 27 km<br>09:40–10:20" in page
    legend = re.search(r'<div class="rr-legend".*?</div></div>', page, re.S).group(0)
    assert "light-van-01 · 2 trips · 3 stops · 111.3 km" in legend
    assert "2 vehicles, 3 trips · 120.8 km" in legend
    assert "Depot · 2 vehicles, 3 trips · 29 parcels out" in page


def test_feeders_are_a_layer_of_their_own_and_a_split_village_says_which_visit():
    problem, plan = make_problem(), make_trips_plan()
    halves = make_problem((replace(STOPS[0], id="s1#1", parcels=6),
                           replace(STOPS[0], id="s1#2", parcels=6)))
    visits = Plan(problem="halves", engine="hand", seed=0, unserved=(), routes=(
        Route(vehicle="trike-01", vehicle_type="light-van", depot="hub", stops=("s1#1",),
              arrival_s=(30_000,), start_s=29_000, end_s=31_000, distance_m=3_000,
              load=(6, 15)),
        Route(vehicle="trike-01", vehicle_type="light-van", depot="hub", stops=("s1#2",),
              arrival_s=(32_000,), start_s=31_000, end_s=33_000, distance_m=3_000,
              load=(6, 15), trip=2)))
    hub_loads = make_problem((replace(STOPS[4], id="hub#1", name="中心"),
                              replace(STOPS[4], id="hub#2", name="中心")))
    feeder = Plan(problem="feeder", engine="hand", seed=0, unserved=(), routes=(
        Route(vehicle="zto-van-01", vehicle_type="light-van", depot="hub", stops=("hub#1",),
              arrival_s=(20_000,), start_s=19_000, end_s=21_000, distance_m=5_000,
              load=(2, 4)),
        Route(vehicle="zto-van-02", vehicle_type="light-van", depot="hub", stops=("hub#2",),
              arrival_s=(20_000,), start_s=19_000, end_s=21_000, distance_m=5_000,
              load=(2, 4))))
    parts = [MapPart(plan, problem),
             MapPart(visits, halves, {"s1#1": "s1", "s1#2": "s1"}),
             MapPart(feeder, hub_loads, {"hub#1": "hub", "hub#2": "hub"}, layer="Feeders",
                     loads=True)]
    geometries = {k: v for p, q in ((plan, problem), (visits, halves), (feeder, hub_loads))
                  for k, v in make_geometries(p, q).items()}
    page = plans_map(parts, geometries=geometries, title="t").get_root().render()
    names = overlay_names(page)
    assert names[:3] == ["light-van-01 · 2 trips · 3 stops · 111 km",
                         "light-van-02 · 2 stops · 9.5 km",
                         "trike-01 · 2 trips · 2 stops · 6.0 km"]
    assert names[3] == "Feeders · 2 vehicles, 2 trips · 10 km"
    assert polylines(page) == [route_colour(k) for k in (0, 0, 1, 2, 2, 3, 4)]
    assert "Route trike-01, trip 1 · stop 1/2 · 08:20 · visit 1 of 2" in page
    assert "Route trike-01, trip 2 · stop 2/2 · 08:53 · visit 2 of 2" in page
    assert "Route zto-van-02 · stop 1/1 · 05:33 · load 2/2" in page
    # the comparison map: a strategy's layer and its feeders' beside it, counted
    layers = [PlanLayer("pooled", tuple(parts), geometries)]
    page = strategies_map(layers, title="t").get_root().render()
    assert overlay_names(page)[:2] == ["pooled · 3 vehicles, 5 trips · 127 km",
                                       "pooled · Feeders · 2 vehicles, 2 trips · 10 km"]
    assert polylines(page) == [route_colour(k) for k in (0, 0, 1, 2, 2, 3, 4)]
    assert "pooled · trike-01, trip 2 · stop 2/2 · 08:53 · visit 2 of 2" in page


def test_missing_route_geometry_is_reported(case):
    problem, plan, _ = case
    with pytest.raises(ModelError, match="light-van-01"):
        route_map(plan, problem, geometries={}, title="t")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_page_script_runs_and_hands_leaflet_escaped_popups(case, tmp_path: Path):
    problem, plan, geometries = case
    page = render(problem, plan, geometries)
    script = page.rsplit("<script>", 1)[1].rsplit("</script>", 1)[0]
    stub = """
    const calls = [];
    const make = (path) => new Proxy(function () {}, {
      get: (t, k) => (typeof k === "symbol" ? undefined : make(path + "." + k)),
      apply: (t, self, args) => { calls.push([path, args]); return make(path + "()"); },
    });
    globalThis.L = make("L");
    """
    report = """
    const texts = (end) => calls.filter(([p]) => p.endsWith(end)).map(([, a]) => a[0]);
    console.log(JSON.stringify({popups: texts(".bindPopup"), tooltips: texts(".bindTooltip")}));
    """
    (tmp_path / "page.js").write_text(stub + script + report, encoding="utf-8")
    done = subprocess.run(["node", str(tmp_path / "page.js")], capture_output=True, text=True,
                          timeout=60, check=True)
    seen = json.loads(done.stdout)
    assert len(seen["popups"]) == 6
    hostile = [p for p in seen["popups"] if "onerror" in p]
    assert len(hostile) == 1 and ESCAPED_HOSTILE in hostile[0]
    assert not any("<img" in t for t in seen["popups"] + seen["tooltips"])
    assert any(t.startswith("1. 大许 · 08:05") for t in seen["tooltips"])


def test_two_hundred_stop_map_stays_small(tmp_path: Path):
    problem, plan, geometries = make_big(200)
    m = route_map(plan, problem, geometries=geometries, boundary=BOUNDARY, roads=ROADS,
                  title="200 villages")
    path = save_map(m, tmp_path / "maps" / "plan.html")
    size = path.stat().st_size
    page = path.read_text(encoding="utf-8")
    assert page.count("L.polyline(") == len(plan.routes) == 10
    assert page.count("村199") == 2  # its popup and its tooltip
    css, js = leaflet_assets()
    assert not re.search(r"\d\.\d{7,}", page.replace(js, "").replace(css, ""))
    # 8,410 route vertices and 200 villages measured ~265 kB; routes are ~80 % of it.
    # Inlined Leaflet (JS ~147 kB, CSS with images ~19 kB) adds a fixed ~165 kB.
    assert size - len(css) - len(js) < 350_000, size
