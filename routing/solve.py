"""Solve a problem with an engine, explain unserved stops and check the plan before it is used."""

from __future__ import annotations

from routing.checker import CheckReport, check_plan
from routing.diagnose import explain_unserved
from routing.engines.auto import AutoEngine
from routing.engines.base import Engine, SolveSettings
from routing.engines.ortools_engine import OrToolsEngine
from routing.engines.pyvrp_engine import PyVrpEngine
from routing.errors import ModelError
from routing.model import Plan, Problem

ENGINES: dict[str, type] = {"ortools": OrToolsEngine, "pyvrp": PyVrpEngine, "auto": AutoEngine}


def make_engine(name: str) -> Engine:
    """The engine registered under ``name``."""
    if name not in ENGINES:
        raise ModelError(f"engine: unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
    return ENGINES[name]()


def solve_checked(problem: Problem, engine: Engine, settings: SolveSettings
                  ) -> tuple[Plan, CheckReport]:
    """Run ``engine`` on ``problem``; raise :class:`~routing.errors.PlanError` on a bad plan."""
    plan = explain_unserved(problem, engine.solve(problem, settings))
    return plan, check_plan(problem, plan)
