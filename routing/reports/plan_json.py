"""``plan.json``, written and read in one place: a strategy's checked routes, KPIs and costs.

Every strategy writes the same document. It lists all routes of all legs (a carrier's day, the
shared fleet, the relay trunk or a township's local round) in one ``routes`` list, each route
naming its leg and echelon, so a single-leg plan reads exactly like a multi-leg one.
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

from routing.core import DEFAULT_PROFILE, LOAD_DIMENSIONS, CostModel, InputError, PlanError, Route
from routing.reports.sheet_rows import SheetRoute, SheetStop, sheet_routes
from routing.strategies import Leg, StrategyResult, check_strategy

#: What a route does: delivers to villages (one echelon), or is a relay's trunk or local round.
ECHELONS: tuple[str, ...] = ("delivery", "trunk", "local")


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
        "route_sheets": [_sheet_entry(r) for r in sheet_routes(result)],
    }


def _sheet_entry(sheet: SheetRoute) -> dict[str, Any]:
    """``route_sheets[i]``: what the sheet of ``routes[i]`` prints beyond the route itself."""
    return {
        "vehicle": sheet.route.vehicle,
        "vehicle_name": sheet.vehicle_name,
        "profile": sheet.profile,
        "note": sheet.note,
        "stops": [{"id": s.stop_id, "at": at, "name": s.name, "name_en": s.name_en,
                   "lon": s.lon, "lat": s.lat, "parcels": s.parcels, "weight_kg": s.weight_kg,
                   "produce_kg": s.produce_kg, "parcels_by_carrier": dict(s.parcels_by_carrier),
                   "cumulative_m": s.cumulative_m}
                  for s, at in zip(sheet.stops, sheet.locations, strict=True)],
    }


def _leg_check(leg: Leg) -> dict[str, Any]:
    return {"level": "leg", "name": leg.label, "echelon": leg.echelon, "ok": leg.check.ok,
            "checked": f"{len(leg.check.routes)} routes recomputed from the matrices (distance, "
                       f"schedule, windows, shift, loads); {len(leg.problem.stops)} stops each "
                       f"served once or unserved for a verified reason",
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
    """The routes of a read ``plan.json``, each with its leg and echelon."""
    routes = []
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
                load=(int(load.get("parcels", 0)), int(load.get("kg", 0))))
        except KeyError as exc:
            raise InputError(path, f"{where}.{exc.args[0]}", "is missing") from None
        except (TypeError, ValueError, AttributeError) as exc:
            raise InputError(path, where, f"is not a valid route ({exc})") from None
        echelon = str(raw.get("echelon", "delivery"))
        if echelon not in ECHELONS:
            raise InputError(path, f"{where}.echelon",
                             f"must be one of {', '.join(ECHELONS)}, got {echelon!r}")
        routes.append(PlannedRoute(route, str(raw.get("leg", "")), echelon))
    return tuple(routes)


def _read_sheet_stop(position: int, raw: Any, arrival_s: int) -> tuple[SheetStop, str]:
    """One entry of ``route_sheets[i].stops`` and the location it stands at."""
    carriers = raw.get("parcels_by_carrier", {})
    stop = SheetStop(
        position=position, stop_id=str(raw["id"]), name=str(raw["name"]),
        name_en=str(raw.get("name_en", "")), lon=float(raw["lon"]), lat=float(raw["lat"]),
        parcels=int(raw["parcels"]), produce_kg=int(raw["produce_kg"]), arrival_s=arrival_s,
        cumulative_m=int(raw["cumulative_m"]), weight_kg=int(raw["weight_kg"]),
        parcels_by_carrier={str(c): int(n) for c, n in carriers.items()})
    return stop, str(raw["at"])


def _check_sheet_stops(path: Path, i: int, route: Route, raw: Mapping[str, Any]) -> None:
    """``route_sheets[i]`` lists the vehicle and the stops of ``routes[i]``, in order."""
    if raw.get("vehicle") != route.vehicle:
        raise InputError(path, f"route_sheets[{i}].vehicle",
                         f"is {raw.get('vehicle')!r}, not routes[{i}]'s {route.vehicle!r}; "
                         f"write the plan again with `ruralroute solve`")
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
                          echelon=planned.echelon, note=str(raw.get("note", "")))
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
