"""Draw plans as self-contained Leaflet web maps (folium) from our own geodata, no web tiles.

Each route is its own layer (road-following line plus numbered village markers) so a
dispatcher can switch routes on and off; unserved villages and depots have layers of their own.
Several plans draw as one (:func:`plans_map`: a strategy's legs) or as switchable layers
(:func:`strategies_map`: the strategies of a comparison), each route looking its villages up in
its own plan's problem. The page itself is :mod:`routing.reports.leaflet`'s: offline, escaped.

Size matters for a county of ~1,800 villages and 100+ routes: coordinates are rounded to
6 decimals, each geometry is written once, and village markers are emitted as one compact JSON
array per layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from routing.core import Depot, ModelError, Plan, Problem, Route, Stop
from routing.reports.geojson import COORD_DECIMALS, format_clock, route_geometry, route_properties
from routing.reports.leaflet import (
    ATTRIBUTION,
    MapAttribution,
    PointLayer,
    base_map,
    html_text,
    page_of,
)

_UNSERVED_STYLE = {"radius": 6, "color": "#c0392b", "weight": 2, "fillColor": "#9e9e9e",
                   "fillOpacity": 0.9}


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


@dataclass(frozen=True, eq=False)
class MapPart:
    """A plan and the problem it answers, drawn together with others as one plan: the legs of
    a strategy (each carrier's day, each township's round). Each part's routes look their
    villages up in their own problem, so parts may visit the same village."""

    plan: Plan
    problem: Problem


def _routes(parts: Sequence[MapPart]) -> list[tuple[Route, Problem]]:
    """Every route of ``parts`` in order, with the problem its stops are looked up in."""
    return [(route, part.problem) for part in parts for route in part.plan.routes]


def _depots(parts: Sequence[MapPart]) -> list[Depot]:
    """The depots of ``parts``, each once, in the order they first appear."""
    depots: dict[str, Depot] = {}
    for part in parts:
        for depot in part.problem.depots:
            depots.setdefault(depot.id, depot)
    return list(depots.values())


def _bounds(parts: Sequence[MapPart], boundary: BaseGeometry | None) -> list[list[float]]:
    if boundary is not None and not boundary.is_empty:
        minx, miny, maxx, maxy = boundary.bounds
    else:
        located: list[Depot | Stop] = [*_depots(parts)]
        located += [s for part in parts for s in part.problem.stops]
        points = [(p.lon, p.lat) for p in located]
        xs, ys = zip(*points, strict=True)
        minx, miny, maxx, maxy = min(xs), min(ys), max(xs), max(ys)
    return [[round(v, COORD_DECIMALS) for v in corner] for corner in ((miny, minx), (maxy, maxx))]


def _add_routes(
    m: folium.Map, parts: Sequence[MapPart], geometries: Mapping[str, LineString]
) -> list[dict[str, Any]]:
    summaries = []
    for i, (route, problem) in enumerate(_routes(parts)):
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
        group.add_child(PointLayer(points, shape="rr-num", style={"color": props["colour"]}))
    return summaries


def _unserved(parts: Sequence[MapPart]) -> list[tuple[Stop, str]]:
    """Each part's villages its plan leaves unserved, with the reason, part by part."""
    out = []
    for part in parts:
        served = part.plan.route_of()
        reasons = {**part.problem.excluded, **{u.stop: u.reason for u in part.plan.unserved}}
        out += [(s, reasons.get(s.id, "not in the plan")) for s in part.problem.stops
                if s.id not in served]
    return out


def _add_unserved(m: folium.Map, unserved: Sequence[tuple[Stop, str]]) -> None:
    if not unserved:
        return
    points = []
    for stop, reason in unserved:
        popup = _stop_popup(stop, f"<b>Unserved</b>: {html_text(reason)}")
        tooltip = f"{html_text(stop.name)} · unserved"
        points.append([round(stop.lat, COORD_DECIMALS), round(stop.lon, COORD_DECIMALS),
                       "", popup, tooltip])
    noun = "village" if len(points) == 1 else "villages"
    group = folium.FeatureGroup(name=f"Unserved · {len(points)} {noun}", show=True).add_to(m)
    group.add_child(PointLayer(points, shape="circle", style=_UNSERVED_STYLE))


def _add_depots(m: folium.Map, parts: Sequence[MapPart]) -> None:
    points = []
    for depot in _depots(parts):
        routes = [r for r, _ in _routes(parts) if r.depot == depot.id]
        popup = (f"<b>{html_text(depot.name)}</b> ({html_text(depot.id)})<br>Depot · "
                 f"{len(routes)} routes · {sum(r.load[0] for r in routes)} parcels out")
        points.append([round(depot.lat, COORD_DECIMALS), round(depot.lon, COORD_DECIMALS),
                       "D", popup, f"Depot · {html_text(depot.name)}"])
    group = folium.FeatureGroup(name="Depots", show=True).add_to(m)
    group.add_child(PointLayer(points, shape="rr-depot", style={"color": "#111111"}))


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
    return plans_map([MapPart(plan, problem)], geometries=geometries, boundary=boundary,
                     roads=roads, title=title, tiles=tiles)


def plans_map(
    parts: Sequence[MapPart],
    *,
    geometries: Mapping[str, LineString],
    boundary: BaseGeometry | None = None,
    roads: Sequence[LineString] | None = None,
    title: str,
    tiles: bool = False,
) -> folium.Map:
    """Return :func:`route_map` of several plans drawn as one: every part's routes, numbered
    in order for their colours, its unserved villages, and the depots of all parts once.

    ``geometries`` holds every part's routes by vehicle id (vehicle ids are unique across the
    parts of a strategy). Parts may visit the same village: the legs of ``independent``.
    """
    if not parts:
        raise ModelError("parts: a map needs at least one plan")
    bounds = _bounds(parts, boundary)
    m = base_map(bounds, title=title, boundary=boundary, roads=roads, tiles=tiles)
    summaries = _add_routes(m, parts, geometries)
    unserved = _unserved(parts)
    _add_unserved(m, unserved)
    _add_depots(m, parts)
    m.add_child(MapAttribution(ATTRIBUTION))
    page_of(m).html.add_child(folium.Element(_legend_html(title, summaries, len(unserved))),
                            name="rr_legend")
    folium.LayerControl(collapsed=len(summaries) > 12).add_to(m)
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
    """Plans to draw as a single switchable layer: a strategy's day (its legs as parts), or
    one leg of it."""

    name: str
    parts: tuple[MapPart, ...]
    geometries: Mapping[str, LineString]

    @property
    def routes(self) -> list[tuple[Route, Problem]]:
        """The layer's routes in order, each with the problem its stops are looked up in."""
        return _routes(self.parts)


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
    bounds = _bounds(first.parts, boundary)
    m = base_map(bounds, title=title, boundary=boundary, roads=roads, tiles=tiles)
    rows = []
    for i, layer in enumerate(layers):
        km = sum(r.distance_m for r, _ in layer.routes) / 1000
        label = f"{html_text(layer.name)} · {len(layer.routes)} routes · {km:,.0f} km"
        group = folium.FeatureGroup(name=label, show=i == 0).add_to(m)
        for j, (route, problem) in enumerate(layer.routes):
            colour = route_properties(route, index=j)["colour"]
            folium.PolyLine(_latlon(route_geometry(route, layer.geometries)), color=colour,
                            weight=3, opacity=0.8,
                            tooltip=f"{html_text(layer.name)} · {html_text(route.vehicle)}"
                            ).add_to(group)
            points = []
            for pos, (stop_id, arrival) in enumerate(
                    zip(route.stops, route.arrival_s, strict=True), start=1):
                stop = problem.stop_by_id[stop_id]
                detail = (f"{html_text(layer.name)} · {html_text(route.vehicle)} · stop "
                          f"{pos}/{len(route.stops)} · {format_clock(arrival)}")
                points.append([round(stop.lat, COORD_DECIMALS), round(stop.lon, COORD_DECIMALS),
                               pos, _stop_popup(stop, detail),
                               f"{pos}. {html_text(stop.name)}"])
            group.add_child(PointLayer(points, shape="rr-num", style={"color": colour}))
        unserved = _unserved(layer.parts)
        if unserved:
            group.add_child(PointLayer(
                [[round(s.lat, COORD_DECIMALS), round(s.lon, COORD_DECIMALS), "",
                  _stop_popup(s, f"<b>Unserved</b>: {html_text(r)}"),
                  f"{html_text(s.name)} · unserved"]
                 for s, r in unserved], shape="circle", style=_UNSERVED_STYLE))
        rows.append(f"<div>{label}{f' · {len(unserved)} unserved' if unserved else ''}</div>")
    depots = _depots([part for layer in layers for part in layer.parts])
    group = folium.FeatureGroup(name="Depots and stations", show=True).add_to(m)
    group.add_child(PointLayer(
        [[round(d.lat, COORD_DECIMALS), round(d.lon, COORD_DECIMALS), "D",
          f"<b>{html_text(d.name)}</b> ({html_text(d.id)})", html_text(d.name)]
         for d in depots], shape="rr-depot", style={"color": "#111111"}))
    m.add_child(MapAttribution(ATTRIBUTION))
    legend = (f'<div class="rr-legend" id="rr-legend"><b>{html_text(title)}</b>{"".join(rows)}'
              f"<div>Switch strategies in the layer control.</div></div>")
    page_of(m).html.add_child(folium.Element(legend), name="rr_legend")
    folium.LayerControl(collapsed=False).add_to(m)
    m.fit_bounds(bounds)
    return m
