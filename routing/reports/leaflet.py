"""An offline Leaflet page (folium) to draw on: Leaflet inlined, text escaped, compact markers.

The page works with no network at all: Leaflet's JavaScript and CSS (from the ``xstatic-leaflet``
package, the version folium targets) travel inside the file, with the CSS images as data URIs,
and folium's CDN links (Leaflet, jQuery, Bootstrap, Font Awesome, awesome-markers), which these
maps do not use, are left out. The county boundary and main roads are drawn from our own data,
so the page needs no tile server (``tiles=True`` adds OpenStreetMap tiles as a base layer).

Every string that reaches HTML is escaped with :func:`html_text`; the JSON embedded in
``<script>`` is made safe by :func:`script_json`. Markers are emitted as one compact JSON array
per layer plus a small loop (:class:`PointLayer`) instead of one folium object per marker.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
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

from routing.reports.geojson import COORD_DECIMALS

#: Shown on every map, with or without tiles: the data are OpenStreetMap's.
ATTRIBUTION = (
    '<a href="https://www.openstreetmap.org/copyright">'
    "&copy; OpenStreetMap contributors, ODbL</a>"
)

#: The OpenStreetMap standard tile server, used only with ``tiles=True``.
OSM_TILES_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

# What ends or disturbs a <script> element's text: "</", "<!--" and "<script".
_SCRIPT_BREAKERS = re.compile(r"<(/|!--|script)", re.IGNORECASE)

# A brace that opens Jinja markup ("{{", "{%", "{#"). Branca compiles every element's rendered
# text as a Jinja template again, so a village named "{{ ... }}" would run as template code.
_JINJA_OPENER = re.compile(r"\{(?=[{%#])")

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


def page_of(m: folium.Map) -> Figure:
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
    page_of(m).header.add_child(
        folium.Element(f"<style>{css}</style>\n<script>{js}</script>"), name="leaflet_inline")


def html_text(value: object) -> str:
    """Escape ``value`` for HTML and for a JS template literal (folium puts tooltips in one).

    Beyond :func:`html.escape`, backticks, ``$`` and backslashes become character references so
    a name like ``${alert(1)}`` stays text inside folium's `` `...` `` strings, and a brace
    opening Jinja markup (``{{``, ``{%``, ``{#``) does too, so branca's second templating pass
    shows it instead of running it.
    """
    text = html.escape(str(value), quote=True)
    text = text.replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")
    return _JINJA_OPENER.sub("&#123;", text)


def script_json(value: Any) -> str:
    """Serialise ``value`` as JavaScript that cannot close or comment out its ``<script>``, nor
    hold Jinja markup (only a JSON string can have ``{{``: its brace becomes ``\\u007b``)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    text = _SCRIPT_BREAKERS.sub(lambda match: "\\u003c" + match.group(1), text)
    text = _JINJA_OPENER.sub(lambda _: "\\u007b", text)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _rounded(geometry: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geometry, lambda c: np.round(c, COORD_DECIMALS))


class PointLayer(MacroElement):
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
        self.shape_json = script_json(shape)
        self.style = script_json(dict(style))
        self.points = script_json([list(p) for p in points])


class MapAttribution(MacroElement):
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
        self.text = script_json(text)


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


def base_map(bounds: list[list[float]], *, title: str, boundary: BaseGeometry | None,
              roads: Sequence[LineString] | None, tiles: bool) -> folium.Map:
    """An offline Leaflet map with the county boundary and main roads, optional web tiles."""
    centre = [round((bounds[0][k] + bounds[1][k]) / 2, COORD_DECIMALS) for k in (0, 1)]
    m = folium.Map(location=centre, zoom_start=10, tiles=None, control_scale=True,
                   prefer_canvas=True)
    _inline_leaflet(m)
    page = page_of(m)
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
