"""Run several engine configurations side by side on the machine's cores and keep the best plan.

OR-Tools' guided local search is deterministic for a given configuration, so the second core is
best spent on a *differently configured* search; PyVRP's search is randomised, so a second seed
is a second chance. Either way each candidate plan goes through the independent checker and the
best valid one is kept: fewest unserved stops first, then the lowest value of the problem's
objective (see :func:`~routing.solving.objective.plan_objective`), then the first job.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from routing.core import Plan, Problem, SearchError
from routing.solving.engines.base import SolveSettings
from routing.solving.engines.ranking import best_plan, cores
from routing.solving.registry import make_engine

#: A job: which base engine, with which settings.
Job = tuple[str, SolveSettings]


def _solve_job(engine: str, problem: Problem, settings: SolveSettings, initial: Plan | None
               ) -> Plan | SearchError:
    """One job's plan, or the SearchError of a search that fell short (the other jobs may not)."""
    try:
        return make_engine(engine).solve(problem, settings, initial=initial)
    except SearchError as exc:
        return exc


def run_jobs(problem: Problem, jobs: Sequence[Job], initial: Plan | None = None
             ) -> list[Plan | SearchError]:
    """Every job's plan (or its SearchError), in job order, each started from ``initial``: in
    parallel processes when there are cores for them, else one after another with the time
    limit shared out so the wall time stays the same.

    Processes are forked where the platform allows (no re-import, the problem is inherited);
    inside a daemonic worker (e.g. a ``multiprocessing.Pool`` running a sweep), which may not
    start children, the jobs run sequentially.
    """
    parallel = min(len(jobs), cores())
    if parallel <= 1 or multiprocessing.current_process().daemon:
        share = 1 / len(jobs)
        return [_solve_job(engine, problem, dataclasses.replace(
                    settings, time_limit_s=settings.time_limit_s * share), initial)
                for engine, settings in jobs]
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    with ProcessPoolExecutor(max_workers=parallel, mp_context=context) as pool:
        futures = [pool.submit(_solve_job, engine, problem, settings, initial)
                   for engine, settings in jobs]
        return [f.result() for f in futures]


def solve_portfolio(problem: Problem, jobs: Sequence[Job], name: str,
                    objective: str, initial: Plan | None = None) -> Plan:
    """Run ``jobs`` (from ``initial``); the best plan, labelled ``name(winning engine)``."""
    started = time.perf_counter()
    if not jobs:
        raise ValueError("jobs: a portfolio needs at least one engine configuration")
    outcomes = run_jobs(problem, jobs, initial)
    plans = [p for p in outcomes if isinstance(p, Plan)]
    if not plans:
        raise next(e for e in outcomes if isinstance(e, SearchError))
    best = best_plan(problem, plans, objective)
    return dataclasses.replace(best, engine=f"{name}({best.engine})",
                               solve_time_s=round(time.perf_counter() - started, 3))


#: The OR-Tools configurations ``ortools-parallel`` runs, one per core (first solution,
#: metaheuristic); chosen by the measurements in benchmarks/README.md.
ORTOOLS_CONFIGS: tuple[tuple[str, str], ...] = (
    ("SAVINGS", "GUIDED_LOCAL_SEARCH"),
    ("PATH_CHEAPEST_ARC", "GUIDED_LOCAL_SEARCH"),
)


class OrToolsParallelEngine:
    """OR-Tools on both cores: the configured search plus a differently started one.

    Measured, not registered: on this 2-core machine it was no better than the plain engine
    (benchmarks/README.md); ``benchmarks/cvrplib_suite.py --engines ortools-parallel`` reruns it.

    The first job uses the settings as given (so it is the plain ``ortools`` run); the others
    use the next configurations of :data:`ORTOOLS_CONFIGS` that differ from it.
    """

    name = "ortools-parallel"

    def solve(self, problem: Problem, settings: SolveSettings, *,
              initial: Plan | None = None) -> Plan:
        jobs: list[Job] = [("ortools", settings)]
        for first, meta in ORTOOLS_CONFIGS:
            if len(jobs) >= max(2, cores()):
                break
            if (first, meta) != (settings.first_solution, settings.metaheuristic):
                jobs.append(("ortools", dataclasses.replace(
                    settings, first_solution=first, metaheuristic=meta)))
        return solve_portfolio(problem, jobs, self.name, settings.objective, initial)
