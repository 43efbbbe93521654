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
    reruns (wall-clock limits let a faster or busier machine search further)."""

    time_limit_s: float = 30.0
    seed: int = 1
    first_solution: str = "SAVINGS"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    objective: Objective = Objective.DISTANCE
    solution_limit: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "objective", Objective.parse(self.objective, "objective"))
        if self.time_limit_s <= 0:
            raise ModelError(f"time_limit_s: must be > 0, got {self.time_limit_s}")


class Engine(Protocol):
    """A VRP engine. It never reads files and refers to stops and vehicles only by id."""

    name: str

    def solve(self, problem: Problem, settings: SolveSettings) -> Plan:
        """Return routes for ``problem``; stops not routed are listed with DROPPED_BY_ENGINE."""
        ...
