"""Write a strategy's checked plans as reports: plan.json, GeoJSON, stops CSV and the route map.

Every strategy writes the same files (``plan.json`` is :mod:`routing.reports.plan_json`'s); the
comparison map draws every strategy of a comparison as a layer of its own. A vehicle has one
colour in all of them (:func:`result_colours`), its trips alike, as on its route sheet; the
carriers' feeder trips to the hub are a layer of their own.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from geodata import read_boundary, road_lines, simplify_for_display
from geodata import route_geometries as road_route_lines
from routing.core import CostModel, Echelon
from routing.inputs import Scenario
from routing.pipeline import Geography
from routing.reports.geojson import (
    route_key,
    routes_geojson,
    stops_geojson,
    stops_table,
    vehicle_colours,
    write_csv,
    write_geojson,
)
from routing.reports.plan_json import write_plan_json
from routing.reports.webmap import MapPart, PlanLayer, plans_map, save_map, strategies_map
from routing.strategies import Comparison, Leg, StrategyResult

#: Road classes drawn in grey under the routes on maps.
MAP_ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary")

#: Route lines on maps drop vertices that move them less than this (the files keep them all).
DISPLAY_TOLERANCE_M = 10.0

#: The map layer of the carriers' feeder trips to the hub.
FEEDER_LAYER = "Feeders to the hub"


def result_colours(result: StrategyResult) -> dict[str, str]:
    """Each vehicle's colour in a strategy's reports: in the order the vehicles appear in its
    legs, as its route sheets colour them."""
    return vehicle_colours(r for leg in result.legs for r in leg.plan.routes)


def route_lines(geography: Geography, routes: Sequence[tuple[str, str, Sequence[str]]]
                ) -> dict[str, LineString]:
    """Road-following geometry (EPSG:4326) of routes given as ``(key, profile, locations
    from the depot back to it)``, each on the road network of its travel profile, keyed by
    ``key`` (:func:`~routing.reports.geojson.route_key`)."""
    lines: dict[str, LineString] = {}
    for profile in sorted({p for _, p, _ in routes}):
        network, snaps = geography.roads_for(profile)
        lines |= road_route_lines(network, snaps, {v: list(locations)
                                                   for v, p, locations in routes if p == profile})
    return lines


@cache
def leg_geometries(result: StrategyResult, leg: Leg) -> dict[str, LineString]:
    """Road-following geometry (EPSG:4326) of every route (every trip) of ``leg``, keyed by
    :func:`~routing.reports.geojson.route_key`.

    Each route follows the road network of its vehicle's travel profile, as its matrices do,
    through the locations its stops stand at (:meth:`Leg.location`: a relay trunk load split in
    parts is drawn at its station, a village's visits at the village).
    """
    profile_of = {vt.id: vt.profile for vt in leg.problem.vehicle_types}
    return route_lines(result.geography, [
        (route_key(r), profile_of[r.vehicle_type],
         [r.depot, *map(leg.location, r.stops), r.depot])
        for r in leg.plan.routes])


def display_geometries(geometries: dict[str, LineString]) -> dict[str, LineString]:
    """Route lines thinned for a web map (vertices within :data:`DISPLAY_TOLERANCE_M` dropped).

    A region's 250 routes hold ~10^5 road vertices; a browser draws the thinned lines at once.
    """
    return {vid: simplify_for_display(line, tolerance_m=DISPLAY_TOLERANCE_M)
            for vid, line in geometries.items()}


def write_strategy_reports(result: StrategyResult, out_dir: Path, *, seed: int, engine: str,
                           settings: dict[str, Any] | None = None,
                           cost_models: tuple[CostModel, ...] = (),
                           tiles: bool = False) -> list[Path]:
    """Write plan.json, routes.geojson, stops.geojson, stops.csv and map.html into ``out_dir``.

    ``routes.geojson`` has every trip of every leg (feeders included) in its vehicle's colour;
    the stops files list the villages (a relay's station loads and the feeders' loads at the
    hub are not villages)."""
    plan_path = write_plan_json(result, out_dir, seed=seed, engine=engine, settings=settings,
                                cost_models=cost_models)
    colours = result_colours(result)
    features, stop_rows, stop_features = [], [], []
    for leg in result.legs:
        routes = routes_geojson(leg.plan, leg_geometries(result, leg),
                                colours=colours)["features"]
        for feature in routes:
            feature["properties"].update(leg=leg.label, echelon=leg.echelon)
        features += routes
        if leg.echelon in (Echelon.TRUNK, Echelon.FEEDER):
            continue
        rows = stops_table(leg.plan, leg.problem, location_of=leg.location_of)
        stop_rows += [{"leg": leg.label, **row} for row in rows]
        stop_features += [f for f in stops_geojson(leg.plan, leg.problem,
                                                   location_of=leg.location_of)["features"]
                          if f["properties"].get("kind") == "stop"]
    depot_features: dict[str, dict[str, Any]] = {}
    for leg in result.legs:
        for f in stops_geojson(leg.plan, leg.problem)["features"]:
            if f["properties"].get("kind") == "depot":
                depot_features.setdefault(f["properties"]["stop_id"], f)
    stop_features += list(depot_features.values())
    written = [plan_path,
               write_geojson(out_dir / "routes.geojson",
                             {"type": "FeatureCollection", "features": features}),
               write_geojson(out_dir / "stops.geojson",
                             {"type": "FeatureCollection", "features": stop_features}),
               write_csv(out_dir / "stops.csv", stop_rows)]
    written.append(write_strategy_map(result, out_dir / "map.html", tiles=tiles))
    return written


def _map_part(leg: Leg) -> MapPart:
    feeder = leg.echelon == Echelon.FEEDER
    return MapPart(leg.plan, leg.problem, leg.location_of, layer=FEEDER_LAYER if feeder else "",
                   loads=leg.echelon in (Echelon.TRUNK, Echelon.FEEDER))


def _village_legs(result: StrategyResult) -> tuple[list[MapPart], dict[str, LineString]]:
    """The legs that deliver to villages and the feeders (every leg when no leg delivers) as
    map parts, and their route lines thinned for display."""
    delivering = [leg for leg in result.legs
                  if leg.echelon not in (Echelon.TRUNK, Echelon.FEEDER)]
    legs = ([leg for leg in result.legs if leg.echelon != Echelon.TRUNK] if delivering
            else list(result.legs))
    geometries = display_geometries(
        {key: g for leg in legs for key, g in leg_geometries(result, leg).items()})
    return [_map_part(leg) for leg in legs], geometries


def map_context(scenario: Scenario, geography: Geography
                ) -> tuple[BaseGeometry | None, tuple[LineString, ...]]:
    """What maps and sheets draw under the routes: the scenario's boundary (if it has one) and
    its main roads (:data:`MAP_ROAD_CLASSES`)."""
    boundary = read_boundary(scenario.network.boundary) if scenario.network.boundary else None
    return boundary, tuple(road_lines(geography.network, classes=MAP_ROAD_CLASSES))


def write_strategy_map(result: StrategyResult, path: Path, *, tiles: bool = False) -> Path:
    """The route map of a strategy: the legs that deliver to villages and the feeders, over the
    county, each vehicle in its colour (:func:`result_colours`)."""
    parts, geometries = _village_legs(result)
    boundary, roads = map_context(result.scenario, result.geography)
    fmap = plans_map(parts, geometries=geometries, boundary=boundary, roads=roads,
                     title=f"{result.scenario.title} — {result.strategy}", tiles=tiles,
                     colours=result_colours(result))
    return save_map(fmap, path)


def comparison_map_html(comparison: Comparison, *, tiles: bool = False) -> str:
    """One map page with a switchable layer per strategy, on the scenario's roads and boundary."""
    layers = []
    for name, result in comparison.results.items():
        parts, geometries = _village_legs(result)
        layers.append(PlanLayer(name, tuple(parts), geometries, result_colours(result)))
    first = next(iter(comparison.results.values()))
    boundary, roads = map_context(first.scenario, first.geography)
    return str(strategies_map(layers, boundary=boundary, roads=roads,
                              title=f"{comparison.scenario.title} — strategies",
                              tiles=tiles).get_root().render())


def write_comparison_map(path: Path, page: str) -> Path:
    """Write the strategies map page (:func:`comparison_map_html`) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
