"""Domain exceptions: every one is a ``ValueError`` whose message names the field at fault.

The base classes live here, at the bottom of the tree, so ``geodata`` raises them without
importing ``routing``; :mod:`routing.core.errors` re-exports them and adds the plan and search
errors.
"""

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
