"""Write a strategy's checked plans as reports: plan.json, GeoJSON, stops CSV and the route map.

Every strategy writes the same files. ``plan.json`` lists all routes of all legs (a carrier's
day, the shared fleet, the relay trunk or a township's local round) in one ``routes`` list, each
route naming its leg, so a single-leg plan reads exactly like a multi-leg one.
"""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from shapely.geometry import LineString

from geodata.export import (
    routes_geojson,
    stops_geojson,
    stops_table,
    write_csv,
    write_geojson,
)
from geodata.geometry import road_lines, simplify_for_display
from geodata.geometry import route_geometries as road_route_lines
from geodata.maps import PlanLayer, route_map, save_map, strategies_map
from geodata.places import read_boundary
from routing.compare import Comparison
from routing.costs import CostModel
from routing.errors import PlanError
from routing.model import (
    DEFAULT_PROFILE,
    LOAD_DIMENSIONS,
    Depot,
    Plan,
    Problem,
    Route,
    Stop,
    Unserved,
    VehicleType,
)
from routing.strategies import Leg, StrategyResult
from routing.strategy_check import check_strategy

#: Road classes drawn in grey under the routes on maps.
MAP_ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary")

#: Route lines on maps drop vertices that move them less than this (the files keep them all).
DISPLAY_TOLERANCE_M = 10.0


def _route_entry(leg: Leg, route: Any, max_load: tuple[int, ...]) -> dict[str, Any]:
    return {
        "vehicle": route.vehicle,
        "vehicle_type": route.vehicle_type,
        "leg": leg.label,
        "echelon": leg.echelon,
        "depot": route.depot,
        "stops": list(route.stops),
        "arrival_s": list(route.arrival_s),
        "start_s": route.start_s,
        "end_s": route.end_s,
        "distance_m": route.distance_m,
        "duration_s": route.duration_s,
        "load": dict(zip(LOAD_DIMENSIONS, route.load, strict=True)),
        "max_load": dict(zip(LOAD_DIMENSIONS, max_load, strict=True)),
    }


def plan_document(result: StrategyResult, *, seed: int, engine: str,
                  settings: dict[str, Any] | None = None,
                  cost_models: tuple[CostModel, ...] = ()) -> dict[str, Any]:
    """The content of ``plan.json``: routes by stop id, unserved villages with reasons, KPIs,
    and the day priced under each cost model given."""
    routes = []
    for leg in result.legs:
        peaks = {c.vehicle: c.max_load for c in leg.check.routes}
        routes += [_route_entry(leg, r, peaks[r.vehicle]) for r in leg.plan.routes]
    models = cost_models or ((result.scenario.cost_model,) if result.scenario.cost_model else ())
    return {
        "scenario": result.scenario.name,
        "title": result.scenario.title,
        "scenario_file": str(result.scenario.path.resolve()),
        "strategy": result.strategy,
        "engine": engine,
        "engines_used": sorted({leg.plan.engine for leg in result.legs}),
        "seed": seed,
        "settings": settings or {},
        "routes": routes,
        "unserved": [{"stop": u.stop, "why": str(u.why), "reason": u.reason}
                     for u in result.unserved],
        "legs": [{"label": leg.label, "echelon": leg.echelon, "routes": len(leg.plan.routes),
                  "stops": len(leg.problem.stops), "distance_m": leg.plan.distance_m,
                  "engine": leg.plan.engine, "budget_s": round(leg.budget_s, 3),
                  "solve_time_s": round(leg.plan.solve_time_s, 3),
                  "notes": list(leg.plan.notes)}
                 for leg in result.legs],
        "feeders": [vars(f) for f in result.feeders],
        "kpis": result.kpis(),
        "costs": {m.name: {**result.costs(m).figures(), "currency": m.currency}
                  for m in models},
        "check": check_document(result),
        "notes": list(result.geography.notes),
        "solve_time_s": round(result.solve_time_s, 3),
    }


def _leg_check(leg: Leg) -> dict[str, Any]:
    return {"level": "leg", "name": leg.label, "echelon": leg.echelon, "ok": leg.check.ok,
            "checked": f"{len(leg.check.routes)} routes recomputed from the matrices (distance, "
                       f"schedule, windows, shift, loads); {len(leg.problem.stops)} stops each "
                       f"served once or unserved for a verified reason",
            "violations": list(leg.check.violations)}


def check_document(result: StrategyResult) -> dict[str, Any]:
    """``plan.json``'s ``"check"``: every check that ran, leg by leg (the per-plan checker) and
    at strategy level (:mod:`routing.strategy_check`), each with what it compared and its
    verdict; ``ok`` only when all of them pass."""
    checks = [_leg_check(leg) for leg in result.legs]
    checks += [{"level": "strategy", "name": r.name, "ok": r.ok, "checked": r.checked,
                "details": list(r.details), "violations": list(r.violations)}
               for r in check_strategy(result, strict=False).rules]
    violations = [f"{c['name']}: {v}" for c in checks for v in c["violations"]]
    return {"ok": not violations, "violations": violations, "checks": checks}


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
    document = plan_document(result, seed=seed, engine=engine, settings=settings,
                             cost_models=cost_models)
    if not document["check"]["ok"]:
        raise PlanError(document["check"]["violations"])  # a plan that fails is never written
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_path = out_dir / "plan.json"
    plan_path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
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
