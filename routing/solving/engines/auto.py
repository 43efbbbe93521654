"""The ``auto`` engine: pick the engine that fits the problem and use both cores.

* Every feature of the problem is one PyVRP's model covers (see
  :func:`~routing.solving.engines.pyvrp.pyvrp_unsupported`): PyVRP with the given seed on one
  core and PyVRP with the next seed on the other, keeping the better checked plan. PyVRP's
  iterated local search lands 0-2 % above the best known where OR-Tools' guided local search
  lands 3-7 % (benchmarks/README.md), and a second seed is a second chance.
* Otherwise (a constraint only OR-Tools models): the OR-Tools engine as configured. Two
  differently configured OR-Tools searches side by side (``ortools-parallel`` in
  :mod:`routing.solving.engines.portfolio`) measured no better than one (benchmarks/README.md).

Both candidates run for the full time limit at once, so ``auto`` takes the same wall time as a
single engine. With ``solution_limit`` set, each run is reproducible and so is the choice.
"""

from __future__ import annotations

import dataclasses

from routing.core import Plan, Problem
from routing.solving.engines.base import SolveSettings
from routing.solving.engines.ortools import OrToolsEngine
from routing.solving.engines.portfolio import Job, solve_portfolio
from routing.solving.engines.pyvrp import pyvrp_unsupported
from routing.solving.registry import ENGINES


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


# The registry cannot import this module (it runs the others through the portfolio, which finds
# them in the registry), so ``auto`` registers itself.
ENGINES["auto"] = AutoEngine
