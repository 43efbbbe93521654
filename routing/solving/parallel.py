"""Solve independent routing problems side by side, one per core.

A strategy's legs that do not wait for each other (each carrier's day, the feeders, the relay's
stations solved again) need not wait for each other's search either: :func:`solve_all` runs them
in forked processes, each with its own budget, and returns the same checked plans in the same
order as solving them one after the other would (bit for bit where the search is bounded by
``solution_limit``). In a process that may not start others (a Dask worker, a pool worker) or
with one job, it solves them in turn. The worker processes are daemonic, so the ``auto`` engine
runs its lead search alone in each: the cores go to the legs instead of its partner search.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence

from routing.core import Plan, Problem
from routing.solving.checker import CheckReport
from routing.solving.engines.base import Engine, SolveSettings
from routing.solving.engines.ranking import cores
from routing.solving.solve import solve_checked


def workers_for(jobs: int, settings: SolveSettings) -> int:
    """How many processes solve ``jobs`` problems: ``settings.jobs`` (default the cores this
    process may use), at most one per problem, and one inside a daemonic process."""
    if multiprocessing.current_process().daemon:
        return 1
    wanted = cores() if settings.jobs is None else settings.jobs
    return max(1, min(jobs, wanted))


def solve_all(problems: Sequence[tuple[Problem, SolveSettings]], engine: Engine
              ) -> list[tuple[Plan, CheckReport]]:
    """:func:`solve_checked` on every (problem, settings), in order, on up to
    :func:`workers_for` cores; the longest budgets start first. The first error a search
    raises (:class:`SearchError`, :class:`PlanError`) is raised here."""
    if not problems:
        return []
    workers = workers_for(len(problems), problems[0][1])
    if workers == 1:
        return [solve_checked(problem, engine, settings) for problem, settings in problems]
    order = sorted(range(len(problems)), key=lambda i: -problems[i][1].time_limit_s)
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        found = pool.starmap(solve_checked,
                             [(problems[i][0], engine, problems[i][1]) for i in order],
                             chunksize=1)
    out: list[tuple[Plan, CheckReport]] = [found[0]] * len(problems)
    for i, result in zip(order, found, strict=True):
        out[i] = result
    return out
