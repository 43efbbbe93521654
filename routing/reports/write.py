"""Write a strategy's checked plans as reports: plan.json, GeoJSON, stops CSV and the route map.

Every strategy writes the same files (``plan.json`` is :mod:`routing.reports.plan_json`'s); the
comparison map draws every strategy of a comparison as a layer of its own.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import LineString

from geodata import read_boundary, road_lines, simplify_for_display
from geodata import route_geometries as road_route_lines
from routing.core import (
    DEFAULT_PROFILE,
    CostModel,
    Depot,
    Plan,
    Problem,
    Route,
    Stop,
    Unserved,
    VehicleType,
)
from routing.reports.geojson import (
    routes_geojson,
    stops_geojson,
    stops_table,
    write_csv,
    write_geojson,
)
from routing.reports.plan_json import write_plan_json
from routing.reports.webmap import PlanLayer, route_map, save_map, strategies_map
from routing.strategies import Comparison, Leg, StrategyResult

#: Road classes drawn in grey under the routes on maps.
MAP_ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary")

#: Route lines on maps drop vertices that move them less than this (the files keep them all).
DISPLAY_TOLERANCE_M = 10.0


@cache
def leg_geometries(result: StrategyResult, leg: Leg) -> dict[str, LineString]:
    """Road-following geometry (EPSG:4326) of every route of ``leg``, keyed by vehicle id.

    Each route follows the road network of its vehicle's travel profile, as its matrices do. A
    relay trunk stop split in several loads (``t123#2``) is drawn at its station.
    """
    geo = result.geography
    located = {sid: sid.split("#")[0] for sid in leg.problem.stop_by_id}
    profile_of = {vt.id: vt.profile for vt in leg.problem.vehicle_types}
    lines: dict[str, LineString] = {}
    for profile in sorted(set(profile_of.values())):
        sequences = {r.vehicle: [r.depot, *(located[s] for s in r.stops), r.depot]
                     for r in leg.plan.routes if profile_of[r.vehicle_type] == profile}
        if sequences:
            network, snaps = geo.roads_for(profile)
            lines |= road_route_lines(network, snaps, sequences)
    return lines


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
    """Write plan.json, routes.geojson, stops.geojson, stops.csv and map.html into ``out_dir``."""
    plan_path = write_plan_json(result, out_dir, seed=seed, engine=engine, settings=settings,
                                cost_models=cost_models)
    features, stop_rows, stop_features = [], [], []
    geometries = {leg.label: leg_geometries(result, leg) for leg in result.legs}
    for leg in result.legs:
        routes = routes_geojson(leg.plan, leg.problem, geometries[leg.label])["features"]
        for feature in routes:
            feature["properties"].update(leg=leg.label, echelon=leg.echelon)
        features += routes
        if leg.echelon == "trunk":
            continue
        rows = stops_table(leg.plan, leg.problem)
        stop_rows += [{"leg": leg.label, **row} for row in rows]
        stop_features += [f for f in stops_geojson(leg.plan, leg.problem)["features"]
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
    written.append(write_strategy_map(result, out_dir / "map.html", geometries=geometries,
                                      tiles=tiles))
    return written


def write_strategy_map(result: StrategyResult, path: Path, *,
                       geometries: dict[str, dict[str, LineString]], tiles: bool = False) -> Path:
    """The route map of a strategy: the legs that deliver to villages, over the county."""
    scenario = result.scenario
    boundary = read_boundary(scenario.network.boundary) if scenario.network.boundary else None
    roads = road_lines(result.geography.network, classes=MAP_ROAD_CLASSES)
    legs = [leg for leg in result.legs if leg.echelon != "trunk"] or list(result.legs)
    # One leg draws as is; several (carriers, townships) are merged for display only.
    leg = legs[0] if len(legs) == 1 else _merged_for_display(legs)
    merged_geometries = display_geometries(
        {vid: g for lg in legs for vid, g in geometries[lg.label].items()})
    fmap = route_map(leg.plan, leg.problem, geometries=merged_geometries, boundary=boundary,
                     roads=roads, title=f"{scenario.title} — {result.strategy}", tiles=tiles)
    return save_map(fmap, path)


def _merged_for_display(legs: list[Leg]) -> Leg:
    """Several legs as one plan over one problem, for a map. Where legs visit the same village
    (each carrier under ``independent``), each visit gets its own id ``village@leg``."""
    seen: dict[str, int] = {}
    depots: dict[str, Depot] = {}
    types: dict[str, VehicleType] = {}
    stops: list[Stop] = []
    routes: list[Route] = []
    unserved: list[Unserved] = []
    for leg in legs:
        for d in leg.problem.depots:
            depots.setdefault(d.id, d)
        for vt in leg.problem.vehicle_types:
            types.setdefault(vt.id, vt)
        renamed = {}
        for stop in leg.problem.stops:
            seen[stop.id] = seen.get(stop.id, 0) + 1
            new_id = stop.id if seen[stop.id] == 1 else f"{stop.id}@{leg.label}"
            renamed[stop.id] = new_id
            stops.append(replace(stop, id=new_id))
        routes += [Route(r.vehicle, r.vehicle_type, r.depot, tuple(renamed[s] for s in r.stops),
                         r.arrival_s, r.start_s, r.end_s, r.distance_m, r.load)
                   for r in leg.plan.routes]
        unserved += [Unserved(renamed[u.stop], u.reason) for u in leg.plan.unserved]
    ids = [*depots, *(s.id for s in stops)]
    size = len(ids)
    zeros = np.zeros((size, size), dtype=np.int64)
    problem = Problem(name="display", depots=tuple(depots.values()), stops=tuple(stops),
                      vehicle_types=tuple(types.values()), distance_m=zeros, duration_s=zeros,
                      service_s=np.zeros(size, dtype=np.int64),
                      excluded={u.stop: u.reason for u in unserved},
                      profiles={vt.profile: (zeros, zeros) for vt in types.values()
                                if vt.profile != DEFAULT_PROFILE})
    plan = Plan(problem="display", engine=legs[0].plan.engine, seed=legs[0].plan.seed,
                routes=tuple(routes), unserved=tuple(unserved))
    return Leg("all", "delivery", problem, plan, legs[0].check)

def write_comparison_map(comparison: Comparison, path: Path, *, tiles: bool = False) -> Path:
    """One map with a switchable layer per strategy, on the scenario's roads and boundary."""
    scenario = comparison.scenario
    layers = []
    for name, result in comparison.results.items():
        legs = [leg for leg in result.legs if leg.echelon != "trunk"] or list(result.legs)
        leg = legs[0] if len(legs) == 1 else _merged_for_display(legs)
        geometries = display_geometries(
            {vid: g for lg in legs for vid, g in leg_geometries(result, lg).items()})
        layers.append(PlanLayer(name, leg.plan, leg.problem, geometries))
    first = next(iter(comparison.results.values()))
    boundary = read_boundary(scenario.network.boundary) if scenario.network.boundary else None
    roads = road_lines(first.geography.network, classes=MAP_ROAD_CLASSES)
    return save_map(strategies_map(layers, boundary=boundary, roads=roads,
                                   title=f"{scenario.title} — strategies", tiles=tiles), path)
