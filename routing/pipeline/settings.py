"""Solver settings of a run and the one budget rule every routing problem's search gets."""

from __future__ import annotations

from routing.inputs import Scenario
from routing.solving import SolveSettings


def settings_for(scenario: Scenario, *, time_limit_s: float | None = None,
                 seed: int | None = None, jobs: int | None = None,
                 decompose: bool | None = None) -> SolveSettings:
    """The scenario's solver settings, with command-line overrides where given.

    ``time_limit_s`` (``--time-limit``, else ``solver.time_limit_s``) is the budget of a
    problem the size of the consolidated one; see :func:`budget_s`. ``jobs`` (``--jobs``) is
    how many legs are solved at once (None: one per core); ``decompose``
    (``--decompose/--no-decompose``) whether big multi-depot problems are solved by parts
    (None: by their size, :func:`~routing.solving.decomposes`).
    """
    spec = scenario.solver
    return SolveSettings(
        time_limit_s=spec.time_limit_s if time_limit_s is None else time_limit_s,
        seed=spec.seed if seed is None else seed, first_solution=spec.first_solution,
        metaheuristic=spec.metaheuristic, objective=spec.objective,
        solution_limit=spec.solution_limit, jobs=jobs, decompose=decompose)


#: A routing problem is budgeted as if it had at least this many stops (or as many as the
#: reference problem, where that has fewer): small legs are not starved, and the floor grows
#: with the budget, so doubling ``time_limit_s`` doubles every problem's search.
MIN_BUDGET_STOPS = 10
#: The least time any search gets, whatever the budget (reached only with tiny time limits).
MIN_BUDGET_S = 0.1


def budget_s(n_stops: int, *, time_limit_s: float, reference_stops: int) -> float:
    """The search budget, in seconds, of one routing problem of ``n_stops`` stops.

    The one rule for every strategy and leg. ``time_limit_s`` (``--time-limit``, the scenario's
    ``solver.time_limit_s``, a sweep's ``time_limit_s``) is the budget of a problem the size of
    the consolidated one: ``reference_stops`` stops, every village with demand. Every problem
    gets the same seconds per stop, ``time_limit_s / reference_stops``, times its own stop count,
    but at least as much as a problem of ``min(MIN_BUDGET_STOPS, reference_stops)`` stops, and
    never under :data:`MIN_BUDGET_S`. So independent's five carrier problems of ~186 stops each
    get ~186/193 of consolidated's budget apiece (the strategy takes ~5x as long), and doubling
    ``time_limit_s`` doubles every problem's budget.
    """
    reference = max(reference_stops, 1)
    per_stop = time_limit_s / reference
    return max(MIN_BUDGET_S, per_stop * max(n_stops, min(MIN_BUDGET_STOPS, reference)))


#: What ``time_limit_s`` means, as recorded in ``plan.json`` (the rule is :func:`budget_s`;
#: each leg records its own ``budget_s``).
BUDGET_RULE = ("time_limit_s is the search budget of a problem the size of the consolidated one "
               "(every village with demand); every routing problem gets the same seconds per "
               f"stop times its own stop count (at least a {MIN_BUDGET_STOPS}-stop problem's)")


def settings_document(settings: SolveSettings) -> dict[str, object]:
    """The solver settings as recorded in ``plan.json``."""
    return {"time_limit_s": settings.time_limit_s, "budget_rule": BUDGET_RULE,
            "first_solution": settings.first_solution,
            "metaheuristic": settings.metaheuristic, "objective": settings.objective,
            "solution_limit": settings.solution_limit, "jobs": settings.jobs,
            "decompose": settings.decompose}
