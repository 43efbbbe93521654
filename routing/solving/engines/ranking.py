"""Which of several plans of one problem is best: the rule every engine that compares plans uses.

A plan that fails the independent checker loses to one that passes; then the plan leaving out
fewer stops (not counting excluded ones) wins; then the lower value of the problem's objective
(:func:`~routing.solving.objective.plan_objective`); ties go to the first plan.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from routing.core import Plan, Problem
from routing.solving.checker import check_plan
from routing.solving.diagnose import explain_unserved
from routing.solving.objective import plan_objective


def cores() -> int:
    """How many cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def plan_rank(problem: Problem, plan: Plan, objective: str) -> tuple[int, int, int]:
    """Sort key of a candidate plan: (fails the checker, unserved stops, objective value)."""
    plan = explain_unserved(problem, plan)
    dropped = sum(u.stop not in problem.excluded for u in plan.unserved)
    ok = check_plan(problem, plan, strict=False).ok
    return (0 if ok else 1, dropped, plan_objective(problem, plan, objective))


def best_plan(problem: Problem, plans: Sequence[Plan], objective: str) -> Plan:
    """The best of ``plans`` by :func:`plan_rank`; the first one wins ties."""
    ranks = [plan_rank(problem, plan, objective) for plan in plans]
    return plans[min(range(len(plans)), key=ranks.__getitem__)]


def no_worse_than_start(problem: Problem, found: Plan, start: Plan | None, objective: str
                        ) -> Plan:
    """``found``, unless the ``start`` a search was given ranks better (:func:`best_plan`): then
    the start, with ``found``'s engine, seed and solve time. Engines minimise their own integer
    version of the objective, which can differ from ours by rounding."""
    if start is None or best_plan(problem, [found, start], objective) is found:
        return found
    return Plan(problem=found.problem, engine=found.engine, seed=found.seed,
                routes=start.routes, unserved=start.unserved, solve_time_s=found.solve_time_s,
                objective=plan_objective(problem, start, objective), notes=found.notes)
