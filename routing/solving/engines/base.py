"""The engine extension point: anything that turns a :class:`~routing.core.Problem` into a Plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from routing.core import ModelError, Objective, Plan, Problem

#: Reason an engine gives for a stop it left out; :mod:`routing.solving.diagnose` finds the cause.
DROPPED_BY_ENGINE = "left out by the solver"


@dataclass(frozen=True)
class SolveSettings:
    """How long and how to search. ``solution_limit`` caps work instead of time, for bit-identical
    reruns (wall-clock limits let a faster or busier machine search further). ``jobs`` is how
    many independent routing problems of one strategy (legs that do not wait for each other) may
    be solved at once, each with its own budget; None means one per core. ``decompose`` says
    whether a big multi-depot problem is solved by parts (:mod:`routing.solving.decompose`):
    None decides by its size. Engines ignore both."""

    time_limit_s: float = 30.0
    seed: int = 1
    first_solution: str = "SAVINGS"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    objective: Objective = Objective.DISTANCE
    solution_limit: int | None = None
    jobs: int | None = None
    decompose: bool | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", Objective.parse(self.objective, "objective"))
        if self.time_limit_s <= 0:
            raise ModelError(f"time_limit_s: must be > 0, got {self.time_limit_s}")
        if self.jobs is not None and self.jobs < 1:
            raise ModelError(f"jobs: must be >= 1, got {self.jobs}")


class Engine(Protocol):
    """A VRP engine. It never reads files and refers to stops and vehicles only by id."""

    name: str

    def solve(self, problem: Problem, settings: SolveSettings, *,
              initial: Plan | None = None) -> Plan:
        """Return routes for ``problem``; stops not routed are listed with DROPPED_BY_ENGINE.

        ``initial``, a plan of the same problem, is where the search starts (a warm start); the
        search keeps it unless it finds better by its own measure of the objective.
        """
        ...


class Checkpoints(Protocol):
    """Where a search hands its best plan so far to a search running beside it.

    The search asks :meth:`due` after every iteration and, when it says so, calls :meth:`post`
    with the plan of its best feasible solution (its routes may leave stops out).
    """

    def due(self, iterations: int, elapsed_s: float) -> bool:
        """Whether a plan is wanted now, after ``iterations`` and ``elapsed_s`` of search."""
        ...

    def post(self, plan: Plan) -> None:
        """Take ``plan``, the search's best so far."""
        ...
