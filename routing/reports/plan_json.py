"""``plan.json``, written and read in one place: a strategy's checked routes, KPIs and costs.

Every strategy writes the same document. It lists all routes of all legs (a carrier's day, the
shared fleet, the relay trunk or a township's local round) in one ``routes`` list, each route
naming its leg and echelon, so a single-leg plan reads exactly like a multi-leg one. The reader
gives the routes back with their legs for route sheets of a plan folder on disk.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from routing.core import LOAD_DIMENSIONS, CostModel, InputError, PlanError, Route
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
