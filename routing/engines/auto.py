"""The ``auto`` engine: pick the engine that fits the problem and use both cores.

* Every feature of the problem is one PyVRP's model covers (see
  :func:`~routing.engines.pyvrp_engine.pyvrp_unsupported`): PyVRP with the given seed on one
  core and PyVRP with the next seed on the other, keeping the better checked plan. PyVRP's
  iterated local search lands 0-2 % above the best known where OR-Tools' guided local search
  lands 3-7 % (benchmarks/README.md), and a second seed is a second chance.
* Otherwise (a constraint only OR-Tools models): the OR-Tools engine as configured. Two
  differently configured OR-Tools searches side by side (``ortools-parallel`` in
  :mod:`routing.engines.portfolio`) measured no better than one (benchmarks/README.md).

Both candidates run for the full time limit at once, so ``auto`` takes the same wall time as a
single engine. With ``solution_limit`` set, each run is reproducible and so is the choice.
"""

from __future__ import annotations

import dataclasses

from routing.engines.base import SolveSettings
from routing.engines.ortools_engine import OrToolsEngine
from routing.engines.portfolio import Job, solve_portfolio
from routing.engines.pyvrp_engine import pyvrp_unsupported
from routing.model import Plan, Problem


def choose_jobs(problem: Problem, settings: SolveSettings) -> list[Job]:
    """The engine runs ``auto`` makes for ``problem``; empty means: use OR-Tools alone."""
    if pyvrp_unsupported(problem):
        return []
    return [("pyvrp", settings),
            ("pyvrp", dataclasses.replace(settings, seed=settings.seed + 1))]


class AutoEngine:
    """PyVRP on both cores where its model fits the problem, else OR-Tools."""

    name = "auto"

    def solve(self, problem: Problem, settings: SolveSettings) -> Plan:
        jobs = choose_jobs(problem, settings)
        if not jobs:
            plan = OrToolsEngine().solve(problem, settings)
            return dataclasses.replace(plan, engine=f"{self.name}({plan.engine})")
        plan = solve_portfolio(problem, jobs, self.name, settings.objective)
        return dataclasses.replace(plan, seed=settings.seed)
