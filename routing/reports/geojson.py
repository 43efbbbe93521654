"""Export a checked plan as GeoJSON and CSV for GIS tools (QGIS) and spreadsheets (Excel).

Everything leaves in WGS84 longitude/latitude (EPSG:4326, the RFC 7946 default, so no ``crs``
member) with coordinates rounded to 6 decimals (about 0.1 m), enough for a village and small
enough to keep county-wide files light. Colours are by vehicle (:func:`vehicle_colours`): a
vehicle's trips share one colour, the same on the web map, in QGIS, in the legend and on its
route sheet. A vehicle driving several trips has one route per trip; :func:`route_key` names
each trip's road line.
"""

from __future__ import annotations

import colorsys
import csv
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString

from routing.core import DAY_S, ModelError, Plan, Problem, Route, Stop

#: Decimal places kept in exported coordinates (6 places is about 0.1 m).
COORD_DECIMALS = 6

#: Columns of :func:`stops_table`, in output order.
STOP_COLUMNS: tuple[str, ...] = (
    "stop_id", "name", "name_en", "visit", "lon", "lat", "parcels", "weight_kg", "produce_kg",
    "vehicle", "trip", "position", "arrival", "unserved_reason",
)

# Tableau 20 reordered so neighbouring indices contrast; light tints come after strong colours.
_PALETTE: tuple[str, ...] = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173", "#3182bd", "#e6550d",
    "#31a354", "#756bb1", "#636363", "#ad494a",
)


def route_colour(i: int) -> str:
    """Return the display colour of the ``i``-th route of a plan as ``#rrggbb``.

    The first 20 colours are a hand-ordered qualitative palette; past that, hues step by the
    golden angle so that 100+ routes still get distinct, deterministic colours.

    Parameters
    ----------
    i
        0-based index of the route in ``Plan.routes``.
    """
    if i < 0:
        raise ValueError(f"route index must be >= 0, got {i}")
    if i < len(_PALETTE):
        return _PALETTE[i]
    hue = (i * 0.381966) % 1.0
    lightness = (0.38, 0.48, 0.30)[i % 3]
    r, g, b = colorsys.hls_to_rgb(hue, lightness, 0.75)
    return f"#{round(r * 255):02x}{round(g * 255):02x}{round(b * 255):02x}"


def vehicle_colours(routes: Iterable[Route]) -> dict[str, str]:
    """Each vehicle's display colour, by vehicle id: :func:`route_colour` of the order in which
    the vehicles first appear in ``routes``, so all trips of a vehicle share its colour."""
    order = dict.fromkeys(route.vehicle for route in routes)
    return {vehicle: route_colour(k) for k, vehicle in enumerate(order)}


def route_key(route: Route) -> str:
    """The key of one trip's road line in a geometries mapping: the vehicle id for its first
    trip, ``<vehicle>/<trip>`` for later ones (a one-trip plan is keyed by vehicle, as ever)."""
    return route.vehicle if route.trip == 1 else f"{route.vehicle}/{route.trip}"


def trip_name(route: Route, trips: int) -> str:
    """How maps and sheets name a route: ``light-van-03, trip 2`` when its vehicle drives
    ``trips`` > 1 trips, the vehicle id alone otherwise."""
    return f"{route.vehicle}, trip {route.trip}" if trips > 1 else route.vehicle


def visit_parts(stops: Sequence[Stop], location_of: Mapping[str, str]
                ) -> dict[str, tuple[int, int]]:
    """The stops that are one of several at their location (a village served by several visits,
    a station's or the hub's load in parts): stop id -> (k, n), the k-th of n in ``stops`` order.

    ``location_of`` maps a stop id to the location it stands at (:meth:`Leg.location`); a stop
    missing from it is its own location. Ids are never parsed.
    """
    where = [location_of.get(s.id, s.id) for s in stops]
    count = Counter(where)
    seen: Counter[str] = Counter()
    parts = {}
    for stop, loc in zip(stops, where, strict=True):
        seen[loc] += 1
        if count[loc] > 1:
            parts[stop.id] = (seen[loc], count[loc])
    return parts


def part_label(k: int, n: int, *, load: bool) -> str:
    """How sheets and maps name the k-th of n stops at one location: ``visit 1 of 2`` of a
    village served by several visits, ``load 1/2`` of a load handed over in parts at a station
    or the hub (``load``)."""
    return f"load {k}/{n}" if load else f"visit {k} of {n}"


def format_clock(seconds: int | float) -> str:
    """Format seconds since the plan's midnight as ``HH:MM``, with ``+Nd`` past the first day.

    Minutes are truncated like a clock (08:05:59 shows ``08:05``); 25 h 10 min shows
    ``+1d 01:10`` so overnight routes stay unambiguous.
    """
    if seconds < 0:
        raise ValueError(f"clock time must be >= 0 s, got {seconds}")
    days, rest = divmod(int(seconds), DAY_S)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}"
    return f"+{days}d {text}" if days else text


def _round(value: float) -> float:
    return round(float(value), COORD_DECIMALS)


def _line_coords(line: LineString) -> list[list[float]]:
    coords: list[list[float]] = np.round(shapely.get_coordinates(line), COORD_DECIMALS).tolist()
    return coords


def route_geometry(route: Route, geometries: Mapping[str, LineString]) -> LineString:
    """Return the road geometry of ``route`` (keyed by :func:`route_key`), failing clearly when
    the caller has none for it."""
    key = route_key(route)
    try:
        geometry = geometries[key]
    except KeyError:
        raise ModelError(f"geometries: no road geometry for route {key}") from None
    if geometry.geom_type != "LineString" or geometry.is_empty:
        raise ModelError(f"geometries: route {key} needs a non-empty LineString, "
                         f"got {geometry.geom_type}")
    return geometry


def route_properties(route: Route, *, colour: str) -> dict[str, Any]:
    """Return the route summary that the GeoJSON, the map and the legend share.

    ``colour`` is its vehicle's (:func:`vehicle_colours`); ``trip`` numbers the vehicle's trips
    from 1; ``parcels`` and ``kg`` are what leaves the depot (``Route.load``).
    """
    load = dict(zip(("parcels", "kg"), route.load, strict=False))
    return {
        "vehicle": route.vehicle,
        "trip": route.trip,
        "vehicle_type": route.vehicle_type,
        "depot": route.depot,
        "stops": len(route.stops),
        "parcels": int(load.get("parcels", 0)),
        "kg": int(load.get("kg", 0)),
        "distance_km": round(route.distance_m / 1000, 2),
        "duration_h": round(route.duration_s / 3600, 2),
        "start": format_clock(route.start_s),
        "end": format_clock(route.end_s),
        "colour": colour,
    }


def routes_geojson(plan: Plan, geometries: Mapping[str, LineString], *,
                   colours: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return a GeoJSON FeatureCollection with one LineString Feature per route (per trip).

    Parameters
    ----------
    plan
        The checked plan.
    geometries
        Road-following LineString per route, keyed by :func:`route_key`, EPSG:4326 (lon, lat).
    colours
        Colour by vehicle id (several plans drawn together share one); by default
        :func:`vehicle_colours` of ``plan``.

    Returns
    -------
    dict
        Ready for :func:`write_geojson`; properties as in :func:`route_properties`.

    Raises
    ------
    ModelError
        When a route has no geometry in ``geometries``.
    """
    colour = colours if colours is not None else vehicle_colours(plan.routes)
    features = []
    for route in plan.routes:
        line = route_geometry(route, geometries)
        features.append({
            "type": "Feature",
            "id": route_key(route),
            "properties": route_properties(route, colour=colour[route.vehicle]),
            "geometry": {"type": "LineString", "coordinates": _line_coords(line)},
        })
    return {"type": "FeatureCollection", "features": features}


def stops_table(plan: Plan, problem: Problem, *,
                location_of: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Return one row per stop of ``problem``, served or not, in the problem's stop order.

    Columns are :data:`STOP_COLUMNS`. For an unserved stop ``vehicle``, ``arrival`` are empty
    strings and ``trip``, ``position`` are ``None`` (so the columns stay numeric in QGIS and
    pandas; CSV writes them empty). ``unserved_reason`` comes from ``plan.unserved``, else from
    ``problem.excluded``, so every stop a plan leaves out says why. A village served by several
    visits (stops standing at one location, ``location_of``) has a row per visit, its ``visit``
    reading ``1/2``, ``2/2``.
    """
    served = plan.route_of()
    arrival_at = {stop: route.arrival_s[pos - 1] for stop, (route, pos) in served.items()}
    reasons = {**problem.excluded, **{u.stop: u.reason for u in plan.unserved}}
    parts = visit_parts(problem.stops, location_of or {})
    rows = []
    for stop in problem.stops:
        route, position = served.get(stop.id, (None, None))
        reason = reasons.get(stop.id, "not in the plan") if route is None else ""
        k, n = parts.get(stop.id, (0, 0))
        rows.append({
            "stop_id": stop.id,
            "name": stop.name,
            "name_en": stop.name_en,
            "visit": f"{k}/{n}" if n else "",
            "lon": _round(stop.lon),
            "lat": _round(stop.lat),
            "parcels": int(stop.parcels),
            "weight_kg": int(stop.weight_kg),
            "produce_kg": int(stop.produce_kg),
            "vehicle": route.vehicle if route is not None else "",
            "trip": route.trip if route is not None else None,
            "position": position,
            "arrival": format_clock(arrival_at[stop.id]) if route is not None else "",
            "unserved_reason": reason,
        })
    return rows


def stops_geojson(plan: Plan, problem: Problem, *,
                  location_of: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the depots and stops as GeoJSON Point features.

    Stops carry ``kind="stop"`` and the columns of :func:`stops_table`; depots carry
    ``kind="depot"`` with the same keys (``stop_id`` holds the depot id, load columns are
    ``None``) so QGIS sees one uniform attribute table.
    """
    features = []
    for depot in problem.depots:
        props: dict[str, Any] = {"kind": "depot", **dict.fromkeys(STOP_COLUMNS)}
        props.update(stop_id=depot.id, name=depot.name, name_en="", visit="",
                     lon=_round(depot.lon), lat=_round(depot.lat), vehicle="", arrival="",
                     unserved_reason="")
        features.append(_point_feature(props))
    for row in stops_table(plan, problem, location_of=location_of):
        features.append(_point_feature({"kind": "stop", **row}))
    return {"type": "FeatureCollection", "features": features}


def _point_feature(props: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": props["stop_id"],
        "properties": props,
        "geometry": {"type": "Point", "coordinates": [props["lon"], props["lat"]]},
    }


def write_geojson(path: str | Path, data: Mapping[str, Any]) -> Path:
    """Write GeoJSON as UTF-8 without ``\\u`` escapes, so Chinese names read as text in QGIS.

    Parent directories are created. Returns the path written.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_csv(path: str | Path, rows: Sequence[Mapping[str, Any]]) -> Path:
    """Write rows as CSV in UTF-8 with a BOM, so Excel opens Chinese names correctly.

    The header is the first row's keys in their order; every row must have exactly those keys
    (``ValueError`` otherwise). ``None`` is written as an empty cell. With no rows the file is
    empty, as there is no header to write. Parent directories are created. Returns the path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        if not rows:
            return path
        columns = list(rows[0].keys())
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="raise")
        writer.writeheader()
        for n, row in enumerate(rows, start=1):
            missing = [c for c in columns if c not in row]
            if missing:
                raise ValueError(f"{path}: row {n}: missing columns {missing}")
            writer.writerow(row)
    return path
