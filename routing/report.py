"""Write a checked plan's reports: plan.json, routes/stops GeoJSON, stops CSV and the route map."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from shapely.geometry import LineString

from geodata.export import (
    routes_geojson,
    stops_geojson,
    stops_table,
    write_csv,
    write_geojson,
)
from geodata.geometry import road_lines, route_geometry
from geodata.maps import route_map, save_map
from geodata.places import read_boundary
from routing.kpis import plan_kpis
from routing.model import LOAD_DIMENSIONS, Plan
from routing.pipeline import PlanResult

#: Road classes drawn in grey under the routes on maps.
MAP_ROAD_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary")


def plan_document(result: PlanResult) -> dict[str, Any]:
    """The content of ``plan.json``: routes by stop id, unserved stops with reasons, KPIs."""
    plan, problem = result.plan, result.problem
    checks = {c.vehicle: c for c in result.check.routes}
    return {
        "scenario": result.scenario.name,
        "title": result.scenario.title,
        "engine": plan.engine,
        "seed": plan.seed,
        "settings": {
            "time_limit_s": result.settings.time_limit_s,
            "first_solution": result.settings.first_solution,
            "metaheuristic": result.settings.metaheuristic,
            "objective": result.settings.objective,
            "solution_limit": result.settings.solution_limit,
        },
        "routes": [
            {
                "vehicle": r.vehicle,
                "vehicle_type": r.vehicle_type,
                "depot": r.depot,
                "stops": list(r.stops),
                "arrival_s": list(r.arrival_s),
                "start_s": r.start_s,
                "end_s": r.end_s,
                "distance_m": r.distance_m,
                "duration_s": r.duration_s,
                "load": dict(zip(LOAD_DIMENSIONS, r.load, strict=True)),
                "max_load": dict(zip(LOAD_DIMENSIONS, checks[r.vehicle].max_load, strict=True)),
            }
            for r in plan.routes
        ],
        "unserved": [{"stop": u.stop, "reason": u.reason} for u in plan.unserved],
        "kpis": plan_kpis(problem, plan),
        "check": {"ok": result.check.ok, "violations": list(result.check.violations)},
        "notes": list(result.geography.notes),
        "solve_time_s": plan.solve_time_s,
    }


def route_geometries(result: PlanResult, plan: Plan | None = None) -> dict[str, LineString]:
    """Road-following geometry (EPSG:4326) of every route, keyed by vehicle id."""
    plan = plan or result.plan
    geo = result.geography
    return {r.vehicle: route_geometry(geo.network, geo.snaps, [r.depot, *r.stops, r.depot])
            for r in plan.routes}


def write_reports(result: PlanResult, out_dir: Path, *, tiles: bool = False) -> list[Path]:
    """Write every report of ``result`` into ``out_dir`` and return the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    plan, problem = result.plan, result.problem
    geometries = route_geometries(result)
    written = []
    plan_path = out_dir / "plan.json"
    plan_path.write_text(json.dumps(plan_document(result), ensure_ascii=False, indent=1),
                         encoding="utf-8")
    written.append(plan_path)
    written.append(write_geojson(out_dir / "routes.geojson",
                                 routes_geojson(plan, problem, geometries)))
    written.append(write_geojson(out_dir / "stops.geojson", stops_geojson(plan, problem)))
    written.append(write_csv(out_dir / "stops.csv", stops_table(plan, problem)))
    boundary = (read_boundary(result.scenario.network.boundary)
                if result.scenario.network.boundary else None)
    roads = road_lines(result.geography.network, classes=MAP_ROAD_CLASSES)
    fmap = route_map(plan, problem, geometries=geometries, boundary=boundary, roads=roads,
                     title=result.scenario.title, tiles=tiles)
    map_path = out_dir / "map.html"
    save_map(fmap, map_path)
    written.append(map_path)
    return written
