"""Domain exceptions: every one is a ``ValueError`` whose message names the field at fault.

The input, model and network errors are :mod:`geodata.errors`' (re-exported here, so every
layer raises the same classes); this module adds the errors of plans and searches.
"""

from __future__ import annotations

from geodata import InputError, ModelError, NetworkError, RuralRouteError

__all__ = ["InputError", "ModelError", "NetworkError", "PlanError", "RuralRouteError",
           "SearchError"]


class PlanError(RuralRouteError):
    """A plan broke a rule the independent checker enforces."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = list(violations)
        head = violations[0] if violations else "unknown violation"
        more = f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""
        super().__init__(f"plan failed the check: {head}{more}")

    def __reduce__(self) -> tuple[type[PlanError], tuple[list[str]]]:
        """Pickle by the violations (a plan checked in another process raises it here)."""
        return (PlanError, (self.violations,))


class SearchError(RuralRouteError):
    """An engine's search fell short: no solution, or stops left out that a vehicle could serve.

    Not bad input: the command line exits with code 1 and the message names the engine and what
    to change (more time, another engine, more vehicles).
    """
