"""Solve a problem with an engine, explain unserved stops and check the plan before it is used.

A search that falls short is never passed off as a plan. When an engine finds no solution, or
leaves out a stop that a vehicle of the fleet could have served (an unused vehicle on a trip of
its own, or room in one of its routes: :func:`routing.solving.diagnose.missed_stops`), the search is
tried again, in this order: another start (OR-Tools: another first-solution strategy; PyVRP:
another seed), twice the time, the other engine. If every try falls short,
:class:`~routing.core.errors.SearchError` names the engine and what to change.
"""

from __future__ import annotations

import dataclasses

from routing.core import Plan, Problem, SearchError
from routing.solving.checker import CheckReport, check_plan
from routing.solving.diagnose import explain_unserved, missed_stops
from routing.solving.engines.base import Engine, SolveSettings
from routing.solving.engines.pyvrp import pyvrp_unsupported
from routing.solving.registry import make_engine

#: OR-Tools first-solution strategies a retry starts from, the first one that differs from the
#: configured strategy being used. Cheapest insertion builds a solution stop by stop under every
#: constraint, so it finds one where arc-based starts (e.g. PATH_CHEAPEST_ARC) get stuck.
RETRY_FIRST_SOLUTIONS: tuple[str, ...] = ("PARALLEL_CHEAPEST_INSERTION", "SAVINGS")


def retries(engine: Engine, problem: Problem, settings: SolveSettings
            ) -> list[tuple[Engine, SolveSettings, str]]:
    """The searches tried after ``engine`` with ``settings`` fell short, with a label each.

    ``auto`` is retried as the engine it runs: OR-Tools where PyVRP cannot model the problem,
    else ``auto`` with the next seed. A switch to the other engine drops
    any ``solution_limit``, which counts solutions in OR-Tools but iterations in PyVRP.
    """
    if engine.name == "auto" and pyvrp_unsupported(problem):
        engine = make_engine("ortools")
    if engine.name == "ortools":
        start = next(f for f in RETRY_FIRST_SOLUTIONS if f != settings.first_solution)
        other = dataclasses.replace(settings, first_solution=start)
        label = f"first solution {start}"
    else:
        # auto's partner seeds lie far from its lead's (auto.PARTNER_SEEDS), so seed + 1 is new.
        other = dataclasses.replace(settings, seed=settings.seed + 1)
        label = f"seed {other.seed}"
    longer = dataclasses.replace(
        other, time_limit_s=2 * settings.time_limit_s,
        solution_limit=None if settings.solution_limit is None else 2 * settings.solution_limit)
    tries = [(engine, other, label), (engine, longer, f"{label}, twice the time")]
    switched = dataclasses.replace(longer, seed=settings.seed, solution_limit=None)
    if engine.name == "ortools" and not pyvrp_unsupported(problem):
        tries.append((make_engine("pyvrp"), switched, "engine pyvrp, twice the time"))
    elif engine.name != "ortools":
        tries.append((make_engine("ortools"), switched, "engine ortools, twice the time"))
    return tries


def _attempt(engine: Engine, problem: Problem, settings: SolveSettings,
             initial: Plan | None = None) -> tuple[Plan | None, str]:
    """One search (from ``initial`` if given): the diagnosed plan if it left out nothing it
    could serve, else why not."""
    try:
        found = (engine.solve(problem, settings) if initial is None
                 else engine.solve(problem, settings, initial=initial))
        plan = explain_unserved(problem, found)
    except SearchError as exc:
        return None, str(exc)
    missed = missed_stops(problem, plan)
    if not missed:
        return plan, ""
    shown = ", ".join(missed[:3]) + (f" and {len(missed) - 3} more" if len(missed) > 3 else "")
    stops = "stop" if len(missed) == 1 else "stops"
    return None, f"left out {len(missed)} {stops} a vehicle could serve ({shown})"


def solve_checked(problem: Problem, engine: Engine, settings: SolveSettings, *,
                  initial: Plan | None = None) -> tuple[Plan, CheckReport]:
    """Run ``engine`` on ``problem`` (retrying a search that falls short) and check the plan.

    Every search starts from ``initial``, a plan of ``problem``, when given (a warm start).

    Raises :class:`~routing.core.errors.SearchError` when every try falls short and
    :class:`~routing.core.errors.PlanError` when the plan breaks a rule of the checker.
    """
    plan, failure = _attempt(engine, problem, settings, initial)
    tried = [f"{engine.name} ({failure})"] if plan is None else []
    for other, other_settings, label in ([] if plan is not None
                                         else retries(engine, problem, settings)):
        plan, failure = _attempt(other, problem, other_settings, initial)
        if plan is not None:
            plan = dataclasses.replace(plan, notes=(
                *plan.notes, f"the first search fell short ({tried[0]}); solved with {label}"))
            break
        tried.append(f"{label} ({failure})")
    if plan is None:
        raise SearchError(
            f"{problem.name}: {engine.name} found no plan that serves every servable stop in "
            f"{settings.time_limit_s:g} s; tried {'; '.join(tried)}: raise --time-limit, add "
            f"vehicles or try another --engine")
    return plan, check_plan(problem, plan)
