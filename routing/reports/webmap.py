"""Draw plans as self-contained Leaflet web maps (folium) from our own geodata, no web tiles.

Each vehicle is its own layer (its trips' road-following lines and its numbered stops, all in
the vehicle's colour) so a dispatcher can switch vehicles on and off; a part drawn under a layer
name (the carriers' feeder trips to the hub) is one layer of its own, and unserved villages and
depots have layers of their own. A vehicle's stops are numbered through its day, trip after
trip, as on its route sheet; popups name the trip ("light-van-03, trip 2") and a village's
visit when it has several ("visit 1 of 2"). Several plans draw as one (:func:`plans_map`: a
strategy's legs) or as switchable layers (:func:`strategies_map`: the strategies of a
comparison), each route looking its villages up in its own plan's problem. The page itself is
:mod:`routing.reports.leaflet`'s: offline, escaped.

Size matters for a county of ~1,800 villages and 100+ routes: coordinates are rounded to
6 decimals, each geometry is written once, and village markers are emitted as one compact JSON
array per vehicle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from routing.core import Depot, ModelError, Plan, Problem, Route, Stop, VehicleDay
from routing.reports.geojson import (
    COORD_DECIMALS,
    format_clock,
    part_label,
    route_geometry,
    trip_name,
    vehicle_colours,
    visit_parts,
)
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


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _fleet(days: Sequence[VehicleDay]) -> str:
    """``9 vehicles, 19 trips``."""
    return f"{_count(len(days), 'vehicle')}, {_count(sum(len(d.trips) for d in days), 'trip')}"


def _stop_popup(stop: Stop, detail: str) -> str:
    """Popup HTML for a village: names, load and ``detail`` (already escaped HTML)."""
    english = f" {html_text(stop.name_en)}" if stop.name_en else ""
    return (f"<b>{html_text(stop.name)}</b>{english}<br>{stop.parcels} parcels · "
            f"{stop.weight_kg} kg · produce {stop.produce_kg} kg<br>{detail}")


@dataclass(frozen=True, eq=False)
class MapPart:
    """A plan and the problem it answers, drawn together with others as one plan: the legs of
    a strategy (each carrier's day, each township's round). Each part's routes look their
    villages up in their own problem, so parts may visit the same village.

    ``location_of`` maps a stop id to the location it stands at where they differ (a village's
    visits, a load in parts; :meth:`Leg.location`). ``layer`` names the one layer all the
    part's vehicles are drawn in (e.g. the feeders); empty: a layer per vehicle. ``loads``: its
    stops are loads handed over at a depot (a feeder's at the hub), read ``load 1/2``, not
    village visits.
    """

    plan: Plan
    problem: Problem
    location_of: Mapping[str, str] = field(default_factory=dict)
    layer: str = ""
    loads: bool = False

    def visits(self) -> dict[str, str]:
        """``visit k of n`` (or ``load k/n``) of each stop that is one of several at its
        location, by stop id."""
        return {sid: part_label(k, n, load=self.loads)
                for sid, (k, n) in visit_parts(self.problem.stops, self.location_of).items()}


def _routes(parts: Sequence[MapPart]) -> list[tuple[Route, Problem]]:
    """Every route of ``parts`` in order, with the problem its stops are looked up in."""
    return [(route, part.problem) for part in parts for route in part.plan.routes]


def _colours(parts: Sequence[MapPart], colours: Mapping[str, str] | None) -> Mapping[str, str]:
    """``colours`` if given, else each vehicle's in the order the vehicles appear in ``parts``."""
    return colours if colours is not None else vehicle_colours(r for r, _ in _routes(parts))


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


@dataclass(frozen=True)
class _Style:
    """How a layer draws a vehicle's day: what its popups and line tooltips start with (escaped
    HTML), and its lines' weight and opacity."""

    prefix: str
    weight: float
    opacity: float


_PLAN_STYLE = _Style("Route ", 4, 0.85)


def _day_points(part: MapPart, day: VehicleDay, visits: Mapping[str, str],
                style: _Style) -> list[list[Any]]:
    """The numbered markers of one vehicle's day: its stops numbered through the day, trip
    after trip, as its route sheet numbers them."""
    total = sum(len(r.stops) for r in day.trips)
    points: list[list[Any]] = []
    for route in day.trips:
        name = html_text(trip_name(route, len(day.trips)))
        for stop_id, arrival in zip(route.stops, route.arrival_s, strict=True):
            pos = len(points) + 1
            stop = part.problem.stop_by_id[stop_id]
            clock = format_clock(arrival)
            visit = f" · {html_text(visits[stop_id])}" if stop_id in visits else ""
            popup = _stop_popup(stop, f"{style.prefix}{name} · stop {pos}/{total} · {clock}"
                                      f"{visit}")
            points.append([round(stop.lat, COORD_DECIMALS), round(stop.lon, COORD_DECIMALS),
                           pos, popup, f"{pos}. {html_text(stop.name)} · {clock}"])
    return points


def _draw_day(group: folium.FeatureGroup, part: MapPart, day: VehicleDay, colour: str,
              geometries: Mapping[str, LineString], visits: Mapping[str, str],
              style: _Style) -> None:
    """One vehicle's day into ``group``: a line per trip and its numbered stops, in its
    colour."""
    for route in day.trips:
        name = html_text(trip_name(route, len(day.trips)))
        folium.PolyLine(
            _latlon(route_geometry(route, geometries)), color=colour, weight=style.weight,
            opacity=style.opacity,
            tooltip=(f"{style.prefix}{name} · {_count(len(route.stops), 'stop')} · "
                     f"{_km(route.distance_m)}<br>{format_clock(route.start_s)}–"
                     f"{format_clock(route.end_s)}"),
        ).add_to(group)
    group.add_child(PointLayer(_day_points(part, day, visits, style), shape="rr-num",
                               style={"color": colour}))


def _day_text(day: VehicleDay) -> str:
    """A vehicle's day in a legend row: ``light-van-03 · 2 trips · 14 stops · 84.3 km``."""
    trips = f"{len(day.trips)} trips · " if len(day.trips) > 1 else ""
    stops = _count(sum(len(r.stops) for r in day.trips), "stop")
    return f"{html_text(day.vehicle)} · {trips}{stops} · {day.distance_m / 1000:.1f} km"


def _day_label(day: VehicleDay) -> str:
    """A vehicle's layer name: ``light-van-03 · 2 trips · 14 stops · 84 km``."""
    trips = f"{len(day.trips)} trips · " if len(day.trips) > 1 else ""
    stops = _count(sum(len(r.stops) for r in day.trips), "stop")
    return f"{html_text(day.vehicle)} · {trips}{stops} · {_km(day.distance_m)}"


def _layer_label(name: str, days: Sequence[VehicleDay]) -> str:
    """A layer of several vehicles: ``Feeders to the hub · 5 vehicles, 6 trips · 120 km``."""
    return f"{html_text(name)} · {_fleet(days)} · {_km(sum(d.distance_m for d in days))}"


def _groups(parts: Sequence[MapPart]
            ) -> dict[tuple[str, str], list[tuple[MapPart, VehicleDay]]]:
    """The map's route layers in order: one per vehicle, or one per layer name of the parts
    that have one, keyed (layer name, vehicle id)."""
    groups: dict[tuple[str, str], list[tuple[MapPart, VehicleDay]]] = {}
    for part in parts:
        for day in part.plan.days():
            key = (part.layer, "" if part.layer else day.vehicle)
            groups.setdefault(key, []).append((part, day))
    return groups


def _add_routes(m: folium.Map, parts: Sequence[MapPart], geometries: Mapping[str, LineString],
                colours: Mapping[str, str]) -> list[dict[str, Any]]:
    """Every vehicle's day on ``m``, a layer per vehicle or per named layer; returns the
    legend's rows (colour, text, trips, km), one per vehicle."""
    visits = {part: part.visits() for part in parts}
    rows: list[dict[str, Any]] = []
    for (layer, _), days in _groups(parts).items():
        label = _layer_label(layer, [d for _, d in days]) if layer else _day_label(days[0][1])
        group = folium.FeatureGroup(name=label, show=True)
        group.add_to(m)
        for part, day in days:
            colour = colours[day.vehicle]
            _draw_day(group, part, day, colour, geometries, visits[part], _PLAN_STYLE)
            text = f"{html_text(layer)}: {_day_text(day)}" if layer else _day_text(day)
            rows.append({"colour": colour, "text": text, "trips": len(day.trips),
                         "distance_km": day.distance_m / 1000})
    return rows


def _unserved(parts: Sequence[MapPart]) -> list[tuple[Stop, str]]:
    """Each part's villages its plan leaves unserved, with the reason (and which visit of the
    village it is, when it has several), part by part."""
    out = []
    for part in parts:
        served = part.plan.route_of()
        visits = part.visits()
        reasons = {**part.problem.excluded, **{u.stop: u.reason for u in part.plan.unserved}}
        out += [(s, reasons.get(s.id, "not in the plan")
                 + (f" ({visits[s.id]})" if s.id in visits else ""))
                for s in part.problem.stops if s.id not in served]
    return out


def _unserved_points(unserved: Sequence[tuple[Stop, str]]) -> list[list[Any]]:
    return [[round(stop.lat, COORD_DECIMALS), round(stop.lon, COORD_DECIMALS), "",
             _stop_popup(stop, f"<b>Unserved</b>: {html_text(reason)}"),
             f"{html_text(stop.name)} · unserved"] for stop, reason in unserved]


def _add_unserved(m: folium.Map, unserved: Sequence[tuple[Stop, str]]) -> None:
    if not unserved:
        return
    noun = "village" if len(unserved) == 1 else "villages"
    group = folium.FeatureGroup(name=f"Unserved · {len(unserved)} {noun}", show=True).add_to(m)
    group.add_child(PointLayer(_unserved_points(unserved), shape="circle",
                               style=_UNSERVED_STYLE))


def _add_depots(m: folium.Map, parts: Sequence[MapPart]) -> None:
    days = [day for part in parts for day in part.plan.days()]
    points = []
    for depot in _depots(parts):
        mine = [d for d in days if d.trips[0].depot == depot.id]
        parcels = sum(r.load[0] for d in mine for r in d.trips)
        popup = (f"<b>{html_text(depot.name)}</b> ({html_text(depot.id)})<br>Depot · "
                 f"{_fleet(mine)} · {parcels} parcels out")
        points.append([round(depot.lat, COORD_DECIMALS), round(depot.lon, COORD_DECIMALS),
                       "D", popup, f"Depot · {html_text(depot.name)}"])
    group = folium.FeatureGroup(name="Depots", show=True).add_to(m)
    group.add_child(PointLayer(points, shape="rr-depot", style={"color": "#111111"}))


def _legend_html(title: str, rows: Sequence[Mapping[str, Any]], unserved: int) -> str:
    lines = "".join(f'<div><i style="background:{r["colour"]}"></i>{r["text"]}</div>'
                    for r in rows)
    trips = sum(r["trips"] for r in rows)
    total_km = sum(r["distance_km"] for r in rows)
    footer = f"{_count(len(rows), 'vehicle')}, {_count(trips, 'trip')} · {total_km:.1f} km"
    if unserved:
        footer += (f' · <span style="color:{_UNSERVED_STYLE["color"]}">'
                   f"{unserved} unserved</span>")
    return (f'<div class="rr-legend" id="rr-legend"><b>{html_text(title)}</b>'
            f"{lines}<div>{footer}</div></div>")


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
    """Return a Leaflet map of ``plan``: one switchable layer per vehicle (its trips), unserved
    and depots.

    Parameters
    ----------
    plan, problem
        The checked plan and the problem it answers.
    geometries
        Road-following LineString per route, keyed by :func:`~routing.reports.geojson.
        route_key` (the vehicle id for its first trip), EPSG:4326 (lon, lat).
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
    colours: Mapping[str, str] | None = None,
) -> folium.Map:
    """Return :func:`route_map` of several plans drawn as one: every part's vehicles, each in
    its colour (``colours`` by vehicle id, else in the order the vehicles appear), its
    unserved villages, and the depots of all parts once.

    ``geometries`` holds every part's routes by :func:`~routing.reports.geojson.route_key`
    (vehicle ids are unique across the parts of a strategy). Parts may visit the same village:
    the legs of ``independent``.
    """
    if not parts:
        raise ModelError("parts: a map needs at least one plan")
    bounds = _bounds(parts, boundary)
    m = base_map(bounds, title=title, boundary=boundary, roads=roads, tiles=tiles)
    rows = _add_routes(m, parts, geometries, _colours(parts, colours))
    unserved = _unserved(parts)
    _add_unserved(m, unserved)
    _add_depots(m, parts)
    m.add_child(MapAttribution(ATTRIBUTION))
    page_of(m).html.add_child(folium.Element(_legend_html(title, rows, len(unserved))),
                            name="rr_legend")
    folium.LayerControl(collapsed=len(_groups(parts)) > 12).add_to(m)
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
    one leg of it. Parts with a layer name of their own (the feeders) are a layer beside it.
    ``colours`` by vehicle id; empty: in the order the vehicles appear."""

    name: str
    parts: tuple[MapPart, ...]
    geometries: Mapping[str, LineString]
    colours: Mapping[str, str] = field(default_factory=dict)

    @property
    def routes(self) -> list[tuple[Route, Problem]]:
        """The layer's routes in order, each with the problem its stops are looked up in."""
        return _routes(self.parts)


def _add_layer(m: folium.Map, layer: PlanLayer, *, show: bool) -> list[str]:
    """``layer``'s vehicles on ``m``: one group for its parts, one per layer name of the
    parts that have one; returns each group's legend line."""
    colours = layer.colours or vehicle_colours(r for r, _ in layer.routes)
    style = _Style(f"{html_text(layer.name)} · ", 3, 0.8)
    by_name: dict[str, list[MapPart]] = {}
    for part in layer.parts:
        by_name.setdefault(part.layer, []).append(part)
    lines = []
    for name, parts in sorted(by_name.items(), key=lambda item: item[0] != ""):
        days = [(part, day) for part in parts for day in part.plan.days()]
        title = f"{layer.name} · {name}" if name else layer.name
        label = _layer_label(title, [d for _, d in days])
        group = folium.FeatureGroup(name=label, show=show)
        group.add_to(m)
        for part, day in days:
            _draw_day(group, part, day, colours[day.vehicle], layer.geometries, part.visits(),
                      style)
        unserved = _unserved(parts)
        if unserved:
            group.add_child(PointLayer(_unserved_points(unserved), shape="circle",
                                       style=_UNSERVED_STYLE))
        lines.append(f"<div>{label}{f' · {len(unserved)} unserved' if unserved else ''}</div>")
    return lines


def strategies_map(
    layers: Sequence[PlanLayer],
    *,
    boundary: BaseGeometry | None = None,
    roads: Sequence[LineString] | None = None,
    title: str,
    tiles: bool = False,
) -> folium.Map:
    """Return a Leaflet map with one switchable layer group per plan (e.g. per strategy).

    Only the first plan is shown at first, so strategies can be switched on and off and
    compared on the same roads. Each layer holds its vehicles' trips, their numbered villages
    and its unserved villages, and is labelled with its vehicles, trips and km; its feeders
    are a layer of their own beside it. Depots of every plan are drawn once.
    """
    if not layers:
        raise ModelError("layers: a map needs at least one plan")
    first = layers[0]
    bounds = _bounds(first.parts, boundary)
    m = base_map(bounds, title=title, boundary=boundary, roads=roads, tiles=tiles)
    rows = []
    for i, layer in enumerate(layers):
        rows += _add_layer(m, layer, show=i == 0)
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
