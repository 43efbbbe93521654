"""What a solve needs before the search: the scenario on its roads, its settings, step timings.

The flow runs one way: scenario -> roads -> snaps -> matrices (here) -> problem
(:mod:`routing.core.problem`) -> checked plan (:mod:`routing.solving`).

* :mod:`~routing.pipeline.geography` — a scenario placed on its roads (:func:`locate`);
* :mod:`~routing.pipeline.settings` — the solver settings of a run and the one budget rule;
* :mod:`~routing.pipeline.timings` — each step timed; the CLI shows the timings and never does
  any of this work itself.
"""

from __future__ import annotations

from routing.pipeline.geography import Geography, locate
from routing.pipeline.settings import (
    BUDGET_RULE,
    MIN_BUDGET_S,
    MIN_BUDGET_STOPS,
    budget_s,
    settings_document,
    settings_for,
)
from routing.pipeline.timings import StepHook, Timings

__all__ = [
    "BUDGET_RULE",
    "MIN_BUDGET_S",
    "MIN_BUDGET_STOPS",
    "Geography",
    "StepHook",
    "Timings",
    "budget_s",
    "locate",
    "settings_document",
    "settings_for",
]
