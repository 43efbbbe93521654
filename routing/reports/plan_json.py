"""``plan.json``, written and read in one place: a strategy's checked routes, KPIs and costs.

Every strategy writes the same document. It lists all routes of all legs (a carrier's day, the
shared fleet, the relay trunk or a township's local round, a carrier's feeder to the hub) in one
``routes`` list, each route naming its leg and echelon and its ``trip`` (a vehicle driving
several trips a day has one route per trip, numbered from 1), so a single-leg plan reads exactly
like a multi-leg one. ``vehicles`` lists each vehicle's day (its trips in order, its working
start and end, its km) and ``feeders`` the carriers' feeder legs in sum.
``route_sheets`` holds, route by route, what its sheet prints (:mod:`routing.reports.sheet_rows`:
each stop's loads and carriers, the location it stands at, the kilometres driven to it), so the
reader gives a plan folder on disk back as the same :class:`SheetRoute` rows the in-memory result
makes, without re-planning any part of it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.core import (
    DEFAULT_PROFILE,
    LOAD_DIMENSIONS,
    CostModel,
    Echelon,
    InputError,
    PlanError,
    Route,
)
from routing.reports.sheet_rows import SheetRoute, SheetStop, sheet_routes
from routing.strategies import Leg, StrategyResult, check_strategy

#: What a route does: delivers to villages (one echelon), is a relay's trunk or local round, or
#: brings a carrier's parcels from its branch to the hub (a feeder).
ECHELONS: tuple[str, ...] = Echelon.values()


def _route_entry(leg: Leg, route: Route, max_load: tuple[int, ...]) -> dict[str, Any]:
    return {
        "vehicle": route.vehicle,
        "trip": route.trip,
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


def vehicle_entries(result: StrategyResult) -> list[dict[str, Any]]:
    """``plan.json``'s ``"vehicles"``: each vehicle's day, leg by leg: its trips in order, when
    it starts loading for the first and is back from the last, its km, stops and parcels."""
    return [{"vehicle": day.vehicle, "vehicle_type": day.vehicle_type, "leg": leg.label,
             "echelon": leg.echelon, "depot": day.trips[0].depot,
             "trips": [r.trip for r in day.trips], "start_s": day.start_s, "end_s": day.end_s,
             "duration_s": day.duration_s, "distance_m": day.distance_m,
             "distance_km": round(day.distance_m / 1000, 1),
             "stops": sum(len(r.stops) for r in day.trips),
             "parcels": sum(r.load[0] for r in day.trips)}
            for leg in result.legs for day in leg.plan.days()]


def feeder_entries(result: StrategyResult) -> list[dict[str, Any]]:
    """``plan.json``'s ``"feeders"``: each feeder leg in sum (the carrier whose parcels it
    brings, by the leg's loads, else its label; its vehicles, trips, km and parcels)."""
    out = []
    for leg in result.feeder_legs:
        carriers = sorted({c for s in leg.problem.stops for c in s.parcels_by_carrier})
        out.append({"leg": leg.label, "carrier": ", ".join(carriers) or leg.label,
                    "vehicles": len(leg.plan.days()), "trips": len(leg.plan.routes),
                    "distance_m": leg.plan.distance_m,
                    "distance_km": round(leg.plan.distance_m / 1000, 1),
                    "duration_s": leg.plan.duration_s,
                    "parcels": sum(r.load[0] for r in leg.plan.routes)})
    return out


def _leg_entry(leg: Leg) -> dict[str, Any]:
    return {"label": leg.label, "echelon": leg.echelon, "vehicles": len(leg.plan.days()),
            "trips": len(leg.plan.routes), "stops": len(leg.problem.stops),
            "distance_m": leg.plan.distance_m, "engine": leg.plan.engine,
            "budget_s": round(leg.budget_s, 3), "solve_time_s": round(leg.plan.solve_time_s, 3),
            "notes": list(leg.plan.notes)}


def plan_document(result: StrategyResult, *, seed: int, engine: str,
                  settings: dict[str, Any] | None = None,
                  cost_models: tuple[CostModel, ...] = ()) -> dict[str, Any]:
    """The content of ``plan.json``: routes by stop id, unserved villages with reasons, KPIs,
    and the day priced under each cost model given."""
    routes = []
    for leg in result.legs:
        peaks = {(c.vehicle, c.trip): c.max_load for c in leg.check.routes}
        routes += [_route_entry(leg, r, peaks[r.vehicle, r.trip]) for r in leg.plan.routes]
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
        "vehicles": vehicle_entries(result),
        "legs": [_leg_entry(leg) for leg in result.legs],
        "feeders": feeder_entries(result),
        "kpis": result.kpis(),
        "costs": {m.name: {**result.costs(m).figures(), "currency": m.currency}
                  for m in models},
        "check": check_document(result),
        "notes": list(result.geography.notes),
        "solve_time_s": round(result.solve_time_s, 3),
        "route_sheets": [_sheet_entry(r) for r in sheet_routes(result)],
    }


def _sheet_entry(sheet: SheetRoute) -> dict[str, Any]:
    """``route_sheets[i]``: what the sheet of ``routes[i]`` prints beyond the route itself."""
    return {
        "vehicle": sheet.route.vehicle,
        "trip": sheet.route.trip,
        "vehicle_name": sheet.vehicle_name,
        "profile": sheet.profile,
        "note": sheet.note,
        "load_s": sheet.load_s,
        "stops": [{"id": s.stop_id, "at": at, "name": s.name, "name_en": s.name_en,
                   "visit": s.visit, "lon": s.lon, "lat": s.lat, "parcels": s.parcels,
                   "weight_kg": s.weight_kg, "produce_kg": s.produce_kg,
                   "parcels_by_carrier": dict(s.parcels_by_carrier),
                   "cumulative_m": s.cumulative_m}
                  for s, at in zip(sheet.stops, sheet.locations, strict=True)],
    }


def _leg_check(leg: Leg) -> dict[str, Any]:
    vehicles = len({c.vehicle for c in leg.check.routes})
    return {"level": "leg", "name": leg.label, "echelon": leg.echelon, "ok": leg.check.ok,
            "checked": f"{len(leg.check.routes)} trips of {vehicles} vehicles recomputed from "
                       f"the matrices (distance, schedule, windows, shift, loads, each "
                       f"vehicle's trips one after the other); {len(leg.problem.stops)} stops "
                       f"each served once or unserved for a verified reason",
            "violations": list(leg.check.violations)}


def check_document(result: StrategyResult) -> dict[str, Any]:
    """``plan.json``'s ``"check"``: every check that ran, leg by leg (the per-plan checker) and
    at strategy level (:mod:`routing.strategies.check`), each with what it compared and its
    verdict; ``ok`` only when all of them pass."""
    checks = [_leg_check(leg) for leg in result.legs]
    checks += [{"level": "strategy", "name": r.name, "ok": r.ok, "checked": r.checked,
                "details": list(r.details), "violations": list(r.violations)}
               for r in check_strategy(result, strict=False).rules]
    violations = [f"{c['name']}: {v}" for c in checks for v in c["violations"]]
    return {"ok": not violations, "violations": violations, "checks": checks}


def write_plan_json(result: StrategyResult, out_dir: Path, *, seed: int, engine: str,
                    settings: dict[str, Any] | None = None,
                    cost_models: tuple[CostModel, ...] = ()) -> Path:
    """Write ``out_dir/plan.json`` (:func:`plan_document`); a plan that fails its check is
    never written (:class:`~routing.core.errors.PlanError`)."""
    document = plan_document(result, seed=seed, engine=engine, settings=settings,
                             cost_models=cost_models)
    if not document["check"]["ok"]:
        raise PlanError(document["check"]["violations"])  # a plan that fails is never written
    out_dir.mkdir(parents=True, exist_ok=True)
    plan_path = out_dir / "plan.json"
    plan_path.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")
    return plan_path


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedRoute:
    """A route of ``plan.json`` with the leg and echelon it was planned in."""

    route: Route
    leg: str
    echelon: str


def plan_field(path: Path, data: Mapping[str, Any], key: str, kind: type) -> Any:
    """The required field ``key`` of a read ``plan.json``, of type ``kind``."""
    if key not in data:
        raise InputError(path, key, "is missing; write the plan again with `ruralroute solve`")
    value = data[key]
    if not isinstance(value, kind):
        raise InputError(path, key, f"must be {kind.__name__}, got {value!r}")
    return value


def read_planned_routes(path: Path, data: Mapping[str, Any]) -> tuple[PlannedRoute, ...]:
    """The routes of a read ``plan.json``, each with its leg and echelon; a route without a
    ``trip`` (written before vehicles drove several) is its vehicle's first."""
    routes: list[PlannedRoute] = []
    seen: set[tuple[str, str, int]] = set()
    for i, raw in enumerate(plan_field(path, data, "routes", list)):
        where = f"routes[{i}]"
        if not isinstance(raw, dict):
            raise InputError(path, where, "must be an object")
        try:
            load = raw.get("load", {})
            route = Route(
                vehicle=str(raw["vehicle"]), vehicle_type=str(raw["vehicle_type"]),
                depot=str(raw["depot"]), stops=tuple(str(s) for s in raw["stops"]),
                arrival_s=tuple(int(a) for a in raw["arrival_s"]), start_s=int(raw["start_s"]),
                end_s=int(raw["end_s"]), distance_m=int(raw["distance_m"]),
                load=(int(load.get("parcels", 0)), int(load.get("kg", 0))),
                trip=int(raw.get("trip", 1)))
        except KeyError as exc:
            raise InputError(path, f"{where}.{exc.args[0]}", "is missing") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise InputError(path, where, f"is not a valid route ({exc})") from None
        echelon = str(raw.get("echelon", "delivery"))
        if echelon not in ECHELONS:
            raise InputError(path, f"{where}.echelon",
                             f"must be one of {', '.join(ECHELONS)}, got {echelon!r}")
        leg = str(raw.get("leg", ""))
        if (leg, route.vehicle, route.trip) in seen:
            raise InputError(path, f"{where}.trip", f"vehicle {route.vehicle} has trip "
                                                    f"{route.trip} twice")
        seen.add((leg, route.vehicle, route.trip))
        routes.append(PlannedRoute(route, leg, echelon))
    return tuple(routes)


def _read_sheet_stop(position: int, raw: Any, arrival_s: int) -> tuple[SheetStop, str]:
    """One entry of ``route_sheets[i].stops`` and the location it stands at."""
    carriers = raw.get("parcels_by_carrier", {})
    stop = SheetStop(
        position=position, stop_id=str(raw["id"]), name=str(raw["name"]),
        name_en=str(raw.get("name_en", "")), lon=float(raw["lon"]), lat=float(raw["lat"]),
        parcels=int(raw["parcels"]), produce_kg=int(raw["produce_kg"]), arrival_s=arrival_s,
        cumulative_m=int(raw["cumulative_m"]), weight_kg=int(raw["weight_kg"]),
        parcels_by_carrier={str(c): int(n) for c, n in carriers.items()},
        visit=str(raw.get("visit", "")))
    return stop, str(raw["at"])


def _check_sheet_stops(path: Path, i: int, route: Route, raw: Mapping[str, Any]) -> None:
    """``route_sheets[i]`` lists the vehicle, trip and stops of ``routes[i]``, in order."""
    if raw.get("vehicle") != route.vehicle:
        raise InputError(path, f"route_sheets[{i}].vehicle",
                         f"is {raw.get('vehicle')!r}, not routes[{i}]'s {route.vehicle!r}; "
                         f"write the plan again with `ruralroute solve`")
    if raw.get("trip", 1) != route.trip:
        raise InputError(path, f"route_sheets[{i}].trip",
                         f"is {raw.get('trip', 1)!r}, not routes[{i}]'s {route.trip}; write the "
                         f"plan again with `ruralroute solve`")
    stops = raw.get("stops")
    if not isinstance(stops, list):
        raise InputError(path, f"route_sheets[{i}].stops", f"must be a list, got {stops!r}")
    listed = [s.get("id") if isinstance(s, dict) else None for s in stops]
    for k, sid in enumerate(route.stops):
        if k >= len(listed) or listed[k] != sid:
            raise InputError(path, f"routes[{i}].stops",
                             f"stop {k + 1}, {sid!r}, is not the one route_sheets[{i}] lists "
                             f"there ({listed[k] if k < len(listed) else None!r}); write the "
                             f"plan again with `ruralroute solve`")
    if len(listed) != len(route.stops):
        raise InputError(path, f"route_sheets[{i}].stops",
                         f"lists {len(listed)} stops, routes[{i}] {len(route.stops)}")


def _read_sheet_route(path: Path, i: int, planned: PlannedRoute, raw: Any) -> SheetRoute:
    where = f"route_sheets[{i}]"
    if not isinstance(raw, dict):
        raise InputError(path, where, "must be an object")
    route = planned.route
    _check_sheet_stops(path, i, route, raw)
    try:
        read = [_read_sheet_stop(k, s, arrival) for k, (s, arrival) in
                enumerate(zip(raw["stops"], route.arrival_s, strict=True), start=1)]
        return SheetRoute(route, tuple(s for s, _ in read), tuple(at for _, at in read),
                          vehicle_name=str(raw["vehicle_name"]),
                          profile=str(raw.get("profile", DEFAULT_PROFILE)), leg=planned.leg,
                          echelon=planned.echelon, note=str(raw.get("note", "")),
                          load_s=int(raw.get("load_s", 0)))
    except KeyError as exc:
        raise InputError(path, f"{where}.{exc.args[0]}", "is missing") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise InputError(path, where, f"is not a valid route sheet ({exc})") from None


def read_sheet_routes(path: Path, data: Mapping[str, Any]) -> tuple[SheetRoute, ...]:
    """The route sheets' rows of a read ``plan.json``: its ``routes`` with their legs and
    its ``route_sheets``, the same :class:`SheetRoute` rows its result made when written."""
    planned = read_planned_routes(path, data)
    entries = plan_field(path, data, "route_sheets", list)
    if len(entries) != len(planned):
        raise InputError(path, "route_sheets", f"lists {len(entries)} routes, routes has "
                                               f"{len(planned)}; write the plan again with "
                                               f"`ruralroute solve`")
    return tuple(_read_sheet_route(path, i, p, raw)
                 for i, (p, raw) in enumerate(zip(planned, entries, strict=True)))


def read_plan_day(path: Path, data: Mapping[str, Any]) -> dt.date:
    """The day a read ``plan.json`` is for (its ``date``), today when it has none."""
    text = data.get("date")
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(str(text))
    except ValueError:
        raise InputError(path, "date", f"must be a date like \"2026-05-01\", got {text!r}") \
            from None


def read_plan_json(plan_dir: Path) -> tuple[Path, dict[str, Any]]:
    """The path and content of ``plan_dir/plan.json``; errors name the file."""
    path = plan_dir / "plan.json"
    if not path.is_file():
        raise InputError(path, "file", "not found; give a folder written by `ruralroute solve` "
                                       "or a scenario .toml file")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(path, "file", f"is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(path, "file", "must hold a JSON object")
    return path, data
