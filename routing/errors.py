"""Domain exceptions: every one is a ``ValueError`` whose message names the field at fault."""

from __future__ import annotations

from pathlib import Path


class RuralRouteError(ValueError):
    """Base class of every error ruralroute raises on purpose."""


class InputError(RuralRouteError):
    """A scenario, stops or network file holds a value that cannot be used.

    The message reads ``FILE: FIELD: what is wrong (fix)`` so a planner can
    open the file and mend it without reading a traceback.
    """

    def __init__(self, file: str | Path, field: str, problem: str) -> None:
        self.file = str(file)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.file}: {field}: {problem}")


class ModelError(RuralRouteError):
    """A domain object was built with an invalid value (raised at construction)."""


class NetworkError(RuralRouteError):
    """The road network cannot serve the scenario (empty graph, no road near a depot)."""


class PlanError(RuralRouteError):
    """A plan broke a rule the independent checker enforces."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = list(violations)
        head = violations[0] if violations else "unknown violation"
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(f"plan failed the check: {head}{more}")


class SearchError(RuralRouteError):
    """An engine's search fell short: no solution, or stops left out that a vehicle could serve.

    Not bad input: the command line exits with code 1 and the message names the engine and what
    to change (more time, another engine, more vehicles).
    """
