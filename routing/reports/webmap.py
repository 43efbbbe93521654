"""Draw a plan as a self-contained Leaflet web map (folium) from our own geodata, no web tiles.

Each route is its own layer (road-following line plus numbered village markers) so a
dispatcher can switch routes on and off; unserved villages and depots have layers of their own.
The county boundary and main roads come from the scenario's OSM extract, so the page does not
depend on a tile server (``tiles=True`` adds OpenStreetMap tiles as a base layer).

Size matters for a county of ~1,800 villages and 100+ routes: coordinates are rounded to
6 decimals, each geometry is written once, and village markers are emitted as one compact JSON
array per layer plus a small loop, instead of one folium object (and its options) per marker.

Every string that reaches HTML (names from OSM, vehicle ids, reasons, the title) is escaped with
:func:`html_text`; the JSON embedded in ``<script>`` is made safe by :func:`_script_json`.

The page works with no network at all: Leaflet's JavaScript and CSS (from the ``xstatic-leaflet``
package, the version folium targets) travel inside the file, with the CSS images as data URIs,
and folium's CDN links (Leaflet, jQuery, Bootstrap, Font Awesome, awesome-markers), which these
maps do not use, are left out.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import folium
import numpy as np
import shapely
from branca.element import Figure, MacroElement
from jinja2 import Template
from shapely.geometry import LineString, mapping
from shapely.geometry.base import BaseGeometry
from xstatic.pkg import leaflet as xstatic_leaflet

from routing.core import Depot, ModelError, Plan, Problem, Stop
from routing.reports.geojson import COORD_DECIMALS, format_clock, route_geometry, route_properties

#: Shown on every map, with or without tiles: the data are OpenStreetMap's.
ATTRIBUTION = (
    '<a href="https://www.openstreetmap.org/copyright">'
    "&copy; OpenStreetMap contributors, ODbL</a>"
)

#: The OpenStreetMap standard tile server, used only with ``tiles=True``.
OSM_TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

_UNSERVED_STYLE = {"radius": 6, "color": "#c0392b", "weight": 2, "fillColor": "#9e9e9e",
                   "fillOpacity": 0.9}

# What ends or disturbs a <script> element's text: "</", "<!--" and "<script".
_SCRIPT_BREAKERS = re.compile(r"<(/|!--|script)", re.IGNORECASE)

_CSS = """
<style>
.leaflet-container { background: #f7f7f4; }
.rr-num span { display: block; width: 20px; height: 20px; border-radius: 50%;
  border: 2px solid #fff; color: #fff; font: bold 10px/20px sans-serif; text-align: center;
  box-shadow: 0 0 2px rgba(0,0,0,.6); }
.rr-depot span { display: block; width: 20px; height: 20px; background: #111;
  border: 2px solid #fff; color: #fff; font: bold 12px/20px sans-serif; text-align: center;
  box-shadow: 0 0 3px rgba(0,0,0,.8); }
.rr-legend { position: fixed; bottom: 64px; left: 10px; z-index: 1000; background: #fff;
  padding: 6px 8px; border-radius: 4px; box-shadow: 0 0 4px rgba(0,0,0,.4);
  font: 12px sans-serif; max-height: 45vh; overflow-y: auto; }
.rr-legend i { display: inline-block; width: 18px; height: 4px; margin: 0 6px 3px 0;
  vertical-align: middle; }
</style>
"""


_CSS_IMAGE = re.compile(r"url\((['\"]?)images/([\w.-]+\.png)\1\)")
_SOURCE_MAP = re.compile(r"^//# sourceMappingURL=.*$", re.MULTILINE)


@cache
def leaflet_assets() -> tuple[str, str]:
    """Leaflet's CSS and JavaScript as text, ready to inline in a page that has no network.

    The CSS's images (layer control icon, default marker) become ``data:`` URIs and the
    source-map comment is dropped from the JavaScript, so nothing is fetched from anywhere.

    Returns
    -------
    tuple of str
        ``(css, js)``.
    """
    folder = Path(xstatic_leaflet.BASE_DIR)

    def data_uri(match: re.Match[str]) -> str:
        data = base64.b64encode((folder / "images" / match.group(2)).read_bytes())
        return f"url(data:image/png;base64,{data.decode('ascii')})"

    css = _CSS_IMAGE.sub(data_uri, (folder / "leaflet.css").read_text(encoding="utf-8"))
    js = _SOURCE_MAP.sub("", (folder / "leaflet.js").read_text(encoding="utf-8")).rstrip()
    if re.search(r"</(script|style)", css + js, re.IGNORECASE):
        raise ValueError(f"{folder}: Leaflet assets contain a closing tag and cannot be inlined")
    return css, js


def _page(m: folium.Map) -> Figure:
    """The HTML page ``m`` is drawn on (branca types ``get_root`` as a plain ``Element``)."""
    root = m.get_root()
    if not isinstance(root, Figure):
        raise TypeError(f"folium map is not on a page Figure but on {type(root).__name__}")
    return root


def _inline_leaflet(m: folium.Map) -> None:
    """Put Leaflet inside ``m``'s page and drop folium's CDN links (this map needs none)."""
    m.default_js = []
    m.default_css = []
    css, js = leaflet_assets()
    _page(m).header.add_child(
        folium.Element(f"<style>{css}</style>\n<script>{js}</script>"), name="leaflet_inline")


def html_text(value: object) -> str:
    """Escape ``value`` for HTML and for a JS template literal (folium puts tooltips in one).

    Beyond :func:`html.escape`, backticks, ``$`` and backslashes become character references so
    a name like ``${alert(1)}`` stays text inside folium's `` `...` `` strings.
    """
    text = html.escape(str(value), quote=True)
    return text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def _script_json(value: Any) -> str:
    """Serialise ``value`` as JavaScript that cannot close or comment out its ``<script>``."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = _SCRIPT_BREAKERS.sub(lambda match: "\\u003c" + match.group(1), text)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _rounded(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geometry, lambda c: np.round(c, COORD_DECIMALS))


def _latlon(line: LineString) -> list[list[float]]:
    latlon: list[list[float]] = np.round(
        shapely.get_coordinates(line)[:, ::-1], COORD_DECIMALS).tolist()
    return latlon


def _km(distance_m: int) -> str:
    km = distance_m / 1000
    return f"{km:.1f} km" if km < 10 else f"{km:.0f} km"


def _stop_popup(stop: Stop, detail: str) -> str:
    """Popup HTML for a village: names, load and ``detail`` (already escaped HTML)."""
    english = f" {html_text(stop.name_en)}" if stop.name_en else ""
    return (f"<b>{html_text(stop.name)}</b>{english}<br>{stop.parcels} parcels · "
            f"{stop.weight_kg} kg · produce {stop.produce_kg} kg<br>{detail}")


class _PointLayer(MacroElement):
    """Adds many markers to its parent layer from one JSON array, each with popup and tooltip.

    Points are ``[lat, lon, label, popup_html, tooltip_html]``; label and HTML must already be
    escaped. ``shape`` is ``"circle"`` (a canvas circle marker styled by ``style``) or the CSS
    class of a ``divIcon`` whose ``<span>`` shows ``label`` on a ``style["color"]`` background.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var layer = {{ this._parent.get_name() }};
            var style = {{ this.style }};
            {{ this.points }}.forEach(function (p) {
            {%- if this.shape == "circle" %}
                var m = L.circleMarker([p[0], p[1]], style);
            {%- else %}
                var m = L.marker([p[0], p[1]], {icon: L.divIcon({
                    className: {{ this.shape_json }}, iconSize: [24, 24], iconAnchor: [12, 12],
                    html: '<span style="background:' + style.color + '">' + p[2] + '</span>'
                })});
            {%- endif %}
                m.bindPopup(p[3], {maxWidth: 320}).bindTooltip(p[4]).addTo(layer);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self, points: Sequence[Sequence[Any]], *, shape: str, style: Mapping[str, Any]
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves it unannotated
        self._name = "PointLayer"
        self.shape = shape
        self.shape_json = _script_json(shape)
        self.style = _script_json(dict(style))
        self.points = _script_json([list(p) for p in points])


class _MapAttribution(MacroElement):
    """Adds a fixed attribution to the map's attribution control, shown with or without tiles."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # branca leaves it unannotated
        self._name = "MapAttribution"
        self.text = _script_json(text)


def _bounds(problem: Problem, boundary: BaseGeometry | None) -> list[list[float]]:
    if boundary is not None and not boundary.is_empty:
        minx, miny, maxx, maxy = boundary.bounds
    else:
        located: tuple[Depot | Stop, ...] = (*problem.depots, *problem.stops)
        points = [(p.lon, p.lat) for p in located]
        xs, ys = zip(*points, strict=True)
        minx, miny, maxx, maxy = min(xs), min(ys), max(xs), max(ys)
    return [[round(v, COORD_DECIMALS) for v in corner] for corner in ((miny, minx), (maxy, maxx))]


def _add_boundary(m: folium.Map, boundary: BaseGeometry) -> None:
    feature = {"type": "Feature", "properties": {}, "geometry": mapping(_rounded(boundary))}
    folium.GeoJson(
        {"type": "FeatureCollection", "features": [feature]},
        name="County boundary",
        style_function=lambda _: {"color": "#333333", "weight": 2, "fill": False,
                                  "dashArray": "6 4"},
        interactive=False,
    ).add_to(m)


def _add_roads(m: folium.Map, roads: Sequence[LineString]) -> None:
    lines = [r for r in roads if not r.is_empty]
    if not lines:
        return
    geometry = mapping(_rounded(shapely.MultiLineString(lines)))
    feature = {"type": "Feature", "properties": {}, "geometry": geometry}
    folium.GeoJson(
        {"type": "FeatureCollection", "features": [feature]},
        name="Main roads",
        style_function=lambda _: {"color": "#b0b0b0", "weight": 1.5, "opacity": 0.9},
        interactive=False,
    ).add_to(m)


def _add_routes(
    m: folium.Map, plan: Plan, problem: Problem, geometries: Mapping[str, LineString]
) -> list[dict[str, Any]]:
    summaries = []
    for i, route in enumerate(plan.routes):
        props = route_properties(route, index=i)
        summaries.append(props)
        vehicle = html_text(route.vehicle)
        label = f"{vehicle} · {len(route.stops)} stops · {_km(route.distance_m)}"
        group = folium.FeatureGroup(name=label, show=True).add_to(m)
        folium.PolyLine(
            _latlon(route_geometry(route, geometries)),
            color=props["colour"], weight=4, opacity=0.85,
            tooltip=f"{label}<br>{props['start']}–{props['end']}",
        ).add_to(group)
        points = []
        for pos, (stop_id, arrival) in enumerate(
            zip(route.stops, route.arrival_s, strict=True), start=1
        ):
            stop = problem.stop_by_id[stop_id]
            clock = format_clock(arrival)
            popup = _stop_popup(stop, f"Route {vehicle} · stop {pos}/{len(route.stops)} · {clock}")
            tooltip = f"{pos}. {html_text(stop.name)} · {clock}"
            points.append([round(stop.lat, COORD_DECIMALS), round(stop.lon, COORD_DECIMALS),
                           pos, popup, tooltip])
        group.add_child(_PointLayer(points, shape="rr-num", style={"color": props["colour"]}))
    return summaries


def _unserved_reasons(plan: Plan, problem: Problem) -> dict[str, str]:
    served = plan.route_of()
    reasons = {**problem.excluded, **{u.stop: u.reason for u in plan.unserved}}
    return {s.id: reasons.get(s.id, "not in the plan") for s in problem.stops
            if s.id not in served}


def _add_unserved(m: folium.Map, problem: Problem, reasons: Mapping[str, str]) -> None:
    if not reasons:
        return
    points = []
    for stop_id, reason in reasons.items():
        stop = problem.stop_by_id[stop_id]
        popup = _stop_popup(stop, f"<b>Unserved</b>: {html_text(reason)}")
        tooltip = f"{html_text(stop.name)} · unserved"
        points.append([round(stop.lat, COORD_DECIMALS), round(stop.lon, COORD_DECIMALS),
                       "", popup, tooltip])
    noun = "village" if len(points) == 1 else "villages"
    group = folium.FeatureGroup(name=f"Unserved · {len(points)} {noun}", show=True).add_to(m)
    group.add_child(_PointLayer(points, shape="circle", style=_UNSERVED_STYLE))


def _add_depots(m: folium.Map, plan: Plan, problem: Problem) -> None:
    points = []
    for depot in problem.depots:
        routes = [r for r in plan.routes if r.depot == depot.id]
        popup = (f"<b>{html_text(depot.name)}</b> ({html_text(depot.id)})<br>Depot · "
                 f"{len(routes)} routes · {sum(r.load[0] for r in routes)} parcels out")
        points.append([round(depot.lat, COORD_DECIMALS), round(depot.lon, COORD_DECIMALS),
                       "D", popup, f"Depot · {html_text(depot.name)}"])
    group = folium.FeatureGroup(name="Depots", show=True).add_to(m)
    group.add_child(_PointLayer(points, shape="rr-depot", style={"color": "#111111"}))


def _legend_html(title: str, summaries: Sequence[Mapping[str, Any]], unserved: int) -> str:
    rows = "".join(
        f'<div><i style="background:{s["colour"]}"></i>{html_text(s["vehicle"])} · '
        f'{s["stops"]} stops · {s["distance_km"]:.1f} km</div>'
        for s in summaries
    )
    total_km = sum(s["distance_km"] for s in summaries)
    footer = f"{len(summaries)} routes · {total_km:.1f} km"
    if unserved:
        footer += (f' · <span style="color:{_UNSERVED_STYLE["color"]}">'
                   f"{unserved} unserved</span>")
    return (f'<div class="rr-legend" id="rr-legend"><b>{html_text(title)}</b>'
            f"{rows}<div>{footer}</div></div>")


def _base_map(bounds: list[list[float]], *, title: str, boundary: BaseGeometry | None,
              roads: Sequence[LineString] | None, tiles: bool) -> folium.Map:
    """An offline Leaflet map with the county boundary and main roads, optional web tiles."""
    centre = [round((bounds[0][k] + bounds[1][k]) / 2, COORD_DECIMALS) for k in (0, 1)]
    m = folium.Map(location=centre, zoom_start=10, tiles=None, control_scale=True,
                   prefer_canvas=True)
    _inline_leaflet(m)
    page = _page(m)
    page.title = html_text(title)
    page.header.add_child(folium.Element(_CSS), name="rr_css")
    if tiles:
        folium.TileLayer(OSM_TILES_URL, attr=ATTRIBUTION, name="OpenStreetMap", overlay=False,
                         control=True, max_zoom=19).add_to(m)
    if boundary is not None:
        _add_boundary(m, boundary)
    if roads:
        _add_roads(m, roads)
    return m


def route_map(
    plan: Plan,
    problem: Problem,
    *,
    geometries: Mapping[str, LineString],
    boundary: BaseGeometry | None = None,
    roads: Sequence[LineString] | None = None,
    title: str,
    tiles: bool = False,
) -> folium.Map:
    """Return a Leaflet map of ``plan``: one switchable layer per route, unserved and depots.

    Parameters
    ----------
    plan, problem
        The checked plan and the problem it answers.
    geometries
        Road-following LineString per vehicle id, EPSG:4326 (lon, lat).
    boundary
        County (Multi)Polygon in EPSG:4326, drawn as an outline; the map fits to it (to the
        depots and stops without it).
    roads
        Main-road LineStrings in EPSG:4326, drawn in light grey under the routes.
    title
        Shown at the top of the legend and as the page title.
    tiles
        Add OpenStreetMap web tiles as a base layer. Off by default: the map stands on our own
        data and must not need a tile server.

    Returns
    -------
    folium.Map
        Save it with :func:`save_map`.

    Raises
    ------
    ModelError
        When a route has no geometry in ``geometries``.
    """
    bounds = _bounds(problem, boundary)
    m = _base_map(bounds, title=title, boundary=boundary, roads=roads, tiles=tiles)
    summaries = _add_routes(m, plan, problem, geometries)
    reasons = _unserved_reasons(plan, problem)
    _add_unserved(m, problem, reasons)
    _add_depots(m, plan, problem)
    m.add_child(_MapAttribution(ATTRIBUTION))
    _page(m).html.add_child(folium.Element(_legend_html(title, summaries, len(reasons))),
                            name="rr_legend")
    folium.LayerControl(collapsed=len(plan.routes) > 12).add_to(m)
    m.fit_bounds(bounds)
    return m


def save_map(m: folium.Map, path: str | Path) -> Path:
    """Write ``m`` as one UTF-8 HTML file, creating parent directories; return the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(m.get_root().render(), encoding="utf-8")
    return path


@dataclass(frozen=True, eq=False)
class PlanLayer:
    """One plan to draw as a single switchable layer: a strategy's day, or one leg of it."""

    name: str
    plan: Plan
    problem: Problem
    geometries: Mapping[str, LineString]


def strategies_map(
    layers: Sequence[PlanLayer],
    *,
    boundary: BaseGeometry | None = None,
    roads: Sequence[LineString] | None = None,
    title: str,
    tiles: bool = False,
) -> folium.Map:
    """Return a Leaflet map with one switchable layer group per plan (e.g. per strategy).

    Only the first layer is shown at first, so strategies can be switched on and off and
    compared on the same roads. Each layer holds its routes, its numbered villages and its
    unserved villages; depots of every plan are drawn once.
    """
    if not layers:
        raise ModelError("layers: a map needs at least one plan")
    first = layers[0]
    bounds = _bounds(first.problem, boundary)
    m = _base_map(bounds, title=title, boundary=boundary, roads=roads, tiles=tiles)
    rows = []
    for i, layer in enumerate(layers):
        km = sum(r.distance_m for r in layer.plan.routes) / 1000
        label = f"{html_text(layer.name)} · {len(layer.plan.routes)} routes · {km:,.0f} km"
        group = folium.FeatureGroup(name=label, show=i == 0).add_to(m)
        for j, route in enumerate(layer.plan.routes):
            colour = route_properties(route, index=j)["colour"]
            folium.PolyLine(_latlon(route_geometry(route, layer.geometries)), color=colour,
                            weight=3, opacity=0.8,
                            tooltip=f"{html_text(layer.name)} · {html_text(route.vehicle)}"
                            ).add_to(group)
            points = []
            for pos, (stop_id, arrival) in enumerate(
                    zip(route.stops, route.arrival_s, strict=True), start=1):
                stop = layer.problem.stop_by_id[stop_id]
                detail = (f"{html_text(layer.name)} · {html_text(route.vehicle)} · stop "
                          f"{pos}/{len(route.stops)} · {format_clock(arrival)}")
                points.append([round(stop.lat, COORD_DECIMALS), round(stop.lon, COORD_DECIMALS),
                               pos, _stop_popup(stop, detail),
                               f"{pos}. {html_text(stop.name)}"])
            group.add_child(_PointLayer(points, shape="rr-num", style={"color": colour}))
        reasons = _unserved_reasons(layer.plan, layer.problem)
        if reasons:
            group.add_child(_PointLayer(
                [[round(layer.problem.stop_by_id[s].lat, COORD_DECIMALS),
                  round(layer.problem.stop_by_id[s].lon, COORD_DECIMALS), "",
                  _stop_popup(layer.problem.stop_by_id[s], f"<b>Unserved</b>: {html_text(r)}"),
                  f"{html_text(layer.problem.stop_by_id[s].name)} · unserved"]
                 for s, r in reasons.items()], shape="circle", style=_UNSERVED_STYLE))
        rows.append(f"<div>{label}{f' · {len(reasons)} unserved' if reasons else ''}</div>")
    depots: dict[str, Any] = {}
    for layer in layers:
        for depot in layer.problem.depots:
            depots.setdefault(depot.id, depot)
    group = folium.FeatureGroup(name="Depots and stations", show=True).add_to(m)
    group.add_child(_PointLayer(
        [[round(d.lat, COORD_DECIMALS), round(d.lon, COORD_DECIMALS), "D",
          f"<b>{html_text(d.name)}</b> ({html_text(d.id)})", html_text(d.name)]
         for d in depots.values()], shape="rr-depot", style={"color": "#111111"}))
    m.add_child(_MapAttribution(ATTRIBUTION))
    legend = (f'<div class="rr-legend" id="rr-legend"><b>{html_text(title)}</b>{"".join(rows)}'
              f"<div>Switch strategies in the layer control.</div></div>")
    _page(m).html.add_child(folium.Element(legend), name="rr_legend")
    folium.LayerControl(collapsed=False).add_to(m)
    m.fit_bounds(bounds)
    return m
