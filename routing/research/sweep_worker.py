"""Running one cell of a sweep, on a Dask worker: solve it, price it, return its row and plan.

Workers only compute: :func:`run_cell` returns the row and the plan document and never writes
into the results folder, so a killed worker loses no recorded cell and a worker needs no access
to the results folder (it does need the scenario, OSM and cost model files at the same paths as
the driver). A domain error becomes a failed row with its one-line message.
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from routing.core import COST_SEPARATOR, CostModel
from routing.inputs import Scenario, load_cost_model, load_scenario
from routing.pipeline import settings_for
from routing.research.results import FAILED, OK
from routing.research.sweep_grid import Cell, CellOutcome, code_digest
from routing.strategies import (
    StrategyResult,
    gap_plan,
    run_strategy,
    scale_demand,
    with_fleet,
)


def versions() -> dict[str, str]:
    """Versions of Python, of the packages that can change a cell's result, and of our code."""
    out = {"python_version": platform.python_version(), "code_digest": code_digest()}
    for package in ("ruralroute", "ortools", "pyvrp"):
        try:
            out[f"{package}_version"] = metadata.version(package)
        except metadata.PackageNotFoundError:
            out[f"{package}_version"] = ""
    return out


def variant(scenario: Scenario, *, fleet: Mapping[str, int], demand_scale: float) -> Scenario:
    """The scenario with the cell's fleet counts and demand scale applied."""
    if not fleet and demand_scale == 1.0:
        return scenario
    if fleet:
        scenario = with_fleet(scenario, fleet)
    if demand_scale != 1.0:
        scenario = scale_demand(scenario, demand_scale)
    return scenario


def plan_document(cell: Cell, result: StrategyResult,
                  costs: Mapping[str, Mapping[str, float]],
                  gap: StrategyResult | None = None) -> dict[str, Any]:
    """The cell's plan file: its inputs, every leg's routes by stop id and search budget (the
    feeder legs among them), the feeders in sum, KPIs, costs and the gap plan (the carriers'
    vans serving what the strategy left unserved)."""
    return {
        "cell": cell.inputs(),
        "strategy": str(result.strategy),
        "legs": _legs_document(result),
        "feeders": _feeders_document(result),
        "unserved": [{"stop": u.stop, "reason": u.reason} for u in result.unserved],
        "kpis": result.kpis(),
        "costs": {name: dict(figures) for name, figures in costs.items()},
        "solve_time_s": result.solve_time_s,
        "gap": None if gap is None else {"legs": _legs_document(gap), "kpis": gap.kpis(),
                                         "unserved": [u.stop for u in gap.unserved]},
    }


def _legs_document(result: StrategyResult) -> list[dict[str, Any]]:
    """Every leg of ``result``: engine, seed, check, search budget, routes and unserved stops."""
    return [{
        "label": leg.label, "echelon": str(leg.echelon), "engine": leg.plan.engine,
        "seed": leg.plan.seed, "check_ok": leg.check.ok,
        "budget_s": round(leg.budget_s, 3), "superseded_s": round(leg.superseded_s, 3),
        "vehicles": len(leg.plan.days()),
        "routes": [{"vehicle": r.vehicle, "trip": r.trip, "vehicle_type": r.vehicle_type,
                    "depot": r.depot, "stops": list(r.stops), "start_s": r.start_s,
                    "end_s": r.end_s, "distance_m": r.distance_m,
                    "duration_s": r.duration_s} for r in leg.plan.routes],
        "unserved": [{"stop": u.stop, "reason": u.reason} for u in leg.plan.unserved],
    } for leg in result.legs]


def _feeders_document(result: StrategyResult) -> list[dict[str, Any]]:
    """Each feeder leg (a carrier's vans bringing its parcels to the hub) in sum: its label,
    vehicles, trips, metres, working seconds and parcels."""
    return [{"leg": leg.label, "vehicles": len(leg.plan.days()), "trips": len(leg.plan.routes),
             "distance_m": leg.plan.distance_m, "duration_s": leg.plan.duration_s,
             "parcels": sum(r.load[0] for r in leg.plan.routes)}
            for leg in result.feeder_legs]


def gap_columns(gap: StrategyResult | None, models: Sequence[CostModel]) -> dict[str, Any]:
    """A cell's gap columns: villages and parcels its gap plan serves, its cost per model."""
    parcels = gap.delivered()[0] if gap else 0
    row: dict[str, Any] = {"gap_villages": gap.kpis()["stops_served"] if gap else 0,
                           "gap_parcels": parcels,
                           "gap_solve_time_s": round(gap.solve_time_s, 3) if gap else 0.0}
    for model in models:
        row[f"gap_cost{COST_SEPARATOR}{model.name}"] = (
            round(gap.costs(model).total, 2) if gap else 0.0)
    return row


def run_cell(cell: Cell) -> CellOutcome:
    """Solve one cell and price it under every cost model; runs on a Dask worker.

    A domain error (a strategy the scenario cannot run, a plan that fails the checker) becomes
    a failed row with the one-line message; the sweep goes on with the other cells.
    """
    started, cpu = time.perf_counter(), time.process_time()
    row: dict[str, Any] = {**cell.inputs(), **versions(), "status": OK, "error": "",
                           "worker": f"{platform.node()}:{os.getpid()}"}
    try:
        scenario = variant(load_scenario(cell.scenario_file), fleet=cell.fleet,
                           demand_scale=cell.demand_scale)
        # the cells are what a sweep runs side by side: a cell's legs are solved in turn
        settings = settings_for(scenario, time_limit_s=cell.time_limit_s, seed=cell.seed,
                                jobs=1, decompose=cell.decompose)
        if cell.solution_limit is not None:
            settings = replace(settings, solution_limit=cell.solution_limit)
        result = run_strategy(scenario, cell.strategy, settings, engine=cell.engine,
                              cache_dir=Path(cell.cache_dir) if cell.cache_dir else None)
        models = [load_cost_model(p) for p in cell.cost_models]
        costs = {m.name: result.costs(m).figures() for m in models}
        gap = gap_plan(result, settings, engine=cell.engine)
    except (ValueError, KeyError, RuntimeError) as exc:
        row.update(status=FAILED, error=one_line(exc),
                   wall_time_s=round(time.perf_counter() - started, 2),
                   finished_at=utc_now())
        return CellOutcome(row, None)
    kpis = result.kpis()
    row.update({k: v for k, v in kpis.items() if k != "solve_time_s"})
    for name, figures in costs.items():
        row.update({f"{k}{COST_SEPARATOR}{name}": v for k, v in figures.items()})
    row.update(gap_columns(gap, models))
    row.update(check_ok=all(leg.check.ok for leg in result.legs), legs=len(result.legs),
               solve_time_s=round(result.solve_time_s, 3),
               wall_time_s=round(time.perf_counter() - started, 2),
               cpu_s=round(time.process_time() - cpu, 2), finished_at=utc_now())
    if result.legs:
        row["engine"] = result.legs[0].plan.engine
    return CellOutcome(row, plan_document(cell, result, costs, gap))


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and message with whitespace collapsed."""
    message = " ".join(str(exc).split()) or repr(exc)
    return f"{type(exc).__name__}: {message}"


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
